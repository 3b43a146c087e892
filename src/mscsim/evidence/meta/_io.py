"""Input of a meta-analysis: a CSV file with metafor's column names, or evidence records.

Columns: ``yi`` (effect size) and ``vi`` (its sampling variance) are required; ``study`` labels
the rows; every other column is a candidate moderator. Each problem is one ``MetaError`` line
that names the file, the line, the column and the value.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from mscsim.evidence.meta._result import MetaError

REQUIRED = ("yi", "vi")
STUDY = "study"


@dataclass(frozen=True, eq=False)
class MetaData:
    """Validated effects, variances, labels and the raw moderator columns, row by row.

    ``locations`` says where each row came from (``line 4`` of a file, ``record 3``), so that a
    later problem with a moderator can still point at its row.
    """

    yi: tuple[float, ...]
    vi: tuple[float, ...]
    study: tuple[str, ...]
    columns: Mapping[str, tuple[object, ...]]
    locations: tuple[str, ...]
    source: str

    @property
    def k(self) -> int:
        return len(self.yi)

    def moderators(self, names: Sequence[str]) -> pd.DataFrame:
        """The named moderator columns as a table (numbers stay text until the design matrix)."""
        if not names:
            raise MetaError(f"{self.source}: no moderators named")
        data: dict[str, list[object]] = {}
        for name in names:
            if name not in self.columns:
                found = ", ".join(self.columns) or "none"
                raise MetaError(
                    f"{self.source}: moderator {name!r} is not a column "
                    f"(moderator columns: {found})"
                )
            values = self.columns[name]
            for where, value in zip(self.locations, values, strict=True):
                if value is None or (isinstance(value, str) and not value.strip()):
                    raise MetaError(f"{self.source}, {where}, column {name!r}: empty value")
            data[name] = [v.strip() if isinstance(v, str) else v for v in values]
        return pd.DataFrame(data)


def read_meta_csv(path: Path | str) -> MetaData:
    """Read and validate a CSV with columns yi, vi (and optionally study and moderators)."""
    path = Path(path)
    source = str(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise MetaError(f"{source}: empty file; expected a header with columns yi,vi")
            header = [h.strip() for h in header]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise MetaError(
                    f"{source}: missing column {missing[0]!r} (columns: {', '.join(header)}); "
                    "yi (effect size) and vi (sampling variance) are required"
                )
            rows: list[dict[str, str]] = []
            locations: list[str] = []
            for fields in reader:
                if not any(f.strip() for f in fields):
                    continue  # a blank line is not a study
                where = f"line {reader.line_num}"
                if len(fields) != len(header):
                    raise MetaError(
                        f"{source}, {where}: {len(fields)} fields but the header has {len(header)}"
                    )
                rows.append(dict(zip(header, fields, strict=True)))
                locations.append(where)
    except FileNotFoundError:
        raise MetaError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MetaError(f"{source}: cannot read as CSV ({exc})") from None
    return _validate(rows, locations, source, yi="yi", vi="vi", study=STUDY)


def from_records(
    records: Iterable[Mapping[str, Any] | object],
    *,
    yi: str = "yi",
    vi: str = "vi",
    study: str = STUDY,
    source: str = "records",
) -> MetaData:
    """MetaData from evidence records: mappings or objects with the named fields/attributes.

    The field names default to metafor's; e.g. ``from_records(rows, yi="hba1c_md",
    vi="hba1c_md_var")`` for mean differences computed with :func:`mean_difference`.
    """
    rows: list[dict[str, object]] = []
    for record in records:
        rows.append(_as_mapping(record))
    locations = [f"record {i}" for i in range(len(rows))]
    return _validate(rows, locations, source, yi=yi, vi=vi, study=study)


def _as_mapping(record: object) -> dict[str, object]:
    """Fields of a mapping, a dataclass (slots too), a pydantic model or a plain object."""
    if isinstance(record, Mapping):
        return dict(record)
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    dump = getattr(record, "model_dump", None)
    if callable(dump):
        return dict(dump())
    return {k: v for k, v in vars(record).items() if not k.startswith("_")}


def _validate(
    rows: Sequence[Mapping[str, object]],
    locations: Sequence[str],
    source: str,
    *,
    yi: str,
    vi: str,
    study: str,
) -> MetaData:
    effects: list[float] = []
    variances: list[float] = []
    for row, where in zip(rows, locations, strict=True):
        for name in (yi, vi):
            if name not in row:
                raise MetaError(f"{source}, {where}: missing field {name!r}")
        effects.append(_number(row[yi], source, where, yi))
        variance = _number(row[vi], source, where, vi)
        if variance <= 0:
            raise MetaError(
                f"{source}, {where}, column {vi!r}: {row[vi]!r} must be > 0 (a sampling variance)"
            )
        variances.append(variance)
    if len(effects) < 2:
        raise MetaError(f"{source}: {len(effects)} studies; a meta-analysis needs at least 2")
    labels = tuple(
        str(row[study]).strip() if row.get(study) not in (None, "") else f"Study {i + 1}"
        for i, row in enumerate(rows)
    )
    extra = [name for name in rows[0] if name not in (yi, vi, study)]
    columns = {name: tuple(row.get(name) for row in rows) for name in extra}
    return MetaData(
        yi=tuple(effects),
        vi=tuple(variances),
        study=labels,
        columns=MappingProxyType(columns),
        locations=tuple(locations),
        source=source,
    )


def _number(value: object, source: str, where: str, column: str) -> float:
    """A finite float, or a MetaError naming the place and the value."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise MetaError(f"{source}, {where}, column {column!r}: empty value; a number is required")
    if isinstance(value, bool):
        raise MetaError(f"{source}, {where}, column {column!r}: {value!r} is not a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MetaError(
            f"{source}, {where}, column {column!r}: {value!r} is not a number"
        ) from None
    if not math.isfinite(number):
        raise MetaError(
            f"{source}, {where}, column {column!r}: {value!r} is not a finite number (NaN/inf)"
        )
    return number
