"""How much of an arm's product is at the diseased tissue over time: the `Exposure` of an arm.

Every administration adds `amount` (per patient: the dose in cells or particles times the
product's potency) times a `kernel` of the days since that dose: the fraction of a dose present
at the tissue, in MSC-equivalents. The kernels are the physiology modules' exact solutions of
linear delivery (brain_delivery, copd._lung, the MSC core's compartments, bone and tumour
homing), so no delivery state is integrated. The tissue signal is s = E / (E + n50) in [0, 1)
(or the exposure itself where the disease module takes cells, as the tumour module does).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from mscsim.physiology import msc_core
from mscsim.scenario import Arm

F64 = NDArray[np.float64]
Kernel = Callable[[F64], F64]


def _none(tau: F64) -> F64:
    return np.zeros_like(tau)


@dataclass(frozen=True)
class Exposure:
    """Tissue exposure of one arm's patients (`amount` per dose, the same schedule for all)."""

    days: tuple[float, ...] = ()
    amount: F64 = field(default_factory=lambda: np.zeros(0))
    kernel: Kernel = _none
    n50: float | None = 1.0  # None: the signal is the exposure itself (e.g. homed cells)
    form: str = "none"

    def kernel_sum(self, t: F64, given_by: F64) -> F64:
        """Sum of the kernels of the doses given by `given_by` at times t (arrays of one shape).

        Every patient of the arm gets the same doses, so this per-dose sum times `amount` is the
        exposure: a table of it over the step times is all the integrator needs.
        """
        t, given_by = np.broadcast_arrays(np.asarray(t, float), np.asarray(given_by, float))
        total = np.zeros(t.shape)
        for day in self.days:
            tau = np.maximum(t - day, 0.0).ravel()
            given = given_by >= day - 1e-9
            total = total + np.where(given, self.kernel(tau).reshape(t.shape), 0.0)
        return total

    def level(self, t: float, given_by: float | None = None) -> F64:
        """Exposure at day t from the doses given by day `given_by` (default t)."""
        cutoff = t if given_by is None else given_by
        return self.amount * float(self.kernel_sum(np.asarray([t]), np.asarray([cutoff]))[0])

    def signal(self, t: float, given_by: float | None = None) -> F64:
        e = self.level(t, given_by)
        return e if self.n50 is None else e / (e + self.n50)

    def of_patient(self, k: int) -> Callable[[float], float]:
        """Patient k's signal as a function of days (for the SciPy reference path)."""
        single = Exposure(self.days, self.amount[k : k + 1], self.kernel, self.n50, self.form)

        def signal(t: float) -> float:
            return float(single.signal(float(t))[0])

        return signal


def no_exposure(n: int) -> Exposure:
    return Exposure(amount=np.zeros(n))


def dose_totals(arm: Arm, weight_kg: F64, v: Mapping[str, float]) -> F64:
    """Cells (form cells) or particles (form exosomes) per administration for each patient."""
    regimen = arm.regimen
    assert regimen is not None and regimen.dose is not None and regimen.dose_unit is not None
    unit = str(regimen.dose_unit)
    per_kg = unit.endswith("/kg")
    total = regimen.dose * (weight_kg if per_kg else np.ones_like(weight_kg))
    if unit.startswith("ug_protein"):
        total = total * v["exosome_particles_per_ug_protein"]
    return np.asarray(total, dtype=np.float64)


def potency(arm: Arm, v: Mapping[str, float], kind: str) -> float:
    """Relative potency of the arm's product (`trophic` or `immunomodulatory`, MSC core), with
    the viable share of the cells; exosomes carry their parent cells' source and passage."""
    product = arm.product
    assert product is not None and product.source is not None
    pot = msc_core.product_potency(
        source=str(product.source),
        passage=product.passage,
        preconditioning=str(product.preconditioning or "none"),
        thawed=bool(product.thawed) and product.form == "cells",
        p=v,
    )
    value = pot.trophic if kind == "trophic" else pot.immunomodulatory
    viable = (product.viability_pct / 100.0) if product.viability_pct is not None else 1.0
    return float(value * (viable if product.form == "cells" else 1.0))


def decay(fraction: float, half_life_days: float) -> Kernel:
    """A fraction of the dose arrives at once and clears first-order."""
    k = math.log(2.0) / half_life_days

    def kernel(tau: F64) -> F64:
        return np.asarray(fraction * np.exp(-k * tau), dtype=np.float64)

    return kernel


def arrive_and_decay(fraction: float, arrival_days: float, half_life_days: float) -> Kernel:
    """copd._lung: 95% of the lung dose arrives by `arrival_days`, then alveolar clearance."""
    tau_arrive = arrival_days / 3.0
    k = math.log(2.0) / half_life_days

    def kernel(tau: F64) -> F64:
        return np.asarray(fraction * -np.expm1(-tau / tau_arrive) * np.exp(-k * tau))

    return kernel


def core_kernel(start: F64, weights: F64, v: Mapping[str, float]) -> Kernel:
    """Weighted live cells of the MSC core after one cell placed as `start` (per compartment):
    w . expm(A tau) . start, exact, as a sum of exponentials of A's eigenvalues."""
    a = msc_core.kinetic_matrix(v)
    lam, vec = np.linalg.eig(a)
    coef = (weights @ vec) * np.linalg.solve(vec, start)
    lam, coef = lam.real, coef.real

    def kernel(tau: F64) -> F64:
        return np.asarray(np.exp(np.outer(tau, lam)) @ coef, dtype=np.float64)

    return kernel


def core_start(route: str, v: Mapping[str, float]) -> F64:
    """Where one infused cell is after the first pass: the MSC core's route vector, and for an
    intracoronary infusion the arterial-bed rule of the core with the coronary bed as target."""
    if route == "intracoronary":
        start = np.zeros(len(msc_core.COMPARTMENTS))
        arrest, trap = v["arterial_first_pass_arrest"], v["lung_first_pass_trapping"]
        start[msc_core.index("target")] = arrest
        start[msc_core.index("lung")] = (1.0 - arrest) * trap
        start[msc_core.index("blood")] = (1.0 - arrest) * (1.0 - trap)
        return start
    return msc_core.route_vector(route, v)
