"""Osteoporosis (physiology.osteoporosis): the equations of `osteo_rates` (Komarova 2003 with the
patient's formation deficit, the MSC terms and the product factors) and the observables: lumbar
and femoral-neck BMD and the relative hip-fracture risk.

Komarova's power laws x1^g11 x2^g21 (g11 + g21 = 0) and x1^g12 x2^g22 (g12 + g22 = 1) are
written on cell counts divided by one cell, x2^g22 as x2 (x2 / cell)^(g22 - 1): the same numbers,
with units that balance (cell/day on both sides).
"""

from __future__ import annotations

from collections.abc import Mapping

from mscsim.export._sbml_aging import (
    AgingBuilder,
    AgingPatientModel,
    Delivery,
    DiseaseExport,
    per_equivalent_tables,
    states_of,
)
from mscsim.physiology.osteoporosis._komarova import komarova_steady_state
from mscsim.scenario import Arm

D = "dimensionless"
_KOMAROVA = {
    "osteoclast_production": "cell/day", "osteoblast_production": "1/day",
    "osteoclast_removal": "1/day", "osteoblast_removal": "1/day", "g11": D, "g21": D, "g12": D,
    "g22": D, "resorption_rate": "percent/cell/day", "formation_rate": "percent/cell/day",
}  # fmt: skip
PARAMETERS = {
    **{f: (f"komarova_{f}", u, f"KomarovaParams.{f}") for f, u in _KOMAROVA.items()},
    "formation_deficit": ("", D, "h: the patient's osteoblast production relative to healthy "
                          "(formation_deficit_for_loss of her yearly bone loss, "
                          "op_bone_loss_rate x a mean-one multiplier)"),
    "msc_osteoblast_differentiation": ("op_msc_osteoblast_differentiation", D,
                                       "OsteoParams.msc_osteoblast_differentiation"),
    "msc_paracrine": ("op_msc_paracrine", D, "OsteoParams.msc_paracrine"),
    "msc_mir216a": ("op_exo_mir216a", D, "OsteoParams.msc_mir216a (raises formation)"),
    "msc_mir10b": ("op_exo_mir10b", D, "OsteoParams.msc_mir10b (raises formation)"),
    "msc_mir1292": ("op_exo_mir1292", D, "OsteoParams.msc_mir1292 (lowers formation)"),
    "femoral_neck_site_ratio": ("", D, "femoral-neck / lumbar yearly loss: "
                                "op_bone_loss_rate_femoral_neck / op_bone_loss_rate (SWAN)"),
    "fracture_rr_per_sd": ("op_fracture_rr_per_sd_hip", D, "OsteoParams.fracture_rr_per_sd"),
    "femoral_neck_sd": ("bmd_femoral_neck_young_adult_sd", "g/cm**2",
                        "OsteoParams.femoral_neck_sd"),
}  # fmt: skip


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    b.values({
        "exosomes": (D, "1 for an exosome product (miRNA channel), 0 for cells or no product"),
        "bmd_baseline": ("g/cm**2", "lumbar-spine BMD at enrolment"),
        "bmd_fn_baseline": ("g/cm**2", "femoral-neck BMD at enrolment (op_bmd_fn_initial x the "
                            "patient's lumbar multiplier)"),
        "bmp2_osteoinduction": (D, "OsteoProduct: factor on both osteogenic cell terms "
                                "(op_bmp2_osteogenic_gain for genetic_modification bmp2, else 1)"),
        "autologous_adipogenic_shift": (D, "OsteoProduct: osteoblast differentiation of the "
                                        "patient's own BM-MSCs (op_autologous_osteogenic_potency "
                                        "for autologous: true, else 1)"),
    }, m.extra)  # fmt: skip
    x1_bar, x2_bar = komarova_steady_state(m.params.komarova)
    for pid, value, what in (("x1_bar", x1_bar, "osteoclasts"), ("x2_bar", x2_bar, "osteoblasts")):
        b.constant(pid, float(value), "cell", f"healthy steady state of {what} "
                   "(komarova_steady_state of the table's constants): the bone balance's "
                   "reference", provenance="derived")  # fmt: skip
    b.constant("one_cell", 1.0, "cell", "unit of the power laws' bases", provenance="unit")
    b.constant("full_bone_mass", 100.0, "percent", "bone mass at enrolment (BMD = baseline)",
               provenance="definition")  # fmt: skip
    r = b.rule
    one = "1 dimensionless"
    # msc_effects: cells carry differentiation and paracrine repair (scaled by the product),
    # exosomes the miRNAs (miR-216a and miR-10b raise formation, miR-1292 lowers it).
    r("osteoblast_differentiation", f"({one} - exosomes) * op_msc_osteoblast_differentiation"
      f" * bmp2_osteoinduction * autologous_adipogenic_shift * {s}", D)  # fmt: skip
    r("paracrine_bone_repair", f"({one} - exosomes) * op_msc_paracrine * bmp2_osteoinduction"
      f" * {s}", D)  # fmt: skip
    r("mir216a_osteogenesis", f"exosomes * op_exo_mir216a * {s}", D)
    r("mir10b_osteogenesis", f"exosomes * op_exo_mir10b * {s}", D)
    r("mir1292_osteogenesis", f"-exosomes * op_exo_mir1292 * {s}", D)
    r("exosomal_mirna_osteogenesis", "mir216a_osteogenesis + mir10b_osteogenesis"
      " + mir1292_osteogenesis", D)  # fmt: skip
    r("formation_rise", f"{one} + osteoblast_differentiation + paracrine_bone_repair"
      " + exosomal_mirna_osteogenesis", D)  # fmt: skip
    r("resorbing", "piecewise(osteoclasts - x1_bar, osteoclasts > x1_bar, 0 cell)", "cell")
    r("forming", "piecewise(osteoblasts - x2_bar, osteoblasts > x2_bar, 0 cell)", "cell")
    states_of(b, m, {
        "osteoclasts": ("cell", "komarova_osteoclast_production * (osteoclasts / one_cell)"
                        "^komarova_g11 * (osteoblasts / one_cell)^komarova_g21"
                        " - komarova_osteoclast_removal * osteoclasts", "osteoclasts (x1)"),
        "osteoblasts": ("cell", "komarova_osteoblast_production * formation_deficit"
                        " * formation_rise * osteoblasts * (osteoclasts / one_cell)^komarova_g12"
                        f" * (osteoblasts / one_cell)^(komarova_g22 - {one})"
                        " - komarova_osteoblast_removal * osteoblasts",
                        "osteoblasts (x2); production biased by h and raised by the MSC terms"),
        "bone_mass": ("percent", "-komarova_resorption_rate * resorbing"
                      " + komarova_formation_rate * forming", "bone mass z, % of enrolment"),
    })  # fmt: skip
    r("bmd_lumbar_g_cm2", "bmd_baseline * bone_mass / full_bone_mass", "g/cm**2",
      "lumbar-spine BMD")  # fmt: skip
    r("bmd_femoral_neck_g_cm2", f"bmd_fn_baseline * ({one} + femoral_neck_site_ratio"
      f" * (bone_mass / full_bone_mass - {one}))", "g/cm**2",
      "femoral-neck BMD (_bmd.femoral_neck_bmd)")  # fmt: skip
    r("fracture_risk_rel", "op_fracture_rr_per_sd_hip^((bmd_fn_baseline - bmd_femoral_neck_g_cm2)"
      " / bmd_femoral_neck_young_adult_sd)", D,
      "hip-fracture risk relative to enrolment (_bmd.hip_fracture_risk; Marshall 1996)"
      )  # fmt: skip


def delivery(arm: Arm, v: Mapping[str, float]) -> Delivery:
    """trial._aging.osteoporosis.exposure: the share of a dose homing to bone, its residence."""
    assert arm.product is not None and arm.regimen is not None
    form, route = str(arm.product.form), str(arm.regimen.route)
    fraction = f"op_homing_fraction_{form}_{route}"
    half_life = "op_msc_bone_half_life" if form == "cells" else "op_exosome_bone_half_life"
    return Delivery(
        kind="decay",
        tables=(
            (fraction, D),
            *per_equivalent_tables(form),
            (half_life, "day"),
            ("op_bone_n50", "cell"),
        ),
        n50="op_bone_n50",
        fraction=fraction,
        half_life=half_life,
        note=f"{form} by {route} homing to bone",
    )


EXPORT = DiseaseExport(
    name="osteoporosis",
    parameters=PARAMETERS,
    write=write,
    delivery=delivery,
    tissue="bone",
    notes=(
        "Komarova's power laws are written on cells / one_cell (see the module docstring), so "
        "units balance; libsbml cannot check units through a parameter exponent and may say so.",
    ),
)
