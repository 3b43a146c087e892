"""The scenario as frozen, typed specs (DESIGN.md, "Contracts": scenario file).

Every model is frozen and forbids unknown keys, and is validated when it is built: a Scenario that
exists is a usable one. Field-level rules sit on the field types below; rules that tie fields
together (a schedule within the study, a dose unit that fits the product's form) sit on the
smallest model that holds all the fields involved. Each rule names the exact element at fault
(``invalid(..., at=...)``) so that the message points at one field and one value.

Collections are tuples (and mappings are tuples of pairs, ``dict(pairs)`` gives the mapping back)
so that a scenario is immutable all the way down and hashable, e.g. as a cache key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Annotated, Any, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from mscsim.params import unit_registry
from mscsim.product._identity import panel_error_for_scenario
from mscsim.scenario import _vocabulary as voc
from mscsim.scenario._errors import (
    MISSING,
    ScenarioError,
    from_validation_error,
    invalid,
    suggest,
)

# --- field types -------------------------------------------------------------------------------


class _OneOf:
    """Before-validator for a vocabulary: resolves aliases and names the allowed values.

    It runs before pydantic's own Literal check so that the message lists the names (and a
    close match) instead of pydantic's "Input should be ..." wording. ``allowed`` is read back by
    the error conversion to list the names when the field is missing altogether.
    """

    __slots__ = ("aliases", "allowed")

    def __init__(self, allowed: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> None:
        self.allowed = allowed
        self.aliases: Mapping[str, str] = aliases if aliases is not None else {}

    def __call__(self, value: object) -> object:
        if isinstance(value, str):
            if value in self.allowed:
                return value
            if value in self.aliases:
                return self.aliases[value]
        reason = "must be one of " + ", ".join(self.allowed) + suggest(value, self.allowed)
        raise invalid(reason, value, allowed=self.allowed)


def _species(value: object) -> object:
    if value in voc.SPECIES:
        return value
    if value in voc.PLANNED_SPECIES:
        raise invalid(
            f"not yet supported: only {', '.join(voc.SPECIES)} physiology is parameterised "
            f"({', '.join(voc.PLANNED_SPECIES)} are planned)",
            value,
            allowed=voc.SPECIES,
        )
    raise invalid("must be one of " + ", ".join(voc.SPECIES), value, allowed=voc.SPECIES)


def _schema_version(value: object) -> object:
    # The type test: YAML `true` and `1.0` compare equal to 1 but are not a version number.
    if value == voc.SCHEMA_VERSION and type(value) is int:
        return value
    raise invalid(
        f"unsupported schema_version; this version of mscsim reads schema_version "
        f"{voc.SCHEMA_VERSION}",
        value,
        allowed=(str(voc.SCHEMA_VERSION),),
    )


def _not_bool(value: object) -> object:
    # YAML `yes`/`true` would otherwise pass as the number 1.
    if isinstance(value, bool):
        raise invalid("must be a number, not true/false", value)
    return value


def _compact(number: float) -> int | float:
    """Days and range bounds print as written (28, not 28.0) in a dumped scenario."""
    return int(number) if number.is_integer() else number


def _range(value: object) -> object:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise invalid("must be a [low, high] pair of numbers", value)
    for index, bound in enumerate(value):
        if (
            not isinstance(bound, int | float)
            or isinstance(bound, bool)
            or not math.isfinite(bound)
        ):
            raise invalid("must be a finite number", bound, at=(index,))
    low, high = value
    if low > high:
        raise invalid(f"low ({low}) must not exceed high ({high})", list(value))
    return (float(low), float(high))


def _name(value: object) -> object:
    if not isinstance(value, str):
        raise invalid("must be text", value)
    if not value.strip():
        raise invalid("must not be empty", value)
    return value


# Arm names label rows of endpoints.csv and are given on the command line (--arm NAME).
_ARM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def _arm_name(value: object) -> object:
    if not isinstance(value, str) or not _ARM_NAME.fullmatch(value):
        raise invalid(
            "must be a name of up to 64 letters, digits, '_', '-' or '.' starting with a letter "
            "or digit",
            value,
        )
    return value


def _pairs(what: str, check: Any) -> Any:
    """Before-validator turning a mapping into a tuple of (key, value) pairs, checking each."""

    def validate(value: object) -> object:
        if not isinstance(value, Mapping) or not value:
            raise invalid(f"must be a non-empty mapping of {what}", value)
        pairs = []
        for key, item in value.items():
            if not isinstance(key, str) or not key:
                raise invalid("keys must be names (text)", key, at=(str(key),))
            pairs.append((key, check(key, item)))
        return tuple(pairs)

    return validate


def _percent(key: str, value: object) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 <= value <= 100
        or math.isnan(value)
    ):
        raise invalid("must be a percentage between 0 and 100", value, at=(key,))
    return float(value)


def _weight(key: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid("must be a whole number of at least 1", value, at=(key,))
    return value


DiseaseName = Annotated[voc.Disease, BeforeValidator(_OneOf(voc.DISEASES, voc.DISEASE_ALIASES))]
SpeciesName = Annotated[voc.Species, BeforeValidator(_species)]
SourceName = Annotated[voc.Source, BeforeValidator(_OneOf(voc.SOURCES, voc.SOURCE_ALIASES))]
FormName = Annotated[voc.Form, BeforeValidator(_OneOf(voc.FORMS))]
RouteName = Annotated[voc.Route, BeforeValidator(_OneOf(voc.ROUTES, voc.ROUTE_ALIASES))]
IpcProtocolName = Annotated[voc.IpcProtocol, BeforeValidator(_OneOf(voc.IPC_PROTOCOLS))]
DoseUnitName = Annotated[voc.DoseUnit, BeforeValidator(_OneOf(voc.DOSE_UNITS))]
PreconditioningName = Annotated[voc.Preconditioning, BeforeValidator(_OneOf(voc.PRECONDITIONING))]
EndpointName = Annotated[voc.Endpoint, BeforeValidator(_OneOf(voc.ENDPOINTS, voc.ENDPOINT_ALIASES))]
SexName = Annotated[voc.Sex, BeforeValidator(_OneOf(voc.SEXES))]
TumourProfileName = Annotated[voc.TumourProfile, BeforeValidator(_OneOf(voc.TUMOUR_PROFILES))]
GeneticModificationName = Annotated[
    voc.GeneticModification, BeforeValidator(_OneOf(voc.GENETIC_MODIFICATIONS))
]

Text = Annotated[str, BeforeValidator(_name)]
ArmName = Annotated[str, BeforeValidator(_arm_name)]
PositiveNumber = Annotated[float, BeforeValidator(_not_bool), Field(gt=0)]
Count = Annotated[int, BeforeValidator(_not_bool), Field(ge=1)]
Day = Annotated[float, BeforeValidator(_not_bool), Field(ge=0), PlainSerializer(_compact)]
Range = Annotated[
    tuple[float, float],
    BeforeValidator(_range),
    PlainSerializer(lambda bounds: [_compact(bound) for bound in bounds]),
]


# Percent of cells positive for each ISCT marker, e.g. {CD73: 98.1, CD45: 0.6}; the ISCT check
# itself (thresholds, which markers) belongs to the product layer.
def _isct(panel: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    """A product that carries its flow panel must meet the ISCT minimal criteria."""
    reason = panel_error_for_scenario(panel)
    if reason is not None:
        raise invalid(reason, dict(panel))
    return panel


Panel = Annotated[
    tuple[tuple[str, float], ...],
    BeforeValidator(_pairs("marker to percent positive", _percent)),
    AfterValidator(_isct),
    PlainSerializer(dict),
]
Allocation = Annotated[
    tuple[tuple[str, int], ...],
    BeforeValidator(_pairs("arm name to a whole-number weight", _weight)),
    PlainSerializer(dict),
]

Passage = Annotated[int, BeforeValidator(_not_bool), Field(ge=0)]
Viability = Annotated[float, BeforeValidator(_not_bool), Field(gt=0, le=100)]
DonorAge = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, le=120)]
Seed = Annotated[int, BeforeValidator(_not_bool), Field(ge=0, le=2**32 - 1)]
Dropout = Annotated[float, BeforeValidator(_not_bool), Field(ge=0, lt=1)]
SchemaVersion = Annotated[int, BeforeValidator(_schema_version)]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


# --- doses and units -----------------------------------------------------------------------------


def _dose_total(dose: float, dose_unit: str, weight_kg: float) -> float:
    if isinstance(weight_kg, bool) or not math.isfinite(weight_kg) or weight_kg <= 0:
        raise ValueError(f"weight_kg = {weight_kg!r}: must be a positive number of kilograms")
    registry = unit_registry()
    amount = registry.Quantity(dose, dose_unit)
    if dose_unit.endswith("/kg"):
        amount = amount * registry.Quantity(weight_kg, "kg")
    return float(amount.to(_total_unit(dose_unit)).magnitude)


def _total_unit(dose_unit: str) -> str:
    return dose_unit.removesuffix("/kg")


def _cells_total(dose: float, dose_unit: str, weight_kg: float, what: str) -> float:
    if _total_unit(dose_unit) != "cells":
        raise ValueError(
            f"{what} is dosed in {dose_unit}, which counts no cells; use dose_total() "
            f"(in {_total_unit(dose_unit)})"
        )
    return _dose_total(dose, dose_unit, weight_kg)


def _check_unit_fits_form(dose_unit: str, form: str, at: tuple[str, ...]) -> None:
    allowed = voc.DOSE_UNITS_BY_FORM[form]
    if dose_unit not in allowed:
        raise invalid(
            f"does not fit form {form!r}; must be one of {', '.join(allowed)}",
            dose_unit,
            at=at,
            allowed=allowed,
        )


def _check_protocol_fits_form(protocol: str | None, form: str) -> None:
    if protocol is not None and form != "insulin_producing_cells":
        raise invalid(
            f"an induction protocol belongs to form insulin_producing_cells, not {form!r}",
            protocol,
            at=("ipc_protocol",),
        )


# --- product and regimen -------------------------------------------------------------------------


class Component(_Spec):
    """One cell population of a combined product, with its own dose (seed 004 Table 2 row 6)."""

    source: SourceName
    form: FormName
    dose: PositiveNumber
    dose_unit: DoseUnitName
    passage: Passage | None = None
    preconditioning: PreconditioningName | None = None
    viability_pct: Viability | None = None
    thawed: bool | None = None
    donor_age_years: DonorAge | None = None
    panel: Panel | None = None
    # Where this component goes when it differs from the regimen's route (seed 004 Table 2 row 5:
    # insulin-secreting cells by portal vein, HSCs subcutaneously as well).
    route: RouteName | None = None
    ipc_protocol: IpcProtocolName | None = None
    # Osteoporosis (seed 000 §2.1): BMP2 gene-modified cells; cells taken from the patient herself.
    genetic_modification: GeneticModificationName | None = None
    autologous: bool | None = None

    @model_validator(mode="after")
    def _unit_fits_form(self) -> Self:
        _check_unit_fits_form(self.dose_unit, self.form, at=("dose_unit",))
        _check_protocol_fits_form(self.ipc_protocol, self.form)
        return self

    @property
    def total_unit(self) -> str:
        """Unit of ``dose_total``: cells, particles, ug_protein or islets."""
        return _total_unit(self.dose_unit)

    def dose_total(self, weight_kg: float) -> float:
        """The dose of one administration for a patient of ``weight_kg``, in ``total_unit``."""
        return _dose_total(self.dose, self.dose_unit, weight_kg)

    def cells_total(self, weight_kg: float) -> float:
        """Cells given in one administration; ValueError for a dose that counts no cells."""
        return _cells_total(self.dose, self.dose_unit, weight_kg, f"component {self.source}")


# Attributes that describe a single cell population; a product of components gives them on each
# component, since the product-level value would be ambiguous.
_PER_POPULATION = (
    "source",
    "form",
    "passage",
    "preconditioning",
    "viability_pct",
    "thawed",
    "donor_age_years",
    "panel",
    "ipc_protocol",
    "genetic_modification",
    "autologous",
)


class Product(_Spec):
    """What is given: one cell population (source, form, ...) or ``components``.

    Unset manufacturing attributes (None) mean "not stated"; the product layer supplies its
    documented defaults for them.
    """

    source: SourceName | None = None
    form: FormName | None = None
    passage: Passage | None = None
    preconditioning: PreconditioningName | None = None
    viability_pct: Viability | None = None
    thawed: bool | None = None
    donor_age_years: DonorAge | None = None
    panel: Panel | None = None
    ipc_protocol: IpcProtocolName | None = None
    # Tumour scenarios only (seed 000 §2.6): the documented direction of the MSCs' paracrine
    # effect on the tumour, and whether the cells are engineered drug carriers.
    tumour_profile: TumourProfileName | None = None
    payload: bool | None = None
    # Osteoporosis scenarios only (seed 000 §2.1): BMP2 gene-modified cells (`bmp2`), and cells
    # taken from the patient herself (`autologous: true`: an osteoporotic patient's own BM-MSCs,
    # with their osteogenic-to-adipogenic shift). Unset: unmodified, allogeneic (healthy donor).
    genetic_modification: GeneticModificationName | None = None
    autologous: bool | None = None
    components: Annotated[tuple[Component, ...], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _single_or_combined(self) -> Self:
        if self.components is None:
            if self.source is None and self.form != "placebo":
                raise invalid(
                    "required key is missing (or list components: [...])",
                    MISSING,
                    at=("source",),
                    allowed=voc.SOURCES,
                )
            if self.form is None:
                raise invalid(
                    "required key is missing; must be one of " + ", ".join(voc.FORMS),
                    MISSING,
                    at=("form",),
                    allowed=voc.FORMS,
                )
            _check_protocol_fits_form(self.ipc_protocol, self.form)
            return self
        for key in _PER_POPULATION:
            value = getattr(self, key)
            if value is not None:
                raise invalid(
                    f"a product with components gives {key} on each component", value, at=(key,)
                )
        return self

    @property
    def is_combination(self) -> bool:
        return self.components is not None


class Regimen(_Spec):
    """How the product is given: dose, route and the days of each administration."""

    dose: PositiveNumber | None = None
    dose_unit: DoseUnitName | None = None
    route: RouteName
    schedule_days: tuple[Day, ...]

    @field_validator("schedule_days")
    @classmethod
    def _increasing(cls, days: tuple[float, ...]) -> tuple[float, ...]:
        if not days:
            raise invalid("must list at least one day", [])
        for index in range(1, len(days)):
            if days[index] <= days[index - 1]:
                raise invalid(
                    f"must be later than the dose before it (day {_compact(days[index - 1])}); "
                    "schedule days are strictly increasing",
                    _compact(days[index]),
                    at=(index,),
                )
        return days

    @model_validator(mode="after")
    def _dose_with_unit(self) -> Self:
        if self.dose is not None and self.dose_unit is None:
            raise invalid(
                "required key is missing (dose is given); must be one of "
                + ", ".join(voc.DOSE_UNITS),
                MISSING,
                at=("dose_unit",),
                allowed=voc.DOSE_UNITS,
            )
        if self.dose is None and self.dose_unit is not None:
            raise invalid("required key is missing (dose_unit is given)", MISSING, at=("dose",))
        return self

    @property
    def total_unit(self) -> str:
        """Unit of ``dose_total``: cells, particles, ug_protein or islets."""
        return _total_unit(self._unit())

    def dose_total(self, weight_kg: float) -> float:
        """The dose of one administration for a patient of ``weight_kg``, in ``total_unit``."""
        return _dose_total(self._dose(), self._unit(), weight_kg)

    def cells_total(self, weight_kg: float) -> float:
        """Cells given in one administration; ValueError for a dose that counts no cells."""
        return _cells_total(self._dose(), self._unit(), weight_kg, "the regimen")

    def _dose(self) -> float:
        if self.dose is None:
            raise ValueError("this regimen's product has components: each gives its own dose")
        return self.dose

    def _unit(self) -> str:
        if self.dose_unit is None:
            raise ValueError("this regimen's product has components: each gives its own dose")
        return self.dose_unit


class Arm(_Spec):
    """One arm of the trial; a control arm has neither product nor regimen."""

    name: ArmName
    product: Product | None = None
    regimen: Regimen | None = None

    @model_validator(mode="after")
    def _product_with_regimen(self) -> Self:
        if self.regimen is None:
            if self.product is not None:
                raise invalid(
                    "an arm with a product needs a regimen (route, schedule_days, dose); "
                    "a control arm gives neither",
                    None,
                    at=("regimen",),
                )
            return self
        if self.product is None:
            raise invalid(
                "required key is missing: an arm with a regimen needs a product "
                "(a control arm sets regimen: null)",
                MISSING,
                at=("product",),
            )
        if self.product.components is not None:
            if self.regimen.dose is not None:
                raise invalid(
                    "a product with components gives the dose on each component, not in the "
                    "regimen",
                    self.regimen.dose,
                    at=("regimen", "dose"),
                )
            return self
        if self.product.form == "placebo":
            return self  # a sham infusion: route and schedule, no cells
        if self.regimen.dose is None or self.regimen.dose_unit is None:
            raise invalid(
                "required key is missing (the product is one cell population)",
                MISSING,
                at=("regimen", "dose"),
            )
        if self.product.form is not None:  # always, for a product without components
            at = ("regimen", "dose_unit")
            _check_unit_fits_form(self.regimen.dose_unit, self.product.form, at)
        return self

    @property
    def is_control(self) -> bool:
        return self.regimen is None


# --- population and trial ------------------------------------------------------------------------


class Criteria(_Spec):
    """Eligibility criteria of the virtual population; unset (None) means no restriction.

    Range criteria are ``(low, high)`` inclusive, in the unit in the key's name.
    """

    age_years: Range | None = None
    sex: SexName | None = None
    weight_kg: Range | None = None
    bmi: Range | None = None
    hba1c_pct: Range | None = None
    diabetes_duration_years: Range | None = None
    c_peptide_ng_ml: Range | None = None
    insulin_treated: bool | None = None
    ldl_mg_dl: Range | None = None

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        for key, (low, high) in voc.CRITERIA_LIMITS.items():
            bounds = getattr(self, key)
            if bounds is not None and (bounds[0] < low or bounds[1] > high):
                raise invalid(
                    f"outside the plausible range [{low:g}, {high:g}] of {key}; check the unit",
                    [_compact(bound) for bound in bounds],
                    at=(key,),
                )
        return self

    def items(self) -> tuple[tuple[str, tuple[float, float] | bool | str], ...]:
        """The criteria that are set, as (key, criterion) pairs in vocabulary order."""
        return tuple(
            (key, getattr(self, key)) for key in voc.CRITERIA_KEYS if getattr(self, key) is not None
        )


class Population(_Spec):
    """The virtual population: its size, its random seed and who is eligible."""

    n: Count
    seed: Seed
    criteria: Criteria = Field(default_factory=Criteria)


class TrialDesign(_Spec):
    """Real-sized trials drawn from the virtual population, ``replicates`` times.

    ``allocation`` gives each arm a whole-number weight (e.g. ``{msc: 2, control: 1}``); an arm
    gets ``n_per_arm * weight`` patients, so without it every arm gets ``n_per_arm``.
    ``dropout`` is the fraction of randomised patients lost by the end of the study.
    """

    n_per_arm: Count
    replicates: Count = 500
    allocation: Allocation | None = None
    dropout: Dropout = 0.0


# --- scenario ------------------------------------------------------------------------------------


class Scenario(_Spec):
    """A whole in-silico trial: population, arms, study length, visits and endpoints."""

    schema_version: SchemaVersion
    name: Text
    disease: DiseaseName
    species: SpeciesName = "human"
    population: Population
    trial: TrialDesign | None = None
    standard_of_care: tuple[Text, ...] = ()
    arms: tuple[Arm, ...]
    duration_days: Annotated[
        float, BeforeValidator(_not_bool), Field(gt=0), PlainSerializer(_compact)
    ]
    visits_days: tuple[Day, ...]
    endpoints: tuple[EndpointName, ...]

    @field_validator("standard_of_care")
    @classmethod
    def _unique_therapies(cls, therapies: tuple[str, ...]) -> tuple[str, ...]:
        _check_unique(therapies, "therapy")
        return therapies

    @field_validator("arms")
    @classmethod
    def _arms(cls, arms: tuple[Arm, ...]) -> tuple[Arm, ...]:
        if not arms:
            raise invalid("at least one arm is required", [])
        seen: set[str] = set()
        for index, arm in enumerate(arms):
            if arm.name in seen:
                raise invalid(
                    "duplicate arm name; arm names are unique", arm.name, at=(index, "name")
                )
            seen.add(arm.name)
        return arms

    @field_validator("visits_days")
    @classmethod
    def _visits(cls, visits: tuple[float, ...]) -> tuple[float, ...]:
        if not visits:
            raise invalid("must list at least the baseline visit, day 0", [])
        if visits[0] != 0:
            raise invalid("the first visit must be day 0 (baseline)", _compact(visits[0]), at=(0,))
        for index in range(1, len(visits)):
            if visits[index] <= visits[index - 1]:
                raise invalid(
                    f"must be later than the visit before it (day {_compact(visits[index - 1])});"
                    " visits are sorted and unique",
                    _compact(visits[index]),
                    at=(index,),
                )
        return visits

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, endpoints: tuple[str, ...]) -> tuple[str, ...]:
        if not endpoints:
            raise invalid(
                "must list at least one endpoint: " + ", ".join(voc.ENDPOINTS),
                [],
                allowed=voc.ENDPOINTS,
            )
        _check_unique(endpoints, "endpoint")
        return endpoints

    @model_validator(mode="after")
    def _within_study(self) -> Self:
        end = f"after the end of the study (duration_days = {_compact(self.duration_days)})"
        for index, visit in enumerate(self.visits_days):
            if visit > self.duration_days:
                raise invalid(end, _compact(visit), at=("visits_days", index))
        for arm_index, arm in enumerate(self.arms):
            days = arm.regimen.schedule_days if arm.regimen is not None else ()
            for index, day in enumerate(days):
                if day > self.duration_days:
                    at = ("arms", arm_index, "regimen", "schedule_days", index)
                    raise invalid(end, _compact(day), at=at)
        return self

    @model_validator(mode="after")
    def _trial_fits(self) -> Self:
        if self.trial is None:
            return self
        names = tuple(arm.name for arm in self.arms)
        weights = dict(self.trial.allocation or ())
        for name in weights:
            if name not in names:
                raise invalid(
                    f"not an arm of this scenario; arms: {', '.join(names)}{suggest(name, names)}",
                    name,
                    at=("trial", "allocation", name),
                    allowed=names,
                )
        if weights and set(weights) != set(names):
            absent = [name for name in names if name not in weights]
            raise invalid(
                f"gives no weight to arm(s) {', '.join(absent)}; list every arm",
                weights,
                at=("trial", "allocation"),
            )
        # A trial replicate randomises distinct virtual patients to its arms, as a real trial
        # does (the same patients in every arm would understate the spread of the difference).
        needed = sum(self.trial.n_per_arm * weights.get(name, 1) for name in names)
        if needed > self.population.n:
            raise invalid(
                f"the trial's arms together need {needed} distinct patients but population.n = "
                f"{self.population.n}",
                self.trial.n_per_arm,
                at=("trial", "n_per_arm"),
            )
        return self

    # --- conversions ---

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Validate a scenario given as plain data; every problem is a ScenarioError."""
        if not isinstance(data, Mapping):
            raise ScenarioError(
                "document",
                data,
                f"the top level must be a mapping with keys {', '.join(cls.model_fields)}, "
                f"not a {type(data).__name__}",
            )
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            raise from_validation_error(error, cls) from None

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data (canonical names, defaults filled in).

        ``Scenario.from_dict(s.to_dict()) == s``. Unset optional values are left out, except a
        control arm's ``regimen: null``, which says in the file that the arm is a control.
        """
        data = self.model_dump(mode="json", exclude_none=True)
        for arm in data["arms"]:
            arm.setdefault("regimen", None)
        return data

    def to_yaml(self) -> str:
        """The resolved scenario as YAML text, readable by ``parse_scenario``."""
        return yaml.safe_dump(
            self.to_dict(), sort_keys=False, default_flow_style=None, allow_unicode=True
        )


def _check_unique(names: tuple[str, ...], what: str) -> None:
    for index, name in enumerate(names):
        if name in names[:index]:
            raise invalid(f"duplicate {what}; each is listed once", name, at=(index,))
