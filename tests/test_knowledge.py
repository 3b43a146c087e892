"""Behaviour of the knowledge layer: the cited mechanism graph and its loader."""

from __future__ import annotations

import dataclasses
import re

import pytest
from rich.console import Console

from mscsim.knowledge import (
    Edge,
    Entity,
    MechanismGraph,
    Seed,
    available_diseases,
    format_mechanisms,
    load_mechanisms,
    mechanisms_table,
)
from mscsim.knowledge._graph import _graph_from_mapping

# The coupling terms the T2DM model implements; each must point at exactly one cited edge.
T2DM_MODEL_TERMS = frozenset(
    {
        "beta_death_protection",
        "beta_neogenesis_hgf",
        "beta_function_recovery",
        "macrophage_m1_to_m2",
        "insulin_sensitisation_glut4",
        "inflammation_insulin_resistance",
        "inflammation_beta_death",
        "msc_licensing",
        "pancreas_homing",
        "treg_induction",
    }
)
# Mechanisms the seeds report that the model leaves out on purpose (each says why in its note).
T2DM_UNIMPLEMENTED = (
    "in_vivo_differentiation",
    "mg53_inhibition",
    "hepatic_glucose_regulation",
    "exosome_beta_protection",
    "dendritic_cell_immaturity",
    "mitochondrial_transfer",
    "infusion_timing_beta_rescue",
)
# "seed 004 §1.2.3 (1)", "seed 000 §2.3, refs [8],[16]", "seed 004 §intro, ref [19]"
CITATION_PART = re.compile(r"^seed (000|004) §(\d+(\.\d+)*|intro)\b")


@pytest.fixture(scope="module")
def t2dm() -> MechanismGraph:
    return load_mechanisms("t2dm")


def _seed() -> Seed:
    return Seed(key="004", file="004.txt", title="Seed review")


def _entities() -> tuple[Entity, ...]:
    return (
        Entity(id="msc", name="MSCs", kind="msc_product"),
        Entity(id="beta_cell", name="Beta cells", kind="cell"),
    )


def _edge(**changes: object) -> Edge:
    fields: dict[str, object] = {
        "id": "protect",
        "source": "msc",
        "target": "beta_cell",
        "effect": "increases",
        "mechanism": "MSCs protect beta cells.",
        "citation": "seed 004 §1.2.3, ref [57]",
        "evidence": "animal",
        "diseases": ("t2dm",),
        "model_term": "protect_term",
    }
    fields.update(changes)
    return Edge(**fields)  # type: ignore[arg-type]


def _graph(*edges: Edge, entities: tuple[Entity, ...] | None = None) -> MechanismGraph:
    return MechanismGraph(
        disease="t2dm",
        title="test",
        seeds=(_seed(),),
        entities=_entities() if entities is None else entities,
        edges=edges,
    )


def test_t2dm_graph_loads_with_entities_and_edges(t2dm: MechanismGraph) -> None:
    assert t2dm.disease == "t2dm"
    assert "t2dm" in available_diseases()
    assert len(t2dm.entities) > 30
    assert len(t2dm.edges) > 30
    assert {s.key for s in t2dm.seeds} == {"000", "004"}


def test_every_edge_cites_a_seed_section(t2dm: MechanismGraph) -> None:
    for edge in t2dm.edges:
        parts = [p.strip() for p in edge.citation.split(";")]
        assert parts, edge.id
        for part in parts:
            assert CITATION_PART.match(part), f"{edge.id}: citation part {part!r}"


def test_both_seeds_are_cited(t2dm: MechanismGraph) -> None:
    cited = {key for edge in t2dm.edges for key in edge.cited_seeds()}
    assert cited == {"000", "004"}


def test_each_model_term_is_implemented_by_exactly_one_edge(t2dm: MechanismGraph) -> None:
    terms = [e.model_term for e in t2dm.edges if e.model_term is not None]
    assert sorted(terms) == sorted(T2DM_MODEL_TERMS)
    assert t2dm.model_terms() == T2DM_MODEL_TERMS
    for term in T2DM_MODEL_TERMS:
        assert t2dm.edge_for_term(term).model_term == term


def test_implemented_returns_exactly_the_edges_with_a_model_term(t2dm: MechanismGraph) -> None:
    assert {e.model_term for e in t2dm.implemented()} == T2DM_MODEL_TERMS


def test_unimplemented_edges_say_why(t2dm: MechanismGraph) -> None:
    for edge_id in T2DM_UNIMPLEMENTED:
        edge = t2dm.edge(edge_id)
        assert edge.model_term is None
        assert edge.note.strip()
    for edge in t2dm.edges:
        if edge.model_term is None:
            assert edge.note.strip(), edge.id


def test_infusion_timing_enters_through_beta_cell_state(t2dm: MechanismGraph) -> None:
    edge = t2dm.edge("infusion_timing_beta_rescue")
    assert "ref [69]" in edge.citation
    assert "progenitor" in edge.note


def test_each_referenced_entity_is_declared(t2dm: MechanismGraph) -> None:
    declared = {e.id for e in t2dm.entities}
    for edge in t2dm.edges:
        assert set(edge.references()) <= declared, edge.id
    for entity in t2dm.entities:
        assert set(entity.references()) <= declared, entity.id


def test_every_declared_entity_is_used(t2dm: MechanismGraph) -> None:
    used = {ref for edge in t2dm.edges for ref in edge.references()}
    used |= {ref for entity in t2dm.entities for ref in entity.references()}
    assert {e.id for e in t2dm.entities} - used == set()


def test_edge_ids_and_entity_ids_are_unique(t2dm: MechanismGraph) -> None:
    assert len({e.id for e in t2dm.edges}) == len(t2dm.edges)
    assert len({e.id for e in t2dm.entities}) == len(t2dm.entities)


def test_unknown_disease_names_the_disease_and_the_available_ones() -> None:
    with pytest.raises(ValueError, match=r"'diabetes_type_9'.*available: .*t2dm"):
        load_mechanisms("diabetes_type_9")


def test_disease_name_cannot_reach_other_files() -> None:
    with pytest.raises(ValueError, match="no mechanism graph"):
        load_mechanisms("../data/mechanisms_t2dm")


def test_unknown_edge_id_raises_key_error_naming_it(t2dm: MechanismGraph) -> None:
    with pytest.raises(KeyError, match=r"no edge 'beta_teleportation' in the t2dm"):
        t2dm.edge("beta_teleportation")
    with pytest.raises(KeyError, match=r"no edge implements model term 'nope'"):
        t2dm.edge_for_term("nope")
    with pytest.raises(KeyError, match=r"no entity 'nope'"):
        t2dm.entity("nope")


def test_edges_for_disease_selects_by_disease(t2dm: MechanismGraph) -> None:
    assert t2dm.edges_for_disease("t2dm") == t2dm.edges
    assert t2dm.edges_for_disease("osteoporosis") == ()


def test_graph_and_records_are_frozen(t2dm: MechanismGraph) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        t2dm.edge("pancreas_homing").model_term = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        t2dm.disease = "t1dm"  # type: ignore[misc]


def test_loaded_graph_equals_a_second_load() -> None:
    assert load_mechanisms("t2dm") == load_mechanisms("t2dm")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"citation": "  "}, "citation is empty"),
        ({"model_term": None}, "note must say why"),
        ({"evidence": "anecdote"}, "evidence 'anecdote'"),
        ({"effect": "boosts"}, "effect 'boosts'"),
        ({"effect": "converts"}, "'into' is required"),
        ({"id": "Bad-Id"}, "snake_case"),
    ],
)
def test_edge_rejects_bad_fields_with_the_bad_value(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        _edge(**changes)


def test_graph_rejects_an_undeclared_entity() -> None:
    with pytest.raises(ValueError, match="undeclared entity 'liver'"):
        _graph(_edge(target="liver"))


def test_graph_rejects_duplicate_edge_ids() -> None:
    with pytest.raises(ValueError, match="duplicate edge 'protect'"):
        _graph(_edge(), _edge(model_term="other_term"))


def test_graph_rejects_two_edges_for_one_model_term() -> None:
    with pytest.raises(ValueError, match="duplicate model_term 'protect_term'"):
        _graph(_edge(), _edge(id="protect_again"))


def test_graph_rejects_a_citation_without_a_declared_seed() -> None:
    with pytest.raises(ValueError, match="names no seed"):
        _graph(_edge(citation="Smith 2020"))
    with pytest.raises(ValueError, match=r"undeclared seed\(s\) \['001'\]"):
        _graph(_edge(citation="seed 001 §2"))


def test_graph_rejects_via_that_is_not_a_pathway() -> None:
    with pytest.raises(ValueError, match="via 'beta_cell' is a cell, not a pathway"):
        _graph(_edge(via="beta_cell"))


def test_loader_rejects_unknown_keys_naming_the_record() -> None:
    raw = {
        "schema_version": 1,
        "disease": "t2dm",
        "title": "test",
        "seeds": [{"key": "004", "file": "004.txt", "title": "Seed review"}],
        "entities": [{"id": "msc", "name": "MSCs", "kind": "msc_product", "colour": "red"}],
        "edges": [],
    }
    with pytest.raises(ValueError, match=r"entity 'msc': unknown key\(s\) \['colour'\]"):
        _graph_from_mapping(raw)


def test_mechanisms_table_has_one_row_per_edge(t2dm: MechanismGraph) -> None:
    assert mechanisms_table("t2dm").row_count == len(t2dm.edges)
    assert format_mechanisms(t2dm, implemented_only=True).row_count == len(T2DM_MODEL_TERMS)


def test_mechanisms_table_prints_citations_verbatim() -> None:
    console = Console(width=250, record=True)
    console.print(mechanisms_table("t2dm", show_mechanism=True))
    text = console.export_text()
    assert "refs [55],[56]" in text
    assert "beta_neogenesis_hgf" in text


def test_mechanisms_table_for_unknown_disease_raises() -> None:
    with pytest.raises(ValueError, match="'mars_fever'"):
        mechanisms_table("mars_fever")
