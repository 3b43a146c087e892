"""Insulin-producing cells (IPCs) induced from MSCs: protocols, yield, secretion, safety.

Seed 004 §1.1 and Table 1 describe how MSCs are induced into IPCs (three-step chemical protocols
for BM- and UC-MSCs, a one-step 3-day protocol for ADSCs, miR-375 lentivirus, PDX-1 mRNA, and the
Trivedi/Thakkar insulin-secreting cells given to patients). This module holds:

- the protocols as data (`load_protocols`, `protocol`), validated frozen records whose media,
  inducers and days are exactly as the table prints them;
- the induced fraction and its between-batch spread (`induced_yield`: a beta distribution with
  the reported mean and SD, e.g. 68 +/- 14% insulin-positive for the BM-MSC protocol);
- glucose-dependent insulin secretion of engrafted IPCs (`ipc_insulin_secretion`: Topp's beta-cell
  sigmoid, scaled to a fraction of a native beta cell's capacity);
- survival of the graft after infusion by route (`ipc_engraftment_survival`: first-order loss);
- a tumourigenicity signal of long in-vitro expansion (`tumourigenicity_risk`, Tang 2012, seed 004
  ref [23]): exploratory and relative, never a probability of cancer.

Numbers come from the parameter table `ipc` (params/data/ipc.yaml), each with unit, bounds,
source and provenance; most model numbers are assumed, and their notes say why. The pure
equations (`*_xp` functions) take the array module first, like the disease modules, so that the
JAX engine and the NumPy reference path can share them.

>>> p = protocol("bm_msc_3step")
>>> p.total_days, [s.days for s in p.steps]
(18.0, [2.0, 8.0, 8.0])
>>> round(induced_yield("bm_msc_3step").mean, 2)
0.68
"""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass, field
from importlib import resources
from types import ModuleType
from typing import Annotated, Any, Final, Literal, Self

import numpy as np
import pint
import yaml
from numpy.typing import ArrayLike, NDArray
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from mscsim.params import ParameterSet, load_module, load_references, unit_registry

SCHEMA_VERSION: Final = 1
DATA_FILE: Final = "ipc_protocols.yaml"
PARAMETER_MODULE: Final = "ipc"

# Routes with an engraftment record in the ipc table; other routes of the scenario vocabulary are
# refused by name rather than mapped silently onto one of these.
ENGRAFTMENT_ROUTES: Final = (
    "iv",
    "portal_vein",
    "pancreatic_artery",
    "kidney_capsule",
    "subcutaneous",
)

TUMOURIGENICITY_INTERPRETATION: Final = (
    "EXPLORATORY relative safety signal of long in-vitro expansion (Tang 2012, seed 004 ref [23]): "
    "1 = cells expanded to the reference passage, 2 = twice that signal. It is NOT a probability "
    "of cancer and no incidence can be read from it; its slope is assumed, not fitted to data."
)


class ProtocolError(ValueError):
    """The protocol file cannot be used, or a protocol name is unknown; one clear line."""


# --------------------------------------------------------------------------------------------
# Protocol records
# --------------------------------------------------------------------------------------------


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _unit(value: str) -> str:
    # Units stay as printed ("ng/ml", "%"), but must mean something to pint so that a later
    # dose-response model can convert them.
    try:
        unit_registry().parse_units(value)
    except (pint.errors.UndefinedUnitError, AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"unit {value!r} not understood") from exc
    return value


Text = Annotated[str, AfterValidator(_text)]
Unit = Annotated[str, AfterValidator(_unit)]
Days = Annotated[float, Field(gt=0)]
Percent = Annotated[float, Field(gt=0, lt=100)]
CellSource = Literal["bone_marrow", "umbilical_cord", "adipose"]
Method = Literal["chemical", "lentiviral_mirna", "mrna_transfection_chemical"]
Hormone = Literal["insulin", "glucagon"]
HORMONES: Final[tuple[Hormone, ...]] = ("insulin", "glucagon")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Inducer(_Frozen):
    """One inducer of a step: concentration and unit exactly as printed, or none where the
    table gives none (B27 serum replacement, N-2 supplement, a vector)."""

    name: Text
    concentration: Annotated[float, Field(gt=0)] | None = None
    unit: Unit | None = None
    as_printed: Text

    @model_validator(mode="after")
    def _together(self) -> Self:
        if (self.concentration is None) != (self.unit is None):
            raise ValueError(f"inducer {self.name!r}: concentration and unit are given together")
        return self

    @property
    def label(self) -> str:
        """E.g. '20 ng/ml bFGF' or 'N-2 supplement'."""
        if self.concentration is None:
            return self.name
        return f"{self.concentration:g} {self.unit} {self.name}"


class Step(_Frozen):
    """One step of an induction protocol; `days` is None where the seed gives no duration."""

    name: Text
    basal_medium: Text | None = None
    basal_medium_as_printed: Text | None = None
    inducers: tuple[Inducer, ...] = ()
    days: Days | None = None
    purpose: Text | None = None


class ReportedYield(_Frozen):
    """A reported share of hormone-positive cells (percent, as printed) and the parameters of
    the `ipc` table that carry the same numbers for the model."""

    mean_pct: Percent
    sd_pct: Annotated[float, Field(gt=0, lt=50)] | None = None
    what: Text
    mean_parameter: Text
    sd_parameter: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.sd_pct is None) != (self.sd_parameter is None):
            raise ValueError("sd_pct and sd_parameter are given together")
        if self.sd_pct is not None:
            _beta_shape(self.mean_pct / 100.0, self.sd_pct / 100.0)
        return self


class SeedReference(_Frozen):
    """Where in seed 004 the protocol is described: Table 1 and/or a section, and the numbers of
    the seed's own reference list."""

    table: Annotated[int, Field(ge=1)] | None = None
    section: Text
    refs: tuple[Annotated[int, Field(ge=1)], ...]

    @property
    def label(self) -> str:
        """E.g. 'seed 004 Table 1, §1.1 [20] [21]'."""
        where = f"Table {self.table}, §{self.section}" if self.table else f"§{self.section}"
        return f"seed 004 {where}" + "".join(f" [{r}]" for r in self.refs)


class Protocol(_Frozen):
    """An induction protocol of seed 004 (a Table 1 row or a variant from the text)."""

    name: Text
    title: Text
    cell_source: CellSource
    method: Method
    in_table1: bool
    steps: tuple[Step, ...] = Field(min_length=1)
    total_days: Days | None = None
    insulin_positive: ReportedYield | None = None
    glucagon_positive: ReportedYield | None = None
    function: tuple[Text, ...] = ()
    safety: tuple[Text, ...] = ()
    notes: tuple[Text, ...] = ()
    seed: SeedReference
    sources: tuple[Text, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _days_add_up(self) -> Self:
        known = [s.days for s in self.steps if s.days is not None]
        if self.in_table1 and (len(known) != len(self.steps) or self.total_days is None):
            raise ValueError("a Table 1 protocol gives the days of every step and the total")
        if self.in_table1 and self.seed.table != 1:
            raise ValueError("a Table 1 protocol cites seed table 1")
        if self.total_days is not None and len(known) == len(self.steps):
            if not math.isclose(sum(known), self.total_days):
                raise ValueError(
                    f"total_days {self.total_days:g} is not the sum of the step days "
                    f"{' + '.join(f'{d:g}' for d in known)} = {sum(known):g}"
                )
        elif self.total_days is not None:
            raise ValueError("total_days given but some step has no days")
        return self

    def reported(self, hormone: Hormone) -> ReportedYield | None:
        """The reported yield for `hormone`, or None where the seed reports none."""
        return self.insulin_positive if hormone == "insulin" else self.glucagon_positive

    def citations(self) -> tuple[str, ...]:
        """Full citations of `sources`, resolved from the reference list."""
        refs = load_references()
        return tuple(refs[key].citation for key in self.sources)

    def describe(self) -> str:
        """Printable summary: steps, media, inducers, days, yield, provenance."""
        lines = [f"{self.name}: {self.title} ({self.seed.label})"]
        for s in self.steps:
            days = f"{s.days:g} d" if s.days is not None else "days not given"
            medium = f" in {s.basal_medium}" if s.basal_medium else ""
            what = ", ".join(i.label for i in s.inducers) or (s.purpose or "")
            lines.append(f"  {s.name} ({days}){medium}: {what}")
        if self.total_days is not None:
            lines.append(f"  total {self.total_days:g} days")
        for hormone in HORMONES:
            r = self.reported(hormone)
            if r is not None:
                sd = f" +/- {r.sd_pct:g}" if r.sd_pct is not None else ""
                lines.append(f"  {hormone}-positive: {r.mean_pct:g}{sd}% ({r.what})")
        lines += [f"  function: {f}" for f in self.function]
        lines += [f"  safety: {f}" for f in self.safety]
        lines += [f"  source: {c}" for c in self.citations()]
        return "\n".join(lines)


class _ProtocolFile(_Frozen):
    schema_version: int
    protocols: dict[str, dict[str, Any]]


def parse_protocols(text: str, *, where: str = DATA_FILE) -> dict[str, Protocol]:
    """Validate a protocol document (YAML text); `ProtocolError` names the protocol and field.

    Reported yields are checked against the `ipc` parameter table and source keys against the
    reference list, so that the protocol data and the model numbers cannot drift apart.
    """
    try:
        raw = yaml.safe_load(text)
        doc = _ProtocolFile.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ProtocolError(f"{where}: not valid YAML: {_one_line(str(exc))}") from exc
    except ValidationError as exc:
        raise ProtocolError(f"{where}: {_first_error(exc)}") from exc
    if doc.schema_version != SCHEMA_VERSION:
        raise ProtocolError(
            f"{where}: schema_version must be {SCHEMA_VERSION}, not {doc.schema_version!r}"
        )
    params = load_module(PARAMETER_MODULE)
    refs = load_references()
    out: dict[str, Protocol] = {}
    for name, body in doc.protocols.items():
        try:
            p = Protocol.model_validate({"name": name, **body})
        except ValidationError as exc:
            raise ProtocolError(f"{where}: protocol {name!r}: {_first_error(exc)}") from exc
        unknown = [k for k in p.sources if k not in refs]
        if unknown:
            raise ProtocolError(f"{where}: protocol {name!r}: unknown source key {unknown[0]!r}")
        for hormone in HORMONES:
            r = p.reported(hormone)
            if r is not None:
                _check_against_table(where, name, hormone, r, params)
        out[name] = p
    return out


@functools.cache
def _load_cached() -> tuple[tuple[str, Protocol], ...]:
    text = resources.files("mscsim.product").joinpath("data", DATA_FILE).read_text("utf-8")
    return tuple(parse_protocols(text).items())


def load_protocols() -> dict[str, Protocol]:
    """All induction protocols of the package by name (a fresh dict of frozen records)."""
    return dict(_load_cached())


def protocol(name: str) -> Protocol:
    """One protocol by name; `ProtocolError` lists the known names (and a close match)."""
    protocols = load_protocols()
    try:
        return protocols[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(protocols), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProtocolError(
            f"unknown IPC protocol {name!r}{hint}; known: {', '.join(sorted(protocols))}"
        ) from None


def _check_against_table(
    where: str, name: str, hormone: str, r: ReportedYield, params: ParameterSet
) -> None:
    pairs = [(r.mean_parameter, r.mean_pct)]
    if r.sd_parameter is not None and r.sd_pct is not None:
        pairs.append((r.sd_parameter, r.sd_pct))
    for pname, pct in pairs:
        if pname not in params:
            raise ProtocolError(
                f"{where}: protocol {name!r}: {hormone} yield names parameter {pname!r}, "
                f"which the {PARAMETER_MODULE} table does not have"
            )
        if not math.isclose(params.value(pname) * 100.0, pct, abs_tol=1e-9):
            raise ProtocolError(
                f"{where}: protocol {name!r}: {hormone} yield {pct:g}% disagrees with "
                f"{PARAMETER_MODULE}.{pname} = {params.value(pname):g}"
            )


def _first_error(exc: ValidationError) -> str:
    e = exc.errors()[0]
    loc = ".".join(str(x) for x in e["loc"])
    value = e.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
    return f"{loc}: {e['msg']}{shown}" if loc else f"{e['msg']}{shown}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Yield: beta distribution of the induced fraction between batches
# --------------------------------------------------------------------------------------------


def _beta_shape(mean: float, sd: float) -> tuple[float, float]:
    """Beta(a, b) with the given mean and SD (method of moments); refuses impossible pairs."""
    if not 0.0 < mean < 1.0:
        raise ValueError(f"yield mean {mean:g} must lie strictly between 0 and 1")
    if not sd > 0.0:
        raise ValueError(f"yield SD {sd:g} must be positive")
    # A beta distribution on [0, 1] can have variance up to mean*(1 - mean), not more.
    concentration = mean * (1.0 - mean) / sd**2 - 1.0
    if concentration <= 0.0:
        raise ValueError(
            f"yield SD {sd:g} too large for mean {mean:g}: a fraction's SD must be below "
            f"sqrt(mean*(1-mean)) = {math.sqrt(mean * (1.0 - mean)):.3g}"
        )
    return mean * concentration, (1.0 - mean) * concentration


@dataclass(frozen=True)
class YieldDistribution:
    """Between-batch distribution of the induced hormone-positive fraction of one protocol.

    A beta distribution (a fraction lives on [0, 1]) with mean `mean` and SD `sd`. `reported`
    says whether the numbers are the seed's (True) or the assumed prior for protocols without
    a reported yield (False).
    """

    protocol: str
    hormone: Hormone
    mean: float
    sd: float
    passage_before_induction: float
    reported: bool
    source: str
    a: float = field(init=False)
    b: float = field(init=False)

    def __post_init__(self) -> None:
        a, b = _beta_shape(self.mean, self.sd)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)

    def sample(self, n: int, *, seed: int | np.random.Generator = 0) -> NDArray[np.float64]:
        """`n` batch yields (fractions), reproducible for a given seed."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        return rng.beta(self.a, self.b, size=n)

    def describe(self) -> str:
        origin = "reported" if self.reported else "assumed prior (no yield reported)"
        return (
            f"{self.protocol}: {self.hormone}-positive fraction {self.mean:.3f} +/- {self.sd:.3f} "
            f"between batches (Beta({self.a:.3g}, {self.b:.3g})), passage "
            f"{self.passage_before_induction:g}, {origin}; source {self.source}"
        )


def induced_yield(
    protocol_or_name: str | Protocol,
    passage_before_induction: float | None = None,
    *,
    hormone: Hormone = "insulin",
    params: ParameterSet | None = None,
) -> YieldDistribution:
    """Expected hormone-positive fraction of a protocol and its between-batch spread.

    The reported mean and SD (e.g. 68 +/- 14% insulin-positive for `bm_msc_3step`) apply to MSCs
    induced at the reference passage (`ipc_yield_reference_passage`; the default when
    `passage_before_induction` is None). Each passage beyond it lowers the mean by the factor
    exp(-`ipc_yield_loss_per_passage`) (assumed: senescent MSCs differentiate less); the beta
    concentration a + b is kept, so the SD follows sqrt(mean * (1 - mean)). Insulin yields of
    protocols the seed does not quantify use the assumed prior
    `ipc_unreported_insulin_positive_*`; a glucagon yield exists only where reported.
    """
    p = protocol(protocol_or_name) if isinstance(protocol_or_name, str) else protocol_or_name
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    r = p.reported(hormone)
    if r is not None:
        mean = ps.value(r.mean_parameter)
        if r.sd_parameter is None:
            raise ValueError(f"protocol {p.name!r}: {hormone} yield reported without an SD")
        sd = ps.value(r.sd_parameter)
        source = ps[r.mean_parameter].source
    elif hormone == "insulin":
        mean = ps.value("ipc_unreported_insulin_positive_mean")
        sd = ps.value("ipc_unreported_insulin_positive_sd")
        source = ps["ipc_unreported_insulin_positive_mean"].source
    else:
        raise ValueError(
            f"protocol {p.name!r}: seed 004 reports no {hormone}-positive fraction "
            f"(only bm_msc_3step has one)"
        )
    ref = ps.value("ipc_yield_reference_passage")
    passage = ref if passage_before_induction is None else float(passage_before_induction)
    if not math.isfinite(passage) or passage < 0:
        raise ValueError(f"passage_before_induction {passage_before_induction!r} must be >= 0")
    factor = math.exp(-ps.value("ipc_yield_loss_per_passage") * max(0.0, passage - ref))
    a, b = _beta_shape(mean, sd)
    m = mean * factor
    sd_new = math.sqrt(m * (1.0 - m) / (a + b + 1.0))
    return YieldDistribution(
        protocol=p.name,
        hormone=hormone,
        mean=m,
        sd=sd_new,
        passage_before_induction=passage,
        reported=r is not None,
        source=source,
    )


# --------------------------------------------------------------------------------------------
# Secretion, engraftment, tumourigenicity: pure equations (xp first) and parameterised wrappers
# --------------------------------------------------------------------------------------------


def ipc_secretion_xp(
    xp: ModuleType,
    glucose: Any,
    n_cells: Any,
    capacity_per_cell: float,
    half_max: float,
    hill: float,
    basal_fraction: float,
) -> Any:
    """Insulin secretion of `n_cells` engrafted IPCs at `glucose` (same unit as `half_max`):
    n * c * (b + (1 - b) G^h / (K^h + G^h)), in the unit of `capacity_per_cell` times cells."""
    g = xp.maximum(glucose, 0.0)
    gh = g**hill
    sigmoid = gh / (half_max**hill + gh)
    return n_cells * capacity_per_cell * (basal_fraction + (1.0 - basal_fraction) * sigmoid)


def engraftment_survival_xp(xp: ModuleType, days: Any, f0: float, half_life: float) -> Any:
    """Fraction of infused cells alive in the graft `days` after infusion: f0 * 2^(-t/t_half)."""
    t = xp.maximum(days, 0.0)
    return f0 * xp.exp(-math.log(2.0) * t / half_life)


def tumourigenicity_index_xp(
    xp: ModuleType, passages: Any, reference_passage: float, slope: float
) -> Any:
    """Relative signal exp(slope * (p - p_ref)): 1 at the reference passage, unbounded above."""
    return xp.exp(slope * (passages - reference_passage))


def ipc_insulin_secretion(
    glucose_mg_dl: ArrayLike,
    n_cells: ArrayLike,
    *,
    params: ParameterSet | None = None,
) -> NDArray[np.float64]:
    """Pre-hepatic insulin secretion (IU/day) of `n_cells` engrafted insulin-positive IPCs.

    Rises with glucose along Topp's beta-cell sigmoid (Hill 2, half-maximal at 141 mg/dL) above
    a constitutive floor, and saturates at `n_cells` times the per-IPC capacity
    (`ipc_secretory_capacity_fraction` of a native beta cell's 0.1 uIU/day; both assumed, see
    ipc.yaml). `n_cells` counts living, insulin-positive cells at the graft site, e.g. dose x
    `induced_yield(...).mean` x `ipc_engraftment_survival(...)`.
    """
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    g = np.asarray(glucose_mg_dl, dtype=float)
    n = np.asarray(n_cells, dtype=float)
    if np.any(n < 0):
        raise ValueError("n_cells must be >= 0")
    native = ps["ipc_native_beta_cell_max_secretion"]
    # Units are converted once, here at the edge: the table's uIU/day/cell to IU/day per cell.
    per_native_cell = (
        unit_registry().Quantity(native.value, native.unit).to("IU/day/cell").magnitude
    )
    capacity = ps.value("ipc_secretory_capacity_fraction") * float(per_native_cell)
    out = ipc_secretion_xp(
        np,
        g,
        n,
        capacity,
        ps.value("ipc_glucose_half_max"),
        ps.value("ipc_secretion_hill"),
        ps.value("ipc_basal_secretion_fraction"),
    )
    return np.asarray(out, dtype=float)


def ipc_engraftment_survival(
    days: ArrayLike,
    route: str,
    *,
    params: ParameterSet | None = None,
) -> NDArray[np.float64]:
    """Fraction of infused IPCs alive and in place `days` after infusion by `route`.

    Initial engraftment `ipc_engraftment_<route>` (IV lung trapping, intraportal IBMIR, ...)
    followed by first-order loss with half-life `ipc_graft_half_life_<route>`; all assumed
    (the seed says the in-vivo lifetime of IPCs is unknown). Immune rejection or recurrent
    autoimmunity belong to the disease module and are not in this number.
    """
    if route not in ENGRAFTMENT_ROUTES:
        raise ValueError(
            f"route {route!r} has no IPC engraftment parameters; "
            f"routes: {', '.join(ENGRAFTMENT_ROUTES)}"
        )
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    t = np.asarray(days, dtype=float)
    out = engraftment_survival_xp(
        np,
        t,
        ps.value(f"ipc_engraftment_{route}"),
        _days(ps, f"ipc_graft_half_life_{route}"),
    )
    return np.asarray(out, dtype=float)


@dataclass(frozen=True, eq=False)
class SafetySignal:
    """A safety signal with its meaning attached, so that no reader takes it for a risk.

    `value` is dimensionless and relative; `evidence_level` is always 'exploratory'.
    """

    name: str
    value: NDArray[np.float64]
    expansion_passages: NDArray[np.float64]
    interpretation: str
    source: str
    evidence_level: Literal["exploratory"] = "exploratory"
    is_probability: Literal[False] = False

    def __post_init__(self) -> None:
        if np.any(~np.isfinite(self.value)) or np.any(self.value < 0):
            raise ValueError(f"{self.name}: signal must be finite and >= 0")

    def describe(self) -> str:
        vals = ", ".join(f"{v:.3g}" for v in np.atleast_1d(self.value))
        return f"{self.name} [{self.evidence_level}] = {vals}. {self.interpretation}"


def tumourigenicity_risk(
    expansion_passages: ArrayLike,
    *,
    params: ParameterSet | None = None,
) -> SafetySignal:
    """Exploratory tumourigenicity signal of IPCs made from MSCs after long in-vitro expansion.

    exp(slope * (passages - reference)): 1 at the reference passage (4), rising without bound
    as expansion goes on, after Tang 2012 (seed 004 ref [23]: IPCs from long-term cultures ran
    a risk of malignant transformation in diabetic mice). It ranks expansion histories; it is not
    a probability or an incidence of cancer, and its slope is assumed (see ipc.yaml).
    """
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    p = np.asarray(expansion_passages, dtype=float)
    if np.any(~np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"expansion_passages must be finite and >= 0, got {expansion_passages!r}")
    value = tumourigenicity_index_xp(
        np,
        p,
        ps.value("ipc_tumourigenicity_reference_passage"),
        ps.value("ipc_tumourigenicity_slope"),
    )
    return SafetySignal(
        name="ipc_tumourigenicity_signal",
        value=np.asarray(value, dtype=float),
        expansion_passages=p,
        interpretation=TUMOURIGENICITY_INTERPRETATION,
        source=ps["ipc_tumourigenicity_slope"].source,
    )


def _days(ps: ParameterSet, name: str) -> float:
    p = ps[name]
    return float(unit_registry().Quantity(p.value, p.unit).to("day").magnitude)


def protocol_names() -> tuple[str, ...]:
    """Names of the packaged protocols, sorted."""
    return tuple(sorted(load_protocols()))


__all__ = [
    "ENGRAFTMENT_ROUTES",
    "TUMOURIGENICITY_INTERPRETATION",
    "Inducer",
    "Protocol",
    "ProtocolError",
    "ReportedYield",
    "SafetySignal",
    "SeedReference",
    "Step",
    "YieldDistribution",
    "engraftment_survival_xp",
    "induced_yield",
    "ipc_engraftment_survival",
    "ipc_insulin_secretion",
    "ipc_secretion_xp",
    "load_protocols",
    "parse_protocols",
    "protocol",
    "protocol_names",
    "tumourigenicity_index_xp",
    "tumourigenicity_risk",
]
