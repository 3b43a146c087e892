"""Virtual T2DM patients: covariates, between-patient variability and a consistent baseline.

A patient's baseline is built in closed form so that the fast variables already sit on their
quasi-steady state and the slow states are in the quasi-stationary disease state that trials enrol
(stable dose, slowly declining beta cells): no burn-in run is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from mscsim.physiology.t2dm._equations import Patient, Shared, Slow, glucose_qss
from mscsim.population._random import lognormal

RANDOM_EFFECTS: tuple[str, ...] = (
    "age",
    "sex",
    "weight",
    "height",
    "duration",
    "hba1c",
    "insulin_treated",
    "insulin_dose",
    "beta_decline",
    "beta_function",
    "m1",
    "treg",
)

F64 = NDArray[np.float64]


class Baseline(NamedTuple):
    patient: Patient
    slow: Slow
    insulin_dose: F64
    g_mean: F64
    g_fast: F64
    covariates: dict[str, F64]


def shared_constants(v: Mapping[str, float], local_target_index: int) -> Shared:
    """Population constants in model units from a flat name -> value mapping."""
    return Shared(
        R0=v["R0"],
        EG0=v["EG0"],
        sigma=v["sigma"],
        alpha=v["alpha"],
        k=v["k"],
        d0=v["d0"],
        r1=v["r1"],
        r2=v["r2"],
        kappa_h=1.0 / (v["beta_turnover_time"] * v["d0"]),
        beta_healthy=v["beta_healthy"],
        k_phi=v["beta_function_recovery_rate"],
        q_glucose=v["glucotoxicity_gain"],
        q_inflammation=v["inflammation_dysfunction_gain"],
        g_ref=v["glucose_reference"],
        gamma_beta=v["inflammation_beta_death_gain"],
        gamma_si=v["inflammation_si_gain"],
        k_si=v["si_relaxation_rate"],
        k_pol=v["macrophage_repolarisation_rate"],
        k_switch=v["m1_switch_rate_max"],
        m1_healthy=v["m1_fraction_healthy"],
        p_max=v["protection_max"],
        rho_max=v["function_recovery_max"],
        nu_max=v["neogenesis_max"],
        tau_prog=v["progenitor_decay_time"],
        s_max=v["sensitisation_max"],
        tau_a=v["hba1c_time_constant"],
        adag_slope=v["adag_slope"],
        adag_intercept=v["adag_intercept"],
        f_fast=v["fasting_appearance_fraction"],
        lic_max=v["licensing_max"],
        n50_systemic=v["n50_systemic"],
        n50_local=v["n50_local"],
        local_target_index=local_target_index,
        titr_elasticity=v["titration_elasticity"],
        titr_adherence=v["titration_adherence"],
        ttt_goal=v["ttt_fpg_goal"],
        ttt_step=v["ttt_step"],
        ttt_max_step=v["ttt_max_step"],
        ttt_hypo_threshold=v["ttt_hypo_threshold"],
        ttt_hypo_reduction=v["ttt_hypo_reduction"],
        k_treg=v["treg_turnover_rate"],
        treg_induction_max=v["treg_induction_max"],
        treg_max=v["treg_max_pct"],
    )


def cpeptide_kinetics(age: F64, female: F64, bsa: F64, v: Mapping[str, float]) -> tuple[F64, ...]:
    """Van Cauter 1992 standard two-compartment parameters (k1, k2, k3 per min; Vd in L)."""
    a = math.log(2.0) / v["cpep_short_half_life"]
    b = math.log(2.0) / (v["cpep_long_half_life_slope"] * age + v["cpep_long_half_life_intercept"])
    f = v["cpep_fraction_short"]
    k2 = f * b + (1.0 - f) * a
    k3 = a * b / k2
    k1 = a + b - k2 - k3
    vd = np.where(
        female > 0.5,
        v["cpep_vd_bsa_female"] * bsa + v["cpep_vd_offset_female"],
        v["cpep_vd_bsa_male"] * bsa + v["cpep_vd_offset_male"],
    )
    return k1, k2, k3, vd


def build_baseline(z: Mapping[str, F64], v: Mapping[str, float], sh: Shared) -> Baseline:
    """Patients from standard-normal draws `z` (keys RANDOM_EFFECTS) and parameter values `v`."""
    age = np.clip(v["age_mean"] + v["age_sd"] * z["age"], 18.0, 95.0)
    female = (ndtr(z["sex"]) < v["female_share"]).astype(np.float64)
    weight = np.clip(lognormal(v["weight_median"], v["weight_median__cv"], z["weight"]), 35, 250)
    height = (
        np.where(female > 0.5, v["height_female"], v["height_male"]) + v["height_sd"] * z["height"]
    )
    bmi = weight / height**2
    bsa = np.sqrt(height * 100.0 * weight / 3600.0)  # Mosteller
    duration = np.clip(
        lognormal(v["duration_median"], v["duration_median__cv"], z["duration"]), 0.1, 50
    )
    hba1c_target = np.clip(v["hba1c_mean"] + v["hba1c_sd"] * z["hba1c"], 5.0, 14.0)
    treated = (ndtr(z["insulin_treated"]) < v["insulin_treated_share"]).astype(np.float64)

    decline = lognormal(v["beta_decline_rate"], v["beta_decline_rate__cv"], z["beta_decline"])
    m1 = np.clip(
        lognormal(v["m1_fraction_t2dm"], v["m1_fraction_t2dm__cv"], z["m1"]),
        v["m1_fraction_healthy"],
        0.95,
    )
    infl0 = m1 / v["m1_fraction_healthy"]
    treg0 = lognormal(v["treg_pct_t2dm"], v["treg_pct_t2dm__cv"], z["treg"])

    g_target = sh.adag_slope * hba1c_target - sh.adag_intercept
    dysfunction = sh.q_glucose * np.maximum(g_target / sh.g_ref - 1.0, 0.0) + sh.q_inflammation * (
        np.maximum(infl0 - 1.0, 0.0)
    )
    phi0 = 1.0 / (1.0 + dysfunction)
    beta_eff = (
        lognormal(
            v["beta_function_at_diagnosis"], v["beta_function_at_diagnosis__cv"], z["beta_function"]
        )
        * np.exp(-decline * duration)
        * sh.beta_healthy
    )
    beta0 = beta_eff / phi0

    dose0 = (
        treated
        * lognormal(v["insulin_dose_per_kg"], v["insulin_dose_per_kg__cv"], z["insulin_dose"])
        * weight
    )
    volume_ml = v["insulin_volume"] * weight * 1000.0
    c_exo = 1.0e6 / (volume_ml * sh.k)
    c_endo = beta_eff * sh.sigma / sh.k
    s = g_target**2 / (sh.alpha + g_target**2)
    si = (sh.R0 / g_target - sh.EG0) / (c_endo * s + c_exo * dose0)
    si = np.clip(si, v["insulin_sensitivity_min"], v["SI"] * 3.0)
    # Where the clip bit, the baseline glucose follows from the clipped sensitivity instead.
    g_mean = glucose_qss(sh.R0, c_endo, c_exo * dose0, si, g_target, sh, np, iters=60)
    g_fast = glucose_qss(sh.f_fast * sh.R0, c_endo, c_exo * dose0, si, g_mean, sh, np, iters=60)
    hba1c0 = (g_mean + sh.adag_intercept) / sh.adag_slope

    # Death multiplier that makes the untreated beta-cell mass fall at the patient's UKPDS rate.
    growth = sh.r1 * g_mean - sh.r2 * g_mean**2
    death_multiplier = (growth + decline / 365.25 / sh.kappa_h) / sh.d0

    k1, k2, k3, vd = cpeptide_kinetics(age, female, bsa, v)
    isr_conv = volume_ml * 0.006 / 1440.0 / (1.0 - v["hepatic_insulin_extraction"])
    n = age.shape[0]
    zeros = np.zeros(n)
    patient = Patient(
        weight_kg=weight,
        si_base=si,
        death_multiplier=death_multiplier,
        m1_setpoint=m1,
        infl0=infl0,
        duration0_years=duration,
        c_exo=c_exo,
        fpg_goal=g_fast,
        treg_setpoint=treg0,
        insulin_max=v["insulin_max_per_kg"] * weight,
        insulin_ref=dose0,
        hgp_factor=zeros + 1.0,
        titration_mode=zeros,
        insulin_treated=treated,
        potency_imm=zeros,
        potency_tro=zeros,
        licensing_pre=zeros,
        isr_conv=isr_conv,
        cpep_k1=k1,
        cpep_k2=k2,
        cpep_k3=k3,
        cpep_vd_l=vd,
    )
    slow = Slow(
        beta_mass=beta0,
        beta_function=phi0 + zeros,
        insulin_sensitivity=si,
        m1_fraction=m1,
        hba1c=hba1c0,
        treg_pct=treg0,
    )
    covariates = {
        "age_years": age,
        "female": female,
        "weight_kg": weight,
        "bmi": bmi,
        "diabetes_duration_years": duration,
        "insulin_treated": treated,
    }
    return Baseline(patient, slow, dose0, g_mean, g_fast, covariates)
