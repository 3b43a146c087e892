"""Meta-regression: the mixed-effects model with moderators (metafor's ``rma(yi, vi, mods=)``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from mscsim.evidence.meta._estimators import FloatArray, tau2_qprofile_ci
from mscsim.evidence.meta._model import as_effects, fit_model
from mscsim.evidence.meta._result import Coefficient, MetaError, MetaRegressionResult

INTERCEPT = "intrcpt"  # metafor's name, so coefficient tables read the same

Moderators = pd.DataFrame | Mapping[str, Sequence[Any]] | ArrayLike


def design_matrix(
    mods: Moderators, k: int, *, intercept: bool = True
) -> tuple[FloatArray, list[str]]:
    """The design matrix and coefficient names for moderators given as a table or an array.

    Numeric columns enter as they are; a column of text is a factor, coded as R does by default
    (treatment contrasts: one 0/1 column per level but the first in sorted order, named
    ``column + level``). An unnamed array's columns are called ``x1, x2, ...``.
    """
    frame = _as_frame(mods)
    if len(frame) != k:
        raise MetaError(f"moderators have {len(frame)} rows for {k} studies")
    columns: list[FloatArray] = [np.ones(k)] if intercept else []
    names: list[str] = [INTERCEPT] if intercept else []
    for name in frame.columns:
        values = frame[name]
        missing = values.isna().to_numpy()
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            raise MetaError(f"moderator {name!r}: missing value in row {row}")
        numeric = pd.to_numeric(values, errors="coerce")
        if not numeric.isna().any():
            columns.append(numeric.to_numpy(dtype=float))
            names.append(str(name))
            continue
        levels = sorted({str(x) for x in values})
        if len(levels) < 2:
            raise MetaError(f"moderator {name!r}: a factor needs at least 2 levels, got {levels}")
        text = values.astype(str).to_numpy()
        for level in levels[1:]:
            columns.append((text == level).astype(float))
            names.append(f"{name}{level}")
    if not columns:
        raise MetaError("no moderators and no intercept: nothing to estimate")
    return np.column_stack(columns), names


def _as_frame(mods: Moderators) -> pd.DataFrame:
    if isinstance(mods, pd.DataFrame):
        return mods.reset_index(drop=True)
    if isinstance(mods, Mapping):
        return pd.DataFrame({str(key): list(col) for key, col in mods.items()})
    arr = np.asarray(mods)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise MetaError(f"moderators: expected a table or a 1-D/2-D array, got shape {arr.shape}")
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(1, arr.shape[1] + 1)])


def meta_regression(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: Moderators,
    *,
    method: str = "REML",
    knha: bool = False,
    level: float = 0.95,
    intercept: bool = True,
) -> MetaRegressionResult:
    """Mixed-effects meta-regression of ``yi`` on the moderators ``mods``.

    tau2 is the residual heterogeneity (REML by default); ``knha`` gives Knapp-Hartung standard
    errors with t(k - p) tests and an F test of the moderators.
    """
    y, v = as_effects(yi, vi)
    k = len(y)
    X, names = design_matrix(mods, k, intercept=intercept)
    p = X.shape[1]
    fit = fit_model(y, v, X, method=method, knha=knha, level=level)
    se = fit.se
    coefficients = tuple(
        Coefficient(
            name=name,
            estimate=float(b),
            se=float(s),
            stat=float(z),
            pval=float(pv),
            ci_low=float(b - fit.crit * s),
            ci_high=float(b + fit.crit * s),
        )
        for name, b, s, z, pv in zip(names, fit.beta, se, fit.stat, fit.pval, strict=True)
    )
    # Omnibus test of every coefficient but the intercept (all of them without one).
    tested = slice(1, p) if intercept else slice(0, p)
    b = fit.beta[tested]
    qm = float(b @ np.linalg.solve(fit.vcov[tested, tested], b))
    qm_df = len(b)
    if qm_df == 0:
        qm, qm_p = 0.0, 1.0
    elif knha:
        qm /= qm_df  # an F statistic with (m, k - p) df
        qm_p = float(stats.f.sf(qm, qm_df, k - p))
    else:
        qm_p = float(stats.chi2.sf(qm, qm_df))
    i2, h2 = fit.i2_h2(fit.tau2.tau2)
    return MetaRegressionResult(
        method=fit.method,
        k=k,
        p=p,
        coefficients=coefficients,
        vcov=tuple(tuple(float(x) for x in row) for row in fit.vcov),
        dist=fit.dist,
        df=fit.df,
        tau2=fit.tau2.tau2,
        tau2_se=fit.tau2.se,
        tau2_ci=None if fit.method == "FE" else tau2_qprofile_ci(y, v, X, level),
        i2=i2,
        h2=h2,
        r2=_r2(y, v, fit.tau2.tau2, method=fit.method) if intercept and p > 1 else None,
        qe=fit.qe,
        qe_df=fit.qe_df,
        qe_p=fit.qe_p,
        qm=qm,
        qm_df=qm_df,
        qm_p=qm_p,
        knha=knha,
        level=level,
    )


def _r2(y: FloatArray, v: FloatArray, tau2: float, *, method: str) -> float | None:
    """Percent of the intercept-only model's tau2 explained, floored at 0 as in metafor."""
    if method == "FE":
        return None
    base = fit_model(y, v, np.ones((len(y), 1)), method=method, knha=False, level=0.95)
    tau2_re = base.tau2.tau2
    if tau2_re <= 0:
        return None
    return max(0.0, 100 * (tau2_re - tau2) / tau2_re)
