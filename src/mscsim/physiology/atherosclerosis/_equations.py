"""Atherosclerosis equations (seed 000 §2.4), written once for numpy and jax.numpy.

Plaque is read out as percent atheroma volume (PAV, IVUS). Its rate is linear in LDL-C:

    dPAV/dt = slope (LDL retention - LDL_neutral regression)

so that, with the vessel wall in its untreated disease state (retention = regression = 1),
plaque neither grows nor regresses at LDL_neutral (about 75 mg/dL) and changes by `slope` per
mg/dL on either side: the pooled IVUS relation (Nicholls 2007) with the slope of the GLAGOV
arms. The wall states set how much LDL is retained and how much plaque is cleared:

- `oxidative_stress` O (1 = untreated disease) lowers `enos_no`, the eNOS/NO bioavailability
  (fraction of healthy): the eNOS/NO imbalance that initiates atherosclerosis.
- `adhesion` (VCAM-1/ICAM-1 expression, 1 = untreated) rises as NO falls (NO restrains NF-kB)
  and recruits monocytes: retention.
- `m1_fraction` of plaque macrophages: M1 retain lipid and inflame (retention), M2 clear it
  (regression). `treg` (1 = untreated) adds regression and damps plaque inflammation:
  `treg_damping` scales the M1 drive by 1 / (1 + `treg_m1_damping` (treg - 1)).
- `vsmc_synthetic`: share of plaque VSMCs in the synthetic (dedifferentiated, migrating,
  proliferating, matrix-secreting) phenotype; the contractile share is 1 - it. Its target is the
  untreated share times `wall_inflammation` (M1 share and adhesion molecules relative to
  untreated, i.e. the inflammatory wall that retained LDL creates), and synthetic VSMCs add LDL
  retention (`weight_vsmc`). LDL-C itself enters plaque growth through the calibrated linear
  relation only, so the VSMC drive is the wall's inflammation, not the LDL level, and the
  cited slope and neutral LDL are kept.

MSC coupling (signal s in [0, 1), named after the seed's mechanisms): `akt_enos` (p-AKT/eNOS
restoration), `hgf_adhesion` (HGF lowers adhesion molecules via MAPK/NF-kB), `m2_mirna`
(exosomal miR-let7/miR-21a-5p drive M1 -> M2), `mir146a_src` (less oxidative endothelial
senescence), `treg_induction`, `vsmc_phenotype` (MSCs regulate VSMC phenotype switching:
fewer synthetic VSMCs, refs [19],[21]). Statin lowers LDL-C only (no pleiotropic effect modelled).
Units: time in days, LDL-C in mg/dL, PAV in percent.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Array = Any  # a jax or numpy array (or float): the equations are written for both


class AtheroParams(NamedTuple):
    """Constants of the atherosclerosis module in model units (days, mg/dL, percent)."""

    pav_ldl_slope: float  # PAV percent per day per mg/dL of LDL-C
    ldl_neutral: float  # LDL-C (mg/dL) without net plaque change in the untreated wall
    no_rate: float  # relaxation of eNOS/NO bioavailability (1/day)
    no_disease: float  # NO bioavailability of the untreated diseased endothelium (fraction)
    oxidative_rate: float  # relaxation of oxidative stress (1/day)
    adhesion_rate: float  # relaxation of adhesion-molecule expression (1/day)
    m1_disease: float  # M1 fraction of plaque macrophages, untreated
    polarisation_rate: float  # relaxation of the macrophage phenotype (1/day)
    treg_rate: float  # relaxation of regulatory T cells (1/day)
    weight_adhesion: float  # share of LDL retention carried by monocyte recruitment
    weight_m1: float  # share of LDL retention carried by M1 macrophages
    weight_m2: float  # share of plaque regression carried by M2 macrophages
    weight_treg: float  # share of plaque regression carried by Tregs
    statin_ldl_reduction: float  # fractional LDL-C fall on (high-intensity) statin
    msc_akt_enos: float  # maximal fractional restoration of the NO deficit
    msc_hgf_adhesion: float  # maximal fractional fall of adhesion molecules
    msc_m2_mirna: float  # maximal fractional fall of the M1 fraction
    msc_mir146a_src: float  # maximal fractional fall of oxidative stress / senescence
    msc_treg_induction: float  # maximal fractional rise of Tregs
    treg_m1_damping: float  # relative fall of the M1 drive per unit rise of Tregs
    vsmc_synthetic_disease: float  # synthetic share of plaque VSMCs, untreated
    vsmc_rate: float  # relaxation of the VSMC phenotype (1/day)
    weight_vsmc: float  # share of LDL retention carried by synthetic VSMCs
    msc_vsmc_phenotype: float  # maximal fractional fall of the synthetic share


class AtheroState(NamedTuple):
    """States of the atherosclerosis module."""

    pav: Array  # percent atheroma volume (%)
    enos_no: Array  # NO bioavailability, fraction of healthy
    oxidative_stress: Array  # relative to untreated disease
    adhesion: Array  # relative to untreated disease
    m1_fraction: Array  # of plaque macrophages
    treg: Array  # relative to untreated disease
    vsmc_synthetic: Array  # synthetic share of plaque VSMCs


class AtheroMscEffects(NamedTuple):
    """Fractional MSC effects at signal s (each 0 without a product)."""

    akt_enos: Array
    hgf_adhesion: Array
    m2_mirna: Array
    mir146a_src: Array
    treg_induction: Array
    vsmc_phenotype: Array


def msc_effects(s: Array, p: AtheroParams) -> AtheroMscEffects:
    """The seed's mechanisms scaled by the signal (linear in s: s already saturates)."""
    return AtheroMscEffects(
        akt_enos=p.msc_akt_enos * s,
        hgf_adhesion=p.msc_hgf_adhesion * s,
        m2_mirna=p.msc_m2_mirna * s,
        mir146a_src=p.msc_mir146a_src * s,
        treg_induction=p.msc_treg_induction * s,
        vsmc_phenotype=p.msc_vsmc_phenotype * s,
    )


def treated_ldl(ldl: Array, statin: Array, p: AtheroParams) -> Array:
    """LDL-C (mg/dL) on statin (`statin` 0 none to 1 high-intensity)."""
    return ldl * (1.0 - statin * p.statin_ldl_reduction)


def ldl_retention(y: AtheroState, p: AtheroParams) -> Array:
    """LDL retention relative to the untreated wall: monocyte recruitment and M1 macrophages."""
    return (
        1.0
        + p.weight_adhesion * (y.adhesion - 1.0)
        + p.weight_m1 * (y.m1_fraction / p.m1_disease - 1.0)
        + p.weight_vsmc * (y.vsmc_synthetic / p.vsmc_synthetic_disease - 1.0)
    )


def wall_inflammation(y: AtheroState, p: AtheroParams) -> Array:
    """Inflammation of the plaque wall relative to untreated (M1 share and adhesion molecules)."""
    return 0.5 * (y.m1_fraction / p.m1_disease + y.adhesion)


def treg_damping(y: AtheroState, p: AtheroParams) -> Array:
    """Factor (1 untreated) on the M1 drive: Tregs damp plaque inflammation."""
    return 1.0 / (1.0 + p.treg_m1_damping * (y.treg - 1.0))


def plaque_regression(y: AtheroState, p: AtheroParams) -> Array:
    """Plaque clearance relative to the untreated wall: M2 macrophages and Tregs."""
    m2_ratio = (1.0 - y.m1_fraction) / (1.0 - p.m1_disease)
    return 1.0 + p.weight_m2 * (m2_ratio - 1.0) + p.weight_treg * (y.treg - 1.0)


def athero_rates(y: AtheroState, ldl: Array, s: Array, p: AtheroParams, xp: Any) -> AtheroState:
    """d/dt of the states at LDL-C `ldl` (mg/dL, after treatment) and MSC signal s."""
    e = msc_effects(s, p)
    d_ox = p.oxidative_rate * ((1.0 - e.mir146a_src) - y.oxidative_stress)
    no_target = 1.0 - (1.0 - p.no_disease) * y.oxidative_stress * (1.0 - e.akt_enos)
    d_no = p.no_rate * (no_target - y.enos_no)
    no_deficit = xp.maximum(1.0 - y.enos_no, 0.0) / (1.0 - p.no_disease)
    d_adhesion = p.adhesion_rate * (no_deficit * (1.0 - e.hgf_adhesion) - y.adhesion)
    m1_target = p.m1_disease * (1.0 - e.m2_mirna) * treg_damping(y, p)
    d_m1 = p.polarisation_rate * (m1_target - y.m1_fraction)
    d_treg = p.treg_rate * ((1.0 + e.treg_induction) - y.treg)
    vsmc_target = p.vsmc_synthetic_disease * wall_inflammation(y, p) * (1.0 - e.vsmc_phenotype)
    d_vsmc = p.vsmc_rate * (vsmc_target - y.vsmc_synthetic)
    d_pav = p.pav_ldl_slope * (ldl * ldl_retention(y, p) - p.ldl_neutral * plaque_regression(y, p))
    return AtheroState(d_pav, d_no, d_ox, d_adhesion, d_m1, d_treg, d_vsmc)
