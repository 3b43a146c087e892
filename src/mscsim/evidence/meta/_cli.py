"""``mscsim meta``: the command as a plain function returning (exit code, text to print).

The Typer wiring lives in ``mscsim.cli``; this module only reads, computes and formats, so the
whole command can be tested without a terminal.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from mscsim.evidence.meta._io import read_meta_csv
from mscsim.evidence.meta._model import meta_analysis
from mscsim.evidence.meta._plots import forest_plot, funnel_plot
from mscsim.evidence.meta._regression import meta_regression
from mscsim.evidence.meta._result import MetaError, MetaRegressionResult, MetaResult

EXIT_OK = 0
EXIT_BAD_INPUT = 2

# The keys DESIGN.md promises for `mscsim meta --json`, in that order.
JSON_KEYS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "tau2",
    "i2",
    "h2",
    "q",
    "q_df",
    "pi_low",
    "pi_high",
)


def meta_command(
    file: Path,
    method: str = "REML",
    knha: bool = False,
    as_json: bool = False,
    mods: list[str] | None = None,
    forest: Path | None = None,
    funnel: Path | None = None,
) -> tuple[int, str]:
    """Run a meta-analysis (or with ``mods`` a meta-regression) of FILE; errors are one line."""
    try:
        data = read_meta_csv(file)
        if mods:
            reg = meta_regression(data.yi, data.vi, data.moderators(mods), method=method, knha=knha)
            if forest or funnel:
                raise MetaError("--forest/--funnel plot a pooled estimate; drop --mods to plot")
            return EXIT_OK, _regression_json(reg) if as_json else format_regression(reg)
        result = meta_analysis(data.yi, data.vi, method=method, knha=knha, study=data.study)
        written = []
        if forest is not None:
            written.append(f"forest plot: {forest_plot(result, forest)}")
        if funnel is not None:
            written.append(f"funnel plot: {funnel_plot(result, funnel)}")
    except MetaError as exc:
        return EXIT_BAD_INPUT, f"meta error: {exc}"
    if as_json:
        return EXIT_OK, result_json(result)
    return EXIT_OK, "\n".join([format_result(result), *written])


def result_json(result: MetaResult) -> str:
    """The DESIGN.md keys first, then method, k and the rest of the scalar fields."""
    fields = result.summary_dict()
    ordered = {key: fields.pop(key) for key in JSON_KEYS}
    ordered.update(method=fields.pop("method"), k=fields.pop("k"), **fields)
    return json.dumps(_clean(ordered), indent=2)


def _regression_json(result: MetaRegressionResult) -> str:
    return json.dumps(_clean(result.summary_dict()), indent=2)


def _clean(value: object) -> object:
    """JSON has no NaN: a non-finite number becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _p(p: float) -> str:
    return "<.0001" if p < 1e-4 else f"{p:.4f}"


def format_result(r: MetaResult) -> str:
    """A summary laid out like metafor's ``print.rma.uni``."""
    pct = round(100 * r.level)
    if r.method == "FE":
        head = f"Fixed-effect model (k = {r.k})"
        het = [f"I^2 (total heterogeneity / total variability):  {r.i2:.2f}%", f"H^2: {r.h2:.2f}"]
    else:
        ci = f" [{pct}% CI {r.tau2_ci[0]:.4f}, {r.tau2_ci[1]:.4f}]" if r.tau2_ci else ""
        se = f" (SE = {r.tau2_se:.4f})" if r.tau2_se is not None else ""
        head = f"Random-effects model (k = {r.k}; tau^2 estimator: {r.method})"
        het = [
            f"tau^2 (estimated amount of total heterogeneity): {r.tau2:.4f}{se}{ci}",
            f"tau (square root of estimated tau^2 value):      {r.tau:.4f}",
            f"I^2 (total heterogeneity / total variability):   {r.i2:.2f}%",
            f"H^2 (total variability / sampling variability):  {r.h2:.2f}",
        ]
    stat = "tval" if r.dist == "t" else "zval"
    test = f" (Knapp-Hartung, t with {r.df} df)" if r.knha else ""
    lines = [
        head,
        "",
        *het,
        "",
        f"Test for heterogeneity: Q(df = {r.q_df}) = {r.q:.4f}, p-val {_p(r.q_p)}",
        "",
        f"Model results{test}:",
        f"{'estimate':>9} {'se':>8} {stat:>8} {'pval':>8} {'ci.lb':>8} {'ci.ub':>8}",
        f"{r.estimate:9.4f} {r.se:8.4f} {r.stat:8.4f} {_p(r.pval):>8} "
        f"{r.ci_low:8.4f} {r.ci_high:8.4f}",
    ]
    if r.method != "FE":
        lines.append(f"{pct}% prediction interval: {r.pi_low:.4f} to {r.pi_high:.4f}")
    return "\n".join(lines)


def format_regression(r: MetaRegressionResult) -> str:
    """A summary of a meta-regression laid out like metafor's."""
    stat = "tval" if r.dist == "t" else "zval"
    se = f" (SE = {r.tau2_se:.4f})" if r.tau2_se is not None else ""
    lines = [
        f"Mixed-effects model (k = {r.k}; tau^2 estimator: {r.method})",
        "",
        f"tau^2 (estimated amount of residual heterogeneity): {r.tau2:.4f}{se}",
        f"I^2 (residual heterogeneity / unaccounted variability): {r.i2:.2f}%",
        f"H^2 (unaccounted variability / sampling variability):   {r.h2:.2f}",
    ]
    if r.r2 is not None:
        lines.append(f"R^2 (amount of heterogeneity accounted for):            {r.r2:.2f}%")
    moderators = (
        f"F(df1 = {r.qm_df}, df2 = {r.df}) = {r.qm:.4f}"
        if r.knha
        else f"QM(df = {r.qm_df}) = {r.qm:.4f}"
    )
    lines += [
        "",
        f"Test for residual heterogeneity: QE(df = {r.qe_df}) = {r.qe:.4f}, p-val {_p(r.qe_p)}",
        f"Test of moderators: {moderators}, p-val {_p(r.qm_p)}",
        "",
        f"{'':>10} {'estimate':>9} {'se':>8} {stat:>8} {'pval':>8} {'ci.lb':>8} {'ci.ub':>8}",
    ]
    lines += [
        f"{c.name:>10} {c.estimate:9.4f} {c.se:8.4f} {c.stat:8.4f} {_p(c.pval):>8} "
        f"{c.ci_low:8.4f} {c.ci_high:8.4f}"
        for c in r.coefficients
    ]
    return "\n".join(lines)
