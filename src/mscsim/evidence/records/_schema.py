"""The curated evidence as frozen, validated records (DESIGN.md layer 7, issue 4 part 1).

Every record says where in which seed it was read (``SeedRef``) and keeps the seed's own wording
next to any mapping onto the scenario vocabulary (``*_as_reported``), so that a reader can check
each mapping against the seed and a seed error is kept and annotated rather than silently fixed.
Numbers are stored only where the seed (or ``reference/evidence.md`` for Zhang 2020) publishes
them; otherwise an outcome is the direction arrow of the seed's table.

The models are frozen and forbid unknown keys; rules that tie records together (unique ids,
reference numbers that exist in the seed's reference list) sit on ``Evidence``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mscsim.scenario import (
    DISEASES,
    DOSE_UNITS_BY_FORM,
    ENDPOINTS,
    Disease,
    DoseUnit,
    Form,
    Route,
    Source,
)

# The two seed reviews (in the project's shared/seeds folder) with the dates of their headers.
SeedFile = Literal["000_fda4a529fd2251a8.txt", "004_2539ce980763f919.txt"]
SEED_FILES: tuple[str, ...] = ("000_fda4a529fd2251a8.txt", "004_2539ce980763f919.txt")

# "none_or_up": seed 004 Table 2 row 4 writes "C肽水平↑或者—" (up, or unchanged).
# "negative": an antibody test reported negative, not a change (Table 2 row 2: "...为阴性").
# "unspecified": the seed says the value changed without saying which way (Wang 2017, [38]).
Direction = Literal["up", "down", "none_or_up", "negative", "unspecified"]
DIRECTIONS: tuple[str, ...] = ("up", "down", "none_or_up", "negative", "unspecified")

# Calibration records were fitted by the model; validation compares against the others only.
UsedFor = Literal["calibration", "validation"]

# Endpoints the seeds report that the scenario vocabulary has no name for. They label observed
# outcomes only; a simulation can be compared with a record only on a vocabulary endpoint.
# (cpgr and treg_pct are kept here too so the records stay valid whether or not the scenario
# vocabulary carries them.)
EXTRA_ENDPOINTS: Mapping[str, str] = MappingProxyType(
    {
        "cpgr": "C-peptide/glucose ratio (seed 004 'CPGR')",
        "treg_pct": "regulatory T cells, unit not given by the seed (seed 004 'Tregs')",
        "gad_antibody": "glutamic acid decarboxylase autoantibody (seed 004 'GAD')",
        "ica": "anti-islet cell antibody (seed 004 'ICA')",
        "insulin_antibody": "anti-insulin antibody (seed 004 '抗胰岛素抗体')",
        "insulin_area": "area under the insulin curve of a meal test (seed 004 '胰岛素面积')",
        "updrs": "Unified Parkinson's Disease Rating Scale, part not stated "
        "(seed 000 '统一的 PD 量化评分'); updrs3 is the motor part",
        "lung_function": "lung function, measure not named by the seed (seed 000 '肺功能'); "
        "fev1_ml is the model's measure",
        "quality_of_life": "quality of life, instrument not named (seed 000 '生活质量')",
    }
)


def endpoint_names() -> tuple[str, ...]:
    """Every endpoint name a record may use: the scenario vocabulary, then the extras."""
    return tuple(ENDPOINTS) + tuple(name for name in EXTRA_ENDPOINTS if name not in ENDPOINTS)


def _endpoint(value: str) -> str:
    allowed = endpoint_names()
    if value not in allowed:
        raise ValueError(f"endpoint {value!r} must be one of {', '.join(allowed)}")
    return value


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _range(value: tuple[float, float]) -> tuple[float, float]:
    low, high = value
    if low > high:
        raise ValueError(f"low ({low}) must not exceed high ({high})")
    return value


# Record ids say which seed they come from and are safe in file names and CSV cells.
_ID = re.compile(r"seed(000|004)_[a-z0-9]+(_[a-z0-9]+)*")
# Only ids of the ClinicalTrials.gov form; which ids the seeds actually give is checked by tests.
_NCT = re.compile(r"NCT\d{8}")


def _record_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"id {value!r} must look like seed004_t2_r1_voltarelli2007")
    return value


def _nct(value: str) -> str:
    if not _NCT.fullmatch(value):
        raise ValueError(f"registry_id {value!r} must be an NCT id (NCT and 8 digits)")
    return value


Text = Annotated[str, AfterValidator(_text)]
RecordId = Annotated[str, AfterValidator(_record_id)]
NctId = Annotated[str, AfterValidator(_nct)]
EndpointName = Annotated[str, AfterValidator(_endpoint)]
Range = Annotated[tuple[float, float], AfterValidator(_range)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Year = Annotated[int, Field(ge=1900, le=2100)]
Notes = tuple[Text, ...]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class SeedRef(_Frozen):
    """Where a record was read: the seed file, its table and row or its section, and the
    numbers of the seed's own reference list that the passage cites."""

    file: SeedFile
    table: Annotated[int, Field(ge=1)] | None = None
    row: Annotated[int, Field(ge=1)] | None = None
    section: Text | None = None
    refs: tuple[Annotated[int, Field(ge=1)], ...] = ()

    @model_validator(mode="after")
    def _located(self) -> Self:
        if (self.table is None) != (self.row is None):
            raise ValueError("table and row are given together")
        if self.table is None and self.section is None:
            raise ValueError("a seed reference names a table and row or a section")
        return self

    @property
    def seed(self) -> str:
        """The seed's number, e.g. '004'."""
        return self.file[:3]

    @property
    def label(self) -> str:
        """E.g. 'seed 004 Table 2 row 1 [72]' or 'seed 000 section 2.1'."""
        where = f"Table {self.table} row {self.row}" if self.table is not None else ""
        if self.section is not None:
            where = f"{where}, section {self.section}" if where else f"section {self.section}"
        cited = "".join(f" [{number}]" for number in self.refs)
        return f"seed {self.seed} {where}{cited}"


class Citation(_Frozen):
    """One entry of a seed's reference list, copied as the seed prints it."""

    file: SeedFile
    number: Annotated[int, Field(ge=1)]
    text: Text


class Stat(_Frozen):
    """A published summary value: mean, with its SD where the seed gives one."""

    mean: float
    sd: NonNegative | None = None


class Component(_Frozen):
    """One cell population (or exosome preparation, or islets) of a product, with its dose.

    ``source`` is None where the seed does not say it, and for islets (a donor pancreas is not a
    source in the vocabulary). ``dose``/``dose_sd`` are exactly the seed's numbers in the seed's
    unit ("2.6 +/- 1.2 x 10^7 cells" is 2.6e7, 1.2e7, cells); ``dose_as_reported`` keeps the
    seed's text, including "—" and "NA" when no dose is given.
    """

    label_as_reported: Text
    source: Source | None
    form: Form
    dose: Positive | None = None
    dose_sd: NonNegative | None = None
    dose_unit: DoseUnit | None = None
    dose_as_reported: Text | None = None

    @model_validator(mode="after")
    def _dose(self) -> Self:
        if (self.dose is None) != (self.dose_unit is None):
            raise ValueError("dose and dose_unit are given together")
        if self.dose_sd is not None and self.dose is None:
            raise ValueError("dose_sd needs a dose")
        if self.dose_unit is not None and self.dose_unit not in DOSE_UNITS_BY_FORM[self.form]:
            raise ValueError(
                f"dose_unit {self.dose_unit!r} does not fit form {self.form!r}; must be one of "
                + ", ".join(DOSE_UNITS_BY_FORM[self.form])
            )
        return self


class Product(_Frozen):
    """What was given: one component, or several each with its own dose (Table 2 row 6)."""

    components: Annotated[tuple[Component, ...], Field(min_length=1)]

    @property
    def is_combination(self) -> bool:
        return len(self.components) > 1


class Outcome(_Frozen):
    """One reported effect: the direction of the seed's arrow and, where published, numbers.

    ``baseline``/``final`` are before/after values in ``unit`` at ``at_months``; ``change_pct`` is
    a relative change as a (low, high) range in percent (Trivedi 2008: insulin -50 to -30);
    ``fold_change`` a (low, high) range of ratios (Trivedi 2008: C-peptide x4 to x26).
    """

    endpoint: EndpointName
    direction: Direction
    as_reported: Text
    group: Text | None = None
    unit: Text | None = None
    at_months: Positive | None = None
    baseline: Stat | None = None
    final: Stat | None = None
    change_pct: Range | None = None
    fold_change: Range | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _numbers(self) -> Self:
        if (self.baseline is not None or self.final is not None) and self.unit is None:
            raise ValueError("baseline/final values need their unit")
        # Published numbers must agree with the arrow: a typo in either shows up here.
        if self.baseline is not None and self.final is not None:
            went = "up" if self.final.mean > self.baseline.mean else "down"
            if self.direction in ("up", "down") and went != self.direction:
                raise ValueError(
                    f"direction {self.direction!r} but {self.baseline.mean} -> {self.final.mean}"
                )
        if self.change_pct is not None and self.direction in ("up", "down"):
            low, high = self.change_pct
            if (self.direction == "down" and high > 0) or (self.direction == "up" and low < 0):
                raise ValueError(f"direction {self.direction!r} but change_pct {self.change_pct}")
        return self


class TrialRecord(_Frozen):
    """One clinical study as a seed reports it (a table row, or a trial named in the text).

    ``reference`` is filled from the seed's reference list by the loader (from
    ``seed_ref.refs``); ``year`` is the year of that citation. ``route`` is the vocabulary route
    nearest the seed's ``route_as_reported``, or None where none can be chosen from the seed
    (``notes`` say why); ``other_routes`` holds further routes of a multi-route delivery.
    ``same_study_as`` links two records of one study (a table row and the text about it).
    """

    kind: Literal["trial"] = "trial"
    id: RecordId
    seed_ref: SeedRef
    registry_id: NctId | None = None
    reference: Text | None = None
    year: Year | None = None
    condition: Disease
    product: Product
    control: Text | None = None
    route: Route | None = None
    other_routes: tuple[Route, ...] = ()
    route_as_reported: Text | None = None
    n: Annotated[int, Field(ge=1)] | None = None
    follow_up_months: Positive | None = None
    outcomes: tuple[Outcome, ...] = ()
    adverse_events: Notes = ()
    same_study_as: RecordId | None = None
    scenario: Text | None = None
    used_for: UsedFor | None = None
    notes: Notes = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.other_routes and self.route is None:
            raise ValueError("other_routes needs a primary route")
        # The year is typed separately from the citation, so a typo in either shows up here.
        if (
            self.year is not None
            and self.reference is not None
            and str(self.year) not in self.reference
        ):
            raise ValueError(f"year {self.year} does not appear in the reference")
        if self.same_study_as == self.id:
            raise ValueError("same_study_as names the record itself")
        return self

    @property
    def conditions(self) -> tuple[Disease, ...]:
        return (self.condition,)


class RegistryCount(_Frozen):
    """A dated count of registered trials, as a seed gives it.

    The seeds do not date their registry searches, so ``as_of`` is the seed's received date
    (the manuscript held the count then) and ``seed_revised`` its revision date.
    ``conditions`` lists every vocabulary disease the count covers (seed 004 counts diabetes as
    a whole, so t1dm and t2dm).
    """

    kind: Literal["registry_count"] = "registry_count"
    id: RecordId
    seed_ref: SeedRef
    conditions: Annotated[tuple[Disease, ...], Field(min_length=1)]
    condition_as_reported: Text
    count: Annotated[int, Field(ge=0)]
    registry: Literal["ClinicalTrials.gov"] = "ClinicalTrials.gov"
    query_as_reported: Text | None = None
    status_as_reported: Text | None = None
    as_of: date
    seed_revised: date
    notes: Notes = ()

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.seed_revised < self.as_of:
            raise ValueError("seed_revised is before as_of (the received date)")
        return self


class PooledEstimate(_Frozen):
    """A pooled effect of a meta-analysis (Zhang 2020, seed 000 ref [18]).

    The seed cites the meta-analysis but prints no numbers; ``numbers_from`` names where they were
    read. ``n_studies``/``n_patients`` are as given there: the studies of the whole meta-analysis
    and the patients of the condition, not per-endpoint counts. ``unit`` is None where the source
    states none: the endpoint name gives the model's unit, to be checked before comparing.
    """

    kind: Literal["pooled_estimate"] = "pooled_estimate"
    id: RecordId
    seed_ref: SeedRef
    reference: Text | None = None
    year: Year | None = None
    condition: Disease
    endpoint: EndpointName
    endpoint_as_reported: Text
    measure: Literal["MD"] = "MD"
    md: float
    ci_low: float
    ci_high: float
    unit: Text | None = None
    n_studies: Annotated[int, Field(ge=1)] | None = None
    n_patients: Annotated[int, Field(ge=1)] | None = None
    subgroup_note: Text | None = None
    numbers_from: Text
    scenario: Text | None = None
    used_for: UsedFor | None = None
    notes: Notes = ()

    @model_validator(mode="after")
    def _interval(self) -> Self:
        if not self.ci_low <= self.md <= self.ci_high:
            raise ValueError(f"md {self.md} outside its CI [{self.ci_low}, {self.ci_high}]")
        return self

    @property
    def conditions(self) -> tuple[Disease, ...]:
        return (self.condition,)


class DoseRange(_Frozen):
    """A range of doses a seed states across the trials it reviews (seed 004 section 3)."""

    kind: Literal["dose_range"] = "dose_range"
    id: RecordId
    seed_ref: SeedRef
    conditions: Annotated[tuple[Disease, ...], Field(min_length=1)]
    low: Positive
    high: Positive
    dose_unit: DoseUnit
    as_reported: Text
    main_route: Route | None = None
    notes: Notes = ()

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError(f"low {self.low} exceeds high {self.high}")
        return self


Record = TrialRecord | RegistryCount | PooledEstimate | DoseRange
KINDS: tuple[str, ...] = ("trial", "registry_count", "pooled_estimate", "dose_range")


class Evidence(_Frozen):
    """All curated records, with the seeds' reference lists they cite.

    Built only whole: ids are unique across kinds, every cited reference number exists in that
    seed's list and resolves to the record's ``reference``, a table row is curated once, and
    ``same_study_as`` points at an existing record.
    """

    citations: tuple[Citation, ...]
    trials: tuple[TrialRecord, ...]
    registry_counts: tuple[RegistryCount, ...] = ()
    pooled: tuple[PooledEstimate, ...] = ()
    dose_ranges: tuple[DoseRange, ...] = ()

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        seen: set[str] = set()
        for record in self.all():
            if record.id in seen:
                raise ValueError(f"duplicate record id {record.id!r}")
            seen.add(record.id)
        keys = [(c.file, c.number) for c in self.citations]
        if len(set(keys)) != len(keys):
            raise ValueError("a seed reference number is listed twice in citations")
        rows: set[tuple[str, int, int]] = set()
        for record in self.all():
            ref = record.seed_ref
            missing = [n for n in ref.refs if (ref.file, n) not in keys]
            if missing:
                raise ValueError(
                    f"{record.id}: seed {ref.seed} reference [{missing[0]}] is not in citations"
                )
            if isinstance(record, TrialRecord | PooledEstimate):
                expected = self.resolve(ref)
                if record.reference != expected:
                    raise ValueError(
                        f"{record.id}: reference does not match seed {ref.seed} "
                        f"{', '.join(f'[{n}]' for n in ref.refs) or '(no reference number)'}"
                    )
            if ref.table is not None and ref.row is not None:
                row = (ref.file, ref.table, ref.row)
                if row in rows:
                    raise ValueError(f"{record.id}: {ref.label} is curated twice")
                rows.add(row)
        for trial in self.trials:
            if trial.same_study_as is not None and trial.same_study_as not in seen:
                raise ValueError(f"{trial.id}: same_study_as {trial.same_study_as!r} is unknown")
        return self

    def resolve(self, ref: SeedRef) -> str | None:
        """The citations of ``ref.refs`` from the seed's reference list, joined by ' ; '."""
        texts = {(c.file, c.number): c.text for c in self.citations}
        found = [texts[(ref.file, n)] for n in ref.refs if (ref.file, n) in texts]
        return " ; ".join(found) if found else None

    def all(self) -> tuple[Record, ...]:
        """Every record: trials, registry counts, pooled estimates, dose ranges, in file order."""
        return (*self.trials, *self.registry_counts, *self.pooled, *self.dose_ranges)

    def records(self, disease: str | None = None) -> tuple[Record, ...]:
        """Records about ``disease`` (a vocabulary name), or all records for None."""
        if disease is None:
            return self.all()
        if disease not in DISEASES:
            raise ValueError(f"unknown disease {disease!r}; must be one of {', '.join(DISEASES)}")
        return tuple(r for r in self.all() if disease in r.conditions)

    def get(self, record_id: str) -> Record:
        """The record with this id; KeyError naming it otherwise."""
        for record in self.all():
            if record.id == record_id:
                return record
        raise KeyError(f"no evidence record {record_id!r}")
