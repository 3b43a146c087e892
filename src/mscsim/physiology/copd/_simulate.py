"""Simulate one COPD patient (SciPy reference path) with an MSC signal and a bronchodilator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.physiology._inputs import SignalInput, check_fraction, check_times, signal_function
from mscsim.physiology._solve import integrate
from mscsim.physiology.copd._equations import (
    CopdParams,
    CopdState,
    copd_rates,
    measured_fev1,
    sgrq,
)
from mscsim.physiology.copd._params import (
    CopdBaseline,
    copd_baseline,
    copd_initial_state,
    copd_params,
)

F64 = NDArray[np.float64]
EVIDENCE_LEVEL = "exploratory"


@dataclass(frozen=True)
class CopdResult:
    """Trajectories at `t` (days): states, the MSC signal, measured FEV1 (mL) and SGRQ."""

    t: F64
    states: CopdState
    msc_signal: F64
    fev1_ml: F64  # as measured (with the bronchodilator step)
    sgrq: F64
    bronchodilator: float
    evidence_level: str = EVIDENCE_LEVEL


def simulate_copd(
    t_days: ArrayLike,
    params: CopdParams | None = None,
    *,
    msc_signal: SignalInput = 0.0,
    bronchodilator: float = 0.0,
    initial: CopdState | None = None,
    baseline: CopdBaseline | None = None,
    max_step_days: float | None = None,
) -> CopdResult:
    """Integrate one patient from enrolment over `t_days`.

    `msc_signal`: MSC/exosome effect in [0, 1), a number or a function of days (e.g.
    `lung_signal_function`; then the step is limited to `max_step_days`, default 0.1 day, as
    lung cells clear within days). `bronchodilator`: 0 (none) to 1 (long-acting, e.g.
    tiotropium), symptomatic only.
    """
    t = check_times(t_days)
    bd = check_fraction("bronchodilator", bronchodilator)
    p = params if params is not None else copd_params()
    base = baseline if baseline is not None else copd_baseline()
    y0 = initial if initial is not None else copd_initial_state(p=p)._replace(fev1_ml=base.fev1_ml)
    if not (np.isfinite(y0.fev1_ml) and y0.fev1_ml > 0):
        raise ValueError(f"initial.fev1_ml = {y0.fev1_ml!r} must be a positive volume in mL")
    sig = signal_function(msc_signal)
    step = (0.1 if callable(msc_signal) else np.inf) if max_step_days is None else max_step_days

    def rhs(tt: float, yy: F64) -> CopdState:
        return copd_rates(CopdState(*yy), sig(tt), p, np)

    states = CopdState(*integrate(rhs, tuple(y0), t, what="COPD", max_step=step))
    return CopdResult(
        t=t,
        states=states,
        msc_signal=np.array([sig(float(tt)) for tt in t]),
        fev1_ml=np.asarray(measured_fev1(states.fev1_ml, bd, p), dtype=np.float64),
        sgrq=np.asarray(
            sgrq(states.fev1_ml, y0.fev1_ml, states.inflammation, base.sgrq, bd, p, np),
            dtype=np.float64,
        ),
        bronchodilator=bd,
    )
