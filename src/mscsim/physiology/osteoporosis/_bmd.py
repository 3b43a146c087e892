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
