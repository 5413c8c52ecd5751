"""DSE throughput: design points evaluated per second for an AlexNet inference sweep of at least 1,000 points.

The sweep: a random sample (seed 0) of --points design points from an Eyeriss-like space at 45 nm (PE array
4..64 x 4..64, word width, global buffer size and bandwidth, register file size, dataflow preset); each point
maps AlexNet's eight layers with the sweep's default mapper budget (256 mappings per layer, 4 LOMA loop
orders) and is committed to a fresh SQLite store. Rates are wall-clock, with --workers local processes
(default: the cores available) or on the Dask cluster at --scheduler.

    python benchmarks/bench_dse.py [--points 1000] [--workers N] [--scheduler ADDRESS]

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


def main(argv: list[str] | None = None) -> None:
    from loopscape.dse import DaskExecutor, LocalExecutor, Store, load_sweep, run_sweep
    from loopscape.dse.executors import default_workers

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--scheduler", default=None)
    args = parser.parse_args(argv)
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
