"""Classical RK4 over a whole population at once, with the tissue signal as an input.

The aging-disease states are slow (days to years) and their rates are the physiology modules'
xp-generic equations, so a fixed quarter-day step over every patient of every arm at once is
accurate (each run re-simulates patients on the SciPy path and records the deviation) and fast.
A dose counts from the start of the step that begins on its day, never inside a step.

`rk4_step` is the one step both integrators take: the jitted scan of the runner (`_scan`) and
`rk4` here, a plain NumPy loop kept as the readable reference the tests pin the scan against.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
STEP_DAYS = 0.25


def steps_per_day(step_days: float) -> int:
    per_day = round(1.0 / step_days)
    if abs(per_day * step_days - 1.0) > 1e-12:
        raise ValueError(f"step_days = {step_days} must divide one day")
    return per_day


def _axpy(y: Any, h: float, k: Any) -> Any:
    return type(y)(*(a + h * b for a, b in zip(y, k, strict=True)))


def rk4_step(rates: Callable[[Any, Any], Any], y: Any, h: float, s1: Any, s2: Any, s4: Any) -> Any:
    """One classical RK4 step of a NamedTuple state; s1, s2, s4: the signal at the step's start,
    middle and end (doses given after the start do not count)."""
    k1 = rates(y, s1)
    k2 = rates(_axpy(y, 0.5 * h, k1), s2)
    k3 = rates(_axpy(y, 0.5 * h, k2), s2)
    k4 = rates(_axpy(y, h, k3), s4)
    return type(y)(
        *(
            a + (h / 6.0) * (b1 + 2.0 * b2 + 2.0 * b3 + b4)
            for a, b1, b2, b3, b4 in zip(y, k1, k2, k3, k4, strict=True)
        )
    )


def rk4(
    rates: Callable[[Any, F64], Any],
    y0: Any,
    signal: Callable[[float, float], F64],
    duration_days: int,
    record_days: Sequence[int],
    *,
    step_days: float = STEP_DAYS,
) -> tuple[Any, F64]:
    """States (a NamedTuple of (len(record_days), n) arrays) and the signal on record days.

    `rates(y, s)` gives dy/dt at signal s; `signal(t, given_by)` the signal at day t from the
    doses given by day `given_by`.
    """
    per_day = steps_per_day(step_days)
    h = 1.0 / per_day
    wanted = {int(d) for d in record_days}
    y = type(y0)(*(np.asarray(a, dtype=np.float64) for a in y0))
    states: list[Any] = []
    signals: list[F64] = []
    for day in range(duration_days + 1):
        if day in wanted:
            states.append(y)
            signals.append(signal(float(day), float(day)))
        if day == duration_days:
            break
        for j in range(per_day):
            t0 = day + j * h
            y = rk4_step(rates, y, h, signal(t0, t0), signal(t0 + 0.5 * h, t0), signal(t0 + h, t0))
    stacked = type(y0)(*(np.stack(arrs) for arrs in zip(*states, strict=True)))
    return stacked, np.stack(signals)
