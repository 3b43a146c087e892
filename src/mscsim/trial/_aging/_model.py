"""What the aging-disease runner needs from one disease: the `AgingDisease` record.

Each disease adapter (one small module per disease beside this one) fills the record with plain
functions: how a cohort is built from standard normals, how an arm's product reaches the
disease's tissue (`Exposure`), the disease rates (the physiology module's xp-generic equations,
given `xp` so that the runner can trace them with jax.numpy into its jitted scan), the
observables, a SciPy re-simulation of one patient, and the responder definitions. The runner
(`trial._aging_run`) does the rest the same way for every disease.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from mscsim.population import lognormal
from mscsim.scenario import Arm
from mscsim.trial._aging._exposure import Exposure

F64 = NDArray[np.float64]
Background = Mapping[str, float]  # standard-of-care therapy -> 1.0 (taken by every arm)
Values = Mapping[str, float]

# Random effects every cohort has; a disease adds its own natural-history drivers.
COVARIATE_EFFECTS = ("age", "sex", "weight")


class Cohort(NamedTuple):
    """Virtual patients at enrolment; every leaf is an array over patients (first axis)."""

    params: Any  # the physiology module's parameter NamedTuple, one value per patient
    initial: Any  # the physiology module's state NamedTuple at enrolment
    covariates: dict[str, F64]  # age_years, female, weight_kg and disease-specific keys
    extra: dict[str, F64]  # per-patient inputs the observables need (baselines, LDL-C, ...)


@dataclass(frozen=True)
class AgingDisease:
    """One aging disease as the trial runner sees it (see the module docstring)."""

    name: str
    parameter_modules: tuple[str, ...]
    random_effects: tuple[str, ...]
    endpoint_units: Mapping[str, str]
    variable_units: Mapping[str, str]  # trajectory variables other than endpoints
    routes: Mapping[str, tuple[str, ...]]  # form -> routes the exposure model covers
    therapies: tuple[str, ...]  # standard of care the module models
    criteria: tuple[str, ...]  # eligibility keys the cohort provides
    signal_name: str  # trajectory variable of the tissue exposure
    build: Callable[[dict[str, F64], Values], Cohort]
    exposure: Callable[[Arm | None, Cohort, Values], Exposure]
    # y, s, params, background, extra, xp -> dy/dt; xp is numpy or jax.numpy (jitted scan)
    rates: Callable[[Any, Any, Any, Background, dict[str, Any], Any], Any]
    observe: Callable[[Any, Any, Background, dict[str, F64]], dict[str, F64]]
    reference: Callable[[int, Cohort, Arm, Exposure, Background, F64, Values], dict[str, F64]]
    responders: Callable[[dict[str, F64], F64, Values], dict[str, F64]]
    check_arm: Callable[[int, Arm], None] | None = None  # disease-specific product rules
    # Inputs that differ between arms but not between an arm's patients (e.g. a tumour
    # profile): name -> value for one arm (None: a control arm); the runner adds them to extra.
    arm_inputs: Callable[[Arm | None, Values], dict[str, float]] | None = None
    # Standard of care given before day 0 that changes the state at enrolment, the same in every
    # arm (e.g. a tumour debulked by chemotherapy before adjuvant MSCs): cohort, background ->
    # the cohort to simulate. Applied where the population is sampled, so the run, the reference
    # check and the SBML export all start from it.
    before_day0: Callable[[Cohort, Background, Values], Cohort] | None = None


def mean_one(cv: float, z: F64) -> F64:
    """Log-normal multipliers with mean 1 and coefficient of variation `cv`.

    Cohort studies report mean rates, so a mean-one spread keeps the cohort mean at the cited
    rate while patients differ.
    """
    omega = np.sqrt(np.log1p(cv * cv))
    return np.asarray(np.exp(omega * z - 0.5 * omega * omega), dtype=np.float64)


def covariates(z: dict[str, F64], v: Values, prefix: str) -> dict[str, F64]:
    """Age (normal), sex (Bernoulli by the normal's quantile) and weight (log-normal)."""
    age = v[f"{prefix}_age_mean"] + v[f"{prefix}_age_sd"] * z["age"]
    female = (ndtr(z["sex"]) < v[f"{prefix}_female_fraction"]).astype(np.float64)
    weight = lognormal(v[f"{prefix}_weight_median"], v[f"{prefix}_weight_cv"], z["weight"])
    return {"age_years": np.asarray(age, dtype=np.float64), "female": female, "weight_kg": weight}


def per_patient(template: Any, n: int, **arrays: F64) -> Any:
    """A parameter NamedTuple with every field an array of n values (`arrays` override)."""
    fields = {}
    for name, value in template._asdict().items():
        if name in arrays:
            fields[name] = np.asarray(arrays[name], dtype=np.float64)
        elif hasattr(value, "_asdict"):
            fields[name] = per_patient(value, n)
        else:
            fields[name] = np.full(n, float(value))
    return type(template)(**fields)


def patient(tree: Any, k: int) -> Any:
    """Patient k of a NamedTuple of arrays, as plain floats (for the SciPy reference path)."""
    fields = {}
    for name, value in tree._asdict().items():
        fields[name] = patient(value, k) if hasattr(value, "_asdict") else float(value[k])
    return type(tree)(**fields)
