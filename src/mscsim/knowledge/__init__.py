"""The mechanism graph of the seed reviews: cited entities and edges, and the model terms.

>>> from mscsim.knowledge import load_mechanisms
>>> graph = load_mechanisms("t2dm")
>>> graph.edge_for_term("beta_neogenesis_hgf").citation
'seed 004 §1.2.3, refs [55],[56]'
"""

from mscsim.knowledge._format import format_mechanisms, mechanisms_table
from mscsim.knowledge._graph import (
    EFFECTS,
    ENTITY_KINDS,
    EVIDENCE_LEVELS,
    Edge,
    Entity,
    MechanismGraph,
    Seed,
    available_diseases,
    load_mechanisms,
)

__all__ = [
    "EFFECTS",
    "ENTITY_KINDS",
    "EVIDENCE_LEVELS",
    "Edge",
    "Entity",
    "MechanismGraph",
    "Seed",
    "available_diseases",
    "format_mechanisms",
    "load_mechanisms",
    "mechanisms_table",
]
