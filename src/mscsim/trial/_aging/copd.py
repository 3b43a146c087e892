"""COPD in a trial: GOLD 2-4 (ECLIPSE), FEV1 and an SGRQ-like score, bronchodilator.

Cohort: the FEV1 decline (ageing and disease parts together) varies between patients by a
mean-one multiplier, so the cohort keeps ECLIPSE's -33 mL/yr, and FEV1 varies at enrolment.
Exposure: the lung, cells by `copd._lung` (in the lung within 30 min, cleared over 1-3 days),
exosomes (Exo-d-MAPPS) by their lung share and residence. Standard of care: a long-acting
bronchodilator, symptomatic (UPLIFT). Responders: FEV1 up by at least 100 mL, SGRQ down by at
least 4 units (each the minimal clinically important difference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.physiology.brain_delivery import brain_delivery_params
from mscsim.physiology.copd import (
    CopdBaseline,
    CopdState,
    copd_baseline,
    copd_initial_state,
    copd_params,
    copd_rates,
    exosome_lung_deposition,
    exosome_lung_params,
    exosome_lung_signal_function,
    lung_delivery_params,
    lung_signal_function,
    measured_fev1,
    sgrq,
    simulate_copd,
)
from mscsim.population import lognormal
from mscsim.scenario import Arm
from mscsim.trial._aging._exposure import (
    Exposure,
    arrive_and_decay,
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
    mean_one,
    patient,
    per_patient,
)

F64 = np.ndarray
ROUTES = ("iv", "intratracheal")


def build(z: dict[str, F64], v: Mapping[str, float]) -> Cohort:
    n = len(z["age"])
    p0 = copd_params()
    base = copd_baseline()
    m = mean_one(v["copd_decline_cv"], z["copd_decline"])
    params = per_patient(
        p0, n, ageing_decline=p0.ageing_decline * m, disease_decline=p0.disease_decline * m
    )
    fev1 = lognormal(base.fev1_ml, v["copd_fev1_cv"], z["copd_fev1"])
    initial = per_patient(copd_initial_state(p=p0), n, fev1_ml=fev1)
    extra = {"fev1_baseline_ml": fev1, "sgrq_baseline": np.full(n, base.sgrq)}
    return Cohort(params, initial, covariates(z, v, "copd"), extra)


def exposure(arm: Arm | None, cohort: Cohort, v: Mapping[str, float]) -> Exposure:
    n = len(cohort.covariates["weight_kg"])
    if arm is None or arm.regimen is None or arm.product is None:
        return no_exposure(n)
    form, route = str(arm.product.form), str(arm.regimen.route)
    lp = lung_delivery_params()
    if form == "cells":
        kernel = arrive_and_decay(lp.lung_fraction, lp.arrival_time, lp.clearance_half_life)
    else:  # exosomes (copd._lung: deposition by route, macrophage clearance), MSC-equivalents
        per_eq = brain_delivery_params().particles_per_msc_equivalent
        ep = exosome_lung_params()
        kernel = decay(exosome_lung_deposition(route, ep) / per_eq, ep.clearance_half_life)
    amount = dose_totals(arm, cohort.covariates["weight_kg"], v) * potency(
        arm, v, "immunomodulatory"
    )
    days = tuple(float(d) for d in arm.regimen.schedule_days)
    return Exposure(days, amount, kernel, lp.n50, form)


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64], xp: Any) -> Any:
    return copd_rates(y, s, p, xp)


def observe(y: CopdState, p: Any, background: Background, extra: dict[str, F64]) -> dict[str, F64]:
    bd = background.get("bronchodilator", 0.0)
    return {
        "fev1_ml": np.asarray(measured_fev1(y.fev1_ml, bd, p)),
        "sgrq": np.asarray(
            sgrq(
                y.fev1_ml,
                extra["fev1_baseline_ml"],
                y.inflammation,
                extra["sgrq_baseline"],
                bd,
                p,
                np,
            )
        ),
    }


def reference(
    k: int,
    cohort: Cohort,
    arm: Arm,
    exp: Exposure,
    background: Background,
    t: F64,
    v: Mapping[str, float],
) -> dict[str, F64]:
    if not exp.days:
        signal: Any = 0.0
    elif exp.form == "cells":  # copd._lung itself: an independent check of the kernel
        signal = lung_signal_function(float(exp.amount[k]), exp.days)
    elif exp.form == "exosomes" and arm.regimen is not None:  # copd._lung's exosome kinetics
        signal = exosome_lung_signal_function(
            float(exp.amount[k]),
            str(arm.regimen.route),
            brain_delivery_params().particles_per_msc_equivalent,
            exp.days,
        )
    else:
        signal = exp.of_patient(k)
    base = CopdBaseline(float(cohort.extra["fev1_baseline_ml"][k]), copd_baseline().sgrq)
    res = simulate_copd(
        t,
        patient(cohort.params, k),
        msc_signal=signal,
        bronchodilator=background.get("bronchodilator", 0.0),
        initial=patient(cohort.initial, k),
        baseline=base,
    )
    return {"fev1_ml": res.fev1_ml, "sgrq": res.sgrq}


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    fev1 = visits["fev1_ml"] - visits["fev1_ml"][:, :1]
    score = visits["sgrq"] - visits["sgrq"][:, :1]
    return {
        "fev1_rise_at_least_100_ml": fev1 >= v["copd_fev1_mcid"],
        "sgrq_improved_at_least_4": score <= -v["copd_sgrq_mcid"],
    }


COPD = AgingDisease(
    name="copd",
    parameter_modules=("copd", "brain_delivery"),
    random_effects=(*COVARIATE_EFFECTS, "copd_decline", "copd_fev1"),
    endpoint_units={"fev1_ml": "mL", "sgrq": "units (0-100)"},
    variable_units={
        "inflammation": "relative to untreated COPD",
        "macrophage_m1": "activated fraction",
        "epithelial_apoptosis": "relative to untreated COPD",
    },
    routes={"cells": ROUTES, "exosomes": ROUTES},
    therapies=("bronchodilator",),
    criteria=(),
    signal_name="lung_msc_signal",
    build=build,
    exposure=exposure,
    rates=rates,
    observe=observe,
    reference=reference,
    responders=responders,
)
