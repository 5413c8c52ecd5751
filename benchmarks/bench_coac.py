"""COAC's SU pruning (Sec. IV-A, Fig. 9): the combination search on RCED and Tiny YOLO v2 with and without
pruning; prints each search's time, the speed-up of pruning and whether the Pareto points are the same.

    python benchmarks/bench_coac.py [--pe 16x16] [--max-sus 2] [--budget 3000] [--workers 2] [--max-front 0]

The per-layer searches (the cost table) are shared by all four searches and timed apart; the paper reports a
search-time reduction of more than 1000x with a negligible difference in the Pareto points (M = 2). Modes: the
paper's rule ("strict", "ties": heuristics), "dominance" (drops only SUs another SU covers on every layer:
exact when the fronts are exact, --max-front 0) and "none".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from loopscape.coac.costs import TemporalSearch, cost_table
from loopscape.coac.search import SearchSettings, search
from loopscape.coac.su import enumerate_sus, parse_pes
from loopscape.workload import networks


def points(result, m: int) -> set[tuple[float, float]]:
    return {(s.latency, s.energy) for s in result.fronts[m]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pe", default="16x16")
    parser.add_argument("--max-sus", type=int, default=2)
    parser.add_argument("--budget", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--networks", default="rced,tiny_yolo_v2")
    parser.add_argument(
        "--max-front", type=int, default=0, help="Thin network fronts to this many points (0: exact)."
    )
    args = parser.parse_args(argv)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    pes = parse_pes(args.pe)
    sus = enumerate_sus(pes)
    for name in args.networks.split(","):
        net = networks.get(name)
        table = cost_table(
            [net], sus, effort=TemporalSearch(args.budget, min(500, args.budget)), workers=args.workers
        )
        print(
            f"\n{name}: {len(sus)} SUs x {len(table.layers)} layers, {table.searches} searches, {table.seconds:.1f} s"
        )
        search(table, SearchSettings(max_sus=1))  # load the compiled kernels before timing
        results = {}
        for mode in ("strict", "ties", "dominance", "none"):
            started = time.perf_counter()
            r = search(table, SearchSettings(max_sus=args.max_sus, prune=mode, max_front=args.max_front))
            seconds = time.perf_counter() - started
            results[mode] = (r, seconds)
            print(
                f"  prune={mode:<9} {len(r.candidates):>4} SUs kept {r.combinations:>8} combinations {seconds:8.2f} s"
            )
        full, full_s = results["none"]
        for mode in ("strict", "ties", "dominance"):
            r, s = results[mode]
            print(
                f"  {mode}: speed-up {full_s / s:,.0f}x (combinations {full.combinations / r.combinations:,.0f}x)"
            )
            for m in range(1, args.max_sus + 1):
                same = points(r, m) == points(full, m)
                loss = 100 * (r.best_edp(m).edp / full.best_edp(m).edp - 1)
                print(
                    f"    {m} SU(s): Pareto points {'identical' if same else 'DIFFER'} "
                    f"({len(r.fronts[m])} vs {len(full.fronts[m])}); best EDP {loss:+.2f}% against unpruned"
                )


if __name__ == "__main__":
    main()
