"""Atherosclerosis module (seed 000 §2.4): PAV against the pooled IVUS relation and GLAGOV,
statin as standard of care, MSC mechanisms in the seed's direction, bad inputs.

Known answers:
- Untreated wall: no PAV change at LDL-C 75 mg/dL (pooled IVUS, Nicholls 2007, per the
  reference notes) and change linear in LDL-C.
- GLAGOV over 78 weeks: the arms at 93.0 and 36.6 mg/dL differ by 1.00 PAV points (+0.05 vs
  -0.95); the model difference must lie within 1.00 +/- 0.05.
- High-intensity statin halves LDL-C (2018 AHA/ACC guideline).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from mscsim.params import load_module, missing_sources
from mscsim.physiology.atherosclerosis import (
    EVIDENCE_LEVEL,
    AtheroState,
    athero_initial_state,
    athero_params,
    athero_rates,
    simulate_atherosclerosis,
)

WEEKS_78 = np.linspace(0.0, 78 * 7.0, 27)


def pav_change(ldl: float, **kwargs: object) -> float:
    res = simulate_atherosclerosis(WEEKS_78, ldl_mg_dl=ldl, **kwargs)  # type: ignore[arg-type]
    return float(res.pav_pct[-1] - res.pav_pct[0])


def test_untreated_plaque_does_not_change_at_ldl_75() -> None:
    assert pav_change(75.0) == pytest.approx(0.0, abs=0.01)


def test_pav_change_is_linear_in_ldl() -> None:
    ldls = np.array([40.0, 75.0, 100.0, 130.0, 190.0])
    changes = np.array([pav_change(x) for x in ldls])
    slope, intercept = np.polyfit(ldls, changes, 1)
    np.testing.assert_allclose(changes, slope * ldls + intercept, atol=1e-6)
    assert -intercept / slope == pytest.approx(75.0, abs=0.5)


def test_glagov_arms_differ_by_one_pav_point_over_78_weeks() -> None:
    assert pav_change(93.0) - pav_change(36.6) == pytest.approx(1.0, abs=0.05)
    assert pav_change(36.6) < 0.0 < pav_change(93.0)


def test_statin_halves_ldl_and_turns_progression_into_regression_from_130() -> None:
    untreated = simulate_atherosclerosis(WEEKS_78, ldl_mg_dl=130.0)
    statin = simulate_atherosclerosis(WEEKS_78, ldl_mg_dl=130.0, statin=1.0)
    assert statin.ldl_mg_dl == pytest.approx(65.0)
    assert untreated.pav_pct[-1] > untreated.pav_pct[0]
    assert statin.pav_pct[-1] < statin.pav_pct[0]


def test_msc_signal_slows_plaque_growth_through_the_wall_in_the_seed_direction() -> None:
    control = simulate_atherosclerosis(WEEKS_78, ldl_mg_dl=130.0)
    treated = simulate_atherosclerosis(WEEKS_78, ldl_mg_dl=130.0, msc_signal=0.5)
    c, t = control.states, treated.states
    assert t.pav[-1] < c.pav[-1] - 0.2
    assert t.enos_no[-1] > c.enos_no[-1]  # p-AKT/eNOS
    assert t.oxidative_stress[-1] < c.oxidative_stress[-1]  # miR-146a/Src
    assert t.adhesion[-1] < c.adhesion[-1]  # HGF via MAPK/NF-kB
    assert t.m1_fraction[-1] < c.m1_fraction[-1]  # miR-let7, miR-21a-5p
    assert t.treg[-1] > c.treg[-1]


def test_msc_moves_the_neutral_ldl_upward() -> None:
    # With the wall repaired, more patients regress at the same LDL-C.
    assert pav_change(80.0) > 0.0 > pav_change(80.0, msc_signal=0.6)


def test_each_mechanism_acts_on_its_own_state() -> None:
    p = athero_params()
    none = p._replace(
        msc_akt_enos=0.0,
        msc_hgf_adhesion=0.0,
        msc_m2_mirna=0.0,
        msc_mir146a_src=0.0,
        msc_treg_induction=0.0,
    )
    y0 = athero_initial_state()
    base = athero_rates(y0, 130.0, 0.8, none, np)
    for field, state, sign in [
        ("msc_akt_enos", "enos_no", 1),
        ("msc_hgf_adhesion", "adhesion", -1),
        ("msc_m2_mirna", "m1_fraction", -1),
        ("msc_mir146a_src", "oxidative_stress", -1),
        ("msc_treg_induction", "treg", 1),
    ]:
        one = athero_rates(y0, 130.0, 0.8, none._replace(**{field: 0.5}), np)
        diff = {k: getattr(one, k) - getattr(base, k) for k in AtheroState._fields}
        assert sign * diff[state] > 0, field
        assert [k for k, v in diff.items() if v != 0] == [state], field


def test_rates_are_the_same_in_numpy_and_jax() -> None:
    p = athero_params()
    y = AtheroState(40.0, 0.6, 0.9, 0.8, 0.5, 1.1, 0.4)
    a = athero_rates(y, 110.0, 0.3, p, np)
    b = athero_rates(
        AtheroState(*(jnp.asarray(v) for v in y)), jnp.asarray(110.0), jnp.asarray(0.3), p, jnp
    )
    np.testing.assert_allclose(np.array(b, dtype=float), np.array(a), rtol=1e-5)


def test_result_says_it_is_exploratory() -> None:
    res = simulate_atherosclerosis(WEEKS_78)
    assert res.evidence_level == EVIDENCE_LEVEL == "exploratory"
    assert res.ldl_mg_dl == pytest.approx(130.0)  # the table's untreated default


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ldl_mg_dl": -10.0}, "ldl_mg_dl"),
        ({"ldl_mg_dl": "high"}, "ldl_mg_dl"),
        ({"statin": 1.5}, "statin"),
        ({"msc_signal": 1.0}, "msc_signal"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        simulate_atherosclerosis(WEEKS_78, **kwargs)  # type: ignore[arg-type]


def test_bad_initial_pav_names_the_state() -> None:
    with pytest.raises(ValueError, match=r"initial\.pav"):
        simulate_atherosclerosis(WEEKS_78, initial=athero_initial_state()._replace(pav=120.0))


def test_table_has_sources() -> None:
    assert missing_sources(load_module("atherosclerosis")) == []
