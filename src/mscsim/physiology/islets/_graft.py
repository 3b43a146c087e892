"""Transplanted islet graft with and without co-transplanted MSCs (seed 004 §1.2.1).

Islets are avascular after isolation: until host vessels grow back in (days 2-14), the graft lives
on oxygen diffusing from the implantation site, and only the share of its tissue that this supply
can keep alive survives (pO2 about 6 mmHg in grafts against 40 in native islets; about 60% of the
beta-cell mass is gone by day 3 even in syngeneic grafts). Revascularisation raises that
oxygen-limited carrying capacity back to the whole graft bed, after which surviving beta cells
slowly replicate back toward it.

Why a small graft does worse than half a large one (the critical mass that the Yoshiaki 2010
result needs): the oxygen capacity is a share of each islet, so by itself it would treat 200 and
400 islets alike (or favour the smaller graft, were islets packed into one hypoxic pellet). What
the literature shows instead is metabolic: a graft too small to normalise the recipient's glucose
stays exposed to hyperglycaemia, which keeps beta-cell apoptosis about three times higher and
stops the regrowth that normoglycaemic grafts show (Biarnes 2002: day-30 beta-cell mass 0.046 mg
when hyperglycaemic vs 0.102 mg when normoglycaemic, from the same 100 islets). The graft and the
recipient's glucose are therefore one loop, and 400 islets cross the threshold that 200 do not.

MSCs act through three named coupling terms, each an Emax function of the live MSCs in the graft
(which decline over days): `islet_revascularisation_vegf` (VEGF speeds vessel ingrowth, Park
2010), `islet_trophic_support` (XIAP/Bcl-2/HSP-32: more islet tissue survives hypoxia, less
apoptosis) and `islet_rejection_suppression` (PGE2/IDO/MMP-2/-9: fewer lymphocytes recruited).
Lymphocytes infiltrate a damaged graft even without alloantigen (HMGB1 from necrotic islets,
Matsuoka 2010); an allograft adds antigen-driven expansion.

All equations take the array module `xp` (numpy here; jax.numpy in a fused engine), like the T2DM
module. Units: days, islets (islet equivalents), cells, glucose in mg/dL, insulin in IU/day.
Evidence level: exploratory (mouse data and mechanism only).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from mscsim.params import ParameterSet, load_parameters

Array = Any  # a numpy or jax array, or a float: the equations are written for both
F64 = NDArray[np.float64]

Site = Literal["kidney_capsule", "portal_vein", "subcutaneous"]
Species = Literal["mouse", "human"]
SITES: tuple[str, ...] = get_args(Site)
SPECIES: tuple[str, ...] = get_args(Species)
EVIDENCE_LEVEL = "exploratory"

# Parameter name of each per-site quantity (the table keeps sites apart by name suffix).
_SITE_KEYS = {
    "oxygen_fraction": "graft_oxygen_fraction_",
    "revascularisation_rate": "graft_revascularisation_rate_",
    "ibmir_loss": "graft_ibmir_loss_",
}


class Shared(NamedTuple):
    """Constants common to every graft (model units), from the `islets` parameter table."""

    necrosis_rate: float  # 1/day: islet tissue beyond the oxygen capacity dies within days
    apoptosis_rate: float  # 1/day at normal glucose
    glucotoxic_gain: float  # 1/day of extra apoptosis per unit of relative glucose excess
    replication_rate: float  # 1/day, maximal, of a revascularised graft below its capacity
    revascularisation_seed: float  # perfused share from donor intra-islet endothelium at t=0
    lymphocyte_recruitment: float  # infiltration per unit of necrotic share per day
    lymphocyte_clearance: float  # 1/day
    lymphocyte_killing: float  # 1/day of islet loss at infiltration index 1
    allo_expansion: float  # 1/day, alloreactive expansion in an allograft
    allo_seed: float  # priming level of the alloreactive clone (infiltration index)
    msc_decay: float  # 1/day (ln 2 / half-life in the graft)
    msc_n50: float  # cells: live MSCs in the graft for half the maximal effect
    vegf_max: float  # maximal relative speed-up of revascularisation
    trophic_max: float  # maximal share of hypoxic and apoptotic death prevented
    immune_max: float  # maximal share of lymphocyte recruitment blocked
    secretion_hill: float
    avascular_delivery: float  # share of graft insulin reaching blood before revascularisation
    recipient_glucose_untreated: float  # mg/dL, STZ-diabetic mouse without graft
    recipient_islet_requirement: float  # functioning islets for half-way glucose
    recipient_glucose_hill: float  # steepness of the glucose response to graft mass


class Setup(NamedTuple):
    """Per-graft constants: the site, the product and the islets (arrays or floats)."""

    bed: Array  # islets seeded at the site after the instant blood-mediated reaction
    oxygen_fraction: Array  # share of avascular islet tissue the site's oxygen keeps alive
    revascularisation_rate: Array  # 1/day, logistic vessel ingrowth at the site
    alloantigen: Array  # 1 for an allograft without immunosuppression, 0 syngeneic/autologous
    potency_trophic: Array  # product potency (1 = reference MSC), VEGF and trophic factors
    potency_immune: Array  # product potency, immunomodulation
    secretion_max: Array  # IU/day per islet at saturating glucose
    secretion_ec50: Array  # mg/dL
    glucose_reference: Array  # mg/dL: normal glucose of the species, above it glucotoxicity


class Graft(NamedTuple):
    """Named states of one graft (or their time derivatives)."""

    islets: Array  # surviving islet equivalents
    vascularisation: Array  # perfused share of the graft bed, 0..1
    lymphocytes: Array  # infiltration index (1 = an allograft at rejection)
    msc: Array  # live co-transplanted MSCs in the graft (cells)


class Effects(NamedTuple):
    """MSC coupling terms, each named after the mechanism edge it implements."""

    islet_revascularisation_vegf: Array  # relative speed-up of vessel ingrowth
    islet_trophic_support: Array  # share of hypoxic and apoptotic islet death prevented
    islet_rejection_suppression: Array  # share of lymphocyte recruitment blocked


class Fluxes(NamedTuple):
    """Islet gains and losses (islets/day): what drove the graft, and its mass balance."""

    hypoxic_necrosis: Array
    apoptosis: Array
    immune_killing: Array
    replication: Array


def msc_effects(msc: Array, setup: Setup, sh: Shared) -> Effects:
    """Emax effects of the live MSCs in the graft: local paracrine factors scale with cells."""
    x_tro = setup.potency_trophic * msc / sh.msc_n50
    x_imm = setup.potency_immune * msc / sh.msc_n50
    e_tro = x_tro / (1.0 + x_tro)
    e_imm = x_imm / (1.0 + x_imm)
    return Effects(
        islet_revascularisation_vegf=sh.vegf_max * e_tro,
        islet_trophic_support=sh.trophic_max * e_tro,
        islet_rejection_suppression=sh.immune_max * e_imm,
    )


def oxygen_capacity(vascularisation: Array, eff: Effects, setup: Setup) -> Array:
    """Islets the graft's oxygen supply keeps alive (islets).

    Before revascularisation only diffusion from the site feeds the graft, which keeps a share
    `oxygen_fraction` of each islet's tissue alive (the anoxic core dies); trophic MSC factors
    let hypoxic cells survive (lower ADP/ATP, anti-apoptotic proteins, Park 2010), raising that
    share. Perfused vessels bring the capacity up to the whole bed.
    """
    f = setup.oxygen_fraction + (1.0 - setup.oxygen_fraction) * eff.islet_trophic_support
    return setup.bed * (f + (1.0 - f) * vascularisation)


def secretion_fraction(glucose: Array, setup: Setup, sh: Shared) -> Array:
    """Sigmoid glucose dependence of islet insulin secretion (0..1)."""
    gh = glucose**sh.secretion_hill
    return gh / (gh + setup.secretion_ec50**sh.secretion_hill)


def insulin_delivery(vascularisation: Array, sh: Shared) -> Array:
    """Share of secreted insulin that reaches the circulation: vessels carry it away."""
    return sh.avascular_delivery + (1.0 - sh.avascular_delivery) * vascularisation


def graft_insulin_secretion(
    islets: Array, vascularisation: Array, glucose: Array, setup: Setup, sh: Shared
) -> Array:
    """Insulin output of the graft into the circulation (IU/day): mass x glucose-driven secretion.

    This is the coupling point for a host glucose model (T1DM module): it gives the graft's
    insulin at the host's glucose.
    """
    return (
        setup.secretion_max
        * islets
        * insulin_delivery(vascularisation, sh)
        * secretion_fraction(glucose, setup, sh)
    )


def recipient_glucose(islets: Array, vascularisation: Array, setup: Setup, sh: Shared) -> Array:
    """Glucose of an STZ-diabetic mouse recipient carrying the graft (mg/dL).

    Glucose settles within hours while the graft changes over days, so it follows the graft's
    functioning mass F (islets x insulin delivery) on a steep dose-response, half-way between the
    untreated and the normal level (`setup.glucose_reference`) at F = `recipient_islet_requirement`.
    A dose-response rather than a glucose balance with the perifusion secretion curve: that curve
    gives islets a fivefold secretory reserve above normal glucose, so a third of a curative graft
    would hold glucose near 200 mg/dL, whereas marginal grafts leave mice diabetic and slightly
    larger ones cure them (Rackham 2011: 42% vs 92% cured; Ren 2019: 150 vs 225 islets).
    """
    functioning = islets * insulin_delivery(vascularisation, sh)
    x = (functioning / sh.recipient_islet_requirement) ** sh.recipient_glucose_hill
    return setup.glucose_reference + (sh.recipient_glucose_untreated - setup.glucose_reference) / (
        1.0 + x
    )


def graft_fluxes(
    y: Graft, glucose: Array, eff: Effects, setup: Setup, sh: Shared, xp: Any
) -> Fluxes:
    """Gains and losses of islets at glucose `glucose` (mg/dL)."""
    capacity = oxygen_capacity(y.vascularisation, eff, setup)
    hypoxic_necrosis = sh.necrosis_rate * xp.maximum(y.islets - capacity, 0.0)
    glucotoxicity = sh.glucotoxic_gain * xp.maximum(glucose / setup.glucose_reference - 1.0, 0.0)
    apoptosis = (sh.apoptosis_rate + glucotoxicity) * (1.0 - eff.islet_trophic_support) * y.islets
    immune_killing = sh.lymphocyte_killing * y.lymphocytes * y.islets
    # Replication needs blood supply. A perfused graft replaces its basal apoptosis (adult
    # beta-cell mass is stable at normal glucose; glucotoxic excess is not replaced) and regrows
    # when below its capacity, so it never outgrows the islets that were transplanted.
    room = xp.maximum(1.0 - y.islets / xp.maximum(capacity, 1e-12), 0.0)
    turnover = sh.apoptosis_rate * (1.0 - eff.islet_trophic_support)
    replication = (turnover + sh.replication_rate * room) * y.vascularisation * y.islets
    return Fluxes(hypoxic_necrosis, apoptosis, immune_killing, replication)


def graft_rates(y: Graft, glucose: Array, setup: Setup, sh: Shared, xp: Any) -> Graft:
    """d/dt of the graft states at recipient glucose `glucose` (mg/dL)."""
    eff = msc_effects(y.msc, setup, sh)
    fl = graft_fluxes(y, glucose, eff, setup, sh, xp)
    d_islets = fl.replication - fl.hypoxic_necrosis - fl.apoptosis - fl.immune_killing

    # Revascularisation: sprouts from the host bed and donor endothelium grow in logistically.
    speed = setup.revascularisation_rate * (1.0 + eff.islet_revascularisation_vegf)
    d_vasc = speed * (y.vascularisation + sh.revascularisation_seed) * (1.0 - y.vascularisation)

    # Lymphocytes: recruited by danger signals of necrotic islets (HMGB1) and, in an allograft,
    # expanded by alloantigen; MSC factors block recruitment and expansion; infiltrates resolve.
    injury = fl.hypoxic_necrosis / xp.maximum(setup.bed, 1e-12)
    allo = (
        sh.allo_expansion
        * setup.alloantigen
        * (y.lymphocytes + sh.allo_seed)
        * xp.maximum(1.0 - y.lymphocytes, 0.0)
    )
    recruitment = (1.0 - eff.islet_rejection_suppression) * (
        sh.lymphocyte_recruitment * injury + allo
    )
    d_lymph = recruitment - sh.lymphocyte_clearance * y.lymphocytes

    d_msc = -sh.msc_decay * y.msc
    return Graft(d_islets, d_vasc, d_lymph, d_msc)


# --------------------------------------------------------------------------------------------
# Specification, parameters and the reference simulation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraftSpec:
    """One islet transplant: islets, co-transplanted MSCs, site, species and host glucose.

    `glucose_mg_dl=None` puts the graft into an STZ-diabetic mouse whose glucose follows the graft
    (the experiments of seed 004 §1.2.1); a number holds host glucose fixed (a host model supplies
    it when coupled). Potencies are relative to the reference MSC product (1).
    """

    islets: float
    msc_cells: float = 0.0
    site: Site = "kidney_capsule"
    species: Species = "mouse"
    allogeneic: bool = False
    glucose_mg_dl: float | None = None
    potency_trophic: float = 1.0
    potency_immune: float = 1.0
    label: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.islets) and self.islets > 0):
            raise ValueError(f"GraftSpec.islets must be a positive number, got {self.islets!r}")
        if not (math.isfinite(self.msc_cells) and self.msc_cells >= 0):
            raise ValueError(f"GraftSpec.msc_cells must be >= 0, got {self.msc_cells!r}")
        if self.site not in SITES:
            raise ValueError(f"GraftSpec.site {self.site!r} not known; allowed: {', '.join(SITES)}")
        if self.species not in SPECIES:
            raise ValueError(
                f"GraftSpec.species {self.species!r} not known; allowed: {', '.join(SPECIES)}"
            )
        for name in ("potency_trophic", "potency_immune"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise ValueError(f"GraftSpec.{name} must be >= 0, got {v!r}")
        if self.glucose_mg_dl is None:
            if self.species != "mouse":
                raise ValueError(
                    "GraftSpec.glucose_mg_dl is None (built-in STZ-diabetic mouse recipient) but "
                    f"species is {self.species!r}; give the host glucose for a human graft"
                )
        elif not (math.isfinite(self.glucose_mg_dl) and self.glucose_mg_dl > 0):
            raise ValueError(f"GraftSpec.glucose_mg_dl must be > 0, got {self.glucose_mg_dl!r}")


def shared_constants(p: Mapping[str, float]) -> Shared:
    """Common constants in model units from a flat name -> value mapping of the `islets` table."""
    return Shared(
        necrosis_rate=p["graft_hypoxic_necrosis_rate"],
        apoptosis_rate=p["graft_apoptosis_rate"],
        glucotoxic_gain=p["graft_glucotoxic_apoptosis_gain"],
        replication_rate=p["graft_replication_rate"],
        revascularisation_seed=p["graft_revascularisation_seed"],
        lymphocyte_recruitment=p["graft_lymphocyte_recruitment"],
        lymphocyte_clearance=p["graft_lymphocyte_clearance_rate"],
        lymphocyte_killing=p["graft_lymphocyte_killing_rate"],
        allo_expansion=p["graft_allo_expansion_rate"],
        allo_seed=p["graft_allo_seed"],
        msc_decay=math.log(2.0) / p["graft_msc_half_life"],
        msc_n50=p["graft_msc_half_effect_cells"],
        vegf_max=p["graft_vegf_revascularisation_max"],
        trophic_max=p["graft_trophic_protection_max"],
        immune_max=p["graft_immune_suppression_max"],
        secretion_hill=p["graft_secretion_hill"],
        avascular_delivery=p["graft_avascular_insulin_delivery"],
        recipient_glucose_untreated=p["graft_recipient_glucose_untreated"],
        recipient_islet_requirement=p["graft_recipient_islet_requirement"],
        recipient_glucose_hill=p["graft_recipient_glucose_hill"],
    )


def site_value(p: Mapping[str, float], quantity: str, site: str) -> float:
    """A per-site parameter (`oxygen_fraction`, `revascularisation_rate`, `ibmir_loss`)."""
    return p[_SITE_KEYS[quantity] + site]


def setup_for(spec: GraftSpec, p: Mapping[str, float]) -> Setup:
    """Per-graft constants of `spec` (IBMIR removes its share of islets at infusion)."""
    return Setup(
        bed=spec.islets * (1.0 - site_value(p, "ibmir_loss", spec.site)),
        oxygen_fraction=site_value(p, "oxygen_fraction", spec.site),
        revascularisation_rate=site_value(p, "revascularisation_rate", spec.site),
        alloantigen=1.0 if spec.allogeneic else 0.0,
        potency_trophic=spec.potency_trophic,
        potency_immune=spec.potency_immune,
        secretion_max=p[f"graft_secretion_max_{spec.species}"],
        secretion_ec50=p[f"graft_secretion_ec50_{spec.species}"],
        glucose_reference=p[f"graft_glucose_reference_{spec.species}"],
    )


@dataclass(frozen=True)
class GraftResult:
    """Trajectories of one graft on `time` (days); computation only, no presentation.

    `lost_*` and `gained_replication` are cumulative islet fluxes, so that
    islets = transplanted - lost_ibmir - lost_necrosis - lost_apoptosis - lost_immune
    + gained_replication at every time (the mass balance).
    """

    spec: GraftSpec
    time: F64
    islets: F64
    vascularisation: F64
    lymphocytes: F64
    msc: F64
    glucose: F64
    insulin_iu_day: F64
    lost_ibmir: float
    lost_necrosis: F64
    lost_apoptosis: F64
    lost_immune: F64
    gained_replication: F64
    evidence_level: str = EVIDENCE_LEVEL

    def at(self, variable: str, day: float) -> float:
        """A trajectory interpolated at `day` (linear between output points)."""
        series = getattr(self, variable)
        if not isinstance(series, np.ndarray):
            raise ValueError(f"{variable!r} is not a trajectory of GraftResult")
        if not self.time[0] <= day <= self.time[-1]:
            raise ValueError(f"day {day} outside the simulated {self.time[0]}..{self.time[-1]}")
        return float(np.interp(day, self.time, series))

    def survival(self, day: float) -> float:
        """Surviving share of the transplanted islets at `day`."""
        return self.at("islets", day) / self.spec.islets

    def time_to_vascularisation(self, level: float = 0.5) -> float:
        """First day the perfused share of the graft reaches `level` (inf if never)."""
        above = np.nonzero(self.vascularisation >= level)[0]
        if above.size == 0:
            return math.inf
        i = int(above[0])
        if i == 0:
            return float(self.time[0])
        t0, t1 = self.time[i - 1], self.time[i]
        v0, v1 = self.vascularisation[i - 1], self.vascularisation[i]
        return float(t0 + (level - v0) * (t1 - t0) / (v1 - v0))


def _glucose(spec: GraftSpec, islets: Array, vasc: Array, setup: Setup, sh: Shared) -> Array:
    if spec.glucose_mg_dl is not None:
        return np.zeros_like(np.asarray(islets, dtype=float)) + spec.glucose_mg_dl
    return np.asarray(recipient_glucose(islets, vasc, setup, sh), dtype=float)


def simulate_graft(
    spec: GraftSpec,
    *,
    days: float = 30.0,
    params: ParameterSet | None = None,
    output_step: float = 0.25,
) -> GraftResult:
    """Integrate one graft with SciPy (LSODA, tight tolerances): the reference path.

    `params` defaults to the `islets` parameter table; pass `load_parameters("islets").replace(...)`
    to explore. The MSC dose is placed in the graft with the islets at day 0.
    """
    if not (math.isfinite(days) and days > 0):
        raise ValueError(f"days must be > 0, got {days!r}")
    if not (math.isfinite(output_step) and 0 < output_step <= days):
        raise ValueError(f"output_step must be in (0, days], got {output_step!r}")
    p = (params if params is not None else load_parameters("islets")).values()
    sh = shared_constants(p)
    setup = setup_for(spec, p)

    def rhs(_t: float, u: F64) -> F64:
        y = Graft(*u[:4])
        g = _glucose(spec, y.islets, y.vascularisation, setup, sh)
        dy = graft_rates(y, g, setup, sh, np)
        fl = graft_fluxes(y, g, msc_effects(y.msc, setup, sh), setup, sh, np)
        return np.array([*dy, fl.hypoxic_necrosis, fl.apoptosis, fl.immune_killing, fl.replication])

    u0 = np.array([setup.bed, 0.0, 0.0, spec.msc_cells, 0.0, 0.0, 0.0, 0.0])
    n = max(round(days / output_step), 1)
    t_eval = np.linspace(0.0, days, n + 1)
    sol = solve_ivp(
        rhs, (0.0, days), u0, method="LSODA", t_eval=t_eval, rtol=1e-8, atol=1e-9, max_step=0.1
    )
    if not sol.success:  # pragma: no cover - a solver failure is a bug in the model
        raise RuntimeError(f"graft simulation failed: {sol.message}")
    u = sol.y
    g = _glucose(spec, u[0], u[1], setup, sh)
    insulin = graft_insulin_secretion(u[0], u[1], g, setup, sh)
    return GraftResult(
        spec=spec,
        time=sol.t,
        islets=u[0],
        vascularisation=u[1],
        lymphocytes=u[2],
        msc=u[3],
        glucose=np.asarray(g, dtype=float),
        insulin_iu_day=np.asarray(insulin, dtype=float),
        lost_ibmir=spec.islets - float(setup.bed),
        lost_necrosis=u[4],
        lost_apoptosis=u[5],
        lost_immune=u[6],
        gained_replication=u[7],
    )


# --------------------------------------------------------------------------------------------
# Yoshiaki 2010 (seed 004 ref [37]) and the calibration of the MSC effect scale
# --------------------------------------------------------------------------------------------

YOSHIAKI_MSC_CELLS = 2.0e5
YOSHIAKI_DAY = 30.0


def yoshiaki_2010_arms() -> dict[str, GraftSpec]:
    """The three arms of the seed's co-transplantation result, as graft specifications.

    Mouse islets in STZ-diabetic mice, modelled without alloantigen: the seed credits the lower
    day-7 infiltration to MSC immunosuppression without calling the grafts allogeneic, and an
    injured syngeneic graft draws lymphocytes too. The seed does not give the site, so the
    kidney capsule of Park 2010 (seed ref [36]) is used; 2e5 adipose MSCs at reference potency.
    """
    return {
        "islets_200": GraftSpec(islets=200.0, label="200 islets"),
        "islets_400": GraftSpec(islets=400.0, label="400 islets"),
        "islets_200_msc": GraftSpec(
            islets=200.0, msc_cells=YOSHIAKI_MSC_CELLS, label="200 islets + 2e5 MSCs"
        ),
    }


def yoshiaki_2010_ratio(params: ParameterSet | None = None, day: float = YOSHIAKI_DAY) -> float:
    """Graft mass of 200 islets + 2e5 MSCs over that of 400 islets alone at `day`."""
    arms = yoshiaki_2010_arms()
    with_msc = simulate_graft(arms["islets_200_msc"], days=day, params=params)
    alone_400 = simulate_graft(arms["islets_400"], days=day, params=params)
    return with_msc.at("islets", day) / alone_400.at("islets", day)


def fit_msc_half_effect_cells(params: ParameterSet | None = None, target: float = 1.0) -> float:
    """The one calibration of the module: MSCs for half the maximal effect, fitted so that
    200 islets + 2e5 MSCs reach `target` times the day-30 graft mass of 400 islets alone.

    Only this scale is fitted; the reduced lymphocyte infiltration at day 7 stays a check.
    The ratio falls as the half-effect dose rises, so a bracketing root search is exact.
    """
    ps = params if params is not None else load_parameters("islets")

    def gap(log10_n50: float) -> float:
        return yoshiaki_2010_ratio(ps.replace(graft_msc_half_effect_cells=10.0**log10_n50)) - target

    return float(10.0 ** brentq(gap, 2.0, 8.0, xtol=1e-6))
