"""Verification against the published Topp 2000 model (BioModels BIOMD0000000341, libRoadRunner).

The T2DM module is Topp's beta-cell/insulin/glucose model with extra terms; with those terms
switched off (`topp_model`) both of our paths must reproduce the curated SBML file as simulated by
libRoadRunner (CVODE, tight tolerances): the SciPy reference path on the full stiff model, and the
fast engine, whose glucose and insulin sit on the slow manifold (quasi-steady state).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from mscsim.engine._reference import simulate_topp, topp_fast
from mscsim.params import load_parameters

roadrunner = pytest.importorskip("roadrunner")

SBML = Path(__file__).resolve().parents[1].parent / "shared" / "biomodels" / "BIOMD0000000341.xml"
DAYS = 365
REL_TOL = 0.01
# The file's start (G, I) = (250, 2.8) is off the slow manifold for B0 != 37: glucose relaxes
# onto it at rate EG0 + SI*I, i.e. within hours on the healthy side and with an e-folding time
# of up to ~0.4 day at the low insulin of the diabetic side. The fast path starts on the manifold
# by construction, so the first days measure that initial layer, not the reduction.
SKIP_DAYS_HEALTHY = 1
SKIP_DAYS_DIABETIC = 3

pytestmark = pytest.mark.skipif(
    not SBML.exists(),
    reason=f"curated SBML not found at {SBML} (../shared/biomodels/ beside the clone)",
)


def _topp_params() -> dict[str, float]:
    v = load_parameters().flat()
    return {name: v[name] for name in ("R0", "EG0", "SI", "sigma", "alpha", "k", "d0", "r1", "r2")}


def _roadrunner(
    g0: float, i0: float, b0: float, overrides: Mapping[str, float] | None = None
) -> dict[str, np.ndarray]:
    r = roadrunner.RoadRunner(str(SBML))
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-12
    for name, value in (overrides or {}).items():
        r.setValue(name, value)
    r.setValue("G", g0)
    r.setValue("I", i0)
    r.setValue("B", b0)
    res = r.simulate(0, DAYS, DAYS + 1)
    return {name: np.asarray(res[name]) for name in ("time", "G", "I", "B")}


def _max_rel(ours: Mapping[str, np.ndarray], rr: Mapping[str, np.ndarray], skip: int) -> dict:
    return {k: float(np.max(np.abs(ours[k][skip:] / rr[k][skip:] - 1.0))) for k in ("G", "I", "B")}


def test_parameter_table_is_the_published_model() -> None:
    """params/data/topp2000.yaml holds the numbers of the curated file."""
    r = roadrunner.RoadRunner(str(SBML))
    sbml_names = {"R0": "R0", "EG0": "Eg0", "SI": "si", "sigma": "sigma", "alpha": "alpha"}
    sbml_names |= {"k": "k", "d0": "d0", "r1": "r1", "r2": "r2"}
    p = _topp_params()
    for ours, theirs in sbml_names.items():
        assert p[ours] == pytest.approx(r.getValue(theirs), rel=1e-12), ours


def test_reference_path_reproduces_roadrunner_from_the_saddle_start() -> None:
    """Full stiff model (Radau) from the file's own start, which sits on the saddle.

    From there a 0.2% change of B0 flips the fate, so only the un-reduced model with tight
    tolerances is expected to follow roadrunner (it reaches the healthy state, B = 266 at day 365).
    """
    rr = _roadrunner(250.0, 2.8, 37.0)
    ours = simulate_topp(250.0, 2.8, 37.0, _topp_params(), rr["time"])
    dev = _max_rel(ours, rr, skip=0)
    assert max(dev.values()) < REL_TOL, dev
    assert ours["B"][-1] == pytest.approx(266.2, rel=1e-3)


@pytest.mark.parametrize(
    ("g0", "i0", "b0"),
    [
        (250.0, 2.8, 150.0),  # hyperglycaemic start, healthy basin: B recovers towards 300
        (100.0, 10.0, 200.0),  # near-normal glucose with reduced beta-cell mass: healthy basin
        (100.0, 10.0, 300.0),  # the physiological fixed point must stay put
    ],
)
def test_fast_path_follows_roadrunner_in_the_healthy_basin(g0: float, i0: float, b0: float) -> None:
    """Fast engine (QSS glucose/insulin, RK4 day steps) within 1% on G, I, B from day 1 on.

    Day 0 is skipped: roadrunner starts off the slow manifold and relaxes in hours (see
    SKIP_DAYS_HEALTHY); the engine starts on it.
    """
    rr = _roadrunner(g0, i0, b0)
    fast = topp_fast(np.asarray([b0]), _topp_params(), DAYS)
    ours = {k: fast[k][:, 0] for k in ("G", "I", "B")}
    dev = _max_rel(ours, rr, skip=SKIP_DAYS_HEALTHY)
    assert max(dev.values()) < REL_TOL, dev


@pytest.mark.parametrize("b0", [20.0, 30.0])
def test_fast_path_follows_roadrunner_in_the_diabetic_basin_at_human_turnover(b0: float) -> None:
    """Diabetic basin with Topp's growth/death rates on the human beta-cell turnover scale.

    The T2DM module runs Topp's beta-cell rates slowed by kappa_h = 1/(turnover time x d0)
    (about 1/500): this is the regime the engine is used in, and there the slow manifold is
    attracting by orders of magnitude. Roadrunner runs the same file with d0, r1, r2 scaled.
    """
    v = load_parameters().flat()
    kappa_h = 1.0 / (v["beta_turnover_time"] * v["d0"])
    p = _topp_params()
    scaled = {name: p[name] * kappa_h for name in ("d0", "r1", "r2")}
    rr = _roadrunner(250.0, 2.8, b0, overrides=scaled)
    fast = topp_fast(np.asarray([b0]), p | scaled, DAYS)
    ours = {k: fast[k][:, 0] for k in ("G", "I", "B")}
    dev = _max_rel(ours, rr, skip=SKIP_DAYS_DIABETIC)
    assert max(dev.values()) < REL_TOL, dev
    assert rr["B"][-1] < b0  # still on the way down: the diabetic fate


@pytest.mark.xfail(
    strict=True,
    reason=(
        "QSS reduction is not valid during Topp's rat-scale beta-cell collapse: net death reaches "
        "0.42/day at G = 600 while glucose relaxes at only EG0 + SI*I ~ 1.5-2.6/day, so glucose "
        "lags its quasi-steady value (up to 6% at day 15) and B falls too fast (B 3.65 vs 4.73 at "
        "day 15, then a constant ~2x ratio as B -> 0). Not the engine's operating regime "
        "(kappa_h ~ 1/500, tested above)."
    ),
)
def test_fast_path_follows_roadrunner_in_the_diabetic_basin_at_rat_turnover() -> None:
    """B0 = 20 with the file's G0, I0 and the published (rat-scale) rates."""
    rr = _roadrunner(250.0, 2.8, 20.0)
    fast = topp_fast(np.asarray([20.0]), _topp_params(), DAYS)
    ours = {k: fast[k][:, 0] for k in ("G", "I", "B")}
    dev = _max_rel(ours, rr, skip=SKIP_DAYS_DIABETIC)
    assert max(dev.values()) < REL_TOL, dev


def test_fast_path_reaches_the_same_fate_in_the_diabetic_basin_at_rat_turnover() -> None:
    """What the reduction keeps at rat scale: the pathological fixed point (G = R0/EG0, B -> 0)."""
    rr = _roadrunner(250.0, 2.8, 20.0)
    fast = topp_fast(np.asarray([20.0]), _topp_params(), DAYS)
    late = slice(60, None)  # both have collapsed by day 60
    np.testing.assert_allclose(fast["G"][late, 0], rr["G"][late], rtol=REL_TOL)
    assert fast["B"][-1, 0] < 1e-6 and abs(rr["B"][-1]) < 1e-6
