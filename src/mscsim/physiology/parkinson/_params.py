"""Parkinson's module constants and enrolment state from the `parkinson` parameter table."""

from __future__ import annotations

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology.parkinson._equations import ParkinsonParams, ParkinsonState

MODULE = "parkinson"


def parkinson_params(params: ParameterSet | None = None) -> ParkinsonParams:
    """Model constants from the `parkinson` table (or `params`), in model units (days)."""
    ps = params if params is not None else load_module(MODULE)

    def v(name: str, unit: str = "dimensionless") -> float:
        return value_in(ps, f"pd_{name}", unit)

    return ParkinsonParams(
        soma_loss_rate=v("soma_loss_rate", "1/day"),
        ageing_loss_rate=v("ageing_loss_rate", "1/day"),
        terminal_loss_ratio=v("terminal_loss_ratio"),
        synuclein_spread_rate=v("synuclein_spread_rate", "1/day"),
        synuclein_ceiling=v("synuclein_ceiling"),
        microglia_rate=v("microglia_rate", "1/day"),
        microglia_rest=v("microglia_rest"),
        microglia_per_synuclein=v("microglia_per_synuclein"),
        microglia_toxicity=v("microglia_toxicity"),
        dopamine_rate=v("dopamine_rate", "1/day"),
        updrs_floor=v("updrs_floor"),
        updrs_per_log_deficit=v("updrs_per_log_deficit"),
        levodopa_response=v("levodopa_response"),
        msc_anti_inflammation=v("msc_anti_inflammation"),
        msc_neurotrophic=v("msc_neurotrophic"),
        msc_anti_apoptosis=v("msc_anti_apoptosis"),
        msc_sprouting_rate=v("msc_sprouting_rate", "1/day"),
        vessel_rate=v("vessel_rate", "1/day"),
        vessel_support=v("vessel_support"),
        msc_angiogenesis=v("msc_angiogenesis"),
    )


def parkinson_initial_state(
    params: ParameterSet | None = None, p: ParkinsonParams | None = None
) -> ParkinsonState:
    """Early untreated PD at enrolment: synuclein 1, microglia at their drive, D = terminals."""
    ps = params if params is not None else load_module(MODULE)
    pp = p if p is not None else parkinson_params(ps)
    terminals = value_in(ps, "pd_terminals_initial", "dimensionless")
    return ParkinsonState(
        terminals=terminals,
        somata=value_in(ps, "pd_somata_initial", "dimensionless"),
        synuclein=1.0,
        microglia=pp.microglia_rest + pp.microglia_per_synuclein,
        dopamine=terminals,
        microvessels=1.0,
    )
