"""Parkinson's module (seed 000 §2.2): natural history against PPMI and Fearnley & Lees, MSC
mechanisms in the seed's direction, levodopa as symptomatic standard of care, bad inputs.

Known answers:
- Untreated MDS-UPDRS III rises 2.4 points/yr in de novo PD (PPMI, Holden 2018): the model's
  least-squares slope over 2 years lies within 2.4 +/- 0.3 (calibrated to 2.40).
- Nigral somata are lost at about 0.06/yr at enrolment (45% in the first decade, Fearnley & Lees).
- Symptoms at 80% striatal dopamine loss with a baseline MDS-UPDRS III near 21 points.
- Levodopa: about 40% off the score above the floor, degeneration unchanged (ELLDOPA, LEAP).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from mscsim.params import load_module, missing_sources
from mscsim.physiology._inputs import linear_slope_per_year
from mscsim.physiology.parkinson import (
    EVIDENCE_LEVEL,
    ParkinsonState,
    parkinson_initial_state,
    parkinson_params,
    parkinson_rates,
    simulate_parkinson,
    updrs3,
)

TWO_YEARS = np.linspace(0.0, 730.5, 25)


def test_untreated_updrs3_rises_about_2_4_points_per_year_over_two_years() -> None:
    res = simulate_parkinson(TWO_YEARS)
    assert linear_slope_per_year(res.t, res.updrs3_off) == pytest.approx(2.4, abs=0.3)


def test_baseline_updrs3_is_about_21_points_at_80_percent_dopamine_loss() -> None:
    res = simulate_parkinson(TWO_YEARS)
    assert res.states.dopamine[0] == pytest.approx(0.2)
    assert res.updrs3_off[0] == pytest.approx(21.0, abs=0.5)


def test_nigral_somata_are_lost_at_about_6_percent_per_year_at_enrolment() -> None:
    p = parkinson_params()
    y0 = parkinson_initial_state()
    rate = parkinson_rates(y0, 0.0, p, np)
    hazard_per_year = -rate.somata / y0.somata * 365.25
    assert hazard_per_year == pytest.approx(-math.log(0.55) / 10.0, rel=0.02)


def test_terminals_are_lost_faster_than_somata() -> None:
    res = simulate_parkinson(TWO_YEARS)
    s = res.states
    terminal_loss = 1.0 - s.terminals[-1] / s.terminals[0]
    soma_loss = 1.0 - s.somata[-1] / s.somata[0]
    assert terminal_loss > 2.0 * soma_loss > 0.0


def test_msc_signal_slows_progression_and_protects_neurons_in_the_seed_direction() -> None:
    control = simulate_parkinson(TWO_YEARS)
    treated = simulate_parkinson(TWO_YEARS, msc_signal=0.5)
    c, t = control.states, treated.states
    assert treated.updrs3_off[-1] < control.updrs3_off[-1] - 1.0
    assert t.somata[-1] > c.somata[-1]
    assert t.terminals[-1] > c.terminals[-1]
    assert t.dopamine[-1] > c.dopamine[-1]
    assert t.microglia[-1] < c.microglia[-1]


def test_a_stronger_signal_gives_a_larger_benefit() -> None:
    changes = [
        simulate_parkinson(TWO_YEARS, msc_signal=s).updrs3_off[-1] for s in (0.0, 0.3, 0.6, 0.9)
    ]
    assert np.all(np.diff(changes) < 0)


def test_each_mechanism_acts_on_its_own_state() -> None:
    p = parkinson_params()
    none = p._replace(
        msc_anti_inflammation=0.0,
        msc_neurotrophic=0.0,
        msc_anti_apoptosis=0.0,
        msc_sprouting_rate=0.0,
    )
    y0 = parkinson_initial_state()
    base = parkinson_rates(y0, 0.8, none, np)
    inflam = parkinson_rates(y0, 0.8, none._replace(msc_anti_inflammation=0.5), np)
    assert inflam.microglia < base.microglia
    assert inflam.somata == base.somata  # only through microglia, later
    apoptosis = parkinson_rates(y0, 0.8, none._replace(msc_anti_apoptosis=0.5), np)
    assert apoptosis.somata > base.somata
    assert apoptosis.terminals == base.terminals
    trophic = parkinson_rates(y0, 0.8, none._replace(msc_neurotrophic=0.5), np)
    assert trophic.somata > base.somata and trophic.terminals > base.terminals
    sprouting = parkinson_rates(y0, 0.8, none._replace(msc_sprouting_rate=1e-3), np)
    assert sprouting.terminals > base.terminals and sprouting.somata == base.somata


def test_levodopa_removes_40_percent_of_the_score_above_floor_and_leaves_degeneration() -> None:
    p = parkinson_params()
    off = simulate_parkinson(TWO_YEARS)
    on = simulate_parkinson(TWO_YEARS, levodopa=1.0)
    np.testing.assert_array_equal(on.states.dopamine, off.states.dopamine)
    np.testing.assert_array_equal(on.states.somata, off.states.somata)
    np.testing.assert_allclose(on.updrs3 - p.updrs_floor, 0.6 * (off.updrs3 - p.updrs_floor))
    assert on.updrs3[0] < off.updrs3[0] - 7.0
    # symptomatic only: the score keeps rising at a rate reduced by the same 40%
    assert linear_slope_per_year(on.t, on.updrs3) == pytest.approx(0.6 * 2.4, abs=0.2)


def test_rates_are_the_same_in_numpy_and_jax() -> None:
    p = parkinson_params()
    y = ParkinsonState(0.15, 0.45, 1.2, 0.35, 0.16, 1.1)
    a = parkinson_rates(y, 0.4, p, np)
    b = parkinson_rates(ParkinsonState(*(jnp.asarray(v) for v in y)), jnp.asarray(0.4), p, jnp)
    np.testing.assert_allclose(np.array(b, dtype=float), np.array(a), rtol=1e-6)
    assert float(updrs3(jnp.asarray(0.2), p, jnp)) == pytest.approx(float(updrs3(0.2, p, np)))


def test_time_varying_signal_is_accepted_and_recorded() -> None:
    res = simulate_parkinson(TWO_YEARS, msc_signal=lambda t: 0.5 if t < 365.25 else 0.0)
    assert res.msc_signal[0] == 0.5 and res.msc_signal[-1] == 0.0
    assert res.evidence_level == EVIDENCE_LEVEL == "exploratory"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"msc_signal": 1.0}, "msc_signal"),
        ({"msc_signal": -0.1}, "msc_signal"),
        ({"msc_signal": "high"}, "msc_signal"),
        ({"msc_signal": lambda t: 1.5}, r"msc_signal\(0\)"),
        ({"levodopa": 2.0}, "levodopa"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        simulate_parkinson(TWO_YEARS, **kwargs)  # type: ignore[arg-type]


def test_bad_time_grid_names_t_days() -> None:
    with pytest.raises(ValueError, match="t_days"):
        simulate_parkinson([0.0, 10.0, 5.0])


def test_negative_initial_state_names_the_state() -> None:
    y0 = parkinson_initial_state()._replace(somata=-0.1)
    with pytest.raises(ValueError, match=r"initial\.somata"):
        simulate_parkinson(TWO_YEARS, initial=y0)


def test_table_has_sources_and_changes_reach_the_model() -> None:
    table = load_module("parkinson")
    assert missing_sources(table) == []
    faster = parkinson_params(table.replace(pd_terminal_loss_ratio=6.0))
    assert (
        simulate_parkinson(TWO_YEARS, faster).updrs3_off[-1]
        > (simulate_parkinson(TWO_YEARS).updrs3_off[-1])
    )
