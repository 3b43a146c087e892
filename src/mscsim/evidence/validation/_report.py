"""Write a validation: table (CSV), forest-style plot (PNG) and a small HTML page, atomically."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from mscsim._atomic import atomic_directory
from mscsim.evidence.validation._compare import Validation


def _forest_png(table: pd.DataFrame, title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    shown = table[table.status == "compared"].reset_index(drop=True)
    fig = Figure(figsize=(9, 0.35 * max(len(shown), 3) + 1.2))
    ax = fig.add_subplot()
    for i, r in shown.iterrows():
        y = -float(i)  # type: ignore[arg-type]
        colour = "#1f77b4" if r.used_for != "calibration" else "#d62728"
        if pd.notna(r.simulated_ci_low):
            ax.plot([r.simulated_ci_low, r.simulated_ci_high], [y, y], color=colour, lw=1)
        ax.plot([r.simulated_mean], [y], "o", color=colour, ms=4)
        if pd.notna(r.observed_md):
            ax.plot([r.observed_ci_low, r.observed_ci_high], [y - 0.2, y - 0.2], color="k", lw=1)
            ax.plot([r.observed_md], [y - 0.2], "s", color="k", ms=4)
    ax.axvline(0.0, color="#888", lw=0.8, ls=":")
    ax.set_yticks([-float(i) for i in range(len(shown))])
    ax.set_yticklabels([f"{r.record_id} · {r.endpoint}" for r in shown.itertuples()], fontsize=7)
    ax.set_xlabel("difference vs control (simulated: circles; observed MD and CI: squares)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def write_validation(v: Validation, out: Path, *, force: bool = False) -> None:
    with atomic_directory(out, force=force) as tmp:
        v.table.to_csv(
            tmp / "validation.csv", index=False, float_format="%.6g", lineterminator="\n"
        )
        png = _forest_png(v.table, f"mscsim validation: {v.disease}")
        (tmp / "validation_forest.png").write_bytes(png)
        (tmp / "validation.html").write_text(_html(v, png), encoding="utf-8")


def _section(title: str, df: pd.DataFrame) -> str:
    if df.empty:
        return f"<h2>{html.escape(title)}</h2><p>none</p>"
    cols = [
        "record_id",
        "endpoint",
        "observed",
        "simulated_mean",
        "simulated_at",
        "direction_agrees",
        "ci_contains_simulated",
        "status",
    ]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in cols) + "</tr>"
        for r in df.to_dict("records")
    )
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>"


def summary(v: Validation) -> str:
    t = v.table
    compared = t[(t.status == "compared") & (t.used_for != "calibration")]
    agree = compared.direction_agrees.dropna()
    contains = compared.ci_contains_simulated.dropna()
    return (
        f"{v.disease}: {len(compared)} held-apart comparisons; direction agrees "
        f"{int(agree.sum())}/{len(agree)}; observed CI contains the simulated mean "
        f"{int(contains.sum())}/{len(contains)}; calibration rows "
        f"{int((t.used_for == 'calibration').sum())}; not simulated "
        f"{int((t.status != 'compared').sum())}"
    )


def _html(v: Validation, png: bytes) -> str:
    t = v.table
    img = base64.b64encode(png).decode()
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mscsim validation</title>"
        "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}table{border-collapse:"
        "collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
        f"<h1>Simulated vs observed: {html.escape(v.disease)}</h1>"
        f"<p>{html.escape(summary(v))}</p>"
        "<p>Between-patient CIs of the virtual population; records used for calibration are "
        "reported apart and do not count as validation.</p>"
        f"<img alt='forest plot' src='data:image/png;base64,{img}'>"
        + _section("Held-apart records (validation)", t[t.used_for != "calibration"])
        + _section("Records used for calibration", t[t.used_for == "calibration"])
        + "</body></html>\n"
    )
