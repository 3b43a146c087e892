"""Brain delivery of MSC cells versus exosomes (seed 000 §2.2, §3): exosomes cross the
blood-brain barrier and home to the nigra, cells essentially do not; routes that bypass the
barrier deliver more; the brain signal drives the Parkinson's and Alzheimer's modules.
"""

from __future__ import annotations

import numpy as np
import pytest

from mscsim.params import load_module, missing_sources
from mscsim.physiology.alzheimer import simulate_alzheimer
from mscsim.physiology.brain_delivery import (
    FORMS,
    ROUTES,
    brain_delivery_params,
    brain_exposure,
    brain_signal_function,
    delivered_fraction,
)
from mscsim.physiology.parkinson import simulate_parkinson


def test_iv_exosomes_reach_the_brain_at_least_tenfold_more_than_iv_cells() -> None:
    exo = delivered_fraction("exosomes", "iv")
    cells = delivered_fraction("cells", "iv")
    assert exo >= 10.0 * cells
    assert cells < 1e-4  # essentially none: the lung keeps them, the barrier stops the rest


def test_exosomes_out_reach_cells_over_the_whole_documented_range() -> None:
    table = load_module("brain_delivery")
    exo_low = table["brain_fraction_exosomes_iv"].lower
    cells_high = table["brain_fraction_cells_iv"].upper
    assert exo_low > cells_high


def test_exosomes_home_to_the_nigra_more_than_cells() -> None:
    assert delivered_fraction("exosomes", "iv", "nigra") >= 100.0 * delivered_fraction(
        "cells", "iv", "nigra"
    )


@pytest.mark.parametrize("form", FORMS)
def test_routes_that_bypass_the_barrier_deliver_more(form: str) -> None:
    iv, nasal, it = (delivered_fraction(form, r) for r in ("iv", "intranasal", "intrathecal"))
    assert iv < nasal < it


def test_exposure_decays_with_the_form_half_life_and_adds_up_over_doses() -> None:
    bp = brain_delivery_params()
    one = brain_exposure([0.0, 1.0, 2.0], 1e11, "exosomes", "iv")
    assert one.amount[0] == pytest.approx(1e11 * bp.fraction[("exosomes", "iv")])
    assert one.amount[1] / one.amount[0] == pytest.approx(0.5 ** (1.0 / bp.half_life["exosomes"]))
    two = brain_exposure([10.0], 1e11, "exosomes", "iv", schedule_days=(0.0, 10.0))
    single = brain_exposure([10.0], 1e11, "exosomes", "iv", schedule_days=(10.0,))
    assert two.amount[0] > single.amount[0]
    before = brain_exposure([9.9], 1e11, "exosomes", "iv", schedule_days=(10.0,))
    assert before.amount[0] == 0.0


def test_signal_is_a_fraction_and_rises_with_dose() -> None:
    doses = [1e9, 1e10, 1e11, 1e12, 1e14]
    s = [float(brain_exposure(0.0, d, "exosomes", "iv").signal) for d in doses]
    assert all(0.0 <= x < 1.0 for x in s)
    assert np.all(np.diff(s) > 0)


def test_iv_exosomes_slow_parkinson_progression_more_than_iv_cells() -> None:
    t = np.linspace(0.0, 365.25, 13)
    schedule = tuple(float(d) for d in range(0, 365, 28))
    control = simulate_parkinson(t)
    exo = simulate_parkinson(
        t, msc_signal=brain_signal_function(1e11, "exosomes", "iv", schedule, target="nigra")
    )
    cells = simulate_parkinson(
        t, msc_signal=brain_signal_function(1e8, "cells", "iv", schedule, target="nigra")
    )
    benefit_exo = control.updrs3_off[-1] - exo.updrs3_off[-1]
    benefit_cells = control.updrs3_off[-1] - cells.updrs3_off[-1]
    assert benefit_exo > 0.0
    assert benefit_exo > 10.0 * benefit_cells >= 0.0


def test_intrathecal_cells_help_alzheimer_more_than_iv_cells() -> None:
    t = np.linspace(0.0, 365.25, 13)
    iv = simulate_alzheimer(t, msc_signal=brain_signal_function(1e8, "cells", "iv", (0.0, 90.0)))
    it = simulate_alzheimer(
        t, msc_signal=brain_signal_function(1e8, "cells", "intrathecal", (0.0, 90.0))
    )
    assert it.mmse[-1] > iv.mmse[-1]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"form": "islets"}, "form"),
        ({"route": "intraportal"}, "route"),
        ({"target": "cortex"}, "target"),
        ({"dose": -1.0}, "dose"),
        ({"schedule_days": ()}, "schedule_days"),
    ],
)
def test_bad_inputs_name_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"dose": 1e10, "form": "exosomes", "route": "iv"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=field):
        brain_signal_function(**args)  # type: ignore[arg-type]


def test_every_route_and_form_has_a_sourced_fraction() -> None:
    table = load_module("brain_delivery")
    assert missing_sources(table) == []
    for form in FORMS:
        for route in ROUTES:
            assert f"brain_fraction_{form}_{route}" in table
