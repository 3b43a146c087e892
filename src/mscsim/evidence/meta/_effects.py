"""Effect sizes and their sampling variances, as metafor's ``escalc`` computes them."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from mscsim.evidence.meta._estimators import FloatArray
from mscsim.evidence.meta._result import MetaError


def log_risk_ratio(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, *, add: float = 0.5
) -> tuple[FloatArray, FloatArray]:
    """Log risk ratio from 2x2 counts (``escalc("RR")``): events/non-events, treated vs control.

    yi = log((ai / n1) / (ci / n2)), vi = 1/ai - 1/n1 + 1/ci - 1/n2. As in metafor, ``add`` is
    added to every cell of a table that has a zero cell (``to = "only0"``).
    """
    cells = [np.asarray(x, dtype=float) for x in (ai, bi, ci, di)]
    for name, cell in zip(("ai", "bi", "ci", "di"), cells, strict=True):
        if np.any(cell < 0) or not np.all(np.isfinite(cell)):
            raise MetaError(f"{name}: counts must be finite and >= 0, got {cell.tolist()}")
    a, b, c, d = np.broadcast_arrays(*cells)
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (np.where(zero, x + add, x) for x in (a, b, c, d))
    n1, n2 = a + b, c + d
    return np.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


def mean_difference(
    m1: ArrayLike, sd1: ArrayLike, n1: ArrayLike, m2: ArrayLike, sd2: ArrayLike, n2: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Raw mean difference, ``escalc("MD")``: yi = m1 - m2, vi = sd1²/n1 + sd2²/n2.

    For a change-from-baseline endpoint against control (e.g. HbA1c), pass the change means.
    """
    a_mean, a_sd, a_n, b_mean, b_sd, b_n = (
        np.asarray(x, dtype=float) for x in (m1, sd1, n1, m2, sd2, n2)
    )
    if np.any(a_n < 1) or np.any(b_n < 1):
        raise MetaError("n1, n2: group sizes must be >= 1")
    return a_mean - b_mean, a_sd**2 / a_n + b_sd**2 / b_n
