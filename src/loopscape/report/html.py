"""The self-contained HTML report of a run: inputs, summary, per-layer table, plots (inline SVG) and each layer's
best mapping and access counts. One file, no scripts, fonts or images fetched: it opens offline anywhere."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from loopscape import __version__
from loopscape.report import plots

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.6em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; } th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.summary td:first-child { font-weight: 600; }
.figure svg { max-width: 100%; height: auto; }
pre { background: #f8f8f8; border: 1px solid #eee; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
details { margin: 0.4em 0; } summary { cursor: pointer; font-weight: 600; }
.muted { color: #777; font-size: 0.85em; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, fmt: str = ",") -> str:
    if value is None:
        return "–"
    return format(value, fmt)


def _table(header: list[str], rows: list[list[Any]], numeric: set[int], css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_e(v)}</td>' if i in numeric else f"<td>{_e(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _shape(layer: Mapping[str, Any]) -> str:
    shape = layer.get("shape") or {}
    return " ".join(f"{d}{n}" for d, n in shape.items() if n != 1)


def summary_rows(doc: Mapping[str, Any]) -> list[list[str]]:
    """The run's headline figures (the totals of a network, or one layer's figures)."""
    t = doc.get("totals", doc)
    macs = t.get("macs") or t.get("real_macs") or 0
    rows = [
        ["Energy", f"{t['energy_pj'] / 1e6:,.3f} µJ"],
        ["Cycles", f"{t['cycles']:,}"],
        ["Utilisation", f"{100 * t['utilization']:.1f} %"],
        ["MACs", f"{macs:,}"],
    ]
    if macs:
        rows.append(["Energy per MAC", f"{t['energy_pj'] / macs:.3f} pJ"])
    rows.append(["EDP", f"{t['energy_pj'] * t['cycles']:.4g} pJ·cycles"])
    if "layers" in t and isinstance(t["layers"], int):
        rows.append(
            ["Layers", f"{t['layers']} ({t.get('distinct_shapes', t['layers'])} distinct shapes searched)"]
        )
    if t.get("evaluated") is not None:
        rows.append(["Mappings evaluated", f"{t['evaluated']:,} in {t.get('seconds', 0):.1f} s"])
    return rows


def _layer_rows(layers: list[Mapping[str, Any]]) -> list[list[Any]]:
    rows = []
    for layer in layers:
        macs = layer.get("real_macs") or layer.get("macs") or 0
        rows.append([
            layer["name"], _shape(layer), f"{layer['energy_pj'] / 1e6:,.3f}", f"{layer['cycles']:,}",
            f"{100 * layer['utilization']:.1f}", f"{layer['energy_pj'] / macs:.3f}" if macs else "–",
            "yes" if layer.get("reused") else "",
        ])  # fmt: skip
    return rows


def _access_rows(layer: Mapping[str, Any]) -> list[list[Any]]:
    rows = []
    for level in layer.get("levels", []):
        for tensor, acc in level.get("tensors", {}).items():
            energy = sum(level.get("energy_pj", {}).get(tensor, {}).values())
            rows.append([level["name"], tensor, _num(level.get("tile_words", {}).get(tensor, 0)),
                         _num(acc["reads"]), _num(acc["fills"]), _num(acc["updates"]), f"{energy:,.1f}"])  # fmt: skip
    return rows


def _mapping_block(layer: Mapping[str, Any]) -> str:
    nest = layer.get("loop_nest")
    access = _table(["level", "tensor", "tile words", "reads", "fills", "updates", "energy pJ"],
                    _access_rows(layer), {2, 3, 4, 5, 6})  # fmt: skip
    body = (f"<pre>{_e(nest)}</pre>" if nest else "") + access
    note = " (same shape as an earlier layer: its mapping reused)" if layer.get("reused") else ""
    return f"<details><summary>{_e(layer['name'])}{_e(note)}</summary>{body}</details>"


def html_report(
    doc: Mapping[str, Any], inputs: Mapping[str, Any] | None = None, title: str | None = None
) -> str:
    """The report of a run's JSON (`loopscape network/train/map/evaluate --json`, or the demo's)."""
    layers = plots.layers_of(dict(doc))
    name = title or " on ".join(str(x) for x in (doc.get("network"), doc.get("architecture")) if x) or "run"
    given = dict(inputs or {})
    for key in ("network", "architecture", "objective", "preset", "source"):
        if doc.get(key) and key not in given:
            given[key] = doc[key]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>loopscape: {_e(name)}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<style>{STYLE}</style></head><body>",
        f"<h1>loopscape: {_e(name)}</h1>",
        (
            f'<p class="muted">loopscape {_e(__version__)}: analytical model (exact access counts, projected cycles '
            "and energy); every figure below comes from the run's JSON.</p>"
        ),
        "<h2>Inputs</h2>",
        _table(["input", "value"], [[k, v] for k, v in given.items()], set(), "summary"),
        "<h2>Summary</h2>",
        _table(["figure", "value"], summary_rows(doc), set(), "summary"),
    ]
    if "layers" in doc:
        parts += [
            "<h2>Layers</h2>",
            _table(
                ["layer", "shape", "energy µJ", "cycles", "util %", "pJ/MAC", "reused"],
                _layer_rows(layers),
                {2, 3, 4, 5},
            ),
        ]
    parts.append("<h2>Energy and utilisation</h2>")
    for fig in (plots.energy_breakdown(dict(doc), "level"), plots.energy_breakdown(dict(doc), "tensor"),
                plots.utilization_bars(dict(doc))):  # fmt: skip
        parts.append(f'<div class="figure">{plots.svg_text(fig)}</div>')
    area = doc.get("area_um2_by_level")
    if area:
        total = sum(area.values())
        rows = [[n, f"{um2 / 1e6:,.4f}", f"{100 * um2 / total:.1f}"] for n, um2 in area.items()]
        parts += [
            "<h2>Area</h2>",
            _table(["level", "mm²", "%"], rows + [["total", f"{total / 1e6:,.4f}", "100.0"]], {1, 2}),
            f'<div class="figure">{plots.svg_text(plots.area_breakdown(area))}</div>',
        ]
    parts.append("<h2>Best mappings</h2>")
    parts += [_mapping_block(layer) for layer in layers]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
