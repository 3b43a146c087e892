"""`mscsim power`: run the dose arms once, then the replicate trials; write CSV and a plot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mscsim._atomic import atomic_directory
from mscsim.scenario import Scenario
from mscsim.trial._power import PowerResult, dose_scenario, fit_emax, power_curves
from mscsim.trial._run import measurement_cvs, simulate
from mscsim.trial._support import is_active


def run_power(
    scenario: Scenario,
    *,
    ns: Sequence[int],
    doses: Sequence[float] | None = None,
    endpoint: str | None = None,
    replicates: int = 500,
    alpha: float = 0.05,
    progress: Callable[[str], None] | None = None,
) -> PowerResult:
    treated = next(a for a in scenario.arms if is_active(a))
    assert treated.regimen is not None and treated.regimen.dose is not None
    dose_list = list(doses) if doses else [float(treated.regimen.dose)]
    spec, control, unit = dose_scenario(scenario, dose_list)
    ep = endpoint or str(scenario.endpoints[0])
    if ep not in [str(e) for e in scenario.endpoints]:
        raise ValueError(
            f"--endpoint {ep!r}: not an endpoint of the scenario "
            f"({', '.join(map(str, scenario.endpoints))})"
        )
    result = simulate(spec, progress=progress)
    # Per-patient visit values of the endpoint, per arm (patients x visits).
    values: dict[str, dict[str, np.ndarray]] = {}
    ds = result.trajectories
    visits = [float(d) for d in spec.visits_days]
    for arm in [a.name for a in spec.arms]:
        sel = ds.isel(patient=np.flatnonzero(ds["arm"].values == arm))
        arr = sel[ep].values if "visit_day" in ds[ep].dims else sel[ep].sel(day=visits).values
        values[arm] = {ep: np.asarray(arr, dtype=np.float64)}
    table = power_curves(
        values,
        control=control,
        doses=dose_list,
        ns=ns,
        endpoint=ep,
        visit_days=visits,
        replicates=replicates,
        seed=spec.population.seed,
        alpha=alpha,
        measurement_cv=measurement_cvs(),
    )
    effects = table.groupby("dose")["effect"].first()
    emax = fit_emax(effects.index.to_numpy(dtype=float), effects.to_numpy(dtype=float))
    return PowerResult(table, emax, unit, ep)


def write_power(res: PowerResult, out: Path, *, force: bool = False) -> None:
    """power.csv and power.png, written to a temporary sibling and renamed into place."""
    with atomic_directory(out, force=force) as tmp:
        res.table.to_csv(tmp / "power.csv", index=False, float_format="%.6g", lineterminator="\n")
        (tmp / "power.png").write_bytes(_plot(res))


def _plot(res: PowerResult) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    ax1, ax2 = fig.subplots(1, 2)
    for dose, g in res.table.groupby("dose"):
        ax1.plot(g.n_per_arm, g.power, "o-", label=f"{dose:g} {res.dose_unit}")
    ax1.axhline(0.8, color="#888", ls=":", lw=0.8)
    ax1.set_xscale("log")
    ax1.set_xlabel("patients per arm")
    ax1.set_ylabel("power (share of replicate trials significant)")
    ax1.set_ylim(0, 1.02)
    ax1.legend(fontsize=7)
    ax1.set_title(f"{res.endpoint}: power (between-trial)", fontsize=9)
    eff = res.table.groupby("dose")["effect"].first()
    ax2.plot(eff.index, eff.values, "o", label="simulated (population)")
    if np.isfinite(res.emax["ed50"]):
        d = np.linspace(0, float(eff.index.max()) * 1.1, 100)
        e = res.emax["e0"] + res.emax["emax"] * d / (res.emax["ed50"] + d)
        ax2.plot(d, e, "-", label=f"Emax fit, ED50 = {res.emax['ed50']:.3g}")
    ax2.set_xlabel(f"dose ({res.dose_unit})")
    ax2.set_ylabel(f"{res.endpoint} difference vs control")
    ax2.legend(fontsize=7)
    ax2.set_title("dose-response", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()
