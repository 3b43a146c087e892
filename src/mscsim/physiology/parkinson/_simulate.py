"""Simulate one Parkinson's patient (SciPy reference path) with an MSC signal and levodopa."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.physiology._inputs import SignalInput, check_fraction, check_times, signal_function
from mscsim.physiology._solve import integrate
from mscsim.physiology.parkinson._equations import (
    ParkinsonParams,
    ParkinsonState,
    parkinson_rates,
    updrs3,
)
from mscsim.physiology.parkinson._params import parkinson_initial_state, parkinson_params

F64 = NDArray[np.float64]
EVIDENCE_LEVEL = "exploratory"


@dataclass(frozen=True)
class ParkinsonResult:
    """Trajectories at `t` (days): states, the MSC signal, and MDS-UPDRS III off and as treated."""

    t: F64
    states: ParkinsonState
    msc_signal: F64
    updrs3_off: F64  # without levodopa (the disease)
    updrs3: F64  # as observed under the given levodopa
    levodopa: float
    evidence_level: str = EVIDENCE_LEVEL


def simulate_parkinson(
    t_days: ArrayLike,
    params: ParkinsonParams | None = None,
    *,
    msc_signal: SignalInput = 0.0,
    levodopa: float = 0.0,
    initial: ParkinsonState | None = None,
    max_step_days: float | None = None,
) -> ParkinsonResult:
    """Integrate one patient from enrolment over `t_days`.

    `msc_signal`: dimensionless MSC/exosome effect in [0, 1), a number or a function of days
    (e.g. `mscsim.physiology.brain_delivery.brain_signal_function`). `levodopa`: 0 (none) to 1
    (full standard dose), symptomatic only. With a time-varying signal the step is limited to
    `max_step_days` (default 0.5 day) so that no dose pulse is stepped over.
    """
    t = check_times(t_days)
    lev = check_fraction("levodopa", levodopa)
    p = params if params is not None else parkinson_params()
    y0 = initial if initial is not None else parkinson_initial_state(p=p)
    for name, value in y0._asdict().items():
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"initial.{name} = {value!r} must be a positive fraction")
    sig = signal_function(msc_signal)
    step = (0.5 if callable(msc_signal) else np.inf) if max_step_days is None else max_step_days

    def rhs(tt: float, yy: F64) -> ParkinsonState:
        return parkinson_rates(ParkinsonState(*yy), sig(tt), p, np)

    y = integrate(rhs, tuple(y0), t, what="Parkinson's", max_step=step)
    states = ParkinsonState(*y)
    return ParkinsonResult(
        t=t,
        states=states,
        msc_signal=np.array([sig(float(tt)) for tt in t]),
        updrs3_off=np.asarray(updrs3(states.dopamine, p, np), dtype=np.float64),
        updrs3=np.asarray(updrs3(states.dopamine, p, np, levodopa=lev), dtype=np.float64),
        levodopa=lev,
    )
