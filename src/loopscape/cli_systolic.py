"""`loopscape systolic`: SCALE-Sim 3.0.0's job (a .cfg and a topology CSV) with its reports, no simulation."""

from __future__ import annotations

import json
from pathlib import Path

import click

from loopscape.cli_common import JSON_OPTION, progress_bar, spec_errors_exit, write_json


def _topology_kind(path: str) -> str:
    """'gemm' when the header's second column is M (SCALE-Sim's `-i gemm` layout), else 'conv'."""
    try:
        first = Path(path).read_text(encoding="utf-8").split("\n", 1)[0]
    except (OSError, UnicodeDecodeError):
        return "conv"  # the reader reports the missing or undecodable file
    fields = [f.strip() for f in first.split(",")]
    return "gemm" if len(fields) > 1 and fields[1] == "M" else "conv"


@click.command("systolic")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="SCALE-Sim .cfg file.")  # fmt: skip
@click.option("--topology", "topology_path", required=True, type=click.Path(dir_okay=False),
              help="SCALE-Sim topology CSV (conv, or GEMM with an 'M, N, K' header).")  # fmt: skip
@click.option("--input-type", type=click.Choice(["auto", "conv", "gemm"]), default="auto", show_default=True,
              help="Topology layout (SCALE-Sim's -i); auto reads the header.")  # fmt: skip
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv and DETAILED_ACCESS_REPORT.csv here.")  # fmt: skip
@click.option("--os-paper-fold", is_flag=True,
              help="OS folds take 2R + C + T - 2 cycles as in the SCALE-Sim paper, not 3.0.0's R + C + T - 2 "
                   "(CALC mode; changes cycles and utilisations, the memory figures keep 3.0.0's schedule).")  # fmt: skip
@click.option("--no-dram-replay", is_flag=True,
              help="CALC mode: skip replaying SCALE-Sim's buffers (the DRAM streams of operands larger than half "
                   "an SRAM and of the OFMAP are then left empty; OFMAP stalls taken as 0).")  # fmt: skip
@JSON_OPTION
@spec_errors_exit
def systolic(config_path: str, topology_path: str, input_type: str, out_dir: str | None, os_paper_fold: bool,
             no_dram_replay: bool, json_out: str | None) -> None:  # fmt: skip
    """Per-layer cycles, stalls, utilisations, SRAM and DRAM accesses and bandwidths of a systolic array, every
    figure SCALE-Sim 3.0.0 reports, in both bandwidth modes (CALC and USER).

    Compute side in closed form; memory side by replaying SCALE-Sim's buffers over its demand rows (no
    per-cycle simulation): in CALC mode its read buffers never stall and only operands larger than half an
    SRAM need the replay (--no-dram-replay skips it); in USER mode the three buffers are replayed together,
    stalls included (SCALE-Sim's own accounting: a late prefetch's lateness counts twice).
    """
    from loopscape.errors import SpecError
    from loopscape.systolic.config import read_config, read_topology
    from loopscape.systolic.model import evaluate
    from loopscape.systolic.reports import json_doc, layer_record, write_reports
    from loopscape.systolic.run import run_layers

    config = read_config(config_path)
    kind = _topology_kind(topology_path) if input_type == "auto" else input_type
    topology = read_topology(topology_path, kind)
    if os_paper_fold and config.interface_bandwidth == "USER":
        raise SpecError("[run_presets] InterfaceBandwidth", "USER", "CALC with --os-paper-fold (USER-mode cycles "
                        "come from replaying 3.0.0's schedule)", file=config_path)  # fmt: skip
    result = evaluate(config, topology.layers, paper_os_fold=os_paper_fold)
    progress = progress_bar()
    with progress:
        task = progress.add_task(f"layers of {topology.name}", total=len(topology.layers))

        def done(i: int) -> None:
            progress.update(task, advance=1, description=f"layer {topology.layers[i].name}")

        runs = run_layers(config, topology.layers, result, replay=not no_dram_replay, done=done)
        records = [
            layer_record(result, i, la.name, run) for i, (la, run) in enumerate(zip(topology.layers, runs))
        ]
    doc = json_doc(result, records, config.run_name)
    if json_out == "-":
        click.echo(json.dumps(doc, indent=2))
    else:
        _print_table(records, config.dataflow, config.array_height, config.array_width)
        if json_out:
            write_json(json_out, doc)
            click.echo(f"wrote {json_out}")
    if out_dir:
        for path in write_reports(records, out_dir):
            click.echo(f"wrote {path}", err=json_out == "-")


def _print_table(records: list[dict], dataflow: str, rows: int, cols: int) -> None:
    click.echo(f"{dataflow} dataflow on a {rows} x {cols} array")
    click.echo(f"{'layer':<16} {'cycles':>12} {'util %':>8} {'map eff %':>9} {'ifmap rd':>12} {'filter rd':>12} "
               f"{'ofmap wr':>12}")  # fmt: skip
    for r in records:
        click.echo(
            f"{r['Layer name'][:16]:<16} {r['Total Cycles']:>12,} {r['Overall Util %']:>8.2f} "
            f"{r['Mapping Efficiency %']:>9.2f} {r['SRAM IFMAP Reads']:>12,} {r['SRAM Filter Reads']:>12,} "
            f"{r['SRAM OFMAP Writes']:>12,}"
        )
    click.echo(f"{'total':<16} {sum(r['Total Cycles'] for r in records):>12,}")
