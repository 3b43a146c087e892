"""Reference path of the T1DM module: one patient, full model, SciPy Radau.

As for T2DM (`_reference`), this path makes none of the engine's claims: glucose and insulin are
dynamic (Topp 2000 with injected insulin as an input and engrafted IPCs counted as beta-cell
mass), the MSC compartments and the IPC inflow are ODE states, and a stiff implicit solver
integrates everything at tight tolerances. The rates are the same `_clinical` functions, called
with numpy. Event semantics are the engine's: at the start of a titration day the dose is set
from the fasting glucose of the current state, then the day's cells jump in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from mscsim.physiology.t1dm._clinical import (
    T1Patient,
    T1Shared,
    T1State,
    secreting,
    t1_glucose,
    t1_rates,
    t1_titrate,
)
from mscsim.physiology.t2dm._equations import (
    endogenous_insulin_coeff,
    glucose_appearance,
    secretion_fraction,
)

F64 = NDArray[np.float64]
QSS_ITERS = 60


def patient_at(batch: T1Patient, k: int) -> T1Patient:
    """Patient `k` of a batch, as floats."""
    return jax.tree_util.tree_map(lambda a: float(np.asarray(a)[k]), batch)


def _typical(state: T1State) -> F64:
    """Absolute-tolerance scale of each state: its own size, at least a floor per kind."""
    leaves = np.abs(np.asarray(jax.tree_util.tree_leaves(state), dtype=np.float64))
    return np.maximum(leaves, 1e-3)


def simulate_reference_t1dm(
    pat: T1Patient,
    y0: T1State,
    dose0: float,
    g_mean0: float,
    sh: T1Shared,
    *,
    cells_by_day: Mapping[int, F64],
    kinetics: F64,
    record_days: Sequence[int],
    duration_days: int,
    titration_interval_days: int,
    rtol: float = 1e-6,
) -> dict[str, Any]:
    """States (T1State of arrays over record days), doses and glucose of one patient."""
    leaves0, treedef = jax.tree_util.tree_flatten(y0)
    n_state = len(leaves0)
    n_cells = kinetics.shape[0]
    r_mean = glucose_appearance(pat.base, sh.base)[0]

    def unpack(x: F64) -> T1State:
        return jax.tree_util.tree_unflatten(treedef, list(x[2 : 2 + n_state]))

    def rhs(t: float, x: F64, dose: float) -> F64:
        g, ins = x[0], x[1]
        y = unpack(x)
        cells = x[2 + n_state :]
        s = secreting(y, pat, sh)
        c_endo = endogenous_insulin_coeff(s.beta_mass, s.beta_function, sh.base)
        d_g = r_mean - (sh.base.EG0 + s.insulin_sensitivity * ins) * g
        d_i = c_endo * sh.base.k * secretion_fraction(g, sh.base) - sh.base.k * (
            ins - pat.base.c_exo * dose
        )
        d_y = t1_rates(y, g, t, cells, pat, sh, np)
        return np.concatenate(
            [[d_g, d_i], np.asarray(jax.tree_util.tree_leaves(d_y)), kinetics @ cells]
        )

    c_endo0 = endogenous_insulin_coeff(
        secreting(y0, pat, sh).beta_mass, y0.slow.beta_function, sh.base
    )
    i0 = c_endo0 * secretion_fraction(g_mean0, sh.base) + pat.base.c_exo * dose0
    x = np.concatenate([[g_mean0, i0], np.asarray(leaves0, dtype=np.float64), np.zeros(n_cells)])
    atol = 1e-8 * np.concatenate([[100.0, 10.0], _typical(y0), np.full(n_cells, 1e10)])

    step = max(int(titration_interval_days), 1)
    events = {int(d) for d in cells_by_day if 0 <= d < duration_days}
    events |= set(range(step, duration_days, step))
    records = sorted({int(d) for d in record_days})
    breaks = sorted({0, duration_days, *events, *records})
    dose = float(dose0)
    out_x: dict[int, F64] = {}
    out_dose: dict[int, float] = {}
    for i, t in enumerate(breaks):
        if t in records:
            out_x[t], out_dose[t] = x.copy(), dose
        if t >= duration_days:
            break
        if t in events:
            if t > 0 and t % step == 0:
                fpg = t1_glucose(unpack(x), dose, pat, sh, x[0], which=1, iters=QSS_ITERS, xp=np)
                dose = float(t1_titrate(dose, fpg, pat, sh, t, np))
            x[2 + n_state :] += cells_by_day.get(t, np.zeros(n_cells))
        sol = solve_ivp(
            rhs, (t, breaks[i + 1]), x, method="Radau", rtol=rtol, atol=atol, args=(dose,)
        )
        if not sol.success:
            raise RuntimeError(f"T1DM reference failed on [{t}, {breaks[i + 1]}]: {sol.message}")
        x = sol.y[:, -1].copy()
    xs = np.stack([out_x[t] for t in records])
    doses = np.asarray([out_dose[t] for t in records])
    states = jax.tree_util.tree_unflatten(treedef, list(xs[:, 2 : 2 + n_state].T))
    g_fast = np.asarray(
        [
            t1_glucose(unpack(xx), d, pat, sh, xx[0], which=1, iters=QSS_ITERS, xp=np)
            for xx, d in zip(xs, doses, strict=True)
        ]
    )
    return {"state": states, "dose": doses, "g_mean": xs[:, 0], "g_fast": g_fast}
