"""Osteoporosis in a trial: women years after menopause, lumbar-spine and femoral-neck BMD and
the relative hip-fracture risk (Komarova base).

Cohort: each woman's yearly bone loss (mean-one multiplier of the SWAN rate of about 1%/yr) sets
her formation deficit, and BMD at enrolment varies around T-score -2.5 (lumbar) and -2.0 (femoral
neck, the same woman's multiplier). Exposure: bone, by the share of a dose that homes there (IV
cells mostly stay in the lung; an intra-bone injection is mostly retained) and its residence;
exosomes carry the miRNA terms. The product's cells may be BMP2 gene-modified
(`genetic_modification: bmp2`) and autologous (`autologous: true`: the patient's own BM-MSCs,
with her osteogenic-to-adipogenic shift); both are arm inputs (`OsteoProduct`). No standard of
care is modelled yet (bisphosphonates are named by the seed but not parameterised). Responder:
BMD above baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mscsim.physiology.brain_delivery import brain_delivery_params
from mscsim.physiology.osteoporosis._bmd import femoral_neck_bmd, hip_fracture_risk
from mscsim.physiology.osteoporosis._komarova import KomarovaState
from mscsim.physiology.osteoporosis._patient import (
    UNMODIFIED,
    OsteoProduct,
    formation_deficit_for_loss,
    osteo_initial_state,
    osteo_params,
    osteo_product,
    osteo_rates,
    simulate_osteoporosis,
)
from mscsim.population import lognormal
from mscsim.scenario import Arm, ScenarioError
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
    bmd_fn = bmd * (v["op_bmd_fn_initial"] / v["op_bmd_initial"])
    extra = {"bmd_baseline": bmd, "bmd_fn_baseline": np.asarray(bmd_fn, dtype=np.float64)}
    return Cohort(params, initial, covariates(z, v, "op"), extra)


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


def _product(arm: Arm | None) -> tuple[bool, bool]:
    if arm is None or arm.product is None:
        return False, False
    return arm.product.genetic_modification == "bmp2", bool(arm.product.autologous)


def arm_inputs(arm: Arm | None, v: Mapping[str, float]) -> dict[str, float]:
    """The product factors of one arm (`OsteoProduct`: 1 and 1 for unmodified donor cells)."""
    bmp2, autologous = _product(arm)
    if not (bmp2 or autologous):
        return {k: float(x) for k, x in UNMODIFIED._asdict().items()}
    gain = v["op_bmp2_osteogenic_gain"] if bmp2 else 1.0
    shift = v["op_autologous_osteogenic_potency"] if autologous else 1.0
    return {"bmp2_osteoinduction": gain, "autologous_adipogenic_shift": shift}


def rates(y: Any, s: F64, p: Any, background: Background, extra: dict[str, F64], xp: Any) -> Any:
    # Exosome arms act through the miRNA terms, cell arms through differentiation and
    # growth factors (`extra["exosomes"]` marks each patient's arm), scaled by the product.
    product = OsteoProduct(*(extra[k] for k in OsteoProduct._fields))
    return osteo_rates(y, s, p, xp, extra["exosomes"], product)


def observe(
    y: KomarovaState, p: Any, background: Background, extra: dict[str, F64]
) -> dict[str, F64]:
    base_fn = extra["bmd_fn_baseline"]
    fn = femoral_neck_bmd(
        y.bone_mass / 100.0, baseline_g_cm2=base_fn, site_ratio=p.femoral_neck_site_ratio
    )
    risk = hip_fracture_risk(
        fn, baseline_g_cm2=base_fn, rr_per_sd=p.fracture_rr_per_sd, sd_g_cm2=p.femoral_neck_sd
    )
    return {
        "bmd_lumbar_g_cm2": np.asarray(extra["bmd_baseline"] * y.bone_mass / 100.0),
        "bmd_femoral_neck_g_cm2": np.asarray(fn),
        "fracture_risk_rel": np.asarray(risk),
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
    bmp2, autologous = _product(arm)
    res = simulate_osteoporosis(
        t,
        patient(cohort.params, k),
        msc_signal=exp.of_patient(k) if exp.days else 0.0,
        exosomes=exp.form == "exosomes",
        bmd_baseline_g_cm2=float(cohort.extra["bmd_baseline"][k]),
        bmd_femoral_neck_baseline_g_cm2=float(cohort.extra["bmd_fn_baseline"][k]),
        product=osteo_product(bmp2=bmp2, autologous=autologous),
        initial=patient(cohort.initial, k),
    )
    return {
        "bmd_lumbar_g_cm2": res.bmd_g_cm2,
        "bmd_femoral_neck_g_cm2": res.bmd_femoral_neck_g_cm2,
        "fracture_risk_rel": res.fracture_risk_rel,
    }


def responders(visits: dict[str, F64], days: F64, v: Mapping[str, float]) -> dict[str, F64]:
    bmd = visits["bmd_lumbar_g_cm2"]
    return {"bmd_above_baseline": bmd > bmd[:, :1]}


def check_arm(i: int, arm: Arm) -> None:
    """BMP2 modification and the autologous shift are properties of living BM-MSCs."""
    product = arm.product
    if product is None or product.form == "placebo":
        return
    for key in ("genetic_modification", "autologous"):
        value = getattr(product, key)
        if value is not None and product.form != "cells":
            raise ScenarioError(
                ("arms", i, "product", key),
                value,
                f"only for form cells in osteoporosis (a property of the living cells), "
                f"not {product.form}",
            )
    if product.autologous and product.source != "bone_marrow":
        raise ScenarioError(
            ("arms", i, "product", "autologous"),
            True,
            f"only for source bone_marrow (the osteoporotic patients' own BM-MSCs, seed 000 "
            f"§2.1 ref [9]), not {product.source}",
        )


OSTEOPOROSIS = AgingDisease(
    name="osteoporosis",
    parameter_modules=("bone", "brain_delivery"),
    random_effects=(*COVARIATE_EFFECTS, "op_bone_loss", "op_bmd"),
    endpoint_units={
        "bmd_lumbar_g_cm2": "g/cm^2",
        "bmd_femoral_neck_g_cm2": "g/cm^2",
        "fracture_risk_rel": "relative to enrolment",
    },
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
    check_arm=check_arm,
    arm_inputs=arm_inputs,
)
