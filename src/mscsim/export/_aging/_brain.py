"""Brain delivery of an arm's product (Parkinson's and Alzheimer's): `trial._aging._brain`.

The share of a dose reaching the target is brain_delivery's fraction(form, route) (x the nigra
share for the nigra), in MSC-equivalents, cleared with the form's brain half-life.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mscsim.export._sbml_aging import Delivery, per_equivalent_tables
from mscsim.scenario import Arm


def brain_delivery(target: str) -> Callable[[Arm, Mapping[str, float]], Delivery]:
    def delivery(arm: Arm, v: Mapping[str, float]) -> Delivery:
        assert arm.product is not None and arm.regimen is not None
        form, route = str(arm.product.form), str(arm.regimen.route)
        fraction = f"brain_fraction_{form}_{route}"
        tables = [(fraction, "dimensionless")]
        if target == "nigra":
            fraction = f"{fraction} * brain_nigra_share_{form}"
            tables.append((f"brain_nigra_share_{form}", "dimensionless"))
        return Delivery(
            kind="decay",
            tables=(
                *tables,
                *per_equivalent_tables(form),
                (f"brain_half_life_{form}", "day"),
                (f"brain_n50_{target}", "cell"),
            ),
            n50=f"brain_n50_{target}",
            fraction=fraction,
            half_life=f"brain_half_life_{form}",
            note=f"physiology.brain_delivery: {form} by {route} to the {target}",
        )

    return delivery
