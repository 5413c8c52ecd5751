"""The `loopscape` command. Spec errors become a message on stderr and exit status 2, never a traceback."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from loopscape import __version__
from loopscape.errors import LoopscapeError, SpecError

BUILTIN = Path(__file__).parent / "io" / "builtin"
DEMO_FILES = ("demo_workload.yaml", "demo_arch.yaml", "demo_mapping.yaml")
EXIT_SPEC_ERROR = 2
JSON_OPTION = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False),
    help="Also write the result as JSON ('-': only JSON, to stdout).",
)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_SPEC_ERROR)


def spec_errors_exit(fn: Callable) -> Callable:
    """Turn our errors into a message and exit status 2 (the CLI edge; everything below raises)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpecError as e:
            found = e.found if isinstance(e.found, str) else repr(e.found)
            lines = [f"error: invalid spec in {e.file or '(no file)'}"]
            lines += [f"  at:       {e.path}", f"  found:    {found}", f"  expected: {e.expected}"]
            _fail("\n".join(lines))
        except LoopscapeError as e:
            _fail(f"error: {e}")

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="loopscape")
def loopscape() -> None:
    """Model DNN accelerators: workloads, architectures and mappings in, cycles, energy and area out."""


def _evaluate_and_report(paths: list[str], json_out: str | None, title: str, exact: bool = False) -> None:
    from loopscape.io import load_specs

    specs = load_specs(paths)
    specs.require("architecture", "workload", "mapping")
    from loopscape.model.evaluate import evaluate

    try:
        result = evaluate(specs.arch, specs.workload, specs.mapping, specs.energy, exact=exact)
    except SpecError as e:  # raised by the model or the default energy tables: say which file it is about
        raise e if e.file else e.in_file(specs.file_for(e.path)) from None
    if json_out == "-":
        click.echo(json.dumps(result.to_json(), indent=2))
        return
    from loopscape.cli_stats import print_stats

    print_stats(result, specs, title=title)
    if json_out:
        Path(json_out).write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_out}")


@loopscape.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@JSON_OPTION
@click.option(
    "--exact",
    is_flag=True,
    help="Execute every loop iteration instead of Timeloop's extrapolation from iterations 0 and 1.",
)
@spec_errors_exit
def evaluate(files: tuple[str, ...], json_out: str | None, exact: bool) -> None:
    """Evaluate one mapping, like timeloop-model.

    FILES are native or Timeloop v0.4 YAML files (detected per file) that together give an architecture,
    a workload (or problem) and a mapping, optionally an energy table (native `energy`, Timeloop ERT/ART).
    """
    _evaluate_and_report(list(files), json_out, title=" ".join(files), exact=exact)


@loopscape.command()
@JSON_OPTION
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False),
    help="Copy the demo's spec files into this folder to edit them.",
)
@spec_errors_exit
def demo(json_out: str | None, save_dir: str | None) -> None:
    """Evaluate a built-in 3x3 conv layer on a 16x16 PE array with a weight-stationary mapping."""
    paths = [str(BUILTIN / name) for name in DEMO_FILES]
    if save_dir:
        out = Path(save_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in DEMO_FILES:
            (out / name).write_text((BUILTIN / name).read_text(encoding="utf-8"), encoding="utf-8")
        click.echo(
            f"saved {', '.join(DEMO_FILES)} to {out}/ (evaluate them with: loopscape evaluate {out}/*.yaml)"
        )
    _evaluate_and_report(paths, json_out, title="demo")


main = loopscape

if __name__ == "__main__":  # pragma: no cover
    main()
