"""Real-sized trials drawn from the virtual population: ANCOVA, spread over replicates, power."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm

from mscsim.scenario import Scenario
from mscsim.trial import run_scenario
from mscsim.trial._replicates import TrialPlan, allocate, ancova, trial_summary


def _population(n: int, effect: float, seed: int = 3) -> dict[str, dict[str, np.ndarray]]:
    """Paired virtual patients: baseline, and outcomes under control and treatment."""
    rng = np.random.default_rng(seed)
    base = rng.normal(8.5, 1.0, n)
    ctl = base + 0.2 + 0.5 * (base - 8.5) * 0.1 + rng.normal(0, 0.6, n)
    trt = ctl + effect
    return {
        "msc": {"hba1c_pct": np.stack([base, trt], axis=1)},
        "control": {"hba1c_pct": np.stack([base, ctl], axis=1)},
    }


def test_ancova_matches_statsmodels_to_1e_8() -> None:
    rng = np.random.default_rng(11)
    yt, bt = rng.normal(7.5, 1, (4, 25)), rng.normal(8.4, 1, (4, 25))
    yc, bc = rng.normal(8.2, 1, (4, 31)), rng.normal(8.5, 1, (4, 31))
    yt[0, 3] = np.nan  # a dropout
    est, se, dof = ancova(yt, bt, yc, bc)
    for r in range(4):
        y = np.concatenate([yt[r], yc[r]])
        x = np.column_stack(
            [np.ones_like(y), np.r_[np.ones(25), np.zeros(31)], np.concatenate([bt[r], bc[r]])]
        )
        keep = np.isfinite(y)
        fit = sm.OLS(y[keep], x[keep]).fit()
        assert est[r] == pytest.approx(fit.params[1], abs=1e-8)
        assert se[r] == pytest.approx(fit.bse[1], abs=1e-8)
        assert dof[r] == fit.df_resid


def _diff_stats(n: int, effect: float, replicates: int = 2000) -> dict[str, float]:
    values = _population(4000, effect)
    plan = TrialPlan({"msc": n, "control": n}, replicates, dropout=0.0)
    alloc = allocate(plan, 4000, [0, 365], seed=5)
    return trial_summary(values, plan, alloc, "control")[("msc", "hba1c_pct", 1)]


def test_replicate_differences_centre_on_the_population_effect_and_shrink_as_root_n() -> None:
    effect = -0.8
    spreads = {}
    for n in (10, 40, 160):
        s = _diff_stats(n, effect)
        assert s["diff_mean"] == pytest.approx(effect, abs=0.03)
        spreads[n] = s["diff_p95"] - s["diff_p05"]
    # Quadrupling n halves the spread (1/sqrt(n)), within sampling tolerance.
    assert spreads[10] / spreads[40] == pytest.approx(2.0, rel=0.12)
    assert spreads[40] / spreads[160] == pytest.approx(2.0, rel=0.12)


def test_power_is_alpha_when_the_arms_are_identical() -> None:
    s = _diff_stats(20, 0.0, replicates=4000)
    # 4000 replicates: the standard error of a 5% rate is 0.34 percentage points.
    assert s["power"] == pytest.approx(0.05, abs=0.012)


def test_power_rises_with_n_and_effect() -> None:
    small = _diff_stats(10, -0.3)["power"]
    bigger_n = _diff_stats(40, -0.3)["power"]
    bigger_effect = _diff_stats(10, -0.8)["power"]
    assert small < bigger_n and small < bigger_effect


def test_dropout_loses_outcomes_but_keeps_the_estimate_unbiased() -> None:
    values = _population(3000, -0.5)
    plan = TrialPlan({"msc": 40, "control": 40}, 1500, dropout=0.3)
    alloc = allocate(plan, 3000, [0, 180, 365], seed=9)
    lost = 1.0 - alloc.observed["msc"][..., -1].mean()
    assert lost == pytest.approx(0.3 * 1.0, abs=0.03)  # all dropouts happen before day 365
    values3 = {a: {"hba1c_pct": np.column_stack([v["hba1c_pct"], v["hba1c_pct"][:, 1]])}
               for a, v in values.items()}  # fmt: skip
    s = trial_summary(values3, plan, alloc, "control")[("msc", "hba1c_pct", 2)]
    assert s["diff_mean"] == pytest.approx(-0.5, abs=0.04)


def test_scenario_with_a_trial_block_writes_the_trial_columns(
    scenario_dict: dict[str, Any],
) -> None:
    d = scenario_dict
    d["population"]["n"] = 200
    d["duration_days"] = 180
    d["visits_days"] = [0, 90, 180]
    d["trial"] = {"n_per_arm": 20, "replicates": 200, "dropout": 0.1}
    e = run_scenario(Scenario.from_dict(d)).endpoints
    row = e[(e.arm == "uc_msc") & (e.day == 180) & (e.endpoint == "hba1c_pct")].iloc[0]
    assert row.diff_p05 < row.diff_mean < row.diff_p95 < 0
    assert 0.0 <= row.power <= 1.0
    assert row.trial_change_p05 < row.trial_change_p95


def test_trial_columns_are_reproducible_for_the_same_seed(scenario_dict: dict[str, Any]) -> None:
    d = scenario_dict
    d["population"]["n"] = 120
    d["duration_days"] = 90
    d["visits_days"] = [0, 90]
    d["trial"] = {"n_per_arm": 15, "replicates": 100, "dropout": 0.2}
    first = run_scenario(Scenario.from_dict(d)).endpoints
    second = run_scenario(Scenario.from_dict(d)).endpoints
    assert first.equals(second)


def test_report_shows_the_real_sized_trial_spread(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    from mscsim.results import write_results

    d = scenario_dict
    d["population"]["n"] = 120
    d["duration_days"] = 90
    d["visits_days"] = [0, 90]
    d["trial"] = {"n_per_arm": 15, "replicates": 100}
    write_results(run_scenario(Scenario.from_dict(d)), tmp_path / "out")
    assert "real-sized trial, ANCOVA" in (tmp_path / "out" / "report.html").read_text()
