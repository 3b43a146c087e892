"""Reference path: the full, un-reduced T2DM model for one patient, integrated by SciPy Radau.

The fast engine rests on claims (glucose and insulin at quasi-steady state, RK4 steps of one day,
MSC kinetics propagated exactly, jumps between steps). This path makes none of them: glucose and
insulin are dynamic states (Topp 2000 with exogenous insulin as an input), the MSC compartments
are ODE states (dx/dt = A x, blood transit in about a minute) and a stiff implicit solver with
tight tolerances integrates everything together. The equations are the same `_equations`
functions the engine uses, called with numpy, so a disagreement measures the reduction, not a
second transcription of the model.

Event semantics are those of the fast engine (`_fast._day`, `_schedule`): days are integers; at
the start of a day, first the insulin dose is titrated (on day > 0 with day % interval == 0) from
the fasting glucose of the current state, then the MSC dose jumps in; records hold the state at
the start of a record day before its jumps, and the last record is the state at `duration_days`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from mscsim.engine._fast import ArmDosing, Carry, simulate_arm
from mscsim.engine._schedule import make_grid, per_day, titration_days
from mscsim.physiology.t2dm._equations import (
    Patient,
    Shared,
    Slow,
    endogenous_insulin_coeff,
    glucose_appearance,
    glucose_qss,
    msc_signals,
    secretion_fraction,
    slow_rates,
    titrate,
)

F64 = NDArray[np.float64]

RTOL = 1e-8
QSS_ITERS = 60  # Newton converges quadratically; 60 iterations leave only round-off

# Layout of the full state vector: named slices, used only inside this module.
_G = 0  # glucose (mg/dL)
_I = 1  # plasma insulin (uU/mL)
_SLOW = slice(2, 2 + len(Slow._fields))
_MSC_START = 2 + len(Slow._fields)

# Absolute tolerance per state, relative to a typical magnitude of that state: a flat atol would
# either ignore small states (insulin sensitivity ~0.01-0.5) or be far too strict for cells (~1e7).
_TYPICAL = {
    "glucose": 100.0,
    "insulin": 10.0,
    "beta_mass": 100.0,
    "beta_function": 1.0,
    "insulin_sensitivity": 0.01,
    "m1_fraction": 0.1,
    "hba1c": 1.0,
    "treg_pct": 1.0,
}
# Cells: 1 cell absolute at the default scale. Signals are cells / n50 with n50 = 1e7-1e8, so a
# cell is 1e-7 of a signal; resolving the dying cells more finely (down to 1e-6 cells) only made
# Radau take ~30 steps a day for weeks after each dose, with no effect on any output (< 2e-8).
_MSC_TYPICAL = 1e10


def patient_at(batch: Patient, k: int) -> Patient:
    """Patient `k` of a batch, as floats (the reference path integrates one patient at a time)."""
    return Patient(*(float(np.asarray(f)[k]) for f in batch))


def slow_at(batch: Slow, k: int) -> Slow:
    """Slow states of patient `k` of a batch, as floats."""
    return Slow(*(float(np.asarray(f)[k]) for f in batch))


def _atol(n_msc: int, scale: float) -> F64:
    typical = [_TYPICAL["glucose"], _TYPICAL["insulin"]]
    typical += [_TYPICAL[name] for name in Slow._fields]
    typical += [_MSC_TYPICAL] * n_msc
    return scale * np.asarray(typical)


def _rhs_factory(pat: Patient, sh: Shared, kinetics: F64) -> Callable[[float, F64, float], F64]:
    """d/dt of the full state at insulin dose `dose` (IU/day, constant between events)."""
    r_mean = glucose_appearance(pat, sh)[0]

    def rhs(t: float, y: F64, dose: float) -> F64:
        g, ins = y[_G], y[_I]
        slow = Slow(*y[_SLOW])
        msc = y[_MSC_START:]
        c_endo = endogenous_insulin_coeff(slow.beta_mass, slow.beta_function, sh)
        # Topp 2000: dG/dt = R0 - (EG0 + SI I) G; dI/dt = sigma B s(G) - k I, plus the
        # exogenous insulin input whose steady plasma level is c_exo * dose.
        d_g = r_mean - (sh.EG0 + slow.insulin_sensitivity * ins) * g
        d_i = c_endo * sh.k * secretion_fraction(g, sh) - sh.k * (ins - pat.c_exo * dose)
        sig = msc_signals(msc, slow.m1_fraction / sh.m1_healthy, pat, sh, np)
        d_slow = slow_rates(slow, g, t, sig, pat, sh, np)
        out = np.empty_like(y)
        out[_G] = d_g
        out[_I] = d_i
        out[_SLOW] = d_slow
        out[_MSC_START:] = kinetics @ msc
        return out

    return rhs


def _fasting_glucose(y: F64, dose: float, pat: Patient, sh: Shared) -> float:
    slow = Slow(*y[_SLOW])
    c_endo = endogenous_insulin_coeff(slow.beta_mass, slow.beta_function, sh)
    return float(
        glucose_qss(
            glucose_appearance(pat, sh)[1],
            c_endo,
            pat.c_exo * dose,
            slow.insulin_sensitivity,
            y[_G],
            sh,
            np,
            QSS_ITERS,
        )
    )


def _integrate(
    y0: F64,
    dose0: float,
    pat: Patient,
    sh: Shared,
    *,
    cells_by_day: Mapping[int, float],
    route: F64,
    kinetics: F64,
    record_times: Sequence[float],
    end: float,
    titration_step: int | None,
    rtol: float,
    atol_scale: float,
) -> tuple[F64, F64]:
    """States (n_records, n_state) and doses at `record_times`, events applied at day starts."""
    dose = float(dose0)
    rhs = _rhs_factory(pat, sh, kinetics)
    atol = _atol(len(route), atol_scale)

    event_days = {float(d) for d, x in cells_by_day.items() if x != 0.0 and 0 <= d < end}
    if titration_step is not None:
        event_days |= {float(d) for d in range(titration_step, int(np.ceil(end)), titration_step)}
    records = sorted({float(t) for t in record_times})
    if records and not 0.0 <= records[0] <= records[-1] <= end:
        raise ValueError(f"record times must lie in [0, {end}]; got {records[0]}..{records[-1]}")
    breaks = sorted({0.0, float(end), *event_days, *records})

    out_y: dict[float, F64] = {}
    out_dose: dict[float, float] = {}
    y = np.array(y0, dtype=np.float64)
    for i, t in enumerate(breaks):
        if t in records:
            out_y[t] = y.copy()
            out_dose[t] = dose
        if t >= end:
            break
        if t in event_days:
            day = round(t)
            if titration_step is not None and day > 0 and day % titration_step == 0:
                fpg = _fasting_glucose(y, dose, pat, sh)
                dose = float(titrate(dose, fpg, pat, sh, np))
            y[_MSC_START:] += cells_by_day.get(day, 0.0) * route
        sol = solve_ivp(
            rhs, (t, breaks[i + 1]), y, method="Radau", rtol=rtol, atol=atol, args=(dose,)
        )
        if not sol.success:
            raise RuntimeError(
                f"reference integration failed on [{t}, {breaks[i + 1]}]: {sol.message}"
            )
        y = sol.y[:, -1].copy()
    ys = np.stack([out_y[t] for t in records])
    doses = np.asarray([out_dose[t] for t in records])
    return ys, doses


def simulate_reference(
    patient: Patient,
    slow0: Slow,
    dose0: float,
    g_mean0: float,
    sh: Shared,
    *,
    dose_cells_by_day: dict[int, float],
    route: np.ndarray,
    kinetics: np.ndarray,
    record_days: np.ndarray,
    duration_days: int,
    titration_interval_days: float,
    rtol: float = RTOL,
    atol_scale: float = 1e-10,
) -> dict[str, np.ndarray]:
    """One patient on the full stiff model; arrays over `record_days` (see module docstring).

    `dose_cells_by_day` holds live cells per dosing day (already scaled by weight and viability).
    Glucose starts at `g_mean0` and insulin at its quasi-steady value there, i.e. on the slow
    manifold, as the engine assumes.
    """
    c_endo = endogenous_insulin_coeff(slow0.beta_mass, slow0.beta_function, sh)
    i0 = c_endo * secretion_fraction(g_mean0, sh) + patient.c_exo * dose0
    route = np.asarray(route, dtype=np.float64)
    y0 = np.concatenate([[g_mean0, i0], np.asarray(slow0, dtype=np.float64), np.zeros(len(route))])
    ys, doses = _integrate(
        y0,
        dose0,
        patient,
        sh,
        cells_by_day=dose_cells_by_day,
        route=route,
        kinetics=np.asarray(kinetics, dtype=np.float64),
        record_times=[float(d) for d in record_days],
        end=float(duration_days),
        titration_step=max(round(titration_interval_days), 1),
        rtol=rtol,
        atol_scale=atol_scale,
    )
    out: dict[str, np.ndarray] = {name: ys[:, _SLOW][:, j] for j, name in enumerate(Slow._fields)}
    out["insulin_dose"] = doses
    out["g_mean"] = ys[:, _G]
    out["insulin"] = ys[:, _I]
    out["g_fast"] = np.asarray(
        [_fasting_glucose(y, d, patient, sh) for y, d in zip(ys, doses, strict=True)]
    )
    out["msc"] = ys[:, _MSC_START:]
    return out


# --- The bare Topp 2000 model, as a special case of the T2DM model --------------------------


def topp_model(params: Mapping[str, float], n: int = 1) -> tuple[Shared, Patient]:
    """Constants that reduce the T2DM equations exactly to Topp 2000 (n identical patients).

    Human turnover scale kappa_h = 1 and death multiplier 1 give Topp's rat-scale beta-cell rates;
    no dysfunction (beta_function stays 1), no inflammation drive (m1 at its set point equal to
    the healthy fraction), no sensitivity relaxation (SI fixed at Topp's value), no insulin
    therapy, no MSCs. `params` uses the names of params/data/topp2000.yaml.
    """
    sh = Shared(
        R0=params["R0"],
        EG0=params["EG0"],
        sigma=params["sigma"],
        alpha=params["alpha"],
        k=params["k"],
        d0=params["d0"],
        r1=params["r1"],
        r2=params["r2"],
        kappa_h=1.0,
        beta_healthy=300.0,
        k_phi=0.0,
        q_glucose=0.0,
        q_inflammation=0.0,
        g_ref=100.0,
        gamma_beta=0.0,
        gamma_si=0.0,
        k_si=0.0,
        k_pol=0.0,
        k_switch=0.0,
        m1_healthy=1.0,
        p_max=0.0,
        rho_max=0.0,
        nu_max=0.0,
        tau_prog=1.0,
        s_max=0.0,
        tau_a=1.0,
        adag_slope=1.0,
        adag_intercept=0.0,
        f_fast=1.0,
        lic_max=0.0,
        n50_systemic=1.0,
        n50_local=1.0,
        local_target_index=0,
        titr_elasticity=0.0,
        titr_adherence=0.0,
        k_treg=0.0,
        treg_induction_max=0.0,
        treg_max=0.0,
        ttt_goal=100.0,
        ttt_step=2.0,
        ttt_max_step=8.0,
        ttt_hypo_threshold=0.0,
        ttt_hypo_reduction=0.0,
    )
    ones, zeros = np.ones(n), np.zeros(n)
    pat = Patient(
        weight_kg=ones,
        si_base=params["SI"] * ones,
        death_multiplier=ones,
        m1_setpoint=ones,
        infl0=ones,
        duration0_years=zeros,
        c_exo=zeros,
        fpg_goal=ones,
        treg_setpoint=ones,
        insulin_max=zeros,
        insulin_ref=zeros,
        hgp_factor=ones,
        titration_mode=zeros,
        insulin_treated=zeros,
        potency_imm=zeros,
        potency_tro=zeros,
        licensing_pre=zeros,
        isr_conv=ones,
        cpep_k1=ones,
        cpep_k2=ones,
        cpep_k3=ones,
        cpep_vd_l=ones,
    )
    return sh, pat


def _topp_slow(beta_mass: Any, g: Any, si: Any) -> Slow:
    one = np.ones_like(np.asarray(beta_mass, dtype=np.float64))
    return Slow(
        beta_mass=np.asarray(beta_mass, dtype=np.float64) * one,
        beta_function=one,
        insulin_sensitivity=si * one,
        m1_fraction=one,
        hba1c=np.asarray(g, dtype=np.float64) * one,
        treg_pct=one,
    )


def simulate_topp(
    G0: float,
    I0: float,
    B0: float,
    params: Mapping[str, float],
    t_eval: np.ndarray,
    *,
    rtol: float = 1e-10,
) -> dict[str, np.ndarray]:
    """Topp 2000 (G, I, B) from any start, on the reference path's full-model integrator.

    The same code that integrates the T2DM patients integrates Topp's model here (through
    `topp_model`), so agreement with libRoadRunner on BIOMD0000000341 verifies that code.
    """
    sh, pat_batch = topp_model(params)
    pat = patient_at(pat_batch, 0)
    slow = slow_at(_topp_slow(np.asarray([B0]), np.asarray([G0]), params["SI"]), 0)
    y0 = np.concatenate([[G0, I0], np.asarray(slow, dtype=np.float64), np.zeros(1)])
    t = np.asarray(t_eval, dtype=np.float64)
    ys, _ = _integrate(
        y0,
        0.0,
        pat,
        sh,
        cells_by_day={},
        route=np.zeros(1),  # one empty MSC compartment: msc_signals indexes the target
        kinetics=np.zeros((1, 1)),
        record_times=list(t),
        end=float(t.max()),
        titration_step=None,
        rtol=rtol,
        atol_scale=1e-12,
    )
    return {"time": t, "G": ys[:, _G], "I": ys[:, _I], "B": ys[:, _SLOW][:, 0]}


def topp_fast(
    B0: np.ndarray, params: Mapping[str, float], duration_days: int
) -> dict[str, np.ndarray]:
    """Topp 2000 on the fast engine itself (`simulate_arm`), one patient per entry of `B0`.

    Reuses the engine rather than a separate QSS + RK4 loop, so the published model checks the
    code that runs trials: glucose and insulin at quasi-steady state, B by RK4 with dt = 1 day.
    G and I start on the slow manifold (their values at t = 0 follow from B0 alone).
    Returns daily (days 0..duration) G (the engine's mean glucose), I = sigma B s(G) / k and B.
    """
    b0 = np.asarray(B0, dtype=np.float64)
    n = b0.shape[0]
    sh, pat = topp_model(params, n)
    c_endo0 = endogenous_insulin_coeff(b0, 1.0, sh)
    g0 = glucose_qss(sh.R0, c_endo0, 0.0, params["SI"], sh.R0 / sh.EG0, sh, np, QSS_ITERS)
    grid = make_grid(duration_days, list(range(duration_days + 1)))
    rec = simulate_arm(
        Carry(_topp_slow(b0, g0, params["SI"]), np.zeros(n), np.zeros((n, 1)), g0, g0),
        pat,
        sh,
        ArmDosing(per_day({}, grid), np.ones(n), np.zeros(1)),
        grid,
        titration_days(grid, float(duration_days + 1)),  # no titration day within the run
        np.zeros((1, 1)),
        precision="float64",
    )
    b = np.asarray(rec.slow.beta_mass)
    g = np.asarray(rec.g_mean)
    i = endogenous_insulin_coeff(b, 1.0, sh) * secretion_fraction(g, sh)
    return {"time": np.asarray(grid.record_days, dtype=np.float64), "G": g, "I": i, "B": b}
