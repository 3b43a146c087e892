"""Parameter tables: units, bounds, sources and provenance of every number in the model."""

from __future__ import annotations

import pytest

from mscsim.params import (
    MODULES,
    Parameter,
    load_parameters,
    load_references,
    missing_sources,
    unit_registry,
)


def test_every_parameter_has_a_known_source() -> None:
    assert missing_sources() == []


def test_every_unit_is_understood_by_pint() -> None:
    ureg = unit_registry()
    for p in load_parameters().parameters.values():
        ureg.parse_units(p.unit)


def test_calibrated_parameters_name_their_calibration_data() -> None:
    calibrated = [p for p in load_parameters().parameters.values() if p.provenance == "calibrated"]
    assert calibrated, "the T2DM module has calibrated parameters"
    assert all(p.calibrated_to for p in calibrated)


def test_every_module_table_loads_and_names_are_unique_across_modules() -> None:
    merged = load_parameters(*MODULES)
    assert sum(len(load_parameters(m)) for m in MODULES) == len(merged)


def test_a_value_outside_its_bounds_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"t2dm.x: value 2.0 outside bounds \[0, 1\]"):
        Parameter("x", "t2dm", 2.0, "dimensionless", "topp2000", "literature", lower=0, upper=1)


def test_replace_rechecks_bounds() -> None:
    ps = load_parameters("topp2000")
    assert ps.replace(d0=0.07).value("d0") == 0.07
    with pytest.raises(ValueError, match="outside bounds"):
        ps.replace(d0=-1.0)


def test_references_resolve_to_citations() -> None:
    refs = load_references()
    assert "Topp" in refs["topp2000"].citation
    assert all(r.citation for r in refs.values())


def test_a_bare_particle_is_a_counted_particle_not_a_fraction_of_a_mole() -> None:
    from mscsim.params import unit_registry

    ureg = unit_registry()
    assert (
        ureg.Quantity(1, "particle").dimensionality == ureg.Quantity(1, "particles").dimensionality
    )
    assert ureg.Quantity(1, "particle").dimensionality != ureg.Quantity(1, "mol").dimensionality
