"""Load parameter tables and the reference list shipped as data files in the package."""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any

import pint
import yaml

from mscsim.params._records import Parameter, ParameterSet, Reference

MODULES: tuple[str, ...] = (
    "topp2000",
    "msc_core",
    "t2dm",
    "t1dm_immune",
    "t1dm",
    "islets",
    "ipc",
    "bone",
    "macrophage",
    "tumour",
    "parkinson",
    "alzheimer",
    "atherosclerosis",
    "copd",
    "brain_delivery",
    "aging_trial",
)


@functools.cache
def unit_registry() -> pint.UnitRegistry:
    """Pint registry with the counting units of mscsim: cells, particles, islets, protein, IU.

    Counting units get dimensions of their own so that cells, particles, islets and protein can
    never be converted into one another or silently added up. One registry serves parameter
    tables and scenario doses.
    """
    ureg: pint.UnitRegistry = pint.UnitRegistry()
    ureg.define("cell = [cell_count] = cells")
    ureg.define("particle = [particle_count]")
    ureg.define("islet = [islet_count]")
    ureg.define("gram_protein = [protein_mass] = g_protein")
    ureg.define("IU = [insulin_unit]")
    ureg.define("uIU = 1e-6 * IU = uU")
    ureg.define("percent_hba1c = [] = pct")
    # pint ships its own `particle` (1/N_A mol) and has already cached its dimensionality, so a
    # bare "particle" would still read as [substance]; rebuilding the cache makes our counting
    # unit the only meaning (pint has no public call for this).
    ureg._build_cache()
    return ureg


def _read_yaml(name: str) -> Any:
    text = resources.files("mscsim.params").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _bound(x: Any, default: float) -> float:
    return default if x is None else float(x)


def _parse_parameter(module: str, raw: dict[str, Any]) -> Parameter:
    bounds = raw.get("bounds") or [None, None]
    unit = str(raw["unit"])
    try:
        unit_registry().parse_units(unit)
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"parameter {module}.{raw['name']}: unit {unit!r} not understood") from exc
    return Parameter(
        name=str(raw["name"]),
        module=module,
        value=float(raw["value"]),
        unit=unit,
        source=str(raw.get("source") or ""),
        provenance=raw.get("provenance", "literature"),
        note=str(raw.get("note", "")),
        lower=_bound(bounds[0], -math.inf),
        upper=_bound(bounds[1], math.inf),
        bpv_cv=float(raw.get("bpv_cv", 0.0)),
        calibrated_to=str(raw.get("calibrated_to", "")),
    )


@functools.cache
def load_module(module: str) -> ParameterSet:
    """The literature/calibrated table of one model module."""
    if module not in MODULES:
        raise ValueError(f"unknown parameter module {module!r}; known: {', '.join(MODULES)}")
    raw = _read_yaml(f"{module}.yaml")
    params = [_parse_parameter(module, p) for p in raw.get("parameters") or []]
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"parameter module {module}: duplicate names")
    return ParameterSet({p.name: p for p in params})


def load_parameters(*modules: str) -> ParameterSet:
    """Parameters of several modules merged (names must not clash)."""
    merged: dict[str, Parameter] = {}
    for m in modules or MODULES:
        for name, p in load_module(m).items():
            if name in merged:
                raise ValueError(f"parameter {name!r} defined in {merged[name].module} and {m}")
            merged[name] = p
    return ParameterSet(merged)


@functools.cache
def load_references() -> dict[str, Reference]:
    """The reference list: `references.yaml` plus any `references_<module>.yaml` beside it."""
    data = resources.files("mscsim.params").joinpath("data")
    names = sorted(
        f.name
        for f in data.iterdir()
        if f.name == "references.yaml"
        or (f.name.startswith("references_") and f.name.endswith(".yaml"))
    )
    refs: dict[str, Reference] = {}
    for name in names:
        for key, v in (_read_yaml(name) or {}).items():
            if key in refs:
                raise ValueError(f"reference {key!r} defined twice (second time in {name})")
            refs[key] = Reference(
                key=key, citation=v["citation"], doi=v.get("doi", ""), url=v.get("url", "")
            )
    return refs


def value_in(params: ParameterSet, name: str, unit: str) -> float:
    """A table value converted to a model unit (pint raises if the dimensions differ)."""
    p = params[name]
    return float(unit_registry().Quantity(p.value, p.unit).to(unit).magnitude)


def missing_sources(params: ParameterSet | None = None) -> list[str]:
    """Parameters whose source key is empty or not in the reference list (must be empty)."""
    refs = load_references()
    ps = params if params is not None else load_parameters()
    return [
        f"{p.module}.{p.name}: source {p.source!r} " + ("missing" if not p.source else "unknown")
        for p in ps.parameters.values()
        if not p.source or p.source not in refs
    ]
