"""Sharded T2DM runs: the population in shards of consecutive eligible patients, each shard
simulated (all arms) in one process or on a Dask worker, results streamed to a work directory.

Determinism. Patient k is candidate-id-driven (`population.sample_eligible`): the random numbers
of candidate c come from (seed, c) only, so a shard that re-builds the candidates of its id range
gets exactly the patients the whole population would have there. Within a shard the engine is
the unchanged fused scan, whose every patient's numbers depend on that patient alone (no
batch-wide decision changes a patient's result, engine/_fast.py), and the last shard is padded
to the shard size with copies of its last patient (one compiled shape). Endpoint statistics are
moments of blocks of `MOMENT_BLOCK` consecutive patients (`_moments`), shards hold whole blocks
(the shard size is a multiple of it), and the driver folds the blocks in population order: the
code an unsharded run uses on the whole population. So a sharded run, whether its shards run in
this process or on Dask workers, writes the endpoint and responder files of the unsharded run,
byte for byte (tests/test_scale_out.py). The one caveat is XLA's: on CPU the per-patient floats
agreed across every batch size checked (2-8, 10-40 and samples up to 400 patient-arms) but 1
and 9, which compile to other vector code; a shard has at least `MOMENT_BLOCK` patients per arm.

Resume. Every finished shard leaves `shard_NNNNNN.npz` (its statistics, written last, by rename)
and `shard_NNNNNN.nc` (its trajectories) in the work directory, and the driver records it in
`manifest.json`, keyed by a hash of the resolved scenario, the parameter values, the shard size,
the statistics' block size and the package version: a resumed run reuses exactly the shards of
an identical run, a changed scenario starts afresh.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import itertools
import json
import math
import os
import re
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jax
import numpy as np
import xarray as xr

from mscsim._jax_cache import enable_compile_cache, jax_cache_dir
from mscsim._version import __version__
from mscsim.params import ParameterSet, load_parameters
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._baseline import RANDOM_EFFECTS, Baseline, shared_constants
from mscsim.physiology.t2dm._observables import ENDPOINT_UNITS
from mscsim.population import CriteriaTooStrictError
from mscsim.population._random import standard_normals
from mscsim.population._sample import BATCH_MIN, MAX_CANDIDATES_PER_PATIENT, criteria_mask, take
from mscsim.scenario import Scenario, ScenarioError
from mscsim.trial._arms import arm_dosing, arm_patient, standard_of_care
from mscsim.trial._dataset import build_dataset
from mscsim.trial._moments import (
    MOMENT_BLOCK,
    ShardStats,
    TableStats,
    combine_in_order,
    endpoint_table_from_moments,
    responder_table_from_stats,
    shard_stats,
)
from mscsim.trial._run import (
    BETWEEN_PATIENT,
    PARAMETER_MODULES,
    ArmResult,
    Progress,
    RunResult,
    _check_arm,
    _simulate_arms,
    platform_scope,
    population_functions,
    responder_arrays,
)
from mscsim.trial._support import control_arm, is_active

DEFAULT_SHARD_SIZE = 10_000  # patients (each simulated in every arm): ~1 GB per worker at 3 years
REPORT_PATIENTS = 1_000  # per arm: the report's trajectory bands read the first ones
CANDIDATE_BLOCK = 262_144  # candidates built at once (eligibility planning and shard sampling)
MANIFEST = "manifest.json"

T = TypeVar("T")
R = TypeVar("R")


class ShardingError(ValueError):
    """Sharding options that cannot run (bad option, disease or scenario field): one line."""


# ----------------------------------------------------------------------------- options


def parse_cluster(spec: str) -> int:
    """Workers of `--cluster local:W` (W >= 1 worker processes, one thread each)."""
    m = re.fullmatch(r"local:(\d+)", spec.strip())
    if m is None or int(m.group(1)) < 1:
        raise ShardingError(
            f"--cluster {spec!r}: must be local:W with W >= 1 worker processes (e.g. local:2)"
        )
    return int(m.group(1))


def check_scheduler(address: str) -> str:
    if re.fullmatch(r"(tcp|tls|ucx|ws|wss)://[^\s:/]+:\d+", address.strip()) is None:
        raise ShardingError(
            f"--scheduler {address!r}: must be a Dask scheduler address such as tcp://HOST:PORT"
        )
    return address.strip()


def check_shard_size(size: int) -> int:
    """Shards hold whole blocks of the endpoint statistics: that is what makes a sharded run's
    endpoints those of the unsharded run."""
    if size < 1 or size % MOMENT_BLOCK:
        raise ShardingError(
            f"--shard-size {size}: must be a positive multiple of {MOMENT_BLOCK} patients "
            f"(endpoint statistics add up blocks of {MOMENT_BLOCK} consecutive patients)"
        )
    return size


def check_shardable(scenario: Scenario) -> None:
    """Sharding covers the T2DM trial path without real-sized trial replicates."""
    if scenario.disease != "t2dm":
        raise ShardingError(
            f"--cluster/--scheduler/--shard-size are not yet supported for {scenario.disease}"
        )
    if scenario.trial is not None:
        raise ShardingError(
            "trial: (real-sized trial replicates) is not yet supported with "
            "--cluster/--scheduler/--shard-size; remove trial: or run without sharding"
        )


# ----------------------------------------------------------------------------- executors


class SerialExecutor:
    """Shards one after another in this process."""

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            yield fn(item)

    def close(self) -> None:
        pass


class DaskExecutor:
    """Tasks on a Dask cluster, a bounded window in flight, results handed back in task order."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None) -> None:
        import logging

        from distributed import Client, LocalCluster

        self._cluster: Any = None
        if scheduler is not None:
            try:
                self.client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ShardingError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
        else:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,  # no dashboard; its HTTP routes on a free port
                scheduler_kwargs={"dashboard_address": ":0"},
                silence_logs=logging.ERROR,
            )
            self.client = Client(self._cluster)
        n_workers = max(1, len(self.client.scheduler_info()["workers"]))
        self.window = 2 * n_workers

    def map_ordered(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        pending: deque[Any] = deque()
        for item in items:
            pending.append(self.client.submit(fn, item, pure=False))
            if len(pending) >= self.window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


# ----------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Shard:
    """Eligible patients [start, stop) of the population; exactly the eligible candidates with
    ids in [cand_lo, cand_hi)."""

    index: int
    start: int
    stop: int
    cand_lo: int
    cand_hi: int

    @property
    def size(self) -> int:
        return self.stop - self.start


@functools.lru_cache(maxsize=1)
def _parameters() -> ParameterSet:
    return load_parameters(*PARAMETER_MODULES)


def _eligible(scenario: Scenario, lo: int, hi: int) -> tuple[Baseline, np.ndarray]:
    """Eligible candidates with ids in [lo, hi), built in blocks, and their ids."""
    build, eligibility_values = population_functions(_parameters())
    parts, ids = [], []
    for b in range(lo, hi, CANDIDATE_BLOCK):
        stop = min(b + CANDIDATE_BLOCK, hi)
        # Candidate c's numbers depend on (seed, c) only: draw a power-of-two count (a few
        # compiled shapes instead of one per shard) and drop the ids past `stop`.
        width = max(BATCH_MIN, 1 << (stop - b - 1).bit_length())
        z = standard_normals(scenario.population.seed, np.arange(b, b + width), RANDOM_EFFECTS)
        cand = np.arange(b, stop, dtype=np.int64)
        patients = build({k: a[: stop - b] for k, a in z.items()})
        crit = scenario.population.criteria.items()
        ok = np.flatnonzero(criteria_mask(eligibility_values(patients), crit))
        parts.append(take(patients, ok))
        ids.append(cand[ok])
    merged = jax.tree_util.tree_map(lambda *a: np.concatenate(a), *parts)
    return merged, np.concatenate(ids)


@dataclass(frozen=True)
class _BlockTask:
    scenario: Scenario
    lo: int
    hi: int


def _eligible_ids(task: _BlockTask) -> np.ndarray:
    with jax.enable_x64(True):
        return _eligible(task.scenario, task.lo, task.hi)[1]


def plan_shards(scenario: Scenario, shard_size: int, executor: Any) -> tuple[Shard, ...]:
    """Shards of `shard_size` consecutive eligible patients (the last one shorter)."""
    n = scenario.population.n
    block = min(CANDIDATE_BLOCK, max(BATCH_MIN, 2 * n))
    limit = MAX_CANDIDATES_PER_PATIENT * n + BATCH_MIN
    tasks = (_BlockTask(scenario, b * block, (b + 1) * block) for b in itertools.count())
    firsts: list[int] = []
    lasts: list[int] = []
    found = scanned = 0
    for ids in executor.map_ordered(_eligible_ids, tasks):
        ids = ids[: n - found]
        g = found + np.arange(len(ids))
        firsts.extend(ids[g % shard_size == 0].tolist())
        lasts.extend((ids[(g % shard_size == shard_size - 1) | (g == n - 1)] + 1).tolist())
        found += len(ids)
        scanned += block
        if found >= n:
            break
        if scanned >= limit:
            exc = CriteriaTooStrictError(n, found, scanned)
            crit = dict(scenario.population.criteria.items())
            raise ScenarioError(("population", "criteria"), crit, str(exc))
    return tuple(
        Shard(k, k * shard_size, min((k + 1) * shard_size, n), lo, hi)
        for k, (lo, hi) in enumerate(zip(firsts, lasts, strict=True))
    )


# ----------------------------------------------------------------------------- one shard


@dataclass(frozen=True)
class ShardTask:
    scenario: Scenario
    shard: Shard
    shard_size: int  # rows simulated: the last shard is padded to it
    work_dir: str
    jax_cache: str | None
    check: bool  # the reference check runs on shard 0


@dataclass(frozen=True)
class ShardOutcome:
    index: int
    stats: ShardStats
    check: dict[str, Any] | None
    responder_definitions: tuple[str, ...]


def shard_paths(work_dir: Path, index: int) -> tuple[Path, Path]:
    """The shard's statistics (written last: its presence means the shard is complete) and
    trajectories."""
    return work_dir / f"shard_{index:06d}.npz", work_dir / f"shard_{index:06d}.nc"


def _unpad(arms: dict[str, ArmResult], m: int) -> dict[str, ArmResult]:
    return {
        name: ArmResult(
            name, {k: a[:m] for k, a in r.records.items()}, {k: a[:m] for k, a in r.visits.items()}
        )
        for name, r in arms.items()
    }


def run_shard(task: ShardTask) -> ShardOutcome:
    """Simulate every arm of one shard, write its statistics and trajectories (top-level, so
    that Dask can send it to a worker process)."""
    if task.jax_cache:
        enable_compile_cache(task.jax_cache)
    scenario, shard = task.scenario, task.shard
    params = _parameters()
    v = params.flat()
    with jax.enable_x64(True):
        from mscsim.engine._schedule import make_grid

        base, ids = _eligible(scenario, shard.cand_lo, shard.cand_hi)
        m = len(ids)
        if m != shard.size:
            raise RuntimeError(f"shard {shard.index}: {m} eligible patients, planned {shard.size}")
        padded = take(base, np.minimum(np.arange(max(task.shard_size, m)), m - 1))
        sh = shared_constants(v, msc_core.index("target"))
        grid = make_grid(int(scenario.duration_days), scenario.visits_days)

        def arms_of(b: Baseline) -> tuple[list[Any], list[Any]]:
            background = standard_of_care(b.patient, scenario.standard_of_care, v)
            pats = [arm_patient(arm, background, v) for arm in scenario.arms]
            dos = [arm_dosing(a, p, grid, v) for a, p in zip(scenario.arms, pats, strict=True)]
            return pats, dos

        pats_p, dosings_p = arms_of(padded)
        arms = _unpad(
            _simulate_arms(scenario, padded, pats_p, dosings_p, sh, grid, v, lambda _m: None), m
        )
        del pats_p, dosings_p, padded
        check = None
        if task.check:
            treated = [g for g, arm in enumerate(scenario.arms) if is_active(arm)]
            g = treated[0] if treated else 0
            arm = scenario.arms[g]
            pats, dosings = arms_of(base)
            check = _check_arm(
                scenario, arm, pats[g], base, sh, dosings[g], grid, v, arms[arm.name].records
            )
    control = control_arm(scenario)
    endpoints = [str(e) for e in scenario.endpoints]
    values = {name: {e: r.visits[e] for e in endpoints} for name, r in arms.items()}
    responders = responder_arrays(base, arms)
    definitions = tuple(next(iter(responders.values())))
    stats = shard_stats(values, responders, endpoints, definitions, control)
    work = Path(task.work_dir)
    stats_path, traj_path = shard_paths(work, shard.index)
    ds = build_dataset(arms, grid, ids, list(scenario.visits_days))
    ds = ds.astype(np.float32, keep_attrs=True)
    tmp = traj_path.with_suffix(".nc.tmp")
    encoding = {name: {"zlib": True, "complevel": 1, "shuffle": True} for name in ds.data_vars}
    ds.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
    os.replace(tmp, traj_path)
    tmp_stats = stats_path.with_suffix(".tmp.npz")
    with open(tmp_stats, "wb") as fh:
        np.savez(fh, allow_pickle=False, **stats.to_arrays())
    os.replace(tmp_stats, stats_path)
    return ShardOutcome(shard.index, stats, check, definitions)


def load_stats(work_dir: Path, index: int) -> ShardStats:
    with np.load(shard_paths(work_dir, index)[0]) as f:
        return ShardStats.from_arrays({k: f[k] for k in f.files})


# ----------------------------------------------------------------------------- manifest


def run_key(scenario: Scenario, shard_size: int) -> str:
    """What the shards of a run depend on: a changed scenario never reuses old shards."""
    doc = {
        "scenario": scenario.to_dict(),
        "parameters": _parameters().flat(),
        "shard_size": shard_size,
        "moment_block": MOMENT_BLOCK,  # the layout of the shards' statistics files
        "mscsim": __version__,
    }
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def work_directory(out: Path) -> Path:
    """Where a sharded run keeps finished shards until its output appears (then removed)."""
    out = Path(out)
    return out.parent / f".{out.name}.work"


def _open_manifest(
    work: Path, key: str, resume: bool, note: Progress
) -> tuple[dict[str, Any], bool]:
    """The manifest to continue (resume with the same key) or a fresh one; True if reused."""
    path = work / MANIFEST
    if resume and path.exists():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        if doc.get("key") == key:
            return doc, True
        note("the scenario, parameters, shard size or version changed: not reusing old shards")
    elif resume:
        note("nothing to resume: starting afresh")
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    return {"key": key}, False


# ----------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class ShardedRun:
    result: RunResult  # its trajectories: the first REPORT_PATIENTS patients of each arm
    work_dir: Path
    shards: tuple[Shard, ...]
    computed: tuple[int, ...]  # shards simulated by this call (the others were resumed)


def simulate_sharded(
    scenario: Scenario,
    *,
    work_dir: Path,
    shard_size: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_shard: Callable[[int], None] | None = None,
) -> ShardedRun:
    """Run a T2DM scenario shard by shard (serially, on `workers` local Dask worker processes
    or on the cluster of `scheduler`); shard files go to `work_dir`.

    `on_shard(k)` is called after shard k is recorded in the manifest (tests interrupt a run
    from it).
    """
    check_shardable(scenario)
    size = check_shard_size(DEFAULT_SHARD_SIZE if shard_size is None else int(shard_size))
    note = progress or (lambda _msg: None)
    work = Path(work_dir)
    key = run_key(scenario, size)
    manifest, reused = _open_manifest(work, key, resume, note)
    executor: Any = (
        SerialExecutor()
        if workers is None and scheduler is None
        else DaskExecutor(workers=workers, scheduler=scheduler)
    )
    try:
        if reused and "shards" in manifest:
            shards = tuple(Shard(*s) for s in manifest["shards"])
        else:
            note(f"planning {math.ceil(scenario.population.n / size)} shard(s) of {size} patients")
            with jax.enable_x64(True):
                shards = plan_shards(scenario, size, executor)
            manifest.update(
                {
                    "mscsim": __version__,
                    "shard_size": size,
                    "n": scenario.population.n,
                    "shards": [dataclasses.astuple(s) for s in shards],
                    "finished": {},
                }
            )
            _write_json(work / MANIFEST, manifest)
        finished: dict[str, Any] = manifest.setdefault("finished", {})
        todo = [
            s
            for s in shards
            if str(s.index) not in finished or not shard_paths(work, s.index)[0].exists()
        ]
        if len(todo) < len(shards):
            note(f"resuming: {len(shards) - len(todo)} of {len(shards)} shard(s) already done")
        cache = jax_cache_dir()
        tasks = (ShardTask(scenario, s, size, str(work), cache, s.index == 0) for s in todo)
        computed = []
        for outcome in executor.map_ordered(run_shard, tasks):
            entry: dict[str, Any] = {"finished": _now()}
            if outcome.check is not None:
                entry["reference_check"] = outcome.check
            manifest["responder_definitions"] = list(outcome.responder_definitions)
            finished[str(outcome.index)] = entry
            _write_json(work / MANIFEST, manifest)
            computed.append(outcome.index)
            note(f"shard {outcome.index + 1}/{len(shards)} done")
            if on_shard is not None:
                on_shard(outcome.index)
    finally:
        executor.close()
    note("combining shard statistics")
    stats = combine_in_order(load_stats(work, s.index) for s in shards)
    check = finished["0"].get("reference_check", {})
    definitions = tuple(manifest["responder_definitions"])
    result = _result(scenario, stats, shards, size, key, work, check, definitions)
    return ShardedRun(result, work, shards, tuple(computed))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _result(
    scenario: Scenario,
    stats: TableStats,
    shards: tuple[Shard, ...],
    size: int,
    key: str,
    work: Path,
    check: dict[str, Any],
    definitions: tuple[str, ...],
) -> RunResult:
    arms = [a.name for a in scenario.arms]
    endpoints = [str(e) for e in scenario.endpoints]
    visits = list(scenario.visits_days)
    control = control_arm(scenario)
    table = endpoint_table_from_moments(
        stats.moments, arms, endpoints, ENDPOINT_UNITS, visits, control
    )
    resp = responder_table_from_stats(stats, arms, definitions, visits)
    table["ci_uncertainty"] = BETWEEN_PATIENT
    resp["ci_uncertainty"] = BETWEEN_PATIENT
    shown = min(REPORT_PATIENTS, scenario.population.n)
    lock = {
        "seed": scenario.population.seed,
        "scope": platform_scope(),
        "reference_check": check,
        "sharding": {
            "shard_size": size,
            "shards": len(shards),
            "key": key,
            "equality": (
                "endpoints and responders are those of the unsharded run of the same scenario "
                "and seed, whatever the shard size and wherever the shards run"
            ),
            "statistics": (
                f"count, mean and M2 per block of {MOMENT_BLOCK} patients, combined in "
                "population order (as in an unsharded run)"
            ),
            "reference_check_patients": "drawn from shard 0",
            "report_trajectories": f"bands of the first {shown} patients of each arm",
        },
    }
    return RunResult(
        scenario, _parameters(), report_dataset(work, shards, scenario), table, resp, lock
    )


def report_dataset(work: Path, shards: tuple[Shard, ...], scenario: Scenario) -> xr.Dataset:
    """The first REPORT_PATIENTS patients of each arm (the report's trajectory bands)."""
    n_arms = len(scenario.arms)
    parts: list[list[xr.Dataset]] = [[] for _ in range(n_arms)]
    for s in shards:
        if s.start >= REPORT_PATIENTS:
            break
        keep = min(s.size, REPORT_PATIENTS - s.start)
        with xr.open_dataset(shard_paths(work, s.index)[1], engine="h5netcdf") as ds:
            for g in range(n_arms):
                parts[g].append(ds.isel(patient=slice(g * s.size, g * s.size + keep)).load())
    ds = xr.concat([d for arm in parts for d in arm], dim="patient")
    return ds.assign_coords(patient=np.arange(ds.sizes["patient"]))
