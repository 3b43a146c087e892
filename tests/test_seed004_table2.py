"""Seed 004 Table 2 (T1DM trials): each row, written as a scenario in examples/seed004_table2/,
reproduces the direction of every effect arrow of its row, and the engine agrees with the SciPy
reference path on the patients each run re-checks.

As for Table 3, the model attributes an effect to therapy by the paired difference against a
control arm of the same virtual patients, averaged over the visits after baseline. Antibody
'negative' (row 2) and 'down' (rows 1, 5) are both read as the GAD-antibody proxy falling.
Row 4 (Carlsson 2015) reports C-peptide preserved: 'none or up', i.e. not below control.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mscsim.scenario import load_scenario
from mscsim.trial import run_scenario

TABLE2 = Path(__file__).resolve().parents[1] / "examples" / "seed004_table2"
UP, DOWN, NOT_DOWN = +1, -1, 0
ARROWS = {
    "row1_voltarelli2007_hsc_iv": {
        "c_peptide_auc": UP,
        "gad_antibody_pct": DOWN,
        "hba1c_pct": DOWN,
        "insulin_iu_day": DOWN,
    },
    "row2_mesples2013_bm_mnc_liver": {
        "gad_antibody_pct": DOWN,
        "c_peptide_ng_ml": UP,
        "hba1c_pct": DOWN,
    },
    "row3_hu2013_wj_msc": {
        "fpg_mmol_l": DOWN,
        "ppg_mmol_l": DOWN,
        "hba1c_pct": DOWN,
        "c_peptide_ng_ml": UP,
        "cpgr": UP,
        "insulin_iu_day": DOWN,
    },
    "row4_carlsson2015_bm_msc_iv": {"c_peptide_ng_ml": NOT_DOWN, "c_peptide_peak_ng_ml": NOT_DOWN},
    "row5_thakkar2016_ad_ipc_hsc": {
        "hba1c_pct": DOWN,
        "c_peptide_ng_ml": UP,
        "insulin_iu_day": DOWN,
        "gad_antibody_pct": DOWN,
    },
    "row6_cai2016_uc_msc_bm_mnc_pancreatic": {
        "c_peptide_auc": UP,
        "insulin_auc": UP,
        "hba1c_pct": DOWN,
        "insulin_iu_day": DOWN,
    },
}


def test_every_row_of_table2_has_a_scenario() -> None:
    assert {p.stem for p in TABLE2.glob("*.yaml")} == set(ARROWS)


@pytest.mark.parametrize("row", sorted(ARROWS))
def test_table2_row_reproduces_every_arrow(row: str) -> None:
    scenario = load_scenario(TABLE2 / f"{row}.yaml")
    assert scenario.disease == "t1dm"
    treated = next(a.name for a in scenario.arms if a.regimen is not None)
    result = run_scenario(scenario)
    e = result.endpoints
    for endpoint, sign in ARROWS[row].items():
        rows = e[(e.arm == treated) & (e.endpoint == endpoint) & (e.day > 0)]
        assert len(rows) > 0, endpoint
        mean_diff = float(np.mean(rows.diff_vs_control_mean))
        if sign == NOT_DOWN:
            assert mean_diff >= 0.0, (row, endpoint, mean_diff)
        else:
            assert sign * mean_diff > 0, (row, endpoint, mean_diff)
    check = result.lock["reference_check"]
    assert check["arm"] == treated
    assert check["max_rel_dev"] < 0.01, check
