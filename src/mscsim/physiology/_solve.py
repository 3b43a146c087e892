"""One-patient reference integration shared by the disease modules (SciPy, numpy states)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

F64 = NDArray[np.float64]
Method = Literal["LSODA", "Radau", "BDF", "RK45", "DOP853"]


def integrate(
    rhs: Callable[[float, F64], Sequence[float] | F64],
    y0: Sequence[float],
    t: F64,
    *,
    what: str,
    method: Method = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_step: float = np.inf,
) -> F64:
    """States (n_states, len(t)) of dy/dt = rhs(t, y) from y0 at t[0].

    `max_step` (days) keeps the solver from stepping over short MSC exposures when the signal
    is a function of time. A failed integration raises RuntimeError naming `what`.
    """
    sol = solve_ivp(
        lambda tt, yy: np.asarray(rhs(tt, yy), dtype=np.float64),
        (float(t[0]), float(t[-1])),
        np.asarray(y0, dtype=np.float64),
        method=method,
        t_eval=t,
        rtol=rtol,
        atol=atol,
        max_step=max_step,
    )
    if sol.status != 0:
        raise RuntimeError(f"{what} integration failed ({method}): {sol.message}")
    return np.asarray(sol.y, dtype=np.float64)
