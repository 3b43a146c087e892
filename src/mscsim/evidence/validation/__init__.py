"""Validation: simulated against observed effects for every evidence record with a scenario."""

from mscsim.evidence.validation._compare import Validation, validate
from mscsim.evidence.validation._report import summary, write_validation

__all__ = ["Validation", "summary", "validate", "write_validation"]
