"""The names a scenario file may use (DESIGN.md, "Contracts": vocabulary).

Each vocabulary is one ``Literal`` type (for the type checker) and the tuple of its members (for
validation and messages), derived from the Literal so the two cannot drift apart. The names are a
contract relied on by outside tools: add names or aliases, never remove or rename one.

Aliases are accepted on input and resolved to the canonical name at parse time, so a resolved
scenario (and its lock file) only ever holds canonical names. Only unambiguous spellings are
aliases. Deliberately *not* aliases: ``uc`` (seed 004 Table 3 row 3 says "UC-MSCs" for the cells
its reference [79] calls Wharton's jelly-derived, so the abbreviation does not tell the two
sources apart), ``bm`` (bone-marrow MSCs and bone-marrow mononuclear cells are different products,
seed 004 Table 2 rows 2 and 4) and ``msc`` (says nothing about the source).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal, get_args

Disease = Literal[
    "t2dm", "t1dm", "osteoporosis", "parkinson", "alzheimer", "atherosclerosis", "copd", "tumour"
]
DISEASES: tuple[Disease, ...] = get_args(Disease)
DISEASE_ALIASES = MappingProxyType(
    {"tumor": "tumour", "parkinsons": "parkinson", "alzheimers": "alzheimer"}
)

# Only human physiology is parameterised now; the rodent species are named so that a scenario
# asking for them gets "not yet supported" rather than "unknown" (they are planned for the
# animal-to-human translation question both reviews end on).
Species = Literal["human"]
SPECIES: tuple[Species, ...] = get_args(Species)
PLANNED_SPECIES: tuple[str, ...] = ("mouse", "rat")

# MSC sources, plus the non-MSC cells that the seeds' clinical tables also infuse (seed 004
# Table 2: BM-MNC, HSC), so those trials can be written down as scenarios, and the pancreas that
# transplanted islets come from (donor, or the patient's own after pancreatectomy; seed 004 §1.2.1).
Source = Literal[
    "bone_marrow",
    "umbilical_cord",
    "wharton_jelly",
    "adipose",
    "placenta",
    "peripheral_blood",
    "bm_mononuclear",
    "hematopoietic",
    "pancreas",
]
SOURCES: tuple[Source, ...] = get_args(Source)
SOURCE_ALIASES = MappingProxyType(
    {
        "whartons_jelly": "wharton_jelly",
        "bone_marrow_mononuclear": "bm_mononuclear",
        "haematopoietic": "hematopoietic",
    }
)

# "placebo" is a sham infusion with no cells: same route and schedule, vehicle only.
Form = Literal[
    "cells", "exosomes", "conditioned_medium", "insulin_producing_cells", "islets", "placebo"
]
FORMS: tuple[Form, ...] = get_args(Form)

Route = Literal[
    "iv",
    "pancreatic_artery",
    "portal_vein",
    "hepatic_artery",
    "intra_arterial",
    "intracoronary",
    "intrabone",
    "intrathecal",
    "intranasal",
    "intratracheal",
    "intratumoral",
    "kidney_capsule",
    "subcutaneous",
]
ROUTES: tuple[Route, ...] = get_args(Route)
ROUTE_ALIASES = MappingProxyType({"intravenous": "iv"})

DoseUnit = Literal["cells/kg", "cells", "ug_protein/kg", "particles/kg", "islets"]
DOSE_UNITS: tuple[DoseUnit, ...] = get_args(DoseUnit)

# Which dose units make sense for which form. Living or induced cells are counted (per kg, or in
# total as in seed 004 Table 3 row 1); exosomes are dosed by protein or particle count;
# conditioned medium has no particles to count, so only by protein; islets by count.
DOSE_UNITS_BY_FORM: MappingProxyType[str, tuple[DoseUnit, ...]] = MappingProxyType(
    {
        "cells": ("cells/kg", "cells"),
        "insulin_producing_cells": ("cells/kg", "cells"),
        "exosomes": ("ug_protein/kg", "particles/kg"),
        "conditioned_medium": ("ug_protein/kg",),
        "islets": ("islets",),
        "placebo": ("cells/kg", "cells"),
    }
)

# "none" is a member, not an absence: it states that the cells were not primed.
Preconditioning = Literal["none", "ifn_gamma", "tnf_alpha", "ifn_gamma_tnf_alpha", "3d_culture"]
PRECONDITIONING: tuple[Preconditioning, ...] = get_args(Preconditioning)

Endpoint = Literal[
    "hba1c_pct",
    "fpg_mmol_l",
    "ppg_mmol_l",
    "c_peptide_ng_ml",
    "c_peptide_auc",
    "insulin_iu_day",
    "insulin_iu_kg_day",
    "homa_b",
    "homa_ir",
    "bmd_lumbar_g_cm2",
    "updrs3",
    "mmse",
    "pav_pct",
    "fev1_ml",
    "tumour_volume_mm3",
    "cpgr",
    "treg_pct",
    "c_peptide_peak_ng_ml",
    "gad_antibody_pct",
    "insulin_free_pct",
    "insulin_auc",
    # Aging-disease endpoints beyond the DESIGN list (issue 5): the COPD module's SGRQ-like
    # quality-of-life proxy, striatal dopamine (% of healthy) and achieved LDL-C.
    "sgrq",
    "striatal_dopamine_pct",
    "ldl_mg_dl",
    # Osteoporosis beyond the lumbar spine (issue 5, seed 000 §2.1): femoral-neck BMD and the
    # relative hip-fracture risk from its change (Marshall 1996 gradient per SD).
    "bmd_femoral_neck_g_cm2",
    "fracture_risk_rel",
]
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)
ENDPOINT_ALIASES = MappingProxyType({"tumor_volume_mm3": "tumour_volume_mm3"})

# Induction protocols of insulin-producing cells (seed 004 Table 1; product/data/ipc_protocols).
IpcProtocol = Literal[
    "bm_msc_3step",
    "uc_msc_3step",
    "adsc_1step",
    "mir375_lentivirus",
    "pdx1_mrna_chemical",
    "trivedi_isc_3day",
    "thakkar_isc_4day",
]
IPC_PROTOCOLS: tuple[IpcProtocol, ...] = get_args(IpcProtocol)

# Direction of the paracrine effect of MSCs on a tumour (seed 000 §2.6): a documented input of a
# tumour scenario's product, never a hidden default (physiology/tumour PROFILE_EVIDENCE).
TumourProfile = Literal["promoting", "suppressing", "neutral"]
TUMOUR_PROFILES: tuple[TumourProfile, ...] = get_args(TumourProfile)

# Genetic modification of the cells (seed 000 §2.1: BMP2 gene-modified BM-MSCs in osteoporosis).
GeneticModification = Literal["bmp2"]
GENETIC_MODIFICATIONS: tuple[GeneticModification, ...] = get_args(GeneticModification)

# Population eligibility criteria. Range criteria are [low, high]; `sex` names one sex;
# `insulin_treated` is a yes/no. Disease-specific keys are added here (and as a field of
# `_schema.Criteria`) with their plausible limits below.
CriterionKey = Literal[
    "age_years",
    "sex",
    "weight_kg",
    "bmi",
    "hba1c_pct",
    "diabetes_duration_years",
    "c_peptide_ng_ml",
    "insulin_treated",
    # Atherosclerosis: untreated LDL-C at enrolment (off lipid-lowering therapy), mg/dL.
    "ldl_mg_dl",
]
CRITERIA_KEYS: tuple[CriterionKey, ...] = get_args(CriterionKey)

Sex = Literal["female", "male"]
SEXES: tuple[Sex, ...] = get_args(Sex)

# Plausible limits of each range criterion in its unit. They catch unit mistakes that would
# otherwise silently select nobody, e.g. HbA1c written in mmol/mol ([53, 86]) instead of %, or
# C-peptide in pmol/L (1 ng/mL = 331 pmol/L).
CRITERIA_LIMITS: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {
        "age_years": (0.0, 120.0),
        "weight_kg": (2.0, 350.0),
        "bmi": (10.0, 80.0),
        "hba1c_pct": (3.0, 20.0),
        "diabetes_duration_years": (0.0, 100.0),
        "c_peptide_ng_ml": (0.0, 20.0),
        "ldl_mg_dl": (10.0, 500.0),
    }
)

SCHEMA_VERSION = 1
