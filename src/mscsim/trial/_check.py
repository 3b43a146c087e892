"""Every run re-simulates a few random patients on the SciPy reference path (DESIGN.md, engine)
and records the largest relative deviation of the fast engine on the endpoints."""

from __future__ import annotations

from typing import Any

import numpy as np

from mscsim.engine._reference import patient_at, simulate_reference, slow_at
from mscsim.engine._schedule import Grid
from mscsim.physiology.t2dm._equations import Patient, Shared
from mscsim.physiology.t2dm._observables import fasting_observables

# Looser than the tests' 1e-8 because every run pays for it: on the demo's checked patients
# (3 years, 160 restarts at doses and titrations) rtol 1e-4 stays within 3e-7 of a 1e-8 solve on
# every checked endpoint and record day (1e-6: 4e-9), three orders of magnitude below the
# engine's float32 deviation (~1e-3) and far below the 1% being checked, in 1.4 s instead of
# 2.5 s (tests/test_t2dm_trial.py pins the accuracy).
RTOL = 1e-4
CHECKED_ENDPOINTS = ("hba1c_pct", "fpg_mmol_l", "c_peptide_ng_ml", "insulin_iu_day", "homa_b")


REFERENCE_PATIENTS = 2


def reference_patients(seed: int, n: int) -> list[int]:
    """Which patients a run re-checks: a few at random, the same for the same seed."""
    rng = np.random.default_rng([seed, 20_241_123])
    return sorted(rng.choice(n, size=min(REFERENCE_PATIENTS, n), replace=False).tolist())


def dose_days(amount: np.ndarray, grid: Grid) -> dict[int, float]:
    """Dosing days of a (n_segments, SEGMENT) amount table and the amount given on each."""
    a = np.asarray(amount)
    return {
        int(d): float(x) for d, x in zip(grid.day[grid.active], a[grid.active], strict=True) if x
    }


def reference_observables(
    *,
    patients: list[int],
    pat: Patient,
    base: Any,
    sh: Shared,
    dose_live_cells: dict[int, np.ndarray],
    route: np.ndarray,
    kinetics: np.ndarray,
    grid: Grid,
    titration_interval: float,
    rtol: float = RTOL,
) -> dict[int, dict[str, np.ndarray]]:
    """The checked endpoints of `patients` on the reference path, over the record days.

    Needs nothing from the engine, so a run can compute it while the engine compiles and runs.
    """
    out: dict[int, dict[str, np.ndarray]] = {}
    for k in patients:
        p = patient_at(pat, k)
        ref = simulate_reference(
            p,
            slow_at(base.slow, k),
            float(base.insulin_dose[k]),
            float(base.g_mean[k]),
            sh,
            dose_cells_by_day={d: float(c[k]) for d, c in dose_live_cells.items()},
            route=route,
            kinetics=kinetics,
            record_days=grid.record_days,
            duration_days=grid.duration_days,
            titration_interval_days=titration_interval,
            rtol=rtol,
        )
        slow = type(base.slow)(*(ref[f] for f in base.slow._fields))
        obs = fasting_observables(
            slow, ref["insulin_dose"], ref["g_fast"], ref["g_mean"], p, sh, np
        )
        out[k] = {name: np.asarray(obs[name], dtype=float) for name in CHECKED_ENDPOINTS}
    return out


def compare_with_engine(
    arm: str,
    reference: dict[int, dict[str, np.ndarray]],
    grid: Grid,
    engine_variables: dict[str, np.ndarray],
) -> dict[str, Any]:
    """Largest |engine - reference| / |reference| over the checked endpoints and record days."""
    worst = (0.0, "", 0.0)
    for k, obs in reference.items():
        for name in CHECKED_ENDPOINTS:
            r = obs[name]
            e = engine_variables[name][k]
            scale = np.maximum(np.abs(r), 1e-6)
            dev = np.abs(e - r) / scale
            j = int(np.nanargmax(dev))
            if dev[j] > worst[0]:
                worst = (float(dev[j]), name, float(grid.record_days[j]))
    return {
        "arm": arm,
        "patients": [int(k) for k in reference],
        "endpoints": list(CHECKED_ENDPOINTS),
        "max_rel_dev": round(worst[0], 8),
        "worst_endpoint": worst[1],
        "worst_day": worst[2],
        "solver": f"scipy Radau, rtol {RTOL:g}, full stiff model",
    }
