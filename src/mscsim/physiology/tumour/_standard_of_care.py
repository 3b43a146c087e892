"""Chemotherapy and radiotherapy before MSCs (seed 000 §2.6): the tumour the adjuvant meets.

The seed's registered tumour trials mostly give MSCs as an adjuvant after radio- or
chemotherapy. The course is over before the first MSC dose, so it enters as a debulked start,
the same in every arm (MSC arms and the therapy-alone control): the tumour cells (uninfected and
infected alike) are multiplied by the course's surviving fraction at day 0, and the Gompertz
tumour regrows from there (faster per cell than before: further from its plateau).

- `chemotherapy_log_kill`: the log-kill hypothesis (Skipper 1964): a course kills a constant
  fraction of the cells whatever their number, surviving fraction 10^-kill.
- `radiotherapy_surviving_fraction`: n fractions of 2 Gy, each leaving SF2 of the cells
  (surviving fraction SF2^n; SF2 of human tumour lines about 0.2-0.8, Deacon 1984).

Exploratory: the sizes are assumed (tumour table); the kill is instantaneous (no cell-cycle
kinetics, no repopulation during the course, no resistance, which TAF promote, ref [33]).
"""

from __future__ import annotations

from mscsim.params import ParameterSet, load_module, value_in
from mscsim.physiology.tumour._jenner2019 import PARAMETER_MODULE, JennerState

THERAPIES = ("chemotherapy", "radiotherapy")


def chemotherapy_log_kill(params: ParameterSet | None = None) -> float:
    """Surviving fraction of one chemotherapy course, 10^-(log10 kill)."""
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    return float(10.0 ** -value_in(ps, "tumour_chemotherapy_log10_kill", "dimensionless"))


def radiotherapy_surviving_fraction(params: ParameterSet | None = None) -> float:
    """Surviving fraction of the radiotherapy course, SF2^fractions."""
    ps = params if params is not None else load_module(PARAMETER_MODULE)
    sf2 = value_in(ps, "tumour_radiotherapy_sf2", "dimensionless")
    return float(sf2 ** value_in(ps, "tumour_radiotherapy_fractions", "dimensionless"))


def surviving_fraction(
    *, chemotherapy: bool = False, radiotherapy: bool = False, params: ParameterSet | None = None
) -> float:
    """Tumour cells left by the standard of care given before day 0 (1.0 with neither)."""
    f = 1.0
    if chemotherapy:
        f *= chemotherapy_log_kill(params)
    if radiotherapy:
        f *= radiotherapy_surviving_fraction(params)
    return f


def debulked(y: JennerState, fraction: float) -> JennerState:
    """The tumour after the course: tumour cells x surviving fraction; free virus unchanged."""
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"surviving fraction = {fraction!r} must lie in (0, 1]")
    return JennerState(y.uninfected * fraction, y.infected * fraction, y.virus)
