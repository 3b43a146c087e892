"""Study JSON of the ClinicalTrials.gov API v2 into frozen records, and one error type.

The v2 schema is loose in ways that break naive parsers: numbers in results are strings and may
be ``"NA"``, dates may be partial (``"2015-03"`` or ``"2015"``), phases may hold two values
(``["PHASE1", "PHASE2"]``) or ``["NA"]``, and every module may be absent when ``fields`` selects
only some of them. An absent module is not an error; a value of the wrong type is, because it
means the response is not what we think it is, and the message says which key of which study.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Intervention",
    "Measurement",
    "Outcome",
    "Page",
    "PartialDate",
    "RegistryError",
    "ResultMeasure",
    "TrialRecord",
    "parse_page",
    "parse_study",
]


class RegistryError(Exception):
    """A registry request or response that cannot be used; ``str()`` is one line for the user."""


# Year, year-month or a full date, as the v2 API writes them (``dateStruct.date``).
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# Values the registry writes where a number is not available; anything else unparseable also
# becomes None (results tables are too irregular to refuse a whole study for one cell).
_NOT_A_NUMBER = frozenset({"", "NA", "N/A", "NR", "NE", "NAN"})


@dataclass(frozen=True)
class PartialDate:
    """A date with the precision the registry gives: year, year-month or year-month-day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError(f"PartialDate: day {self.day} given without a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"PartialDate: month {self.month} is not in 1..12")
        if self.day is not None and not 1 <= self.day <= 31:
            raise ValueError(f"PartialDate: day {self.day} is not in 1..31")

    @property
    def iso(self) -> str:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: no invented precision."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _DATE.match(text.strip())
        if match is None:
            raise ValueError(f"{text!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = match.groups()
        return cls(int(year), int(month) if month else None, int(day) if day else None)


@dataclass(frozen=True)
class Intervention:
    type: str | None  # DRUG, BIOLOGICAL, PROCEDURE, ... as the registry spells it
    name: str
    description: str | None = None


@dataclass(frozen=True)
class Outcome:
    measure: str
    time_frame: str | None = None


@dataclass(frozen=True)
class Measurement:
    """One cell of a results table; None where the registry wrote "NA" or nothing."""

    group_id: str | None
    value: float | None
    spread: float | None = None
    lower_limit: float | None = None
    upper_limit: float | None = None


@dataclass(frozen=True)
class ResultMeasure:
    title: str
    unit: str | None
    param_type: str | None  # MEAN, MEDIAN, LEAST_SQUARES_MEAN, COUNT_OF_PARTICIPANTS, ...
    measurements: tuple[Measurement, ...] = ()


@dataclass(frozen=True)
class TrialRecord:
    """The fields of one registered study that mscsim uses, plus the raw JSON it came from."""

    nct_id: str
    title: str
    official_title: str | None = None
    status: str | None = None
    study_type: str | None = None
    phases: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    enrollment: int | None = None
    enrollment_type: str | None = None  # ACTUAL or ESTIMATED
    start_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    last_update: PartialDate | None = None
    sponsor: str | None = None
    primary_outcomes: tuple[Outcome, ...] = ()
    result_measures: tuple[ResultMeasure, ...] = ()
    # Kept so the store can hold exactly what the registry sent; not part of equality.
    raw_json: str = field(default="{}", repr=False, compare=False)

    @property
    def start_year(self) -> int | None:
        return None if self.start_date is None else self.start_date.year


class _Reader:
    """Typed access to nested JSON that names the key path and the study in every error."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, path: str, problem: str) -> RegistryError:
        return RegistryError(
            f"malformed ClinicalTrials.gov response ({self.where}): {path} {problem}"
        )

    def obj(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(path, f"should be an object, got {type(value).__name__}")
        return value

    def objs(self, parent: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
        items = self._list(parent, key, path)
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                raise self.fail(f"{path}[{i}]", f"should be an object, got {type(item).__name__}")
        return items

    def text(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(path, f"should be a string, got {type(value).__name__} {value!r}")
        return value

    def texts(self, parent: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        items = self._list(parent, key, path)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{path}[{i}]", f"should be a string, got {type(item).__name__}")
        return tuple(items)

    def integer(self, parent: Mapping[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        # bool is an int in Python; a boolean enrollment is a broken response, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"should be an integer, got {type(value).__name__} {value!r}")
        return value

    def number(self, parent: Mapping[str, Any], key: str, path: str) -> float | None:
        value = parent.get(key)
        if value is None or isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            if value.strip().upper() in _NOT_A_NUMBER:
                return None
            try:
                number = float(value.strip())
            except ValueError:
                return None
        else:
            raise self.fail(path, f"should be a number as a string, got {type(value).__name__}")
        return number if math.isfinite(number) else None

    def date(self, parent: Mapping[str, Any], key: str, path: str) -> PartialDate | None:
        text = self.text(self.obj(parent, key, path), "date", f"{path}.date")
        if text is None:
            return None
        try:
            return PartialDate.parse(text)
        except ValueError as exc:
            raise self.fail(f"{path}.date", f"= {text!r}: {exc}") from None

    def _list(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"should be a list, got {type(value).__name__}")
        return value


def parse_study(raw: Mapping[str, Any], *, where: str = "study") -> TrialRecord:
    """One element of ``studies`` (or the body of ``/studies/{nctId}``) as a ``TrialRecord``.

    ``where`` says where the study came from ("page 3, studies[1]") for error messages. Only
    ``protocolSection.identificationModule.nctId`` is required; absent modules give empty fields.
    """
    r = _Reader(where)
    if not isinstance(raw, Mapping):
        raise r.fail("study", f"should be an object, got {type(raw).__name__}")
    protocol = r.obj(raw, "protocolSection", "protocolSection")
    ps = "protocolSection"
    ident = r.obj(protocol, "identificationModule", f"{ps}.identificationModule")
    nct_id = r.text(ident, "nctId", f"{ps}.identificationModule.nctId")
    if not nct_id:
        raise r.fail(f"{ps}.identificationModule.nctId", "is missing")
    # From here on the NCT id is the most useful pointer for the user.
    r = _Reader(f"{where}, {nct_id}")
    brief = r.text(ident, "briefTitle", f"{ps}.identificationModule.briefTitle")
    official = r.text(ident, "officialTitle", f"{ps}.identificationModule.officialTitle")

    status_m = r.obj(protocol, "statusModule", f"{ps}.statusModule")
    sm = f"{ps}.statusModule"
    conditions_m = r.obj(protocol, "conditionsModule", f"{ps}.conditionsModule")
    design = r.obj(protocol, "designModule", f"{ps}.designModule")
    enrollment = r.obj(design, "enrollmentInfo", f"{ps}.designModule.enrollmentInfo")
    phases = r.texts(design, "phases", f"{ps}.designModule.phases")
    sponsor_m = r.obj(protocol, "sponsorCollaboratorsModule", f"{ps}.sponsorCollaboratorsModule")
    lead = r.obj(sponsor_m, "leadSponsor", f"{ps}.sponsorCollaboratorsModule.leadSponsor")

    return TrialRecord(
        nct_id=nct_id,
        title=brief or official or "",
        official_title=official,
        status=r.text(status_m, "overallStatus", f"{sm}.overallStatus"),
        study_type=r.text(design, "studyType", f"{ps}.designModule.studyType"),
        # "NA" means "phase not applicable" (device or behavioural studies), i.e. no phase.
        phases=tuple(p for p in phases if p != "NA"),
        conditions=r.texts(conditions_m, "conditions", f"{ps}.conditionsModule.conditions"),
        keywords=r.texts(conditions_m, "keywords", f"{ps}.conditionsModule.keywords"),
        interventions=_interventions(r, protocol),
        enrollment=r.integer(enrollment, "count", f"{ps}.designModule.enrollmentInfo.count"),
        enrollment_type=r.text(enrollment, "type", f"{ps}.designModule.enrollmentInfo.type"),
        start_date=r.date(status_m, "startDateStruct", f"{sm}.startDateStruct"),
        completion_date=r.date(status_m, "completionDateStruct", f"{sm}.completionDateStruct"),
        last_update=r.date(status_m, "lastUpdatePostDateStruct", f"{sm}.lastUpdatePostDateStruct"),
        sponsor=r.text(lead, "name", f"{ps}.sponsorCollaboratorsModule.leadSponsor.name"),
        primary_outcomes=_primary_outcomes(r, protocol),
        result_measures=_result_measures(r, raw),
        raw_json=json.dumps(raw, sort_keys=True, separators=(",", ":")),
    )


def _interventions(r: _Reader, protocol: Mapping[str, Any]) -> tuple[Intervention, ...]:
    path = "protocolSection.armsInterventionsModule"
    module = r.obj(protocol, "armsInterventionsModule", path)
    out = []
    for i, item in enumerate(r.objs(module, "interventions", f"{path}.interventions")):
        p = f"{path}.interventions[{i}]"
        name = r.text(item, "name", f"{p}.name")
        if not name:
            raise r.fail(f"{p}.name", "is missing")
        out.append(
            Intervention(
                type=r.text(item, "type", f"{p}.type"),
                name=name,
                description=r.text(item, "description", f"{p}.description"),
            )
        )
    return tuple(out)


def _primary_outcomes(r: _Reader, protocol: Mapping[str, Any]) -> tuple[Outcome, ...]:
    path = "protocolSection.outcomesModule"
    module = r.obj(protocol, "outcomesModule", path)
    out = []
    for i, item in enumerate(r.objs(module, "primaryOutcomes", f"{path}.primaryOutcomes")):
        p = f"{path}.primaryOutcomes[{i}]"
        out.append(
            Outcome(
                measure=r.text(item, "measure", f"{p}.measure") or "",
                time_frame=r.text(item, "timeFrame", f"{p}.timeFrame"),
            )
        )
    return tuple(out)


def _result_measures(r: _Reader, raw: Mapping[str, Any]) -> tuple[ResultMeasure, ...]:
    results = r.obj(raw, "resultsSection", "resultsSection")
    path = "resultsSection.outcomeMeasuresModule"
    module = r.obj(results, "outcomeMeasuresModule", path)
    out = []
    for i, item in enumerate(r.objs(module, "outcomeMeasures", f"{path}.outcomeMeasures")):
        p = f"{path}.outcomeMeasures[{i}]"
        cells = []
        for j, cls in enumerate(r.objs(item, "classes", f"{p}.classes")):
            for k, cat in enumerate(r.objs(cls, "categories", f"{p}.classes[{j}].categories")):
                cp = f"{p}.classes[{j}].categories[{k}].measurements"
                for m, cell in enumerate(r.objs(cat, "measurements", cp)):
                    mp = f"{cp}[{m}]"
                    cells.append(
                        Measurement(
                            group_id=r.text(cell, "groupId", f"{mp}.groupId"),
                            value=r.number(cell, "value", f"{mp}.value"),
                            spread=r.number(cell, "spread", f"{mp}.spread"),
                            lower_limit=r.number(cell, "lowerLimit", f"{mp}.lowerLimit"),
                            upper_limit=r.number(cell, "upperLimit", f"{mp}.upperLimit"),
                        )
                    )
        out.append(
            ResultMeasure(
                title=r.text(item, "title", f"{p}.title") or "",
                unit=r.text(item, "unitOfMeasure", f"{p}.unitOfMeasure"),
                param_type=r.text(item, "paramType", f"{p}.paramType"),
                measurements=tuple(cells),
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Page:
    """One page of a ``/studies`` search: its 1-based number, studies and the way on."""

    number: int
    studies: tuple[TrialRecord, ...]
    next_page_token: str | None = None
    total_count: int | None = None  # only the first page carries it, and only with countTotal


def parse_page(payload: Any, number: int) -> Page:
    """A decoded ``/studies`` response body as a ``Page``; RegistryError if it is not one."""
    where = f"page {number}"
    r = _Reader(where)
    if not isinstance(payload, Mapping):
        raise r.fail("response body", f"should be an object, got {type(payload).__name__}")
    if "studies" not in payload:
        raise r.fail("studies", "is missing")
    studies = payload["studies"]
    if not isinstance(studies, list):
        raise r.fail("studies", f"should be a list, got {type(studies).__name__}")
    token = r.text(payload, "nextPageToken", "nextPageToken")
    total = r.integer(payload, "totalCount", "totalCount")
    records = tuple(
        parse_study(study, where=f"{where}, studies[{i}]") for i, study in enumerate(studies)
    )
    return Page(number=number, studies=records, next_page_token=token or None, total_count=total)
