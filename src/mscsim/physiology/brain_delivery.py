"""MSC cells versus MSC exosomes reaching the brain (seed 000 §2.2 and §3).

The blood-brain barrier decides what an MSC product can do in Parkinson's or Alzheimer's
disease. Exosomes (30-100 nm) cross it and home to the injured substantia nigra; living cells
(15-30 um) are trapped in the lung on the first pass (well under 1% get through, Fischer 2009)
and hardly cross the barrier, so the seed argues that MSCs act on the brain through their
exosomes. Here each (form, route) pair delivers a fraction of the dose to the brain, a share of
that reaches the nigra, and what arrived clears with a form-specific half-life:

    amount(t) = sum_doses f(form, route) share(target) D exp(-k_form (t - t_d)),  t >= t_d

Arrival is taken as immediate (hours against a residence of days). Exosome particles are turned
into MSC-equivalents (the particles that carry one living cell's paracrine signal) so cells and
exosomes share one scale, and the brain signal is s = E / (E + n50(target)) in [0, 1), the
`msc_signal` of `simulate_parkinson` and `simulate_alzheimer`. Every magnitude is an assumed
order of magnitude with its range as bounds (table `brain_delivery`); the ordering (exosomes
reach the brain, cells essentially do not, unless injected intrathecally) is the seed's.
Indirect effects of lung-trapped cells on the brain (systemic immunomodulation) are not modelled.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology._inputs import check_nonnegative

F64 = NDArray[np.float64]
Form = Literal["cells", "exosomes"]
Route = Literal["iv", "intranasal", "intrathecal"]
Target = Literal["brain", "nigra"]
FORMS: tuple[str, ...] = get_args(Form)
ROUTES: tuple[str, ...] = get_args(Route)
TARGETS: tuple[str, ...] = get_args(Target)
MODULE = "brain_delivery"


class BrainDelivery(NamedTuple):
    """Brain delivery constants (fractions of dose, days, particles, MSC-equivalents)."""

    fraction: Mapping[tuple[str, str], float]  # (form, route) -> fraction of dose in the brain
    nigra_share: Mapping[str, float]  # form -> share of brain exposure at the nigra
    half_life: Mapping[str, float]  # form -> residence half-life in the brain (days)
    particles_per_msc_equivalent: float
    n50: Mapping[str, float]  # target -> MSC-equivalents for half the maximal signal


@dataclass(frozen=True)
class BrainExposure:
    """Brain (or nigral) exposure at `t` days: amount in its own unit, MSC-equivalents, signal."""

    t: F64
    form: str
    route: str
    target: str
    amount: F64  # cells (form cells) or particles (form exosomes)
    msc_equivalents: F64
    signal: F64


def brain_delivery_params(params: ParameterSet | None = None) -> BrainDelivery:
    """Constants from the `brain_delivery` table (or `params`)."""
    ps = params if params is not None else load_module(MODULE)

    def v(name: str, unit: str = "dimensionless") -> float:
        return value_in(ps, f"brain_{name}", unit)

    return BrainDelivery(
        fraction=MappingProxyType({(f, r): v(f"fraction_{f}_{r}") for f in FORMS for r in ROUTES}),
        nigra_share=MappingProxyType({f: v(f"nigra_share_{f}") for f in FORMS}),
        half_life=MappingProxyType({f: v(f"half_life_{f}", "day") for f in FORMS}),
        particles_per_msc_equivalent=v("particles_per_msc_equivalent", "particle/cell"),
        n50=MappingProxyType({"brain": v("n50_brain", "cell"), "nigra": v("n50_nigra", "cell")}),
    )


def _check_choice(field: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{field} = {value!r} is not one of {', '.join(allowed)}")
    return value


def delivered_fraction(
    form: str, route: str, target: str = "brain", params: BrainDelivery | None = None
) -> float:
    """Fraction of a dose of `form` given by `route` that reaches `target` (brain or nigra)."""
    _check_choice("form", form, FORMS)
    _check_choice("route", route, ROUTES)
    _check_choice("target", target, TARGETS)
    bp = params if params is not None else brain_delivery_params()
    share = bp.nigra_share[form] if target == "nigra" else 1.0
    return bp.fraction[(form, route)] * share


def brain_exposure(
    t_days: ArrayLike,
    dose: float,
    form: str,
    route: str,
    schedule_days: Sequence[float] = (0.0,),
    target: str = "brain",
    params: BrainDelivery | None = None,
) -> BrainExposure:
    """Exposure of `target` after doses of `dose` each (cells for form cells, particles for
    exosomes) on `schedule_days`."""
    bp = params if params is not None else brain_delivery_params()
    frac = delivered_fraction(form, route, target, bp)
    d = check_nonnegative("dose", dose)
    days = [check_nonnegative(f"schedule_days[{i}]", x) for i, x in enumerate(schedule_days)]
    if not days:
        raise ValueError("schedule_days must name at least one dosing day")
    t = np.asarray(t_days, dtype=np.float64)
    k = math.log(2.0) / bp.half_life[form]
    amount = np.zeros_like(t)
    for td in days:
        amount += np.where(t >= td, frac * d * np.exp(-k * np.maximum(t - td, 0.0)), 0.0)
    per_eq = bp.particles_per_msc_equivalent if form == "exosomes" else 1.0
    eq = amount / per_eq
    return BrainExposure(
        t=t,
        form=form,
        route=route,
        target=target,
        amount=amount,
        msc_equivalents=eq,
        signal=eq / (eq + bp.n50[target]),
    )


def brain_signal_function(
    dose: float,
    form: str,
    route: str,
    schedule_days: Sequence[float] = (0.0,),
    target: str = "brain",
    params: BrainDelivery | None = None,
) -> Callable[[float], float]:
    """The brain signal s(t) in [0, 1) as a function of days, for `msc_signal=`."""
    bp = params if params is not None else brain_delivery_params()
    brain_exposure(0.0, dose, form, route, schedule_days, target, bp)  # check the inputs now

    def signal(t: float) -> float:
        return float(brain_exposure(t, dose, form, route, schedule_days, target, bp).signal)

    return signal
