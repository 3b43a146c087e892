"""A placebo (sham infusion) arm: same route and schedule, no cells; it is the comparator."""

from __future__ import annotations

from typing import Any

import numpy as np

from mscsim.scenario import Scenario
from mscsim.trial import run_scenario


def test_placebo_arm_matches_no_treatment_and_is_the_comparator(
    scenario_dict: dict[str, Any],
) -> None:
    d = scenario_dict
    d["population"]["n"] = 100
    d["duration_days"] = 180
    d["visits_days"] = [0, 90, 180]
    msc = d["arms"][0]
    sham = {
        "name": "placebo",
        "product": {"form": "placebo"},
        "regimen": {"route": "iv", "schedule_days": msc["regimen"]["schedule_days"]},
    }
    d["arms"] = [msc, sham, d["arms"][1]]
    e = run_scenario(Scenario.from_dict(d)).endpoints

    def col(arm: str, c: str) -> np.ndarray:
        rows = e[(e.arm == arm) & (e.endpoint == "hba1c_pct")].sort_values("day")
        return rows[c].to_numpy()

    # No placebo effect is modelled: the sham arm's patients follow the untreated course.
    assert np.allclose(col("placebo", "mean"), col("control", "mean"))
    # Differences are taken against the placebo arm.
    assert np.isnan(col("placebo", "diff_vs_control_mean")).all()
    assert (col("uc_msc", "diff_vs_control_mean")[1:] < 0).all()
    assert not np.isnan(col("control", "diff_vs_control_mean")).all()
