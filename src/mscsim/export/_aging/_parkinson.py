"""Parkinson's disease (physiology.parkinson): the equations of `parkinson_rates` and `updrs3`."""

from __future__ import annotations

from mscsim.export._aging._brain import brain_delivery
from mscsim.export._sbml_aging import AgingBuilder, AgingPatientModel, DiseaseExport, states_of

D = "dimensionless"
_RATES = ("soma_loss_rate", "ageing_loss_rate", "synuclein_spread_rate", "microglia_rate",
          "dopamine_rate", "msc_sprouting_rate", "vessel_rate")  # fmt: skip
_FIELDS = (
    "soma_loss_rate", "ageing_loss_rate", "terminal_loss_ratio", "synuclein_spread_rate",
    "synuclein_ceiling", "microglia_rate", "microglia_rest", "microglia_per_synuclein",
    "microglia_toxicity", "dopamine_rate", "updrs_floor", "updrs_per_log_deficit",
    "levodopa_response", "msc_anti_inflammation", "msc_neurotrophic", "msc_anti_apoptosis",
    "msc_sprouting_rate", "vessel_rate", "vessel_support", "msc_angiogenesis",
)  # fmt: skip
PARAMETERS = {
    f: (f"pd_{f}", "1/day" if f in _RATES else D, f"ParkinsonParams.{f}") for f in _FIELDS
}


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    b.therapies({"levodopa": "levodopa (symptomatic: the score, not the states)"})
    b.constant("dopamine_floor", 1e-6, D, "smallest dopamine in the score's logarithm (updrs3)",
               provenance="numerical")  # fmt: skip
    b.constant("updrs3_max", 132.0, D, "MDS-UPDRS part III maximum (points)",
               provenance="scale definition")  # fmt: skip
    r = b.rule
    # msc_effects (linear in s).
    r("anti_inflammation", f"pd_msc_anti_inflammation * {s}", D)
    r("neurotrophic_protection", f"pd_msc_neurotrophic * {s}", D)
    r("anti_apoptosis", f"pd_msc_anti_apoptosis * {s}", D)
    r("neurotrophic_sprouting", f"pd_msc_sprouting_rate * {s}", "1/day")
    r("icam1_smad3_angiogenesis", f"pd_msc_angiogenesis * {s}", D,
      "MSC exosomes promote brain microvascular angiogenesis (ICAM1-SMAD3/P38MAPK)")  # fmt: skip
    # parkinson_rates.
    r("disease_drive", "pd_soma_loss_rate * synuclein * (1 dimensionless"
      " + pd_microglia_toxicity * microglia)", "1/day", "disease_drive")  # fmt: skip
    r("microvascular_support", "1 dimensionless / (1 dimensionless + pd_vessel_support"
      " * (microvessels - 1 dimensionless))", D, "microvessels support the neurons")  # fmt: skip
    r("protect", "1 dimensionless - neurotrophic_protection", D)
    r("soma_hazard", "pd_ageing_loss_rate + disease_drive * microvascular_support * protect"
      " * (1 dimensionless - anti_apoptosis)", "1/day")  # fmt: skip
    r("terminal_hazard", "pd_ageing_loss_rate + pd_terminal_loss_ratio * disease_drive"
      " * microvascular_support * protect", "1/day")  # fmt: skip
    r("sprouting", f"neurotrophic_sprouting * {b.max0('somata - terminals')}", "1/day",
      "surviving somata re-grow terminals under GDNF up to their own arbour")  # fmt: skip
    r("activation", "(pd_microglia_rest + pd_microglia_per_synuclein * synuclein)"
      " * (1 dimensionless - anti_inflammation)", D)  # fmt: skip
    states_of(b, m, {
        "terminals": (D, "-terminal_hazard * terminals + sprouting",
                      "striatal dopaminergic terminals, fraction of healthy"),
        "somata": (D, "-soma_hazard * somata", "nigral dopaminergic neurons, fraction of healthy"),
        "synuclein": (D, "pd_synuclein_spread_rate * synuclein"
                      " * (1 dimensionless - synuclein / pd_synuclein_ceiling)",
                      "alpha-synuclein pathology relative to enrolment"),
        "microglia": (D, "pd_microglia_rate * (activation - microglia)",
                      "activated fraction of microglia"),
        "dopamine": (D, "pd_dopamine_rate * (terminals - dopamine)",
                     "striatal dopamine, fraction of healthy"),
        "microvessels": (D, "pd_vessel_rate * ((1 dimensionless + icam1_smad3_angiogenesis)"
                         " - microvessels)", "nigrostriatal microvessels, 1 = untreated PD"),
    })  # fmt: skip
    # updrs3 (off and on levodopa) and the dopamine endpoint.
    r("updrs3_off_unclipped", "pd_updrs_floor + pd_updrs_per_log_deficit * ln(1 dimensionless"
      " / piecewise(dopamine, dopamine > dopamine_floor, dopamine_floor))", D)  # fmt: skip
    clip = "piecewise(0 dimensionless, {x} < 0 dimensionless, updrs3_max, {x} > updrs3_max, {x})"
    r("updrs3_off", clip.format(x="updrs3_off_unclipped"), D, "MDS-UPDRS III off medication")
    on = (
        "(updrs3_off_unclipped - levodopa * pd_levodopa_response * (updrs3_off_unclipped"
        " - pd_updrs_floor))"
    )
    r("updrs3", clip.format(x=on), D, "MDS-UPDRS III (points) on the standard of care")
    r("striatal_dopamine_pct", "100 dimensionless * dopamine", D, "striatal dopamine, % healthy")


EXPORT = DiseaseExport(
    name="parkinson",
    parameters=PARAMETERS,
    write=write,
    delivery=brain_delivery("nigra"),
    tissue="nigra",
    notes=("Scores (MDS-UPDRS III, points) and fractions of healthy are dimensionless.",),
)
