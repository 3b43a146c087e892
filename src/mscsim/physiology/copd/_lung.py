"""MSCs in the lung after infusion (seed 000 §2.5): arrival within 30 min, clearance in 1-3 days.

Cells infused IV (or instilled intratracheally) are in the lung within 30 minutes and are
cleared by alveolar macrophages over the next 1-3 days. Each dose adds

    L(t) = f D (1 - exp(-(t - t_d) / tau_arrive)) exp(-k (t - t_d)),  t >= t_d

lung cells, with tau_arrive = arrival time / 3 (95% arrived by the stated time) and k from the
clearance half-life. The lung signal is s = L / (L + n50) in [0, 1).

MSC exosomes (placental exosomes, Exo-d-MAPPS, seed 000 §2.5 ref [28]) have their own lung
kinetics: a route-dependent share of the dose is deposited in the lung at once (an IV dose
passes the lung within minutes and most vesicles go to liver and spleen; an intratracheal or
inhaled dose lands in the airways), then alveolar macrophages clear the cargo first-order:

    X(t) = f_route P exp(-k_exo (t - t_d)),  t >= t_d

particles in the lung (`exosome_lung_particles`). The lung signal counts exosomes in MSC
equivalents (particles / particles_per_msc_equivalent), against the same n50 as cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology._inputs import check_nonnegative

F64 = NDArray[np.float64]


class LungDelivery(NamedTuple):
    """Lung kinetics of infused MSCs (days, cells)."""

    arrival_time: float  # days by which 95% of the lung dose has arrived
    clearance_half_life: float  # days
    lung_fraction: float  # share of an IV or intratracheal dose retained in the lung
    n50: float  # lung cells for half the maximal signal


def lung_delivery_params(params: ParameterSet | None = None) -> LungDelivery:
    """Lung kinetics from the `copd` table (or `params`)."""
    ps = params if params is not None else load_module("copd")
    return LungDelivery(
        arrival_time=value_in(ps, "copd_lung_arrival_time", "day"),
        clearance_half_life=value_in(ps, "copd_lung_clearance_half_life", "day"),
        lung_fraction=value_in(ps, "copd_lung_fraction", "dimensionless"),
        n50=value_in(ps, "copd_lung_n50", "cell"),
    )


EXOSOME_LUNG_ROUTES = ("iv", "intratracheal")


class ExosomeLungDelivery(NamedTuple):
    """Lung kinetics of MSC exosomes (days, fractions)."""

    deposition_iv: float  # share of an IV exosome dose taken up in the lung
    deposition_intratracheal: float  # share of an intratracheal (or inhaled) dose retained
    clearance_half_life: float  # days, cargo cleared by alveolar macrophages


def exosome_lung_params(params: ParameterSet | None = None) -> ExosomeLungDelivery:
    """Exosome lung kinetics from the `copd` table (or `params`)."""
    ps = params if params is not None else load_module("copd")
    return ExosomeLungDelivery(
        deposition_iv=value_in(ps, "copd_exosome_lung_fraction_iv", "dimensionless"),
        deposition_intratracheal=value_in(
            ps, "copd_exosome_lung_fraction_intratracheal", "dimensionless"
        ),
        clearance_half_life=value_in(ps, "copd_exosome_lung_half_life", "day"),
    )


def exosome_lung_deposition(route: str, exo: ExosomeLungDelivery | None = None) -> float:
    """Share of an exosome dose given by `route` that is deposited in the lung."""
    ep = exo if exo is not None else exosome_lung_params()
    if route not in EXOSOME_LUNG_ROUTES:
        raise ValueError(
            f"route = {route!r} has no exosome lung deposition; allowed: "
            + ", ".join(EXOSOME_LUNG_ROUTES)
        )
    return ep.deposition_iv if route == "iv" else ep.deposition_intratracheal


def exosome_lung_particles(
    t_days: ArrayLike,
    dose_particles: float,
    route: str,
    schedule_days: Sequence[float] = (0.0,),
    exo: ExosomeLungDelivery | None = None,
) -> F64:
    """MSC exosomes (particles) in the lung at `t_days` after doses of `dose_particles` each."""
    dose = check_nonnegative("dose_particles", dose_particles)
    days = [check_nonnegative(f"schedule_days[{i}]", d) for i, d in enumerate(schedule_days)]
    if not days:
        raise ValueError("schedule_days must name at least one dosing day")
    ep = exo if exo is not None else exosome_lung_params()
    frac = exosome_lung_deposition(route, ep)
    k = math.log(2.0) / ep.clearance_half_life
    t = np.asarray(t_days, dtype=np.float64)
    out = np.zeros_like(t)
    for d in days:
        out += np.where(t >= d, frac * dose * np.exp(-k * np.maximum(t - d, 0.0)), 0.0)
    return out


def exosome_lung_signal_function(
    dose_particles: float,
    route: str,
    particles_per_msc_equivalent: float,
    schedule_days: Sequence[float] = (0.0,),
    exo: ExosomeLungDelivery | None = None,
    lung: LungDelivery | None = None,
) -> Callable[[float], float]:
    """The lung signal of an exosome product, s = X / per_eq / (X / per_eq + n50)."""
    lp = lung if lung is not None else lung_delivery_params()
    ep = exo if exo is not None else exosome_lung_params()
    exosome_lung_particles(0.0, dose_particles, route, schedule_days, ep)  # check the inputs now

    def signal(t: float) -> float:
        eq = float(exosome_lung_particles(t, dose_particles, route, schedule_days, ep))
        eq /= particles_per_msc_equivalent
        return eq / (eq + lp.n50)

    return signal


def lung_cells(
    t_days: ArrayLike,
    dose_cells: float,
    schedule_days: Sequence[float] = (0.0,),
    lung: LungDelivery | None = None,
) -> F64:
    """Living MSCs in the lung (cells) at `t_days` after doses of `dose_cells` each."""
    dose = check_nonnegative("dose_cells", dose_cells)
    days = [check_nonnegative(f"schedule_days[{i}]", d) for i, d in enumerate(schedule_days)]
    if not days:
        raise ValueError("schedule_days must name at least one dosing day")
    lp = lung if lung is not None else lung_delivery_params()
    t = np.asarray(t_days, dtype=np.float64)
    tau = lp.arrival_time / 3.0
    k = math.log(2.0) / lp.clearance_half_life
    out = np.zeros_like(t)
    for d in days:
        dt = np.maximum(t - d, 0.0)
        out += np.where(t >= d, lp.lung_fraction * dose * -np.expm1(-dt / tau) * np.exp(-k * dt), 0)
    return out


def lung_signal_function(
    dose_cells: float,
    schedule_days: Sequence[float] = (0.0,),
    lung: LungDelivery | None = None,
) -> Callable[[float], float]:
    """The lung MSC signal s(t) = L / (L + n50) for `simulate_copd(msc_signal=...)`."""
    lp = lung if lung is not None else lung_delivery_params()
    lung_cells(0.0, dose_cells, schedule_days, lp)  # check the inputs now

    def signal(t: float) -> float:
        cells = float(lung_cells(t, dose_cells, schedule_days, lp))
        return cells / (cells + lp.n50)

    return signal
