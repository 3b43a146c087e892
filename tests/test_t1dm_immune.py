"""T1DM immune base: Marée 2006 against its curated SBML, the Teff/Treg/APC model against the
authors' published behaviour, and the direction of each MSC coupling term.

Numbers checked and why:
- Marée 2006 (BIOMD0000000381, libRoadRunner, tight tolerances): every state within 1% at every
  0.1 day of 0..100 days; the day-100 values of ../shared/biomodels/README.md (M 1.18e6, Ma 5.0e6,
  Ba 1.97e5, Bn 1.59e3, Cy 1.59) within their rounding; the file's parameter values equal the table.
- Teff/Treg/APC (kenziealyse/ImmunePaper): the authors' script T1DIM Dynamics/PhasePlanePlots.m
  records 34.6806 years to 20% beta-cell mass for their 'late disease' point (r1 = 8e-6,
  r2 = 1e-5) with nu = 1e-5, computed by MATLAB ode23s; we must land within 0.1%. Their
  sensitivity-analysis plot for nu = 1e-2 spans 50-70 years, so that case must fall there.
  Without Treg suppression (their code's default r1 = r2 = 0) beta cells fall to 20% within
  weeks; with strong suppression (r1 = r2 = 1e-4) they stay above 20% over the 70 years the
  authors simulate: the threshold behaviour of their r1-r2 heat maps.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mscsim.params import load_module, missing_sources, unit_registry
from mscsim.physiology.t1dm import (
    NO_MSC,
    SBML_PARAMETERS,
    SBML_SPECIES,
    ImmuneParams,
    ImmuneState,
    MareeState,
    MscEffects,
    beta_cell_fraction,
    beta_protection,
    dc_tolerance,
    disease_beta_fraction,
    immune_initial_state,
    immune_params,
    immune_rates,
    maree_initial_state,
    maree_params,
    maree_rates,
    simulate_immune,
    simulate_maree,
    teff_suppression,
    time_to_beta_fraction,
    treg_induction,
)

BIOMODELS = Path(__file__).resolve().parents[1].parent / "shared" / "biomodels"
SBML = BIOMODELS / "BIOMD0000000381.xml"
needs_sbml = pytest.mark.skipif(
    not SBML.exists(),
    reason=f"curated SBML not found at {SBML} (../shared/biomodels/ beside the clone)",
)

YEAR = 365.0
HORIZON_YEARS = 70.0  # the authors simulate 70 years
T_IMMUNE = np.arange(0.0, HORIZON_YEARS * YEAR + 1.0, 1.0)
T_MAREE = np.linspace(0.0, 100.0, 1001)


def _years_to_onset(p: ImmuneParams, msc: MscEffects = NO_MSC) -> float:
    res = simulate_immune(T_IMMUNE, params=p, msc=msc)
    return time_to_beta_fraction(res, disease_beta_fraction()) / YEAR


# --- Marée 2006 against BioModels BIOMD0000000381 --------------------------------------------


@needs_sbml
def test_maree_matches_roadrunner_within_one_percent_over_100_days() -> None:
    roadrunner = pytest.importorskip("roadrunner")
    rr = roadrunner.RoadRunner(str(SBML))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    ref = rr.simulate(0.0, 100.0, T_MAREE.size)
    assert np.allclose(np.asarray(ref["time"]), T_MAREE)
    ours = simulate_maree(T_MAREE)
    for field, sid in SBML_SPECIES.items():
        a = np.asarray(getattr(ours.states, field))
        b = np.asarray(ref[sid])
        assert a[0] == pytest.approx(b[0]), f"{sid}(0)"
        # Every state but M starts at 0 and is positive afterwards: compare from t = 0.1.
        dev = float(np.max(np.abs(a[1:] / b[1:] - 1.0)))
        assert dev < 0.01, f"{sid}: largest relative deviation {dev:.2e}"


def test_maree_day_100_matches_the_biomodels_readme() -> None:
    ours = simulate_maree(T_MAREE)
    at_100 = {sid: float(getattr(ours.states, f)[-1]) for f, sid in SBML_SPECIES.items()}
    readme = {"M": 1.18e6, "Ma": 5.0e6, "Ba": 1.97e5, "Bn": 1.59e3, "Cy": 1.59}
    for sid, value in readme.items():
        # The README gives 2-3 significant digits: 1% covers the rounding.
        assert at_100[sid] == pytest.approx(value, rel=0.01), sid


@needs_sbml
def test_sbml_parameter_values_equal_the_table() -> None:
    ns = {
        "s": "http://www.sbml.org/sbml/level2/version4",
        "m": "http://www.w3.org/1998/Math/MathML",
    }
    root = ET.parse(SBML).getroot()
    values = {
        p.get("id"): float(p.get("value", "nan"))
        for p in root.iterfind(".//s:listOfParameters/s:parameter", ns)
    }
    table = load_module("t1dm_immune")
    for sid, name in SBML_PARAMETERS.items():
        assert values[sid] == table.value(name), f"SBML {sid} vs table {name}"
    species = {s.get("id"): s for s in root.iterfind(".//s:species", ns)}
    m0 = float(species["M"].get("initialConcentration", "nan"))
    assert maree_initial_state().resting_macrophages == m0
    assert all(
        float(species[s].get("initialConcentration", "nan")) == 0.0
        for s in SBML_SPECIES.values()
        if s != "M"
    )
    # The wave's centre and width are numbers inside the assignment rule x = ((time - 9)/3)^2.
    rules = root.find(".//s:listOfRules", ns)
    assert rules is not None
    x_rule = next(r for r in rules if r.get("variable") == "parameter_1")
    numbers = [float(c.text or "nan") for c in x_rule.iterfind(".//m:cn", ns)]
    assert numbers == [table.value("maree_wave_peak"), table.value("maree_wave_width"), 2.0]
    # The file also declares g = 1e-5, a leftover of the Copenhagen model that no rule uses:
    # the table does not carry it.
    used = {(c.text or "").strip() for c in rules.iterfind(".//m:ci", ns)}
    assert "g" in values and "g" not in used
    assert set(SBML_PARAMETERS) <= used


def test_balbc_macrophages_clear_the_wave_and_nod_stay_inflamed() -> None:
    """The paper's claim: the same wave leaves NOD islets chronically inflamed, not Balb/c ones."""
    nod = simulate_maree(T_MAREE, strain="nod").states
    balbc = simulate_maree(T_MAREE, strain="balbc").states
    assert nod.activated_macrophages[-1] > 1e6 and nod.cytokines[-1] > 1.0
    assert balbc.activated_macrophages[-1] < 1.0 and abs(balbc.cytokines[-1]) < 1e-6
    assert np.max(balbc.necrotic_beta) < 0.05 * np.max(nod.necrotic_beta)  # measured 3%


def test_maree_parameters_convert_from_the_table_units() -> None:
    p = maree_params("nod")
    assert p.engulf_resting == 1e-5 and p.cytokine_decay == 25.0 and p.wave_peak == 9.0
    with pytest.raises(ValueError, match="strain 'c57'"):
        maree_params("c57")  # type: ignore[arg-type]


def test_equations_give_the_same_rates_with_jax_and_numpy() -> None:
    jnp = pytest.importorskip("jax.numpy")
    y = MareeState(6.6e5, 4.2e6, 3.0e5, 3.1e3, 2.6)
    p = maree_params()
    np_rates = np.asarray(maree_rates(11.0, y, p, np))
    jax_rates = np.asarray(maree_rates(jnp.asarray(11.0), MareeState(*map(jnp.asarray, y)), p, jnp))
    assert np.allclose(jax_rates, np_rates, rtol=1e-4, atol=1e-3 * np.abs(np_rates).max())
    z = ImmuneState(1e3, 1.2e5, 2.0e7, 5e2, 2.4e4, 4.1e6, 3.0e5)
    msc = MscEffects(0.3, 0.2, 0.1, 0.4)
    ip = immune_params()
    np_imm = np.asarray(immune_rates(z, ip, msc))
    jax_imm = np.asarray(immune_rates(ImmuneState(*map(jnp.asarray, z)), ip, msc))
    assert np.allclose(jax_imm, np_imm, rtol=1e-4, atol=1e-4 * np.abs(np_imm).max())


# --- Teff/Treg/APC: the authors' published behaviour without MSCs ----------------------------


def test_late_disease_point_reaches_20pct_beta_mass_at_the_authors_34_7_years() -> None:
    years = _years_to_onset(immune_params(disease_point="late", antigen_presentation="low"))
    assert years == pytest.approx(34.6806, rel=1e-3)


def test_published_points_destroy_beta_cells_within_the_70_simulated_years() -> None:
    # Measured: early 2.13 / 6.00 years, late 34.68 / 64.02 years (nu = 1e-5 / 1e-2).
    onset = {
        (point, nu): _years_to_onset(immune_params(disease_point=point, antigen_presentation=nu))
        for point in ("early", "late")
        for nu in ("low", "high")
    }
    assert all(y < HORIZON_YEARS for y in onset.values())
    assert onset["early", "low"] < onset["late", "low"]
    assert onset["early", "high"] < onset["late", "high"]
    assert 50.0 < onset["late", "high"] < 70.0  # the window of the authors' sensitivity plot


def test_without_treg_suppression_beta_cells_are_lost_within_weeks() -> None:
    p = immune_params()._replace(treg_suppression_ln=0.0, treg_suppression_pancreas=0.0)
    assert _years_to_onset(p) * YEAR < 30.0  # measured 17 days


@pytest.mark.parametrize("nu", ["low", "high"])
def test_strong_treg_suppression_keeps_beta_cells_above_20pct_for_70_years(nu: str) -> None:
    base = immune_params(antigen_presentation=nu)  # type: ignore[arg-type]
    strong = base._replace(treg_suppression_ln=1e-4, treg_suppression_pancreas=1e-4)
    res = simulate_immune(T_IMMUNE, params=strong)
    assert math.isinf(time_to_beta_fraction(res, disease_beta_fraction()))
    assert beta_cell_fraction(res)[-1] > 0.5  # measured 0.56 (nu 1e-5) and 0.98 (nu 1e-2)


def test_onset_is_delayed_monotonically_by_stronger_treg_suppression() -> None:
    base = immune_params()
    scales = [0.0, 0.25, 1.0, 4.0, 12.5]  # x the late point; 12.5 gives r1 = 1e-4
    survival = [
        _survival_score(
            base._replace(
                treg_suppression_ln=s * base.treg_suppression_ln,
                treg_suppression_pancreas=s * base.treg_suppression_pancreas,
            ),
            NO_MSC,
        )
        for s in scales
    ]
    assert np.all(np.diff(survival) > 0), survival
    assert survival[0] < 1.0 and survival[-1] > HORIZON_YEARS


def test_antigen_presentation_delays_onset_once_tregs_suppress() -> None:
    """The model's sign for nu (the authors' time-to-disease versus nu figure).

    APCs prime Tregs as well as effectors, and only effector priming is suppressed (by R_L), so
    more antigen presentation means more Treg help: with r1 = r2 = 3e-5, nu = 1e-6 loses the
    beta cells in about 2.5 years and nu = 1e-5 keeps them for 70. Without Treg suppression the
    sign flips (more presentation, faster loss). Lowering nu is therefore not a protective MSC
    effect in this model; `dc_tolerance` acts on effector priming instead.
    """
    mid = immune_params()._replace(treg_suppression_ln=3e-5, treg_suppression_pancreas=3e-5)
    assert _years_to_onset(mid._replace(antigen_presentation=1e-6)) < 5.0
    assert math.isinf(_years_to_onset(mid._replace(antigen_presentation=1e-5)))
    late = immune_params()
    assert _years_to_onset(late._replace(antigen_presentation=1e-2)) > _years_to_onset(late)
    none = late._replace(treg_suppression_ln=0.0, treg_suppression_pancreas=0.0)
    assert _years_to_onset(none._replace(antigen_presentation=1e-2)) < _years_to_onset(none)


def test_lsoda_and_radau_agree_on_time_to_onset() -> None:
    a = simulate_immune(T_IMMUNE, method="LSODA")
    b = simulate_immune(T_IMMUNE, method="Radau")
    f = disease_beta_fraction()
    assert time_to_beta_fraction(a, f) == pytest.approx(time_to_beta_fraction(b, f), rel=1e-5)


# --- MSC coupling terms ---------------------------------------------------------------------


def _survival_score(p: ImmuneParams, msc: MscEffects | Callable[[float], MscEffects]) -> float:
    """Years to onset; past the horizon, the horizon plus the beta-cell fraction left.

    One number that orders outcomes: later onset is better, and among patients who never reach
    onset, more beta cells left is better.
    """
    res = simulate_immune(T_IMMUNE, params=p, msc=msc)
    onset = time_to_beta_fraction(res, disease_beta_fraction())
    if math.isfinite(onset):
        return onset / YEAR
    return HORIZON_YEARS + float(beta_cell_fraction(res)[-1])


HOOKS: dict[str, Callable[[float], MscEffects]] = {
    "treg_induction": lambda e: MscEffects(treg_induction=e),
    "teff_suppression": lambda e: MscEffects(teff_suppression=e),
    "dc_tolerance": lambda e: MscEffects(dc_tolerance=e),
    "beta_protection": lambda e: MscEffects(beta_protection=e),
}
EFFECTS = [0.0, 0.2, 0.4, 0.6, 0.8, 0.95]


@pytest.mark.parametrize("hook", sorted(HOOKS))
@pytest.mark.parametrize(
    ("point", "nu"), [("late", "low"), ("late", "high"), ("early", "low"), ("early", "high")]
)
def test_each_msc_hook_improves_beta_survival_monotonically(hook: str, point: str, nu: str) -> None:
    p = immune_params(disease_point=point, antigen_presentation=nu)  # type: ignore[arg-type]
    scores = [_survival_score(p, HOOKS[hook](e)) for e in EFFECTS]
    assert np.all(np.diff(scores) >= -1e-9), f"{hook} at {point}/{nu}: {scores}"
    assert scores[-1] > scores[0], f"{hook} at {point}/{nu} has no effect: {scores}"


def test_hooks_are_neutral_without_msc_and_bounded_by_their_maxima() -> None:
    p = immune_params()
    assert treg_induction(0.0, p) == teff_suppression(0.0, p) == 1.0
    assert dc_tolerance(0.0, p) == beta_protection(0.0, p) == 1.0
    assert treg_induction(1.0, p) == 1.0 + p.treg_induction_max
    assert beta_protection(1.0, p) == 1.0 - p.beta_protection_max > 0.0
    y = immune_initial_state()._replace(apc_ln=1e3, apc_pancreas=1e2, teff_pancreas=1e4)
    assert immune_rates(y, p, MscEffects()) == immune_rates(y, p)


def test_msc_effects_outside_zero_one_are_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"beta_protection = 1\.0 must lie in \[0, 1\)"):
        simulate_immune(T_IMMUNE[:10], msc=MscEffects(beta_protection=1.0))
    with pytest.raises(ValueError, match=r"treg_induction = -0\.1"):
        simulate_immune(T_IMMUNE[:10], msc=MscEffects(treg_induction=-0.1))


def test_a_short_msc_effect_helps_less_than_a_lasting_one_and_a_year_cures() -> None:
    """A 100-day effect delays onset less than a lasting one; a one-year effect drives the
    effector T cells extinct, which this model never undoes (it has no source of new
    autoreactive effectors besides priming of survivors), so one year is as good as forever.
    """
    p = immune_params()
    lasting = MscEffects(teff_suppression=0.6)

    def for_days(days: float) -> Callable[[float], MscEffects]:
        return lambda t: lasting if t < days else NO_MSC

    none = _survival_score(p, NO_MSC)
    short = _survival_score(p, for_days(100.0))
    one_year = _survival_score(p, for_days(YEAR))
    always = _survival_score(p, lasting)
    assert none < short < always  # measured 34.7 years, 70.26 and 71.0 (never, 99.8% left)
    assert one_year == pytest.approx(always, rel=1e-9)
    res = simulate_immune(T_IMMUNE, params=p, msc=for_days(YEAR))
    assert res.states.teff_ln[-1] < 1.0


def test_beta_cell_fraction_starts_at_one_and_onset_time_interpolates() -> None:
    res = simulate_immune(T_IMMUNE)
    f = beta_cell_fraction(res)
    assert f[0] == 1.0 and np.all(np.diff(f) <= 1e-12)
    onset = time_to_beta_fraction(res, 0.2)
    assert np.interp(onset, res.t, f) == pytest.approx(0.2, rel=1e-3)
    with pytest.raises(ValueError, match=r"fraction 1\.5"):
        time_to_beta_fraction(res, 1.5)


# --- the parameter table ------------------------------------------------------------------------


def test_every_t1dm_immune_unit_parses_and_every_source_is_known() -> None:
    table = load_module("t1dm_immune")
    ureg = unit_registry()
    for p in table.parameters.values():
        ureg.parse_units(p.unit)
    assert missing_sources(table) == []
    assert missing_sources() == []


def test_msc_coupling_parameters_name_their_model_term() -> None:
    table = load_module("t1dm_immune")
    for hook in HOOKS:
        p = table[f"t1d_{hook}_max"]
        assert f"model_term {hook}" in p.note
        assert p.provenance == "assumed" and p.source.startswith("seed004_")
