"""Scale-out (issue 6 items 4-5): a sharded run, its shards in this process or on a local Dask
cluster, writes the endpoint and responder files of the unsharded run byte for byte; an
interrupted run resumes without recomputing finished shards; a changed scenario never reuses
shards; bad options get one line and exit 2."""

from __future__ import annotations

import itertools
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
from mscsim.results import run_sharded, write_results
from mscsim.scenario import Scenario
from mscsim.trial import RunResult, run_scenario
from mscsim.trial._shards import MANIFEST, work_directory

# Shards of 100, 100 and 50 patients (the last one padded to 100): a short last shard and a
# short last block of the statistics, as in most real runs.
N, SHARD, DAYS = 250, 100, 180
SHARDS = -(-N // SHARD)
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
def plain(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> tuple[RunResult, Path]:
    """The unsharded run (`mscsim run` without sharding options) and its result directory:
    the reference for everything below."""
    out = tmp_path_factory.mktemp("plain") / "out"
    result = run_scenario(scenario)
    write_results(result, out)
    return result, out


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory, scenario: Scenario) -> Path:
    """The single-process sharded run."""
    out = tmp_path_factory.mktemp("serial") / "out"
    run_sharded(scenario, out, shard_size=SHARD)
    return out


def _same_files(a: Path, b: Path) -> None:
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_local_cluster_gives_the_files_of_the_unsharded_run(
    tmp_path: Path, scenario: Scenario, plain: tuple[RunResult, Path], serial: Path
) -> None:
    """Issue 6: 2 Dask workers give endpoints byte-identical to the single-process run. A
    shard size other than the serial run's (200: shards of 200 and 50 padded to 200) shows
    that the shard size does not matter either."""
    out = tmp_path / "cluster"
    result = run_sharded(scenario, out, shard_size=2 * SHARD, workers=2)
    _same_files(out, plain[1])
    _same_files(out, serial)
    # The tables themselves, not only their 10-digit CSV text, are the unsharded run's.
    pd.testing.assert_frame_equal(result.endpoints, plain[0].endpoints, check_exact=True)
    pd.testing.assert_frame_equal(result.responders, plain[0].responders, check_exact=True)
    assert not work_directory(out).exists()  # the work directory goes once the output is whole


def test_sharded_files_follow_the_contract(plain: tuple[RunResult, Path], serial: Path) -> None:
    """The files of an unsharded run: endpoint and responder bytes, the trajectories' layout
    and values."""
    _same_files(serial, plain[1])
    with (
        xr.open_dataset(serial / "trajectories.nc") as ds,
        xr.open_dataset(plain[1] / "trajectories.nc") as ref,
    ):
        assert set(ds.data_vars) == set(ref.data_vars)
        assert ds.sizes == ref.sizes
        assert list(ds["arm"].values) == list(ref["arm"].values)
        np.testing.assert_array_equal(ds["patient_id"].values, ref["patient_id"].values)
        for name in ref.data_vars:
            np.testing.assert_array_equal(ds[name].values, ref[name].values, err_msg=str(name))
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
    assert computed == [2]  # shards 0 and 1 were not simulated again
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
        (["--shard-size", "150"], "--shard-size 150: must be a positive multiple of 100"),
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
    args = ["run", str(path), "--out", str(tmp_path / "o"), "--shard-size", "100"]
    res = runner.invoke(app, args)
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


def test_block_statistics_do_not_depend_on_where_the_shards_are_cut() -> None:
    """The statistics of 1,234 patients whole and in parts cut at multiples of the block: the
    same bits; and the table's means and SDs are NumPy's to rounding."""
    from mscsim.trial._moments import (
        MOMENT_BLOCK,
        combine_in_order,
        endpoint_table_from_moments,
        shard_stats,
    )

    rng = np.random.default_rng(3)
    n, arms, endpoints = 1234, ("control", "treated"), ("a", "b")
    values = {arm: {e: rng.normal(7.0, 1.5, (n, 3)) for e in endpoints} for arm in arms}
    values["treated"]["a"][rng.random((n, 3)) < 0.05] = np.nan  # not measured
    responders = {arm: {"r": rng.random((n, 3)) < 0.3} for arm in arms}

    def stats(lo: int, hi: int) -> Any:
        part = {a: {e: v[lo:hi] for e, v in by.items()} for a, by in values.items()}
        resp = {a: {d: r[lo:hi] for d, r in by.items()} for a, by in responders.items()}
        return shard_stats(part, resp, endpoints, ("r",), "control")

    whole = combine_in_order([stats(0, n)])
    cuts = [0, 3 * MOMENT_BLOCK, 7 * MOMENT_BLOCK, 12 * MOMENT_BLOCK, n]
    parts = combine_in_order(stats(lo, hi) for lo, hi in itertools.pairwise(cuts))
    for got, want in (
        (parts.moments.n, whole.moments.n),
        (parts.moments.mean, whole.moments.mean),
        (parts.moments.m2, whole.moments.m2),
        (parts.responders_k, whole.responders_k),
        (parts.responders_n, whole.responders_n),
    ):
        np.testing.assert_array_equal(got, want)
    units = dict.fromkeys(endpoints, "1")
    table = endpoint_table_from_moments(whole.moments, arms, endpoints, units, [0, 1, 2], "control")
    row = table[(table.arm == "treated") & (table.endpoint == "a") & (table.day == 2)].iloc[0]
    x = values["treated"]["a"][:, 2]
    assert row["n"] == np.sum(np.isfinite(x))
    assert row["mean"] == pytest.approx(np.nanmean(x), rel=1e-13)
    assert row["sd"] == pytest.approx(np.nanstd(x, ddof=1), rel=1e-12)
    diff = x - values["control"]["a"][:, 2]
    assert row["diff_vs_control_mean"] == pytest.approx(np.nanmean(diff), rel=1e-12)
