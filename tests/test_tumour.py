"""Tumour module: Jenner 2019 against its curated SBML, Gompertz natural history, and the MSC
effect in both published directions (seed 000 §2.6), with its range and exploratory label.

Numbers checked and why:
- Jenner 2019 (BIOMD0000000850, libRoadRunner, tight tolerances): every state within 1% at every
  0.1 day of 0..100 days, from the file's start (U 75, I 100, V 10) and from another start with
  more virus (U 20, I 5, V 50); the README's day-100 values U 44.5, I 268.1, V 25.7 within their
  rounding; the file's parameter values and initial concentrations equal the table.
- Natural history: without virus U follows the Gompertz closed form K exp(ln(U0/K) e^(-m t));
  the acceptance tolerance is 1% (measured about 3e-11), and a straight-line fit of
  ln ln(K/U) against time returns -m within 1%. The untreated arm of the MSC model is the same
  curve in mm3.
- MSC effect: a direction set by the named profile (an input): promoting > control > suppressing
  at the point values and over each profile's whole documented range; neutral spans both signs.
  The carrier payload shrinks the tumour more intratumorally than iv (more cells home).
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from mscsim.params import load_module, missing_sources, unit_registry
from mscsim.physiology.tumour import (
    EVIDENCE_LEVEL,
    NO_EFFECT,
    PROFILE_EVIDENCE,
    PROFILES,
    PROMOTING_TERMS,
    ROUTES,
    SBML_INITIAL,
    SBML_PARAMETERS,
    SBML_SPECIES,
    SUPPRESSING_TERMS,
    JennerState,
    MscTumourEffects,
    MscTumourTreatment,
    Profile,
    Route,
    carrier_params,
    estimate_msc_effect,
    gompertz_solution,
    homed_cells,
    jenner_initial_state,
    jenner_params,
    jenner_rates,
    profile_effects,
    simulate_jenner,
    simulate_tumour,
    tumour_initial_state,
    tumour_rates,
    volume_scale,
)

BIOMODELS = Path(__file__).resolve().parents[1].parent / "shared" / "biomodels"
SBML = BIOMODELS / "BIOMD0000000850.xml"
needs_sbml = pytest.mark.skipif(
    not SBML.exists(),
    reason=f"curated SBML not found at {SBML} (../shared/biomodels/ beside the clone)",
)
NS = {"s": "http://www.sbml.org/sbml/level2/version4", "m": "http://www.w3.org/1998/Math/MathML"}

T_100 = np.linspace(0.0, 100.0, 1001)
T_TRIAL = np.linspace(0.0, 28.0, 113)  # four weeks, every 6 h: a mouse xenograft study
DOSE = 1.0e6  # cells per injection, a usual mouse dose


def _roadrunner(start: JennerState | None = None) -> dict[str, np.ndarray]:
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    if start is not None:
        for field, sid in SBML_SPECIES.items():
            rr[f"init([{sid}])"] = float(getattr(start, field))
        rr.reset()
    ref = rr.simulate(0.0, 100.0, T_100.size)
    assert np.allclose(np.asarray(ref["time"]), T_100)
    return {sid: np.asarray(ref[f"[{sid}]"]) for sid in SBML_SPECIES.values()}


# --- Jenner 2019 against BioModels BIOMD0000000850 -------------------------------------------


@needs_sbml
@pytest.mark.parametrize(
    "start", [None, JennerState(20.0, 5.0, 50.0)], ids=["file_start", "more_virus"]
)
def test_jenner_matches_roadrunner_within_one_percent_over_100_days(
    start: JennerState | None,
) -> None:
    ref = _roadrunner(start)
    ours = simulate_jenner(T_100, initial=start)
    for field, sid in SBML_SPECIES.items():
        a = np.asarray(getattr(ours.states, field))
        dev = float(np.max(np.abs(a / ref[sid] - 1.0)))
        assert dev < 0.01, f"{sid}: largest relative deviation {dev:.2e}"
        assert dev < 1e-5, f"{sid}: {dev:.2e} (measured about 1e-8: same equations)"


@needs_sbml
def test_untreated_tumour_matches_roadrunner_and_the_gompertz_closed_form() -> None:
    start = JennerState(10.0, 0.0, 0.0)
    ref = _roadrunner(start)
    closed = gompertz_solution(T_100, 10.0, jenner_params())
    assert float(np.max(np.abs(ref["U"] / closed - 1.0))) < 1e-6
    assert np.all(ref["I"] == 0.0) and np.all(ref["V"] == 0.0)


def test_jenner_day_100_matches_the_biomodels_readme() -> None:
    ours = simulate_jenner(T_100)
    at_100 = {sid: float(getattr(ours.states, f)[-1]) for f, sid in SBML_SPECIES.items()}
    # The README gives one decimal: half a unit of the last digit, relative, is within 0.2%.
    for sid, value in {"U": 44.5, "I": 268.1, "V": 25.7}.items():
        assert at_100[sid] == pytest.approx(value, abs=0.05), sid


@needs_sbml
def test_sbml_values_equal_the_table() -> None:
    root = ET.parse(SBML).getroot()
    values = {
        p.get("id"): float(p.get("value", "nan"))
        for p in root.iterfind(".//s:listOfParameters/s:parameter", NS)
    }
    table = load_module("tumour")
    assert set(values) == set(SBML_PARAMETERS)
    for sid, name in SBML_PARAMETERS.items():
        assert values[sid] == table.value(name), f"SBML {sid} vs table {name}"
    species = {s.get("id"): s for s in root.iterfind(".//s:species", NS)}
    for sid, name in SBML_INITIAL.items():
        assert float(species[sid].get("initialConcentration", "nan")) == table.value(name), sid
    assert tuple(jenner_initial_state()) == (75.0, 100.0, 10.0)
    # Concentrations are amounts: one compartment of size 1 mL.
    (comp,) = root.iterfind(".//s:compartment", NS)
    assert float(comp.get("size", "nan")) == 1.0
    # Infection rate and burst size are 1 in the file: the conversion law U V/(U + I) has no
    # number in it, and every stoichiometry (I -> V on lysis included) is 1.
    conv = next(
        f
        for f in root.iterfind(".//s:functionDefinition", NS)
        if f.get("id") == "Function_for_Conversion_Uninfected_to_Infected"
    )
    assert list(conv.iterfind(".//m:cn", NS)) == []
    assert table.value("jenner_infection_rate") == 1.0
    stoich = [
        float(r.get("stoichiometry", "nan")) for r in root.iterfind(".//s:speciesReference", NS)
    ]
    assert stoich and all(s == 1.0 for s in stoich)
    assert table.value("jenner_burst_size") == 1.0


def test_jenner_equations_give_the_same_rates_with_jax_and_numpy() -> None:
    jnp = pytest.importorskip("jax.numpy")
    y = JennerState(44.5, 268.1, 25.7)
    p = jenner_params()
    np_rates = np.asarray(jenner_rates(3.0, y, p, np))
    jax_rates = np.asarray(jenner_rates(3.0, JennerState(*map(jnp.asarray, y)), p, jnp))
    assert np.allclose(jax_rates, np_rates, rtol=1e-5, atol=1e-5)
    tr = MscTumourTreatment(DOSE, "intratumoral", "promoting", (0.0, 7.0), payload=True)
    cp = carrier_params("intratumoral")
    eff = profile_effects("promoting")
    out = []
    for xp in (np, jnp):
        h = homed_cells(xp.asarray(9.0), tr.dose_cells, tr.schedule_days, cp, xp)
        out.append(np.asarray(tumour_rates(9.0, y, p, eff, h, cp, 1.0, xp)))
    assert np.allclose(out[1], out[0], rtol=1e-5, atol=1e-5)


# --- natural history: Gompertz ---------------------------------------------------------------


def test_without_virus_the_tumour_follows_the_gompertz_closed_form() -> None:
    p = jenner_params()
    for u0 in (1.0, 10.0, 75.0, 150.0):  # from far below and from above the plateau K = 100
        res = simulate_jenner(T_100, initial=JennerState(u0, 0.0, 0.0))
        closed = gompertz_solution(T_100, u0, p)
        dev = float(np.max(np.abs(res.states.uninfected / closed - 1.0)))
        assert dev < 0.01, f"U0 = {u0}: {dev:.2e}"
        assert dev < 1e-6, f"U0 = {u0}: {dev:.2e} (measured about 3e-11)"


def test_log_volume_fit_recovers_the_gompertz_rate() -> None:
    """ln ln(K/U) is a straight line in t with slope -m: the signature of Gompertz growth."""
    p = jenner_params()
    res = simulate_jenner(T_100, initial=JennerState(1.0, 0.0, 0.0))
    z = np.log(np.log(p.carrying_capacity / res.states.uninfected))
    mask = T_100 <= 60.0  # beyond, U is within 0.3% of K and ln(K/U) loses digits
    slope, intercept = np.polyfit(T_100[mask], z[mask], 1)
    assert -slope == pytest.approx(p.growth_rate, rel=0.01)
    assert np.exp(intercept) == pytest.approx(np.log(p.carrying_capacity / 1.0), rel=0.01)
    growth = np.diff(res.states.uninfected)
    assert np.all(growth > 0)  # growth slows but never stops below K


def test_control_arm_volume_is_the_gompertz_curve_in_mm3() -> None:
    res = simulate_tumour(T_TRIAL)
    p = jenner_params()
    closed = volume_scale() * gompertz_solution(T_TRIAL, 10.0, p)
    assert res.volume_mm3[0] == pytest.approx(100.0)
    assert float(np.max(np.abs(res.volume_mm3 / closed - 1.0))) < 1e-6
    assert res.evidence_level == EVIDENCE_LEVEL == "exploratory"
    assert np.all(res.homed_msc == 0.0)


# --- MSC effect: both directions, set by documented inputs ------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_promoting_profile_grows_faster_and_suppressing_slower_than_control(route: Route) -> None:
    control = simulate_tumour(T_TRIAL).volume_mm3
    vol = {
        prof: simulate_tumour(T_TRIAL, MscTumourTreatment(DOSE, route, prof, (0.0, 7.0))).volume_mm3
        for prof in PROFILES
    }
    after = T_TRIAL > 0
    assert np.all(vol["promoting"][after] > control[after])
    assert np.all(vol["suppressing"][after] < control[after])
    # Neutral balances both channels at the point values: no change at all.
    assert np.allclose(vol["neutral"], control, rtol=1e-7)
    growth = {k: np.log(v[-1] / v[0]) for k, v in vol.items()}
    assert growth["promoting"] > np.log(control[-1] / control[0]) > growth["suppressing"]


def test_direction_follows_each_profile_over_its_whole_range() -> None:
    directions = {
        prof: estimate_msc_effect(
            MscTumourTreatment(DOSE, "intratumoral", prof, (0.0, 7.0)),
            day=28.0,
        )
        for prof in PROFILES
    }
    assert directions["promoting"].direction == "promotion"
    assert directions["suppressing"].direction == "suppression"
    neutral = directions["neutral"]
    assert neutral.direction == "undetermined"
    assert neutral.relative_change_low < -0.1 and neutral.relative_change_high > 0.1
    assert directions["promoting"].net_effect > 0 > directions["suppressing"].net_effect
    assert neutral.net_effect == pytest.approx(0.0, abs=1e-12)
    assert neutral.net_effect_low < 0 < neutral.net_effect_high


def test_each_term_moves_the_tumour_in_its_documented_direction() -> None:
    control = simulate_tumour(T_TRIAL).volume_mm3[-1]
    tr = MscTumourTreatment(DOSE, "intratumoral", "neutral", (0.0,))
    for term in PROMOTING_TERMS + SUPPRESSING_TERMS:
        eff = NO_EFFECT._replace(**{term: 0.3})
        v = simulate_tumour(T_TRIAL, tr, effects=eff).volume_mm3[-1]
        if term in PROMOTING_TERMS:
            assert v > control, term
        else:
            assert v < control, term
    # All terms at zero: the MSCs change nothing (the base model is untouched).
    same = simulate_tumour(T_TRIAL, tr, effects=NO_EFFECT).volume_mm3
    assert np.allclose(same, simulate_tumour(T_TRIAL).volume_mm3, rtol=1e-8)


def test_profile_ranges_keep_their_sign_and_the_levels_order_the_terms() -> None:
    for prof in PROFILES:
        low = profile_effects(prof, level="low")
        value = profile_effects(prof, level="value")
        high = profile_effects(prof, level="high")
        assert low.net <= value.net <= high.net, prof
        assert PROFILE_EVIDENCE.get(prof)
    # Each channel keeps its sign over the whole documented range of a directed profile.
    for level in ("low", "high"):
        pro = profile_effects("promoting", level=level)
        sup = profile_effects("suppressing", level=level)
        assert pro.angiogenesis - pro.anti_angiogenesis > 0
        assert pro.emt + pro.caf_recruitment - pro.contact_inhibition > 0
        assert sup.angiogenesis - sup.anti_angiogenesis < 0
        assert sup.emt + sup.caf_recruitment - sup.contact_inhibition < 0


def test_more_msc_exposure_means_a_larger_effect() -> None:
    control = simulate_tumour(T_TRIAL).volume_mm3[-1]
    signs: dict[Profile, float] = {"promoting": 1.0, "suppressing": -1.0}
    for prof, sign in signs.items():
        final = [
            simulate_tumour(T_TRIAL, MscTumourTreatment(d, "intratumoral", prof)).volume_mm3[-1]
            for d in (1e4, 1e5, 1e6)
        ]
        changes = [sign * (v - control) for v in final]
        assert 0 < changes[0] < changes[1] < changes[2], (prof, changes)


# --- MSC as drug carrier -------------------------------------------------------------------------


def test_payload_shrinks_the_tumour_more_intratumorally_than_iv() -> None:
    def final(route: Route, payload: bool) -> float:
        tr = MscTumourTreatment(DOSE, route, "neutral", (0.0, 7.0), payload=payload)
        return simulate_tumour(T_TRIAL, tr).volume_mm3[-1]

    reduction = {r: final(r, False) - final(r, True) for r in ROUTES}
    assert reduction["iv"] > 0
    assert reduction["intratumoral"] > 2.0 * reduction["iv"]
    assert final("intratumoral", True) < final("iv", True)


def test_homed_cells_follow_route_homing_and_decay_between_doses() -> None:
    tr = MscTumourTreatment(DOSE, "intratumoral", "neutral", (0.0, 7.0))
    res = simulate_tumour(T_TRIAL, tr)
    cp = carrier_params("intratumoral")
    assert res.homed_msc[0] == pytest.approx(DOSE * cp.homing_fraction)
    i3 = int(np.argmin(np.abs(T_TRIAL - cp.msc_half_life)))
    assert res.homed_msc[i3] == pytest.approx(0.5 * DOSE * cp.homing_fraction)
    i7 = int(np.argmin(np.abs(T_TRIAL - 7.0)))
    assert res.homed_msc[i7] > res.homed_msc[i7 - 1]  # the second dose arrives on day 7
    iv = simulate_tumour(T_TRIAL, dataclasses.replace(tr, route="iv"))
    assert iv.homed_msc[0] / res.homed_msc[0] == pytest.approx(
        carrier_params("iv").homing_fraction / cp.homing_fraction
    )


def test_integration_is_converged_across_dose_jumps() -> None:
    tr = MscTumourTreatment(DOSE, "intratumoral", "promoting", (0.0, 3.3, 7.0), payload=True)
    a = simulate_tumour(T_TRIAL, tr, rtol=1e-9).volume_mm3
    b = simulate_tumour(T_TRIAL, tr, rtol=1e-12, method="Radau").volume_mm3
    assert float(np.max(np.abs(a / b - 1.0))) < 1e-6


# --- reported effect: range and label -------------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("payload", [False, True])
def test_reported_range_brackets_the_point_and_is_labelled_exploratory(
    profile: Profile, payload: bool
) -> None:
    tr = MscTumourTreatment(DOSE, "intratumoral", profile, (0.0, 7.0), payload=payload)
    eff = estimate_msc_effect(tr, day=28.0)
    assert eff.low_mm3 <= eff.point_mm3 <= eff.high_mm3
    assert eff.low_mm3 < eff.high_mm3  # a real range, not one number
    assert eff.net_effect_low <= eff.net_effect <= eff.net_effect_high
    assert eff.evidence_level == "exploratory"
    assert "exploratory" in eff.describe() and "EXPLORATORY" in eff.interpretation
    # The point equals a plain simulation with the table values.
    sim = simulate_tumour(np.array([0.0, 28.0]), tr).volume_mm3[-1]
    assert eff.point_mm3 == pytest.approx(sim, rel=1e-6)
    assert eff.control_mm3 == pytest.approx(simulate_tumour(T_TRIAL).volume_mm3[-1], rel=1e-6)
    n_ranged = 8 + (2 if payload else 0)
    assert len(eff.varied) == n_ranged


def test_adjuvant_start_after_debulking_is_smaller_in_every_arm() -> None:
    start = tumour_initial_state(debulking_fraction=0.9)
    assert start.uninfected == pytest.approx(1.0)
    tr = MscTumourTreatment(DOSE, "intratumoral", "suppressing")
    eff = estimate_msc_effect(tr, day=28.0, initial=start)
    assert eff.control_mm3 < estimate_msc_effect(tr, day=28.0).control_mm3
    assert eff.direction == "suppression"


# --- bad input ------------------------------------------------------------------------------------


def test_bad_inputs_are_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="route 'oral' not known; use one of intratumoral, iv"):
        MscTumourTreatment(DOSE, "oral", "neutral")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="profile 'helpful' not known"):
        MscTumourTreatment(DOSE, "iv", "helpful")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"dose_cells = -1\.0"):
        MscTumourTreatment(-1.0, "iv", "neutral")
    with pytest.raises(ValueError, match="strictly increasing"):
        MscTumourTreatment(DOSE, "iv", "neutral", (7.0, 0.0))
    with pytest.raises(ValueError, match=r"debulking_fraction = 1\.0"):
        tumour_initial_state(debulking_fraction=1.0)
    with pytest.raises(ValueError, match="initial uninfected"):
        simulate_jenner(T_100, initial=JennerState(0.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="t_eval"):
        simulate_tumour([0.0, 5.0, 2.0])
    with pytest.raises(ValueError, match=r"day = 0\.0"):
        estimate_msc_effect(MscTumourTreatment(DOSE, "iv", "neutral"), day=0.0)
    with pytest.raises(TypeError):
        MscTumourTreatment(DOSE, "iv")  # type: ignore[call-arg]  # the profile is never a default


def test_custom_effects_are_used_instead_of_the_profile() -> None:
    tr = MscTumourTreatment(DOSE, "intratumoral", "promoting")
    custom = MscTumourEffects(contact_inhibition=0.4)
    v = simulate_tumour(T_TRIAL, tr, effects=custom).volume_mm3[-1]
    assert v < simulate_tumour(T_TRIAL).volume_mm3[-1]


# --- the parameter table -------------------------------------------------------------------------


def test_every_tumour_unit_parses_and_every_source_is_known() -> None:
    table = load_module("tumour")
    ureg = unit_registry()
    for p in table.parameters.values():
        ureg.parse_units(p.unit)
        assert p.name.startswith(("jenner_", "tumour_")), p.name
    assert missing_sources(table) == []
    assert missing_sources() == []


def test_msc_terms_are_assumed_and_carry_their_documented_range() -> None:
    table = load_module("tumour")
    for prof in PROFILES:
        for term in PROMOTING_TERMS + SUPPRESSING_TERMS:
            p = table[f"tumour_{term}_{prof}"]
            assert f"model_term {term}" in p.note
            assert p.provenance == "assumed" and p.unit == "dimensionless"
            assert 0.0 <= p.lower <= p.value <= p.upper < 1.0  # factors stay positive
    for name in ("jenner_growth_rate", "jenner_carrying_capacity"):
        assert table[name].provenance == "literature"
