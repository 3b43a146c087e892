"""Macrophage polarisation (Frank 2021): the curated SBML, its steady states, and the MSC hook.

Numbers checked and why:
- BIOMD0000001060 in libRoadRunner (tight tolerances): both STATs within 1% at every 0.1 of
  t = 0..100 from the file's start (x1 = 1.2, x2 = 2), from an M1-dominant and an M2-dominant
  start, and on the M2 branch; and the right-hand sides agree at random states, so the
  equations, not only the trajectories, are the file's. The README's day-100 values (x1 = 0.595,
  x2 = 0.354) within their rounding.
- Steady states at the file's S1 = S2 = 3.75: bistable, M1 (x1 1.315, x2 0.217) and an
  uncommitted state (0.595, 0.354) with a saddle between; a brute-force scan of starts finds no
  other attractor. Over S2 the equilibrium curve folds four times (measured S2 = 2.5860, 3.7547,
  4.2891, 5.5932) and stability changes only there (no Hopf point). Rising S2 leaves M1 at 4.289
  and commits to M2 above 5.593; falling S2 leaves M2 below 3.755: the hysteresis. A slow
  up-and-down sweep of S2 switches where the folds say.
- MSC hook: M2 is not a steady state at the file's S2 (its fold is 0.005 above), so after a
  strong pulse the macrophage leaves M2 again, but for the uncommitted state, never back to M1;
  in tissue whose M2 cue sits in the tristable window (S2 = 4.0) it stays M2. A weak or brief
  pulse leaves an M1 macrophage M1.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mscsim.params import load_module, missing_sources, unit_registry
from mscsim.physiology.immune import (
    SBML_PARAMETERS,
    SBML_SPECIES,
    FrankParams,
    FrankState,
    MscPulse,
    branch_diagram,
    equilibrium_curve,
    fixed_points,
    folds,
    frank_initial_state,
    frank_jacobian,
    frank_params,
    frank_rates,
    macrophage_m1_to_m2,
    phenotype,
    simulate_frank,
    switch_thresholds,
)

BIOMODELS = Path(__file__).resolve().parents[1].parent / "shared" / "biomodels"
SBML = BIOMODELS / "BIOMD0000001060.xml"
needs_sbml = pytest.mark.skipif(
    not SBML.exists(),
    reason=f"curated SBML not found at {SBML} (../shared/biomodels/ beside the clone)",
)

T_README = np.linspace(0.0, 100.0, 1001)
# S2 inside the tristable window (3.755 < S2 < 4.289): M1, uncommitted and M2 all stable.
S2_TRISTABLE = 4.0


def _end(result_states: FrankState) -> FrankState:
    return FrankState(float(result_states.stat1[-1]), float(result_states.stat6[-1]))


def _stable(p: FrankParams, kind: str) -> FrankState:
    (fp,) = [f for f in fixed_points(p) if f.stable and f.phenotype == kind]
    return fp.state


def _close(a: FrankState, b: FrankState, rel: float = 1e-6) -> bool:
    return bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rel, atol=0.0))


def _roadrunner(start: FrankState | None = None, s2: float | None = None) -> Any:
    """The curated model in libRoadRunner, from `start` and with S2 replaced if given."""
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    if start is not None:
        for field, sid in SBML_SPECIES.items():
            rr.setValue(f"init([{sid}])", float(getattr(start, field)))
        rr.reset()
    # Set S2 last: changing an initial value makes libRoadRunner restore every parameter.
    if s2 is not None:
        rr["S2"] = s2
    return rr


# --- BIOMD0000001060 in libRoadRunner ---------------------------------------------------------

STARTS = {
    # name: (start, S2, phenotype at t = 100)
    "file_start": (None, None, "uncommitted"),
    "m1_dominant": (FrankState(2.0, 0.1), None, "M1"),
    "m2_dominant": (FrankState(0.1, 2.0), None, "uncommitted"),
    "m2_branch": (FrankState(0.1, 2.0), S2_TRISTABLE, "M2"),
}


@needs_sbml
@pytest.mark.parametrize("case", sorted(STARTS))
def test_frank_matches_roadrunner_within_one_percent(case: str) -> None:
    start, s2, fate = STARTS[case]
    rr = _roadrunner(start, s2)
    p = frank_params() if s2 is None else frank_params()._replace(m2_signal=s2)
    ref = rr.simulate(0.0, 100.0, T_README.size)
    assert np.allclose(np.asarray(ref["time"]), T_README)
    ours = simulate_frank(T_README, params=p, initial=start)
    for field, sid in SBML_SPECIES.items():
        a = np.asarray(getattr(ours.states, field))
        b = np.asarray(ref[f"[{sid}]"])
        dev = float(np.max(np.abs(a / b - 1.0)))
        assert dev < 0.01, f"{case} {sid}: largest relative deviation {dev:.2e}"
        assert dev < 1e-5, f"{case} {sid}: {dev:.2e} (measured at most 2.2e-6)"
    assert phenotype(_end(ours.states), p) == fate


@needs_sbml
def test_frank_rates_equal_the_sbml_right_hand_side_at_random_states() -> None:
    rr = _roadrunner()
    p = frank_params()
    rng = np.random.default_rng(5)
    for x1, x2 in rng.uniform(0.0, 3.0, size=(50, 2)):
        rr.model.setFloatingSpeciesConcentrations([x1, x2])
        ref = np.asarray(rr.model.getFloatingSpeciesConcentrationRates())
        ours = np.asarray(frank_rates(FrankState(x1, x2), p))
        assert np.allclose(ours, ref, rtol=1e-12, atol=1e-12), (x1, x2)


def test_day_100_matches_the_biomodels_readme() -> None:
    end = _end(simulate_frank(T_README).states)
    # The README gives three decimals.
    assert end.stat1 == pytest.approx(0.595, abs=5e-4)
    assert end.stat6 == pytest.approx(0.354, abs=5e-4)


@needs_sbml
def test_sbml_parameter_values_equal_the_table() -> None:
    ns = {"s": "http://www.sbml.org/sbml/level2/version4"}
    root = ET.parse(SBML).getroot()
    values = {
        p.get("id"): float(p.get("value", "nan"))
        for p in root.iterfind(".//s:listOfParameters/s:parameter", ns)
    }
    table = load_module("macrophage")
    for sid, name in SBML_PARAMETERS.items():
        assert values[sid] == table.value(name), f"SBML {sid} vs table {name}"
    # Every constant of the file is in the table; the rest are the Hill terms, assignment rules.
    constant = {p.get("id") for p in root.iterfind(".//s:listOfParameters/s:parameter", ns)} - {
        "H_plus_x1",
        "H_min_x_1",
        "H_plus_x2",
        "H_min_x2",
    }
    assert constant == set(SBML_PARAMETERS)
    species = {s.get("id"): s for s in root.iterfind(".//s:species", ns)}
    start = frank_initial_state()
    for field, sid in SBML_SPECIES.items():
        assert getattr(start, field) == float(species[sid].get("initialConcentration", "nan"))
    compartment = root.find(".//s:compartment", ns)
    assert compartment is not None and float(compartment.get("size", "nan")) == 1.0


def test_equations_give_the_same_rates_with_jax_and_numpy() -> None:
    jnp = pytest.importorskip("jax.numpy")
    p = frank_params()
    for y, e in [(FrankState(1.3, 0.2), 0.0), (FrankState(0.3, 1.5), 0.7)]:
        np_rates = np.asarray(frank_rates(y, p, e))
        jax_y = FrankState(jnp.asarray(y.stat1), jnp.asarray(y.stat6))
        jax_rates = np.asarray(frank_rates(jax_y, p, jnp.asarray(e)))
        assert np.allclose(jax_rates, np_rates, rtol=1e-5, atol=1e-6)


# --- steady states and the S2 branch diagram ---------------------------------------------------


def test_file_signals_make_the_macrophage_bistable_m1_or_uncommitted() -> None:
    p = frank_params()
    fps = fixed_points(p)
    assert [f.stable for f in fps] == [True, False, True]
    assert [f.phenotype for f in fps] == ["uncommitted", "uncommitted", "M1"]
    low, saddle, m1 = (f.state for f in fps)
    assert low.stat1 == pytest.approx(0.59518, abs=1e-5)
    assert low.stat6 == pytest.approx(0.35439, abs=1e-5)
    assert m1.stat1 == pytest.approx(1.31529, abs=1e-5)
    assert m1.stat6 == pytest.approx(0.21668, abs=1e-5)
    assert saddle.stat1 == pytest.approx(0.99440, abs=1e-5)
    for f in fps:
        assert np.allclose(np.asarray(frank_rates(f.state, p)), 0.0, atol=1e-12)
    # M1-dominant and M2-dominant starts go to different branches.
    t = np.linspace(0.0, 100.0, 11)
    assert _close(_end(simulate_frank(t, initial=FrankState(2.0, 0.1)).states), m1)
    assert _close(_end(simulate_frank(t, initial=FrankState(0.1, 2.0)).states), low)


@pytest.mark.parametrize("s2", [3.75, S2_TRISTABLE])
def test_a_scan_of_starts_finds_only_the_stable_fixed_points(s2: float) -> None:
    p = frank_params()._replace(m2_signal=s2)
    stable = [f.state for f in fixed_points(p) if f.stable]
    found: set[int] = set()
    t = np.array([0.0, 300.0])
    for x1 in np.linspace(0.0, 3.0, 9):
        for x2 in np.linspace(0.0, 3.0, 9):
            # Moderate tolerance: only the attractor reached matters here.
            res = simulate_frank(t, params=p, initial=FrankState(x1, x2), rtol=1e-8)
            end = _end(res.states)
            hits = [i for i, s in enumerate(stable) if _close(end, s, rel=1e-5)]
            assert hits, f"start ({x1}, {x2}) ended at {end}, not a listed attractor"
            found |= set(hits)
    assert found == set(range(len(stable)))
    assert len(stable) == (2 if s2 == 3.75 else 3)


def test_branch_diagram_folds_and_hysteresis_thresholds() -> None:
    p = frank_params()
    sw = switch_thresholds(p)
    assert sw.leave_m1 == pytest.approx(4.28908, abs=1e-4)
    assert sw.commit_m2 == pytest.approx(5.59317, abs=1e-4)
    assert sw.leave_m2 == pytest.approx(3.75466, abs=1e-4)
    assert sw.return_m1 == pytest.approx(2.58602, abs=1e-4)
    # Hysteresis: the S2 that commits an M1 cell to M2 is larger than the S2 at which M2 ends.
    assert sw.commit_m2 > sw.leave_m2
    # The file's S2 lies just below the M2 fold: M1 and uncommitted only.
    assert sw.return_m1 < p.m2_signal < sw.leave_m2
    fs = folds(p)
    assert sorted((f.branch, f.ends_when) for f in fs) == [
        ("M1", "rising"),
        ("M2", "falling"),
        ("uncommitted", "falling"),
        ("uncommitted", "rising"),
    ]
    for f in fs:
        # A saddle-node: steady, with a zero eigenvalue (det J = 0).
        q = p._replace(m2_signal=f.m2_signal)
        assert np.allclose(np.asarray(frank_rates(f.state, q)), 0.0, atol=1e-9)
        assert abs(np.linalg.det(frank_jacobian(f.state, q))) < 1e-4
    # Stability changes along the equilibrium curve only at the folds: no Hopf point.
    d = branch_diagram(p, s2_max=12.0, points=20001)
    changes = d.m2_signal[np.flatnonzero(np.diff(d.stable.astype(int)))]
    assert np.allclose(np.sort(changes), np.sort([f.m2_signal for f in fs]), atol=1e-2)
    assert {ph for ph, st in zip(d.phenotype, d.stable, strict=True) if st} == {
        "M1",
        "M2",
        "uncommitted",
    }
    # Each point of the diagram is a steady state at its own S2.
    for i in range(0, d.m2_signal.size, 500):
        q = p._replace(m2_signal=float(d.m2_signal[i]))
        y = FrankState(float(d.stat1[i]), float(d.stat6[i]))
        assert np.allclose(np.asarray(frank_rates(y, q)), 0.0, atol=1e-9)


def test_a_slow_sweep_of_s2_switches_where_the_folds_say() -> None:
    """Raise S2 step by step from M1, then lower it again, letting the cell settle each step."""
    p = frank_params()
    sw = switch_thresholds(p)
    up = np.round(np.arange(2.3, 6.51, 0.05), 2)
    down = up[::-1]
    t = np.array([0.0, 300.0])
    y = _stable(p._replace(m2_signal=2.3), "M1")
    path: list[tuple[float, str]] = []
    for s2 in [*up, *down]:
        q = p._replace(m2_signal=float(s2))
        y = _end(simulate_frank(t, params=q, initial=y).states)
        path.append((float(s2), phenotype(y, q)))
    rising, falling = path[: up.size], path[up.size :]
    first_not_m1 = next(s for s, ph in rising if ph != "M1")
    first_m2 = next(s for s, ph in rising if ph == "M2")
    assert sw.leave_m1 < first_not_m1 <= sw.leave_m1 + 0.05
    assert sw.commit_m2 < first_m2 <= sw.commit_m2 + 0.05
    first_not_m2 = next(s for s, ph in falling if ph != "M2")
    first_m1 = next(s for s, ph in falling if ph == "M1")
    assert sw.leave_m2 - 0.05 <= first_not_m2 < sw.leave_m2
    assert sw.return_m1 - 0.05 <= first_m1 < sw.return_m1
    # Between the switches the cell remembers where it came from.
    assert dict(rising)[5.0] == "uncommitted" and dict(falling)[5.0] == "M2"
    assert dict(rising)[4.0] == "M1" and dict(falling)[4.0] == "M2"


# --- the MSC hook macrophage_m1_to_m2 ------------------------------------------------------------


def test_hook_adds_an_m2_signal_bounded_by_its_maximum() -> None:
    p = frank_params()
    assert macrophage_m1_to_m2(0.0, p) == 0.0
    assert macrophage_m1_to_m2(1.0, p) == p.msc_m2_signal_max == 3.75
    y = FrankState(1.1, 0.4)
    raised = p._replace(m2_signal=p.m2_signal + macrophage_m1_to_m2(0.6, p))
    assert frank_rates(y, p, 0.6) == frank_rates(y, raised)
    # Full effect commits an M1 cell to M2; an effect of 0.14 does not even end M1 (0.144 does).
    sw = switch_thresholds(p)
    assert p.m2_signal + macrophage_m1_to_m2(1.0, p) > sw.commit_m2
    assert p.m2_signal + macrophage_m1_to_m2(0.14, p) < sw.leave_m1
    # Held at full effect, M2 is the only steady state.
    held = fixed_points(p, msc_effect=1.0)
    assert [(f.phenotype, f.stable) for f in held] == [("M2", True)]
    table = load_module("macrophage")
    entry = table["frank_msc_m2_signal_max"]
    assert "model_term macrophage_m1_to_m2" in entry.note
    assert entry.provenance == "assumed" and entry.source == "seed004_s1_2_2"


def _after_pulse(p: FrankParams, pulse: MscPulse, settle: float) -> tuple[FrankState, FrankState]:
    """(state at the pulse's end, state `settle` later), starting on the M1 branch."""
    t = np.array([0.0, pulse.stop, pulse.stop + settle])
    res = simulate_frank(t, params=p, initial=_stable(p, "M1"), msc=pulse)
    s = res.states
    return FrankState(s.stat1[1], s.stat6[1]), FrankState(s.stat1[2], s.stat6[2])


def test_strong_msc_pulse_ends_m1_for_good_at_the_file_signals() -> None:
    p = frank_params()
    at_end, later = _after_pulse(p, MscPulse(effect=1.0, start=1.0, stop=6.0), settle=500.0)
    assert phenotype(at_end, p) == "M2"
    # M2 is no steady state at S2 = 3.75 (its fold is at 3.7547), so the cell drifts off M2 ...
    assert phenotype(later, p) == "uncommitted"
    assert _close(later, _stable(p, "uncommitted"))
    # ... but along the way it never returns to M1 (the memory of the pulse).
    t = np.linspace(0.0, 500.0, 5001)
    res = simulate_frank(t, params=p, initial=at_end)
    assert np.all(res.states.stat1 < p.stat1_self_threshold)
    # It lingers near the vanished M2 state (a saddle-node ghost) for about 20 time units.
    leave = float(t[np.argmax(res.states.stat6 < p.stat6_self_threshold)])
    assert 10.0 < leave < 40.0


def test_strong_msc_pulse_leaves_a_lasting_m2_where_m2_is_stable() -> None:
    p = frank_params()._replace(m2_signal=S2_TRISTABLE)
    at_end, later = _after_pulse(p, MscPulse(effect=1.0, start=1.0, stop=6.0), settle=1000.0)
    assert phenotype(at_end, p) == "M2"
    assert _close(later, _stable(p, "M2"))


@pytest.mark.parametrize("s2", [3.75, S2_TRISTABLE])
@pytest.mark.parametrize(
    "pulse",
    [MscPulse(effect=0.1, start=1.0, stop=6.0), MscPulse(effect=1.0, start=1.0, stop=1.2)],
    ids=["weak", "brief"],
)
def test_weak_or_brief_msc_pulse_leaves_m1_macrophages_m1(s2: float, pulse: MscPulse) -> None:
    p = frank_params()._replace(m2_signal=s2)
    _, later = _after_pulse(p, pulse, settle=500.0)
    assert _close(later, _stable(p, "M1"))


@needs_sbml
def test_msc_pulse_matches_roadrunner_with_s2_switched() -> None:
    """The hook as the SBML sees it: S2 raised by the MSC share during the pulse."""
    p = frank_params()
    pulse = MscPulse(effect=1.0, start=1.0, stop=6.0)
    m1 = _stable(p, "M1")
    rr = _roadrunner(m1)
    pieces = []
    for lo, hi, e in [(0.0, 1.0, 0.0), (1.0, 6.0, 1.0), (6.0, 60.0, 0.0)]:
        rr["S2"] = p.m2_signal + macrophage_m1_to_m2(e, p)
        n = round((hi - lo) * 10) + 1
        pieces.append(np.asarray(rr.simulate(lo, hi, n))[(0 if lo == 0.0 else 1) :])
    ref = np.vstack(pieces)
    ours = simulate_frank(ref[:, 0], params=p, initial=m1, msc=pulse)
    for col, field in ((1, "stat1"), (2, "stat6")):
        dev = float(np.max(np.abs(np.asarray(getattr(ours.states, field)) / ref[:, col] - 1.0)))
        assert dev < 0.01, f"{field}: {dev:.2e}"


# --- inputs and the table --------------------------------------------------------------------


def test_bad_inputs_are_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"effect = 1\.5 must lie in \[0, 1\]"):
        MscPulse(effect=1.5, start=0.0, stop=1.0)
    with pytest.raises(ValueError, match=r"start = 2\.0 must be before stop = 1\.0"):
        MscPulse(effect=0.5, start=2.0, stop=1.0)
    with pytest.raises(ValueError, match=r"msc effect = -0\.2"):
        simulate_frank([0.0, 1.0], msc=-0.2)
    with pytest.raises(ValueError, match="strictly increasing"):
        simulate_frank([1.0, 0.0])
    one = simulate_frank([0.0])
    assert one.states.stat1[0] == 1.2 and one.states.stat6[0] == 2.0


def test_equilibrium_curve_is_nan_where_no_signal_can_hold_the_state() -> None:
    p = frank_params()
    x2, s2 = equilibrium_curve(np.array([0.0, 0.005, 2.5]), p)
    assert np.all(np.isnan(x2)) and np.all(np.isnan(s2))


def test_every_macrophage_unit_parses_and_every_source_is_known() -> None:
    table = load_module("macrophage")
    ureg = unit_registry()
    for p in table.parameters.values():
        ureg.parse_units(p.unit)
        assert p.name.startswith("frank_")
    assert missing_sources(table) == []
    assert missing_sources() == []
