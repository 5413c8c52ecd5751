"""SCALE-Sim's systolic array in two loopscape models, on AlexNet: SCALE-Sim's own figures (`loopscape
systolic`, exact to its reports) beside the general model (the same array as an architecture with neighbour
forwarding and a dataflow preset, `loopscape.systolic.general`, mapped by the mapper).

For each layer and dataflow it prints cycles, utilisation, SRAM reads of IFMAP and filter, OFMAP SRAM writes
and DRAM words; docs/systolic.md discusses the differences. The general model's mapping is the mapper's best
for delay under the preset and SCALE-Sim's placement of dimensions on the array (its own search, not SCALE-Sim's
fixed fold order), so the two columns answer different questions: what this array does with SCALE-Sim's
schedule, and what it could do with the best schedule of that dataflow.

    python examples/systolic_general.py [--array 32] [--sram-kb 64] [--dataflows os,ws,is] [--budget 20000]
        [--layers conv1,conv2] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from loopscape.energy.defaults import default_table
from loopscape.mapper import Mapspace, search
from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.general import layer_workload, systolic_architecture, systolic_constraints
from loopscape.systolic.model import evaluate
from loopscape.systolic.run import run_layer

# AlexNet as SCALE-Sim's topology lists it: conv layers ungrouped, IFMAPs padded; FCs as 1 x 1 convs (fc6 on
# the 6 x 6 x 256 map)
ALEXNET = (
    Layer("conv1", 227, 227, 11, 11, 3, 96, 4),
    Layer("conv2", 31, 31, 5, 5, 96, 256, 1),
    Layer("conv3", 15, 15, 3, 3, 256, 384, 1),
    Layer("conv4", 15, 15, 3, 3, 384, 384, 1),
    Layer("conv5", 15, 15, 3, 3, 384, 256, 1),
    Layer("fc6", 6, 6, 6, 6, 256, 4096, 1),
    Layer("fc7", 1, 1, 1, 1, 4096, 4096, 1),
    Layer("fc8", 1, 1, 1, 1, 4096, 1000, 1),
)


def config(array: int, sram_kb: int, dataflow: str) -> SystolicConfig:
    """SCALE-Sim's stock configuration shape: a square array, three equal SRAMs, CALC bandwidth."""
    return SystolicConfig(
        run_name="alexnet", array_height=array, array_width=array, ifmap_sram_kb=sram_kb,
        filter_sram_kb=sram_kb, ofmap_sram_kb=sram_kb, ifmap_offset=0, filter_offset=10_000_000,
        ofmap_offset=20_000_000, dataflow=dataflow, read_request_buffer=32, write_request_buffer=32,
        ifmap_custom_layout=False, ifmap_bank_bandwidth=10, ifmap_bank_num=1, ifmap_bank_port=2,
        filter_custom_layout=False, filter_bank_bandwidth=10, filter_bank_num=1, filter_bank_port=2,
        sparsity_support=False, interface_bandwidth="CALC", use_ramulator_trace=False, bandwidth=(10,),
    )  # fmt: skip


def _reads(counts: dict, tensor: str) -> int:
    access = counts.get(tensor)
    return 0 if access is None else int(access.reads)


def compare(cfg: SystolicConfig, layers: tuple[Layer, ...], budget: int, seed: int = 0) -> list[dict]:
    """One row per layer: SCALE-Sim's figures and the general model's best mapping's, side by side."""
    scalesim = evaluate(cfg, layers)
    arch = systolic_architecture(cfg)
    energy = default_table(arch)
    names = [lv.name for lv in arch.levels]
    rows = []
    for i, layer in enumerate(layers):
        run = run_layer(cfg, layer, scalesim, i)
        workload = layer_workload(layer)
        space = Mapspace(arch, workload, constraints=systolic_constraints(cfg, arch, workload))
        best = search(arch, workload, energy, "delay", budget=budget, seed=seed, mapspace=space).result
        counts = dict(zip(names, best.counts.levels, strict=True))
        dram = counts["DRAM"]
        rows.append(
            {
                "layer": layer.name,
                "dataflow": cfg.dataflow,
                "macs": layer.macs,
                "scalesim": {
                    "cycles": run.total_cycles,
                    "util": float(scalesim.overall_util[i]) / 100,
                    "ifmap_sram_reads": int(scalesim.ifmap_sram_reads[i]),
                    "filter_sram_reads": int(scalesim.filter_sram_reads[i]),
                    "ofmap_sram_writes": int(scalesim.ofmap_sram_writes[i]),
                    "dram_reads": (run.ifmap_dram.reads if run.ifmap_dram else 0)
                    + (run.filter_dram.reads if run.filter_dram else 0),
                    "dram_writes": run.ofmap_dram.reads,
                },
                "general": {
                    "cycles": best.cycles,
                    "util": best.utilization,
                    "ifmap_sram_reads": _reads(counts["IfmapSRAM"], "Inputs"),
                    "filter_sram_reads": _reads(counts["FilterSRAM"], "Weights"),
                    "ofmap_sram_writes": int(counts["OfmapSRAM"]["Outputs"].updates)
                    if "Outputs" in counts["OfmapSRAM"]
                    else 0,
                    "dram_reads": _reads(dram, "Inputs") + _reads(dram, "Weights"),
                    "dram_writes": int(dram["Outputs"].updates),
                    "energy_pj": best.energy_pj,
                },
            }
        )
    return rows


def print_table(rows: list[dict]) -> None:
    head = f"{'layer':<6} {'df':<3} {'':<9}{'cycles':>11} {'util':>6} {'ifmap rd':>11} {'filter rd':>11} "
    print(head + f"{'ofmap wr':>10} {'DRAM rd':>11} {'DRAM wr':>10}")
    for r in rows:
        for side in ("scalesim", "general"):
            f = r[side]
            name = r["layer"] if side == "scalesim" else ""
            df = r["dataflow"] if side == "scalesim" else ""
            print(
                f"{name:<6} {df:<3} {side:<9}{f['cycles']:>11,} {f['util']:>6.1%} {f['ifmap_sram_reads']:>11,} "
                f"{f['filter_sram_reads']:>11,} {f['ofmap_sram_writes']:>10,} {f['dram_reads']:>11,} "
                f"{f['dram_writes']:>10,}"
            )


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--array", type=int, default=32)
    ap.add_argument("--sram-kb", type=int, default=64)
    ap.add_argument("--dataflows", default="os,ws,is")
    ap.add_argument("--layers", default=",".join(la.name for la in ALEXNET))
    ap.add_argument("--budget", type=int, default=20_000)
    ap.add_argument("--json", dest="json_out")
    a = ap.parse_args(argv)
    wanted = a.layers.split(",")
    layers = tuple(la for la in ALEXNET if la.name in wanted)
    rows = []
    for df in a.dataflows.split(","):
        rows += compare(replace(config(a.array, a.sram_kb, df)), layers, a.budget)
    print(f"AlexNet on a {a.array}x{a.array} array, {a.sram_kb} kB SRAMs: SCALE-Sim's schedule vs the general "
          f"model's best mapping (delay) under the same dataflow")  # fmt: skip
    print_table(rows)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
