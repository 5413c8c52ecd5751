"""`loopscape sweep` and `loopscape pareto`: design-space exploration into a store, and its Pareto front."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from loopscape.cli_common import EXIT_INTERRUPTED, progress_bar, spec_errors_exit

_METRIC_HELP = (  # dse.metrics.METRICS (not imported here: it would slow every command's start)
    "A store metric: energy_pj, cycles, latency_s, area_mm2, edp, ops, fj_per_op, dram_energy_pj, "
    "onchip_fj_per_op, tops, tops_per_w, tops_per_mm2, utilization, pes, onchip_kb."
)


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--store", "store_path", required=True, type=click.Path(dir_okay=False),
              help="SQLite file the points go to (created if missing; an existing one is resumed).")  # fmt: skip
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Local worker processes [default: the cores available; 1: this process].")  # fmt: skip
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on the Dask distributed cluster at ADDRESS (e.g. tcp://host:8786) instead.")  # fmt: skip
@spec_errors_exit
def sweep(spec: str, store_path: str, workers: int | None, scheduler: str | None) -> None:
    """Run an architecture sweep into a results store.

    SPEC is a sweep spec (YAML, docs/dse.md): a template architecture, the parameters to vary, the workloads
    and the mapper's budget. Every finished point is committed to the store at once; run the same command
    again after an interruption and it carries on where it stopped, repeating nothing.
    """
    from loopscape.dse import DaskExecutor, LocalExecutor, load_sweep, run_sweep
    from loopscape.dse.executors import default_workers
    from loopscape.errors import SpecError

    if workers is not None and scheduler is not None:
        raise SpecError(
            "--workers", workers, "no --workers with --scheduler (the cluster has its own)", "(command line)"
        )
    parsed = load_sweep(spec)
    executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(workers or default_workers())
    progress = progress_bar(remaining=True)
    task = progress.add_task(f"sweep {parsed.name}", total=None)

    def advance(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        with progress:
            summary = run_sweep(parsed, store_path, executor, advance)
    except KeyboardInterrupt:  # Ctrl-C: every finished point is already committed
        from loopscape.dse.store import Store

        with Store(store_path) as store:
            kept = store.count()
        click.echo(
            f"interrupted: {kept} points kept in {store_path}; run the same command again to go on", err=True
        )
        sys.exit(EXIT_INTERRUPTED)
    click.echo(
        f"{parsed.name}: {summary.points} points ({parsed.search.method}); {summary.skipped} already in "
        f"{store_path}, {summary.evaluated} evaluated on {executor.describe()} in {summary.seconds:.1f} s "
        f"({summary.points_per_second:.1f} points/s); {summary.infeasible} infeasible"
    )
    if summary.first_error:
        click.echo(f"first infeasible point: {summary.first_error}")


@click.command()
@click.argument("store_path", metavar="FILE", type=click.Path(dir_okay=False))
@click.option("--x", "x_metric", default=None, help=_METRIC_HELP + " [default: the spec's first objective]")
@click.option("--y", "y_metric", default=None, help="Metric on the other axis [default: the spec's second].")
@click.option("--objective", "extra", multiple=True,
              help="A further objective of the front (repeatable); the plot still shows --x and --y.")  # fmt: skip
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), default=None,
              help="Write every point (parameters, metrics, a pareto column) as CSV.")  # fmt: skip
@click.option("--plot", "plot_out", type=click.Path(dir_okay=False), default=None,
              help="Write the XploreDL-style scatter with the front highlighted (.png or .svg).")  # fmt: skip
@spec_errors_exit
def pareto(
    store_path: str,
    x_metric: str | None,
    y_metric: str | None,
    extra: tuple[str, ...],
    csv_out: str | None,
    plot_out: str | None,
) -> None:
    """Pareto front of a results store.

    The front is over --x, --y and every --objective (by default the spec's `objectives`: TOPS/mm2 and fJ/op
    unless it names others). Each metric is minimised or maximised as its meaning says (fJ/op, energy,
    latency, area down; TOPS, TOPS/W, TOPS/mm2, utilisation up). Prints the front's points; --csv and --plot
    write files.
    """
    from rich.console import Console
    from rich.table import Table

    from loopscape.dse import METRICS, Store
    from loopscape.dse.export import write_csv
    from loopscape.dse.pareto import pareto_mask
    from loopscape.errors import SpecError

    if x_metric is None or y_metric is None:
        with Store(store_path, create=False) as store:
            spec_objectives = store.objectives()
        if x_metric is None and y_metric is None and not extra:
            extra = tuple(spec_objectives[2:])
        x_metric = x_metric or spec_objectives[0]
        y_metric = y_metric or next(m for m in spec_objectives + list(METRICS) if m != x_metric)
    metrics = list(dict.fromkeys([x_metric, y_metric, *extra]))
    for option, m in [("--x", x_metric), ("--y", y_metric), *(("--objective", e) for e in extra)]:
        if m not in METRICS:
            raise SpecError(option, m, f"a metric, one of {list(METRICS)}", "(command line)")
    if len(metrics) < 2:
        raise SpecError("--y", y_metric, f"a metric other than --x {x_metric}", "(command line)")
    if plot_out and Path(plot_out).suffix.lower() not in (".png", ".svg"):
        raise SpecError("--plot", plot_out, "a file name ending in .png or .svg", "(command line)")
    with Store(store_path, create=False) as store:
        ids, values = store.metric_array(metrics)
        mask = pareto_mask(values, [METRICS[m][1] for m in metrics])
        front = {i for i, m in zip(ids, mask) if m}
        rows = sorted((r for r in store.rows() if r["id"] in front), key=lambda r: r[metrics[0]])
        params = store.parameter_names()
        if csv_out:
            write_csv(store, csv_out, front)
        infeasible = store.count() - len(ids)
    table = Table(title=f"Pareto front of {store_path}: {len(rows)} of {len(ids)} feasible points")
    table.add_column("id")
    for p in params:
        table.add_column(p)
    for m in metrics:
        table.add_column(m, justify="right")
    for r in rows:
        table.add_row(r["id"], *(str(r.get(p)) for p in params), *(f"{r[m]:.4g}" for m in metrics))
    Console(width=max(100, Console().width)).print(table)
    if infeasible:
        click.echo(f"({infeasible} infeasible points left out)")
    if csv_out:
        click.echo(f"wrote {csv_out}")
    if plot_out:
        from loopscape.dse.plots import plot_front

        plot_front(values[:, 0], values[:, 1], mask, plot_out, x_metric, y_metric, title=str(store_path))
        click.echo(f"wrote {plot_out}")
