"""Parameter records, tables and references (DESIGN.md layer 2)."""

from mscsim.params._load import (
    MODULES,
    load_module,
    load_parameters,
    load_references,
    missing_sources,
    unit_registry,
    value_in,
)
from mscsim.params._records import Parameter, ParameterSet, Reference

__all__ = [
    "MODULES",
    "Parameter",
    "ParameterSet",
    "Reference",
    "load_module",
    "load_parameters",
    "load_references",
    "missing_sources",
    "unit_registry",
    "value_in",
]
