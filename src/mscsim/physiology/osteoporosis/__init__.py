"""Osteoporosis: bone-remodelling bases (issue 5), verified against their curated SBML.

- Komarova 2003 (osteoclasts, osteoblasts, bone mass at one remodelling site; BIOMD0000000148),
  with the file's resorption/formation switches reproduced under SBML Level 2 event semantics.
- Lemaire 2004 (responding and active osteoblasts, active osteoclasts; RANK/RANKL/OPG and PTH;
  BIOMD0000000278), with RANKL, OPG and PTH dosing rates as inputs.
- A lumbar-spine BMD read-out: relative bone mass scaled to a reference BMD (g/cm^2).
- An osteoporosis patient on the Komarova base (`_patient`): the formation deficit of the
  patients' own BM-MSCs (seed 000 §2.1) and the MSC terms (osteoblast differentiation, paracrine
  growth factors, exosomal miR-216a, miR-10b and miR-1292; BMP2-modified and autologous cells);
  femoral-neck BMD and a relative hip-fracture risk as read-outs; exploratory.
"""

from mscsim.physiology.osteoporosis._bmd import (
    femoral_neck_bmd,
    hip_fracture_risk,
    lumbar_spine_bmd,
    lumbar_spine_t_score,
    young_adult_lumbar_bmd,
)
from mscsim.physiology.osteoporosis._komarova import (
    KOMAROVA_SBML_INITIAL,
    KOMAROVA_SBML_PARAMETERS,
    KOMAROVA_SBML_SPECIES,
    KOMAROVA_SBML_SWITCHES,
    KomarovaParams,
    KomarovaResult,
    KomarovaState,
    KomarovaSwitches,
    komarova_initial_state,
    komarova_params,
    komarova_rates,
    komarova_steady_state,
    simulate_komarova,
)
from mscsim.physiology.osteoporosis._lemaire import (
    LEMAIRE_SBML_INITIAL,
    LEMAIRE_SBML_PARAMETERS,
    LEMAIRE_SBML_SPECIES,
    LemaireParams,
    LemaireResult,
    LemaireState,
    lemaire_initial_state,
    lemaire_params,
    lemaire_rates,
    pth_occupancy,
    rankl_occupancy,
    simulate_lemaire,
    tgfb_occupancy,
)
from mscsim.physiology.osteoporosis._patient import (
    UNMODIFIED,
    OsteoMscEffects,
    OsteoParams,
    OsteoporosisResult,
    OsteoProduct,
    exosomal_mirna_osteogenesis,
    formation_deficit_for_loss,
    msc_effects,
    osteo_initial_state,
    osteo_params,
    osteo_product,
    osteo_rates,
    simulate_osteoporosis,
)

__all__ = [
    "KOMAROVA_SBML_INITIAL",
    "KOMAROVA_SBML_PARAMETERS",
    "KOMAROVA_SBML_SPECIES",
    "KOMAROVA_SBML_SWITCHES",
    "LEMAIRE_SBML_INITIAL",
    "LEMAIRE_SBML_PARAMETERS",
    "LEMAIRE_SBML_SPECIES",
    "UNMODIFIED",
    "KomarovaParams",
    "KomarovaResult",
    "KomarovaState",
    "KomarovaSwitches",
    "LemaireParams",
    "LemaireResult",
    "LemaireState",
    "OsteoMscEffects",
    "OsteoParams",
    "OsteoProduct",
    "OsteoporosisResult",
    "exosomal_mirna_osteogenesis",
    "femoral_neck_bmd",
    "formation_deficit_for_loss",
    "hip_fracture_risk",
    "komarova_initial_state",
    "komarova_params",
    "komarova_rates",
    "komarova_steady_state",
    "lemaire_initial_state",
    "lemaire_params",
    "lemaire_rates",
    "lumbar_spine_bmd",
    "lumbar_spine_t_score",
    "msc_effects",
    "osteo_initial_state",
    "osteo_params",
    "osteo_product",
    "osteo_rates",
    "pth_occupancy",
    "rankl_occupancy",
    "simulate_komarova",
    "simulate_lemaire",
    "simulate_osteoporosis",
    "tgfb_occupancy",
    "young_adult_lumbar_bmd",
]
