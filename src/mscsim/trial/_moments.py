"""Endpoint and responder tables from streaming sufficient statistics, shard by shard.

A sharded run never holds every patient's visit values at once. Each shard reduces its patients
to, per arm, endpoint and visit, the count, mean and sum of squared deviations (M2) of the value,
of the change from baseline and of the paired difference vs control (every arm of a shard has the
same patients), and to responder counts. Shards are combined in shard order with the pairwise
update of Chan, Golub and LeVeque (1979), which, unlike raw sums of squares, does not lose the
variance of a large mean to cancellation. The tables have the columns and row order of
`endpoint_table` and `responder_table`; the numbers agree with them to rounding (the unsharded
path averages all patients at once, the streamed one shard by shard).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from mscsim.trial._analysis import ENDPOINT_COLUMNS, wilson

KINDS = ("value", "change", "diff")  # diff: paired difference vs the control arm


@dataclass(frozen=True)
class Moments:
    """Count, mean and M2 (sum of squared deviations from the mean) of finite values, per cell."""

    n: NDArray[np.int64]
    mean: NDArray[np.float64]
    m2: NDArray[np.float64]

    @classmethod
    def of(cls, x: NDArray[np.float64]) -> Moments:
        """Moments over the first axis (patients), NaN and inf ignored as `mean_ci` does."""
        ok = np.isfinite(x)
        n = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.where(ok, x, 0.0).sum(axis=0) / np.maximum(n, 1), 0.0)
        m2 = np.where(ok, (x - mean) ** 2, 0.0).sum(axis=0)
        return cls(n.astype(np.int64), mean, m2)

    def combine(self, other: Moments) -> Moments:
        n = self.n + other.n
        safe = np.maximum(n, 1)
        delta = other.mean - self.mean
        mean = np.where(n > 0, self.mean + delta * (other.n / safe), 0.0)
        m2 = self.m2 + other.m2 + delta * delta * (self.n * other.n / safe)
        return Moments(n, mean, m2)


@dataclass(frozen=True)
class ShardStats:
    """What one shard contributes to the tables: moments (arm, endpoint, kind, visit) and
    responder counts (arm, definition, visit)."""

    moments: Moments
    responders_n: NDArray[np.int64]
    responders_k: NDArray[np.int64]

    def combine(self, other: ShardStats) -> ShardStats:
        return ShardStats(
            self.moments.combine(other.moments),
            self.responders_n + other.responders_n,
            self.responders_k + other.responders_k,
        )

    def to_arrays(self) -> dict[str, np.ndarray]:
        m = self.moments
        return {
            "n": m.n,
            "mean": m.mean,
            "m2": m.m2,
            "responders_n": self.responders_n,
            "responders_k": self.responders_k,
        }

    @classmethod
    def from_arrays(cls, a: Mapping[str, np.ndarray]) -> ShardStats:
        return cls(
            Moments(np.asarray(a["n"]), np.asarray(a["mean"]), np.asarray(a["m2"])),
            np.asarray(a["responders_n"]),
            np.asarray(a["responders_k"]),
        )


def shard_stats(
    values: Mapping[str, Mapping[str, NDArray[np.float64]]],
    responders: Mapping[str, Mapping[str, np.ndarray]],
    endpoints: Sequence[str],
    definitions: Sequence[str],
    control: str | None,
) -> ShardStats:
    """values[arm][endpoint] and responders[arm][definition]: (patients, visits) of one shard."""
    arms = list(values)
    n_visits = next(iter(values[arms[0]].values())).shape[1]
    shape = (len(arms), len(endpoints), len(KINDS), n_visits)
    n = np.zeros(shape, np.int64)
    mean, m2 = np.zeros(shape), np.zeros(shape)
    for a, arm in enumerate(arms):
        for e, endpoint in enumerate(endpoints):
            v = np.asarray(values[arm][endpoint], dtype=np.float64)
            parts = [v, v - v[:, :1]]
            if control is not None and arm != control:
                parts.append(v - np.asarray(values[control][endpoint], dtype=np.float64))
            for k, x in enumerate(parts):
                m = Moments.of(x)
                n[a, e, k], mean[a, e, k], m2[a, e, k] = m.n, m.mean, m.m2
    r_shape = (len(arms), len(definitions), n_visits)
    rn, rk = np.zeros(r_shape, np.int64), np.zeros(r_shape, np.int64)
    for a, arm in enumerate(arms):
        for d, definition in enumerate(definitions):
            r = np.asarray(responders[arm][definition], dtype=np.float64)
            ok = np.isfinite(r)
            rn[a, d] = ok.sum(axis=0)
            rk[a, d] = np.where(ok, r, 0.0).sum(axis=0).astype(np.int64)
    return ShardStats(Moments(n, mean, m2), rn, rk)


def combine_in_order(parts: Sequence[ShardStats]) -> ShardStats:
    """Shard 0, then 1, ...: the same order on every run, so the same floating-point result."""
    total = parts[0]
    for p in parts[1:]:
        total = total.combine(p)
    return total


def _summary(n: int, mean: float, m2: float, level: float = 0.95) -> tuple[float, ...]:
    """n, mean, sd and CI of the mean as `mean_ci` gives them (t-based, NaN when undefined)."""
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    if n == 1:
        return 1, mean, np.nan, np.nan, np.nan
    sd = float(np.sqrt(max(m2, 0.0) / (n - 1)))
    half = float(special.stdtrit(n - 1, 0.5 + level / 2)) * sd / np.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def endpoint_table_from_stats(
    stats: ShardStats,
    arms: Sequence[str],
    endpoints: Sequence[str],
    units: Mapping[str, str],
    days: Sequence[float],
    control: str | None,
) -> pd.DataFrame:
    """The table of `endpoint_table` (same columns and rows) from combined moments."""
    m = stats.moments
    rows: list[dict[str, object]] = []
    for a, arm in enumerate(arms):
        for e, endpoint in enumerate(endpoints):
            for j, day in enumerate(days):
                cells = [
                    _summary(
                        int(m.n[a, e, k, j]), float(m.mean[a, e, k, j]), float(m.m2[a, e, k, j])
                    )
                    for k in range(len(KINDS))
                ]
                n, mean, sd, lo, hi = cells[0]
                _, cm, _, clo, chi = cells[1]
                dm = dlo = dhi = np.nan
                if control is not None and arm != control:
                    _, dm, _, dlo, dhi = cells[2]
                row = (arm, day, endpoint, units[endpoint], n, mean, sd, lo, hi, cm, clo, chi)
                rows.append(dict(zip(ENDPOINT_COLUMNS, (*row, dm, dlo, dhi), strict=True)))
    return pd.DataFrame(rows, columns=list(ENDPOINT_COLUMNS))


def responder_table_from_stats(
    stats: ShardStats, arms: Sequence[str], definitions: Sequence[str], days: Sequence[float]
) -> pd.DataFrame:
    """The table of `responder_table` from responder counts (integers: exact in any order)."""
    rows = []
    for a, arm in enumerate(arms):
        for d, definition in enumerate(definitions):
            for j, day in enumerate(days):
                n, k = int(stats.responders_n[a, d, j]), int(stats.responders_k[a, d, j])
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
