"""Result files: endpoints.csv, responders.csv, trajectories.nc, scenario.lock.yaml, report.html."""

from mscsim._atomic import OutputExistsError
from mscsim.results._stream import run_sharded
from mscsim.results._write import write_results

__all__ = ["OutputExistsError", "run_sharded", "write_results"]
