"""The T1DM module end to end: natural history after diagnosis, the honeymoon, MSC and HSC
effects, the Trivedi calibration and its Thakkar validation, reference check, determinism and
bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mscsim.scenario import Scenario, ScenarioError, load_scenario, parse_scenario
from mscsim.trial import RunResult, run_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

NEW_ONSET = """
schema_version: 1
name: new-onset T1D, 3 years
disease: t1dm
population: {n: 300, seed: 11, criteria: {diabetes_duration_years: [0, 0.1]}}
arms:
  - name: control
    regimen: null
  - name: bm_msc
    product: {source: bone_marrow, form: cells}
    regimen: {dose: 2.0e6, dose_unit: cells/kg, route: iv, schedule_days: [0]}
  - name: hsc
    product: {source: hematopoietic, form: cells}
    regimen: {dose: 1.0e7, dose_unit: cells/kg, route: iv, schedule_days: [0]}
duration_days: 1095
visits_days: [0, 91, 182, 365, 730, 1095]
endpoints: [c_peptide_ng_ml, c_peptide_auc, insulin_iu_kg_day, insulin_free_pct, hba1c_pct,
            gad_antibody_pct]
"""


def _mean(result: RunResult, arm: str, endpoint: str) -> pd.Series:
    e = result.endpoints
    rows = e[(e.arm == arm) & (e.endpoint == endpoint)]
    return pd.Series(rows["mean"].to_numpy(), index=rows["day"].to_numpy())


@pytest.fixture(scope="module")
def new_onset() -> RunResult:
    return run_scenario(parse_scenario(NEW_ONSET))


def test_untreated_c_peptide_falls_at_the_published_rate_after_diagnosis(
    new_onset: RunResult,
) -> None:
    # Shields 2018: about 47%/year in the first years (recalled); TrialNet (Greenbaum 2012): a
    # steep fall over the first 2 years. Band 25-60%/year on the 3-year geometric mean.
    c = _mean(new_onset, "control", "c_peptide_ng_ml")
    annual_fall = 1.0 - (c[1095] / c[0]) ** (1.0 / 3.0)
    assert 0.25 < annual_fall < 0.60, annual_fall
    assert all(np.diff(c.loc[365:].to_numpy()) < 0)


def test_honeymoon_insulin_need_dips_then_rises(new_onset: RunResult) -> None:
    # Partial remission (Mortensen 2009: < 0.5 IU/kg/day) as insulin relieves glucotoxicity,
    # then the need rises toward full replacement as autoimmunity destroys the rest.
    dose = _mean(new_onset, "control", "insulin_iu_kg_day")
    nadir_day = dose.loc[:365].idxmin()
    assert 0 < nadir_day <= 365
    assert dose[nadir_day] < 0.8 * dose[0]
    assert dose[nadir_day] < 0.5
    assert dose[1095] > 1.5 * dose[nadir_day]


def test_established_t1d_has_near_zero_c_peptide() -> None:
    text = NEW_ONSET.replace("[0, 0.1]", "[10, 20]").replace("n: 300", "n: 100")
    text = text.replace("duration_days: 1095", "duration_days: 365")
    text = text.replace("visits_days: [0, 91, 182, 365, 730, 1095]", "visits_days: [0, 365]")
    r = run_scenario(parse_scenario(text))
    c = _mean(r, "control", "c_peptide_ng_ml")
    assert c[0] < 0.03  # below the ~0.03 ng/mL (10 pmol/L) of a sensitive assay
    dose = _mean(r, "control", "insulin_iu_kg_day")
    assert 0.4 < dose[0] < 1.0  # full replacement (diabetes_models.md: 0.4-1.0 IU/kg/day)


def test_msc_preserves_c_peptide_against_control(new_onset: RunResult) -> None:
    msc = _mean(new_onset, "bm_msc", "c_peptide_ng_ml")
    control = _mean(new_onset, "control", "c_peptide_ng_ml")
    assert all(msc.loc[91:] > control.loc[91:])


def test_hsc_with_conditioning_gives_remission_then_relapse(new_onset: RunResult) -> None:
    hsc = _mean(new_onset, "hsc", "c_peptide_ng_ml")
    control = _mean(new_onset, "control", "c_peptide_ng_ml")
    # Remission: C-peptide held near its enrolment value for a year while control loses a third.
    assert hsc[365] > 0.9 * hsc[0]
    assert control[365] < 0.8 * control[0]
    # Relapse: effectors re-primed by antigen presentation bring the decline back by year 3.
    assert hsc[1095] < 0.9 * hsc[365]
    assert _mean(new_onset, "hsc", "gad_antibody_pct")[365] < 50.0
    assert _mean(new_onset, "hsc", "insulin_free_pct").max() > (
        _mean(new_onset, "control", "insulin_free_pct").max()
    )


def test_run_rechecks_patients_on_the_reference_solver(new_onset: RunResult) -> None:
    check = new_onset.lock["reference_check"]
    assert check["arm"] == "bm_msc"
    assert len(check["patients"]) == 2
    assert check["max_rel_dev"] < 0.01


def _insulin_change(path: Path, day: int) -> float:
    r = run_scenario(load_scenario(path))
    arm = next(a.name for a in r.scenario.arms if a.regimen is not None)
    dose = _mean(r, arm, "insulin_iu_day")
    return float(dose[day] / dose[0] - 1.0)


def test_trivedi_type_ipc_hsc_infusion_lowers_insulin_need_30_to_50_pct() -> None:
    # Calibration target (t1dm.ipc_in_vivo_capacity_factor, docs/calibration.md): reproduced.
    change = _insulin_change(EXAMPLES / "seed004_section1" / "trivedi2008_ad_ipc_hsc.yaml", 60)
    assert -0.50 < change < -0.30, change


def test_thakkar_2016_insulin_reduction_at_24_months_is_reproduced_without_fitting() -> None:
    # Validation, held apart: Thakkar 2016 groups 63.9 -> 38.6 (-40%) and 57.6 -> 40.5 (-30%).
    path = EXAMPLES / "seed004_table2" / "row5_thakkar2016_ad_ipc_hsc.yaml"
    change = _insulin_change(path, 730)
    assert -0.50 < change < -0.20, change


def _t1(arm: str, extra: str = "") -> Scenario:
    return parse_scenario(
        f"""
schema_version: 1
name: bad
disease: t1dm
population: {{n: 5, seed: 1}}
arms:
{arm}
  - name: control
    regimen: null
duration_days: 30
visits_days: [0, 30]
endpoints: [c_peptide_ng_ml]
{extra}
"""
    )


@pytest.mark.parametrize(
    ("arm", "extra", "field", "words"),
    [
        (
            "  - {name: a, product: {source: bone_marrow, form: exosomes}, "
            "regimen: {dose: 100, dose_unit: ug_protein/kg, route: iv, schedule_days: [0]}}",
            "",
            "arms[0].product.form",
            "not yet supported for t1dm",
        ),
        (
            "  - {name: a, product: {source: adipose, form: insulin_producing_cells}, "
            "regimen: {dose: 1e6, dose_unit: cells/kg, route: intranasal, schedule_days: [0]}}",
            "",
            "arms[0].regimen.route",
            "insulin_producing_cells",
        ),
        (
            "  - {name: a, product: {components: [{source: hematopoietic, "
            "form: insulin_producing_cells, dose: 1e6, dose_unit: cells/kg}]}, "
            "regimen: {route: iv, schedule_days: [0]}}",
            "",
            "arms[0].product.components[0].source",
            "induced from MSCs",
        ),
        (
            "  - {name: a, product: {source: bone_marrow, form: cells}, "
            "regimen: {dose: 1e6, dose_unit: cells/kg, route: iv, schedule_days: [0]}}",
            "standard_of_care: [metformin]",
            "standard_of_care[0]",
            "insulin is part of the module",
        ),
    ],
)
def test_unsupported_t1dm_input_is_refused_naming_the_field(
    arm: str, extra: str, field: str, words: str
) -> None:
    with pytest.raises(ScenarioError) as err:
        run_scenario(_t1(arm, extra))
    message = str(err.value)
    assert field in message and words in message, message
    assert "\n" not in message


def test_protocol_on_a_non_ipc_product_is_refused_at_parse_time() -> None:
    with pytest.raises(ScenarioError) as err:
        _t1(
            "  - {name: a, product: {source: bone_marrow, form: cells, "
            "ipc_protocol: bm_msc_3step}, "
            "regimen: {dose: 1e6, dose_unit: cells/kg, route: iv, schedule_days: [0]}}"
        )
    assert "ipc_protocol" in str(err.value)


def test_ipc_products_carry_their_tumourigenicity_signal_into_the_results(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mscsim.cli import app

    text = (EXAMPLES / "seed004_table2" / "row5_thakkar2016_ad_ipc_hsc.yaml").read_text()
    long_expansion = text.replace(
        "ipc_protocol: thakkar_isc_4day}", "ipc_protocol: thakkar_isc_4day, passage: 12}"
    )
    runs = {}
    for name, body in {"reference": text, "long": long_expansion}.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            body.replace("n: 20", "n: 5")
            .replace("duration_days: 730", "duration_days: 90")
            .replace("visits_days: [0, 90, 180, 365, 730]", "visits_days: [0, 90]")
        )
        out = tmp_path / name
        res = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
        assert res.exit_code == 0, res.output
        runs[name] = out
    import yaml

    def signal(out: Path) -> dict[str, object]:
        lock = yaml.safe_load((out / "scenario.lock.yaml").read_text())
        (sig,) = lock["arm_products"]["ipc_hsc"]["safety_signals"]
        return sig

    ref, long = signal(runs["reference"]), signal(runs["long"])
    assert ref["value"] == pytest.approx(1.0) and ref["passage_stated"] is False
    assert long["value"] > 2.0 and long["is_probability"] is False
    assert "not a probability" in (runs["long"] / "report.html").read_text()


def test_t1dm_result_files_are_byte_identical_for_the_same_seed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mscsim.cli import app

    path = tmp_path / "s.yaml"
    text = NEW_ONSET.replace("n: 300", "n: 15").replace("duration_days: 1095", "duration_days: 91")
    path.write_text(
        text.replace("visits_days: [0, 91, 182, 365, 730, 1095]", "visits_days: [0, 91]")
    )
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        res = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
        assert res.exit_code == 0, res.output
    for name in ("endpoints.csv", "responders.csv", "trajectories.nc", "scenario.lock.yaml"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


@pytest.fixture(scope="module")
def islets() -> RunResult:
    path = EXAMPLES / "seed004_section1" / "wang2017_islets_bm_msc.yaml"
    spec = load_scenario(path)
    return run_scenario(
        spec.model_copy(update={"population": spec.population.model_copy(update={"n": 40})})
    )


def test_islet_transplant_lowers_insulin_need_of_c_peptide_negative_patients(
    islets: RunResult,
) -> None:
    control = _mean(islets, "control", "insulin_iu_day")
    alone = _mean(islets, "islets_alone", "insulin_iu_day")
    assert _mean(islets, "control", "c_peptide_ng_ml")[0] < 0.03
    assert alone[365] < 0.8 * control[365]
    assert _mean(islets, "islets_alone", "c_peptide_ng_ml")[365] > 0.1


def test_co_transplanted_msc_speed_islet_engraftment(islets: RunResult) -> None:
    # VEGF-driven revascularisation and trophic protection (islets module, Park 2010): more
    # islet insulin reaches the blood in the first month with MSCs than without.
    with_msc = _mean(islets, "islets_msc", "c_peptide_ng_ml")
    alone = _mean(islets, "islets_alone", "c_peptide_ng_ml")
    assert with_msc[30] > 1.2 * alone[30]
    assert islets.lock["reference_check"]["max_rel_dev"] < 0.01


@pytest.mark.parametrize(
    ("product", "route", "field"),
    [
        ("{source: bone_marrow, form: islets}", "portal_vein", "arms[0].product.source"),
        ("{source: pancreas, form: islets}", "iv", "arms[0].regimen.route"),
    ],
)
def test_islets_need_a_pancreas_source_and_a_graft_site(
    product: str, route: str, field: str
) -> None:
    arm = (
        f"  - {{name: a, product: {product}, regimen: {{dose: 1e5, dose_unit: islets, "
        f"route: {route}, schedule_days: [0]}}}}"
    )
    with pytest.raises(ScenarioError) as err:
        run_scenario(_t1(arm))
    assert field in str(err.value), str(err.value)


def test_zero_cells_give_the_rates_of_no_cells() -> None:
    """The T1DM module on the shared engine: a patient whose cells are gone gets the rates of
    a day without cells (None) whether or not its batch-mates still have live cells."""
    import jax
    import jax.numpy as jnp

    from mscsim.params import load_parameters
    from mscsim.physiology.t1dm._clinical import T1DM_MODEL
    from mscsim.trial._t1dm_arms import N_CHANNELS
    from mscsim.trial._t1dm_run import PARAMETER_MODULES, sample_population, t1_setup

    spec = parse_scenario(NEW_ONSET.replace("n: 300", "n: 5"))
    params = load_parameters(*PARAMETER_MODULES)
    with jax.enable_x64(True):
        sh = t1_setup(params)
        pop, _ = sample_population(spec, params, sh)
        t = jnp.asarray(3.0)
        rates = [
            T1DM_MODEL.rates(pop.state, pop.g_mean, t, cells, pop.patient, sh)
            for cells in (None, jnp.zeros((5, N_CHANNELS)), jnp.full((5, N_CHANNELS), 1e6))
        ]
    none, zero, some = (jax.tree_util.tree_leaves(r) for r in rates)
    for a, z in zip(none, zero, strict=True):
        np.testing.assert_array_equal(np.asarray(z), np.broadcast_to(np.asarray(a), np.shape(z)))
    assert any(np.any(np.asarray(s) != np.asarray(a)) for a, s in zip(none, some, strict=True))
