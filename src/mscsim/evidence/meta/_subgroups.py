"""Subgroup analysis: a pooled estimate per subgroup and the test for subgroup differences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from mscsim.evidence.meta._model import as_effects, meta_analysis
from mscsim.evidence.meta._result import MetaError, SubgroupResult


def subgroup_analysis(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Sequence[object],
    *,
    method: str = "REML",
    knha: bool = False,
    level: float = 0.95,
    study: Sequence[str] | None = None,
) -> SubgroupResult:
    """Pool each subgroup on its own, then test whether the subgroup estimates differ.

    Subgroups are listed in order of first appearance; each needs at least 2 studies.
    Q-between = sum (b_g - b)^2 / se_g^2 with b the inverse-variance mean of the b_g, the
    fixed-effect test on the subgroup estimates (each subgroup has its own tau2).
    """
    y, v = as_effects(yi, vi)
    labels = [str(g) for g in groups]
    if len(labels) != len(y):
        raise MetaError(f"groups has {len(labels)} labels for {len(y)} studies")
    names = tuple(dict.fromkeys(labels))
    if len(names) < 2:
        raise MetaError(f"groups: one subgroup only ({names[0]!r}); need at least 2 to compare")
    study_labels = list(study) if study is not None else [f"Study {i + 1}" for i in range(len(y))]
    results = []
    for name in names:
        idx = [i for i, g in enumerate(labels) if g == name]
        if len(idx) < 2:
            raise MetaError(f"subgroup {name!r} has {len(idx)} study; each needs at least 2")
        results.append(
            meta_analysis(
                y[idx],
                v[idx],
                method=method,
                knha=knha,
                level=level,
                study=[study_labels[i] for i in idx],
            )
        )
    est = np.array([r.estimate for r in results])
    w = 1.0 / np.array([r.se for r in results]) ** 2
    pooled = float(np.sum(w * est) / np.sum(w))
    q_between = float(np.sum(w * (est - pooled) ** 2))
    df = len(names) - 1
    return SubgroupResult(
        groups=names,
        results=tuple(results),
        q_between=q_between,
        q_between_df=df,
        q_between_p=float(stats.chi2.sf(q_between, df)),
    )
