"""Reading a flow panel CSV (``marker,percent_positive``) and the ``product check`` command.

Every way a panel file can be wrong is one PanelError naming the file, the line, the column and
the value, so the command line can print one line and exit 2 instead of a traceback.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Final

from mscsim.product._identity import (
    MARKERS,
    PanelError,
    canonical_marker,
    check_identity,
    unknown_marker_reason,
)

MARKER_COLUMN: Final = "marker"
PERCENT_COLUMN: Final = "percent_positive"

# Exit codes of `mscsim product check`: 2 matches the CLI's code for bad input elsewhere.
EXIT_PASS: Final = 0
EXIT_FAIL: Final = 1
EXIT_MALFORMED: Final = 2


def read_panel(path: str | Path) -> dict[str, float]:
    """The panel in ``path`` as {canonical marker: percent positive}, in file order.

    The file is a CSV with a header naming the columns ``marker`` and ``percent_positive``
    (case-insensitive, in any order; further columns such as notes are ignored). Percentages may
    carry a trailing ``%``. Raises PanelError for an unreadable or empty file, a missing column,
    a non-numeric percentage or one outside 0-100, an unknown marker or a repeated marker.
    """
    source = str(path)
    try:
        # utf-8-sig: spreadsheet programs often prefix a byte-order mark, which would otherwise
        # glue itself to the first column name.
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PanelError(f"cannot read the file ({reason})", source=source) from None
    try:
        rows = list(csv.reader(text.splitlines()))
    except csv.Error as error:
        raise PanelError(f"not a CSV file ({error})", source=source) from None

    numbered = [
        (number, row) for number, row in enumerate(rows, start=1) if any(c.strip() for c in row)
    ]
    if not numbered:
        raise PanelError(
            f"the file is empty; expected a header {MARKER_COLUMN},{PERCENT_COLUMN} and one row "
            "per marker",
            source=source,
        )
    header_line, header = numbered[0]
    marker_at, percent_at = _columns(header, source, header_line)
    if len(numbered) == 1:
        raise PanelError(
            f"no marker rows after the header; expected one row per marker ({', '.join(MARKERS)})",
            source=source,
        )

    panel: dict[str, float] = {}
    first_line: dict[str, int] = {}
    for number, row in numbered[1:]:
        if len(row) > len(header):
            # Most often a decimal comma ("98,5") splitting one number into two cells.
            raise PanelError(
                f"the row has {len(row)} cells but the header names {len(header)} columns "
                "(write decimals with a point, e.g. 98.5)",
                source=source,
                line=number,
                column=PERCENT_COLUMN,
                value=",".join(row),
            )
        name = row[marker_at].strip() if marker_at < len(row) else ""
        if not name:
            raise PanelError(
                "empty marker name", source=source, line=number, column=MARKER_COLUMN, value=name
            )
        marker = canonical_marker(name)
        if marker is None:
            raise PanelError(
                unknown_marker_reason(name),
                source=source,
                line=number,
                column=MARKER_COLUMN,
                value=name,
            )
        if marker in panel:
            raise PanelError(
                f"{marker} is given twice (first on line {first_line[marker]})",
                source=source,
                line=number,
                column=MARKER_COLUMN,
                value=name,
            )
        cell = row[percent_at].strip() if percent_at < len(row) else ""
        panel[marker] = _percent(cell, source=source, line=number)
        first_line[marker] = number
    return panel


def _columns(header: list[str], source: str, line: int) -> tuple[int, int]:
    names = [cell.strip().lower() for cell in header]
    found: list[int] = []
    for column in (MARKER_COLUMN, PERCENT_COLUMN):
        count = names.count(column)
        if count == 0:
            hint = ""
            if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
                hint = " (the file looks semicolon- or tab-separated; separate columns by commas)"
            raise PanelError(
                f"missing column {column!r}; the header must name {MARKER_COLUMN} and "
                f"{PERCENT_COLUMN}, found {', '.join(repr(n) for n in names)}{hint}",
                source=source,
                line=line,
            )
        if count > 1:
            raise PanelError(
                f"column {column!r} appears {count} times in the header", source=source, line=line
            )
        found.append(names.index(column))
    return found[0], found[1]


def _percent(cell: str, *, source: str, line: int) -> float:
    number = cell.removesuffix("%").strip()
    try:
        # float() also takes "1_0" and "nan"; neither is a percentage anyone means to write.
        value = float(number) if "_" not in number else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        reason = "missing value" if not cell else "not a number"
        raise PanelError(
            f"{reason}; expected a percentage between 0 and 100",
            source=source,
            line=line,
            column=PERCENT_COLUMN,
            value=cell,
        )
    if not 0 <= value <= 100:
        raise PanelError(
            "must be a percentage between 0 and 100",
            source=source,
            line=line,
            column=PERCENT_COLUMN,
            value=cell,
        )
    return value


def product_check_command(path: Path) -> tuple[int, str]:
    """``mscsim product check PANEL.csv``: (exit code, text to print).

    Exit 0 when every ISCT flow criterion passes, 1 when any fails, 2 for a malformed panel (the
    text is then one ``panel error: ...`` line). Criteria a flow panel cannot assess are listed
    as NOT ASSESSED and do not change the exit code.
    """
    try:
        panel = read_panel(path)
        report = check_identity(panel)
    except PanelError as error:
        return EXIT_MALFORMED, str(error)
    return (EXIT_PASS if report.passed else EXIT_FAIL), report.text(source=str(path))
