"""Bone-remodelling bases against their curated SBML in libRoadRunner, and the BMD read-out.

Numbers checked and why:
- Komarova 2003 (BIOMD0000000148): every state within 1% at every day of 0..1000 days (measured
  about 1e-8), in two cases. (a) The file as written: flag_resorption and flag_formation start
  at 0 and, under SBML Level 2 semantics, an event whose trigger is already true at t = 0 does
  not fire, so resorption stays off until osteoclasts have dipped below their steady state and
  risen again; bone mass only rises (100 -> 114.06). (b) flag_resorption = 1 at t = 0, which
  makes the flags agree with the state: the paper's single remodelling cycle, in which bone mass
  dips to about 89.8% and returns to about 100% (../shared/biomodels/README.md). Case (b) is
  also the max() form of the equations that the engine uses.
- Lemaire 2004 (BIOMD0000000278): the file's initial state is the steady state, so agreement
  from there alone would be trivial; every state must also agree within 1% over 0..500 days from
  a displaced start (osteoclasts x3, responding osteoblasts x0.5) and under RANKL, OPG and PTH
  dosing (I_L, I_O, I_P), each of which moves the states by 20% to 20-fold (measured deviations
  about 2e-9).
- Every SBML parameter value and initial value equals the `bone` table's.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mscsim.params import load_module, missing_sources, unit_registry
from mscsim.physiology.osteoporosis import (
    KOMAROVA_SBML_INITIAL,
    KOMAROVA_SBML_PARAMETERS,
    KOMAROVA_SBML_SPECIES,
    KOMAROVA_SBML_SWITCHES,
    LEMAIRE_SBML_INITIAL,
    LEMAIRE_SBML_PARAMETERS,
    LEMAIRE_SBML_SPECIES,
    KomarovaState,
    KomarovaSwitches,
    LemaireParams,
    LemaireState,
    komarova_initial_state,
    komarova_params,
    komarova_rates,
    komarova_steady_state,
    lemaire_initial_state,
    lemaire_params,
    lemaire_rates,
    lumbar_spine_bmd,
    lumbar_spine_t_score,
    simulate_komarova,
    simulate_lemaire,
    young_adult_lumbar_bmd,
)

BIOMODELS = Path(__file__).resolve().parents[1].parent / "shared" / "biomodels"
KOMAROVA_SBML = BIOMODELS / "BIOMD0000000148.xml"
LEMAIRE_SBML = BIOMODELS / "BIOMD0000000278.xml"
needs_komarova_sbml = pytest.mark.skipif(
    not KOMAROVA_SBML.exists(),
    reason=f"curated SBML not found at {KOMAROVA_SBML} (../shared/biomodels/ beside the clone)",
)
needs_lemaire_sbml = pytest.mark.skipif(
    not LEMAIRE_SBML.exists(),
    reason=f"curated SBML not found at {LEMAIRE_SBML} (../shared/biomodels/ beside the clone)",
)

T_KOMAROVA = np.linspace(0.0, 1000.0, 1001)
T_LEMAIRE = np.linspace(0.0, 500.0, 501)


def _roadrunner(path: Path, **values: float) -> Any:
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(str(path))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-14
    for sid, v in values.items():
        rr[sid] = v
    return rr


def _largest_deviation(ours: np.ndarray, ref: np.ndarray) -> float:
    return float(np.max(np.abs(ours / ref - 1.0)))


def _sbml_root(path: Path) -> tuple[ET.Element, dict[str, str]]:
    root = ET.parse(path).getroot()
    ns = {"s": root.tag[1:].split("}")[0]}
    return root, ns


# --- Komarova 2003 against BioModels BIOMD0000000148 ------------------------------------------


@needs_komarova_sbml
@pytest.mark.parametrize(
    ("flag_resorption", "switches"),
    [(0.0, KOMAROVA_SBML_SWITCHES), (1.0, None)],
    ids=["file_as_written", "resorption_on_at_start"],
)
def test_komarova_matches_roadrunner_within_one_percent_over_1000_days(
    flag_resorption: float, switches: KomarovaSwitches | None
) -> None:
    """(a) The file as libRoadRunner runs it (Level 2: no event fires at t = 0, flags stay 0);
    (b) with flag_resorption = 1 at t = 0, the paper's remodelling cycle. In (b) we pass no
    switches: they follow from the initial state, as in the max() form of the paper."""
    rr = _roadrunner(KOMAROVA_SBML, flag_resorption=flag_resorption)
    ref = rr.simulate(0.0, 1000.0, T_KOMAROVA.size, ["time", *KOMAROVA_SBML_SPECIES.values()])
    assert np.allclose(np.asarray(ref["time"]), T_KOMAROVA)
    ours = simulate_komarova(T_KOMAROVA, switches=switches)
    for field, sid in KOMAROVA_SBML_SPECIES.items():
        dev = _largest_deviation(np.asarray(getattr(ours.states, field)), np.asarray(ref[sid]))
        assert dev < 0.01, f"{sid}: largest relative deviation {dev:.2e}"


@needs_komarova_sbml
@pytest.mark.parametrize("flag_resorption", [0.0, 1.0])
def test_komarova_switches_follow_the_file_events(flag_resorption: float) -> None:
    """Our switches equal the file's flags wherever the cells are not at their steady state.

    Once a state has decayed to within rounding of its steady state (after about day 370), both
    solvers flip the flags on noise; that has no effect on bone mass (checked above).
    """
    rr = _roadrunner(KOMAROVA_SBML, flag_resorption=flag_resorption)
    ref = rr.simulate(
        0.0, 1000.0, T_KOMAROVA.size, ["time", "x1", "x2", "flag_resorption", "flag_formation"]
    )
    switches = KOMAROVA_SBML_SWITCHES if flag_resorption == 0.0 else None
    ours = simulate_komarova(T_KOMAROVA, switches=switches)
    bars = komarova_steady_state(komarova_params())
    for i, (sid, flag) in enumerate([("x1", "flag_resorption"), ("x2", "flag_formation")]):
        clear = np.abs(np.asarray(ref[sid]) / bars[i] - 1.0) > 1e-6
        assert clear.sum() > 250  # covers the remodelling cycle (the first ~300 days)
        assert np.array_equal(np.asarray(ours.switches[i])[clear], np.asarray(ref[flag])[clear])


def test_komarova_file_as_written_never_resorbs_in_its_first_cycle() -> None:
    """Under Level 2 semantics the file skips resorption in the cycle: bone rises to about 114%.

    Resorption switches on only once osteoclasts have fallen below x1_bar and risen above it
    again, in the damped oscillation after the cycle, where the excess is tiny.
    """
    res = simulate_komarova(T_KOMAROVA, switches=KOMAROVA_SBML_SWITCHES)
    z = res.states.bone_mass
    first_on = T_KOMAROVA[np.argmax(res.switches.resorption == 1.0)]
    assert first_on > 150.0  # measured: day 190
    assert np.all(np.diff(z[first_on > T_KOMAROVA]) >= 0.0)
    assert float(z.min()) == 100.0
    assert z[-1] == pytest.approx(114.06, abs=0.01)  # ../shared/biomodels/README.md


def test_komarova_paper_cycle_dips_to_89_8_and_returns_to_100() -> None:
    """The paper's single remodelling cycle (Komarova 2003 Fig. 2, flag_resorption = 1 at 0)."""
    res = simulate_komarova(T_KOMAROVA)
    z = res.states.bone_mass
    assert float(z.min()) == pytest.approx(89.8, abs=0.05)  # measured 89.842
    assert z[-1] == pytest.approx(100.0, abs=0.05)  # measured 99.967: nearly bone-neutral
    assert 10.0 < T_KOMAROVA[np.argmin(z)] < 60.0  # resorption first, then formation
    p = komarova_params()
    x1_bar, x2_bar = komarova_steady_state(p)
    assert res.states.osteoclasts[-1] == pytest.approx(x1_bar, rel=1e-6)
    assert res.states.osteoblasts[-1] == pytest.approx(x2_bar, rel=1e-6)


def test_komarova_max_form_without_events_gives_the_paper_cycle() -> None:
    """The engine's form (max(), no switch state) integrates to the event-driven paper case."""
    p = komarova_params()

    def rhs(_: float, y: np.ndarray) -> np.ndarray:
        return np.asarray(komarova_rates(KomarovaState(*y), p, np), dtype=np.float64)

    y0 = np.asarray(komarova_initial_state(), dtype=np.float64)
    sol = solve_ivp(rhs, (0.0, 1000.0), y0, t_eval=T_KOMAROVA, method="DOP853", rtol=1e-10)
    events = simulate_komarova(T_KOMAROVA)
    for i, field in enumerate(KomarovaState._fields):
        dev = _largest_deviation(sol.y[i], np.asarray(getattr(events.states, field)))
        assert dev < 1e-5, field


def test_komarova_steady_state_is_a_fixed_point() -> None:
    p = komarova_params()
    x1_bar, x2_bar = komarova_steady_state(p)
    assert x1_bar == pytest.approx(1.06066, rel=1e-5)  # (b1/a1)^-1 (b2/a2)^(1/2)
    assert x2_bar == pytest.approx(212.132, rel=1e-5)
    rates = komarova_rates(KomarovaState(x1_bar, x2_bar, 100.0), p, np)
    assert np.allclose(rates, 0.0, atol=1e-12)


def test_komarova_refuses_switches_other_than_zero_or_one() -> None:
    with pytest.raises(ValueError, match=r"switch resorption = 0\.5 must be 0 or 1"):
        simulate_komarova(T_KOMAROVA[:5], switches=KomarovaSwitches(0.5, 0.0))
    with pytest.raises(ValueError, match="cell numbers must be positive"):
        simulate_komarova(T_KOMAROVA[:5], initial=KomarovaState(0.0, 212.0, 100.0))


@needs_komarova_sbml
def test_komarova_sbml_parameter_values_equal_the_table() -> None:
    root, ns = _sbml_root(KOMAROVA_SBML)
    values = {
        p.get("id"): float(p.get("value", "nan"))
        for p in root.iterfind(".//s:listOfParameters/s:parameter", ns)
    }
    table = load_module("bone")
    for sid, name in KOMAROVA_SBML_PARAMETERS.items():
        assert values[sid] == table.value(name), f"SBML {sid} vs table {name}"
    # The rest are computed (gamma by an assignment rule) or the event flags, which start at 0.
    assert set(values) - set(KOMAROVA_SBML_PARAMETERS) == {
        "gamma",
        "flag_resorption",
        "flag_formation",
    }
    assert values["flag_resorption"] == values["flag_formation"] == 0.0
    species = {
        s.get("id"): float(s.get("initialAmount", "nan")) for s in root.iterfind(".//s:species", ns)
    }
    for sid, name in KOMAROVA_SBML_INITIAL.items():
        assert species[sid] == table.value(name), sid
    y0 = komarova_initial_state()
    assert [species[s] for s in KOMAROVA_SBML_SPECIES.values()] == list(y0)
    p = komarova_params()
    assert (p.osteoclast_production, p.resorption_rate) == (values["alpha1"], values["k1"])


# --- Lemaire 2004 against BioModels BIOMD0000000278 -------------------------------------------


def _lemaire_case(case: str) -> tuple[dict[str, float], LemaireParams, LemaireState]:
    """SBML settings, our parameters and our initial state for one verification case."""
    p, y0 = lemaire_params(), lemaire_initial_state()
    if case == "steady_state":
        return {}, p, y0
    if case == "displaced_start":
        c0, r0 = 3.0 * y0.active_osteoclasts, 0.5 * y0.responding_osteoblasts
        return {"C": c0, "R": r0}, p, y0._replace(active_osteoclasts=c0, responding_osteoblasts=r0)
    doses = {
        "rankl_dose": ("I_L", "rankl_dose", 1.0e3),  # doubles RANKL: more osteoclasts
        "opg_dose": ("I_O", "opg_dose", 2.0e5),  # decoy receptor: osteoclasts collapse
        "pth_dose": ("I_P", "pth_dose", 1.0e3),  # continuous PTH
    }
    sid, field, value = doses[case]
    return {sid: value}, p._replace(**{field: value}), y0


LEMAIRE_CASES = ["steady_state", "displaced_start", "rankl_dose", "opg_dose", "pth_dose"]


@needs_lemaire_sbml
@pytest.mark.parametrize("case", LEMAIRE_CASES)
def test_lemaire_matches_roadrunner_within_one_percent_over_500_days(case: str) -> None:
    settings, p, y0 = _lemaire_case(case)
    rr = _roadrunner(LEMAIRE_SBML, **settings)
    ref = rr.simulate(0.0, 500.0, T_LEMAIRE.size, ["time", *LEMAIRE_SBML_SPECIES.values()])
    ours = simulate_lemaire(T_LEMAIRE, params=p, initial=y0)
    for field, sid in LEMAIRE_SBML_SPECIES.items():
        a, b = np.asarray(getattr(ours.states, field)), np.asarray(ref[sid])
        assert a[0] == pytest.approx(b[0], rel=1e-12), f"{sid}(0)"
        dev = _largest_deviation(a, b)
        assert dev < 0.01, f"{case} {sid}: largest relative deviation {dev:.2e}"


@pytest.mark.parametrize("case", LEMAIRE_CASES[1:])
def test_lemaire_perturbed_cases_move_the_states_so_the_check_is_not_trivial(case: str) -> None:
    _, p, y0 = _lemaire_case(case)
    res = simulate_lemaire(T_LEMAIRE, params=p, initial=y0)
    steady = np.asarray(lemaire_initial_state())[:, None]
    moved = _largest_deviation(np.asarray(res.states), steady)
    assert moved > 0.2, f"{case} moved the states by only {moved:.1%}"


def test_lemaire_file_state_is_its_steady_state() -> None:
    y0 = lemaire_initial_state()
    rates = np.asarray(lemaire_rates(y0, lemaire_params(), np))
    # The file rounds the steady state to 4 digits: rates are ~1e-5 of the state per day.
    assert np.all(np.abs(rates) < 1e-4 * np.asarray(y0))
    res = simulate_lemaire(T_LEMAIRE)
    assert _largest_deviation(np.asarray(res.states), np.asarray(y0)[:, None]) < 5e-4


def test_lemaire_rankl_raises_and_opg_lowers_osteoclasts() -> None:
    """The paper's RANKL/OPG directions: RANKL is catabolic, OPG reverses it."""
    base = simulate_lemaire(T_LEMAIRE).states.active_osteoclasts[-1]
    _, p_rankl, _ = _lemaire_case("rankl_dose")
    _, p_opg, _ = _lemaire_case("opg_dose")
    rankl = simulate_lemaire(T_LEMAIRE, params=p_rankl).states.active_osteoclasts[-1]
    opg = simulate_lemaire(T_LEMAIRE, params=p_opg).states.active_osteoclasts[-1]
    both = simulate_lemaire(
        T_LEMAIRE, params=p_rankl._replace(opg_dose=p_opg.opg_dose)
    ).states.active_osteoclasts[-1]
    assert opg < base < rankl
    assert both < rankl


@needs_lemaire_sbml
def test_lemaire_sbml_parameter_values_equal_the_table() -> None:
    root, ns = _sbml_root(LEMAIRE_SBML)
    declared = list(root.iterfind(".//s:listOfParameters/s:parameter", ns))
    values = {p.get("id"): float(p.get("value", "nan")) for p in declared if p.get("value")}
    # Every parameter with a value is in the table; the others are assignment-rule outputs.
    assert set(values) == set(LEMAIRE_SBML_PARAMETERS)
    table = load_module("bone")
    for sid, name in LEMAIRE_SBML_PARAMETERS.items():
        assert values[sid] == table.value(name), f"SBML {sid} vs table {name}"
    # The model constants carry the same numbers, each in the field its SBML id names.
    p = lemaire_params()
    assert (p.rank, p.opg_rankl_binding, p.rank_rankl_binding) == (10.0, 0.01, 0.00058)
    assert (p.opg_production_per_cell, p.rankl_per_cell) == (values["K_O_P"], values["K_L_P"])
    assert sorted(p) == sorted(values.values())
    species = {
        s.get("id"): float(s.get("initialConcentration", "nan"))
        for s in root.iterfind(".//s:species", ns)
    }
    for sid, name in LEMAIRE_SBML_INITIAL.items():
        assert species[sid] == table.value(name), sid
    assert list(lemaire_initial_state()) == [species[s] for s in LEMAIRE_SBML_SPECIES.values()]


# --- both models: numpy and jax give the same rates ---------------------------------------------


def test_equations_give_the_same_rates_with_jax_and_numpy() -> None:
    jnp = pytest.importorskip("jax.numpy")
    pk = komarova_params()
    yk = KomarovaState(4.2, 230.0, 95.0)
    np_k = np.asarray(komarova_rates(yk, pk, np))
    jax_k = np.asarray(komarova_rates(KomarovaState(*map(jnp.asarray, yk)), pk, jnp))
    assert np.allclose(jax_k, np_k, rtol=1e-5)
    pl = lemaire_params()._replace(rankl_dose=500.0)
    yl = LemaireState(8e-4, 7e-4, 1.2e-3)
    np_l = np.asarray(lemaire_rates(yl, pl, np))
    jax_l = np.asarray(lemaire_rates(LemaireState(*map(jnp.asarray, yl)), pl, jnp))
    assert np.allclose(jax_l, np_l, rtol=1e-4, atol=1e-4 * np.abs(np_l).max())


# --- BMD read-out and the table -----------------------------------------------------------------


def test_steady_state_bone_reads_as_the_young_adult_lumbar_bmd() -> None:
    mean, sd = young_adult_lumbar_bmd()
    assert (mean, sd) == (1.064, 0.106)
    assert lumbar_spine_bmd(1.0) == mean
    assert lumbar_spine_t_score(lumbar_spine_bmd(1.0)) == 0.0
    # A 10% loss of bone mass is a 10% loss of BMD, about -1 T-score unit.
    assert lumbar_spine_bmd(0.9) == pytest.approx(0.9 * mean)
    assert lumbar_spine_t_score(lumbar_spine_bmd(0.9)) == pytest.approx(-1.004, abs=1e-3)
    # WHO osteoporosis (T <= -2.5) needs about 25% less bone than the young-adult mean.
    assert (
        lumbar_spine_t_score(lumbar_spine_bmd(0.75))
        < -2.5
        < lumbar_spine_t_score(lumbar_spine_bmd(0.76))
    )


def test_bmd_scales_a_patients_own_baseline_and_arrays() -> None:
    z = simulate_komarova(T_KOMAROVA).states.bone_mass
    bmd = lumbar_spine_bmd(z / 100.0, reference_g_cm2=0.95)
    assert bmd.shape == z.shape and bmd[0] == pytest.approx(0.95)
    assert float(bmd.min()) == pytest.approx(0.95 * 0.8984, rel=1e-3)
    with pytest.raises(ValueError, match=r"reference_g_cm2 = -1\.0 must be a positive BMD"):
        lumbar_spine_bmd(1.0, reference_g_cm2=-1.0)


def test_every_bone_unit_parses_and_every_source_is_known() -> None:
    table = load_module("bone")
    ureg = unit_registry()
    for p in table.parameters.values():
        ureg.parse_units(p.unit)
        assert p.name.startswith(("komarova_", "lemaire_", "bmd_", "op_")), p.name
        assert p.note, p.name
    assert missing_sources(table) == []
    assert missing_sources() == []
