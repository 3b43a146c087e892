"""Clinical type 1 diabetes: autoimmune beta-cell loss on the Topp glucose/insulin/beta-cell base.

The T2DM module's slow states (beta-cell mass and function, insulin sensitivity, macrophages,
HbA1c, Treg %) carry glucose, insulin, C-peptide and HbA1c; the Teff/Treg/APC lymph-node/pancreas
model (`_immune`) adds the autoimmune attack. Its beta cells *are* the Topp beta-cell mass
(`cells_per_mg` converts), so T-cell killing removes mass, the APC activation it feeds reads the
mass left, and glucose feeds back through Topp's turnover and glucotoxic dysfunction. Insulin
therapy that relieves glucotoxicity lets beta-cell function recover: the honeymoon.

MSCs act through the signals of the shared core (`msc_signals`): the immune signal drives Treg
induction, effector suppression and tolerogenic dendritic cells, the trophic signal beta-cell
protection (plus the T2DM module's trophic terms on turnover, function and HGF neogenesis).
Hematopoietic stem-cell transplantation comes with its immunoablative conditioning
(cyclophosphamide + ATG, Voltarelli 2007): effector T cells and APCs are killed at
`conditioning_rate`, Tregs at the lower `conditioning_treg_rate`, for `conditioning_days` from the
patient's `conditioning_start`. Engrafted insulin-producing cells
(IPCs) secrete insulin and C-peptide like beta-cell mass (`ipc_mg_per_cell`).

Units as in the T2DM module: days, mg/dL, uU/mL, mg beta-cell mass, cells, IU/day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import jax.numpy as jnp

from mscsim.physiology import msc_core
from mscsim.physiology.islets._graft import Graft, Setup, graft_rates, insulin_delivery
from mscsim.physiology.islets._graft import Shared as GraftShared
from mscsim.physiology.t1dm._immune import ImmuneParams, ImmuneState, MscEffects, immune_rates
from mscsim.physiology.t2dm._equations import (
    Array,
    Patient,
    Shared,
    Signals,
    Slow,
    endogenous_insulin_coeff,
    glucose_appearance,
    glucose_qss,
    msc_signals,
    slow_rates,
)

N_MSC_COMPARTMENTS = 6  # blood, lung, liver, spleen, target, other (msc_core.COMPARTMENTS)
IPC_INFLOW = N_MSC_COMPARTMENTS  # channel of infused IPCs on their way into a graft
ISLET_INFLOW = N_MSC_COMPARTMENTS + 1  # channel of infused islets (IEQ) on their way to the graft
CONDITIONING_EDGE_DAYS = 0.5
LIVER, DEPOT = msc_core.index("liver"), msc_core.index("other")  # graft sites' MSCs


class T1Shared(NamedTuple):
    base: Shared  # Topp + T2DM + MSC-core constants
    immune: ImmuneParams
    cells_per_mg: float  # immune-model beta cells per mg of Topp beta-cell mass
    gad_rate: float  # 1/day, relaxation of the GAD-antibody proxy
    titration_gain: float  # IU/kg/day per week per unit of relative FPG excess
    titration_max_step: float  # IU/kg/day per week
    conditioning_rate: float  # 1/day, effector T-cell and APC kill during conditioning
    conditioning_treg_rate: float  # 1/day, regulatory T-cell kill (rabbit ATG spares Tregs)
    conditioning_days: float  # days
    ipc_inflow_rate: float  # 1/day, infused IPCs (and islets) settling into their graft
    graft: GraftShared  # islet graft constants (islets.yaml)
    mg_per_islet: float  # Topp beta-cell mass of one islet equivalent


class T1Patient(NamedTuple):
    base: Patient
    kill_factor: Array  # patient's beta-cell killing relative to the model's kappa
    teff_ref: Array  # lymph-node effector T cells at enrolment: 100% of the GAD-antibody proxy
    ipc_mg_per_cell: Array  # beta-cell mass equivalent of one engrafted insulin-positive IPC
    ipc_graft_decay: Array  # 1/day, loss of the IPC graft (route of the arm's IPCs)
    conditioning_start: Array  # day conditioning starts (inf: no HSC transplant)
    clock_stop: Array  # day after which nothing changes (burn-in to each patient's enrolment)
    graft_setup: Setup  # the arm's islet graft: bed, site oxygen and vessels, MSC potency
    graft_site_liver: Array  # 1: islets in the liver (portal vein), 0: at a depot site
    islet_day: Array  # day of islet transplantation (inf: none)


class Lymph(NamedTuple):
    """Teff/Treg/APC states (cells) of the lymph node (L) and pancreas (P)."""

    apc_ln: Array
    teff_ln: Array
    treg_ln: Array
    apc_pancreas: Array
    teff_pancreas: Array
    treg_pancreas: Array


class T1State(NamedTuple):
    slow: Slow
    lymph: Lymph
    gad: Array  # GAD-antibody proxy relative to enrolment (1 = 100%)
    ipc_graft: Array  # engrafted insulin-positive IPCs (cells)
    islets: Graft  # transplanted islet graft (islets.yaml model; its msc field is unused)


def secreting(y: T1State, pat: T1Patient, sh: T1Shared) -> Slow:
    """Slow states with engrafted IPCs and perfused islets counted as beta-cell mass (glucose,
    HOMA, C-peptide). An islet's insulin reaches the blood only as its vessels grow back."""
    perfused = y.islets.islets * insulin_delivery(y.islets.vascularisation, sh.graft)
    extra = y.ipc_graft * pat.ipc_mg_per_cell + perfused * sh.mg_per_islet
    return y.slow._replace(beta_mass=y.slow.beta_mass + extra)


def t1_glucose(
    y: T1State, dose: Any, pat: T1Patient, sh: T1Shared, g0: Any, *, which: int, iters: int, xp: Any
) -> Any:
    s = secreting(y, pat, sh)
    c_endo = endogenous_insulin_coeff(s.beta_mass, s.beta_function, sh.base)
    r = glucose_appearance(pat.base, sh.base)[which]
    i_exo = pat.base.c_exo * dose
    return glucose_qss(r, c_endo, i_exo, s.insulin_sensitivity, g0, sh.base, xp, iters)


def immune_effects(sig: Signals) -> MscEffects:
    """MSC secretome -> immune-model effects (seed 004 §1.2.2-1.2.3)."""
    return MscEffects(
        treg_induction=sig.immune,
        teff_suppression=sig.immune,
        dc_tolerance=sig.immune,
        beta_protection=sig.trophic,
    )


def conditioning(t: Any, pat: T1Patient, sh: T1Shared, xp: Any) -> Any:
    """Intensity (0..1) of immunoablative conditioning at time t.

    It removes the autoreactive effector pool and the APCs carrying islet antigen far more than
    Tregs (rabbit ATG spares and expands Tregs): the HSC graft then rebuilds the node from a
    repertoire whose effector share is that much smaller. In this model effectors and Tregs
    share the node's capacity and expand at the same rate, so the new ratio persists until
    antigen presentation primes effectors again: remission, then relapse.

    Drug exposure rises and falls over about a day (logistic edges of width
    CONDITIONING_EDGE_DAYS), which keeps the rates smooth for the engine's RK4 steps; the
    integral over time is exactly `conditioning_days`, so the total kill is -ln(residual).
    """
    start = pat.conditioning_start
    rise = 1.0 / (1.0 + xp.exp(-(t - start) / CONDITIONING_EDGE_DAYS))
    fall = 1.0 / (1.0 + xp.exp(-(t - start - sh.conditioning_days) / CONDITIONING_EDGE_DAYS))
    return rise - fall


def t1_rates(
    y: T1State, g: Any, t: Any, cells: Any, pat: T1Patient, sh: T1Shared, xp: Any
) -> T1State:
    """d/dt of every T1DM state at day-mean glucose g (cells: live cells per channel or None)."""
    if cells is None:
        sig = Signals(0.0, 0.0, 1.0)
        inflow = islet_inflow = graft_msc = 0.0
    else:
        msc = cells[..., :N_MSC_COMPARTMENTS]
        sig = msc_signals(msc, y.slow.m1_fraction / sh.base.m1_healthy, pat.base, sh.base, xp)
        inflow = sh.ipc_inflow_rate * cells[..., IPC_INFLOW]
        islet_inflow = sh.ipc_inflow_rate * cells[..., ISLET_INFLOW]
        w = pat.graft_site_liver
        graft_msc = w * cells[..., LIVER] + (1.0 - w) * cells[..., DEPOT]
    d_slow = slow_rates(y.slow, g, t, sig, pat.base, sh.base, xp)

    p = sh.immune._replace(beta_killing=sh.immune.beta_killing * pat.kill_factor)
    beta_cells = y.slow.beta_mass * sh.cells_per_mg
    d_imm = immune_rates(ImmuneState(*y.lymph, beta_cells), p, immune_effects(sig))
    inside = conditioning(t, pat, sh, xp)
    kill = Lymph(
        apc_ln=inside * sh.conditioning_rate,
        teff_ln=inside * sh.conditioning_rate,
        treg_ln=inside * sh.conditioning_treg_rate,
        apc_pancreas=inside * sh.conditioning_rate,
        teff_pancreas=inside * sh.conditioning_rate,
        treg_pancreas=inside * sh.conditioning_treg_rate,
    )
    d_lymph = Lymph(*(d - k * x for d, k, x in zip(d_imm[:6], kill, y.lymph, strict=True)))
    d_slow = d_slow._replace(beta_mass=d_slow.beta_mass + d_imm.beta_cells / sh.cells_per_mg)

    # Autoantibody titres need T-cell help: they follow the node's autoreactive effector (helper)
    # pool with a lag, not the antigen flux, which in long-standing disease is all but gone
    # while antibodies persist.
    d_gad = sh.gad_rate * (y.lymph.teff_ln / pat.teff_ref - y.gad)
    d_ipc = inflow - pat.ipc_graft_decay * y.ipc_graft

    d_islets = islet_graft_rates(y.islets, g, t, graft_msc, islet_inflow, pat, sh, xp)

    on = xp.where(t < pat.clock_stop, 1.0, 0.0)
    return T1State(
        Slow(*(on * d for d in d_slow)),
        Lymph(*(on * d for d in d_lymph)),
        on * d_gad,
        on * d_ipc,
        Graft(*(on * d for d in d_islets)),
    )


def islet_graft_rates(
    y: Graft,
    g: Any,
    t: Any,
    msc_at_site: Any,
    inflow: Any,
    pat: T1Patient,
    sh: T1Shared,
    xp: Any,
) -> Graft:
    """The islet graft (seed 004 §1.2.1; islets module) in the patient's own glucose.

    Co-transplanted MSCs are the live MSCs at the graft site (liver for the portal vein, the
    depot compartment for kidney capsule or subcutaneous tissue), so the MSC core's kinetics
    set how long they help. Vessels start growing in when the islets arrive (smooth step).
    """
    graft = graft_rates(y._replace(msc=msc_at_site), g, pat.graft_setup, sh.graft, xp)
    arrived = 1.0 / (1.0 + xp.exp(-(t - pat.islet_day) / CONDITIONING_EDGE_DAYS))
    return Graft(
        islets=graft.islets + inflow,
        vascularisation=arrived * graft.vascularisation,
        lymphocytes=graft.lymphocytes,
        msc=0.0 * y.msc,
    )


def t1_titrate(dose: Any, fpg: Any, pat: T1Patient, sh: T1Shared, day: Any, xp: Any) -> Any:
    """Weekly basal-bolus adjustment toward the patient's fasting goal (integral control).

    The dose moves by `titration_gain` IU/kg/day per unit of relative excess (FPG/goal - 1),
    at most `titration_max_step` IU/kg/day a week; it reaches zero (insulin-free) when endogenous
    insulin alone holds fasting glucose below goal.
    """
    w = pat.base.weight_kg
    step = xp.clip(
        sh.titration_gain * w * (fpg / pat.base.fpg_goal - 1.0),
        -sh.titration_max_step * w,
        sh.titration_max_step * w,
    )
    new = xp.clip(dose + step, 0.0, pat.base.insulin_max)
    return xp.where(day < pat.clock_stop, new, dose)


@dataclass(frozen=True)
class T1dmModel:
    """The T1DM module behind the engine's disease-model API (jax.numpy)."""

    def qss(
        self,
        y: T1State,
        dose: Any,
        pat: T1Patient,
        sh: T1Shared,
        g0: Any,
        *,
        which: int,
        iters: int,
    ) -> Any:
        return t1_glucose(y, dose, pat, sh, g0, which=which, iters=iters, xp=jnp)

    def rates(
        self, y: T1State, g: Any, t: Any, cells: Any, pat: T1Patient, sh: T1Shared
    ) -> T1State:
        return t1_rates(y, g, t, cells, pat, sh, jnp)

    def titrate(self, dose: Any, fpg: Any, pat: T1Patient, sh: T1Shared, day: Any) -> Any:
        return t1_titrate(dose, fpg, pat, sh, day, jnp)


T1DM_MODEL = T1dmModel()
