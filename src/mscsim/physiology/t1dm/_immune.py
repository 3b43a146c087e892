"""Effector and regulatory T cells, antigen-presenting cells and beta cells: lymph node, pancreas.

The autoimmune core of the T1DM module (bioRxiv 2025.11.15.688620; equations and parameters as in
the authors' code kenziealyse/ImmunePaper, Dosing Code/NuRegTcellmodel.m). Pancreatic APCs take up
beta-cell antigen where effector T cells kill (A_P), carry it to the pancreatic lymph node (A_L)
and prime effector (E_L) and regulatory (R_L) T cells, which share the node's capacity C and
migrate to the pancreas (E_P, R_P), where effectors kill beta cells (B) unless Tregs suppress them:

    A_L' = phiA A_P - dA A_L
    E_L' = lamE A_L / (1 + r1 R_L) + wE (1 - (E_L + R_L)/C) E_L - (phiE + dE) E_L
    R_L' = lamR A_L + wR (1 - (E_L + R_L)/C) R_L - (phiR + dR) R_L
    A_P' = nu E_P B / (1 + r2 R_P) - (phiA + dA) A_P
    E_P' = phiE E_L - dE E_P
    R_P' = phiR R_L - dR R_P
    B'   = -kappa E_P B / (1 + r2 R_P)

Units: time in days, every population in cells. The rates are plain arithmetic, so numpy and
jax.numpy arrays (a whole population at once) go through the same function.

MSC coupling (seed 004 §1.2.2-1.2.3): four named factors, each of an MSC effect e in [0, 1) and a
maximal effect, named after the knowledge-graph edge they implement:
- `treg_induction`: Treg priming lamR x (1 + g e) (PGE2, IDO, TGF-beta induce Tregs).
- `teff_suppression`: effector priming and proliferation x (1 - s e) (IDO, PGE2, TSG-6, NO, HO-1,
  galectins; MMP-2/-9 cleave CD25). It acts on both because these factors arrest effector
  expansion whatever drives it; on proliferation alone it is not protective in every regime of
  this model (fewer effectors -> fewer APCs -> fewer Tregs primed, which can shorten time to
  disease at high nu).
- `dc_tolerance`: effector priming per lymph-node APC lamE x (1 - s e). Tolerogenic dendritic cells
  still carry antigen but prime no effectors. It does not lower antigen uptake nu: APCs prime Tregs
  too, and in this model a larger nu delays disease whenever r1 > 0 (the authors' time-to-disease
  versus nu figure), so a lower nu would make MSCs harmful.
- `beta_protection`: killing kappa x (1 - s e) (HGF, VEGF, IGF-1, PDGF, antioxidant protection).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from mscsim.params import ParameterSet, load_module, value_in

Array = Any  # a jax or numpy array (or float): the equations are written for both
F64 = NDArray[np.float64]
DiseasePoint = Literal["late", "early"]
AntigenPresentation = Literal["low", "high"]
Method = Literal["Radau", "BDF", "LSODA", "RK45", "DOP853"]

_PER_DAY = "1/day"
_PER_CELL = "1/cell"
_PER_CELL_DAY = "1/cell/day"


class ImmuneParams(NamedTuple):
    """Constants of the Teff/Treg/APC model in model units (cells, days)."""

    apc_migration: float  # phiA, pancreas -> lymph node (1/day)
    apc_death: float  # deltaA (1/day)
    teff_priming: float  # lambdaE, effectors primed per LN APC (1/day)
    treg_priming: float  # lambdaR (1/day)
    teff_proliferation: float  # omegaE (1/day)
    treg_proliferation: float  # omegaR (1/day)
    teff_migration: float  # phiE, lymph node -> pancreas (1/day)
    treg_migration: float  # phiR (1/day)
    teff_death: float  # deltaE (1/day)
    treg_death: float  # deltaR (1/day)
    ln_capacity: float  # C (cells)
    beta_killing: float  # kappa (1/cell/day)
    antigen_presentation: float  # nu (1/cell/day)
    treg_suppression_ln: float  # r1 (1/cell)
    treg_suppression_pancreas: float  # r2 (1/cell)
    treg_induction_max: float  # MSC coupling maxima (dimensionless)
    teff_suppression_max: float
    dc_tolerance_max: float
    beta_protection_max: float


class ImmuneState(NamedTuple):
    """States of the Teff/Treg/APC model (cells)."""

    apc_ln: Array  # A_L
    teff_ln: Array  # E_L
    treg_ln: Array  # R_L
    apc_pancreas: Array  # A_P
    teff_pancreas: Array  # E_P
    treg_pancreas: Array  # R_P
    beta_cells: Array  # B


class MscEffects(NamedTuple):
    """MSC effects on the immune model, each a dimensionless fraction in [0, 1)."""

    treg_induction: Array = 0.0
    teff_suppression: Array = 0.0
    dc_tolerance: Array = 0.0
    beta_protection: Array = 0.0


NO_MSC = MscEffects()


def immune_params(
    params: ParameterSet | None = None,
    *,
    disease_point: DiseasePoint = "late",
    antigen_presentation: AntigenPresentation = "low",
) -> ImmuneParams:
    """Model constants from the `t1dm_immune` table (or `params`).

    `disease_point` picks the authors' Treg suppression strengths (r1, r2): 'late' (8e-6, 1e-5)
    or 'early' (2e-6, 2e-6); `antigen_presentation` picks nu = 1e-5 ('low') or 1e-2 ('high').
    Other values: `immune_params()._replace(...)`.
    """
    if disease_point not in ("late", "early"):
        raise ValueError(f"disease_point {disease_point!r} not known; use 'late' or 'early'")
    if antigen_presentation not in ("low", "high"):
        raise ValueError(
            f"antigen_presentation {antigen_presentation!r} not known; use 'low' or 'high'"
        )
    ps = params if params is not None else load_module("t1dm_immune")
    suffix = "_early" if disease_point == "early" else ""
    nu_name = "t1d_antigen_presentation_rate" + ("_high" if antigen_presentation == "high" else "")
    return ImmuneParams(
        apc_migration=value_in(ps, "t1d_apc_migration_rate", _PER_DAY),
        apc_death=value_in(ps, "t1d_apc_death_rate", _PER_DAY),
        teff_priming=value_in(ps, "t1d_teff_priming_rate", _PER_DAY),
        treg_priming=value_in(ps, "t1d_treg_priming_rate", _PER_DAY),
        teff_proliferation=value_in(ps, "t1d_teff_proliferation_rate", _PER_DAY),
        treg_proliferation=value_in(ps, "t1d_treg_proliferation_rate", _PER_DAY),
        teff_migration=value_in(ps, "t1d_teff_migration_rate", _PER_DAY),
        treg_migration=value_in(ps, "t1d_treg_migration_rate", _PER_DAY),
        teff_death=value_in(ps, "t1d_teff_death_rate", _PER_DAY),
        treg_death=value_in(ps, "t1d_treg_death_rate", _PER_DAY),
        ln_capacity=value_in(ps, "t1d_ln_capacity", "cell"),
        beta_killing=value_in(ps, "t1d_beta_killing_rate", _PER_CELL_DAY),
        antigen_presentation=value_in(ps, nu_name, _PER_CELL_DAY),
        treg_suppression_ln=value_in(ps, "t1d_treg_suppression_ln" + suffix, _PER_CELL),
        treg_suppression_pancreas=value_in(ps, "t1d_treg_suppression_pancreas" + suffix, _PER_CELL),
        treg_induction_max=value_in(ps, "t1d_treg_induction_max", "dimensionless"),
        teff_suppression_max=value_in(ps, "t1d_teff_suppression_max", "dimensionless"),
        dc_tolerance_max=value_in(ps, "t1d_dc_tolerance_max", "dimensionless"),
        beta_protection_max=value_in(ps, "t1d_beta_protection_max", "dimensionless"),
    )


def immune_initial_state(params: ParameterSet | None = None) -> ImmuneState:
    """The authors' start: a few autoreactive T cells in the node, full beta-cell mass, no APCs."""
    ps = params if params is not None else load_module("t1dm_immune")
    return ImmuneState(
        apc_ln=0.0,
        teff_ln=value_in(ps, "t1d_teff_ln_initial", "cell"),
        treg_ln=value_in(ps, "t1d_treg_ln_initial", "cell"),
        apc_pancreas=0.0,
        teff_pancreas=0.0,
        treg_pancreas=0.0,
        beta_cells=value_in(ps, "t1d_beta_initial", "cell"),
    )


def disease_beta_fraction(params: ParameterSet | None = None) -> float:
    """Share of the initial beta-cell mass at which the authors call clinical onset (0.2)."""
    ps = params if params is not None else load_module("t1dm_immune")
    return value_in(ps, "t1d_disease_beta_fraction", "dimensionless")


# --- MSC coupling terms (multiplicative factors; effect e in [0, 1)) ---


def treg_induction(effect: Array, p: ImmuneParams) -> Array:
    """Factor on Treg priming: MSC PGE2/IDO/TGF-beta convert primed T cells into Tregs."""
    return 1.0 + p.treg_induction_max * effect


def teff_suppression(effect: Array, p: ImmuneParams) -> Array:
    """Factor on effector priming and proliferation: IDO/PGE2/TSG-6/NO/HO-1/galectin, CD25 loss."""
    return 1.0 - p.teff_suppression_max * effect


def dc_tolerance(effect: Array, p: ImmuneParams) -> Array:
    """Factor on effector priming per lymph-node APC: MSCs keep dendritic cells tolerogenic."""
    return 1.0 - p.dc_tolerance_max * effect


def beta_protection(effect: Array, p: ImmuneParams) -> Array:
    """Factor on beta-cell killing: HGF/VEGF/IGF-1/PDGF and antioxidant protection."""
    return 1.0 - p.beta_protection_max * effect


def immune_rates(y: ImmuneState, p: ImmuneParams, msc: MscEffects = NO_MSC) -> ImmuneState:
    """d/dt of the Teff/Treg/APC states (cells/day) under MSC effects `msc`."""
    teff_expansion = teff_suppression(msc.teff_suppression, p)
    free_capacity = 1.0 - (y.teff_ln + y.treg_ln) / p.ln_capacity
    # Pancreatic Tregs damp both killing and the antigen release that feeds APCs.
    pancreas_suppression = 1.0 + p.treg_suppression_pancreas * y.treg_pancreas

    d_apc_ln = p.apc_migration * y.apc_pancreas - p.apc_death * y.apc_ln
    teff_priming = (
        p.teff_priming
        * dc_tolerance(msc.dc_tolerance, p)
        * teff_expansion
        * y.apc_ln
        / (1.0 + p.treg_suppression_ln * y.treg_ln)
    )
    d_teff_ln = (
        teff_priming
        + p.teff_proliferation * teff_expansion * free_capacity * y.teff_ln
        - (p.teff_migration + p.teff_death) * y.teff_ln
    )
    d_treg_ln = (
        p.treg_priming * treg_induction(msc.treg_induction, p) * y.apc_ln
        + p.treg_proliferation * free_capacity * y.treg_ln
        - (p.treg_migration + p.treg_death) * y.treg_ln
    )
    d_apc_pancreas = (
        p.antigen_presentation * y.teff_pancreas * y.beta_cells / pancreas_suppression
        - (p.apc_migration + p.apc_death) * y.apc_pancreas
    )
    d_teff_pancreas = p.teff_migration * y.teff_ln - p.teff_death * y.teff_pancreas
    d_treg_pancreas = p.treg_migration * y.treg_ln - p.treg_death * y.treg_pancreas
    killing = p.beta_killing * beta_protection(msc.beta_protection, p)
    d_beta = -killing * y.teff_pancreas * y.beta_cells / pancreas_suppression
    return ImmuneState(
        d_apc_ln, d_teff_ln, d_treg_ln, d_apc_pancreas, d_teff_pancreas, d_treg_pancreas, d_beta
    )


def check_effects(msc: MscEffects) -> MscEffects:
    """Refuse MSC effects outside [0, 1), naming the effect and its value."""
    for name, value in zip(MscEffects._fields, msc, strict=True):
        v = np.asarray(value, dtype=np.float64)
        if not np.all((v >= 0.0) & (v < 1.0)):
            raise ValueError(f"MSC effect {name} = {value!r} must lie in [0, 1)")
    return msc


def _constant_effects(msc: MscEffects) -> Callable[[float], MscEffects]:
    def effects(_: float) -> MscEffects:
        return msc

    return effects


@dataclass(frozen=True)
class ImmuneResult:
    """Trajectories of one patient: `t` in days and each state (cells) at those times."""

    t: F64
    states: ImmuneState


def simulate_immune(
    t_eval: ArrayLike,
    *,
    params: ImmuneParams | None = None,
    initial: ImmuneState | None = None,
    msc: MscEffects | Callable[[float], MscEffects] = NO_MSC,
    method: Method = "LSODA",
    rtol: float = 1e-8,
    atol: float = 1e-6,
) -> ImmuneResult:
    """Integrate the Teff/Treg/APC model for one patient with SciPy; states at `t_eval` days.

    `msc` is a constant `MscEffects` or a function of time (days) returning one (the MSC core
    supplies it from the cells alive at t). `atol` is in cells: far below one cell, so extinct
    populations stay extinct and beta-cell fractions near zero are resolved.
    """
    t = np.asarray(t_eval, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be a 1-D, strictly increasing sequence of days")
    p = params if params is not None else immune_params()
    y0 = initial if initial is not None else immune_initial_state()
    effects = _constant_effects(check_effects(msc)) if isinstance(msc, MscEffects) else msc

    def rhs(time: float, y: F64) -> F64:
        return np.asarray(immune_rates(ImmuneState(*y), p, effects(time)), dtype=np.float64)

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
        raise RuntimeError(f"Teff/Treg/APC integration failed ({method}): {sol.message}")
    return ImmuneResult(t=t, states=ImmuneState(*sol.y))


def beta_cell_fraction(result: ImmuneResult) -> F64:
    """Fraction of the initial beta cells remaining at each time of `result`."""
    beta = np.asarray(result.states.beta_cells, dtype=np.float64)
    return beta / beta[0]


def time_to_beta_fraction(result: ImmuneResult, fraction: float) -> float:
    """First time (days) the beta cells fall to `fraction` of their start; inf if they never do.

    Interpolated between output times on log(B), along which killing at a steady effector
    level is linear in time.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction {fraction!r} must lie in (0, 1)")
    f = beta_cell_fraction(result)
    below = np.flatnonzero(f <= fraction)
    if below.size == 0:
        return math.inf
    i = int(below[0])
    if i == 0:
        return float(result.t[0])
    t0, t1 = float(result.t[i - 1]), float(result.t[i])
    l0, l1 = math.log(f[i - 1]), math.log(max(f[i], 1e-300))
    return t0 + (t1 - t0) * (l0 - math.log(fraction)) / (l0 - l1)
