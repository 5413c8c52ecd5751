"""`python -m loopscape`: the same as the `loopscape` command."""

from loopscape.entry import main

main()
