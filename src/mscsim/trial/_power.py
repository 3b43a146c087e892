"""Power and expected effect of real-sized trials over sample size and dose (issue 7).

All doses are simulated in one run (one arm per dose plus the control, on the same virtual
patients); each (dose, n) is then a set of randomised replicates analysed by ANCOVA. The
population-level dose-response is summarised by an Emax fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

from mscsim.scenario import Scenario
from mscsim.trial._replicates import TrialPlan, allocate, ancova, measured, significant

POWER_COLUMNS = ("dose", "n_per_arm", "endpoint", "day", "effect", "diff_mean", "diff_p05",
                 "diff_p95", "power", "replicates", "alpha", "uncertainty")  # fmt: skip


@dataclass(frozen=True)
class PowerResult:
    table: pd.DataFrame  # POWER_COLUMNS, one row per (dose, n)
    emax: dict[str, float]  # e0, emax, ed50 of the population effect vs dose (NaN if not fitted)
    dose_unit: str
    endpoint: str


def dose_scenario(scenario: Scenario, doses: Sequence[float]) -> tuple[Scenario, str, str]:
    """The scenario with its first treated arm repeated once per dose (names dose_<k>)."""
    data: dict[str, Any] = scenario.to_dict()
    arms = data["arms"]

    def placebo(a: dict[str, Any]) -> bool:
        return (a.get("product") or {}).get("form") == "placebo"

    treated = next(a for a in arms if a.get("regimen") and not placebo(a))
    control = next((a for a in arms if placebo(a)), None) or next(
        (a for a in arms if not a.get("regimen")), None
    )
    if control is None:
        raise ValueError("a power analysis needs a control arm (regimen: null) or a placebo arm")
    new_arms = [control]
    for k, dose in enumerate(doses):
        regimen = {**treated["regimen"], "dose": float(dose)}
        new_arms.append({**treated, "name": f"dose_{k}", "regimen": regimen})
    data["arms"] = new_arms
    data.pop("trial", None)
    return Scenario.from_dict(data), str(control["name"]), str(treated["regimen"]["dose_unit"])


def _emax(d: np.ndarray, e0: float, emax: float, ed50: float) -> np.ndarray:
    return e0 + emax * d / (ed50 + d)


def fit_emax(doses: np.ndarray, effects: np.ndarray) -> dict[str, float]:
    """Emax model E = E0 + Emax D / (ED50 + D) through (0, 0) and the simulated effects."""
    d = np.concatenate([[0.0], doses])
    e = np.concatenate([[0.0], effects])
    if len(doses) < 3:  # three parameters need at least three doses besides zero
        return {"e0": np.nan, "emax": np.nan, "ed50": np.nan}
    guess = (0.0, float(e[np.argmax(np.abs(e))]) * 1.5, float(np.median(doses)))
    try:
        popt, _ = curve_fit(_emax, d, e, p0=guess, bounds=([-np.inf, -np.inf, 0.0], np.inf))
    except (RuntimeError, ValueError):
        return {"e0": np.nan, "emax": np.nan, "ed50": np.nan}
    return {"e0": float(popt[0]), "emax": float(popt[1]), "ed50": float(popt[2])}


def power_curves(
    values: dict[str, dict[str, np.ndarray]],
    *,
    control: str,
    doses: Sequence[float],
    ns: Sequence[int],
    endpoint: str,
    visit_days: Sequence[float],
    replicates: int,
    seed: int,
    dropout: float = 0.0,
    alpha: float = 0.05,
    measurement_cv: dict[str, float] | None = None,
) -> pd.DataFrame:
    """values[arm][endpoint]: (patients, visits); arms dose_<k> and the control."""
    j = len(visit_days) - 1
    n_pop = values[control][endpoint].shape[0]
    rows = []
    for k, dose in enumerate(doses):
        arm = f"dose_{k}"
        effect = float(np.nanmean(values[arm][endpoint][:, j] - values[control][endpoint][:, j]))
        for n in ns:
            plan = TrialPlan(
                {arm: n, control: n}, replicates, dropout, alpha, measurement_cv or {}, seed
            )
            alloc = allocate(plan, n_pop, visit_days, seed)
            ys = {}
            for a in (arm, control):
                v = measured(values[a][endpoint][alloc.patients[a]], endpoint, a, plan)
                ys[a] = np.where(alloc.observed[a], v, np.nan)
            est, se, dof = ancova(ys[arm][..., j], ys[arm][..., 0], ys[control][..., j],
                                  ys[control][..., 0])  # fmt: skip
            finite = est[np.isfinite(est)]
            p05, p95 = np.quantile(finite, [0.05, 0.95]) if finite.size else (np.nan, np.nan)
            rows.append(
                {
                    "dose": float(dose),
                    "n_per_arm": int(n),
                    "endpoint": endpoint,
                    "day": float(visit_days[j]),
                    "effect": effect,
                    "diff_mean": float(np.nanmean(est)),
                    "diff_p05": float(p05),
                    "diff_p95": float(p95),
                    "power": float(np.mean(significant(est, se, dof, alpha))),
                    "replicates": replicates,
                    "alpha": alpha,
                    "uncertainty": "between-trial (p05/p95 and power over replicate trials)",
                }
            )
    return pd.DataFrame(rows, columns=list(POWER_COLUMNS))
