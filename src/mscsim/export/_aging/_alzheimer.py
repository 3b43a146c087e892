"""Alzheimer's disease (physiology.alzheimer): the equations of `alzheimer_rates` and `mmse`."""

from __future__ import annotations

from mscsim.export._aging._brain import brain_delivery
from mscsim.export._sbml_aging import AgingBuilder, AgingPatientModel, DiseaseExport, states_of

D = "dimensionless"
_RATES = ("amyloid_growth_rate", "microglia_rate", "neuron_loss_rate", "ageing_loss_rate",
          "msc_phagocytosis_rate")  # fmt: skip
_FIELDS = (
    "amyloid_growth_rate", "microglia_rate", "microglia_rest", "microglia_per_amyloid",
    "microglia_toxicity", "neuron_loss_rate", "ageing_loss_rate", "msc_anti_inflammation",
    "msc_phagocytosis_rate", "msc_neuroprotection",
)  # fmt: skip
PARAMETERS = {
    f: (f"ad_{f}", "1/day" if f in _RATES else D, f"AlzheimerParams.{f}") for f in _FIELDS
}


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    b.constant("mmse_max", 30.0, D, "MMSE maximum (points; MMSE_MAX)",
               provenance="scale definition")  # fmt: skip
    r = b.rule
    # msc_effects (linear in s).
    r("anti_inflammation", f"ad_msc_anti_inflammation * {s}", D)
    r("amyloid_phagocytosis", f"ad_msc_phagocytosis_rate * {s}", "1/day")
    r("neuroprotection", f"ad_msc_neuroprotection * {s}", D)
    # alzheimer_rates and neuron_hazard.
    r("neuron_hazard", "ad_ageing_loss_rate + ad_neuron_loss_rate * amyloid * (1 dimensionless"
      " + ad_microglia_toxicity * microglia) * (1 dimensionless - neuroprotection)", "1/day",
      "neuron_hazard: amyloid toxicity amplified by neuroinflammation")  # fmt: skip
    r("activation", "(ad_microglia_rest + ad_microglia_per_amyloid * amyloid)"
      " * (1 dimensionless - anti_inflammation)", D)  # fmt: skip
    states_of(b, m, {
        "amyloid": (D, "ad_amyloid_growth_rate * amyloid * (1 dimensionless - amyloid)"
                    " - amyloid_phagocytosis * amyloid", "plaque burden, fraction of plateau"),
        "microglia": (D, "ad_microglia_rate * (activation - microglia)",
                      "activated fraction of microglia"),
        "neurons": (D, "-neuron_hazard * neurons",
                    "functional neuronal integrity, fraction of healthy"),
    })  # fmt: skip
    r("mmse", "piecewise(0 dimensionless, mmse_max * neurons < 0 dimensionless, mmse_max,"
      " mmse_max * neurons > mmse_max, mmse_max * neurons)", D,
      "MMSE (points), mmse()")  # fmt: skip


EXPORT = DiseaseExport(
    name="alzheimer",
    parameters=PARAMETERS,
    write=write,
    delivery=brain_delivery("brain"),
    tissue="brain",
    notes=("MMSE points and fractions are dimensionless.",),
)
