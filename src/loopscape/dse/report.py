"""What a finished sweep shows: its Pareto front in two metrics, the best point in each, and the plots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loopscape.dse.metrics import METRICS
from loopscape.dse.pareto import pareto_mask
from loopscape.dse.store import Store


@dataclass(frozen=True)
class FrontSummary:
    """A store's front in (x, y): its points ordered by x, and the best point in each metric alone."""

    x: str
    y: str
    points: int  # every point in the store
    feasible: int
    front: tuple[dict[str, Any], ...]
    best_x: dict[str, Any]
    best_y: dict[str, Any]


def _best(rows: list[dict[str, Any]], metric: str) -> dict[str, Any]:
    larger = METRICS[metric][1]
    return max(rows, key=lambda r: r[metric]) if larger else min(rows, key=lambda r: r[metric])


def front_summary(store: Store, x: str = "tops_per_mm2", y: str = "fj_per_op") -> FrontSummary:
    """The Pareto front of (x, y), each minimised or maximised as METRICS says, and the best point in each."""
    ids, values = store.metric_array([x, y])
    mask = pareto_mask(values, [METRICS[x][1], METRICS[y][1]])
    on_front = {i for i, m in zip(ids, mask) if m}
    rows = store.rows()
    front = tuple(sorted((r for r in rows if r["id"] in on_front), key=lambda r: r[x]))
    if not rows:
        raise ValueError(f"{store.path}: no feasible point")
    return FrontSummary(x, y, store.count(), len(rows), front, _best(rows, x), _best(rows, y))


def write_front_plots(store: Store, stem: str | Path, x: str, y: str, title: str) -> list[Path]:
    """`stem`.png and `stem`.svg: every feasible point in (x, y) with the Pareto front highlighted."""
    from loopscape.dse.plots import plot_front

    _, values = store.metric_array([x, y])
    mask = pareto_mask(values, [METRICS[x][1], METRICS[y][1]])
    stem = Path(stem)
    return [
        plot_front(values[:, 0], values[:, 1], mask, stem.with_suffix(suffix), x, y, title)
        for suffix in (".png", ".svg")
    ]
