"""COPD module constants and enrolment state from the `copd` parameter table."""

from __future__ import annotations

from typing import NamedTuple

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology.copd._equations import CopdParams, CopdState

MODULE = "copd"


class CopdBaseline(NamedTuple):
    """Enrolment values the observables are referred to."""

    fev1_ml: float
    sgrq: float


def copd_params(params: ParameterSet | None = None) -> CopdParams:
    """Model constants from the `copd` table (or `params`), in model units (days, mL)."""
    ps = params if params is not None else load_module(MODULE)

    def v(name: str, unit: str = "dimensionless") -> float:
        return value_in(ps, f"copd_{name}", unit)

    return CopdParams(
        ageing_decline=v("ageing_decline", "mL/day"),
        disease_decline=v("disease_decline", "mL/day"),
        weight_inflammation=v("weight_inflammation"),
        inflammation_rate=v("inflammation_rate", "1/day"),
        macrophage_rate=v("macrophage_rate", "1/day"),
        macrophage_m1_disease=v("macrophage_m1_disease"),
        weight_macrophage=v("weight_macrophage"),
        apoptosis_rate=v("apoptosis_rate", "1/day"),
        sgrq_per_100ml=v("sgrq_per_100ml"),
        sgrq_per_inflammation=v("sgrq_per_inflammation"),
        bronchodilator_fev1_ml=v("bronchodilator_fev1", "mL"),
        bronchodilator_sgrq=v("bronchodilator_sgrq"),
        msc_anti_inflammation=v("msc_anti_inflammation"),
        msc_macrophage_phenotype=v("msc_macrophage_phenotype"),
        msc_epithelial_protection=v("msc_epithelial_protection"),
        msc_repair_rate=v("msc_repair_rate", "mL/day"),
    )


def copd_baseline(params: ParameterSet | None = None) -> CopdBaseline:
    """FEV1 (mL) and SGRQ at enrolment."""
    ps = params if params is not None else load_module(MODULE)
    return CopdBaseline(
        fev1_ml=value_in(ps, "copd_fev1_initial", "mL"),
        sgrq=value_in(ps, "copd_sgrq_initial", "dimensionless"),
    )


def copd_initial_state(
    params: ParameterSet | None = None, p: CopdParams | None = None
) -> CopdState:
    """Untreated COPD at enrolment: inflammation and apoptosis at 1, FEV1 as tabled."""
    ps = params if params is not None else load_module(MODULE)
    pp = p if p is not None else copd_params(ps)
    return CopdState(
        inflammation=1.0,
        macrophage_m1=pp.macrophage_m1_disease,
        epithelial_apoptosis=1.0,
        fev1_ml=copd_baseline(ps).fev1_ml,
    )
