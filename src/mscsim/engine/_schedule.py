"""Time grid of a run: daily steps, record days, dosing and titration days as scheduled jumps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SEGMENT = 7  # days stepped between two records at most (weekly trajectory resolution)


@dataclass(frozen=True)
class Grid:
    """Days are integers; the state recorded on day d is the state before that day's jumps."""

    duration_days: int
    record_days: NDArray[np.int64]
    # (n_segments, SEGMENT) tables for the nested scan; inactive slots pad short segments.
    day: NDArray[np.int64]
    active: NDArray[np.bool_]

    @property
    def n_segments(self) -> int:
        return int(self.day.shape[0])


def make_grid(duration_days: int, visits_days: Sequence[float]) -> Grid:
    visits = {round(d) for d in visits_days}
    record = sorted({*range(0, duration_days + 1, SEGMENT), *visits, duration_days})
    rec = np.asarray(record, dtype=np.int64)
    starts, ends = rec[:-1], rec[1:]
    offsets = np.arange(SEGMENT)
    day = starts[:, None] + offsets[None, :]
    active = offsets[None, :] < (ends - starts)[:, None]
    return Grid(duration_days, rec, np.where(active, day, 0), active)


def per_day(values: dict[int, float], grid: Grid) -> NDArray[np.float64]:
    """A (n_segments, SEGMENT) table with values on given days, zero elsewhere."""
    out = np.zeros(grid.day.shape)
    for d, x in values.items():
        out += np.where(grid.active & (grid.day == d), x, 0.0)
    return out


def titration_days(grid: Grid, interval: float) -> NDArray[np.bool_]:
    step = max(round(interval), 1)
    return grid.active & (grid.day > 0) & (grid.day % step == 0)
