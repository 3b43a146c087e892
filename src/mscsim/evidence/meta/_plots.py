"""Forest and funnel plots of a finished meta-analysis (presentation only: they read results).

Figures are built on ``matplotlib.figure.Figure`` directly, not pyplot, so plotting touches no
global state and needs no display.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from scipy import stats

from mscsim.evidence.meta._result import MetaResult


@dataclass(frozen=True)
class ForestRow:
    """One study's line in a forest plot: its estimate, CI and percent weight."""

    label: str
    estimate: float
    ci_low: float
    ci_high: float
    weight: float


def forest_rows(result: MetaResult) -> tuple[ForestRow, ...]:
    """Each study's estimate with its own normal-theory CI (as metafor's ``forest``)."""
    z = float(stats.norm.ppf(0.5 + result.level / 2))
    return tuple(
        ForestRow(label, y, y - z * np.sqrt(v), y + z * np.sqrt(v), w)
        for label, y, v, w in zip(result.study, result.yi, result.vi, result.weights, strict=True)
    )


def forest_plot(
    result: MetaResult, path: Path | str, *, exp: bool = False, xlabel: str | None = None
) -> Path:
    """Write a forest plot to ``path`` (format from the suffix). ``exp`` shows exp(effect), e.g.
    risk ratios from log risk ratios, on a log axis."""
    rows = forest_rows(result)
    tf = np.exp if exp else (lambda x: x)
    k = len(rows)
    fig = Figure(figsize=(7.5, 1.2 + 0.32 * (k + 3)))
    ax = fig.add_subplot()
    ys = np.arange(k, 0, -1) + 2.0
    sizes = np.array([r.weight for r in rows])
    for y, row, size in zip(ys, rows, sizes, strict=True):
        ax.plot([tf(row.ci_low), tf(row.ci_high)], [y, y], color="black", lw=1)
        ax.plot([tf(row.estimate)], [y], marker="s", color="black", ms=3 + 9 * np.sqrt(size / 100))
    est, lo, hi = (float(tf(x)) for x in (result.estimate, result.ci_low, result.ci_high))
    ax.add_patch(Polygon([(lo, 1), (est, 1.3), (hi, 1), (est, 0.7)], closed=True, color="black"))
    if result.method != "FE":
        ax.plot([tf(result.pi_low), tf(result.pi_high)], [0.2, 0.2], color="grey", lw=2)
    ax.axvline(float(tf(0.0)), color="grey", ls=":", lw=1)
    model = "FE model" if result.method == "FE" else f"RE model ({result.method})"
    labels = [r.label for r in rows] + [model] + (["95% PI"] if result.method != "FE" else [])
    ticks = [*ys, 1.0] + ([0.2] if result.method != "FE" else [])
    ax.set_yticks(ticks, labels)
    ax.set_ylim(-0.4, k + 3)
    if exp:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel or ("exp(effect)" if exp else "effect"))
    summary = (
        f"{result.method}: {est:.2f} [{lo:.2f}, {hi:.2f}]; tau² = {result.tau2:.3f}, "
        f"I² = {result.i2:.1f}%, Q({result.q_df}) = {result.q:.2f}, p = {result.q_p:.3g}"
    )
    ax.set_title(summary, fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


def funnel_plot(result: MetaResult, path: Path | str, *, xlabel: str | None = None) -> Path:
    """Write a funnel plot (effect against standard error, axis inverted) to ``path``."""
    se = np.sqrt(np.asarray(result.vi))
    z = float(stats.norm.ppf(0.5 + result.level / 2))
    fig = Figure(figsize=(6, 5))
    ax = fig.add_subplot()
    top = float(se.max()) * 1.05
    grid = np.linspace(0, top, 50)
    ax.plot(result.estimate - z * grid, grid, color="grey", ls="--", lw=1)
    ax.plot(result.estimate + z * grid, grid, color="grey", ls="--", lw=1)
    ax.axvline(result.estimate, color="black", lw=1)
    ax.scatter(result.yi, se, color="black", s=18, zorder=3)
    ax.set_ylim(top, 0)
    ax.set_xlabel(xlabel or "effect")
    ax.set_ylabel("standard error")
    ax.set_title(f"Funnel plot ({result.method}, k = {result.k})", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Figure, path: Path | str) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out
