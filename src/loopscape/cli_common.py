"""What every `loopscape` command shares: the --json option and the error edge (message, exit status 2)."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from loopscape.errors import LoopscapeError, SpecError

EXIT_SPEC_ERROR = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C
JSON_OPTION = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False),
    help="Also write the result as JSON ('-': only JSON, to stdout).",
)


def write_json(path: str | Path, doc: Any) -> None:
    """Write `doc` as indented JSON atomically (a temporary file renamed over `path`): a run killed while
    writing leaves the old file or the new one, never half of one."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def progress_bar(remaining: bool = False):
    """The progress bar every long job shows on stderr (description, bar, done of total, elapsed time, and with
    `remaining` the estimated time left); it disappears when the job ends."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,  # fmt: skip
    )

    columns = [TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()] + ([TimeRemainingColumn()] if remaining else [])  # fmt: skip
    return Progress(*columns, console=Console(stderr=True), transient=True)


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
