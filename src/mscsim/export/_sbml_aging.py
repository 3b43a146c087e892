"""SBML export of one virtual patient of an aging disease (issue 6): the full model of one arm.

One writer serves the six aging diseases (osteoporosis, Parkinson's, Alzheimer's,
atherosclerosis, COPD, tumour). Each disease module under `export._aging` describes its part:
which parameter table entry each field of the physiology module's parameter record comes from
(and in which model unit), a function that writes its states, rate rules and endpoints
(transcribed from the module's xp-generic rate and observable functions), and how an arm's
product reaches the tissue (`Delivery`). This module does the rest the same way for every
disease:

- Patient K of an arm is built exactly as `mscsim run` builds it (`trial._aging_run`): the
  population of the scenario's seed and criteria, the arm's exposure (`model.exposure`), the
  arm's inputs and the standard of care.
- Every parameter carries its model unit and its source: a table entry in the unit the
  physiology module reads it in (`value_in`), or, where patient K's value differs from the
  table's (a random effect), the patient's value with the table entry named.
- The product's exposure is linear delivery: each dosing day an event puts the dose's share into
  the delivery compartments, their first-order kinetics are rate rules, and the tissue exposure
  and signal s = E / (E + n50) are assignment rules. These are the compartments whose exact
  solutions are the run's kernels (`trial._aging._exposure`), so the signal is the run's.

The run steps the states by RK4 (a quarter day) with the exact signal; libRoadRunner integrates
the same rates to its tolerances, so the two agree to the run's step error.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mscsim._version import __version__
from mscsim.export._sbml_common import ExportError, SbmlBuilder, check, safe_id, xhtml
from mscsim.params import ParameterSet, load_parameters, value_in
from mscsim.physiology import msc_core
from mscsim.scenario import Arm, Scenario
from mscsim.trial._aging import AGING_DISEASES, AgingDisease, disease_model
from mscsim.trial._aging._model import patient
from mscsim.trial._aging_run import _arm_inputs, sample_population
from mscsim.trial._support import check_supported, is_active

# Parameter field -> (table entry or "" for a patient-only value, model unit, note).
FieldSpec = Mapping[str, tuple[str, str, str]]


@dataclass(frozen=True)
class Delivery:
    """How one arm's product reaches the disease's tissue, as linear compartments.

    kind: `decay` (a share arrives at once and clears first-order: `_exposure.decay`),
    `arrive_and_decay` (copd._lung: arrival over `arrival`, then clearance:
    `_exposure.arrive_and_decay`) or `msc_core` (the MSC core's six compartments from the
    route's first pass: `_exposure.core_kernel`). `fraction` is the formula of the share of a
    dose (in MSC-equivalents per unit of dose) that enters; `tables` the table entries (name,
    model unit) the formulas read; `half_life` and `arrival` table entries; `n50` the
    half-saturating exposure ("" where the signal is the exposure itself, e.g. homed cells).
    """

    kind: str
    tables: tuple[tuple[str, str], ...]
    n50: str
    fraction: str = "1 dimensionless"
    half_life: str = ""
    arrival: str = ""
    route: str = ""
    weighted_target: bool = False  # msc_core: target cells count n50_systemic / n50_local
    note: str = ""


@dataclass(frozen=True)
class DiseaseExport:
    """The disease-specific part of the export (one small module per disease)."""

    name: str
    parameters: FieldSpec  # fields of the physiology parameter record (nested ones flattened)
    write: Callable[[AgingBuilder, AgingPatientModel], None]  # states, rules, endpoints
    delivery: Callable[[Arm, Mapping[str, float]], Delivery]
    notes: tuple[str, ...] = ()  # model notes (what the file is, unit caveats)
    tissue: str = "tissue"
    signal_is_cells: bool = False  # the signal is the exposure itself (homed cells), no n50


@dataclass(frozen=True)
class AgingPatientModel:
    """Everything specific to virtual patient K of one arm of an aging-disease scenario."""

    scenario: str
    arm: str
    index: int
    patient_id: int
    seed: int
    disease: str
    params: Any  # the physiology module's parameter record, patient K's floats
    initial: Mapping[str, float]  # states at enrolment
    extra: Mapping[str, float]  # per-patient and per-arm inputs of the rates and observables
    background: Mapping[str, float]  # therapies the module models -> 1 (standard of care) or 0
    active_arm: Arm | None  # the arm, None for a control arm
    form: str
    dose_amount: float  # dose x weight (per-kg doses) x potency, per administration
    dose_days: tuple[float, ...]
    duration_days: int
    signal_name: str
    endpoints: tuple[str, ...] = field(default=())


def _export_of(disease: str) -> DiseaseExport:
    record = importlib.import_module(f"mscsim.export._aging._{disease}").EXPORT
    assert isinstance(record, DiseaseExport)
    return record


def aging_arm_patient_models(
    scenario: Scenario, arm_name: str
) -> tuple[ParameterSet, list[AgingPatientModel]]:
    """Parameters and every patient of one arm, built as `trial._aging_run` builds them."""
    check_supported(scenario)
    if scenario.disease not in AGING_DISEASES:
        raise ExportError(f"disease {scenario.disease!r} is not an aging disease")
    names = [a.name for a in scenario.arms]
    if arm_name not in names:
        raise ExportError(f"arm {arm_name!r} is not in the scenario; its arms: {', '.join(names)}")
    g = names.index(arm_name)
    model: AgingDisease = disease_model(scenario.disease)
    params = load_parameters(*model.parameter_modules, "msc_core", "aging_trial")
    v = params.flat()
    cohort, candidate_ids = sample_population(scenario, model, v)
    exposures = [
        model.exposure(arm if is_active(arm) else None, cohort, v) for arm in scenario.arms
    ]
    inputs = _arm_inputs(scenario, model, exposures, v)[g]
    background = {t: 1.0 if t in {str(x) for x in scenario.standard_of_care} else 0.0
                  for t in model.therapies}  # fmt: skip
    arm = scenario.arms[g]
    exp = exposures[g]
    models = []
    for k in range(len(candidate_ids)):
        extra = {key: float(a[k]) for key, a in cohort.extra.items()} | dict(inputs)
        models.append(
            AgingPatientModel(
                scenario=scenario.name,
                arm=arm_name,
                index=k,
                patient_id=int(candidate_ids[k]),
                seed=int(scenario.population.seed),
                disease=scenario.disease,
                params=patient(cohort.params, k),
                initial=patient(cohort.initial, k)._asdict(),
                extra=extra,
                background=background,
                active_arm=arm if is_active(arm) and exp.days else None,
                form=exp.form,
                dose_amount=float(exp.amount[k]) if exp.days else 0.0,
                dose_days=tuple(exp.days),
                duration_days=int(scenario.duration_days),
                signal_name=model.signal_name,
                endpoints=tuple(model.endpoint_units),
            )
        )
    return params, models


def aging_sbml_model(m: AgingPatientModel, params: ParameterSet) -> str:
    """The SBML document of one aging-disease patient (libsbml consistency errors raise)."""
    builder = AgingBuilder(m, params)
    builder.build()
    return builder.text()


def _flat_fields(record: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in record._asdict().items():
        if hasattr(value, "_asdict"):
            out |= _flat_fields(value)
        else:
            out[name] = float(value)
    return out


class AgingBuilder(SbmlBuilder):
    """The generic writer; the disease's `write` adds its states, rules and endpoints."""

    def __init__(self, m: AgingPatientModel, params: ParameterSet) -> None:
        super().__init__(m, params)
        self.m = m
        self.spec = _export_of(m.disease)

    # -- parameters --

    def tabled(self, name: str, unit: str, pid: str = "") -> None:
        """A table entry in the model unit the physiology module reads it in (`value_in`)."""
        rec = self.params[name]
        p = self._parameter(pid or name, value_in(self.params, name, unit), unit, constant=True)
        self._annotate(
            p,
            source=rec.source,
            provenance=rec.provenance,
            note=rec.note,
            module=rec.module,
            table_name=rec.name,
            table_unit=rec.unit,
            calibrated_to=rec.calibrated_to,
        )

    def record_parameters(self) -> None:
        """Each field of the physiology parameter record: the table entry, or patient K's value
        where the cohort's random effects (or the cohort builder) set it."""
        values = _flat_fields(self.m.params)
        if set(values) != set(self.spec.parameters):
            missing = sorted(set(values) ^ set(self.spec.parameters))
            raise ValueError(f"{self.m.disease}: parameter fields not described: {missing}")
        for fname, (table, unit, note) in self.spec.parameters.items():
            value = values[fname]
            if table and math.isclose(value, value_in(self.params, table, unit), rel_tol=1e-12):
                self.tabled(table, unit)
            else:
                ref = f"; the cohort's reference is table entry {table}" if table else ""
                self.patient_value(table or fname, value, unit, f"{note}{ref}")

    def values(self, names: Mapping[str, tuple[str, str]], source: Mapping[str, float]) -> None:
        """Patient or arm inputs (`extra`): id -> (unit, note)."""
        for pid, (unit, note) in names.items():
            self.patient_value(pid, float(source[pid]), unit, note)

    def therapies(self, notes: Mapping[str, str]) -> None:
        for therapy, note in notes.items():
            on = self.m.background[therapy]
            self.constant(
                therapy,
                on,
                "dimensionless",
                f"{note}: 1 when the scenario's standard of care names it (every arm), else 0",
                provenance="scenario (standard_of_care)",
            )

    def max0(self, x: str) -> str:
        """max(x, 0) of a dimensionless expression, as the rate functions' xp.maximum."""
        return f"piecewise({x}, {x} > 0 dimensionless, 0 dimensionless)"

    # -- the model --

    def build(self) -> None:
        m, model = self.m, self.model
        model.setId(f"mscsim_{m.disease}_{safe_id(m.arm)}_patient_{m.index}")
        model.setName(f"{m.scenario}: arm {m.arm}, patient {m.index} (full {m.disease} model)")
        model.setTimeUnits(self.unit("day"))
        check(model.setNotes(xhtml(*self._model_notes())), "model notes")
        self.record_parameters()
        self._exposure()
        self.spec.write(self, m)

    def _model_notes(self) -> list[str]:
        m = self.m
        product = "none (control arm)"
        if m.active_arm is not None and m.active_arm.regimen is not None:
            r = m.active_arm.regimen
            product = (
                f"{m.form} {r.dose:g} {r.dose_unit} by {r.route} on days "
                f"{', '.join(f'{d:g}' for d in m.dose_days)}"
            )
        soc = ", ".join(t for t, on in m.background.items() if on) or "none modelled"
        return [
            f"mscsim {__version__} export of scenario {m.scenario!r}, arm {m.arm!r}, patient "
            f"{m.index} of the arm (patient_id {m.patient_id}, population seed {m.seed}).",
            f"Full {m.disease} model of mscsim (trial._aging_run, physiology.{m.disease}): the "
            "disease states as rate rules, the product's delivery compartments as rate rules "
            f"filled by dosing events, the {self.spec.tissue} exposure, the signal "
            f"{m.signal_name} and the endpoints ({', '.join(m.endpoints)}) as assignment "
            "rules. Time unit: day. Starts at the patient's enrolment state.",
            f"Product: {product}. Standard of care: {soc}.",
            *self.spec.notes,
            f"Simulate to day {m.duration_days}; state ids are the variable names of "
            "trajectories.nc. A dose on day d enters at d (the run counts it from the step "
            "that starts on day d), so output at d shows the signal after that day's dose, "
            "as the run records it.",
            "Exploratory: the MSC effect sizes are animal evidence or assumed.",
        ]

    def _exposure(self) -> None:
        m = self.m
        sig = m.signal_name
        if m.active_arm is None:
            self.constant(
                "msc_exposure",
                0.0,
                "cell",
                f"no product reaches the {self.spec.tissue} (control arm)",
                provenance="scenario (arm)",
            )
            if self.spec.signal_is_cells:
                self.rule(sig, "msc_exposure", "cell", f"MSCs at the {self.spec.tissue}: none")
            else:
                self.rule(sig, "0 dimensionless", "dimensionless", "no signal (control arm)")
            return
        d = self.spec.delivery(m.active_arm, self.params.flat())
        for name, unit in d.tables:
            self.tabled(name, unit)
        amount, per_eq = m.dose_amount, ""
        if m.form == "exosomes":
            # In MSC-equivalents: the registry's bare `particle` resolves to pint's
            # 1/N_A mole (a pint default), so a particle-valued parameter would get a wrong
            # SBML unit; particle/cell converts correctly.
            unit = "particle/cell"
            amount /= value_in(self.params, "brain_particles_per_msc_equivalent", unit)
            per_eq = " / brain_particles_per_msc_equivalent (MSC-equivalents)"
        self.patient_value(
            "dose_amount",
            amount,
            "cell",
            f"{m.form} per administration: dose x weight for per-kg doses (x particles per ug "
            "for protein doses)"
            + per_eq
            + (
                ""
                if self.spec.signal_is_cells
                else " x the product's potency "
                "(msc_core.product_potency, with the viable share of cells)"
            ),
        )
        self.rule(
            "dose_to_tissue",
            f"dose_amount * {d.fraction}",
            "cell",
            f"MSC-equivalents of one dose entering the delivery compartments ({d.note})",
        )
        into = self._compartments(d)
        for j, day in enumerate(m.dose_days):
            self.event(
                f"dose_{j}_day_{safe_id(f'{day:g}')}",
                f"time >= {day!r} day",
                1,
                {cid: f"{cid} + {share}" for cid, share in into.items()},
            )
        if not self.spec.signal_is_cells:
            self.rule(
                sig,
                f"msc_exposure / (msc_exposure + {d.n50})",
                "dimensionless",
                f"{self.spec.tissue} signal s = E / (E + n50) in [0, 1)",
            )
        else:
            self.rule(sig, "msc_exposure", "cell", f"MSCs at the {self.spec.tissue} (cells)")

    def _compartments(self, d: Delivery) -> dict[str, str]:
        """Rate rules of the delivery compartments; returns what a dose adds to each."""
        tissue = self.spec.tissue
        if d.kind in ("decay", "arrive_and_decay"):
            self.derived(
                "k_clearance",
                f"ln(2 dimensionless) / {d.half_life}",
                "1/day",
                f"first-order clearance from the {tissue} (ln 2 / half-life)",
            )
        if d.kind == "decay":
            self.state(
                "msc_tissue",
                0.0,
                "cell",
                "-k_clearance * msc_tissue",
                f"product at the {tissue}, MSC-equivalents (_exposure.decay)",
            )
            self.rule("msc_exposure", "msc_tissue", "cell", f"exposure of the {tissue}")
            return {"msc_tissue": "dose_to_tissue"}
        if d.kind == "arrive_and_decay":
            self.derived(
                "tau_arrive",
                f"{d.arrival} / 3 dimensionless",
                "day",
                "arrival time constant: 95% of the dose has arrived by the arrival time",
            )
            self.state(
                "msc_arriving",
                0.0,
                "cell",
                "-(1 dimensionless / tau_arrive + k_clearance) * msc_arriving",
                f"cells of the dose on their way to the {tissue}, cleared at the same rate "
                "(with msc_tissue: f D (1 - exp(-tau / tau_arrive)) exp(-k tau), copd._lung)",
            )
            self.state(
                "msc_tissue",
                0.0,
                "cell",
                "msc_arriving / tau_arrive - k_clearance * msc_tissue",
                f"cells in the {tissue}",
            )
            self.rule("msc_exposure", "msc_tissue", "cell", f"exposure of the {tissue}")
            return {"msc_arriving": "dose_to_tissue"}
        if d.kind != "msc_core":
            raise ValueError(f"delivery kind {d.kind!r} unknown")
        for comp in ("blood_transit", "lung", "liver", "spleen", "target", "other"):
            short = comp.removesuffix("_transit")
            self.derived(
                f"k_msc_{short}",
                f"ln(2 dimensionless) / {comp}_half_life",
                "1/day",
                f"first-order rate of leaving {short} (ln 2 / half-life)",
            )
        self.derived(
            "flow_fraction_other",
            "1 dimensionless - flow_fraction_liver - flow_fraction_spleen - flow_fraction_pancreas",
            "dimensionless",
            "share of arterial MSCs reaching organs not modelled apart",
        )
        self.msc_states(target_name=tissue)
        ids = [f"msc_{c}" for c in msc_core.COMPARTMENTS]
        terms = [
            f"{c} * n50_systemic / n50_local" if d.weighted_target and c == "msc_target" else c
            for c in ids
        ]
        self.rule(
            "msc_exposure",
            " + ".join(terms),
            "cell",
            "live cells anywhere act systemically"
            + ("; cells held in the target bed count n50_systemic / n50_local" if
               d.weighted_target else ""),
        )  # fmt: skip
        if d.route == "intracoronary":
            start = {
                "msc_target": "dose_to_tissue * arterial_first_pass_arrest",
                "msc_lung": "dose_to_tissue * (1 dimensionless - arterial_first_pass_arrest)"
                " * lung_first_pass_trapping",
                "msc_blood": "dose_to_tissue * (1 dimensionless - arterial_first_pass_arrest)"
                " * (1 dimensionless - lung_first_pass_trapping)",
            }
        elif d.route == "iv":
            start = {
                "msc_lung": "dose_to_tissue * lung_first_pass_trapping",
                "msc_blood": "dose_to_tissue * (1 dimensionless - lung_first_pass_trapping)",
            }
        else:
            raise ExportError(f"route {d.route!r}: the MSC core's first pass is not exported")
        return start


MSC_CORE_TABLES: tuple[tuple[str, str], ...] = tuple(
    (name, unit)
    for name, unit in (
        ("blood_transit_half_life", "day"),
        ("lung_half_life", "day"),
        ("liver_half_life", "day"),
        ("spleen_half_life", "day"),
        ("target_half_life", "day"),
        ("other_half_life", "day"),
        ("flow_fraction_liver", "dimensionless"),
        ("flow_fraction_spleen", "dimensionless"),
        ("flow_fraction_pancreas", "dimensionless"),
        ("lung_release_fraction", "dimensionless"),
        ("lung_first_pass_trapping", "dimensionless"),
        ("arterial_first_pass_arrest", "dimensionless"),
    )
)


def per_equivalent_tables(form: str) -> tuple[tuple[str, str], ...]:
    """The table entry that converts an exosome dose to MSC-equivalents (`dose_amount`)."""
    if form == "exosomes":
        return (("brain_particles_per_msc_equivalent", "particle/cell"),)
    return ()


def states_of(
    b: AgingBuilder,
    m: AgingPatientModel,
    spec: Mapping[str, tuple[str, str, str]],
    renamed: Mapping[str, str] | None = None,
) -> None:
    """Write the states of the physiology state record: field -> (unit, rate formula, note),
    in the record's order, at patient K's enrolment values; `renamed` gives an SBML id where
    the field's name is taken by an endpoint of the same name."""
    ids = renamed or {}
    if list(spec) != list(m.initial):
        raise ValueError(f"{m.disease}: states {list(m.initial)} but rates for {list(spec)}")
    for name, (unit, rate, note) in spec.items():
        b.state(ids.get(name, name), float(m.initial[name]), unit, rate, note)


__all__ = [
    "AgingBuilder",
    "AgingPatientModel",
    "Delivery",
    "DiseaseExport",
    "aging_arm_patient_models",
    "aging_sbml_model",
]
