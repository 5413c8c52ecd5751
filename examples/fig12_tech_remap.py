"""Timeloop's Fig. 12: technology changes the energy breakdown (a) and the best mapping (b), on Eyeriss.

Parashar et al. (Timeloop, ISPASS 2019), Sec. VIII-B, "Impact of Technology": Eyeriss runs AlexNet's layers with
Eyeriss' 65 nm energy model and Timeloop's 16 nm one. (a) With the mapping that is best at 65 nm ("65map") in
both, "technology change causes a re-distribution of energy between hardware components". (b) "the optimal
mapping for 65nm is sub-optimal for the 16nm model ... We can reduce the overall energy up to 22% by
re-evaluating the mapspace with the 16nm model and finding the optimal mapping for that technology (16map)."

This example maps AlexNet's conv layers on the built-in `eyeriss` under the `row-stationary` preset, objective
energy, once with the 65 nm tables (65map) and once with the 16 nm tables (16map); evaluates 65map at both
nodes for (a), as shares of each layer's energy by component (ALU, RF, NoC, buffer, DRAM as in Fig. 10), and
compares 65map and 16map at 16 nm for (b): the energy 16map saves per layer, beside the paper's "up to 22%".
Both searches are heuristics with the same budget and seed; 16map is kept only if it beats 65map at 16 nm
(the search at 16 nm could in principle miss 65map), so every saving printed is a real mapping's.

    python examples/fig12_tech_remap.py [--budget N] [--out DIR]
    python examples/fig12_tech_remap.py --quick
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from loopscape.arch import zoo
from loopscape.energy.defaults import default_table
from loopscape.mapper.network import map_network
from loopscape.model.evaluate import evaluate
from loopscape.report.plots import _pyplot, save
from loopscape.workload.networks import Network, get

sys.path.insert(0, str(Path(__file__).parent))
from fig10_eyeriss_alexnet import COMPONENTS, components

DESIGN, PRESET = "eyeriss", "row-stationary"
NODES = ("65nm", "16nm")
BUDGET, QUICK_BUDGET = 20_000, 400
PAPER_SAVING = 0.22  # "up to 22%"


def run(budget: int, quick: bool = False) -> dict:
    convs = tuple(wl for wl in get("alexnet").layers if wl.name.startswith("conv"))
    if quick:
        convs = convs[2:3]
    net = Network("alexnet-conv", convs)
    archs = {node: zoo.get(DESIGN, technology=node) for node in NODES}
    tables = {node: default_table(archs[node]) for node in NODES}
    best = {
        node: map_network(archs[node], net, tables[node], "energy", preset=PRESET, budget=budget)
        for node in NODES
    }
    names = [lv.name for lv in archs["16nm"].levels]
    rows = []
    for i, wl in enumerate(convs):
        map65, map16 = best["65nm"].layers[i].mapping, best["16nm"].layers[i].mapping
        shares = {}
        for node in NODES:
            doc = evaluate(archs[node], wl, map65, tables[node]).to_json()
            parts = components(doc, names)
            shares[node] = {k: v / doc["energy_pj"] for k, v in parts.items()}
        e65_at16 = evaluate(archs["16nm"], wl, map65, tables["16nm"]).energy_pj
        e16_at16 = min(best["16nm"].layers[i].result.energy_pj, e65_at16)
        rows.append({"layer": wl.name, "shares_65map": shares, "energy_16nm_65map_pj": e65_at16,
                     "energy_16nm_16map_pj": e16_at16, "saving": 1 - e16_at16 / e65_at16,
                     "same_mapping": map65 == map16})  # fmt: skip
    return {
        "design": DESIGN,
        "preset": PRESET,
        "budget": budget,
        "layers": rows,
        "paper_saving_up_to": PAPER_SAVING,
    }


def plot(doc: dict, path: Path) -> list[Path]:
    plt = _pyplot()
    rows = doc["layers"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.38
    for k, node in enumerate(NODES):
        bottom = [0.0] * len(rows)
        for c, comp in enumerate(COMPONENTS):
            values = [r["shares_65map"][node][comp] for r in rows]
            xs = [i + (k - 0.5) * width for i in range(len(rows))]
            a.bar(xs, values, width, bottom=bottom, color=f"C{c}", label=comp if k == 0 else None,
                  edgecolor="black" if node == "16nm" else None, linewidth=0.4)  # fmt: skip
            bottom = [x + v for x, v in zip(bottom, values, strict=True)]
    a.set_xticks(range(len(rows)), [f"{r['layer']}\n65 | 16" for r in rows], fontsize=8)
    a.set_ylabel("share of the layer's energy (65map)")
    a.set_title("(a) 65 nm vs 16 nm, same mapping")
    a.legend(fontsize=7)
    b.bar(range(len(rows)), [100 * r["saving"] for r in rows], color="tab:blue")
    b.axhline(100 * doc["paper_saving_up_to"], color="tab:red", ls="--", label="paper: up to 22%")
    b.set_xticks(range(len(rows)), [r["layer"] for r in rows])
    b.set_ylabel("energy saved at 16 nm by 16map over 65map (%)")
    b.set_title("(b) re-mapping for 16 nm")
    b.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path, formats=("svg",))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=BUDGET)
    ap.add_argument("--quick", action="store_true", help=f"conv3 only, budget {QUICK_BUDGET}")
    ap.add_argument("--out", default="fig12_out")
    a = ap.parse_args(argv)
    doc = run(QUICK_BUDGET if a.quick else a.budget, a.quick)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fig12_tech_remap.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    written = plot(doc, out / "fig12_tech_remap.png")
    print(f"{'layer':<6} {'DRAM 65':>8} {'DRAM 16':>8} {'E(65map) uJ':>12} {'E(16map) uJ':>12} {'saving':>7}")
    for r in doc["layers"]:
        s = r["shares_65map"]
        print(f"{r['layer']:<6} {100 * s['65nm']['DRAM']:>7.1f}% {100 * s['16nm']['DRAM']:>7.1f}% "
              f"{r['energy_16nm_65map_pj'] / 1e6:>12.2f} {r['energy_16nm_16map_pj'] / 1e6:>12.2f} "
              f"{100 * r['saving']:>6.1f}%")  # fmt: skip
    top = max(r["saving"] for r in doc["layers"])
    print(
        f"largest saving from re-mapping at 16 nm: {100 * top:.1f}% (paper: up to {100 * PAPER_SAVING:.0f}%)"
    )
    print("wrote", ", ".join(str(p) for p in [out / "fig12_tech_remap.json", *written]))
    return doc


if __name__ == "__main__":
    main()
