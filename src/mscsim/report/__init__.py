"""HTML report of a run's results (presentation only; no model logic)."""

from mscsim.report._html import write_report

__all__ = ["write_report"]
