"""Osteoporosis in a trial: women years after menopause, lumbar-spine BMD (Komarova base).

Cohort: each woman's yearly bone loss (mean-one multiplier of the SWAN rate of about 1%/yr) sets
her formation deficit, and BMD at enrolment varies around T-score -2.5. Exposure: bone, by the
share of a dose that homes there (IV cells mostly stay in the lung; an intra-bone injection is
mostly retained) and its residence; exosomes carry the miRNA channel. No standard of care is
modelled yet (bisphosphonates are named by the seed but not parameterised). Responder: BMD above
baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.physiology.brain_delivery import brain_delivery_params
from mscsim.physiology.osteoporosis._komarova import KomarovaState
from mscsim.physiology.osteoporosis._patient import (
    formation_deficit_for_loss,
    osteo_initial_state,
    osteo_params,
    osteo_rates,
    simulate_osteoporosis,
)
from mscsim.population import lognormal
from mscsim.scenario import Arm
from mscsim.trial._aging._exposure import Exposure, decay, dose_totals, no_exposure, potency
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


def build(z: dict[str, F64], v: Mapping[str, float]) -> Cohort:
    n = len(z["age"])
    p0 = osteo_params()
    loss = v["op_bone_loss_rate"] * mean_one(v["op_bone_loss_cv"], z["op_bone_loss"])
    h = np.asarray(formation_deficit_for_loss(loss, p0.komarova), dtype=np.float64)
    params = per_patient(p0, n, formation_deficit=h)
    initial = osteo_initial_state(params)
    initial = KomarovaState(*(np.asarray(a, dtype=np.float64) for a in initial))
    bmd = lognormal(v["op_bmd_initial"], v["op_bmd_cv"], z["op_bmd"])
    return Cohort(params, initial, covariates(z, v, "op"), {"bmd_baseline": bmd})


def exposure(arm: Arm | None, cohort: Cohort, v: Mapping[str, float]) -> Exposure:
    n = len(cohort.covariates["weight_kg"])
    if arm is None or arm.regimen is None or arm.product is None:
        return no_exposure(n)
    form, route = str(arm.product.form), str(arm.regimen.route)
    if form == "cells":
        kernel = decay(v[f"op_homing_fraction_cells_{route}"], v["op_msc_bone_half_life"])
    else:
        per_eq = brain_delivery_params().particles_per_msc_equivalent
        frac = v[f"op_homing_fraction_exosomes_{route}"] / per_eq
        kernel = decay(frac, v["op_exosome_bone_half_life"])
    amount = dose_totals(arm, cohort.covariates["weight_kg"], v) * potency(arm, v, "trophic")
    days = tuple(float(d) for d in arm.regimen.schedule_days)
    return Exposure(days, amount, kernel, v["op_bone_n50"], form)


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64]) -> Any:
    # Exosome arms act through the miRNA channel, cell arms through differentiation and
    # growth factors (`extra["exosomes"]` marks each patient's arm).
    return osteo_rates(y, s, p, np, extra["exosomes"])


def observe(
    y: KomarovaState, p: Any, background: Background, extra: dict[str, F64]
) -> dict[str, F64]:
    return {"bmd_lumbar_g_cm2": np.asarray(extra["bmd_baseline"] * y.bone_mass / 100.0)}


def reference(
    k: int,
    cohort: Cohort,
    arm: Arm,
    exp: Exposure,
    background: Background,
    t: F64,
    v: Mapping[str, float],
) -> dict[str, F64]:
    res = simulate_osteoporosis(
        t,
        patient(cohort.params, k),
        msc_signal=exp.of_patient(k) if exp.days else 0.0,
        exosomes=exp.form == "exosomes",
        bmd_baseline_g_cm2=float(cohort.extra["bmd_baseline"][k]),
        initial=patient(cohort.initial, k),
    )
    return {"bmd_lumbar_g_cm2": res.bmd_g_cm2}


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    bmd = visits["bmd_lumbar_g_cm2"]
    return {"bmd_above_baseline": bmd > bmd[:, :1]}


OSTEOPOROSIS = AgingDisease(
    name="osteoporosis",
    parameter_modules=("bone", "brain_delivery"),
    random_effects=(*COVARIATE_EFFECTS, "op_bone_loss", "op_bmd"),
    endpoint_units={"bmd_lumbar_g_cm2": "g/cm^2"},
    variable_units={"osteoclasts": "cells", "osteoblasts": "cells", "bone_mass": "% of enrolment"},
    routes={"cells": ("iv", "intrabone"), "exosomes": ("iv",)},
    therapies=(),
    criteria=(),
    signal_name="bone_msc_signal",
    build=build,
    exposure=exposure,
    rates=rates,
    observe=observe,
    reference=reference,
    responders=responders,
)
