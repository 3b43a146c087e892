"""Brain exposure of an arm (Parkinson's and Alzheimer's): `physiology.brain_delivery`.

Exosomes cross the blood-brain barrier and home to the nigra; living cells hardly do (seed 000
§2.2, §3). The kernel is brain_delivery's: fraction(form, route) x share(target) x
exp(-k_form tau), in MSC-equivalents (particles / particles_per_msc_equivalent for exosomes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from mscsim.physiology.brain_delivery import (
    FORMS,
    ROUTES,
    brain_delivery_params,
    brain_signal_function,
    delivered_fraction,
)
from mscsim.scenario import Arm
from mscsim.trial._aging._exposure import Exposure, decay, dose_totals, no_exposure, potency

F64 = np.ndarray
BRAIN_ROUTES: Mapping[str, tuple[str, ...]] = {form: ROUTES for form in FORMS}


def brain_exposure(
    arm: Arm | None, weight_kg: F64, v: Mapping[str, float], target: str
) -> Exposure:
    """The arm's exposure of `target` (brain or nigra) per patient, in MSC-equivalents."""
    n = len(weight_kg)
    if arm is None or arm.regimen is None or arm.product is None or arm.product.form == "placebo":
        return no_exposure(n)
    form, route = str(arm.product.form), str(arm.regimen.route)
    bp = brain_delivery_params()
    per_eq = bp.particles_per_msc_equivalent if form == "exosomes" else 1.0
    frac = delivered_fraction(form, route, target, bp) / per_eq
    amount = dose_totals(arm, weight_kg, v) * potency(arm, v, "trophic")
    return Exposure(
        days=tuple(float(d) for d in arm.regimen.schedule_days),
        amount=amount,
        kernel=decay(frac, bp.half_life[form]),
        n50=bp.n50[target],
        form=form,
    )


def brain_reference_signal(
    arm: Arm, exposure: Exposure, k: int, target: str
) -> Callable[[float], float]:
    """Patient k's signal from brain_delivery itself (an independent check of the kernel)."""
    assert arm.product is not None and arm.regimen is not None
    return brain_signal_function(
        float(exposure.amount[k]),
        str(arm.product.form),
        str(arm.regimen.route),
        tuple(float(d) for d in arm.regimen.schedule_days),
        target,
    )
