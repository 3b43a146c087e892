"""Atherosclerosis module constants and enrolment state from the `atherosclerosis` table."""

from __future__ import annotations

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology.atherosclerosis._equations import AtheroParams, AtheroState

MODULE = "atherosclerosis"


def athero_params(params: ParameterSet | None = None) -> AtheroParams:
    """Model constants from the `atherosclerosis` table (or `params`), in model units."""
    ps = params if params is not None else load_module(MODULE)

    def v(name: str, unit: str = "dimensionless") -> float:
        return value_in(ps, f"ath_{name}", unit)

    return AtheroParams(
        pav_ldl_slope=v("pav_ldl_slope", "percent/day/(mg/dL)"),
        ldl_neutral=v("ldl_neutral", "mg/dL"),
        no_rate=v("no_rate", "1/day"),
        no_disease=v("no_disease"),
        oxidative_rate=v("oxidative_rate", "1/day"),
        adhesion_rate=v("adhesion_rate", "1/day"),
        m1_disease=v("m1_disease"),
        polarisation_rate=v("polarisation_rate", "1/day"),
        treg_rate=v("treg_rate", "1/day"),
        weight_adhesion=v("weight_adhesion"),
        weight_m1=v("weight_m1"),
        weight_m2=v("weight_m2"),
        weight_treg=v("weight_treg"),
        statin_ldl_reduction=v("statin_ldl_reduction"),
        msc_akt_enos=v("msc_akt_enos"),
        msc_hgf_adhesion=v("msc_hgf_adhesion"),
        msc_m2_mirna=v("msc_m2_mirna"),
        msc_mir146a_src=v("msc_mir146a_src"),
        msc_treg_induction=v("msc_treg_induction"),
        treg_m1_damping=v("treg_m1_damping"),
        vsmc_synthetic_disease=v("vsmc_synthetic_disease"),
        vsmc_rate=v("vsmc_rate", "1/day"),
        weight_vsmc=v("weight_vsmc"),
        msc_vsmc_phenotype=v("msc_vsmc_phenotype"),
    )


def athero_initial_state(
    params: ParameterSet | None = None, p: AtheroParams | None = None
) -> AtheroState:
    """Untreated coronary disease at enrolment: PAV as tabled, the wall at its disease state."""
    ps = params if params is not None else load_module(MODULE)
    pp = p if p is not None else athero_params(ps)
    return AtheroState(
        pav=value_in(ps, "ath_pav_initial", "percent"),
        enos_no=pp.no_disease,
        oxidative_stress=1.0,
        adhesion=1.0,
        m1_fraction=pp.m1_disease,
        treg=1.0,
        vsmc_synthetic=pp.vsmc_synthetic_disease,
    )


def default_ldl(params: ParameterSet | None = None) -> float:
    """Untreated LDL-C (mg/dL) of the table, used when a simulation gives none."""
    ps = params if params is not None else load_module(MODULE)
    return value_in(ps, "ath_ldl_untreated", "mg/dL")
