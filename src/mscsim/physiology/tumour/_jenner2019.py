"""Jenner, Kim & Frascoli 2019: a Gompertz tumour treated with an oncolytic virus.

Uninfected tumour cells (U) grow by the Gompertz law; free virus (V) infects them at a rate set
by the share of tumour cells still uninfected; infected cells (I) lyse and release virus, which
decays:

    U' = m U ln(K / U) - beta U V / (U + I)
    I' = beta U V / (U + I) - xi I
    V' = b xi I - gamma V

beta (infection) and b (burst size) are 1 in the curated SBML, which writes the paper's scaled
model: they are carried as table entries only so that the units balance. Units: the file declares
item per mL (cells, virus units) and no time unit; rates are read per day. Without virus
(I = V = 0) U follows the closed form U(t) = K exp(ln(U0 / K) exp(-m t)) (`gompertz_solution`).

The equations take the array module `xp` (jax.numpy for the engine, numpy for SciPy), like the
T1DM and T2DM modules. Verified against BioModels BIOMD0000000850 in libRoadRunner
(tests/test_tumour.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from mscsim.params import ParameterSet, load_module, value_in

Array = Any  # a jax or numpy array (or float): the equations are written for both
F64 = NDArray[np.float64]
Method = Literal["Radau", "BDF", "LSODA", "RK45", "DOP853"]

PARAMETER_MODULE = "tumour"
_CELL_ML = "cell/mL"
_VIRUS_ML = "particle/mL"
# Floor for U and U + I inside the logarithm and the division: both terms vanish as U -> 0, so a
# floor far below any tumour size changes nothing but keeps a solver's overshoot past 0 finite.
_FLOOR = 1e-300


class JennerParams(NamedTuple):
    """Constants of the Jenner 2019 model in model units (cells or virus units per mL, days).

    Fields may also be arrays of equal shape (a batch of parameter sets in one integration).
    """

    growth_rate: Array  # m (1/day)
    carrying_capacity: Array  # K (cell/mL)
    infection_rate: Array  # beta (cell/particle/day); 1 in the SBML
    lysis_rate: Array  # xi (1/day)
    burst_size: Array  # b (particle/cell); 1 in the SBML
    virus_decay: Array  # gamma (1/day)


class JennerState(NamedTuple):
    """States of the Jenner 2019 model (cells/mL; virus in the paper's units per mL)."""

    uninfected: Array  # U
    infected: Array  # I
    virus: Array  # V


# Species ids of the curated SBML file (BIOMD0000000850) for each state.
SBML_SPECIES: dict[str, str] = {"uninfected": "U", "infected": "I", "virus": "V"}

# Parameter ids of the SBML file and the table entries that hold them.
SBML_PARAMETERS: dict[str, str] = {
    "m": "jenner_growth_rate",
    "K": "jenner_carrying_capacity",
    "xi": "jenner_lysis_rate",
    "gamma": "jenner_virus_decay",
}

# Initial concentrations of the SBML file and the table entries that hold them.
SBML_INITIAL: dict[str, str] = {
    "U": "jenner_uninfected_initial",
    "I": "jenner_infected_initial",
    "V": "jenner_virus_initial",
}


def jenner_params(params: ParameterSet | None = None) -> JennerParams:
    """Model constants from the `tumour` table (or `params`), in model units."""
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    return JennerParams(
        growth_rate=value_in(ps, "jenner_growth_rate", "1/day"),
        carrying_capacity=value_in(ps, "jenner_carrying_capacity", _CELL_ML),
        infection_rate=value_in(ps, "jenner_infection_rate", "cell/particle/day"),
        lysis_rate=value_in(ps, "jenner_lysis_rate", "1/day"),
        burst_size=value_in(ps, "jenner_burst_size", "particle/cell"),
        virus_decay=value_in(ps, "jenner_virus_decay", "1/day"),
    )


def jenner_initial_state(params: ParameterSet | None = None) -> JennerState:
    """The SBML file's start: U = 75, I = 100, V = 10 (a tumour already under virotherapy)."""
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    return JennerState(
        value_in(ps, "jenner_uninfected_initial", _CELL_ML),
        value_in(ps, "jenner_infected_initial", _CELL_ML),
        value_in(ps, "jenner_virus_initial", _VIRUS_ML),
    )


def gompertz_growth(u: Array, growth_rate: Array, capacity: Array, xp: Any) -> Array:
    """Gompertz growth m U ln(K / U) (cells/mL/day): the SBML's Function_for_Tumor_Growth."""
    return growth_rate * u * xp.log(capacity / xp.maximum(u, _FLOOR))


def infection(y: JennerState, p: JennerParams, xp: Any) -> Array:
    """New infections beta U V / (U + I): virus meets uninfected cells in proportion to their
    share of the tumour (frequency dependence, Function_for_Conversion_Uninfected_to_Infected)."""
    tumour = xp.maximum(y.uninfected + y.infected, _FLOOR)
    return p.infection_rate * y.uninfected * y.virus / tumour


def jenner_rates(t: Array, y: JennerState, p: JennerParams, xp: Any) -> JennerState:
    """d/dt of the Jenner 2019 states at time t (days); the model is autonomous."""
    del t  # kept for the common rates(t, y, p, xp) signature of the physiology modules
    new_infections = infection(y, p, xp)
    lysis = p.lysis_rate * y.infected
    d_u = gompertz_growth(y.uninfected, p.growth_rate, p.carrying_capacity, xp) - new_infections
    d_i = new_infections - lysis
    d_v = p.burst_size * lysis - p.virus_decay * y.virus
    return JennerState(d_u, d_i, d_v)


def gompertz_solution(t: ArrayLike, u0: float, p: JennerParams) -> F64:
    """Closed-form untreated tumour: U(t) = K exp(ln(U0 / K) exp(-m t)), t in days from U0."""
    if not u0 > 0:
        raise ValueError(f"u0 = {u0} must be > 0 (the Gompertz law has ln(K / U))")
    tt = np.asarray(t, dtype=np.float64)
    k = float(p.carrying_capacity)
    return np.asarray(
        k * np.exp(np.log(u0 / k) * np.exp(-float(p.growth_rate) * tt)), dtype=np.float64
    )


@dataclass(frozen=True)
class JennerResult:
    """Trajectories of one simulation: `t` in days and each state at those times."""

    t: F64
    states: JennerState

    @property
    def tumour_cells(self) -> F64:
        """U + I (cells/mL): every tumour cell, infected or not, takes up tumour volume."""
        return np.asarray(self.states.uninfected + self.states.infected, dtype=np.float64)


def check_times(t_eval: ArrayLike) -> F64:
    """`t_eval` as a 1-D strictly increasing float array (days), or a ValueError."""
    t = np.asarray(t_eval, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0) or not np.all(np.isfinite(t)):
        raise ValueError("t_eval must be a 1-D, strictly increasing sequence of finite days")
    return t


def check_state(y: JennerState) -> None:
    """Refuse negative or non-finite states with the value (U must be > 0 for ln(K/U))."""
    for field, v in zip(JennerState._fields, y, strict=True):
        a = np.asarray(v, dtype=np.float64)
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError(f"initial {field} = {v} must be finite and >= 0")
    if np.any(np.asarray(y.uninfected, dtype=np.float64) <= 0):
        raise ValueError(f"initial uninfected = {y.uninfected} must be > 0 (ln(K / U))")


def simulate_jenner(
    t_eval: ArrayLike,
    *,
    params: JennerParams | None = None,
    initial: JennerState | None = None,
    method: Method = "Radau",
    rtol: float = 1e-10,
) -> JennerResult:
    """Integrate the Jenner 2019 model with SciPy and return it at `t_eval` days.

    `params` overrides the table values; `initial` defaults to the SBML file's start. With
    `initial` virus and infected cells at 0 the result is the untreated Gompertz tumour.
    """
    t = check_times(t_eval)
    p = params if params is not None else jenner_params()
    y0 = initial if initial is not None else jenner_initial_state()
    check_state(y0)
    # States are O(1..1000) in model units: an absolute tolerance far below the relative one
    # keeps the relative accuracy even where a state passes near 0.
    atol = rtol * 1e-3

    def rhs(time: float, y: F64) -> F64:
        return np.asarray(jenner_rates(time, JennerState(*y), p, np), dtype=np.float64)

    sol = solve_ivp(
        rhs,
        (float(t[0]), float(t[-1])),
        np.asarray(y0, dtype=np.float64),
        method=method,
        t_eval=t,
        rtol=rtol,
        atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"Jenner 2019 integration failed ({method}): {sol.message}")
    return JennerResult(t=t, states=JennerState(*sol.y))
