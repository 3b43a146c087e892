"""Atherosclerosis (physiology.atherosclerosis): the equations of `athero_rates`,
`ldl_retention`, `plaque_regression`, `wall_inflammation`, `treg_damping` and `treated_ldl`."""

from __future__ import annotations

from collections.abc import Mapping

from mscsim.export._sbml_aging import (
    MSC_CORE_TABLES,
    AgingBuilder,
    AgingPatientModel,
    Delivery,
    DiseaseExport,
    per_equivalent_tables,
    states_of,
)
from mscsim.scenario import Arm

D = "dimensionless"
_UNITS = {
    "pav_ldl_slope": "percent*dL/day/mg", "ldl_neutral": "mg/dL", "no_rate": "1/day",
    "oxidative_rate": "1/day", "adhesion_rate": "1/day", "polarisation_rate": "1/day",
    "treg_rate": "1/day", "vsmc_rate": "1/day",
}  # fmt: skip
_FIELDS = (
    "pav_ldl_slope", "ldl_neutral", "no_rate", "no_disease", "oxidative_rate", "adhesion_rate",
    "m1_disease", "polarisation_rate", "treg_rate", "weight_adhesion", "weight_m1", "weight_m2",
    "weight_treg", "statin_ldl_reduction", "msc_akt_enos", "msc_hgf_adhesion", "msc_m2_mirna",
    "msc_mir146a_src", "msc_treg_induction", "treg_m1_damping", "vsmc_synthetic_disease",
    "vsmc_rate", "weight_vsmc", "msc_vsmc_phenotype",
)  # fmt: skip
PARAMETERS = {f: (f"ath_{f}", _UNITS.get(f, D), f"AtheroParams.{f}") for f in _FIELDS}


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    b.therapies({"statin": "statin (lowers LDL-C only)"})
    b.values({"ldl_untreated": ("mg/dL", "untreated LDL-C")}, m.extra)
    r = b.rule
    one = "1 dimensionless"
    # msc_effects (linear in s).
    for effect in ("akt_enos", "hgf_adhesion", "m2_mirna", "mir146a_src", "treg_induction",
                   "vsmc_phenotype"):  # fmt: skip
        r(effect, f"ath_msc_{effect} * {s}", D)
    r("ldl_mg_dl", "ldl_untreated * (1 dimensionless - statin * ath_statin_ldl_reduction)",
      "mg/dL", "LDL-C on the standard of care (treated_ldl)")  # fmt: skip
    # athero_rates, ldl_retention, plaque_regression.
    r("no_target", f"{one} - ({one} - ath_no_disease) * oxidative_stress * ({one} - akt_enos)", D)
    r("no_deficit", f"{b.max0(f'{one} - enos_no')} / ({one} - ath_no_disease)", D)
    r("ldl_retention", f"{one} + ath_weight_adhesion * (adhesion - {one})"
      f" + ath_weight_m1 * (m1_fraction / ath_m1_disease - {one})"
      f" + ath_weight_vsmc * (vsmc_synthetic / ath_vsmc_synthetic_disease - {one})", D)  # fmt: skip
    r("wall_inflammation", "0.5 dimensionless * (m1_fraction / ath_m1_disease + adhesion)", D,
      "plaque wall inflammation relative to untreated (M1 share, adhesion molecules)")  # fmt: skip
    r("treg_damping", f"{one} / ({one} + ath_treg_m1_damping * (treg - {one}))", D,
      "Tregs damp the M1 drive of plaque macrophages")  # fmt: skip
    r("plaque_regression", f"{one} + ath_weight_m2 * (({one} - m1_fraction) / ({one}"
      f" - ath_m1_disease) - {one}) + ath_weight_treg * (treg - {one})", D)  # fmt: skip
    states_of(b, m, {
        "pav": ("percent", "ath_pav_ldl_slope * (ldl_mg_dl * ldl_retention - ath_ldl_neutral"
                " * plaque_regression)", "percent atheroma volume"),
        "enos_no": (D, "ath_no_rate * (no_target - enos_no)", "NO bioavailability"),
        "oxidative_stress": (D, f"ath_oxidative_rate * (({one} - mir146a_src)"
                             " - oxidative_stress)", "oxidative stress, 1 = untreated"),
        "adhesion": (D, f"ath_adhesion_rate * (no_deficit * ({one} - hgf_adhesion) - adhesion)",
                     "adhesion molecules, 1 = untreated"),
        "m1_fraction": (D, f"ath_polarisation_rate * (ath_m1_disease * ({one} - m2_mirna)"
                        " * treg_damping - m1_fraction)", "M1 share of plaque macrophages"),
        "treg": (D, f"ath_treg_rate * (({one} + treg_induction) - treg)",
                 "regulatory T cells, 1 = untreated"),
        "vsmc_synthetic": (D, "ath_vsmc_rate * (ath_vsmc_synthetic_disease * wall_inflammation"
                           f" * ({one} - vsmc_phenotype) - vsmc_synthetic)",
                           "synthetic share of plaque VSMCs"),
    })  # fmt: skip
    r("pav_pct", "pav", "percent", "percent atheroma volume (endpoint)")


def delivery(arm: Arm, v: Mapping[str, float]) -> Delivery:
    """trial._aging.atherosclerosis.exposure: cells by the MSC core, exosomes a day-long stay."""
    assert arm.product is not None and arm.regimen is not None
    form, route = str(arm.product.form), str(arm.regimen.route)
    if form == "cells":
        return Delivery(
            kind="msc_core",
            tables=(*MSC_CORE_TABLES, ("n50_systemic", "cell"), ("n50_local", "cell")),
            n50="n50_systemic",
            route=route,
            weighted_target=route == "intracoronary",
            note=f"the MSC core's first pass for {route} and its compartment kinetics",
        )
    return Delivery(
        kind="decay",
        tables=(
            *per_equivalent_tables(form),
            ("exosome_systemic_half_life", "day"),
            ("n50_systemic", "cell"),
        ),
        n50="n50_systemic",
        fraction="1 dimensionless",
        half_life="exosome_systemic_half_life",
        note="exosomes: systemic residence",
    )


EXPORT = DiseaseExport(
    name="atherosclerosis",
    parameters=PARAMETERS,
    write=write,
    delivery=delivery,
    tissue="coronary bed",
    notes=("PAV in percent; wall states relative to untreated disease (dimensionless).",),
)
