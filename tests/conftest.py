"""Shared fixtures: scenarios as dictionaries that tests vary one field at a time."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml


def default_scenario_dict() -> dict[str, Any]:
    text = resources.files("mscsim").joinpath("scenarios", "default_t2dm.yaml").read_text()
    return yaml.safe_load(text.replace("1.0e6", "1000000.0"))


@pytest.fixture
def scenario_dict() -> dict[str, Any]:
    """The bundled default scenario as a dict (a fresh copy per test)."""
    return copy.deepcopy(default_scenario_dict())
