"""Write a run's result files atomically: everything goes to a temporary sibling directory that
is renamed into place only when complete, so a failed run leaves no partial output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from mscsim._atomic import atomic_directory
from mscsim.params import load_references
from mscsim.report import write_report
from mscsim.trial._run import EVIDENCE_LEVEL, RunResult


def _csv(df: pd.DataFrame, path: Path) -> None:
    # Fixed float format: identical inputs give byte-identical files on every platform.
    df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")


def parameters_frame(result: RunResult) -> pd.DataFrame:
    rows = [
        {
            "name": p.name,
            "module": p.module,
            "value": p.value,
            "unit": p.unit,
            "source": p.source,
            "provenance": p.provenance,
            "note": p.note + (f" [calibrated to: {p.calibrated_to}]" if p.calibrated_to else ""),
        }
        for p in result.parameters.parameters.values()
    ]
    return pd.DataFrame(rows)


def references_frame(result: RunResult) -> pd.DataFrame:
    refs = load_references()
    used = sorted({p.source for p in result.parameters.parameters.values()})
    return pd.DataFrame(
        [{"key": k, "citation": refs[k].citation} for k in used if k in refs],
        columns=["key", "citation"],
    )


def lock_document(result: RunResult) -> dict[str, Any]:
    return {
        "scenario": result.scenario.to_dict(),
        "parameters": {
            f"{p.module}.{p.name}": {"value": p.value, "unit": p.unit, "source": p.source}
            for p in result.parameters.parameters.values()
        },
        "evidence_level": EVIDENCE_LEVEL,
        "uncertainty_shown": "between-patient variability within the virtual population",
        **result.lock,
    }


def _safety_lines(arm_products: dict[str, Any]) -> dict[str, str]:
    """Report lines for each arm's safety signals, with what the number is not."""
    lines = {}
    for arm, summary in arm_products.items():
        for signal in summary.get("safety_signals", ()):
            lines[f"safety signal, arm {arm}"] = (
                f"{signal['name']} = {signal['value']:g} at {signal['expansion_passages']:g} "
                f"passages ({signal['evidence_level']}; relative index, not a probability)"
            )
    return lines


def write_results(
    result: RunResult,
    out: Path,
    *,
    force: bool = False,
    trajectories: Callable[[Path], None] | None = None,
) -> None:
    """Write the result files; `trajectories(path)`, when given, writes trajectories.nc instead
    of `result.trajectories` (a sharded run streams it from its shards; the report then shows
    `result.trajectories`, a subset)."""
    with atomic_directory(out, force=force) as tmp:
        _csv(result.endpoints, tmp / "endpoints.csv")
        _csv(result.responders, tmp / "responders.csv")
        if trajectories is not None:
            trajectories(tmp / "trajectories.nc")
        else:
            ds = result.trajectories.astype(np.float32, keep_attrs=True)
            # Light compression: level 1 with shuffle is ~3x faster than level 4, similar size.
            encoding = {v: {"zlib": True, "complevel": 1, "shuffle": True} for v in ds.data_vars}
            ds.to_netcdf(tmp / "trajectories.nc", engine="h5netcdf", encoding=encoding)
        lock = lock_document(result)
        (tmp / "scenario.lock.yaml").write_text(
            yaml.safe_dump(lock, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        meta = {k: str(v) for k, v in result.lock.get("scope", {}).items()}
        meta["seed"] = str(result.scenario.population.seed)
        meta["evidence_level"] = EVIDENCE_LEVEL
        meta["reference_max_rel_dev"] = str(
            result.lock.get("reference_check", {}).get("max_rel_dev")
        )
        meta.update(_safety_lines(result.lock.get("arm_products", {})))
        if "sharding" in result.lock:
            meta["trajectory bands"] = str(result.lock["sharding"]["report_trajectories"])
        write_report(
            tmp / "report.html",
            trajectories=result.trajectories,
            endpoints=result.endpoints,
            parameters=parameters_frame(result),
            references=references_frame(result),
            scenario_yaml=result.scenario.to_yaml(),
            metadata=meta,
            responders=result.responders,
        )
