"""MSCs in the lung after infusion (seed 000 §2.5): arrival within 30 min, clearance in 1-3 days.

Cells infused IV (or instilled intratracheally) are in the lung within 30 minutes and are
cleared by alveolar macrophages over the next 1-3 days. Each dose adds

    L(t) = f D (1 - exp(-(t - t_d) / tau_arrive)) exp(-k (t - t_d)),  t >= t_d

lung cells, with tau_arrive = arrival time / 3 (95% arrived by the stated time) and k from the
clearance half-life. The lung signal is s = L / (L + n50) in [0, 1).
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
