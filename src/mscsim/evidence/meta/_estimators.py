"""Estimators of the between-study variance tau2, following metafor's ``rma.uni``.

All functions take the effect sizes ``y`` (k,), their sampling variances ``v`` (k,) and a design
matrix ``X`` (k, p); the intercept-only model is ``X = ones((k, 1))``. Every estimator returns
tau2 >= 0: moment estimators are truncated at 0 and the likelihood estimators are maximised on
[0, inf), as metafor does (statsmodels' DL is known to return negative values on homogeneous data).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats

FloatArray = NDArray[np.float64]
Method = Literal["FE", "DL", "REML", "PM", "ML", "HE", "SJ"]
METHODS: Final[tuple[Method, ...]] = ("FE", "DL", "REML", "PM", "ML", "HE", "SJ")
# metafor >= 3 calls the fixed-effect model "EE" (equal effects); both names mean the same fit.
METHOD_ALIASES: Final[dict[str, Method]] = {"EE": "FE"}

_TOL: Final = 1e-12
# metafor's control defaults for the iterative likelihood estimators (rma.uni).
THRESHOLD: Final = 1e-5
_MAXITER: Final = 100


@dataclass(frozen=True)
class Tau2Estimate:
    """tau2 with its standard error where one is standard (likelihood: Fisher information)."""

    tau2: float
    se: float | None
    iterations: int = 0


def normalise_method(method: str) -> Method:
    """``"reml"`` -> ``"REML"``; an unknown name raises ValueError naming the allowed ones."""
    name = method.strip().upper()
    name = METHOD_ALIASES.get(name, name)
    for known in METHODS:
        if name == known:
            return known
    raise ValueError(f"method {method!r}: must be one of {', '.join(METHODS)}")


def wls(y: FloatArray, w: FloatArray, X: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted least squares: coefficients and (X'WX)^-1."""
    xtw = X.T * w
    inv = np.asarray(np.linalg.inv(xtw @ X), dtype=np.float64)
    beta: FloatArray = inv @ (xtw @ y)
    return beta, inv


def projector(w: FloatArray, X: FloatArray) -> FloatArray:
    """P = W - W X (X'WX)^-1 X'W; then y'Py is the weighted residual sum of squares."""
    _, inv = wls(np.zeros(len(w)), w, X)
    wx = X * w[:, None]
    return np.diag(w) - wx @ inv @ wx.T


def generalized_q(y: FloatArray, v: FloatArray, X: FloatArray, tau2: float) -> float:
    """Q(tau2) = sum w_i (y_i - x_i b)^2 with w = 1/(v + tau2); Q(0) is Cochran's Q."""
    w = 1.0 / (v + tau2)
    beta, _ = wls(y, w, X)
    resid = y - X @ beta
    return max(0.0, float(np.sum(w * resid**2)))


def estimate_tau2(y: FloatArray, v: FloatArray, X: FloatArray, method: Method) -> Tau2Estimate:
    """tau2 by the named estimator (``FE`` gives 0 by definition)."""
    if method == "FE":
        return Tau2Estimate(0.0, None)
    if method == "DL":
        return _dersimonian_laird(y, v, X)
    if method == "HE":
        return _hedges(y, v, X)
    if method == "SJ":
        return _sidik_jonkman(y, v, X)
    if method == "PM":
        return _paule_mandel(y, v, X)
    if method == "REML":
        return _likelihood(y, v, X, restricted=True, init=_hedges(y, v, X).tau2)
    if method == "ML":
        return _likelihood(y, v, X, restricted=False, init=_hedges(y, v, X).tau2)
    raise ValueError(f"method {method!r}: must be one of {', '.join(METHODS)}")


def _dersimonian_laird(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    P = projector(1.0 / v, X)
    q = float(y @ P @ y)
    tr_p = float(np.trace(P))
    tau2 = max(0.0, (q - (k - p)) / tr_p)
    # Var(Q) = 2 tr(PVPV) under normality, V = diag(v) + tau2 I. Because P diag(v) P = P, it
    # expands into the three terms below (the standard error metafor reports for DL).
    var_q = 2 * (k - p) + 4 * tau2 * tr_p + 2 * tau2**2 * float(np.sum(P * P))
    return Tau2Estimate(tau2, float(np.sqrt(var_q) / tr_p))


def _hedges(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    P = projector(np.ones(k), X)
    rss = float(y @ P @ y)
    return Tau2Estimate(max(0.0, (rss - float(np.trace(P * v))) / (k - p)), None)


def _sidik_jonkman(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    k, p = X.shape
    # The starting value is the raw variance of y (divisor k), as in metafor. Identical effects
    # are tested directly: their computed variance can be a rounding error instead of 0.
    if np.ptp(y) == 0:
        return Tau2Estimate(0.0, None)
    tau2_0 = float(np.var(y))
    return Tau2Estimate(tau2_0 * generalized_q(y, v, X, tau2_0) / (k - p), None)


def _paule_mandel(y: FloatArray, v: FloatArray, X: FloatArray) -> Tau2Estimate:
    """The root of Q(tau2) = k - p; Q decreases in tau2, so the root is unique (or 0)."""
    k, p = X.shape
    target = float(k - p)
    if generalized_q(y, v, X, 0.0) <= target:
        return Tau2Estimate(0.0, None)
    tau2 = _root_decreasing(_q_minus(y, v, X, target))
    return Tau2Estimate(tau2, None)


def _q_minus(y: FloatArray, v: FloatArray, X: FloatArray, c: float) -> Callable[[float], float]:
    """tau2 -> Q(tau2) - c, whose root is where the generalised Q meets c."""

    def f(tau2: float) -> float:
        return generalized_q(y, v, X, tau2) - c

    return f


def _root_decreasing(f: Callable[[float], float], start: float = 1.0) -> float:
    """Root of a function decreasing on [0, inf) with f(0) > 0: bracket by doubling, then Brent."""
    upper = start
    while f(upper) > 0:
        upper *= 2
        if upper > 1e12:
            raise ArithmeticError("no root of the estimating equation below 1e12")
    return float(optimize.brentq(f, 0.0, upper, xtol=_TOL, rtol=4 * np.finfo(float).eps))


def log_likelihood(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, *, restricted: bool
) -> float:
    """(Restricted) log-likelihood of the random/mixed-effects model at tau2."""
    k, p = X.shape
    w = 1.0 / (v + tau2)
    beta, inv = wls(y, w, X)
    resid = y - X @ beta
    ll = -0.5 * (k * np.log(2 * np.pi) + np.sum(np.log(v + tau2)) + np.sum(w * resid**2))
    if restricted:
        # REML adds -1/2 log|X'WX| and the (2 pi)^p of the integrated-out coefficients.
        ll += 0.5 * p * np.log(2 * np.pi) + 0.5 * np.linalg.slogdet(inv)[1]
    return float(ll)


def _score_step(
    y: FloatArray, v: FloatArray, X: FloatArray, tau2: float, *, restricted: bool
) -> tuple[float, float]:
    """The Fisher-scoring step and the Fisher information at tau2."""
    w = 1.0 / (v + tau2)
    P = projector(w, X)
    Py = P @ y
    if restricted:
        info = 0.5 * float(np.sum(P * P))
        score = 0.5 * (float(Py @ Py) - float(np.trace(P)))
    else:
        info = 0.5 * float(np.sum(w**2))
        score = 0.5 * (float(Py @ Py) - float(np.sum(w)))
    return score / info, info


def _likelihood(
    y: FloatArray, v: FloatArray, X: FloatArray, *, restricted: bool, init: float
) -> Tau2Estimate:
    """Fisher scoring on [0, inf) exactly as metafor's ``rma.uni`` iterates.

    metafor starts from the HE estimate, halves a step that would make tau2 negative and stops
    when tau2 changes by at most 1e-5 (its default ``threshold``). The stopping rule is kept
    because the printed digits depend on it: on dat.bcg with latitude the exact REML optimum is
    0.076348 while metafor stops at 0.076355 and prints 0.0764 (and R2 75.62%, SE 0.0591).
    The standard error is sqrt(1 / information) at the estimate, metafor's ``se.tau2``:
    sqrt(2 / tr(PP)) for REML and sqrt(2 / sum w^2) for ML.
    """
    tau2 = max(0.0, init)
    iterations = 0
    converged = False
    while iterations < _MAXITER:
        iterations += 1
        step, _ = _score_step(y, v, X, tau2, restricted=restricted)
        while tau2 + step < 0:
            step /= 2
            if abs(step) < _TOL:  # at the boundary with a negative score: stay at 0
                step = -tau2
                break
        new = tau2 + step
        change = abs(new - tau2)
        tau2 = new
        if change <= THRESHOLD:
            converged = True
            break
    if not converged:
        # metafor gives up here; a bounded maximisation of the likelihood cannot fail.
        upper = 10 * max(1.0, float(np.var(y)) + float(np.max(v)))
        found = optimize.minimize_scalar(
            lambda t: -log_likelihood(y, v, X, t, restricted=restricted),
            bounds=(0.0, upper),
            method="bounded",
            options={"xatol": _TOL},
        )
        tau2 = float(found.x)
    # Within the threshold of 0 and a likelihood falling at 0: the maximiser is exactly 0
    # (the iteration only creeps towards the boundary by halved steps).
    if tau2 < THRESHOLD and _score_step(y, v, X, 0.0, restricted=restricted)[0] <= 0:
        tau2 = 0.0
    _, info = _score_step(y, v, X, tau2, restricted=restricted)
    return Tau2Estimate(tau2, float(np.sqrt(1.0 / info)), iterations)


def tau2_qprofile_ci(
    y: FloatArray, v: FloatArray, X: FloatArray, level: float = 0.95
) -> tuple[float, float]:
    """Q-profile confidence interval for tau2 (Viechtbauer 2007), metafor's ``confint()``.

    The bounds solve Q(tau2) = chi2 quantiles with k - p df; a bound whose equation has no
    non-negative root is 0 (the data are then compatible with no heterogeneity).
    """
    k, p = X.shape
    df = k - p
    alpha = 1 - level
    q0 = generalized_q(y, v, X, 0.0)
    bounds: list[float] = []
    for quantile in (stats.chi2.ppf(1 - alpha / 2, df), stats.chi2.ppf(alpha / 2, df)):
        target = float(quantile)
        if q0 <= target:
            bounds.append(0.0)
        else:
            bounds.append(_root_decreasing(_q_minus(y, v, X, target)))
    return bounds[0], bounds[1]
