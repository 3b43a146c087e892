"""Komarova, Smith, Dixon, Sims & Wahl 2003: bone remodelling at one site.

Osteoclasts (x1) and osteoblasts (x2) regulate themselves (autocrine) and each other
(paracrine) through power laws; bone mass (z, % of its start) is resorbed while osteoclasts
exceed their steady state and formed while osteoblasts exceed theirs:

    x1' = a1 x1^g11 x2^g21 - b1 x1
    x2' = a2 x1^g12 x2^g22 - b2 x2
    z'  = -k1 y1 + k2 y2,   y_i = max(0, x_i - x_i_bar)

    gamma = g12 g21 - (1 - g11)(1 - g22)
    x1_bar = (b1/a1)^((1 - g22)/gamma) (b2/a2)^(g21/gamma)
    x2_bar = (b1/a1)^(g12/gamma) (b2/a2)^((1 - g11)/gamma)

BioModels BIOMD0000000148 writes y_i as flag_i (x_i - x_i_bar), with each flag set by a pair of
events (x_i > x_i_bar sets it to 1, x_i <= x_i_bar to 0). Both flags start at 0, and under SBML
Level 2 an event whose trigger is already true at t = 0 does not fire, so resorption stays off
until osteoclasts have first fallen below and then risen above their steady state again: the
file, simulated as written, gains bone (z 100 -> 114) instead of showing the paper's cycle.
Starting with flag_resorption = 1 (the flags agree with the state, as max() does) gives the
paper's single remodelling cycle (z dips to about 89.8 and returns to about 100).

`komarova_rates` is the paper's form (max(), no hidden switch state) for the engine, or the
SBML form when given explicit switches; `simulate_komarova` integrates either, handling the
file's events exactly as SBML Level 2 does. Units: time in days, cells as counts, z in percent.
Verified against BIOMD0000000148 in libRoadRunner (tests/test_bone_bases.py).
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
Method = Literal["DOP853", "RK45", "Radau", "BDF", "LSODA"]

MODULE = "bone"


class KomarovaParams(NamedTuple):
    """Constants of the Komarova 2003 model in model units (cells as counts, %, days)."""

    osteoclast_production: float  # a1 (cell/day with g11 + g21 = 0)
    osteoblast_production: float  # a2 (1/day with g12 + g22 = 1)
    osteoclast_removal: float  # b1 (1/day)
    osteoblast_removal: float  # b2 (1/day)
    g11: float  # osteoclast autocrine exponent
    g21: float  # osteoblast -> osteoclast paracrine exponent
    g12: float  # osteoclast -> osteoblast paracrine exponent
    g22: float  # osteoblast autocrine exponent
    resorption_rate: float  # k1 (%/cell/day)
    formation_rate: float  # k2 (%/cell/day)


class KomarovaState(NamedTuple):
    """States of the Komarova 2003 model."""

    osteoclasts: Array  # x1 (cells)
    osteoblasts: Array  # x2 (cells)
    bone_mass: Array  # z (% of the initial bone mass)


class KomarovaSwitches(NamedTuple):
    """The SBML file's flags: 1 while resorption (formation) runs, 0 while it is off."""

    resorption: float  # flag_resorption
    formation: float  # flag_formation


# The file's flags at t = 0: both 0, and SBML Level 2 does not fire events whose trigger is
# already true at t = 0, so they stay 0 until a state crosses its steady state.
KOMAROVA_SBML_SWITCHES = KomarovaSwitches(resorption=0.0, formation=0.0)

# Species ids of the curated SBML file (BIOMD0000000148) for each state.
KOMAROVA_SBML_SPECIES: dict[str, str] = {
    "osteoclasts": "x1",
    "osteoblasts": "x2",
    "bone_mass": "z",
}

# Parameter ids of the SBML file and the table entries that hold them.
KOMAROVA_SBML_PARAMETERS: dict[str, str] = {
    "alpha1": "komarova_osteoclast_production",
    "alpha2": "komarova_osteoblast_production",
    "beta1": "komarova_osteoclast_removal",
    "beta2": "komarova_osteoblast_removal",
    "g11": "komarova_g11",
    "g21": "komarova_g21",
    "g12": "komarova_g12",
    "g22": "komarova_g22",
    "k1": "komarova_resorption_rate",
    "k2": "komarova_formation_rate",
}

# Initial amounts of the SBML species and the table entries that hold them.
KOMAROVA_SBML_INITIAL: dict[str, str] = {
    "x1": "komarova_osteoclasts_initial",
    "x2": "komarova_osteoblasts_initial",
    "z": "komarova_bone_mass_initial",
}


def komarova_params(params: ParameterSet | None = None) -> KomarovaParams:
    """Model constants from the `bone` table (or `params`), in model units."""
    ps = params if params is not None else load_module(MODULE)
    return KomarovaParams(
        osteoclast_production=value_in(ps, "komarova_osteoclast_production", "cell/day"),
        osteoblast_production=value_in(ps, "komarova_osteoblast_production", "1/day"),
        osteoclast_removal=value_in(ps, "komarova_osteoclast_removal", "1/day"),
        osteoblast_removal=value_in(ps, "komarova_osteoblast_removal", "1/day"),
        g11=value_in(ps, "komarova_g11", "dimensionless"),
        g21=value_in(ps, "komarova_g21", "dimensionless"),
        g12=value_in(ps, "komarova_g12", "dimensionless"),
        g22=value_in(ps, "komarova_g22", "dimensionless"),
        resorption_rate=value_in(ps, "komarova_resorption_rate", "percent/cell/day"),
        formation_rate=value_in(ps, "komarova_formation_rate", "percent/cell/day"),
    )


def komarova_initial_state(params: ParameterSet | None = None) -> KomarovaState:
    """The paper's start: osteoclasts raised tenfold above their steady state, bone at 100%."""
    ps = params if params is not None else load_module(MODULE)
    return KomarovaState(
        osteoclasts=value_in(ps, "komarova_osteoclasts_initial", "cell"),
        osteoblasts=value_in(ps, "komarova_osteoblasts_initial", "cell"),
        bone_mass=value_in(ps, "komarova_bone_mass_initial", "percent"),
    )


def komarova_steady_state(p: KomarovaParams) -> tuple[Array, Array]:
    """The non-trivial steady state (x1_bar, x2_bar) in cells (the SBML's assignment rules)."""
    gamma = p.g12 * p.g21 - (1.0 - p.g11) * (1.0 - p.g22)
    r1 = p.osteoclast_removal / p.osteoclast_production
    r2 = p.osteoblast_removal / p.osteoblast_production
    x1_bar = r1 ** ((1.0 - p.g22) / gamma) * r2 ** (p.g21 / gamma)
    x2_bar = r1 ** (p.g12 / gamma) * r2 ** ((1.0 - p.g11) / gamma)
    return x1_bar, x2_bar


def komarova_rates(
    y: KomarovaState,
    p: KomarovaParams,
    xp: Any,
    switches: KomarovaSwitches | None = None,
) -> KomarovaState:
    """d/dt of the Komarova 2003 states.

    Without `switches`, resorption and formation run exactly while the cells exceed their
    steady state (the paper's max()). With `switches`, they run while the SBML flags are 1,
    whatever the state: the file's behaviour between its events.
    """
    x1, x2 = y.osteoclasts, y.osteoblasts
    x1_bar, x2_bar = komarova_steady_state(p)
    d_x1 = p.osteoclast_production * x1**p.g11 * x2**p.g21 - p.osteoclast_removal * x1
    d_x2 = p.osteoblast_production * x1**p.g12 * x2**p.g22 - p.osteoblast_removal * x2
    if switches is None:
        # Only the cells above the steady state resorb or form bone: the baseline population
        # maintains the site and leaves bone mass unchanged.
        resorbing = xp.maximum(x1 - x1_bar, 0.0)
        forming = xp.maximum(x2 - x2_bar, 0.0)
    else:
        resorbing = switches.resorption * (x1 - x1_bar)
        forming = switches.formation * (x2 - x2_bar)
    d_z = -p.resorption_rate * resorbing + p.formation_rate * forming
    return KomarovaState(d_x1, d_x2, d_z)


@dataclass(frozen=True)
class KomarovaResult:
    """Trajectories of one simulation: `t` in days, each state and each switch at those times.

    `switch_times` lists the days at which an event changed or re-asserted a switch.
    """

    t: F64
    states: KomarovaState
    switches: KomarovaSwitches
    switch_times: tuple[float, ...]


def _check_switch(name: str, value: float) -> float:
    if value not in (0.0, 1.0):
        raise ValueError(f"switch {name} = {value!r} must be 0 or 1")
    return float(value)


def simulate_komarova(
    t_eval: ArrayLike,
    *,
    params: KomarovaParams | None = None,
    initial: KomarovaState | None = None,
    switches: KomarovaSwitches | None = None,
    method: Method = "DOP853",
    rtol: float = 1e-10,
    max_events: int = 10_000,
) -> KomarovaResult:
    """Integrate the Komarova 2003 model with SciPy and its SBML events; states at `t_eval` days.

    `switches` are the flags at the first time of `t_eval`. None sets them from the initial
    state (1 where the cells exceed their steady state): the paper's model, identical to the
    max() form. `KOMAROVA_SBML_SWITCHES` reproduces BIOMD0000000148 as simulated under SBML
    Level 2. After the start, a switch goes to 1 when its cells rise above their steady state
    and to 0 when they fall to or below it, as the file's events do.
    """
    t = np.asarray(t_eval, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be a 1-D, strictly increasing sequence of days")
    p = params if params is not None else komarova_params()
    y0 = initial if initial is not None else komarova_initial_state()
    x_bar = np.asarray(komarova_steady_state(p), dtype=np.float64)
    y = np.asarray(y0, dtype=np.float64)
    if np.any(y[:2] <= 0):
        raise ValueError(f"cell numbers must be positive (power laws): {y0}")
    above = y[:2] > x_bar
    sw = (
        np.where(above, 1.0, 0.0)
        if switches is None
        else np.array(
            [
                _check_switch("resorption", switches.resorption),
                _check_switch("formation", switches.formation),
            ]
        )
    )
    out = np.empty((3, t.size))
    sw_out = np.empty((2, t.size))
    out[:, 0], sw_out[:, 0] = y, sw
    done = 1  # t_eval points filled
    t0 = float(t[0])
    switch_times: list[float] = []
    # Typical sizes (x1 ~ 1-10 cells, x2 ~ 200, z ~ 100 %) set the absolute tolerance.
    atol = rtol * np.array([1.0, 100.0, 100.0])

    def crossing(i: int) -> Any:
        def g(_: float, yy: F64) -> float:
            return float(yy[i] - x_bar[i])

        g.terminal = True  # type: ignore[attr-defined]
        # An SBML trigger fires on its false -> true transition: from above, only a downward
        # crossing (x <= x_bar becomes true) can fire next, and from below only an upward one.
        g.direction = -1.0 if above[i] else 1.0  # type: ignore[attr-defined]
        return g

    while done < t.size:
        flags = KomarovaSwitches(float(sw[0]), float(sw[1]))

        def rhs(_: float, yy: F64, flags: KomarovaSwitches = flags) -> F64:
            return np.asarray(komarova_rates(KomarovaState(*yy), p, np, flags), dtype=np.float64)

        sol = solve_ivp(
            rhs,
            (t0, float(t[-1])),
            y,
            method=method,
            t_eval=t[done:],
            events=[crossing(0), crossing(1)],
            rtol=rtol,
            atol=atol,
        )
        if sol.status < 0:
            raise RuntimeError(f"Komarova 2003 integration failed ({method}): {sol.message}")
        # SciPy returns lists, not arrays, when a segment ends before the next t_eval point.
        n = np.asarray(sol.t).size
        if n:
            out[:, done : done + n] = np.asarray(sol.y)
        sw_out[:, done : done + n] = sw[:, None]
        done += n
        if sol.status == 0:
            break
        # An event: restart at the crossing with the switch set as the file's event sets it.
        t_events, y_events = sol.t_events or [], sol.y_events or []
        hits = [(float(te[0]), i) for i, te in enumerate(t_events) if te.size]
        t0, i = min(hits)
        y = np.asarray(y_events[i][0], dtype=np.float64)
        above[i] = not above[i]
        sw[i] = 1.0 if above[i] else 0.0
        switch_times.append(t0)
        if len(switch_times) > max_events:
            raise RuntimeError(
                f"more than {max_events} switch events before day {t0:.6g}: the state "
                "chatters around its steady state; shorten the span or raise max_events"
            )
    return KomarovaResult(
        t=t,
        states=KomarovaState(*out),
        switches=KomarovaSwitches(*sw_out),
        switch_times=tuple(switch_times),
    )
