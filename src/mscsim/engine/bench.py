"""Benchmark of the default T2DM scenario: the engine alone and the whole run, compile apart."""

from __future__ import annotations

import itertools
import resource
import time
from importlib import resources
from typing import Any

import jax


def _phase_seconds(marks: list[tuple[str, float]], start: str) -> float:
    """Seconds from the progress message starting with `start` to the next message."""
    for (msg, t), (_, t_next) in itertools.pairwise(marks):
        if msg.startswith(start):
            return t_next - t
    raise KeyError(start)


def bench_default(n: int) -> dict[str, Any]:
    from mscsim.scenario import parse_scenario
    from mscsim.trial import run_scenario

    text = resources.files("mscsim").joinpath("scenarios", "default_t2dm.yaml").read_text()
    spec = parse_scenario(text)
    spec = spec.model_copy(update={"population": spec.population.model_copy(update={"n": n})})
    arms = len(spec.arms)
    patient_years = n * arms * spec.duration_days / 365.25

    def timed_run() -> tuple[float, list[tuple[str, float]]]:
        marks: list[tuple[str, float]] = []
        t0 = time.perf_counter()
        run_scenario(spec, progress=lambda msg: marks.append((msg, time.perf_counter())))
        t1 = time.perf_counter()
        marks.append(("end", t1))
        return t1 - t0, marks

    first_s, first_marks = timed_run()  # tracing + compilation (or persistent-cache load)
    run_s, marks = timed_run()
    engine_s = _phase_seconds(marks, "simulating")
    return {
        "disease": spec.disease,
        "n": n,
        "arms": arms,
        "patient_years": round(patient_years, 1),
        "engine_first_call_s": round(_phase_seconds(first_marks, "simulating"), 3),
        "engine_s": round(engine_s, 3),
        "engine_pyps": round(patient_years / engine_s, 1),
        "mmtt_s": round(_phase_seconds(marks, "mixed-meal"), 3),
        "reference_check_s": round(_phase_seconds(marks, "checking"), 3),
        "run_first_call_s": round(first_s, 3),
        "run_s": round(run_s, 3),
        "end_to_end_pyps": round(patient_years / run_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }
