"""Mixed-meal tolerance test at a visit: a short fast-timescale simulation, slow states frozen.

Meal: Boost 6 mL/kg up to 360 mL (Greenbaum 2008), absorbed through Dalla Man's two-compartment
gut. On the minute scale glucose follows Bergman's minimal model (glucose effectiveness SG and a
remote insulin action X whose gain is the patient's insulin sensitivity): Topp's slow-scale
equation has an insulin-independent disposal 20 times below Bergman's SG and no delay of insulin
action, so it is valid for day averages but not for a 2-h excursion. Insulin secretion follows
Topp's sigmoid, and C-peptide Van Cauter's two-compartment kinetics driven by pre-hepatic
secretion. Outputs the 2-h glucose (PPG), the 0-120 min C-peptide AUC and peak, and the AUC of
secreted insulin.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from mscsim.physiology.t2dm._equations import (
    Array,
    Patient,
    Shared,
    Slow,
    endogenous_insulin_coeff,
    secretion_fraction,
)
from mscsim.physiology.t2dm._observables import MG_DL_PER_MMOL_L, PMOL_L_PER_NG_ML_CPEPTIDE

MINUTES_PER_DAY = 1440.0


class Meal(NamedTuple):
    carbs_mg_per_kg: float  # carbohydrate of the test meal per kg body weight
    bioavailability: float
    k_gut: float  # 1/min, stomach -> gut
    k_abs: float  # 1/min, gut -> plasma
    glucose_volume_dl_kg: float
    duration_min: int
    glucose_effectiveness: float  # Bergman SG, 1/min
    insulin_action_rate: float  # Bergman p2, 1/min


def mmtt(y: Slow, dose: Array, g_fast: Array, pat: Patient, sh: Shared, meal: Meal) -> dict:
    """PPG (mmol/L at 120 min) and C-peptide AUC (ng/mL*min, 0-120 min) for each patient."""
    c_endo = endogenous_insulin_coeff(y.beta_mass, y.beta_function, sh)
    i_exo = pat.c_exo * dose
    s0 = secretion_fraction(g_fast, sh)
    i0 = c_endo * s0 + i_exo
    isr0 = c_endo * sh.k * s0 * pat.isr_conv
    c1 = isr0 / (pat.cpep_k3 * pat.cpep_vd_l)  # pmol/L at fasting steady state
    c2 = c1 * pat.cpep_k1 / pat.cpep_k2
    carbs = meal.carbs_mg_per_kg * meal.bioavailability / meal.glucose_volume_dl_kg  # mg/dL

    si_min = y.insulin_sensitivity / MINUTES_PER_DAY  # mL/uU/min
    sg = meal.glucose_effectiveness
    p2 = meal.insulin_action_rate

    def rhs(x: tuple[Array, ...]) -> tuple[Array, ...]:
        g, act, ins, q1, q2, cp1, cp2 = x
        s = secretion_fraction(g, sh)
        dg = -(sg + act) * g + sg * g_fast + meal.k_abs * q2
        dact = -p2 * act + p2 * si_min * (ins - i0)
        di = (c_endo * sh.k * s - sh.k * (ins - i_exo)) / MINUTES_PER_DAY
        dq1 = -meal.k_gut * q1
        dq2 = meal.k_gut * q1 - meal.k_abs * q2
        isr = c_endo * sh.k * s * pat.isr_conv / pat.cpep_vd_l  # pmol/L/min
        dc1 = isr - (pat.cpep_k1 + pat.cpep_k3) * cp1 + pat.cpep_k2 * cp2
        dc2 = pat.cpep_k1 * cp1 - pat.cpep_k2 * cp2
        return dg, dact, di, dq1, dq2, dc1, dc2

    def step(x: tuple[Array, ...], _: None) -> tuple[tuple[Array, ...], Array]:
        h = 1.0  # minute
        k1 = rhs(x)
        k2 = rhs(tuple(a + 0.5 * h * b for a, b in zip(x, k1, strict=True)))
        k3 = rhs(tuple(a + 0.5 * h * b for a, b in zip(x, k2, strict=True)))
        k4 = rhs(tuple(a + h * b for a, b in zip(x, k3, strict=True)))
        new = tuple(
            a + h / 6.0 * (b1 + 2 * b2 + 2 * b3 + b4)
            for a, b1, b2, b3, b4 in zip(x, k1, k2, k3, k4, strict=True)
        )
        return new, (new[5], new[2])

    zeros = jnp.zeros_like(g_fast)
    x0 = (g_fast, zeros, i0, zeros + carbs, zeros, c1, c2)
    x_end, (cpep_path, ins_path) = jax.lax.scan(step, x0, None, length=meal.duration_min)
    cpep = jnp.concatenate([c1[None], cpep_path], axis=0) / PMOL_L_PER_NG_ML_CPEPTIDE
    endo = jnp.concatenate([i0[None], ins_path], axis=0) - i_exo
    return {
        "ppg_mmol_l": x_end[0] / MG_DL_PER_MMOL_L,
        "c_peptide_auc": _trapezoid(cpep),
        "c_peptide_peak_ng_ml": jnp.max(cpep, axis=0),
        # Secreted (endogenous) insulin only: assays read injected insulin too, which trials
        # of insulin users subtract or avoid (seed 004 Table 2 row 6, insulin area).
        "insulin_auc": _trapezoid(endo),
    }


def _trapezoid(path: Array) -> Array:
    """Area under a path sampled every minute (time on the first axis).

    Summed minute by minute in a scan, not with `jnp.sum`: XLA's reduction adds in an order
    that depends on the batch shape, and a patient's area must not depend on its batch-mates.
    """

    def add(total: Array, ends: tuple[Array, Array]) -> tuple[Array, None]:
        return total + 0.5 * (ends[0] + ends[1]), None

    total, _ = jax.lax.scan(add, jnp.zeros_like(path[0]), (path[1:], path[:-1]))
    return total
