"""Islet transplantation with and without co-transplanted MSCs (seed 004 §1.2.1); exploratory.

One graft per transplant: islets lost to hypoxia until revascularisation, to glucotoxic apoptosis
while the graft is too small to normalise glucose, and to infiltrating lymphocytes; MSCs speed
revascularisation (VEGF), protect islets (trophic factors) and suppress lymphocytes, while they
themselves decline in the graft. `graft_insulin_secretion` is the graft's glucose-dependent
insulin output, the coupling point for a host glucose model.

    >>> from mscsim.physiology.islets import GraftSpec, simulate_graft
    >>> res = simulate_graft(GraftSpec(islets=200, msc_cells=2e5), days=30)
    >>> round(res.survival(30), 2)
    0.84
"""

from mscsim.physiology.islets._graft import (
    EVIDENCE_LEVEL,
    SITES,
    SPECIES,
    YOSHIAKI_DAY,
    YOSHIAKI_MSC_CELLS,
    Effects,
    Fluxes,
    Graft,
    GraftResult,
    GraftSpec,
    Setup,
    Shared,
    Site,
    Species,
    fit_msc_half_effect_cells,
    graft_fluxes,
    graft_insulin_secretion,
    graft_rates,
    insulin_delivery,
    msc_effects,
    oxygen_capacity,
    recipient_glucose,
    secretion_fraction,
    setup_for,
    shared_constants,
    simulate_graft,
    yoshiaki_2010_arms,
    yoshiaki_2010_ratio,
)

__all__ = [
    "EVIDENCE_LEVEL",
    "SITES",
    "SPECIES",
    "YOSHIAKI_DAY",
    "YOSHIAKI_MSC_CELLS",
    "Effects",
    "Fluxes",
    "Graft",
    "GraftResult",
    "GraftSpec",
    "Setup",
    "Shared",
    "Site",
    "Species",
    "fit_msc_half_effect_cells",
    "graft_fluxes",
    "graft_insulin_secretion",
    "graft_rates",
    "insulin_delivery",
    "msc_effects",
    "oxygen_capacity",
    "recipient_glucose",
    "secretion_fraction",
    "setup_for",
    "shared_constants",
    "simulate_graft",
    "yoshiaki_2010_arms",
    "yoshiaki_2010_ratio",
]
