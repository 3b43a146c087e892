"""`mscsim power`: power and expected effect over n and dose, with an Emax dose-response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from mscsim.cli import app
from mscsim.trial._power import fit_emax

runner = CliRunner()


def test_emax_fit_recovers_known_parameters() -> None:
    doses = np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
    effects = -1.2 * doses / (0.9 + doses)
    fit = fit_emax(doses, effects)
    assert fit["emax"] == pytest.approx(-1.2, rel=1e-4)
    assert fit["ed50"] == pytest.approx(0.9, rel=1e-4)


def test_power_command_writes_curves_that_rise_with_n_and_dose(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    d = scenario_dict
    d["population"]["n"] = 400
    d["duration_days"] = 180
    d["visits_days"] = [0, 90, 180]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(d))
    out = tmp_path / "power"
    args = ["power", str(path), "--n", "10,40", "--doses", "0.25e6,2e6", "--out", str(out)]
    result = runner.invoke(app, [*args, "--replicates", "300"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "power.csv")
    assert (out / "power.png").stat().st_size > 0
    p = table.set_index(["dose", "n_per_arm"])["power"]
    assert p[(250000.0, 10)] < p[(250000.0, 40)]
    assert p[(250000.0, 10)] < p[(2000000.0, 10)]
    effect = table.groupby("dose")["effect"].first()
    assert effect[2000000.0] < effect[250000.0] < 0


def test_power_command_rejects_bad_numbers_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["power", "x.yaml", "--n", "ten", "--out", str(tmp_path / "p")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
