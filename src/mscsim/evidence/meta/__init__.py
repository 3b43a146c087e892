"""Random-effects meta-analysis that reproduces metafor's ``rma.uni``.

>>> from mscsim.evidence.meta import meta_analysis
>>> result = meta_analysis([-0.89, -1.59, -1.35], [0.33, 0.19, 0.42], method="REML")
>>> round(result.tau2, 4) >= 0
True

Estimators of tau2: FE (fixed effect; alias EE), DL, REML (default), PM, ML, HE, SJ, each >= 0;
Knapp-Hartung (``knha=True``); Q, I2, H2, the Q-profile CI of tau2; prediction intervals;
meta-regression and subgroups; forest and funnel plots. Checked against metafor on dat.bcg.
"""

from mscsim.evidence.meta._cli import JSON_KEYS, format_regression, format_result, meta_command
from mscsim.evidence.meta._effects import log_risk_ratio, mean_difference
from mscsim.evidence.meta._estimators import METHODS, Method, Tau2Estimate, generalized_q
from mscsim.evidence.meta._io import MetaData, from_records, read_meta_csv
from mscsim.evidence.meta._model import meta_analysis
from mscsim.evidence.meta._plots import ForestRow, forest_plot, forest_rows, funnel_plot
from mscsim.evidence.meta._regression import design_matrix, meta_regression
from mscsim.evidence.meta._result import (
    Coefficient,
    MetaError,
    MetaRegressionResult,
    MetaResult,
    SubgroupResult,
)
from mscsim.evidence.meta._subgroups import subgroup_analysis

__all__ = [
    "JSON_KEYS",
    "METHODS",
    "Coefficient",
    "ForestRow",
    "MetaData",
    "MetaError",
    "MetaRegressionResult",
    "MetaResult",
    "Method",
    "SubgroupResult",
    "Tau2Estimate",
    "design_matrix",
    "forest_plot",
    "forest_rows",
    "format_regression",
    "format_result",
    "from_records",
    "funnel_plot",
    "generalized_q",
    "log_risk_ratio",
    "mean_difference",
    "meta_analysis",
    "meta_command",
    "meta_regression",
    "read_meta_csv",
    "subgroup_analysis",
]
