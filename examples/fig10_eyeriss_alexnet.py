"""Timeloop's Fig. 10: normalised energy of AlexNet's conv layers on a 256-PE Eyeriss with the row-stationary
dataflow, by component (ALU, RF, NoC, global buffer, DRAM), as in the Eyeriss paper's Fig. 10.

Parashar et al. (Timeloop, ISPASS 2019), Sec. VII, validation: Timeloop recreates Fig. 10 of the Eyeriss paper
(Chen, Emer, Sze, ISCA 2016) with AlexNet as the workload, the architecture of Sec. V-B and the row-stationary
constraints of Sec. V-D (Fig. 6), and "tracks quite closely with the energy reported from the prior study".
Neither paper's numbers survive in our copy of the Timeloop text, so this example draws the figure from
loopscape's model and prints the breakdown; it makes no numeric claim about the papers.

Each layer is mapped on the built-in `eyeriss` (65 nm, the chip's node) under the `row-stationary` preset,
objective energy; the energy is split into ALU (the MACs), RF (register-file accesses), NoC (every network
transfer: multicast, forwarding, spatial reduction), buffer (global-buffer accesses) and DRAM, and normalised
to the ALU energy of each layer (energy per MAC in MAC-energy units), the Eyeriss paper's convention.

    python examples/fig10_eyeriss_alexnet.py [--budget N] [--out DIR]
    python examples/fig10_eyeriss_alexnet.py --quick
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from loopscape.arch import zoo
from loopscape.mapper.network import map_network
from loopscape.report.plots import _pyplot, save
from loopscape.workload.networks import Network, get

DESIGN, PRESET, TECHNOLOGY = "eyeriss", "row-stationary", "65nm"
COMPONENTS = ("ALU", "RF", "NoC", "buffer", "DRAM")
BUDGET, QUICK_BUDGET = 20_000, 300


def components(layer: dict, arch_levels: list[str]) -> dict[str, float]:
    """pJ of one layer by Eyeriss component: network actions are NoC; other actions go to their level."""
    kind = {arch_levels[0]: "DRAM", arch_levels[-1]: "RF"}
    out = dict.fromkeys(COMPONENTS, 0.0)
    out["ALU"] = layer["compute_energy_pj"]
    for level in layer["levels"]:
        for actions in level["energy_pj"].values():
            for action, pj in actions.items():
                out["NoC" if action == "network" else kind.get(level["name"], "buffer")] += pj
    return out


def run(budget: int, quick: bool = False) -> dict:
    arch = zoo.get(DESIGN, technology=TECHNOLOGY)
    convs = tuple(wl for wl in get("alexnet").layers if wl.name.startswith("conv"))
    if quick:
        convs = convs[2:3]
    result = map_network(
        arch, Network("alexnet-conv", convs), objective="energy", preset=PRESET, budget=budget
    )
    names = [lv.name for lv in arch.levels]
    rows = []
    for layer in result.to_json()["layers"]:
        parts = components(layer, names)
        rows.append({"layer": layer["name"], "utilization": layer["utilization"], "energy_pj": layer["energy_pj"],
                     "normalised": {k: v / parts["ALU"] for k, v in parts.items()}})  # fmt: skip
    return {"design": DESIGN, "preset": PRESET, "technology": TECHNOLOGY, "budget": budget, "layers": rows}


def plot(doc: dict, path: Path) -> list[Path]:
    plt = _pyplot()
    rows = doc["layers"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    bottom = [0.0] * len(rows)
    for comp in COMPONENTS:
        values = [r["normalised"][comp] for r in rows]
        ax.bar(range(len(rows)), values, bottom=bottom, label=comp)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xticks(range(len(rows)), [r["layer"].upper() for r in rows])
    ax.set_ylabel("energy / ALU energy")
    ax.set_title(f"AlexNet conv layers on {doc['design']} ({doc['preset']}, {doc['technology']})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save(fig, path, formats=("svg",))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=BUDGET)
    ap.add_argument("--quick", action="store_true", help=f"conv3 only, budget {QUICK_BUDGET}")
    ap.add_argument("--out", default="fig10_out")
    a = ap.parse_args(argv)
    doc = run(QUICK_BUDGET if a.quick else a.budget, a.quick)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fig10_eyeriss_alexnet.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    written = plot(doc, out / "fig10_eyeriss_alexnet.png")
    print(f"{'layer':<6} " + " ".join(f"{c:>8}" for c in COMPONENTS) + f" {'total':>8} {'util':>6}")
    for r in doc["layers"]:
        n = r["normalised"]
        print(f"{r['layer']:<6} " + " ".join(f"{n[c]:>8.2f}" for c in COMPONENTS)
              + f" {sum(n.values()):>8.2f} {r['utilization']:>6.2f}")  # fmt: skip
    print("wrote", ", ".join(str(p) for p in [out / "fig10_eyeriss_alexnet.json", *written]))
    return doc


if __name__ == "__main__":
    main()
