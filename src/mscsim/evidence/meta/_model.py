"""The fixed/random/mixed-effects model shared by pooling, subgroups and meta-regression."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from mscsim.evidence.meta._estimators import (
    FloatArray,
    Method,
    Tau2Estimate,
    estimate_tau2,
    normalise_method,
    projector,
    tau2_qprofile_ci,
    wls,
)
from mscsim.evidence.meta._result import Dist, MetaError, MetaResult


@dataclass(frozen=True)
class ModelFit:
    """The numbers of one fitted model; the public result types are built from it."""

    method: Method
    beta: FloatArray
    vcov: FloatArray
    tau2: Tau2Estimate
    weights: FloatArray
    dist: Dist
    df: int | None
    crit: float
    qe: float
    qe_df: int
    typical_v: float  # metafor's "typical" within-study variance, the denominator of I2 and H2
    knha: bool
    level: float

    @property
    def se(self) -> FloatArray:
        return np.sqrt(np.diag(self.vcov))

    @property
    def stat(self) -> FloatArray:
        return self.beta / self.se

    @property
    def pval(self) -> FloatArray:
        tail = stats.t.sf if self.dist == "t" else stats.norm.sf
        args = (self.df,) if self.dist == "t" else ()
        return np.asarray(2 * tail(np.abs(self.stat), *args), dtype=float)

    @property
    def qe_p(self) -> float:
        return float(stats.chi2.sf(self.qe, self.qe_df))

    def i2_h2(self, tau2: float) -> tuple[float, float]:
        """I2 (percent) and H2 for a given tau2, as metafor defines them for the model."""
        if self.method == "FE":
            # No tau2 in the model: metafor derives both from Q instead.
            i2 = 100 * max(0.0, (self.qe - self.qe_df) / self.qe) if self.qe > 0 else 0.0
            return i2, self.qe / self.qe_df
        return 100 * tau2 / (self.typical_v + tau2), (self.typical_v + tau2) / self.typical_v


def as_effects(yi: ArrayLike, vi: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validated float arrays of effects and sampling variances (one-line MetaError if bad)."""
    arrays: list[FloatArray] = []
    for name, values in (("yi", yi), ("vi", vi)):
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise MetaError(f"{name}: not all values are numbers ({exc})") from None
        if arr.ndim != 1:
            raise MetaError(f"{name}: must be one-dimensional, got shape {arr.shape}")
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            i = int(bad[0])
            raise MetaError(f"{name}[{i}] = {arr[i]}: must be a finite number")
        arrays.append(arr)
    y, v = arrays
    if len(y) != len(v):
        raise MetaError(f"yi has {len(y)} values but vi has {len(v)}: they must pair up")
    nonpositive = np.flatnonzero(v <= 0)
    if nonpositive.size:
        i = int(nonpositive[0])
        raise MetaError(f"vi[{i}] = {v[i]}: a sampling variance must be > 0")
    if len(y) < 2:
        raise MetaError(f"{len(y)} study: a meta-analysis needs at least 2")
    return y, v


def check_level(level: float) -> None:
    if not 0 < level < 1:
        raise MetaError(f"level = {level}: must be between 0 and 1 (e.g. 0.95)")


def fit_model(
    y: FloatArray, v: FloatArray, X: FloatArray, *, method: str, knha: bool, level: float
) -> ModelFit:
    """Estimate tau2, then the coefficients by weighted least squares with 1 / (v + tau2)."""
    try:
        name = normalise_method(method)
    except ValueError as exc:
        raise MetaError(str(exc)) from None
    check_level(level)
    k, p = X.shape
    if k <= p:
        raise MetaError(f"{k} studies for {p} coefficients: need more studies than coefficients")
    if np.linalg.matrix_rank(X) < p:
        raise MetaError("the moderators are collinear (the design matrix is rank deficient)")
    tau2 = estimate_tau2(y, v, X, name)
    w = 1.0 / (v + tau2.tau2)
    beta, inv = wls(y, w, X)
    if knha:
        # Knapp-Hartung: scale the covariance by the weighted residual variance (not truncated
        # at 1, metafor's default) and use t with k - p df.
        resid = y - X @ beta
        inv = inv * float(np.sum(w * resid**2)) / (k - p)
        dist: Dist = "t"
        df: int | None = k - p
        crit = float(stats.t.ppf(0.5 + level / 2, k - p))
    else:
        dist, df, crit = "z", None, float(stats.norm.ppf(0.5 + level / 2))
    P0 = projector(1.0 / v, X)
    return ModelFit(
        method=name,
        beta=beta,
        vcov=inv,
        tau2=tau2,
        weights=w,
        dist=dist,
        df=df,
        crit=crit,
        qe=max(0.0, float(y @ P0 @ y)),  # a quadratic form >= 0 (rounding aside)
        qe_df=k - p,
        typical_v=(k - p) / float(np.trace(P0)),
        knha=knha,
        level=level,
    )


def meta_analysis(
    yi: ArrayLike,
    vi: ArrayLike,
    *,
    method: str = "REML",
    knha: bool = False,
    level: float = 0.95,
    study: Sequence[str] | None = None,
) -> MetaResult:
    """Pool effect sizes ``yi`` with sampling variances ``vi`` (metafor's ``rma(yi, vi)``).

    ``method`` is the tau2 estimator: FE (fixed effect), DL, REML (default), PM, ML, HE or SJ.
    ``knha`` applies the Knapp-Hartung adjustment (t distribution with k - 1 df for the test,
    the CI and the prediction interval).
    """
    y, v = as_effects(yi, vi)
    labels = tuple(str(s) for s in study) if study is not None else _default_labels(len(y))
    if len(labels) != len(y):
        raise MetaError(f"study has {len(labels)} labels for {len(y)} studies")
    X = np.ones((len(y), 1))
    fit = fit_model(y, v, X, method=method, knha=knha, level=level)
    estimate, se = float(fit.beta[0]), float(fit.se[0])
    i2, h2 = fit.i2_h2(fit.tau2.tau2)
    tau2_ci = i2_ci = h2_ci = None
    if fit.method != "FE":
        tau2_ci = tau2_qprofile_ci(y, v, X, level)
        bounds = [fit.i2_h2(t) for t in tau2_ci]
        i2_ci = (bounds[0][0], bounds[1][0])
        h2_ci = (bounds[0][1], bounds[1][1])
    half_pi = fit.crit * float(np.sqrt(se**2 + fit.tau2.tau2))
    return MetaResult(
        method=fit.method,
        k=len(y),
        estimate=estimate,
        se=se,
        stat=float(fit.stat[0]),
        dist=fit.dist,
        df=fit.df,
        pval=float(fit.pval[0]),
        ci_low=estimate - fit.crit * se,
        ci_high=estimate + fit.crit * se,
        tau2=fit.tau2.tau2,
        tau2_se=fit.tau2.se,
        tau2_ci=tau2_ci,
        i2=i2,
        i2_ci=i2_ci,
        h2=h2,
        h2_ci=h2_ci,
        q=fit.qe,
        q_df=fit.qe_df,
        q_p=fit.qe_p,
        pi_low=estimate - half_pi,
        pi_high=estimate + half_pi,
        knha=knha,
        level=level,
        yi=tuple(float(x) for x in y),
        vi=tuple(float(x) for x in v),
        weights=tuple(float(x) for x in 100 * fit.weights / fit.weights.sum()),
        study=labels,
    )


def _default_labels(k: int) -> tuple[str, ...]:
    return tuple(f"Study {i}" for i in range(1, k + 1))
