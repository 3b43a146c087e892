"""Result files: endpoints.csv, responders.csv, trajectories.nc, scenario.lock.yaml, report.html."""

from mscsim.results._write import OutputExistsError, write_results

__all__ = ["OutputExistsError", "write_results"]
