"""Endpoint and responder summaries: the endpoint table's columns, responder rates with Wilson
intervals.

Every arm is simulated on the same virtual patients, so the difference vs control is a paired
difference per patient. The intervals describe between-patient variability within the virtual
population (a population-level CI), not the result of a real-sized trial. The endpoint table
itself (means with 95% CI, change from baseline, paired difference vs control) is computed from
block statistics in `_moments`, the same code for sharded and unsharded runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

F64 = NDArray[np.float64]
ENDPOINT_COLUMNS: tuple[str, ...] = (
    "arm",
    "day",
    "endpoint",
    "unit",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "change_mean",
    "change_ci_low",
    "change_ci_high",
    "diff_vs_control_mean",
    "diff_vs_control_ci_low",
    "diff_vs_control_ci_high",
)


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    z = float(special.ndtri(0.5 + level / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def responder_table(
    responders: Mapping[str, Mapping[str, NDArray[np.bool_] | F64]], days: Sequence[float]
) -> pd.DataFrame:
    """responders[arm][definition]: (patients, visits) booleans, NaN where not applicable."""
    rows = []
    for arm, by_def in responders.items():
        for definition, r in by_def.items():
            arr = np.asarray(r, dtype=np.float64)
            for j, day in enumerate(days):
                col = arr[:, j]
                col = col[np.isfinite(col)]
                n, k = int(col.size), int(np.sum(col))
                lo, hi = wilson(k, n)
                rows.append(
                    {
                        "arm": arm,
                        "day": day,
                        "definition": definition,
                        "n": n,
                        "rate": k / n if n else np.nan,
                        "ci_low": lo,
                        "ci_high": hi,
                    }
                )
    return pd.DataFrame(rows)
