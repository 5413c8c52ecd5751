"""The self-contained HTML report of a sweep's results store: what was swept, how many points finished, the
Pareto front (table and plot, inline SVG) in the store's objectives, and the best point in each metric."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from loopscape import __version__
from loopscape.report.html import STYLE, _e, _table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def store_report_html(path: str | Path, title: str | None = None) -> str:
    """The report of the store at `path` (loopscape sweep's SQLite file)."""
    from loopscape.dse.export import front_rows
    from loopscape.dse.metrics import METRICS
    from loopscape.dse.plots import plot_front
    from loopscape.dse.store import Store

    with Store(path, create=False) as store:
        meta, params, objectives = store.meta(), store.parameter_names(), store.objectives()
        rows = store.rows()
        total = store.count()
        maximize = [METRICS[m][1] for m in objectives]
        front = front_rows(store, objectives, maximize) if rows else []
        figure = ""
        if rows and len(objectives) >= 2:
            x, y = objectives[0], objectives[1]
            _ids, values = store.metric_array([x, y])
            from loopscape.dse.pareto import pareto_mask

            mask = pareto_mask(values, maximize[:2])
            with tempfile.TemporaryDirectory() as tmp:
                svg = plot_front(values[:, 0], values[:, 1], mask, Path(tmp) / "front.svg", x, y,
                                 title or meta.get("name", ""))  # fmt: skip
                text = svg.read_text(encoding="utf-8")
            figure = f'<div class="figure">{text[text.index("<svg") :]}</div>'
    name = title or meta.get("name") or Path(path).name
    shown = params + [m for m in objectives if m not in params]
    extra = [m for m in ("energy_pj", "cycles", "area_mm2", "utilization") if m in METRICS and m not in shown]
    columns = shown + extra
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>loopscape sweep: {_e(name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>loopscape sweep: {_e(name)}</h1>",
        f'<p class="muted">loopscape {_e(__version__)}: results store {_e(path)}</p>',
        "<h2>Inputs</h2>",
        _table(
            ["input", "value"],
            [["store", str(path)], ["parameters", ", ".join(params)], ["objectives", ", ".join(objectives)]],
            set(),
            "summary",
        ),
        "<h2>Summary</h2>",
        _table(
            ["figure", "value"],
            [
                ["design points", f"{total:,}"],
                ["feasible", f"{len(rows):,}"],
                ["on the Pareto front", f"{len(front):,}"],
            ],
            set(),
            "summary",
        ),
    ]
    if figure:
        parts += ["<h2>Pareto front</h2>", figure]
    if front:
        parts += [
            "<h2>Points on the front</h2>",
            _table(
                ["id", *columns],
                [[r["id"], *(_cell(r.get(c, "")) for c in columns)] for r in front],
                set(range(1, len(columns) + 1)),
            ),
            "<h2>Best point in each objective</h2>",
        ]
        best = []
        for metric, larger in zip(objectives, maximize, strict=True):
            r = (max if larger else min)(rows, key=lambda row: row[metric])
            best.append([metric, _cell(r[metric]), r["id"], ", ".join(f"{p}={r.get(p)}" for p in params)])
        parts.append(_table(["objective", "value", "point", "parameters"], best, {1}))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
