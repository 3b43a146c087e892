"""Induced insulin-producing cells: seed 004 Table 1 protocols, yield, secretion, engraftment and
the exploratory tumourigenicity signal."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest
import yaml

from mscsim.params import load_module, load_references, missing_sources, unit_registry
from mscsim.product._ipc import (
    ENGRAFTMENT_ROUTES,
    ProtocolError,
    induced_yield,
    ipc_engraftment_survival,
    ipc_insulin_secretion,
    load_protocols,
    parse_protocols,
    protocol,
    tumourigenicity_risk,
)

TABLE1_TOTAL_DAYS = {"bm_msc_3step": 18.0, "uc_msc_3step": 14.0, "adsc_1step": 3.0}
TEXT_VARIANTS = (
    "mir375_lentivirus",
    "pdx1_mrna_chemical",
    "trivedi_isc_3day",
    "thakkar_isc_4day",
)


def _protocol_text() -> str:
    return resources.files("mscsim.product").joinpath("data", "ipc_protocols.yaml").read_text()


# --- protocols as data ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "total"), TABLE1_TOTAL_DAYS.items())
def test_table1_protocols_load_and_step_days_sum_to_the_table_total(
    name: str, total: float
) -> None:
    p = protocol(name)
    assert p.in_table1 and p.seed.table == 1
    assert p.total_days == total
    assert sum(s.days or 0.0 for s in p.steps) == total


def test_all_protocols_of_table_and_text_are_present() -> None:
    assert set(load_protocols()) == set(TABLE1_TOTAL_DAYS) | set(TEXT_VARIANTS)


def test_bm_protocol_is_exactly_as_table1_prints_it() -> None:
    p = protocol("bm_msc_3step")
    assert [s.days for s in p.steps] == [2.0, 8.0, 8.0]
    assert {s.basal_medium for s in p.steps} == {"serum-free H-DMEM"}
    step1, step2, step3 = p.steps
    assert [(i.name, i.concentration, i.unit) for i in step1.inducers] == [
        ("beta-mercaptoethanol", 0.5, "mmol/L")
    ]
    assert ("bFGF", 20.0, "ng/ml") in [(i.name, i.concentration, i.unit) for i in step2.inducers]
    assert ("nicotinamide", 10.0, "mmol/L") in [
        (i.name, i.concentration, i.unit) for i in step3.inducers
    ]
    assert p.insulin_positive is not None and p.glucagon_positive is not None
    assert (p.insulin_positive.mean_pct, p.insulin_positive.sd_pct) == (68.0, 14.0)
    assert (p.glucagon_positive.mean_pct, p.glucagon_positive.sd_pct) == (55.0, 16.0)
    assert p.seed.refs == (20, 21)


def test_uc_and_adsc_rows_keep_media_inducers_and_refs() -> None:
    uc = protocol("uc_msc_3step")
    media = [s.basal_medium for s in uc.steps]
    assert media == ["10% FBS H-DMEM", "10% FBS L-DMEM", "10% FBS L-DMEM"]
    assert uc.steps[2].inducers[0].name == "exendin-4"
    assert uc.seed.refs == (22,)
    adsc = protocol("adsc_1step")
    names = [i.name for i in adsc.steps[0].inducers]
    assert names[:5] == ["nicotinamide", "activin A", "exendin-4", "HGF", "pentagastrin"]
    # Table 1 gives no concentration for the supplements: none is invented.
    assert adsc.steps[0].inducers[-1].concentration is None
    assert adsc.seed.refs == (26, 27)


def test_text_variants_record_what_the_seed_says() -> None:
    thakkar = protocol("thakkar_isc_4day")
    assert [s.days for s in thakkar.steps] == [4.0, 14.0]
    assert protocol("trivedi_isc_3day").steps[0].days == 3.0
    mir = protocol("mir375_lentivirus")
    assert mir.total_days is None  # the seed gives no duration
    assert any("tens of fold" in f for f in mir.function)
    assert any("hundreds of fold" in f for f in mir.function)


def test_every_inducer_unit_parses_and_every_source_resolves() -> None:
    ureg = unit_registry()
    refs = load_references()
    for p in load_protocols().values():
        for s in p.steps:
            for i in s.inducers:
                if i.unit is not None:
                    ureg.parse_units(i.unit)
        assert all(k in refs for k in p.sources)
        assert p.citations() and p.describe().startswith(p.name)


def test_seed004_refs_20_to_29_are_in_the_reference_list() -> None:
    text = load_references()
    cited = {n for p in load_protocols().values() for n in p.seed.refs} | {23}
    assert cited == set(range(20, 30))
    for n in range(20, 30):
        assert any(f"seed 004 ref [{n}]" in r.citation for r in text.values()), n


def test_unknown_protocol_is_a_clear_error_listing_names() -> None:
    with pytest.raises(ProtocolError, match=r"unknown IPC protocol 'bm_msc_3stpe'") as info:
        protocol("bm_msc_3stpe")
    message = str(info.value)
    assert "did you mean 'bm_msc_3step'" in message
    assert "adsc_1step" in message and "thakkar_isc_4day" in message
    assert "\n" not in message


def test_protocol_records_are_frozen() -> None:
    p = protocol("adsc_1step")
    with pytest.raises(Exception, match="frozen"):
        p.total_days = 4.0


def _edited(edit: str, replacement: str) -> str:
    text = _protocol_text()
    assert edit in text
    return text.replace(edit, replacement, 1)


def test_step_days_that_do_not_add_up_are_refused_with_the_numbers() -> None:
    bad = _edited("    total_days: 18\n", "    total_days: 19\n")
    with pytest.raises(ProtocolError, match=r"bm_msc_3step.*total_days 19 .* 2 \+ 8 \+ 8 = 18"):
        parse_protocols(bad)


def test_yield_that_disagrees_with_the_parameter_table_is_refused() -> None:
    bad = _edited("mean_pct: 68", "mean_pct: 67")
    with pytest.raises(ProtocolError, match=r"insulin yield 67% disagrees.*0.68"):
        parse_protocols(bad)


def test_unparseable_unit_is_refused_naming_it() -> None:
    bad = _edited("unit: ng/ml", "unit: ng/frobs")
    with pytest.raises(ProtocolError, match=r"bm_msc_3step.*ng/frobs"):
        parse_protocols(bad)


def test_unknown_field_is_refused() -> None:
    raw = yaml.safe_load(_protocol_text())
    raw["protocols"]["adsc_1step"]["colour"] = "blue"
    with pytest.raises(ProtocolError, match=r"adsc_1step.*colour"):
        parse_protocols(yaml.safe_dump(raw, allow_unicode=True))


# --- yield ----------------------------------------------------------------------------------


def test_bm_yield_distribution_has_the_reported_mean_and_sd() -> None:
    y = induced_yield("bm_msc_3step")
    assert y.reported and y.hormone == "insulin"
    assert y.mean == pytest.approx(0.68) and y.sd == pytest.approx(0.14)
    draws = y.sample(200_000, seed=20)
    assert draws.mean() == pytest.approx(0.68, abs=0.002)
    assert draws.std() == pytest.approx(0.14, abs=0.002)
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    assert np.array_equal(draws, y.sample(200_000, seed=20))


def test_bm_glucagon_yield_distribution() -> None:
    draws = induced_yield("bm_msc_3step", hormone="glucagon").sample(200_000, seed=3)
    assert draws.mean() == pytest.approx(0.55, abs=0.002)
    assert draws.std() == pytest.approx(0.16, abs=0.002)


def test_yield_falls_with_passage_before_induction_and_is_unchanged_up_to_reference() -> None:
    ref = load_module("ipc").value("ipc_yield_reference_passage")
    means = [induced_yield("bm_msc_3step", p).mean for p in (0, ref, ref + 2, ref + 6)]
    assert means[0] == means[1] == pytest.approx(0.68)
    assert means[1] > means[2] > means[3] > 0


def test_unreported_yield_uses_the_assumed_prior_and_says_so() -> None:
    y = induced_yield("uc_msc_3step")
    assert not y.reported
    assert y.mean == load_module("ipc").value("ipc_unreported_insulin_positive_mean")
    with pytest.raises(ValueError, match="reports no glucagon-positive fraction"):
        induced_yield("uc_msc_3step", hormone="glucagon")


def test_impossible_yield_sd_is_refused() -> None:
    ps = load_module("ipc").replace(ipc_bm_insulin_positive_sd=0.48)
    with pytest.raises(ValueError, match=r"too large for mean 0\.68"):
        induced_yield("bm_msc_3step", params=ps)


# --- secretion and engraftment --------------------------------------------------------------


def test_secretion_rises_with_glucose_and_saturates() -> None:
    glucose = np.linspace(0.0, 2000.0, 401)
    s = ipc_insulin_secretion(glucose, 1e8)
    assert np.all(np.diff(s) > 0)
    ps = load_module("ipc")
    per_cell_max = (
        ps.value("ipc_secretory_capacity_fraction")
        * ps.value("ipc_native_beta_cell_max_secretion")
        * 1e-6
    )
    plateau = 1e8 * per_cell_max
    assert s[-1] == pytest.approx(plateau, rel=0.01)
    assert ipc_insulin_secretion(1e6, 1e8) == pytest.approx(plateau, rel=1e-6)
    # half way between floor and plateau at the half-maximal glucose
    floor = plateau * ps.value("ipc_basal_secretion_fraction")
    half = ipc_insulin_secretion(ps.value("ipc_glucose_half_max"), 1e8)
    assert half == pytest.approx((floor + plateau) / 2)
    # steeper below the half-maximum than far above it
    assert (s[100] - s[50]) > (s[400] - s[350])


def test_secretion_scales_with_cells_and_is_a_fraction_of_native_beta_cells() -> None:
    one = ipc_insulin_secretion(150.0, 1.0)
    assert ipc_insulin_secretion(150.0, 1e9) == pytest.approx(1e9 * one)
    assert ipc_insulin_secretion(150.0, 0.0) == 0.0
    native = load_module("ipc").value("ipc_native_beta_cell_max_secretion") * 1e-6
    assert one < native
    with pytest.raises(ValueError, match="n_cells"):
        ipc_insulin_secretion(150.0, -1.0)


@pytest.mark.parametrize("route", ENGRAFTMENT_ROUTES)
def test_engraftment_survival_is_first_order_loss(route: str) -> None:
    ps = load_module("ipc")
    t = np.array([0.0, 1.0, 10.0, 100.0, 1000.0])
    f = ipc_engraftment_survival(t, route)
    assert f[0] == pytest.approx(ps.value(f"ipc_engraftment_{route}"))
    assert np.all(np.diff(f) < 0) and np.all(f >= 0)
    half = ps.value(f"ipc_graft_half_life_{route}")
    assert ipc_engraftment_survival(half, route) == pytest.approx(f[0] / 2)


def test_local_routes_keep_more_cells_than_iv() -> None:
    at_30 = {r: float(ipc_engraftment_survival(30.0, r)) for r in ENGRAFTMENT_ROUTES}
    assert at_30["kidney_capsule"] > at_30["portal_vein"] > at_30["iv"]


def test_unknown_route_is_refused_listing_routes() -> None:
    with pytest.raises(ValueError, match=r"route 'intranasal'.*portal_vein"):
        ipc_engraftment_survival(1.0, "intranasal")


# --- tumourigenicity signal -----------------------------------------------------------------


def test_tumourigenicity_signal_rises_monotonically_with_expansion() -> None:
    passages = np.arange(0, 31)
    sig = tumourigenicity_risk(passages)
    assert np.all(np.diff(sig.value) > 0)
    ref = load_module("ipc").value("ipc_tumourigenicity_reference_passage")
    assert float(tumourigenicity_risk(ref).value) == pytest.approx(1.0)


def test_tumourigenicity_signal_is_labelled_exploratory_and_not_a_probability() -> None:
    sig = tumourigenicity_risk(30)
    assert sig.evidence_level == "exploratory"
    assert sig.is_probability is False
    assert "NOT a probability" in sig.interpretation
    assert "exploratory" in sig.describe()
    assert float(sig.value) > 1.0  # unbounded: it cannot be read as a probability
    assert sig.source == "ipc_tang2012"
    with pytest.raises(ValueError, match="expansion_passages"):
        tumourigenicity_risk(-1)


# --- parameter table ------------------------------------------------------------------------


def test_ipc_parameters_have_sources_units_and_literature_yields() -> None:
    assert missing_sources() == []
    ps = load_module("ipc")
    ureg = unit_registry()
    for p in ps.parameters.values():
        ureg.parse_units(p.unit)
        assert p.note
        assert p.name.startswith("ipc_")
    for name in (
        "ipc_bm_insulin_positive_mean",
        "ipc_bm_insulin_positive_sd",
        "ipc_bm_glucagon_positive_mean",
        "ipc_bm_glucagon_positive_sd",
    ):
        assert ps[name].provenance == "literature"
    for name in ("ipc_secretory_capacity_fraction", "ipc_tumourigenicity_slope"):
        assert ps[name].provenance == "assumed"
