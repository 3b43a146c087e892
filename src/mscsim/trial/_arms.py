"""From a scenario's arms to model inputs: background therapy, product potency, dosing."""

from __future__ import annotations

import numpy as np

from mscsim.engine._fast import ArmDosing
from mscsim.engine._schedule import Grid, per_day
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._equations import Patient
from mscsim.scenario import Arm
from mscsim.trial._support import is_placebo


def standard_of_care(pat: Patient, therapies: tuple[str, ...], v: dict[str, float]) -> Patient:
    """Background therapy given to every arm from day 0 (a control arm is a real control arm).

    metformin: hepatic glucose output falls by `metformin_hgp_suppression` (Hundal 2000);
    insulin_treat_to_target: everyone is titrated weekly toward FPG 100 mg/dL (Riddle 2003),
    insulin-naive patients included.
    """
    if "metformin" in therapies:
        pat = pat._replace(hgp_factor=pat.hgp_factor * (1.0 - v["metformin_hgp_suppression"]))
    if "insulin_treat_to_target" in therapies:
        ones = np.ones_like(pat.weight_kg)
        pat = pat._replace(titration_mode=ones, insulin_treated=ones)
    return pat


def arm_patient(arm: Arm, base: Patient, v: dict[str, float]) -> Patient:
    if arm.product is None or is_placebo(arm):
        return base
    pot = msc_core.product_potency(
        source=str(arm.product.source),
        passage=arm.product.passage,
        preconditioning=str(arm.product.preconditioning or "none"),
        thawed=bool(arm.product.thawed),
        p=v,
    )
    ones = np.ones_like(base.weight_kg)
    return base._replace(
        potency_imm=ones * pot.immunomodulatory,
        potency_tro=ones * pot.trophic,
        licensing_pre=ones * pot.preconditioning_licensing,
    )


def arm_dosing(arm: Arm, pat: Patient, grid: Grid, v: dict[str, float]) -> ArmDosing:
    """Live cells per dose day, per-patient scale and route vector of one arm."""
    n_comp = len(msc_core.COMPARTMENTS)
    if arm.regimen is None or arm.product is None or is_placebo(arm):
        return ArmDosing(np.zeros(grid.day.shape), np.zeros_like(pat.weight_kg), np.zeros(n_comp))
    reg = arm.regimen
    per_kg = str(reg.dose_unit).endswith("/kg")
    viability = (arm.product.viability_pct or 100.0) / 100.0
    scale = (pat.weight_kg if per_kg else np.ones_like(pat.weight_kg)) * viability
    amount = per_day({round(d): float(reg.dose or 0.0) for d in reg.schedule_days}, grid)
    return ArmDosing(amount, scale, msc_core.route_vector(str(reg.route), v))
