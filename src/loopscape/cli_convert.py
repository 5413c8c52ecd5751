"""`loopscape convert IN... --to timeloop|zigzag|native --out DIR`: spec files from one format to another."""

from __future__ import annotations

import json

import click

from loopscape.cli_common import JSON_OPTION, spec_errors_exit, write_json
from loopscape.io.convert import FORMATS


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--to", "to", type=click.Choice(FORMATS), required=True, help="The format to write.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    required=True,
    help="The folder to write into (created if missing; files of the same names are replaced).",
)
@click.option(
    "--builtin-energy",
    is_flag=True,
    help="Also write the built-in energy and area tables (ERT/ART) when the inputs give none.",
)
@JSON_OPTION
@spec_errors_exit
def convert(
    files: tuple[str, ...], to: str, out_dir: str, builtin_energy: bool, json_out: str | None
) -> None:
    """Convert spec FILES (native, Timeloop v0.4; mixed freely) to another format, one file per part.

    Writes arch.yaml, problem.yaml (Timeloop) or workload.yaml (native), map.yaml, constraints.yaml and
    ert.yaml (Timeloop) or energy.yaml (native) into OUT, for the parts the inputs give. What the target
    format cannot hold is listed as a note; what it cannot express (an uneven mapping in Timeloop's format)
    is an error naming the input file and the spec path (exit status 2).

    \b
    Example:
      loopscape convert arch.yaml layer.yaml map.yaml --to timeloop --out tl/
    """
    from loopscape.io.convert import convert as run

    result = run(files, to, out_dir, builtin_energy=builtin_energy)
    doc = result.to_json()
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
        return
    for part, path in result.files.items():
        click.echo(f"wrote {path} ({part})")
    for note in result.notes:
        click.echo(f"note: {note}")
    if json_out:
        write_json(json_out, doc)
        click.echo(f"wrote {json_out}")
