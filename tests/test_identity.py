"""ISCT 2006 identity check (Dominici et al., Cytotherapy 8:315) from a flow panel CSV."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mscsim.product._identity import (
    MARKERS,
    PanelError,
    canonical_marker,
    check_identity,
    panel_error_for_scenario,
)
from mscsim.product._panel_io import product_check_command, read_panel

CONFORMING: dict[str, float] = {
    "CD105": 98.1,
    "CD73": 99.3,
    "CD90": 97.5,
    "CD45": 0.6,
    "CD34": 0.4,
    "CD14": 0.3,
    "CD79a": 0.2,
    "HLA-DR": 0.9,
}


def _csv(tmp_path: Path, text: str, name: str = "panel.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _panel_csv(tmp_path: Path, panel: dict[str, float] | list[tuple[str, str]]) -> Path:
    rows = panel.items() if isinstance(panel, dict) else panel
    body = "".join(f"{marker},{value}\n" for marker, value in rows)
    return _csv(tmp_path, "marker,percent_positive\n" + body)


# --- a conforming panel ---------------------------------------------------------------------------


def test_conforming_panel_passes(tmp_path: Path) -> None:
    code, text = product_check_command(_panel_csv(tmp_path, CONFORMING))
    assert code == 0, text
    lines = text.splitlines()
    assert sum(line.startswith("PASS") for line in lines) == 8
    # Adherence and tri-lineage differentiation are reported, but neither pass nor fail.
    assert sum(line.startswith("NOT ASSESSED") for line in lines) == 2
    assert not any(line.startswith("FAIL") for line in lines)
    assert "Dominici" in lines[0]


def test_report_is_frozen_and_lists_every_criterion() -> None:
    report = check_identity(CONFORMING)
    assert report.passed
    assert [c.criterion for c in report.criteria] == [
        "plastic adherence",
        "CD105",
        "CD73",
        "CD90",
        "CD45",
        "CD34",
        "CD14 or CD11b",
        "CD79a or CD19",
        "HLA-DR",
        "tri-lineage differentiation",
    ]
    assert [c.passed for c in report.criteria if c.threshold_pct is None] == [None, None]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.criteria[1].passed = False  # type: ignore[misc]


# --- each criterion failing on its own ----------------------------------------------------------

FAILURES = [
    ("CD105", 94.9, "CD105 >= 95%"),
    ("CD73", 94.9, "CD73 >= 95%"),
    ("CD90", 94.9, "CD90 >= 95%"),
    ("CD45", 2.1, "CD45 <= 2%"),
    ("CD34", 2.1, "CD34 <= 2%"),
    ("CD14", 2.1, "CD14 or CD11b <= 2%"),
    ("CD79a", 2.1, "CD79a or CD19 <= 2%"),
    ("HLA-DR", 2.1, "HLA-DR <= 2%"),
]


@pytest.mark.parametrize(("marker", "value", "criterion"), FAILURES)
def test_each_criterion_fails_separately(
    tmp_path: Path, marker: str, value: float, criterion: str
) -> None:
    panel = {**CONFORMING, marker: value}
    code, text = product_check_command(_panel_csv(tmp_path, panel))
    assert code == 1, text
    failing = [line for line in text.splitlines() if line.startswith("FAIL ")]
    assert len(failing) == 1, text
    assert criterion in failing[0]
    assert f"{marker} = {value}%" in failing[0]
    # The verdict line repeats the marker and its value.
    assert f"{marker} = {value}%" in text.splitlines()[-1]
    report = check_identity(panel)
    assert [c.criterion for c in report.failures] == [criterion.split(" >=")[0].split(" <=")[0]]
    assert report.failures[0].observed == ((marker, value),)


@pytest.mark.parametrize(("marker", "value"), [("CD105", 95.0), ("CD73", 95), ("CD45", 2.0)])
def test_boundary_values_pass(tmp_path: Path, marker: str, value: float) -> None:
    code, text = product_check_command(_panel_csv(tmp_path, {**CONFORMING, marker: value}))
    assert code == 0, text


def test_whole_panel_at_the_boundaries_passes() -> None:
    panel = {m: (95.0 if m in ("CD105", "CD73", "CD90") else 2.0) for m in CONFORMING}
    assert check_identity(panel).passed


def test_value_just_past_the_threshold_is_shown_exactly() -> None:
    # A value printed as "95%" next to FAIL would be baffling; the exact value is shown.
    report = check_identity({**CONFORMING, "CD90": 94.99999})
    assert not report.passed
    assert "CD90 = 94.99999%" in report.failures[0].reason


# --- either-or markers ----------------------------------------------------------------------------


def test_cd11b_alone_satisfies_cd14_or_cd11b(tmp_path: Path) -> None:
    panel = {k: v for k, v in CONFORMING.items() if k != "CD14"} | {"CD11b": 1.2}
    code, text = product_check_command(_panel_csv(tmp_path, panel))
    assert code == 0, text
    assert "CD11b = 1.2%" in text


def test_cd19_alone_satisfies_cd79a_or_cd19() -> None:
    panel = {k: v for k, v in CONFORMING.items() if k != "CD79a"} | {"CD19": 0.1}
    assert check_identity(panel).passed


def test_neither_cd14_nor_cd11b_fails_as_missing(tmp_path: Path) -> None:
    panel = {k: v for k, v in CONFORMING.items() if k != "CD14"}
    code, text = product_check_command(_panel_csv(tmp_path, panel))
    assert code == 1
    failing = [line for line in text.splitlines() if line.startswith("FAIL ")]
    assert len(failing) == 1
    assert "missing" in failing[0] and "CD14" in failing[0] and "CD11b" in failing[0]


def test_both_alternatives_given_both_must_pass() -> None:
    report = check_identity({**CONFORMING, "CD14": 0.5, "CD11b": 3.5})
    assert [c.criterion for c in report.failures] == ["CD14 or CD11b"]
    assert "CD11b = 3.5%" in report.failures[0].reason


def test_missing_single_marker_fails() -> None:
    report = check_identity({k: v for k, v in CONFORMING.items() if k != "CD90"})
    assert [c.criterion for c in report.failures] == ["CD90"]
    assert "missing" in report.failures[0].reason


# --- marker names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "marker"),
    [
        ("cd105", "CD105"),
        ("Cd73", "CD73"),
        ("CD79alpha", "CD79a"),
        ("CD79A", "CD79a"),
        ("cd79 alpha", "CD79a"),
        ("CD79\u03b1", "CD79a"),
        ("HLA-DR", "HLA-DR"),
        ("HLADR", "HLA-DR"),
        ("hla_dr", "HLA-DR"),
        ("cd11B", "CD11b"),
        ("Thy-1", "CD90"),
    ],
)
def test_marker_spellings(spelling: str, marker: str) -> None:
    assert canonical_marker(spelling) == marker


def test_case_insensitive_panel_file(tmp_path: Path) -> None:
    rows = [
        ("cd105", "98"),
        ("cd73", "99"),
        ("Cd90", "97"),
        ("cd45", "1"),
        ("cd34", "1"),
        ("cd11B", "1"),
        ("CD79alpha", "0.5"),
        ("hla_dr", "0.5"),
    ]
    path = _panel_csv(tmp_path, rows)
    assert read_panel(path) == {
        "CD105": 98.0,
        "CD73": 99.0,
        "CD90": 97.0,
        "CD45": 1.0,
        "CD34": 1.0,
        "CD11b": 1.0,
        "CD79a": 0.5,
        "HLA-DR": 0.5,
    }
    assert product_check_command(path)[0] == 0


def test_header_case_column_order_extra_columns_bom_and_percent_sign(tmp_path: Path) -> None:
    body = "".join(f"{v}%,{m},from the CoA\n" for m, v in CONFORMING.items())
    path = tmp_path / "panel.csv"
    path.write_text("Percent_Positive,Marker,note\n" + body, encoding="utf-8-sig")
    assert read_panel(path) == CONFORMING


# --- malformed panels: exit 2 and one line -------------------------------------------------------

MALFORMED = [
    ("missing_marker_column", "name,percent_positive\nCD105,98\n", ["'marker'"]),
    ("missing_percent_column", "marker,percent\nCD105,98\n", ["'percent_positive'"]),
    ("percent_over_100", "marker,percent_positive\nCD105,101\n", ["line 2", "'101'", "100"]),
    ("percent_negative", "marker,percent_positive\nCD105,-1\n", ["line 2", "'-1'", "0 and 100"]),
    ("non_numeric", "marker,percent_positive\nCD105,high\n", ["line 2", "'high'", "not a number"]),
    ("nan", "marker,percent_positive\nCD105,nan\n", ["line 2", "'nan'"]),
    ("empty_percent", "marker,percent_positive\nCD105,\n", ["line 2", "missing value"]),
    (
        "unknown_marker",
        "marker,percent_positive\nCD105,98\nCD44,99\n",
        ["line 3", "'CD44'", "allowed: " + ", ".join(MARKERS)],
    ),
    (
        "duplicate_marker",
        "marker,percent_positive\nCD105,98\nCD73,99\ncd105,97\n",
        ["line 4", "'cd105'", "twice", "line 2"],
    ),
    (
        "duplicate_by_alias",
        "marker,percent_positive\nCD79a,1\nCD79alpha,1\n",
        ["line 3", "CD79a", "twice"],
    ),
    ("empty_file", "", ["empty"]),
    ("blank_lines_only", "\n\n", ["empty"]),
    ("header_only", "marker,percent_positive\n", ["no marker rows"]),
    ("decimal_comma", "marker,percent_positive\nCD105,98,5\n", ["line 2", "decimal"]),
    ("semicolons", "marker;percent_positive\nCD105;98\n", ["semicolon"]),
]


@pytest.mark.parametrize(("case", "text", "expected"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_panel_exits_2_with_one_line(
    tmp_path: Path, case: str, text: str, expected: list[str]
) -> None:
    path = _csv(tmp_path, text, name=f"{case}.csv")
    code, message = product_check_command(path)
    assert code == 2, message
    assert "\n" not in message
    assert message.startswith("panel error:")
    assert f"{case}.csv" in message
    for part in expected:
        assert part in message, message
    with pytest.raises(PanelError):
        read_panel(path)


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, message = product_check_command(tmp_path / "absent.csv")
    assert code == 2
    assert "absent.csv" in message and "\n" not in message


def test_unknown_marker_suggests_the_nearest(tmp_path: Path) -> None:
    path = _csv(tmp_path, "marker,percent_positive\nCD11,1\n")
    assert "did you mean 'CD11b'?" in product_check_command(path)[1]


def test_check_identity_rejects_bad_values_from_code() -> None:
    with pytest.raises(PanelError, match="CD105 must be a percentage"):
        check_identity({**CONFORMING, "CD105": 100.5})
    with pytest.raises(PanelError, match="unknown marker 'CD44'"):
        check_identity({**CONFORMING, "CD44": 99.0})
    with pytest.raises(PanelError, match="twice"):
        check_identity([*CONFORMING.items(), ("cd105", 98.0)])


# --- scenarios carrying a panel -------------------------------------------------------------------


def test_scenario_panel_conforming_is_accepted() -> None:
    assert panel_error_for_scenario(None) is None
    assert panel_error_for_scenario(tuple(CONFORMING.items())) is None


def test_scenario_panel_failing_is_refused_with_marker_and_value() -> None:
    reason = panel_error_for_scenario(tuple({**CONFORMING, "CD45": 3.4}.items()))
    assert reason is not None
    assert "CD45 = 3.4%" in reason and "ISCT" in reason and "\n" not in reason


def test_scenario_panel_partial_lists_missing_markers_once() -> None:
    reason = panel_error_for_scenario((("CD105", 94.0), ("CD73", 99.0)))
    assert reason is not None
    assert "CD105 = 94%" in reason
    assert "missing from the panel: CD90, CD45, CD34, CD14 or CD11b" in reason


def test_scenario_panel_unknown_marker_is_one_reason() -> None:
    reason = panel_error_for_scenario((("CD44", 99.0),))
    assert reason is not None and reason.startswith("unknown marker 'CD44'")


def test_scenario_product_with_a_failing_panel_is_refused_with_the_check_reason() -> None:
    # The scenario layer stores the panel as (marker, percent) pairs and refuses a product whose
    # panel fails the ISCT criteria, with the reason this check gives.
    from pydantic import ValidationError

    from mscsim.scenario import Product

    with pytest.raises(ValidationError, match=r"HLA-DR = 5% is above the required <= 2%"):
        Product.model_validate(
            {"source": "umbilical_cord", "form": "cells", "panel": {**CONFORMING, "HLA-DR": 5.0}}
        )
    ok = Product.model_validate({"source": "umbilical_cord", "form": "cells", "panel": CONFORMING})
    assert ok.panel is not None and panel_error_for_scenario(ok.panel) is None
