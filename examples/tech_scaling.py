"""Technology scaling on Eyeriss: one conv layer mapping evaluated at 65 nm and at 16 nm.

Timeloop (Parashar et al., ISPASS 2019, Fig. 12(a)) evaluates the same Eyeriss mapping of AlexNet's layers
with the 65 nm and the 16 nm energy models: going to 16 nm, the DRAM's share of the energy grows (off-chip
access energy does not scale with the logic node) while the arithmetic and on-chip storage shares shrink.
This example reproduces that shift for AlexNet's conv3 and prints the shares; with matplotlib installed it
also draws them as a bar chart.

    python examples/tech_scaling.py [CHART.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

from loopscape.arch import Architecture
from loopscape.arch.zoo import eyeriss
from loopscape.energy.ert import build_ert
from loopscape.io.native import read_mapping
from loopscape.model.evaluate import evaluate
from loopscape.model.result import Result
from loopscape.workload import layers

TECHNOLOGIES = ("65nm", "16nm")  # Fig. 12(a): Eyeriss' own 65 nm model and Timeloop's 16 nm model
CATEGORIES = ("DRAM", "on-chip storage", "arithmetic")

# AlexNet conv3 (Krizhevsky et al., NeurIPS 2012), one of the layers of Fig. 12(a).
LAYER = layers.conv2d("alexnet_conv3", K=384, C=256, P=13, Q=13, R=3, S=3)
# One mapping for both nodes (the paper's "65map"): 16 output channels across the mesh's X axis, 16 input
# channels across Y; the global buffer holds a 64 x 32 channel block of the whole 13 x 13 plane, each
# register file 4 x 2 channels of one 3 x 3 filter window.
MAPPING = {
    "nest": [
        {"level": "DRAM", "temporal": "K6 C8"},
        {"level": "GBuf", "temporal": "P13 Q13", "spatial_x": "K16", "spatial_y": "C16"},
        {"level": "RFile", "temporal": "C2 K4 R3 S3"},
    ]
}


def breakdown(result: Result, arch: Architecture) -> dict[str, float]:
    """Energy in pJ of the backing store (DRAM), the on-chip storage levels and the MACs."""
    per_level = {lv.name: sum(sum(a.values()) for a in lv.energy_pj.values()) for lv in result.levels}
    dram = per_level[arch.levels[0].name]
    return {
        "DRAM": dram,
        "on-chip storage": sum(per_level.values()) - dram,
        "arithmetic": result.compute_energy_pj,
    }


def shares(energy: dict[str, float]) -> dict[str, float]:
    total = sum(energy.values())
    return {k: v / total for k, v in energy.items()}


def plot(results: dict[str, dict[str, float]], path: Path) -> bool:
    """A grouped bar chart of the shares per technology; False (and nothing written) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
    width = 0.8 / len(results)
    for i, (tech, share) in enumerate(results.items()):
        xs = [c + (i - (len(results) - 1) / 2) * width for c in range(len(CATEGORIES))]
        ax.bar(xs, [100 * share[c] for c in CATEGORIES], width, label=tech)
    ax.set_xticks(range(len(CATEGORIES)), CATEGORIES)
    ax.set_ylabel("share of energy (%)")
    ax.set_title(f"{LAYER.name} on Eyeriss: one mapping, two nodes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    """Evaluate the mapping at each node, print the shares, draw the chart; returns {node: {category: share}}."""
    args = sys.argv[1:] if argv is None else argv
    chart = Path(args[0]) if args else Path("tech_scaling.png")
    arch = eyeriss()
    mapping = read_mapping(MAPPING, arch, LAYER)
    results: dict[str, dict[str, float]] = {}
    print(f"{LAYER.name} on {arch.name}: share of energy")
    print(f"{'':<8}" + "".join(f"{c:>18}" for c in CATEGORIES) + f"{'total (uJ)':>14}")
    for tech in TECHNOLOGIES:
        result = evaluate(arch, LAYER, mapping, build_ert(arch, technology=tech))
        energy = breakdown(result, arch)
        results[tech] = shares(energy)
        row = "".join(f"{100 * results[tech][c]:>17.1f}%" for c in CATEGORIES)
        print(f"{tech:<8}{row}{sum(energy.values()) / 1e6:>14.2f}")
    if plot(results, chart):
        print(f"wrote {chart}")
    else:
        print("matplotlib is not installed: no chart")
    return results


if __name__ == "__main__":
    main()
