"""Timeloop's Fig. 14: NVDLA, DianNao and Eyeriss (and DianNao and Eyeriss scaled to 1024 PEs) compared.

Parashar et al. (Timeloop, ISPASS 2019), Sec. VIII-D, "Case Study: Modeling of Existing Architectures": NVDLA
(1024 PEs), DianNao and Eyeriss (256 PEs each), and DianNao and Eyeriss scaled to 1024 PEs with buffer sizes
adjusted to NVDLA's area; Fig. 14 plots their performance and energy efficiency normalised to NVDLA on AlexNet's
conv layers and DeepBench workloads. The paper's findings:

1. "NVDLA demonstrates higher performance and energy efficiency compared to the other two architectures except
   for AlexNet CONV1 and DeepBench workload 10, both of which have shallow input channels (C)": NVDLA and
   DianNao spread C across their PEs, so a shallow C leaves PEs idle.
2. "Eyeriss shows a consistent performance across different workloads thanks to its flexible mapping scheme."
3. "The scaled version of DianNao demonstrates a higher energy efficiency and better performance across all the
   workloads than its default version" (more spatial reuse of inputs and spatial reduction of partial sums).
4. "While the performance of Eyeriss improves with more PEs, its energy efficiency stays relatively the same"
   (most of its energy is in the per-PE register files).

This example maps each layer on the built-in `nvdla`, `diannao`, `eyeriss`, `diannao_1024` and `eyeriss_1024`
(`loopscape.arch.zoo`; the scaled variants' sizes and area alignment are documented in `zoo.scaled`), all at
16 nm (the paper's nominal node, Sec. VI-C), each under its own dataflow preset (`zoo.preset_for`: `nvdla` for
NVDLA and DianNao, `row-stationary` for Eyeriss) with `loopscape.mapper.network.map_network` (objective EDP,
seeded), and reports per layer the performance normalised to NVDLA (NVDLA's cycles / the design's: higher is
faster) and the energy per MAC normalised to NVDLA's (lower is more efficient). Choices, stated:

- Layers: AlexNet's five conv layers (batch 1) and DeepBench's six inference conv kernels (batch 1,
  `networks.get("deepbench")`); DeepBench's GEMM kernels are left out (the presets name conv dimensions). The
  paper does not list which DeepBench kernel is its "workload 10"; ours with shallow C are conv_deepspeech1 and
  conv_ocr (C = 1).
- The search is a heuristic with a fixed budget per layer (`--budget`); each design gets its own best mapping
  under its preset. The JSON records the mappings' utilisation and the budget.
- Row-stationary unrolls the filter height S whole across the mesh's X axis (Fig. 6), which DeepBench's
  conv_deepspeech1 (S = 20) does not fit on the 16-wide Eyeriss. Where a layer has no mapping under a design's
  preset, the design runs it transposed (height and width swapped: P with Q, R with S; the same MACs and
  data), as a compiler for it would; the JSON marks such layers `transposed`. A layer with no mapping either
  way stops the run, naming the layer and the design (none does).
- The findings are checked on our numbers and printed beside the paper's: which layers NVDLA does not win
  (and their C), each design's spread of utilisation across layers, and the scaled-versus-nominal ratios.

    python examples/fig14_arch_comparison.py [--budget N] [--seed S] [--out DIR]
    python examples/fig14_arch_comparison.py --quick   # a small run for the tests

Writes DIR/fig14_arch_comparison.json (every figure), DIR/fig14_arch_comparison.csv (one row per layer and
design) and, with matplotlib installed, DIR/fig14_arch_comparison.png (normalised performance and energy).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import statistics
import time
from pathlib import Path

from loopscape.arch import zoo
from loopscape.errors import LoopscapeError
from loopscape.mapper.network import map_network
from loopscape.workload import Workload
from loopscape.workload.networks import Network, get

DESIGNS = ("nvdla", "diannao", "eyeriss", "diannao_1024", "eyeriss_1024")  # Fig. 14's bars
NOMINAL = ("diannao", "eyeriss")  # "the other two architectures" of finding 1
SCALED = {"diannao": "diannao_1024", "eyeriss": "eyeriss_1024"}
REFERENCE = "nvdla"
TECHNOLOGY = "16nm"  # Timeloop Sec. VI-C: the nominal 16 nm model of its case studies
BUDGET, QUICK_BUDGET = 20_000, 400  # mappings per layer search
QUICK_LAYERS = ("alexnet/conv1", "alexnet/conv3", "deepbench/conv_ocr")
COLOURS = {
    "nvdla": "#4c72b0",
    "diannao": "#dd8452",
    "eyeriss": "#55a868",
    "diannao_1024": "#f2b880",
    "eyeriss_1024": "#a6d8a8",
}
PAPER = {
    "nvdla_not_best": "AlexNet CONV1 and DeepBench workload 10 (shallow C)",
    "eyeriss": "consistent performance across workloads (flexible mapping)",
    "diannao_scaled": "higher energy efficiency and better performance on every workload",
    "eyeriss_scaled": "performance improves, energy efficiency about the same",
}


def layers(only: tuple[str, ...] | None = None) -> list[tuple[str, Workload]]:
    """('network/layer', workload) for AlexNet's conv layers and DeepBench's conv kernels (those in `only`)."""
    out = []
    for net in ("alexnet", "deepbench"):
        for wl in get(net).layers:
            key = f"{net}/{wl.name}"
            if wl.name.startswith("conv") and (only is None or key in only):
                out.append((key, wl))
    return out


def transposed(wl: Workload) -> Workload:
    """The layer with height and width swapped (P with Q, R with S): the same MACs on transposed data."""
    swap = {"P": "Q", "Q": "P", "R": "S", "S": "R"}
    bound = dict(zip(wl.dims, wl.bounds))
    tensors = tuple(
        dataclasses.replace(t, ranks=tuple(tuple((swap.get(d, d), c) for d, c in rank) for rank in t.ranks))
        for t in wl.tensors
    )
    return dataclasses.replace(wl, bounds=tuple(bound[swap.get(d, d)] for d in wl.dims), tensors=tensors)


def map_layers(budget: int, seed: int, only: tuple[str, ...] | None) -> dict:
    """Every layer on every design under its preset: {design: {layer: figures}}."""
    runs: dict[str, dict[str, dict]] = {}
    for design in DESIGNS:
        arch, preset = zoo.get(design, technology=TECHNOLOGY), zoo.preset_for(design)
        runs[design] = {}
        for key, wl in layers(only):
            lr, flipped = None, False
            for flipped, layer in ((False, wl), (True, transposed(wl))):
                try:
                    net = Network(key.replace("/", "_"), (layer,))
                    lr = map_network(arch, net, preset=preset, seed=seed, budget=budget).layers[0]
                    break
                except LoopscapeError:  # no mapping under the preset this way round
                    continue
            if lr is None:
                raise SystemExit(f"{key} has no mapping on {design} under {preset}, either way round")
            runs[design][key] = {
                "C": int(dict(zip(wl.dims, wl.bounds))["C"]),
                "transposed": flipped,
                "macs": lr.macs,
                "cycles": lr.cycles,
                "energy_pj": lr.energy_pj,
                "pj_per_mac": lr.energy_pj / lr.macs,
                "utilization": lr.utilization,
                "evaluated": lr.evaluated,
            }
    return runs


def normalise(runs: dict) -> dict:
    """Per layer and design: performance (NVDLA's cycles / the design's) and energy per MAC / NVDLA's."""
    ref = runs[REFERENCE]
    return {
        design: {
            key: {
                "performance": ref[key]["cycles"] / r["cycles"],
                "energy": r["pj_per_mac"] / ref[key]["pj_per_mac"],
            }
            for key, r in per_layer.items()
        }
        for design, per_layer in runs.items()
    }


def findings(runs: dict, norm: dict) -> dict:
    """The paper's four findings, checked on our numbers."""
    keys = list(runs[REFERENCE])
    not_best = {
        what: [
            k
            for k in keys
            if any(norm[d][k][metric] > 1.0 if metric == "performance" else norm[d][k][metric] < 1.0 for d in NOMINAL)
        ]
        for what, metric in (("performance", "performance"), ("energy", "energy"))
    }  # fmt: skip
    spread = {}
    for d in DESIGNS:
        util = [runs[d][k]["utilization"] for k in keys]
        spread[d] = {"min": min(util), "max": max(util), "stdev": statistics.pstdev(util)}
    scaled = {}
    for nominal, big in SCALED.items():
        perf = [runs[nominal][k]["cycles"] / runs[big][k]["cycles"] for k in keys]
        energy = [runs[big][k]["pj_per_mac"] / runs[nominal][k]["pj_per_mac"] for k in keys]
        scaled[nominal] = {
            "speedup": {"min": min(perf), "max": max(perf), "geomean": statistics.geometric_mean(perf)},
            "energy_ratio": {
                "min": min(energy),
                "max": max(energy),
                "geomean": statistics.geometric_mean(energy),
            },
            "faster_on_all": all(p > 1.0 for p in perf),
            "more_efficient_on_all": all(e < 1.0 for e in energy),
        }
    return {
        "nvdla_not_best": {
            what: [{"layer": k, "C": runs[REFERENCE][k]["C"]} for k in ks] for what, ks in not_best.items()
        },
        "utilization_spread": spread,
        "scaled": scaled,
    }


def summarise(runs: dict, budget: int, seed: int, seconds: float) -> dict:
    norm = normalise(runs)
    return {
        "designs": list(DESIGNS),
        "presets": {d: zoo.preset_for(d) for d in DESIGNS},
        "technology": TECHNOLOGY,
        "objective": "edp",
        "budget": budget,
        "seed": seed,
        "seconds": round(seconds, 1),
        "layers": list(runs[REFERENCE]),
        "results": runs,
        "normalised": norm,
        "findings": findings(runs, norm),
        "paper": PAPER,
    }


def write(summary: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "fig14_arch_comparison.json", out / "fig14_arch_comparison.csv"]
    paths[0].write_text(json.dumps(summary, indent=2) + "\n")
    with paths[1].open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["layer", "design", "C", "cycles", "pj_per_mac", "utilization", "norm_performance", "norm_energy"]
        )
        for key in summary["layers"]:
            for d in summary["designs"]:
                r, n = summary["results"][d][key], summary["normalised"][d][key]
                w.writerow([key, d, r["C"], r["cycles"], f"{r['pj_per_mac']:.6g}", f"{r['utilization']:.4f}",
                            f"{n['performance']:.4f}", f"{n['energy']:.4f}"])  # fmt: skip
    png = plot(summary, out / "fig14_arch_comparison.png")
    return paths + ([png] if png else [])


def plot(summary: dict, path: Path) -> Path | None:
    """Two panels of grouped bars (normalised performance, normalised energy); None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    keys, designs = summary["layers"], summary["designs"]
    width = 0.8 / len(designs)
    fig, axes = plt.subplots(2, 1, figsize=(max(6.0, 0.9 * len(keys) + 2), 6), dpi=110, sharex=True)
    for ax, metric, label in (
        (axes[0], "performance", "performance / NVDLA\n(higher: faster)"),
        (axes[1], "energy", "energy per MAC / NVDLA\n(lower: better)"),
    ):
        for i, d in enumerate(designs):
            xs = [j + (i - (len(designs) - 1) / 2) * width for j in range(len(keys))]
            ax.bar(xs, [summary["normalised"][d][k][metric] for k in keys], width, label=d, color=COLOURS[d])
        ax.axhline(1.0, color="black", linewidth=0.6)
        ax.set_yscale("log")
        ax.set_ylabel(label, fontsize=8)
    axes[1].set_xticks(range(len(keys)))
    axes[1].set_xticklabels([k.split("/")[1] for k in keys], rotation=45, ha="right", fontsize=8)
    axes[0].legend(fontsize=7, ncol=len(designs), loc="upper center", bbox_to_anchor=(0.5, 1.25))
    fig.suptitle(f"Fig. 14 at {summary['technology']}: normalised to NVDLA-like", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def report(s: dict) -> None:
    designs = s["designs"]
    print(f"{len(s['layers'])} layers x {len(designs)} designs at {s['technology']}, presets {s['presets']}, "
          f"EDP search of {s['budget']:,} mappings per layer (seed {s['seed']}), {s['seconds']:.1f} s")  # fmt: skip
    print(f"\n{'layer':<30}{'C':>5}  " + "".join(f"{d:>14}" for d in designs))
    for metric, title in (("performance", "performance / NVDLA"), ("energy", "energy per MAC / NVDLA")):
        print(f"-- {title}")
        for k in s["layers"]:
            c = s["results"][REFERENCE][k]["C"]
            print(f"{k:<30}{c:>5}  " + "".join(f"{s['normalised'][d][k][metric]:>14.3f}" for d in designs))
    print("-- utilisation (MACs busy per cycle / PEs)")
    for k in s["layers"]:
        c = s["results"][REFERENCE][k]["C"]
        print(f"{k:<30}{c:>5}  " + "".join(f"{s['results'][d][k]['utilization']:>14.3f}" for d in designs))
    print("-- pJ/MAC (absolute)")
    for k in s["layers"]:
        c = s["results"][REFERENCE][k]["C"]
        print(f"{k:<30}{c:>5}  " + "".join(f"{s['results'][d][k]['pj_per_mac']:>14.3f}" for d in designs))
    flipped = [f"{k} on {d}" for d in designs for k in s["layers"] if s["results"][d][k]["transposed"]]
    if flipped:
        print("run transposed (no mapping under the preset otherwise): " + ", ".join(flipped))
    f, p = s["findings"], s["paper"]
    lose = {
        w: ", ".join(f"{x['layer']} (C={x['C']})" for x in v) or "none"
        for w, v in f["nvdla_not_best"].items()
    }
    spread = f["utilization_spread"]
    util = "; ".join(
        f"{d} {spread[d]['min']:.3f}-{spread[d]['max']:.2f} ({spread[d]['max'] / spread[d]['min']:.0f}x)"
        for d in designs
    )
    print("\nfindings                      Timeloop Fig. 14 / loopscape")
    print(f"1. NVDLA not best on: paper: {p['nvdla_not_best']}")
    print(f"                      ours, performance: {lose['performance']}")
    print(f"                      ours, energy:      {lose['energy']}")
    print(f"2. Eyeriss: paper: {p['eyeriss']}")
    print(f"            ours, utilisation min-max (max/min) per design: {util}")
    for nominal, key in (("diannao", "diannao_scaled"), ("eyeriss", "eyeriss_scaled")):
        sc = f["scaled"][nominal]
        print(f"{3 if nominal == 'diannao' else 4}. {SCALED[nominal]} vs {nominal}: paper: {p[key]}")
        print(f"            ours: speed-up {sc['speedup']['min']:.2f}-{sc['speedup']['max']:.2f}x "
              f"(geomean {sc['speedup']['geomean']:.2f}), energy per MAC x{sc['energy_ratio']['min']:.2f}-"
              f"{sc['energy_ratio']['max']:.2f} (geomean {sc['energy_ratio']['geomean']:.2f}); faster on all: "
              f"{sc['faster_on_all']}, more efficient on all: {sc['more_efficient_on_all']}")  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    """Run the comparison; print ours beside the paper's findings; write JSON, CSV and (with matplotlib) PNG."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--budget", type=int, default=None, help=f"mappings per layer search (default {BUDGET:,})"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("fig14_out"))
    ap.add_argument(
        "--quick", action="store_true", help=f"{len(QUICK_LAYERS)} layers, {QUICK_BUDGET} mappings each"
    )
    args = ap.parse_args(argv)
    budget = args.budget or (QUICK_BUDGET if args.quick else BUDGET)
    started = time.perf_counter()
    runs = map_layers(budget, args.seed, QUICK_LAYERS if args.quick else None)
    summary = summarise(runs, budget, args.seed, time.perf_counter() - started)
    report(summary)
    written = write(summary, args.out)
    print("wrote " + ", ".join(str(p) for p in written))
    if not any(p.suffix == ".png" for p in written):
        print("matplotlib is not installed: no chart")
    return summary


if __name__ == "__main__":
    main()
