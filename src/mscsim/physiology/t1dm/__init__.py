"""Type 1 diabetes: autoimmune beta-cell destruction and its MSC coupling (issue 3).

Immune base: the Marée 2006 macrophage/apoptotic-wave model (verified against BioModels
BIOMD0000000381) and the Teff/Treg/APC lymph-node/pancreas model with the MSC coupling terms
`treg_induction`, `teff_suppression`, `dc_tolerance` and `beta_protection`.
"""

from mscsim.physiology.t1dm._immune import (
    NO_MSC,
    ImmuneParams,
    ImmuneResult,
    ImmuneState,
    MscEffects,
    beta_cell_fraction,
    beta_protection,
    check_effects,
    dc_tolerance,
    disease_beta_fraction,
    immune_initial_state,
    immune_params,
    immune_rates,
    simulate_immune,
    teff_suppression,
    time_to_beta_fraction,
    treg_induction,
)
from mscsim.physiology.t1dm._maree import (
    SBML_PARAMETERS,
    SBML_SPECIES,
    MareeParams,
    MareeResult,
    MareeState,
    apoptotic_wave,
    maree_initial_state,
    maree_params,
    maree_rates,
    simulate_maree,
)

__all__ = [
    "NO_MSC",
    "SBML_PARAMETERS",
    "SBML_SPECIES",
    "ImmuneParams",
    "ImmuneResult",
    "ImmuneState",
    "MareeParams",
    "MareeResult",
    "MareeState",
    "MscEffects",
    "apoptotic_wave",
    "beta_cell_fraction",
    "beta_protection",
    "check_effects",
    "dc_tolerance",
    "disease_beta_fraction",
    "immune_initial_state",
    "immune_params",
    "immune_rates",
    "maree_initial_state",
    "maree_params",
    "maree_rates",
    "simulate_immune",
    "simulate_maree",
    "teff_suppression",
    "time_to_beta_fraction",
    "treg_induction",
]
