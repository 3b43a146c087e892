"""T2DM equations on the Topp 2000 base, with the MSC coupling terms of the seeds.

One source of truth for the maths: every function takes the array module `xp` (jax.numpy for the
fast engine, numpy for the SciPy reference path), so both paths integrate the same equations.
Coupling terms are named after the knowledge-graph edge they implement (`model_term` in
knowledge/data/mechanisms_t2dm.yaml).

Units: time in days, glucose G in mg/dL, insulin I in uU/mL, beta-cell mass in mg,
insulin sensitivity in mL/uU/day, cells in cells, insulin dose in IU/day.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Array = Any  # a jax or numpy array (or float): the equations are written for both


class Shared(NamedTuple):
    """Population-level constants (model units), from params t2dm + topp2000 + msc_core."""

    R0: float
    EG0: float
    sigma: float
    alpha: float
    k: float
    d0: float
    r1: float
    r2: float
    kappa_h: float  # human beta-cell turnover relative to Topp's rat-scale rates
    beta_healthy: float
    k_phi: float
    q_glucose: float
    q_inflammation: float
    g_ref: float
    gamma_beta: float
    gamma_si: float
    k_si: float
    k_pol: float
    k_switch: float
    m1_healthy: float
    p_max: float
    rho_max: float
    nu_max: float
    tau_prog: float
    s_max: float
    tau_a: float
    adag_slope: float
    adag_intercept: float
    f_fast: float
    lic_max: float
    n50_systemic: float
    n50_local: float
    local_target_index: int
    titr_elasticity: float
    titr_adherence: float
    k_treg: float
    treg_induction_max: float
    treg_max: float
    ttt_goal: float  # treat-to-target fasting goal (mg/dL)
    ttt_step: float  # IU per 20 mg/dL above goal, per week
    ttt_max_step: float  # IU per week
    ttt_hypo_threshold: float  # mg/dL
    ttt_hypo_reduction: float  # IU


class Patient(NamedTuple):
    """Per-patient constants (arrays of shape (P,) in the engine, floats on the reference path)."""

    weight_kg: Array
    si_base: Array
    death_multiplier: Array
    m1_setpoint: Array
    infl0: Array
    duration0_years: Array
    c_exo: Array  # steady plasma insulin per IU/day of exogenous insulin (uU/mL per IU/day)
    fpg_goal: Array  # fasting glucose the patient's titration has settled at (mg/dL)
    treg_setpoint: Array  # % of CD4+ T cells
    insulin_max: Array  # IU/day
    insulin_ref: Array  # the stable dose the patient was enrolled on (IU/day)
    hgp_factor: Array  # hepatic glucose output relative to no metformin (1 = none)
    titration_mode: Array  # 0 usual care (proportional), 1 treat-to-target (Riddle 2003)
    insulin_treated: Array  # 1.0 or 0.0
    potency_imm: Array  # arm-level product potency (0 for control arms)
    potency_tro: Array
    licensing_pre: Array
    isr_conv: Array  # pmol/min of pre-hepatic insulin secretion per uU/mL/day of Topp secretion
    cpep_k1: Array  # Van Cauter 1992 two-compartment C-peptide kinetics (1/min)
    cpep_k2: Array
    cpep_k3: Array
    cpep_vd_l: Array  # central distribution volume (L)


class Slow(NamedTuple):
    """Slow states stepped by the engine (the MSC compartments are kept apart, linear)."""

    beta_mass: Array
    beta_function: Array
    insulin_sensitivity: Array
    m1_fraction: Array
    hba1c: Array
    treg_pct: Array  # regulatory T cells, % of CD4+ T cells


class Signals(NamedTuple):
    """MSC secretome effects (dimensionless Emax fractions) at one instant."""

    immune: Array
    trophic: Array
    licensing: Array


def glucose_appearance(pat: Patient, sh: Shared) -> tuple[Array, Array]:
    """(day-mean, fasting) glucose appearance in mg/dL/day.

    The fasting share is hepatic output; metformin lowers it by `1 - hgp_factor` (Hundal 2000)
    and leaves meal-derived appearance alone.
    """
    fasting = sh.f_fast * sh.R0 * pat.hgp_factor
    mean = sh.R0 - sh.f_fast * sh.R0 * (1.0 - pat.hgp_factor)
    return mean, fasting


def endogenous_insulin_coeff(beta_mass: Array, beta_function: Array, sh: Shared) -> Array:
    """Plasma insulin at saturating glucose from endogenous secretion (uU/mL)."""
    return beta_mass * beta_function * sh.sigma / sh.k


def secretion_fraction(g: Array, sh: Shared) -> Array:
    """Topp's sigmoidal glucose dependence of insulin secretion."""
    return g * g / (sh.alpha + g * g)


def plasma_insulin(g: Array, c_endo: Array, i_exo: Array, sh: Shared) -> Array:
    return c_endo * secretion_fraction(g, sh) + i_exo


def glucose_qss(
    r: Array, c_endo: Array, i_exo: Array, si: Array, g0: Array, sh: Shared, xp: Any, iters: int
) -> Array:
    """Glucose at quasi-steady state: solve r = G (EG0 + SI I(G)) by Newton from `g0`.

    Glucose relaxes in hours and insulin in minutes while every slow state moves over weeks,
    so on the slow timescale (G, I) sit on this manifold (Topp 2000, fast-slow structure).
    The root is unique (the left side increases in G) and lies in (0, r/EG0].
    """
    g_hi = r / sh.EG0
    g = xp.clip(g0, 1.0, g_hi)
    for _ in range(iters):
        s = secretion_fraction(g, sh)
        ins = c_endo * s + i_exo
        f = g * (sh.EG0 + si * ins) - r
        ds = 2.0 * sh.alpha * g / (sh.alpha + g * g) ** 2
        df = sh.EG0 + si * ins + si * c_endo * ds * g
        g = xp.clip(g - f / df, 0.5 * g, g_hi)
    return g


def msc_signals(msc: Array, infl: Array, pat: Patient, sh: Shared, xp: Any) -> Signals:
    """Secretome effects of live MSCs (msc: cells per compartment, last axis).

    `msc_licensing`: host inflammation (IFN-gamma/TNF-alpha) licenses MSCs to secrete more
    IDO/PGE2; preconditioning licenses them before infusion (seed 000 §3; seed 004 §1.2.2).
    Systemic factors (TSG-6, PGE2, HGF from lung-trapped cells) act body-wide; the pancreas
    also sees factors of the few cells that reach it (`pancreas_homing`, seed 004 §1.2.3).
    """
    total = xp.sum(msc, axis=-1)
    local = msc[..., sh.local_target_index]
    excess = xp.maximum(infl - 1.0, 0.0)
    licensing = 1.0 + xp.maximum(pat.licensing_pre, sh.lic_max * excess / (1.0 + excess))
    x_imm = pat.potency_imm * licensing * total / sh.n50_systemic
    x_tro = pat.potency_tro * (local / sh.n50_local + total / sh.n50_systemic)
    return Signals(immune=x_imm / (1.0 + x_imm), trophic=x_tro / (1.0 + x_tro), licensing=licensing)


def slow_rates(
    y: Slow, g: Array, t_days: Array, sig: Signals, pat: Patient, sh: Shared, xp: Any
) -> Slow:
    """d/dt of the slow states at mean glucose g (mg/dL)."""
    infl = y.m1_fraction / sh.m1_healthy
    d_infl = infl - pat.infl0

    # Beta-cell mass: Topp's glucose-dependent growth and death, on the human turnover scale.
    inflammation_beta_death = 1.0 + sh.gamma_beta * d_infl
    beta_death_protection = 1.0 - sh.p_max * sig.trophic
    death = sh.d0 * pat.death_multiplier * inflammation_beta_death * beta_death_protection
    growth = sh.r1 * g - sh.r2 * g * g
    progenitors = xp.exp(-(pat.duration0_years + t_days / 365.25) / sh.tau_prog)
    beta_neogenesis_hgf = sh.nu_max * sig.trophic * progenitors * sh.beta_healthy
    d_beta = sh.kappa_h * (growth - death) * y.beta_mass + beta_neogenesis_hgf

    # Reversible secretory dysfunction (glucotoxicity, inflammation) and its recovery.
    dysfunction = sh.q_glucose * xp.maximum(g / sh.g_ref - 1.0, 0.0) + sh.q_inflammation * (
        xp.maximum(infl - 1.0, 0.0)
    )
    beta_function_recovery = 1.0 + sh.rho_max * sig.trophic
    d_phi = sh.k_phi * (
        (1.0 - y.beta_function) * beta_function_recovery - y.beta_function * dysfunction
    )

    # Insulin sensitivity relaxes to a target set by inflammation and MSC sensitisation.
    inflammation_insulin_resistance = xp.exp(-sh.gamma_si * d_infl)
    insulin_sensitisation_glut4 = 1.0 + sh.s_max * sig.immune
    si_target = pat.si_base * inflammation_insulin_resistance * insulin_sensitisation_glut4
    d_si = sh.k_si * (si_target - y.insulin_sensitivity)

    # Tissue macrophages: disease drive toward the patient's M1 set point; MSC switch M1 -> M2.
    macrophage_m1_to_m2 = sh.k_switch * sig.immune * y.m1_fraction
    d_m1 = sh.k_pol * (pat.m1_setpoint - y.m1_fraction) - macrophage_m1_to_m2

    # HbA1c follows mean glucose with the glycation lag (ADAG equilibrium value).
    a_eq = (g + sh.adag_intercept) / sh.adag_slope
    d_a = (a_eq - y.hba1c) / sh.tau_a

    # Regulatory T cells: MSC factors (PGE2, IDO, TGF-beta, PD-L1) induce Tregs, which then
    # return to the patient's set point as they turn over. A readout here (Table 3 row 4); their
    # suppressive feedback on tissue inflammation is not modelled in the T2DM module.
    treg_induction = sh.treg_induction_max * sig.immune * (sh.treg_max - y.treg_pct)
    d_treg = sh.k_treg * (pat.treg_setpoint - y.treg_pct) + treg_induction
    return Slow(d_beta, d_phi, d_si, d_m1, d_a, d_treg)


def titrate(dose: Array, fpg: Array, pat: Patient, sh: Shared, xp: Any) -> Array:
    """Weekly titration step of the insulin dose (IU/day).

    Usual care (`titration_mode` 0), treat-to-target in proportional form: trials enrol patients
    on a stable dose, so each patient's titration has settled at (`insulin_ref`, `fpg_goal`); the
    prescriber moves the dose toward D_ref (FPG / goal)^elasticity, closing a share `adherence`
    of the gap each week (clinical inertia). A therapy that lowers glucose lets the dose come
    down, and when its effect wanes the dose returns toward D_ref with no ratchet.

    Treat-to-target as standard of care (`titration_mode` 1, Riddle 2003): every week add 2 IU per
    20 mg/dL of fasting glucose above 100 mg/dL, at most 8 IU, and take 4 IU off below 72 mg/dL;
    insulin-naive patients start this way from zero.
    """
    target = pat.insulin_ref * (fpg / pat.fpg_goal) ** sh.titr_elasticity
    usual = xp.clip(dose + sh.titr_adherence * (target - dose), 0.0, pat.insulin_max)
    usual = usual * pat.insulin_treated
    above = xp.clip(xp.ceil((fpg - sh.ttt_goal) / 20.0), 0.0, sh.ttt_max_step / sh.ttt_step)
    ttt = xp.where(
        fpg < sh.ttt_hypo_threshold, dose - sh.ttt_hypo_reduction, dose + above * sh.ttt_step
    )
    ttt = xp.clip(ttt, 0.0, pat.insulin_max)
    return xp.where(pat.titration_mode > 0.5, ttt, usual)
