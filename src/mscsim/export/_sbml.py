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

Reduced model (`reduced=True`, T2DM only; `mscsim bench` times libRoadRunner on it beside the
full one, `roadrunner_reduced_pyps`): glucose and insulin at their quasi-steady state, as the
engine solves them, written as assignment rules. The root of r = G (EG0 + SI I(G)) with Topp's
secretion G^2 / (alpha + G^2) is the positive root of a cubic, unique because the left side
increases in G; the rule is its closed form (Cardano: the cubic has exactly one real root).
Both the day-mean and the fasting glucose are such rules, so the fasting pair and its speed-up
are not needed. In libRoadRunner this model is slower than the full one (each use of glucose
inlines the closed form: 4 us a right-hand side instead of 1, and about 4 s to compile): the
engine's speed comes from the fused, vectorised scan, not from the reduction alone.

T1DM scenarios are exported by `_sbml_t1dm` (the same builder, `_sbml_common`); `export_sbml`
dispatches on the scenario's disease.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from mscsim._version import __version__
from mscsim.engine._reference import QSS_ITERS, patient_at, slow_at
from mscsim.engine._schedule import make_grid, titration_days
from mscsim.export._sbml_common import (
    FASTING_PAIR_SPEEDUP,
    MSC_IDS,
    SBML_LEVEL,
    SBML_VERSION,
    STATE_IDS,
    ExportError,
    SbmlBuilder,
    check,
    clip,
    safe_id,
    write_text_atomic,
    xhtml,
)
from mscsim.params import ParameterSet, load_parameters
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
from mscsim.scenario import Scenario
from mscsim.trial._aging import AGING_DISEASES
from mscsim.trial._arms import arm_dosing, arm_patient, standard_of_care
from mscsim.trial._run import PARAMETER_MODULES, sample_population
from mscsim.trial._support import check_supported

__all__ = [
    "EXPORTED_DISEASES",
    "FASTING_PAIR_SPEEDUP",
    "MSC_IDS",
    "OBSERVABLE_IDS",
    "SBML_LEVEL",
    "SBML_VERSION",
    "STATE_IDS",
    "ExportError",
    "PatientModel",
    "arm_patient_models",
    "export_arm_sbml",
    "export_sbml",
    "sbml_model",
    "write_sbml",
    "write_text_atomic",
]

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


EXPORTED_DISEASES = ("t2dm", "t1dm", *AGING_DISEASES)


def arm_patient_models(
    scenario: Scenario, arm_name: str
) -> tuple[ParameterSet, list[PatientModel]]:
    """Parameters and every patient of one arm, built as `mscsim run` builds them."""
    check_supported(scenario)
    if scenario.disease != "t2dm":
        raise ExportError(f"disease {scenario.disease!r}: this builds T2DM patients only")
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


def export_sbml(
    scenario: Scenario, arm_name: str, patient_index: int, *, reduced: bool = False
) -> str:
    """SBML Level 3 Version 2 text of the full model of patient `patient_index` of an arm
    (`reduced`: the T2DM model with glucose and insulin at quasi-steady state)."""
    n = int(scenario.population.n)
    if not 0 <= patient_index < n:
        raise ExportError(
            f"patient {patient_index} is out of range; each arm has patients 0..{n - 1}"
        )
    if scenario.disease not in EXPORTED_DISEASES:
        check_supported(scenario)  # a disease the run cannot simulate: the run's message
        raise ExportError(
            f"disease {scenario.disease!r} has no SBML export yet; "
            f"exported: {', '.join(EXPORTED_DISEASES)}"
        )
    patients = range(patient_index, patient_index + 1)
    return export_arm_sbml(scenario, arm_name, patients, reduced=reduced)[0]


def export_arm_sbml(
    scenario: Scenario, arm_name: str, patients: Sequence[int], *, reduced: bool = False
) -> list[str]:
    """SBML texts of several patients of one arm: the arm's population is built once.

    `reduced` (T2DM only) writes glucose and insulin at quasi-steady state (module docstring).
    """
    if reduced and scenario.disease != "t2dm":
        raise ExportError(f"the reduced model is exported for t2dm only, not {scenario.disease!r}")
    params, models, write = _arm_models(scenario, arm_name)
    if reduced:
        write = reduced_sbml_model
    return [write(models[k], params) for k in patients]


def _arm_models(
    scenario: Scenario, arm_name: str
) -> tuple[ParameterSet, Sequence[Any], Callable[[Any, ParameterSet], str]]:
    """Every patient of an arm as its disease's exporter builds them, and that exporter."""
    if scenario.disease == "t1dm":
        from mscsim.export._sbml_t1dm import t1dm_arm_patient_models, t1dm_sbml_model

        return (*t1dm_arm_patient_models(scenario, arm_name), t1dm_sbml_model)
    if scenario.disease in AGING_DISEASES:
        from mscsim.export._sbml_aging import aging_arm_patient_models, aging_sbml_model

        return (*aging_arm_patient_models(scenario, arm_name), aging_sbml_model)
    return (*arm_patient_models(scenario, arm_name), sbml_model)


def write_sbml(
    scenario: Scenario,
    arm_name: str,
    patient_index: int,
    path: str | Path,
    *,
    reduced: bool = False,
) -> Path:
    """Export and write atomically: the file appears whole (or an old one stays untouched)."""
    text = export_sbml(scenario, arm_name, patient_index, reduced=reduced)
    return write_text_atomic(text, Path(path))


def sbml_model(m: PatientModel, params: ParameterSet) -> str:
    """The SBML document of one patient (validated: libsbml consistency errors raise)."""
    builder = _Builder(m, params)
    builder.build()
    return builder.text()


def reduced_sbml_model(m: PatientModel, params: ParameterSet) -> str:
    """The reduced model of one patient: glucose and insulin at quasi-steady state."""
    builder = _Builder(m, params, reduced=True)
    builder.build()
    return builder.text()


class _Builder(SbmlBuilder):
    def __init__(self, m: PatientModel, params: ParameterSet, *, reduced: bool = False) -> None:
        super().__init__(m, params, _TABLE_UNIT_OVERRIDES)
        self.m = m
        self.reduced = reduced
        self.sh: Shared = shared_constants(params.flat(), msc_core.index("target"))

    # -- the model --

    def build(self) -> None:
        m, model = self.m, self.model
        kind = "reduced" if self.reduced else "full"
        model.setId(f"mscsim_t2dm_{safe_id(m.arm)}_patient_{m.index}" + "_reduced" * self.reduced)
        model.setName(f"{m.scenario}: arm {m.arm}, patient {m.index} ({kind} T2DM model)")
        model.setTimeUnits(self.unit("day"))
        check(model.setNotes(xhtml(*self._model_notes())), "model notes")
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
        self.common_constants()
        self.constant(
            "ttt_band",
            20.0,
            "mg/dL",
            "treat-to-target: one dose step per 20 mg/dL of fasting glucose above goal",
            "riddle2003",
        )

    def _derived(self) -> None:
        self.common_derived()

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

        if self.reduced:
            self._quasi_steady_glucose()
        else:
            self.glucose_states(g0, i0, gf0, if0)
        self.slow_states(slow0)
        self.msc_states()
        self.insulin_dose_state(m.dose0)

    def _quasi_steady_glucose(self) -> None:
        """Glucose (day-mean and fasting) and insulin at quasi-steady state, closed form.

        Multiplying r = G (E + SI c_endo G^2 / (alpha + G^2)) by (alpha + G^2), with
        E = EG0 + SI i_exo, gives a G^3 - r G^2 + E alpha G - r alpha = 0, a = E + SI c_endo;
        p, q and disc are those of the depressed cubic in t = G - r / (3 a).
        """
        r = self.rule
        r(
            "qss_e",
            "EG0 + insulin_sensitivity * insulin_exogenous_uu_ml",
            "1/day",
            "glucose clearance without endogenous insulin (quasi-steady cubic)",
        )
        r("qss_a", "qss_e + insulin_sensitivity * insulin_capacity_uu_ml", "1/day")
        for appearance, glucose, insulin, secretion in (
            ("glucose_appearance_mean", "glucose_mg_dl", "insulin_uu_ml", "secretion_mean"),
            (
                "glucose_appearance_fasting",
                "glucose_fasting_mg_dl",
                "insulin_fasting_uu_ml",
                "secretion_fasting",
            ),
        ):
            a, p, q, disc = (f"{appearance}_qss_{x}" for x in ("a", "p", "q", "disc"))
            unit = "dimensionless"  # the cubic's coefficients mix units; values are in mg/dL
            r(a, "qss_a", "1/day")
            r(p, f"qss_e * alpha / {a} - {appearance}^2 / (3 * {a}^2)", unit)
            r(
                q,
                f"-2 * {appearance}^3 / (27 * {a}^3) + {appearance} * qss_e * alpha"
                f" / (3 * {a}^2) - {appearance} * alpha / {a}",
                unit,
            )
            r(disc, f"{q}^2 / 4 + {p}^3 / 27", unit)
            # The cubic has exactly one real root (no sign change in its coefficients at -G:
            # no negative roots; 0 is not a root), so disc > 0 and Cardano applies, written as
            # u - p / (3 u) with u = cbrt(-q/2 + sqrt(disc)): q < 0 always (both of its terms
            # are negative, as a >= qss_e), so no cancellation and no sign cases. No piecewise
            # and few repeated symbols: libRoadRunner inlines assignment rules where they are
            # used and turns piecewise conditions into root functions; the textbook form made
            # every right-hand-side evaluation 10x dearer.
            u = f"{appearance}_qss_u"
            r(u, f"(sqrt({disc}) - {q} / 2)^(1/3)", unit)
            r(
                glucose,
                f"{u} - {p} / (3 * {u}) + {appearance} / (3 * {a})",
                "mg/dL",
                f"glucose at quasi-steady state under {appearance} (as the engine solves it)",
            )
            r(
                insulin,
                f"insulin_capacity_uu_ml * {secretion} + insulin_exogenous_uu_ml",
                "uU/mL",
                "plasma insulin at quasi-steady state",
            )

    def _rules(self) -> None:
        self.secretion_rules()
        self.msc_signal_rules()
        self.slow_term_rules()
        self.fasting_observable_rules()
        r = self.rule
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
            "insulin_treated * " + clip("titration_usual_unclipped", "0 IU_per_day", "insulin_max"),
            "IU/day",
            "next dose under usual care (proportional, with clinical inertia)",
        )
        r(
            "titration_ttt_steps",
            clip(
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
            clip("titration_ttt_unclipped", "0 IU_per_day", "insulin_max"),
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
            self.titration_event(m.titration_days, m.duration_days)
        for day in m.dose_cells_by_day:
            adds = {
                f"msc_{comp}": f"msc_{comp} + msc_dose_day_{day}_cells * route_fraction_{comp}"
                for comp, frac in zip(msc_core.COMPARTMENTS, m.route_vector, strict=True)
                if frac != 0.0
            }
            self.event(f"msc_dose_day_{day}", f"time >= {day} day", 1, adds)
        if m.dose_cells_by_day:
            self.clearance_event(MSC_IDS)
