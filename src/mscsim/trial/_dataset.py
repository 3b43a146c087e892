"""The trajectories of a run as an xarray Dataset (patient x day, visit-only tests on visit_day)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from mscsim.engine._schedule import Grid
from mscsim.physiology.t2dm._observables import ENDPOINT_UNITS

if TYPE_CHECKING:
    from mscsim.trial._run import ArmResult

LONG_NAMES = {
    "hba1c_pct": "HbA1c",
    "fpg_mmol_l": "fasting plasma glucose",
    "ppg_mmol_l": "2-h glucose of the mixed-meal test",
    "mean_glucose_mmol_l": "day-mean glucose",
    "c_peptide_ng_ml": "fasting C-peptide",
    "c_peptide_auc": "C-peptide AUC 0-120 min of the mixed-meal test",
    "c_peptide_peak_ng_ml": "peak C-peptide of the mixed-meal test",
    "insulin_iu_day": "exogenous insulin dose",
    "insulin_iu_kg_day": "exogenous insulin dose per kg",
    "fasting_insulin_uu_ml": "fasting plasma insulin",
    "homa_ir": "HOMA-IR",
    "homa_b": "HOMA-%B",
    "beta_mass_mg": "beta-cell mass",
    "beta_function": "secretory function of beta cells (1 = healthy)",
    "insulin_sensitivity": "insulin sensitivity",
    "m1_fraction": "M1 share of tissue macrophages",
    "inflammation_index": "inflammation index (M1 share relative to lean adults)",
}


STATE_UNITS = {
    "beta_mass_mg": "mg",
    "beta_function": "1",
    "insulin_sensitivity": "mL/uU/day",
    "m1_fraction": "1",
    "inflammation_index": "1",
    "c_peptide_peak_ng_ml": "ng/mL",
}


# Endpoints measured only at visits (a meal test), stored on the visit_day axis.


VISIT_ONLY = ("ppg_mmol_l", "c_peptide_auc", "c_peptide_peak_ng_ml")


def build_dataset(
    arms: dict[str, ArmResult], grid: Grid, candidate_ids: np.ndarray, visits: list[float]
) -> xr.Dataset:
    names = list(next(iter(arms.values())).records)
    n = len(candidate_ids)
    data_vars = {}
    for var in names:
        arr = np.concatenate([r.records[var] for r in arms.values()], axis=0)
        unit = ENDPOINT_UNITS.get(var) or STATE_UNITS.get(var) or "cells"
        long = LONG_NAMES.get(var, var.replace("msc_", "live MSCs in ").replace("_", " "))
        attrs = {"units": unit, "long_name": long}
        data_vars[var] = (("patient", "day"), arr.astype(np.float64), attrs)
    for var in VISIT_ONLY:
        if var not in next(iter(arms.values())).visits:
            continue  # a disease without meal tests (the aging diseases)
        arr = np.concatenate([r.visits[var] for r in arms.values()], axis=0)
        unit = ENDPOINT_UNITS.get(var) or STATE_UNITS[var]
        attrs = {"units": unit, "long_name": LONG_NAMES.get(var, var)}
        data_vars[var] = (("patient", "visit_day"), arr.astype(np.float64), attrs)
    arm_names = np.repeat(np.array(list(arms), dtype=object), n)
    return xr.Dataset(
        data_vars,
        coords={
            "patient": np.arange(len(arm_names)),
            "day": grid.record_days.astype(np.float64),
            "visit_day": np.asarray(visits, dtype=np.float64),
            "arm": ("patient", arm_names.astype(str)),
            "patient_id": ("patient", np.tile(candidate_ids, len(arms))),
        },
        attrs={"uncertainty": "between-patient variability within the virtual population"},
    )
