"""DSE throughput: design points evaluated per second for an AlexNet inference sweep of at least 1,000 points.

The sweep: a random sample (seed 0) of --points design points from an Eyeriss-like space at 45 nm (PE array
4..64 x 4..64, word width, global buffer size and bandwidth, register file size, dataflow preset); each point
maps AlexNet's eight layers with the sweep's default mapper budget (256 mappings per layer, 4 LOMA loop
orders) and is committed to a fresh SQLite store. Rates are wall-clock, with --workers local processes
(default: the cores available) or on the Dask cluster at --scheduler.

    python benchmarks/bench_dse.py [--points 1000] [--workers N] [--scheduler ADDRESS]

--compare-samplers STORE replays a store that holds a whole grid (e.g. examples/xploredl_alexnet.py's): for
budgets of 25 to 150 distinct points, the (fJ/op, TOPS/mm2) hypervolume that random sampling, optuna's TPE
and NSGA-II reach, as a fraction of the whole grid's, mean and spread over --seeds seeds (needs optuna).

A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

try:
    import loopscape  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SPEC = """\
sweep:
  name: bench-alexnet-45nm
  template: eyeriss
  search: {{method: random, samples: {points}, seed: 0}}
  parameters:
    technology: 45nm
    pe_x: [4, 8, 16, 32, 64]
    pe_y: [4, 8, 16, 32, 64]
    word_bits: [8, 16]
    GBuf.size_kb: [16, 32, 64, 128, 256, 512]
    GBuf.bandwidth: [16, 64, 256]
    RFile.entries: [8, 16, 32, 64, 256]
    DRAM.shared_bandwidth: 16
    preset: [none, weight-stationary, output-stationary]
  workloads:
    - {{network: alexnet}}
"""


BUDGETS = (25, 50, 100, 150)


def hypervolume(points, ref) -> float:
    """Area dominated by 2-objective points (both minimised) up to the reference point."""
    import numpy as np

    from loopscape.dse.pareto import pareto_mask

    p = np.asarray(points, dtype=float)
    p = p[pareto_mask(p)]
    p = p[np.argsort(p[:, 0])]
    area, prev_y = 0.0, ref[1]
    for x, y in p:
        area += (ref[0] - x) * (prev_y - y)
        prev_y = y
    return float(area)


def compare_samplers(store_path: str, seeds: int) -> None:
    """Replay a fully evaluated grid: which sampler finds the best front for a given number of points."""
    import numpy as np
    import optuna

    from loopscape.dse import Store

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with Store(store_path, create=False) as store:
        rows = store.rows()
        names = store.parameter_names()
    space = {n: sorted({r[n] for r in rows}, key=str) for n in names}
    space = {n: v for n, v in space.items() if len(v) > 1}
    table = {tuple(r[n] for n in space): (r["fj_per_op"], -r["tops_per_mm2"]) for r in rows}
    every = np.array(list(table.values()))
    ref = every.max(axis=0) + 1e-9 * np.abs(every.max(axis=0))
    full = hypervolume(every, ref)
    keys = list(table)
    found: dict[str, dict[int, list[float]]] = {
        k: {b: [] for b in BUDGETS} for k in ("random", "tpe", "nsga2")
    }
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(len(keys))
        for b in BUDGETS:
            found["random"][b].append(hypervolume([table[keys[i]] for i in order[:b]], ref) / full)
        samplers = {
            "tpe": optuna.samplers.TPESampler(seed=seed, multivariate=True),
            "nsga2": optuna.samplers.NSGAIISampler(seed=seed),
        }
        for name, sampler in samplers.items():
            study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
            seen: list[tuple] = []

            def objective(trial, seen=seen):
                key = tuple(trial.suggest_categorical(n, v) for n, v in space.items())
                seen.append(key)
                return table[key]

            while len(set(seen)) < max(BUDGETS) and len(seen) < 50 * max(BUDGETS):
                study.optimize(objective, n_trials=1)
            distinct = list(dict.fromkeys(seen))
            for b in BUDGETS:
                found[name][b].append(hypervolume([table[k] for k in distinct[:b]], ref) / full)
    print(
        f"{store_path}: {len(rows)} points; hypervolume of (fJ/op, TOPS/mm2) reached, fraction of the grid's"
    )
    print("sampler  " + "  ".join(f"{b:>4} points" for b in BUDGETS))
    for name, per in found.items():
        print(f"{name:8s} " + "  ".join(f"{np.mean(v):.3f}+-{np.std(v):.3f}" for v in per.values()))


def main(argv: list[str] | None = None) -> None:
    from loopscape.dse import DaskExecutor, LocalExecutor, Store, load_sweep, run_sweep
    from loopscape.dse.executors import default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--compare-samplers", metavar="STORE", default=None)
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args(argv)
    if args.compare_samplers:
        compare_samplers(args.compare_samplers, args.seeds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "bench.yaml"
        spec_file.write_text(SPEC.format(points=args.points))
        spec = load_sweep(spec_file)
        if args.scheduler:
            executor = DaskExecutor(args.scheduler)
        else:
            executor = LocalExecutor(args.workers or default_workers())
        print(f"AlexNet sweep: {args.points} of {spec.space_size:,} design points on {executor.describe()}")
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            if done and done % 100 == 0:
                rate = done / (time.perf_counter() - started)
                print(f"  {done}/{total} points, {rate:.2f} points/s so far", flush=True)

        summary = run_sweep(spec, Path(tmp) / "bench.db", executor, progress)
        with Store(Path(tmp) / "bench.db") as store:
            feasible = store.count("ok")
        print(
            f"{summary.evaluated} design points ({feasible} feasible, {summary.infeasible} infeasible) in "
            f"{summary.seconds:.1f} s: {summary.points_per_second:.2f} design points per second "
            f"({summary.seconds / max(1, summary.evaluated) * 1e3:.0f} ms per point wall)"
        )


if __name__ == "__main__":
    main()
