"""The runner's integrator: `rk4` of `_integrate` as one jitted JAX scan over the time grid.

Every patient of an arm gets the same doses, so an arm's exposure is the patient's `amount`
times one kernel sum of time: that sum is tabulated in NumPy (the kernels need not be JAX code)
for every RK4 stage of every step, and the scan only multiplies. The scan runs over the grid's
segments (one record day each), then its days, then the quarter-day steps of a day, so only
record days are kept. Same step, same dose rule and same signal as `rk4`, in float64. The disease,
the shapes and which parameters all patients share key the compiled program, so a second run
of the same scenario size does not recompile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import NDArray

from mscsim.engine._schedule import Grid
from mscsim.trial._aging._exposure import Exposure
from mscsim.trial._aging._integrate import STEP_DAYS, rk4_step, steps_per_day

F64 = NDArray[np.float64]
# model.rates: y, s, params, background, extra, xp -> dy/dt
Rates = Callable[[Any, Any, Any, Mapping[str, Any], dict[str, Any], Any], Any]


def kernel_table(exposures: Sequence[Exposure], grid: Grid, per_day: int) -> F64:
    """(segments, SEGMENT, per_day, 3, arms): each arm's kernel sum at the start, middle and end
    of every step, counting the doses given by the step's start (inactive slots: anything)."""
    h = 1.0 / per_day
    start = grid.day[:, :, None] + h * np.arange(per_day)[None, None, :]
    t = start[..., None] + np.asarray([0.0, 0.5 * h, h])
    given_by = np.broadcast_to(start[..., None], t.shape)
    return np.stack([e.kernel_sum(t, given_by) for e in exposures], axis=-1)


def record_signals(exposures: Sequence[Exposure], grid: Grid) -> F64:
    """(record days, arms x patients): the signal on record days, as `rk4` records it."""
    days = [float(d) for d in grid.record_days]
    return np.stack([np.concatenate([e.signal(d, d) for e in exposures]) for d in days])


def scan_rk4(
    rates: Rates,
    y0: Any,
    params: Any,
    extra: dict[str, F64],
    background: Mapping[str, float],
    exposures: Sequence[Exposure],
    grid: Grid,
    *,
    step_days: float = STEP_DAYS,
) -> tuple[Any, F64]:
    """States (a NamedTuple of (record days, arms x patients) arrays) and the signal on record
    days, as `rk4(lambda y, s: rates(y, s, params, background, extra, np), ...)` gives them.

    Patients are arm-major (arm 0's patients first), `exposures` one per arm.
    """
    per_day = steps_per_day(step_days)
    arms = len(exposures)
    # Per patient (arm-major); `dose_share[g]` is patient's amount if in arm g, else 0.
    amount = np.concatenate([e.amount for e in exposures])
    arm = np.repeat(np.arange(arms), [len(e.amount) for e in exposures])
    dose_share = np.where(arm[None, :] == np.arange(arms)[:, None], amount[None, :], 0.0)
    n50 = np.asarray([1.0 if e.n50 is None else e.n50 for e in exposures])[arm]
    saturating = np.asarray([e.n50 is not None for e in exposures])[arm]
    with jax.enable_x64(True):
        states = _scan(
            rates,
            per_day,
            y0,
            _shared_as_scalars(params),
            _shared_as_scalars(extra),
            dict(background),
            dose_share,
            kernel_table(exposures, grid, per_day),
            grid.active,
            n50,
            saturating,
        )
        out = type(states)(*(np.asarray(a, dtype=np.float64) for a in states))
    return out, record_signals(exposures, grid)


def _shared_as_scalars(tree: Any) -> Any:
    """Leaves equal for every patient as 0-d arrays: most constants are shared, and a scalar is
    read once per step where an array is read for every patient at every stage."""

    def shrink(a: Any) -> Any:
        a = np.asarray(a, dtype=np.float64)
        return np.asarray(a.flat[0]) if a.size and np.all(a == a.flat[0]) else a

    return jax.tree_util.tree_map(shrink, tree)


@functools.partial(jax.jit, static_argnames=("rates", "per_day"))
def _scan(
    rates: Rates,
    per_day: int,
    y0: Any,
    params: Any,
    extra: dict[str, Any],
    background: dict[str, Any],
    dose_share: Any,
    table: Any,
    active: Any,
    n50: Any,
    saturating: Any,
) -> Any:
    h = 1.0 / per_day

    def f(y: Any, s: Any) -> Any:
        return rates(y, s, params, background, extra, jnp)

    def signal(kernel: Any) -> Any:  # (arms,) kernel sums -> (arms x patients,) signal
        # A sum over the few arms, all 1-D: XLA fuses it into the rates (a broadcast over an
        # (arms, patients) array and a reshape cost more than the rates themselves).
        e = sum(dose_share[g] * kernel[g] for g in range(dose_share.shape[0]))
        return jnp.where(saturating, e / (e + n50), e)

    def step(y: Any, k: Any) -> tuple[Any, None]:
        return rk4_step(f, y, h, signal(k[0]), signal(k[1]), signal(k[2])), None

    def day(y: Any, xs: Any) -> tuple[Any, None]:
        k_day, on = xs
        y_next, _ = jax.lax.scan(step, y, k_day, unroll=True)
        return jax.tree_util.tree_map(lambda a, b: jnp.where(on, a, b), y_next, y), None

    def segment(y: Any, xs: Any) -> tuple[Any, Any]:
        y_end, _ = jax.lax.scan(day, y, xs)
        return y_end, y  # the state on the segment's record day

    y0 = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=jnp.float64), y0)
    last, starts = jax.lax.scan(segment, y0, (table, active))
    return jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a, b[None]]), starts, last)
