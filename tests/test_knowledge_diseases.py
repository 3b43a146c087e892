"""The mechanism graphs of every disease of the scenario vocabulary, checked against the seeds.

Each graph must load, cite only sections (and reference numbers) that its seed has, and name as
model terms only couplings that exist in the code. Section headings and reference counts are
copied here from the seeds so that the tests run without them; when shared/seeds sits beside the
checkout, the copies themselves are checked against the seed text, and so is every cited
reference number against the section it is cited for.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from mscsim.cli import app
from mscsim.knowledge import Edge, MechanismGraph, available_diseases, load_mechanisms
from mscsim.physiology.islets._graft import Effects as GraftEffects
from mscsim.physiology.t1dm._immune import MscEffects as ImmuneEffects
from mscsim.physiology.tumour._msc_effects import PROMOTING_TERMS, SUPPRESSING_TERMS
from mscsim.scenario import DISEASES

# The disease vocabulary of DESIGN.md; the scenario vocabulary may add names, never drop these.
DESIGN_DISEASES = (
    "t2dm",
    "t1dm",
    "osteoporosis",
    "parkinson",
    "alzheimer",
    "atherosclerosis",
    "copd",
    "tumour",
)
SEEDS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
SEED_FILES = {"000": "000_fda4a529fd2251a8.txt", "004": "004_2539ce980763f919.txt"}
# Numbered headings of each seed ("intro": text before section 1; "abstract": the abstract).
# Seed 004 has no section 2: its clinical section is 3.
SEED_SECTIONS = {
    "000": frozenset(
        {"abstract", "intro", "1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "3"}
    ),
    "004": frozenset(
        {"abstract", "intro", "1", "1.1", "1.2", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "3", "4"}
    ),
}
SEED_REFERENCE_COUNT = {"000": 42, "004": 84}
SEED_TABLES = {"000": frozenset(), "004": frozenset({1, 2, 3})}

# Model coupling terms per disease and the module that defines each.
_T2DM_EQUATIONS = "mscsim.physiology.t2dm._equations"
_T1DM_IMMUNE = "mscsim.physiology.t1dm._immune"
_ISLET_GRAFT = "mscsim.physiology.islets._graft"
_T1DM_CLINICAL = "mscsim.physiology.t1dm._clinical"
_TUMOUR = "mscsim.physiology.tumour._msc_effects"
_MACROPHAGE = "mscsim.physiology.immune._frank2021"
_PARKINSON = "mscsim.physiology.parkinson._equations"
_ALZHEIMER = "mscsim.physiology.alzheimer._equations"
_ATHERO = "mscsim.physiology.atherosclerosis._equations"
_COPD = "mscsim.physiology.copd._equations"
_LUNG = "mscsim.physiology.copd._lung"
_BRAIN = "mscsim.physiology.brain_delivery"
_BONE_PATIENT = "mscsim.physiology.osteoporosis._patient"
_KOMAROVA = "mscsim.physiology.osteoporosis._komarova"
_MSC_CORE = "mscsim.physiology.msc_core"
IMPLEMENTED: dict[str, dict[str, str]] = {
    "t2dm": dict.fromkeys(
        (
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
        ),
        _T2DM_EQUATIONS,
    ),
    "t1dm": {
        "treg_induction": _T1DM_IMMUNE,
        "teff_suppression": _T1DM_IMMUNE,
        "dc_tolerance": _T1DM_IMMUNE,
        "beta_protection": _T1DM_IMMUNE,
        "islet_revascularisation_vegf": _ISLET_GRAFT,
        "islet_trophic_support": _ISLET_GRAFT,
        "islet_rejection_suppression": _ISLET_GRAFT,
        "conditioning": _T1DM_CLINICAL,
        "islet_graft_rates": _T1DM_CLINICAL,
        "ipc_mg_per_cell": "mscsim.trial._t1dm_arms",
        "tumourigenicity_risk": "mscsim.product._ipc",
    },
    "tumour": {
        "angiogenesis": _TUMOUR,
        "emt": _TUMOUR,
        "caf_recruitment": _TUMOUR,
        "anti_angiogenesis": _TUMOUR,
        "contact_inhibition": _TUMOUR,
        "payload_kill_rate": _TUMOUR,
    },
    "atherosclerosis": {
        "macrophage_m1_to_m2": _MACROPHAGE,
        "ldl_retention": _ATHERO,
        "weight_adhesion": _ATHERO,
        "treated_ldl": _ATHERO,
        "akt_enos": _ATHERO,
        "treg_induction": _ATHERO,
        "hgf_adhesion": _ATHERO,
        "mir146a_src": _ATHERO,
        "m2_mirna": _ATHERO,
        "plaque_regression": _ATHERO,
        "vsmc_phenotype": _ATHERO,
        "weight_vsmc": _ATHERO,
        "treg_damping": _ATHERO,
    },
    "osteoporosis": {
        "formation_deficit": _BONE_PATIENT,
        "osteoblast_differentiation": _BONE_PATIENT,
        "paracrine_bone_repair": _BONE_PATIENT,
        "exosomal_mirna_osteogenesis": _BONE_PATIENT,
        "mir216a_osteogenesis": _BONE_PATIENT,
        "mir10b_osteogenesis": _BONE_PATIENT,
        "mir1292_osteogenesis": _BONE_PATIENT,
        "bmp2_osteoinduction": _BONE_PATIENT,
        "autologous_adipogenic_shift": _BONE_PATIENT,
        "resorption_rate": _KOMAROVA,
        "formation_rate": _KOMAROVA,
    },
    "parkinson": {
        "disease_drive": _PARKINSON,
        "microglia_toxicity": _PARKINSON,
        "updrs3": _PARKINSON,
        "neurotrophic_protection": _PARKINSON,
        "neurotrophic_sprouting": _PARKINSON,
        "anti_inflammation": _PARKINSON,
        "anti_apoptosis": _PARKINSON,
        "delivered_fraction": _BRAIN,
        "nigra_share": _BRAIN,
        "icam1_smad3_angiogenesis": _PARKINSON,
        "microvascular_support": _PARKINSON,
    },
    "alzheimer": {
        "neuron_hazard": _ALZHEIMER,
        "microglia_toxicity": _ALZHEIMER,
        "anti_inflammation": _ALZHEIMER,
        "neuroprotection": _ALZHEIMER,
        "delivered_fraction": _BRAIN,
        "product_potency": _MSC_CORE,
    },
    "copd": {
        "fev1_decline": _COPD,
        "macrophage_phenotype": _COPD,
        "anti_inflammation": _COPD,
        "epithelial_protection": _COPD,
        "lung_repair": _COPD,
        "lung_cells": _LUNG,
        "clearance_half_life": _LUNG,
        "exosome_lung_particles": _LUNG,
    },
}
# Graphs written with the convention that an implemented edge's note names its module.
NOTE_NAMES_MODULE = frozenset(IMPLEMENTED) - {"t2dm"}
MIN_EDGES = 8

CITATION_PART = re.compile(
    r"^seed (?P<seed>\d{3}) §(?P<section>\d+(?:\.\d+)*|intro|abstract)(?=[\s,(]|$)"
)
REF = re.compile(r"\[(\d+)\](?:-\[(\d+)\])?")
TABLE = re.compile(r"\bTable (\d+)")

runner = CliRunner()


@pytest.fixture(scope="module", params=DESIGN_DISEASES)
def graph(request: pytest.FixtureRequest) -> MechanismGraph:
    return load_mechanisms(request.param)


def _citation_parts(edge: Edge) -> list[tuple[str, str, str]]:
    """(seed key, section, text) of each "; "-separated part of the edge's citation."""
    parts = []
    for text in (p.strip() for p in edge.citation.split(";")):
        m = CITATION_PART.match(text)
        assert m, f"{edge.id}: citation part {text!r} does not start 'seed NNN §section'"
        parts.append((m["seed"], m["section"], text))
    return parts


def _refs(text: str) -> set[int]:
    """Reference numbers cited in a citation part: "[8]", "[45]-[52]" (a range)."""
    out: set[int] = set()
    for first, last in REF.findall(text):
        out.update(range(int(first), int(last or first) + 1))
    return out


def _module_defines(module: ModuleType, name: str) -> bool:
    """A function or constant of that name, or a field of a NamedTuple in the module."""
    if hasattr(module, name):
        return True
    return any(name in getattr(obj, "_fields", ()) for obj in vars(module).values())


# --- every disease has a graph -------------------------------------------------------------


def test_design_diseases_are_in_the_scenario_vocabulary() -> None:
    assert set(DESIGN_DISEASES) <= set(DISEASES)


@pytest.mark.parametrize("disease", DISEASES)
def test_every_scenario_disease_has_a_packaged_graph(disease: str) -> None:
    assert disease in available_diseases()
    assert load_mechanisms(disease).disease == disease


def test_graph_has_enough_edges_for_its_disease(graph: MechanismGraph) -> None:
    assert len(graph.edges) >= MIN_EDGES
    assert graph.edges_for_disease(graph.disease) == graph.edges


def test_every_declared_entity_is_used(graph: MechanismGraph) -> None:
    used = {ref for edge in graph.edges for ref in edge.references()}
    used |= {ref for entity in graph.entities for ref in entity.references()}
    assert {e.id for e in graph.entities} - used == set()


def test_the_disease_itself_is_an_entity(graph: MechanismGraph) -> None:
    assert graph.entity(graph.disease).kind == "disease"


# --- citations -----------------------------------------------------------------------------


def test_every_citation_part_names_a_section_the_seed_has(graph: MechanismGraph) -> None:
    declared = {s.key for s in graph.seeds}
    for edge in graph.edges:
        for seed, section, text in _citation_parts(edge):
            assert seed in declared, f"{edge.id}: seed {seed} not declared"
            assert section in SEED_SECTIONS[seed], f"{edge.id}: seed {seed} has no §{section}"
            for n in _refs(text):
                assert 1 <= n <= SEED_REFERENCE_COUNT[seed], f"{edge.id}: no ref [{n}] in {seed}"
            for table in TABLE.findall(text):
                assert int(table) in SEED_TABLES[seed], f"{edge.id}: no Table {table} in {seed}"


def test_declared_seeds_are_the_seed_files_and_all_cited(graph: MechanismGraph) -> None:
    for seed in graph.seeds:
        assert SEED_FILES[seed.key] == seed.file
    cited = {key for edge in graph.edges for key in edge.cited_seeds()}
    assert cited == {s.key for s in graph.seeds}


@pytest.mark.parametrize(
    ("disease", "seeds"),
    [
        ("t1dm", {"004"}),
        ("osteoporosis", {"000"}),
        ("parkinson", {"000"}),
        ("alzheimer", {"000"}),
        ("atherosclerosis", {"000"}),
        ("copd", {"000"}),
        ("tumour", {"000"}),
    ],
)
def test_each_disease_cites_the_seed_that_covers_it(disease: str, seeds: set[str]) -> None:
    g = load_mechanisms(disease)
    assert {key for edge in g.edges for key in edge.cited_seeds()} == seeds


def test_seed_000_sections_cited_for_each_disease_of_that_seed() -> None:
    # The section of seed 000 that discusses each disease is cited by its graph.
    for disease, section in {
        "osteoporosis": "2.1",
        "parkinson": "2.2",
        "atherosclerosis": "2.4",
        "copd": "2.5",
        "tumour": "2.6",
    }.items():
        g = load_mechanisms(disease)
        sections = {s for edge in g.edges for _, s, _ in _citation_parts(edge)}
        assert section in sections, disease


def test_t1dm_cites_the_sections_and_table_of_seed_004() -> None:
    g = load_mechanisms("t1dm")
    sections = {s for edge in g.edges for _, s, _ in _citation_parts(edge)}
    assert {"1.1", "1.2.1", "1.2.2", "3"} <= sections
    rows = {int(row) for edge in g.edges for row in re.findall(r"Table 2 row (\d)", edge.citation)}
    assert rows == {1, 2, 3, 4, 5, 6}


def test_alzheimer_claims_no_alzheimer_specific_evidence() -> None:
    g = load_mechanisms("alzheimer")
    assert {e.evidence for e in g.edges} == {"not_stated"}
    assert "English abstract" in g.entity("alzheimer").note
    assert "amyloid" in g.entity("amyloid_pathology").note.lower()


# --- model terms ---------------------------------------------------------------------------


def test_model_terms_are_exactly_the_implemented_couplings(graph: MechanismGraph) -> None:
    assert graph.model_terms() == frozenset(IMPLEMENTED[graph.disease])
    for term in IMPLEMENTED[graph.disease]:
        assert graph.edge_for_term(term).model_term == term


def test_each_model_term_exists_in_its_source_module(graph: MechanismGraph) -> None:
    for term, module_name in IMPLEMENTED[graph.disease].items():
        spec = importlib.util.find_spec(module_name)
        assert spec is not None and spec.origin is not None, module_name
        source = Path(spec.origin).read_text(encoding="utf-8")
        assert re.search(rf"\b{term}\b", source), f"{term} not in {module_name}"
        if graph.disease in NOTE_NAMES_MODULE:
            # The newer modules name each term (a function or an effects field); the T2DM
            # equations use the term names for local factors inside one rate function.
            assert _module_defines(importlib.import_module(module_name), term), term
            assert module_name in graph.edge_for_term(term).note, term


def test_t1dm_graph_covers_every_coupling_of_its_modules() -> None:
    terms = load_mechanisms("t1dm").model_terms()
    couplings = set(ImmuneEffects._fields) | set(GraftEffects._fields)
    clinical = {"conditioning", "islet_graft_rates", "ipc_mg_per_cell", "tumourigenicity_risk"}
    assert couplings | clinical == terms


def test_tumour_graph_covers_both_directions_and_the_carrier() -> None:
    g = load_mechanisms("tumour")
    assert set(PROMOTING_TERMS) | set(SUPPRESSING_TERMS) | {"payload_kill_rate"} == g.model_terms()
    for term in PROMOTING_TERMS:
        assert g.edge_for_term(term).effect in {"increases", "converts"}
    for term in SUPPRESSING_TERMS:
        assert g.edge_for_term(term).effect == "decreases"
    assert g.edge_for_term("payload_kill_rate").id == "payload_delivery"


def test_dc_tolerance_acts_on_priming_not_antigen_presentation() -> None:
    edge = load_mechanisms("t1dm").edge_for_term("dc_tolerance")
    assert "lamE" in edge.note and "nu" in edge.note


def test_every_aging_edge_says_how_the_model_treats_it() -> None:
    # Implemented edges name their term; the others say why the module has none.
    for disease in ("osteoporosis", "parkinson", "alzheimer", "atherosclerosis", "copd"):
        g = load_mechanisms(disease)
        assert g.implemented(), disease
        assert all(e.note.strip() for e in g.edges), disease
        assert not any("not built yet" in e.note for e in g.edges), disease


# --- the seeds themselves (when shared/seeds is beside the checkout) ------------------------


def _seed_text(key: str) -> str:
    path = SEEDS_DIR / SEED_FILES[key]
    if not path.is_file():
        pytest.skip("shared/seeds is not beside this checkout")
    return path.read_text(encoding="utf-8")


def _body_and_references(text: str) -> tuple[str, str]:
    """The seed's text before its reference list, and the list (a line '参考文献' opens it)."""
    m = re.search(r"^参考文献[:：]?\s*$", text, flags=re.MULTILINE)
    assert m, "no reference list heading"
    return text[: m.start()], text[m.end() :]


def _sections(body: str, known: frozenset[str]) -> dict[str, str]:
    """Text of each numbered section (with its subsections) and of the intro."""
    starts: dict[str, int] = {}
    for m in re.finditer(r"^(\d+(?:\.\d+)*) +(?=[^\d\s])", body, flags=re.MULTILINE):
        if m[1] in known and m[1] not in starts:
            starts[m[1]] = m.start()
    out = {"intro": body[: starts["1"]]}
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    for i, (section, start) in enumerate(ordered):
        end = next(
            (s for n, s in ordered[i + 1 :] if not n.startswith(section + ".")),
            len(body),
        )
        out[section] = body[start:end]
    return out


def _body_refs(text: str) -> set[int]:
    """Reference numbers marked in text: ^[8], ^[8, 16], ^[45-52], table cells [72]."""
    out: set[int] = set()
    for group in re.findall(r"\[(\d+(?:\s*[-,~]\s*\d+)*)\]", text):
        for piece in group.split(","):
            ends = [int(x) for x in piece.replace("~", "-").split("-")]
            out.update(range(ends[0], ends[-1] + 1))
    return out


@pytest.mark.parametrize("key", sorted(SEED_FILES))
def test_section_and_reference_copies_match_the_seed(key: str) -> None:
    text = _seed_text(key)
    body, references = _body_and_references(text)
    numbered = SEED_SECTIONS[key] - {"intro", "abstract"}
    assert set(_sections(body, numbered)) == numbered | {"intro"}
    listed = {int(n) for n in re.findall(r"^(?:- )?\[(\d+)\]", references, flags=re.MULTILINE)}
    assert listed == set(range(1, SEED_REFERENCE_COUNT[key] + 1))
    assert re.search(r"^(摘要|Abstract)", text, flags=re.MULTILINE)
    tables = {int(n) for n in re.findall(r"^Table (\d+)", body, flags=re.MULTILINE)}
    assert tables == set(SEED_TABLES[key])


def test_cited_references_appear_in_the_cited_section(graph: MechanismGraph) -> None:
    sections: dict[str, dict[str, str]] = {}
    bodies: dict[str, str] = {}
    for seed in graph.seeds:
        body, _ = _body_and_references(_seed_text(seed.key))
        bodies[seed.key] = body
        sections[seed.key] = _sections(body, SEED_SECTIONS[seed.key] - {"intro", "abstract"})
    for edge in graph.edges:
        for seed, section, text in _citation_parts(edge):
            cited = _refs(text)
            if not cited:
                continue
            if "(title)" in text:
                continue  # a claim read from the reference list, not from the section
            # Tables may sit outside the section that cites them (seed 004 Table 3 follows §4).
            where = bodies[seed] if TABLE.search(text) else sections[seed][section]
            missing = cited - _body_refs(where)
            assert not missing, f"{edge.id}: refs {sorted(missing)} not in seed {seed} §{section}"


# --- command line --------------------------------------------------------------------------


def test_mechanisms_command_lists_every_edge(graph: MechanismGraph) -> None:
    result = runner.invoke(app, ["mechanisms", "--disease", graph.disease])
    assert result.exit_code == 0, result.output
    assert f"{len(graph.edges)} edges" in result.output
    assert f"seed {graph.seeds[0].key}" in result.output
    for edge in graph.edges:
        assert edge.id in result.output, edge.id
