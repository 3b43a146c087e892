"""MSCs and tumour growth in both published directions, and MSCs as drug carriers (seed 000 §2.6).

Exploratory: the seed reports directions, never effect sizes, and its evidence is animal and
in-vitro. Every output of this module says so, and every effect comes with the envelope of its
documented parameter ranges instead of one number.

MSCs in a tumour act on the two constants of the Gompertz law (Jenner 2019 base):

    K_eff = K (1 + e (angiogenesis - anti_angiogenesis))                        vascular channel
    m_eff = m (1 + e (emt + caf_recruitment - contact_inhibition))         proliferative channel

with e = H / (H + n50) the exposure to the homed MSCs H (cells). Angiogenesis (VEGF) raises the
vascular carrying capacity and anti-angiogenesis lowers it; EMT/invasiveness and recruitment of
MSCs into tumour-associated fibroblasts (TAF/CAF subgroups) speed proliferation and contact
inhibition slows it. The signed net effect is promotion - suppression. Which terms dominate is not
hidden in the code: it is a named profile of the parameter table (`promoting`, `suppressing`,
`neutral`), chosen by the caller for a product source and tumour type (`PROFILE_EVIDENCE` lists
what the seed documents for each).

As drug carriers (MSCs engineered to express or secrete an anti-tumour agent, seed ref [39]) the
homed cells kill tumour cells at kill_max H / (H + n50_payload) per day, proportional to H while
H is small. Homing differs by route: an intratumoral dose is mostly retained, an iv dose mostly
stays in the lung (the seed's 13 trials mostly inject locally). Homed cells decay with a
half-life, so each dose is a decaying pulse, solved exactly: there is no MSC state to integrate.

Scale: mouse xenograft (tumour_volume_mm3 = scale x (U + I); treatment from 100 mm3), because
that is where the evidence is. MSCs as adjuvant after chemo- or radiotherapy enter as a debulked
start (`tumour_initial_state(debulking_fraction=...)`), the same in every arm.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology.tumour._jenner2019 import (
    PARAMETER_MODULE,
    JennerParams,
    JennerState,
    Method,
    check_state,
    check_times,
    jenner_params,
    jenner_rates,
)

Array = Any  # a jax or numpy array (or float): the equations are written for both
F64 = NDArray[np.float64]

Profile = Literal["promoting", "suppressing", "neutral"]
Route = Literal["intratumoral", "iv"]
Level = Literal["value", "low", "high"]
PROFILES: tuple[Profile, ...] = get_args(Profile)
ROUTES: tuple[Route, ...] = get_args(Route)
EVIDENCE_LEVEL: Final = "exploratory"

PROMOTING_TERMS: tuple[str, ...] = ("angiogenesis", "emt", "caf_recruitment")
SUPPRESSING_TERMS: tuple[str, ...] = ("anti_angiogenesis", "contact_inhibition")

# What the seed documents for each profile (product source, tumour type, references), so that the
# choice of profile is an input a reader can check, not a default buried in the equations.
PROFILE_EVIDENCE: Mapping[str, str] = MappingProxyType(
    {
        "promoting": (
            "Tumour-resident MSCs that become TAF/CAF (inflammatory and extracellular-matrix "
            "subgroups in gastric cancer, seed refs [33], [38]); bone-marrow MSCs with metastatic "
            "breast cancer cells, more invasive (seed text for ref [35]); MSC-driven tumour "
            "angiogenesis and metastatic progression (ref [36]); most MSC-exosome studies "
            "(ref [40])."
        ),
        "suppressing": (
            "Bone-marrow MSCs with glioma U251 cells, growth suppressed via PI3K/AKT (ref [35] as "
            "titled); MSCs that inhibit tumour angiogenesis or tumour-cell proliferation by direct "
            "contact (ref [37])."
        ),
        "neutral": (
            "No documented direction for this product source and tumour type: both directions "
            "are published (ref [34]); promotion and suppression balance at the point value and "
            "the range spans both signs."
        ),
    }
)

EFFECT_INTERPRETATION: Final = (
    "EXPLORATORY (seed 000 §2.6: directions from animal and in-vitro studies, effect sizes "
    "assumed). The low-high range is the envelope of the point and every corner of the documented "
    "parameter ranges (profile terms, homing, MSC residence, exposure and payload constants); the "
    "sign of the effect follows the chosen profile, an input, not a model prediction."
)


class MscTumourEffects(NamedTuple):
    """Fractional change of a Gompertz constant at full MSC exposure (e = 1), one per mechanism.

    Promotion: angiogenesis (on K), emt and caf_recruitment (on m). Suppression:
    anti_angiogenesis (on K), contact_inhibition (on m). Fields may be arrays (a batch).
    """

    angiogenesis: Array = 0.0
    emt: Array = 0.0
    caf_recruitment: Array = 0.0
    anti_angiogenesis: Array = 0.0
    contact_inhibition: Array = 0.0

    @property
    def promotion(self) -> Array:
        return self.angiogenesis + self.emt + self.caf_recruitment

    @property
    def suppression(self) -> Array:
        return self.anti_angiogenesis + self.contact_inhibition

    @property
    def net(self) -> Array:
        """Signed net effect, promotion - suppression (> 0 promotes, < 0 suppresses)."""
        return self.promotion - self.suppression


NO_EFFECT: Final = MscTumourEffects()


class CarrierParams(NamedTuple):
    """MSC presence in the tumour for one route, and the payload of engineered carriers."""

    homing_fraction: Array  # share of each dose that reaches (or stays in) the tumour
    msc_half_life: Array  # day
    exposure_n50: Array  # cell: homed MSCs for half the maximal paracrine effect
    payload_kill_max: Array  # 1/day
    payload_n50: Array  # cell: homed carriers for half the maximal kill


def _param(ps: ParameterSet, name: str, level: Level) -> float:
    p = ps[name]
    if level == "value":
        return p.value
    bound = p.lower if level == "low" else p.upper
    if not math.isfinite(bound):
        raise ValueError(f"parameter {name}: no documented {level} end ({p.lower}..{p.upper})")
    return bound


def _check_choice(what: str, value: object, allowed: tuple[str, ...]) -> None:
    # Literal types are not checked at run time: scenario files arrive as plain strings.
    if value not in allowed:
        raise ValueError(f"{what} {value!r} not known; use one of {', '.join(allowed)}")


def profile_effects(
    profile: Profile, *, level: Level = "value", params: ParameterSet | None = None
) -> MscTumourEffects:
    """The five effect terms of a named profile from the `tumour` table.

    `level='low'` takes the end of each documented range that makes the tumour smallest
    (promotion at its lower, suppression at its upper bound); `'high'` the opposite end.
    """
    _check_choice("profile", profile, PROFILES)
    _check_choice("level", level, get_args(Level))
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    flip: dict[str, Level] = {"value": "value", "low": "high", "high": "low"}
    terms = {t: _param(ps, f"tumour_{t}_{profile}", level) for t in PROMOTING_TERMS}
    terms |= {t: _param(ps, f"tumour_{t}_{profile}", flip[level]) for t in SUPPRESSING_TERMS}
    return MscTumourEffects(**terms)


def carrier_params(route: Route, *, params: ParameterSet | None = None) -> CarrierParams:
    """Homing of `route` and the residence, exposure and payload constants, in model units."""
    _check_choice("route", route, ROUTES)
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    return CarrierParams(
        homing_fraction=value_in(ps, f"tumour_homing_fraction_{route}", "dimensionless"),
        msc_half_life=value_in(ps, "tumour_msc_half_life", "day"),
        exposure_n50=value_in(ps, "tumour_msc_exposure_n50", "cell"),
        payload_kill_max=value_in(ps, "tumour_payload_kill_max", "1/day"),
        payload_n50=value_in(ps, "tumour_payload_n50", "cell"),
    )


@dataclass(frozen=True)
class MscTumourTreatment:
    """An MSC regimen for the tumour module: total cells per dose, route, days, profile.

    `profile` is required: the direction of the paracrine effect is a documented input (see
    `PROFILE_EVIDENCE`), never a default. `payload=True` makes the cells drug carriers.
    """

    dose_cells: float
    route: Route
    profile: Profile
    schedule_days: tuple[float, ...] = (0.0,)
    payload: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.dose_cells) and self.dose_cells >= 0):
            raise ValueError(f"dose_cells = {self.dose_cells} must be finite and >= 0")
        _check_choice("route", self.route, ROUTES)
        _check_choice("profile", self.profile, PROFILES)
        days = tuple(float(d) for d in self.schedule_days)
        if not days or not all(math.isfinite(d) for d in days):
            raise ValueError(f"schedule_days = {self.schedule_days!r} must be finite days (>= 1)")
        if any(b <= a for a, b in itertools.pairwise(days)):
            raise ValueError(f"schedule_days = {self.schedule_days!r} must be strictly increasing")
        object.__setattr__(self, "schedule_days", days)
        if not isinstance(self.payload, bool):
            raise ValueError(f"payload = {self.payload!r} must be true or false")


def homed_cells(
    t: Array, dose_cells: float, schedule_days: tuple[float, ...], cp: CarrierParams, xp: Any
) -> Array:
    """Live MSCs in the tumour (cells) at t: each dose adds dose x homing, decaying first-order.

    Exact, so the integrator never carries an MSC state (cells home within hours, far faster
    than the tumour grows, so arrival is taken as instantaneous).
    """
    k = math.log(2.0) / cp.msc_half_life
    total: Array = 0.0
    for day in schedule_days:
        since = t - day
        # max(., 0) keeps exp() from overflowing before the dose; where() switches it on.
        pulse = dose_cells * cp.homing_fraction * xp.exp(-k * xp.maximum(since, 0.0))
        total = total + xp.where(since >= 0.0, pulse, 0.0)
    return total


def msc_exposure(homed: Array, cp: CarrierParams) -> Array:
    """Saturating exposure e = H / (H + n50) in [0, 1) that scales every profile term."""
    return homed / (homed + cp.exposure_n50)


def payload_kill_rate(homed: Array, cp: CarrierParams) -> Array:
    """Per-capita kill rate of tumour cells by the carriers' payload (1/day)."""
    return cp.payload_kill_max * homed / (homed + cp.payload_n50)


def tumour_rates(
    t: Array,
    y: JennerState,
    p: JennerParams,
    effects: MscTumourEffects,
    homed: Array,
    cp: CarrierParams,
    payload: Array,
    xp: Any,
) -> JennerState:
    """d/dt of the tumour states with `homed` MSCs (cells) in the tumour at time t (days).

    `payload` is 1 for engineered carriers and 0 for plain MSCs. With homed = 0 these are the
    Jenner 2019 rates unchanged.
    """
    e = msc_exposure(homed, cp)
    modified = p._replace(
        growth_rate=p.growth_rate
        * (1.0 + e * (effects.emt + effects.caf_recruitment - effects.contact_inhibition)),
        carrying_capacity=p.carrying_capacity
        * (1.0 + e * (effects.angiogenesis - effects.anti_angiogenesis)),
    )
    base = jenner_rates(t, y, modified, xp)
    # The payload kills uninfected and infected tumour cells alike (a secreted cytotoxic agent).
    kill = payload * payload_kill_rate(homed, cp)
    return JennerState(
        base.uninfected - kill * y.uninfected, base.infected - kill * y.infected, base.virus
    )


def tumour_initial_state(
    *, debulking_fraction: float = 0.0, params: ParameterSet | None = None
) -> JennerState:
    """An untreated, uninfected tumour at the start of MSC treatment (100 mm3 by default).

    MSCs in the registered tumour trials are mostly an adjuvant after chemo- or radiotherapy:
    `debulking_fraction` of the tumour removed by that standard of care before day 0.
    """
    if not 0.0 <= debulking_fraction < 1.0:
        raise ValueError(f"debulking_fraction = {debulking_fraction} must lie in [0, 1)")
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    u0 = value_in(ps, "tumour_uninfected_initial", "cell/mL")
    return JennerState(u0 * (1.0 - debulking_fraction), 0.0, 0.0)


def volume_scale(params: ParameterSet | None = None) -> float:
    """mm3 of tumour per cell/mL of model tumour cells (U + I)."""
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    return value_in(ps, "tumour_volume_per_cell_density", "mm**3*mL/cell")


@dataclass(frozen=True)
class TumourResult:
    """Trajectories of one tumour simulation on `t` (days); computation only, no presentation.

    `volume_mm3` is the `tumour_volume_mm3` endpoint; `homed_msc` the live MSCs in the tumour.
    """

    t: F64
    states: JennerState
    volume_mm3: F64
    homed_msc: F64
    treatment: MscTumourTreatment | None
    evidence_level: str = EVIDENCE_LEVEL

    def volume_at(self, day: float) -> float:
        """Tumour volume (mm3) interpolated at `day`."""
        if not self.t[0] <= day <= self.t[-1]:
            raise ValueError(f"day {day} outside the simulated {self.t[0]}..{self.t[-1]}")
        return float(np.interp(day, self.t, self.volume_mm3))


def _integrate(
    t: F64,
    y0: F64,
    treatment: MscTumourTreatment | None,
    p: JennerParams,
    effects: MscTumourEffects,
    cp: CarrierParams,
    method: Method,
    rtol: float,
) -> F64:
    """States (3, n, len(t)) for a batch of n parameter sets (y0 of shape (3, n)).

    The span is cut at dose days: the homed-cell pulse jumps there, and a step across a jump
    would be rejected again and again or, worse, accepted with a hidden error.
    """
    n = y0.shape[1]
    dose = treatment.dose_cells if treatment is not None else 0.0
    days = treatment.schedule_days if treatment is not None else ()
    payload = 1.0 if treatment is not None and treatment.payload else 0.0

    def segment_rhs(given: tuple[float, ...]) -> Any:
        # Only the doses given by the segment's start count inside it, also at its end point,
        # where the solver's last stage would otherwise already see the next dose.
        def rhs(time: float, flat: F64) -> F64:
            y = JennerState(*flat.reshape(3, n))
            h = homed_cells(time, dose, given, cp, np)
            return np.concatenate(tumour_rates(time, y, p, effects, h, cp, payload, np))

        return rhs

    cuts = sorted({float(t[0]), *(d for d in days if t[0] < d < t[-1]), float(t[-1])})
    out = np.empty((3 * n, t.size))
    out[:, 0] = y0.reshape(-1)
    state = out[:, 0].copy()
    for a, b in itertools.pairwise(cuts):
        inside = (t > a) & (t <= b)
        sol = solve_ivp(
            segment_rhs(tuple(d for d in days if d <= a)),
            (a, b),
            state,
            method=method,
            t_eval=np.unique(np.concatenate([t[inside], [b]])),
            rtol=rtol,
            atol=rtol * 1e-3,
        )
        if not sol.success:
            raise RuntimeError(f"tumour integration failed ({method}) on [{a}, {b}]: {sol.message}")
        out[:, inside] = sol.y[:, : int(inside.sum())]
        state = sol.y[:, -1]
    return out.reshape(3, n, t.size)


def simulate_tumour(
    t_eval: ArrayLike,
    treatment: MscTumourTreatment | None = None,
    *,
    effects: MscTumourEffects | None = None,
    initial: JennerState | None = None,
    params: ParameterSet | None = None,
    method: Method = "DOP853",
    rtol: float = 1e-9,
) -> TumourResult:
    """The tumour under an MSC regimen (or untreated with `treatment=None`), at `t_eval` days.

    The paracrine terms are those of `treatment.profile` in the table unless `effects` gives
    them; `initial` defaults to `tumour_initial_state()` (uninfected, no virus). The Jenner
    virus is simulated too if `initial` carries it (MSCs combined with virotherapy).
    """
    t = check_times(t_eval)
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    y0 = initial if initial is not None else tumour_initial_state(params=ps)
    check_state(y0)
    p = jenner_params(ps)
    if treatment is None:
        eff, cp = NO_EFFECT, carrier_params("iv", params=ps)
    else:
        eff = effects if effects is not None else profile_effects(treatment.profile, params=ps)
        cp = carrier_params(treatment.route, params=ps)
    y = _integrate(
        t, np.asarray(y0, dtype=np.float64)[:, None], treatment, p, eff, cp, method, rtol
    )
    states = JennerState(y[0, 0], y[1, 0], y[2, 0])
    homed = (
        np.asarray(
            homed_cells(t, treatment.dose_cells, treatment.schedule_days, cp, np), dtype=np.float64
        )
        if treatment is not None
        else np.zeros_like(t)
    )
    return TumourResult(
        t=t,
        states=states,
        volume_mm3=volume_scale(ps) * (states.uninfected + states.infected),
        homed_msc=homed,
        treatment=treatment,
    )


@dataclass(frozen=True)
class TumourMscEffect:
    """The effect of an MSC regimen on tumour volume at `day`, with its uncertainty range.

    `low_mm3`/`high_mm3` bracket `point_mm3` (the envelope of the point and every corner of the
    documented ranges); `net_effect*` is promotion - suppression at full exposure. Always
    labelled exploratory; `direction` is 'undetermined' when the range spans no effect.
    """

    treatment: MscTumourTreatment
    day: float
    control_mm3: float
    point_mm3: float
    low_mm3: float
    high_mm3: float
    net_effect: float
    net_effect_low: float
    net_effect_high: float
    varied: tuple[str, ...]
    evidence_level: Literal["exploratory"] = EVIDENCE_LEVEL
    interpretation: str = field(default=EFFECT_INTERPRETATION)

    def __post_init__(self) -> None:
        if not self.low_mm3 <= self.point_mm3 <= self.high_mm3:
            raise ValueError(
                f"range {self.low_mm3}..{self.high_mm3} mm3 does not bracket {self.point_mm3}"
            )

    @property
    def relative_change(self) -> float:
        """Volume with MSCs / volume without - 1 (> 0: the tumour is larger)."""
        return self.point_mm3 / self.control_mm3 - 1.0

    @property
    def relative_change_low(self) -> float:
        return self.low_mm3 / self.control_mm3 - 1.0

    @property
    def relative_change_high(self) -> float:
        return self.high_mm3 / self.control_mm3 - 1.0

    @property
    def direction(self) -> Literal["promotion", "suppression", "undetermined"]:
        """The sign over the whole range, or 'undetermined' if the range includes no effect."""
        if self.relative_change_low > 0.0:
            return "promotion"
        if self.relative_change_high < 0.0:
            return "suppression"
        return "undetermined"

    def describe(self) -> str:
        tr = self.treatment
        return (
            f"tumour_volume_mm3 [{self.evidence_level}] day {self.day:g}, {tr.dose_cells:.3g} "
            f"cells {tr.route}, profile {tr.profile}{', payload' if tr.payload else ''}: "
            f"{self.point_mm3:.4g} mm3 (range {self.low_mm3:.4g}-{self.high_mm3:.4g}) vs "
            f"{self.control_mm3:.4g} without MSCs, change {self.relative_change:+.1%} "
            f"({self.relative_change_low:+.1%} to {self.relative_change_high:+.1%}), "
            f"{self.direction}. {self.interpretation}"
        )


def _ranged(ps: ParameterSet, name: str) -> tuple[float, float]:
    p = ps[name]
    if not (math.isfinite(p.lower) and math.isfinite(p.upper)):
        raise ValueError(f"parameter {name} has no documented range (bounds {p.lower}..{p.upper})")
    return p.lower, p.upper


def estimate_msc_effect(
    treatment: MscTumourTreatment,
    *,
    day: float,
    initial: JennerState | None = None,
    params: ParameterSet | None = None,
    rtol: float = 1e-8,
) -> TumourMscEffect:
    """Tumour volume at `day` with `treatment` against no MSCs, with its uncertainty range.

    Varied over their documented ranges (the table bounds): the five terms of the profile, the
    route's homing fraction, the MSC half-life in the tumour, the exposure n50 and, for carriers,
    the payload kill rate and n50. All 2^k corners and the point run as one batch.
    """
    if not (math.isfinite(day) and day > 0):
        raise ValueError(f"day = {day} must be a finite day > 0")
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    y0 = initial if initial is not None else tumour_initial_state(params=ps)
    check_state(y0)
    names = {
        **{t: f"tumour_{t}_{treatment.profile}" for t in PROMOTING_TERMS + SUPPRESSING_TERMS},
        "homing_fraction": f"tumour_homing_fraction_{treatment.route}",
        "msc_half_life": "tumour_msc_half_life",
        "exposure_n50": "tumour_msc_exposure_n50",
    }
    if treatment.payload:
        names |= {
            "payload_kill_max": "tumour_payload_kill_max",
            "payload_n50": "tumour_payload_n50",
        }
    ranges = [_ranged(ps, n) for n in names.values()]
    corners = np.array(list(itertools.product(*ranges)), dtype=np.float64).reshape(-1, len(names))
    point = np.array([ps.value(n) for n in names.values()], dtype=np.float64)
    batch = np.vstack([point, corners])  # row 0: the point estimate
    col = {k: batch[:, i] for i, k in enumerate(names)}
    cp0 = carrier_params(treatment.route, params=ps)
    cp = CarrierParams(**{f: col.get(f, getattr(cp0, f)) for f in CarrierParams._fields})
    eff = MscTumourEffects(**{t: col[t] for t in MscTumourEffects._fields})
    p = jenner_params(ps)
    t = np.array([0.0, float(day)])
    y_start = np.repeat(np.asarray(y0, dtype=np.float64)[:, None], batch.shape[0], axis=1)
    y = _integrate(t, y_start, treatment, p, eff, cp, "DOP853", rtol)
    scale = volume_scale(ps)
    volumes = scale * (y[0, :, -1] + y[1, :, -1])
    control = _integrate(
        t, np.asarray(y0, dtype=np.float64)[:, None], None, p, NO_EFFECT, cp0, "DOP853", rtol
    )
    control_mm3 = float(scale * (control[0, 0, -1] + control[1, 0, -1]))
    net = np.asarray(eff.net, dtype=np.float64)
    return TumourMscEffect(
        treatment=treatment,
        day=float(day),
        control_mm3=control_mm3,
        point_mm3=float(volumes[0]),
        low_mm3=float(volumes.min()),
        high_mm3=float(volumes.max()),
        net_effect=float(net[0]),
        net_effect_low=float(net.min()),
        net_effect_high=float(net.max()),
        varied=tuple(names.values()),
    )
