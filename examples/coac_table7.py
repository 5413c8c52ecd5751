"""COAC's six-network study (Sec. V-VI): RCED, Tiny YOLO v2, ResNet18, VGG19, MobileNetV2 and Xception searched
jointly on a 16 x 16 array with Evolver's memories, with 1, 2 and 3 SUs, and Evolver's SUs beside them; prints
Table VII's layout with our EDP changes next to the paper's, and the chosen SUs.

    python examples/coac_table7.py [--pe 16x16] [--budget 3000] [--workers 2] [--plot fronts.png]

The paper needed 3 days for its experiments; this run takes minutes (timing printed at the end). Evolver's six
SUs are a placeholder (the paper's list is lost, docs/coac.md).
"""

from __future__ import annotations

import argparse
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pe", default="16x16")
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-sus", type=int, default=3)
    parser.add_argument("--networks", default=",".join(STUDY_NETWORKS))
    parser.add_argument("--plot", default=None)
    parser.add_argument(
        "--cache", default=None, help="An .npz file keeping the per-layer searches between runs."
    )
    args = parser.parse_args(argv)

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
    out = {}
    for r in rows:
        p2, pe = TABLE_VII_PAPER[r.network]
        print(
            f"{r.network:<14} {'base':>6} {r.gain_2:+6.0f}% | {p2:+4d}%  {r.gain_evolver:+6.0f}% | {pe:+4d}%"
        )
        out[r.network] = (r.gain_2, r.gain_evolver)

    print("\nper network alone (Fig. 10): best EDP, 2 SUs against 1 SU")
    for n, name in enumerate(table.networks):
        alone = search(table.network(n), SearchSettings(max_sus=2))
        gain = 100 * (alone.best_edp(2).edp / alone.best_edp(1).edp - 1)
        paper = "   (paper: -59.5%)" if name == "mobilenetv2" else ""
        print(f"  {name:<14} {gain:+6.1f}%{paper}")
    if args.plot:
        from loopscape.cli_coac import plot_fronts

        plot_fronts(joint, args.plot, "six networks, normalised")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return out


if __name__ == "__main__":
    main()
