"""Aging-disease scenarios run end to end (issue 5): natural history, effect directions,
standard of care, determinism and bad input, through `run_scenario`.

Tolerances are those of the physiology tests: UPDRS-III +2.4 +/- 0.3 /yr and MMSE -3.4 +/- 0.4
/yr over 2 years, FEV1 -33 +/- 5 mL/yr, PAV change zero at LDL-C 75 +/- 2 mg/dL and linear in
LDL-C, lumbar BMD -1.0 +/- 0.15 %/yr, Gompertz growth exact to the solver's accuracy. The cohort
spreads are mean-one, so cohort means keep the cited rates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from mscsim.physiology.copd import copd_params
from mscsim.physiology.tumour import jenner_params
from mscsim.scenario import Scenario, ScenarioError
from mscsim.trial import RunResult, run_scenario
from mscsim.trial._aging import AGING_DISEASES, disease_model
from mscsim.trial._support import AGING_ENDPOINTS, AGING_STANDARD_OF_CARE

N = 100
TWO_YEARS = [0, 182, 365, 547, 730]


def _arm(
    name: str, form: str, dose: float, unit: str, route: str, days: list[int], **product: Any
) -> dict[str, Any]:
    return {
        "name": name,
        "product": {"source": "umbilical_cord", "form": form, **product},
        "regimen": {"dose": dose, "dose_unit": unit, "route": route, "schedule_days": days},
    }


CONTROL = {"name": "control", "regimen": None}
FORTNIGHTLY = list(range(0, 365, 14))


def _scenario(
    disease: str,
    arms: list[dict[str, Any]],
    endpoints: list[str],
    *,
    visits: list[int] = TWO_YEARS,
    n: int = N,
    **extra: Any,
) -> Scenario:
    return Scenario.from_dict(
        {
            "schema_version": 1,
            "name": f"{disease} test",
            "disease": disease,
            "population": {"n": n, "seed": 7, **extra.pop("population", {})},
            "arms": arms,
            "duration_days": visits[-1],
            "visits_days": visits,
            "endpoints": endpoints,
            **extra,
        }
    )


def _means(result: RunResult, arm: str, endpoint: str) -> pd.DataFrame:
    e = result.endpoints
    return e[(e["arm"] == arm) & (e["endpoint"] == endpoint)].sort_values("day")


def _slope_per_year(result: RunResult, arm: str, endpoint: str) -> float:
    m = _means(result, arm, endpoint)
    return float(np.polyfit(m["day"] / 365.25, m["mean"], 1)[0])


def _last_change(result: RunResult, arm: str, endpoint: str) -> float:
    return float(_means(result, arm, endpoint)["change_mean"].iloc[-1])


# --- Parkinson's ------------------------------------------------------------------------------

PD_ARMS = [
    _arm("exosomes_iv", "exosomes", 1e10, "particles/kg", "iv", FORTNIGHTLY),
    _arm("cells_iv", "cells", 1e6, "cells/kg", "iv", FORTNIGHTLY),
    CONTROL,
]


@pytest.fixture(scope="module")
def parkinson() -> RunResult:
    return run_scenario(_scenario("parkinson", PD_ARMS, ["updrs3", "striatal_dopamine_pct"]))


def test_parkinson_control_updrs3_rises_2_4_points_per_year(parkinson: RunResult) -> None:
    assert _slope_per_year(parkinson, "control", "updrs3") == pytest.approx(2.4, abs=0.3)


def test_parkinson_exosomes_iv_slow_progression_and_cells_iv_barely_do(
    parkinson: RunResult,
) -> None:
    exo = _last_change(parkinson, "exosomes_iv", "updrs3")
    cells = _last_change(parkinson, "cells_iv", "updrs3")
    control = _last_change(parkinson, "control", "updrs3")
    assert exo < cells <= control
    assert control - exo > 0.1  # exosomes reach the nigra
    assert control - cells < 0.1 * (control - exo)  # cells essentially do not
    dopamine = _last_change(parkinson, "exosomes_iv", "striatal_dopamine_pct")
    assert dopamine > _last_change(parkinson, "control", "striatal_dopamine_pct")


def test_exosomes_reach_the_nigra_and_cells_essentially_do_not(parkinson: RunResult) -> None:
    exposure = parkinson.lock["arm_exposure"]
    key = "mean_nigra_msc_signal_after_first_dose"
    assert exposure["exosomes_iv"][key] > 0.5
    assert exposure["cells_iv"][key] < 0.05
    assert exposure["control"][key] == 0.0


def test_same_scenario_twice_gives_identical_endpoints(parkinson: RunResult) -> None:
    again = run_scenario(_scenario("parkinson", PD_ARMS, ["updrs3", "striatal_dopamine_pct"]))
    pd.testing.assert_frame_equal(parkinson.endpoints, again.endpoints)
    pd.testing.assert_frame_equal(parkinson.responders, again.responders)


def test_fast_path_matches_the_scipy_reference(parkinson: RunResult) -> None:
    check = parkinson.lock["reference_check"]
    assert check["arm"] == "exosomes_iv"
    assert len(check["patients"]) == 2
    assert check["max_rel_dev"] < 1e-4
    assert parkinson.lock["scope"]["mscsim"]


def test_levodopa_lowers_updrs3_without_changing_the_disease() -> None:
    visits = [0, 182, 365]
    off = run_scenario(_scenario("parkinson", [CONTROL], ["updrs3"], visits=visits))
    on = run_scenario(
        _scenario("parkinson", [CONTROL], ["updrs3"], visits=visits, standard_of_care=["levodopa"])
    )
    assert (
        float(_means(on, "control", "updrs3")["mean"].iloc[0])
        < float(_means(off, "control", "updrs3")["mean"].iloc[0]) - 5.0
    )
    ratio = _slope_per_year(on, "control", "updrs3") / _slope_per_year(off, "control", "updrs3")
    assert ratio == pytest.approx(0.6, abs=0.02)  # levodopa removes 40% of the score above floor


# --- Alzheimer's ------------------------------------------------------------------------------


def test_alzheimer_mmse_falls_3_4_per_year_and_exosomes_beat_cells_iv() -> None:
    arms = [
        _arm("exosomes_iv", "exosomes", 1e10, "particles/kg", "iv", FORTNIGHTLY),
        _arm("cells_iv", "cells", 1e6, "cells/kg", "iv", FORTNIGHTLY),
        CONTROL,
    ]
    result = run_scenario(_scenario("alzheimer", arms, ["mmse"]))
    assert _slope_per_year(result, "control", "mmse") == pytest.approx(-3.4, abs=0.4)
    exo = _last_change(result, "exosomes_iv", "mmse")
    cells = _last_change(result, "cells_iv", "mmse")
    control = _last_change(result, "control", "mmse")
    assert exo > cells >= control
    assert exo - control > 0.2
    assert exo - control > 5.0 * (cells - control)


# --- COPD -------------------------------------------------------------------------------------


def test_copd_fev1_falls_33_ml_per_year_and_msc_slow_it() -> None:
    arms = [_arm("msc_iv", "cells", 1e8, "cells", "iv", [0, 30, 60, 90]), CONTROL]
    result = run_scenario(_scenario("copd", arms, ["fev1_ml", "sgrq"]))
    assert _slope_per_year(result, "control", "fev1_ml") == pytest.approx(-33.0, abs=5.0)
    assert _last_change(result, "msc_iv", "fev1_ml") > _last_change(result, "control", "fev1_ml")
    assert _last_change(result, "msc_iv", "sgrq") < _last_change(result, "control", "sgrq")


def test_bronchodilator_raises_measured_fev1_by_its_step() -> None:
    visits = [0, 365]
    off = run_scenario(_scenario("copd", [CONTROL], ["fev1_ml"], visits=visits))
    on = run_scenario(
        _scenario(
            "copd", [CONTROL], ["fev1_ml"], visits=visits, standard_of_care=["bronchodilator"]
        )
    )
    step = on.endpoints["mean"].to_numpy() - off.endpoints["mean"].to_numpy()
    assert step == pytest.approx(copd_params().bronchodilator_fev1_ml, rel=1e-9)


# --- atherosclerosis --------------------------------------------------------------------------


def test_pav_change_is_linear_in_ldl_and_zero_near_75_mg_dl() -> None:
    result = run_scenario(
        _scenario("atherosclerosis", [CONTROL], ["pav_pct", "ldl_mg_dl"], visits=[0, 365], n=200)
    )
    ds = result.trajectories
    ldl = ds["ldl_mg_dl"].isel(day=0).to_numpy()
    day = ds["day"].to_numpy()
    change = ds["pav_pct"].sel(day=365.0).to_numpy() - ds["pav_pct"].isel(day=0).to_numpy()
    assert day[-1] == 365.0
    slope, intercept = np.polyfit(ldl, change, 1)
    assert -intercept / slope == pytest.approx(75.0, abs=2.0)
    residual = change - (slope * ldl + intercept)
    assert np.max(np.abs(residual)) < 0.02 * np.ptp(change)


def test_statin_lowers_ldl_and_plaque_growth_and_msc_add_regression() -> None:
    arms = [_arm("msc_iv", "cells", 2e6, "cells/kg", "iv", [0, 30, 60, 90]), CONTROL]
    kw: dict[str, Any] = {"visits": [0, 365], "population": {"criteria": {"ldl_mg_dl": [120, 160]}}}
    off = run_scenario(_scenario("atherosclerosis", arms, ["pav_pct", "ldl_mg_dl"], **kw))
    on = run_scenario(
        _scenario(
            "atherosclerosis", arms, ["pav_pct", "ldl_mg_dl"], standard_of_care=["statin"], **kw
        )
    )
    ldl_off = float(_means(off, "control", "ldl_mg_dl")["mean"].iloc[0])
    ldl_on = float(_means(on, "control", "ldl_mg_dl")["mean"].iloc[0])
    assert ldl_on == pytest.approx(0.5 * ldl_off)
    assert _last_change(off, "control", "pav_pct") > 0.3  # untreated LDL 120-160: progression
    assert _last_change(on, "control", "pav_pct") < _last_change(off, "control", "pav_pct")
    assert _last_change(on, "msc_iv", "pav_pct") < _last_change(on, "control", "pav_pct")


# --- osteoporosis -----------------------------------------------------------------------------


def test_lumbar_bmd_falls_about_1_pct_per_year_and_msc_slow_the_loss() -> None:
    arms = [
        _arm("msc_iv", "cells", 1e6, "cells/kg", "iv", [0, 90, 180, 270], source="bone_marrow"),
        _arm("exosomes_iv", "exosomes", 1e10, "particles/kg", "iv", [0, 30, 60, 90]),
        CONTROL,
    ]
    result = run_scenario(_scenario("osteoporosis", arms, ["bmd_lumbar_g_cm2"], visits=[0, 365]))
    control = _means(result, "control", "bmd_lumbar_g_cm2")
    pct = 100.0 * float(control["change_mean"].iloc[-1] / control["mean"].iloc[0])
    assert pct == pytest.approx(-1.0, abs=0.15)
    for arm in ("msc_iv", "exosomes_iv"):
        gain = _last_change(result, arm, "bmd_lumbar_g_cm2")
        assert gain > _last_change(result, "control", "bmd_lumbar_g_cm2"), arm


# --- tumour -----------------------------------------------------------------------------------


def test_tumour_profile_sets_the_direction_and_control_grows_by_gompertz() -> None:
    arms = [
        _arm(
            "promoting",
            "cells",
            1e6,
            "cells/kg",
            "intratumoral",
            [0, 7],
            tumour_profile="promoting",
        ),
        _arm(
            "suppressing",
            "cells",
            1e6,
            "cells/kg",
            "intratumoral",
            [0, 7],
            tumour_profile="suppressing",
        ),
        CONTROL,
    ]
    result = run_scenario(_scenario("tumour", arms, ["tumour_volume_mm3"], visits=[0, 14, 28]))
    prom = _last_change(result, "promoting", "tumour_volume_mm3")
    supp = _last_change(result, "suppressing", "tumour_volume_mm3")
    control = _last_change(result, "control", "tumour_volume_mm3")
    assert prom > control > supp
    # Gompertz: ln(K / V) falls exponentially, so ln ln(K / V) is linear in time per patient.
    ds = result.trajectories
    control_v = ds["tumour_volume_mm3"].where(ds["arm"] == "control", drop=True).to_numpy()
    k = float(jenner_params().carrying_capacity) * 10.0  # mm3 per cell/mL (tumour table)
    loglog = np.log(np.log(k / control_v))
    days = ds["day"].to_numpy()
    for row in loglog[:5]:
        fit = np.polyfit(days, row, 1)
        assert np.max(np.abs(np.polyval(fit, days) - row)) < 1e-6


# --- contracts --------------------------------------------------------------------------------


@pytest.mark.parametrize("disease", AGING_DISEASES)
def test_each_adapter_reports_the_supported_endpoints_and_therapies(disease: str) -> None:
    model = disease_model(disease)
    assert tuple(model.endpoint_units) == AGING_ENDPOINTS[disease]
    assert model.therapies == AGING_STANDARD_OF_CARE[disease]


def _bad(
    disease: str,
    change: dict[str, Any],
    endpoints: list[str] | None = None,
    arm: dict[str, Any] | None = None,
) -> Scenario:
    a = arm or _arm("msc", "cells", 1e6, "cells/kg", "iv", [0])
    return _scenario(
        disease, [a, CONTROL], endpoints or [AGING_ENDPOINTS[disease][0]], visits=[0, 30], **change
    )


@pytest.mark.parametrize(
    ("scenario", "field", "value"),
    [
        (
            lambda: _bad(
                "parkinson",
                {},
                arm=_arm("cm", "conditioned_medium", 5.0, "ug_protein/kg", "iv", [0]),
            ),
            "arms[0].product.form",
            "conditioned_medium",
        ),
        (
            lambda: _bad("copd", {}, arm=_arm("pv", "cells", 1e6, "cells/kg", "portal_vein", [0])),
            "arms[0].regimen.route",
            "portal_vein",
        ),
        (lambda: _bad("copd", {}, endpoints=["hba1c_pct"]), "endpoints[0]", "hba1c_pct"),
        (
            lambda: _bad("parkinson", {"standard_of_care": ["metformin"]}),
            "standard_of_care[0]",
            "metformin",
        ),
        (
            lambda: _bad("osteoporosis", {"population": {"criteria": {"hba1c_pct": [7, 9]}}}),
            "population.criteria.hba1c_pct",
            "7",
        ),
        (
            lambda: _bad(
                "parkinson",
                {},
                arm=_arm("m", "cells", 1e6, "cells/kg", "iv", [0], tumour_profile="promoting"),
            ),
            "arms[0].product.tumour_profile",
            "promoting",
        ),
        (lambda: _bad("tumour", {}), "arms[0].product.tumour_profile", "required for tumour"),
        (
            lambda: _bad(
                "t2dm",
                {"population": {"criteria": {"ldl_mg_dl": [70, 100]}}},
                endpoints=["hba1c_pct"],
            ),
            "population.criteria.ldl_mg_dl",
            "70",
        ),
    ],
)
def test_unsupported_input_is_one_line_naming_field_and_value(
    scenario: Any, field: str, value: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        run_scenario(scenario())
    message = str(err.value)
    assert "\n" not in message
    assert field in message and value in message
