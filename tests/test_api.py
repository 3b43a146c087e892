"""The public Python API: one import, the same result as the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mscsim


def test_public_api_runs_a_scenario_and_writes_its_files(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    scenario_dict["population"]["n"] = 30
    scenario_dict["duration_days"] = 60
    scenario_dict["visits_days"] = [0, 60]
    scenario = mscsim.Scenario.from_dict(scenario_dict)
    result = mscsim.run_scenario(scenario)
    mscsim.write_results(result, tmp_path / "out")
    assert (tmp_path / "out" / "endpoints.csv").exists()
    assert set(result.endpoints["arm"]) == {"uc_msc", "control"}
    assert result.lock["reference_check"]["max_rel_dev"] < 0.01


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        mscsim.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
