"""Parkinson's disease equations (seed 000 §2.2), written once for numpy and jax.numpy.

States (fractions of a healthy adult unless stated):

- `terminals` T: dopaminergic terminals in the striatum (putamen).
- `somata` N: pigmented dopaminergic neurons of the substantia nigra pars compacta.
- `synuclein` S: toxic alpha-synuclein / Lewy pathology burden, 1 at enrolment.
- `microglia` M: activated fraction of nigrostriatal microglia (neuroinflammation).
- `dopamine` D: striatal dopamine.
- `microvessels` V: nigrostriatal microvascular density relative to untreated PD (1 at enrolment).

Terminals and somata are separate states because terminals go first (Kordower 2013): the
same disease drive d = k S (1 + g M) removes terminals `terminal_loss_ratio` times faster
than somata. Striatal dopamine follows the terminals that make it. MDS-UPDRS part III grows
with the logarithm of the dopamine deficit, so exponential terminal loss gives the linear
score progression that cohorts report (PPMI: linear over five years, Holden 2018).

MSC coupling (dimensionless signal s in [0, 1), named after the seed's mechanisms):
`anti_inflammation` lowers microglial activation (MSC/exosome paracrine action, exosomal
miR-21/miR-143); `neurotrophic_protection` (GDNF, BDNF, VEGF) lowers the hazard of somata and
terminals and lets surviving somata sprout terminals (`neurotrophic_sprouting`);
`anti_apoptosis` lowers the hazard of somata (exosomes homed to the injured nigra);
`icam1_smad3_angiogenesis` (MSC exosomes promote angiogenesis of brain microvascular endothelial
cells through ICAM1-SMAD3/P38MAPK and so promote recovery, seed 000 §2.2 ref [14]) raises the
microvessel density V, and `microvascular_support` divides the disease hazard of somata and
terminals by 1 + `vessel_support` (V - 1). Without a product V stays 1, so the natural history
is that of the module without this term.
Units: time in days.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Array = Any  # a jax or numpy array (or float): the equations are written for both


class ParkinsonParams(NamedTuple):
    """Constants of the Parkinson's module in model units (1/day, fractions, points)."""

    soma_loss_rate: float  # k: disease hazard of somata per unit synuclein and inflammation (1/day)
    ageing_loss_rate: float  # healthy-ageing hazard of somata and terminals (1/day)
    terminal_loss_ratio: float  # terminal hazard / soma disease hazard
    synuclein_spread_rate: float  # logistic spread of alpha-synuclein pathology (1/day)
    synuclein_ceiling: float  # plateau of S (relative to enrolment)
    microglia_rate: float  # relaxation of microglial activation (1/day)
    microglia_rest: float  # activated fraction without synuclein pathology
    microglia_per_synuclein: float  # activated fraction per unit S
    microglia_toxicity: float  # g: relative rise of the disease hazard per activated fraction
    dopamine_rate: float  # relaxation of striatal dopamine to the terminal supply (1/day)
    updrs_floor: float  # MDS-UPDRS III of a healthy older adult (points)
    updrs_per_log_deficit: float  # points per e-fold fall of striatal dopamine
    levodopa_response: float  # fraction of the score above the floor removed by levodopa
    msc_anti_inflammation: float  # maximal fractional fall of microglial activation
    msc_neurotrophic: float  # maximal fractional fall of the soma and terminal hazards
    msc_anti_apoptosis: float  # maximal fractional fall of the soma hazard
    msc_sprouting_rate: float  # terminal sprouting per unit (somata - terminals) at s -> 1 (1/day)
    vessel_rate: float  # relaxation of the nigrostriatal microvessel density (1/day)
    vessel_support: float  # relative fall of the disease hazard per unit rise of V
    msc_angiogenesis: float  # maximal fractional rise of the microvessel density


class ParkinsonState(NamedTuple):
    """States of the Parkinson's module (fractions of healthy; S relative to enrolment)."""

    terminals: Array
    somata: Array
    synuclein: Array
    microglia: Array
    dopamine: Array
    microvessels: Array


class ParkinsonMscEffects(NamedTuple):
    """Fractional MSC effects at signal s (each 0 without a product)."""

    anti_inflammation: Array
    neurotrophic_protection: Array
    anti_apoptosis: Array
    neurotrophic_sprouting: Array  # 1/day
    icam1_smad3_angiogenesis: Array


def msc_effects(s: Array, p: ParkinsonParams) -> ParkinsonMscEffects:
    """The seed's mechanisms scaled by the signal (linear in s: s already saturates)."""
    return ParkinsonMscEffects(
        anti_inflammation=p.msc_anti_inflammation * s,
        neurotrophic_protection=p.msc_neurotrophic * s,
        anti_apoptosis=p.msc_anti_apoptosis * s,
        neurotrophic_sprouting=p.msc_sprouting_rate * s,
        icam1_smad3_angiogenesis=p.msc_angiogenesis * s,
    )


def disease_drive(y: ParkinsonState, p: ParkinsonParams) -> Array:
    """Disease hazard of somata (1/day): synuclein toxicity amplified by neuroinflammation."""
    return p.soma_loss_rate * y.synuclein * (1.0 + p.microglia_toxicity * y.microglia)


def microvascular_support(y: ParkinsonState, p: ParkinsonParams) -> Array:
    """Factor (1 untreated) on the disease hazard: denser microvessels support the neurons."""
    return 1.0 / (1.0 + p.vessel_support * (y.microvessels - 1.0))


def parkinson_rates(y: ParkinsonState, s: Array, p: ParkinsonParams, xp: Any) -> ParkinsonState:
    """d/dt of the states at MSC signal s (0 = untreated natural history)."""
    e = msc_effects(s, p)
    drive = disease_drive(y, p) * microvascular_support(y, p)
    protect = 1.0 - e.neurotrophic_protection
    soma_hazard = p.ageing_loss_rate + drive * protect * (1.0 - e.anti_apoptosis)
    terminal_hazard = p.ageing_loss_rate + p.terminal_loss_ratio * drive * protect
    # Surviving somata re-grow terminals under GDNF only up to their own arbour.
    sprouting = e.neurotrophic_sprouting * xp.maximum(y.somata - y.terminals, 0.0)
    d_terminals = -terminal_hazard * y.terminals + sprouting
    d_somata = -soma_hazard * y.somata
    d_synuclein = p.synuclein_spread_rate * y.synuclein * (1.0 - y.synuclein / p.synuclein_ceiling)
    activation = (p.microglia_rest + p.microglia_per_synuclein * y.synuclein) * (
        1.0 - e.anti_inflammation
    )
    d_microglia = p.microglia_rate * (activation - y.microglia)
    d_dopamine = p.dopamine_rate * (y.terminals - y.dopamine)
    d_vessels = p.vessel_rate * ((1.0 + e.icam1_smad3_angiogenesis) - y.microvessels)
    return ParkinsonState(d_terminals, d_somata, d_synuclein, d_microglia, d_dopamine, d_vessels)


def updrs3(dopamine: Array, p: ParkinsonParams, xp: Any, levodopa: Array = 0.0) -> Array:
    """MDS-UPDRS part III (points, 0-132) from striatal dopamine (fraction of healthy).

    Off-medication score: floor + c ln(1 / D). Levodopa is symptomatic: it removes the
    fraction `levodopa_response` of the score above the floor and leaves the states (and so
    degeneration) alone; `levodopa` is 0 (off) or 1 (on), or a fraction of full effect.
    """
    off = p.updrs_floor + p.updrs_per_log_deficit * xp.log(1.0 / xp.maximum(dopamine, 1e-6))
    on = off - levodopa * p.levodopa_response * (off - p.updrs_floor)
    return xp.clip(on, 0.0, 132.0)
