"""SBML export of the T1DM module (issue 6): patient K's file, in libRoadRunner, is that patient.

One small T1DM scenario (10 patients, one year) with an MSC arm (BM-MSC IV), an HSC arm with
immunoablative conditioning, an IPC + HSC arm and a control arm is run with `mscsim run`, and
patients are exported from the same scenario. Endpoints (HbA1c, FPG, C-peptide, insulin dose,
GAD proxy) at every record day must match the run within 1%, with the deviation floors of the
run's own reference check (`RELATIVE_TO_AT_LEAST`). The export is also checked term by term
against the T1DM reference path's right-hand side, for the conditioning window, for SBML
validity and units, for provenance on every parameter and for the CLI's one-line errors.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from mscsim.cli import app
from mscsim.engine._reference_t1dm import simulate_reference_t1dm
from mscsim.export._sbml import export_sbml
from mscsim.export._sbml_t1dm import (
    CHANNEL_IDS,
    LYMPH_IDS,
    T1PatientModel,
    exported_channels,
    t1dm_arm_patient_models,
    t1dm_sbml_model,
)
from mscsim.params import ParameterSet
from mscsim.physiology.t1dm._clinical import T1State, conditioning, secreting, t1_rates
from mscsim.physiology.t2dm._equations import (
    endogenous_insulin_coeff,
    glucose_appearance,
    secretion_fraction,
)
from mscsim.scenario import Scenario, parse_scenario
from mscsim.trial import simulate
from mscsim.trial._t1dm_arms import kinetics
from mscsim.trial._t1dm_run import RELATIVE_TO_AT_LEAST, observables, t1_setup

libsbml = pytest.importorskip("libsbml")
roadrunner = pytest.importorskip("roadrunner")

REL_TOL = 0.01
N, DURATION, VISITS = 10, 365, [0, 90, 180, 365]
ENDPOINTS = ("hba1c_pct", "fpg_mmol_l", "c_peptide_ng_ml", "insulin_iu_day", "gad_antibody_pct")
LEFT = 1e-7  # days: the run records the state of a day before that day's jumps
STATE_IDS = {
    "beta_mass": "beta_mass_mg",
    "beta_function": "beta_function",
    "insulin_sensitivity": "insulin_sensitivity",
    "m1_fraction": "m1_fraction",
    "hba1c": "hba1c_pct",
    "treg_pct": "treg_pct",
}

MSC = {
    "name": "bm_msc",
    "product": {"source": "bone_marrow", "form": "cells"},
    "regimen": {"dose": 2.75e6, "dose_unit": "cells/kg", "route": "iv", "schedule_days": [0, 28]},
}
HSC = {
    "name": "hsc",
    "product": {"source": "hematopoietic", "form": "cells"},
    "regimen": {"dose": 1.1e7, "dose_unit": "cells/kg", "route": "iv", "schedule_days": [0]},
}
IPC_HSC = {
    "name": "ipc_hsc",
    "product": {
        "components": [
            {
                "source": "adipose",
                "form": "insulin_producing_cells",
                "dose": 1.0e6,
                "dose_unit": "cells/kg",
                "route": "portal_vein",
                "ipc_protocol": "thakkar_isc_4day",
            },
            {
                "source": "hematopoietic",
                "form": "cells",
                "dose": 1.0e6,
                "dose_unit": "cells/kg",
                "route": "subcutaneous",
            },
        ]
    },
    "regimen": {"route": "portal_vein", "schedule_days": [0]},
}


def _scenario_dict() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "name": "T1DM SBML export test",
        "disease": "t1dm",
        "population": {
            "n": N,
            "seed": 75,
            "criteria": {"diabetes_duration_years": [0, 1], "age_years": [18, 40]},
        },
        "arms": [MSC, HSC, IPC_HSC, {"name": "control", "regimen": None}],
        "duration_days": DURATION,
        "visits_days": VISITS,
        "endpoints": list(ENDPOINTS),
    }


class Case:
    """The scenario's run, and the patients of each arm as the export builds them."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.run = simulate(scenario)
        self.arms = {a.name: t1dm_arm_patient_models(scenario, a.name) for a in scenario.arms}

    def model(self, arm: str, k: int) -> tuple[T1PatientModel, ParameterSet]:
        params, models = self.arms[arm]
        return models[k], params

    def row(self, arm: str, k: int) -> xr.Dataset:
        ds = self.run.trajectories
        return ds.isel(patient=np.flatnonzero(ds.arm.values == arm)[k])


@pytest.fixture(scope="module")
def case() -> Case:
    return Case(parse_scenario(yaml.safe_dump(_scenario_dict())))


def _rr(text: str) -> Any:
    rr = roadrunner.RoadRunner(text)
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    # Cells span 0..1e9 (T cells, APCs, MSCs, IPCs): a millionth of a cell is tight enough.
    for sid in (*CHANNEL_IDS, *LYMPH_IDS.values()):
        rr.integrator.setIndividualTolerance(sid, 1e-6)
    return rr


def _simulate(text: str, times: list[float], names: list[str]) -> dict[str, np.ndarray]:
    out = _rr(text).simulate(times=times, selections=["time", *names])
    return {n: np.asarray(out[:, j + 1]) for j, n in enumerate(names)}


def _deviation(name: str, ours: np.ndarray, run: np.ndarray) -> np.ndarray:
    """As the run's reference check: relative, with a floor where values near zero matter."""
    floor = RELATIVE_TO_AT_LEAST.get(name, 1e-12)
    return np.abs(ours - run) / np.maximum(np.abs(run), floor)


def _record_times(row: xr.Dataset) -> list[float]:
    # Left limits: a record is the state before that day's titration and doses.
    return [float(d) - LEFT if d > 0 else 0.0 for d in row.day.values]


def _worst_against_run(case: Case, arm: str, k: int) -> dict[str, float]:
    m, params = case.model(arm, k)
    row = case.row(arm, k)
    assert int(row.patient_id) == m.patient_id
    ours = _simulate(t1dm_sbml_model(m, params), _record_times(row), list(ENDPOINTS))
    return {n: float(np.max(_deviation(n, ours[n], row[n].values))) for n in ENDPOINTS}


@pytest.mark.parametrize("arm", ["bm_msc", "hsc", "ipc_hsc", "control"])
def test_roadrunner_matches_the_run_at_every_record_day_within_one_percent(
    case: Case, arm: str
) -> None:
    """Three patients of the arm, every weekly record (the first weeks after doses included)."""
    for k in (0, N // 2, N - 1):
        worst = _worst_against_run(case, arm, k)
        bad = {n: f"{d:.2e}" for n, d in worst.items() if not d <= REL_TOL}
        assert not bad, f"{arm} patient {k}: deviation over 1%: {bad}"


def test_ipc_arm_file_is_the_full_reference_model(case: Case) -> None:
    """The IPC arm's file is the full model: libRoadRunner equals the SciPy reference path
    (tighter than the 1% against the run, whose daily steps integrate the graft inflow)."""
    params, models = case.arms["ipc_hsc"]
    v = params.flat()
    sh = t1_setup(params)
    for k in (0, N - 1):
        m = models[k]
        row = case.row("ipc_hsc", k)
        days = [int(d) for d in row.day.values]
        ref = simulate_reference_t1dm(
            m.patient,
            m.state0,
            m.dose0,
            m.g_mean0,
            sh,
            cells_by_day={d: np.asarray(c) for d, c in m.cells_by_day.items()},
            kinetics=kinetics(v),
            record_days=days,
            duration_days=DURATION,
            titration_interval_days=7,
            rtol=1e-8,
        )
        obs = observables(ref["state"], ref["dose"], ref["g_fast"], ref["g_mean"], m.patient, sh, v)
        ours = _simulate(t1dm_sbml_model(m, params), _record_times(row), list(ENDPOINTS))
        for name in ENDPOINTS:
            to_ref = np.max(_deviation(name, ours[name], np.asarray(obs[name])))
            assert to_ref <= 1e-4, f"patient {k} {name}: {to_ref:.2e} from the reference path"


def _t1_state(values: dict[str, float]) -> T1State:
    from mscsim.physiology.islets._graft import Graft
    from mscsim.physiology.t1dm._clinical import Lymph
    from mscsim.physiology.t2dm._equations import Slow

    return T1State(
        slow=Slow(**{f: values[sid] for f, sid in STATE_IDS.items()}),
        lymph=Lymph(**{f: values[sid] for f, sid in LYMPH_IDS.items()}),
        gad=values["gad_antibody_pct"] / 100.0,
        ipc_graft=values["ipc_graft_cells"],
        islets=Graft(0.0, 0.0, 0.0, 0.0),  # no islet graft in exported arms
    )


@pytest.mark.parametrize(("arm", "t", "cells"), [("hsc", 4.0, 0.0), ("ipc_hsc", 0.3, 3.0e7)])
def test_the_rates_are_the_reference_paths_rates(
    case: Case, arm: str, t: float, cells: float
) -> None:
    """Term by term: the SBML right-hand side equals the T1DM reference path's, with cells."""
    m, params = case.model(arm, 1)
    sh = t1_setup(params)
    kin = kinetics(params.flat())
    rr = _rr(t1dm_sbml_model(m, params))
    rr.reset()
    rr.model.setTime(t)
    symbols = list(rr.model.getRateRuleSymbols())
    rng = np.random.default_rng(1)
    # Perturb every state off the enrolment state so that no term vanishes by symmetry.
    state = {s: rr[s] * (1.0 + 0.05 * rng.standard_normal()) for s in symbols}
    state["ipc_graft_cells"] = 1.0e6
    for j, s in enumerate(CHANNEL_IDS):
        state[s] = cells * (0.1 + j / len(CHANNEL_IDS))
    for s, x in state.items():
        rr[s] = x
    ours = dict(zip(symbols, rr.getRatesOfChange(), strict=True))

    y = _t1_state(state)
    g, ins, dose = state["glucose_mg_dl"], state["insulin_uu_ml"], rr["insulin_iu_day"]
    pat = m.patient
    channels = np.array([*(state[s] for s in CHANNEL_IDS), 0.0])  # + the (empty) islet inflow
    ref = t1_rates(y, g, t, channels, pat, sh, np)
    s = secreting(y, pat, sh)
    c_endo = endogenous_insulin_coeff(s.beta_mass, s.beta_function, sh.base)
    r_mean = glucose_appearance(pat.base, sh.base)[0]
    expected = {
        "glucose_mg_dl": r_mean - (sh.base.EG0 + s.insulin_sensitivity * ins) * g,
        "insulin_uu_ml": c_endo * sh.base.k * secretion_fraction(g, sh.base)
        - sh.base.k * (ins - pat.base.c_exo * dose),
        **{sid: getattr(ref.slow, f) for f, sid in STATE_IDS.items()},
        **{sid: getattr(ref.lymph, f) for f, sid in LYMPH_IDS.items()},
        "gad_antibody_pct": 100.0 * ref.gad,
        "ipc_graft_cells": ref.ipc_graft,
        **dict(zip(CHANNEL_IDS, (kin @ channels)[: len(CHANNEL_IDS)], strict=True)),
    }
    for name, r in expected.items():
        scale = max(abs(state[name]), 1.0)
        assert ours[name] == pytest.approx(r, rel=1e-9, abs=1e-12 * scale), name


def test_conditioning_window_is_the_models(case: Case) -> None:
    m, params = case.model("hsc", 0)
    sh = t1_setup(params)
    times = [0.0, 0.5, 2.0, 5.0, 9.5, 10.0, 11.0, 20.0, 60.0]
    out = _simulate(t1dm_sbml_model(m, params), times, ["conditioning_intensity"])
    expected = np.array([conditioning(t, m.patient, sh, np) for t in times])
    np.testing.assert_allclose(out["conditioning_intensity"], expected, rtol=1e-12, atol=1e-15)
    assert out["conditioning_intensity"][3] > 0.999 and out["conditioning_intensity"][-1] < 1e-12
    # Arms without HSCs have no window: a constant zero.
    model = libsbml.readSBMLFromString(t1dm_sbml_model(*case.model("bm_msc", 0))).getModel()
    p = model.getParameter("conditioning_intensity")
    assert p.getConstant() and p.getValue() == 0.0


def test_dosing_events_put_each_channels_cells_in_on_dosing_days(case: Case) -> None:
    m, params = case.model("ipc_hsc", 2)
    assert set(m.cells_by_day) == {0}
    dose = dict(zip(CHANNEL_IDS, exported_channels(m.cells_by_day[0]), strict=True))
    assert dose["ipc_inflow_cells"] > 0.0 and dose["msc_liver"] > 0.0
    out = _simulate(t1dm_sbml_model(m, params), [0.0, 1e-9], list(CHANNEL_IDS))
    # A billionth of a day after the dose, a few cells have moved on from the blood.
    moved = 1e-6 * max(dose.values())
    for sid, cells in dose.items():
        assert out[sid][1] == pytest.approx(cells, rel=1e-6, abs=moved), sid
    msc, msc_params = case.model("bm_msc", 2)
    assert set(msc.cells_by_day) == {0, 28}
    ours = _simulate(t1dm_sbml_model(msc, msc_params), [28.0 - LEFT, 28.0 + LEFT], ["msc_lung"])
    lung = dict(zip(CHANNEL_IDS, exported_channels(msc.cells_by_day[28]), strict=True))["msc_lung"]
    assert ours["msc_lung"][1] - ours["msc_lung"][0] == pytest.approx(lung, rel=1e-6)


def test_valid_sbml_with_consistent_units_and_trajectory_ids(case: Case) -> None:
    for arm in ("hsc", "ipc_hsc"):
        doc = libsbml.readSBMLFromString(t1dm_sbml_model(*case.model(arm, 0)))
        assert (doc.getLevel(), doc.getVersion()) == (3, 2)
        doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
        doc.checkConsistency()
        issues = [doc.getError(i) for i in range(doc.getNumErrors())]
        errors = [e.getMessage() for e in issues if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]
        assert not errors, errors
        units = [
            e.getMessage()
            for e in issues
            if e.getCategory() == libsbml.LIBSBML_CAT_UNITS_CONSISTENCY
        ]
        assert not units, units
        model = doc.getModel()
        assert model.getTimeUnits() == "day"
        ids = {model.getParameter(i).getId() for i in range(model.getNumParameters())}
        ds = case.run.trajectories
        variables = {v for v, a in ds.data_vars.items() if "day" in a.dims}
        assert variables <= ids, sorted(variables - ids)
        rules = [model.getRule(i) for i in range(model.getNumRules())]
        rate_ruled = {r.getVariable() for r in rules if r.isRate()}
        assert {*STATE_IDS.values(), *LYMPH_IDS.values(), *CHANNEL_IDS} <= rate_ruled
        assert {"gad_antibody_pct", "ipc_graft_cells", "glucose_mg_dl"} <= rate_ruled
        assigned = {r.getVariable() for r in rules if r.isAssignment()}
        assert "conditioning_intensity" in assigned
        events = {model.getEvent(i).getId() for i in range(model.getNumEvents())}
        # An HSC arm infuses no cells that the model follows: conditioning is all it does.
        cells = {"cell_dose_day_0", "msc_cleared"} if arm == "ipc_hsc" else set()
        assert events == {"weekly_titration", *cells}


def test_every_parameter_has_a_unit_and_its_provenance(case: Case) -> None:
    k = 3
    m, params = case.model("ipc_hsc", k)
    model = libsbml.readSBMLFromString(t1dm_sbml_model(m, params)).getModel()
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
    for name in ("t1d_beta_killing_rate", "t1d_treg_suppression_ln_early", "t1d_gad_half_life"):
        assert f'name="{name}"' in model.getParameter(name).getAnnotationString()
    kill = model.getParameter("kill_factor")
    assert kill.getValue() == pytest.approx(float(m.patient.kill_factor), rel=1e-14)
    assert f"patient {k}'s value" in html.unescape(kill.getNotesString())
    assert model.getParameter("conditioning_start").getValue() == 0.0
    assert model.getParameter("ipc_mg_per_cell").getValue() > 0.0


def test_export_sbml_dispatches_t1dm_scenarios(case: Case) -> None:
    text = export_sbml(case.scenario, "hsc", 4)
    assert text == t1dm_sbml_model(*case.model("hsc", 4))
    assert "(full T1DM model)" in text


def test_enrolment_state_is_the_runs(case: Case) -> None:
    """The file starts where the run's patient starts: after the burn-in from diagnosis."""
    m, params = case.model("control", 5)
    row = case.row("control", 5)
    names = ["beta_mass_mg", "teff_ln_cells", "hba1c_pct", "insulin_iu_day", "gad_antibody_pct"]
    ours = _simulate(t1dm_sbml_model(m, params), [0.0, 1.0], names)
    for name in names:
        assert ours[name][0] == pytest.approx(float(row[name].values[0]), rel=1e-5), name
    assert jax.tree_util.tree_leaves(m.state0)  # plain floats


def _cli_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "t1.yaml"
    path.write_text(yaml.safe_dump(_scenario_dict()), encoding="utf-8")
    return path


def test_cli_writes_a_t1dm_file_that_roadrunner_loads(tmp_path: Path, case: Case) -> None:
    out = tmp_path / "p.xml"
    args = ["export-sbml", str(_cli_scenario(tmp_path)), "--arm", "hsc", "--patient", "2"]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text == t1dm_sbml_model(*case.model("hsc", 2))
    assert _rr(text).model.getModelName().endswith("arm hsc, patient 2 (full T1DM model)")


@pytest.mark.parametrize(
    ("arm", "patient", "message"),
    [
        ("nope", "0", "arm 'nope' is not in the scenario; its arms: bm_msc, hsc, ipc_hsc, control"),
        ("hsc", str(N), f"patient {N} is out of range; each arm has patients 0..{N - 1}"),
        ("hsc", "-1", "patient -1 is out of range"),
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


def test_other_diseases_go_to_their_own_export() -> None:
    d = _scenario_dict()
    d["disease"] = "osteoporosis"
    d["population"]["criteria"] = {}
    d["arms"] = [MSC, {"name": "control", "regimen": None}]
    d["endpoints"] = ["bmd_lumbar_g_cm2"]
    scenario = parse_scenario(yaml.safe_dump(d))
    # Aging diseases have their own export (tests/test_export_sbml_aging.py).
    assert 'id="mscsim_osteoporosis_bm_msc_patient_0"' in export_sbml(scenario, "bm_msc", 0)
