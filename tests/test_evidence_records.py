"""Curated evidence records (issue 4 part 1): the seeds' trials, registry counts and Zhang 2020.

Expected values are copied from the seeds (shared/seeds) and shared/reference/evidence.md; where
those files sit beside the checkout, tests also read them and compare.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from mscsim.evidence.records import (
    COLUMNS,
    EXTRA_ENDPOINTS,
    EvidenceError,
    PooledEstimate,
    RegistryCount,
    TrialRecord,
    endpoint_names,
    list_command,
    load_evidence,
    parse_evidence,
    records,
    to_frame,
)
from mscsim.scenario import DISEASES, DOSE_UNITS, ENDPOINTS, FORMS, ROUTES, SOURCES

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED_000 = "000_fda4a529fd2251a8.txt"
SEED_004 = "004_2539ce980763f919.txt"

# The only NCT id either seed prints: seed 000 section 2.1, "...代谢检测(NCT02566655)". No other
# registry id may appear in the records (the seeds give none, and none is added from memory).
ALLOWED_NCT_IDS = {"NCT02566655": (SEED_000, "2.1")}

# Seed 004 Tables 2 and 3, row by row: (table, row) -> reference number, sources, doses,
# dose unit, subjects, route, follow-up months. Routes the seed gives outside the vocabulary
# ("肝穿刺", "—", "12 指肠") are None.
TABLE_ROWS: dict[tuple[int, int], tuple[int, tuple[str | None, ...], Any, Any, int, Any, float]] = {
    (2, 1): (72, ("hematopoietic",), (11.0e6,), "cells/kg", 28, "iv", 36),
    (2, 2): (73, ("bm_mononuclear",), (180e6,), "cells/kg", 3, None, 12),
    (2, 3): (74, ("umbilical_cord",), (2.6e7,), "cells", 29, None, 24),
    (2, 4): (75, ("bone_marrow",), (2.75e6,), "cells/kg", 20, "iv", 12),
    (2, 5): (29, ("adipose", "hematopoietic"), (None, None), None, 20, "portal_vein", 24),
    (2, 6): (
        76,
        ("umbilical_cord", "bm_mononuclear"),
        (1.1e6, 106.8e6),
        "cells/kg",
        42,
        "pancreatic_artery",
        12,
    ),
    (3, 1): (77, ("bone_marrow",), (3.5e8,), "cells", 10, None, 6),
    (3, 2): (78, ("bone_marrow",), (2.8e9,), "cells", 118, "pancreatic_artery", 33),
    (3, 3): (79, ("umbilical_cord",), (1.0e6,), "cells/kg", 61, "iv", 36),
    (3, 4): (80, ("umbilical_cord",), (1.8e6,), "cells/kg", 18, "iv", 6),
    (3, 5): (81, ("placenta",), (1.35e6,), "cells/kg", 10, "iv", 3),
    (3, 6): (82, ("adipose",), (None,), None, 40, "iv", 3),
}

# Zhang 2020 (seed 000 ref [18]) as shared/reference/evidence.md gives it:
# (condition, endpoint) -> (MD, CI low, CI high, patients).
ZHANG_2020 = {
    ("t1dm", "c_peptide_ng_ml"): (0.41, 0.06, 0.76, 226),
    ("t1dm", "hba1c_pct"): (-3.46, -6.01, -0.91, 226),
    ("t2dm", "c_peptide_ng_ml"): (0.33, 0.07, 0.59, 386),
    ("t2dm", "hba1c_pct"): (-0.87, -1.37, -0.37, 386),
    ("t2dm", "insulin_iu_day"): (-35.76, -40.47, -31.04, 386),
    ("t2dm", "fpg_mmol_l"): (-0.52, -1.38, 0.34, 386),
}

# (conditions, count, seed file, section)
REGISTRY_COUNTS = {
    ("parkinson",): (13, SEED_000, "2.2"),
    ("atherosclerosis",): (9, SEED_000, "2.4"),
    ("copd",): (12, SEED_000, "2.5"),
    ("tumour",): (13, SEED_000, "2.6"),
    ("t1dm", "t2dm"): (46, SEED_004, "3"),
}


def _table_rows() -> dict[tuple[int, int], TrialRecord]:
    rows = {}
    for trial in load_evidence().trials:
        ref = trial.seed_ref
        if ref.file == SEED_004 and ref.table is not None and ref.row is not None:
            rows[(ref.table, ref.row)] = trial
    return rows


def _raw() -> dict[str, Any]:
    text = resources.files("mscsim.evidence.records").joinpath("data", "evidence.yaml")
    loaded: dict[str, Any] = yaml.safe_load(text.read_text(encoding="utf-8"))
    return loaded


def _parse(raw: dict[str, Any]) -> None:
    parse_evidence(yaml.safe_dump(raw, allow_unicode=True), where="test")


# --- the file --------------------------------------------------------------------------------


def test_the_file_loads_with_every_kind_of_record() -> None:
    evidence = load_evidence()
    assert len(evidence.trials) >= 12 + 4  # the two tables and the trials of seed 004's text
    assert len(evidence.registry_counts) == 5
    assert len(evidence.pooled) == 6
    assert len(records()) == len(evidence.all())
    assert load_evidence() is evidence  # validated once, then shared (records are immutable)


def test_all_twelve_table_rows_are_present_with_their_seed_reference() -> None:
    rows = _table_rows()
    assert sorted(rows) == sorted(TABLE_ROWS)
    assert sum(rows[key].condition == "t1dm" for key in rows if key[0] == 2) == 6
    assert sum(rows[key].condition == "t2dm" for key in rows if key[0] == 3) == 6
    for (table, row), trial in rows.items():
        assert f"Table {table} row {row}" in trial.seed_ref.label
        assert trial.seed_ref.refs == (TABLE_ROWS[(table, row)][0],)
        assert trial.reference, trial.id


@pytest.mark.parametrize("key", sorted(TABLE_ROWS), ids=lambda key: f"table{key[0]}_row{key[1]}")
def test_each_table_row_has_the_seeds_product_subjects_route_and_follow_up(
    key: tuple[int, int],
) -> None:
    _, sources, doses, unit, n, route, months = TABLE_ROWS[key]
    trial = _table_rows()[key]
    components = trial.product.components
    assert tuple(c.source for c in components) == sources
    assert tuple(c.dose for c in components) == doses
    assert {c.dose_unit for c in components} == {unit}
    assert trial.n == n
    assert trial.route == route
    assert trial.follow_up_months == months
    assert trial.outcomes, "every row reports effects"
    if route is None:
        # The seed's own wording is kept where it names no vocabulary route.
        assert trial.route_as_reported


def test_doses_given_with_their_sd_keep_it_and_missing_doses_keep_the_seeds_mark() -> None:
    rows = _table_rows()
    assert rows[(2, 3)].product.components[0].dose_sd == 1.2e7
    assert rows[(3, 1)].product.components[0].dose_sd == 1.4e8
    assert rows[(3, 2)].product.components[0].dose_sd == 1.9e9
    assert rows[(3, 6)].product.components[0].dose_as_reported == "NA"
    assert {c.dose_as_reported for c in rows[(2, 5)].product.components} == {"—"}


def test_table_arrows_become_directions() -> None:
    rows = _table_rows()
    carlsson = rows[(2, 4)].outcomes
    assert [(o.endpoint, o.direction) for o in carlsson] == [("c_peptide_ng_ml", "none_or_up")]
    assert {o.direction for o in rows[(2, 2)].outcomes if o.endpoint.endswith("antibody")} == {
        "negative"
    }
    hu2016 = {o.endpoint: o.direction for o in rows[(3, 3)].outcomes}
    assert hu2016["hba1c_pct"] == "down"
    assert hu2016["homa_b"] == "up"


def test_seed_inconsistencies_are_kept_and_noted() -> None:
    rows = _table_rows()
    hu2012 = rows[(3, 2)]
    assert hu2012.product.components[0].source == "bone_marrow"  # as the seed says
    assert any("mononuclear" in note for note in hu2012.notes)
    assert any("section 1.1" in note for note in rows[(2, 5)].notes)
    assert any("Wharton" in note for note in rows[(3, 3)].notes)


def test_the_trials_named_in_the_text_are_there_with_their_published_numbers() -> None:
    evidence = load_evidence()
    trivedi = evidence.get("seed004_s1_1_trivedi2008")
    assert isinstance(trivedi, TrialRecord)
    assert trivedi.n == 5
    assert trivedi.follow_up_months == 2
    outcomes = {o.endpoint: o for o in trivedi.outcomes}
    assert outcomes["insulin_iu_day"].change_pct == (-50, -30)
    assert outcomes["c_peptide_ng_ml"].fold_change == (4, 26)

    thakkar = evidence.get("seed004_s1_1_thakkar2016")
    assert isinstance(thakkar, TrialRecord)
    assert thakkar.same_study_as == "seed004_t2_r5_thakkar2016"
    values = [
        (o.baseline.mean, o.baseline.sd, o.final.mean, o.final.sd, o.unit)
        for o in thakkar.outcomes
        if o.baseline is not None and o.final is not None
    ]
    assert values == [(63.9, 20.9, 38.6, 8.5, "IU/d"), (57.56, 21.82, 40.5, 15.99, "IU/d")]

    wang = evidence.get("seed004_s1_2_1_wang2017")
    assert isinstance(wang, TrialRecord)
    assert wang.n == 3
    assert {c.form for c in wang.product.components} == {"islets", "cells"}

    for record_id in ("seed004_s1_1_dave2014", "seed000_s2_1_nct02566655"):
        assert isinstance(evidence.get(record_id), TrialRecord)


def test_registry_counts_are_dated_observations_with_their_values() -> None:
    found = {r.conditions: r for r in load_evidence().registry_counts}
    assert set(found) == set(REGISTRY_COUNTS)
    for conditions, (count, seed, section) in REGISTRY_COUNTS.items():
        record = found[conditions]
        assert isinstance(record, RegistryCount)
        assert record.count == count
        assert (record.seed_ref.file, record.seed_ref.section) == (seed, section)
    # The seeds' header dates: 004 received 2020-01-20, revised 2020-04-23; 000 2022-07-13/10-10.
    assert found[("t1dm", "t2dm")].as_of == date(2020, 1, 20)
    assert found[("t1dm", "t2dm")].seed_revised == date(2020, 4, 23)
    assert found[("copd",)].as_of == date(2022, 7, 13)
    assert found[("t1dm", "t2dm")].query_as_reported == "Diabetes Mellitus, Mesenchymal Stem Cells"


def test_zhang_2020_pooled_numbers_equal_the_reference() -> None:
    pooled = {(p.condition, p.endpoint): p for p in load_evidence().pooled}
    assert set(pooled) == set(ZHANG_2020)
    for key, (md, low, high, patients) in ZHANG_2020.items():
        record = pooled[key]
        assert (record.md, record.ci_low, record.ci_high) == (md, low, high)
        assert record.n_patients == patients
        assert record.n_studies == 21
        assert record.seed_ref.refs == (18,)
        assert record.reference is not None and "Zhang Y" in record.reference


def test_zhang_2020_numbers_match_evidence_md_where_it_is_at_hand() -> None:
    path = SHARED / "reference" / "evidence.md"
    if not path.exists():
        pytest.skip("shared/reference/evidence.md is not beside this checkout")
    text = " ".join(path.read_text(encoding="utf-8").split())
    number = r"(-?\d+\.\d+)"
    for (_condition, endpoint), (md, low, high, _) in ZHANG_2020.items():
        label = {
            "c_peptide_ng_ml": "C-peptide",
            "hba1c_pct": "HbA1c",
            "insulin_iu_day": "insulin requirement",
            "fpg_mmol_l": "FPG",
        }[endpoint]
        pattern = rf"{re.escape(label)} MD {number} \({number} to {number}\)"
        published = [tuple(float(x) for x in m) for m in re.findall(pattern, text)]
        assert (md, low, high) in published


def test_calibration_and_validation_are_marked() -> None:
    flags = {p.id: p.used_for for p in load_evidence().pooled}
    assert flags.pop("seed000_s2_3_zhang2020_t2dm_hba1c") == "calibration"
    assert set(flags.values()) == {"validation"}


# --- provenance and vocabulary ---------------------------------------------------------------


def test_no_invented_registry_ids() -> None:
    ids = {t.registry_id for t in load_evidence().trials if t.registry_id is not None}
    assert ids, "NCT02566655 is recorded"
    for nct in ids:
        assert re.fullmatch(r"NCT\d{8}", nct)
        assert nct in ALLOWED_NCT_IDS, f"{nct} is not printed by either seed"
    record = next(t for t in load_evidence().trials if t.registry_id == "NCT02566655")
    assert (record.seed_ref.file, record.seed_ref.section) == ALLOWED_NCT_IDS["NCT02566655"]


def test_the_allow_list_is_exactly_the_ids_the_seeds_print() -> None:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout")
    printed = set()
    for path in seeds.glob("*.txt"):
        printed |= set(re.findall(r"NCT\d{8}", path.read_text(encoding="utf-8")))
    assert printed == set(ALLOWED_NCT_IDS)


def test_every_record_has_a_seed_reference_and_a_well_formed_id() -> None:
    for record in records():
        ref = record.seed_ref
        assert ref.file in (SEED_000, SEED_004)
        assert ref.section is not None or (ref.table is not None and ref.row is not None)
        assert record.id.startswith(f"seed{ref.seed}_")


def test_citations_are_the_seeds_reference_lists() -> None:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip("shared/seeds is not beside this checkout")
    for citation in load_evidence().citations:
        seed = " ".join((seeds / citation.file).read_text(encoding="utf-8").split())
        # Undo the text extraction only: markdown emphasis, a word split over a page break
        # (seed 000 [28]) and a space inside "β -Cell" (seed 004 [75]).
        seed = seed.replace("*", "").replace("mes- - enchymal", "mesenchymal")
        seed = seed.replace("β -", "β-")
        assert f"[{citation.number}] {citation.text}" in seed, citation.number


def test_vocabulary_of_sources_forms_routes_units_and_endpoints() -> None:
    evidence = load_evidence()
    allowed_endpoints = set(ENDPOINTS) | set(EXTRA_ENDPOINTS)
    assert set(endpoint_names()) == allowed_endpoints
    for trial in evidence.trials:
        assert trial.condition in DISEASES
        assert trial.route is None or trial.route in ROUTES
        assert set(trial.other_routes) <= set(ROUTES)
        for component in trial.product.components:
            assert component.source is None or component.source in SOURCES
            assert component.form in FORMS
            assert component.dose_unit is None or component.dose_unit in DOSE_UNITS
        assert {o.endpoint for o in trial.outcomes} <= allowed_endpoints
    for pooled in evidence.pooled:
        assert isinstance(pooled, PooledEstimate)
        assert pooled.endpoint in ENDPOINTS  # pooled numbers must be comparable with the model
    for count in evidence.registry_counts:
        assert set(count.conditions) <= set(DISEASES)


# --- validation at load ----------------------------------------------------------------------


def test_duplicate_ids_are_refused() -> None:
    raw = _raw()
    raw["trials"].append(raw["trials"][0] | {"seed_ref": {"file": SEED_004, "section": "3"}})
    with pytest.raises(EvidenceError, match="duplicate record id 'seed004_t2_r1_voltarelli2007'"):
        _parse(raw)


def test_a_reference_number_missing_from_the_seeds_list_is_refused() -> None:
    raw = _raw()
    raw["trials"][0]["seed_ref"]["refs"] = [99]
    with pytest.raises(EvidenceError, match=r"seed 004 reference \[99\] is not in citations"):
        _parse(raw)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"registry_id": "NCT1234"}, r"registry_id = 'NCT1234': registry_id 'NCT1234' must be"),
        ({"route": "nasal"}, r"\.route = 'nasal'"),
        ({"condition": "diabetes"}, r"\.condition = 'diabetes'"),
        ({"invented": 1}, r"\.invented = 1: Extra inputs are not permitted"),
        ({"reference": "made up"}, r"\.reference: do not write it"),
        ({"seed_ref": {"file": SEED_004}}, r"a seed reference names a table and row or a section"),
        ({"year": 2008}, r"year 2008 does not appear in the reference"),
    ],
)
def test_a_bad_record_is_refused_with_one_line_naming_it(
    change: dict[str, Any], message: str
) -> None:
    raw = _raw()
    raw["trials"][0] = raw["trials"][0] | change
    with pytest.raises(EvidenceError, match=message) as caught:
        _parse(raw)
    assert "\n" not in str(caught.value)
    assert "seed004_t2_r1_voltarelli2007" in str(caught.value)


def test_an_unknown_endpoint_and_a_numbers_direction_mismatch_are_refused() -> None:
    raw = _raw()
    raw["trials"][0]["outcomes"][0]["endpoint"] = "happiness"
    with pytest.raises(EvidenceError, match="endpoint 'happiness' must be one of"):
        _parse(raw)
    raw = _raw()
    thakkar = next(t for t in raw["trials"] if t["id"] == "seed004_s1_1_thakkar2016")
    thakkar["outcomes"][0]["direction"] = "up"
    with pytest.raises(EvidenceError, match=r"direction 'up' but 63.9 -> 38.6"):
        _parse(raw)


# --- tabular output and the command ----------------------------------------------------------


def test_list_csv_parses_and_holds_every_record() -> None:
    code, text = list_command(None, "csv")
    assert code == 0
    frame = pd.read_csv(io.StringIO(text))
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["id"]) == [r.id for r in records()]
    row = frame.set_index("id").loc["seed004_t2_r6_cai2016"]
    assert row["sources"] == "umbilical_cord + bm_mononuclear"
    assert row["doses"] == "1.1e+06 + 1.068e+08"
    assert row["route"] == "pancreatic_artery"
    assert row["seed_label"] == "seed 004 Table 2 row 6 [76]"
    counts = frame[frame["kind"] == "registry_count"].set_index("id")["count"]
    assert sorted(counts.astype(int)) == [9, 12, 13, 13, 46]


def test_list_json_parses_and_holds_every_record_with_all_fields() -> None:
    code, text = list_command(None, "json")
    assert code == 0
    listed = json.loads(text)
    assert [item["id"] for item in listed] == [r.id for r in records()]
    trial = next(item for item in listed if item["id"] == "seed004_t3_r3_hu2016")
    assert set(TrialRecord.model_fields) <= set(trial)
    assert trial["product"]["components"][0]["dose"] == 1.0e6


@pytest.mark.parametrize("disease", DISEASES)
def test_list_filters_by_disease(disease: str) -> None:
    code, text = list_command(disease, "json")
    assert code == 0
    listed = json.loads(text)
    assert [item["id"] for item in listed] == [r.id for r in records(disease)]
    for item in listed:
        assert disease in (item.get("conditions") or [item.get("condition")])


def test_every_disease_but_alzheimers_has_evidence() -> None:
    # Seed 000 names Alzheimer's disease in its abstract only: no trial, count or estimate.
    assert {d for d in DISEASES if not records(d)} == {"alzheimer"}


@pytest.mark.parametrize(
    ("disease", "fmt", "message"),
    [
        ("diabetes", "csv", "unknown disease 'diabetes'; must be one of t2dm, "),
        ("tumor", "json", "(did you mean 'tumour'?)"),
        (None, "xml", "unknown format 'xml'; must be one of csv, json"),
    ],
)
def test_unknown_disease_or_format_exits_2_with_one_line(
    disease: str | None, fmt: str, message: str
) -> None:
    code, text = list_command(disease, fmt)
    assert code == 2
    assert message in text
    assert "\n" not in text


def test_to_frame_keeps_whole_numbers_whole() -> None:
    frame = to_frame()
    assert str(frame["year"].dtype) == "Int64"
    assert str(frame["follow_up_months"].dtype) == "Float64"
    assert len(frame) == len(records())
