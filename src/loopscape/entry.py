"""The `loopscape` command's entry point: a Ctrl-C while the command loads (numpy, click, the specs' readers)
says `interrupted` and exits 130, as one once the command runs does, instead of a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from loopscape.cli import main as command
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None  # cli_common.EXIT_INTERRUPTED (not imported: it loads click)
    command(prog_name="loopscape")
