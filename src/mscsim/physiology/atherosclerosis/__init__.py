"""Atherosclerosis (issue 5, seed 000 §2.4): exploratory module.

Percent atheroma volume (IVUS) changing linearly in LDL-C, with no net change near 75 mg/dL
(pooled IVUS) and the slope of the GLAGOV arms; the vessel wall (eNOS/NO, oxidative stress,
adhesion molecules, plaque macrophages M1/M2, Tregs) sets how much LDL is retained and how much
plaque cleared. Statin as standard of care lowers LDL-C. MSC/exosome effects: p-AKT/eNOS
restoration, HGF lowering adhesion molecules via MAPK/NF-kB, exosomal miR-let7/miR-21a-5p
(M2 polarisation), miR-146a/Src (endothelial senescence), Treg induction (Tregs damp plaque
inflammation), VSMC phenotype (synthetic vs contractile share, driven by wall inflammation,
feeding LDL retention; MSCs lower the synthetic share).
"""

from mscsim.physiology.atherosclerosis._equations import (
    AtheroMscEffects,
    AtheroParams,
    AtheroState,
    athero_rates,
    ldl_retention,
    msc_effects,
    plaque_regression,
    treated_ldl,
    treg_damping,
    wall_inflammation,
)
from mscsim.physiology.atherosclerosis._params import (
    athero_initial_state,
    athero_params,
    default_ldl,
)
from mscsim.physiology.atherosclerosis._simulate import (
    EVIDENCE_LEVEL,
    AtheroResult,
    simulate_atherosclerosis,
)

__all__ = [
    "EVIDENCE_LEVEL",
    "AtheroMscEffects",
    "AtheroParams",
    "AtheroResult",
    "AtheroState",
    "athero_initial_state",
    "athero_params",
    "athero_rates",
    "default_ldl",
    "ldl_retention",
    "msc_effects",
    "plaque_regression",
    "simulate_atherosclerosis",
    "treated_ldl",
    "treg_damping",
    "wall_inflammation",
]
