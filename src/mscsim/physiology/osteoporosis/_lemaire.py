"""Lemaire, Tobin, Greller, Cho & Suva 2004: osteoblast-osteoclast coupling via RANK/RANKL/OPG.

Three cell populations (pM): responding osteoblasts R (progenitors committed by TGF-beta),
active osteoblasts B and active osteoclasts C. TGF-beta released by resorption (carried by C)
speeds the commitment of progenitors, slows the maturation of R into B and drives osteoclast
apoptosis; RANKL on active osteoblasts, held back by OPG from responding osteoblasts, drives
osteoclast formation; PTH raises RANKL and lowers OPG (the core model of the paper, as in
BioModels BIOMD0000000278):

    R' = D_R pi_C - D_B R / pi_C
    B' = D_B R / pi_C - k_B B
    C' = D_C pi_L - D_A pi_C C

    pi_C = (C + f0 C_s) / (C + C_s)                          TGF-beta occupancy
    D_B  = f0 d_B
    pi_P = (P_bar + P_0) / (P_bar + P_s),  P_bar = I_P/k_P,  P_0 = S_P/k_P,  P_s = k6/k5
    pi_L = (k3/k4) K_L^P pi_P B (1 + I_L/r_L)
           / (1 + k3 K/k4 + k1/(k2 k_O) (I_O + K_O^P R / pi_P))   RANK occupancy by RANKL

I_L, I_O and I_P are external RANKL, OPG and PTH dosing rates (0 in the core model): the
places where a drug or an MSC paracrine signal enters. The file's initial state is the model's
steady state. Units: time in days, cells and ligands in pM. Verified against BIOMD0000000278 in
libRoadRunner from that steady state and from displaced starts (tests/test_bone_bases.py).
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
Method = Literal["Radau", "BDF", "LSODA", "RK45", "DOP853"]

MODULE = "bone"
_PM_DAY = "pM/day"
_PER_PM_DAY = "1/(pM*day)"


class LemaireParams(NamedTuple):
    """Constants of the Lemaire 2004 core model in model units (pM, days)."""

    progenitor_differentiation: float  # D_R (pM/day)
    responding_differentiation: float  # d_B (1/day)
    tgfb_fraction: float  # f0
    osteoclast_differentiation: float  # D_C (pM/day)
    osteoclast_apoptosis: float  # D_A (1/day)
    active_osteoblast_elimination: float  # k_B (1/day)
    tgfb_half_saturation: float  # C_s (pM)
    rank: float  # K (pM)
    opg_rankl_binding: float  # k1 (1/(pM day))
    opg_rankl_unbinding: float  # k2 (1/day)
    rank_rankl_binding: float  # k3 (1/(pM day))
    rank_rankl_unbinding: float  # k4 (1/day)
    pth_binding: float  # k5 (1/(pM day))
    pth_unbinding: float  # k6 (1/day)
    opg_production_per_cell: float  # K_O^P (1/day)
    rankl_per_cell: float  # K_L^P (pM RANKL per pM of active osteoblasts)
    rankl_production: float  # r_L (pM/day)
    opg_degradation: float  # k_O (1/day)
    pth_degradation: float  # k_P (1/day)
    pth_production: float  # S_P (pM/day)
    rankl_dose: float  # I_L (pM/day)
    opg_dose: float  # I_O (pM/day)
    pth_dose: float  # I_P (pM/day)


class LemaireState(NamedTuple):
    """States of the Lemaire 2004 core model (pM)."""

    responding_osteoblasts: Array  # R
    active_osteoblasts: Array  # B
    active_osteoclasts: Array  # C


# Species ids of the curated SBML file (BIOMD0000000278) for each state.
LEMAIRE_SBML_SPECIES: dict[str, str] = {
    "responding_osteoblasts": "R",
    "active_osteoblasts": "B",
    "active_osteoclasts": "C",
}

# Parameter ids of the SBML file, the table entries that hold them and the model unit.
_TABLE: dict[str, tuple[str, str, str]] = {
    # field: (SBML id, table name, model unit)
    "progenitor_differentiation": ("D_R", "lemaire_progenitor_differentiation", _PM_DAY),
    "responding_differentiation": ("d_B", "lemaire_responding_differentiation", "1/day"),
    "tgfb_fraction": ("f0", "lemaire_tgfb_fraction", "dimensionless"),
    "osteoclast_differentiation": ("D_C", "lemaire_osteoclast_differentiation", _PM_DAY),
    "osteoclast_apoptosis": ("D_A", "lemaire_osteoclast_apoptosis", "1/day"),
    "active_osteoblast_elimination": ("k_B", "lemaire_active_osteoblast_elimination", "1/day"),
    "tgfb_half_saturation": ("C_s", "lemaire_tgfb_half_saturation", "pM"),
    "rank": ("K", "lemaire_rank", "pM"),
    "opg_rankl_binding": ("k1", "lemaire_opg_rankl_binding", _PER_PM_DAY),
    "opg_rankl_unbinding": ("k2", "lemaire_opg_rankl_unbinding", "1/day"),
    "rank_rankl_binding": ("k3", "lemaire_rank_rankl_binding", _PER_PM_DAY),
    "rank_rankl_unbinding": ("k4", "lemaire_rank_rankl_unbinding", "1/day"),
    "pth_binding": ("k5", "lemaire_pth_binding", _PER_PM_DAY),
    "pth_unbinding": ("k6", "lemaire_pth_unbinding", "1/day"),
    "opg_production_per_cell": ("K_O_P", "lemaire_opg_production_per_cell", "1/day"),
    "rankl_per_cell": ("K_L_P", "lemaire_rankl_per_cell", "dimensionless"),
    "rankl_production": ("r_L", "lemaire_rankl_production", _PM_DAY),
    "opg_degradation": ("kO", "lemaire_opg_degradation", "1/day"),
    "pth_degradation": ("k_P", "lemaire_pth_degradation", "1/day"),
    "pth_production": ("S_P", "lemaire_pth_production", _PM_DAY),
    "rankl_dose": ("I_L", "lemaire_rankl_dose", _PM_DAY),
    "opg_dose": ("I_O", "lemaire_opg_dose", _PM_DAY),
    "pth_dose": ("I_P", "lemaire_pth_dose", _PM_DAY),
}

LEMAIRE_SBML_PARAMETERS: dict[str, str] = {sid: name for sid, name, _ in _TABLE.values()}

# Initial concentrations of the SBML species (the steady state) and their table entries.
LEMAIRE_SBML_INITIAL: dict[str, str] = {
    "R": "lemaire_responding_osteoblasts_initial",
    "B": "lemaire_active_osteoblasts_initial",
    "C": "lemaire_active_osteoclasts_initial",
}


def lemaire_params(params: ParameterSet | None = None) -> LemaireParams:
    """Model constants from the `bone` table (or `params`), in model units."""
    ps = params if params is not None else load_module(MODULE)
    return LemaireParams(
        **{field: value_in(ps, name, unit) for field, (_, name, unit) in _TABLE.items()}
    )


def lemaire_initial_state(params: ParameterSet | None = None) -> LemaireState:
    """The SBML file's initial state, the model's steady state (pM)."""
    ps = params if params is not None else load_module(MODULE)
    return LemaireState(
        *(value_in(ps, LEMAIRE_SBML_INITIAL[s], "pM") for s in LEMAIRE_SBML_SPECIES.values())
    )


def tgfb_occupancy(c: Array, p: LemaireParams) -> Array:
    """pi_C: TGF-beta receptor occupancy, f0 with no osteoclasts and 1 with many."""
    return (c + p.tgfb_fraction * p.tgfb_half_saturation) / (c + p.tgfb_half_saturation)


def pth_occupancy(p: LemaireParams) -> Array:
    """pi_P: PTH receptor occupancy from endogenous production plus the PTH dose I_P."""
    p_dose = p.pth_dose / p.pth_degradation
    p_endogenous = p.pth_production / p.pth_degradation
    p_half = p.pth_unbinding / p.pth_binding
    return (p_dose + p_endogenous) / (p_dose + p_half)


def rankl_occupancy(r: Array, b: Array, p: LemaireParams) -> Array:
    """pi_L: RANK occupancy by RANKL, which drives osteoclast formation.

    RANKL sits on active osteoblasts (K_L^P per cell, raised by PTH); OPG from responding
    osteoblasts (lowered by PTH) and any OPG dose compete for it as a decoy receptor.
    """
    pi_p = pth_occupancy(p)
    k_rank = p.rank_rankl_binding / p.rank_rankl_unbinding
    opg = (
        p.opg_rankl_binding
        / (p.opg_rankl_unbinding * p.opg_degradation)
        * (p.opg_dose + p.opg_production_per_cell * r / pi_p)
    )
    rankl_boost = 1.0 + p.rankl_dose / p.rankl_production
    return k_rank * p.rankl_per_cell * pi_p * b / (1.0 + k_rank * p.rank + opg) * rankl_boost


def lemaire_rates(y: LemaireState, p: LemaireParams, xp: Any = np) -> LemaireState:
    """d/dt of the Lemaire 2004 states (pM/day). `xp` is unused: the model is rational."""
    del xp  # kept for the common signature of the equations (numpy or jax.numpy)
    r, b, c = y.responding_osteoblasts, y.active_osteoblasts, y.active_osteoclasts
    pi_c = tgfb_occupancy(c, p)
    # TGF-beta both recruits progenitors (x pi_C) and holds responding osteoblasts back from
    # maturing (/ pi_C): resorption stocks the pool that later refills the cavity.
    maturation = p.tgfb_fraction * p.responding_differentiation * r / pi_c
    d_r = p.progenitor_differentiation * pi_c - maturation
    d_b = maturation - p.active_osteoblast_elimination * b
    d_c = (
        p.osteoclast_differentiation * rankl_occupancy(r, b, p) - p.osteoclast_apoptosis * pi_c * c
    )
    return LemaireState(d_r, d_b, d_c)


@dataclass(frozen=True)
class LemaireResult:
    """Trajectories of one simulation: `t` in days and each state (pM) at those times."""

    t: F64
    states: LemaireState


# The states are ~1e-3 pM: the absolute tolerance is set relative to that size.
_TYPICAL = 1e-3


def simulate_lemaire(
    t_eval: ArrayLike,
    *,
    params: LemaireParams | None = None,
    initial: LemaireState | None = None,
    method: Method = "Radau",
    rtol: float = 1e-10,
) -> LemaireResult:
    """Integrate the Lemaire 2004 core model with SciPy and return it at `t_eval` days.

    `initial` defaults to the file's steady state; `params` to the table values.
    """
    t = np.asarray(t_eval, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be a 1-D, strictly increasing sequence of days")
    p = params if params is not None else lemaire_params()
    y0 = initial if initial is not None else lemaire_initial_state()

    def rhs(_: float, y: F64) -> F64:
        return np.asarray(lemaire_rates(LemaireState(*y), p, np), dtype=np.float64)

    sol = solve_ivp(
        rhs,
        (float(t[0]), float(t[-1])),
        np.asarray(y0, dtype=np.float64),
        method=method,
        t_eval=t,
        rtol=rtol,
        atol=rtol * _TYPICAL * 1e-2,
    )
    if not sol.success:
        raise RuntimeError(f"Lemaire 2004 integration failed ({method}): {sol.message}")
    return LemaireResult(t=t, states=LemaireState(*sol.y))
