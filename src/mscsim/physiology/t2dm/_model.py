"""The T2DM module as the engine sees it: its equations behind the engine's disease-model API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp

from mscsim.physiology.t2dm._equations import (
    Patient,
    Shared,
    Signals,
    Slow,
    endogenous_insulin_coeff,
    glucose_appearance,
    glucose_qss,
    msc_signals,
    slow_rates,
    titrate,
)


@dataclass(frozen=True)
class T2dmModel:
    """Topp 2000 glucose/insulin/beta cells with the T2DM MSC coupling (`_equations`)."""

    def qss(
        self, y: Slow, dose: Any, pat: Patient, sh: Shared, g0: Any, *, which: int, iters: int
    ) -> Any:
        c_endo = endogenous_insulin_coeff(y.beta_mass, y.beta_function, sh)
        r = glucose_appearance(pat, sh)[which]
        return glucose_qss(r, c_endo, pat.c_exo * dose, y.insulin_sensitivity, g0, sh, jnp, iters)

    def rates(self, y: Slow, g: Any, t: Any, cells: Any, pat: Patient, sh: Shared) -> Slow:
        if cells is None:
            sig = Signals(0.0, 0.0, 1.0)
        else:
            sig = msc_signals(cells, y.m1_fraction / sh.m1_healthy, pat, sh, jnp)
        return slow_rates(y, g, t, sig, pat, sh, jnp)

    def titrate(self, dose: Any, fpg: Any, pat: Patient, sh: Shared, day: Any) -> Any:
        return titrate(dose, fpg, pat, sh, jnp)


T2DM_MODEL = T2dmModel()
