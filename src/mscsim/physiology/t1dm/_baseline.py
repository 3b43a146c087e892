"""Virtual T1D patients at diagnosis: covariates, between-patient variability, states.

Every patient starts at clinical onset: the autoimmune compartments at the immune model's onset
state (its trajectory from the authors' start to 20% beta-cell mass), the beta-cell mass at the
patient's residual fraction, beta-cell function at its glucotoxic steady state before insulin,
HbA1c at the untreated glucose, and insulin started at the ADA dose. The trial layer then runs
each patient for their own time since diagnosis before enrolment (`clock_stop`), so honeymoon,
C-peptide decline and the immune state at enrolment all come from the model itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from mscsim.physiology.islets._graft import Graft, Setup
from mscsim.physiology.islets._graft import shared_constants as graft_constants
from mscsim.physiology.t1dm._clinical import Lymph, T1Patient, T1Shared, T1State
from mscsim.physiology.t1dm._immune import (
    AntigenPresentation,
    DiseasePoint,
    ImmuneParams,
    ImmuneState,
    disease_beta_fraction,
    immune_initial_state,
    immune_params,
    simulate_immune,
    time_to_beta_fraction,
)
from mscsim.physiology.t2dm._baseline import cpeptide_kinetics
from mscsim.physiology.t2dm._equations import Patient, Shared, Slow, glucose_qss
from mscsim.population._random import lognormal

F64 = NDArray[np.float64]

RANDOM_EFFECTS: tuple[str, ...] = (
    "age",
    "sex",
    "weight",
    "height",
    "duration",
    "residual_beta",
    "kill",
    "full_dose",
    "fpg_goal",
)

DISEASE_POINT: DiseasePoint = "early"  # the authors' Treg suppression: onset in about 2 years
ANTIGEN_PRESENTATION: AntigenPresentation = "low"


def t1_immune_params() -> ImmuneParams:
    return immune_params(disease_point=DISEASE_POINT, antigen_presentation=ANTIGEN_PRESENTATION)


def onset_state(p: ImmuneParams) -> ImmuneState:
    """State of the immune model when beta cells reach its onset fraction (clinical diagnosis)."""
    frac = disease_beta_fraction()
    coarse = np.arange(0.0, 365.0 * 60.0, 1.0)
    t_onset = time_to_beta_fraction(simulate_immune(coarse, params=p), frac)
    if not math.isfinite(t_onset):
        raise RuntimeError("the immune model never reaches onset with these parameters")
    res = simulate_immune([0.0, t_onset], params=p)
    return ImmuneState(*(float(np.asarray(s)[-1]) for s in res.states))


def t1_shared(v: Mapping[str, float], base: Shared, p: ImmuneParams) -> T1Shared:
    days = v["hsc_conditioning_days"]
    return T1Shared(
        base=base,
        immune=p,
        cells_per_mg=immune_initial_state().beta_cells / base.beta_healthy,
        gad_rate=math.log(2.0) / v["t1d_gad_half_life"],
        titration_gain=v["t1d_titration_gain"],
        titration_max_step=v["t1d_titration_max_step"],
        conditioning_rate=-math.log(v["hsc_conditioning_residual"]) / days,
        conditioning_treg_rate=-math.log(v["hsc_conditioning_treg_residual"]) / days,
        conditioning_days=days,
        ipc_inflow_rate=math.log(2.0) / v["ipc_inflow_half_life"],
        graft=graft_constants(v),
        mg_per_islet=base.beta_healthy / v["t1d_islets_per_pancreas"],
    )


def no_graft(n: int, glucose_reference: float) -> Setup:
    """An empty islet graft bed (arms without islets); glucotoxicity is still read against the
    human reference glucose, so an empty graft's rates stay finite (0 x finite)."""
    zeros = np.zeros(n)
    return Setup(*(zeros for _ in Setup._fields))._replace(
        glucose_reference=zeros + glucose_reference, secretion_ec50=zeros + glucose_reference
    )


def _glucotoxic_function(
    beta_mass: F64, r: float, si: F64, sh: Shared, iters: int = 40
) -> tuple[F64, F64]:
    """Beta-cell function and glucose at the untreated steady state (function <-> glucose)."""
    phi = np.ones_like(beta_mass)
    g = np.full_like(beta_mass, 100.0)
    for _ in range(iters):
        c_endo = beta_mass * phi * sh.sigma / sh.k
        g = glucose_qss(r, c_endo, 0.0, si, g, sh, np, iters=30)
        phi = 1.0 / (1.0 + sh.q_glucose * np.maximum(g / sh.g_ref - 1.0, 0.0))
    return phi, g


def at_diagnosis(
    z: Mapping[str, F64], v: Mapping[str, float], sh: T1Shared, onset: ImmuneState
) -> tuple[T1Patient, T1State, F64, dict[str, F64]]:
    """Patients at diagnosis from standard-normal draws `z` (keys RANDOM_EFFECTS).

    Returns patients (with `clock_stop` = their time since diagnosis in days), states, the
    insulin dose at diagnosis (IU/day) and covariates.
    """
    b = sh.base
    age = np.clip(v["t1d_age_mean"] + v["t1d_age_sd"] * z["age"], 8.0, 70.0)
    female = (ndtr(z["sex"]) < v["t1d_female_share"]).astype(np.float64)
    weight = np.clip(
        lognormal(v["t1d_weight_median"], v["t1d_weight_median__cv"], z["weight"]), 30, 150
    )
    height = (
        np.where(female > 0.5, v["height_female"], v["height_male"]) + v["height_sd"] * z["height"]
    )
    bsa = np.sqrt(height * 100.0 * weight / 3600.0)  # Mosteller
    duration = v["t1d_duration_max"] * ndtr(z["duration"]) ** 2
    residual = np.clip(
        lognormal(
            v["t1d_residual_beta_at_diagnosis"],
            v["t1d_residual_beta_at_diagnosis__cv"],
            z["residual_beta"],
        ),
        0.05,
        0.8,
    )
    kill = lognormal(v["t1d_kill_factor"], v["t1d_kill_factor__cv"], z["kill"])
    full_dose = weight * lognormal(
        v["t1d_full_replacement_dose"], v["t1d_full_replacement_dose__cv"], z["full_dose"]
    )
    goal = np.clip(lognormal(v["t1d_fpg_goal"], v["t1d_fpg_goal__cv"], z["fpg_goal"]), 90, 250)

    si = np.full_like(weight, v["SI"])
    r_fast = b.f_fast * b.R0
    # Effect of one IU/day of injected insulin, so that the patient's full replacement dose holds
    # fasting glucose at goal with no beta cells left (see t1d_full_replacement_dose).
    c_exo = (r_fast / goal - b.EG0) / (si * full_dose)

    beta0 = residual * b.beta_healthy
    phi0, g_untreated = _glucotoxic_function(beta0, b.R0, si, b)
    hba1c0 = (g_untreated + b.adag_intercept) / b.adag_slope
    dose0 = v["t1d_initial_dose"] * weight

    k1, k2, k3, vd = cpeptide_kinetics(age, female, bsa, v)
    volume_ml = v["insulin_volume"] * weight * 1000.0
    isr_conv = volume_ml * 0.006 / 1440.0 / (1.0 - v["hepatic_insulin_extraction"])
    n = weight.shape[0]
    zeros = np.zeros(n)
    ones = zeros + 1.0
    base = Patient(
        weight_kg=weight,
        si_base=si,
        death_multiplier=ones,
        m1_setpoint=ones * v["m1_fraction_healthy"],
        infl0=ones,
        duration0_years=zeros,
        c_exo=c_exo,
        fpg_goal=goal,
        treg_setpoint=ones * v["treg_pct_t2dm"],
        insulin_max=v["insulin_max_per_kg"] * weight,
        insulin_ref=full_dose,
        hgp_factor=ones,
        titration_mode=zeros,
        insulin_treated=ones,
        potency_imm=zeros,
        potency_tro=zeros,
        licensing_pre=zeros,
        isr_conv=isr_conv,
        cpep_k1=k1,
        cpep_k2=k2,
        cpep_k3=k3,
        cpep_vd_l=vd,
    )
    patient = T1Patient(
        base=base,
        kill_factor=kill,
        teff_ref=ones * onset.teff_ln,
        ipc_mg_per_cell=zeros,
        ipc_graft_decay=zeros,
        conditioning_start=zeros + np.inf,
        clock_stop=np.round(duration * 365.25),
        graft_setup=no_graft(n, v["graft_glucose_reference_human"]),
        graft_site_liver=zeros,
        islet_day=zeros + np.inf,
    )
    slow = Slow(
        beta_mass=beta0,
        beta_function=phi0,
        insulin_sensitivity=si,
        m1_fraction=ones * v["m1_fraction_healthy"],
        hba1c=hba1c0,
        treg_pct=ones * v["treg_pct_t2dm"],
    )
    lymph = Lymph(*(ones * x for x in onset[:6]))
    state = T1State(
        slow=slow, lymph=lymph, gad=ones, ipc_graft=zeros, islets=Graft(zeros, zeros, zeros, zeros)
    )
    covariates = {
        "age_years": age,
        "female": female,
        "weight_kg": weight,
        "bmi": weight / height**2,
        "diabetes_duration_years": duration,
        "insulin_treated": ones,
    }
    return patient, state, dose0, covariates
