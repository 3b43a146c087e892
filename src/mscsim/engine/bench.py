"""Benchmarks of the default T2DM scenario (`mscsim bench`).

* `bench_default`: the engine alone and the whole run, compile apart; then, in the same process,
  the same virtual patients of the treated arm through libRoadRunner on their exported SBML (a
  plain one-core loop as a user writes it: load each patient's model, simulate to the end at the
  record days), with the largest relative deviation of every endpoint the export covers.
* `engine_curve`: engine time against population size (sampling, then the fused scan over the
  population in chunks of bounded memory), to show that the cost is linear in N.

Both drive the trial layer and the SBML export from above; nothing in the engine depends on them.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import jax
import numpy as np

from mscsim.engine._chunks import default_chunk_size, simulate_chunked

if TYPE_CHECKING:
    from mscsim.engine._fast import ArmDosing, Carry, Record
    from mscsim.engine._schedule import Grid
    from mscsim.physiology.t2dm._equations import Patient, Shared
    from mscsim.scenario import Scenario
    from mscsim.trial import RunResult

DAYS_PER_YEAR = 365.25
# libRoadRunner outputs the state after the events of an output time; the run records a day
# before that day's jumps, so the record of day d > 0 is compared with the output at d - LEFT.
LEFT = 1e-7
# The tighter CVODE settings of tests/test_export_sbml.py (libRoadRunner's defaults are
# relative 1e-6, absolute 1e-12).
TIGHT_RTOL, TIGHT_ATOL, TIGHT_MSC_ATOL = 1e-10, 1e-12, 1e-6


def _phase_seconds(marks: list[tuple[str, float]], start: str) -> float:
    """Seconds from the progress message starting with `start` to the next message."""
    for (msg, t), (_, t_next) in itertools.pairwise(marks):
        if msg.startswith(start):
            return t_next - t
    raise KeyError(start)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# The trial each disease is benchmarked on: the bundled default for T2DM, an example of the
# checkout for the others (seed 004 Table 2 row 4 for T1DM: one BM-MSC arm and control).
BENCH_EXAMPLES = {
    "t1dm": "examples/seed004_table2/row4_carlsson2015_bm_msc_iv.yaml",
    "osteoporosis": "examples/osteoporosis_bm_msc_iv.yaml",
    "parkinson": "examples/parkinson_exosomes_vs_cells.yaml",
    "alzheimer": "examples/alzheimer_exosomes_intranasal.yaml",
    "atherosclerosis": "examples/atherosclerosis_msc_statin.yaml",
    "copd": "examples/copd_msc_iv.yaml",
    "tumour": "examples/tumour_msc_promoting_vs_suppressing.yaml",
}
BENCH_DISEASES = ("t2dm", *BENCH_EXAMPLES)


def default_scenario(
    n: int, *, duration_days: int | None = None, disease: str = "t2dm"
) -> Scenario:
    """The scenario a disease is benchmarked on, with n patients per arm (and a shorter study)."""
    from pathlib import Path

    from mscsim.scenario import Scenario, parse_scenario

    if disease == "t2dm":
        text = resources.files("mscsim").joinpath("scenarios", "default_t2dm.yaml").read_text()
    elif disease in BENCH_EXAMPLES:
        path = Path(__file__).resolve().parents[3] / BENCH_EXAMPLES[disease]
        if not path.is_file():
            raise ValueError(f"--disease {disease}: its benchmark scenario {path} is not here")
        text = path.read_text(encoding="utf-8")
    else:
        raise ValueError(
            f"--disease {disease!r}: no benchmark; diseases: {', '.join(BENCH_DISEASES)}"
        )
    d = parse_scenario(text).model_dump(mode="json", exclude_none=True)
    d["population"]["n"] = n
    if duration_days is not None:
        d["duration_days"] = duration_days
        d["visits_days"] = [v for v in d["visits_days"] if v <= duration_days]
        for arm in d["arms"]:  # a shortened study gives the doses that fall within it
            reg = arm.get("regimen")
            if reg:
                kept = [x for x in reg["schedule_days"] if x < duration_days]
                reg["schedule_days"] = kept or reg["schedule_days"]  # else: the duration's error
    return Scenario.from_dict(d)  # validated: a bad n or duration is a one-line ScenarioError


def _patient_years(spec: Scenario, patients: int) -> float:
    return patients * float(spec.duration_days) / DAYS_PER_YEAR


def bench_default(
    n: int,
    *,
    roadrunner_patients: int = 10,
    duration_days: int | None = None,
    disease: str = "t2dm",
) -> dict[str, Any]:
    """Engine and whole-run rates of the default scenario, then libRoadRunner beside them.

    Keys of earlier versions keep their meaning (`peak_rss_mb` is the peak before libRoadRunner
    runs). With `roadrunner_patients` 0 the libRoadRunner part is skipped.
    """
    from mscsim.trial import run_scenario

    spec = default_scenario(n, duration_days=duration_days, disease=disease)
    arms = len(spec.arms)
    patient_years = _patient_years(spec, n * arms)

    def timed_run() -> tuple[float, list[tuple[str, float]], RunResult]:
        marks: list[tuple[str, float]] = []
        t0 = time.perf_counter()
        result = run_scenario(spec, progress=lambda msg: marks.append((msg, time.perf_counter())))
        t1 = time.perf_counter()
        marks.append(("end", t1))
        return t1 - t0, marks, result

    first_s, first_marks, _ = timed_run()  # tracing + compilation (or persistent-cache load)
    run_s, marks, result = timed_run()
    engine_s = _phase_seconds(marks, "simulating")
    engine_first_s = _phase_seconds(first_marks, "simulating")
    out: dict[str, Any] = {
        "disease": spec.disease,
        "n": n,
        "arms": arms,
        "duration_days": int(spec.duration_days),
        "patient_years": round(patient_years, 1),
        "engine_first_call_s": round(engine_first_s, 3),
        "engine_compile_s": round(max(engine_first_s - engine_s, 0.0), 3),
        "engine_s": round(engine_s, 3),
        "engine_pyps": round(patient_years / engine_s, 1),
        "mmtt_s": _optional_phase(marks, "mixed-meal"),
        "reference_check_s": round(_phase_seconds(marks, "checking"), 3),
        "run_first_call_s": round(first_s, 3),
        "run_s": round(run_s, 3),
        "end_to_end_pyps": round(patient_years / run_s, 1),
        "peak_rss_mb": _peak_rss_mb(),
        # the run's own check of 2 patients against SciPy Radau (float64, full stiff model)
        "reference_max_rel_dev": result.lock["reference_check"]["max_rel_dev"],
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }
    if roadrunner_patients > 0:
        rr = bench_roadrunner(spec, result, roadrunner_patients)
        ratio = out["engine_pyps"] / rr["roadrunner_pyps"]
        out.update(rr)
        out["speedup_vs_roadrunner"] = round(ratio, 1)
        out["ratio"] = out["speedup_vs_roadrunner"]  # DESIGN.md's name for the same number
        out["speedup_vs_roadrunner_with_load"] = round(
            out["engine_pyps"] / rr["roadrunner_with_load_pyps"], 1
        )
        if rr["roadrunner_reduced_pyps"]:
            out["speedup_vs_roadrunner_reduced"] = round(
                out["engine_pyps"] / rr["roadrunner_reduced_pyps"], 1
            )
        out["peak_rss_with_roadrunner_mb"] = _peak_rss_mb()
    return out


@contextmanager
def _captured_output(lines: list[str]) -> Iterator[None]:
    """What the process writes on file descriptors 1 and 2 (where SUNDIALS prints), in `lines`.

    CVODE warns on stdout whenever an event restarts it a hair after a dosing time; the bench
    counts those warnings instead of printing them into its JSON.
    """
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        for fd in saved:
            os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            libc.fflush(None)  # C stdio buffers, before the descriptors go back
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            tmp.seek(0)
            lines.extend(tmp.read().decode("utf-8", "replace").splitlines())


def _optional_phase(marks: list[tuple[str, float]], start: str) -> float | None:
    """Seconds of a phase only some diseases have (the meal test), else None."""
    try:
        return round(_phase_seconds(marks, start), 3)
    except KeyError:
        return None


def deviation_floors() -> dict[str, float]:
    """Near zero a relative deviation says nothing: the floors of the runs' own reference checks
    (T1DM insulin and C-peptide, tumour volume), plus the per-kg insulin dose of a 70 kg adult."""
    from mscsim.trial._aging_run import RELATIVE_TO_AT_LEAST as AGING
    from mscsim.trial._t1dm_run import RELATIVE_TO_AT_LEAST as T1DM

    return {**T1DM, **AGING, "insulin_iu_kg_day": T1DM["insulin_iu_day"] / 70.0}


def _relative_deviation(ours: np.ndarray, engine: np.ndarray, floor: float = 1e-12) -> float:
    """Largest |ours - engine| / max(|engine|, floor); both undefined (HOMA-B at low FPG) counts
    as equal, one undefined as infinitely far."""
    both_nan = np.isnan(ours) & np.isnan(engine)
    dev = np.abs(ours - engine) / np.maximum(np.abs(engine), floor)
    dev = np.where(both_nan, 0.0, np.where(np.isnan(dev), np.inf, dev))
    return float(np.max(dev)) if dev.size else 0.0


def bench_roadrunner(spec: Scenario, result: RunResult, patients: int) -> dict[str, Any]:
    """The first `patients` patients of the treated arm through libRoadRunner, timed.

    For each patient: export its SBML (timed apart: not a libRoadRunner cost), load it (parse
    and LLVM compile: `roadrunner_load_s`), simulate from day 0 to the end of the study with
    output at the record days (`roadrunner_simulate_s`), with libRoadRunner's default CVODE
    settings, as a user would. The same file is then simulated again with the tighter settings
    of the export tests (compiled model reused from libRoadRunner's cache, so only simulate
    time is reported). Deviations are against the engine's trajectories of `result`, the run
    timed just before on the same population.
    """
    import roadrunner

    from mscsim.export._sbml import MSC_IDS, export_arm_sbml
    from mscsim.trial._support import is_active

    treated = [a.name for a in spec.arms if is_active(a)]
    arm = treated[0] if treated else spec.arms[0].name
    k = min(patients, int(spec.population.n))
    t0 = time.perf_counter()
    texts = export_arm_sbml(spec, arm, range(k))
    export_s = time.perf_counter() - t0

    ds = result.trajectories
    rows = np.flatnonzero(ds.arm.values == arm)[:k]
    days = np.asarray(ds.day.values, dtype=float)
    times = [d - LEFT if d > 0 else 0.0 for d in days]
    wanted = [str(e) for e in spec.endpoints]

    load_s = simulate_s = tight_s = 0.0
    ours: dict[str, list[np.ndarray]] = {}
    tight: dict[str, list[np.ndarray]] = {}
    covered: list[str] = []
    solver_messages: list[str] = []
    with _captured_output(solver_messages):
        for text in texts:
            t0 = time.perf_counter()
            rr = roadrunner.RoadRunner(text)
            t1 = time.perf_counter()
            if not covered:
                ids = set(rr.model.getGlobalParameterIds()) | set(rr.model.getFloatingSpeciesIds())
                covered = [e for e in wanted if e in ids]
            res = rr.simulate(times=times, selections=["time", *covered])
            t2 = time.perf_counter()
            load_s += t1 - t0
            simulate_s += t2 - t1
            for j, e in enumerate(covered):
                ours.setdefault(e, []).append(np.asarray(res[:, j + 1], dtype=float))

            rr = roadrunner.RoadRunner(text)  # from libRoadRunner's model cache
            rr.integrator.relative_tolerance = TIGHT_RTOL
            rr.integrator.absolute_tolerance = TIGHT_ATOL
            species = set(rr.model.getFloatingSpeciesIds())
            for sid in species & set(MSC_IDS):  # cells span 0..1e9: 1e-6 cells is tight enough
                rr.integrator.setIndividualTolerance(sid, TIGHT_MSC_ATOL)
            t3 = time.perf_counter()
            res = rr.simulate(times=times, selections=["time", *covered])
            tight_s += time.perf_counter() - t3
            for j, e in enumerate(covered):
                tight.setdefault(e, []).append(np.asarray(res[:, j + 1], dtype=float))
            del rr

    floors = deviation_floors()

    def deviations(values: dict[str, list[np.ndarray]]) -> dict[str, float]:
        out = {}
        for e in covered:
            floor = floors.get(e, 1e-12)
            dev = _relative_deviation(np.stack(values[e]), ds[e].values[rows], floor)
            out[e] = float(f"{dev:.3g}")
        return out

    reduced: dict[str, list[np.ndarray]] = {}
    reduced_s = reduced_load_s = 0.0
    if spec.disease == "t2dm":  # glucose and insulin at quasi-steady state, as in the engine
        with _captured_output(solver_messages):
            for text in export_arm_sbml(spec, arm, range(k), reduced=True):
                t0 = time.perf_counter()
                rr = roadrunner.RoadRunner(text)
                t1 = time.perf_counter()
                res = rr.simulate(times=times, selections=["time", *covered])
                reduced_s += time.perf_counter() - t1
                reduced_load_s += t1 - t0
                for j, e in enumerate(covered):
                    reduced.setdefault(e, []).append(np.asarray(res[:, j + 1], dtype=float))
                del rr

    rr_years = _patient_years(spec, k)
    dev = deviations(ours)
    if reduced:
        extra: dict[str, Any] = {
            "roadrunner_reduced_load_s": round(reduced_load_s, 3),
            "roadrunner_reduced_simulate_s": round(reduced_s, 3),
            "roadrunner_reduced_pyps": round(rr_years / reduced_s, 1),
            "max_rel_dev_reduced": deviations(reduced),
        }
    else:
        extra = {"roadrunner_reduced_pyps": None}  # no reduced export for this disease
    return {
        "roadrunner": roadrunner.__version__,
        "roadrunner_arm": arm,
        "roadrunner_patients": k,
        "roadrunner_patient_years": round(rr_years, 2),
        "roadrunner_record_days": len(times),
        "sbml_export_s": round(export_s, 3),
        "roadrunner_load_s": round(load_s, 3),
        "roadrunner_simulate_s": round(simulate_s, 3),
        "roadrunner_pyps": round(rr_years / simulate_s, 1),
        "roadrunner_with_load_pyps": round(rr_years / (load_s + simulate_s), 2),
        "roadrunner_tolerances": "defaults (CVODE BDF, relative 1e-6, absolute 1e-12)",
        "max_rel_dev": dev,
        "max_rel_dev_overall": max(dev.values(), default=0.0),
        "endpoints_not_in_export": [e for e in wanted if e not in covered],
        "roadrunner_solver_warnings": sum("WARNING" in line for line in solver_messages),
        "roadrunner_tight_simulate_s": round(tight_s, 3),
        "roadrunner_tight_pyps": round(rr_years / tight_s, 1),
        "max_rel_dev_tight": deviations(tight),
        **extra,
    }


# --- engine time against population size -------------------------------------------------------


@dataclass(frozen=True)
class EngineInputs:
    """Every arm of a scenario stacked on one patient axis, as `trial._run` feeds the engine."""

    carry0: Carry
    pat: Patient
    sh: Shared
    dosing: ArmDosing
    grid: Grid
    titration: np.ndarray
    kinetics: np.ndarray
    visit_index: np.ndarray  # positions of the visits among the record days


def engine_inputs(spec: Scenario) -> EngineInputs:
    """Sample the population and build the engine's inputs (as `trial._run.simulate` does)."""
    from mscsim.engine._fast import ArmDosing, Carry
    from mscsim.engine._schedule import make_grid, titration_days
    from mscsim.params import load_parameters
    from mscsim.physiology import msc_core
    from mscsim.physiology.t2dm._baseline import shared_constants
    from mscsim.trial._arms import arm_dosing, arm_patient, standard_of_care
    from mscsim.trial._run import PARAMETER_MODULES, sample_population

    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()

    def stack(trees: list[Any]) -> Any:
        return jax.tree_util.tree_map(lambda *a: np.concatenate([np.asarray(x) for x in a]), *trees)

    with jax.enable_x64(True):
        base, _ = sample_population(spec, params)
        sh = shared_constants(v, msc_core.index("target"))
        grid = make_grid(int(spec.duration_days), spec.visits_days)
        background = standard_of_care(base.patient, spec.standard_of_care, v)
        pats = [arm_patient(arm, background, v) for arm in spec.arms]
        dosings = [arm_dosing(arm, p, grid, v) for arm, p in zip(spec.arms, pats, strict=True)]
        n = len(base.patient.weight_kg)
        dosing = ArmDosing(
            amount=np.stack([np.asarray(d.amount) for d in dosings], axis=-1),
            scale=np.concatenate([np.asarray(d.scale) for d in dosings]),
            route=np.concatenate(
                [np.broadcast_to(np.asarray(d.route), (n, len(d.route))) for d in dosings]
            ),
            group=np.repeat(np.arange(len(dosings)), n),
        )
        no_cells = np.zeros((n, len(msc_core.COMPARTMENTS)))
        carry0 = Carry(base.slow, base.insulin_dose, no_cells, base.g_mean, base.g_fast)
        return EngineInputs(
            carry0=stack([carry0] * len(pats)),
            pat=stack(pats),
            sh=sh,
            dosing=dosing,
            grid=grid,
            titration=titration_days(grid, v["titration_interval"]),
            kinetics=msc_core.kinetic_matrix(v),
            visit_index=np.searchsorted(grid.record_days, [round(d) for d in spec.visits_days]),
        )


def run_chunked(
    inputs: EngineInputs,
    *,
    chunk_size: int,
    keep: Callable[[Record], Any] | None = None,
    precision: str = "float32",
) -> Any:
    """The engine over the stacked population in chunks (`_chunks.simulate_chunked`)."""
    with jax.enable_x64(True):  # as trial._run.simulate calls the engine
        return simulate_chunked(
            inputs.carry0,
            inputs.pat,
            inputs.sh,
            inputs.dosing,
            inputs.grid,
            inputs.titration,
            inputs.kinetics,
            chunk_size=chunk_size,
            keep=keep,
            precision=precision,
        )


def _first(inputs: EngineInputs, m: int) -> EngineInputs:
    """The first m patient-arms (a warm-up population with the chunk's shape)."""
    n = int(np.asarray(inputs.carry0.dose).shape[0])

    def rows(tree: Any) -> Any:
        return jax.tree_util.tree_map(
            lambda a: np.asarray(a)[:m] if np.ndim(a) >= 1 and np.shape(a)[0] == n else a, tree
        )

    d = inputs.dosing
    route = np.asarray(d.route)
    dosing = d._replace(
        scale=np.asarray(d.scale)[:m],
        route=route[:m] if route.ndim == 2 else route,
        group=None if d.group is None else np.asarray(d.group)[:m],
    )
    return EngineInputs(
        rows(inputs.carry0),
        rows(inputs.pat),
        inputs.sh,
        dosing,
        inputs.grid,
        inputs.titration,
        inputs.kinetics,
        inputs.visit_index,
    )


def engine_curve(
    ns: Sequence[int],
    *,
    chunk_size: int | None = None,
    duration_days: int | None = None,
    budget_s: float = 300.0,
    progress: Callable[[dict[str, Any]], None] | None = None,
    precision: str = "float32",
    hardware: bool = False,
) -> dict[str, Any]:
    """Engine seconds and patient-years/s for each population size (patients per arm).

    Per N: sampling (`sample_s`), a warm-up on the first chunk (compilation for a new chunk
    shape, or a persistent-cache load, plus that chunk's run: `warmup_s`), then the timed
    chunked scan over everyone (`engine_s`), keeping only the records of the visit days (what
    the endpoints are computed from) so that memory is bounded by one chunk's records. Sizes are
    run in increasing order; one whose time, extrapolated linearly from the largest size run so
    far, would exceed `budget_s` is skipped with the reason, and so are the sizes after it.
    `chunk_size` defaults to the backend's (`_chunks.default_chunk_size`). With `hardware`, the
    device's copy bandwidth and XLA's cost of one patient-day are measured too, and each row
    says what memory bandwidth and flop rate its patient-years/s stand for (`_hardware`).
    """
    from mscsim.engine import _hardware

    chunk_size = chunk_size or default_chunk_size()
    rows: list[dict[str, Any]] = []
    cost: dict[str, float] | None = None
    skipped: list[dict[str, Any]] = []
    for n in sorted(ns):
        if rows:
            last = rows[-1]
            expected = (last["sample_s"] + last["engine_s"]) * n / last["n"]
            if expected > budget_s:
                skipped.append(
                    {
                        "n": n,
                        "reason": f"expected about {expected:.0f} s (linear from N = "
                        f"{last['n']}), over the budget of {budget_s:g} s",
                    }
                )
                continue
        spec = default_scenario(n, duration_days=duration_days)
        t0 = time.perf_counter()
        inputs = engine_inputs(spec)
        t1 = time.perf_counter()
        total = int(np.asarray(inputs.carry0.dose).shape[0])
        size = min(chunk_size, total)
        idx = inputs.visit_index

        def at_visits(rec: Record) -> Any:
            return jax.tree_util.tree_map(lambda a: a[idx], rec)  # noqa: B023

        run_chunked(_first(inputs, size), chunk_size=size, keep=at_visits, precision=precision)
        t2 = time.perf_counter()
        run_chunked(inputs, chunk_size=size, keep=at_visits, precision=precision)
        t3 = time.perf_counter()
        years = _patient_years(spec, total)
        row = {
            "n": n,
            "patient_arms": total,
            "patient_years": round(years, 1),
            "chunks": math.ceil(total / size),
            "sample_s": round(t1 - t0, 3),
            "warmup_s": round(t2 - t1, 3),
            "engine_s": round(t3 - t2, 3),
            "engine_pyps": round(years / (t3 - t2), 1),
            "sample_and_engine_pyps": round(years / (t3 - t2 + t1 - t0), 1),
            "peak_rss_mb": _peak_rss_mb(),
        }
        if hardware:  # XLA's cost of a day on this row's chunk shape
            first = _first(inputs, size)
            cost = _hardware.day_cost(
                first.carry0, first.pat, first.sh, first.dosing, first.kinetics,
                precision=precision,
            )  # fmt: skip
            row["bytes_per_patient_day"] = cost["bytes_per_patient_day"]
            row["flops_per_patient_day"] = cost["flops_per_patient_day"]
            patient_days_s = total * float(spec.duration_days) / (t3 - t2)
            row["xla_gb_s"] = round(patient_days_s * cost["bytes_per_patient_day"] / 1e9, 1)
            row["min_traffic_gb_s"] = round(
                patient_days_s * cost["min_bytes_per_patient_day"] / 1e9, 1
            )
            row["gflop_s"] = round(patient_days_s * cost["flops_per_patient_day"] / 1e9, 1)
        rows.append(row)
        if progress is not None:
            progress(row)
        del inputs
    extra: dict[str, Any] = {}
    if hardware:
        extra = {**_hardware.device_info(), "copy_bandwidth_gb_s": _hardware.copy_bandwidth_gbs()}
        if cost is not None:
            extra["min_bytes_per_patient_day"] = cost["min_bytes_per_patient_day"]
    return {
        "disease": "t2dm",
        "precision": precision,
        **extra,
        "chunk_size": chunk_size,
        "duration_days": int(default_scenario(1, duration_days=duration_days).duration_days),
        "budget_s": budget_s,
        "curve": rows,
        "skipped": skipped,
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }
