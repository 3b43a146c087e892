"""Lumbar-spine BMD read-out of a bone-remodelling model: a scaling, not a mechanism.

The remodelling bases track bone mass at one site relative to its steady state (Komarova's z
in % of its start). A DXA scan reads areal density (g/cm^2) over L1-L4. Until a calibrated
link exists, bone mass relative to the steady state is read as BMD relative to a reference: by
default the young-adult mean of the NHANES 2005-2008 reference (women aged 21-30 as tabulated by
Varatharajan 2026, 1.064 g/cm^2), so a healthy steady state reads as T-score 0. A patient
module passes its own baseline BMD as the reference to map a model's relative change onto that
patient. The scaling assumes that a site's bone mass and the spine's areal BMD change by the
same fraction; it ignores bone size, the lag of mineralisation and the mix of trabecular and
cortical bone.
"""

from __future__ import annotations

from typing import Any

from mscsim.params import ParameterSet, load_module, value_in

Array = Any  # a jax or numpy array (or float)

MODULE = "bone"
_G_CM2 = "g/cm**2"


def young_adult_lumbar_bmd(params: ParameterSet | None = None) -> tuple[float, float]:
    """Young-adult reference lumbar-spine BMD: (mean, SD) in g/cm^2 from the `bone` table."""
    ps = params if params is not None else load_module(MODULE)
    return (
        value_in(ps, "bmd_lumbar_young_adult_mean", _G_CM2),
        value_in(ps, "bmd_lumbar_young_adult_sd", _G_CM2),
    )


def lumbar_spine_bmd(relative_bone_mass: Array, *, reference_g_cm2: float | None = None) -> Array:
    """Lumbar-spine BMD (g/cm^2) for bone mass relative to its steady state (1 = steady state).

    A proportional scaling: BMD = reference x relative bone mass, with the young-adult mean as
    the default reference (see the module docstring for what the scaling ignores). For
    Komarova's model pass z / 100.
    """
    ref = young_adult_lumbar_bmd()[0] if reference_g_cm2 is None else reference_g_cm2
    if not ref > 0:
        raise ValueError(f"reference_g_cm2 = {ref!r} must be a positive BMD in g/cm^2")
    return ref * relative_bone_mass


def lumbar_spine_t_score(bmd_g_cm2: Array) -> Array:
    """T-score: SDs from the young-adult mean (WHO osteoporosis at -2.5 or below)."""
    mean, sd = young_adult_lumbar_bmd()
    return (bmd_g_cm2 - mean) / sd


def femoral_neck_bmd(
    relative_bone_mass: Array, *, baseline_g_cm2: Array, site_ratio: Array
) -> Array:
    """Femoral-neck BMD (g/cm^2) from the remodelling site's bone mass relative to enrolment.

    The model has one remodelling site, calibrated to the lumbar spine; the femoral neck changes
    by `site_ratio` times its fractional change (SWAN: femoral-neck loss 9.1% against lumbar
    10.6% over the same 10 years, `op_bone_loss_rate_femoral_neck / op_bone_loss_rate`), for
    loss and MSC-driven gain alike (assumed: the same cells act at both sites).
    """
    return baseline_g_cm2 * (1.0 + site_ratio * (relative_bone_mass - 1.0))


def hip_fracture_risk(
    femoral_neck_g_cm2: Array, *, baseline_g_cm2: Array, rr_per_sd: Array, sd_g_cm2: Array
) -> Array:
    """Hip-fracture risk relative to enrolment: rr_per_sd ** (SDs of femoral-neck BMD lost).

    The gradient of risk of Marshall 1996 (hip BMD for hip fracture: 2.6 per SD decrease),
    applied to a patient's change from her own enrolment BMD: 1 at enrolment, above 1 as BMD
    falls, below 1 as it rises. A proxy: the gradient is cross-sectional (between women), and
    change within a woman is assumed to carry it.
    """
    return rr_per_sd ** ((baseline_g_cm2 - femoral_neck_g_cm2) / sd_g_cm2)
