"""`loopscape zoo`: the built-in networks (layers, MACs, weights, source) and architectures (PEs, on-chip
memory, area)."""

from __future__ import annotations

import json
from typing import Any

import click

from loopscape.cli_common import spec_errors_exit, write_json

# cli_common.JSON_OPTION's --json FILE ('-': JSON only, to stdout), and a bare `--json` meaning '-' too.
ZOO_JSON_OPTION = click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False),
    is_flag=False,
    flag_value="-",
    help="Print the listing as JSON only (--json FILE: also write it to FILE).",
)


def network_rows() -> list[dict[str, Any]]:
    """One entry per built-in network: name, layers, MACs (MAC layers only), weights, all ops, source."""
    from loopscape.workload import networks

    rows = []
    for name in networks.names():
        net = networks.get(name)
        rows.append(
            {
                "name": name,
                "layers": len(net.layers),
                "macs": net.macs,
                "params": net.params,
                "ops": net.ops,
                "source": net.source,
            }
        )
    return rows


def onchip_bytes(arch: Any) -> int:
    """Bytes of storage on chip: instances x entries x word_bits / 8 over the levels that are not DRAM and
    have a capacity."""
    bits = sum(
        lv.instances * lv.entries * lv.word_bits
        for lv in arch.levels
        if lv.cls != "DRAM" and lv.entries is not None
    )
    return bits // 8


def architecture_rows() -> list[dict[str, Any]]:
    """One entry per built-in architecture: PEs (compute instances), on-chip bytes, area in mm^2 (the ART's
    areas times instances, summed over the levels and the compute units, as a Result reports area_um2)."""
    from loopscape.arch import zoo
    from loopscape.energy.defaults import default_table
    from loopscape.model.costs import level_params

    rows = []
    for name in zoo.names():
        arch = zoo.get(name)
        area_um2 = level_params(arch, default_table(arch)).area_um2
        rows.append(
            {
                "name": name,
                "pes": arch.compute.instances,
                "onchip_bytes": onchip_bytes(arch),
                "area_mm2": area_um2 / 1e6,
                "technology": arch.technology,
            }
        )
    return rows


def _print_tables(doc: dict[str, list[dict[str, Any]]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    nets = Table(title="Built-in networks (batch 1)")
    nets.add_column("network")
    for head in ("layers", "MACs", "weights"):
        nets.add_column(head, justify="right")
    nets.add_column("source")
    for r in doc["networks"]:
        nets.add_row(r["name"], str(r["layers"]), _si(r["macs"]), _si(r["params"]), r["source"])
    console.print(nets)
    archs = Table(title="Built-in architectures")
    archs.add_column("architecture")
    for head in ("PEs", "on-chip memory", "area mm²", "node"):
        archs.add_column(head, justify="right")
    for r in doc["architectures"]:
        archs.add_row(
            r["name"], f"{r['pes']:,}", _bytes(r["onchip_bytes"]), f"{r['area_mm2']:.2f}", r["technology"]
        )
    console.print(archs)


def _si(n: int) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.2f} {suffix}"
    return str(n)


def _bytes(n: int) -> str:
    for scale, suffix in ((2**20, "MiB"), (2**10, "KiB")):
        if n >= scale:
            return f"{n / scale:.1f} {suffix}"
    return f"{n} B"


@click.command("zoo")
@ZOO_JSON_OPTION
@spec_errors_exit
def zoo(json_out: str | None) -> None:
    """List the built-in networks (layers, MACs, weights, source) and architectures (PEs, on-chip memory,
    area). MACs count MAC layers only (pooling, residual adds and activations are other operations)."""
    doc = {"networks": network_rows(), "architectures": architecture_rows()}
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
        return
    _print_tables(doc)
    if json_out:
        write_json(json_out, doc)
        click.echo(f"wrote {json_out}")
