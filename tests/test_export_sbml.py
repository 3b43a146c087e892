"""SBML export (issue 6): patient K's file, simulated by libRoadRunner, is that patient's run.

The run is `mscsim run` on the default scenario shrunk to 30 patients and one year; patients
are exported from the same scenario and compared with their rows of `trajectories.nc`, within 1%
on every endpoint and slow state. The export is also checked term by term against the SciPy
reference path's right-hand side (the same model, not only similar trajectories), for SBML
validity and units, for provenance on every parameter, and for event timing.
"""

from __future__ import annotations

import copy
import html
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from conftest import default_scenario_dict
from mscsim.cli import app
from mscsim.engine._reference import _rhs_factory
from mscsim.export._sbml import (
    FASTING_PAIR_SPEEDUP,
    MSC_IDS,
    STATE_IDS,
    ExportError,
    PatientModel,
    arm_patient_models,
    export_arm_sbml,
    export_sbml,
    reduced_sbml_model,
    sbml_model,
)
from mscsim.params import ParameterSet
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._baseline import shared_constants
from mscsim.physiology.t2dm._equations import (
    Shared,
    endogenous_insulin_coeff,
    glucose_appearance,
    glucose_qss,
    secretion_fraction,
)
from mscsim.scenario import Scenario, parse_scenario
from mscsim.trial import simulate

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

REL_TOL = 0.01
N, DURATION, VISITS = 30, 365, [0, 90, 180, 365]
ENDPOINTS = ("hba1c_pct", "fpg_mmol_l", "c_peptide_ng_ml", "insulin_iu_day", "homa_b", "homa_ir")
SLOW = ("beta_mass_mg", "beta_function", "insulin_sensitivity", "m1_fraction", "treg_pct")
MSC_FLOOR_CELLS = 1.0  # the engine drops MSCs once every compartment is below one live cell
LEFT = 1e-7  # days: the run records the state of a day before that day's jumps


def _scenario(standard_of_care: list[str] | None = None) -> Scenario:
    d = copy.deepcopy(default_scenario_dict())
    d["population"]["n"] = N
    d["duration_days"] = DURATION
    d["visits_days"] = VISITS
    if standard_of_care is not None:
        d["standard_of_care"] = standard_of_care
    return parse_scenario(yaml.safe_dump(d))


class Case:
    """One scenario: its run, and the patients of each arm as the export builds them."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.run = simulate(scenario)
        self.arms = {a.name: arm_patient_models(scenario, a.name) for a in scenario.arms}

    def model(self, arm: str, k: int) -> tuple[PatientModel, ParameterSet]:
        params, models = self.arms[arm]
        return models[k], params

    def row(self, arm: str, k: int) -> xr.Dataset:
        ds = self.run.trajectories
        return ds.isel(patient=np.flatnonzero(ds.arm.values == arm)[k])


@pytest.fixture(scope="module")
def usual() -> Case:
    return Case(_scenario())


@pytest.fixture(scope="module")
def ttt() -> Case:
    return Case(_scenario(["insulin_treat_to_target"]))


def _rr(text: str) -> Any:
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    for sid in MSC_IDS:  # cells span 0..1e9: a millionth of a cell is tight enough
        rr.integrator.setIndividualTolerance(sid, 1e-6)
    return rr


def _simulate(text: str, times: list[float], names: list[str]) -> dict[str, np.ndarray]:
    out = _rr(text).simulate(times=times, selections=["time", *names])
    return {n: np.asarray(out[:, j + 1]) for j, n in enumerate(names)}


def _patients(case: Case, arm: str) -> dict[str, int]:
    """Patient rows with different titration: first, first insulin-naive, first insulin user."""
    _, models = case.arms[arm]
    naive = next(m.index for m in models if m.dose0 == 0.0)
    user = next(m.index for m in models if m.dose0 > 0.0 and m.index != 0)
    return {"first": 0, "naive": naive, "insulin": user}


def _deviation(ours: np.ndarray, run: np.ndarray) -> np.ndarray:
    both_nan = np.isnan(ours) & np.isnan(run)  # HOMA-B is undefined at FPG <= 3.5 mmol/L
    dev = np.abs(ours - run) / np.maximum(np.abs(run), 1e-12)
    return np.where(both_nan, 0.0, dev)


def _compare_at_visits(case: Case, arm: str, k: int) -> dict[str, float]:
    m, params = case.model(arm, k)
    row = case.row(arm, k)
    assert int(row.patient_id) == m.patient_id
    event_days = {*m.titration_days, *m.dose_cells_by_day}
    assert not event_days & {*VISITS[1:]}, "visits on event days need left limits"
    ours = _simulate(sbml_model(m, params), [float(d) for d in VISITS], [*ENDPOINTS, *SLOW])
    worst = {}
    for name, values in ours.items():
        run = row[name].sel(day=VISITS).values
        worst[name] = float(np.max(_deviation(values, run)))
    return worst


CASES = [
    ("usual", "uc_msc", "first"),
    ("usual", "uc_msc", "naive"),
    ("usual", "uc_msc", "insulin"),
    ("usual", "control", "insulin"),
    ("ttt", "uc_msc", "naive"),
    ("ttt", "uc_msc", "insulin"),
]


@pytest.mark.parametrize(("which", "arm", "who"), CASES)
def test_roadrunner_matches_the_run_at_visits_within_one_percent(
    which: str, arm: str, who: str, request: pytest.FixtureRequest
) -> None:
    case: Case = request.getfixturevalue(which)
    k = _patients(case, arm)[who]
    worst = _compare_at_visits(case, arm, k)
    bad = {n: f"{d:.2e}" for n, d in worst.items() if not d <= REL_TOL}
    assert not bad, f"{which} {arm} patient {k}: relative deviation over 1%: {bad}"


@pytest.mark.parametrize("which", ["usual", "ttt"])
def test_every_record_day_and_msc_compartment_matches_the_run(
    which: str, request: pytest.FixtureRequest
) -> None:
    """All weekly records, including the first weeks after each dose (largest deviations)."""
    case: Case = request.getfixturevalue(which)
    k = _patients(case, "uc_msc")["insulin"]
    m, params = case.model("uc_msc", k)
    row = case.row("uc_msc", k)
    days = [float(d) for d in row.day.values]
    # Left limits: a record is the state before that day's titration and doses.
    times = [d - LEFT if d > 0 else 0.0 for d in days]
    names = [*ENDPOINTS, *SLOW, *MSC_IDS]
    ours = _simulate(sbml_model(m, params), times, names)
    for name in names:
        run = row[name].values
        if name in MSC_IDS:
            # Day 0 holds the cells before the day-0 dose in the run; libRoadRunner reports the
            # state after the events of t = 0.
            ok = np.abs(ours[name][1:] - run[1:]) <= REL_TOL * np.abs(run[1:]) + MSC_FLOOR_CELLS
            assert ok.all(), f"{name}: {ours[name][1:][~ok]} vs {run[1:][~ok]}"
        else:
            dev = _deviation(ours[name], run)
            j = int(np.argmax(dev))
            assert dev[j] <= REL_TOL, f"{name} day {days[j]}: {ours[name][j]} vs {run[j]}"


def test_the_rates_are_the_reference_paths_rates(usual: Case) -> None:
    """Term by term: the SBML right-hand side equals the SciPy reference path's, with cells."""
    m, params = usual.model("uc_msc", 0)
    sh = shared_constants(params.flat(), msc_core.index("target"))
    kinetics = msc_core.kinetic_matrix(params.flat())
    rr = _rr(sbml_model(m, params))
    symbols = list(rr.model.getRateRuleSymbols())
    rng = np.random.default_rng(0)
    for t, cells in ((0.0, 0.0), (3.0, 2.0e8), (40.0, 5.0e6)):
        rr.reset()
        rr.model.setTime(t)
        # Perturb every state off the baseline so that no term vanishes by symmetry.
        state = {s: rr[s] * (1.0 + 0.05 * rng.standard_normal()) for s in symbols}
        for j, s in enumerate(MSC_IDS):
            state[s] = cells * (0.1 + j / len(MSC_IDS))
        for s, x in state.items():
            rr[s] = x
        ours = dict(zip(symbols, rr.getRatesOfChange(), strict=True))
        y = np.array(
            [state["glucose_mg_dl"], state["insulin_uu_ml"]]
            + [state[STATE_IDS[f]] for f in STATE_IDS]
            + [state[s] for s in MSC_IDS]
        )
        ref = _rhs_factory(m.patient, sh, kinetics)(t, y, rr["insulin_iu_day"])
        names = ["glucose_mg_dl", "insulin_uu_ml", *STATE_IDS.values(), *MSC_IDS]
        for name, r in zip(names, ref, strict=True):
            assert ours[name] == pytest.approx(r, rel=1e-9, abs=1e-12 * abs(y).max()), name
        gf, i_f = state["glucose_fasting_mg_dl"], state["insulin_fasting_uu_ml"]
        fast = _fasting_rates(m, sh, state, gf, i_f, rr["insulin_iu_day"])
        assert ours["glucose_fasting_mg_dl"] == pytest.approx(fast[0], rel=1e-9)
        assert ours["insulin_fasting_uu_ml"] == pytest.approx(fast[1], rel=1e-9)


def _fasting_rates(
    m: PatientModel, sh: Shared, state: dict[str, float], g: float, i: float, dose: float
) -> tuple[float, float]:
    """The reference path's glucose-insulin rates under the fasting appearance, sped up."""
    c_endo = endogenous_insulin_coeff(state["beta_mass_mg"], state["beta_function"], sh)
    r_fast = glucose_appearance(m.patient, sh)[1]
    d_g = r_fast - (sh.EG0 + state["insulin_sensitivity"] * i) * g
    d_i = c_endo * sh.k * secretion_fraction(g, sh) - sh.k * (i - m.patient.c_exo * dose)
    return FASTING_PAIR_SPEEDUP * d_g, FASTING_PAIR_SPEEDUP * d_i


def test_fasting_pair_stays_on_the_engines_fasting_steady_state(usual: Case) -> None:
    """The dynamic fasting glucose stands for the engine's Newton solution: its lag is small.

    Checked on a dense grid over the first 60 days (two doses, titrations) of every fourth MSC
    patient (libRoadRunner compiles each file in about a second), except the first hour after
    each titration, when the dose has just jumped.
    """
    params, models = usual.arms["uc_msc"]
    sh = shared_constants(params.flat(), msc_core.index("target"))
    t = np.arange(0.0, 60.0, 0.125)
    names = ["glucose_fasting_mg_dl", "beta_mass_mg", "beta_function", "insulin_sensitivity"]
    worst = 0.0
    for m in models[::4]:
        out = _simulate(sbml_model(m, params), list(t), [*names, "insulin_iu_day"])
        c_endo = endogenous_insulin_coeff(out["beta_mass_mg"], out["beta_function"], sh)
        r_fast = glucose_appearance(m.patient, sh)[1]
        i_exo = m.patient.c_exo * out["insulin_iu_day"]
        g = out["glucose_fasting_mg_dl"]
        qss = glucose_qss(r_fast, c_endo, i_exo, out["insulin_sensitivity"], g, sh, np, 60)
        settling = np.array([any(0.0 <= x - d < 1.0 / 24.0 for d in m.titration_days) for x in t])
        worst = max(worst, float(np.max(np.abs(g / qss - 1.0)[~settling])))
    assert worst < 1e-3, f"fasting glucose lags its steady state by {worst:.2e}"


def test_events_fire_at_the_start_of_integer_days(usual: Case) -> None:
    m, params = usual.model("uc_msc", _patients(usual, "uc_msc")["insulin"])
    assert set(m.dose_cells_by_day) == {0, 28} and m.titration_days[:2] == (7, 14)
    out = _simulate(
        sbml_model(m, params),
        [0.0, 1e-9, 7.0 - LEFT, 7.0 + LEFT, 13.5, 14.0 + LEFT, 28.0 - LEFT, 28.0 + LEFT],
        ["msc_lung", "msc_blood", "insulin_iu_day", "insulin_dose_titrated"],
    )
    lung = dict(zip(msc_core.COMPARTMENTS, m.route_vector, strict=True))["lung"]
    dose0 = m.dose_cells_by_day[0]
    # The day-0 dose fires at t = 0 (initialValue false): the cells are there at once.
    assert out["msc_lung"][1] == pytest.approx(lung * dose0, rel=1e-6)
    # Titration on day 7 sets the dose computed from the state just before it.
    assert out["insulin_iu_day"][2] == pytest.approx(m.dose0, rel=1e-12)
    assert out["insulin_iu_day"][3] == pytest.approx(out["insulin_dose_titrated"][2], rel=1e-6)
    assert out["insulin_iu_day"][3] != m.dose0
    # ... and again every week (one repeating event): not before day 14, then at day 14.
    assert out["insulin_iu_day"][4] == out["insulin_iu_day"][3]
    assert out["insulin_iu_day"][5] != out["insulin_iu_day"][4]
    # The second dose jumps in on day 28 on top of what is left of the first.
    assert out["msc_lung"][7] - out["msc_lung"][6] == pytest.approx(
        lung * m.dose_cells_by_day[28], rel=1e-6
    )


def test_valid_sbml_with_consistent_units_and_trajectory_ids(usual: Case) -> None:
    m, params = usual.model("uc_msc", 0)
    doc = libsbml.readSBMLFromString(sbml_model(m, params))
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    issues = [doc.getError(i) for i in range(doc.getNumErrors())]
    errors = [e.getMessage() for e in issues if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
    assert not errors, errors
    units = [
        e.getMessage() for e in issues if e.getCategory() == libsbml.LIBSBML_CAT_UNITS_CONSISTENCY
    ]
    assert not units, units
    model = doc.getModel()
    assert model.getTimeUnits() == "day"
    day = model.getUnitDefinition("day")
    assert (
        libsbml.UnitDefinition.printUnits(day)
        == "second (exponent = 1, multiplier = 86400, scale = 0)"
    )
    ids = {model.getParameter(i).getId() for i in range(model.getNumParameters())}
    variables = {v for v, a in usual.run.trajectories.data_vars.items() if "day" in a.dims}
    assert variables <= ids, sorted(variables - ids)
    rate_ruled = {model.getRule(i).getVariable() for i in range(model.getNumRules())
                  if model.getRule(i).isRate()}  # fmt: skip
    assert {*STATE_IDS.values(), *MSC_IDS, "glucose_mg_dl", "insulin_uu_ml"} <= rate_ruled


def test_every_parameter_has_a_unit_and_its_provenance(usual: Case) -> None:
    k = 3
    m, params = usual.model("uc_msc", k)
    model = libsbml.readSBMLFromString(sbml_model(m, params)).getModel()
    for i in range(model.getNumParameters()):
        p = model.getParameter(i)
        assert p.isSetUnits(), p.getId()
        if not p.getConstant():
            continue
        notes = p.getNotesString()
        ann = p.getAnnotationString()
        assert "provenance" in notes and "mscsim:parameter" in ann, p.getId()
        if p.getId() in params:
            rec = params[p.getId()]
            assert p.getValue() == rec.value
            assert f'source="{rec.source}"' in ann and f'provenance="{rec.provenance}"' in ann
    si_base = model.getParameter("si_base")
    # libsbml writes 15 significant digits.
    assert si_base.getValue() == pytest.approx(m.patient.si_base, rel=1e-14)
    assert f"patient {k}'s value" in html.unescape(si_base.getNotesString())
    assert "doi:10.1006/jtbi.2000.2150" in model.getParameter("R0").getAnnotationString()


def test_export_sbml_api_is_the_patient_of_the_run(usual: Case) -> None:
    text = export_sbml(usual.scenario, "control", 2)
    m, params = usual.model("control", 2)
    assert text == sbml_model(m, params)


def _cli_scenario(tmp_path: Path) -> Path:
    d = default_scenario_dict()
    d["population"]["n"] = N
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(d), encoding="utf-8")
    return path


def test_cli_writes_a_file_that_roadrunner_loads(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "p.xml"
    args = ["export-sbml", str(_cli_scenario(tmp_path)), "--arm", "uc_msc", "--patient", "4"]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.parent.iterdir()] == ["p.xml"]  # no temporary file left
    rr = _rr(out.read_text(encoding="utf-8"))
    assert rr.model.getModelName().endswith("arm uc_msc, patient 4 (full T2DM model)")
    reduced = CliRunner().invoke(app, [*args, "-o", str(out), "--reduced"])
    assert reduced.exit_code == 0, reduced.output
    assert "(reduced T2DM model)" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arm", "patient", "message"),
    [
        ("nope", "0", "arm 'nope' is not in the scenario; its arms: uc_msc, control"),
        ("control", str(N), f"patient {N} is out of range; each arm has patients 0..{N - 1}"),
        ("control", "-1", "patient -1 is out of range"),
    ],
)
def test_cli_bad_arm_or_patient_is_one_line_exit_2(
    tmp_path: Path, arm: str, patient: str, message: str
) -> None:
    out = tmp_path / "p.xml"
    args = ["export-sbml", str(_cli_scenario(tmp_path)), "--arm", arm, "--patient", patient]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("export-sbml error: ") and message in lines[0]
    assert not out.exists()


def test_cli_bad_scenario_is_the_run_message(tmp_path: Path) -> None:
    d = default_scenario_dict()
    d["disease"] = "gout"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(d), encoding="utf-8")
    out = tmp_path / "x.xml"
    args = ["export-sbml", str(path), "--arm", "uc_msc", "--patient", "0", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "disease" in result.output
    assert not out.exists()


def test_reduced_model_holds_glucose_at_the_engines_quasi_steady_state(usual: Case) -> None:
    """The reduced export's closed-form cubic root is the root that Newton's method finds (the
    full export starts glucose there, float64), and the reduced model follows the run within 1%
    at visits."""
    k = _patients(usual, "uc_msc")["insulin"]
    m, params = usual.model("uc_msc", k)
    rr = _rr(reduced_sbml_model(m, params))
    full = _rr(sbml_model(m, params))
    for sid in ("glucose_mg_dl", "glucose_fasting_mg_dl", "insulin_uu_ml"):
        assert rr[sid] == pytest.approx(full[sid], rel=1e-9)
    row = usual.row("uc_msc", k)
    ours = rr.simulate(times=[float(d) for d in VISITS], selections=["time", *ENDPOINTS])
    for j, name in enumerate(ENDPOINTS):
        dev = _deviation(np.asarray(ours[:, j + 1]), row[name].sel(day=VISITS).values)
        assert np.max(dev) < REL_TOL, (name, float(np.max(dev)))


def test_reduced_export_is_for_t2dm_only() -> None:
    from mscsim.scenario import load_scenario

    spec = load_scenario("examples/parkinson_exosomes_vs_cells.yaml")
    with pytest.raises(ExportError, match="t2dm only"):
        export_arm_sbml(spec, spec.arms[0].name, [0], reduced=True)
