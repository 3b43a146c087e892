"""Scale-out (issue 6 items 4-5): shards on a local Dask cluster give the files of a
single-process sharded run; an interrupted run resumes without recomputing finished shards; a
changed scenario never reuses shards; bad options get one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from mscsim.cli import app
from mscsim.results import run_sharded
from mscsim.scenario import Scenario
from mscsim.trial import run_scenario
from mscsim.trial._shards import MANIFEST, work_directory

N, SHARD, DAYS = 200, 50, 180
SHARDS = N // SHARD
FILES = ("endpoints.csv", "responders.csv")
runner = CliRunner()


def _small(d: dict[str, Any], seed: int = 1) -> dict[str, Any]:
    d["population"]["n"] = N
    d["population"]["seed"] = seed
    d["duration_days"] = DAYS
    d["visits_days"] = [0, 90, DAYS]
    return d


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    from conftest import default_scenario_dict

    return Scenario.from_dict(_small(default_scenario_dict()))


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> Path:
    """The single-process sharded run: the reference for everything below."""
    out = tmp_path_factory.mktemp("serial") / "out"
    run_sharded(scenario, out, shard_size=SHARD)
    return out


def _same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_local_cluster_matches_single_process(
    tmp_path: Path, scenario: Scenario, serial: Path
) -> None:
    out = tmp_path / "cluster"
    run_sharded(scenario, out, shard_size=SHARD, workers=2)
    _same_files(out, serial)
    assert not work_directory(out).exists()  # the work directory goes once the output is whole


def test_sharded_files_follow_the_contract(scenario: Scenario, serial: Path) -> None:
    """Same layout as an unsharded run; endpoints agree with it to rounding."""
    plain = run_scenario(scenario)
    got = pd.read_csv(serial / "endpoints.csv")
    assert list(got.columns) == list(plain.endpoints.columns)
    for col in ("n", "mean", "sd", "change_mean", "diff_vs_control_mean"):
        np.testing.assert_allclose(got[col], plain.endpoints[col], rtol=1e-6, atol=1e-9)
    resp = pd.read_csv(serial / "responders.csv")
    np.testing.assert_allclose(resp["rate"], plain.responders["rate"], rtol=1e-9)
    with xr.open_dataset(serial / "trajectories.nc") as ds:
        ref = plain.trajectories
        assert set(ds.data_vars) == set(ref.data_vars)
        assert ds.sizes == ref.sizes
        assert list(ds["arm"].values) == list(ref["arm"].values)
        np.testing.assert_array_equal(ds["patient_id"].values, ref["patient_id"].values)
        np.testing.assert_allclose(ds["hba1c_pct"].values, ref["hba1c_pct"].values, rtol=1e-5)
    lock = yaml.safe_load((serial / "scenario.lock.yaml").read_text())
    assert lock["sharding"]["shard_size"] == SHARD
    assert lock["reference_check"]["max_rel_dev"] < 0.01


class Interrupt(Exception):
    pass


def test_killed_run_resumes_without_recomputing(
    tmp_path: Path, scenario: Scenario, serial: Path
) -> None:
    out = tmp_path / "out"

    def stop_after_two(k: int) -> None:
        if k == 1:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_sharded(scenario, out, shard_size=SHARD, on_shard=stop_after_two)
    assert not out.exists()  # the result directory appears whole or not at all
    work = work_directory(out)
    manifest = json.loads((work / MANIFEST).read_text())
    assert sorted(manifest["finished"]) == ["0", "1"]
    kept = {p.name: p.stat().st_mtime_ns for p in work.glob("shard_*")}
    assert len(kept) == 4  # statistics and trajectories of shards 0 and 1
    computed: list[int] = []

    def record(k: int) -> None:
        computed.append(k)
        assert {p.name: p.stat().st_mtime_ns for p in work.glob("shard_00000[01].*")} == kept

    run_sharded(scenario, out, shard_size=SHARD, resume=True, on_shard=record)
    assert computed == [2, 3]  # shards 0 and 1 were not simulated again
    _same_files(out, serial)


def test_changed_scenario_does_not_reuse_shards(tmp_path: Path, scenario: Scenario) -> None:
    from conftest import default_scenario_dict

    out = tmp_path / "out"
    with pytest.raises(Interrupt):
        run_sharded(scenario, out, shard_size=SHARD, on_shard=_raise)
    other = Scenario.from_dict(_small(default_scenario_dict(), seed=2))
    computed: list[int] = []
    run_sharded(other, out, shard_size=SHARD, resume=True, on_shard=computed.append)
    assert computed == list(range(SHARDS))
    fresh = tmp_path / "fresh"
    run_sharded(other, fresh, shard_size=SHARD)
    _same_files(out, fresh)


def _raise(_k: int) -> None:
    raise Interrupt


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--cluster", "local:0"], "--cluster 'local:0'"),
        (["--cluster", "foo"], "--cluster 'foo'"),
        (["--cluster", "local:2", "--scheduler", "tcp://127.0.0.1:8786"], "exclude each other"),
        (["--scheduler", "localhost"], "--scheduler 'localhost'"),
        (["--shard-size", "0"], "--shard-size 0"),
        (["--resume"], "--resume"),
    ],
)
def test_bad_options_one_line_exit_2(
    tmp_path: Path, scenario: Scenario, options: list[str], message: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet", *options])
    assert res.exit_code == 2, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], res.output
    assert not out.exists() and not work_directory(out).exists()


def test_other_diseases_and_trial_replicates_are_refused(tmp_path: Path) -> None:
    from conftest import default_scenario_dict

    d = _small(default_scenario_dict())
    d["trial"] = {"n_per_arm": 20, "replicates": 50}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(d), encoding="utf-8")
    res = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--shard-size", "50"])
    assert res.exit_code == 2
    assert res.output.strip().count("\n") == 0 and "trial" in res.output
    t1dm = Path(__file__).parents[1] / "examples" / "seed004_table2" / "row3_hu2013_wj_msc.yaml"
    res = runner.invoke(
        app, ["run", str(t1dm), "--out", str(tmp_path / "t"), "--cluster", "local:2"]
    )
    assert res.exit_code == 2
    assert (
        res.output.strip()
        == "run error: --cluster/--scheduler/--shard-size are not yet supported for t1dm"
    )
    assert not (tmp_path / "t").exists()
