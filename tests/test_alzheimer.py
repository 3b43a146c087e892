"""Alzheimer's module (seed 000 abstract; mechanisms of §2.2): natural history against CERAD,
MSC mechanisms in the seed's direction, bad inputs.

Known answers:
- Untreated MMSE falls 3.4 points/yr in probable AD (CERAD, Clark 1999): the model's
  least-squares slope over 2 years from MMSE 21 lies within -3.4 +/- 0.4 (calibrated to -3.40).
- Plaque is near its plateau in the dementia stage and changes little (Jack 2013).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from mscsim.params import load_module, missing_sources
from mscsim.physiology._inputs import linear_slope_per_year
from mscsim.physiology.alzheimer import (
    EVIDENCE_LEVEL,
    AlzheimerState,
    alzheimer_initial_state,
    alzheimer_params,
    alzheimer_rates,
    simulate_alzheimer,
)

TWO_YEARS = np.linspace(0.0, 730.5, 25)


def test_untreated_mmse_falls_about_3_4_points_per_year_over_two_years() -> None:
    res = simulate_alzheimer(TWO_YEARS)
    assert res.mmse[0] == pytest.approx(21.0)
    assert linear_slope_per_year(res.t, res.mmse) == pytest.approx(-3.4, abs=0.4)


def test_untreated_plaque_stays_near_its_plateau() -> None:
    amyloid = simulate_alzheimer(TWO_YEARS).states.amyloid
    assert 0.9 <= amyloid[-1] < 0.95


def test_msc_signal_slows_cognitive_decline_in_the_seed_direction() -> None:
    control = simulate_alzheimer(TWO_YEARS)
    treated = simulate_alzheimer(TWO_YEARS, msc_signal=0.5)
    assert treated.mmse[-1] > control.mmse[-1] + 1.0
    assert treated.states.microglia[-1] < control.states.microglia[-1]
    assert treated.states.amyloid[-1] < control.states.amyloid[-1]


def test_a_stronger_signal_gives_a_larger_benefit() -> None:
    final = [simulate_alzheimer(TWO_YEARS, msc_signal=s).mmse[-1] for s in (0.0, 0.3, 0.6, 0.9)]
    assert np.all(np.diff(final) > 0)


def test_each_mechanism_acts_on_its_own_state() -> None:
    p = alzheimer_params()
    none = p._replace(msc_anti_inflammation=0.0, msc_phagocytosis_rate=0.0, msc_neuroprotection=0.0)
    y0 = alzheimer_initial_state()
    base = alzheimer_rates(y0, 0.8, none, np)
    inflam = alzheimer_rates(y0, 0.8, none._replace(msc_anti_inflammation=0.5), np)
    assert inflam.microglia < base.microglia and inflam.amyloid == base.amyloid
    phago = alzheimer_rates(y0, 0.8, none._replace(msc_phagocytosis_rate=1e-3), np)
    assert phago.amyloid < base.amyloid and phago.neurons == base.neurons
    protect = alzheimer_rates(y0, 0.8, none._replace(msc_neuroprotection=0.5), np)
    assert protect.neurons > base.neurons and protect.microglia == base.microglia


def test_rates_are_the_same_in_numpy_and_jax() -> None:
    p = alzheimer_params()
    y = AlzheimerState(0.8, 0.4, 0.6)
    a = alzheimer_rates(y, 0.3, p, np)
    b = alzheimer_rates(AlzheimerState(*(jnp.asarray(v) for v in y)), jnp.asarray(0.3), p, jnp)
    np.testing.assert_allclose(np.array(b, dtype=float), np.array(a), rtol=1e-6)


def test_result_says_it_is_exploratory() -> None:
    assert simulate_alzheimer(TWO_YEARS).evidence_level == EVIDENCE_LEVEL == "exploratory"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"msc_signal": 1.2}, "msc_signal"),
        ({"msc_signal": float("nan")}, "msc_signal"),
        ({"msc_signal": lambda t: -0.5}, r"msc_signal\(0\)"),
        ({"initial": AlzheimerState(0.9, 0.4, 1.5)}, "initial.neurons"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        simulate_alzheimer(TWO_YEARS, **kwargs)  # type: ignore[arg-type]


def test_bad_time_grid_names_t_days() -> None:
    with pytest.raises(ValueError, match="t_days"):
        simulate_alzheimer([5.0])


def test_table_has_sources_and_a_calibrated_rate_that_names_its_data() -> None:
    table = load_module("alzheimer")
    assert missing_sources(table) == []
    assert "Clark 1999" in table["ad_neuron_loss_rate"].calibrated_to
