"""Alzheimer's disease in a trial: mild AD (CERAD), MMSE, brain exposure by form and route.

Cohort: the neuron hazard varies between patients (mean-one multiplier, so the cohort keeps
CERAD's -3.4 points/yr at MMSE 21) and so does MMSE at enrolment. Exposure: the whole brain
(`_brain`). No standard of care is modelled (cholinesterase inhibitors are symptomatic and not in
the seed). Responder: MMSE lost at less than 1 point per year.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.physiology.alzheimer import (
    MMSE_MAX,
    AlzheimerState,
    alzheimer_initial_state,
    alzheimer_params,
    alzheimer_rates,
    mmse,
    simulate_alzheimer,
)
from mscsim.scenario import Arm
from mscsim.trial._aging._brain import BRAIN_ROUTES, brain_exposure, brain_reference_signal
from mscsim.trial._aging._exposure import Exposure
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
TARGET = "brain"
MMSE_ENROLMENT_RANGE = (10.0, 29.0)  # mild-to-moderate AD at enrolment


def build(z: dict[str, F64], v: Mapping[str, float]) -> Cohort:
    n = len(z["age"])
    p0 = alzheimer_params()
    y0 = alzheimer_initial_state(p=p0)
    k = p0.neuron_loss_rate * mean_one(v["ad_progression_cv"], z["ad_progression"])
    score = np.clip(MMSE_MAX * y0.neurons + v["ad_mmse_sd"] * z["ad_mmse"], *MMSE_ENROLMENT_RANGE)
    params = per_patient(p0, n, neuron_loss_rate=k)
    initial = per_patient(y0, n, neurons=score / MMSE_MAX)
    return Cohort(params, initial, covariates(z, v, "ad"), {})


def exposure(arm: Arm | None, cohort: Cohort, v: Mapping[str, float]) -> Exposure:
    return brain_exposure(arm, cohort.covariates["weight_kg"], v, TARGET)


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64], xp: Any) -> Any:
    return alzheimer_rates(y, s, p, xp)


def observe(
    y: AlzheimerState, p: Any, background: Background, extra: dict[str, F64]
) -> dict[str, F64]:
    return {"mmse": np.asarray(mmse(y.neurons, np))}


def reference(
    k: int,
    cohort: Cohort,
    arm: Arm,
    exp: Exposure,
    background: Background,
    t: F64,
    v: Mapping[str, float],
) -> dict[str, F64]:
    res = simulate_alzheimer(
        t,
        patient(cohort.params, k),
        msc_signal=brain_reference_signal(arm, exp, k, TARGET) if exp.days else 0.0,
        initial=patient(cohort.initial, k),
    )
    return {"mmse": res.mmse}


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    change = visits["mmse"] - visits["mmse"][:, :1]
    years = np.asarray(days, dtype=np.float64)[None, :] / 365.25
    return {"mmse_decline_below_1_per_year": change > -v["ad_mmse_stable_decline"] * years}


ALZHEIMER = AgingDisease(
    name="alzheimer",
    parameter_modules=("alzheimer", "brain_delivery"),
    random_effects=(*COVARIATE_EFFECTS, "ad_progression", "ad_mmse"),
    endpoint_units={"mmse": "points"},
    variable_units={
        "amyloid": "fraction of plateau",
        "microglia": "activated fraction",
        "neurons": "fraction of healthy",
    },
    routes=BRAIN_ROUTES,
    therapies=(),
    criteria=(),
    signal_name="brain_msc_signal",
    build=build,
    exposure=exposure,
    rates=rates,
    observe=observe,
    reference=reference,
    responders=responders,
)
