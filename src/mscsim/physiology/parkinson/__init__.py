"""Parkinson's disease (issue 5, seed 000 §2.2): exploratory module.

Nigral somata and striatal terminals as separate states, alpha-synuclein toxicity, microglial
activation and striatal dopamine; MDS-UPDRS part III as the observable, with levodopa as the
symptomatic standard of care. MSC/exosome effects: anti-inflammation, neurotrophic protection and
sprouting (GDNF, BDNF, VEGF), anti-apoptosis, exosome angiogenesis (ICAM1-SMAD3/P38MAPK)
supporting nigrostriatal neurons through the microvessels. Natural history calibrated to PPMI
(+2.4 MDS-UPDRS III points per year untreated). Brain exposure by product form and route:
`mscsim.physiology.brain_delivery`.
"""

from mscsim.physiology.parkinson._equations import (
    ParkinsonMscEffects,
    ParkinsonParams,
    ParkinsonState,
    disease_drive,
    microvascular_support,
    msc_effects,
    parkinson_rates,
    updrs3,
)
from mscsim.physiology.parkinson._params import parkinson_initial_state, parkinson_params
from mscsim.physiology.parkinson._simulate import (
    EVIDENCE_LEVEL,
    ParkinsonResult,
    simulate_parkinson,
)

__all__ = [
    "EVIDENCE_LEVEL",
    "ParkinsonMscEffects",
    "ParkinsonParams",
    "ParkinsonResult",
    "ParkinsonState",
    "disease_drive",
    "microvascular_support",
    "msc_effects",
    "parkinson_initial_state",
    "parkinson_params",
    "parkinson_rates",
    "simulate_parkinson",
    "updrs3",
]
