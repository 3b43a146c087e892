"""Alzheimer's disease (issue 5; seed 000 abstract, mechanisms of §2.2 and §3): exploratory module.

Amyloid plaque burden, microglial activation (neuroinflammation) and functional neuronal
integrity, read out as MMSE. MSC/exosome effects: anti-inflammation, amyloid clearance by
microglial phagocytosis, neuroprotection. Natural history calibrated to CERAD (MMSE -3.4 points
per year). Brain exposure by product form and route: `mscsim.physiology.brain_delivery`.
"""

from mscsim.physiology.alzheimer._equations import (
    MMSE_MAX,
    AlzheimerMscEffects,
    AlzheimerParams,
    AlzheimerState,
    alzheimer_rates,
    mmse,
    msc_effects,
    neuron_hazard,
)
from mscsim.physiology.alzheimer._params import alzheimer_initial_state, alzheimer_params
from mscsim.physiology.alzheimer._simulate import (
    EVIDENCE_LEVEL,
    AlzheimerResult,
    simulate_alzheimer,
)

__all__ = [
    "EVIDENCE_LEVEL",
    "MMSE_MAX",
    "AlzheimerMscEffects",
    "AlzheimerParams",
    "AlzheimerResult",
    "AlzheimerState",
    "alzheimer_initial_state",
    "alzheimer_params",
    "alzheimer_rates",
    "mmse",
    "msc_effects",
    "neuron_hazard",
    "simulate_alzheimer",
]
