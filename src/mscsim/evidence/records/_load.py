"""Read, validate and tabulate the curated evidence file shipped in the package."""

from __future__ import annotations

import functools
import json
import reprlib
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any, TypeVar

import pandas as pd
import yaml
from pydantic import BaseModel, ValidationError

from mscsim.evidence.records._schema import (
    Citation,
    DoseRange,
    Evidence,
    Outcome,
    PooledEstimate,
    Record,
    RegistryCount,
    Stat,
    TrialRecord,
)

SCHEMA_VERSION = 1
DATA_FILE = "evidence.yaml"

# File section -> record model, in the order records are listed.
_SECTIONS: Mapping[str, type[BaseModel]] = {
    "trials": TrialRecord,
    "registry_counts": RegistryCount,
    "pooled": PooledEstimate,
    "dose_ranges": DoseRange,
}
_M = TypeVar("_M", bound=BaseModel)

# Records that carry a citation, resolved from the seed's reference list at load.
_CITING = (TrialRecord, PooledEstimate)


class EvidenceError(ValueError):
    """The evidence file cannot be used; the message is one line naming the record and field."""


@functools.cache
def load_evidence() -> Evidence:
    """The curated evidence of the package, validated (cached: records are immutable)."""
    text = (
        resources.files("mscsim.evidence.records")
        .joinpath("data", DATA_FILE)
        .read_text(encoding="utf-8")
    )
    return parse_evidence(text, where=DATA_FILE)


def records(disease: str | None = None) -> tuple[Record, ...]:
    """The package's records about ``disease`` (a vocabulary name), or all for None."""
    return load_evidence().records(disease)


def parse_evidence(text: str, *, where: str = "evidence") -> Evidence:
    """Validate an evidence document (YAML text); ``EvidenceError`` on the first problem."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise EvidenceError(f"{where}: not valid YAML: {_one_line(str(exc))}") from exc
    if not isinstance(raw, dict):
        raise EvidenceError(f"{where}: must be a mapping with citations and trials")
    version = raw.get("schema_version")
    # The type test: YAML `true` compares equal to 1 but is not a version number.
    if version != SCHEMA_VERSION or type(version) is not int:
        raise EvidenceError(f"{where}: schema_version must be {SCHEMA_VERSION}, not {version!r}")
    unknown = sorted(set(raw) - {"schema_version", "citations", *_SECTIONS})
    if unknown:
        raise EvidenceError(
            f"{where}: unknown section {unknown[0]!r}; sections are citations, "
            + ", ".join(_SECTIONS)
        )
    citations = tuple(
        _build(Citation, item, f"citations[{index}]", where)
        for index, item in enumerate(_section(raw, "citations", where))
    )
    texts: dict[tuple[str, int], str] = {(c.file, c.number): c.text for c in citations}
    built: dict[str, list[Any]] = {}
    for key, model in _SECTIONS.items():
        built[key] = []
        for index, item in enumerate(_section(raw, key, where)):
            label = f"{key}[{index}]"
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                label = f"{label} ({item['id']})"
            if isinstance(item, dict) and model in _CITING:
                if "reference" in item:
                    raise EvidenceError(
                        f"{where}: {label}.reference: do not write it; it is resolved from "
                        "seed_ref.refs through citations"
                    )
                item = {**item, "reference": _resolve(item.get("seed_ref"), texts)}
            built[key].append(_build(model, item, label, where))
    try:
        return Evidence.model_validate({"citations": citations, **built})
    except ValidationError as exc:
        raise EvidenceError(f"{where}: {_describe(exc)}") from exc


def _section(raw: Mapping[str, Any], key: str, where: str) -> list[Any]:
    items = raw.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise EvidenceError(f"{where}: {key} must be a list")
    return items


def _resolve(seed_ref: object, texts: Mapping[tuple[str, int], str]) -> str | None:
    # A malformed seed_ref is left for the model to report; an unknown number is reported by
    # Evidence, which names the missing reference.
    if not isinstance(seed_ref, dict):
        return None
    file, refs = seed_ref.get("file"), seed_ref.get("refs") or []
    if not isinstance(file, str) or not isinstance(refs, list):
        return None
    found = [texts[(file, n)] for n in refs if (file, n) in texts]
    return " ; ".join(found) if found else None


def _build(model: type[_M], item: object, label: str, where: str) -> _M:
    if not isinstance(item, dict):
        raise EvidenceError(f"{where}: {label} must be a mapping, not {_short(item)}")
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        raise EvidenceError(f"{where}: {label}{_describe(exc, nested=True)}") from exc


def _describe(exc: ValidationError, *, nested: bool = False) -> str:
    """Pydantic's first error as 'path = value: reason (and N more)' on one line."""
    errors = exc.errors()
    first = errors[0]
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
    reason = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if first["type"] == "missing":
        return f"{path}: required key is missing{more}"
    shown = f" = {_short(first['input'])}" if path else ""
    text = f"{path}{shown}: {reason}{more}"
    return text if nested else text.removeprefix(".")


def _short(value: object) -> str:
    # A whole record pasted into the message would bury the field name.
    shortener = reprlib.Repr()
    shortener.maxstring = shortener.maxother = 60
    return _one_line(shortener.repr(value))


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- tabular output ------------------------------------------------------------------------------

COLUMNS: tuple[str, ...] = (
    "kind",
    "id",
    "condition",
    "seed_file",
    "seed_table",
    "seed_row",
    "seed_section",
    "seed_refs",
    "seed_label",
    "registry_id",
    "reference",
    "year",
    "product",
    "sources",
    "forms",
    "doses",
    "dose_units",
    "doses_as_reported",
    "control",
    "route",
    "other_routes",
    "route_as_reported",
    "n",
    "follow_up_months",
    "outcomes",
    "outcome_values",
    "adverse_events",
    "same_study_as",
    "endpoint",
    "endpoint_as_reported",
    "measure",
    "md",
    "ci_low",
    "ci_high",
    "unit",
    "n_studies",
    "n_patients",
    "subgroup_note",
    "numbers_from",
    "registry",
    "count",
    "condition_as_reported",
    "query_as_reported",
    "status_as_reported",
    "as_of",
    "seed_revised",
    "low",
    "high",
    "dose_unit",
    "as_reported",
    "main_route",
    "scenario",
    "used_for",
    "notes",
)
_INTEGER_COLUMNS = ("seed_table", "seed_row", "year", "n", "n_studies", "n_patients", "count")
_FLOAT_COLUMNS = ("follow_up_months", "md", "ci_low", "ci_high", "low", "high")
# Several values in one cell are joined with these: short items (outcomes, routes) with JOIN,
# sentences (notes, adverse events), which contain semicolons and full stops, with NOTE_JOIN.
JOIN = "; "
NOTE_JOIN = " | "


def to_frame(chosen: Iterable[Record] | None = None) -> pd.DataFrame:
    """One row per record (all records for None), products and outcomes flattened to text.

    Columns that do not apply to a record's kind are empty. Components are listed in order and
    joined with ' + ' inside the product columns; outcomes and routes are joined with '; ',
    notes and adverse events with ' | '.
    """
    rows = [_row(record) for record in (load_evidence().all() if chosen is None else chosen)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return frame.astype(
        {**dict.fromkeys(_INTEGER_COLUMNS, "Int64"), **dict.fromkeys(_FLOAT_COLUMNS, "Float64")}
    )


def to_json(chosen: Iterable[Record]) -> str:
    """The records as a JSON list, every field included (dates as ISO text)."""
    return json.dumps(
        [record.model_dump(mode="json") for record in chosen], indent=2, ensure_ascii=False
    )


def _row(record: Record) -> dict[str, Any]:
    ref = record.seed_ref
    dumped = record.model_dump(mode="json")
    row: dict[str, Any] = {
        key: value
        for key, value in dumped.items()
        if key in COLUMNS and not isinstance(value, list | dict)
    }
    row.update(
        condition=JOIN.join(record.conditions),
        seed_file=ref.file,
        seed_table=ref.table,
        seed_row=ref.row,
        seed_section=ref.section,
        seed_refs=" ".join(f"[{number}]" for number in ref.refs) or None,
        seed_label=ref.label,
        notes=_joined(record.notes, NOTE_JOIN),
    )
    if isinstance(record, TrialRecord):
        components = record.product.components
        row.update(
            product=" + ".join(
                f"{c.label_as_reported}: {c.source or 'source not stated'} {c.form}"
                + (f" {_dose(c.dose, c.dose_sd)} {c.dose_unit}" if c.dose is not None else "")
                for c in components
            ),
            sources=_aligned(c.source for c in components),
            forms=_aligned(c.form for c in components),
            doses=_aligned(_dose(c.dose, c.dose_sd) for c in components),
            dose_units=_aligned(c.dose_unit for c in components),
            doses_as_reported=_aligned(c.dose_as_reported for c in components),
            other_routes=_joined(record.other_routes),
            outcomes=_joined(f"{o.endpoint} {o.direction}" for o in record.outcomes),
            outcome_values=_joined(_values(o) for o in record.outcomes if _has_values(o)),
            adverse_events=_joined(record.adverse_events, NOTE_JOIN),
        )
    return row


def _aligned(values: Iterable[str | None]) -> str | None:
    """Per-component values joined with ' + ', '-' holding the place of a missing one."""
    items = list(values)
    if not any(items):
        return None
    return " + ".join(item or "-" for item in items)


def _joined(items: Iterable[str], separator: str = JOIN) -> str | None:
    text = separator.join(items)
    return text or None


def _number(value: float) -> str:
    return f"{value:g}"


def _dose(dose: float | None, sd: float | None) -> str | None:
    if dose is None:
        return None
    return _number(dose) + (f" +/- {_number(sd)}" if sd is not None else "")


def _stat(stat: Stat) -> str:
    return _number(stat.mean) + (f" +/- {_number(stat.sd)}" if stat.sd is not None else "")


def _has_values(outcome: Outcome) -> bool:
    numbers = (outcome.baseline, outcome.final, outcome.change_pct, outcome.fold_change)
    return any(value is not None for value in numbers)


def _values(outcome: Outcome) -> str:
    parts = [outcome.endpoint]
    if outcome.group is not None:
        parts.append(f"[{outcome.group}]")
    if outcome.baseline is not None or outcome.final is not None:
        before = _stat(outcome.baseline) if outcome.baseline is not None else "?"
        after = _stat(outcome.final) if outcome.final is not None else "?"
        parts.append(f"{before} -> {after} {outcome.unit}")
    if outcome.change_pct is not None:
        low, high = outcome.change_pct
        parts.append(f"change {_number(low)} to {_number(high)} %")
    if outcome.fold_change is not None:
        low, high = outcome.fold_change
        parts.append(f"x{_number(low)} to x{_number(high)}")
    if outcome.at_months is not None:
        parts.append(f"at {_number(outcome.at_months)} months")
    return " ".join(parts)
