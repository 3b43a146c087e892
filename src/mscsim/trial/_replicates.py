"""Real-sized trials drawn from the virtual population (DESIGN.md layer 6).

Every arm is simulated on the same virtual patients, so a replicate randomises distinct patients
to the arms (each patient contributes the outcome of the arm it was allocated to), applies
dropout as missing at random, and analyses the trial the way the seeds' trials were analysed:
change from baseline per arm, and the difference vs control by ANCOVA on baseline. The spread over
replicates is what a trial of that size would show: a between-trial uncertainty, not the
between-patient spread of the population.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special

F64 = NDArray[np.float64]
TRIAL_COLUMNS: tuple[str, ...] = (
    "trial_change_p05",
    "trial_change_p95",
    "diff_mean",
    "diff_p05",
    "diff_p95",
    "power",
)


@dataclass(frozen=True)
class TrialPlan:
    n_per_arm: Mapping[str, int]  # patients randomised to each arm
    replicates: int
    dropout: float  # share of randomised patients lost by the end of the study
    alpha: float = 0.05
    # Within-subject (biological + analytical) CV of each endpoint's measurement: a real trial
    # measures each patient with this noise at each visit; the virtual population has none.
    measurement_cv: Mapping[str, float] = field(default_factory=dict)
    seed: int = 0


def measured(true: F64, endpoint: str, arm: str, plan: TrialPlan) -> F64:
    """True values (replicates, n, visits) as a trial would measure them."""
    cv = plan.measurement_cv.get(endpoint, 0.0)
    if cv <= 0.0:
        return true
    tag = [plan.seed, zlib.crc32(endpoint.encode()), zlib.crc32(arm.encode())]
    noise = np.random.default_rng(tag).standard_normal(true.shape)
    return true * (1.0 + cv * noise)


@dataclass(frozen=True)
class Allocation:
    """patients[arm]: (replicates, n_arm) virtual-patient indices; observed[arm]: (replicates,
    n_arm, visits) booleans (False after the patient dropped out)."""

    patients: dict[str, NDArray[np.int64]]
    observed: dict[str, NDArray[np.bool_]]


def allocate(
    plan: TrialPlan, n_population: int, visit_days: Sequence[float], seed: int
) -> Allocation:
    """Randomise distinct patients to the arms of each replicate and draw their dropout."""
    rng = np.random.default_rng([seed, 0x7124_1A15])  # a stream apart from the population's
    total = sum(plan.n_per_arm.values())
    if total > n_population:
        raise ValueError(f"trial needs {total} patients, population has {n_population}")
    order = np.argsort(rng.random((plan.replicates, n_population)), axis=1)[:, :total]
    days = np.asarray(visit_days, dtype=np.float64)
    patients, observed, start = {}, {}, 0
    for arm, n in plan.n_per_arm.items():
        patients[arm] = order[:, start : start + n]
        start += n
        drops = rng.random((plan.replicates, n)) < plan.dropout
        # A dropout leaves at a uniform time during follow-up; baseline is always observed.
        when = rng.uniform(0.0, days[-1], size=(plan.replicates, n))
        last = np.where(drops, when, np.inf)
        observed[arm] = days[None, None, :] <= last[..., None]
        observed[arm][..., 0] = True
    return Allocation(patients, observed)


def ancova(y_treat: F64, base_treat: F64, y_ctrl: F64, base_ctrl: F64) -> tuple[F64, F64, F64]:
    """Treatment effect adjusted for baseline, per replicate: y ~ 1 + treated + baseline.

    Inputs are (replicates, n) with NaN for missing outcomes; returns estimate, standard error
    and residual degrees of freedom (NaN where a replicate has too few completers).
    """
    y = np.concatenate([y_treat, y_ctrl], axis=1)
    b = np.concatenate([base_treat, base_ctrl], axis=1)
    t = np.concatenate([np.ones_like(y_treat), np.zeros_like(y_ctrl)], axis=1)
    ok = np.isfinite(y) & np.isfinite(b)
    w = ok.astype(np.float64)
    y0, b0 = np.where(ok, y, 0.0), np.where(ok, b, 0.0)
    x = np.stack([w, t * w, b0], axis=-1)  # (R, n, 3), rows of missing outcomes zeroed
    xtx = np.einsum("rni,rnj->rij", x, x)
    xty = np.einsum("rni,rn->ri", x, y0)
    n_obs = w.sum(axis=1)
    dof = n_obs - 3.0
    est = np.full(y.shape[0], np.nan)
    se = np.full(y.shape[0], np.nan)
    good = (dof > 0) & (np.abs(np.linalg.det(xtx)) > 1e-12)
    if np.any(good):
        inv = np.linalg.inv(xtx[good])
        beta = np.einsum("rij,rj->ri", inv, xty[good])
        resid = (y0[good] - np.einsum("rni,ri->rn", x[good], beta)) * w[good]
        sigma2 = np.sum(resid**2, axis=1) / dof[good]
        est[good] = beta[:, 1]
        se[good] = np.sqrt(sigma2 * inv[:, 1, 1])
    return est, se, np.where(good, dof, np.nan)


def significant(est: F64, se: F64, dof: F64, alpha: float) -> NDArray[np.bool_]:
    """Two-sided t test of the adjusted difference at level alpha."""
    with np.errstate(invalid="ignore", divide="ignore"):
        crit = special.stdtrit(dof, 1.0 - alpha / 2.0)
        return np.isfinite(est) & (np.abs(est / se) > crit)


def trial_summary(
    values: Mapping[str, Mapping[str, F64]],
    plan: TrialPlan,
    alloc: Allocation,
    control: str | None,
) -> dict[tuple[str, str, int], dict[str, float]]:
    """Per (arm, endpoint, visit index): the TRIAL_COLUMNS statistics over replicates."""
    out: dict[tuple[str, str, int], dict[str, float]] = {}
    for arm, by_endpoint in values.items():
        idx, seen = alloc.patients[arm], alloc.observed[arm]
        for endpoint, v in by_endpoint.items():
            y = np.where(seen, measured(v[idx], endpoint, arm, plan), np.nan)  # (R, n, visits)
            for j in range(y.shape[2]):
                with np.errstate(invalid="ignore"):
                    change = np.nanmean(y[:, :, j] - y[:, :, 0], axis=1)
                row = dict.fromkeys(TRIAL_COLUMNS, np.nan)
                row["trial_change_p05"], row["trial_change_p95"] = _p05_p95(change)
                if control is not None and arm != control and j > 0:
                    c_idx, c_seen = alloc.patients[control], alloc.observed[control]
                    yc_true = values[control][endpoint][c_idx]
                    yc = np.where(c_seen, measured(yc_true, endpoint, control, plan), np.nan)
                    est, se, dof = ancova(y[:, :, j], y[:, :, 0], yc[:, :, j], yc[:, :, 0])
                    row["diff_mean"] = float(np.nanmean(est))
                    row["diff_p05"], row["diff_p95"] = _p05_p95(est)
                    row["power"] = float(np.mean(significant(est, se, dof, plan.alpha)))
                out[(arm, endpoint, j)] = row
    return out


def _p05_p95(x: F64) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan
    lo, hi = np.quantile(x, [0.05, 0.95])
    return float(lo), float(hi)
