"""The mechanism graph of the seed reviews: entities, cited edges, and the packaged loader.

Graphs are data files (`data/mechanisms_<disease>.yaml`); this module only types and checks them.
Every check runs when an object is built, so a graph that loads is a graph that is consistent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml

# Closed vocabularies: a typo in a data file must fail at load, not pass silently into a model.
ENTITY_KINDS = frozenset(
    {
        "msc_source",  # tissue the MSCs come from (bone marrow, umbilical cord, ...)
        "msc_product",  # what is infused: living MSCs, exosomes
        "secreted_factor",  # one molecule or vesicle cargo (HGF, PGE2, miRNA, ...)
        "factor_group",  # several factors that one model term treats together
        "cell",
        "tissue",
        "pathway",
        "signal",  # a systemic milieu: inflammatory cytokines, oxidative stress
        "effect",  # a phenotype a model state stands for: apoptosis, insulin resistance
        "disease",
    }
)
EFFECTS = frozenset(
    {
        "increases",
        "decreases",
        "converts",  # target turns into `into` (e.g. M1 -> M2 macrophage)
        "secretes",
        "differentiates_into",
        "homes_to",
        "retained_in",  # passive trapping, e.g. in lung capillaries
        "transfers_to",
    }
)
# "not_stated": the seed gives the claim but not the experimental setting; we do not guess one.
EVIDENCE_LEVELS = frozenset({"in_vitro", "animal", "clinical", "not_stated"})

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_SEED_KEY = re.compile(r"\bseed (\d{3})\b")
_FILE_PREFIX = "mechanisms_"
_FILE_SUFFIX = ".yaml"


def _check_id(kind: str, value: str) -> None:
    if not _ID.match(value):
        raise ValueError(f"{kind} id {value!r} must be snake_case ([a-z][a-z0-9_]*)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Seed:
    """A source document that citations point into (e.g. key "004" -> the seed file)."""

    key: str
    file: str
    title: str

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{3}", self.key):
            raise ValueError(f"seed key {self.key!r} must be three digits, e.g. '004'")
        if not self.file or not self.title:
            raise ValueError(f"seed {self.key!r} needs a file and a title")


@dataclass(frozen=True, slots=True, kw_only=True)
class Entity:
    """A node: an MSC source or product, a factor, a cell, a pathway, an effect or a disease.

    `members` lists the entities a group stands for (a factor group, a vesicle's cargo, a cell
    pool); `located_in` names the cells or tissues where a pathway or effect takes place.
    """

    id: str
    name: str
    kind: str
    members: tuple[str, ...] = ()
    located_in: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        _check_id("entity", self.id)
        if self.kind not in ENTITY_KINDS:
            raise ValueError(
                f"entity {self.id!r}: kind {self.kind!r} is not one of {sorted(ENTITY_KINDS)}"
            )
        if not self.name.strip():
            raise ValueError(f"entity {self.id!r}: name is empty")
        if self.id in self.members:
            raise ValueError(f"entity {self.id!r} lists itself as a member")

    def references(self) -> tuple[str, ...]:
        """Ids of the other entities this one points at."""
        return self.members + self.located_in


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """A cited claim `source -> target`, and the model term that implements it, if any.

    `into` is the product of a conversion (required exactly when effect is "converts");
    `via` names the pathway that carries the effect. An edge no model term implements says
    why in `note`, so that gaps in the model are visible rather than silent.
    """

    id: str
    source: str
    target: str
    effect: str
    mechanism: str
    citation: str
    evidence: str
    diseases: tuple[str, ...]
    model_term: str | None = None
    note: str = ""
    into: str | None = None
    via: str | None = None

    def __post_init__(self) -> None:
        _check_id("edge", self.id)
        where = f"edge {self.id!r}"
        if self.effect not in EFFECTS:
            raise ValueError(f"{where}: effect {self.effect!r} is not one of {sorted(EFFECTS)}")
        if (self.effect == "converts") != (self.into is not None):
            raise ValueError(f"{where}: 'into' is required with effect 'converts' and only then")
        if self.evidence not in EVIDENCE_LEVELS:
            raise ValueError(
                f"{where}: evidence {self.evidence!r} is not one of {sorted(EVIDENCE_LEVELS)}"
            )
        if not self.citation.strip():
            raise ValueError(f"{where}: citation is empty; every edge must cite its source")
        if not self.mechanism.strip():
            raise ValueError(f"{where}: mechanism is empty")
        if not self.diseases:
            raise ValueError(f"{where}: diseases is empty")
        if self.model_term is None:
            if not self.note.strip():
                raise ValueError(f"{where}: model_term is null, so a note must say why")
        else:
            _check_id(f"{where}: model_term", self.model_term)

    @property
    def implemented(self) -> bool:
        return self.model_term is not None

    def cited_seeds(self) -> tuple[str, ...]:
        """Seed keys named in the citation, in order of first mention."""
        return tuple(dict.fromkeys(_SEED_KEY.findall(self.citation)))

    def references(self) -> tuple[str, ...]:
        """Ids of the entities this edge points at."""
        return tuple(x for x in (self.source, self.target, self.into, self.via) if x is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class MechanismGraph:
    """The cited mechanism graph for one disease, checked for consistency at construction."""

    disease: str
    title: str
    seeds: tuple[Seed, ...]
    entities: tuple[Entity, ...]
    edges: tuple[Edge, ...]
    # Lookup tables derived from the tuples above; not part of equality or the repr.
    _entities_by_id: Mapping[str, Entity] = field(init=False, repr=False, compare=False)
    _edges_by_id: Mapping[str, Edge] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_id("disease", self.disease)
        seed_keys = _unique("seed", (s.key for s in self.seeds))
        entity_ids = _unique("entity", (e.id for e in self.entities))
        _unique("edge", (e.id for e in self.edges))
        # A model term implements one claim; two edges sharing a term would blur provenance.
        _unique("model_term", (e.model_term for e in self.edges if e.model_term is not None))
        kinds = {e.id: e.kind for e in self.entities}

        for entity in self.entities:
            for ref in entity.references():
                if ref not in entity_ids:
                    raise ValueError(f"entity {entity.id!r} refers to undeclared entity {ref!r}")
        for edge in self.edges:
            for ref in edge.references():
                if ref not in entity_ids:
                    raise ValueError(f"edge {edge.id!r} refers to undeclared entity {ref!r}")
            if edge.via is not None and kinds[edge.via] != "pathway":
                raise ValueError(
                    f"edge {edge.id!r}: via {edge.via!r} is a {kinds[edge.via]}, not a pathway"
                )
            cited = edge.cited_seeds()
            if not cited:
                raise ValueError(
                    f"edge {edge.id!r}: citation {edge.citation!r} names no seed "
                    "(expected e.g. 'seed 004 §1.2.3, ref [55]')"
                )
            unknown = [k for k in cited if k not in seed_keys]
            if unknown:
                raise ValueError(
                    f"edge {edge.id!r} cites undeclared seed(s) {unknown}; "
                    f"declared: {sorted(seed_keys)}"
                )

        object.__setattr__(self, "_entities_by_id", {e.id: e for e in self.entities})
        object.__setattr__(self, "_edges_by_id", {e.id: e for e in self.edges})

    def entity(self, entity_id: str) -> Entity:
        try:
            return self._entities_by_id[entity_id]
        except KeyError:
            raise KeyError(
                f"no entity {entity_id!r} in the {self.disease} mechanism graph; "
                f"known entities: {', '.join(sorted(self._entities_by_id))}"
            ) from None

    def edge(self, edge_id: str) -> Edge:
        try:
            return self._edges_by_id[edge_id]
        except KeyError:
            raise KeyError(
                f"no edge {edge_id!r} in the {self.disease} mechanism graph; "
                f"known edges: {', '.join(sorted(self._edges_by_id))}"
            ) from None

    def edge_for_term(self, model_term: str) -> Edge:
        """The edge a model coupling term implements."""
        for edge in self.edges:
            if edge.model_term == model_term:
                return edge
        raise KeyError(
            f"no edge implements model term {model_term!r} in the {self.disease} mechanism "
            f"graph; implemented terms: {', '.join(sorted(self.model_terms()))}"
        )

    def edges_for_disease(self, disease: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if disease in e.diseases)

    def implemented(self) -> tuple[Edge, ...]:
        """Edges that a model coupling term implements."""
        return tuple(e for e in self.edges if e.model_term is not None)

    def model_terms(self) -> frozenset[str]:
        return frozenset(e.model_term for e in self.edges if e.model_term is not None)


def _unique(what: str, values: Iterable[str]) -> frozenset[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
    return frozenset(seen)


# --- loading -------------------------------------------------------------------------------


def _data_dir() -> Traversable:
    return files("mscsim.knowledge").joinpath("data")


def available_diseases() -> tuple[str, ...]:
    """Diseases that have a packaged mechanism graph, sorted."""
    names = (p.name for p in _data_dir().iterdir() if p.is_file())
    return tuple(
        sorted(
            n[len(_FILE_PREFIX) : -len(_FILE_SUFFIX)]
            for n in names
            if n.startswith(_FILE_PREFIX) and n.endswith(_FILE_SUFFIX)
        )
    )


def load_mechanisms(disease: str) -> MechanismGraph:
    """Load and check the packaged mechanism graph of `disease` (e.g. "t2dm")."""
    available = available_diseases()
    # Checked against the listing, so a disease name can never become an arbitrary path.
    if disease not in available:
        raise ValueError(
            f"no mechanism graph for disease {disease!r}; available: {', '.join(available)}"
        )
    file_name = f"{_FILE_PREFIX}{disease}{_FILE_SUFFIX}"
    raw = yaml.safe_load(_data_dir().joinpath(file_name).read_text(encoding="utf-8"))
    try:
        graph = _graph_from_mapping(raw)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{file_name}: {err}") from err
    if graph.disease != disease:
        raise ValueError(f"{file_name}: declares disease {graph.disease!r}, expected {disease!r}")
    return graph


_GRAPH_KEYS = {"schema_version", "disease", "title", "seeds", "entities", "edges"}
_SEED_KEYS = {"key", "file", "title"}
_ENTITY_KEYS = {"id", "name", "kind", "members", "located_in", "note"}
_ENTITY_REQUIRED = {"id", "name", "kind"}
_EDGE_REQUIRED = {"id", "source", "target", "effect", "mechanism", "citation", "evidence"}
_EDGE_KEYS = {
    "id",
    "source",
    "target",
    "effect",
    "mechanism",
    "citation",
    "evidence",
    "diseases",
    "model_term",
    "note",
    "into",
    "via",
}
_SCHEMA_VERSION = 1


def _mapping(raw: object, what: str, allowed: set[str], required: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise TypeError(f"{what} must be a mapping, got {type(raw).__name__}")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{what}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = sorted(required - set(raw))
    if missing:
        raise ValueError(f"{what}: missing key(s) {missing}")
    return raw


def _list(raw: object, what: str) -> list[Any]:
    if not isinstance(raw, list):
        raise TypeError(f"{what} must be a list, got {type(raw).__name__}")
    return raw


def _label(raw: object) -> str:
    """Name a record in an error message by its id when it has one."""
    if isinstance(raw, Mapping) and "id" in raw:
        return repr(raw["id"])
    return repr(raw)


def _str_tuple(raw: object, what: str) -> tuple[str, ...]:
    items = _list(raw, what)
    if not all(isinstance(x, str) for x in items):
        raise TypeError(f"{what} must be a list of strings, got {items!r}")
    return tuple(items)


def _graph_from_mapping(raw: object) -> MechanismGraph:
    top = _mapping(raw, "mechanism file", _GRAPH_KEYS, _GRAPH_KEYS)
    if top.get("schema_version") != _SCHEMA_VERSION:
        raise ValueError(
            f"schema_version {top.get('schema_version')!r} is not supported; "
            f"expected {_SCHEMA_VERSION}"
        )
    disease = str(top["disease"])
    seeds = tuple(
        Seed(**_mapping(s, "seed", _SEED_KEYS, _SEED_KEYS)) for s in _list(top["seeds"], "seeds")
    )
    entities = []
    for raw_entity in _list(top["entities"], "entities"):
        e = dict(
            _mapping(raw_entity, f"entity {_label(raw_entity)}", _ENTITY_KEYS, _ENTITY_REQUIRED)
        )
        for key in ("members", "located_in"):
            if key in e:
                e[key] = _str_tuple(e[key], f"entity {e.get('id')!r}: {key}")
        entities.append(Entity(**e))
    edges = []
    for raw_edge in _list(top["edges"], "edges"):
        e = dict(_mapping(raw_edge, f"edge {_label(raw_edge)}", _EDGE_KEYS, _EDGE_REQUIRED))
        # Edges apply to the file's disease unless they say otherwise (shared mechanisms).
        e["diseases"] = _str_tuple(e.get("diseases", [disease]), f"edge {e.get('id')!r}")
        if e.get("note") is None:
            e["note"] = ""
        edges.append(Edge(**e))
    return MechanismGraph(
        disease=disease,
        title=str(top["title"]),
        seeds=seeds,
        entities=tuple(entities),
        edges=tuple(edges),
    )
