"""Frank, Larripa, Ryu, Snodgrass & Röblitz 2021: polarisation of a single macrophage.

STAT1 activity x1 (the M1 programme) and STAT6 activity x2 (the M2 programme) each amplify
themselves (Hill functions of order n with threshold k) and inhibit the other; the external cues
S1 (IFN-gamma/LPS-like, M1) and S2 (IL-4/IL-13-like, M2) drive them:

    x1' = (a1 H+(x1; k1, n1) + S1) H-(x2; p2, l2) + b1 - q1 x1
    x2' =  a2 H+(x2; k2, n2) + S2 H-(x1; p1, l1) + b2 - q2 x2

    H+(x; k, n) = x^n / (x^n + k^n),    H-(x; p, l) = p^l / (p^l + x^l)

The inhibition is asymmetric, as in the curated file: STAT6 damps all STAT1 activation (self and
S1), STAT1 damps only the S2 input to STAT6, and with a lower threshold (p1 = 0.5 against
p2 = 1). Everything is dimensionless, time included (the SBML declares time dimensionless); a
disease module that couples this model must say what one unit of model time is.

The equations use only arithmetic, so the same function serves numpy (SciPy reference path) and
jax.numpy (engine). Verified against BioModels BIOMD0000001060 in libRoadRunner
(tests/test_macrophage.py).

Steady states. Solving x1' = 0 for x2 and x2' = 0 for S2 makes the set of equilibria one curve
parametrised by x1: x2(x1) from the first equation (H- is monotone, so there is one x2 per x1)
and S2(x1) from the second (S2 enters linearly). The fixed points at a given S2 are the crossings
of that curve with S2, and the saddle-node points of the S2 branch diagram are the local extrema
of S2(x1): no continuation software and no dependence on lucky start points. With the file's
parameters the curve folds four times, so over S2 there are three stable branches: M1 (STAT1
self-sustaining), an uncommitted state (neither STAT above its self-activation threshold) and M2
(STAT6 self-sustaining). At the file's S1 = S2 = 3.75 the cell is bistable between M1 and the
uncommitted state; M2 is stable only above S2 = 3.7547, just above the file's value. Rising S2
leaves M1 at 4.289 and commits the cell to M2 at 5.593; falling S2 leaves M2 at 3.755 and returns
to M1 at 2.586 (`switch_thresholds`).

MSC hook `macrophage_m1_to_m2`: PGE2, TSG-6 and lactate from MSCs push macrophages from M1 to M2
(seed 004 §1.2.2 refs [40]-[43]; seed 000 §2.4). They act here as an extra M2 signal added to S2,
proportional to the dimensionless MSC immune effect (0..1) with an assumed maximum. Because the
switch is hysteretic, a transient MSC effect can leave a lasting change of phenotype.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp
from scipy.optimize import brentq, minimize_scalar

from mscsim.params import ParameterSet, load_module, value_in

Array = Any  # a jax or numpy array (or float): the equations are written for both
F64 = NDArray[np.float64]
Method = Literal["Radau", "BDF", "LSODA", "RK45", "DOP853"]
Phenotype = Literal["M1", "M2", "mixed", "uncommitted"]
PHENOTYPES: tuple[str, ...] = ("M1", "M2", "mixed", "uncommitted")

_MODULE = "macrophage"
_DIMLESS = "dimensionless"


class FrankParams(NamedTuple):
    """Constants of the Frank 2021 model (all dimensionless; SBML ids in the comments)."""

    stat1_self_activation: float  # a1, maximal STAT1 self-activation
    stat6_self_activation: float  # a2, maximal STAT6 self-activation
    stat1_basal: float  # b1, basal STAT1 activation
    stat6_basal: float  # b2, basal STAT6 activation
    stat1_self_hill: float  # n1, Hill order of STAT1 self-activation
    stat6_self_hill: float  # n2, Hill order of STAT6 self-activation
    stat1_self_threshold: float  # k1, STAT1 level of half-maximal self-activation
    stat6_self_threshold: float  # k2, STAT6 level of half-maximal self-activation
    stat1_inhibition_hill: float  # l1, Hill order of STAT1's inhibition of the S2 input
    stat6_inhibition_hill: float  # l2, Hill order of STAT6's inhibition of STAT1 activation
    stat1_inhibition_threshold: float  # p1, STAT1 level that halves the S2 input
    stat6_inhibition_threshold: float  # p2, STAT6 level that halves STAT1 activation
    stat1_decay: float  # q1, STAT1 deactivation rate
    stat6_decay: float  # q2, STAT6 deactivation rate
    m1_signal: float  # S1, external M1 cue (IFN-gamma/LPS-like)
    m2_signal: float  # S2, external M2 cue (IL-4/IL-13-like)
    msc_m2_signal_max: float  # S2 added by MSCs at full immune effect (assumed; not in SBML)


class FrankState(NamedTuple):
    """States of the Frank 2021 model (dimensionless activities)."""

    stat1: Array  # x1, STAT1 activity: the M1 programme
    stat6: Array  # x2, STAT6 activity: the M2 programme


# Species ids of the curated SBML file (BIOMD0000001060) for each state.
SBML_SPECIES: dict[str, str] = {"stat1": "x1", "stat6": "x2"}

# Parameter ids of the SBML file and the table entries that hold them.
SBML_PARAMETERS: dict[str, str] = {
    "a1": "frank_stat1_self_activation",
    "a2": "frank_stat6_self_activation",
    "b1": "frank_stat1_basal",
    "b2": "frank_stat6_basal",
    "n1": "frank_stat1_self_hill",
    "n2": "frank_stat6_self_hill",
    "k1": "frank_stat1_self_threshold",
    "k2": "frank_stat6_self_threshold",
    "l1": "frank_stat1_inhibition_hill",
    "l2": "frank_stat6_inhibition_hill",
    "p1": "frank_stat1_inhibition_threshold",
    "p2": "frank_stat6_inhibition_threshold",
    "q1": "frank_stat1_decay",
    "q2": "frank_stat6_decay",
    "S1": "frank_m1_signal",
    "S2": "frank_m2_signal",
}

# FrankParams field of each table entry, in field order.
_FIELDS: dict[str, str] = {
    "stat1_self_activation": "frank_stat1_self_activation",
    "stat6_self_activation": "frank_stat6_self_activation",
    "stat1_basal": "frank_stat1_basal",
    "stat6_basal": "frank_stat6_basal",
    "stat1_self_hill": "frank_stat1_self_hill",
    "stat6_self_hill": "frank_stat6_self_hill",
    "stat1_self_threshold": "frank_stat1_self_threshold",
    "stat6_self_threshold": "frank_stat6_self_threshold",
    "stat1_inhibition_hill": "frank_stat1_inhibition_hill",
    "stat6_inhibition_hill": "frank_stat6_inhibition_hill",
    "stat1_inhibition_threshold": "frank_stat1_inhibition_threshold",
    "stat6_inhibition_threshold": "frank_stat6_inhibition_threshold",
    "stat1_decay": "frank_stat1_decay",
    "stat6_decay": "frank_stat6_decay",
    "m1_signal": "frank_m1_signal",
    "m2_signal": "frank_m2_signal",
    "msc_m2_signal_max": "frank_msc_m2_signal_max",
}


def _value(ps: ParameterSet, name: str) -> float:
    """A table value, checked to be dimensionless (fails loudly if a unit sneaks in)."""
    return value_in(ps, name, _DIMLESS)


def frank_params(params: ParameterSet | None = None) -> FrankParams:
    """Model constants from the `macrophage` table (or `params`)."""
    ps = params if params is not None else load_module(_MODULE)
    return FrankParams(**{f: _value(ps, name) for f, name in _FIELDS.items()})


def frank_initial_state(params: ParameterSet | None = None) -> FrankState:
    """The curated file's start (x1 = 1.2, x2 = 2): it lies in the uncommitted basin."""
    ps = params if params is not None else load_module(_MODULE)
    return FrankState(_value(ps, "frank_stat1_initial"), _value(ps, "frank_stat6_initial"))


def _hill_up(x: Array, k: float, n: float) -> Array:
    return x**n / (x**n + k**n)


def _hill_down(x: Array, p: float, n: float) -> Array:
    return p**n / (p**n + x**n)


def macrophage_m1_to_m2(effect: Array, p: FrankParams) -> Array:
    """Extra M2 signal (added to S2) from MSC PGE2/TSG-6/lactate at immune effect 0..1."""
    return p.msc_m2_signal_max * effect


def frank_rates(y: FrankState, p: FrankParams, msc_effect: Array = 0.0) -> FrankState:
    """d/dt of STAT1 and STAT6 activity (per unit of model time) at MSC immune effect 0..1."""
    x1, x2 = y.stat1, y.stat6
    s2 = p.m2_signal + macrophage_m1_to_m2(msc_effect, p)
    # STAT6 damps every route to STAT1 activation, its own feedback and the S1 cue alike.
    stat1_drive = (
        p.stat1_self_activation * _hill_up(x1, p.stat1_self_threshold, p.stat1_self_hill)
        + p.m1_signal
    ) * _hill_down(x2, p.stat6_inhibition_threshold, p.stat6_inhibition_hill)
    # STAT1 damps only the external M2 cue; STAT6 self-activation escapes it.
    stat6_drive = p.stat6_self_activation * _hill_up(
        x2, p.stat6_self_threshold, p.stat6_self_hill
    ) + s2 * _hill_down(x1, p.stat1_inhibition_threshold, p.stat1_inhibition_hill)
    d_x1 = stat1_drive + p.stat1_basal - p.stat1_decay * x1
    d_x2 = stat6_drive + p.stat6_basal - p.stat6_decay * x2
    return FrankState(d_x1, d_x2)


def frank_jacobian(y: FrankState, p: FrankParams, msc_effect: float = 0.0) -> F64:
    """Jacobian d(x1', x2')/d(x1, x2) at a point (numpy; analytic Hill derivatives)."""
    x1, x2 = float(y.stat1), float(y.stat6)
    s2 = p.m2_signal + float(macrophage_m1_to_m2(msc_effect, p))
    k1, n1 = p.stat1_self_threshold, p.stat1_self_hill
    k2, n2 = p.stat6_self_threshold, p.stat6_self_hill
    p1, l1 = p.stat1_inhibition_threshold, p.stat1_inhibition_hill
    p2, l2 = p.stat6_inhibition_threshold, p.stat6_inhibition_hill
    d_up1 = n1 * x1 ** (n1 - 1.0) * k1**n1 / (x1**n1 + k1**n1) ** 2
    d_up2 = n2 * x2 ** (n2 - 1.0) * k2**n2 / (x2**n2 + k2**n2) ** 2
    d_down1 = -l1 * x1 ** (l1 - 1.0) * p1**l1 / (p1**l1 + x1**l1) ** 2
    d_down2 = -l2 * x2 ** (l2 - 1.0) * p2**l2 / (p2**l2 + x2**l2) ** 2
    up1 = _hill_up(x1, k1, n1)
    return np.array(
        [
            [
                p.stat1_self_activation * d_up1 * _hill_down(x2, p2, l2) - p.stat1_decay,
                (p.stat1_self_activation * up1 + p.m1_signal) * d_down2,
            ],
            [s2 * d_down1, p.stat6_self_activation * d_up2 - p.stat6_decay],
        ],
        dtype=np.float64,
    )


def phenotype(y: FrankState, p: FrankParams) -> Phenotype:
    """Phenotype of a state: which STATs sit above their self-activation threshold k.

    Above k a STAT's own feedback is more than half-maximal and sustains it; that is the
    commitment that makes a branch M1 or M2. This classification is mscsim's reading of the
    model, used to name branches; the curated file does not define one.
    """
    m1 = float(y.stat1) > p.stat1_self_threshold
    m2 = float(y.stat6) > p.stat6_self_threshold
    if m1 and m2:
        return "mixed"
    if m1:
        return "M1"
    if m2:
        return "M2"
    return "uncommitted"


# --- simulation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MscPulse:
    """An MSC immune effect `effect` (0..1) held from `start` to `stop` (model time), else 0."""

    effect: float
    start: float
    stop: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.effect <= 1.0:
            raise ValueError(f"MscPulse effect = {self.effect!r} must lie in [0, 1]")
        if not self.start < self.stop:
            raise ValueError(f"MscPulse start = {self.start!r} must be before stop = {self.stop!r}")

    def __call__(self, t: float) -> float:
        return self.effect if self.start <= t < self.stop else 0.0


@dataclass(frozen=True)
class _Constant:
    """A constant MSC effect as a function of time."""

    effect: float

    def __call__(self, _: float) -> float:
        return self.effect


@dataclass(frozen=True)
class FrankResult:
    """Trajectories of one simulation: `t` (model time) and each state at those times."""

    t: F64
    states: FrankState


def simulate_frank(
    t_eval: ArrayLike,
    *,
    params: FrankParams | None = None,
    initial: FrankState | None = None,
    msc: float | Callable[[float], float] = 0.0,
    breaks: Sequence[float] = (),
    method: Method = "Radau",
    rtol: float = 1e-10,
) -> FrankResult:
    """Integrate the Frank 2021 model with SciPy and return it at `t_eval`.

    `msc` is a constant MSC immune effect (0..1), an `MscPulse`, or any function of time; the
    integration restarts at `breaks` (and at the edges of an `MscPulse`) so that a switched
    input never straddles a step.
    """
    t = np.asarray(t_eval, dtype=np.float64)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ValueError("t_eval must be a 1-D, strictly increasing sequence of times")
    p = params if params is not None else frank_params()
    y0 = np.asarray(initial if initial is not None else frank_initial_state(), dtype=np.float64)
    effect: Callable[[float], float]
    if isinstance(msc, int | float):
        if not 0.0 <= float(msc) <= 1.0:
            raise ValueError(f"msc effect = {msc!r} must lie in [0, 1]")
        effect = _Constant(float(msc))
    else:
        effect = msc
    edges = list(breaks) + ([msc.start, msc.stop] if isinstance(msc, MscPulse) else [])
    cuts = sorted({float(b) for b in edges if t[0] < b < t[-1]})
    # A single time asks for the start only: nothing to integrate.
    bounds = [float(t[0]), *cuts, float(t[-1])] if t.size > 1 else []
    # Activities are O(0.01..10): an absolute floor far below any level that matters.
    atol = rtol * 1e-2

    out = np.empty((2, t.size), dtype=np.float64)
    out[:, 0] = y0
    y = y0
    for lo, hi in itertools.pairwise(bounds):
        # Inputs are right-continuous (a pulse is on from its start, off from its stop): on a
        # piece, the solver's stage at the piece's end must see the left limit, not the next
        # piece's value, so time is held just inside the piece.
        def rhs(time: float, z: F64, lo: float = lo, hi: float = hi) -> F64:
            e = effect(min(max(time, lo), float(np.nextafter(hi, lo))))
            return np.asarray(frank_rates(FrankState(z[0], z[1]), p, e), dtype=np.float64)

        inside = (t > lo) & (t <= hi)
        # Ask for the piece's end too: it is the next piece's start.
        times = np.union1d(t[inside], [hi])
        sol = solve_ivp(rhs, (lo, hi), y, method=method, t_eval=times, rtol=rtol, atol=atol)
        if not sol.success:
            raise RuntimeError(f"Frank 2021 integration failed ({method}): {sol.message}")
        out[:, inside] = sol.y[:, np.isin(times, t[inside])]
        y = sol.y[:, -1]
    return FrankResult(t=t, states=FrankState(out[0], out[1]))


# --- steady states and the branch diagram over S2 ------------------------------------------------


class FixedPoint(NamedTuple):
    """One steady state at a given S2: the state, whether it is stable, and its phenotype."""

    state: FrankState
    stable: bool
    phenotype: str
    m2_signal: float


class Fold(NamedTuple):
    """A saddle-node point of the S2 branch diagram, where a stable branch appears or ends."""

    m2_signal: float
    state: FrankState
    branch: str  # phenotype of the stable branch that ends here
    ends_when: Literal["rising", "falling"]  # the branch ends as S2 rises past / falls below it


def _x1_grid(p: FrankParams) -> F64:
    """STAT1 levels that can be steady: x1 in (b1/q1, (a1 + S1 + b1)/q1].

    The M2 branch crowds towards x1 = b1/q1 as S2 grows, hence the geometric part of the grid.
    """
    lo = p.stat1_basal / p.stat1_decay
    hi = (p.stat1_self_activation + p.m1_signal + p.stat1_basal) / p.stat1_decay
    u = np.unique(np.concatenate([np.geomspace(1e-12, 1.0, 4001), np.linspace(0.0, 1.0, 40001)]))
    return lo + (hi - lo) * u[u > 0.0]


def equilibrium_curve(x1: ArrayLike, p: FrankParams) -> tuple[F64, F64]:
    """(x2, S2) that make (x1, x2) a steady state; NaN where no S2 >= 0 can.

    x1' = 0 fixes the STAT6 level x2 that holds STAT1 at x1; x2' = 0 then gives the S2 that
    holds STAT6 there. S2 is the full external M2 signal (MSC share included).
    """
    x1a = np.asarray(x1, dtype=np.float64)
    drive = (
        p.stat1_self_activation * _hill_up(x1a, p.stat1_self_threshold, p.stat1_self_hill)
        + p.m1_signal
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        inhibition = (p.stat1_decay * x1a - p.stat1_basal) / drive  # = H-(x2) at the steady state
        ok = (inhibition > 0.0) & (inhibition <= 1.0)
        x2 = p.stat6_inhibition_threshold * (1.0 / inhibition - 1.0) ** (
            1.0 / p.stat6_inhibition_hill
        )
        s2 = (
            p.stat6_decay * x2
            - p.stat6_self_activation * _hill_up(x2, p.stat6_self_threshold, p.stat6_self_hill)
            - p.stat6_basal
        ) / _hill_down(x1a, p.stat1_inhibition_threshold, p.stat1_inhibition_hill)
    ok &= np.isfinite(s2) & (s2 >= 0.0)
    return np.where(ok, x2, np.nan), np.where(ok, s2, np.nan)


def _fixed_point(x1: float, p: FrankParams, s2: float) -> FixedPoint:
    x2, _ = equilibrium_curve(np.array([x1]), p)
    y = FrankState(x1, float(x2[0]))
    # The S2 of p is replaced, so the Jacobian is taken at the signal asked for.
    q = p._replace(m2_signal=s2)
    stable = bool(np.max(np.linalg.eigvals(frank_jacobian(y, q)).real) < 0.0)
    return FixedPoint(state=y, stable=stable, phenotype=phenotype(y, p), m2_signal=s2)


def fixed_points(
    p: FrankParams | None = None, *, msc_effect: float = 0.0
) -> tuple[FixedPoint, ...]:
    """All steady states at the signals of `p` plus the MSC share, ordered by STAT1 level."""
    q = p if p is not None else frank_params()
    s2 = q.m2_signal + float(macrophage_m1_to_m2(msc_effect, q))
    x1 = _x1_grid(q)
    _, curve = equilibrium_curve(x1, q)
    h = curve - s2
    roots: list[float] = []
    for i in np.flatnonzero(np.isfinite(h[:-1]) & np.isfinite(h[1:]) & (h[:-1] * h[1:] <= 0.0)):
        r = (
            x1[i]
            if h[i] == 0.0
            else float(
                brentq(
                    lambda z: float(equilibrium_curve(np.array([z]), q)[1][0]) - s2,
                    x1[i],
                    x1[i + 1],
                    xtol=1e-14,
                )
            )
        )
        if not roots or abs(r - roots[-1]) > 1e-12:
            roots.append(float(r))
    return tuple(_fixed_point(r, q, s2) for r in roots)


def folds(p: FrankParams | None = None) -> tuple[Fold, ...]:
    """Saddle-node points over S2 (S1 and the rest from `p`), ordered by STAT1 level.

    Each is a local extremum of S2 along the equilibrium curve, where a stable and an unstable
    steady state meet: at a maximum of S2 the stable branch ends as S2 rises past it, at a
    minimum as S2 falls below it.
    """
    q = p if p is not None else frank_params()
    x1 = _x1_grid(q)
    _, s2 = equilibrium_curve(x1, q)
    a, b, c = s2[:-2], s2[1:-1], s2[2:]
    ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
    maxima = ok & (b >= a) & (b > c)
    minima = ok & (b <= a) & (b < c)
    out: list[Fold] = []
    for k in np.flatnonzero(maxima | minima):
        i = int(k) + 1
        is_max = bool(maxima[k])
        sign = -1.0 if is_max else 1.0
        res = minimize_scalar(
            lambda z, sign=sign: sign * float(equilibrium_curve(np.array([z]), q)[1][0]),
            bounds=(x1[i - 1], x1[i + 1]),
            method="bounded",
            options={"xatol": 1e-13},
        )
        xf = float(res.x)
        x2f, s2f = equilibrium_curve(np.array([xf]), q)
        # The stable branch that ends here is the neighbour whose Jacobian is stable.
        branch = "none"
        for j in (max(i - 20, 0), min(i + 20, x1.size - 1)):
            if not np.isfinite(s2[j]):
                continue
            side = _fixed_point(float(x1[j]), q, float(s2[j]))
            if side.stable:
                branch = side.phenotype
        out.append(
            Fold(
                m2_signal=float(s2f[0]),
                state=FrankState(xf, float(x2f[0])),
                branch=branch,
                ends_when="rising" if is_max else "falling",
            )
        )
    return tuple(out)


class SwitchThresholds(NamedTuple):
    """Where the S2 branch diagram switches phenotype (S1 and the rest held).

    Rising S2 (e.g. an MSC effect building up) a macrophage leaves M1 at `leave_m1` and is
    committed to M2, whatever branch it passed through, above `commit_m2`; falling S2 it leaves
    M2 below `leave_m2` and is back on M1, whatever it passed through, below `return_m1`.
    `commit_m2 > leave_m2` is the hysteresis: the memory of a transient push.
    """

    leave_m1: float
    commit_m2: float
    leave_m2: float
    return_m1: float


def switch_thresholds(p: FrankParams | None = None) -> SwitchThresholds:
    """The S2 values where M1 and M2 appear and vanish (from the folds of the S2 diagram)."""
    q = p if p is not None else frank_params()
    fs = folds(q)
    rising = [f for f in fs if f.ends_when == "rising"]
    falling = [f for f in fs if f.ends_when == "falling"]
    m1 = [f.m2_signal for f in rising if f.branch == "M1"]
    m2 = [f.m2_signal for f in falling if f.branch == "M2"]
    if not m1 or not m2:
        raise ValueError(
            f"no M1/M2 hysteresis over S2 at S1 = {q.m1_signal}: folds found "
            f"{[(round(f.m2_signal, 4), f.branch, f.ends_when) for f in fs]}"
        )
    return SwitchThresholds(
        leave_m1=min(m1),
        commit_m2=max(f.m2_signal for f in rising),
        leave_m2=max(m2),
        return_m1=min(f.m2_signal for f in falling),
    )


@dataclass(frozen=True)
class BranchDiagram:
    """Steady states over S2 as one curve, ordered by STAT1 level (S1 and the rest held).

    `stable` marks stable points; `phenotype` names each point (see `phenotype`). A plot of
    stat1 or stat6 against m2_signal, solid where stable, is the usual bifurcation diagram.
    """

    m2_signal: F64
    stat1: F64
    stat6: F64
    stable: NDArray[np.bool_]
    phenotype: tuple[str, ...]
    folds: tuple[Fold, ...]


def branch_diagram(
    p: FrankParams | None = None, *, s2_max: float = 10.0, points: int = 2001
) -> BranchDiagram:
    """The S2 branch diagram up to `s2_max`, sampled at about `points` points of the curve."""
    q = p if p is not None else frank_params()
    x1 = _x1_grid(q)
    x2, s2 = equilibrium_curve(x1, q)
    keep = np.flatnonzero(np.isfinite(s2) & (s2 <= s2_max))
    keep = keep[np.unique(np.linspace(0, keep.size - 1, points).round().astype(int))]
    fps = [_fixed_point(float(x1[i]), q, float(s2[i])) for i in keep]
    return BranchDiagram(
        m2_signal=s2[keep],
        stat1=x1[keep],
        stat6=x2[keep],
        stable=np.array([f.stable for f in fps], dtype=np.bool_),
        phenotype=tuple(f.phenotype for f in fps),
        folds=folds(q),
    )
