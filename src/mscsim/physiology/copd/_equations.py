"""COPD equations (seed 000 §2.5), written once for numpy and jax.numpy.

States:

- `inflammation` I: airway and systemic inflammatory activity, 1 = untreated COPD.
- `macrophage_m1` F: pro-inflammatory (activated) fraction of alveolar macrophages.
- `epithelial_apoptosis` A: alveolar/airway epithelial apoptosis, 1 = untreated COPD.
- `fev1_ml`: post-bronchodilator FEV1 (mL).

FEV1 falls by healthy ageing plus a disease part carried by inflammation and epithelial
apoptosis, so the untreated patient loses the ECLIPSE mean of 33 mL/yr. Alveolar macrophages
drive part of the inflammation, and inflammation drives epithelial apoptosis.

MSC coupling (signal s in [0, 1), named after the seed's mechanisms): `anti_inflammation`
(anti-inflammatory mediators; exosomes, Exo-d-MAPPS), `macrophage_phenotype` (alveolar
macrophages re-programmed away from the activated phenotype), `epithelial_protection` (less
epithelial apoptosis), `lung_repair` (proliferation and self-repair, mL/day of FEV1).
The SGRQ-like score is a quality-of-life proxy (0-100, higher is worse). Bronchodilators are
symptomatic: a step in measured FEV1 and SGRQ that leaves the decline alone (UPLIFT).
Units: time in days, FEV1 in mL.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Array = Any  # a jax or numpy array (or float): the equations are written for both


class CopdParams(NamedTuple):
    """Constants of the COPD module in model units (days, mL, fractions, SGRQ units)."""

    ageing_decline: float  # mL/day of FEV1 lost without COPD
    disease_decline: float  # mL/day lost by COPD at I = A = 1
    weight_inflammation: float  # share of the disease decline carried by inflammation
    inflammation_rate: float  # relaxation of inflammation (1/day)
    macrophage_rate: float  # relaxation of the alveolar macrophage phenotype (1/day)
    macrophage_m1_disease: float  # activated fraction of alveolar macrophages, untreated
    weight_macrophage: float  # share of inflammation driven by alveolar macrophages
    apoptosis_rate: float  # relaxation of epithelial apoptosis (1/day)
    sgrq_per_100ml: float  # SGRQ units per 100 mL of FEV1 lost since enrolment
    sgrq_per_inflammation: float  # SGRQ units per unit of inflammation above untreated
    bronchodilator_fev1_ml: float  # measured FEV1 step on a long-acting bronchodilator (mL)
    bronchodilator_sgrq: float  # SGRQ improvement on a long-acting bronchodilator (units)
    msc_anti_inflammation: float  # maximal fractional fall of inflammation
    msc_macrophage_phenotype: float  # maximal fractional fall of the activated fraction
    msc_epithelial_protection: float  # maximal fractional fall of epithelial apoptosis
    msc_repair_rate: float  # FEV1 regained at s -> 1 (mL/day)


class CopdState(NamedTuple):
    """States of the COPD module."""

    inflammation: Array
    macrophage_m1: Array
    epithelial_apoptosis: Array
    fev1_ml: Array


class CopdMscEffects(NamedTuple):
    """MSC effects at signal s (each 0 without a product)."""

    anti_inflammation: Array
    macrophage_phenotype: Array
    epithelial_protection: Array
    lung_repair: Array  # mL/day


def msc_effects(s: Array, p: CopdParams) -> CopdMscEffects:
    """The seed's mechanisms scaled by the signal (linear in s: s already saturates)."""
    return CopdMscEffects(
        anti_inflammation=p.msc_anti_inflammation * s,
        macrophage_phenotype=p.msc_macrophage_phenotype * s,
        epithelial_protection=p.msc_epithelial_protection * s,
        lung_repair=p.msc_repair_rate * s,
    )


def fev1_decline(y: CopdState, p: CopdParams) -> Array:
    """FEV1 lost per day (mL/day) before any repair."""
    disease = p.weight_inflammation * y.inflammation + (1.0 - p.weight_inflammation) * (
        y.epithelial_apoptosis
    )
    return p.ageing_decline + p.disease_decline * disease


def copd_rates(y: CopdState, s: Array, p: CopdParams, xp: Any) -> CopdState:
    """d/dt of the states at MSC signal s (0 = untreated natural history)."""
    e = msc_effects(s, p)
    d_m1 = p.macrophage_rate * (
        p.macrophage_m1_disease * (1.0 - e.macrophage_phenotype) - y.macrophage_m1
    )
    drive = 1.0 + p.weight_macrophage * (y.macrophage_m1 / p.macrophage_m1_disease - 1.0)
    d_infl = p.inflammation_rate * (drive * (1.0 - e.anti_inflammation) - y.inflammation)
    d_apop = p.apoptosis_rate * (
        y.inflammation * (1.0 - e.epithelial_protection) - y.epithelial_apoptosis
    )
    d_fev1 = -fev1_decline(y, p) + e.lung_repair
    return CopdState(d_infl, d_m1, d_apop, d_fev1)


def measured_fev1(fev1_ml: Array, bronchodilator: Array, p: CopdParams) -> Array:
    """FEV1 as measured (mL): the state plus the symptomatic bronchodilator step."""
    return fev1_ml + bronchodilator * p.bronchodilator_fev1_ml


def sgrq(
    fev1_ml: Array,
    fev1_baseline_ml: Array,
    inflammation: Array,
    sgrq_baseline: Array,
    bronchodilator: Array,
    p: CopdParams,
    xp: Any,
) -> Array:
    """SGRQ-like quality-of-life score (0-100, higher is worse).

    Rises with FEV1 lost since enrolment and with inflammation above the untreated level
    (symptoms, exacerbations); a bronchodilator lowers it by a fixed step.
    """
    score = (
        sgrq_baseline
        + p.sgrq_per_100ml * (fev1_baseline_ml - fev1_ml) / 100.0
        + p.sgrq_per_inflammation * (inflammation - 1.0)
        - bronchodilator * p.bronchodilator_sgrq
    )
    return xp.clip(score, 0.0, 100.0)
