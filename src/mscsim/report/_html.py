"""Self-contained HTML report of one run: figures, tables, provenance.

Presentation only. Everything shown is read from the run's results; the only computation here
is summarising per-patient trajectories into mean and 5th-95th percentile bands, which has to
happen before plotting so that the file does not embed one trace per virtual patient.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import xarray as xr
import yaml

__all__ = ["write_report"]

BAND_QUANTILES = (0.05, 0.95)
"""Quantiles across patients of the shaded band: a 90% between-patient band."""

MSC_WINDOW_DAYS = 14.0
"""MSC kinetics are shown over the first two weeks: cells are cleared within days and the rest
of a multi-year run would squash the interesting part of the curve against the y axis."""

_ENDPOINT_COLUMNS = (
    "arm",
    "day",
    "endpoint",
    "unit",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "change_mean",
    "change_ci_low",
    "change_ci_high",
)
_DIFF_COLUMNS = ("diff_vs_control_mean", "diff_vs_control_ci_low", "diff_vs_control_ci_high")
_PARAMETER_COLUMNS = ("name", "module", "value", "unit", "source", "provenance", "note")
_REFERENCE_COLUMNS = ("key", "citation")
_RESPONDER_COLUMNS = ("arm", "day", "definition", "n", "rate", "ci_low", "ci_high")

# Plotly's qualitative palette, fixed here so that an arm keeps its colour in every figure.
_PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
)

# A small template: the stock ones embed ~6 kB of colour scales in every figure.
_TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "xaxis": {"showline": True, "linecolor": "#888", "gridcolor": "#eee", "ticks": "outside"},
        "yaxis": {"showline": True, "linecolor": "#888", "gridcolor": "#eee", "ticks": "outside"},
        "legend": {"orientation": "h", "y": -0.22},
        "margin": {"l": 70, "r": 20, "t": 50, "b": 80},
    }
)
_FIG_HEIGHT_PX = 420

_BANNER_TEXT = (
    "between-patient variability within the virtual population. "
    "Shaded bands are the 5th-95th percentiles across virtual patients (90% band); error bars "
    "and table intervals are 95% confidence intervals of the mean over all virtual patients "
    "of an arm ({n}). They are NOT the spread of a real-sized trial: a 95% CI over "
    "thousands of virtual patients is far narrower than what a trial of 20-100 patients "
    "would show, and parameter uncertainty is not included."
)


def write_report(
    path: Path,
    *,
    trajectories: xr.Dataset,
    endpoints: pd.DataFrame,
    parameters: pd.DataFrame,
    references: pd.DataFrame,
    scenario_yaml: str,
    metadata: dict[str, str],
    responders: pd.DataFrame | None = None,
) -> None:
    """Write a self-contained ``report.html`` (works offline; plotly.js is inlined once).

    Args:
        path: Destination file. It is written to a temporary file in the same directory and
            moved into place, so a reader never sees a half-written report.
        trajectories: Dims ``("patient", "day")``; coordinates ``arm`` and ``patient_id``
            along ``patient``; one float data variable per endpoint or model state, with
            attrs ``units`` and ``long_name``.
        endpoints: Tidy endpoint summary (columns of ``endpoints.csv``), optionally with
            ``diff_vs_control_mean``, ``diff_vs_control_ci_low``, ``diff_vs_control_ci_high``.
        parameters: Columns name, module, value, unit, source, provenance, note.
        references: Columns key, citation.
        scenario_yaml: The scenario text, shown verbatim.
        metadata: Run metadata (package version, seed, JAX version, reference-solver check...),
            shown in the given order. An ``evidence_level`` of ``exploratory`` adds a warning.
        responders: Optional columns arm, day, definition, n, rate, ci_low, ci_high.

    Raises:
        ValueError: If an input lacks a required dimension, coordinate or column.
    """
    _validate(trajectories, endpoints, parameters, references, responders)
    document = _render_document(
        trajectories=trajectories,
        endpoints=endpoints,
        parameters=parameters,
        references=references,
        scenario_yaml=scenario_yaml,
        metadata=metadata,
        responders=responders,
    )
    _write_atomically(Path(path), document)


# --------------------------------------------------------------------------- validation


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} lacks column(s) {missing}; it has {list(map(str, frame.columns))}"
        )


def _validate(
    trajectories: xr.Dataset,
    endpoints: pd.DataFrame,
    parameters: pd.DataFrame,
    references: pd.DataFrame,
    responders: pd.DataFrame | None,
) -> None:
    for dim in ("patient", "day"):
        if dim not in trajectories.dims:
            raise ValueError(
                f"trajectories lacks dimension {dim!r}; it has {list(map(str, trajectories.dims))}"
            )
    if "arm" not in trajectories.coords:
        raise ValueError("trajectories lacks the coordinate 'arm' along 'patient'")
    if trajectories.coords["arm"].dims != ("patient",):
        raise ValueError(
            f"trajectories coordinate 'arm' must lie along ('patient',), "
            f"not {trajectories.coords['arm'].dims}"
        )
    _require_columns(endpoints, _ENDPOINT_COLUMNS, "endpoints")
    _require_columns(parameters, _PARAMETER_COLUMNS, "parameters")
    _require_columns(references, _REFERENCE_COLUMNS, "references")
    if responders is not None:
        _require_columns(responders, _RESPONDER_COLUMNS, "responders")


# --------------------------------------------------------------------------- formatting


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False


def _num(value: object, digits: int = 4) -> str:
    """Format a number to ``digits`` significant digits; text passes through unchanged."""
    if _is_missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.{digits}g}"
    return str(value)


def _text(value: object) -> str:
    return "" if _is_missing(value) else str(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # Rows by column name: attribute access on itertuples breaks on names like "count".
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _interval(low: object, high: object) -> str:
    if _is_missing(low) or _is_missing(high):
        return "–"
    return f"[{_num(low)}, {_num(high)}]"


def _anchor(prefix: str, key: object) -> str:
    # HTML ids must be stable and free of characters that need escaping inside href="#...".
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_.-]', '-', str(key))}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], css_class: str = "") -> str:
    """An HTML table. Header text is escaped here; cells must already be safe HTML."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{_esc(css_class)}"' if css_class else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --------------------------------------------------------------------------- figures


@dataclass
class _FigureWriter:
    """Turns figures into HTML fragments: plotly.js goes into the first one only, and div ids
    are sequential so that the same results give a byte-identical report."""

    count: int = 0
    config: dict[str, Any] = field(
        default_factory=lambda: {"responsive": True, "displaylogo": False}
    )

    def __call__(self, fig: go.Figure) -> str:
        self.count += 1
        fig.update_layout(template=_TEMPLATE, height=_FIG_HEIGHT_PX)
        fragment: str = pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=self.count == 1,
            include_mathjax=False,
            div_id=f"fig-{self.count}",
            config=self.config,
            default_width="100%",
            default_height=f"{_FIG_HEIGHT_PX}px",
        )
        return f'<div class="figure">{fragment}</div>'


@dataclass(frozen=True)
class _Band:
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int


def _on_day_grid(da: xr.DataArray) -> bool:
    """Trajectories are (patient, day); visit-only variables (e.g. meal tests) are not plotted
    as trajectories."""
    return set(da.dims) == {"patient", "day"}


def _bands(da: xr.DataArray, patient_arms: np.ndarray, arms: Sequence[str]) -> dict[str, _Band]:
    """Mean and 5th-95th percentile across the patients of each arm, per day."""
    values = np.asarray(da.transpose("patient", "day").values, dtype=float)
    out: dict[str, _Band] = {}
    for arm in arms:
        sub = values[patient_arms == arm]
        if sub.shape[0] == 0:
            continue
        # Days where every patient is NaN (e.g. after death/dropout in all) are legitimate and
        # come out as gaps; numpy's "all-NaN slice" warning would only be noise here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(sub, axis=0)
            # np.quantile is several times faster than nanquantile; use it when nothing is NaN.
            quantile = np.quantile if np.isfinite(sub).all() else np.nanquantile
            low, high = quantile(sub, BAND_QUANTILES, axis=0)
        out[arm] = _Band(mean=mean, low=low, high=high, n=int(sub.shape[0]))
    return out


def _axis_title(da: xr.DataArray) -> str:
    long_name = str(da.attrs.get("long_name", da.name))
    units = da.attrs.get("units")
    return f"{long_name} ({units})" if units else long_name


def _trajectory_figure(
    da: xr.DataArray,
    patient_arms: np.ndarray,
    arms: Sequence[str],
    colours: dict[str, str],
    *,
    log_y: bool = False,
    max_day: float | None = None,
) -> go.Figure | None:
    if max_day is not None:
        window = da.where(da["day"] <= max_day, drop=True)
        # A run sampled coarsely may have no point inside the window: show all rather than nothing.
        if window.sizes["day"] >= 2:
            da = window
    days = np.asarray(da["day"].values, dtype=float)
    bands = _bands(da, patient_arms, arms)
    if not bands:
        return None
    pct = f"{round(BAND_QUANTILES[0] * 100)}th-{round(BAND_QUANTILES[1] * 100)}th percentile"
    fig = go.Figure()
    for arm, band in bands.items():
        mean, low, high = band.mean, band.low, band.high
        if log_y:
            # A log axis cannot show zero; a band edge at zero would make the fill jump to the
            # plot's edge, so non-positive values become gaps.
            mean, low, high = (np.where(a > 0, a, np.nan) for a in (mean, low, high))
        if np.isnan(mean).all():
            continue  # e.g. no cells ever in a control arm: nothing to draw, keep the legend clean
        colour = colours[arm]
        group = f"arm-{arm}"
        label = html.escape(arm)  # plotly renders trace names as (limited) HTML
        fig.add_trace(
            go.Scatter(
                x=days,
                y=high,
                mode="lines",
                line={"width": 0, "color": colour},
                legendgroup=group,
                showlegend=False,
                name=f"{label} {pct} (90% band) upper",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=low,
                mode="lines",
                line={"width": 0, "color": colour},
                fill="tonexty",
                fillcolor=_rgba(colour, 0.18),
                legendgroup=group,
                name=f"{label}: 90% band ({pct})",
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=mean,
                mode="lines",
                line={"width": 2, "color": colour},
                legendgroup=group,
                name=f"{label}: mean (n={band.n})",
                hovertemplate="%{y:.4g}",
            )
        )
    title = _axis_title(da)
    fig.update_layout(
        title={"text": html.escape(title)},
        xaxis_title="day",
        yaxis_title=html.escape(title),
    )
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def _interval_figure(
    frame: pd.DataFrame,
    arms: Sequence[str],
    colours: dict[str, str],
    *,
    mean_col: str,
    low_col: str,
    high_col: str,
    title: str,
    y_title: str,
) -> go.Figure | None:
    """Point estimates with asymmetric 95% CI error bars at each visit, one series per arm."""
    present = [a for a in arms if frame.loc[frame["arm"] == a, mean_col].notna().any()]
    if not present:
        return None
    span = float(frame["day"].max() - frame["day"].min()) or 1.0
    fig = go.Figure()
    for i, arm in enumerate(present):
        rows = frame[frame["arm"] == arm].sort_values("day")
        day = rows["day"].to_numpy(dtype=float)
        mid = rows[mean_col].to_numpy(dtype=float)
        low = rows[low_col].to_numpy(dtype=float)
        high = rows[high_col].to_numpy(dtype=float)
        # Arms are nudged apart along x so that error bars at the same visit do not overlap;
        # hover shows the true visit day.
        offset = (i - (len(present) - 1) / 2) * 0.008 * span
        fig.add_trace(
            go.Scatter(
                x=day + offset,
                y=mid,
                mode="lines+markers",
                line={"color": colours[arm], "width": 1.5},
                marker={"size": 7},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": high - mid,
                    "arrayminus": mid - low,
                    "thickness": 1.5,
                    "width": 4,
                },
                customdata=np.column_stack([day, low, high]),
                hovertemplate=(
                    "day %{customdata[0]:.0f}: %{y:.4g} "
                    "[%{customdata[1]:.4g}, %{customdata[2]:.4g}]"
                ),
                name=html.escape(arm),
            )
        )
    fig.add_hline(y=0.0, line={"color": "#888", "width": 1, "dash": "dot"})
    fig.update_layout(
        title={"text": html.escape(title)},
        xaxis_title="day",
        yaxis_title=html.escape(y_title),
    )
    return fig


# --------------------------------------------------------------------------- sections


def _scenario_name(scenario_yaml: str) -> str | None:
    try:
        loaded = yaml.safe_load(scenario_yaml)
    except yaml.YAMLError:
        return None
    if isinstance(loaded, dict) and loaded.get("name"):
        return str(loaded["name"])
    return None


def _control_arms(endpoints: pd.DataFrame, arms: Sequence[str]) -> list[str]:
    """Arms without a difference vs control: the control arm(s), by the results' own word."""
    if _DIFF_COLUMNS[0] not in endpoints.columns:
        return []
    has_diff = endpoints.groupby("arm", sort=False)[_DIFF_COLUMNS[0]].apply(
        lambda s: bool(s.notna().any())
    )
    if not has_diff.any():
        return []
    return [a for a in arms if a in has_diff.index and not has_diff[a]]


def _endpoint_table(frame: pd.DataFrame, arms: Sequence[str], with_diff: bool) -> str:
    header = ["arm", "day", "n", "mean", "SD", "95% CI", "change from baseline", "95% CI"]
    if with_diff:
        header += ["difference vs control", "95% CI"]
    order = {a: i for i, a in enumerate(arms)}
    frame = frame.assign(_order=frame["arm"].map(order)).sort_values(["_order", "day"])
    rows: list[list[str]] = []
    for rec in _records(frame):
        row = [
            _esc(rec["arm"]),
            _esc(_num(rec["day"])),
            _esc(_num(rec["n"])),
            _esc(_num(rec["mean"])),
            _esc(_num(rec["sd"])),
            _esc(_interval(rec["ci_low"], rec["ci_high"])),
            _esc(_num(rec["change_mean"])),
            _esc(_interval(rec["change_ci_low"], rec["change_ci_high"])),
        ]
        if with_diff:
            row += [
                _esc(_num(rec[_DIFF_COLUMNS[0]])),
                _esc(_interval(rec[_DIFF_COLUMNS[1]], rec[_DIFF_COLUMNS[2]])),
            ]
        rows.append(row)
    return _table(header, rows, "numeric")


def _endpoint_section(
    endpoint: str,
    frame: pd.DataFrame,
    trajectories: xr.Dataset,
    patient_arms: np.ndarray,
    arms: Sequence[str],
    controls: Sequence[str],
    colours: dict[str, str],
    figure: _FigureWriter,
) -> str:
    units = [str(u) for u in pd.unique(frame["unit"].dropna())]
    unit = units[0] if units else ""
    label = endpoint
    if endpoint in trajectories.data_vars:
        label = str(trajectories[endpoint].attrs.get("long_name", endpoint))
    parts = [
        f'<section class="endpoint" id="{_anchor("endpoint", endpoint)}">',
        f"<h3>{_esc(label)} <code>{_esc(endpoint)}</code>"
        + (f" <span class='unit'>({_esc(unit)})</span>" if unit else "")
        + "</h3>",
        '<div class="figrow">',
    ]
    if endpoint in trajectories.data_vars and _on_day_grid(trajectories[endpoint]):
        traj = _trajectory_figure(trajectories[endpoint], patient_arms, arms, colours)
        if traj is not None:
            parts.append(figure(traj))
    change = _interval_figure(
        frame,
        arms,
        colours,
        mean_col="change_mean",
        low_col="change_ci_low",
        high_col="change_ci_high",
        title=f"{endpoint}: change from baseline (mean, 95% CI)",
        y_title=f"change ({unit})" if unit else "change",
    )
    if change is not None:
        parts.append(figure(change))
    with_diff = all(c in frame.columns for c in _DIFF_COLUMNS) and bool(
        frame[_DIFF_COLUMNS[0]].notna().any()
    )
    if with_diff:
        vs = controls[0] if len(controls) == 1 else "control"
        diff = _interval_figure(
            frame,
            [a for a in arms if a not in controls],
            colours,
            mean_col=_DIFF_COLUMNS[0],
            low_col=_DIFF_COLUMNS[1],
            high_col=_DIFF_COLUMNS[2],
            title=f"{endpoint}: difference in change vs {vs} (mean, 95% CI)",
            y_title=f"difference ({unit})" if unit else "difference",
        )
        if diff is not None:
            parts.append(figure(diff))
    if "diff_p05" in frame.columns and bool(frame["diff_p05"].notna().any()):
        # The result a real-sized trial would show: 5th-95th percentile over replicate trials.
        trial = _interval_figure(
            frame,
            [a for a in arms if a not in controls],
            colours,
            mean_col="diff_mean",
            low_col="diff_p05",
            high_col="diff_p95",
            title=f"{endpoint}: real-sized trial, ANCOVA difference (5th-95th pct of trials)",
            y_title=f"difference ({unit})" if unit else "difference",
        )
        if trial is not None:
            parts.append(figure(trial))
    parts.append("</div>")
    parts.append(_endpoint_table(frame, arms, with_diff))
    parts.append("</section>")
    return "\n".join(parts)


def _responders_section(responders: pd.DataFrame, arms: Sequence[str]) -> str:
    order = {a: i for i, a in enumerate(arms)}
    frame = responders.assign(_order=responders["arm"].map(order)).sort_values(
        ["definition", "_order", "day"], na_position="last"
    )
    rows = [
        [
            _esc(r["definition"]),
            _esc(r["arm"]),
            _esc(_num(r["day"])),
            _esc(_num(r["n"])),
            _esc(_num(r["rate"])),
            _esc(_interval(r["ci_low"], r["ci_high"])),
        ]
        for r in _records(frame)
    ]
    return (
        '<section id="responders"><h2>Responders</h2>'
        + _table(["definition", "arm", "day", "n", "rate", "95% CI"], rows, "numeric")
        + "</section>"
    )


def _source_keys(source: object) -> list[str]:
    if _is_missing(source):
        return []
    # A parameter may rest on several references ("a2019; b2020").
    return [k.strip() for k in re.split(r"[;,]", str(source)) if k.strip()]


def _parameters_section(parameters: pd.DataFrame, known_refs: set[str]) -> str:
    rows: list[list[str]] = []
    for r in _records(parameters):
        links = []
        for key in _source_keys(r["source"]):
            if key in known_refs:
                links.append(f'<a href="#{_anchor("ref", key)}">{_esc(key)}</a>')
            else:
                links.append(
                    f'<span class="missing" title="not in the reference list">{_esc(key)}</span>'
                )
        rows.append(
            [
                f"<code>{_esc(r['name'])}</code>",
                _esc(_text(r["module"])),
                _esc(_num(r["value"], digits=6)),
                _esc(_text(r["unit"])),
                "; ".join(links) or "–",
                _esc(_text(r["provenance"])),
                _esc(_text(r["note"])),
            ]
        )
    return (
        '<section id="parameters"><h2>Parameters</h2>'
        + _table(["name", "module", "value", "unit", "source", "provenance", "note"], rows)
        + "</section>"
    )


def _references_section(references: pd.DataFrame) -> str:
    items = [
        f'<li id="{_anchor("ref", r["key"])}"><code>{_esc(r["key"])}</code> '
        f"{_esc(_text(r['citation']))}</li>"
        for r in _records(references)
    ]
    return '<section id="references"><h2>References</h2><ol>' + "\n".join(items) + "</ol></section>"


def _metadata_section(metadata: dict[str, str]) -> str:
    rows = [[_esc(k), _esc(v)] for k, v in metadata.items()]
    return (
        '<section id="metadata"><h2>Run metadata</h2>'
        + _table(["key", "value"], rows)
        + ("</section>")
    )


# Figures are drawn before the flex layout settles, so plotly may size them at its 700 px
# default; once the page has loaded, fit every figure to its box.
_RESIZE_SCRIPT = (
    "<script>window.addEventListener('load', function () {"
    " document.querySelectorAll('.plotly-graph-div').forEach(function (d) {"
    " Plotly.Plots.resize(d); }); });</script>"
)

_CSS = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1400px; padding: 0 1.5rem;
       color: #222; }
h1 { margin-bottom: 0.2rem; }
.banner { background: #fff4d6; border: 1px solid #e0b400; border-left: 6px solid #e0b400;
          padding: 0.7rem 1rem; margin: 1rem 0; }
.banner.exploratory { background: #fde2e1; border-color: #c62828; }
nav ul { display: flex; flex-wrap: wrap; gap: 0.2rem 1.2rem; list-style: none; padding: 0; }
.figrow { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.figure { flex: 1 1 0px; min-width: 440px; overflow: hidden; }
table { border-collapse: collapse; margin: 0.6rem 0 1.4rem; font-size: 0.88rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
table.numeric td { font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; }
.missing { color: #c62828; }
.unit { color: #666; font-weight: normal; }
section.endpoint { border-top: 1px solid #ddd; padding-top: 0.4rem; }
"""


def _render_document(
    *,
    trajectories: xr.Dataset,
    endpoints: pd.DataFrame,
    parameters: pd.DataFrame,
    references: pd.DataFrame,
    scenario_yaml: str,
    metadata: dict[str, str],
    responders: pd.DataFrame | None,
) -> str:
    patient_arms = np.asarray(trajectories.coords["arm"].values).astype(str)
    arms = [str(a) for a in pd.unique(patient_arms)]
    arms += [a for a in map(str, pd.unique(endpoints["arm"])) if a not in arms]
    colours = {a: _PALETTE[i % len(_PALETTE)] for i, a in enumerate(arms)}
    controls = _control_arms(endpoints, arms)
    figure = _FigureWriter()

    endpoint_names = [str(e) for e in pd.unique(endpoints["endpoint"])]
    state_names = [
        str(v)
        for v in trajectories.data_vars
        if str(v) not in endpoint_names and _on_day_grid(trajectories[v])
    ]
    msc_names = [v for v in state_names if v.startswith("msc_")]
    other_states = [v for v in state_names if not v.startswith("msc_")]

    title = _scenario_name(scenario_yaml) or "mscsim run"
    n_per_arm = {a: int((patient_arms == a).sum()) for a in arms}
    n_text = "; ".join(f"{a}: n = {n_per_arm[a]:,}" for a in arms if n_per_arm[a])
    body: list[str] = [
        f"<h1>{_esc(title)}</h1>",
        "<p>In-silico trial report generated by mscsim. Arms: "
        + ", ".join(
            f'<b style="color:{colours[a]}">{_esc(a)}</b>' + (" (control)" if a in controls else "")
            for a in arms
        )
        + ".</p>",
        f'<div class="banner" id="uncertainty-banner"><b>Which uncertainty is shown:</b> '
        f"{_esc(_BANNER_TEXT.format(n=n_text or 'n = 0'))}</div>",
    ]
    if metadata.get("evidence_level", "").strip().lower() == "exploratory":
        body.append(
            '<div class="banner exploratory"><b>Exploratory model.</b> Its MSC mechanisms rest '
            "largely on animal and mechanistic evidence; at most a few parameters are fitted to "
            "pooled human data and validation on held-apart trials is incomplete (see the "
            "parameters' provenance). These results are hypotheses, not predictions.</div>"
        )

    nav = [
        ("endpoints", "Endpoints"),
        *([("responders", "Responders")] if responders is not None else []),
        ("model-states", "Model states"),
        ("parameters", "Parameters"),
        ("references", "References"),
        ("scenario", "Scenario"),
        ("metadata", "Run metadata"),
    ]
    body.append(
        "<nav><ul>"
        + "".join(f'<li><a href="#{i}">{_esc(t)}</a></li>' for i, t in nav)
        + "</ul></nav>"
    )

    body.append('<section id="endpoints"><h2>Endpoints</h2>')
    for endpoint in endpoint_names:
        frame = endpoints[endpoints["endpoint"] == endpoint]
        body.append(
            _endpoint_section(
                endpoint, frame, trajectories, patient_arms, arms, controls, colours, figure
            )
        )
    body.append("</section>")

    if responders is not None:
        body.append(_responders_section(responders, arms))

    body.append('<section id="model-states"><h2>Model states</h2>')
    if other_states:
        body.append('<div class="figrow">')
        for name in other_states:
            fig = _trajectory_figure(trajectories[name], patient_arms, arms, colours)
            if fig is not None:
                body.append(figure(fig))
        body.append("</div>")
    if msc_names:
        body.append(
            f'<h3>MSC kinetics (first {MSC_WINDOW_DAYS:g} days, log scale)</h3><div class="figrow">'
        )
        for name in msc_names:
            fig = _trajectory_figure(
                trajectories[name],
                patient_arms,
                arms,
                colours,
                log_y=True,
                max_day=MSC_WINDOW_DAYS,
            )
            if fig is not None:
                body.append(figure(fig))
        body.append("</div>")
    body.append("</section>")

    known_refs = {str(k) for k in references["key"]}
    body.append(_parameters_section(parameters, known_refs))
    body.append(_references_section(references))
    body.append(
        '<section id="scenario"><h2>Scenario</h2><pre><code>'
        + _esc(scenario_yaml)
        + "</code></pre></section>"
    )
    body.append(_metadata_section(metadata))

    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)} — mscsim report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + f"\n{_RESIZE_SCRIPT}\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- output


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); a report is meant to be shared and opened.
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        # Leave no stray temporary file behind when writing fails or is interrupted.
        Path(tmp_name).unlink(missing_ok=True)
        raise
