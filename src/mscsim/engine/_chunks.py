"""The engine over a population in chunks: memory bounded by the chunk, not by the population.

`simulate_chunked` runs `_fast.simulate_arm` on consecutive slices of the patient axis and
joins what each slice returns along that axis. The last slice is padded to the chunk size with
copies of its last patient (dropped afterwards), so every chunk has one shape and XLA compiles
once. Chunking gives up nothing: no patient's numbers depend on its batch-mates (`_fast`), so
the chunked records are the unchunked ones bit for bit (tests/test_bench.py), a padding copy
changes no other patient, and a chunk with no live cells on a day merely skips the MSC terms
that would add exactly nothing.

`keep` reduces each chunk's records before they are joined (e.g. to the visit days); with it the
memory that stays is what `keep` returns, which is what lets 10^6 patients run on a laptop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as np

from mscsim.engine._fast import ArmDosing, Carry, Record, simulate_arm
from mscsim.engine._schedule import Grid

DEFAULT_CHUNK = 50_000  # patient-arms per chunk: about 2.8 GB of float64 records at 3 years
# On a GPU the records of a chunk stay on the device in float32 (about 9 KB a patient-arm at 3
# years, twice that while the last record is joined): 10^6 patient-arms use about 18 GB of an
# 80 GB H100, and larger chunks keep the scan's per-step launch overhead small.
GPU_CHUNK = 1_000_000


def default_chunk_size(backend: str | None = None) -> int:
    """Patient-arms per chunk for JAX's backend (`jax.default_backend()` when not given)."""
    return GPU_CHUNK if (backend or jax.default_backend()) == "gpu" else DEFAULT_CHUNK


def _rows(tree: Any, rows: np.ndarray, n: int) -> Any:
    """Rows `rows` of every per-patient array (first axis of length n); the rest as is."""

    def take(a: Any) -> Any:
        arr = np.asarray(a)
        return arr[rows] if arr.ndim >= 1 and arr.shape[0] == n else a

    return jax.tree_util.tree_map(take, tree)


def _dosing_rows(dosing: ArmDosing, rows: np.ndarray) -> ArmDosing:
    """The chunk's dosing: the day table is shared, scale, route and group are per patient."""
    route = np.asarray(dosing.route)
    return dosing._replace(
        scale=np.asarray(dosing.scale)[rows],
        route=route[rows] if route.ndim == 2 else route,
        group=None if dosing.group is None else np.asarray(dosing.group)[rows],
    )


def _time_major_rows(tree: Any, keep_rows: slice) -> Any:
    """Patients `keep_rows` of records shaped (record days, patients, ...)."""
    return jax.tree_util.tree_map(lambda a: np.asarray(a)[:, keep_rows], tree)


def simulate_chunked(
    carry0: Carry,
    pat: Any,
    sh: Any,
    dosing: ArmDosing,
    grid: Grid,
    titration: np.ndarray,
    kinetics: np.ndarray,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    keep: Callable[[Record], Any] | None = None,
    **engine_options: Any,
) -> Any:
    """`simulate_arm` chunk by chunk: the same records (or `keep` of them), patients joined.

    Arguments are those of `simulate_arm` for the whole population (patients on the first axis
    of `carry0`, `pat`, and `dosing.scale`, `dosing.route` when per patient, `dosing.group`);
    records come back time-major as from `simulate_arm`, so patients are joined on axis 1.
    `keep(records)` must keep that layout. Keyword options other than `chunk_size` and `keep`
    go to `simulate_arm` unchanged.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive number of patients, got {chunk_size}")
    n = int(np.asarray(carry0.dose).shape[0])
    parts = []
    for start in range(0, n, chunk_size):
        stop = min(start + chunk_size, n)
        size = min(chunk_size, n)  # one shape for every chunk
        rows = np.minimum(np.arange(start, start + size), stop - 1)  # pad with the last patient
        rec = simulate_arm(
            _rows(carry0, rows, n),
            _rows(pat, rows, n),
            sh,
            _dosing_rows(dosing, rows),
            grid,
            titration,
            kinetics,
            keep=keep,
            **engine_options,
        )
        parts.append(_time_major_rows(rec, slice(0, stop - start)))
    return jax.tree_util.tree_map(lambda *a: np.concatenate(a, axis=1), *parts)
