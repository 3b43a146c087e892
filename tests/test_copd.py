"""COPD module (seed 000 §2.5): FEV1 natural history against ECLIPSE, bronchodilator against
UPLIFT, MSC mechanisms in the seed's direction, lung kinetics of infused cells, bad inputs.

Known answers:
- Untreated FEV1 falls 33 mL/yr (ECLIPSE, Vestbo 2011): the model's least-squares slope over
  2 years lies within -33 +/- 5 mL/yr (exact by construction: the untreated states stay at 1).
- Tiotropium: measured FEV1 +87 to +103 mL, SGRQ 2.3-3.3 units better, decline unchanged (UPLIFT).
- IV MSCs are in the lung within 30 min and cleared over 1-3 days (seed, Lee 2009: ~24 h).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from mscsim.params import load_module, missing_sources
from mscsim.physiology._inputs import linear_slope_per_year
from mscsim.physiology.copd import (
    EVIDENCE_LEVEL,
    CopdState,
    copd_initial_state,
    copd_params,
    copd_rates,
    lung_cells,
    lung_signal_function,
    simulate_copd,
)

TWO_YEARS = np.linspace(0.0, 730.5, 25)


def test_untreated_fev1_falls_about_33_ml_per_year_over_two_years() -> None:
    res = simulate_copd(TWO_YEARS)
    assert linear_slope_per_year(res.t, res.fev1_ml) == pytest.approx(-33.0, abs=5.0)


def test_untreated_quality_of_life_worsens() -> None:
    res = simulate_copd(TWO_YEARS)
    assert res.sgrq[0] == pytest.approx(50.0)
    assert res.sgrq[-1] > res.sgrq[0]


def test_bronchodilator_is_a_symptomatic_step_without_changing_decline() -> None:
    off = simulate_copd(TWO_YEARS)
    on = simulate_copd(TWO_YEARS, bronchodilator=1.0)
    step = on.fev1_ml - off.fev1_ml
    assert 87.0 <= step[0] <= 103.0
    np.testing.assert_allclose(step, step[0])
    assert 2.3 <= float(off.sgrq[0] - on.sgrq[0]) <= 3.3
    assert linear_slope_per_year(on.t, on.fev1_ml) == pytest.approx(
        linear_slope_per_year(off.t, off.fev1_ml)
    )


def test_msc_signal_slows_fev1_decline_and_improves_quality_of_life() -> None:
    control = simulate_copd(TWO_YEARS)
    treated = simulate_copd(TWO_YEARS, msc_signal=0.5)
    c, t = control.states, treated.states
    assert linear_slope_per_year(treated.t, treated.fev1_ml) > -33.0 + 5.0
    assert t.inflammation[-1] < c.inflammation[-1]
    assert t.macrophage_m1[-1] < c.macrophage_m1[-1]
    assert t.epithelial_apoptosis[-1] < c.epithelial_apoptosis[-1]
    assert treated.sgrq[-1] < control.sgrq[-1]


def test_each_mechanism_acts_on_its_own_state() -> None:
    p = copd_params()
    none = p._replace(
        msc_anti_inflammation=0.0,
        msc_macrophage_phenotype=0.0,
        msc_epithelial_protection=0.0,
        msc_repair_rate=0.0,
    )
    y0 = copd_initial_state()
    base = copd_rates(y0, 0.8, none, np)
    for field, state, sign in [
        ("msc_anti_inflammation", "inflammation", -1),
        ("msc_macrophage_phenotype", "macrophage_m1", -1),
        ("msc_epithelial_protection", "epithelial_apoptosis", -1),
        ("msc_repair_rate", "fev1_ml", 1),
    ]:
        one = copd_rates(y0, 0.8, none._replace(**{field: 0.1}), np)
        diff = {k: getattr(one, k) - getattr(base, k) for k in CopdState._fields}
        assert sign * diff[state] > 0, field
        assert [k for k, v in diff.items() if v != 0] == [state], field


def test_iv_cells_reach_the_lung_within_30_minutes_and_clear_within_3_days() -> None:
    dose = 1.0e8
    peak_window = np.linspace(0.0, 0.2, 2001)
    cells = lung_cells(peak_window, dose)
    thirty_min = 30.0 / 1440.0
    assert float(lung_cells(thirty_min, dose)) > 0.9 * cells.max()
    assert float(lung_cells(1.0, dose)) == pytest.approx(0.5 * 0.8 * dose, rel=0.01)
    assert float(lung_cells(3.0, dose)) < 0.15 * cells.max()
    assert float(lung_cells(-0.5 + 28.0, dose, schedule_days=(28.0,))) == 0.0


def test_a_lung_dose_leaves_a_lasting_macrophage_effect_after_the_cells_are_gone() -> None:
    signal = lung_signal_function(1.0e8, schedule_days=(0.0,))
    t = np.array([0.0, 3.0, 10.0, 30.0, 120.0])
    res = simulate_copd(t, msc_signal=signal)
    m1_0 = res.states.macrophage_m1[0]
    assert res.msc_signal[2] < 0.01  # cells gone by day 10
    assert res.states.macrophage_m1[2] < m1_0 - 0.005  # phenotype still shifted
    assert res.states.macrophage_m1[-1] > res.states.macrophage_m1[2]  # and relaxing back


def test_rates_are_the_same_in_numpy_and_jax() -> None:
    p = copd_params()
    y = CopdState(0.9, 0.5, 1.1, 1300.0)
    a = copd_rates(y, 0.3, p, np)
    b = copd_rates(CopdState(*(jnp.asarray(v) for v in y)), jnp.asarray(0.3), p, jnp)
    np.testing.assert_allclose(np.array(b, dtype=float), np.array(a), rtol=1e-5)


def test_result_says_it_is_exploratory() -> None:
    assert simulate_copd(TWO_YEARS).evidence_level == EVIDENCE_LEVEL == "exploratory"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"msc_signal": 1.0}, "msc_signal"),
        ({"bronchodilator": -1.0}, "bronchodilator"),
        ({"initial": CopdState(1.0, 0.6, 1.0, -5.0)}, "initial.fev1_ml"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        simulate_copd(TWO_YEARS, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((-1.0,), "dose_cells"),
        ((1e8, ()), "schedule_days"),
        ((1e8, (0.0, -3.0)), r"schedule_days\[1\]"),
    ],
)
def test_bad_lung_doses_name_the_field(args: tuple[object, ...], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        lung_signal_function(*args)  # type: ignore[arg-type]


def test_table_has_sources() -> None:
    assert missing_sources(load_module("copd")) == []
