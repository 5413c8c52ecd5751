"""Charts of a run's JSON (a network, a training step or one layer): energy per layer stacked by storage level
or by tensor (Timeloop's Figs. 10-13 style), utilisation per layer. Figures are matplotlib's, drawn with the
Agg backend, written as PNG or SVG by the file's suffix or returned as SVG text for the HTML report."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMPUTE = "compute"


def _pyplot():
    """matplotlib's pyplot on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def layers_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The per-layer results of a run's JSON (a single result counts as one layer named after the run)."""
    if "layers" in doc:
        return list(doc["layers"])
    return [{"name": doc.get("name", "layer"), **doc}]


def energy_by(layer: dict[str, Any], key: str) -> dict[str, float]:
    """pJ of one layer by storage level (`key` 'level'), tensor ('tensor') or action ('action': reads, fills,
    updates, ...), plus the compute."""
    if key not in ("level", "tensor", "action"):
        raise ValueError(f"energy_by: key {key!r}, expected 'level', 'tensor' or 'action'")
    out: dict[str, float] = {}
    for level in layer["levels"]:
        for tensor, actions in level["energy_pj"].items():
            if key == "action":
                for action, pj in actions.items():
                    out[action] = out.get(action, 0.0) + pj
                continue
            name = level["name"] if key == "level" else tensor
            out[name] = out.get(name, 0.0) + sum(actions.values())
    out[COMPUTE] = out.get(COMPUTE, 0.0) + layer.get("compute_energy_pj", 0.0)
    return out


def energy_breakdown(doc: dict[str, Any], key: str = "level", title: str | None = None):
    """Stacked bars: each layer's energy (µJ) split by storage level, tensor or action (`energy_by`)."""
    plt = _pyplot()
    layers = layers_of(doc)
    parts = [energy_by(layer, key) for layer in layers]
    names: list[str] = []
    for p in parts:
        names += [n for n in p if n not in names]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(layers) + 2), 4.2))
    bottom = [0.0] * len(layers)
    for name in names:
        values = [p.get(name, 0.0) / 1e6 for p in parts]
        ax.bar(range(len(layers)), values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(
        range(len(layers)), [layer["name"] for layer in layers], rotation=60, ha="right", fontsize=8
    )
    ax.set_ylabel("energy (µJ)")
    ax.set_title(title or f"Energy per layer by {key}")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def utilization_bars(doc: dict[str, Any], title: str | None = None):
    """Bars: each layer's utilisation of the compute units (%)."""
    plt = _pyplot()
    layers = layers_of(doc)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(layers) + 2), 3.4))
    ax.bar(range(len(layers)), [100 * layer["utilization"] for layer in layers], color="tab:green")
    ax.set_xticks(
        range(len(layers)), [layer["name"] for layer in layers], rotation=60, ha="right", fontsize=8
    )
    ax.set_ylabel("utilisation (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title or "Utilisation per layer")
    fig.tight_layout()
    return fig


def area_breakdown(area_by_level: dict[str, float], title: str | None = None):
    """Horizontal bars: the architecture's area (mm²) by storage level and compute units."""
    plt = _pyplot()
    names = [n for n, um2 in area_by_level.items() if um2 > 0]
    fig, ax = plt.subplots(figsize=(6.0, 0.45 * len(names) + 1.4))
    ax.barh(range(len(names)), [area_by_level[n] / 1e6 for n in names], color="tab:purple")
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel("area (mm²)")
    ax.set_title(title or f"Area by level ({sum(area_by_level.values()) / 1e6:.3f} mm² in all)")
    fig.tight_layout()
    return fig


def svg_text(fig) -> str:
    """The figure as an inline SVG element (no XML prolog), then closed."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    _pyplot().close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def save(fig, path: str | Path, formats: Sequence[str] = ()) -> list[Path]:
    """Write the figure to `path` (format from its suffix) and to the same name with each extra format."""
    path = Path(path)
    written = [path]
    fig.savefig(path, dpi=150)
    for fmt in formats:
        other = path.with_suffix(f".{fmt}")
        if other != path:
            fig.savefig(other, dpi=150)
            written.append(other)
    _pyplot().close(fig)
    return written
