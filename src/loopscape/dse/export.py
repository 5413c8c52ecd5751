"""CSV export of a store: one line per point, its parameters and metrics (and whether it is on a front)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from loopscape.dse.metrics import METRICS
from loopscape.dse.store import Store


def write_csv(
    store: Store, out: str | Path, pareto_ids: set[str] | None = None, status: str | None = None
) -> Path:
    """Write the store's points (those of `status`, or all) as CSV; a `pareto` column when ids are given."""
    rows = store.rows(status)
    params = store.parameter_names()
    columns: list[str] = ["id", *params, "status", "error", *METRICS]
    if pareto_ids is not None:
        columns.append("pareto")
    out = Path(out)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            if pareto_ids is not None:
                row = {**row, "pareto": int(row["id"] in pareto_ids)}
            writer.writerow([_cell(row.get(c)) for c in columns])
    return out


def _cell(value: Any) -> Any:
    return "" if value is None else value


def front_rows(store: Store, metrics: Sequence[str], maximize: Sequence[bool]) -> list[dict[str, Any]]:
    """The feasible points on the Pareto front of `metrics`, ordered by the first metric."""
    from loopscape.dse.pareto import pareto_mask

    ids, values = store.metric_array(list(metrics))
    mask = pareto_mask(values, maximize)
    keep = {i for i, m in zip(ids, mask) if m}
    rows = [r for r in store.rows() if r["id"] in keep]
    return sorted(rows, key=lambda r: r[metrics[0]])
