"""Clinical observables of the T2DM module in the fasting state (HOMA, C-peptide, FPG)."""

from __future__ import annotations

from typing import Any

from mscsim.physiology.t2dm._equations import (
    Array,
    Patient,
    Shared,
    Slow,
    endogenous_insulin_coeff,
    secretion_fraction,
)

MG_DL_PER_MMOL_L = 18.016  # glucose molar mass 180.16 g/mol
PMOL_L_PER_NG_ML_CPEPTIDE = 331.1  # C-peptide molar mass 3020 g/mol
PMOL_PER_UU_INSULIN = 0.006  # 1 uIU/mL = 6.00 pmol/L (Volund 1993)


def fasting_observables(
    y: Slow, dose: Array, g_fast: Array, g_mean: Array, pat: Patient, sh: Shared, xp: Any
) -> dict[str, Array]:
    """Endpoint values in the units of endpoints.csv, from states and fasting glucose."""
    c_endo = endogenous_insulin_coeff(y.beta_mass, y.beta_function, sh)
    s = secretion_fraction(g_fast, sh)
    fpi_endo = c_endo * s
    fpi = fpi_endo + pat.c_exo * dose  # plasma insulin assays read exogenous insulin too
    fpg = g_fast / MG_DL_PER_MMOL_L
    # Steady state of the two-compartment C-peptide model: C1 = ISR / (k3 Vd).
    isr = c_endo * sh.k * s * pat.isr_conv
    cpep = isr / (pat.cpep_k3 * pat.cpep_vd_l) / PMOL_L_PER_NG_ML_CPEPTIDE
    return {
        "hba1c_pct": y.hba1c,
        "fpg_mmol_l": fpg,
        "mean_glucose_mmol_l": g_mean / MG_DL_PER_MMOL_L,
        "c_peptide_ng_ml": cpep,
        "insulin_iu_day": dose,
        "insulin_iu_kg_day": dose / pat.weight_kg,
        "fasting_insulin_uu_ml": fpi,
        # HOMA from endogenous (C-peptide-equivalent) insulin: exogenous insulin would make
        # HOMA-B fall whenever a therapy lets the insulin dose come down (Matthews 1985 assumes
        # no exogenous insulin; trials in insulin users use C-peptide for this reason).
        "homa_ir": fpi_endo * fpg / 22.5,
        "homa_b": xp.where(fpg > 3.5, 20.0 * fpi_endo / xp.maximum(fpg - 3.5, 1e-3), xp.nan),
        # C-peptide-to-glucose ratio (seed 004 Tables 2-3, CPGR), per mmol/L of FPG.
        "cpgr": cpep / fpg,
        "treg_pct": y.treg_pct,
    }


ENDPOINT_UNITS: dict[str, str] = {
    "hba1c_pct": "%",
    "fpg_mmol_l": "mmol/L",
    "ppg_mmol_l": "mmol/L",
    "mean_glucose_mmol_l": "mmol/L",
    "c_peptide_ng_ml": "ng/mL",
    "c_peptide_auc": "ng/mL*min",
    "c_peptide_peak_ng_ml": "ng/mL",
    "insulin_auc": "uU/mL*min",
    "insulin_iu_day": "IU/day",
    "insulin_iu_kg_day": "IU/kg/day",
    "fasting_insulin_uu_ml": "uU/mL",
    "homa_ir": "1",
    "homa_b": "%",
    "cpgr": "ng/mL/(mmol/L)",
    "treg_pct": "% of CD4+",
}
