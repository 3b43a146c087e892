"""Tumour (physiology.tumour): the equations of `tumour_rates` (Jenner 2019 Gompertz tumour with
the MSC profile terms on m and K and the payload kill) and the tumour volume.

The signal is the homed MSCs themselves (cells); the saturating exposure e = H / (H + n50) of
`msc_exposure` scales every profile term. The route sets only the homing share (`delivery`);
residence, exposure and payload constants are the `carrier_params` ones.
"""

from __future__ import annotations

from collections.abc import Mapping

from mscsim.export._sbml_aging import (
    AgingBuilder,
    AgingPatientModel,
    Delivery,
    DiseaseExport,
    states_of,
)
from mscsim.physiology.tumour import MscTumourEffects
from mscsim.scenario import Arm

D = "dimensionless"
_JENNER = {
    "growth_rate": "1/day", "carrying_capacity": "cell/mL", "infection_rate": "cell/particle/day",
    "lysis_rate": "1/day", "burst_size": "particle/cell", "virus_decay": "1/day",
}  # fmt: skip
PARAMETERS = {f: (f"jenner_{f}", u, f"JennerParams.{f}") for f, u in _JENNER.items()}


def write(b: AgingBuilder, m: AgingPatientModel) -> None:
    s = m.signal_name
    arm = m.active_arm
    profile = arm.product.tumour_profile if arm is not None and arm.product else None
    b.values(
        {t: (D, f"MSC effect term {t} at full exposure: table entry tumour_{t}_{profile}"
             if profile else f"MSC effect term {t}: 0 without a product")
         for t in MscTumourEffects._fields}
        | {"payload": (D, "1 for engineered drug carriers (payload: true), else 0")},
        m.extra,
    )  # fmt: skip
    for name, unit in (("tumour_msc_exposure_n50", "cell"), ("tumour_payload_kill_max", "1/day"),
                       ("tumour_payload_n50", "cell"),
                       ("tumour_volume_per_cell_density", "mm**3*mL/cell")):  # fmt: skip
        b.tabled(name, unit)
    b.constant("tumour_floor", 1e-300, "cell/mL", "floor of U and U + I in the logarithm and the "
               "division (_jenner2019._FLOOR)", provenance="numerical")  # fmt: skip
    r = b.rule
    one = "1 dimensionless"
    r("exposure_e", f"{s} / ({s} + tumour_msc_exposure_n50)", D, "msc_exposure: H / (H + n50)")
    r("growth_rate_msc", f"jenner_growth_rate * ({one} + exposure_e * (emt + caf_recruitment"
      " - contact_inhibition))", "1/day", "Gompertz m under the MSC profile")  # fmt: skip
    r("capacity_msc", f"jenner_carrying_capacity * ({one} + exposure_e * (angiogenesis"
      " - anti_angiogenesis))", "cell/mL", "Gompertz K under the MSC profile")  # fmt: skip
    r("new_infections", "jenner_infection_rate * uninfected * virus / piecewise(uninfected"
      " + infected, uninfected + infected > tumour_floor, tumour_floor)", "cell/mL/day",
      "infection(): frequency-dependent")  # fmt: skip
    r("payload_kill", f"payload * tumour_payload_kill_max * {s} / ({s} + tumour_payload_n50)",
      "1/day", "payload_kill_rate x payload")  # fmt: skip
    states_of(b, m, {
        "uninfected": ("cell/mL", "growth_rate_msc * uninfected * ln(capacity_msc"
                       " / piecewise(uninfected, uninfected > tumour_floor, tumour_floor))"
                       " - new_infections - payload_kill * uninfected", "uninfected tumour cells"),
        "infected": ("cell/mL", "new_infections - jenner_lysis_rate * infected"
                     " - payload_kill * infected", "infected tumour cells"),
        "virus": ("particle/mL", "jenner_burst_size * jenner_lysis_rate * infected"
                  " - jenner_virus_decay * virus", "free virus"),
    })  # fmt: skip
    r("tumour_volume_mm3", "tumour_volume_per_cell_density * (uninfected + infected)", "mm**3",
      "tumour volume (volume_scale x (U + I))")  # fmt: skip


def delivery(arm: Arm, v: Mapping[str, float]) -> Delivery:
    """trial._aging.tumour.exposure: the route's homing share, the carriers' residence."""
    assert arm.regimen is not None
    fraction = f"tumour_homing_fraction_{arm.regimen.route}"
    return Delivery(
        kind="decay",
        tables=((fraction, D), ("tumour_msc_half_life", "day")),
        n50="",
        fraction=fraction,
        half_life="tumour_msc_half_life",
        note=f"MSCs homed to the tumour after {arm.regimen.route} dosing (carrier_params)",
    )


EXPORT = DiseaseExport(
    name="tumour",
    parameters=PARAMETERS,
    write=write,
    delivery=delivery,
    tissue="tumour",
    signal_is_cells=True,
    notes=("Mouse-xenograft scale: tumour cells and virus per mL, volume in mm^3.",),
)
