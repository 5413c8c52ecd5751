"""`loopscape sweep` and `loopscape pareto`: design-space exploration into a store (issue 9; being built)."""

from __future__ import annotations

import click


@click.command()
def sweep() -> None:
    """Run an architecture sweep into a results store."""
    raise click.ClickException("loopscape sweep is not available yet")


@click.command()
def pareto() -> None:
    """Pareto front of a results store."""
    raise click.ClickException("loopscape pareto is not available yet")
