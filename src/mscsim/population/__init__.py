"""Virtual populations: seeded per-patient random streams, variability, eligibility."""

from mscsim.population._random import lognormal, standard_normals
from mscsim.population._sample import CriteriaTooStrictError, criteria_mask, sample_eligible, take

__all__ = [
    "CriteriaTooStrictError",
    "criteria_mask",
    "lognormal",
    "sample_eligible",
    "standard_normals",
    "take",
]
