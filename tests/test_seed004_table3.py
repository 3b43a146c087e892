"""Seed 004 Table 3 (T2DM trials): each row, written as a scenario in examples/seed004_table3/,
reproduces the direction of every effect arrow of its row.

The trials were mostly single-arm and report improvement during follow-up; the model attributes
an effect to therapy by the paired difference against a control arm of the same virtual
patients, averaged over the visits after baseline. Directions are those of the table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mscsim.scenario import load_scenario
from mscsim.trial import run_scenario

TABLE3 = Path(__file__).resolve().parents[1] / "examples" / "seed004_table3"
UP, DOWN = +1, -1
ARROWS = {
    "row1_bhansali2009_bm_pancreatic": {"hba1c_pct": DOWN, "insulin_iu_day": DOWN},
    "row2_hu2012_bm_pancreatic": {
        "fpg_mmol_l": DOWN,
        "hba1c_pct": DOWN,
        "c_peptide_ng_ml": UP,
        "cpgr": UP,
        "insulin_iu_day": DOWN,
    },
    "row3_hu2016_uc_iv": {
        "fpg_mmol_l": DOWN,
        "hba1c_pct": DOWN,
        "ppg_mmol_l": DOWN,
        "c_peptide_ng_ml": UP,
        "cpgr": UP,
        "homa_b": UP,
        "insulin_iu_day": DOWN,
    },
    "row4_kong2014_uc_iv": {
        "fpg_mmol_l": DOWN,
        "ppg_mmol_l": DOWN,
        "c_peptide_ng_ml": UP,
        "treg_pct": UP,
    },
    "row5_jiang2011_placenta_iv": {"insulin_iu_day": DOWN, "c_peptide_ng_ml": UP},
    "row6_purwito2017_adipose_iv": {
        "fpg_mmol_l": DOWN,
        "hba1c_pct": DOWN,
        "insulin_iu_day": DOWN,
        "c_peptide_ng_ml": UP,
    },
}


def test_every_row_of_table3_has_a_scenario() -> None:
    assert {p.stem for p in TABLE3.glob("*.yaml")} == set(ARROWS)


@pytest.mark.parametrize("row", sorted(ARROWS))
def test_table3_row_reproduces_every_arrow(row: str) -> None:
    scenario = load_scenario(TABLE3 / f"{row}.yaml")
    treated = next(a.name for a in scenario.arms if a.regimen is not None)
    result = run_scenario(scenario)
    e = result.endpoints
    for endpoint, sign in ARROWS[row].items():
        rows = e[(e.arm == treated) & (e.endpoint == endpoint) & (e.day > 0)]
        assert len(rows) > 0, endpoint
        mean_diff = float(np.mean(rows.diff_vs_control_mean))
        assert sign * mean_diff > 0, (row, endpoint, mean_diff)
