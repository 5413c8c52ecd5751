"""`loopscape report`: the self-contained HTML report (and PNG/SVG plots) of a saved run."""

from __future__ import annotations

import json
from pathlib import Path

import click

from loopscape.cli_common import spec_errors_exit
from loopscape.errors import SpecError
from loopscape.report.result_check import check_result

KINDS = "a loopscape result JSON (from network, train, map, evaluate or the demo)"


def load_result(path: str) -> dict:
    """A run's JSON, checked enough to report on: per-layer results with energy, cycles and utilisation."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise SpecError("", e.strerror or str(e), f"a readable file: {KINDS}", file=path) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SpecError("", f"not JSON ({e})", KINDS, file=path) from None
    except RecursionError:
        raise SpecError("", "JSON nested deeper than Python's parser goes", KINDS, file=path) from None
    if not isinstance(doc, dict):
        raise SpecError("", type(doc).__name__, f"an object: {KINDS}", file=path)
    layers = doc.get("layers", [doc])
    if not isinstance(layers, list) or not layers:
        raise SpecError("layers", layers, "a non-empty list of layer results", file=path)
    try:
        check_result(doc, path)
    except RecursionError:  # nesting json.loads just managed; no result of loopscape's is 20 levels deep
        raise SpecError("", "JSON nested hundreds of levels deep", KINDS, file=path) from None
    return doc


SQLITE_MAGIC = b"SQLite format 3\x00"


def is_store(path: str) -> bool:
    """Whether `path` is a SQLite file (a sweep's results store) rather than a result JSON."""
    try:
        with open(path, "rb") as f:
            return f.read(16) == SQLITE_MAGIC
    except OSError:
        return False


@click.command("report")
@click.argument("result", type=click.Path(dir_okay=False))
@click.option("--html", "html_out", type=click.Path(dir_okay=False), help="Write the HTML report here.")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False),
              help="Write the report's plots here as PNG and SVG.")  # fmt: skip
@click.option("--title", default=None, help="The report's title [default: network on architecture].")
@spec_errors_exit
def report(result: str, html_out: str | None, plots_dir: str | None, title: str | None) -> None:
    """Report on a saved run: RESULT is the JSON of `loopscape network/train/map/evaluate --json`, the demo's
    result.json, or a sweep's results store (`loopscape sweep --store`). Writes a self-contained HTML page
    (inputs, summary, per-layer table, energy, utilisation and area plots, each layer's best mapping and access
    counts; for a store its Pareto front, front points and best points) and/or the plots as PNG and SVG."""
    from loopscape.report import plots
    from loopscape.report.html import html_report

    if not html_out and not plots_dir:
        raise click.UsageError("nothing to write: give --html FILE and/or --plots DIR")
    if is_store(result):
        from loopscape.report.store_html import store_report_html

        if plots_dir:
            raise click.UsageError("--plots is for result JSON; for a store use loopscape pareto --plot")
        Path(html_out).write_text(store_report_html(result, title), encoding="utf-8")
        click.echo(f"wrote {html_out}")
        return
    doc = load_result(result)
    if html_out:
        Path(html_out).write_text(html_report(doc, {"result file": result}, title), encoding="utf-8")
        click.echo(f"wrote {html_out}")
    if plots_dir:
        out = Path(plots_dir)
        out.mkdir(parents=True, exist_ok=True)
        figures = {
            "energy_by_level": plots.energy_breakdown(doc, "level"),
            "energy_by_tensor": plots.energy_breakdown(doc, "tensor"),
            "energy_by_action": plots.energy_breakdown(doc, "action"),
            "utilization": plots.utilization_bars(doc),
        }
        if doc.get("area_um2_by_level"):
            figures["area"] = plots.area_breakdown(doc["area_um2_by_level"])
        for name, fig in figures.items():
            for path in plots.save(fig, out / f"{name}.png", formats=("svg",)):
                click.echo(f"wrote {path}")
