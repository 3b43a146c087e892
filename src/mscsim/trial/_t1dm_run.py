"""Run a T1DM scenario: patients from diagnosis to enrolment, every arm, endpoints.

Each candidate starts at clinical onset (`physiology.t1dm._baseline`) and lives through their own
time since diagnosis on insulin (the burn-in, by the same engine) before the criteria are applied:
C-peptide, HbA1c and the immune state at enrolment are the model's own, whatever the duration.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

import jax
import numpy as np

from mscsim.engine._fast import ArmDosing, Carry, Record, simulate_arm
from mscsim.engine._reference_t1dm import patient_at, simulate_reference_t1dm
from mscsim.engine._schedule import Grid, make_grid, titration_days
from mscsim.params import ParameterSet, load_parameters
from mscsim.physiology import msc_core
from mscsim.physiology.t1dm._baseline import (
    RANDOM_EFFECTS,
    at_diagnosis,
    onset_state,
    t1_immune_params,
    t1_shared,
)
from mscsim.physiology.t1dm._clinical import (
    T1DM_MODEL,
    T1Patient,
    T1Shared,
    T1State,
    secreting,
    t1_glucose,
)
from mscsim.physiology.t2dm._baseline import shared_constants
from mscsim.physiology.t2dm._observables import ENDPOINT_UNITS, fasting_observables
from mscsim.population import CriteriaTooStrictError, sample_eligible
from mscsim.scenario import Scenario, ScenarioError
from mscsim.trial._check import dose_days, reference_patients
from mscsim.trial._meal import visit_meal_test
from mscsim.trial._run import (
    ArmResult,
    Progress,
    RunResult,
    assemble,
    platform_scope,
    split_arms,
    stack_patients,
)
from mscsim.trial._support import is_active
from mscsim.trial._t1dm_arms import N_CHANNELS, arm_inputs, kinetics

PARAMETER_MODULES = ("topp2000", "msc_core", "t2dm", "t1dm_immune", "t1dm", "ipc", "islets")

T1DM_ENDPOINT_UNITS: dict[str, str] = {
    **{k: u for k, u in ENDPOINT_UNITS.items() if k != "treg_pct"},
    "c_peptide_peak_ng_ml": "ng/mL",
    "gad_antibody_pct": "% of enrolment",
    "insulin_free_pct": "% of patients",
    "insulin_auc": "uU/mL*min",
}

BURN_IN_YEAR = 365  # burn-in grids are whole years, so a few shapes cover every scenario


class T1Population(NamedTuple):
    patient: T1Patient
    state: T1State
    dose: np.ndarray
    g_mean: np.ndarray
    g_fast: np.ndarray
    covariates: dict[str, np.ndarray]


def _fasting(
    state: T1State, dose: Any, g0: Any, pat: T1Patient, sh: T1Shared, which: int
) -> np.ndarray:
    return np.asarray(t1_glucose(state, dose, pat, sh, g0, which=which, iters=60, xp=np))


def observables(
    state: T1State,
    dose: Any,
    g_fast: Any,
    g_mean: Any,
    pat: T1Patient,
    sh: T1Shared,
    v: Mapping[str, float],
) -> dict[str, Any]:
    """Endpoint values (units of T1DM_ENDPOINT_UNITS) from states, dose and glucose."""
    obs = fasting_observables(
        secreting(state, pat, sh), dose, g_fast, g_mean, pat.base, sh.base, np
    )
    obs.pop("treg_pct")
    obs["gad_antibody_pct"] = 100.0 * np.asarray(state.gad)
    free = np.asarray(dose) < v["t1d_insulin_free_threshold"] * np.asarray(pat.base.weight_kg)
    obs["insulin_free_pct"] = 100.0 * free.astype(np.float64)
    return obs


def _burn_in(
    pat: T1Patient, state: T1State, dose: np.ndarray, sh: T1Shared, v: Mapping[str, float]
) -> tuple[T1State, np.ndarray]:
    """Each patient from diagnosis to their enrolment day (`clock_stop`), on insulin."""
    last = float(np.max(pat.clock_stop)) if len(dose) else 0.0
    years = max(1, int(np.ceil(last / BURN_IN_YEAR)))
    grid = make_grid(years * BURN_IN_YEAR, [])
    n = len(dose)
    g0 = _fasting(state, dose, np.full(n, 150.0), pat, sh, which=0)
    gf = _fasting(state, dose, g0, pat, sh, which=1)
    carry = Carry(state, dose, np.zeros((n, N_CHANNELS)), g0, gf)
    dosing = ArmDosing(np.zeros(grid.day.shape), np.zeros(n), np.zeros((n, N_CHANNELS)))
    titr = titration_days(grid, v["titration_interval"])
    rec = simulate_arm(
        carry, pat, sh, dosing, grid, titr, kinetics(v), precision="float64", model=T1DM_MODEL
    )
    final = jax.tree_util.tree_map(lambda a: np.asarray(a)[-1], rec)
    return final.slow, final.dose


def sample_population(
    scenario: Scenario, params: ParameterSet, sh: T1Shared
) -> tuple[T1Population, np.ndarray]:
    v = params.flat()
    onset = onset_state(sh.immune)
    duration_crit = dict(scenario.population.criteria.items()).get("diabetes_duration_years")
    cap = v["t1d_duration_max"]
    if isinstance(duration_crit, tuple):
        cap = min(cap, float(duration_crit[1]))

    def build(z: dict[str, np.ndarray]) -> T1Population:
        pat, state, dose, cov = at_diagnosis(z, {**v, "t1d_duration_max": cap}, sh, onset)
        state, dose = _burn_in(pat, state, dose, sh, v)
        # Enrolment: the clock runs for everyone from now on; the GAD proxy is 100% today.
        # The progenitor pool for neogenesis keeps shrinking with the years since diagnosis.
        pat = pat._replace(
            base=pat.base._replace(duration0_years=cov["diabetes_duration_years"]),
            clock_stop=np.full_like(pat.clock_stop, np.inf),
            teff_ref=state.lymph.teff_ln,
        )
        state = state._replace(gad=np.ones_like(state.gad))
        g_mean = _fasting(state, dose, np.full(len(dose), 150.0), pat, sh, which=0)
        g_fast = _fasting(state, dose, g_mean, pat, sh, which=1)
        return T1Population(pat, state, dose, g_mean, g_fast, cov)

    def eligibility(p: T1Population) -> dict[str, np.ndarray]:
        obs = observables(p.state, p.dose, p.g_fast, p.g_mean, p.patient, sh, v)
        return {
            **p.covariates,
            "hba1c_pct": np.asarray(p.state.slow.hba1c),
            "c_peptide_ng_ml": np.asarray(obs["c_peptide_ng_ml"]),
        }

    try:
        return sample_eligible(
            scenario.population.n,
            scenario.population.seed,
            RANDOM_EFFECTS,
            build,
            eligibility,
            scenario.population.criteria.items(),
        )
    except CriteriaTooStrictError as exc:
        raise ScenarioError(
            ("population", "criteria"), dict(scenario.population.criteria.items()), str(exc)
        ) from None


def t1_setup(params: ParameterSet) -> T1Shared:
    v = params.flat()
    return t1_shared(v, shared_constants(v, msc_core.index("target")), t1_immune_params())


def simulate_arms(
    scenario: Scenario,
    pop: T1Population,
    sh: T1Shared,
    grid: Grid,
    v: Mapping[str, float],
) -> tuple[list[T1Patient], list[ArmDosing], Record, dict[str, dict[str, object]]]:
    """All arms in one fused scan on the same virtual patients."""
    inputs = [arm_inputs(arm, pop.patient, grid, v) for arm in scenario.arms]
    pats = [i[0] for i in inputs]
    dosings = [i[1] for i in inputs]
    n = len(pop.dose)
    stacked = stack_patients(pats)
    dosing = ArmDosing(
        amount=np.stack([d.amount for d in dosings], axis=-1),
        scale=np.concatenate([d.scale for d in dosings]),
        route=np.concatenate([d.route for d in dosings]),
        group=np.repeat(np.arange(len(dosings)), n),
    )
    carry0 = Carry(pop.state, pop.dose, np.zeros((n, N_CHANNELS)), pop.g_mean, pop.g_fast)
    titr = titration_days(grid, v["titration_interval"])
    rec = simulate_arm(
        stack_patients([carry0] * len(pats)),
        stacked,
        sh,
        dosing,
        grid,
        titr,
        kinetics(v),
        model=T1DM_MODEL,
    )
    summaries = {arm.name: i[2] for arm, i in zip(scenario.arms, inputs, strict=True)}
    return pats, dosings, rec, summaries


def record_variables(
    rec: Record, pat: T1Patient, sh: T1Shared, v: Mapping[str, float]
) -> dict[str, np.ndarray]:
    """Per-record-day variables (engine records are time-major -> patients x days)."""
    pat_t = jax.tree_util.tree_map(lambda a: np.asarray(a)[None, :], pat)
    obs = observables(rec.slow, rec.dose, rec.g_fast, rec.g_mean, pat_t, sh, v)
    out = {k: np.asarray(a).T for k, a in obs.items()}
    y: T1State = rec.slow
    out["beta_mass_mg"] = np.asarray(y.slow.beta_mass).T
    out["beta_function"] = np.asarray(y.slow.beta_function).T
    out["ipc_graft_cells"] = np.asarray(y.ipc_graft).T
    for name, arr in zip(y.lymph._fields, y.lymph, strict=True):
        out[f"{name}_cells"] = np.asarray(arr).T
    total_t = np.asarray(y.lymph.treg_ln) + np.asarray(y.lymph.teff_ln)
    out["treg_fraction_ln"] = (np.asarray(y.lymph.treg_ln) / np.maximum(total_t, 1.0)).T
    for j, comp in enumerate(msc_core.COMPARTMENTS):
        out[f"msc_{comp}"] = np.asarray(rec.msc[..., j]).T
    return out


def visit_tests(
    rec: Record, idx: np.ndarray, pat: T1Patient, sh: T1Shared, v: Mapping[str, float]
) -> dict[str, np.ndarray]:
    """Mixed-meal test at each visit (states of that day frozen; IPC grafts count as beta cells)."""
    sel = jax.tree_util.tree_map(lambda a: np.asarray(a)[idx], rec)
    pat_v = jax.tree_util.tree_map(lambda a: np.broadcast_to(a, sel.dose.shape), pat)
    sec = secreting(sel.slow, pat_v, sh)
    return visit_meal_test(sec, sel.dose, sel.g_fast, pat_v.base, sh.base, v)


CHECKED_ENDPOINTS = ("hba1c_pct", "fpg_mmol_l", "c_peptide_ng_ml", "insulin_iu_day")
# Deviations are relative to the reference value, or to the smallest difference that matters
# clinically when the value itself is near zero: a pen dials whole units, and C-peptide assays
# resolve about 0.01 ng/mL. Without a floor, a patient the titration takes to 0.01 IU/day turns
# a 0.05 IU/day difference into 500%.
RELATIVE_TO_AT_LEAST = {"insulin_iu_day": 1.0, "c_peptide_ng_ml": 0.01}
REFERENCE_RTOL = 1e-6


def reference_check(
    scenario: Scenario,
    arm_name: str,
    pop: T1Population,
    pat: T1Patient,
    dosing: ArmDosing,
    sh: T1Shared,
    grid: Grid,
    v: Mapping[str, float],
    engine: dict[str, np.ndarray],
) -> dict[str, Any]:
    """Re-simulate a few random patients of one arm on the SciPy reference path."""
    patients = reference_patients(scenario.population.seed, len(pop.dose))
    doses = dose_days(dosing.amount, grid)
    kin = kinetics(v)
    worst = (0.0, "", 0.0)
    for k in patients:
        scale, route = float(np.asarray(dosing.scale)[k]), np.asarray(dosing.route)[k]
        cells = {d: a * scale * route for d, a in doses.items()}
        p = patient_at(pat, k)
        y0 = jax.tree_util.tree_map(lambda a, k=k: float(np.asarray(a)[k]), pop.state)
        ref = simulate_reference_t1dm(
            p,
            y0,
            float(pop.dose[k]),
            float(pop.g_mean[k]),
            sh,
            cells_by_day=cells,
            kinetics=kin,
            record_days=[int(d) for d in grid.record_days],
            duration_days=grid.duration_days,
            titration_interval_days=round(v["titration_interval"]),
            rtol=REFERENCE_RTOL,
        )
        obs = observables(ref["state"], ref["dose"], ref["g_fast"], ref["g_mean"], p, sh, v)
        for name in CHECKED_ENDPOINTS:
            r = np.asarray(obs[name], dtype=float)
            floor = RELATIVE_TO_AT_LEAST.get(name, 1e-6)
            dev = np.abs(engine[name][k] - r) / np.maximum(np.abs(r), floor)
            j = int(np.nanargmax(dev))
            if dev[j] > worst[0]:
                worst = (float(dev[j]), name, float(grid.record_days[j]))
    return {
        "arm": arm_name,
        "patients": [int(k) for k in patients],
        "endpoints": list(CHECKED_ENDPOINTS),
        "max_rel_dev": round(worst[0], 8),
        "worst_endpoint": worst[1],
        "worst_day": worst[2],
        "solver": f"scipy Radau, rtol {REFERENCE_RTOL:g}, full stiff T1DM model",
        "deviation": "|engine - reference| / max(|reference|, floor); floors: "
        + ", ".join(f"{k} {f:g}" for k, f in RELATIVE_TO_AT_LEAST.items()),
    }


def simulate_t1dm(scenario: Scenario, *, progress: Progress | None = None) -> RunResult:
    """Simulate all arms of a validated T1DM scenario on one virtual population."""
    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()
    note = progress or (lambda _msg: None)
    with jax.enable_x64(True):
        sh = t1_setup(params)
        note("sampling population (diagnosis to enrolment)")
        pop, candidate_ids = sample_population(scenario, params, sh)
        grid = make_grid(int(scenario.duration_days), scenario.visits_days)
        n = len(pop.dose)
        note(f"simulating {len(scenario.arms)} arm(s) x {n} patients")
        pats, dosings, rec, summaries = simulate_arms(scenario, pop, sh, grid, v)
        stacked = stack_patients(pats)
        variables = record_variables(rec, stacked, sh, v)
        visit_idx = np.searchsorted(grid.record_days, [round(d) for d in scenario.visits_days])
        visits = {k: a[:, visit_idx] for k, a in variables.items()}
        note("mixed-meal tests at visits")
        visits.update(visit_tests(rec, visit_idx, stacked, sh, v))
        arms = split_arms(scenario, variables, visits, n)
        treated = [g for g, arm in enumerate(scenario.arms) if is_active(arm)]
        g = treated[0] if treated else 0
        name = scenario.arms[g].name
        note(f"checking arm {name} against the reference solver")
        check = reference_check(
            scenario, name, pop, pats[g], dosings[g], sh, grid, v, arms[name].records
        )
    note("analysing endpoints")
    result = assemble(
        scenario, params, candidate_ids, grid, arms, T1DM_ENDPOINT_UNITS, _responders(arms)
    )
    lock = {
        "seed": scenario.population.seed,
        "scope": platform_scope(),
        "reference_check": check,
        "arm_products": summaries,
    }
    return dataclasses.replace(result, lock=lock)


def _responders(arms: dict[str, ArmResult]) -> dict[str, dict[str, np.ndarray]]:
    """T1DM responders as the seed's trials reported them: insulin independence (Voltarelli),
    preserved C-peptide (Carlsson: no fall from baseline), HbA1c target, insulin need halved."""
    out = {}
    for name, r in arms.items():
        a1c, dose = r.visits["hba1c_pct"], r.visits["insulin_iu_day"]
        cpep = r.visits["c_peptide_ng_ml"]
        out[name] = {
            "insulin_free": r.visits["insulin_free_pct"] > 50.0,
            "c_peptide_preserved": cpep >= cpep[:, :1],
            "hba1c_below_7_pct": a1c < 7.0,
            "insulin_reduced_at_least_50pct": dose <= 0.5 * dose[:, :1],
        }
    return out
