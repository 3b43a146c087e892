"""Simulate one Alzheimer's patient (SciPy reference path) with an MSC signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.physiology._inputs import SignalInput, check_times, signal_function
from mscsim.physiology._solve import integrate
from mscsim.physiology.alzheimer._equations import (
    AlzheimerParams,
    AlzheimerState,
    alzheimer_rates,
    mmse,
)
from mscsim.physiology.alzheimer._params import alzheimer_initial_state, alzheimer_params

F64 = NDArray[np.float64]
EVIDENCE_LEVEL = "exploratory"


@dataclass(frozen=True)
class AlzheimerResult:
    """Trajectories at `t` (days): states, the MSC signal and MMSE."""

    t: F64
    states: AlzheimerState
    msc_signal: F64
    mmse: F64
    evidence_level: str = EVIDENCE_LEVEL


def simulate_alzheimer(
    t_days: ArrayLike,
    params: AlzheimerParams | None = None,
    *,
    msc_signal: SignalInput = 0.0,
    initial: AlzheimerState | None = None,
    max_step_days: float | None = None,
) -> AlzheimerResult:
    """Integrate one patient from enrolment over `t_days`.

    `msc_signal`: dimensionless MSC/exosome effect in [0, 1), a number or a function of days
    (e.g. `mscsim.physiology.brain_delivery.brain_signal_function`); with a function the step
    is limited to `max_step_days` (default 0.5 day) so that no dose pulse is stepped over.
    """
    t = check_times(t_days)
    p = params if params is not None else alzheimer_params()
    y0 = initial if initial is not None else alzheimer_initial_state(p=p)
    for name, value in y0._asdict().items():
        if not (np.isfinite(value) and 0.0 < value <= 1.0):
            raise ValueError(f"initial.{name} = {value!r} must lie in (0, 1]")
    sig = signal_function(msc_signal)
    step = (0.5 if callable(msc_signal) else np.inf) if max_step_days is None else max_step_days

    def rhs(tt: float, yy: F64) -> AlzheimerState:
        return alzheimer_rates(AlzheimerState(*yy), sig(tt), p, np)

    states = AlzheimerState(*integrate(rhs, tuple(y0), t, what="Alzheimer's", max_step=step))
    return AlzheimerResult(
        t=t,
        states=states,
        msc_signal=np.array([sig(float(tt)) for tt in t]),
        mmse=np.asarray(mmse(states.neurons, np), dtype=np.float64),
    )
