"""XploreDL's plots (Figs. 3 and 4): every design point in energy efficiency (fJ/op) against performance per
area (TOPS/mm2), the Pareto front highlighted; any two metrics of a store the same way. Needs matplotlib."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from loopscape.dse.metrics import METRICS
from loopscape.errors import LoopscapeError

FORMATS = (".png", ".svg")


def _label(metric: str) -> str:
    unit = METRICS[metric][0] if metric in METRICS else ""
    return f"{metric} [{unit}]" if unit else metric


def plot_front(
    x: np.ndarray,
    y: np.ndarray,
    front: np.ndarray,
    out: str | Path,
    x_metric: str = "tops_per_mm2",
    y_metric: str = "fj_per_op",
    title: str = "",
    log: bool = True,
) -> Path:
    """Scatter (x, y) with the points of `front` (a mask) highlighted and joined; PNG or SVG by suffix."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise LoopscapeError(f"{out}: a plot is written as {' or '.join(FORMATS)}")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LoopscapeError("plots need matplotlib: pip install 'loopscape[plot]'") from None
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    ax.scatter(x[~front], y[~front], s=12, c="0.65", label=f"design points ({int((~front).sum())})")
    order = np.argsort(x[front])
    ax.plot(x[front][order], y[front][order], "-o", c="tab:red", ms=5, lw=1.2,
            label=f"Pareto front ({int(front.sum())})")  # fmt: skip
    if log and np.all(x > 0) and np.all(y > 0):
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(_label(x_metric))
    ax.set_ylabel(_label(y_metric))
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150 if out.suffix.lower() == ".png" else None)
    plt.close(fig)
    return out
