"""ISCT minimal criteria for MSC identity, checked against a flow-cytometry panel.

The International Society for Cellular Therapy defines a multipotent mesenchymal stromal cell
by four minimal criteria (Dominici et al. 2006, Cytotherapy 8:315):

1. plastic adherence in standard culture;
2. >= 95% of cells positive for CD105, CD73 and CD90;
3. <= 2% positive for CD45, CD34, CD14 or CD11b, CD79alpha or CD19, and HLA-DR;
4. in-vitro differentiation into osteoblasts, adipocytes and chondroblasts.

A flow panel speaks only to criteria 2 and 3. Criteria 1 and 4 are reported as not assessed
(neither pass nor fail), so that a report never reads as a full ISCT certification when it is
not one. Each marker is its own criterion line, so a failure names the marker and its value.

>>> report = check_identity({"CD105": 98, "CD73": 99, "CD90": 97, "CD45": 0.5, "CD34": 0.3,
...                          "CD11b": 1.0, "CD19": 0.2, "HLA-DR": 0.4})
>>> report.passed
True
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

CITATION: Final = "ISCT minimal criteria (Dominici et al. 2006, Cytotherapy 8:315)"

# Thresholds in percent of cells positive, as ISCT 2006 states them: inclusive bounds.
POSITIVE_MIN_PCT: Final = 95.0
NEGATIVE_MAX_PCT: Final = 2.0

# Canonical marker names in the order ISCT lists them; reports and messages use these spellings.
MARKERS: Final = (
    "CD105",
    "CD73",
    "CD90",
    "CD45",
    "CD34",
    "CD14",
    "CD11b",
    "CD79a",
    "CD19",
    "HLA-DR",
)

# Spellings seen in panels and papers, keyed by the normalised form (see `_normalise`): upper
# case, without spaces, hyphens, underscores and dots, with a trailing "ALPHA" written "A".
# Protein names are accepted for the three positive markers because flow reports often use them.
_ALIASES: Final[Mapping[str, str]] = {
    **{re.sub(r"[^A-Z0-9]", "", name.upper()): name for name in MARKERS},
    "ENDOGLIN": "CD105",
    "NT5E": "CD73",
    "THY1": "CD90",
}

Status = Literal["PASS", "FAIL", "NOT ASSESSED"]


class PanelError(ValueError):
    """A panel that cannot be checked, as one line naming where and what is wrong.

    ``source`` is the file (or None for a panel given in code), ``line`` the 1-based line of the
    file, ``column`` the column at fault and ``value`` the offending text or number. ``str`` is
    one line, e.g. ``panel error: p.csv line 3, percent_positive = '101': must be ...``.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.reason = " ".join(reason.split())
        self.source = source
        self.line = line
        self.column = column
        self.value = value
        super().__init__(reason)

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (self.source, f"line {self.line}" if self.line is not None else None)
            if part
        )
        what = ""
        if self.column is not None:
            what = self.column if self.value is None else f"{self.column} = {self.value!r}"
        location = ", ".join(part for part in (where, what) if part)
        prefix = f"panel error: {location}: " if location else "panel error: "
        return " ".join((prefix + self.reason).split())


def canonical_marker(name: str) -> str | None:
    """The ISCT marker ``name`` denotes (``'cd79alpha'`` -> ``'CD79a'``), or None if none."""
    return _ALIASES.get(_normalise(name))


def _normalise(name: str) -> str:
    key = re.sub(r"[\s\-_.]", "", name).upper()
    # "CD79alpha" and the Greek letter are how the ISCT paper and many vendors write CD79a.
    key = key.replace("\u0391", "A")
    return key[: -len("ALPHA")] + "A" if key.endswith("ALPHA") else key


def unknown_marker_reason(name: str) -> str:
    """Why ``name`` is refused: the allowed markers, and the nearest one when it looks misspelt."""
    reason = f"unknown marker {name!r}; allowed: {', '.join(MARKERS)}"
    close = difflib.get_close_matches(_normalise(name), list(_ALIASES), n=1, cutoff=0.75)
    if close:
        reason += f"; did you mean {_ALIASES[close[0]]!r}?"
    return reason


def format_percent(value: float) -> str:
    """The shortest text that reads back as ``value`` ('94.9', '2', '94.99999'), with '%'.

    ``:g`` would print 94.999999 as '95' next to a FAIL; the exact repr avoids that confusion.
    """
    text = repr(float(value))
    return (text[:-2] if text.endswith(".0") else text) + "%"


@dataclass(frozen=True)
class CriterionResult:
    """One ISCT criterion applied to a panel.

    ``markers`` are the markers the criterion reads (either of two for CD14/CD11b and
    CD79a/CD19), ``required`` the rule in words (``'>= 95%'``), ``threshold_pct`` its number
    (None for a criterion a flow panel cannot assess), ``observed`` the (marker, percent) pairs
    the panel gave for it, ``passed`` True, False, or None for not assessed, and ``reason`` a
    sentence naming each marker and value that decided the outcome.
    """

    criterion: str
    markers: tuple[str, ...]
    required: str
    threshold_pct: float | None
    observed: tuple[tuple[str, float], ...]
    passed: bool | None
    reason: str

    @property
    def status(self) -> Status:
        if self.passed is None:
            return "NOT ASSESSED"
        return "PASS" if self.passed else "FAIL"

    @property
    def missing(self) -> bool:
        """True when the criterion failed because the panel gives none of its markers."""
        return self.passed is False and not self.observed

    def line(self) -> str:
        """One line: status, criterion with its threshold, and the reason naming marker and
        value."""
        criterion = (
            self.criterion if self.threshold_pct is None else f"{self.criterion} {self.required}"
        )
        return f"{self.status:<12}  {criterion:<27}  {self.reason}"


@dataclass(frozen=True)
class IdentityReport:
    """Every ISCT criterion in ISCT order; ``passed`` when no assessed criterion fails."""

    criteria: tuple[CriterionResult, ...]

    @property
    def passed(self) -> bool:
        # Not-assessed criteria (None) neither pass nor fail: a flow panel cannot speak to them.
        return all(result.passed is not False for result in self.criteria)

    @property
    def failures(self) -> tuple[CriterionResult, ...]:
        return tuple(result for result in self.criteria if result.passed is False)

    def summary(self) -> str:
        """One line: the verdict, and the failing markers with their values."""
        assessed = [result for result in self.criteria if result.passed is not None]
        not_assessed = len(self.criteria) - len(assessed)
        if self.passed:
            return (
                f"verdict: PASS ({len(assessed)} of {len(assessed)} flow criteria met; "
                f"{not_assessed} not assessed by a flow panel)"
            )
        return (
            f"verdict: FAIL ({len(self.failures)} of {len(assessed)} flow criteria not met): "
            + _failure_reasons(self.failures)
        )

    def text(self, *, source: str | None = None) -> str:
        """The report as printed by ``mscsim product check``: a header, a line per criterion, a
        verdict."""
        header = CITATION + (f" for {source}" if source else "")
        return "\n".join([header, *(result.line() for result in self.criteria), self.summary()])


# The criteria in ISCT order. A group of markers joined by "or" is satisfied by either marker;
# every marker the panel gives must meet the threshold, since a second positive measurement
# cannot be outvoted by a negative one.
_Rule = tuple[str, tuple[str, ...], Literal[">=", "<="]]
_FLOW_RULES: Final[tuple[_Rule, ...]] = (
    ("CD105", ("CD105",), ">="),
    ("CD73", ("CD73",), ">="),
    ("CD90", ("CD90",), ">="),
    ("CD45", ("CD45",), "<="),
    ("CD34", ("CD34",), "<="),
    ("CD14 or CD11b", ("CD14", "CD11b"), "<="),
    ("CD79a or CD19", ("CD79a", "CD19"), "<="),
    ("HLA-DR", ("HLA-DR",), "<="),
)

_NOT_ASSESSED_FIRST = CriterionResult(
    criterion="plastic adherence",
    markers=(),
    required="adherent",
    threshold_pct=None,
    observed=(),
    passed=None,
    reason="not assessed by a flow panel (a culture observation)",
)
_NOT_ASSESSED_LAST = CriterionResult(
    criterion="tri-lineage differentiation",
    markers=(),
    required="osteo/adipo/chondro",
    threshold_pct=None,
    observed=(),
    passed=None,
    reason="not assessed by a flow panel (in-vitro differentiation assay)",
)


def canonical_panel(panel: Mapping[str, float] | Iterable[tuple[str, float]]) -> dict[str, float]:
    """``panel`` keyed by canonical marker names; PanelError for an unknown or repeated marker
    or a value that is not a percentage.

    Accepts a mapping or (marker, percent) pairs, the form a scenario's ``product.panel`` takes.
    """
    pairs = panel.items() if isinstance(panel, Mapping) else panel
    result: dict[str, float] = {}
    given: dict[str, str] = {}
    for name, value in pairs:
        marker = canonical_marker(name) if isinstance(name, str) else None
        if marker is None:
            raise PanelError(unknown_marker_reason(str(name)), column="marker", value=name)
        if marker in result:
            raise PanelError(
                f"{marker} is given twice (also as {given[marker]!r})", column="marker", value=name
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not 0 <= value <= 100
        ):
            raise PanelError(
                f"{marker} must be a percentage between 0 and 100",
                column="percent_positive",
                value=value,
            )
        result[marker] = float(value)
        given[marker] = name
    return result


def check_identity(panel: Mapping[str, float] | Iterable[tuple[str, float]]) -> IdentityReport:
    """Apply the ISCT 2006 minimal criteria to a flow panel (marker -> percent positive).

    Marker names are case-insensitive and take common spellings (``CD79alpha``, ``HLADR``). A
    criterion whose marker(s) the panel lacks fails as missing. Raises PanelError for an unknown
    or repeated marker or a percentage outside 0-100.
    """
    values = canonical_panel(panel)
    flow = tuple(_apply(name, markers, op, values) for name, markers, op in _FLOW_RULES)
    return IdentityReport(criteria=(_NOT_ASSESSED_FIRST, *flow, _NOT_ASSESSED_LAST))


def _apply(
    name: str, markers: tuple[str, ...], op: Literal[">=", "<="], values: Mapping[str, float]
) -> CriterionResult:
    threshold = POSITIVE_MIN_PCT if op == ">=" else NEGATIVE_MAX_PCT
    required = f"{op} {format_percent(threshold)}"
    observed = tuple((marker, values[marker]) for marker in markers if marker in values)
    if not observed:
        missing = (
            f"the panel gives neither {' nor '.join(markers)}"
            if len(markers) > 1
            else f"the panel does not give {markers[0]}"
        )
        return CriterionResult(
            criterion=name,
            markers=markers,
            required=required,
            threshold_pct=threshold,
            observed=(),
            passed=False,
            reason=f"missing: {missing}",
        )

    def meets(pct: float) -> bool:
        return pct >= threshold if op == ">=" else pct <= threshold

    failing = [(marker, pct) for marker, pct in observed if not meets(pct)]
    word = "below" if op == ">=" else "above"
    if failing:
        reason = "; ".join(
            f"{marker} = {format_percent(pct)} is {word} the required {required}"
            for marker, pct in failing
        )
    else:
        reason = "; ".join(
            f"{marker} = {format_percent(pct)} meets {required}" for marker, pct in observed
        )
    return CriterionResult(
        criterion=name,
        markers=markers,
        required=required,
        threshold_pct=threshold,
        observed=observed,
        passed=not failing,
        reason=reason,
    )


def panel_error_for_scenario(
    panel: Mapping[str, float] | Iterable[tuple[str, float]] | None,
) -> str | None:
    """Why a scenario product carrying ``panel`` must be refused (one line), or None if it may
    run: the panel is absent, or it meets every ISCT flow criterion.

    The caller raises it as the reason of a ScenarioError at ``arms[i].product.panel``.
    """
    if panel is None:
        return None
    try:
        report = check_identity(panel)
    except PanelError as error:
        return error.reason
    if report.passed:
        return None
    return f"the product fails the {CITATION}: {_failure_reasons(report.failures)}"


def _failure_reasons(failures: Iterable[CriterionResult]) -> str:
    # Missing markers are listed together: a partial panel would otherwise repeat "missing" for
    # every criterion and bury the measured failures.
    failures = tuple(failures)
    parts = [result.reason for result in failures if not result.missing]
    missing = [result.criterion for result in failures if result.missing]
    if missing:
        parts.append("missing from the panel: " + ", ".join(missing))
    return "; ".join(parts)
