"""SBML export of one virtual patient: the full, un-reduced T2DM model of one arm (DESIGN.md).

The exported model is the model of the SciPy reference path (`_reference.simulate_reference`),
written out for libRoadRunner and other SBML tools: glucose and insulin are dynamic (Topp 2000
with exogenous insulin), the slow states and the MSC compartments are rate rules, the MSC
secretome signals and the clinical observables are assignment rules, and dosing is SBML events.
Patient K of an arm is built exactly as `mscsim run` builds it (`trial._run.sample_population`
with the scenario's seed and criteria, then standard of care, product potency and dosing of the
arm), so the file reproduces that patient's row of `trajectories.nc`.

Three things differ in form, not in content, from the engine:

* Fasting glucose. The engine solves the fasting quasi-steady state by Newton iterations; SBML
  cannot call a solver, so the model carries a second glucose-insulin pair driven by the
  fasting (hepatic) appearance, which relaxes to that quasi-steady state. At physiological
  speed (hours) it lags by up to 1% of FPG in the days after an MSC dose, when the states that
  move it change fastest, so the pair's vector field is scaled by `fasting_pair_speedup` (same
  steady state, reached 100 times faster); its lag is checked in `tests/test_export_sbml.py`.
* Events. Days are integers. At the start of day 7k (k >= 1, before the end of the run) the
  insulin dose is titrated from the fasting glucose of the state at that instant (one repeating
  event, priority 2), then the MSC dose of that day jumps in (one event per dosing day,
  priority 1): the engine's order. Dose triggers are `time >= d` with `initialValue = false`, so
  a dose on day 0 fires at t = 0; all events are `persistent` with `useValuesFromTriggerTime`
  (no delays, so values at trigger and at execution are the same). Output at an event time
  shows the state after its events, while the run records a day before its jumps.
* Cells. Below one live cell in every compartment the engine drops the MSCs; an event does the
  same here (per patient, where the engine waits for the whole population), which also keeps
  the solver away from denormal cell numbers years after a dose.

Every parameter of the equations is a global parameter with its value and unit (SBML unit
definitions built from the parameter table's pint units; the time unit is the day) and carries
its source key, provenance and citation (notes, an `mscsim:parameter` annotation and, where the
reference has a DOI, a `bqbiol:isDescribedBy` term). Values specific to patient K are parameters
with a note saying so. State ids are the variable names of `trajectories.nc`.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import cast

import jax
import libsbml
import numpy as np

from mscsim._version import __version__
from mscsim.engine._fast import MSC_NEGLIGIBLE_CELLS
from mscsim.engine._reference import QSS_ITERS, patient_at, slow_at
from mscsim.engine._schedule import make_grid, titration_days
from mscsim.params import ParameterSet, load_parameters, load_references, unit_registry
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._baseline import shared_constants
from mscsim.physiology.t2dm._equations import (
    Patient,
    Shared,
    Slow,
    endogenous_insulin_coeff,
    glucose_appearance,
    glucose_qss,
    secretion_fraction,
)
from mscsim.physiology.t2dm._observables import (
    MG_DL_PER_MMOL_L,
    PMOL_L_PER_NG_ML_CPEPTIDE,
)
from mscsim.scenario import Scenario
from mscsim.trial._arms import arm_dosing, arm_patient, standard_of_care
from mscsim.trial._run import PARAMETER_MODULES, sample_population
from mscsim.trial._support import check_supported

SBML_LEVEL, SBML_VERSION = 3, 2
# The fasting pair runs this many times faster than physiology (see `_constants`): measured on 200
# patients of the default scenario, its lag behind the fasting quasi-steady state is 1e-2 at 1,
# 1e-3 at 10 and 1e-4 at 100, at 17% more libRoadRunner time than at 1.
FASTING_PAIR_SPEEDUP = 100.0
MSCSIM_NS = "https://mscsim.org/sbml/provenance"

# Slow states -> their names in trajectories.nc (and SBML ids).
STATE_IDS: Mapping[str, str] = {
    "beta_mass": "beta_mass_mg",
    "beta_function": "beta_function",
    "insulin_sensitivity": "insulin_sensitivity",
    "m1_fraction": "m1_fraction",
    "hba1c": "hba1c_pct",
    "treg_pct": "treg_pct",
}
MSC_IDS: tuple[str, ...] = tuple(f"msc_{c}" for c in msc_core.COMPARTMENTS)

# Observables written as assignment rules (names and units of endpoints.csv / trajectories.nc).
OBSERVABLE_IDS: tuple[str, ...] = (
    "fpg_mmol_l",
    "mean_glucose_mmol_l",
    "c_peptide_ng_ml",
    "insulin_iu_kg_day",
    "fasting_insulin_uu_ml",
    "homa_ir",
    "homa_b",
    "cpgr",
    "inflammation_index",
)

# Units of the states and of patient-specific values (pint expressions of the shared registry).
_STATE_UNITS: Mapping[str, str] = {
    "beta_mass_mg": "mg",
    "beta_function": "dimensionless",
    "insulin_sensitivity": "mL/uU/day",
    "m1_fraction": "dimensionless",
    "hba1c_pct": "percent",
    "treg_pct": "percent",
}
_PATIENT_FIELDS: Mapping[str, tuple[str, str]] = {
    "weight_kg": ("kg", "body weight"),
    "si_base": ("mL/uU/day", "insulin sensitivity without inflammation change or MSC effect"),
    "death_multiplier": (
        "dimensionless",
        "beta-cell death relative to Topp's d0, set so that the untreated mass falls at the "
        "patient's UKPDS decline rate",
    ),
    "m1_setpoint": ("dimensionless", "disease set point of the M1 share of tissue macrophages"),
    "infl0": ("dimensionless", "inflammation index at enrolment"),
    "duration0_years": ("year", "diabetes duration at enrolment"),
    "c_exo": ("uU*day/mL/IU", "steady plasma insulin per IU/day of exogenous insulin"),
    "fpg_goal": ("mg/dL", "fasting glucose at which the patient's usual-care titration settled"),
    "treg_setpoint": ("percent", "regulatory T cells, % of CD4+ T cells, without MSC"),
    "insulin_max": ("IU/day", "largest daily insulin dose"),
    "insulin_ref": ("IU/day", "stable insulin dose at enrolment (usual-care titration anchor)"),
    "hgp_factor": ("dimensionless", "hepatic glucose output relative to no metformin"),
    "titration_mode": ("dimensionless", "0 usual care (proportional), 1 treat-to-target"),
    "insulin_treated": ("dimensionless", "1 if the patient is titrated on insulin, else 0"),
    "potency_imm": ("dimensionless", "immunomodulatory potency of the arm's product (0: none)"),
    "potency_tro": ("dimensionless", "trophic potency of the arm's product (0: none)"),
    "licensing_pre": ("dimensionless", "licensing present at infusion (preconditioning)"),
    "isr_conv": (
        "pmol*mL*day/min/uU",
        "pre-hepatic insulin secretion (pmol/min) per uU/mL/day of Topp secretion",
    ),
    "cpep_k1": ("1/min", "C-peptide kinetics k1 (Van Cauter 1992 standard parameters)"),
    "cpep_k2": ("1/min", "C-peptide kinetics k2"),
    "cpep_k3": ("1/min", "C-peptide kinetics k3 (elimination from the central compartment)"),
    "cpep_vd_l": ("L", "C-peptide central distribution volume"),
}

# Table parameters the equations use. Three riddle2003 steps are stored in the table with the
# unit IU, but each is a change of the daily dose, so in the model they are IU/day.
_TABLE_UNIT_OVERRIDES: Mapping[str, str] = {
    "ttt_step": "IU/day",
    "ttt_max_step": "IU/day",
    "ttt_hypo_reduction": "IU/day",
}
_TABLE_PARAMETERS: tuple[str, ...] = (
    # Topp 2000
    "R0", "EG0", "sigma", "alpha", "k", "d0", "r1", "r2", "beta_healthy",
    # T2DM module
    "beta_turnover_time", "beta_function_recovery_rate", "glucotoxicity_gain",
    "inflammation_dysfunction_gain", "glucose_reference", "inflammation_beta_death_gain",
    "protection_max", "function_recovery_max", "neogenesis_max", "progenitor_decay_time",
    "inflammation_si_gain", "si_relaxation_rate", "sensitisation_max",
    "macrophage_repolarisation_rate", "m1_switch_rate_max", "m1_fraction_healthy",
    "treg_turnover_rate", "treg_induction_max", "treg_max_pct", "hba1c_time_constant",
    "adag_slope", "adag_intercept", "fasting_appearance_fraction", "titration_interval",
    "titration_elasticity", "titration_adherence", "ttt_fpg_goal", "ttt_step", "ttt_max_step",
    "ttt_hypo_threshold", "ttt_hypo_reduction",
    # MSC core
    "blood_transit_half_life", "flow_fraction_liver", "flow_fraction_spleen",
    "flow_fraction_pancreas", "lung_half_life", "lung_release_fraction", "liver_half_life",
    "spleen_half_life", "target_half_life", "other_half_life", "n50_systemic", "n50_local",
    "licensing_max",
)  # fmt: skip

# Pint base dimensions -> SBML unit kinds. An international unit of insulin is 6 nmol
# (Volund 1993: 1 uIU/mL = 6.00 pmol/L), so insulin amounts convert to moles.
_SBML_KINDS: Mapping[str, tuple[int, float]] = {
    "kilogram": (libsbml.UNIT_KIND_KILOGRAM, 1.0),
    "meter": (libsbml.UNIT_KIND_METRE, 1.0),
    "second": (libsbml.UNIT_KIND_SECOND, 1.0),
    "mole": (libsbml.UNIT_KIND_MOLE, 1.0),
    "IU": (libsbml.UNIT_KIND_MOLE, 6.0e-9),
    "cell": (libsbml.UNIT_KIND_ITEM, 1.0),
}


class ExportError(ValueError):
    """A request the export cannot serve (unknown arm, patient out of range); one line."""


@dataclass(frozen=True)
class PatientModel:
    """Everything specific to virtual patient K of one arm, as plain floats in model units."""

    scenario: str
    arm: str
    index: int  # row within the arm
    patient_id: int  # candidate id of the population (`patient_id` in trajectories.nc)
    seed: int
    patient: Patient
    slow0: Slow
    dose0: float  # insulin IU/day at day 0
    dose_cells_by_day: Mapping[int, float]  # live cells infused per dosing day
    route: str | None
    route_vector: tuple[float, ...]  # where one live cell lands on first pass, per compartment
    titration_days: tuple[int, ...]
    duration_days: int
    standard_of_care: tuple[str, ...]


def arm_patient_models(
    scenario: Scenario, arm_name: str
) -> tuple[ParameterSet, list[PatientModel]]:
    """Parameters and every patient of one arm, built as `mscsim run` builds them."""
    check_supported(scenario)
    names = [a.name for a in scenario.arms]
    if arm_name not in names:
        raise ExportError(f"arm {arm_name!r} is not in the scenario; its arms: {', '.join(names)}")
    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()
    arm = scenario.arms[names.index(arm_name)]
    # As in trial._run.simulate: the population is sampled with 64-bit arrays.
    with jax.enable_x64(True):
        base, candidate_ids = sample_population(scenario, params)
    grid = make_grid(int(scenario.duration_days), scenario.visits_days)
    pat = arm_patient(arm, standard_of_care(base.patient, scenario.standard_of_care, v), v)
    dosing = arm_dosing(arm, pat, grid, v)
    amount = np.asarray(dosing.amount)
    per_day = {
        int(d): float(a)
        for d, a in zip(grid.day[grid.active], amount[grid.active], strict=True)
        if a != 0.0
    }
    titr = tuple(int(d) for d in grid.day[titration_days(grid, v["titration_interval"])])
    route = str(arm.regimen.route) if arm.regimen is not None and per_day else None
    scale = np.asarray(dosing.scale, dtype=np.float64)
    models = [
        PatientModel(
            scenario=scenario.name,
            arm=arm_name,
            index=k,
            patient_id=int(candidate_ids[k]),
            seed=int(scenario.population.seed),
            patient=patient_at(pat, k),
            slow0=slow_at(base.slow, k),
            dose0=float(base.insulin_dose[k]),
            dose_cells_by_day={d: a * float(scale[k]) for d, a in per_day.items()},
            route=route,
            route_vector=tuple(float(x) for x in np.asarray(dosing.route)),
            titration_days=tuple(sorted(titr)),
            duration_days=int(scenario.duration_days),
            standard_of_care=tuple(str(t) for t in scenario.standard_of_care),
        )
        for k in range(len(candidate_ids))
    ]
    return params, models


def export_sbml(scenario: Scenario, arm_name: str, patient_index: int) -> str:
    """SBML Level 3 Version 2 text of the full model of patient `patient_index` of an arm."""
    n = int(scenario.population.n)
    if not 0 <= patient_index < n:
        raise ExportError(
            f"patient {patient_index} is out of range; each arm has patients 0..{n - 1}"
        )
    params, models = arm_patient_models(scenario, arm_name)
    return sbml_model(models[patient_index], params)


def write_sbml(scenario: Scenario, arm_name: str, patient_index: int, path: str | Path) -> Path:
    """Export and write atomically: the file appears whole (or an old one stays untouched)."""
    text = export_sbml(scenario, arm_name, patient_index)
    return write_text_atomic(text, Path(path))


def write_text_atomic(text: str, path: Path) -> Path:
    """Write beside `path`, then rename over it (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # open(..., "x") rather than mkstemp: the file gets the user's umask, not mode 0600.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def sbml_model(m: PatientModel, params: ParameterSet) -> str:
    """The SBML document of one patient (validated: libsbml consistency errors raise)."""
    builder = _Builder(m, params)
    builder.build()
    return builder.text()


# --- construction --------------------------------------------------------------------------


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"libsbml: {what} failed: {libsbml.OperationReturnValue_toString(code)}")


def _unit_id(unit: str) -> str:
    """An SBML id for a pint unit expression, e.g. 'mL/uU/day' -> 'mL_per_uU_per_day'."""
    uid = unit.replace(" ", "").replace("**", "").replace("/", "_per_").replace("*", "_")
    return "per_" + uid[len("1_per_") :] if uid.startswith("1_per_") else uid


def _xhtml(*paragraphs: str) -> str:
    body = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


class _Builder:
    def __init__(self, m: PatientModel, params: ParameterSet) -> None:
        self.m = m
        self.params = params
        self.refs = load_references()
        self.sh: Shared = shared_constants(params.flat(), msc_core.index("target"))
        self.doc = libsbml.SBMLDocument(SBML_LEVEL, SBML_VERSION)
        self.model = self.doc.createModel()
        self.units: dict[str, str] = {}  # SBML unit id -> pint expression

    # -- units --

    def unit(self, unit: str) -> str:
        """The SBML unit id of a pint unit expression (defined on first use)."""
        if unit in ("dimensionless", "1", ""):
            return "dimensionless"
        uid = _unit_id(unit)
        known = self.units.get(uid)
        if known is not None:
            if known != unit:
                raise ValueError(f"unit ids clash: {known!r} and {unit!r} -> {uid}")
            return uid
        q = unit_registry().Quantity(1.0, unit).to_base_units()
        factor = float(q.magnitude)
        parts: list[tuple[int, float]] = []
        for name, power in q.unit_items():
            exponent = float(cast(float, power))  # pint types it as any number; here int/float
            kind, per_unit = _SBML_KINDS[name]
            factor *= per_unit**exponent
            parts.append((kind, exponent))
        if not parts:
            parts = [(libsbml.UNIT_KIND_DIMENSIONLESS, 1.0)]
        # The scale factor goes on a part with exponent +-1 where there is one (exact roots).
        j = next((i for i, (_, e) in enumerate(parts) if abs(e) == 1.0), 0)
        ud = self.model.createUnitDefinition()
        _check(ud.setId(uid), f"unit {uid}")
        ud.setName(unit)
        for i, (kind, exponent) in enumerate(parts):
            u = ud.createUnit()
            u.setKind(kind)
            u.setExponent(exponent)
            u.setScale(0)
            u.setMultiplier(factor ** (1.0 / exponent) if i == j else 1.0)
        self.units[uid] = unit
        return uid

    # -- components --

    def _annotate(
        self,
        p: libsbml.Parameter,
        *,
        source: str,
        provenance: str,
        note: str,
        module: str = "",
        table_name: str = "",
        table_unit: str = "",
        calibrated_to: str = "",
    ) -> None:
        ref = self.refs.get(source)
        lines = [note] if note else []
        if source:
            lines.append(f"source: {source}" + (f" ({ref.citation})" if ref else ""))
        lines.append(f"provenance: {provenance}")
        if calibrated_to:
            lines.append(f"calibrated to: {calibrated_to}")
        if table_name:
            lines.append(f"parameter table: {module}.{table_name} [{table_unit}]")
        _check(p.setNotes(_xhtml(*lines)), f"notes of {p.getId()}")
        attrs = {
            "module": module,
            "name": table_name,
            "source": source,
            "provenance": provenance,
            "unit": table_unit,
            "calibrated_to": calibrated_to,
        }
        xml_attrs = " ".join(f'{k}="{escape(v, quote=True)}"' for k, v in attrs.items() if v)
        ann = f'<mscsim:parameter xmlns:mscsim="{MSCSIM_NS}" {xml_attrs}/>'
        p.setMetaId(f"meta_{p.getId()}")
        _check(p.appendAnnotation(ann), f"annotation of {p.getId()}")
        if ref is not None and ref.doi:
            cv = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
            cv.setBiologicalQualifierType(libsbml.BQB_IS_DESCRIBED_BY)
            cv.addResource(f"https://identifiers.org/doi:{ref.doi}")
            _check(p.addCVTerm(cv), f"reference of {p.getId()}")

    def _parameter(
        self, pid: str, value: float, unit: str, *, constant: bool, nan_ok: bool = False
    ) -> libsbml.Parameter:
        if not (math.isfinite(value) or (nan_ok and math.isnan(value))):
            raise ValueError(f"parameter {pid} of the SBML model is not finite: {value}")
        p = self.model.createParameter()
        _check(p.setId(pid), f"id {pid}")
        p.setValue(float(value))
        p.setUnits(self.unit(unit))
        p.setConstant(constant)
        return p

    def table(self, name: str) -> None:
        rec = self.params[name]
        unit = _TABLE_UNIT_OVERRIDES.get(name, rec.unit)
        p = self._parameter(name, rec.value, unit, constant=True)
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

    def constant(
        self,
        pid: str,
        value: float,
        unit: str,
        note: str,
        source: str = "",
        provenance: str = "",
    ) -> None:
        p = self._parameter(pid, value, unit, constant=True)
        prov = provenance or ("literature" if source else "physical constant")
        self._annotate(p, source=source, provenance=prov, note=note)

    def patient_value(self, pid: str, value: float, unit: str, note: str) -> None:
        m = self.m
        p = self._parameter(pid, value, unit, constant=True)
        whose = (
            f"patient {m.index}'s value (arm {m.arm}, patient_id {m.patient_id}, "
            f"population seed {m.seed} of scenario {m.scenario!r})"
        )
        self._annotate(p, source="", provenance="virtual patient", note=f"{note}; {whose}")

    def derived(self, pid: str, formula: str, unit: str, note: str) -> None:
        """A constant computed from other parameters at t = 0 (an initial assignment)."""
        p = self._parameter(pid, 0.0, unit, constant=True)
        p.unsetValue()
        self._annotate(p, source="", provenance="derived", note=note)
        ia = self.model.createInitialAssignment()
        ia.setSymbol(pid)
        _check(ia.setMath(self._math(formula, pid)), f"initial assignment {pid}")

    def state(self, pid: str, value: float, unit: str, rate: str, note: str) -> None:
        p = self._parameter(pid, value, unit, constant=False)
        _check(p.setNotes(_xhtml(note)), f"notes of {pid}")
        rule = self.model.createRateRule()
        rule.setVariable(pid)
        _check(rule.setMath(self._math(rate, pid)), f"rate rule {pid}")

    def rule(self, pid: str, formula: str, unit: str, note: str = "") -> None:
        p = self.model.createParameter()
        _check(p.setId(pid), f"id {pid}")
        p.setUnits(self.unit(unit))
        p.setConstant(False)
        if note:
            _check(p.setNotes(_xhtml(note)), f"notes of {pid}")
        rule = self.model.createAssignmentRule()
        rule.setVariable(pid)
        _check(rule.setMath(self._math(formula, pid)), f"assignment rule {pid}")

    def _math(self, formula: str, where: str) -> libsbml.ASTNode:
        ast = libsbml.parseL3Formula(formula)
        if ast is None:
            raise ValueError(f"{where}: {libsbml.getLastParseL3Error()} in {formula!r}")
        return ast

    def event(
        self,
        eid: str,
        trigger: str,
        priority: int,
        assignments: Mapping[str, str],
        *,
        initial_value: bool = False,
    ) -> None:
        ev = self.model.createEvent()
        _check(ev.setId(eid), f"event {eid}")
        # Values at trigger time: no delay, so identical to execution time either way.
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        # initialValue false: a trigger already true at t = 0 (a dose on day 0) fires at t = 0.
        trig.setInitialValue(initial_value)
        trig.setPersistent(True)
        _check(trig.setMath(self._math(trigger, eid)), f"trigger {eid}")
        pr = ev.createPriority()
        _check(pr.setMath(self._math(f"{priority} dimensionless", eid)), f"priority {eid}")
        for var, formula in assignments.items():
            ea = ev.createEventAssignment()
            ea.setVariable(var)
            _check(ea.setMath(self._math(formula, eid)), f"assignment {eid}.{var}")

    # -- the model --

    def build(self) -> None:
        m, model = self.m, self.model
        model.setId(f"mscsim_t2dm_{_safe(m.arm)}_patient_{m.index}")
        model.setName(f"{m.scenario}: arm {m.arm}, patient {m.index} (full T2DM model)")
        model.setTimeUnits(self.unit("day"))
        _check(model.setNotes(_xhtml(*self._model_notes())), "model notes")
        for name in _TABLE_PARAMETERS:
            self.table(name)
        self._patient()
        self._constants()
        self._derived()
        self._states()
        self._rules()
        self._events()

    def _model_notes(self) -> list[str]:
        m = self.m
        soc = ", ".join(m.standard_of_care) or "none"
        doses = ", ".join(f"day {d}: {c:.6g} live cells" for d, c in m.dose_cells_by_day.items())
        return [
            f"mscsim {__version__} export of scenario {m.scenario!r}, arm {m.arm!r}, patient "
            f"{m.index} of the arm (patient_id {m.patient_id}, population seed {m.seed}).",
            "Full, un-reduced T2DM model (the SciPy reference path of mscsim): dynamic glucose "
            "and insulin (Topp 2000 with exogenous insulin), slow states and MSC compartments as "
            "rate rules, MSC signals and observables as assignment rules. Time unit: day.",
            "Fasting glucose: a second glucose-insulin pair driven by the fasting appearance; it "
            "stands for the engine's fasting quasi-steady state and relaxes to it (its vector "
            "field scaled by fasting_pair_speedup, which keeps its steady state).",
            "Events at the start of integer days: titration of insulin_iu_day on days 7k before "
            "the end of the run (one repeating event, priority 2, from the fasting glucose at "
            "that instant), then MSC doses (priority 1) "
            "that add live cells times the route vector.",
            f"Standard of care: {soc}. MSC route: {m.route or 'none'}; doses: {doses or 'none'}.",
            f"Simulate to day {m.duration_days}; state ids are the variable names of "
            "trajectories.nc. Output at an event time shows the state after its events; the run "
            "records a day before its events (take the left limit, t - 1e-7).",
            "Solver: cells span 0 to 1e9, so give msc_* an absolute tolerance of about 1e-6 "
            "cells (libRoadRunner: integrator.setIndividualTolerance); at 1e-12 CVODE warns "
            "'t + h = t' after doses late in the run (harmless).",
        ]

    def _patient(self) -> None:
        for name, (unit, note) in _PATIENT_FIELDS.items():
            self.patient_value(name, float(getattr(self.m.patient, name)), unit, note)
        for comp, frac in zip(msc_core.COMPARTMENTS, self.m.route_vector, strict=True):
            self.patient_value(
                f"route_fraction_{comp}",
                frac,
                "dimensionless",
                f"share of each infused live cell in {comp} after the first pass of route "
                f"{self.m.route or 'none'} (msc_core.route_vector)",
            )
        for day, cells in self.m.dose_cells_by_day.items():
            self.patient_value(
                f"msc_dose_day_{day}_cells",
                cells,
                "cell",
                f"live MSCs infused on day {day} (dose x weight for /kg doses x viability)",
            )

    def _constants(self) -> None:
        p = self._parameter(
            "fasting_pair_speedup", FASTING_PAIR_SPEEDUP, "dimensionless", constant=True
        )
        self._annotate(
            p,
            source="",
            provenance="numerical",
            note="time-scale factor of the fasting glucose-insulin pair: it scales the pair's "
            "whole vector field, so the pair has the same steady state (the engine's fasting "
            "quasi-steady state) and reaches it this many times faster. 1 gives overnight "
            "kinetics, whose lag behind the quasi-steady state reached 1% of FPG in the days "
            "after an MSC dose; 100 keeps the lag near 1e-4",
        )
        self.constant(
            "days_per_year", 365.25, "day/year", "Julian year: diabetes duration is in years"
        )
        self.constant("mg_dl_per_mmol_l", MG_DL_PER_MMOL_L, "mg/dL*L/mmol", "glucose, 180.16 g/mol")
        self.constant(
            "pmol_l_per_ng_ml_cpeptide",
            PMOL_L_PER_NG_ML_CPEPTIDE,
            "pmol*mL/L/ng",
            "C-peptide, 3020 g/mol",
        )
        # HOMA (Matthews 1985): HOMA-IR = I G / 22.5, HOMA-%B = 20 I / (G - 3.5).
        self.constant(
            "homa_ir_constant", 22.5, "uU/mL*mmol/L", "HOMA-IR denominator", "matthews1985"
        )
        self.constant(
            "homa_b_coefficient",
            20.0,
            "percent*mmol*mL/L/uU",
            "HOMA-%B coefficient",
            "matthews1985",
        )
        # A parameter rather than a NaN literal: a literal cannot carry units.
        undefined = self._parameter(
            "homa_b_undefined", math.nan, "percent", constant=True, nan_ok=True
        )
        self._annotate(
            undefined,
            source="matthews1985",
            provenance="literature",
            note="HOMA-%B is undefined at FPG <= 3.5 mmol/L; NaN, as in the engine",
        )
        self.constant("homa_b_offset", 3.5, "mmol/L", "HOMA-%B glucose offset", "matthews1985")
        self.constant(
            "homa_b_floor",
            1.0e-3,
            "mmol/L",
            "smallest denominator of HOMA-%B (mscsim guard against division by zero)",
            provenance="numerical",
        )
        self.constant(
            "ttt_band",
            20.0,
            "mg/dL",
            "treat-to-target: one dose step per 20 mg/dL of fasting glucose above goal",
            "riddle2003",
        )

    def _derived(self) -> None:
        self.derived(
            "kappa_h",
            "1 dimensionless / (beta_turnover_time * d0)",
            "dimensionless",
            "human beta-cell turnover relative to Topp's rat-scale rates",
        )
        self.derived(
            "glucose_appearance_mean",
            "R0 - fasting_appearance_fraction * R0 * (1 dimensionless - hgp_factor)",
            "mg/dL/day",
            "day-mean glucose appearance; metformin lowers only the hepatic (fasting) share",
        )
        self.derived(
            "glucose_appearance_fasting",
            "fasting_appearance_fraction * R0 * hgp_factor",
            "mg/dL/day",
            "fasting (hepatic) glucose appearance",
        )
        for comp in ("blood_transit", "lung", "liver", "spleen", "target", "other"):
            self.derived(
                f"k_msc_{comp.removesuffix('_transit')}",
                f"ln(2 dimensionless) / {comp}_half_life",
                "1/day",
                f"first-order rate of leaving {comp.removesuffix('_transit')} (ln 2 / half-life)",
            )
        self.derived(
            "flow_fraction_other",
            "1 dimensionless - flow_fraction_liver - flow_fraction_spleen - flow_fraction_pancreas",
            "dimensionless",
            "share of arterial MSCs reaching organs not modelled apart",
        )

    def _states(self) -> None:
        m, sh = self.m, self.sh
        pat, slow0 = m.patient, m.slow0
        c_endo = endogenous_insulin_coeff(slow0.beta_mass, slow0.beta_function, sh)
        i_exo = pat.c_exo * m.dose0
        r_mean, r_fast = glucose_appearance(pat, sh)
        # Glucose and insulin start on the slow manifold, as the engine assumes at day 0.
        si0 = slow0.insulin_sensitivity
        g0 = float(glucose_qss(r_mean, c_endo, i_exo, si0, r_mean / sh.EG0, sh, np, QSS_ITERS))
        gf0 = float(glucose_qss(r_fast, c_endo, i_exo, si0, g0, sh, np, QSS_ITERS))
        i0 = float(c_endo * secretion_fraction(g0, sh) + i_exo)
        if0 = float(c_endo * secretion_fraction(gf0, sh) + i_exo)

        self.state(
            "glucose_mg_dl",
            g0,
            "mg/dL",
            "glucose_appearance_mean - (EG0 + insulin_sensitivity * insulin_uu_ml) * glucose_mg_dl",
            "plasma glucose under the day-mean appearance (Topp 2000)",
        )
        self.state(
            "insulin_uu_ml",
            i0,
            "uU/mL",
            "k * (insulin_capacity_uu_ml * secretion_mean + insulin_exogenous_uu_ml"
            " - insulin_uu_ml)",
            "plasma insulin: Topp secretion plus exogenous insulin, cleared at rate k",
        )
        self.state(
            "glucose_fasting_mg_dl",
            gf0,
            "mg/dL",
            "fasting_pair_speedup * (glucose_appearance_fasting - (EG0 + insulin_sensitivity"
            " * insulin_fasting_uu_ml) * glucose_fasting_mg_dl)",
            "fasting glucose: the same kinetics under the fasting (hepatic) appearance, sped up "
            "by fasting_pair_speedup; it tracks the fasting quasi-steady state that the engine "
            "solves by Newton iterations",
        )
        self.state(
            "insulin_fasting_uu_ml",
            if0,
            "uU/mL",
            "fasting_pair_speedup * k * (insulin_capacity_uu_ml * secretion_fasting"
            " + insulin_exogenous_uu_ml - insulin_fasting_uu_ml)",
            "fasting plasma insulin of the fasting pair",
        )
        rates = {
            "beta_mass_mg": "kappa_h * (beta_growth_rate - beta_death_rate) * beta_mass_mg"
            " + beta_neogenesis_hgf",
            "beta_function": "beta_function_recovery_rate * ((1 dimensionless - beta_function)"
            " * beta_function_recovery - beta_function * beta_dysfunction)",
            "insulin_sensitivity": "si_relaxation_rate * (si_target - insulin_sensitivity)",
            "m1_fraction": "macrophage_repolarisation_rate * (m1_setpoint - m1_fraction)"
            " - m1_switch_rate_max * msc_signal_immune * m1_fraction",
            "hba1c_pct": "(hba1c_equilibrium - hba1c_pct) / hba1c_time_constant",
            "treg_pct": "treg_turnover_rate * (treg_setpoint - treg_pct)"
            " + treg_induction_max * msc_signal_immune * (treg_max_pct - treg_pct)",
        }
        notes = {
            "beta_mass_mg": "beta-cell mass: Topp growth and death on the human turnover scale, "
            "MSC protection and HGF-driven neogenesis",
            "beta_function": "secretory function of beta cells (1 = healthy)",
            "insulin_sensitivity": "insulin sensitivity (relaxes to its inflammation/MSC target)",
            "m1_fraction": "M1 share of tissue macrophages",
            "hba1c_pct": "HbA1c: follows day-mean glucose with the glycation lag (ADAG)",
            "treg_pct": "regulatory T cells, % of CD4+ T cells",
        }
        for field, sid in STATE_IDS.items():
            self.state(sid, getattr(slow0, field), _STATE_UNITS[sid], rates[sid], notes[sid])

        msc_rates = {
            "msc_blood": "-k_msc_blood * msc_blood + k_msc_lung * lung_release_fraction * msc_lung",
            "msc_lung": "-k_msc_lung * msc_lung",
            "msc_liver": "k_msc_blood * flow_fraction_liver * msc_blood - k_msc_liver * msc_liver",
            "msc_spleen": "k_msc_blood * flow_fraction_spleen * msc_blood"
            " - k_msc_spleen * msc_spleen",
            "msc_target": "k_msc_blood * flow_fraction_pancreas * msc_blood"
            " - k_msc_target * msc_target",
            "msc_other": "k_msc_blood * flow_fraction_other * msc_blood - k_msc_other * msc_other",
        }
        for sid in MSC_IDS:
            self.state(
                sid,
                0.0,
                "cell",
                msc_rates[sid],
                f"live MSCs in {sid.removeprefix('msc_')} (target: pancreas)",
            )
        dose = self._parameter("insulin_iu_day", m.dose0, "IU/day", constant=False)
        _check(
            dose.setNotes(_xhtml("exogenous insulin dose; changed only by the titration events")),
            "notes of insulin_iu_day",
        )

    def _rules(self) -> None:
        r = self.rule
        # Topp secretion and insulin levels.
        r(
            "insulin_capacity_uu_ml",
            "beta_mass_mg * beta_function * sigma / k",
            "uU/mL",
            "plasma insulin at saturating glucose from endogenous secretion",
        )
        r("secretion_mean", "glucose_mg_dl^2 / (alpha + glucose_mg_dl^2)", "dimensionless")
        r(
            "secretion_fasting",
            "glucose_fasting_mg_dl^2 / (alpha + glucose_fasting_mg_dl^2)",
            "dimensionless",
        )
        r("insulin_exogenous_uu_ml", "c_exo * insulin_iu_day", "uU/mL")
        # MSC secretome signals (msc_licensing, pancreas_homing).
        r(
            "inflammation_index",
            "m1_fraction / m1_fraction_healthy",
            "dimensionless",
            "M1 share relative to lean adults",
        )
        r(
            "inflammation_excess",
            "piecewise(inflammation_index - 1 dimensionless, "
            "inflammation_index > 1 dimensionless, 0 dimensionless)",
            "dimensionless",
        )
        r("msc_total", " + ".join(MSC_IDS), "cell")
        r(
            "licensing_by_inflammation",
            "licensing_max * inflammation_excess / (1 dimensionless + inflammation_excess)",
            "dimensionless",
        )
        r(
            "msc_licensing",
            "1 dimensionless + piecewise(licensing_pre, "
            "licensing_pre >= licensing_by_inflammation, licensing_by_inflammation)",
            "dimensionless",
            "IFN-gamma/TNF-alpha licensing of MSCs",
        )
        r(
            "msc_drive_immune",
            "potency_imm * msc_licensing * msc_total / n50_systemic",
            "dimensionless",
        )
        r(
            "msc_drive_trophic",
            "potency_tro * (msc_target / n50_local + msc_total / n50_systemic)",
            "dimensionless",
        )
        r(
            "msc_signal_immune",
            "msc_drive_immune / (1 dimensionless + msc_drive_immune)",
            "dimensionless",
            "immunomodulatory MSC effect (Emax fraction)",
        )
        r(
            "msc_signal_trophic",
            "msc_drive_trophic / (1 dimensionless + msc_drive_trophic)",
            "dimensionless",
            "trophic MSC effect (Emax fraction)",
        )
        # Slow-rate terms, named after the knowledge-graph edges they implement.
        r("beta_growth_rate", "r1 * glucose_mg_dl - r2 * glucose_mg_dl^2", "1/day")
        r(
            "beta_death_rate",
            "d0 * death_multiplier * (1 dimensionless"
            " + inflammation_beta_death_gain * (inflammation_index - infl0))"
            " * (1 dimensionless - protection_max * msc_signal_trophic)",
            "1/day",
            "inflammation_beta_death x beta_death_protection",
        )
        r(
            "progenitor_pool",
            "exp(-(duration0_years + time / days_per_year) / progenitor_decay_time)",
            "dimensionless",
        )
        r(
            "beta_neogenesis_hgf",
            "neogenesis_max * msc_signal_trophic * progenitor_pool * beta_healthy",
            "mg/day",
        )
        r(
            "beta_dysfunction",
            "glucotoxicity_gain * piecewise(glucose_mg_dl / glucose_reference"
            " - 1 dimensionless, glucose_mg_dl / glucose_reference > 1 dimensionless,"
            " 0 dimensionless) + inflammation_dysfunction_gain * inflammation_excess",
            "dimensionless",
        )
        r(
            "beta_function_recovery",
            "1 dimensionless + function_recovery_max * msc_signal_trophic",
            "dimensionless",
        )
        r(
            "si_target",
            "si_base * exp(-inflammation_si_gain * (inflammation_index - infl0))"
            " * (1 dimensionless + sensitisation_max * msc_signal_immune)",
            "mL/uU/day",
            "inflammation_insulin_resistance x insulin_sensitisation_glut4",
        )
        r("hba1c_equilibrium", "(glucose_mg_dl + adag_intercept) / adag_slope", "percent")
        # Fasting observables (as in physiology.t2dm._observables.fasting_observables).
        r("fasting_insulin_endogenous_uu_ml", "insulin_capacity_uu_ml * secretion_fasting", "uU/mL")
        r(
            "fasting_insulin_uu_ml",
            "fasting_insulin_endogenous_uu_ml + insulin_exogenous_uu_ml",
            "uU/mL",
            "fasting plasma insulin (assays read exogenous insulin too)",
        )
        r(
            "fpg_mmol_l",
            "glucose_fasting_mg_dl / mg_dl_per_mmol_l",
            "mmol/L",
            "fasting plasma glucose",
        )
        r("mean_glucose_mmol_l", "glucose_mg_dl / mg_dl_per_mmol_l", "mmol/L", "day-mean glucose")
        r(
            "insulin_secretion_pmol_min",
            "insulin_capacity_uu_ml * k * secretion_fasting * isr_conv",
            "pmol/min",
        )
        r(
            "c_peptide_ng_ml",
            "insulin_secretion_pmol_min / (cpep_k3 * cpep_vd_l) / pmol_l_per_ng_ml_cpeptide",
            "ng/mL",
            "fasting C-peptide: steady state of the two-compartment model, ISR / (k3 Vd)",
        )
        r(
            "homa_ir",
            "fasting_insulin_endogenous_uu_ml * fpg_mmol_l / homa_ir_constant",
            "dimensionless",
            "HOMA-IR from endogenous (C-peptide-equivalent) insulin",
        )
        r(
            "homa_b",
            "piecewise(homa_b_coefficient * fasting_insulin_endogenous_uu_ml"
            " / piecewise(fpg_mmol_l - homa_b_offset, fpg_mmol_l - homa_b_offset > homa_b_floor,"
            " homa_b_floor), fpg_mmol_l > homa_b_offset, homa_b_undefined)",
            "percent",
            "HOMA-%B from endogenous insulin (undefined at FPG <= 3.5 mmol/L)",
        )
        r("cpgr", "c_peptide_ng_ml / fpg_mmol_l", "ng/mL*L/mmol", "C-peptide-to-glucose ratio")
        r("insulin_iu_kg_day", "insulin_iu_day / weight_kg", "IU/kg/day")
        # Weekly titration (equations.titrate), evaluated from the fasting glucose.
        r(
            "titration_target",
            "insulin_ref * (glucose_fasting_mg_dl / fpg_goal)^titration_elasticity",
            "IU/day",
            "usual care: the dose the prescriber moves toward",
        )
        r(
            "titration_usual_unclipped",
            "insulin_iu_day + titration_adherence * (titration_target - insulin_iu_day)",
            "IU/day",
        )
        r(
            "titration_usual",
            "insulin_treated * "
            + _clip("titration_usual_unclipped", "0 IU_per_day", "insulin_max"),
            "IU/day",
            "next dose under usual care (proportional, with clinical inertia)",
        )
        r(
            "titration_ttt_steps",
            _clip(
                "ceil((glucose_fasting_mg_dl - ttt_fpg_goal) / ttt_band)",
                "0 dimensionless",
                "ttt_max_step / ttt_step",
            ),
            "dimensionless",
        )
        r(
            "titration_ttt_unclipped",
            "piecewise(insulin_iu_day - ttt_hypo_reduction,"
            " glucose_fasting_mg_dl < ttt_hypo_threshold,"
            " insulin_iu_day + titration_ttt_steps * ttt_step)",
            "IU/day",
        )
        r(
            "titration_ttt",
            _clip("titration_ttt_unclipped", "0 IU_per_day", "insulin_max"),
            "IU/day",
            "next dose under treat-to-target (Riddle 2003)",
        )
        r(
            "insulin_dose_titrated",
            "piecewise(titration_ttt, titration_mode > 0.5 dimensionless, titration_usual)",
            "IU/day",
            "the dose a titration event sets (by titration_mode)",
        )

    def _events(self) -> None:
        m = self.m
        if m.titration_days:
            self._titration_event()
        for day in m.dose_cells_by_day:
            adds = {
                f"msc_{comp}": f"msc_{comp} + msc_dose_day_{day}_cells * route_fraction_{comp}"
                for comp, frac in zip(msc_core.COMPARTMENTS, m.route_vector, strict=True)
                if frac != 0.0
            }
            self.event(f"msc_dose_day_{day}", f"time >= {day} day", 1, adds)
        if m.dose_cells_by_day:
            self._msc_clearance_event()

    def _msc_clearance_event(self) -> None:
        """Below one live cell in every compartment the cells are gone, as in the engine.

        Without it the compartments decay toward denormal numbers (1e-300 cells after three
        years), and CVODE at libRoadRunner's default tolerances fails at the next event.
        initialValue true: the trigger is true before the first dose and must not fire then.
        """
        self.constant(
            "msc_negligible_cells",
            MSC_NEGLIGIBLE_CELLS,
            "cell",
            "fewer live MSCs than this in every compartment count as none (the engine's "
            "MSC_NEGLIGIBLE_CELLS)",
            provenance="numerical",
        )
        below = " && ".join(f"{sid} < msc_negligible_cells" for sid in MSC_IDS)
        zero = dict.fromkeys(MSC_IDS, "0 cell")
        self.event("msc_cleared", below, 0, zero, initial_value=True)

    def _titration_event(self) -> None:
        """One repeating event for all titration days, not one event per day.

        It moves its own next trigger time a step ahead each time it fires, so the trigger turns
        false at once and true again a step later; with an event per day, a three-year run had
        156 events and libRoadRunner took three times as long to compile the model.
        """
        days = self.m.titration_days
        step = days[0]
        if days != tuple(range(step, days[-1] + 1, step)):
            raise ValueError(f"titration days are not every {step} days: {days}")
        notes = {
            "titration_step_days": "days between titrations (titration_interval, whole days)",
            "titration_last_day": "last titration day before the end of the run "
            f"({self.m.duration_days} days)",
        }
        self.constant(
            "titration_step_days",
            float(step),
            "day",
            notes["titration_step_days"],
            source=self.params["titration_interval"].source,
            provenance=self.params["titration_interval"].provenance,
        )
        self.constant(
            "titration_last_day",
            float(days[-1]),
            "day",
            notes["titration_last_day"],
            provenance="scenario (duration_days)",
        )
        nxt = self._parameter("titration_next_day", float(step), "day", constant=False)
        _check(
            nxt.setNotes(_xhtml("day of the next titration; moved a step on by each titration")),
            "notes of titration_next_day",
        )
        self.event(
            "weekly_titration",
            "time >= titration_next_day && titration_next_day <= titration_last_day",
            2,
            {
                "insulin_iu_day": "insulin_dose_titrated",
                "titration_next_day": "titration_next_day + titration_step_days",
            },
        )

    def text(self) -> str:
        self.doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
        self.doc.checkConsistency()
        errors = [
            self.doc.getError(i).getMessage()
            for i in range(self.doc.getNumErrors())
            if self.doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
        ]
        if errors:
            raise RuntimeError("the exported SBML is not consistent: " + "; ".join(errors[:5]))
        return str(libsbml.writeSBMLToString(self.doc))


def _clip(x: str, lo: str, hi: str) -> str:
    """min(max(x, lo), hi) as MathML piecewise (numpy.clip's order)."""
    return f"piecewise({lo}, {x} < {lo}, {hi}, {x} > {hi}, {x})"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)
