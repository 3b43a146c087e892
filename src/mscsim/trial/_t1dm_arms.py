"""From a T1DM arm to model inputs: each component of a combined product by what it is.

- MSCs (`form: cells`, an MSC source): live cells into the MSC compartments by their route.
- Bone-marrow mononuclear cells: MSC equivalents at `bm_mnc_msc_equivalence` per cell.
- Hematopoietic stem cells: no secretome of their own here; they come with the immunoablative
  conditioning of autologous HSC transplantation (Voltarelli 2007), which starts on the arm's
  first dosing day.
- Insulin-producing cells: the induced insulin-positive share (`induced_yield` of the protocol)
  that engrafts at the route (`ipc_engraftment_<route>`) becomes a graft that secretes insulin
  and C-peptide; every cell also acts as `ipc_msc_equivalence` of an MSC.

All components of an arm share the regimen's schedule; each may name its own route. Their live
cells are summed into one route vector per patient (cells per dosing day), so the engine's
dosing jump stays one vector per arm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mscsim.engine._fast import ArmDosing
from mscsim.engine._schedule import Grid, per_day
from mscsim.params import load_module, value_in
from mscsim.physiology import msc_core
from mscsim.physiology.islets._graft import GraftSpec, setup_for
from mscsim.physiology.t1dm._clinical import (
    IPC_INFLOW,
    ISLET_INFLOW,
    N_MSC_COMPARTMENTS,
    T1Patient,
)
from mscsim.product._ipc import induced_yield, ipc_insulin_secretion, tumourigenicity_risk
from mscsim.scenario import Arm
from mscsim.trial._support import NON_MSC_SOURCES, is_placebo

F64 = NDArray[np.float64]
N_CHANNELS = N_MSC_COMPARTMENTS + 2  # MSC compartments + IPCs and islets settling in grafts

# Induction protocol used when a scenario names none: the seed's protocol for that cell source
# (Table 1; adipose: the Trivedi/Thakkar team's, whose cells were infused in Table 2 row 5).
DEFAULT_IPC_PROTOCOL = {
    "bone_marrow": "bm_msc_3step",
    "umbilical_cord": "uc_msc_3step",
    "wharton_jelly": "uc_msc_3step",
    "adipose": "trivedi_isc_3day",
}


@dataclass(frozen=True)
class Part:
    """One cell population of an arm's product, resolved."""

    source: str
    form: str
    dose: float
    per_kg: bool
    route: str
    viability: float
    passage: int | None
    preconditioning: str
    thawed: bool
    ipc_protocol: str | None


def parts(arm: Arm) -> list[Part]:
    """The arm's cell populations (one for a single product)."""
    prod, reg = arm.product, arm.regimen
    if prod is None or reg is None or is_placebo(arm):
        return []
    if prod.components is None:
        return [
            Part(
                source=str(prod.source),
                form=str(prod.form),
                dose=float(reg.dose or 0.0),
                per_kg=str(reg.dose_unit).endswith("/kg"),
                route=str(reg.route),
                viability=(prod.viability_pct or 100.0) / 100.0,
                passage=prod.passage,
                preconditioning=str(prod.preconditioning or "none"),
                thawed=bool(prod.thawed),
                ipc_protocol=prod.ipc_protocol,
            )
        ]
    return [
        Part(
            source=str(c.source),
            form=str(c.form),
            dose=float(c.dose),
            per_kg=str(c.dose_unit).endswith("/kg"),
            route=str(c.route or reg.route),
            viability=(c.viability_pct or 100.0) / 100.0,
            passage=c.passage,
            preconditioning=str(c.preconditioning or "none"),
            thawed=bool(c.thawed),
            ipc_protocol=c.ipc_protocol,
        )
        for c in prod.components
    ]


def msc_equivalence(part: Part, v: Mapping[str, float]) -> float:
    """Secretome of one live cell of this population relative to one MSC."""
    if part.source == "hematopoietic" or part.form == "islets":
        return 0.0
    if part.source == "bm_mononuclear":
        return v["bm_mnc_msc_equivalence"]
    if part.form == "insulin_producing_cells":
        return v["ipc_msc_equivalence"]
    return 1.0


def ipc_engrafting_fraction(part: Part) -> float:
    """Share of infused IPCs that are insulin-positive and engraft at the route."""
    protocol = part.ipc_protocol or DEFAULT_IPC_PROTOCOL.get(part.source, "adsc_1step")
    ps = load_module("ipc")
    positive = induced_yield(protocol, part.passage, params=ps).mean
    return positive * value_in(ps, f"ipc_engraftment_{part.route}", "dimensionless")


def ipc_graft_decay(part: Part) -> float:
    ps = load_module("ipc")
    return float(np.log(2.0) / value_in(ps, f"ipc_graft_half_life_{part.route}", "day"))


def ipc_mg_per_cell(weight_kg: F64, v: Mapping[str, float]) -> F64:
    """Topp beta-cell mass that secretes what one engrafted insulin-positive IPC does.

    Both at saturating glucose: the IPC's capacity (IU/day, product layer) over Topp's secretion
    per mg (sigma uU/mL/day x plasma volume). The glucose dependence of both is Topp's sigmoid.
    """
    per_cell = float(ipc_insulin_secretion(1.0e9, 1.0)) * v["ipc_in_vivo_capacity_factor"]
    volume_ml = v["insulin_volume"] * weight_kg * 1000.0
    iu_per_mg_day = v["sigma"] * volume_ml * 1.0e-6
    return per_cell / iu_per_mg_day


def safety_signals(part: Part) -> dict[str, object]:
    """The IPC tumourigenicity signal of this population's expansion history (seed 004 ref [23]).

    A relative index for ranking expansion histories, never a probability: the lock says so.
    """
    reference = value_in(
        load_module("ipc"), "ipc_tumourigenicity_reference_passage", "dimensionless"
    )
    passages = float(part.passage) if part.passage is not None else reference
    signal = tumourigenicity_risk(passages)
    return {
        "name": signal.name,
        "value": round(float(signal.value), 6),
        "expansion_passages": passages,
        "passage_stated": part.passage is not None,
        "evidence_level": signal.evidence_level,
        "is_probability": signal.is_probability,
        "interpretation": signal.interpretation,
        "source": signal.source,
    }


def arm_inputs(
    arm: Arm, base: T1Patient, grid: Grid, v: Mapping[str, float]
) -> tuple[T1Patient, ArmDosing, dict[str, object]]:
    """The arm's patients (potency, conditioning, IPC graft) and dosing; plus an arm summary."""
    n = len(base.base.weight_kg)
    weight = np.asarray(base.base.weight_kg)
    route = np.zeros((n, N_CHANNELS))
    pat = base
    msc_equivalent = 0.0
    ipc_engrafted = 0.0
    signals: list[dict[str, object]] = []
    islet_parts: list[tuple[Part, Any]] = []
    ps = parts(arm)
    if not ps or arm.regimen is None:
        return pat, _no_dosing(grid, n), {}
    days = [round(d) for d in arm.regimen.schedule_days]
    for part in ps:
        live = part.dose * part.viability * (weight if part.per_kg else np.ones(n))
        eq = msc_equivalence(part, v)
        if part.form == "insulin_producing_cells":
            engraft = ipc_engrafting_fraction(part)
            route[:, IPC_INFLOW] += live * engraft
            ipc_engrafted += float(np.mean(live * engraft))
            signals.append(safety_signals(part))
            pat = pat._replace(
                ipc_mg_per_cell=ipc_mg_per_cell(weight, v),
                ipc_graft_decay=np.full(n, ipc_graft_decay(part)),
            )
        if eq > 0.0:
            route[:, :N_MSC_COMPARTMENTS] += (live * eq)[:, None] * msc_core.route_vector(
                part.route, v
            )
            msc_equivalent += float(np.mean(live * eq))
        if part.source == "hematopoietic":
            pat = pat._replace(conditioning_start=np.full(n, float(days[0])))
        if part.form == "islets":
            # Host glucose comes from the patient; the spec's own glucose is not used here.
            spec = GraftSpec(
                islets=part.dose,
                site=part.route,  # type: ignore[arg-type]  # checked: _support.ISLET_SITES
                species="human",
                glucose_mg_dl=100.0,
            )
            setup = setup_for(spec, v)
            route[:, ISLET_INFLOW] += float(setup.bed)
            islet_parts.append((part, setup))
    # Potency (source, passage, priming) of the product's MSCs, else of its other secreting cells.
    secreting = [p for p in ps if msc_equivalence(p, v) > 0.0]
    msc_parts = [p for p in secreting if p.source not in NON_MSC_SOURCES]
    lead = (msc_parts or secreting)[0] if secreting else None
    if lead is not None:
        pot = msc_core.product_potency(
            source=lead.source,
            passage=lead.passage,
            preconditioning=lead.preconditioning,
            thawed=lead.thawed,
            p=v,
        )
        ones = np.ones(n)
        pat = pat._replace(
            base=pat.base._replace(
                potency_imm=ones * pot.immunomodulatory,
                potency_tro=ones * pot.trophic,
                licensing_pre=ones * pot.preconditioning_licensing,
            )
        )
    if islet_parts:
        pat = _with_islet_graft(pat, islet_parts, lead, days[0], v)
    amount = per_day(dict.fromkeys(days, 1.0), grid)
    summary: dict[str, object] = {
        "msc_equivalent_cells_per_dose": msc_equivalent,
        "ipc_engrafted_cells_per_dose": ipc_engrafted,
        "hsc_conditioning": any(p.source == "hematopoietic" for p in ps),
    }
    if signals:
        summary["safety_signals"] = signals
    return pat, ArmDosing(amount, np.ones(n), route), summary


def _with_islet_graft(
    pat: T1Patient,
    islet_parts: list[tuple[Part, Any]],
    lead: Part | None,
    day: int,
    v: Mapping[str, float],
) -> T1Patient:
    """The arm's islet graft: one bed at one site (the islets of all its components)."""
    sites = {p.route for p, _ in islet_parts}
    if len(sites) > 1:
        raise ValueError(f"islets go to one graft site per arm, got {sorted(sites)}")
    n = len(pat.base.weight_kg)
    setup = islet_parts[0][1]._replace(bed=sum(float(s.bed) for _, s in islet_parts))
    if lead is not None:
        # Co-transplanted MSCs help the graft with the potency of the arm's MSC product.
        setup = setup._replace(
            potency_trophic=float(pat.base.potency_tro[0]),
            potency_immune=float(pat.base.potency_imm[0]),
        )
    as_arrays = type(setup)(*(np.full(n, float(x)) for x in setup))
    return pat._replace(
        graft_setup=as_arrays,
        graft_site_liver=np.full(n, 1.0 if islet_parts[0][0].route == "portal_vein" else 0.0),
        islet_day=np.full(n, float(day)),
    )


def _no_dosing(grid: Grid, n: int) -> ArmDosing:
    return ArmDosing(np.zeros(grid.day.shape), np.zeros(n), np.zeros((n, N_CHANNELS)))


def kinetics(v: Mapping[str, float]) -> F64:
    """MSC kinetics plus the IPC inflow channel (emptied into the graft at ipc_inflow_rate)."""
    a = np.zeros((N_CHANNELS, N_CHANNELS))
    a[:N_MSC_COMPARTMENTS, :N_MSC_COMPARTMENTS] = msc_core.kinetic_matrix(v)
    a[IPC_INFLOW, IPC_INFLOW] = -np.log(2.0) / v["ipc_inflow_half_life"]
    a[ISLET_INFLOW, ISLET_INFLOW] = a[IPC_INFLOW, IPC_INFLOW]
    return a


def schedule_days(arms: Sequence[Arm]) -> list[int]:
    return sorted({round(d) for a in arms if a.regimen for d in a.regimen.schedule_days})
