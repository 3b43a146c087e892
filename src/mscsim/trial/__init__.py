"""Trials: run a scenario on a virtual population and analyse its endpoints."""

from mscsim.trial._run import RunResult, simulate

run_scenario = simulate

__all__ = ["RunResult", "run_scenario", "simulate"]
