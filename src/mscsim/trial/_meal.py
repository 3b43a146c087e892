"""The mixed-meal test at visits, for every patient at once (one compiled function)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from mscsim.physiology.t2dm._equations import Patient, Shared, Slow
from mscsim.physiology.t2dm._mmtt import Meal, mmtt


def meal(v: Mapping[str, float]) -> Meal:
    """The standard MMTT (Boost 6 mL/kg) per kg of body weight, absorption and glucose kinetics."""
    return Meal(
        carbs_mg_per_kg=v["mmtt_volume_per_kg"] * v["mmtt_carbs_per_ml"],
        bioavailability=v["meal_bioavailability"],
        k_gut=v["gut_emptying_rate"],
        k_abs=v["gut_absorption_rate"],
        glucose_volume_dl_kg=v["glucose_volume"],
        duration_min=int(v["mmtt_duration"]),
        glucose_effectiveness=v["glucose_effectiveness_t2dm"],
        insulin_action_rate=v["insulin_action_rate"],
    )


def _mmtt_scaled(
    y: Slow, dose: Any, g_fast: Any, pat: Patient, sh: Shared, meal: Meal, carbs: Any
) -> dict[str, Any]:
    # The meal size per kg varies by patient (360 mL cap); scale it in the gut compartment.
    return mmtt(y, dose, g_fast, pat, sh, meal._replace(carbs_mg_per_kg=carbs))


_mmtt_jit = jax.jit(_mmtt_scaled, static_argnames=("meal",))


def visit_meal_test(
    y: Slow, dose: Any, g_fast: Any, pat: Patient, sh: Shared, v: Mapping[str, float]
) -> dict[str, np.ndarray]:
    """MMTT outputs (visits x patients arrays in, patients x visits out) with states frozen."""
    weight = jnp.asarray(pat.weight_kg)
    carbs = (
        jnp.minimum(v["mmtt_volume_per_kg"] * weight, v["mmtt_volume_max"])
        * v["mmtt_carbs_per_ml"]
        / weight
    )
    as_jax = jax.tree_util.tree_map(jnp.asarray, (y, dose, g_fast, pat))
    res = _mmtt_jit(*as_jax, sh, meal(v), carbs)
    return {k: np.asarray(a).T for k, a in res.items()}
