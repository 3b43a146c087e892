"""`mscsim validate`: simulated vs observed effects for every evidence record with a scenario."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from mscsim.cli import app

runner = CliRunner()


def test_validate_t2dm_writes_its_report_and_every_held_apart_arrow_agrees(
    tmp_path: Path,
) -> None:
    out = tmp_path / "val"
    result = runner.invoke(app, ["validate", "--disease", "t2dm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "validation.csv",
        "validation.html",
        "validation_forest.png",
    }
    table = pd.read_csv(out / "validation.csv")
    held_apart = table[(table.used_for != "calibration") & (table.status == "compared")]
    assert len(held_apart) >= 20  # the six Table 3 rows and the unfitted Zhang 2020 endpoints
    arrows = held_apart[held_apart.kind == "trial"]
    assert arrows.direction_agrees.astype(bool).all()
    calibration = table[table.used_for == "calibration"]
    assert list(calibration.endpoint) == ["hba1c_pct"]
    assert bool(calibration.ci_contains_simulated.iloc[0])


def test_validate_t1dm_compares_table2_arrows_and_keeps_calibration_apart(tmp_path: Path) -> None:
    out = tmp_path / "val1"
    result = runner.invoke(app, ["validate", "--disease", "t1dm", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "validation.csv")
    held_apart = table[(table.used_for != "calibration") & (table.status == "compared")]
    arrows = held_apart[held_apart.kind == "trial"].dropna(subset=["direction_agrees"])
    assert len(arrows) >= 20  # the six Table 2 rows and Thakkar 2016's groups
    assert arrows.direction_agrees.astype(bool).all()
    calibration = table[table.used_for == "calibration"]
    assert set(calibration.record_id) == {"seed004_s1_1_trivedi2008"}
    # Records the model has no scenario or endpoint for are listed with the reason, not dropped.
    assert (table.status == "no scenario for this record").any()
    assert (table.status == "endpoint not in the scenario").any()


def test_validate_unknown_disease_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--disease", "gout", "--out", str(tmp_path / "v")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
