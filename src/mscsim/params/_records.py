"""Frozen parameter records: every model number carries its unit, bounds and provenance."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

Provenance = Literal["literature", "calibrated", "assumed"]
PROVENANCES: tuple[str, ...] = ("literature", "calibrated", "assumed")


@dataclass(frozen=True)
class Parameter:
    """One model parameter with its unit (a pint expression), bounds and source.

    `bpv_cv` is the coefficient of variation of log-normal between-patient variability
    (0 = the same value for every patient). `calibrated_to` names the data set a calibrated
    value was fitted to, so calibration data can be kept apart from validation data.
    """

    name: str
    module: str
    value: float
    unit: str
    source: str
    provenance: Provenance
    note: str = ""
    lower: float = -math.inf
    upper: float = math.inf
    bpv_cv: float = 0.0
    calibrated_to: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"parameter {self.module}.{self.name}: value {self.value} not finite")
        if not self.lower <= self.value <= self.upper:
            raise ValueError(
                f"parameter {self.module}.{self.name}: value {self.value} outside bounds "
                f"[{self.lower}, {self.upper}]"
            )
        if self.provenance not in PROVENANCES:
            raise ValueError(
                f"parameter {self.module}.{self.name}: provenance {self.provenance!r} "
                f"must be one of {', '.join(PROVENANCES)}"
            )
        if self.provenance == "calibrated" and not self.calibrated_to:
            raise ValueError(
                f"parameter {self.module}.{self.name}: calibrated but 'calibrated_to' is empty"
            )
        if self.bpv_cv < 0:
            raise ValueError(f"parameter {self.module}.{self.name}: bpv_cv {self.bpv_cv} < 0")


@dataclass(frozen=True)
class Reference:
    """A citable source: `key` is what parameter records and mechanism edges point at."""

    key: str
    citation: str
    doi: str = ""
    url: str = ""


@dataclass(frozen=True)
class ParameterSet(Mapping[str, Parameter]):
    """An immutable, name-indexed collection of parameters of one or more modules."""

    parameters: Mapping[str, Parameter] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            known = ", ".join(sorted(self.parameters))
            raise KeyError(f"unknown parameter {name!r}; known: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.parameters)

    def __len__(self) -> int:
        return len(self.parameters)

    def value(self, name: str) -> float:
        return self[name].value

    def values(self) -> dict[str, float]:  # type: ignore[override]
        """Plain name -> value mapping in model units (what the equations consume)."""
        return {name: p.value for name, p in self.parameters.items()}

    def flat(self) -> dict[str, float]:
        """Values plus between-patient CVs as `<name>__cv`: what model builders consume."""
        out = self.values()
        out.update({f"{n}__cv": p.bpv_cv for n, p in self.parameters.items()})
        return out

    def module(self, module: str) -> ParameterSet:
        return ParameterSet({n: p for n, p in self.parameters.items() if p.module == module})

    def replace(self, **values: float) -> ParameterSet:
        """A copy with some values changed (bounds are re-checked)."""
        from dataclasses import replace

        new = dict(self.parameters)
        for name, v in values.items():
            new[name] = replace(self[name], value=float(v))
        return ParameterSet(new)
