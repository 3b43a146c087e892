"""Curated clinical evidence of the seed reviews, as a validated data file in the package.

>>> from mscsim.evidence.records import load_evidence
>>> evidence = load_evidence()
>>> [r.id for r in evidence.records("t2dm")][:1]
['seed004_t3_r1_bhansali2009']

Every record names where in which seed it was read (``seed_ref``); trial records keep the
seed's wording beside each mapping onto the scenario vocabulary. Loading validates the whole
file (unique ids, vocabulary, cited reference numbers) and raises one-line ``EvidenceError``s.
"""

from mscsim.evidence.records._cli import FORMATS, list_command
from mscsim.evidence.records._load import (
    COLUMNS,
    EvidenceError,
    load_evidence,
    parse_evidence,
    records,
    to_frame,
    to_json,
)
from mscsim.evidence.records._schema import (
    DIRECTIONS,
    EXTRA_ENDPOINTS,
    KINDS,
    SEED_FILES,
    Citation,
    Component,
    Direction,
    DoseRange,
    Evidence,
    Outcome,
    PooledEstimate,
    Product,
    Record,
    RegistryCount,
    SeedRef,
    Stat,
    TrialRecord,
    UsedFor,
    endpoint_names,
)

__all__ = [
    "COLUMNS",
    "DIRECTIONS",
    "EXTRA_ENDPOINTS",
    "FORMATS",
    "KINDS",
    "SEED_FILES",
    "Citation",
    "Component",
    "Direction",
    "DoseRange",
    "Evidence",
    "EvidenceError",
    "Outcome",
    "PooledEstimate",
    "Product",
    "Record",
    "RegistryCount",
    "SeedRef",
    "Stat",
    "TrialRecord",
    "UsedFor",
    "endpoint_names",
    "list_command",
    "load_evidence",
    "parse_evidence",
    "records",
    "to_frame",
    "to_json",
]
