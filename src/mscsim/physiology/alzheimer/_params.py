"""Alzheimer's module constants and enrolment state from the `alzheimer` parameter table."""

from __future__ import annotations

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology.alzheimer._equations import MMSE_MAX, AlzheimerParams, AlzheimerState

MODULE = "alzheimer"


def alzheimer_params(params: ParameterSet | None = None) -> AlzheimerParams:
    """Model constants from the `alzheimer` table (or `params`), in model units (days)."""
    ps = params if params is not None else load_module(MODULE)

    def v(name: str, unit: str = "dimensionless") -> float:
        return value_in(ps, f"ad_{name}", unit)

    return AlzheimerParams(
        amyloid_growth_rate=v("amyloid_growth_rate", "1/day"),
        microglia_rate=v("microglia_rate", "1/day"),
        microglia_rest=v("microglia_rest"),
        microglia_per_amyloid=v("microglia_per_amyloid"),
        microglia_toxicity=v("microglia_toxicity"),
        neuron_loss_rate=v("neuron_loss_rate", "1/day"),
        ageing_loss_rate=v("ageing_loss_rate", "1/day"),
        msc_anti_inflammation=v("msc_anti_inflammation"),
        msc_phagocytosis_rate=v("msc_phagocytosis_rate", "1/day"),
        msc_neuroprotection=v("msc_neuroprotection"),
    )


def alzheimer_initial_state(
    params: ParameterSet | None = None, p: AlzheimerParams | None = None
) -> AlzheimerState:
    """Mild AD at enrolment: plaque near plateau, microglia at their drive, MMSE as tabled."""
    ps = params if params is not None else load_module(MODULE)
    pp = p if p is not None else alzheimer_params(ps)
    amyloid = value_in(ps, "ad_amyloid_initial", "dimensionless")
    return AlzheimerState(
        amyloid=amyloid,
        microglia=pp.microglia_rest + pp.microglia_per_amyloid * amyloid,
        neurons=value_in(ps, "ad_mmse_initial", "dimensionless") / MMSE_MAX,
    )
