"""Atherosclerosis in a trial: coronary disease on IVUS, percent atheroma volume, statin.

Cohort: untreated LDL-C and PAV at enrolment vary between patients; plaque then changes linearly
in achieved LDL-C with no change near 75 mg/dL (the module's calibration). Exposure: systemic,
by the MSC core's compartment kinetics for cells (IV: lung first pass; intracoronary: the
coronary bed arrests most cells on the first pass, counted against the local half-saturation),
and a day-long tissue residence for exosomes. Standard of care: statin (lowers LDL-C).
Responder: PAV regression (any fall from baseline).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.physiology import msc_core
from mscsim.physiology.atherosclerosis import (
    AtheroState,
    athero_initial_state,
    athero_params,
    athero_rates,
    default_ldl,
    simulate_atherosclerosis,
    treated_ldl,
)
from mscsim.physiology.brain_delivery import brain_delivery_params
from mscsim.population import lognormal
from mscsim.scenario import Arm
from mscsim.trial._aging._exposure import (
    Exposure,
    core_kernel,
    core_start,
    decay,
    dose_totals,
    no_exposure,
    potency,
)
from mscsim.trial._aging._model import (
    COVARIATE_EFFECTS,
    AgingDisease,
    Background,
    Cohort,
    covariates,
    patient,
    per_patient,
)

F64 = np.ndarray
CELL_ROUTES = ("iv", "intracoronary")


def build(z: dict[str, F64], v: Mapping[str, float]) -> Cohort:
    n = len(z["age"])
    p0 = athero_params()
    y0 = athero_initial_state(p=p0)
    ldl = lognormal(default_ldl(), v["ath_ldl_cv"], z["ath_ldl"])
    pav = np.clip(lognormal(y0.pav, v["ath_pav_cv"], z["ath_pav"]), 5.0, 80.0)
    cov = {**covariates(z, v, "ath"), "ldl_mg_dl": ldl}
    return Cohort(per_patient(p0, n), per_patient(y0, n, pav=pav), cov, {"ldl_untreated": ldl})


def exposure(arm: Arm | None, cohort: Cohort, v: Mapping[str, float]) -> Exposure:
    n = len(cohort.covariates["weight_kg"])
    if arm is None or arm.regimen is None or arm.product is None:
        return no_exposure(n)
    form, route = str(arm.product.form), str(arm.regimen.route)
    n50 = v["n50_systemic"]
    if form == "cells":
        # Live cells anywhere act systemically; cells held in the coronary bed act locally.
        weights = np.ones(len(msc_core.COMPARTMENTS))
        if route == "intracoronary":
            weights[msc_core.index("target")] = n50 / v["n50_local"]
        kernel = core_kernel(core_start(route, v), weights, v)
    else:
        per_eq = brain_delivery_params().particles_per_msc_equivalent
        kernel = decay(1.0 / per_eq, v["exosome_systemic_half_life"])
    amount = dose_totals(arm, cohort.covariates["weight_kg"], v) * potency(
        arm, v, "immunomodulatory"
    )
    return Exposure(tuple(float(d) for d in arm.regimen.schedule_days), amount, kernel, n50, form)


def _ldl(extra: Mapping[str, Any], p: Any, background: Background) -> Any:
    """LDL-C on the background statin (NumPy or JAX arrays, as `extra` holds them)."""
    return treated_ldl(extra["ldl_untreated"], background.get("statin", 0.0), p)


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64], xp: Any) -> Any:
    return athero_rates(y, _ldl(extra, p, background), s, p, xp)


def observe(
    y: AtheroState, p: Any, background: Background, extra: dict[str, F64]
) -> dict[str, F64]:
    ldl = np.asarray(_ldl(extra, p, background))
    return {"pav_pct": np.asarray(y.pav), "ldl_mg_dl": np.broadcast_to(ldl, np.shape(y.pav))}


def reference(
    k: int,
    cohort: Cohort,
    arm: Arm,
    exp: Exposure,
    background: Background,
    t: F64,
    v: Mapping[str, float],
) -> dict[str, F64]:
    res = simulate_atherosclerosis(
        t,
        patient(cohort.params, k),
        msc_signal=exp.of_patient(k) if exp.days else 0.0,
        ldl_mg_dl=float(cohort.extra["ldl_untreated"][k]),
        statin=background.get("statin", 0.0),
        initial=patient(cohort.initial, k),
    )
    return {"pav_pct": res.pav_pct}


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    return {"pav_regression": visits["pav_pct"] < visits["pav_pct"][:, :1]}


ATHEROSCLEROSIS = AgingDisease(
    name="atherosclerosis",
    parameter_modules=("atherosclerosis", "brain_delivery"),
    random_effects=(*COVARIATE_EFFECTS, "ath_ldl", "ath_pav"),
    endpoint_units={"pav_pct": "%", "ldl_mg_dl": "mg/dL"},
    variable_units={
        "pav": "%",
        "enos_no": "fraction of healthy",
        "oxidative_stress": "relative to untreated disease",
        "adhesion": "relative to untreated disease",
        "m1_fraction": "of plaque macrophages",
        "treg": "relative to untreated disease",
        "vsmc_synthetic": "synthetic share of plaque VSMCs",
    },
    routes={"cells": CELL_ROUTES, "exosomes": ("iv",)},
    therapies=("statin",),
    criteria=("ldl_mg_dl",),
    signal_name="systemic_msc_signal",
    build=build,
    exposure=exposure,
    rates=rates,
    observe=observe,
    reference=reference,
    responders=responders,
)
