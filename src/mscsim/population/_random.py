"""Per-patient random streams derived from (seed, patient id), never from batch or shard order."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray


def standard_normals(
    seed: int, ids: NDArray[np.int64], names: Sequence[str]
) -> dict[str, NDArray[np.float64]]:
    """Independent N(0, 1) draws per patient and name.

    Each patient's key is fold_in(key(seed), id), and each named effect folds in a stable hash of
    its name: patient 17 gets the same numbers whether it is sampled alone, in a batch of a
    million or on another Dask worker, and adding a new random effect leaves the others as they
    were.
    """
    tags = jnp.asarray([zlib.crc32(name.encode()) & 0x7FFFFFFF for name in names], jnp.uint32)
    # The seed goes in as data (as `jax.random.key` would convert it), so one compiled
    # function serves every seed; jit gives the same bits as op-by-op dispatch (test).
    z = _normals(jnp.asarray(seed), jnp.asarray(ids, dtype=jnp.uint32), tags)
    arr = np.asarray(z, dtype=np.float64)
    return {name: arr[:, j] for j, name in enumerate(names)}


@jax.jit
def _normals(seed: jax.Array, ids: jax.Array, tags: jax.Array) -> jax.Array:
    """(patients, tags) normals: patient i's key is fold_in(key(seed), id), then each tag's."""
    base = jax.random.key(seed)

    def draws(i: jax.Array) -> jax.Array:
        key = jax.random.fold_in(base, i)
        return jax.vmap(lambda t: jax.random.normal(jax.random.fold_in(key, t), ()))(tags)

    return jax.vmap(draws)(ids)


def lognormal(median: float, cv: float, z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Log-normal values with a given median and coefficient of variation."""
    omega = np.sqrt(np.log1p(cv * cv))
    return median * np.exp(omega * z)
