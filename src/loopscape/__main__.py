"""`python -m loopscape`: the same as the `loopscape` command."""

from loopscape.cli import main

main(prog_name="loopscape")
