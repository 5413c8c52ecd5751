"""COAC's six-network study (Sec. V-VI): RCED, Tiny YOLO v2, ResNet18, VGG19, MobileNetV2 and Xception searched
jointly on a 16 x 16 array with Evolver's memories, with 1, 2 and 3 SUs, and Evolver's SUs beside them; prints
Table VII's layout with our EDP changes next to the paper's, and the chosen SUs. With --out DIR it also draws
the paper's Figs. 10 (each network's latency/energy Pareto fronts with 1, 2 and 3 SUs, searched alone), 11 (the
joint, normalised fronts) and 12 (best joint EDP and area, flexibility overhead apart, for 1, 2 and 3 SUs and
Evolver) as DIR/coac_fig10.png, coac_fig11.png and coac_fig12.png.

    python examples/coac_table7.py [--pe 16x16] [--budget 3000] [--workers 2] [--out DIR] [--cache F.npz]
    python examples/coac_table7.py --quick --out DIR   # RCED and Tiny YOLO v2 on 4 x 4 PEs, seconds

The paper needed 3 days for its experiments; this run takes minutes (timing printed at the end). Evolver's six
SUs are a placeholder (the paper's list is lost, docs/coac.md).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

from loopscape.coac.costs import CostTable, TemporalSearch, cost_table, mac_layers
from loopscape.coac.search import SearchSettings, search
from loopscape.coac.study import EVOLVER_SUS, STUDY_NETWORKS, TABLE_VII_PAPER, evolver_overhead, table_vii
from loopscape.coac.su import enumerate_sus, parse_pes
from loopscape.workload import networks


def cache_key(nets: list, sus: tuple, budget: int) -> str:
    return f"{[n.name for n in nets]} {len(sus)} SUs on {sus[0].pes} PEs, budget {budget}"


def load_table(path: str | None, nets: list, sus: tuple, budget: int) -> CostTable | None:
    """The per-layer searches saved by an earlier run with the same networks, SUs and budget, if any."""
    if not path or not Path(path).exists():
        return None
    saved = np.load(path)
    if str(saved["key"]) != cache_key(nets, sus, budget):
        return None
    names, layers, owner, _ = mac_layers(nets)
    return CostTable(names, layers, owner, sus, saved["points"], 0, 0.0)


def main(argv: list[str] | None = None) -> dict:
    """Run the study; returns {'table_vii': {network: (2-SU %, Evolver %)}, 'figures': [paths]}."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pe", default="16x16")
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-sus", type=int, default=3)
    parser.add_argument("--networks", default=",".join(STUDY_NETWORKS))
    parser.add_argument("--plot", default=None, help="Only the joint fronts (Fig. 11), to this file.")
    parser.add_argument("--out", default=None, help="Write Figs. 10, 11 and 12 into this directory.")
    parser.add_argument(
        "--quick", action="store_true", help="RCED and Tiny YOLO v2 on 4 x 4 PEs, budget 100 (a smoke run)."
    )
    parser.add_argument(
        "--cache", default=None, help="An .npz file keeping the per-layer searches between runs."
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.pe, args.budget, args.networks = "4x4", 100, "rced,tiny_yolo_v2"

    started = time.perf_counter()
    pes = parse_pes(args.pe)
    sus = enumerate_sus(pes)
    nets = [networks.get(n) for n in args.networks.split(",")]
    table = load_table(args.cache, nets, sus, args.budget)
    if table is None:
        effort = TemporalSearch(args.budget, min(500, args.budget))
        table = cost_table(nets, sus, effort=effort, workers=args.workers)
        if args.cache:
            np.savez(args.cache, points=table.points, key=np.array(cache_key(nets, sus, args.budget)))
    print(
        f"{len(sus)} SUs x {len(table.layers)} MAC layers: {table.searches} searches in {table.seconds:.0f} s"
    )

    settings = SearchSettings(max_sus=args.max_sus)
    joint = search(table, settings)
    print(
        f"joint search: {len(joint.candidates)} SUs kept, {joint.combinations} combinations, {joint.seconds:.1f} s"
    )
    for m in sorted(joint.fronts):
        best = joint.best_edp(m)
        print(
            f"  best {m} SU{'s' if m > 1 else ' '}: normalised EDP {best.edp:.4f}  area {best.area_um2:,.0f} um^2  "
            f"{' + '.join(joint.names(best))}"
        )
    evo_area = evolver_overhead(settings)
    print(f"  Evolver (placeholder SUs {' + '.join(map(str, EVOLVER_SUS))}): area {evo_area:,.0f} um^2")

    rows = table_vii(table, joint)
    print("\nTable VII: EDP against the best single SU   (ours | paper)")
    print(f"{'network':<14} {'1 SU':>6} {'2 SUs':>16} {'Evolver':>16}")
    out: dict = {"table_vii": {}, "figures": []}
    for r in rows:
        p2, pe = TABLE_VII_PAPER[r.network]
        print(
            f"{r.network:<14} {'base':>6} {r.gain_2:+6.0f}% | {p2:+4d}%  {r.gain_evolver:+6.0f}% | {pe:+4d}%"
        )
        out["table_vii"][r.network] = (r.gain_2, r.gain_evolver)

    print("\nper network alone (Fig. 10): best EDP, 2 SUs against 1 SU")
    alone = []
    for n, name in enumerate(table.networks):
        alone.append(search(table.network(n), SearchSettings(max_sus=args.max_sus)))
        gain = 100 * (alone[-1].best_edp(min(2, args.max_sus)).edp / alone[-1].best_edp(1).edp - 1)
        paper = "   (paper: -59.5%)" if name == "mobilenetv2" else ""
        print(f"  {name:<14} {gain:+6.1f}%{paper}")
    if args.plot:
        from loopscape.cli_coac import plot_fronts

        plot_fronts(joint, args.plot, "six networks, normalised")
    if args.out:
        figures = out["figures"] = draw_figures(Path(args.out), table, joint, alone, evo_area, rows)
        print("figures: " + ", ".join(str(f) for f in figures))
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return out


def draw_figures(out: Path, table: CostTable, joint, alone: list, evo_area: float, rows: list) -> list[Path]:
    """COAC Figs. 10-12 from this run: per-network fronts, joint fronts, EDP and area per SU set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from loopscape.cli_coac import plot_fronts
    from loopscape.coac.costs import coac_architecture
    from loopscape.energy.defaults import default_table
    from loopscape.model.costs import area_by_level

    out.mkdir(parents=True, exist_ok=True)
    cols = min(3, len(alone))
    grid = (len(alone) + cols - 1) // cols
    fig, axes = plt.subplots(grid, cols, figsize=(4 * cols, 3.4 * grid), squeeze=False)
    for ax, name, result in zip(axes.flat, table.networks, alone):
        for m, sols in sorted(result.fronts.items()):
            ax.step([s.latency for s in sols], [s.energy for s in sols], where="post", marker="o", ms=2,
                    label=f"{m} SU" + ("s" if m > 1 else ""))  # fmt: skip
        ax.set_title(name)
        ax.set_xlabel("latency (cycles)")
        ax.set_ylabel("energy (pJ)")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(alone) :]:
        ax.axis("off")
    fig.suptitle("COAC Fig. 10: each network alone, Pareto fronts with 1, 2, 3 SUs")
    fig.tight_layout()
    fig10 = out / "coac_fig10.png"
    fig.savefig(fig10, dpi=110)
    plt.close(fig)

    fig11 = out / "coac_fig11.png"
    plot_fronts(joint, str(fig11), "COAC Fig. 11: all networks jointly (normalised)")

    arch = coac_architecture(table.sus[0].pes)
    base = sum(
        area_by_level(arch, default_table(arch)).values()
    )  # memories and MACs, the arch's node (16 nm)
    labels, edps, overheads = [], [], []
    for m in sorted(joint.fronts):
        best = joint.best_edp(m)
        labels.append(f"{m} SU" + ("s" if m > 1 else ""))
        edps.append(best.edp)
        overheads.append(best.area_um2)
    evo = next(r for r in rows if r.network == "all").edp_evolver
    if not math.isnan(evo):  # Evolver's SUs exist only on its 16 x 16 array
        labels.append("Evolver")
        edps.append(evo)
        overheads.append(evo_area)
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6))
    a.bar(labels, edps, color="tab:green")
    a.set_ylabel("best joint EDP (normalised)")
    b.bar(labels, [base / 1e6] * len(labels), label="memories and MACs")
    b.bar(
        labels, [o / 1e6 for o in overheads], bottom=[base / 1e6] * len(labels), label="flexibility overhead"
    )
    b.set_ylabel("area (mm$^2$, 16 nm)")
    b.legend(fontsize=7)
    fig.suptitle("COAC Fig. 12: EDP and area of the SU sets")
    fig.tight_layout()
    fig12 = out / "coac_fig12.png"
    fig.savefig(fig12, dpi=110)
    plt.close(fig)
    return [fig10, fig11, fig12]


if __name__ == "__main__":
    main()
