"""COPD (physiology.copd): the equations of `copd_rates`, `measured_fev1` and `sgrq`.

The module's state `fev1_ml` (post-bronchodilator FEV1 without the symptomatic step) is
`fev1_state_ml` here: the id `fev1_ml` belongs to the endpoint (measured FEV1), as in
trajectories.nc, where the run records the endpoint under that name and not the state.
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
from mscsim.scenario import Arm

D = "dimensionless"
_UNITS = {
    "ageing_decline": "mL/day", "disease_decline": "mL/day", "inflammation_rate": "1/day",
    "macrophage_rate": "1/day", "apoptosis_rate": "1/day", "bronchodilator_fev1_ml": "mL",
    "msc_repair_rate": "mL/day",
}  # fmt: skip
_FIELDS = (
    "ageing_decline", "disease_decline", "weight_inflammation", "inflammation_rate",
    "macrophage_rate", "macrophage_m1_disease", "weight_macrophage", "apoptosis_rate",
    "sgrq_per_100ml", "sgrq_per_inflammation", "bronchodilator_fev1_ml", "bronchodilator_sgrq",
    "msc_anti_inflammation", "msc_macrophage_phenotype", "msc_epithelial_protection",
    "msc_repair_rate",
)  # fmt: skip
PARAMETERS = {
    f: (f"copd_{f.removesuffix('_ml')}", _UNITS.get(f, D), f"CopdParams.{f}") for f in _FIELDS
}


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    b.therapies({"bronchodilator": "long-acting bronchodilator (symptomatic, UPLIFT)"})
    b.values({
        "fev1_baseline_ml": ("mL", "FEV1 at enrolment (the SGRQ's reference)"),
        "sgrq_baseline": (D, "SGRQ at enrolment (copd_sgrq_initial)"),
    }, m.extra)  # fmt: skip
    b.constant("sgrq_ml_per_step", 100.0, "mL", "SGRQ slope is per 100 mL of FEV1 lost",
               provenance="unit of copd_sgrq_per_100ml")  # fmt: skip
    b.constant("sgrq_max", 100.0, D, "SGRQ maximum", provenance="scale definition")
    r = b.rule
    # msc_effects (linear in s).
    r("anti_inflammation", f"copd_msc_anti_inflammation * {s}", D)
    r("macrophage_phenotype", f"copd_msc_macrophage_phenotype * {s}", D)
    r("epithelial_protection", f"copd_msc_epithelial_protection * {s}", D)
    r("lung_repair", f"copd_msc_repair_rate * {s}", "mL/day")
    # copd_rates and fev1_decline.
    r("macrophage_drive", "1 dimensionless + copd_weight_macrophage * (macrophage_m1"
      " / copd_macrophage_m1_disease - 1 dimensionless)", D)  # fmt: skip
    r("fev1_decline", "copd_ageing_decline + copd_disease_decline * (copd_weight_inflammation"
      " * inflammation + (1 dimensionless - copd_weight_inflammation) * epithelial_apoptosis)",
      "mL/day", "fev1_decline: FEV1 lost per day before any repair")  # fmt: skip
    states_of(b, m, {
        "inflammation": (D, "copd_inflammation_rate * (macrophage_drive"
                         " * (1 dimensionless - anti_inflammation) - inflammation)",
                         "inflammatory activity, 1 = untreated COPD"),
        "macrophage_m1": (D, "copd_macrophage_rate * (copd_macrophage_m1_disease"
                          " * (1 dimensionless - macrophage_phenotype) - macrophage_m1)",
                          "activated fraction of alveolar macrophages"),
        "epithelial_apoptosis": (D, "copd_apoptosis_rate * (inflammation * (1 dimensionless"
                                 " - epithelial_protection) - epithelial_apoptosis)",
                                 "epithelial apoptosis, 1 = untreated COPD"),
        "fev1_ml": ("mL", "-fev1_decline + lung_repair",
                    "FEV1 without the bronchodilator step (CopdState.fev1_ml)"),
    }, renamed={"fev1_ml": "fev1_state_ml"})  # fmt: skip
    r("fev1_ml", "fev1_state_ml + bronchodilator * copd_bronchodilator_fev1", "mL",
      "measured FEV1 (measured_fev1)")  # fmt: skip
    score = ("(sgrq_baseline + copd_sgrq_per_100ml * (fev1_baseline_ml - fev1_state_ml)"
             " / sgrq_ml_per_step + copd_sgrq_per_inflammation * (inflammation - 1 dimensionless)"
             " - bronchodilator * copd_bronchodilator_sgrq)")  # fmt: skip
    r("sgrq", f"piecewise(0 dimensionless, {score} < 0 dimensionless, sgrq_max, {score} > sgrq_max,"
      f" {score})", D, "SGRQ-like score (sgrq), 0-100")  # fmt: skip


def delivery(arm: Arm, v: Mapping[str, float]) -> Delivery:
    """trial._aging.copd.exposure: cells by copd._lung, exosomes by their lung share."""
    assert arm.product is not None and arm.regimen is not None
    form, route = str(arm.product.form), str(arm.regimen.route)
    if form == "cells":
        return Delivery(
            kind="arrive_and_decay",
            tables=(
                ("copd_lung_fraction", D),
                ("copd_lung_arrival_time", "day"),
                ("copd_lung_clearance_half_life", "day"),
                ("copd_lung_n50", "cell"),
            ),
            n50="copd_lung_n50",
            fraction="copd_lung_fraction",
            half_life="copd_lung_clearance_half_life",
            arrival="copd_lung_arrival_time",
            note="copd._lung: arrival, then alveolar clearance",
        )
    fraction = f"copd_exosome_lung_fraction_{route}"
    return Delivery(
        kind="decay",
        tables=(
            (fraction, D),
            *per_equivalent_tables(form),
            ("copd_exosome_lung_half_life", "day"),
            ("copd_lung_n50", "cell"),
        ),
        n50="copd_lung_n50",
        fraction=fraction,
        half_life="copd_exosome_lung_half_life",
        note=f"exosomes by {route}: lung share and residence",
    )


EXPORT = DiseaseExport(
    name="copd",
    parameters=PARAMETERS,
    write=write,
    delivery=delivery,
    tissue="lung",
    notes=(
        "The module's FEV1 state is fev1_state_ml; fev1_ml is the measured FEV1 endpoint "
        "(state + bronchodilator step), as in trajectories.nc. SGRQ units are dimensionless.",
    ),
)
