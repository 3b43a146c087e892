"""Osteoporosis (physiology.osteoporosis): the equations of `osteo_rates` (Komarova 2003 with the
patient's formation deficit and the MSC terms) and the lumbar BMD observable.

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
    "msc_exosomal_mirna": ("op_msc_exosomal_mirna", D, "OsteoParams.msc_exosomal_mirna"),
}  # fmt: skip


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    b.values({
        "exosomes": (D, "1 for an exosome product (miRNA channel), 0 for cells or no product"),
        "bmd_baseline": ("g/cm**2", "lumbar-spine BMD at enrolment"),
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
    # msc_effects: cells carry differentiation and paracrine repair, exosomes the miRNAs.
    r("osteoblast_differentiation", f"({one} - exosomes) * op_msc_osteoblast_differentiation"
      f" * {s}", D)  # fmt: skip
    r("paracrine_bone_repair", f"({one} - exosomes) * op_msc_paracrine * {s}", D)
    r("exosomal_mirna_osteogenesis", f"exosomes * op_msc_exosomal_mirna * {s}", D)
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
