"""Issue 5 gaps for osteoporosis and tumour (seed 000 §2.1, §2.6): femoral-neck BMD and the
hip-fracture proxy, BMP2-modified and autologous osteoporotic BM-MSCs, the exosomal miRNA terms,
and MSCs as adjuvant after chemotherapy or radiotherapy.

Tolerances: the femoral neck falls at the SWAN ratio of the lumbar rate (0.86 x about 1%/yr,
+/- 0.13 %/yr as the lumbar test's 15%); its ratio to the lumbar change is exact to 1e-6 because
both read the same remodelling site. Surviving fractions are exact (a scaling of the start).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from mscsim.params import load_module
from mscsim.physiology.osteoporosis import (
    hip_fracture_risk,
    msc_effects,
    osteo_params,
    osteo_product,
    simulate_osteoporosis,
)
from mscsim.physiology.tumour import surviving_fraction
from mscsim.scenario import Scenario, ScenarioError, parse_scenario
from mscsim.trial import RunResult, run_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
N = 60
CONTROL = {"name": "control", "regimen": None}
QUARTERLY = [0, 90, 180, 270]


def _arm(name: str, form: str = "cells", days: list[int] = QUARTERLY, **product: Any) -> dict:
    dose, unit = (1e6, "cells/kg") if form == "cells" else (1e10, "particles/kg")
    product = {"source": "bone_marrow", "form": form, **product}
    route = product.pop("route", "iv")
    return {
        "name": name,
        "product": product,
        "regimen": {"dose": dose, "dose_unit": unit, "route": route, "schedule_days": days},
    }


def _scenario(disease: str, arms: list[dict], endpoints: list[str], visits: list[int], **kw: Any):
    return Scenario.from_dict(
        {
            "schema_version": 1,
            "name": f"{disease} gaps",
            "disease": disease,
            "population": {"n": N, "seed": 11},
            "arms": arms,
            "duration_days": visits[-1],
            "visits_days": visits,
            "endpoints": endpoints,
            **kw,
        }
    )


def _rows(result: RunResult, arm: str, endpoint: str) -> pd.DataFrame:
    e = result.endpoints
    return e[(e["arm"] == arm) & (e["endpoint"] == endpoint)].sort_values("day")


def _last_change(result: RunResult, arm: str, endpoint: str) -> float:
    return float(_rows(result, arm, endpoint)["change_mean"].iloc[-1])


BONE = ["bmd_lumbar_g_cm2", "bmd_femoral_neck_g_cm2", "fracture_risk_rel"]


@pytest.fixture(scope="module")
def bone() -> RunResult:
    arms = [
        _arm("allogeneic_young", donor_age_years=25),
        _arm("autologous", autologous=True),
        _arm("bmp2", genetic_modification="bmp2"),
        _arm("exosomes", "exosomes", [0, 30, 60, 90]),
        CONTROL,
    ]
    return run_scenario(_scenario("osteoporosis", arms, BONE, [0, 182, 365]))


# --- femoral neck and fracture proxy ----------------------------------------------------------


def test_femoral_neck_falls_at_its_cited_rate_in_control(bone: RunResult) -> None:
    v = load_module("bone")
    ratio = v.value("op_bone_loss_rate_femoral_neck") / v.value("op_bone_loss_rate")
    assert ratio == pytest.approx(9.1 / 10.6, abs=0.01)  # SWAN 10-year cumulative losses
    fn = _rows(bone, "control", "bmd_femoral_neck_g_cm2")
    ls = _rows(bone, "control", "bmd_lumbar_g_cm2")
    fn_pct = 100.0 * float(fn["change_mean"].iloc[-1] / fn["mean"].iloc[0])
    ls_pct = 100.0 * float(ls["change_mean"].iloc[-1] / ls["mean"].iloc[0])
    assert fn_pct == pytest.approx(-0.86, abs=0.13)
    # Per patient the femoral neck's fractional change is the lumbar one x the site ratio.
    ds = bone.trajectories.where(bone.trajectories["arm"] == "control", drop=True)
    rel_fn = ds["bmd_femoral_neck_g_cm2"] / ds["bmd_femoral_neck_g_cm2"].isel(day=0) - 1.0
    rel_ls = ds["bmd_lumbar_g_cm2"] / ds["bmd_lumbar_g_cm2"].isel(day=0) - 1.0
    np.testing.assert_allclose(rel_fn.values, ratio * rel_ls.values, atol=1e-9)
    assert fn_pct / ls_pct == pytest.approx(ratio, rel=0.05)


def test_fracture_proxy_rises_as_bmd_falls_and_msc_lower_it(bone: RunResult) -> None:
    assert _last_change(bone, "control", "fracture_risk_rel") > 0.0
    ds = bone.trajectories.where(bone.trajectories["arm"] == "control", drop=True)
    fn, risk = ds["bmd_femoral_neck_g_cm2"].values, ds["fracture_risk_rel"].values
    falling = np.diff(fn, axis=-1) < 0
    assert falling.all() and (np.diff(risk, axis=-1) > 0).all()
    for arm in ("allogeneic_young", "bmp2", "exosomes"):
        assert _last_change(bone, arm, "fracture_risk_rel") < _last_change(
            bone, "control", "fracture_risk_rel"
        ), arm
    # Marshall 1996: one SD of hip BMD lost is a relative risk of 2.6; none lost is 1.
    assert hip_fracture_risk(0.5, baseline_g_cm2=0.62, rr_per_sd=2.6, sd_g_cm2=0.12) == (
        pytest.approx(2.6)
    )
    assert hip_fracture_risk(0.62, baseline_g_cm2=0.62, rr_per_sd=2.6, sd_g_cm2=0.12) == 1.0


# --- BMP2, autologous, miRNAs -----------------------------------------------------------------


def test_bmp2_beats_unmodified_and_autologous_osteoporotic_cells_do_worst(bone: RunResult) -> None:
    gain = {a: _last_change(bone, a, "bmd_lumbar_g_cm2") for a in ("bmp2", "allogeneic_young")}
    gain["autologous"] = _last_change(bone, "autologous", "bmd_lumbar_g_cm2")
    control = _last_change(bone, "control", "bmd_lumbar_g_cm2")
    assert gain["bmp2"] > gain["allogeneic_young"] > gain["autologous"] > control
    p = osteo_params()
    base = msc_effects(0.5, p)
    bmp2 = msc_effects(0.5, p, product=osteo_product(bmp2=True))
    auto = msc_effects(0.5, p, product=osteo_product(autologous=True))
    assert bmp2.osteoblast_differentiation > base.osteoblast_differentiation
    assert bmp2.paracrine_bone_repair > base.paracrine_bone_repair
    # The adipogenic shift costs differentiation, not the growth factors.
    assert auto.osteoblast_differentiation < base.osteoblast_differentiation
    assert auto.paracrine_bone_repair == base.paracrine_bone_repair


def test_mirna_terms_move_formation_in_the_direction_of_the_seeds_group() -> None:
    p = osteo_params()
    e = msc_effects(0.5, p, exosomes=1.0)
    assert e.mir216a_osteogenesis > 0 and e.mir10b_osteogenesis > 0 > e.mir1292_osteogenesis
    cells = msc_effects(0.5, p, exosomes=0.0)
    assert cells.mir216a_osteogenesis == cells.mir10b_osteogenesis == 0.0

    def bmd_after_a_year(params: Any) -> float:
        res = simulate_osteoporosis([0.0, 365.0], params, msc_signal=0.5, exosomes=True)
        return float(res.bmd_g_cm2[-1])

    point = bmd_after_a_year(p)
    assert bmd_after_a_year(p._replace(msc_mir216a=0.0)) < point
    assert bmd_after_a_year(p._replace(msc_mir10b=0.0)) < point
    assert bmd_after_a_year(p._replace(msc_mir1292=0.0)) > point


# --- tumour: adjuvant after chemotherapy or radiotherapy --------------------------------------

TUMOUR_VISITS = [0, 14, 28]


def _tumour(soc: list[str]) -> RunResult:
    arms = [
        _arm("suppressing", days=[0, 7, 14], route="intratumoral", tumour_profile="suppressing"),
        CONTROL,
    ]
    kw = {"standard_of_care": soc} if soc else {}
    return run_scenario(_scenario("tumour", arms, ["tumour_volume_mm3"], TUMOUR_VISITS, **kw))


def test_chemotherapy_debulks_and_a_suppressing_adjuvant_slows_regrowth() -> None:
    untreated, chemo = _tumour([]), _tumour(["chemotherapy"])
    start = float(_rows(untreated, "control", "tumour_volume_mm3")["mean"].iloc[0])
    after = _rows(chemo, "control", "tumour_volume_mm3")["mean"].to_numpy()
    assert after[0] == pytest.approx(0.1 * start, rel=1e-9)  # one log of cells killed
    assert (np.diff(after) > 0).all()  # then it regrows
    supp = _rows(chemo, "suppressing", "tumour_volume_mm3")["mean"].to_numpy()
    assert supp[0] == pytest.approx(after[0])
    assert (supp[1:] < after[1:]).all()
    assert chemo.lock["reference_check"]["max_rel_dev"] < 1e-3


def test_radiotherapy_and_chemotherapy_surviving_fractions_multiply() -> None:
    ps = load_module("tumour")
    sf2, n = ps.value("tumour_radiotherapy_sf2"), ps.value("tumour_radiotherapy_fractions")
    assert surviving_fraction(radiotherapy=True) == pytest.approx(sf2**n)
    both = surviving_fraction(chemotherapy=True, radiotherapy=True)
    assert both == pytest.approx(0.1 * sf2**n)
    assert surviving_fraction() == 1.0


def test_adjuvant_example_exports_sbml_that_roadrunner_matches_within_one_percent() -> None:
    roadrunner = pytest.importorskip("roadrunner")
    from mscsim.export._sbml_aging import aging_arm_patient_models, aging_sbml_model
    from mscsim.trial import simulate

    sc = yaml.safe_load((EXAMPLES / "tumour_adjuvant_after_chemo.yaml").read_text())
    sc["population"]["n"] = 6
    scenario = parse_scenario(yaml.safe_dump(sc))
    run = simulate(scenario)
    ds = run.trajectories
    worst = 0.0
    for arm in ("bm_msc_suppressing", "chemotherapy_alone"):
        params, models = aging_arm_patient_models(scenario, arm)
        for k in (0, 5):
            row = ds.isel(patient=np.flatnonzero(ds.arm.values == arm)[k])
            rr = roadrunner.RoadRunner(aging_sbml_model(models[k], params))
            rr.integrator.relative_tolerance = 1e-10
            rr.integrator.absolute_tolerance = 1e-12
            times = [float(d) for d in row.day.values]
            out = rr.simulate(times=times, selections=["time", "tumour_volume_mm3"])
            ref = row["tumour_volume_mm3"].values
            assert ref[0] < 20.0  # debulked from about 100 mm3
            worst = max(worst, float(np.max(np.abs(out[:, 1] - ref) / np.maximum(ref, 1.0))))
    assert worst < 0.01


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "field", "value"),
    [
        (
            lambda: _scenario(
                "parkinson",
                [_arm("m", days=[0], genetic_modification="bmp2"), CONTROL],
                ["updrs3"],
                [0, 30],
            ),
            "arms[0].product.genetic_modification",
            "bmp2",
        ),
        (
            lambda: _scenario(
                "copd", [_arm("m", days=[0], autologous=True), CONTROL], ["fev1_ml"], [0, 30]
            ),
            "arms[0].product.autologous",
            "true",
        ),
        (
            lambda: _scenario(
                "osteoporosis",
                [_arm("m", days=[0], source="umbilical_cord", autologous=True), CONTROL],
                BONE,
                [0, 30],
            ),
            "arms[0].product.autologous",
            "bone_marrow",
        ),
        (
            lambda: _scenario(
                "osteoporosis",
                [_arm("m", "exosomes", [0], genetic_modification="bmp2"), CONTROL],
                BONE,
                [0, 30],
            ),
            "arms[0].product.genetic_modification",
            "exosomes",
        ),
        (
            lambda: _scenario(
                "osteoporosis",
                [_arm("m", days=[0]), CONTROL],
                BONE,
                [0, 30],
                standard_of_care=["chemotherapy"],
            ),
            "standard_of_care[0]",
            "chemotherapy",
        ),
        (
            lambda: _scenario(
                "osteoporosis",
                [_arm("m", days=[0], genetic_modification="bmp7"), CONTROL],
                BONE,
                [0, 30],
            ),
            "genetic_modification",
            "bmp7",
        ),
    ],
)
def test_bad_input_is_one_line_naming_field_and_value(make: Any, field: str, value: str) -> None:
    with pytest.raises(ScenarioError) as err:
        run_scenario(make())
    message = str(err.value)
    assert "\n" not in message
    assert field in message and value in message
