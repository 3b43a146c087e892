"""Issue 5 gaps for Parkinson's, atherosclerosis and COPD (seed 000 §2.2, §2.4, §2.5).

- Parkinson's: MSC-exosome angiogenesis via ICAM1-SMAD3/P38MAPK (ref [14]) raises the
  nigrostriatal microvessel density, which supports neuron survival (`microvascular_support`).
- Atherosclerosis: VSMC phenotype (synthetic share, driven by wall inflammation, feeding LDL
  retention; MSCs lower it) and Tregs damping plaque inflammation (`treg_damping`).
- COPD: exosome lung kinetics by route (`exosome_lung_particles`): intratracheal deposits more
  than IV; the Exo-d-MAPPS-like example runs.

Each mechanism is switched on alone (every other MSC effect set to 0) and must move its own
states in the seed's direction and leave the others alone; without a product the new states stay
at their untreated values, so the control natural history keeps its cited rates (UPDRS-III
+2.4/yr +/- 0.3, PAV change 0 at LDL-C 75 mg/dL, FEV1 -33 +/- 5 mL/yr).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from mscsim.physiology.atherosclerosis import (
    AtheroParams,
    athero_params,
    simulate_atherosclerosis,
)
from mscsim.physiology.copd import (
    exosome_lung_params,
    exosome_lung_particles,
    exosome_lung_signal_function,
    simulate_copd,
)
from mscsim.physiology.parkinson import (
    ParkinsonParams,
    parkinson_params,
    simulate_parkinson,
)
from mscsim.scenario import Scenario, ScenarioError
from mscsim.trial import run_scenario

TWO_YEARS = np.linspace(0.0, 730.0, 9)
SIGNAL = 0.5
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "copd_placental_exosomes.yaml"

PD_EFFECTS = (
    "msc_anti_inflammation",
    "msc_neurotrophic",
    "msc_anti_apoptosis",
    "msc_sprouting_rate",
    "msc_angiogenesis",
)
ATH_EFFECTS = (
    "msc_akt_enos",
    "msc_hgf_adhesion",
    "msc_m2_mirna",
    "msc_mir146a_src",
    "msc_treg_induction",
    "msc_vsmc_phenotype",
)


def _only(p: Any, effects: tuple[str, ...], keep: str) -> Any:
    return p._replace(**{e: (getattr(p, e) if e == keep else 0.0) for e in effects})


def _slope_per_year(t: np.ndarray, y: np.ndarray) -> float:
    return float(np.polyfit(t / 365.25, y, 1)[0])


# --- Parkinson's: angiogenesis (ICAM1-SMAD3/P38MAPK) -------------------------------------------


def test_pd_control_keeps_2_4_points_per_year_and_microvessels_stay_untreated() -> None:
    res = simulate_parkinson(TWO_YEARS)
    assert _slope_per_year(res.t, res.updrs3) == pytest.approx(2.4, abs=0.3)
    np.testing.assert_allclose(res.states.microvessels, 1.0, atol=1e-12)


def test_pd_angiogenesis_alone_raises_microvessels_and_slows_progression() -> None:
    p: ParkinsonParams = _only(parkinson_params(), PD_EFFECTS, "msc_angiogenesis")
    off = simulate_parkinson(TWO_YEARS, p)
    on = simulate_parkinson(TWO_YEARS, p, msc_signal=SIGNAL)
    assert on.states.microvessels[-1] == pytest.approx(1.0 + p.msc_angiogenesis * SIGNAL, rel=1e-3)
    assert on.states.somata[-1] > off.states.somata[-1]
    assert on.states.terminals[-1] > off.states.terminals[-1]
    assert on.updrs3[-1] < off.updrs3[-1]
    # only its own: neither inflammation nor synuclein pathology move
    np.testing.assert_allclose(on.states.microglia, off.states.microglia, rtol=1e-6)
    np.testing.assert_allclose(on.states.synuclein, off.states.synuclein, rtol=1e-6)


def test_pd_other_mechanisms_leave_the_microvessels_alone() -> None:
    p = parkinson_params()._replace(msc_angiogenesis=0.0)
    res = simulate_parkinson(TWO_YEARS, p, msc_signal=SIGNAL)
    np.testing.assert_allclose(res.states.microvessels, 1.0, atol=1e-9)


# --- atherosclerosis: VSMC phenotype and Tregs -----------------------------------------------


def test_ath_control_pav_flat_at_ldl_75_and_new_states_stay_untreated() -> None:
    p = athero_params()
    res = simulate_atherosclerosis(TWO_YEARS, ldl_mg_dl=75.0)
    assert abs(res.pav_pct[-1] - res.pav_pct[0]) < 1e-6
    np.testing.assert_allclose(res.states.vsmc_synthetic, p.vsmc_synthetic_disease, atol=1e-12)
    np.testing.assert_allclose(res.states.treg, 1.0, atol=1e-12)


def test_ath_vsmc_phenotype_alone_lowers_the_synthetic_share_and_plaque() -> None:
    p: AtheroParams = _only(athero_params(), ATH_EFFECTS, "msc_vsmc_phenotype")
    off = simulate_atherosclerosis(TWO_YEARS, p, ldl_mg_dl=100.0)
    on = simulate_atherosclerosis(TWO_YEARS, p, ldl_mg_dl=100.0, msc_signal=SIGNAL)
    expected = p.vsmc_synthetic_disease * (1.0 - p.msc_vsmc_phenotype * SIGNAL)
    assert on.states.vsmc_synthetic[-1] == pytest.approx(expected, rel=1e-3)
    assert on.pav_pct[-1] < off.pav_pct[-1]
    for name in ("enos_no", "oxidative_stress", "adhesion", "m1_fraction", "treg"):
        np.testing.assert_allclose(getattr(on.states, name), getattr(off.states, name), rtol=1e-6)


def test_ath_tregs_alone_damp_m1_inflammation_and_plaque() -> None:
    p: AtheroParams = _only(athero_params(), ATH_EFFECTS, "msc_treg_induction")
    off = simulate_atherosclerosis(TWO_YEARS, p, ldl_mg_dl=100.0)
    on = simulate_atherosclerosis(TWO_YEARS, p, ldl_mg_dl=100.0, msc_signal=SIGNAL)
    assert on.states.treg[-1] > off.states.treg[-1]
    assert on.states.m1_fraction[-1] < off.states.m1_fraction[-1]  # treg_damping
    assert on.pav_pct[-1] < off.pav_pct[-1]
    for name in ("enos_no", "oxidative_stress", "adhesion"):
        np.testing.assert_allclose(getattr(on.states, name), getattr(off.states, name), rtol=1e-6)


def test_ath_treg_damping_is_what_lowers_m1() -> None:
    p = _only(athero_params(), ATH_EFFECTS, "msc_treg_induction")
    undamped = simulate_atherosclerosis(
        TWO_YEARS, p._replace(treg_m1_damping=0.0), ldl_mg_dl=100.0, msc_signal=SIGNAL
    )
    np.testing.assert_allclose(undamped.states.m1_fraction, p.m1_disease, rtol=1e-9)


def test_ath_synthetic_vsmcs_follow_wall_inflammation() -> None:
    p: AtheroParams = _only(athero_params(), ATH_EFFECTS, "msc_m2_mirna")
    on = simulate_atherosclerosis(TWO_YEARS, p, ldl_mg_dl=100.0, msc_signal=SIGNAL)
    assert on.states.vsmc_synthetic[-1] < p.vsmc_synthetic_disease  # less M1, fewer synthetic


# --- COPD: exosome lung kinetics ---------------------------------------------------------------


def test_copd_control_keeps_minus_33_ml_per_year() -> None:
    res = simulate_copd(TWO_YEARS)
    assert _slope_per_year(res.t, res.fev1_ml) == pytest.approx(-33.0, abs=5.0)


def test_intratracheal_exosomes_deposit_more_in_the_lung_than_iv() -> None:
    ep = exosome_lung_params()
    t = np.array([0.0, 0.5, 1.0, 3.0])
    it = exosome_lung_particles(t, 1e12, "intratracheal", (0.0,), ep)
    iv = exosome_lung_particles(t, 1e12, "iv", (0.0,), ep)
    assert np.all(it > iv)
    assert it[0] == pytest.approx(ep.deposition_intratracheal * 1e12)
    assert it[2] == pytest.approx(it[0] * 0.5 ** (1.0 / ep.clearance_half_life), rel=1e-9)
    s_it = exosome_lung_signal_function(1e12, "intratracheal", 1e4)(0.1)
    s_iv = exosome_lung_signal_function(1e12, "iv", 1e4)(0.1)
    assert 0.0 < s_iv < s_it < 1.0


def test_copd_exosome_arm_intratracheal_beats_iv_through_run_scenario() -> None:
    sc = yaml.safe_load(EXAMPLE.read_text())
    sc["population"]["n"] = 40
    result = run_scenario(Scenario.from_dict(sc))
    ds = result.trajectories
    signal = ds["lung_msc_signal"].sel(day=0.0)
    by_arm = {arm: float(signal[ds.arm.values == arm].mean()) for arm in set(ds.arm.values)}
    assert by_arm["placental_exosomes_it"] > by_arm["placental_exosomes_iv"] > 0.0
    assert by_arm["placebo"] == 0.0
    e = result.endpoints
    last = e[(e["endpoint"] == "fev1_ml") & (e["day"] == e["day"].max())]
    change = dict(zip(last["arm"], last["change_mean"], strict=True))
    assert change["placental_exosomes_it"] > change["placental_exosomes_iv"] > change["placebo"]


def test_exosome_lung_route_outside_the_kinetics_is_one_line() -> None:
    with pytest.raises(ValueError) as err:
        exosome_lung_particles(0.0, 1e10, "intranasal")
    assert "\n" not in str(err.value) and "intranasal" in str(err.value)
    sc = yaml.safe_load(EXAMPLE.read_text())
    sc["population"]["n"] = 10
    sc["arms"][0]["regimen"]["route"] = "intranasal"
    with pytest.raises(ScenarioError) as serr:
        run_scenario(Scenario.from_dict(sc))
    message = str(serr.value)
    assert "\n" not in message
    assert "arms[0].regimen.route" in message and "intranasal" in message
