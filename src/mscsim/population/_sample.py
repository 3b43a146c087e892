"""Seeded virtual populations with eligibility criteria applied by rejection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import jax
import numpy as np
from numpy.typing import NDArray

from mscsim.population._random import standard_normals

T = TypeVar("T")
BATCH_MIN = 256
MAX_CANDIDATES_PER_PATIENT = 50


class CriteriaTooStrictError(ValueError):
    """Raised when the criteria accept too few of the sampled candidates."""

    def __init__(self, n: int, eligible: int, candidates: int) -> None:
        super().__init__(
            f"only {eligible} of {candidates} sampled candidates meet the criteria "
            f"(need {n}); widen the criteria"
        )
        self.eligible, self.candidates = eligible, candidates


def take(tree: T, index: NDArray[np.int64]) -> T:
    """Select patients (first axis) of every array in a pytree of NumPy arrays."""
    return jax.tree_util.tree_map(lambda a: np.asarray(a)[index], tree)


def criteria_mask(
    values: Mapping[str, NDArray[np.float64]], criteria: tuple[tuple[str, Any], ...]
) -> NDArray[np.bool_]:
    """Which candidates meet every criterion: ranges inclusive, booleans and sex exact."""
    n = len(next(iter(values.values())))
    mask = np.ones(n, dtype=bool)
    for key, crit in criteria:
        if key == "sex":
            female = values["female"] > 0.5
            mask &= female if crit == "female" else ~female
        elif isinstance(crit, bool):
            mask &= (values[key] > 0.5) == crit
        else:
            low, high = crit
            mask &= (values[key] >= low) & (values[key] <= high)
    return mask


def sample_eligible(
    n: int,
    seed: int,
    random_effects: tuple[str, ...],
    build: Callable[[dict[str, NDArray[np.float64]]], T],
    eligibility_values: Callable[[T], Mapping[str, NDArray[np.float64]]],
    criteria: tuple[tuple[str, Any], ...],
) -> tuple[T, NDArray[np.int64]]:
    """The first n eligible candidates in id order, and their candidate ids.

    Candidate k always gets the same random numbers (derived from (seed, k)), so the population
    does not depend on batch sizes.
    """
    chosen: list[T] = []
    ids: list[NDArray[np.int64]] = []
    found, start = 0, 0
    batch = max(BATCH_MIN, 2 * n)
    limit = MAX_CANDIDATES_PER_PATIENT * n + BATCH_MIN
    while found < n:
        if start >= limit:
            raise CriteriaTooStrictError(n, found, start)
        cand = np.arange(start, start + batch, dtype=np.int64)
        patients = build(standard_normals(seed, cand, random_effects))
        ok = np.flatnonzero(criteria_mask(eligibility_values(patients), criteria))
        ok = ok[: n - found]
        chosen.append(take(patients, ok))
        ids.append(cand[ok])
        found += len(ok)
        start += batch
    merged = jax.tree_util.tree_map(lambda *a: np.concatenate(a), *chosen)
    return merged, np.concatenate(ids)
