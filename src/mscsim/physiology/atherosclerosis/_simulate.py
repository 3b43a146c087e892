"""Simulate one atherosclerosis patient (SciPy reference path) with LDL-C, statin and MSC signal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.physiology._inputs import (
    SignalInput,
    check_fraction,
    check_nonnegative,
    check_times,
    signal_function,
)
from mscsim.physiology._solve import integrate
from mscsim.physiology.atherosclerosis._equations import (
    AtheroParams,
    AtheroState,
    athero_rates,
    treated_ldl,
)
from mscsim.physiology.atherosclerosis._params import (
    athero_initial_state,
    athero_params,
    default_ldl,
)

F64 = NDArray[np.float64]
EVIDENCE_LEVEL = "exploratory"


@dataclass(frozen=True)
class AtheroResult:
    """Trajectories at `t` (days): states (PAV in percent), the MSC signal and achieved LDL-C."""

    t: F64
    states: AtheroState
    msc_signal: F64
    ldl_mg_dl: float  # achieved LDL-C (after statin)
    evidence_level: str = EVIDENCE_LEVEL

    @property
    def pav_pct(self) -> F64:
        return np.asarray(self.states.pav, dtype=np.float64)


def simulate_atherosclerosis(
    t_days: ArrayLike,
    params: AtheroParams | None = None,
    *,
    msc_signal: SignalInput = 0.0,
    ldl_mg_dl: float | None = None,
    statin: float = 0.0,
    initial: AtheroState | None = None,
    max_step_days: float | None = None,
) -> AtheroResult:
    """Integrate one patient from enrolment over `t_days`.

    `ldl_mg_dl`: untreated LDL-C (default: the table's `ath_ldl_untreated`); `statin`: 0 (none)
    to 1 (high-intensity), lowering LDL-C by `statin_ldl_reduction`. `msc_signal`: MSC/exosome
    effect in [0, 1), a number or a function of days (then the step is limited to
    `max_step_days`, default 0.5 day).
    """
    t = check_times(t_days)
    ldl0 = default_ldl() if ldl_mg_dl is None else check_nonnegative("ldl_mg_dl", ldl_mg_dl)
    st = check_fraction("statin", statin)
    p = params if params is not None else athero_params()
    y0 = initial if initial is not None else athero_initial_state(p=p)
    if not (np.isfinite(y0.pav) and 0.0 <= y0.pav <= 100.0):
        raise ValueError(f"initial.pav = {y0.pav!r} must lie in [0, 100] percent")
    ldl = float(treated_ldl(ldl0, st, p))
    sig = signal_function(msc_signal)
    step = (0.5 if callable(msc_signal) else np.inf) if max_step_days is None else max_step_days

    def rhs(tt: float, yy: F64) -> AtheroState:
        return athero_rates(AtheroState(*yy), ldl, sig(tt), p, np)

    y = integrate(rhs, tuple(y0), t, what="atherosclerosis", max_step=step)
    return AtheroResult(
        t=t,
        states=AtheroState(*y),
        msc_signal=np.array([sig(float(tt)) for tt in t]),
        ldl_mg_dl=ldl,
    )
