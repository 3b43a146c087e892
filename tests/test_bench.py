"""`mscsim bench`: engine and libRoadRunner in one run, and the chunked engine of the N curve.

Small populations and a 120-day study (both MSC doses, 17 weekly titrations) keep this fast.
Nothing here asserts a speed: speed goals are met in benchmarks (docs/performance.md), never in
timed tests; the tests check that the numbers are computed from what they say.
"""

from __future__ import annotations

import json
from typing import Any

import jax
import numpy as np
import pytest
from typer.testing import CliRunner

from mscsim.cli import app
from mscsim.engine._chunks import default_chunk_size
from mscsim.engine._fast import simulate_arm
from mscsim.engine._hardware import day_cost
from mscsim.engine.bench import default_scenario, engine_curve, engine_inputs, run_chunked

pytest.importorskip("roadrunner")

N, K, DURATION = 20, 2, 120
EXPORTED = ("hba1c_pct", "fpg_mmol_l", "c_peptide_ng_ml", "insulin_iu_day", "homa_b", "homa_ir")
# Keys of the JSON before libRoadRunner was added: other tools read them.
OLD_KEYS = {
    "disease", "n", "arms", "patient_years", "engine_first_call_s", "engine_s", "engine_pyps",
    "mmtt_s", "reference_check_s", "run_first_call_s", "run_s", "end_to_end_pyps",
    "peak_rss_mb", "jax", "backend",
}  # fmt: skip
NEW_KEYS = {
    "roadrunner_pyps", "roadrunner_load_s", "roadrunner_simulate_s", "roadrunner_patients",
    "speedup_vs_roadrunner", "ratio", "max_rel_dev", "engine_compile_s",
    "roadrunner_with_load_pyps", "peak_rss_with_roadrunner_mb", "roadrunner_tight_pyps",
    "roadrunner_reduced_pyps", "speedup_vs_roadrunner_reduced", "reference_max_rel_dev",
}  # fmt: skip


@pytest.fixture(scope="module")
def bench_json() -> dict[str, Any]:
    args = ["bench", "--json", "--n", str(N), "--roadrunner-patients", str(K)]
    result = CliRunner().invoke(app, [*args, "--duration-days", str(DURATION)])
    assert result.exit_code == 0, result.output
    # stdout is the JSON alone: the solver's warnings are captured, not printed into it.
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def test_json_keeps_the_old_keys_and_adds_roadrunner(bench_json: dict[str, Any]) -> None:
    missing = (OLD_KEYS | NEW_KEYS) - set(bench_json)
    assert not missing, sorted(missing)
    assert bench_json["disease"] == "t2dm" and bench_json["n"] == N
    assert bench_json["roadrunner_patients"] == K and bench_json["roadrunner_arm"] == "uc_msc"
    assert bench_json["duration_days"] == DURATION


def test_endpoints_agree_within_one_percent(bench_json: dict[str, Any]) -> None:
    dev = bench_json["max_rel_dev"]
    assert set(EXPORTED) <= set(dev), dev
    bad = {e: d for e, d in dev.items() if not 0.0 <= d < 0.01}
    assert not bad, bad
    assert all(d < 0.01 for d in bench_json["max_rel_dev_tight"].values())
    # libRoadRunner on the reduced model (glucose at quasi-steady state) too.
    assert set(EXPORTED) <= set(bench_json["max_rel_dev_reduced"])
    assert all(d < 0.01 for d in bench_json["max_rel_dev_reduced"].values())
    # The meal-test endpoints are not in the SBML: said, not silently dropped.
    assert set(bench_json["endpoints_not_in_export"]) == {"ppg_mmol_l", "c_peptide_auc"}


def test_rates_and_ratio_are_computed_from_the_times(bench_json: dict[str, Any]) -> None:
    b = bench_json
    rr_years = K * DURATION / 365.25
    assert b["roadrunner_patient_years"] == pytest.approx(rr_years, abs=0.01)
    # Rounded to 3 decimals in the JSON: compare within that rounding.
    assert b["roadrunner_pyps"] == pytest.approx(rr_years / b["roadrunner_simulate_s"], rel=0.1)
    with_load = rr_years / (b["roadrunner_load_s"] + b["roadrunner_simulate_s"])
    assert b["roadrunner_with_load_pyps"] == pytest.approx(with_load, rel=0.01)
    assert b["engine_pyps"] == pytest.approx(b["patient_years"] / b["engine_s"], rel=0.1)
    assert b["speedup_vs_roadrunner"] == pytest.approx(
        b["engine_pyps"] / b["roadrunner_pyps"], abs=0.06
    )
    assert b["ratio"] == b["speedup_vs_roadrunner"]
    assert b["peak_rss_with_roadrunner_mb"] >= b["peak_rss_mb"] > 0


@pytest.mark.parametrize("chunk", [7, 14])
def test_chunked_engine_gives_the_unchunked_records(chunk: int) -> None:
    """40 patient-arms (both arms stacked) in chunks of 7 or 14, the last one padded: the same
    bits, since no patient's numbers depend on its batch-mates (a sharded run relies on it)."""
    inputs = engine_inputs(default_scenario(N, duration_days=DURATION))
    with jax.enable_x64(True):  # as trial._run.simulate calls the engine
        whole = simulate_arm(
            inputs.carry0,
            inputs.pat,
            inputs.sh,
            inputs.dosing,
            inputs.grid,
            inputs.titration,
            inputs.kinetics,
        )
    chunked = run_chunked(inputs, chunk_size=chunk)
    leaves_w = jax.tree_util.tree_leaves(whole)
    leaves_c = jax.tree_util.tree_leaves(chunked)
    assert len(leaves_w) == len(leaves_c)
    for a, b in zip(leaves_w, leaves_c, strict=True):
        assert a.shape == b.shape and a.shape[1] == 2 * N
        np.testing.assert_array_equal(b, a)
    # Cells in the treated arm, none in control: the chunks of control patients alone skip the
    # MSC terms on days when the whole batch runs them (with zero cells for those patients).
    assert np.max(whole.msc[:, :N]) > 1e5 and np.max(whole.msc[:, N:]) == 0.0


def test_curve_rows_and_budget_skip() -> None:
    res = engine_curve([30, 10, 10_000_000], chunk_size=16, duration_days=DURATION, budget_s=60)
    rows = res["curve"]
    assert [r["n"] for r in rows] == [10, 30]
    assert [r["chunks"] for r in rows] == [2, 4]  # 20 and 60 patient-arms in chunks of 16
    for r in rows:
        assert r["engine_pyps"] == pytest.approx(r["patient_years"] / r["engine_s"], rel=0.1)
    assert [s["n"] for s in res["skipped"]] == [10_000_000]
    assert "over the budget" in res["skipped"][0]["reason"]


def test_keep_on_the_device_gives_the_kept_rows_of_the_full_records() -> None:
    """`keep` runs before the records leave the device; it must select, never change, them."""
    inputs = engine_inputs(default_scenario(N, duration_days=DURATION))
    idx = inputs.visit_index
    full = run_chunked(inputs, chunk_size=2 * N)
    kept = run_chunked(inputs, chunk_size=2 * N, keep=lambda rec: rec._replace(msc=rec.msc[idx]))
    np.testing.assert_array_equal(kept.msc, full.msc[idx])
    np.testing.assert_array_equal(kept.dose, full.dose)


def test_default_chunk_is_larger_on_a_gpu() -> None:
    assert default_chunk_size("cpu") == 50_000
    assert default_chunk_size("gpu") == 1_000_000


def test_hardware_figures_of_a_patient_day() -> None:
    """XLA's cost of one day exceeds the floor of touching the state and constants once; the
    floor doubles from float32 to float64 (every per-patient number is a float)."""
    inputs = engine_inputs(default_scenario(N, duration_days=DURATION))
    args = (inputs.carry0, inputs.pat, inputs.sh, inputs.dosing, inputs.kinetics)
    f32 = day_cost(*args, precision="float32")
    f64 = day_cost(*args, precision="float64")
    assert f32["bytes_per_patient_day"] > f32["min_bytes_per_patient_day"] > 0
    assert f32["flops_per_patient_day"] > 100  # RK4 stages with Newton solves inside
    assert f64["min_bytes_per_patient_day"] == 2 * f32["min_bytes_per_patient_day"]
    res = engine_curve([5], chunk_size=10, duration_days=DURATION, hardware=True)
    row = res["curve"][0]
    days_s = row["patient_arms"] * DURATION / row["engine_s"]
    assert row["min_traffic_gb_s"] == pytest.approx(
        days_s * res["min_bytes_per_patient_day"] / 1e9, rel=0.05, abs=0.06
    )
    assert res["copy_bandwidth_gb_s"] > 0 and res["backend"] == "cpu"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--curve", "10", "--precision", "float16"], "allowed: float32, float64"),
        (["--disease", "gout"], "diseases: t2dm, t1dm"),
        (["--disease", "copd", "--curve", "10"], "T2DM engine only"),
        (["--curve", "10,abc"], "give patient counts"),
        (["--duration-days", "0"], "duration_days"),
    ],
)
def test_bad_options_are_one_line_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["bench", "--n", "5", *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


@pytest.mark.parametrize("disease", ["t1dm", "parkinson"])
def test_other_diseases_bench_against_roadrunner_on_their_export(disease: str) -> None:
    result = CliRunner().invoke(
        app,
        ["bench", "--disease", disease, "--n", "12", "--roadrunner-patients", "2",
         "--duration-days", "120", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    res = json.loads(result.output)
    assert res["disease"] == disease and res["roadrunner_patients"] == 2
    assert res["max_rel_dev"] and max(res["max_rel_dev"].values()) < 0.01, res["max_rel_dev"]
    ratio = res["engine_pyps"] / res["roadrunner_pyps"]
    assert res["ratio"] == pytest.approx(ratio, rel=0.01, abs=0.051)  # printed to 0.1
