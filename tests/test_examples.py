"""Every example scenario in examples/ is valid and runs (population shrunk to stay fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mscsim.scenario import Scenario, load_scenario
from mscsim.trial import run_scenario

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_scenario_runs(path: Path) -> None:
    spec = load_scenario(path)
    small = spec.model_copy(update={"population": spec.population.model_copy(update={"n": 40})})
    result = run_scenario(Scenario.from_dict(small.to_dict()))
    assert set(result.endpoints["arm"]) == {arm.name for arm in spec.arms}
    assert result.endpoints["mean"].notna().all()
