"""Run a scenario: sample the population, simulate every arm, derive endpoints.

Computation only: the result object is written to files and the report elsewhere (results/).
"""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np
import pandas as pd
import xarray as xr

from mscsim._version import __version__
from mscsim.engine._fast import ArmDosing, Carry, Record, simulate_arm
from mscsim.engine._schedule import Grid, make_grid, titration_days
from mscsim.params import ParameterSet, load_parameters
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._baseline import (
    RANDOM_EFFECTS,
    Baseline,
    build_baseline,
    shared_constants,
)
from mscsim.physiology.t2dm._equations import Patient, Shared
from mscsim.physiology.t2dm._observables import ENDPOINT_UNITS, fasting_observables
from mscsim.population import CriteriaTooStrictError, sample_eligible
from mscsim.scenario import Arm, Scenario, ScenarioError
from mscsim.trial._analysis import responder_table
from mscsim.trial._arms import arm_dosing, arm_patient, standard_of_care
from mscsim.trial._check import RTOL as REFERENCE_RTOL
from mscsim.trial._check import (
    compare_with_engine,
    dose_days,
    reference_observables,
    reference_patients,
)
from mscsim.trial._dataset import build_dataset
from mscsim.trial._meal import visit_meal_test
from mscsim.trial._moments import endpoint_table
from mscsim.trial._replicates import TRIAL_COLUMNS, TrialPlan, allocate, trial_summary
from mscsim.trial._support import AGING_DISEASES, check_supported, control_arm, is_active

PARAMETER_MODULES = ("topp2000", "msc_core", "t2dm")


EVIDENCE_LEVEL = "exploratory"  # calibrated to one pooled estimate; no held-apart validation yet


Progress = Callable[[str], None]


@dataclass(frozen=True)
class ArmResult:
    name: str
    records: dict[str, np.ndarray]  # variable -> (patients, record days)
    visits: dict[str, np.ndarray]  # endpoint -> (patients, visits)


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    parameters: ParameterSet
    trajectories: xr.Dataset
    endpoints: pd.DataFrame
    responders: pd.DataFrame
    lock: dict[str, Any] = field(default_factory=dict)


def population_functions(
    params: ParameterSet,
) -> tuple[
    Callable[[dict[str, np.ndarray]], Baseline], Callable[[Baseline], dict[str, np.ndarray]]
]:
    """How candidates are built from their random effects, and the values criteria read."""
    v = params.flat()
    sh = shared_constants(v, msc_core.index("target"))

    def build(z: dict[str, np.ndarray]) -> Baseline:
        return build_baseline(z, v, sh)

    def eligibility_values(b: Baseline) -> dict[str, np.ndarray]:
        obs = fasting_observables(b.slow, b.insulin_dose, b.g_fast, b.g_mean, b.patient, sh, np)
        return {
            **b.covariates,
            "hba1c_pct": b.slow.hba1c,
            "c_peptide_ng_ml": obs["c_peptide_ng_ml"],
        }

    return build, eligibility_values


def sample_population(scenario: Scenario, params: ParameterSet) -> tuple[Baseline, np.ndarray]:
    build, eligibility_values = population_functions(params)
    try:
        return sample_eligible(
            scenario.population.n,
            scenario.population.seed,
            RANDOM_EFFECTS,
            build,
            eligibility_values,
            scenario.population.criteria.items(),
        )
    except CriteriaTooStrictError as exc:
        raise ScenarioError(
            ("population", "criteria"),
            dict(scenario.population.criteria.items()),
            str(exc),
        ) from None


def stack_patients(trees: list[Any]) -> Any:
    """Concatenate patients of several arms (first axis) in every array of a pytree."""
    return jax.tree_util.tree_map(lambda *a: np.concatenate([np.asarray(x) for x in a]), *trees)


def _records_to_variables(
    rec: Record, pat: Patient, sh: Shared, v: dict[str, float]
) -> dict[str, np.ndarray]:
    """Per-record-day variables (time-major arrays from the engine -> patients x days)."""
    obs = fasting_observables(rec.slow, rec.dose, rec.g_fast, rec.g_mean, pat, sh, np)
    out = {k: np.asarray(a).T for k, a in obs.items()}
    out["beta_mass_mg"] = np.asarray(rec.slow.beta_mass).T
    out["beta_function"] = np.asarray(rec.slow.beta_function).T
    out["insulin_sensitivity"] = np.asarray(rec.slow.insulin_sensitivity).T
    out["m1_fraction"] = np.asarray(rec.slow.m1_fraction).T
    out["inflammation_index"] = out["m1_fraction"] / sh.m1_healthy
    for j, comp in enumerate(msc_core.COMPARTMENTS):
        out[f"msc_{comp}"] = np.asarray(rec.msc[..., j]).T
    return out


def _visit_tests(
    rec: Record, idx: np.ndarray, pat: Patient, sh: Shared, v: dict[str, float]
) -> dict[str, np.ndarray]:
    """MMTT at each visit with the slow states of that day frozen."""
    sel = jax.tree_util.tree_map(lambda a: np.asarray(a)[idx], rec)
    pat_v = jax.tree_util.tree_map(lambda a: np.broadcast_to(a, sel.dose.shape), pat)
    return visit_meal_test(sel.slow, sel.dose, sel.g_fast, pat_v, sh, v)


def simulate(scenario: Scenario, *, progress: Progress | None = None) -> RunResult:
    """Simulate all arms of a validated scenario on one virtual population."""
    check_supported(scenario)
    if scenario.disease == "t1dm":
        from mscsim.trial._t1dm_run import simulate_t1dm

        return simulate_t1dm(scenario, progress=progress)
    if scenario.disease in AGING_DISEASES:
        from mscsim.trial._aging_run import simulate_aging

        return simulate_aging(scenario, progress=progress)
    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()
    note = progress or (lambda _msg: None)
    with jax.enable_x64(True):
        note("sampling population")
        base, candidate_ids = sample_population(scenario, params)
        sh = shared_constants(v, msc_core.index("target"))
        grid = make_grid(int(scenario.duration_days), scenario.visits_days)
        background = standard_of_care(base.patient, scenario.standard_of_care, v)
        pats = [arm_patient(arm, background, v) for arm in scenario.arms]
        dosings = [arm_dosing(arm, p, grid, v) for arm, p in zip(scenario.arms, pats, strict=True)]
        treated = [g for g, arm in enumerate(scenario.arms) if is_active(arm)]
        g = treated[0] if treated else 0
        arm = scenario.arms[g]
        # The reference path (SciPy, in Python) needs nothing from the engine: it runs on a
        # second thread while XLA compiles and runs the engine (both release the GIL), which
        # takes its ~2 s off a cold run's wall clock on two cores. NumPy only: same numbers.
        with ThreadPoolExecutor(max_workers=1) as pool:
            reference = pool.submit(
                _arm_reference, scenario, pats[g], base, sh, dosings[g], grid, v
            )
            arms = _simulate_arms(scenario, base, pats, dosings, sh, grid, v, note)
            note(f"checking arm {arm.name} against the reference solver")
            check = compare_with_engine(arm.name, reference.result(), grid, arms[arm.name].records)
    note("analysing endpoints")
    result = _assemble(scenario, params, base, candidate_ids, grid, arms)
    lock = {"seed": scenario.population.seed, "scope": platform_scope(), "reference_check": check}
    return dataclasses.replace(result, lock=lock)


def _simulate_arms(
    scenario: Scenario,
    base: Baseline,
    pats: list[Patient],
    dosings: list[ArmDosing],
    sh: Shared,
    grid: Grid,
    v: dict[str, float],
    note: Progress,
) -> dict[str, ArmResult]:
    """All arms in one fused scan (per-step overhead paid once), then the visit meal tests."""
    n = len(base.patient.weight_kg)
    note(f"simulating {len(pats)} arm(s) x {n} patients")
    stacked = stack_patients(pats)
    dosing = ArmDosing(
        amount=np.stack([d.amount for d in dosings], axis=-1),
        scale=np.concatenate([d.scale for d in dosings]),
        route=np.concatenate([np.broadcast_to(d.route, (n, len(d.route))) for d in dosings]),
        group=np.repeat(np.arange(len(dosings)), n),
    )
    no_cells = np.zeros((n, len(msc_core.COMPARTMENTS)))
    carry0 = Carry(base.slow, base.insulin_dose, no_cells, base.g_mean, base.g_fast)
    titr = titration_days(grid, v["titration_interval"])
    kinetics = msc_core.kinetic_matrix(v)
    rec = simulate_arm(
        stack_patients([carry0] * len(pats)), stacked, sh, dosing, grid, titr, kinetics
    )
    variables = _records_to_variables(rec, stacked, sh, v)
    visit_idx = np.searchsorted(grid.record_days, [round(d) for d in scenario.visits_days])
    visits = {k: a[:, visit_idx] for k, a in variables.items()}
    note("mixed-meal tests at visits")
    visits.update(_visit_tests(rec, visit_idx, stacked, sh, v))
    return split_arms(scenario, variables, visits, n)


def split_arms(
    scenario: Scenario,
    variables: dict[str, np.ndarray],
    visits: dict[str, np.ndarray],
    n: int,
) -> dict[str, ArmResult]:
    """Per-arm results from arrays whose rows are the arms' patients stacked in scenario order."""
    arms: dict[str, ArmResult] = {}
    for g, arm in enumerate(scenario.arms):
        rows = slice(g * n, (g + 1) * n)
        arms[arm.name] = ArmResult(
            arm.name,
            {k: a[rows] for k, a in variables.items()},
            {k: a[rows] for k, a in visits.items()},
        )
    return arms


def _arm_reference(
    scenario: Scenario,
    pat: Patient,
    base: Baseline,
    sh: Shared,
    dosing: ArmDosing,
    grid: Grid,
    v: dict[str, float],
    rtol: float = REFERENCE_RTOL,
) -> dict[int, dict[str, np.ndarray]]:
    """The reference path's endpoints for the patients this run re-checks in this arm."""
    patients = reference_patients(scenario.population.seed, len(pat.weight_kg))
    live = {d: a * np.asarray(dosing.scale) for d, a in dose_days(dosing.amount, grid).items()}
    return reference_observables(
        patients=patients,
        pat=pat,
        base=base,
        sh=sh,
        dose_live_cells=live,
        route=np.asarray(dosing.route),
        kinetics=msc_core.kinetic_matrix(v),
        grid=grid,
        titration_interval=v["titration_interval"],
        rtol=rtol,
    )


def _check_arm(
    scenario: Scenario,
    arm: Arm,
    pat: Patient,
    base: Baseline,
    sh: Shared,
    dosing: ArmDosing,
    grid: Grid,
    v: dict[str, float],
    variables: dict[str, np.ndarray],
) -> dict[str, Any]:
    reference = _arm_reference(scenario, pat, base, sh, dosing, grid, v)
    return compare_with_engine(arm.name, reference, grid, variables)


def _assemble(
    scenario: Scenario,
    params: ParameterSet,
    base: Baseline,
    candidate_ids: np.ndarray,
    grid: Grid,
    arms: dict[str, ArmResult],
) -> RunResult:
    responders = responder_arrays(base, arms)
    return assemble(scenario, params, candidate_ids, grid, arms, ENDPOINT_UNITS, responders)


def responder_arrays(
    base: Baseline, arms: dict[str, ArmResult]
) -> dict[str, dict[str, np.ndarray]]:
    """Per arm and responder definition: (patients, visits) booleans, NaN where not applicable."""
    treated = base.covariates["insulin_treated"] > 0.5
    responders = {}
    for name, r in arms.items():
        a1c, dose = r.visits["hba1c_pct"], r.visits["insulin_iu_day"]
        fpg, cpep = r.visits["fpg_mmol_l"], r.visits["c_peptide_ng_ml"]
        ins_resp = np.where(treated[:, None], dose <= 0.5 * dose[:, :1], np.nan)
        # One responder definition per clinical endpoint, as the seeds' trials reported them
        # (HbA1c target 7%, ADA; insulin need halved, seed 004 §3; C-peptide rise).
        responders[name] = {
            "hba1c_below_7_pct": a1c < 7.0,
            "hba1c_drop_at_least_0_5": (a1c - a1c[:, :1]) <= -0.5,
            "fpg_below_7_mmol_l": fpg < 7.0,
            "insulin_reduced_at_least_50pct": ins_resp,
            "c_peptide_rise_at_least_10pct": cpep >= 1.1 * cpep[:, :1],
        }
    return responders


def assemble(
    scenario: Scenario,
    params: ParameterSet,
    candidate_ids: np.ndarray,
    grid: Grid,
    arms: dict[str, ArmResult],
    units: dict[str, str],
    responders: dict[str, dict[str, np.ndarray]],
) -> RunResult:
    """Endpoint and responder tables, trial replicates and the trajectory dataset of a run."""
    control = control_arm(scenario)
    visits = list(scenario.visits_days)
    endpoints = [str(e) for e in scenario.endpoints]
    values = {name: {str(e): r.visits[e] for e in endpoints} for name, r in arms.items()}
    table = endpoint_table(values, units, visits, control)
    if scenario.trial is not None:
        table = _with_trial_columns(table, scenario, values, visits, control)
    resp = responder_table(responders, visits)
    # Say in the files which uncertainty each interval shows, so no one mistakes one for another.
    table["ci_uncertainty"] = BETWEEN_PATIENT
    resp["ci_uncertainty"] = BETWEEN_PATIENT
    if scenario.trial is not None:
        t = scenario.trial
        table["trial_uncertainty"] = (
            f"between-trial: {t.replicates} randomised trials of {t.n_per_arm} patients per arm "
            f"(dropout {t.dropout:g}, measurement CV per endpoint)"
        )
    ds = build_dataset(arms, grid, candidate_ids, visits)
    return RunResult(scenario, params, ds, table, resp)


MEASUREMENT_CV_PARAMETERS = {
    "hba1c_pct": "cv_hba1c",
    "fpg_mmol_l": "cv_fpg",
    "ppg_mmol_l": "cv_ppg",
    "c_peptide_ng_ml": "cv_c_peptide",
    "c_peptide_auc": "cv_c_peptide",
    "cpgr": "cv_c_peptide",
    "homa_b": "cv_homa",
    "homa_ir": "cv_homa",
    "treg_pct": "cv_treg",
    "c_peptide_peak_ng_ml": "cv_c_peptide",
    "insulin_auc": "cv_c_peptide",
    "gad_antibody_pct": "cv_gad_antibody",
}


BETWEEN_PATIENT = "between-patient: 95% CI of the mean over the whole virtual population"


def measurement_cvs() -> dict[str, float]:
    """Within-subject CV of each endpoint's measurement (insulin doses and counts are exact)."""
    v = load_parameters(*PARAMETER_MODULES, "t1dm").flat()
    return {endpoint: v[name] for endpoint, name in MEASUREMENT_CV_PARAMETERS.items()}


def _with_trial_columns(
    table: pd.DataFrame,
    scenario: Scenario,
    values: dict[str, dict[str, np.ndarray]],
    visits: list[float],
    control: str | None,
) -> pd.DataFrame:
    """Add the spread of real-sized trial results over replicates (between-trial uncertainty)."""
    trial = scenario.trial
    assert trial is not None
    weights = dict(trial.allocation or ())
    plan = TrialPlan(
        n_per_arm={a.name: trial.n_per_arm * weights.get(a.name, 1) for a in scenario.arms},
        replicates=trial.replicates,
        dropout=trial.dropout,
        measurement_cv=measurement_cvs(),
        seed=scenario.population.seed,
    )
    n_population = len(next(iter(next(iter(values.values())).values())))
    alloc = allocate(plan, n_population, visits, scenario.population.seed)
    summary = trial_summary(values, plan, alloc, control)
    day_index = {float(d): j for j, d in enumerate(visits)}
    keys = zip(table["arm"], table["endpoint"], table["day"], strict=True)
    extra = [summary[(str(a), str(e), day_index[float(d)])] for a, e, d in keys]
    return pd.concat([table, pd.DataFrame(extra, columns=list(TRIAL_COLUMNS))], axis=1)


def platform_scope() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "jax": jax.__version__,
        "numpy": np.__version__,
        "mscsim": __version__,
    }
