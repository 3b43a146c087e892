"""`mscsim evidence list`: the curated records as CSV or JSON text (the CLI only prints it)."""

from __future__ import annotations

import difflib

from mscsim.evidence.records._load import EvidenceError, load_evidence, to_frame, to_json
from mscsim.scenario import DISEASES

FORMATS: tuple[str, ...] = ("csv", "json")

# Exit codes: 2 for a bad command line (as click/typer use for usage errors), 1 for a data file
# that fails validation (a packaging bug, not the user's mistake).
EXIT_USAGE = 2
EXIT_DATA = 1


def list_command(disease: str | None, fmt: str) -> tuple[int, str]:
    """Exit code and text of `mscsim evidence list [--disease D] --format csv|json`.

    The text has no trailing newline. Errors are one line: an unknown disease or format gives
    exit code 2 with the allowed names.
    """
    if fmt not in FORMATS:
        return EXIT_USAGE, _unknown("format", fmt, FORMATS)
    if disease is not None and disease not in DISEASES:
        return EXIT_USAGE, _unknown("disease", disease, DISEASES)
    try:
        chosen = load_evidence().records(disease)
    except EvidenceError as exc:
        return EXIT_DATA, f"evidence error: {exc}"
    if fmt == "json":
        return 0, to_json(chosen)
    return 0, to_frame(chosen).to_csv(index=False).rstrip("\n")


def _unknown(what: str, value: str, allowed: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {what} {value!r}; must be one of {', '.join(allowed)}{hint}"
