"""Osteoporosis patient (seed 000 §2.1) on the Komarova 2003 base: a formation bias and MSC terms.

Bone mass at the lumbar spine is Komarova's z (% of enrolment) at one representative remodelling
site, with resorption and formation measured against the *healthy* steady state (x1_bar, x2_bar)
of the table's constants. Two inputs move the cells off it:

- `formation_deficit` h (fraction of healthy osteoblast production): the osteogenic-to-adipogenic
  shift of the patients' own BM-MSCs (seed 000 §2.1, ref [9]) lowers osteoblast production to
  h a2. Osteoclasts then settle at x1_bar / sqrt(h) and osteoblasts at x2_bar sqrt(h), so bone is
  resorbed at k1 x1_bar (1/sqrt(h) - 1) %/day: `formation_deficit_for_loss` picks h for a
  cohort's yearly loss (SWAN: about 1%/yr years after menopause).
- MSC effects at signal s in [0, 1) change osteoblast production by the factor (1 + sum e(s)):
  `osteoblast_differentiation` (homed MSCs differentiate into osteoblasts),
  `paracrine_bone_repair` (growth factors), and the exosomal miRNAs that steer osteogenesis
  (seed ref [11]), each its own signed term: `mir216a_osteogenesis` and `mir10b_osteogenesis`
  raise it, `mir1292_osteogenesis` lowers it (`exosomal_mirna_osteogenesis` is their net).
  Cells carry the first two, exosomes the miRNA terms.
- The product (`OsteoProduct`, per arm): `bmp2_osteoinduction` multiplies both cell terms of
  BMP2 gene-modified BM-MSCs (seed ref [10]); `autologous_adipogenic_shift` scales the
  osteoblast differentiation of the patient's own BM-MSCs, whose osteogenic genes are down and
  adipogenic genes up (seed ref [9]: the same shift that sets her formation deficit h).

BMD = baseline BMD x z / 100 (`_bmd.lumbar_spine_bmd` with the patient's own reference); the
femoral neck follows z at its own (SWAN) rate ratio and the relative hip-fracture risk follows
the femoral neck by the Marshall 1996 gradient (`_bmd.femoral_neck_bmd`, `_bmd.hip_fracture_risk`).
Units: days, cells as counts, z in percent. Exploratory: the MSC magnitudes are assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology._inputs import SignalInput, check_times, signal_function
from mscsim.physiology._solve import integrate
from mscsim.physiology.osteoporosis._bmd import femoral_neck_bmd, hip_fracture_risk
from mscsim.physiology.osteoporosis._komarova import (
    KomarovaParams,
    KomarovaState,
    komarova_params,
    komarova_rates,
    komarova_steady_state,
)

Array = Any
F64 = NDArray[np.float64]
EVIDENCE_LEVEL = "exploratory"
MODULE = "bone"


class OsteoParams(NamedTuple):
    """Komarova constants, the patient's formation deficit and the MSC effect sizes."""

    komarova: KomarovaParams
    formation_deficit: Array  # h: osteoblast production relative to healthy
    msc_osteoblast_differentiation: Array  # maximal fractional rise of osteoblast production
    msc_paracrine: Array  # maximal fractional rise from paracrine growth factors
    msc_mir216a: Array  # maximal fractional rise from exosomal miR-216a
    msc_mir10b: Array  # maximal fractional rise from exosomal miR-10b
    msc_mir1292: Array  # maximal fractional FALL from exosomal miR-1292
    femoral_neck_site_ratio: Array  # femoral-neck / lumbar yearly loss (SWAN)
    fracture_rr_per_sd: Array  # hip-fracture relative risk per SD of femoral-neck BMD
    femoral_neck_sd: Array  # g/cm^2: one SD of femoral-neck BMD (young-adult reference)


class OsteoProduct(NamedTuple):
    """What the arm's cells are (1, 1: unmodified cells from a healthy donor)."""

    bmp2_osteoinduction: Array = 1.0  # factor on both osteogenic cell terms (BMP2-modified)
    autologous_adipogenic_shift: Array = 1.0  # osteoblast differentiation of her own BM-MSCs


UNMODIFIED: OsteoProduct = OsteoProduct()


class OsteoMscEffects(NamedTuple):
    """Signed fractional changes of osteoblast production at signal s (0 without a product)."""

    osteoblast_differentiation: Array
    paracrine_bone_repair: Array
    mir216a_osteogenesis: Array  # promotes osteogenic differentiation (> 0)
    mir10b_osteogenesis: Array  # promotes osteogenesis, inhibits adipogenesis (> 0)
    mir1292_osteogenesis: Array  # FZD4/Wnt: senescence, inhibits osteogenesis (< 0)


def exosomal_mirna_osteogenesis(e: OsteoMscEffects) -> Array:
    """Net effect of the exosomal miRNAs on osteoblast production (seed 000 §2.1 ref [11])."""
    return e.mir216a_osteogenesis + e.mir10b_osteogenesis + e.mir1292_osteogenesis


def msc_effects(
    s: Array, p: OsteoParams, exosomes: Array = 0.0, product: OsteoProduct = UNMODIFIED
) -> OsteoMscEffects:
    """Effects at signal s; `exosomes` is 1 for an exosome product (no living cells)."""
    cells = 1.0 - exosomes
    bmp2 = product.bmp2_osteoinduction
    return OsteoMscEffects(
        osteoblast_differentiation=cells
        * p.msc_osteoblast_differentiation
        * bmp2
        * product.autologous_adipogenic_shift
        * s,
        paracrine_bone_repair=cells * p.msc_paracrine * bmp2 * s,
        mir216a_osteogenesis=exosomes * p.msc_mir216a * s,
        mir10b_osteogenesis=exosomes * p.msc_mir10b * s,
        mir1292_osteogenesis=-exosomes * p.msc_mir1292 * s,
    )


def osteo_product(
    *, bmp2: bool = False, autologous: bool = False, params: ParameterSet | None = None
) -> OsteoProduct:
    """The product factors from the `bone` table (`genetic_modification: bmp2`,
    `autologous: true` in a scenario)."""
    ps = params if params is not None else load_module(MODULE)
    gain = value_in(ps, "op_bmp2_osteogenic_gain", "dimensionless") if bmp2 else 1.0
    shift = value_in(ps, "op_autologous_osteogenic_potency", "dimensionless") if autologous else 1.0
    return OsteoProduct(bmp2_osteoinduction=gain, autologous_adipogenic_shift=shift)


def formation_deficit_for_loss(loss_pct_per_year: Array, k: KomarovaParams) -> Array:
    """h giving a steady bone loss of `loss_pct_per_year` (% of bone mass per year)."""
    x1_bar, _ = komarova_steady_state(k)
    per_day = loss_pct_per_year / 365.25
    return 1.0 / (1.0 + per_day / (k.resorption_rate * x1_bar)) ** 2


def osteo_rates(
    y: KomarovaState,
    s: Array,
    p: OsteoParams,
    xp: Any,
    exosomes: Array = 0.0,
    product: OsteoProduct = UNMODIFIED,
) -> KomarovaState:
    """d/dt of the Komarova states with the patient's bias and MSC signal s."""
    e = msc_effects(s, p, exosomes, product)
    rise = 1.0 + e.osteoblast_differentiation + e.paracrine_bone_repair
    rise = rise + exosomal_mirna_osteogenesis(e)
    k = p.komarova
    biased = k._replace(osteoblast_production=k.osteoblast_production * p.formation_deficit * rise)
    x1_bar, x2_bar = komarova_steady_state(k)  # the healthy reference of bone balance
    r = komarova_rates(y, biased, xp)
    resorbing = xp.maximum(y.osteoclasts - x1_bar, 0.0)
    forming = xp.maximum(y.osteoblasts - x2_bar, 0.0)
    d_z = -k.resorption_rate * resorbing + k.formation_rate * forming
    return KomarovaState(r.osteoclasts, r.osteoblasts, d_z)


def osteo_initial_state(p: OsteoParams) -> KomarovaState:
    """The patient's biased steady state at enrolment, bone mass 100%."""
    x1_bar, x2_bar = komarova_steady_state(p.komarova)
    h = p.formation_deficit
    return KomarovaState(x1_bar / h**0.5, x2_bar * h**0.5, 100.0 + 0.0 * h)


def osteo_params(
    loss_pct_per_year: Array | None = None, params: ParameterSet | None = None
) -> OsteoParams:
    """Constants from the `bone` table; the formation deficit gives `loss_pct_per_year`
    (default: the table's `op_bone_loss_rate`)."""
    ps = params if params is not None else load_module(MODULE)
    k = komarova_params(ps)
    loss = value_in(ps, "op_bone_loss_rate", "percent/year")
    h = formation_deficit_for_loss(loss if loss_pct_per_year is None else loss_pct_per_year, k)
    return OsteoParams(
        komarova=k,
        formation_deficit=h,
        msc_osteoblast_differentiation=value_in(
            ps, "op_msc_osteoblast_differentiation", "dimensionless"
        ),
        msc_paracrine=value_in(ps, "op_msc_paracrine", "dimensionless"),
        msc_mir216a=value_in(ps, "op_exo_mir216a", "dimensionless"),
        msc_mir10b=value_in(ps, "op_exo_mir10b", "dimensionless"),
        msc_mir1292=value_in(ps, "op_exo_mir1292", "dimensionless"),
        femoral_neck_site_ratio=value_in(ps, "op_bone_loss_rate_femoral_neck", "percent/year")
        / value_in(ps, "op_bone_loss_rate", "percent/year"),
        fracture_rr_per_sd=value_in(ps, "op_fracture_rr_per_sd_hip", "dimensionless"),
        femoral_neck_sd=value_in(ps, "bmd_femoral_neck_young_adult_sd", "g/cm**2"),
    )


@dataclass(frozen=True)
class OsteoporosisResult:
    """Trajectories at `t` (days): Komarova states, the MSC signal, lumbar and femoral-neck BMD
    (g/cm^2) and the hip-fracture risk relative to enrolment."""

    t: F64
    states: KomarovaState
    msc_signal: F64
    bmd_g_cm2: F64
    bmd_femoral_neck_g_cm2: F64
    fracture_risk_rel: F64
    evidence_level: str = EVIDENCE_LEVEL


def simulate_osteoporosis(
    t_days: ArrayLike,
    params: OsteoParams | None = None,
    *,
    msc_signal: SignalInput = 0.0,
    exosomes: bool = False,
    bmd_baseline_g_cm2: float = 0.8,
    bmd_femoral_neck_baseline_g_cm2: float = 0.62,
    product: OsteoProduct = UNMODIFIED,
    initial: KomarovaState | None = None,
    max_step_days: float | None = None,
) -> OsteoporosisResult:
    """Integrate one patient from enrolment (SciPy reference path).

    `msc_signal`: bone MSC signal in [0, 1), a number or a function of days; `exosomes`: the
    product is exosomes (miRNA channel) rather than cells; `product`: BMP2 modification and
    autologous cells (`osteo_product`). BMD scales bone mass from the patient's enrolment BMD.
    """
    t = check_times(t_days)
    p = params if params is not None else osteo_params()
    if not bmd_baseline_g_cm2 > 0:
        raise ValueError(f"bmd_baseline_g_cm2 = {bmd_baseline_g_cm2!r} must be > 0")
    if not bmd_femoral_neck_baseline_g_cm2 > 0:
        raise ValueError(
            f"bmd_femoral_neck_baseline_g_cm2 = {bmd_femoral_neck_baseline_g_cm2!r} must be > 0"
        )
    y0 = initial if initial is not None else osteo_initial_state(p)
    sig = signal_function(msc_signal)
    step = (0.5 if callable(msc_signal) else np.inf) if max_step_days is None else max_step_days
    exo = 1.0 if exosomes else 0.0

    def rhs(tt: float, yy: F64) -> KomarovaState:
        return osteo_rates(KomarovaState(*yy), sig(tt), p, np, exo, product)

    y = integrate(
        rhs, tuple(float(v) for v in y0), t, what="osteoporosis", max_step=step, rtol=1e-10
    )
    states = KomarovaState(*y)
    fn = femoral_neck_bmd(
        states.bone_mass / 100.0,
        baseline_g_cm2=bmd_femoral_neck_baseline_g_cm2,
        site_ratio=p.femoral_neck_site_ratio,
    )
    risk = hip_fracture_risk(
        fn,
        baseline_g_cm2=bmd_femoral_neck_baseline_g_cm2,
        rr_per_sd=p.fracture_rr_per_sd,
        sd_g_cm2=p.femoral_neck_sd,
    )
    return OsteoporosisResult(
        t=t,
        states=states,
        msc_signal=np.array([sig(float(tt)) for tt in t]),
        bmd_g_cm2=np.asarray(bmd_baseline_g_cm2 * states.bone_mass / 100.0, dtype=np.float64),
        bmd_femoral_neck_g_cm2=np.asarray(fn, dtype=np.float64),
        fracture_risk_rel=np.asarray(risk, dtype=np.float64),
    )
