"""Timeloop's Fig. 11: DeepBench workloads on NVDLA, energy per MAC broken down by component and sorted by
algorithmic reuse, with each workload's MAC utilisation.

Parashar et al. (Timeloop, ISPASS 2019), Sec. VIII-A, "Case Study: Workload Characterization": every DeepBench
workload is mapped on NVDLA with its best mapping; the left axis is the total energy normalised to the MAC
energy, the right axis the algorithmic reuse (MACs over the minimum DRAM accesses: the sizes of inputs, weights
and outputs), the MAC utilisation on top. The paper's findings:

1. "close-to-1 utilization in most of cases except the ones with shallow input (C < 64) and output (K < 16)
   channels as NVDLA spatially maps C and K to its MACs";
2. "energy is dominated by DRAM for workloads with low reuse. On the contrary, workloads with high reuse are
   more affected by the efficiency of on-chip components."

This example maps loopscape's DeepBench subset (`networks.get("deepbench")`: six inference convolutions, three
GEMMs and two GEMVs, batch 1; a GEMM M x N x K runs as a 1 x 1 convolution with N output channels, K input
channels and M output pixels, as NVDLA runs it) on the built-in `nvdla` at 16 nm (Timeloop's nominal node) under
the `nvdla` preset, objective EDP, and checks both findings on its numbers: which workloads stay below 90 %
utilisation and whether their C or K is shallow; and the rank correlation between reuse and DRAM's share of
the energy (negative: DRAM dominates at low reuse).

    python examples/fig11_deepbench_reuse.py [--budget N] [--out DIR]
    python examples/fig11_deepbench_reuse.py --quick    # a small run for the tests
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from loopscape.arch import zoo
from loopscape.mapper.network import map_network
from loopscape.report.plots import COMPUTE, _pyplot, energy_by, save
from loopscape.workload import Workload
from loopscape.workload.layers import conv2d
from loopscape.workload.networks import Network, get

DESIGN, TECHNOLOGY = "nvdla", "16nm"
BUDGET, QUICK_BUDGET = 20_000, 300
QUICK = ("conv_ocr", "conv_resnet1x1s2", "gemv_3072x1x1024")
SHALLOW_C, SHALLOW_K = 64, 16  # the paper's thresholds
PAPER = {
    "utilization": "close to 1 except shallow input (C < 64) or output (K < 16) channels",
    "dram": "DRAM dominates at low reuse; on-chip efficiency matters at high reuse",
}


def as_conv(wl: Workload) -> Workload:
    """A GEMM (M, N, K) as the 1 x 1 convolution NVDLA runs; convolutions as they are."""
    if "C" in wl.dims:
        return wl
    m, n, k = (dict(zip(wl.dims, wl.bounds))[d] for d in ("M", "N", "K"))
    return conv2d(wl.name, K=n, C=k, P=m, Q=1)


def reuse(wl: Workload) -> float:
    """MACs over the minimum DRAM accesses (every input, weight and output once)."""
    return wl.operations / sum(wl.tensor_size(t) for t in wl.tensor_names)


def spearman(xs: list[float], ys: list[float]) -> float:
    """Rank correlation (no ties expected)."""

    def ranks(v: list[float]) -> list[int]:
        order = sorted(range(len(v)), key=v.__getitem__)
        out = [0] * len(v)
        for r, i in enumerate(order):
            out[i] = r
        return out

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry, strict=True)) / (n * (n * n - 1))


def run(budget: int, only: tuple[str, ...] = ()) -> dict:
    layers = tuple(as_conv(wl) for wl in get("deepbench").layers if not only or wl.name in only)
    arch = zoo.get(DESIGN, technology=TECHNOLOGY)
    result = map_network(arch, Network("deepbench", layers), objective="edp", preset=zoo.preset_for(DESIGN),
                         budget=budget)  # fmt: skip
    doc = result.to_json()
    rows = []
    for wl, layer in zip(layers, doc["layers"], strict=True):
        parts = energy_by(layer, "level")
        mac_pj = parts[COMPUTE] / wl.operations
        shape = dict(zip(wl.dims, wl.bounds))
        rows.append({
            "workload": wl.name, "C": shape["C"], "K": shape["K"], "macs": wl.operations, "reuse": reuse(wl),
            "utilization": layer["utilization"], "energy_per_mac_over_mac": layer["energy_pj"] / parts[COMPUTE],
            "breakdown_over_mac": {k: v / wl.operations / mac_pj for k, v in parts.items()},
            "dram_share": parts.get("DRAM", 0.0) / layer["energy_pj"],
        })  # fmt: skip
    rows.sort(key=lambda r: r["reuse"])
    low_util = [r for r in rows if r["utilization"] < 0.9]
    findings = {
        "low_utilization": [
            {
                "workload": r["workload"],
                "utilization": r["utilization"],
                "C": r["C"],
                "K": r["K"],
                "shallow": r["C"] < SHALLOW_C or r["K"] < SHALLOW_K,
            }
            for r in low_util
        ],
        "reuse_vs_dram_share_spearman": spearman([r["reuse"] for r in rows], [r["dram_share"] for r in rows])
        if len(rows) > 2
        else None,
    }
    return {"design": DESIGN, "technology": TECHNOLOGY, "budget": budget, "workloads": rows,
            "findings": findings, "paper": PAPER}  # fmt: skip


def plot(doc: dict, path: Path) -> list[Path]:
    plt = _pyplot()
    rows = doc["workloads"]
    names = [k for k in rows[0]["breakdown_over_mac"] if k != COMPUTE] + [COMPUTE]
    fig, ax = plt.subplots(figsize=(max(7.0, 0.8 * len(rows) + 2), 4.8))
    bottom = [0.0] * len(rows)
    for name in names:
        values = [r["breakdown_over_mac"].get(name, 0.0) for r in rows]
        ax.bar(range(len(rows)), values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    for i, r in enumerate(rows):
        ax.text(i, bottom[i], f"{r['utilization']:.2f}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(len(rows)), [r["workload"] for r in rows], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("energy / MAC energy")
    right = ax.twinx()
    right.plot(range(len(rows)), [r["reuse"] for r in rows], "k.-", label="algorithmic reuse")
    right.set_yscale("log")
    right.set_ylabel("algorithmic reuse (MACs / min. DRAM accesses)")
    ax.legend(fontsize=8, loc="upper center")
    ax.set_title(
        f"DeepBench on {doc['design']} ({doc['technology']}), sorted by reuse; MAC utilisation on top"
    )
    fig.tight_layout()
    return save(fig, path, formats=("svg",))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=BUDGET)
    ap.add_argument("--quick", action="store_true", help=f"three workloads, budget {QUICK_BUDGET}")
    ap.add_argument("--out", default="fig11_out")
    a = ap.parse_args(argv)
    doc = run(QUICK_BUDGET if a.quick else a.budget, QUICK if a.quick else ())
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fig11_deepbench_reuse.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    written = plot(doc, out / "fig11_deepbench_reuse.png")
    print(f"{'workload':<22} {'reuse':>8} {'util':>6} {'E/E_mac':>8} {'DRAM %':>7}")
    for r in doc["workloads"]:
        print(f"{r['workload']:<22} {r['reuse']:>8.1f} {r['utilization']:>6.2f} "
              f"{r['energy_per_mac_over_mac']:>8.2f} {100 * r['dram_share']:>7.1f}")  # fmt: skip
    f = doc["findings"]
    print(f"finding 1 (paper: {PAPER['utilization']}):")
    for r in f["low_utilization"]:
        print(f"  {r['workload']}: utilisation {r['utilization']:.2f}, C {r['C']}, K {r['K']}, "
              f"{'shallow' if r['shallow'] else 'NOT shallow'}")  # fmt: skip
    if f["reuse_vs_dram_share_spearman"] is not None:
        print(f"finding 2 (paper: {PAPER['dram']}): rank correlation of reuse and DRAM share "
              f"{f['reuse_vs_dram_share_spearman']:+.2f}")  # fmt: skip
    print("wrote", ", ".join(str(p) for p in [out / "fig11_deepbench_reuse.json", *written]))
    return doc


if __name__ == "__main__":
    main()
