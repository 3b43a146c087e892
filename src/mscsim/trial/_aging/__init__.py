"""Aging-disease adapters of the trial runner (issue 5), one small module per disease."""

from __future__ import annotations

import importlib

from mscsim.trial._aging._model import AgingDisease

# disease -> (module, record): imported on first use, so running one disease loads only its own.
_ADAPTERS = {
    "osteoporosis": ("osteoporosis", "OSTEOPOROSIS"),
    "parkinson": ("parkinson", "PARKINSON"),
    "alzheimer": ("alzheimer", "ALZHEIMER"),
    "atherosclerosis": ("atherosclerosis", "ATHEROSCLEROSIS"),
    "copd": ("copd", "COPD"),
    "tumour": ("tumour", "TUMOUR"),
}
AGING_DISEASES: tuple[str, ...] = tuple(_ADAPTERS)


def disease_model(disease: str) -> AgingDisease:
    """The adapter record of one aging disease."""
    module, name = _ADAPTERS[disease]
    record = getattr(importlib.import_module(f"mscsim.trial._aging.{module}"), name)
    assert isinstance(record, AgingDisease)
    return record


__all__ = ["AGING_DISEASES", "AgingDisease", "disease_model"]
