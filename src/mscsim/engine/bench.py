"""Benchmark of the fast engine on the default T2DM scenario (compile time kept apart)."""

from __future__ import annotations

import resource
import time
from importlib import resources
from typing import Any

import jax


def bench_default(n: int) -> dict[str, Any]:
    from mscsim.scenario import parse_scenario
    from mscsim.trial import run_scenario

    text = resources.files("mscsim").joinpath("scenarios", "default_t2dm.yaml").read_text()
    spec = parse_scenario(text)
    spec = spec.model_copy(update={"population": spec.population.model_copy(update={"n": n})})
    t0 = time.perf_counter()
    run_scenario(spec)  # first call: tracing + compilation (or persistent-cache load)
    t1 = time.perf_counter()
    result = run_scenario(spec)
    t2 = time.perf_counter()
    arms = len(spec.arms)
    years = spec.duration_days / 365.25
    patient_years = n * arms * years
    return {
        "disease": spec.disease,
        "n": n,
        "arms": arms,
        "patient_years": round(patient_years, 1),
        "first_call_s": round(t1 - t0, 3),
        "run_s": round(t2 - t1, 3),
        "engine_pyps": round(patient_years / (t2 - t1), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "endpoint_rows": len(result.endpoints),
    }
