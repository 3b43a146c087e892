"""The `mscsim` command line. Presentation only: it calls the API and prints."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from mscsim._jax_cache import enable_compile_cache

# Phases a run reports (trial._run.simulate) plus writing: the length of the progress bar.
RUN_PHASES = ("sample", "simulate", "meal tests", "reference check", "analyse", "write")

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)
err = Console(stderr=True)
out = Console(width=None if sys.stdout.isatty() else 150)


def _fail(message: str, code: int = 2) -> None:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML (see DESIGN.md contract)")],
    out_dir: Annotated[Path, typer.Option("--out", help="output directory")] = Path("results"),
    force: Annotated[bool, typer.Option(help="replace an existing output directory")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress or table")] = False,
    cluster: Annotated[
        str | None,
        typer.Option(help="shard over a local Dask cluster: local:W (W worker processes)"),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="shard over an existing Dask scheduler: tcp://HOST:PORT")
    ] = None,
    shard_size: Annotated[
        int | None,
        typer.Option(help="patients per shard, a multiple of 100 (alone: shards run here)"),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="continue an interrupted sharded run, reusing finished shards")
    ] = False,
) -> None:
    """Run a scenario and write endpoints.csv, trajectories.nc, report.html, scenario.lock.yaml.

    With --cluster, --scheduler or --shard-size (T2DM) the population runs in shards of
    consecutive patients (a multiple of 100) whose results stream to disk; the endpoint and
    responder files are those of the unsharded run, whether shards run here or on Dask workers.
    """
    from mscsim.results import OutputExistsError, run_sharded, write_results
    from mscsim.scenario import ScenarioError, load_scenario
    from mscsim.trial import run_scenario
    from mscsim.trial._shards import (
        DEFAULT_SHARD_SIZE,
        ShardingError,
        check_scheduler,
        check_shard_size,
        check_shardable,
        parse_cluster,
    )

    sharded = cluster is not None or scheduler is not None or shard_size is not None
    workers = None
    try:
        if cluster is not None and scheduler is not None:
            raise ShardingError("--cluster and --scheduler exclude each other; give one")
        if cluster is not None:
            workers = parse_cluster(cluster)
        if scheduler is not None:
            scheduler = check_scheduler(scheduler)
        if shard_size is not None:
            check_shard_size(shard_size)
        if resume and not sharded:
            raise ShardingError("--resume continues a sharded run: give --shard-size or --cluster")
    except ShardingError as exc:
        _fail(f"run error: {exc}")
    try:
        spec = load_scenario(scenario)
    except ScenarioError as exc:
        _fail(str(exc))
    if sharded:
        try:
            check_shardable(spec)
        except ShardingError as exc:
            _fail(f"run error: {exc}")
    if out_dir.exists() and not force:
        _fail(f"output error: --out {out_dir} exists; use --force to replace it")
    enable_compile_cache()
    n_shards = -(-spec.population.n // (shard_size or DEFAULT_SHARD_SIZE))
    start = time.perf_counter()
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=quiet,
        ) as bar:
            phases = n_shards + 3 if sharded else len(RUN_PHASES)
            task = bar.add_task("starting", total=phases)

            def progress(msg: str) -> None:
                bar.update(task, description=msg, advance=1)

            if sharded:
                result = run_sharded(
                    spec,
                    out_dir,
                    force=force,
                    shard_size=shard_size,
                    workers=workers,
                    scheduler=scheduler,
                    resume=resume,
                    progress=progress,
                )
            else:
                result = run_scenario(spec, progress=progress)
                progress("writing results")
                write_results(result, out_dir, force=force)
            bar.update(task, completed=phases)
    except ScenarioError as exc:
        _fail(str(exc))
    except ShardingError as exc:
        _fail(f"run error: {exc}")
    except OutputExistsError as exc:
        _fail(f"output error: {exc}")
    if not quiet:
        _print_endpoints(result.endpoints)
        err.print(f"results written to {out_dir} in {time.perf_counter() - start:.1f} s")


def _print_endpoints(df: object) -> None:
    import pandas as pd

    assert isinstance(df, pd.DataFrame)
    table = Table(title="Endpoints: mean (change from baseline, 95% CI) - between-patient CI")
    for col in ("arm", "day", "endpoint", "unit", "n", "mean", "change (95% CI)", "vs control"):
        table.add_column(col)
    for row in df.to_dict("records"):
        change = (
            f"{row['change_mean']:+.3g} ({row['change_ci_low']:+.3g}, {row['change_ci_high']:+.3g})"
        )
        d = row["diff_vs_control_mean"]
        diff = (
            ""
            if d != d  # NaN for the control arm
            else f"{d:+.3g} ({row['diff_vs_control_ci_low']:+.3g}, "
            f"{row['diff_vs_control_ci_high']:+.3g})"
        )
        table.add_row(
            str(row["arm"]), f"{row['day']:g}", str(row["endpoint"]), str(row["unit"]),
            str(row["n"]), f"{row['mean']:.4g}", change, diff,
        )  # fmt: skip
    out.print(table)


@app.command()
def params(
    module: Annotated[str | None, typer.Option(help="only this module")] = None,
    missing_sources: Annotated[
        bool, typer.Option("--missing-sources", help="list parameters without a valid source")
    ] = False,
) -> None:
    """List model parameters with unit, source and provenance."""
    from mscsim.params import MODULES, load_parameters
    from mscsim.params import missing_sources as find_missing

    if module is not None and module not in MODULES:
        _fail(f"params error: --module {module!r}: must be one of {', '.join(MODULES)}")
    ps = load_parameters(*([module] if module else MODULES))
    if missing_sources:
        for line in find_missing(ps):
            out.print(line, markup=False)
        return
    table = Table(title="mscsim parameters")
    for col in ("module", "name", "value", "unit", "source", "provenance", "note"):
        table.add_column(col, overflow="fold")
    for p in ps.parameters.values():
        table.add_row(p.module, p.name, f"{p.value:.6g}", p.unit, p.source, p.provenance, p.note)
    out.print(table)


@app.command()
def mechanisms(
    disease: Annotated[str, typer.Option(help="disease module, e.g. t2dm")] = "t2dm",
) -> None:
    """The mechanism graph of a disease with the seed section each edge cites."""
    from mscsim.knowledge import mechanisms_table

    try:
        table = mechanisms_table(disease)
    except ValueError as exc:
        _fail(f"mechanisms error: --disease {disease!r}: {exc}")
    out.print(table)


product_app = typer.Typer(no_args_is_help=True, help="Cell product identity.")
app.add_typer(product_app, name="product")


@product_app.command("check")
def product_check(
    panel: Annotated[Path, typer.Argument(help="CSV with columns marker,percent_positive")],
) -> None:
    """Check a flow panel against the ISCT minimal criteria; exit 0 only if all pass."""
    from mscsim.product import product_check_command

    code, text = product_check_command(panel)
    (out if code != 2 else err).print(text, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def meta(
    file: Annotated[
        Path, typer.Argument(help="CSV with columns yi,vi (optional study, moderators)")
    ],
    method: Annotated[str, typer.Option(help="FE, DL, REML, PM (also ML, HE, SJ)")] = "REML",
    knha: Annotated[bool, typer.Option("--knha", help="Knapp-Hartung adjustment")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    mods: Annotated[
        list[str] | None, typer.Option("--mods", help="moderator column (repeat for several)")
    ] = None,
    forest: Annotated[Path | None, typer.Option(help="write a forest plot here")] = None,
    funnel: Annotated[Path | None, typer.Option(help="write a funnel plot here")] = None,
) -> None:
    """Random-effects meta-analysis (results match R's metafor)."""
    from mscsim.evidence.meta import meta_command

    code, text = meta_command(file, method, knha, as_json, mods or None, forest, funnel)
    if code == 0:
        print(text)
    else:
        err.print(text, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


evidence_app = typer.Typer(no_args_is_help=True, help="Clinical evidence and the registry.")
app.add_typer(evidence_app, name="evidence")


@evidence_app.command("list")
def evidence_list(
    disease: Annotated[str | None, typer.Option(help="only this disease, e.g. t2dm")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
) -> None:
    """The curated evidence records of the seeds (trials, registry counts, pooled estimates)."""
    from mscsim.evidence.records._cli import list_command

    code, text = list_command(disease, fmt)
    if code == 0:
        print(text)
    else:
        err.print(text, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@evidence_app.command("fetch")
def evidence_fetch(
    cond: Annotated[str | None, typer.Option(help="condition, e.g. 'type 2 diabetes'")] = None,
    intr: Annotated[str | None, typer.Option(help="intervention, e.g. 'mesenchymal'")] = None,
    term: Annotated[str | None, typer.Option(help="free-text term")] = None,
    db: Annotated[Path | None, typer.Option(help="SQLite store (default ~/.cache/mscsim)")] = None,
    max_pages: Annotated[int | None, typer.Option(help="stop after this many pages")] = None,
    page_size: Annotated[int, typer.Option(help="studies per page (<= 1000)")] = 100,
) -> None:
    """Fetch studies from ClinicalTrials.gov (API v2) into the local store."""
    from mscsim.evidence.registry import fetch_command

    code, text = fetch_command(cond, intr, term, db, max_pages, page_size)
    (out if code == 0 else err).print(text, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _numbers(text: str, what: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        _fail(f"power error: {what} {text!r}: must be comma-separated numbers, e.g. 10,20,40")
    if not values or any(v <= 0 for v in values):
        _fail(f"power error: {what} {text!r}: must be positive numbers")
    return values


@app.command()
def power(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML with a control arm")],
    n: Annotated[
        str, typer.Option("--n", help="patients per arm, e.g. 10,20,40,80")
    ] = "10,20,40,80",
    doses: Annotated[
        str | None, typer.Option(help="doses of the treated arm, e.g. 0.5e6,1e6")
    ] = None,
    endpoint: Annotated[str | None, typer.Option(help="endpoint (default: the first)")] = None,
    replicates: Annotated[int, typer.Option(help="replicate trials per point")] = 500,
    out_dir: Annotated[Path, typer.Option("--out", help="output directory")] = Path("power"),
    force: Annotated[bool, typer.Option(help="replace an existing output directory")] = False,
) -> None:
    """Power and expected effect over sample size and dose (CSV + plot, Emax fit)."""
    from mscsim.scenario import ScenarioError, load_scenario
    from mscsim.trial._power_run import run_power, write_power

    ns = [int(x) for x in _numbers(n, "--n")]
    dose_list = _numbers(doses, "--doses") if doses else None
    if replicates < 1:
        _fail(f"power error: --replicates {replicates}: must be at least 1")
    if out_dir.exists() and not force:
        _fail(f"output error: --out {out_dir} exists; use --force to replace it")
    try:
        spec = load_scenario(scenario)
        enable_compile_cache()
        with err.status("power analysis", spinner="dots") as status:
            res = run_power(
                spec,
                ns=ns,
                doses=dose_list,
                endpoint=endpoint,
                replicates=replicates,
                progress=lambda m: status.update(m),
            )
            write_power(res, out_dir, force=force)
    except (ScenarioError, ValueError) as exc:
        _fail(str(exc) if isinstance(exc, ScenarioError) else f"power error: {exc}")
    out.print(res.table.to_string(index=False), markup=False)
    err.print(f"power curves written to {out_dir}")


@app.command()
def validate(
    disease: Annotated[str, typer.Option(help="disease of the evidence records")] = "t2dm",
    out_dir: Annotated[Path, typer.Option("--out", help="output directory")] = Path("validation"),
    force: Annotated[bool, typer.Option(help="replace an existing output directory")] = False,
) -> None:
    """Run the scenario of each evidence record and compare simulated with observed effects."""
    from mscsim.evidence.validation import summary, validate, write_validation
    from mscsim.scenario import DISEASES

    if disease not in DISEASES:
        _fail(f"validate error: --disease {disease!r}: must be one of {', '.join(DISEASES)}")
    if out_dir.exists() and not force:
        _fail(f"output error: --out {out_dir} exists; use --force to replace it")
    enable_compile_cache()
    with err.status("validating", spinner="dots") as status:
        result = validate(disease, progress=lambda m: status.update(m))
        write_validation(result, out_dir, force=force)
    out.print(summary(result), markup=False)
    err.print(f"validation written to {out_dir}")


@app.command()
def bench(
    n: Annotated[int, typer.Option(help="virtual patients per arm")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    disease: Annotated[str, typer.Option(help="disease module to benchmark")] = "t2dm",
    roadrunner_patients: Annotated[
        int,
        typer.Option(
            "--roadrunner-patients",
            help="patients of the treated arm also run through libRoadRunner (0: none)",
        ),
    ] = 10,
    duration_days: Annotated[
        int | None, typer.Option("--duration-days", help="shorter study (default: 1095 days)")
    ] = None,
    curve: Annotated[
        str | None,
        typer.Option(
            help="engine only: time for each of these N, e.g. 100,1000,10000,100000,1000000"
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            help="patient-arms per engine chunk (--curve; default 50,000 on CPU, 10^6 on GPU)",
        ),
    ] = None,
    curve_budget_s: Annotated[
        float,
        typer.Option("--curve-budget-s", help="skip curve sizes expected to take longer"),
    ] = 300.0,
    precision: Annotated[
        str, typer.Option(help="engine arithmetic for --curve: float32 or float64")
    ] = "float32",
    hardware: Annotated[
        bool,
        typer.Option(
            "--hardware", help="--curve: also device bandwidth and XLA's cost of a patient-day"
        ),
    ] = False,
) -> None:
    """Patient-years per second of the default T2DM trial: engine vs libRoadRunner, one run.

    With --curve: engine time against population size instead (linear cost, bounded memory).
    """
    from mscsim.engine.bench import BENCH_DISEASES, bench_default, engine_curve
    from mscsim.scenario import ScenarioError

    if disease not in BENCH_DISEASES:
        _fail(f"bench error: --disease {disease!r}: diseases: {', '.join(BENCH_DISEASES)}")
    if curve is not None and disease != "t2dm":
        _fail("bench error: --curve times the T2DM engine only; drop --disease")
    if n < 1 or roadrunner_patients < 0 or (chunk_size is not None and chunk_size < 1):
        _fail("bench error: --n and --chunk-size must be >= 1, --roadrunner-patients >= 0")
    if precision not in ("float32", "float64"):
        _fail(f"bench error: --precision {precision!r}: allowed: float32, float64")
    enable_compile_cache()
    if curve is not None:
        try:
            ns = [int(float(x)) for x in curve.split(",") if x.strip()]
        except ValueError:
            _fail(f"bench error: --curve {curve!r}: give patient counts, e.g. 100,1000,10000")
        if not ns or min(ns) < 1:
            _fail(f"bench error: --curve {curve!r}: give patient counts >= 1")

        def show(row: dict[str, object]) -> None:
            err.print(
                f"N = {row['n']}: {row['engine_s']} s engine, {row['engine_pyps']} patient-years/s"
            )

        try:
            res = engine_curve(
                ns,
                chunk_size=chunk_size,
                duration_days=duration_days,
                budget_s=curve_budget_s,
                progress=None if as_json else show,
                precision=precision,
                hardware=hardware,
            )
        except ScenarioError as exc:
            _fail(str(exc))
        if as_json:
            print(json.dumps(res, indent=2))
            return
        table = Table(title=f"engine time vs N (chunks of {res['chunk_size']} patient-arms)")
        cols = ("n", "patient_years", "chunks", "sample_s", "warmup_s", "engine_s",
                "engine_pyps", "sample_and_engine_pyps", "peak_rss_mb")  # fmt: skip
        for c in cols:
            table.add_column(c, justify="right")
        for row in res["curve"]:
            table.add_row(*(str(row[c]) for c in cols))
        out.print(table)
        for s in res["skipped"]:
            out.print(f"skipped N = {s['n']}: {s['reason']}")
        return
    try:
        res = bench_default(
            n, roadrunner_patients=roadrunner_patients, duration_days=duration_days, disease=disease
        )
    except (ScenarioError, ValueError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            out.print(f"{k}: {v}")


@app.command("export-sbml")
def export_sbml(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML (see DESIGN.md contract)")],
    arm: Annotated[str, typer.Option("--arm", help="arm name, as in the scenario")],
    patient: Annotated[int, typer.Option("--patient", help="patient K: row within the arm")],
    out_file: Annotated[Path, typer.Option("-o", "--out", help="SBML file to write")],
    reduced: Annotated[
        bool,
        typer.Option(
            "--reduced", help="T2DM: glucose and insulin at quasi-steady state (as the engine)"
        ),
    ] = False,
) -> None:
    """Full model of virtual patient K of an arm as SBML L3 (dosing as events; time in days)."""
    from mscsim.export._sbml import ExportError, write_sbml
    from mscsim.scenario import ScenarioError, load_scenario

    try:
        spec = load_scenario(scenario)
        path = write_sbml(spec, arm, patient, out_file, reduced=reduced)
    except ScenarioError as exc:
        _fail(str(exc))
    except ExportError as exc:
        _fail(f"export-sbml error: {exc}")
    except OSError as exc:
        _fail(f"output error: -o {out_file}: {exc.strerror or exc}")
    err.print(f"SBML of arm {arm}, patient {patient} written to {path}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
