"""Standard of care in every arm (issue 7): a control arm is a real control arm."""

from __future__ import annotations

from typing import Any

import pytest

from mscsim.scenario import Scenario
from mscsim.trial import RunResult, run_scenario


def _run(d: dict[str, Any], therapies: list[str]) -> RunResult:
    d = {**d, "standard_of_care": therapies}
    return run_scenario(Scenario.from_dict(d))


def _value(res: RunResult, arm: str, endpoint: str, column: str) -> float:
    e = res.endpoints
    row = e[(e.arm == arm) & (e.day == 365.0) & (e.endpoint == endpoint)]
    return float(row[column].iloc[0])


@pytest.fixture(scope="module")
def runs() -> dict[str, RunResult]:
    from conftest import default_scenario_dict

    d = default_scenario_dict()
    d["population"]["n"] = 300
    d["duration_days"] = 365
    d["visits_days"] = [0, 90, 180, 365]
    return {
        "none": _run(d, []),
        "ttt": _run(d, ["insulin_treat_to_target"]),
        "metformin": _run(d, ["metformin"]),
    }


def test_treat_to_target_keeps_the_control_arm_nearer_the_hba1c_target(
    runs: dict[str, RunResult],
) -> None:
    """Riddle 2003: weekly titration toward FPG 100 mg/dL brought mean HbA1c near 7%."""
    untreated = _value(runs["none"], "control", "hba1c_pct", "mean")
    titrated = _value(runs["ttt"], "control", "hba1c_pct", "mean")
    assert abs(titrated - 7.0) < abs(untreated - 7.0)
    assert titrated < untreated - 0.5
    assert _value(runs["ttt"], "control", "insulin_iu_day", "change_mean") > 0


def test_msc_difference_is_smaller_on_standard_of_care(runs: dict[str, RunResult]) -> None:
    bare = _value(runs["none"], "uc_msc", "hba1c_pct", "diff_vs_control_mean")
    for therapy in ("ttt", "metformin"):
        with_soc = _value(runs[therapy], "uc_msc", "hba1c_pct", "diff_vs_control_mean")
        assert bare < with_soc < 0, therapy


def test_metformin_lowers_fasting_glucose_in_every_arm(runs: dict[str, RunResult]) -> None:
    for arm in ("uc_msc", "control"):
        assert _value(runs["metformin"], arm, "fpg_mmol_l", "mean") < _value(
            runs["none"], arm, "fpg_mmol_l", "mean"
        )
