"""Inputs shared by the single-patient disease simulators, checked where they enter.

Every disease module takes the MSC effect as one dimensionless signal s in [0, 1): 0 is no
product, and s -> 1 is the saturated paracrine effect. The signal is a number (constant
exposure) or a function of time in days (e.g. `brain_delivery.brain_signal_function`). Bad
input fails here with the field, the value and what is allowed, never deep inside SciPy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
SignalInput = float | Callable[[float], float]


def check_signal_value(name: str, value: Any) -> float:
    """A signal value as float, or ValueError naming `name` unless 0 <= value < 1."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} must be a number in [0, 1)") from None
    if not (math.isfinite(v) and 0.0 <= v < 1.0):
        raise ValueError(f"{name} = {value!r} must lie in [0, 1)")
    return v


def signal_function(signal: SignalInput, name: str = "msc_signal") -> Callable[[float], float]:
    """`signal` as a function of time (days) whose every value is checked to lie in [0, 1)."""
    if callable(signal):
        func = signal

        def checked(t: float) -> float:
            return check_signal_value(f"{name}({t:g})", func(t))

        checked(0.0)  # fail before integrating, not at the first step
        return checked
    value = check_signal_value(name, signal)
    return lambda _t: value


def check_times(t_days: ArrayLike, name: str = "t_days") -> F64:
    """A 1-D, finite, strictly increasing time grid in days starting at or after day 0."""
    t = np.asarray(t_days, dtype=np.float64)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"{name} must be a 1-D sequence of at least two days, got shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0) or t[0] < 0:
        raise ValueError(f"{name} must be finite, start at day >= 0 and strictly increase: {t!r}")
    return t


def check_nonnegative(name: str, value: Any) -> float:
    """A finite number >= 0, or ValueError naming `name`."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} = {value!r} must be a number >= 0") from None
    if not (math.isfinite(v) and v >= 0.0):
        raise ValueError(f"{name} = {value!r} must be a finite number >= 0")
    return v


def check_fraction(name: str, value: Any) -> float:
    """A number in [0, 1], or ValueError naming `name`."""
    v = check_nonnegative(name, value)
    if v > 1.0:
        raise ValueError(f"{name} = {value!r} must lie in [0, 1]")
    return v


def linear_slope_per_year(t_days: F64, y: F64) -> float:
    """Least-squares slope of `y` against time, per year (how cohort studies report rates)."""
    return float(np.polyfit(np.asarray(t_days) / 365.25, np.asarray(y), 1)[0])
