"""Timeloop-like statistics of one evaluation for the terminal: rich tables on a tty, plain text otherwise."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from loopscape.io import Specs
    from loopscape.model.result import Result

COLUMNS = ("Level", "Tensor", "Tile words", "Instances", "Reads", "Fills", "Updates", "Energy (pJ)")


def level_rows(result: Result) -> list[tuple]:
    """One row per (level, kept tensor): tile words per instance, totals over used instances, energy."""
    rows = []
    for i, lv in enumerate(result.levels):
        counts = result.counts.levels[i]
        for tensor, acc in counts.items():
            energy = sum(lv.energy_pj.get(tensor, {}).values())
            rows.append((lv.name, tensor, lv.tile_words.get(tensor, 0), lv.instances,
                         acc.reads, acc.fills, acc.updates, energy))  # fmt: skip
    return rows


def summary_rows(result: Result) -> list[tuple[str, str]]:
    return [
        ("Cycles", f"{result.cycles}"),
        ("Compute cycles", f"{result.compute_cycles}"),
        ("Utilization", f"{result.utilization * 100:.2f} %"),
        (
            "MACs",
            f"{result.real_macs}" + (f" ({result.macs} padded)" if result.macs != result.real_macs else ""),
        ),
        *(
            [
                (
                    "Padding",
                    ", ".join(f"{d} +{p}" for d, p in result.padding.items())
                    + " (counts are of the padded space)",
                )
            ]
            if result.padding
            else []
        ),
        ("Energy", f"{result.energy_pj:.2f} pJ ({result.energy_pj / 1e6:.4f} uJ)"),
        ("Compute energy", f"{result.compute_energy_pj:.2f} pJ"),
        ("Leakage", f"{result.leakage_pj:.2f} pJ (not in the energy above)"),
        ("Energy per MAC", f"{result.pj_per_mac:.4f} pJ/MAC"),
        ("Area", f"{result.area_um2:.2f} um^2 ({result.area_um2 / 1e6:.4f} mm^2)"),
        (
            "Throughput",
            (
                f"{result.tops:.4f} TOPS at {result.clock_ghz:g} GHz; {result.tops_per_mm2:.4f} TOPS/mm^2; "
                f"{result.tops_per_watt:.3f} TOPS/W"
            ),
        ),
    ]


def per_level_energy(result: Result) -> list[tuple[str, float, float]]:
    """(name, pJ, pJ per MAC) per level, then the compute units."""
    out = []
    for lv in result.levels:
        pj = sum(sum(a.values()) for a in lv.energy_pj.values())
        out.append((lv.name, pj, pj / result.real_macs))
    out.append(("compute", result.compute_energy_pj, result.compute_energy_pj / result.real_macs))
    return out


def print_stats(result: Result, specs: Specs, title: str = "", file: TextIO | None = None, rich: bool | None = None
                ) -> None:  # fmt: skip
    """Print the mapping as a loop nest, per-level and per-tensor counts and energy, and the totals."""
    out = file or sys.stdout
    if rich is None:
        rich = out.isatty()
    nest = specs.mapping.loop_nest_text([lv.name for lv in specs.arch.levels])
    heading = f"{specs.workload.name} on {specs.arch.name}" + (f"  [{title}]" if title else "")
    if rich:
        _print_rich(result, heading, nest, out)
    else:
        _print_plain(result, heading, nest, out)


def _print_plain(result: Result, heading: str, nest: str, out: TextIO) -> None:
    w = out.write
    w(f"loopscape: {heading}\n\nMapping\n-------\n{nest}\n\n")
    w("Accesses (tile words per instance; reads, fills and updates in words, totals over used instances)\n")
    w("-" * 98 + "\n")
    rows = [COLUMNS] + [r[:7] + (f"{r[7]:.2f}",) for r in level_rows(result)]
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(COLUMNS))]
    for r in rows:
        w(
            "  ".join(str(v).ljust(widths[i]) if i < 2 else str(v).rjust(widths[i]) for i, v in enumerate(r))
            + "\n"
        )
    w("\nEnergy per level\n----------------\n")
    for name, pj, per_mac in per_level_energy(result):
        w(f"{name:<24} {pj:>18.2f} pJ  {per_mac:>10.4f} pJ/MAC\n")
    w("\nSummary\n-------\n")
    for k, v in summary_rows(result):
        w(f"{k + ':':<16} {v}\n")


def _print_rich(result: Result, heading: str, nest: str, out: TextIO) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out)
    console.rule(f"[bold]loopscape[/bold]: {heading}")
    console.print("[bold]Mapping[/bold]")
    console.print(nest, highlight=False, markup=False)
    table = Table(title="Accesses (words; tile per instance, the rest totals over used instances)",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0))  # fmt: skip
    for i, col in enumerate(("Level", "Tensor", "Tile", "Inst.", "Reads", "Fills", "Updates", "pJ")):
        table.add_column(col, justify="left" if i < 2 else "right", no_wrap=True)
    previous = None
    for r in level_rows(result):
        name = r[0] if r[0] != previous else ""
        previous = r[0]
        table.add_row(name, r[1], *(f"{v:,}" for v in r[2:7]), f"{r[7]:,.0f}")
    console.print(table)
    energy = Table(title="Energy per level", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("Level", "Energy (pJ)", "pJ/MAC"):
        energy.add_column(col, justify="left" if col == "Level" else "right")
    for name, pj, per_mac in per_level_energy(result):
        energy.add_row(name, f"{pj:,.1f}", f"{per_mac:.4f}")
    console.print(energy)
    summary = Table(title="Summary", title_justify="left", show_header=False, box=box.SIMPLE, pad_edge=False)
    summary.add_column("", style="bold")
    summary.add_column("", justify="right")
    for k, v in summary_rows(result):
        summary.add_row(k, v)
    console.print(summary)
