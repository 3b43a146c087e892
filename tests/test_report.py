"""The HTML report: complete, offline, escaped, deterministic, and small enough to share."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from plotly.offline import get_plotlyjs

from mscsim.report import write_report

ARMS = ("msc_low", "msc_high", "control")
ENDPOINTS = {"hba1c_pct": ("%", "HbA1c"), "fpg_mmol_l": ("mmol/L", "Fasting plasma glucose")}
STATES = {"beta_mass_mg": ("mg", "Beta-cell mass"), "m1_fraction": ("1", "M1 fraction")}
MSC = {"msc_lung": ("cells", "MSC in lung"), "msc_liver": ("cells", "MSC in liver")}
VISITS = (0.0, 90.0, 180.0)
CITATION = "Zang L, Li Y, Hao H, et al. Stem Cell Res Ther. 2022;13:180."
HOSTILE = "<script>alert('x')</script> & \"quoted\""


def _trajectories(n_per_arm: int, n_days: int, seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    day = np.linspace(0.0, 180.0, n_days)
    arm = np.repeat(np.array(ARMS), n_per_arm)
    patient_id = np.tile(np.arange(n_per_arm), len(ARMS))
    n = arm.size
    effect = np.select([arm == "msc_high", arm == "msc_low"], [1.0, 0.5], 0.0)[:, None]
    base = rng.normal(8.0, 0.8, size=(n, 1))
    hba1c = base - effect * (1.0 - np.exp(-day / 60.0))[None, :]
    data: dict[str, Any] = {
        "hba1c_pct": hba1c,
        "fpg_mmol_l": 1.6 * hba1c - 3.0 + rng.normal(0, 0.3, size=(n, n_days)),
        "beta_mass_mg": 600 + 50 * effect * (1 - np.exp(-day / 30.0))[None, :],
        "m1_fraction": np.clip(0.6 - 0.2 * effect * np.exp(-day / 10.0), 0, 1)
        + np.zeros((n, n_days)),
        # Cells clear within days; zeros (control arm, later days) must not break a log axis.
        "msc_lung": effect * 1e8 * np.exp(-day / 0.5)[None, :],
        "msc_liver": effect * 3e7 * np.exp(-day / 3.0)[None, :],
    }
    attrs = {**ENDPOINTS, **STATES, **MSC}
    return xr.Dataset(
        {
            name: (
                ("patient", "day"),
                values,
                {"units": attrs[name][0], "long_name": attrs[name][1]},
            )
            for name, values in data.items()
        },
        coords={
            "patient": np.arange(n),
            "day": day,
            "arm": ("patient", arm),
            "patient_id": ("patient", patient_id),
        },
    )


def _endpoints(with_diff: bool = True) -> pd.DataFrame:
    rows = []
    for arm in ARMS:
        for endpoint, (unit, _) in ENDPOINTS.items():
            for day in VISITS:
                change = 0.0 if day == 0 or arm == "control" else -0.4 * day / 180
                row: dict[str, Any] = {
                    "arm": arm,
                    "day": day,
                    "endpoint": endpoint,
                    "unit": unit,
                    "n": 40,
                    "mean": 8.0 + change,
                    "sd": 0.8,
                    "ci_low": 7.75 + change,
                    "ci_high": 8.25 + change,
                    "change_mean": change,
                    "change_ci_low": change - 0.1,
                    "change_ci_high": change + 0.1,
                }
                if with_diff:
                    diff = np.nan if arm == "control" else change
                    row |= {
                        "diff_vs_control_mean": diff,
                        "diff_vs_control_ci_low": diff - 0.15,
                        "diff_vs_control_ci_high": diff + 0.15,
                    }
                rows.append(row)
    return pd.DataFrame(rows)


def _parameters() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["k_clear_lung", "emax_beta", "ec50_beta"],
            "module": ["msc_core", "t2dm", "t2dm"],
            "value": [1.386, 0.25, 1.0e6],
            "unit": ["1/day", "1", "cells"],
            "source": ["zang2022", "zang2022; assumed_ref", None],
            "provenance": ["literature", "literature", "assumed"],
            "note": ["lung clearance half-life 12 h", HOSTILE, None],
        }
    )


def _references() -> pd.DataFrame:
    return pd.DataFrame({"key": ["zang2022"], "citation": [CITATION]})


def _write(path: Path, **overrides: Any) -> str:
    kwargs: dict[str, Any] = {
        "trajectories": _trajectories(n_per_arm=40, n_days=61),
        "endpoints": _endpoints(),
        "parameters": _parameters(),
        "references": _references(),
        "scenario_yaml": f"schema_version: 1\nname: UC-MSC in T2DM\nnote: {HOSTILE}\n",
        "metadata": {
            "mscsim_version": "0.1.0",
            "seed": "1",
            "jax_version": "0.10.2",
            "reference_max_rel_dev": "3.2e-06",
        },
    }
    kwargs.update(overrides)
    write_report(path, **kwargs)
    return path.read_text(encoding="utf-8")


def test_report_is_complete_offline_html(tmp_path: Path) -> None:
    text = _write(tmp_path / "report.html")
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    for arm in ARMS:
        assert arm in text
    for endpoint in ENDPOINTS:
        assert endpoint in text
    for name in (*STATES, *MSC):
        assert name in text or MSC.get(name, STATES.get(name, ("", "")))[1] in text
    assert CITATION in text
    assert "90% band" in text
    assert 'id="uncertainty-banner"' in text
    assert "between-patient variability within the virtual population" in text
    assert "NOT the spread of a real-sized trial" in text
    # Offline: no script is loaded from anywhere (a CDN or otherwise) ...
    assert not re.search(r"<script[^>]*\bsrc\s*=", text, flags=re.IGNORECASE)
    assert not re.search(r"src\s*=\s*[\"'][^\"']*cdn", text, flags=re.IGNORECASE)
    # ... because plotly.js is inlined, once, however many figures there are.
    assert text.count("* plotly.js v") == 1
    # Endpoints: trajectory + change + difference; states: one each; MSC: one each.
    assert text.count("Plotly.newPlot(") == 3 * len(ENDPOINTS) + len(STATES) + len(MSC)
    assert '"type":"log"' in text
    for key in ("mscsim_version", "seed", "jax_version", "reference_max_rel_dev", "3.2e-06"):
        assert key in text
    assert "difference in change vs control" in text
    assert "k_clear_lung" in text and "lung clearance half-life 12 h" in text
    # A source key with no reference entry is shown, flagged, not dropped.
    assert 'title="not in the reference list">assumed_ref<' in text
    assert 'href="#ref-zang2022"' in text and 'id="ref-zang2022"' in text


def test_user_text_is_escaped(tmp_path: Path) -> None:
    text = _write(tmp_path / "report.html")
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in text


def test_same_results_give_identical_file(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.html")
    second = _write(tmp_path / "b.html")
    assert first == second


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.html"
    _write(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    before = target.read_bytes()

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("mscsim.report._html.os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _write(target, metadata={"seed": "2"})
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_missing_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="change_mean"):
        _write(tmp_path / "report.html", endpoints=_endpoints().drop(columns="change_mean"))
    assert not (tmp_path / "report.html").exists()


def test_without_control_with_responders(tmp_path: Path) -> None:
    responders = pd.DataFrame(
        {
            "arm": ["msc_high", "control"],
            "day": [180.0, 180.0],
            "definition": ["HbA1c < 7.0 %", "HbA1c < 7.0 %"],
            "n": [40, 40],
            "rate": [0.45, 0.1],
            "ci_low": [0.3, 0.03],
            "ci_high": [0.6, 0.24],
        }
    )
    endpoints = _endpoints(with_diff=False)
    # An endpoint read out only at visits (no trajectory): a change plot and a table, no bands.
    auc = endpoints[endpoints["endpoint"] == "hba1c_pct"].assign(
        endpoint="c_peptide_auc", unit="ng/mL*h"
    )
    endpoints = pd.concat([endpoints, auc], ignore_index=True)
    text = _write(tmp_path / "report.html", endpoints=endpoints, responders=responders)
    assert "difference in change" not in text
    assert 'id="responders"' in text and "HbA1c &lt; 7.0 %" in text
    assert 'id="endpoint-c_peptide_auc"' in text
    # Per endpoint with a trajectory: bands + change; c_peptide_auc: change only.
    expected = 2 * len(ENDPOINTS) + 1 + len(STATES) + len(MSC)
    assert text.count("Plotly.newPlot(") == expected


def test_size_stays_small_for_a_default_sized_run(tmp_path: Path) -> None:
    # ~2,000 patients x ~160 days: bands are computed before plotting, so the figures' size
    # does not grow with the number of patients.
    small = _write(tmp_path / "small.html", trajectories=_trajectories(n_per_arm=10, n_days=161))
    large = _write(tmp_path / "large.html", trajectories=_trajectories(n_per_arm=700, n_days=161))
    assert abs(len(large) - len(small)) < 2_000
    assert len(large) - len(get_plotlyjs()) < 500_000
