"""Result files: endpoints.csv, responders.csv, trajectories.nc, scenario.lock.yaml, report.html."""

from mscsim._atomic import OutputExistsError
from mscsim.results._write import write_results

__all__ = ["OutputExistsError", "write_results"]
