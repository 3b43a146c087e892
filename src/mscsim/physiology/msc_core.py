"""Shared MSC core: biodistribution by route, secretome potency and the immune signal.

Cell kinetics are linear (first-pass trapping, organ clearance, lung release), so the engine solves
them exactly between doses with a matrix exponential; this module only builds the matrices, the
route vectors and the potency of a product. Numbers: `params/data/msc_core.yaml`
(sources in ../shared/reference/msc_biology.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Named compartments of live MSCs (cells); `trajectories.nc` calls them msc_<name>.
COMPARTMENTS: tuple[str, ...] = ("blood", "lung", "liver", "spleen", "target", "other")
_IDX = {name: i for i, name in enumerate(COMPARTMENTS)}

# Routes whose first pass is the lung capillary bed (venous delivery).
_VENOUS_ROUTES = ("iv",)
# Arterial or local routes: the infused bed arrests cells on first pass (Toma 2009), the rest
# returns by the veins to the lung. Keys: route -> compartment of the infused bed.
_BED_OF_ROUTE: Mapping[str, str] = {
    "pancreatic_artery": "target",
    "portal_vein": "liver",
    "hepatic_artery": "liver",
}
# Systemic arterial delivery (e.g. aorta/femoral): cells reach organs by arterial flow.
_SYSTEMIC_ARTERIAL = ("intra_arterial",)
# Implanted depots (seed 004 Table 2 row 5, §1.1): cells stay at the site ("other"), where they
# are cleared; their secretome reaches the body systemically, none of them reaches the pancreas.
_DEPOT_ROUTES = ("kidney_capsule", "subcutaneous")

SUPPORTED_ROUTES: tuple[str, ...] = (
    *_VENOUS_ROUTES,
    *_BED_OF_ROUTE,
    *_SYSTEMIC_ARTERIAL,
    *_DEPOT_ROUTES,
)


@dataclass(frozen=True)
class Potency:
    """Relative secretory potency of one product (1 = reference BM-MSC at passage 4, fresh)."""

    immunomodulatory: float
    trophic: float
    preconditioning_licensing: float  # licensing already present at infusion (IFN-gamma/TNF-alpha)


def index(name: str) -> int:
    """Position of a named compartment in the kinetic vectors (the only place that knows it)."""
    return _IDX[name]


def kinetic_matrix(p: Mapping[str, float]) -> NDArray[np.float64]:
    """dx/dt = A x for live cells in COMPARTMENTS (per day).

    Arterial blood empties into the organs by cardiac-output fractions within minutes; lung cells
    die (alveolar macrophage clearance) or re-enter the circulation; other organs clear cells.
    """
    n = len(COMPARTMENTS)
    a = np.zeros((n, n))
    b, lung = _IDX["blood"], _IDX["lung"]
    k_b = math.log(2.0) / p["blood_transit_half_life"]
    flows = {
        "liver": p["flow_fraction_liver"],
        "spleen": p["flow_fraction_spleen"],
        "target": p["flow_fraction_pancreas"],
    }
    flows["other"] = 1.0 - sum(flows.values())
    a[b, b] = -k_b
    for organ, q in flows.items():
        a[_IDX[organ], b] = k_b * q
    k_lung = math.log(2.0) / p["lung_half_life"]
    a[lung, lung] = -k_lung
    a[b, lung] = k_lung * p["lung_release_fraction"]
    for organ, key in (
        ("liver", "liver_half_life"),
        ("spleen", "spleen_half_life"),
        ("target", "target_half_life"),
        ("other", "other_half_life"),
    ):
        a[_IDX[organ], _IDX[organ]] = -math.log(2.0) / p[key]
    return a


def route_vector(route: str, p: Mapping[str, float]) -> NDArray[np.float64]:
    """Where one live infused cell is right after the first pass, for a route."""
    v = np.zeros(len(COMPARTMENTS))
    trap = p["lung_first_pass_trapping"]
    if route in _VENOUS_ROUTES:
        v[_IDX["lung"]] = trap
        v[_IDX["blood"]] = 1.0 - trap
    elif route in _BED_OF_ROUTE:
        arrest = p["arterial_first_pass_arrest"]
        v[_IDX[_BED_OF_ROUTE[route]]] = arrest
        # Cells not arrested in the infused bed return by the veins and meet the lung.
        v[_IDX["lung"]] = (1.0 - arrest) * trap
        v[_IDX["blood"]] = (1.0 - arrest) * (1.0 - trap)
    elif route in _SYSTEMIC_ARTERIAL:
        v[_IDX["blood"]] = 1.0
    elif route in _DEPOT_ROUTES:
        v[_IDX["other"]] = 1.0
    else:
        raise ValueError(
            f"route {route!r} is not yet supported by the MSC core for this disease; "
            f"supported: {', '.join(SUPPORTED_ROUTES)}"
        )
    return v


def product_potency(
    *,
    source: str,
    passage: int | None,
    preconditioning: str,
    thawed: bool,
    p: Mapping[str, float],
) -> Potency:
    """Potency of a cell product from its manufacturing attributes.

    Replicative senescence lowers immunomodulation (seed 000 §3); IFN-gamma/TNF-alpha or 3-D
    culture restore it (seed 000 §3 refs [41],[42]); thawed cells lose IFN-gamma -> IDO induction
    for about a day (DESIGN.md layer 3), approximated here as a lower immunomodulatory potency.
    """
    source_trophic = {
        "umbilical_cord": p["trophic_potency_umbilical_cord"],
        "wharton_jelly": p["trophic_potency_umbilical_cord"],
    }.get(source, 1.0)
    extra_passages = max(0, (passage if passage is not None else 4) - 4)
    senescence = math.exp(-p["senescence_loss_per_passage"] * extra_passages)
    licensing = {
        "none": 0.0,
        "ifn_gamma": p["preconditioning_licensing"],
        "tnf_alpha": 0.5 * p["preconditioning_licensing"],
        "ifn_gamma_tnf_alpha": p["preconditioning_licensing"],
        "3d_culture": 0.5 * p["preconditioning_licensing"],
    }[preconditioning]
    thaw = p["thawed_immunomodulation_factor"] if thawed else 1.0
    return Potency(
        immunomodulatory=senescence * thaw,
        trophic=source_trophic * senescence,
        preconditioning_licensing=licensing,
    )
