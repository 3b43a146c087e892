"""Per-patient random streams: one compiled function, the same bits as op-by-op dispatch.

`standard_normals` is jitted for speed (one compilation instead of one per random primitive,
about 0.4 s of every cold run); the numbers must not move because of it.
"""

from __future__ import annotations

import jax
import numpy as np
import pytest

from mscsim.population._random import standard_normals

NAMES = ("weight", "si", "beta_mass")


@pytest.mark.parametrize("x64", [False, True])
def test_jitted_draws_equal_op_by_op_draws(x64: bool) -> None:
    ids = np.arange(5, 3005, dtype=np.int64)
    with jax.enable_x64(x64):
        fast = standard_normals(2024, ids, NAMES)
        with jax.disable_jit():
            slow = standard_normals(2024, ids, NAMES)
    for name in NAMES:
        np.testing.assert_array_equal(fast[name], slow[name])


def test_a_patient_draws_the_same_alone_or_in_a_batch_and_seeds_differ() -> None:
    batch = standard_normals(7, np.arange(1000, dtype=np.int64), NAMES)
    alone = standard_normals(7, np.array([617], dtype=np.int64), NAMES)
    other_seed = standard_normals(8, np.array([617], dtype=np.int64), NAMES)
    for name in NAMES:
        assert alone[name][0] == batch[name][617]
        assert other_seed[name][0] != alone[name][0]
    assert abs(np.mean(batch["si"])) < 0.1 and abs(np.std(batch["si"]) - 1.0) < 0.05
