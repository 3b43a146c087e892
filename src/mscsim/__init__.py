"""mscsim: mechanistic in-silico trials of MSC and MSC-exosome therapy.

The public Python API::

    import mscsim
    scenario = mscsim.load_scenario("my.yaml")
    result = mscsim.run_scenario(scenario)          # computation only
    mscsim.write_results(result, Path("results/"))  # endpoints.csv, trajectories.nc, report, lock

Names are resolved on first use (PEP 562), so `import mscsim` stays light and has no side
effects; the implementation lives in private modules of the layer packages.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mscsim._version import __version__

if TYPE_CHECKING:
    from mscsim.knowledge import load_mechanisms
    from mscsim.params import load_parameters, load_references
    from mscsim.results import write_results
    from mscsim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
    from mscsim.trial import RunResult, run_scenario

_EXPORTS = {
    "Scenario": "mscsim.scenario",
    "ScenarioError": "mscsim.scenario",
    "load_scenario": "mscsim.scenario",
    "parse_scenario": "mscsim.scenario",
    "RunResult": "mscsim.trial",
    "run_scenario": "mscsim.trial",
    "write_results": "mscsim.results",
    "load_parameters": "mscsim.params",
    "load_references": "mscsim.params",
    "load_mechanisms": "mscsim.knowledge",
}

__all__ = [
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_mechanisms",
    "load_parameters",
    "load_references",
    "load_scenario",
    "parse_scenario",
    "run_scenario",
    "write_results",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'mscsim' has no attribute {name!r}")
