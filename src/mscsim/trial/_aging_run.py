"""Run a scenario of an aging disease (issue 5): osteoporosis, Parkinson's, Alzheimer's,
atherosclerosis, COPD or tumour.

One virtual population is sampled from (seed, candidate id); every arm's product reaches the
disease's tissue by its own exposure model (`trial._aging`); all patients of all arms are
stepped together by RK4 (quarter-day steps) on the physiology module's equations, in one jitted
JAX scan (`_aging._scan`, float64); endpoints are read at the visits and analysed by the shared
`assemble`. Two patients of the first treated arm are re-simulated on
the module's SciPy path and the largest deviation goes into the lock file. Every output is
exploratory: the MSC effect sizes are animal evidence or assumed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from mscsim.engine._schedule import Grid, make_grid
from mscsim.params import ParameterSet, load_parameters
from mscsim.population import CriteriaTooStrictError, sample_eligible
from mscsim.scenario import Scenario, ScenarioError
from mscsim.trial._aging import AgingDisease, disease_model
from mscsim.trial._aging._exposure import Exposure
from mscsim.trial._aging._integrate import STEP_DAYS
from mscsim.trial._aging._model import Cohort
from mscsim.trial._aging._scan import scan_rk4
from mscsim.trial._run import ArmResult, Progress, RunResult, assemble, platform_scope
from mscsim.trial._support import is_active

F64 = np.ndarray
EVIDENCE_LEVEL = "exploratory"
REFERENCE_PATIENTS = 2
# Deviations are relative to the reference value, or to the smallest difference that matters
# where a value passes near zero (a tumour that the payload clears).
RELATIVE_TO_AT_LEAST = {"tumour_volume_mm3": 1.0}


def _tile(tree: Any, times: int) -> Any:
    return jax.tree_util.tree_map(lambda a: np.tile(np.asarray(a), times), tree)


def sample_population(
    scenario: Scenario, model: AgingDisease, v: Mapping[str, float]
) -> tuple[Cohort, np.ndarray]:
    try:
        cohort, ids = sample_eligible(
            scenario.population.n,
            scenario.population.seed,
            model.random_effects,
            lambda z: model.build(z, v),
            lambda c: c.covariates,
            scenario.population.criteria.items(),
        )
    except CriteriaTooStrictError as exc:
        raise ScenarioError(
            ("population", "criteria"), dict(scenario.population.criteria.items()), str(exc)
        ) from None
    if model.before_day0 is not None:
        background = {str(t): 1.0 for t in scenario.standard_of_care}
        cohort = model.before_day0(cohort, background, v)
    return cohort, ids


def _arm_inputs(
    scenario: Scenario, model: AgingDisease, exposures: list[Exposure], v: Mapping[str, float]
) -> list[dict[str, float]]:
    """Per-arm inputs: whether the product is exosomes, and the disease's own (if any)."""
    out = []
    for arm, e in zip(scenario.arms, exposures, strict=True):
        inputs = {"exosomes": float(e.form == "exosomes")}
        if model.arm_inputs is not None:
            inputs |= model.arm_inputs(arm if is_active(arm) else None, v)
        out.append(inputs)
    return out


def stack_arms(
    cohort: Cohort, arm_inputs: list[dict[str, float]]
) -> tuple[Any, Any, dict[str, np.ndarray]]:
    """Initial states, parameters and extra inputs of every arm's patients, arm-major: each arm
    simulates the same cohort, and `extra` gains the arm inputs per patient."""
    g = len(arm_inputs)
    params, extra = _tile(cohort.params, g), _tile(cohort.extra, g)
    n = len(cohort.covariates["age_years"])
    for key in arm_inputs[0]:
        extra[key] = np.repeat([inputs[key] for inputs in arm_inputs], n)
    return _tile(cohort.initial, g), params, extra


def _simulate(
    model: AgingDisease,
    cohort: Cohort,
    exposures: list[Exposure],
    arm_inputs: list[dict[str, float]],
    background: Mapping[str, float],
    grid: Grid,
) -> dict[str, np.ndarray]:
    """Every arm at once; variables as (arms x patients, record days)."""
    y0, params, extra = stack_arms(cohort, arm_inputs)
    states, signals = scan_rk4(model.rates, y0, params, extra, background, exposures, grid)
    by_patient = type(states)(*(np.asarray(a).T for a in states))
    column = jax.tree_util.tree_map(lambda a: np.asarray(a)[:, None], params)
    extra_col = {k: np.asarray(a)[:, None] for k, a in extra.items()}
    out = dict(model.observe(by_patient, column, background, extra_col))
    for name, arr in zip(type(states)._fields, by_patient, strict=True):
        out.setdefault(name, arr)
    out[model.signal_name] = signals.T
    return {k: np.asarray(a, dtype=np.float64) for k, a in out.items()}


def _reference_check(
    scenario: Scenario,
    model: AgingDisease,
    cohort: Cohort,
    exposures: list[Exposure],
    background: Mapping[str, float],
    grid: Grid,
    arms: dict[str, ArmResult],
    v: Mapping[str, float],
) -> dict[str, Any]:
    treated = [g for g, arm in enumerate(scenario.arms) if is_active(arm)]
    g = treated[0] if treated else 0
    arm = scenario.arms[g]
    n = len(cohort.covariates["age_years"])
    rng = np.random.default_rng([scenario.population.seed, 20_241_123])
    patients = sorted(rng.choice(n, size=min(REFERENCE_PATIENTS, n), replace=False).tolist())
    t = grid.record_days.astype(np.float64)
    worst = (0.0, "", 0.0)
    checked: list[str] = []
    for k in patients:
        ref = model.reference(k, cohort, arm, exposures[g], background, t, v)
        checked = sorted(ref)
        for name, r in ref.items():
            floor = RELATIVE_TO_AT_LEAST.get(name, 1e-9)
            dev = np.abs(arms[arm.name].records[name][k] - r) / np.maximum(np.abs(r), floor)
            j = int(np.argmax(dev))
            if dev[j] > worst[0]:
                worst = (float(dev[j]), name, float(t[j]))
    return {
        "arm": arm.name,
        "patients": [int(k) for k in patients],
        "endpoints": checked,
        "max_rel_dev": float(f"{worst[0]:.3g}"),
        "worst_endpoint": worst[1],
        "worst_day": worst[2],
        "solver": f"scipy LSODA/DOP853 (the module's simulate_{model.name}) against RK4 "
        f"(jitted JAX scan, float64), step {STEP_DAYS:g} day, all patients at once",
        "deviation": "|fast - reference| / max(|reference|, floor); floors: "
        + (", ".join(f"{k} {f:g}" for k, f in RELATIVE_TO_AT_LEAST.items()) or "none"),
    }


def _exposure_summary(scenario: Scenario, exposures: list[Exposure], model: AgingDisease) -> Any:
    out = {}
    for arm, e in zip(scenario.arms, exposures, strict=True):
        peak = float(np.mean(e.signal(e.days[0]))) if e.days else 0.0
        out[arm.name] = {
            "form": e.form,
            "route": str(arm.regimen.route) if arm.regimen is not None else "none",
            f"mean_{model.signal_name}_after_first_dose": round(peak, 8),
        }
    return out


def simulate_aging(scenario: Scenario, *, progress: Progress | None = None) -> RunResult:
    """Simulate all arms of a validated aging-disease scenario on one virtual population."""
    model = disease_model(scenario.disease)
    params: ParameterSet = load_parameters(*model.parameter_modules, "msc_core", "aging_trial")
    v = params.flat()
    note = progress or (lambda _msg: None)
    note("sampling population")
    cohort, candidate_ids = sample_population(scenario, model, v)
    background = {str(t): 1.0 for t in scenario.standard_of_care}
    grid = make_grid(int(scenario.duration_days), scenario.visits_days)
    exposures = [
        model.exposure(arm if is_active(arm) else None, cohort, v) for arm in scenario.arms
    ]
    n = len(candidate_ids)
    note(f"simulating {len(scenario.arms)} arm(s) x {n} patients")
    inputs = _arm_inputs(scenario, model, exposures, v)
    variables = _simulate(model, cohort, exposures, inputs, background, grid)
    visit_idx = np.searchsorted(grid.record_days, [round(d) for d in scenario.visits_days])
    arms: dict[str, ArmResult] = {}
    for g, arm in enumerate(scenario.arms):
        rows = slice(g * n, (g + 1) * n)
        records = {k: a[rows] for k, a in variables.items()}
        arms[arm.name] = ArmResult(
            arm.name, records, {k: a[:, visit_idx] for k, a in records.items()}
        )
    note("checking one arm against the reference solver")
    check = _reference_check(scenario, model, cohort, exposures, background, grid, arms, v)
    note("analysing endpoints")
    days = np.asarray(scenario.visits_days, dtype=np.float64)
    responders = {name: model.responders(r.visits, days, v) for name, r in arms.items()}
    result = assemble(
        scenario, params, candidate_ids, grid, arms, dict(model.endpoint_units), responders
    )
    _label(result, model)
    lock = {
        "seed": scenario.population.seed,
        "scope": platform_scope(),
        "evidence_level": EVIDENCE_LEVEL,
        "reference_check": check,
        "arm_exposure": _exposure_summary(scenario, exposures, model),
    }
    return dataclasses.replace(result, lock=lock)


def _label(result: RunResult, model: AgingDisease) -> None:
    """Units of the trajectory variables of this disease (the dataset builder knows diabetes)."""
    units = {**model.endpoint_units, **model.variable_units, model.signal_name: "1"}
    for name in list(result.trajectories.data_vars):
        if str(name) in units:
            attrs = {"units": units[str(name)], "long_name": str(name).replace("_", " ")}
            result.trajectories[name].attrs.update(attrs)
    result.trajectories.attrs["evidence_level"] = EVIDENCE_LEVEL
