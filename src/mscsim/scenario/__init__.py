"""Scenario files: parse and validate a scenario YAML into frozen, typed specs.

>>> from mscsim.scenario import load_scenario
>>> scenario = load_scenario("src/mscsim/scenarios/default_t2dm.yaml")  # doctest: +SKIP

Every problem with a scenario (file, YAML, names, numbers, cross-field rules) is raised as one
``ScenarioError`` whose ``str`` is a single line naming the field, the value and what is allowed.
"""

from mscsim.scenario._errors import MISSING, ScenarioError
from mscsim.scenario._load import load_scenario, parse_scenario
from mscsim.scenario._schema import (
    Arm,
    Component,
    Criteria,
    Population,
    Product,
    Regimen,
    Scenario,
    TrialDesign,
)
from mscsim.scenario._vocabulary import (
    CRITERIA_KEYS,
    CRITERIA_LIMITS,
    DISEASES,
    DOSE_UNITS,
    DOSE_UNITS_BY_FORM,
    ENDPOINTS,
    FORMS,
    PLANNED_SPECIES,
    PRECONDITIONING,
    ROUTES,
    SCHEMA_VERSION,
    SEXES,
    SOURCES,
    SPECIES,
    TUMOUR_PROFILES,
    CriterionKey,
    Disease,
    DoseUnit,
    Endpoint,
    Form,
    Preconditioning,
    Route,
    Sex,
    Source,
    Species,
    TumourProfile,
)

__all__ = [
    "CRITERIA_KEYS",
    "CRITERIA_LIMITS",
    "DISEASES",
    "DOSE_UNITS",
    "DOSE_UNITS_BY_FORM",
    "ENDPOINTS",
    "FORMS",
    "MISSING",
    "PLANNED_SPECIES",
    "PRECONDITIONING",
    "ROUTES",
    "SCHEMA_VERSION",
    "SEXES",
    "SOURCES",
    "SPECIES",
    "TUMOUR_PROFILES",
    "Arm",
    "Component",
    "Criteria",
    "CriterionKey",
    "Disease",
    "DoseUnit",
    "Endpoint",
    "Form",
    "Population",
    "Preconditioning",
    "Product",
    "Regimen",
    "Route",
    "Scenario",
    "ScenarioError",
    "Sex",
    "Source",
    "Species",
    "TrialDesign",
    "TumourProfile",
    "load_scenario",
    "parse_scenario",
]
