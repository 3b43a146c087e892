"""T2DM trials end to end: natural history, MSC effects, route and timing (seed 004 §1.2.3-1.2.4).

Populations are small (a few hundred patients) and follow-up 12 months unless a test needs more,
so the suite stays fast; the calibration check uses the default scenario's population.
"""

from __future__ import annotations

import inspect
from typing import Any

import jax
import numpy as np
import pytest
import xarray as xr

from mscsim.engine._fast import ArmDosing, Carry, simulate_arm
from mscsim.engine._schedule import make_grid, titration_days
from mscsim.knowledge import load_mechanisms
from mscsim.params import load_parameters
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm import _equations
from mscsim.physiology.t2dm._baseline import shared_constants
from mscsim.physiology.t2dm._equations import Patient, Slow
from mscsim.scenario import Scenario
from mscsim.trial import RunResult, run_scenario

ZHANG2020_T2DM = {  # pooled MSC vs control (seed 000 ref [18]); mean difference and 95% CI
    "hba1c_pct": (-0.87, -1.37, -0.37),  # calibration target (docs/calibration.md)
    "c_peptide_ng_ml": (0.33, 0.07, 0.59),  # validation: not fitted
    "fpg_mmol_l": (-0.52, -1.38, 0.34),  # validation: not fitted
    "insulin_iu_day": (-35.76, -40.47, -31.04),  # validation: not fitted
}


def _run(d: dict[str, Any]) -> RunResult:
    return run_scenario(Scenario.from_dict(d))


def _one_year(d: dict[str, Any], n: int = 300) -> dict[str, Any]:
    d["population"]["n"] = n
    d["duration_days"] = 365
    d["visits_days"] = [0, 1, 90, 180, 365]
    return d


def _row(res: RunResult, arm: str, day: float, endpoint: str) -> Any:
    e = res.endpoints
    sel = e[(e.arm == arm) & (e.day == day) & (e.endpoint == endpoint)]
    assert len(sel) == 1
    return sel.iloc[0]


def _arm(ds: xr.Dataset, arm: str) -> xr.Dataset:
    return ds.isel(patient=np.flatnonzero(ds["arm"].values == arm))


@pytest.fixture(scope="module")
def default_one_year() -> RunResult:
    from conftest import default_scenario_dict

    return _run(_one_year(default_scenario_dict(), n=1000))


def test_msc_lowers_fpg_hba1c_and_insulin_and_raises_c_peptide(default_one_year: RunResult) -> None:
    res = default_one_year
    for endpoint, sign in [
        ("hba1c_pct", -1),
        ("fpg_mmol_l", -1),
        ("insulin_iu_day", -1),
        ("c_peptide_ng_ml", +1),
        ("c_peptide_auc", +1),
    ]:
        row = _row(res, "uc_msc", 365.0, endpoint)
        assert sign * row.diff_vs_control_ci_low > 0 and sign * row.diff_vs_control_ci_high > 0, (
            endpoint,
            row.diff_vs_control_mean,
        )
        assert sign * row.change_mean > 0 or endpoint in ("c_peptide_ng_ml", "c_peptide_auc")


def test_hba1c_difference_at_12_months_lies_in_zhang2020_pooled_ci(
    default_one_year: RunResult,
) -> None:
    _, low, high = ZHANG2020_T2DM["hba1c_pct"]
    diff = _row(default_one_year, "uc_msc", 365.0, "hba1c_pct").diff_vs_control_mean
    assert low < diff < high


@pytest.mark.parametrize("endpoint", ["c_peptide_ng_ml", "fpg_mmol_l"])
def test_unfitted_endpoints_at_12_months_lie_in_zhang2020_pooled_ci(
    default_one_year: RunResult, endpoint: str
) -> None:
    _, low, high = ZHANG2020_T2DM[endpoint]
    diff = _row(default_one_year, "uc_msc", 365.0, endpoint).diff_vs_control_mean
    assert low < diff < high


@pytest.mark.xfail(
    strict=True,
    reason="known disagreement: the titration rule turns only part of the glycaemic gain into "
    "insulin reduction (about -5 IU/day vs pooled -36); see docs/calibration.md",
)
def test_insulin_reduction_at_12_months_matches_zhang2020(default_one_year: RunResult) -> None:
    _, low, high = ZHANG2020_T2DM["insulin_iu_day"]
    diff = _row(default_one_year, "uc_msc", 365.0, "insulin_iu_day").diff_vs_control_mean
    assert low < diff < high


def test_control_hba1c_drifts_up_at_the_rate_of_treated_t2dm(scenario_dict: dict[str, Any]) -> None:
    """ADOPT (Kahn 2006): after its nadir HbA1c rose in every monotherapy arm, about
    0.07-0.24 %/year (slopes recalled, not checked against the paper's text); UKPDS: glycaemia
    worsens in every treatment group. Tolerance 0.05-0.35 %/year."""
    d = scenario_dict
    d["population"]["n"] = 300
    d["arms"] = [a for a in d["arms"] if a["regimen"] is None]
    d["visits_days"] = [0, 365, 1095]
    res = _run(d)
    change = _row(res, "control", 1095.0, "hba1c_pct").change_mean
    assert 0.05 < change / 3.0 < 0.35


def test_healthy_glucose_stays_physiological_for_three_years() -> None:
    """A healthy adult (Topp's fixed point, no inflammation, no insulin) keeps mean glucose near
    100 mg/dL and fasting glucose near 90 mg/dL (5 mmol/L) for three years."""
    v = load_parameters().flat()
    sh = shared_constants(v, msc_core.index("target"))
    n = 4
    one, zero = np.ones(n), np.zeros(n)
    m_h = v["m1_fraction_healthy"]
    pat = Patient(
        weight_kg=70 * one, si_base=v["SI"] * one, death_multiplier=one, m1_setpoint=m_h * one,
        infl0=one, duration0_years=zero, c_exo=0.66 * one, fpg_goal=90 * one,
        treg_setpoint=5 * one, insulin_max=zero, insulin_ref=zero, hgp_factor=one,
        titration_mode=zero, insulin_treated=zero,
        potency_imm=zero, potency_tro=zero, licensing_pre=zero, isr_conv=one, cpep_k1=one,
        cpep_k2=one, cpep_k3=one, cpep_vd_l=one,
    )  # fmt: skip
    slow = Slow(300 * one, one, v["SI"] * one, m_h * one, 5.1 * one, 5 * one)
    grid = make_grid(1095, [0, 365, 1095])
    carry = Carry(slow, zero, np.zeros((n, 6)), 100 * one, 90 * one)
    dosing = ArmDosing(np.zeros(grid.day.shape), zero, np.zeros(6))
    with jax.enable_x64(True):
        rec = simulate_arm(
            carry, pat, sh, dosing, grid, titration_days(grid, 7), msc_core.kinetic_matrix(v)
        )
    assert np.all(np.abs(rec.g_mean - 100.0) < 2.0)
    assert np.all(np.abs(rec.g_fast[1:] - 90.0) < 3.0)
    assert np.all(np.abs(rec.slow.hba1c - 5.1) < 0.2)


def _route_pair(d: dict[str, Any]) -> dict[str, Any]:
    iv = d["arms"][0]
    pa = {**iv, "name": "pancreatic", "regimen": {**iv["regimen"], "route": "pancreatic_artery"}}
    d["arms"] = [iv, pa, d["arms"][1]]
    return d


@pytest.fixture(scope="module")
def routes() -> RunResult:
    from conftest import default_scenario_dict

    return _run(_route_pair(_one_year(default_scenario_dict(), n=300)))


def test_iv_infusion_loses_most_cells_to_the_lung(routes: RunResult) -> None:
    day1 = _arm(routes.trajectories, "uc_msc").sel(day=1.0)
    cells = {c: float(day1[f"msc_{c}"].mean()) for c in msc_core.COMPARTMENTS}
    assert cells["lung"] > 0.8 * sum(cells.values())
    assert cells["target"] < 0.01 * sum(cells.values())


def test_pancreatic_artery_delivers_more_cells_to_the_pancreas(routes: RunResult) -> None:
    iv = float(_arm(routes.trajectories, "uc_msc").sel(day=1.0)["msc_target"].mean())
    pa = float(_arm(routes.trajectories, "pancreatic").sel(day=1.0)["msc_target"].mean())
    assert pa > 50 * iv


def test_pancreatic_artery_has_the_larger_effect_per_cell(routes: RunResult) -> None:
    """Same cells per kg, so a larger difference vs control is a larger effect per cell."""
    for endpoint, sign in [("c_peptide_ng_ml", 1), ("hba1c_pct", -1)]:
        iv = _row(routes, "uc_msc", 365.0, endpoint).diff_vs_control_mean
        pa = _row(routes, "pancreatic", 365.0, endpoint).diff_vs_control_mean
        assert sign * pa > sign * iv > 0


def _timing(duration_range: list[float]) -> RunResult:
    from conftest import default_scenario_dict

    d = _one_year(default_scenario_dict(), n=300)
    d["population"]["criteria"]["diabetes_duration_years"] = duration_range
    return _run(d)


def test_early_infusion_preserves_beta_cells_more_while_both_sensitise() -> None:
    """Seed 004 §1.2.4 (Si 2012): early MSC infusion improves beta-cell function and insulin
    resistance; late infusion improves insulin resistance only."""
    early, late = _timing([0.5, 3.0]), _timing([12.0, 30.0])
    gains = {}
    for label, res in (("early", early), ("late", late)):
        ds = res.trajectories.sel(day=365.0)
        msc, ctl = _arm(ds, "uc_msc"), _arm(ds, "control")
        beta = msc["beta_mass_mg"].values * msc["beta_function"].values
        beta_ctl = ctl["beta_mass_mg"].values * ctl["beta_function"].values
        gains[label] = {
            "beta": float(np.mean(beta - beta_ctl)),
            "si": float(
                np.mean(msc["insulin_sensitivity"].values / ctl["insulin_sensitivity"].values)
            ),
        }
    assert gains["early"]["beta"] > 1.5 * gains["late"]["beta"]
    assert gains["early"]["si"] > 1.02 and gains["late"]["si"] > 1.02


def test_every_implemented_mechanism_edge_names_a_term_in_the_model() -> None:
    source = inspect.getsource(_equations) + inspect.getsource(msc_core)
    graph = load_mechanisms("t2dm")
    for edge in graph.implemented():
        assert edge.model_term in source, edge.id


def test_more_cells_and_more_infusions_give_larger_but_saturating_effects() -> None:
    """Dose in cells/kg and repeated infusions (seed 004 §3: 1.1e6-180e6 cells/kg; how many
    cells and how often are open questions): effects rise with dose and number of infusions,
    and saturate (Emax secretome effects)."""
    from conftest import default_scenario_dict

    d = _one_year(default_scenario_dict(), n=200)
    template = d["arms"][0]
    arms = []
    for name, dose, days in [
        ("low", 0.5e6, [0]),
        ("mid", 2.0e6, [0]),
        ("high", 8.0e6, [0]),
        ("mid_x4", 2.0e6, [0, 28, 56, 84]),
    ]:
        regimen = {**template["regimen"], "dose": dose, "schedule_days": days}
        arms.append({**template, "name": name, "regimen": regimen})
    d["arms"] = [*arms, d["arms"][1]]
    res = _run(d)
    effect = {
        a["name"]: -_row(res, a["name"], 365.0, "hba1c_pct").diff_vs_control_mean for a in arms
    }
    assert 0 < effect["low"] < effect["mid"] < effect["high"] < effect["mid_x4"]
    # Saturation: quadrupling the dose gains less than the first quadrupling did.
    assert effect["high"] - effect["mid"] < effect["mid"] - effect["low"]


def test_the_runs_reference_check_solves_within_1e5_of_a_tight_solve() -> None:
    """Every run re-simulates 2 patients at a loose tolerance (trial._check.RTOL, for speed);
    that reference must still sit far below the 1% it checks: within 1e-5 of rtol 1e-8."""
    from conftest import default_scenario_dict
    from mscsim.trial._arms import arm_dosing, arm_patient, standard_of_care
    from mscsim.trial._check import CHECKED_ENDPOINTS, RTOL
    from mscsim.trial._run import PARAMETER_MODULES, _arm_reference, sample_population

    spec = Scenario.from_dict(_one_year(default_scenario_dict(), n=20))
    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()
    with jax.enable_x64(True):
        base, _ = sample_population(spec, params)
        sh = shared_constants(v, msc_core.index("target"))
        grid = make_grid(int(spec.duration_days), spec.visits_days)
        arm = spec.arms[0]
        assert arm.regimen is not None  # the treated arm: doses and titrations as restarts
        pat = arm_patient(arm, standard_of_care(base.patient, spec.standard_of_care, v), v)
        dosing = arm_dosing(arm, pat, grid, v)
        loose = _arm_reference(spec, pat, base, sh, dosing, grid, v)
        tight = _arm_reference(spec, pat, base, sh, dosing, grid, v, rtol=1e-8)
    assert RTOL >= 1e-6 and len(loose) == 2
    for k, obs in loose.items():
        for name in CHECKED_ENDPOINTS:
            ref = tight[k][name]
            dev = np.abs(obs[name] - ref) / np.maximum(np.abs(ref), 1e-6)
            assert np.max(dev) < 1e-5, (k, name, float(np.max(dev)))
