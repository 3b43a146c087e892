"""Sharded runs to disk: shard results stream to a work directory, then the result directory
appears atomically with trajectories.nc assembled shard by shard (memory bounded by one shard).

trajectories.nc has the layout of an unsharded run (patients of arm 0, then arm 1, ...; the same
variables, units and coordinates); it is written with h5netcdf directly, each shard's rows into
their place, so the whole population is never in memory.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import h5netcdf
import h5py
import numpy as np
import xarray as xr

from mscsim.results._write import write_results
from mscsim.scenario import Scenario
from mscsim.trial._run import Progress, RunResult
from mscsim.trial._shards import Shard, shard_paths, simulate_sharded, work_directory

CHUNK_BYTES = 1 << 20  # about 1 MB per compressed chunk


def write_trajectories(
    path: Path, work: Path, shards: tuple[Shard, ...], scenario: Scenario
) -> None:
    """Assemble the shards' trajectory files into one netCDF file, one shard at a time."""
    n = scenario.population.n
    arms = [a.name for a in scenario.arms]
    total = len(arms) * n
    with xr.open_dataset(shard_paths(work, shards[0].index)[1], engine="h5netcdf") as first:
        layout = {
            str(k): (tuple(map(str, first[k].dims)), dict(first[k].attrs)) for k in first.data_vars
        }
        day = first["day"].values
        visit_day = first["visit_day"].values
        attrs = dict(first.attrs)
    with h5netcdf.File(path, "w") as f:
        f.attrs.update(attrs)
        f.dimensions = {"patient": total, "day": len(day), "visit_day": len(visit_day)}
        f.create_variable("patient", ("patient",), data=np.arange(total, dtype=np.int64))
        f.create_variable("day", ("day",), data=day.astype(np.float64))
        f.create_variable("visit_day", ("visit_day",), data=visit_day.astype(np.float64))
        arm_var = f.create_variable("arm", ("patient",), dtype=h5py.string_dtype())
        id_var = f.create_variable("patient_id", ("patient",), dtype=np.int64)
        for name, (dims, var_attrs) in layout.items():
            width = len(day) if dims[1] == "day" else len(visit_day)
            rows = int(min(total, max(1, CHUNK_BYTES // (4 * width))))
            var = f.create_variable(
                name,
                dims,
                dtype=np.float32,
                chunks=(rows, width),
                compression="gzip",
                compression_opts=1,
                shuffle=True,
                fillvalue=np.float32(np.nan),
            )
            var.attrs.update({**var_attrs, "coordinates": "arm patient_id"})
        for s in shards:
            with xr.open_dataset(shard_paths(work, s.index)[1], engine="h5netcdf") as ds:
                for g, arm in enumerate(arms):
                    local = slice(g * s.size, (g + 1) * s.size)
                    rows_out = slice(g * n + s.start, g * n + s.stop)
                    arm_var[rows_out] = np.full(s.size, arm, dtype=object)
                    id_var[rows_out] = ds["patient_id"].values[local]
                for name in layout:
                    values = ds[name].values
                    for g in range(len(arms)):
                        local = slice(g * s.size, (g + 1) * s.size)
                        f.variables[name][g * n + s.start : g * n + s.stop, :] = values[local]


def run_sharded(
    scenario: Scenario,
    out: Path,
    *,
    force: bool = False,
    shard_size: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: Progress | None = None,
    on_shard: Callable[[int], None] | None = None,
) -> RunResult:
    """Simulate a scenario in shards and write its result directory (DESIGN.md contract).

    Finished shards wait in a work directory beside `out` (`.<name>.work`); an interrupted run
    continues with `resume=True`; the work directory is removed once `out` is complete.
    """
    note = progress or (lambda _msg: None)
    work = work_directory(out)
    run = simulate_sharded(
        scenario,
        work_dir=work,
        shard_size=shard_size,
        workers=workers,
        scheduler=scheduler,
        resume=resume,
        progress=note,
        on_shard=on_shard,
    )
    note("writing results")

    def trajectories(path: Path) -> None:
        write_trajectories(path, run.work_dir, run.shards, scenario)

    write_results(run.result, out, force=force, trajectories=trajectories)
    shutil.rmtree(work, ignore_errors=True)
    return run.result
