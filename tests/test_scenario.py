"""Scenario layer: the default scenario, one clear one-line error per bad input, helpers."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from mscsim.scenario import (
    CRITERIA_KEYS,
    DISEASES,
    DOSE_UNITS,
    DOSE_UNITS_BY_FORM,
    ENDPOINTS,
    FORMS,
    MISSING,
    PRECONDITIONING,
    ROUTES,
    SOURCES,
    Criteria,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

DEFAULT_PATH = Path(str(files("mscsim") / "scenarios" / "default_t2dm.yaml"))

# Seed 004 Table 2 row 6 (Cai 2016): UC-MSCs plus autologous BM-MNCs, each with its own dose,
# given once through the dorsal pancreatic artery.
COMBINED_PRODUCT = {
    "components": [
        {"source": "umbilical_cord", "form": "cells", "dose": 1.1e6, "dose_unit": "cells/kg"},
        {"source": "bm_mononuclear", "form": "cells", "dose": 106.8e6, "dose_unit": "cells/kg"},
    ]
}

# A flow panel that meets the ISCT minimal criteria (Dominici 2006).
ISCT_PANEL = {
    "CD105": 98.0,
    "CD73": 99.0,
    "CD90": 97.0,
    "CD45": 1.0,
    "CD34": 0.5,
    "CD14": 1.0,
    "CD19": 0.2,
    "HLA-DR": 0.4,
}


@pytest.fixture(scope="module")
def default() -> Scenario:
    return load_scenario(DEFAULT_PATH)


def _base() -> dict[str, Any]:
    return load_scenario(DEFAULT_PATH).to_dict()


def _text(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False)


Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Edit:
    """An edit of the default scenario: set the value at a dotted path (`arms.0.regimen.dose`)."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        target: Any = data
        for part in parents:
            target = target[part]
        target[last] = value

    return edit


def _delete(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
        target: Any = data
        for part in parents:
            target = target[part]
        del target[last]

    return edit


def _edits(*edits: Edit) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        for one in edits:
            one(data)

    return edit


REGIMEN = "arms.0.regimen"
PRODUCT = "arms.0.product"

# (edit of the default scenario, or raw YAML text), the field the message must name, and the
# text of the offending value the message must show.
BAD_SCENARIOS = [
    pytest.param(_set("disease", "diabetes"), "disease", "'diabetes'", id="unknown-disease"),
    pytest.param(_set(f"{REGIMEN}.dose", -1), "arms[0].regimen.dose", "-1", id="negative-dose"),
    pytest.param(_set(f"{REGIMEN}.dose", 0), "arms[0].regimen.dose", "= 0", id="zero-dose"),
    pytest.param(
        _set(f"{REGIMEN}.route", "nasal"), "arms[0].regimen.route", "'nasal'", id="unknown-route"
    ),
    pytest.param(
        _set(f"{PRODUCT}.source", "uc"), "arms[0].product.source", "'uc'", id="unknown-source"
    ),
    pytest.param(
        _set(f"{PRODUCT}.form", "pills"), "arms[0].product.form", "'pills'", id="unknown-form"
    ),
    pytest.param(
        _set("visits_days", [0, 90, 1200]), "visits_days[2]", "1200", id="visit-after-end"
    ),
    pytest.param(_set("visits_days", [0, 180, 90]), "visits_days[2]", "90", id="unsorted-visits"),
    pytest.param(_set("visits_days", [0, 90, 90]), "visits_days[2]", "90", id="duplicate-visits"),
    pytest.param(_set("visits_days", [30, 90]), "visits_days[0]", "30", id="no-baseline-visit"),
    pytest.param(_set("population.n", 0), "population.n", "= 0", id="n-zero"),
    pytest.param(_set("population.n", True), "population.n", "true", id="n-boolean"),
    pytest.param(_set("population.seed", -1), "population.seed", "-1", id="negative-seed"),
    pytest.param(
        _set(f"{REGIMEN}.dose_unit", "mg"),
        "arms[0].regimen.dose_unit",
        "'mg'",
        id="unknown-dose-unit",
    ),
    pytest.param(
        _set(f"{REGIMEN}.dose_unit", "particles/kg"),
        "arms[0].regimen.dose_unit",
        "'particles/kg'",
        id="dose-unit-not-fitting-form",
    ),
    pytest.param(
        _delete(f"{REGIMEN}.dose_unit"),
        "arms[0].regimen.dose_unit",
        "missing",
        id="dose-without-unit",
    ),
    pytest.param("name: [unclosed\ndisease: t2dm\n", "yaml", "disease: t2dm", id="malformed-yaml"),
    pytest.param("name: a\nname: b\n", "yaml", "'name: b'", id="duplicate-yaml-key"),
    pytest.param(
        "name: !!python/object/apply:os.system [ls]\n", "yaml", "python", id="unsafe-yaml-tag"
    ),
    pytest.param("", "document", "''", id="empty-file"),
    pytest.param("# only a comment\n", "document", "null", id="comment-only-file"),
    pytest.param("- a\n- b\n", "document", "['a', 'b']", id="top-level-list"),
    pytest.param(_set("colour", "red"), "colour", "'red'", id="unknown-top-level-key"),
    pytest.param(_set("schema_version", 2), "schema_version", "= 2", id="schema-version-2"),
    pytest.param(_set("species", "mouse"), "species", "'mouse'", id="species-not-yet-supported"),
    pytest.param(_set("arms.1.name", "uc_msc"), "arms[1].name", "'uc_msc'", id="duplicate-arm"),
    pytest.param(
        _set("arms.1.name", "control arm"), "arms[1].name", "'control arm'", id="arm-name-space"
    ),
    pytest.param(_set("arms", []), "arms", "[]", id="no-arms"),
    pytest.param(
        _set(f"{REGIMEN}.schedule_days", [0, 2000]),
        "arms[0].regimen.schedule_days[1]",
        "2000",
        id="schedule-day-after-duration",
    ),
    pytest.param(
        _set(f"{REGIMEN}.schedule_days", [-7, 0]),
        "arms[0].regimen.schedule_days[0]",
        "-7",
        id="negative-schedule-day",
    ),
    pytest.param(
        _set(f"{REGIMEN}.schedule_days", [28, 0]),
        "arms[0].regimen.schedule_days[1]",
        "= 0",
        id="unsorted-schedule",
    ),
    pytest.param(
        _set(f"{REGIMEN}.schedule_days", []),
        "arms[0].regimen.schedule_days",
        "[]",
        id="empty-schedule",
    ),
    pytest.param(_set("endpoints", ["hba1c"]), "endpoints[0]", "'hba1c'", id="unknown-endpoint"),
    pytest.param(
        _set("endpoints", ["homa_b", "homa_b"]), "endpoints[1]", "'homa_b'", id="duplicate-endpoint"
    ),
    pytest.param(_set("endpoints", []), "endpoints", "[]", id="no-endpoints"),
    pytest.param(
        _set("population.criteria.hba1c_pct", [10.0, 7.0]),
        "population.criteria.hba1c_pct",
        "[10.0, 7.0]",
        id="criteria-low-above-high",
    ),
    pytest.param(
        _set("population.criteria.hba1c_pct", [53, 86]),
        "population.criteria.hba1c_pct",
        "[53, 86]",
        id="criteria-wrong-unit",
    ),
    pytest.param(
        _set("population.criteria.blood_type", "A"),
        "population.criteria.blood_type",
        "'A'",
        id="unknown-criteria-key",
    ),
    pytest.param(
        _set("population.criteria.sex", "both"),
        "population.criteria.sex",
        "'both'",
        id="unknown-sex",
    ),
    pytest.param(_set(REGIMEN, None), "arms[0].regimen", "null", id="product-without-regimen"),
    pytest.param(_delete(PRODUCT), "arms[0].product", "missing", id="regimen-without-product"),
    pytest.param(
        _set(f"{PRODUCT}.potency", "high"),
        "arms[0].product.potency",
        "'high'",
        id="unknown-product-key",
    ),
    pytest.param(
        _set(f"{PRODUCT}.viability_pct", 150),
        "arms[0].product.viability_pct",
        "150",
        id="viability-over-100",
    ),
    pytest.param(
        _set(f"{PRODUCT}.thawed", "maybe"), "arms[0].product.thawed", "'maybe'", id="thawed-maybe"
    ),
    pytest.param(
        _set(f"{PRODUCT}.panel", {"CD73": 120}),
        "arms[0].product.panel.CD73",
        "120",
        id="panel-over-100",
    ),
    pytest.param(
        _edits(_set(PRODUCT, COMBINED_PRODUCT), _set(f"{REGIMEN}.route", "pancreatic_artery")),
        "arms[0].regimen.dose",
        "1000000.0",
        id="dose-in-regimen-and-components",
    ),
    pytest.param(
        _set("trial", {"n_per_arm": 30, "dropout": 1}), "trial.dropout", "= 1", id="dropout-one"
    ),
    pytest.param(
        _set("trial", {"n_per_arm": 30, "replicates": 0}),
        "trial.replicates",
        "= 0",
        id="replicates-zero",
    ),
    pytest.param(
        _set("trial", {"n_per_arm": 600}), "trial.n_per_arm", "600", id="trial-exceeds-population"
    ),
    pytest.param(
        _set("trial", {"n_per_arm": 30, "allocation": {"uc_msc": 2, "placebo": 1}}),
        "trial.allocation.placebo",
        "'placebo'",
        id="allocation-unknown-arm",
    ),
    pytest.param(
        _set("duration_days", "three years"),
        "duration_days",
        "'three years'",
        id="string-for-number",
    ),
    pytest.param(_set("duration_days", 0), "duration_days", "= 0", id="zero-duration"),
    pytest.param(_delete("disease"), "disease", "missing", id="missing-disease"),
    pytest.param(_set("population", 1000), "population", "1000", id="population-not-mapping"),
]


@pytest.mark.parametrize(("bad", "field", "shown"), BAD_SCENARIOS)
def test_bad_scenario_gives_one_line_naming_field_and_value(
    bad: Edit | str, field: str, shown: str
) -> None:
    if isinstance(bad, str):
        text = bad
    else:
        data = _base()
        bad(data)
        text = _text(data)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text)
    error = caught.value
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"scenario error: {field}")
    assert error.field == field
    assert shown in message, message


def test_there_are_enough_distinct_bad_scenarios() -> None:
    assert len({param.id for param in BAD_SCENARIOS}) == len(BAD_SCENARIOS) >= 18


def test_default_scenario(default: Scenario) -> None:
    assert default.schema_version == 1
    assert default.name == "UC-MSC vs control in type 2 diabetes"
    assert default.disease == "t2dm"
    assert default.species == "human"
    assert (default.population.n, default.population.seed) == (1000, 1)
    assert default.population.criteria.items() == (
        ("age_years", (30.0, 70.0)),
        ("hba1c_pct", (7.0, 10.0)),
    )
    msc, control = default.arms
    assert msc.name == "uc_msc" and control.name == "control"
    assert msc.product is not None and msc.regimen is not None
    assert (msc.product.source, msc.product.form) == ("umbilical_cord", "cells")
    assert (msc.product.passage, msc.product.preconditioning) == (4, "none")
    assert msc.regimen.dose == 1.0e6 and msc.regimen.dose_unit == "cells/kg"
    assert msc.regimen.route == "iv" and msc.regimen.schedule_days == (0, 28)
    assert control.is_control and control.product is None
    assert default.duration_days == 1095
    assert default.visits_days == (0, 90, 180, 365, 730, 1095)
    assert default.endpoints == (
        "hba1c_pct",
        "fpg_mmol_l",
        "ppg_mmol_l",
        "c_peptide_ng_ml",
        "c_peptide_auc",
        "insulin_iu_day",
        "insulin_iu_kg_day",
        "homa_b",
        "homa_ir",
    )


def test_contract_example_parses() -> None:
    # The scenario printed in DESIGN.md, "Contracts", verbatim.
    text = """
schema_version: 1
name: UC-MSC in type 2 diabetes
disease: t2dm                      # t2dm | t1dm | osteoporosis | ...
species: human
population: {n: 1000, seed: 1, criteria: {hba1c_pct: [7.0, 10.0], age_years: [30, 70]}}
trial: {n_per_arm: 30, replicates: 500}
standard_of_care: [metformin, insulin_treat_to_target]
arms:
  - name: msc
    product: {source: umbilical_cord, form: cells, passage: 4, preconditioning: none}
    regimen: {dose: 1.0e6, dose_unit: cells/kg, route: iv, schedule_days: [0, 28]}
  - name: control
    regimen: null
duration_days: 1095
visits_days: [0, 90, 180, 365, 730, 1095]
endpoints: [hba1c_pct, fpg_mmol_l, c_peptide_ng_ml, insulin_iu_day, homa_b]
"""
    scenario = parse_scenario(text)
    assert scenario.trial is not None and scenario.trial.n_per_arm == 30
    assert scenario.standard_of_care == ("metformin", "insulin_treat_to_target")
    assert scenario.arms[0].regimen is not None and scenario.arms[0].regimen.dose == 1.0e6


@pytest.mark.parametrize("written", ["1.0e6", "1e6", "1E+6", "1000000", "1.0e+6"])
def test_exponent_numbers_are_numbers(written: str) -> None:
    # PyYAML alone reads `1.0e6` as text; a dose must be the number either way.
    text = DEFAULT_PATH.read_text().replace("dose: 1.0e6", f"dose: {written}")
    regimen = parse_scenario(text).arms[0].regimen
    assert regimen is not None and regimen.dose == 1.0e6


def test_plain_yaml_loading_is_untouched() -> None:
    parse_scenario(DEFAULT_PATH.read_text())
    assert yaml.safe_load("x: 1e6") == {"x": "1e6"}


def test_aliases_resolve_to_canonical_names() -> None:
    data = _base()
    data["disease"] = "tumor"
    data["endpoints"] = ["tumor_volume_mm3"]
    data["arms"][0]["regimen"]["route"] = "intravenous"
    data["arms"][0]["product"]["source"] = "whartons_jelly"
    scenario = Scenario.from_dict(data)
    assert scenario.disease == "tumour" and scenario.endpoints == ("tumour_volume_mm3",)
    arm = scenario.arms[0]
    assert arm.regimen is not None and arm.regimen.route == "iv"
    assert arm.product is not None and arm.product.source == "wharton_jelly"
    assert scenario.to_dict()["disease"] == "tumour"


def test_round_trip(default: Scenario) -> None:
    assert parse_scenario(default.to_yaml()) == default
    assert Scenario.from_dict(default.to_dict()) == default
    assert default.to_dict()["arms"][1] == {"name": "control", "regimen": None}


def test_round_trip_of_every_optional_part() -> None:
    data = _base()
    data["trial"] = {
        "n_per_arm": 20,
        "replicates": 100,
        "allocation": {"uc_msc": 2, "control": 1},
        "dropout": 0.1,
    }
    data["standard_of_care"] = ["metformin"]
    data["population"]["criteria"].update({"sex": "female", "insulin_treated": True})
    data["arms"][0]["product"].update(
        {"viability_pct": 92.5, "thawed": True, "donor_age_years": 0, "panel": ISCT_PANEL}
    )
    data["arms"].append(
        {
            "name": "combined",
            "product": COMBINED_PRODUCT,
            "regimen": {"route": "pancreatic_artery", "schedule_days": [0]},
        }
    )
    data["trial"]["allocation"]["combined"] = 1
    scenario = Scenario.from_dict(data)
    assert parse_scenario(scenario.to_yaml()) == scenario
    assert scenario.trial is not None and dict(scenario.trial.allocation or ()) == {
        "uc_msc": 2,
        "control": 1,
        "combined": 1,
    }
    assert scenario.arms[0].product is not None
    assert dict(scenario.arms[0].product.panel or ()) == ISCT_PANEL


def test_specs_are_frozen_and_hashable(default: Scenario) -> None:
    with pytest.raises(pydantic.ValidationError):
        default.disease = "t1dm"  # type: ignore[misc]
    assert isinstance(default.visits_days, tuple)
    assert hash(default) == hash(load_scenario(DEFAULT_PATH))


def test_cells_total(default: Scenario) -> None:
    regimen = default.arms[0].regimen
    assert regimen is not None
    assert regimen.cells_total(70.0) == pytest.approx(7.0e7)
    assert regimen.total_unit == "cells"
    with pytest.raises(ValueError, match="weight_kg"):
        regimen.cells_total(0.0)


def test_cells_total_in_total_cells_ignores_weight() -> None:
    # Seed 004 Table 3 row 1 gives a total count, not a count per kg.
    data = _base()
    data["arms"][0]["regimen"].update({"dose": 3.5e8, "dose_unit": "cells"})
    regimen = Scenario.from_dict(data).arms[0].regimen
    assert regimen is not None
    assert regimen.cells_total(50.0) == regimen.cells_total(90.0) == pytest.approx(3.5e8)


def test_components_each_have_their_dose() -> None:
    data = _base()
    data["arms"][0]["product"] = COMBINED_PRODUCT
    data["arms"][0]["regimen"] = {"route": "pancreatic_artery", "schedule_days": [0]}
    arm = Scenario.from_dict(data).arms[0]
    assert arm.product is not None and arm.product.components is not None
    totals = [component.cells_total(70.0) for component in arm.product.components]
    assert totals == pytest.approx([7.7e7, 7.476e9])
    assert arm.regimen is not None
    with pytest.raises(ValueError, match="components"):
        arm.regimen.cells_total(70.0)


def test_exosome_dose_counts_no_cells() -> None:
    data = _base()
    data["arms"][0]["product"] = {"source": "umbilical_cord", "form": "exosomes"}
    data["arms"][0]["regimen"].update({"dose": 100, "dose_unit": "ug_protein/kg"})
    regimen = Scenario.from_dict(data).arms[0].regimen
    assert regimen is not None
    assert regimen.dose_total(70.0) == pytest.approx(7000.0)
    assert regimen.total_unit == "ug_protein"
    with pytest.raises(ValueError, match="counts no cells"):
        regimen.cells_total(70.0)


def test_load_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(DEFAULT_PATH.read_text().replace("route: iv", "route: nasal"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    line = 1 + next(
        number for number, text in enumerate(path.read_text().splitlines()) if "nasal" in text
    )
    assert str(path) in message and f"line {line}" in message
    assert caught.value.line == line
    assert caught.value.allowed == ROUTES
    assert "did you mean 'intranasal'?" in message


@pytest.mark.parametrize("kind", ["missing", "directory", "not-utf8"])
def test_unreadable_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "scenario.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "not-utf8":
        path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.field == "file"
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_all_problems_are_kept_and_the_first_is_reported() -> None:
    data = _base()
    data["arm"] = data.pop("arms")  # a misspelt key: the typo, not "arms missing", comes first
    data["population"]["n"] = 0
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_dict(data)
    error = caught.value
    assert error.field == "arm" and "did you mean 'arms'?" in str(error)
    assert {problem.field for problem in error.more} == {"population.n", "arms"}
    assert "[and 2 more problems]" in str(error)
    assert next(p for p in error.more if p.field == "arms").value is MISSING


def test_error_survives_pickling() -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(_text({**_base(), "disease": "gout"}))
    copied = pickle.loads(pickle.dumps(caught.value))
    assert str(copied) == str(caught.value)
    assert copied.allowed == DISEASES


def test_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(ScenarioError, match="must be a mapping"):
        Scenario.from_dict([1, 2])  # type: ignore[arg-type]


def test_contract_vocabulary_is_kept() -> None:
    # DESIGN.md, "Contracts": these names must keep working.
    contract = {
        DISEASES: "t2dm t1dm osteoporosis parkinson alzheimer atherosclerosis copd tumour",
        SOURCES: "bone_marrow umbilical_cord wharton_jelly adipose placenta peripheral_blood "
        "bm_mononuclear hematopoietic",
        FORMS: "cells exosomes conditioned_medium insulin_producing_cells islets",
        ROUTES: "iv pancreatic_artery portal_vein hepatic_artery intra_arterial intracoronary "
        "intrabone intrathecal intranasal intratracheal intratumoral kidney_capsule subcutaneous",
        DOSE_UNITS: "cells/kg cells ug_protein/kg particles/kg islets",
        PRECONDITIONING: "none ifn_gamma tnf_alpha ifn_gamma_tnf_alpha 3d_culture",
        CRITERIA_KEYS: "age_years sex weight_kg bmi hba1c_pct diabetes_duration_years "
        "c_peptide_ng_ml insulin_treated",
        ENDPOINTS: "hba1c_pct fpg_mmol_l ppg_mmol_l c_peptide_ng_ml c_peptide_auc insulin_iu_day "
        "insulin_iu_kg_day homa_b homa_ir bmd_lumbar_g_cm2 updrs3 mmse pav_pct fev1_ml "
        "tumour_volume_mm3",
    }
    for vocabulary, names in contract.items():
        assert set(names.split()) <= set(vocabulary)


def test_vocabularies_agree_with_models() -> None:
    assert tuple(Criteria.model_fields) == CRITERIA_KEYS
    assert set(DOSE_UNITS_BY_FORM) == set(FORMS)
    assert {unit for units in DOSE_UNITS_BY_FORM.values() for unit in units} == set(DOSE_UNITS)


def test_every_form_accepts_its_dose_units() -> None:
    for form, units in DOSE_UNITS_BY_FORM.items():
        for unit in units:
            data = copy.deepcopy(_base())
            data["arms"][0]["product"]["form"] = form
            data["arms"][0]["regimen"]["dose_unit"] = unit
            regimen = Scenario.from_dict(data).arms[0].regimen
            assert regimen is not None and regimen.dose_total(70.0) > 0
