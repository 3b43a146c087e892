"""SBML export of the aging diseases (issue 6): libRoadRunner on the exported file of patient K
reproduces `mscsim run` for that patient, for every aging-disease module.

Each module's example scenario with n shrunk to 10: for every arm (treated arms and the
control), two patients, every record day, every endpoint, every state of trajectories.nc and the
tissue signal within 1% (relative). Floors near zero: the tumour volume 1 mm3 (as the run's own
reference check), the tissue signal 1e-6 (dimensionless) or one homed cell, where the delivery
compartments have decayed to round-off and libRoadRunner's absolute tolerance decides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from mscsim.cli import app
from mscsim.export._sbml import export_sbml
from mscsim.export._sbml_aging import aging_arm_patient_models, aging_sbml_model
from mscsim.export._sbml_common import ExportError
from mscsim.scenario import Scenario, parse_scenario
from mscsim.trial import simulate
from mscsim.trial._aging import AGING_DISEASES, disease_model
from mscsim.trial._aging_run import RELATIVE_TO_AT_LEAST

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

REL_TOL = 0.01
N = 10
PATIENTS = (0, 7)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE = {
    "osteoporosis": "osteoporosis_bm_msc_iv.yaml",
    "parkinson": "parkinson_exosomes_vs_cells.yaml",
    "alzheimer": "alzheimer_exosomes_intranasal.yaml",
    "atherosclerosis": "atherosclerosis_msc_statin.yaml",
    "copd": "copd_msc_iv.yaml",
    "tumour": "tumour_msc_promoting_vs_suppressing.yaml",
}
SIGNAL_FLOOR = {"tumour_homed_msc": 1.0}  # cells; other signals are in [0, 1): 1e-6


def _scenario_dict(disease: str) -> dict[str, Any]:
    sc = yaml.safe_load((EXAMPLES / EXAMPLE[disease]).read_text())
    sc["population"]["n"] = N
    return dict(sc)


class Case:
    def __init__(self, disease: str) -> None:
        self.disease = disease
        self.scenario: Scenario = parse_scenario(yaml.safe_dump(_scenario_dict(disease)))
        self.run = simulate(self.scenario)
        self.model = disease_model(disease)

    def row(self, arm: str, k: int) -> xr.Dataset:
        ds = self.run.trajectories
        return ds.isel(patient=np.flatnonzero(ds.arm.values == arm)[k])


_CASES: dict[str, Case] = {}


@pytest.fixture(params=AGING_DISEASES)
def case(request: pytest.FixtureRequest) -> Case:
    disease = str(request.param)
    if disease not in _CASES:
        _CASES[disease] = Case(disease)
    return _CASES[disease]


def test_every_aging_disease_has_an_example() -> None:
    assert set(EXAMPLE) == set(AGING_DISEASES)


def _floor(case: Case, name: str) -> float:
    if name == case.model.signal_name:
        return SIGNAL_FLOOR.get(name, 1e-6)
    return RELATIVE_TO_AT_LEAST.get(name, 1e-12)


def test_roadrunner_matches_the_run_for_every_arm_within_one_percent(case: Case) -> None:
    model = case.model
    names = [*model.endpoint_units, *model.variable_units, model.signal_name]
    worst: dict[str, float] = {}
    for arm in case.scenario.arms:
        params, models = aging_arm_patient_models(case.scenario, arm.name)
        for k in PATIENTS:
            m = models[k]
            row = case.row(arm.name, k)
            assert int(row.patient_id) == m.patient_id
            rr = roadrunner.RoadRunner(aging_sbml_model(m, params))
            rr.integrator.relative_tolerance = 1e-10
            rr.integrator.absolute_tolerance = 1e-12
            times = [float(d) for d in row.day.values]
            out = rr.simulate(times=times, selections=["time", *names])
            for j, name in enumerate(names):
                ref = row[name].values
                dev = np.abs(out[:, j + 1] - ref) / np.maximum(np.abs(ref), _floor(case, name))
                worst[name] = max(worst.get(name, 0.0), float(np.max(dev)))
    print(case.disease, {n: f"{d:.1e}" for n, d in worst.items()})
    assert max(worst.values()) < REL_TOL, worst


def test_valid_sbml_with_consistent_units_and_annotated_parameters(case: Case) -> None:
    for arm in case.scenario.arms:
        doc = libsbml.readSBMLFromString(export_sbml(case.scenario, arm.name, 1))
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
        doc.checkConsistency()
        issues = [doc.getError(i) for i in range(doc.getNumErrors())]
        errors = [e.getMessage() for e in issues if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        units = [
            e.getMessage()
            for e in issues
            if e.getCategory() == libsbml.LIBSBML_CAT_UNITS_CONSISTENCY
        ]
        assert not errors and not units, (arm.name, errors[:3], units[:3])
        model = doc.getModel()
        ids = {model.getParameter(i).getId() for i in range(model.getNumParameters())}
        traj = set(case.run.trajectories.data_vars)
        wanted = {*case.model.endpoint_units, *case.model.variable_units, case.model.signal_name}
        assert wanted <= ids and wanted <= traj
        for i in range(model.getNumParameters()):
            p = model.getParameter(i)
            assert p.getUnits(), p.getId()
            if p.getConstant():
                assert "provenance:" in p.getNotesString(), p.getId()


def _cli_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "pd.yaml"
    path.write_text(yaml.safe_dump(_scenario_dict("parkinson")))
    return path


def test_cli_writes_the_file_of_the_api(tmp_path: Path) -> None:
    out = tmp_path / "pd.xml"
    args = ["export-sbml", str(_cli_scenario(tmp_path)), "--arm", "uc_cells_iv", "--patient", "3"]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    scenario = parse_scenario(yaml.safe_dump(_scenario_dict("parkinson")))
    assert out.read_text() == export_sbml(scenario, "uc_cells_iv", 3)


@pytest.mark.parametrize(
    ("arm", "patient", "message"),
    [("nope", "0", "arm 'nope' is not in the scenario"), ("control", "10", "out of range")],
)
def test_cli_bad_arm_or_patient_is_one_line_exit_2(
    tmp_path: Path, arm: str, patient: str, message: str
) -> None:
    out = tmp_path / "x.xml"
    args = ["export-sbml", str(_cli_scenario(tmp_path)), "--arm", arm, "--patient", patient]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("export-sbml error: ") and message in lines[0]
    assert not out.exists()
    with pytest.raises(ExportError, match=message):
        export_sbml(parse_scenario(_cli_scenario(tmp_path).read_text()), arm, int(patient))
