"""COPD (issue 5, seed 000 §2.5): exploratory module.

FEV1 decline driven by inflammation and epithelial apoptosis on top of healthy ageing (ECLIPSE:
33 mL/yr untreated), alveolar macrophage phenotype, and an SGRQ-like quality-of-life proxy.
Bronchodilator as symptomatic standard of care (UPLIFT). MSC/exosome effects: anti-inflammation,
alveolar macrophage phenotype, epithelial protection, lung repair. Lung kinetics of infused cells
(in the lung within 30 min, cleared in 1-3 days): `lung_cells`, `lung_signal_function`; of MSC
exosomes (placental, Exo-d-MAPPS; deposition by route, macrophage clearance):
`exosome_lung_particles`, `exosome_lung_signal_function`.
"""

from mscsim.physiology.copd._equations import (
    CopdMscEffects,
    CopdParams,
    CopdState,
    copd_rates,
    fev1_decline,
    measured_fev1,
    msc_effects,
    sgrq,
)
from mscsim.physiology.copd._lung import (
    EXOSOME_LUNG_ROUTES,
    ExosomeLungDelivery,
    LungDelivery,
    exosome_lung_deposition,
    exosome_lung_params,
    exosome_lung_particles,
    exosome_lung_signal_function,
    lung_cells,
    lung_delivery_params,
    lung_signal_function,
)
from mscsim.physiology.copd._params import (
    CopdBaseline,
    copd_baseline,
    copd_initial_state,
    copd_params,
)
from mscsim.physiology.copd._simulate import EVIDENCE_LEVEL, CopdResult, simulate_copd

__all__ = [
    "EVIDENCE_LEVEL",
    "EXOSOME_LUNG_ROUTES",
    "CopdBaseline",
    "CopdMscEffects",
    "CopdParams",
    "CopdResult",
    "CopdState",
    "ExosomeLungDelivery",
    "LungDelivery",
    "copd_baseline",
    "copd_initial_state",
    "copd_params",
    "copd_rates",
    "exosome_lung_deposition",
    "exosome_lung_params",
    "exosome_lung_particles",
    "exosome_lung_signal_function",
    "fev1_decline",
    "lung_cells",
    "lung_delivery_params",
    "lung_signal_function",
    "measured_fev1",
    "msc_effects",
    "sgrq",
    "simulate_copd",
]
