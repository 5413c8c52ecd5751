"""`loopscape coac`: COAC's spatial-unrolling search and flexibility overhead (issue 10; being built)."""

from __future__ import annotations

import click


@click.group()
def coac() -> None:
    """COAC: spatial unrollings, their flexibility overhead and the cross-layer SU-combination search."""
