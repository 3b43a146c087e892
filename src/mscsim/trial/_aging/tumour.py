"""Tumour in a trial (seed 000 §2.6): Gompertz tumour volume under MSCs in either direction.

The tumour module is at the mouse-xenograft scale of its evidence (treatment from 100 mm3).
Cohort: the Gompertz growth rate and the starting volume vary between patients. Exposure: live
MSCs homed to the tumour (`homed_cells`: an intratumoral dose is mostly retained, an IV dose
mostly stays in the lung), in cells; the product's `tumour_profile` (promoting, suppressing or
neutral: `PROFILE_EVIDENCE`) sets the direction and is required, never defaulted, and
`payload: true` makes the cells drug carriers. Standard of care `chemotherapy` and/or
`radiotherapy` (every arm) debulks each tumour at day 0 by the course's surviving fraction
(`before_day0`), so MSCs are an adjuvant after it, as in most of the seed's registered trials.
Responders by volume after RECIST 1.1 on one spherical tumour: partial response (volume down to
34%) and no progression (below 173%), both against the volume at day 0, after the course.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.params import load_module
from mscsim.physiology.tumour import (
    NO_EFFECT,
    PROFILES,
    JennerState,
    MscTumourEffects,
    MscTumourTreatment,
    carrier_params,
    debulked,
    jenner_params,
    profile_effects,
    simulate_tumour,
    surviving_fraction,
    tumour_initial_state,
    tumour_rates,
    volume_scale,
)
from mscsim.population import lognormal
from mscsim.scenario import MISSING, Arm, ScenarioError
from mscsim.trial._aging._exposure import Exposure, decay, dose_totals, no_exposure
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
ROUTES = ("iv", "intratumoral")


def build(z: dict[str, F64], v: Mapping[str, float]) -> Cohort:
    n = len(z["age"])
    p0 = jenner_params()
    y0 = tumour_initial_state()
    growth = lognormal(float(p0.growth_rate), v["tumour_growth_cv"], z["tumour_growth"])
    u0 = lognormal(float(y0.uninfected), v["tumour_volume_cv"], z["tumour_volume"])
    u0 = np.minimum(u0, 0.9 * float(p0.carrying_capacity))
    params = per_patient(p0, n, growth_rate=growth)
    initial = per_patient(y0, n, uninfected=u0)
    return Cohort(params, initial, covariates(z, v, "tumour"), {})


def before_day0(cohort: Cohort, background: Background, v: Mapping[str, float]) -> Cohort:
    """The tumour after the standard-of-care course (the same surviving fraction for all)."""
    ps = load_module("tumour")
    f = surviving_fraction(
        chemotherapy=bool(background.get("chemotherapy")),
        radiotherapy=bool(background.get("radiotherapy")),
        params=ps,
    )
    if f == 1.0:
        return cohort
    return cohort._replace(initial=debulked(cohort.initial, f))


def exposure(arm: Arm | None, cohort: Cohort, v: Mapping[str, float]) -> Exposure:
    n = len(cohort.covariates["weight_kg"])
    if arm is None or arm.regimen is None or arm.product is None:
        return no_exposure(n)
    route = str(arm.regimen.route)
    cp = carrier_params(route)  # type: ignore[arg-type]
    kernel = decay(float(cp.homing_fraction), float(cp.msc_half_life))
    amount = dose_totals(arm, cohort.covariates["weight_kg"], v)
    days = tuple(float(d) for d in arm.regimen.schedule_days)
    return Exposure(days, amount, kernel, None, str(arm.product.form))


def arm_inputs(arm: Arm | None, v: Mapping[str, float]) -> dict[str, float]:
    """The profile's five effect terms and the payload switch of one arm."""
    if arm is None or arm.product is None or arm.product.tumour_profile is None:
        effects = NO_EFFECT
    else:
        effects = profile_effects(arm.product.tumour_profile)
    payload = 1.0 if arm is not None and arm.product is not None and arm.product.payload else 0.0
    return {**{k: float(x) for k, x in effects._asdict().items()}, "payload": payload}


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64], xp: Any) -> Any:
    effects = MscTumourEffects(**{k: extra[k] for k in MscTumourEffects._fields})
    return tumour_rates(0.0, y, p, effects, s, _carrier(), extra["payload"], xp)


@functools.cache
def _carrier() -> Any:
    """Residence, exposure and payload constants (the route only sets homing, in `exposure`)."""
    return carrier_params("iv")


def observe(
    y: JennerState, p: Any, background: Background, extra: dict[str, F64]
) -> dict[str, F64]:
    return {"tumour_volume_mm3": volume_scale() * np.asarray(y.uninfected + y.infected)}


def reference(
    k: int,
    cohort: Cohort,
    arm: Arm,
    exp: Exposure,
    background: Background,
    t: F64,
    v: Mapping[str, float],
) -> dict[str, F64]:
    p = patient(cohort.params, k)
    ps = load_module("tumour").replace(jenner_growth_rate=p.growth_rate)
    treatment = None
    if exp.days and arm.product is not None and arm.regimen is not None:
        assert arm.product.tumour_profile is not None
        treatment = MscTumourTreatment(
            dose_cells=float(exp.amount[k]),
            route=str(arm.regimen.route),  # type: ignore[arg-type]
            profile=arm.product.tumour_profile,
            schedule_days=exp.days,
            payload=bool(arm.product.payload),
        )
    res = simulate_tumour(t, treatment, initial=patient(cohort.initial, k), params=ps)
    return {"tumour_volume_mm3": res.volume_mm3}


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    ratio = visits["tumour_volume_mm3"] / visits["tumour_volume_mm3"][:, :1]
    return {
        "partial_response": ratio <= v["tumour_response_volume_fraction"],
        "no_progression": ratio < v["tumour_progression_volume_fraction"],
    }


def check_arm(i: int, arm: Arm) -> None:
    """A tumour arm states the direction of the MSC effect: it is an input, not a default."""
    if arm.product is None or arm.product.form == "placebo":
        return
    if arm.product.tumour_profile is None:
        raise ScenarioError(
            ("arms", i, "product", "tumour_profile"),
            MISSING,
            f"required for tumour: one of {', '.join(PROFILES)}, the documented direction of "
            "the MSC effect for this product and tumour type (see "
            "mscsim.physiology.tumour.PROFILE_EVIDENCE)",
        )


TUMOUR = AgingDisease(
    name="tumour",
    parameter_modules=("tumour",),
    random_effects=(*COVARIATE_EFFECTS, "tumour_growth", "tumour_volume"),
    endpoint_units={"tumour_volume_mm3": "mm^3"},
    variable_units={"uninfected": "cell/mL", "infected": "cell/mL", "virus": "particle/mL"},
    routes={"cells": ROUTES},
    therapies=("chemotherapy", "radiotherapy"),
    criteria=(),
    signal_name="tumour_homed_msc",
    build=build,
    exposure=exposure,
    rates=rates,
    observe=observe,
    reference=reference,
    responders=responders,
    check_arm=check_arm,
    arm_inputs=arm_inputs,
    before_day0=before_day0,
)
