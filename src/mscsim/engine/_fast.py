"""The fast engine: slow states stepped by one fused jax.jit + lax.scan over the population.

Glucose and insulin sit at quasi-steady state (a few Newton iterations, warm-started), the slow
states take classical RK4 steps of one day, the linear MSC kinetics are propagated exactly with
precomputed matrix exponentials, and doses and titrations are jumps between steps. A nested scan
(segments of at most 7 days) records the state at every record day without storing daily states.

A patient's numbers depend on that patient alone, never on its batch-mates: every operation acts
on each patient's own values (the MSC propagation too, `_propagate`), a patient's MSC remnant is
cleared by its own cell count, and the one batch-wide decision, skipping the MSC terms on days
when no patient of the batch has a live cell, gives a cell-less patient exactly the rates that
running them with zero cells would. Chunks, shards and whole populations therefore give the same
bits per patient (tests/test_bench.py, tests/test_scale_out.py), XLA permitting: on CPU every
batch size checked (2-8, 10-40 and samples up to 400 patient-arms) agreed, but batches of 1 and
9 compile to other vector code and differ in the last bits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from mscsim.engine._schedule import Grid
from mscsim.physiology.t2dm._model import T2DM_MODEL

MSC_NEGLIGIBLE_CELLS = 1.0  # below one live cell in every compartment a patient's cells are gone
NEWTON_ITERS = 2  # warm-started from the previous stage: glucose moves little within a day
DT = 1.0  # day


class DiseaseModel(Protocol):
    """What the engine needs of a disease module: its equations, written for jax.numpy.

    `y` is the module's slow-state pytree, `pat` and `sh` its per-patient and shared constants;
    `cells` is (P, n_channels) live cells, or None on days when no patient of the batch has any;
    zero cells must give exactly the rates of None (a patient's result must not depend on
    whether its batch-mates have cells). Implementations are stateless and hashable (the engine
    passes them to jax.jit as a static argument).
    """

    def qss(self, y: Any, dose: Any, pat: Any, sh: Any, g0: Any, *, which: int, iters: int) -> Any:
        """Day-mean (`MEAN`) or fasting (`FASTING`) glucose at quasi-steady state."""
        ...

    def rates(self, y: Any, g: Any, t: Any, cells: Any, pat: Any, sh: Any) -> Any:
        """d/dt of the slow states at day-mean glucose `g`."""
        ...

    def titrate(self, dose: Any, fpg: Any, pat: Any, sh: Any, day: Any) -> Any:
        """The insulin dose after a titration visit at fasting glucose `fpg`."""
        ...


class Carry(NamedTuple):
    slow: Any
    dose: Any
    msc: Any  # (P, n_compartments) live cells
    g_mean: Any  # warm starts of the quasi-steady-state solves
    g_fast: Any


class Record(NamedTuple):
    slow: Any
    dose: Any
    msc: Any
    g_mean: Any
    g_fast: Any


class ArmDosing(NamedTuple):
    """Scheduled MSC jumps: dose amount on each day x per-patient scale x route vector.

    One arm: `amount` is (n_segments, SEGMENT) and `route` (n_compartments,). Several arms in one
    scan: `amount` is (n_segments, SEGMENT, n_arms), `group` (P,) picks each patient's arm column
    and `route` is (P, n_compartments).
    """

    amount: Any  # dose amount per day (cells or cells/kg)
    scale: Any  # (P,) converts amount to live cells (weight for cells/kg, times viability)
    route: Any  # where a live cell lands on first pass
    group: Any = None  # (P,) arm column of `amount`, or None for a single arm


def propagators(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact one-day and half-day propagators of the linear MSC kinetics."""
    return scipy.linalg.expm(a * DT), scipy.linalg.expm(a * DT / 2.0)


MEAN, FASTING = 0, 1  # which glucose appearance (glucose_appearance returns both)


def _add(y: Any, k: Any, h: float) -> Any:
    return jax.tree_util.tree_map(lambda a, b: a + h * b, y, k)


def _propagate(m: Any, e: Any) -> Any:
    """Cells (P, C) after the propagator `e` (C, C): `m @ e.T` as elementwise products added in
    a fixed order. XLA picks a dot kernel by the batch's shape, and the kernels round
    differently, so a patient's cells would depend on its batch size; as fast on CPU."""
    cols = [m[:, j] for j in range(e.shape[1])]

    def row(i: int) -> Any:
        acc = cols[0] * e[i, 0]
        for j in range(1, e.shape[1]):
            acc = acc + cols[j] * e[i, j]
        return acc

    return jnp.stack([row(i) for i in range(e.shape[0])], axis=-1)


def _day(
    carry: Carry,
    inputs: tuple[Any, Any, Any, Any],
    model: DiseaseModel,
    pat: Any,
    sh: Any,
    dosing: ArmDosing,
    e_full: Any,
    e_half: Any,
) -> Carry:
    day, amount, titrate_now, active = inputs
    y, dose, msc = carry.slow, carry.dose, carry.msc

    # Jumps at the start of the day: titration (from today's fasting glucose), then infusion.
    # The fasting solve runs on titration days only (one day in seven).
    def titrate_today(c: tuple[Any, Any]) -> tuple[Any, Any]:
        g = model.qss(y, c[0], pat, sh, c[1], which=FASTING, iters=2 * NEWTON_ITERS)
        return model.titrate(c[0], g, pat, sh, day), g

    dose, g_fast = jax.lax.cond(titrate_now, titrate_today, lambda c: c, (dose, carry.g_fast))
    per_patient = amount if dosing.group is None else amount[dosing.group]
    msc = msc + (per_patient * dosing.scale)[:, None] * dosing.route

    t0 = day

    def rates(yy: Any, cells: Any, t: Any, g0: Any) -> tuple[Any, Any]:
        g = model.qss(yy, dose, pat, sh, g0, which=MEAN, iters=NEWTON_ITERS)
        return model.rates(yy, g, t, cells, pat, sh), g

    def rk4(cells: tuple[Any, Any, Any] | None) -> tuple[Any, Any]:
        c0, ch, c1 = cells if cells is not None else (None, None, None)
        k1, g1 = rates(y, c0, t0, carry.g_mean)
        k2, g2 = rates(_add(y, k1, DT / 2), ch, t0 + DT / 2, g1)
        k3, _ = rates(_add(y, k2, DT / 2), ch, t0 + DT / 2, g2)
        k4, g4 = rates(_add(y, k3, DT), c1, t0 + DT, g2)
        y_new = jax.tree_util.tree_map(
            lambda a, b1, b2, b3, b4: a + DT / 6.0 * (b1 + 2.0 * b2 + 2.0 * b3 + b4),
            y,
            k1,
            k2,
            k3,
            k4,
        )
        return y_new, g4

    def with_cells(m: Any) -> tuple[Any, Any, Any]:
        m_half, m_end = _propagate(m, e_half), _propagate(m, e_full)
        y_new, g4 = rk4((m, m_half, m_end))
        return y_new, g4, m_end

    def without_cells(m: Any) -> tuple[Any, Any, Any]:
        # No live cell in the batch (m is all zero): the MSC terms and the kinetics are skipped,
        # most days of a trial (about 1.5x faster on CPU). Every MSC term is a product with a
        # zero signal, so zero cells give these very rates (tests/test_engine_vs_reference.py,
        # tests/test_t1dm_trial.py; in the compiled scan, tests/test_bench.py).
        y_new, g4 = rk4(None)
        return y_new, g4, m

    # Each patient's own cells decide, never its batch-mates': below one live cell in every
    # compartment its secretome is nil, so its remnant is cleared (zero cells from here on).
    # A patient's result is then the same in any batch, chunk or shard.
    live = jnp.max(msc, axis=-1, keepdims=True) >= MSC_NEGLIGIBLE_CELLS
    msc = jnp.where(live, msc, jnp.zeros_like(msc))
    y_new, g4, msc_end = jax.lax.cond(jnp.any(live), with_cells, without_cells, msc)
    new = Carry(y_new, dose, msc_end, g4, g_fast)
    # Padding slots of a short segment leave the state untouched.
    return jax.tree_util.tree_map(lambda n, o: jnp.where(active, n, o), new, carry)


def _simulate(
    model: DiseaseModel,
    sh: Any,
    carry0: Carry,
    pat: Any,
    dosing: ArmDosing,
    e_full: Any,
    e_half: Any,
    day_tab: Any,
    titr_tab: Any,
    active_tab: Any,
) -> tuple[Record, Carry]:
    def segment(carry: Carry, seg: tuple[Any, Any, Any, Any]) -> tuple[Carry, Record]:
        rec = _record(model, carry, pat, sh)

        def inner(c: Carry, x: tuple[Any, Any, Any, Any]) -> tuple[Carry, None]:
            return _day(c, x, model, pat, sh, dosing, e_full, e_half), None

        carry, _ = jax.lax.scan(inner, carry, seg)
        return carry, rec

    tables = (day_tab, dosing.amount, titr_tab, active_tab)
    final, records = jax.lax.scan(segment, carry0, tables)
    return records, final


_simulate_jit = jax.jit(_simulate, static_argnums=(0,))


def _record(model: DiseaseModel, carry: Carry, pat: Any, sh: Any) -> Record:
    """What is recorded on a record day: the fasting glucose is solved for this very state
    (the carried value is only a warm start, refreshed on titration days)."""
    iters = 4 * NEWTON_ITERS
    g_fast = model.qss(carry.slow, carry.dose, pat, sh, carry.g_fast, which=FASTING, iters=iters)
    g_mean = model.qss(carry.slow, carry.dose, pat, sh, carry.g_mean, which=MEAN, iters=iters)
    return Record(carry.slow, carry.dose, carry.msc, g_mean, g_fast)


_record_jit = jax.jit(_record, static_argnums=(0,))


def to_device(tree: Any, precision: str) -> Any:
    """Every leaf as a device array, floats in the engine's `precision` (call it inside
    `jax.enable_x64(precision == "float64")`); integer and boolean leaves as they are."""
    dtype = np.float64 if precision == "float64" else np.float32

    def cast(a: Any) -> Any:
        arr = np.asarray(a)
        return jnp.asarray(arr.astype(dtype) if arr.dtype.kind == "f" else arr)

    return jax.tree_util.tree_map(cast, tree)


def simulate_arm(
    carry0: Carry,
    pat: Any,
    sh: Any,
    dosing: ArmDosing,
    grid: Grid,
    titration: np.ndarray,
    kinetics: np.ndarray,
    *,
    precision: str = "float32",
    model: DiseaseModel = T2DM_MODEL,
    keep: Callable[[Record], Any] | None = None,
) -> Any:
    """Records (time-major, one per record day) of one arm for the whole population.

    `precision` "float32" is the default: the engine-vs-reference tests show it keeps every
    endpoint within 1% of the float64 SciPy path; "float64" is there for verification.
    `keep(records)` is applied on the device, before the records are copied to the host as
    float64 (e.g. the visit days only: on a GPU that copy would otherwise cost more than the
    scan); what it returns comes back instead of the records.
    """
    e_full, e_half = propagators(kinetics)
    with jax.enable_x64(precision == "float64"):
        as_arrays = to_device(
            (carry0, pat, dosing, e_full, e_half, grid.day.astype(float), titration, grid.active),
            precision,
        )
        records, final = _simulate_jit(model, sh, *as_arrays)
        last = _record_jit(model, final, as_arrays[1], sh)
        out = jax.tree_util.tree_map(
            lambda r, f: jnp.concatenate([r, f[None]], axis=0), records, last
        )
        if keep is not None:
            out = keep(out)
        return jax.tree_util.tree_map(lambda a: np.asarray(a, dtype=np.float64), out)
