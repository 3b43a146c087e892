"""The command line: bad scenarios get one clear line and exit 2; runs are reproducible."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from mscsim.cli import app

runner = CliRunner()


def _write(tmp_path: Path, data: Any, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def _small(d: dict[str, Any], n: int = 40, days: int = 120) -> dict[str, Any]:
    d["population"]["n"] = n
    d["duration_days"] = days
    d["visits_days"] = [0, 28, days]
    return d


def _bad(d: dict[str, Any], fault: str) -> Any:
    arm = d["arms"][0]
    if fault == "unknown_disease":
        d["disease"] = "gout"
    elif fault == "negative_dose":
        arm["regimen"]["dose"] = -1.0e6
    elif fault == "zero_dose":
        arm["regimen"]["dose"] = 0
    elif fault == "unknown_route":
        arm["regimen"]["route"] = "nasal"
    elif fault == "unknown_source":
        arm["product"]["source"] = "liver"
    elif fault == "visit_after_end":
        d["visits_days"] = [0, 90, 2000]
    elif fault == "n_zero":
        d["population"]["n"] = 0
    elif fault == "wrong_dose_unit":
        arm["regimen"]["dose_unit"] = "mg"
    elif fault == "malformed_yaml":
        return "schema_version: 1\nname: [unclosed\n"
    elif fault == "empty_file":
        return ""
    elif fault == "unknown_key":
        d["colour"] = "blue"
    elif fault == "schedule_after_end":
        arm["regimen"]["schedule_days"] = [0, 5000]
    elif fault == "unknown_endpoint":
        d["endpoints"] = ["hba1c_pct", "happiness"]
    elif fault == "duplicate_arm":
        d["arms"][1]["name"] = arm["name"]
    elif fault == "criteria_low_above_high":
        d["population"]["criteria"]["hba1c_pct"] = [10.0, 7.0]
    elif fault == "string_for_number":
        d["duration_days"] = "three years"
    elif fault == "missing_disease":
        del d["disease"]
    elif fault == "disease_not_yet_modelled":
        d["disease"] = "copd"
    elif fault == "form_not_yet_supported":
        arm["product"]["form"] = "exosomes"
        arm["regimen"]["dose_unit"] = "particles/kg"
    elif fault == "route_not_for_t2dm":
        arm["regimen"]["route"] = "intrathecal"
    elif fault == "criteria_too_strict":
        d["population"]["criteria"] = {"hba1c_pct": [7.0, 7.001], "age_years": [30, 31]}
    elif fault == "endpoint_of_another_disease":
        d["endpoints"] = ["hba1c_pct", "updrs3"]
    elif fault == "fractional_visit_day":
        d["visits_days"] = [0, 28.5, d["duration_days"]]
    elif fault == "standard_of_care_of_another_disease":
        d["standard_of_care"] = ["metformin", "levodopa"]
    elif fault == "trial_larger_than_population":
        d["trial"] = {"n_per_arm": 30, "replicates": 10}
    elif fault == "negative_seed":
        d["population"]["seed"] = -3
    else:  # pragma: no cover - the parametrisation names every fault
        raise AssertionError(fault)
    return d


FAULTS = [
    "unknown_disease",
    "negative_dose",
    "zero_dose",
    "unknown_route",
    "unknown_source",
    "visit_after_end",
    "n_zero",
    "wrong_dose_unit",
    "malformed_yaml",
    "empty_file",
    "unknown_key",
    "schedule_after_end",
    "unknown_endpoint",
    "duplicate_arm",
    "criteria_low_above_high",
    "string_for_number",
    "missing_disease",
    "disease_not_yet_modelled",
    "form_not_yet_supported",
    "route_not_for_t2dm",
    "criteria_too_strict",
    "negative_seed",
    "standard_of_care_of_another_disease",
    "trial_larger_than_population",
    "fractional_visit_day",
    "endpoint_of_another_disease",
]


@pytest.mark.parametrize("fault", FAULTS)
def test_bad_scenario_gives_one_line_exit_2_and_no_output(
    fault: str, tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    path = _write(tmp_path, _bad(_small(scenario_dict), fault))
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    assert text.startswith("scenario error: ")
    assert not out.exists()
    assert not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_missing_scenario_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.output and "Traceback" not in result.output


def test_existing_output_is_not_overwritten_without_force(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    path = _write(tmp_path, _small(scenario_dict))
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
    assert result.exit_code == 2
    assert (out / "keep.txt").read_text() == "mine"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


RESULT_FILES = (
    "endpoints.csv",
    "responders.csv",
    "trajectories.nc",
    "report.html",
    "scenario.lock.yaml",
)


def test_same_scenario_and_seed_give_byte_identical_files(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    path = _write(tmp_path, _small(scenario_dict))
    digests = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        result = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
        assert result.exit_code == 0, result.output
        assert {p.name for p in out.iterdir()} == set(RESULT_FILES)
        digests.append({name: _digest(out / name) for name in RESULT_FILES})
    assert digests[0] == digests[1]


def test_a_different_seed_gives_different_endpoints(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    outs = []
    for seed in (1, 2):
        d = _small(scenario_dict)
        d["population"]["seed"] = seed
        out = tmp_path / f"seed{seed}"
        runner.invoke(app, ["run", str(_write(tmp_path, d, f"s{seed}.yaml")), "--out", str(out)])
        outs.append((out / "endpoints.csv").read_bytes())
    assert outs[0] != outs[1]


def test_params_missing_sources_prints_nothing() -> None:
    result = runner.invoke(app, ["params", "--missing-sources"])
    assert result.exit_code == 0
    assert result.output.strip() == ""


def test_params_lists_units_and_sources_of_a_module() -> None:
    result = runner.invoke(app, ["params", "--module", "topp2000"])
    assert result.exit_code == 0
    assert "topp2000" in result.output and "mg/dL/day" in result.output


def test_mechanisms_lists_the_t2dm_edges_with_seed_citations() -> None:
    result = runner.invoke(app, ["mechanisms", "--disease", "t2dm"])
    assert result.exit_code == 0
    assert "macrophage_m1_to_m2" in result.output
    assert "seed 004" in result.output


GOOD_PANEL = {
    "CD105": 98.0,
    "CD73": 99.0,
    "CD90": 97.0,
    "CD45": 1.0,
    "CD34": 0.5,
    "CD14": 1.0,
    "CD19": 0.2,
    "HLA-DR": 0.4,
}


def _panel_csv(tmp_path: Path, panel: dict[str, Any]) -> Path:
    rows = ["marker,percent_positive", *(f"{k},{v}" for k, v in panel.items())]
    path = tmp_path / "panel.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_product_check_passes_a_conforming_panel(tmp_path: Path) -> None:
    result = runner.invoke(app, ["product", "check", str(_panel_csv(tmp_path, GOOD_PANEL))])
    assert result.exit_code == 0, result.output
    assert "verdict: PASS" in result.output


def test_product_check_names_the_failing_marker_and_value(tmp_path: Path) -> None:
    panel = {**GOOD_PANEL, "HLA-DR": 3.4}
    result = runner.invoke(app, ["product", "check", str(_panel_csv(tmp_path, panel))])
    assert result.exit_code == 1
    assert "HLA-DR = 3.4%" in result.output


def test_product_check_rejects_a_malformed_panel_in_one_line(tmp_path: Path) -> None:
    panel = {**GOOD_PANEL, "CD90": 101}
    result = runner.invoke(app, ["product", "check", str(_panel_csv(tmp_path, panel))])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_a_scenario_product_failing_its_panel_is_refused(
    tmp_path: Path, scenario_dict: dict[str, Any]
) -> None:
    d = _small(scenario_dict)
    d["arms"][0]["product"]["panel"] = {**GOOD_PANEL, "CD45": 5.0}
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(_write(tmp_path, d)), "--out", str(out), "--quiet"])
    assert result.exit_code == 2
    text = result.output.strip()
    assert text.startswith("scenario error: arms[0].product.panel") and "CD45 = 5" in text
    assert not out.exists()


def test_meta_command_prints_the_contract_json(tmp_path: Path) -> None:
    import json

    path = tmp_path / "m.csv"
    path.write_text("yi,vi\n-0.8893,0.3256\n-1.5854,0.1946\n-1.3481,0.4154\n-1.4416,0.0200\n")
    result = runner.invoke(app, ["meta", str(path), "--method", "DL", "--json"])
    assert result.exit_code == 0, result.output
    keys = {"estimate", "se", "ci_low", "ci_high", "tau2", "i2", "h2", "q", "q_df"}
    assert keys | {"pi_low", "pi_high"} <= set(json.loads(result.output))


def test_meta_command_rejects_a_bad_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("yi,vi\n-0.8,0.3\n-1.5,-0.2\n")
    result = runner.invoke(app, ["meta", str(path)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_evidence_fetch_without_a_query_is_refused_before_any_request(tmp_path: Path) -> None:
    db = tmp_path / "ctgov.sqlite"
    result = runner.invoke(app, ["evidence", "fetch", "--db", str(db)])
    assert result.exit_code == 2
    assert not db.exists()
