"""Parkinson's disease in a trial: early untreated PD (PPMI), MDS-UPDRS III, levodopa.

Cohort: the disease hazard k varies between patients (mean-one multiplier, so the cohort keeps
PPMI's +2.4 points/yr), and so does the striatal terminal fraction at enrolment (baseline score).
Exposure: the nigra (`_brain`). Standard of care: levodopa, symptomatic (the score, not the
states). Responder: MDS-UPDRS III improved by at least the minimal clinically important
difference (3.25 points, Horvath 2015), and no worsening.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.physiology.parkinson import (
    ParkinsonState,
    parkinson_initial_state,
    parkinson_params,
    parkinson_rates,
    simulate_parkinson,
    updrs3,
)
from mscsim.population import lognormal
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
TARGET = "nigra"


def build(z: dict[str, F64], v: Mapping[str, float]) -> Cohort:
    n = len(z["age"])
    p0 = parkinson_params()
    y0 = parkinson_initial_state(p=p0)
    k = p0.soma_loss_rate * mean_one(v["pd_progression_cv"], z["pd_progression"])
    terminals = np.minimum(
        lognormal(y0.terminals, v["pd_terminals_cv"], z["pd_terminals"]), y0.somata
    )
    params = per_patient(p0, n, soma_loss_rate=k)
    initial = per_patient(y0, n, terminals=terminals, dopamine=terminals)
    return Cohort(params, initial, covariates(z, v, "pd"), {})


def exposure(arm: Arm | None, cohort: Cohort, v: Mapping[str, float]) -> Exposure:
    return brain_exposure(arm, cohort.covariates["weight_kg"], v, TARGET)


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64], xp: Any) -> Any:
    return parkinson_rates(y, s, p, xp)


def observe(
    y: ParkinsonState, p: Any, background: Background, extra: dict[str, F64]
) -> dict[str, F64]:
    lev = background.get("levodopa", 0.0)
    return {
        "updrs3": np.asarray(updrs3(y.dopamine, p, np, levodopa=lev)),
        "striatal_dopamine_pct": 100.0 * np.asarray(y.dopamine),
        "updrs3_off": np.asarray(updrs3(y.dopamine, p, np)),
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
    res = simulate_parkinson(
        t,
        patient(cohort.params, k),
        msc_signal=brain_reference_signal(arm, exp, k, TARGET) if exp.days else 0.0,
        levodopa=background.get("levodopa", 0.0),
        initial=patient(cohort.initial, k),
    )
    return {"updrs3": res.updrs3, "striatal_dopamine_pct": 100.0 * res.states.dopamine}


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    change = visits["updrs3"] - visits["updrs3"][:, :1]
    return {
        "updrs3_improved_by_mcid": change <= -v["pd_updrs3_mcid"],
        "updrs3_not_worse": change <= 0.0,
    }


PARKINSON = AgingDisease(
    name="parkinson",
    parameter_modules=("parkinson", "brain_delivery"),
    random_effects=(*COVARIATE_EFFECTS, "pd_progression", "pd_terminals"),
    endpoint_units={"updrs3": "points", "striatal_dopamine_pct": "% of healthy"},
    variable_units={
        "updrs3_off": "points",
        "terminals": "fraction of healthy",
        "somata": "fraction of healthy",
        "synuclein": "relative to enrolment",
        "microglia": "activated fraction",
        "dopamine": "fraction of healthy",
        "microvessels": "relative to untreated PD",
    },
    routes=BRAIN_ROUTES,
    therapies=("levodopa",),
    criteria=(),
    signal_name="nigra_msc_signal",
    build=build,
    exposure=exposure,
    rates=rates,
    observe=observe,
    reference=reference,
    responders=responders,
)
