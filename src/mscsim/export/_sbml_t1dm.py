"""SBML export of one virtual T1DM patient: the full, un-reduced T1DM model of one arm.

The exported model is the model of the T1DM SciPy reference path
(`engine._reference_t1dm.simulate_reference_t1dm`): dynamic glucose and insulin (Topp 2000 with
injected insulin; engrafted insulin-producing cells secrete like beta-cell mass), the Topp/T2DM
slow states, the Teff/Treg/APC lymph-node and pancreas states (`physiology.t1dm._immune`), the
GAD-antibody proxy, the IPC graft, the six MSC compartments and the IPC inflow channel as rate
rules; MSC signals, the immune coupling terms, the conditioning window of an HSC transplant and
the clinical observables as assignment rules; dosing and weekly titration as events.

Patient K of an arm is built exactly as `mscsim run` builds it: the T1DM population of the
scenario's seed and criteria, each candidate run from diagnosis to enrolment on insulin (the
burn-in, `trial._t1dm_run.sample_population`), then the arm's components
(`trial._t1dm_arms.arm_inputs`: potency, conditioning start, IPC graft constants and the
per-channel live cells of each dosing day). The file starts from patient K's enrolment state and
reproduces that patient's row of `trajectories.nc`.

As in the T2DM export (`_sbml`): fasting glucose is a second glucose-insulin pair, sped up by
`fasting_pair_speedup`, that tracks the engine's fasting quasi-steady state; events happen at the
start of integer days (titration from the fasting glucose of that instant, priority 2, then the
day's cells, priority 1); below one live cell in every channel the cells are dropped. After
enrolment each patient's clock runs (`clock_stop` is infinite), so the clock factor of
`t1_rates` and `t1_titrate` is 1 and is not written. Every parameter carries its unit and its
source; state ids are the variable names of `trajectories.nc`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import jax
import numpy as np

from mscsim._version import __version__
from mscsim.engine._reference_t1dm import patient_at
from mscsim.engine._schedule import make_grid, titration_days
from mscsim.export._sbml import _PATIENT_FIELDS, _TABLE_PARAMETERS
from mscsim.export._sbml_common import (
    MSC_IDS,
    ExportError,
    SbmlBuilder,
    check,
    clip,
    safe_id,
    xhtml,
)
from mscsim.params import ParameterSet, load_parameters
from mscsim.physiology.t1dm._baseline import ANTIGEN_PRESENTATION, DISEASE_POINT
from mscsim.physiology.t1dm._clinical import (
    CONDITIONING_EDGE_DAYS,
    Lymph,
    T1Patient,
    T1Shared,
    T1State,
    secreting,
)
from mscsim.physiology.t2dm._equations import endogenous_insulin_coeff, secretion_fraction
from mscsim.scenario import Scenario
from mscsim.trial._check import dose_days
from mscsim.trial._support import check_supported
from mscsim.trial._t1dm_arms import arm_inputs, parts
from mscsim.trial._t1dm_run import PARAMETER_MODULES, sample_population, t1_setup

# Live-cell channels of the engine (`_t1dm_arms.N_CHANNELS`): MSC compartments, then IPC inflow.
CHANNEL_IDS: tuple[str, ...] = (*MSC_IDS, "ipc_inflow_cells")


def exported_channels(cells: tuple[float, ...]) -> tuple[float, ...]:
    """The dose channels the file has: all but the islet inflow, which exported arms (no islet
    transplant: refused in `arm_models`) never fill."""
    if any(cells[len(CHANNEL_IDS) :]):
        raise ExportError("islet grafts are not yet in the SBML export")
    return cells[: len(CHANNEL_IDS)]


# Teff/Treg/APC states -> their names in trajectories.nc (and SBML ids).
LYMPH_IDS: Mapping[str, str] = {f: f"{f}_cells" for f in Lymph._fields}

# T2DM titration (usual care / treat-to-target) is not the T1DM titration: its constants stay out.
_T2DM_TITRATION = frozenset(
    {
        "titration_elasticity",
        "titration_adherence",
        "ttt_fpg_goal",
        "ttt_step",
        "ttt_max_step",
        "ttt_hypo_threshold",
        "ttt_hypo_reduction",
    }
)
_T1_TABLE_PARAMETERS: tuple[str, ...] = (
    "t1d_beta_initial", "t1d_titration_gain", "t1d_titration_max_step",
    "t1d_insulin_free_threshold", "t1d_gad_half_life", "hsc_conditioning_days",
    "hsc_conditioning_residual", "hsc_conditioning_treg_residual", "ipc_inflow_half_life",
)  # fmt: skip
# Patient values of the T2DM Patient record that the T1DM equations read, with T1DM notes where
# the T2DM note would mislead (T1DM titration uses neither insulin_ref nor the T2DM modes).
_T1_PATIENT_NOTES: Mapping[str, str] = {
    "death_multiplier": "beta-cell death relative to Topp's d0 (1: autoimmune killing is apart)",
    "duration0_years": "0: the progenitor pool of HGF neogenesis is counted from enrolment",
    "fpg_goal": "fasting glucose goal of the patient's weekly insulin titration",
    "insulin_max": "largest daily insulin dose",
    "infl0": "inflammation index at enrolment (1: tissue macrophages as in lean adults)",
}
_T1_PATIENT_FIELDS = tuple(
    f for f in _PATIENT_FIELDS if f not in ("insulin_ref", "titration_mode", "insulin_treated")
)


def _immune_tables() -> Mapping[str, str]:
    """ImmuneParams field -> parameter table name, for the module's disease point and nu."""
    suffix = "_early" if DISEASE_POINT == "early" else ""
    nu = "t1d_antigen_presentation_rate" + ("_high" if ANTIGEN_PRESENTATION == "high" else "")
    return {
        "apc_migration": "t1d_apc_migration_rate",
        "apc_death": "t1d_apc_death_rate",
        "teff_priming": "t1d_teff_priming_rate",
        "treg_priming": "t1d_treg_priming_rate",
        "teff_proliferation": "t1d_teff_proliferation_rate",
        "treg_proliferation": "t1d_treg_proliferation_rate",
        "teff_migration": "t1d_teff_migration_rate",
        "treg_migration": "t1d_treg_migration_rate",
        "teff_death": "t1d_teff_death_rate",
        "treg_death": "t1d_treg_death_rate",
        "ln_capacity": "t1d_ln_capacity",
        "beta_killing": "t1d_beta_killing_rate",
        "antigen_presentation": nu,
        "treg_suppression_ln": "t1d_treg_suppression_ln" + suffix,
        "treg_suppression_pancreas": "t1d_treg_suppression_pancreas" + suffix,
        "treg_induction_max": "t1d_treg_induction_max",
        "teff_suppression_max": "t1d_teff_suppression_max",
        "dc_tolerance_max": "t1d_dc_tolerance_max",
        "beta_protection_max": "t1d_beta_protection_max",
    }


@dataclass(frozen=True)
class T1PatientModel:
    """Everything specific to virtual T1DM patient K of one arm, as floats in model units."""

    scenario: str
    arm: str
    index: int  # row within the arm
    patient_id: int  # candidate id of the population (`patient_id` in trajectories.nc)
    seed: int
    patient: T1Patient  # after the arm's inputs (potency, conditioning start, IPC constants)
    state0: T1State  # enrolment state (after the burn-in)
    dose0: float  # insulin IU/day at enrolment
    g_mean0: float  # day-mean glucose at enrolment (quasi-steady state, mg/dL)
    g_fast0: float  # fasting glucose at enrolment (quasi-steady state, mg/dL)
    cells_by_day: Mapping[int, tuple[float, ...]]  # live cells per channel (CHANNEL_IDS)
    titration_days: tuple[int, ...]
    duration_days: int
    product: tuple[str, ...]  # the arm's cell populations, in words


def t1dm_arm_patient_models(
    scenario: Scenario, arm_name: str
) -> tuple[ParameterSet, list[T1PatientModel]]:
    """Parameters and every patient of one T1DM arm, built as `mscsim run` builds them."""
    check_supported(scenario)
    names = [a.name for a in scenario.arms]
    if arm_name not in names:
        raise ExportError(f"arm {arm_name!r} is not in the scenario; its arms: {', '.join(names)}")
    arm = scenario.arms[names.index(arm_name)]
    if any(p.form == "islets" for p in parts(arm)):
        raise ExportError(
            f"arm {arm_name!r} transplants islets: islet grafts are not yet in the SBML export "
            "(the run simulates them)"
        )
    params = load_parameters(*PARAMETER_MODULES)
    v = params.flat()
    # As in trial._t1dm_run.simulate_t1dm: the population and its burn-in in 64-bit arrays.
    with jax.enable_x64(True):
        sh = t1_setup(params)
        pop, candidate_ids = sample_population(scenario, params, sh)
    grid = make_grid(int(scenario.duration_days), scenario.visits_days)
    pat, dosing, _ = arm_inputs(arm, pop.patient, grid, v)
    per_day = dose_days(dosing.amount, grid)
    titr = tuple(sorted(int(d) for d in grid.day[titration_days(grid, v["titration_interval"])]))
    scale = np.asarray(dosing.scale, dtype=np.float64)
    route = np.asarray(dosing.route, dtype=np.float64)
    product = tuple(
        f"{p.source} {p.form} {p.dose:g} {'cells/kg' if p.per_kg else 'cells'} by {p.route}"
        for p in parts(arm)
    )
    models = []
    for k in range(len(candidate_ids)):
        cells = {d: tuple(float(x) for x in a * scale[k] * route[k]) for d, a in per_day.items()}
        models.append(
            T1PatientModel(
                scenario=scenario.name,
                arm=arm_name,
                index=k,
                patient_id=int(candidate_ids[k]),
                seed=int(scenario.population.seed),
                patient=patient_at(pat, k),
                state0=jax.tree_util.tree_map(lambda a, k=k: float(np.asarray(a)[k]), pop.state),
                dose0=float(pop.dose[k]),
                g_mean0=float(pop.g_mean[k]),
                g_fast0=float(pop.g_fast[k]),
                cells_by_day={d: c for d, c in cells.items() if any(x != 0.0 for x in c)},
                titration_days=titr,
                duration_days=int(scenario.duration_days),
                product=product,
            )
        )
    return params, models


def t1dm_sbml_model(m: T1PatientModel, params: ParameterSet) -> str:
    """The SBML document of one T1DM patient (validated: libsbml consistency errors raise)."""
    builder = _T1Builder(m, params)
    builder.build()
    return builder.text()


class _T1Builder(SbmlBuilder):
    def __init__(self, m: T1PatientModel, params: ParameterSet) -> None:
        super().__init__(m, params)
        self.m = m
        self.sh: T1Shared = t1_setup(params)
        if not math.isinf(float(m.patient.clock_stop)):
            raise ValueError(f"patient {m.index} has a finite clock_stop after enrolment")

    def build(self) -> None:
        m, model = self.m, self.model
        model.setId(f"mscsim_t1dm_{safe_id(m.arm)}_patient_{m.index}")
        model.setName(f"{m.scenario}: arm {m.arm}, patient {m.index} (full T1DM model)")
        model.setTimeUnits(self.unit("day"))
        check(model.setNotes(xhtml(*self._model_notes())), "model notes")
        for name in _TABLE_PARAMETERS:
            if name not in _T2DM_TITRATION:
                self.table(name)
        immune = _immune_tables()
        for field, name in immune.items():
            # The table's unit is the model's: the value must be the one the run uses.
            if self.params[name].value != getattr(self.sh.immune, field):
                raise ValueError(f"{name}: table value is not the run's {field}")
            self.table(name)
        for name in _T1_TABLE_PARAMETERS:
            self.table(name)
        self._patient()
        self.common_constants()
        self._constants()
        self.common_derived()
        self._derived()
        self._states()
        self._rules()
        self._events()

    def _model_notes(self) -> list[str]:
        m = self.m
        doses = "; ".join(
            f"day {d}: "
            + ", ".join(
                f"{sid} {c:.6g}"
                for sid, c in zip(CHANNEL_IDS, exported_channels(cells), strict=True)
                if c
            )
            for d, cells in m.cells_by_day.items()
        )
        start = float(m.patient.conditioning_start)
        return [
            f"mscsim {__version__} export of scenario {m.scenario!r}, arm {m.arm!r}, patient "
            f"{m.index} of the arm (patient_id {m.patient_id}, population seed {m.seed}).",
            "Full, un-reduced T1DM model (the SciPy reference path of mscsim): dynamic glucose "
            "and insulin (Topp 2000 with injected insulin; engrafted IPCs secrete as beta-cell "
            "mass), Topp/T2DM slow states, Teff/Treg/APC lymph-node and pancreas states, GAD-"
            "antibody proxy, IPC graft, MSC compartments and IPC inflow as rate rules; MSC "
            "signals, immune coupling terms, conditioning and observables as assignment rules. "
            "Time unit: day. Starts at the patient's enrolment state (after the burn-in from "
            "diagnosis).",
            "Fasting glucose: a second glucose-insulin pair driven by the fasting appearance; it "
            "stands for the engine's fasting quasi-steady state and relaxes to it (its vector "
            "field scaled by fasting_pair_speedup, which keeps its steady state).",
            "Events at the start of integer days: T1DM titration of insulin_iu_day on days 7k "
            "before the end of the run (one repeating event, priority 2, from the fasting "
            "glucose at that instant), then the day's live cells (priority 1) into each channel.",
            f"Product: {', '.join(m.product) or 'none'}. Cells: {doses or 'none'}. "
            + (
                f"HSC conditioning from day {start:g} (logistic window)."
                if math.isfinite(start)
                else "No HSC conditioning."
            ),
            f"Simulate to day {m.duration_days}; state ids are the variable names of "
            "trajectories.nc. Output at an event time shows the state after its events; the run "
            "records a day before its events (take the left limit, t - 1e-7).",
            "Solver: cells span 0 to 1e9, so give msc_*, ipc_inflow_cells and the T-cell and APC "
            "states an absolute tolerance of about 1e-6 cells (libRoadRunner: "
            "integrator.setIndividualTolerance).",
        ]

    def _patient(self) -> None:
        m = self.m
        base = m.patient.base
        for name in _T1_PATIENT_FIELDS:
            unit, note = _PATIENT_FIELDS[name]
            self.patient_value(
                name, float(getattr(base, name)), unit, _T1_PATIENT_NOTES.get(name, note)
            )
        pat = m.patient
        self.patient_value(
            "kill_factor",
            float(pat.kill_factor),
            "dimensionless",
            "effector killing of beta cells relative to t1d_beta_killing_rate",
        )
        self.patient_value(
            "teff_ref",
            float(pat.teff_ref),
            "cell",
            "lymph-node effector T cells at enrolment: the GAD-antibody proxy's 100%",
        )
        self.patient_value(
            "ipc_mg_per_cell",
            float(pat.ipc_mg_per_cell),
            "mg/cell",
            "beta-cell mass equivalent of one engrafted insulin-positive IPC "
            "(_t1dm_arms.ipc_mg_per_cell: ipc.yaml capacity x ipc_in_vivo_capacity_factor; "
            "0 without IPCs)",
        )
        self.patient_value(
            "ipc_graft_decay",
            float(pat.ipc_graft_decay),
            "1/day",
            "loss rate of the IPC graft, ln 2 / ipc_graft_half_life_<route> (ipc.yaml; 0 "
            "without IPCs)",
        )
        if math.isfinite(float(pat.conditioning_start)):
            self.patient_value(
                "conditioning_start",
                float(pat.conditioning_start),
                "day",
                "day immunoablative conditioning of the HSC transplant starts (the arm's first "
                "dosing day)",
            )
        for day, cells in m.cells_by_day.items():
            for sid, c in zip(CHANNEL_IDS, exported_channels(cells), strict=True):
                if c != 0.0:
                    self.patient_value(
                        f"dose_day_{day}_{sid}",
                        c,
                        "cell",
                        f"live cells into {sid} on day {day}: dose x weight for /kg doses x "
                        "viability x MSC equivalence x first-pass route share, summed over the "
                        "arm's components (IPC inflow: insulin-positive, engrafting IPCs)",
                    )

    def _constants(self) -> None:
        self.constant(
            "conditioning_edge_days",
            CONDITIONING_EDGE_DAYS,
            "day",
            "width of the logistic rise and fall of conditioning drug exposure (keeps the "
            "rates smooth; the window's integral is hsc_conditioning_days)",
            provenance="numerical",
        )
        self.constant("one_in_percent", 100.0, "percent", "1 = 100%: a fraction in percent")
        self.constant(
            "one_cell",
            1.0,
            "cell",
            "smallest T-cell total of the lymph-node Treg fraction's denominator",
            provenance="numerical",
        )

    def _derived(self) -> None:
        d = self.derived
        d(
            "cells_per_mg",
            "t1d_beta_initial / beta_healthy",
            "cell/mg",
            "immune-model beta cells per mg of Topp beta-cell mass",
        )
        d("gad_rate", "ln(2 dimensionless) / t1d_gad_half_life", "1/day", "GAD proxy relaxation")
        d(
            "conditioning_rate",
            "-ln(hsc_conditioning_residual) / hsc_conditioning_days",
            "1/day",
            "effector T-cell and APC kill rate during conditioning",
        )
        d(
            "conditioning_treg_rate",
            "-ln(hsc_conditioning_treg_residual) / hsc_conditioning_days",
            "1/day",
            "regulatory T-cell kill rate during conditioning",
        )
        d(
            "k_ipc_inflow",
            "ln(2 dimensionless) / ipc_inflow_half_life",
            "1/day",
            "rate at which infused IPCs settle into their graft",
        )

    def _states(self) -> None:
        m, sh = self.m, self.sh
        y0, pat = m.state0, m.patient
        # Glucose and insulin start on the slow manifold, as the run's reference path does.
        c_endo = endogenous_insulin_coeff(
            secreting(y0, pat, sh).beta_mass, y0.slow.beta_function, sh.base
        )
        i_exo = pat.base.c_exo * m.dose0
        i0 = float(c_endo * secretion_fraction(m.g_mean0, sh.base) + i_exo)
        if0 = float(c_endo * secretion_fraction(m.g_fast0, sh.base) + i_exo)
        self.glucose_states(m.g_mean0, i0, m.g_fast0, if0)
        self.slow_states(
            y0.slow,
            " - beta_killing_mg_day",
            "; autoimmune killing by pancreatic effector T cells",
        )
        kill = "conditioning_intensity * conditioning_rate * "
        kill_treg = "conditioning_intensity * conditioning_treg_rate * "
        rates = {
            "apc_ln_cells": "t1d_apc_migration_rate * apc_pancreas_cells"
            " - t1d_apc_death_rate * apc_ln_cells - " + kill + "apc_ln_cells",
            "teff_ln_cells": "teff_priming_cells_day + t1d_teff_proliferation_rate"
            " * teff_expansion * ln_free_capacity * teff_ln_cells"
            " - (t1d_teff_migration_rate + t1d_teff_death_rate) * teff_ln_cells"
            " - " + kill + "teff_ln_cells",
            "treg_ln_cells": "t1d_treg_priming_rate * treg_induction_factor * apc_ln_cells"
            " + t1d_treg_proliferation_rate * ln_free_capacity * treg_ln_cells"
            " - (t1d_treg_migration_rate + t1d_treg_death_rate) * treg_ln_cells"
            " - " + kill_treg + "treg_ln_cells",
            "apc_pancreas_cells": "antigen_uptake_cells_day"
            " - (t1d_apc_migration_rate + t1d_apc_death_rate) * apc_pancreas_cells"
            " - " + kill + "apc_pancreas_cells",
            "teff_pancreas_cells": "t1d_teff_migration_rate * teff_ln_cells"
            " - t1d_teff_death_rate * teff_pancreas_cells - " + kill + "teff_pancreas_cells",
            "treg_pancreas_cells": "t1d_treg_migration_rate * treg_ln_cells"
            " - t1d_treg_death_rate * treg_pancreas_cells - " + kill_treg + "treg_pancreas_cells",
        }
        notes = {
            "apc_ln": "antigen-presenting cells in the pancreatic lymph node (A_L)",
            "teff_ln": "effector T cells in the lymph node (E_L)",
            "treg_ln": "regulatory T cells in the lymph node (R_L)",
            "apc_pancreas": "antigen-loaded APCs in the pancreas (A_P)",
            "teff_pancreas": "effector T cells in the pancreas (E_P)",
            "treg_pancreas": "regulatory T cells in the pancreas (R_P)",
        }
        for field, sid in LYMPH_IDS.items():
            self.state(sid, getattr(y0.lymph, field), "cell", rates[sid], notes[field])
        self.state(
            "gad_antibody_pct",
            100.0 * y0.gad,
            "percent",
            "gad_rate * (one_in_percent * teff_ln_cells / teff_ref - gad_antibody_pct)",
            "GAD-antibody proxy, % of enrolment: follows the lymph-node effector (helper) T "
            "cells with a lag",
        )
        self.state(
            "ipc_graft_cells",
            y0.ipc_graft,
            "cell",
            "k_ipc_inflow * ipc_inflow_cells - ipc_graft_decay * ipc_graft_cells",
            "engrafted insulin-positive IPCs",
        )
        self.msc_states()
        self.state(
            "ipc_inflow_cells",
            0.0,
            "cell",
            "-k_ipc_inflow * ipc_inflow_cells",
            "infused insulin-positive IPCs on their way into the graft",
        )
        self.insulin_dose_state(m.dose0)

    def _rules(self) -> None:
        r = self.rule
        r(
            "secreting_beta_mass_mg",
            "beta_mass_mg + ipc_graft_cells * ipc_mg_per_cell",
            "mg",
            "beta-cell mass plus engrafted IPCs as beta-cell mass equivalent (secretes insulin "
            "and C-peptide)",
        )
        self.secretion_rules("secreting_beta_mass_mg")
        self.msc_signal_rules()
        self.slow_term_rules()
        self._immune_rules()
        self.fasting_observable_rules()
        r(
            "insulin_free_pct",
            "piecewise(one_in_percent, insulin_iu_day < t1d_insulin_free_threshold * weight_kg,"
            " 0 percent)",
            "percent",
            "100% if the patient is insulin-free (dose below the threshold), else 0",
        )
        # Weekly T1DM titration (physiology.t1dm._clinical.t1_titrate) from the fasting glucose.
        r(
            "titration_step_unclipped",
            "t1d_titration_gain * weight_kg * (glucose_fasting_mg_dl / fpg_goal - 1 dimensionless)",
            "IU/day",
        )
        r(
            "titration_step",
            clip(
                "titration_step_unclipped",
                "-t1d_titration_max_step * weight_kg",
                "t1d_titration_max_step * weight_kg",
            ),
            "IU/day",
            "weekly dose change: integral control toward the fasting goal, bounded",
        )
        r(
            "insulin_dose_titrated",
            clip("insulin_iu_day + titration_step", "0 IU_per_day", "insulin_max"),
            "IU/day",
            "the dose a titration event sets",
        )

    def _immune_rules(self) -> None:
        r = self.rule
        if math.isfinite(float(self.m.patient.conditioning_start)):
            logistic = (
                "1 dimensionless / (1 dimensionless + exp(-(time - {0}) / conditioning_edge_days))"
            )
            r(
                "conditioning_intensity",
                logistic.format("conditioning_start")
                + " - "
                + logistic.format("conditioning_start - hsc_conditioning_days"),
                "dimensionless",
                "immunoablative conditioning (cyclophosphamide + ATG) intensity 0..1: a smooth "
                "window from conditioning_start for hsc_conditioning_days",
            )
        else:
            p = self._parameter("conditioning_intensity", 0.0, "dimensionless", constant=True)
            self._annotate(
                p,
                source="",
                provenance="scenario (no HSC component)",
                note="no HSC transplant in this arm: no conditioning",
            )
        r("beta_cells", "beta_mass_mg * cells_per_mg", "cell", "beta cells of the immune model")
        r(
            "teff_expansion",
            "1 dimensionless - t1d_teff_suppression_max * msc_signal_immune",
            "dimensionless",
            "teff_suppression: factor on effector priming and proliferation",
        )
        r(
            "dc_tolerance_factor",
            "1 dimensionless - t1d_dc_tolerance_max * msc_signal_immune",
            "dimensionless",
            "dc_tolerance: factor on effector priming per lymph-node APC",
        )
        r(
            "treg_induction_factor",
            "1 dimensionless + t1d_treg_induction_max * msc_signal_immune",
            "dimensionless",
            "treg_induction: factor on Treg priming",
        )
        r(
            "beta_protection_factor",
            "1 dimensionless - t1d_beta_protection_max * msc_signal_trophic",
            "dimensionless",
            "beta_protection: factor on beta-cell killing",
        )
        r(
            "ln_free_capacity",
            "1 dimensionless - (teff_ln_cells + treg_ln_cells) / t1d_ln_capacity",
            "dimensionless",
            "free share of the lymph node's T-cell capacity",
        )
        r(
            "pancreas_suppression",
            f"1 dimensionless + {_immune_tables()['treg_suppression_pancreas']}"
            " * treg_pancreas_cells",
            "dimensionless",
            "pancreatic Tregs damp killing and antigen release",
        )
        r(
            "teff_priming_cells_day",
            "t1d_teff_priming_rate * dc_tolerance_factor * teff_expansion * apc_ln_cells"
            f" / (1 dimensionless + {_immune_tables()['treg_suppression_ln']} * treg_ln_cells)",
            "cell/day",
            "effector T cells primed by lymph-node APCs",
        )
        r(
            "antigen_uptake_cells_day",
            f"{_immune_tables()['antigen_presentation']} * teff_pancreas_cells * beta_cells"
            " / pancreas_suppression",
            "cell/day",
            "APCs loaded with beta-cell antigen where effectors kill",
        )
        r(
            "beta_killing_mg_day",
            "t1d_beta_killing_rate * kill_factor * beta_protection_factor * teff_pancreas_cells"
            " * beta_mass_mg / pancreas_suppression",
            "mg/day",
            "beta-cell mass killed by pancreatic effector T cells",
        )
        r(
            "treg_fraction_ln",
            "treg_ln_cells / piecewise(teff_ln_cells + treg_ln_cells,"
            " teff_ln_cells + treg_ln_cells > one_cell, one_cell)",
            "dimensionless",
            "Treg share of lymph-node T cells",
        )

    def _events(self) -> None:
        m = self.m
        if m.titration_days:
            self.titration_event(m.titration_days, m.duration_days)
        for day, cells in m.cells_by_day.items():
            adds = {
                sid: f"{sid} + dose_day_{day}_{sid}"
                for sid, c in zip(CHANNEL_IDS, exported_channels(cells), strict=True)
                if c != 0.0
            }
            self.event(f"cell_dose_day_{day}", f"time >= {day} day", 1, adds)
        if m.cells_by_day:
            self.clearance_event(CHANNEL_IDS)
