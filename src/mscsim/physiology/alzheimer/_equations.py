"""Alzheimer's disease equations, written once for numpy and jax.numpy.

Seed 000 names Alzheimer's disease in its abstract only; the module keeps the structure of the
published mechanistic models (Hao & Friedman 2016: amyloid -> microglial activation -> neuron
death) at the smallest size that carries the MSC mechanisms of the seed's neurodegeneration
section (§2.2) and exosome section (§3):

- `amyloid` A: plaque burden as a fraction of its plateau (amyloid-PET scale, Jack 2013: near
  the plateau by the dementia stage), logistic accumulation.
- `microglia` M: activated fraction of microglia (neuroinflammation), driven by amyloid.
- `neurons` N: functional neuronal (synaptic) integrity, fraction of healthy; MMSE = 30 N.

MSC coupling (signal s in [0, 1)): `anti_inflammation` lowers microglial activation;
`amyloid_phagocytosis` adds microglial clearance of plaque; `neuroprotection` lowers the neuron
hazard (trophic support). Units: time in days.
"""

from __future__ import annotations

from typing import Any, NamedTuple

Array = Any  # a jax or numpy array (or float): the equations are written for both

MMSE_MAX = 30.0  # the scale's maximum


class AlzheimerParams(NamedTuple):
    """Constants of the Alzheimer's module in model units (1/day, fractions)."""

    amyloid_growth_rate: float  # logistic accumulation of plaque (1/day)
    microglia_rate: float  # relaxation of microglial activation (1/day)
    microglia_rest: float  # activated fraction without plaque
    microglia_per_amyloid: float  # activated fraction per unit plaque burden
    microglia_toxicity: float  # g: relative rise of the neuron hazard per activated fraction
    neuron_loss_rate: float  # k: neuron hazard per unit plaque at no inflammation (1/day)
    ageing_loss_rate: float  # hazard without disease (1/day)
    msc_anti_inflammation: float  # maximal fractional fall of microglial activation
    msc_phagocytosis_rate: float  # plaque clearance added at s -> 1 (1/day)
    msc_neuroprotection: float  # maximal fractional fall of the neuron disease hazard


class AlzheimerState(NamedTuple):
    """States of the Alzheimer's module."""

    amyloid: Array
    microglia: Array
    neurons: Array


class AlzheimerMscEffects(NamedTuple):
    """MSC effects at signal s (each 0 without a product)."""

    anti_inflammation: Array
    amyloid_phagocytosis: Array  # 1/day
    neuroprotection: Array


def msc_effects(s: Array, p: AlzheimerParams) -> AlzheimerMscEffects:
    """The mechanisms scaled by the signal (linear in s: s already saturates)."""
    return AlzheimerMscEffects(
        anti_inflammation=p.msc_anti_inflammation * s,
        amyloid_phagocytosis=p.msc_phagocytosis_rate * s,
        neuroprotection=p.msc_neuroprotection * s,
    )


def neuron_hazard(y: AlzheimerState, s: Array, p: AlzheimerParams) -> Array:
    """Neuron loss hazard (1/day): amyloid toxicity amplified by neuroinflammation."""
    e = msc_effects(s, p)
    drive = p.neuron_loss_rate * y.amyloid * (1.0 + p.microglia_toxicity * y.microglia)
    return p.ageing_loss_rate + drive * (1.0 - e.neuroprotection)


def alzheimer_rates(y: AlzheimerState, s: Array, p: AlzheimerParams, xp: Any) -> AlzheimerState:
    """d/dt of the states at MSC signal s (0 = untreated natural history)."""
    e = msc_effects(s, p)
    growth = p.amyloid_growth_rate * y.amyloid * (1.0 - y.amyloid)
    d_amyloid = growth - e.amyloid_phagocytosis * y.amyloid
    activation = (p.microglia_rest + p.microglia_per_amyloid * y.amyloid) * (
        1.0 - e.anti_inflammation
    )
    d_microglia = p.microglia_rate * (activation - y.microglia)
    d_neurons = -neuron_hazard(y, s, p) * y.neurons
    return AlzheimerState(d_amyloid, d_microglia, d_neurons)


def mmse(neurons: Array, xp: Any) -> Array:
    """Mini-Mental State Examination (0-30 points) from functional neuronal integrity."""
    return xp.clip(MMSE_MAX * neurons, 0.0, MMSE_MAX)
