"""Endpoint and responder tables from streaming sufficient statistics, block by block.

Every run, sharded or not, reduces its patients' visit values to the same statistics: per block
of `MOMENT_BLOCK` consecutive patients (blocks counted from patient 0 of the population) and per
arm, endpoint and visit, the count, mean and sum of squared deviations (M2) of the value, of the
change from baseline and of the paired difference vs control (every arm has the same patients),
plus responder counts. Within a block the values are added patient by patient in a fixed order;
blocks are combined in population order with the pairwise update of Chan, Golub and LeVeque
(1979), which, unlike raw sums of squares, does not lose the variance of a large mean to
cancellation. A block's numbers depend on its own patients only, and the blocks are folded in
the same order however the population was cut into shards (shards hold whole blocks), so an
unsharded run and a sharded one of any allowed shard size give the same bits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special

from mscsim.trial._analysis import ENDPOINT_COLUMNS, wilson

KINDS = ("value", "change", "diff")  # diff: paired difference vs the control arm
MOMENT_BLOCK = 100  # patients per block of statistics; a shard must hold whole blocks


@dataclass(frozen=True)
class Moments:
    """Count, mean and M2 (sum of squared deviations from the mean) of finite values, per cell."""

    n: NDArray[np.int64]
    mean: NDArray[np.float64]
    m2: NDArray[np.float64]

    @classmethod
    def empty(cls, shape: tuple[int, ...]) -> Moments:
        return cls(np.zeros(shape, np.int64), np.zeros(shape), np.zeros(shape))

    def combine(self, other: Moments) -> Moments:
        n = self.n + other.n
        safe = np.maximum(n, 1)
        delta = other.mean - self.mean
        mean = np.where(n > 0, self.mean + delta * (other.n / safe), 0.0)
        m2 = self.m2 + other.m2 + delta * delta * (self.n * other.n / safe)
        return Moments(n, mean, m2)

    def block(self, b: int) -> Moments:
        """Block b of moments that carry a leading block axis."""
        return Moments(self.n[b], self.mean[b], self.m2[b])


def block_moments(x: NDArray[np.float64]) -> Moments:
    """Moments of each block of MOMENT_BLOCK patients (first axis of x), NaN and inf ignored.

    Returns (blocks, *x.shape[1:]) arrays; a short last block counts its patients only. The
    sums run patient by patient (not NumPy's pairwise or SIMD-blocked reductions, whose order
    depends on the array's size), so a block gives the same bits in any array.
    """
    rest = x.shape[1:]
    blocks = max(1, math.ceil(x.shape[0] / MOMENT_BLOCK))
    padded = np.full((blocks * MOMENT_BLOCK, *rest), np.nan)
    padded[: x.shape[0]] = x
    xs = padded.reshape(blocks, MOMENT_BLOCK, *rest)
    ok = np.isfinite(xs)
    n = ok.sum(axis=1)
    total = np.zeros((blocks, *rest))
    for i in range(MOMENT_BLOCK):
        total += np.where(ok[:, i], xs[:, i], 0.0)
    mean = np.where(n > 0, total / np.maximum(n, 1), 0.0)
    m2 = np.zeros((blocks, *rest))
    with np.errstate(invalid="ignore"):  # NaN padding and missing values, dropped by `ok`
        for i in range(MOMENT_BLOCK):
            d = xs[:, i] - mean
            m2 += np.where(ok[:, i], d * d, 0.0)
    return Moments(n.astype(np.int64), mean, m2)


@dataclass(frozen=True)
class ShardStats:
    """What consecutive whole blocks of patients contribute to the tables: moments per block
    (block, arm, endpoint, kind, visit) and responder counts (arm, definition, visit)."""

    blocks: Moments
    responders_n: NDArray[np.int64]
    responders_k: NDArray[np.int64]

    def to_arrays(self) -> dict[str, np.ndarray]:
        m = self.blocks
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


@dataclass(frozen=True)
class TableStats:
    """The whole population's moments (arm, endpoint, kind, visit) and responder counts."""

    moments: Moments
    responders_n: NDArray[np.int64]
    responders_k: NDArray[np.int64]


def endpoint_blocks(
    values: Mapping[str, Mapping[str, NDArray[np.float64]]],
    endpoints: Sequence[str],
    control: str | None,
) -> Moments:
    """values[arm][endpoint]: (patients, visits). Moments per block, arm, endpoint, kind, visit."""
    arms = list(values)
    n_patients, n_visits = np.shape(values[arms[0]][endpoints[0]])
    blocks = max(1, math.ceil(n_patients / MOMENT_BLOCK))
    out = Moments.empty((blocks, len(arms), len(endpoints), len(KINDS), n_visits))
    for a, arm in enumerate(arms):
        for e, endpoint in enumerate(endpoints):
            v = np.asarray(values[arm][endpoint], dtype=np.float64)
            diff = (
                v - np.asarray(values[control][endpoint], dtype=np.float64)
                if control is not None and arm != control
                else np.full_like(v, np.nan)  # no control to compare with: count 0
            )
            m = block_moments(np.stack([v, v - v[:, :1], diff], axis=1))
            out.n[:, a, e], out.mean[:, a, e], out.m2[:, a, e] = m.n, m.mean, m.m2
    return out


def responder_counts(
    responders: Mapping[str, Mapping[str, np.ndarray]], definitions: Sequence[str]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Patients assessed and responders per arm, definition and visit (NaN: not assessed)."""
    arms = list(responders)
    n_visits = np.shape(responders[arms[0]][definitions[0]])[1]
    shape = (len(arms), len(definitions), n_visits)
    rn, rk = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    for a, arm in enumerate(arms):
        for d, definition in enumerate(definitions):
            r = np.asarray(responders[arm][definition], dtype=np.float64)
            ok = np.isfinite(r)
            rn[a, d] = ok.sum(axis=0)
            rk[a, d] = np.where(ok, r, 0.0).sum(axis=0).astype(np.int64)
    return rn, rk


def shard_stats(
    values: Mapping[str, Mapping[str, NDArray[np.float64]]],
    responders: Mapping[str, Mapping[str, np.ndarray]],
    endpoints: Sequence[str],
    definitions: Sequence[str],
    control: str | None,
) -> ShardStats:
    """values[arm][endpoint] and responders[arm][definition]: (patients, visits) of patients
    that start a block (a shard, or the whole population)."""
    rn, rk = responder_counts(responders, definitions)
    return ShardStats(endpoint_blocks(values, endpoints, control), rn, rk)


def fold_blocks(total: Moments | None, blocks: Moments) -> Moments:
    """`total` (None: nothing yet) combined with each block of `blocks` in order."""
    out = Moments.empty(blocks.n.shape[1:]) if total is None else total
    for b in range(blocks.n.shape[0]):
        out = out.combine(blocks.block(b))
    return out


def combine_in_order(parts: Iterable[ShardStats]) -> TableStats:
    """Every block of part 0 in order, then of part 1, ...: the order of the blocks in the
    population, so the same floating-point result however the blocks were grouped in parts.
    Responder counts are integers: exact in any order."""
    moments: Moments | None = None
    counts: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None
    for part in parts:
        moments = fold_blocks(moments, part.blocks)
        rn, rk = part.responders_n, part.responders_k
        counts = (rn, rk) if counts is None else (counts[0] + rn, counts[1] + rk)
    if moments is None or counts is None:
        raise ValueError("no statistics to combine")
    return TableStats(moments, *counts)


def _summary(n: int, mean: float, m2: float, level: float = 0.95) -> tuple[float, ...]:
    """n, mean, sd and the t-based CI of the mean (NaN when undefined)."""
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan
    if n == 1:
        return 1, mean, np.nan, np.nan, np.nan
    sd = float(np.sqrt(max(m2, 0.0) / (n - 1)))
    half = float(special.stdtrit(n - 1, 0.5 + level / 2)) * sd / np.sqrt(n)
    return n, mean, sd, mean - half, mean + half


def endpoint_table_from_moments(
    m: Moments,
    arms: Sequence[str],
    endpoints: Sequence[str],
    units: Mapping[str, str],
    days: Sequence[float],
    control: str | None,
) -> pd.DataFrame:
    """One row per arm, endpoint and visit (ENDPOINT_COLUMNS) from the population's moments
    (arm, endpoint, kind, visit)."""
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


def endpoint_table(
    values: Mapping[str, Mapping[str, NDArray[np.float64]]],
    units: Mapping[str, str],
    days: Sequence[float],
    control: str | None,
) -> pd.DataFrame:
    """Means with 95% CI, change from baseline and paired difference vs control of a whole
    population: values[arm][endpoint] has shape (patients, visits), visit 0 being baseline."""
    arms = list(values)
    endpoints = list(values[arms[0]])
    moments = fold_blocks(None, endpoint_blocks(values, endpoints, control))
    return endpoint_table_from_moments(moments, arms, endpoints, units, days, control)


def responder_table_from_stats(
    stats: TableStats, arms: Sequence[str], definitions: Sequence[str], days: Sequence[float]
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
