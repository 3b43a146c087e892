"""Marée, Kublik, Finegood & Edelstein-Keshet 2006: can slow macrophages start type 1 diabetes?

A wave of apoptosis W(t) sweeps through the beta cells of newborn mice. Resting macrophages (M)
engulf apoptotic beta cells (Ba) and become activated (Ma); apoptotic cells not cleared in time
turn necrotic (Bn); activated macrophages engulfing necrotic cells release cytokines (Cy), which
drive more beta-cell apoptosis. NOD macrophages engulf slowly, so the wave tips the islet into
chronic inflammation; Balb/c macrophages clear it and the islet returns to rest.

    M'  = J + (k + b) Ma - c M - f1 M Ba - e1 M (M + Ma)
    Ma' = f1 M Ba - k Ma - e2 Ma (M + Ma)
    Ba' = W(t) + Amax Cy / (kc + Cy) - (f1 M + f2 Ma + d) Ba
    Bn' = d Ba - (f1 M + f2 Ma) Bn
    Cy' = alpha Bn Ma - delta Cy,        W(t) = Wmax exp(-((t - t_peak) / width)^2)

Units: time in days, cells per mL, cytokine in units of its half-saturation constant kc. The
equations take the array module `xp` (jax.numpy for the engine, numpy for SciPy) as the T2DM
equations do. Verified against BioModels BIOMD0000000381 in libRoadRunner
(tests/test_t1dm_immune.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from mscsim.params import ParameterSet, load_module, value_in

Array = Any  # a jax or numpy array (or float): the equations are written for both
F64 = NDArray[np.float64]
Strain = Literal["nod", "balbc"]
STRAINS: tuple[str, ...] = ("nod", "balbc")
Method = Literal["Radau", "BDF", "LSODA", "RK45", "DOP853"]

# Model units of each field of MareeParams: table values are converted to these at the edge.
_CELL_ML_DAY = "cell/mL/day"
_ML_CELL_DAY = "mL/cell/day"


class MareeParams(NamedTuple):
    """Constants of the Marée 2006 model in model units (cells/mL, days, Cy in units of kc)."""

    influx: float  # J, resting macrophage influx (cells/mL/day)
    removal: float  # c (1/day)
    recruitment: float  # b (1/day)
    deactivation: float  # k (1/day)
    crowding_resting: float  # e1 (mL/cell/day)
    crowding_activated: float  # e2 (mL/cell/day)
    engulf_resting: float  # f1 (mL/cell/day)
    engulf_activated: float  # f2 (mL/cell/day)
    necrosis: float  # d (1/day)
    cytokine_apoptosis_max: float  # Amax (cells/mL/day)
    cytokine_half_saturation: float  # kc (cytokine units)
    cytokine_production: float  # alpha (cytokine units mL^2/cell^2/day)
    cytokine_decay: float  # delta (1/day)
    wave_amplitude: float  # Wmax (cells/mL/day)
    wave_peak: float  # day
    wave_width: float  # day


class MareeState(NamedTuple):
    """States of the Marée 2006 model (cells/mL; cytokines in units of kc)."""

    resting_macrophages: Array  # M
    activated_macrophages: Array  # Ma
    apoptotic_beta: Array  # Ba
    necrotic_beta: Array  # Bn
    cytokines: Array  # Cy


# Species ids of the curated SBML file (BIOMD0000000381) for each state.
SBML_SPECIES: dict[str, str] = {
    "resting_macrophages": "M",
    "activated_macrophages": "Ma",
    "apoptotic_beta": "Ba",
    "necrotic_beta": "Bn",
    "cytokines": "Cy",
}

# Parameter ids of the SBML file and the table entries that hold them (NOD strain).
SBML_PARAMETERS: dict[str, str] = {
    "J": "maree_macrophage_influx",
    "c": "maree_macrophage_removal_rate",
    "b": "maree_recruitment_rate",
    "k": "maree_deactivation_rate",
    "e1": "maree_crowding_resting",
    "e2": "maree_crowding_activated",
    "f1": "maree_engulf_resting_nod",
    "f2": "maree_engulf_activated_nod",
    "d": "maree_necrosis_rate",
    "Amax": "maree_cytokine_apoptosis_max",
    "kc": "maree_cytokine_half_saturation",
    "alpha": "maree_cytokine_production",
    "delta": "maree_cytokine_decay",
    "Wmax": "maree_wave_amplitude",
}


def maree_params(strain: Strain = "nod", params: ParameterSet | None = None) -> MareeParams:
    """Model constants for one mouse strain from the `t1dm_immune` table (or `params`).

    The strains differ only in the engulfment rates f1 and f2 (Marée 2005/2006: NOD macrophages
    engulf apoptotic cells more slowly and activate later).
    """
    if strain not in STRAINS:
        raise ValueError(f"strain {strain!r} not known; use one of {', '.join(STRAINS)}")
    ps = params if params is not None else load_module("t1dm_immune")
    return MareeParams(
        influx=value_in(ps, "maree_macrophage_influx", _CELL_ML_DAY),
        removal=value_in(ps, "maree_macrophage_removal_rate", "1/day"),
        recruitment=value_in(ps, "maree_recruitment_rate", "1/day"),
        deactivation=value_in(ps, "maree_deactivation_rate", "1/day"),
        crowding_resting=value_in(ps, "maree_crowding_resting", _ML_CELL_DAY),
        crowding_activated=value_in(ps, "maree_crowding_activated", _ML_CELL_DAY),
        engulf_resting=value_in(ps, f"maree_engulf_resting_{strain}", _ML_CELL_DAY),
        engulf_activated=value_in(ps, f"maree_engulf_activated_{strain}", _ML_CELL_DAY),
        necrosis=value_in(ps, "maree_necrosis_rate", "1/day"),
        cytokine_apoptosis_max=value_in(ps, "maree_cytokine_apoptosis_max", _CELL_ML_DAY),
        cytokine_half_saturation=value_in(ps, "maree_cytokine_half_saturation", "dimensionless"),
        cytokine_production=value_in(ps, "maree_cytokine_production", "mL**2/cell**2/day"),
        cytokine_decay=value_in(ps, "maree_cytokine_decay", "1/day"),
        wave_amplitude=value_in(ps, "maree_wave_amplitude", _CELL_ML_DAY),
        wave_peak=value_in(ps, "maree_wave_peak", "day"),
        wave_width=value_in(ps, "maree_wave_width", "day"),
    )


def maree_initial_state(params: ParameterSet | None = None) -> MareeState:
    """A healthy newborn islet before the wave: resting macrophages only (the paper's start)."""
    ps = params if params is not None else load_module("t1dm_immune")
    m0 = value_in(ps, "maree_resting_macrophages_initial", "cell/mL")
    return MareeState(m0, 0.0, 0.0, 0.0, 0.0)


def apoptotic_wave(t: Array, p: MareeParams, xp: Any) -> Array:
    """Rate of developmental beta-cell apoptosis W(t) (cells/mL/day), peaking on day 9."""
    return p.wave_amplitude * xp.exp(-(((t - p.wave_peak) / p.wave_width) ** 2))


def maree_rates(t: Array, y: MareeState, p: MareeParams, xp: Any) -> MareeState:
    """d/dt of the Marée 2006 states at time t (days)."""
    m, ma = y.resting_macrophages, y.activated_macrophages
    # Per-capita clearance of dead beta cells: every macrophage engulfs apoptotic and necrotic
    # cells alike, activated ones at f2, resting ones at f1 (the NOD defect lowers both).
    clearance = p.engulf_resting * m + p.engulf_activated * ma
    # A resting macrophage that engulfs an apoptotic cell becomes activated.
    activation = p.engulf_resting * m * y.apoptotic_beta
    crowding = m + ma
    d_m = (
        p.influx
        + (p.deactivation + p.recruitment) * ma
        - p.removal * m
        - activation
        - p.crowding_resting * m * crowding
    )
    d_ma = activation - p.deactivation * ma - p.crowding_activated * ma * crowding
    # Cytokines (TNF-alpha, IL-1beta) from necrotic-cell engulfment kill more beta cells: the
    # positive feedback that sustains inflammation once the wave overwhelms clearance.
    cytokine_apoptosis = (
        p.cytokine_apoptosis_max * y.cytokines / (p.cytokine_half_saturation + y.cytokines)
    )
    d_ba = (
        apoptotic_wave(t, p, xp) + cytokine_apoptosis - (clearance + p.necrosis) * y.apoptotic_beta
    )
    d_bn = p.necrosis * y.apoptotic_beta - clearance * y.necrotic_beta
    d_cy = p.cytokine_production * y.necrotic_beta * ma - p.cytokine_decay * y.cytokines
    return MareeState(d_m, d_ma, d_ba, d_bn, d_cy)


@dataclass(frozen=True)
class MareeResult:
    """Trajectories of one simulation: `t` in days and each state at those times.

    `strain` names the table values used ('custom' when the caller passed its own parameters).
    """

    t: F64
    states: MareeState
    strain: str


# Absolute tolerance per state, a millionth of its typical size: macrophages ~1e6 cells/mL,
# dead beta cells ~1e3-1e5 cells/mL, cytokines ~1 (units of kc).
_TYPICAL = MareeState(1e6, 1e6, 1e5, 1e3, 1.0)


def simulate_maree(
    t_eval: ArrayLike,
    *,
    strain: Strain = "nod",
    params: MareeParams | None = None,
    initial: MareeState | None = None,
    method: Method = "Radau",
    rtol: float = 1e-8,
) -> MareeResult:
    """Integrate the Marée 2006 model with SciPy (stiff solver) and return it at `t_eval` days.

    `params` overrides the table values of `strain`; `initial` defaults to the resting islet.
    """
    t = np.asarray(t_eval, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be a 1-D, strictly increasing sequence of days")
    p = params if params is not None else maree_params(strain)
    y0 = initial if initial is not None else maree_initial_state()
    atol = rtol * np.asarray(_TYPICAL, dtype=np.float64) * 1e-2

    def rhs(time: float, y: F64) -> F64:
        return np.asarray(maree_rates(time, MareeState(*y), p, np), dtype=np.float64)

    sol = solve_ivp(
        rhs,
        (float(t[0]), float(t[-1])),
        np.asarray(y0, dtype=np.float64),
        method=method,
        t_eval=t,
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"Marée 2006 integration failed ({method}): {sol.message}")
    return MareeResult(
        t=t, states=MareeState(*sol.y), strain=strain if params is None else "custom"
    )
