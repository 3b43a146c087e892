"""Benchmark of the default T2DM scenario: the engine alone and the whole run, compile apart."""

from __future__ import annotations

import resource
import time
from importlib import resources
from typing import Any

import jax
import numpy as np


def bench_default(n: int) -> dict[str, Any]:
    from mscsim.engine._fast import Carry, simulate_arm
    from mscsim.engine._schedule import make_grid, titration_days
    from mscsim.params import load_parameters
    from mscsim.physiology import msc_core
    from mscsim.physiology.t2dm._baseline import shared_constants
    from mscsim.scenario import parse_scenario
    from mscsim.trial import run_scenario
    from mscsim.trial._run import PARAMETER_MODULES, arm_dosing, arm_patient, sample_population

    text = resources.files("mscsim").joinpath("scenarios", "default_t2dm.yaml").read_text()
    spec = parse_scenario(text)
    spec = spec.model_copy(update={"population": spec.population.model_copy(update={"n": n})})
    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()
    arms = len(spec.arms)
    patient_years = n * arms * spec.duration_days / 365.25

    with jax.enable_x64(True):
        base, _ = sample_population(spec, params)
    sh = shared_constants(v, msc_core.index("target"))
    grid = make_grid(int(spec.duration_days), spec.visits_days)
    titr = titration_days(grid, v["titration_interval"])
    kinetics = msc_core.kinetic_matrix(v)
    ncomp = len(msc_core.COMPARTMENTS)
    carry = Carry(base.slow, base.insulin_dose, np.zeros((n, ncomp)), base.g_mean, base.g_fast)

    def engine() -> None:
        for arm in spec.arms:
            pat = arm_patient(arm, base.patient, v)
            simulate_arm(carry, pat, sh, arm_dosing(arm, pat, grid, v), grid, titr, kinetics)

    t0 = time.perf_counter()
    engine()  # first call: tracing + compilation (or a persistent-cache load)
    t1 = time.perf_counter()
    engine()
    t2 = time.perf_counter()
    run_scenario(spec)
    t3 = time.perf_counter()
    run_scenario(spec)
    t4 = time.perf_counter()
    return {
        "disease": spec.disease,
        "n": n,
        "arms": arms,
        "patient_years": round(patient_years, 1),
        "engine_first_call_s": round(t1 - t0, 3),
        "engine_s": round(t2 - t1, 3),
        "engine_pyps": round(patient_years / (t2 - t1), 1),
        "run_first_call_s": round(t3 - t2, 3),
        "run_s": round(t4 - t3, 3),
        "end_to_end_pyps": round(patient_years / (t4 - t3), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }
