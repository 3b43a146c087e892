"""Shared pieces of the SBML exporters (`_sbml` for T2DM, `_sbml_t1dm` for T1DM).

A document builder (units from pint expressions, parameters annotated with their source, rate
and assignment rules, events, libsbml consistency checks) and the parts of the Topp/T2DM model
that both disease exports write the same way: the day-mean and fasting glucose-insulin pairs,
the slow T2DM states and their rate terms, the MSC compartments and secretome signals, the
fasting observables, the weekly titration event and the MSC clearance event. Each disease
exporter adds its own parameters, states, rules and events around them.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any, Protocol, cast

import libsbml

from mscsim.engine._fast import MSC_NEGLIGIBLE_CELLS
from mscsim.params import ParameterSet, load_references, unit_registry
from mscsim.physiology import msc_core
from mscsim.physiology.t2dm._observables import (
    MG_DL_PER_MMOL_L,
    PMOL_L_PER_NG_ML_CPEPTIDE,
)

SBML_LEVEL, SBML_VERSION = 3, 2
# The fasting pair runs this many times faster than physiology (see `common_constants`): measured on
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

# Units of the states and of patient-specific values (pint expressions of the shared registry).
_STATE_UNITS: Mapping[str, str] = {
    "beta_mass_mg": "mg",
    "beta_function": "dimensionless",
    "insulin_sensitivity": "mL/uU/day",
    "m1_fraction": "dimensionless",
    "hba1c_pct": "percent",
    "treg_pct": "percent",
}

# Pint base dimensions -> SBML unit kinds. An international unit of insulin is 6 nmol
# (Volund 1993: 1 uIU/mL = 6.00 pmol/L), so insulin amounts convert to moles.
_SBML_KINDS: Mapping[str, tuple[int, float]] = {
    "kilogram": (libsbml.UNIT_KIND_KILOGRAM, 1.0),
    "meter": (libsbml.UNIT_KIND_METRE, 1.0),
    "second": (libsbml.UNIT_KIND_SECOND, 1.0),
    "mole": (libsbml.UNIT_KIND_MOLE, 1.0),
    "IU": (libsbml.UNIT_KIND_MOLE, 6.0e-9),
    "cell": (libsbml.UNIT_KIND_ITEM, 1.0),
    "particle": (libsbml.UNIT_KIND_ITEM, 1.0),  # exosomes, virus units
}


class ExportError(ValueError):
    """A request the export cannot serve (unknown arm, patient out of range); one line."""


class PatientIdentity(Protocol):
    """Who an exported file is: enough to say whose values its patient parameters are."""

    @property
    def scenario(self) -> str: ...
    @property
    def arm(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def patient_id(self) -> int: ...
    @property
    def seed(self) -> int: ...


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


def check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise RuntimeError(f"libsbml: {what} failed: {libsbml.OperationReturnValue_toString(code)}")


def _unit_id(unit: str) -> str:
    """An SBML id for a pint unit expression, e.g. 'mL/uU/day' -> 'mL_per_uU_per_day'."""
    uid = unit.replace(" ", "").replace("**", "").replace("/", "_per_").replace("*", "_")
    return "per_" + uid[len("1_per_") :] if uid.startswith("1_per_") else uid


def xhtml(*paragraphs: str) -> str:
    body = "".join(f"<p>{escape(p, quote=False)}</p>" for p in paragraphs)
    return f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>'


def clip(x: str, lo: str, hi: str) -> str:
    """min(max(x, lo), hi) as MathML piecewise (numpy.clip's order)."""
    return f"piecewise({lo}, {x} < {lo}, {hi}, {x} > {hi}, {x})"


def safe_id(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


class SbmlBuilder:
    """An SBML L3V2 document under construction, with the model parts shared by the exports."""

    def __init__(
        self,
        who: PatientIdentity,
        params: ParameterSet,
        table_unit_overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.who = who
        self.params = params
        self.table_unit_overrides: Mapping[str, str] = table_unit_overrides or {}
        self.refs = load_references()
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
        check(ud.setId(uid), f"unit {uid}")
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
        check(p.setNotes(xhtml(*lines)), f"notes of {p.getId()}")
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
        check(p.appendAnnotation(ann), f"annotation of {p.getId()}")
        if ref is not None and ref.doi:
            cv = libsbml.CVTerm(libsbml.BIOLOGICAL_QUALIFIER)
            cv.setBiologicalQualifierType(libsbml.BQB_IS_DESCRIBED_BY)
            cv.addResource(f"https://identifiers.org/doi:{ref.doi}")
            check(p.addCVTerm(cv), f"reference of {p.getId()}")

    def _parameter(
        self, pid: str, value: float, unit: str, *, constant: bool, nan_ok: bool = False
    ) -> libsbml.Parameter:
        if not (math.isfinite(value) or (nan_ok and math.isnan(value))):
            raise ValueError(f"parameter {pid} of the SBML model is not finite: {value}")
        p = self.model.createParameter()
        check(p.setId(pid), f"id {pid}")
        p.setValue(float(value))
        p.setUnits(self.unit(unit))
        p.setConstant(constant)
        return p

    def table(self, name: str) -> None:
        rec = self.params[name]
        unit = self.table_unit_overrides.get(name, rec.unit)
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
        m = self.who
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
        check(ia.setMath(self._math(formula, pid)), f"initial assignment {pid}")

    def state(self, pid: str, value: float, unit: str, rate: str, note: str) -> None:
        p = self._parameter(pid, value, unit, constant=False)
        check(p.setNotes(xhtml(note)), f"notes of {pid}")
        rule = self.model.createRateRule()
        rule.setVariable(pid)
        check(rule.setMath(self._math(rate, pid)), f"rate rule {pid}")

    def rule(self, pid: str, formula: str, unit: str, note: str = "") -> None:
        p = self.model.createParameter()
        check(p.setId(pid), f"id {pid}")
        p.setUnits(self.unit(unit))
        p.setConstant(False)
        if note:
            check(p.setNotes(xhtml(note)), f"notes of {pid}")
        rule = self.model.createAssignmentRule()
        rule.setVariable(pid)
        check(rule.setMath(self._math(formula, pid)), f"assignment rule {pid}")

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
        check(ev.setId(eid), f"event {eid}")
        # Values at trigger time: no delay, so identical to execution time either way.
        ev.setUseValuesFromTriggerTime(True)
        trig = ev.createTrigger()
        # initialValue false: a trigger already true at t = 0 (a dose on day 0) fires at t = 0.
        trig.setInitialValue(initial_value)
        trig.setPersistent(True)
        check(trig.setMath(self._math(trigger, eid)), f"trigger {eid}")
        pr = ev.createPriority()
        check(pr.setMath(self._math(f"{priority} dimensionless", eid)), f"priority {eid}")
        for var, formula in assignments.items():
            ea = ev.createEventAssignment()
            ea.setVariable(var)
            check(ea.setMath(self._math(formula, eid)), f"assignment {eid}.{var}")

    # -- the model --

    # -- model parts shared by the disease exports --

    def common_constants(self) -> None:
        """Numerical and physical constants of the glucose pairs and the fasting observables."""
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

    def common_derived(self) -> None:
        """Constants derived from table parameters: turnover scale, appearance, MSC kinetics."""
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

    def glucose_states(self, g0: float, i0: float, gf0: float, if0: float) -> None:
        """Day-mean and (sped-up) fasting glucose-insulin pairs (Topp 2000)."""
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

    def slow_states(self, slow0: Any, beta_mass_extra: str = "", beta_mass_note: str = "") -> None:
        """The Topp/T2DM slow states (`Slow` fields) as rate rules; the beta-cell mass rate may
        carry an extra term (`beta_mass_extra`, appended as written; its note `beta_mass_note`)."""
        rates = {
            "beta_mass_mg": "kappa_h * (beta_growth_rate - beta_death_rate) * beta_mass_mg"
            " + beta_neogenesis_hgf" + beta_mass_extra,
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
            "MSC protection and HGF-driven neogenesis" + beta_mass_note,
            "beta_function": "secretory function of beta cells (1 = healthy)",
            "insulin_sensitivity": "insulin sensitivity (relaxes to its inflammation/MSC target)",
            "m1_fraction": "M1 share of tissue macrophages",
            "hba1c_pct": "HbA1c: follows day-mean glucose with the glycation lag (ADAG)",
            "treg_pct": "regulatory T cells, % of CD4+ T cells",
        }
        for field, sid in STATE_IDS.items():
            self.state(sid, getattr(slow0, field), _STATE_UNITS[sid], rates[sid], notes[sid])

    def msc_states(self, target_name: str = "pancreas") -> None:
        """Live MSCs per compartment: first-order transit and clearance (msc_core kinetics);
        `target_name`: the organ of the core's target compartment."""
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
                f"live MSCs in {sid.removeprefix('msc_')} (target: {target_name})",
            )

    def insulin_dose_state(self, dose0: float) -> None:
        dose = self._parameter("insulin_iu_day", dose0, "IU/day", constant=False)
        check(
            dose.setNotes(xhtml("exogenous insulin dose; changed only by the titration events")),
            "notes of insulin_iu_day",
        )

    def secretion_rules(self, secreting_mass: str = "beta_mass_mg") -> None:
        """Topp secretion and insulin levels (`secreting_mass`: the mass that secretes, mg)."""
        r = self.rule
        # Topp secretion and insulin levels.
        r(
            "insulin_capacity_uu_ml",
            f"{secreting_mass} * beta_function * sigma / k",
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

    def msc_signal_rules(self) -> None:
        """MSC secretome signals (as in physiology.t2dm._equations.msc_signals)."""
        r = self.rule
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

    def slow_term_rules(self) -> None:
        """Terms of the slow rates (as in physiology.t2dm._equations.slow_rates)."""
        r = self.rule
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

    def fasting_observable_rules(self) -> None:
        """Fasting observables (as in physiology.t2dm._observables.fasting_observables)."""
        r = self.rule
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

    def clearance_event(self, channels: Sequence[str]) -> None:
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
        below = " && ".join(f"{sid} < msc_negligible_cells" for sid in channels)
        zero = dict.fromkeys(channels, "0 cell")
        self.event("msc_cleared", below, 0, zero, initial_value=True)

    def titration_event(self, days: Sequence[int], duration_days: int) -> None:
        """One repeating event for all titration days, not one event per day.

        It moves its own next trigger time a step ahead each time it fires, so the trigger turns
        false at once and true again a step later; with an event per day, a three-year run had
        156 events and libRoadRunner took three times as long to compile the model.
        """
        days = tuple(days)
        step = days[0]
        if days != tuple(range(step, days[-1] + 1, step)):
            raise ValueError(f"titration days are not every {step} days: {days}")
        notes = {
            "titration_step_days": "days between titrations (titration_interval, whole days)",
            "titration_last_day": "last titration day before the end of the run "
            f"({duration_days} days)",
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
        check(
            nxt.setNotes(xhtml("day of the next titration; moved a step on by each titration")),
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
