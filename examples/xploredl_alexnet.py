"""XploreDL (Colucci et al., CODES+ISSS 2020 WiP), Fig. 4: an exhaustive DSE of AlexNet inference accelerators
at 45 nm, every design point in energy efficiency (fJ/op) against performance per area (TOPS/mm2), the Pareto
front highlighted. The paper's best points reach 200 fJ/op and 1.8 TOPS/mm2 (Sec. III-B); docs/dse.md compares.

The paper gives neither its design space nor its energy tables, so the space here is ours: an Eyeriss-like
template (DRAM, one global buffer, a register file per PE) at 45 nm with the PE array, the buffer and register
file sizes, the word width and the global buffer's bandwidth varied (540 points; --quick: 8).

    python examples/xploredl_alexnet.py [--quick] [--workers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

SPEC = """\
sweep:
  name: xploredl-alexnet-45nm
  template: eyeriss
  parameters:
    technology: 45nm
    pe_x: {pe}
    pe_y: {pe}
    word_bits: {bits}
    GBuf.size_kb: {gbuf}
    GBuf.bandwidth: {gbuf_bw}
    RFile.entries: {rf}
    DRAM.shared_bandwidth: 16
  workloads:
    - {{network: alexnet}}
  mapper: {{objective: edp, budget: 256, seed_orders: 4}}
"""
FULL = {
    "pe": [8, 16, 32],
    "bits": [8, 16],
    "gbuf": [32, 64, 128, 256, 512],
    "gbuf_bw": [32, 128],
    "rf": [16, 64, 256],
}
QUICK = {"pe": [8, 32], "bits": [8], "gbuf": [64], "gbuf_bw": [128], "rf": [16, 64]}
# XploreDL, Sec. III-B: "our best solutions provide up to 200 fJ/op for energy efficiency and 1.8 TOPS/mm2"
PAPER = {"fj_per_op": 200.0, "tops_per_mm2": 1.8}


def spec_text(quick: bool) -> str:
    """The sweep spec (YAML) of the full study or of the quick one."""
    return SPEC.format(**(QUICK if quick else FULL))


def run_study(name: str, text: str, out: Path, workers: int, paper: dict[str, float], title: str) -> dict:
    """Write the spec, sweep it into out/NAME.db (resuming), plot the fronts and print the best points."""
    from loopscape.dse import LocalExecutor, Store, load_sweep, run_sweep
    from loopscape.dse.report import front_summary, write_front_plots

    out.mkdir(parents=True, exist_ok=True)
    spec_file = out / f"{name}.yaml"
    spec_file.write_text(text)
    spec = load_sweep(spec_file)
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if total and (done == total or done % max(1, total // 10) == 0):
            print(f"  {done}/{total} points ({time.perf_counter() - started:.0f} s)", flush=True)

    summary = run_sweep(spec, out / f"{name}.db", LocalExecutor(workers), progress)
    print(
        f"{spec.name}: {summary.points} points, {summary.evaluated} evaluated in {summary.seconds:.1f} s "
        f"({summary.points_per_second:.2f} points/s), {summary.skipped} resumed from the store"
    )
    result: dict = {"points": summary.points, "plots": []}
    with Store(out / f"{name}.db") as store:
        for y, label in (("fj_per_op", "with DRAM"), ("onchip_fj_per_op", "on-chip only")):
            front = front_summary(store, "tops_per_mm2", y)
            plots = write_front_plots(store, out / f"{name}_{y}", "tops_per_mm2", y, f"{title} ({label})")
            result["plots"] += [str(p) for p in plots]
            result[y] = {
                "front": len(front.front),
                "feasible": front.feasible,
                "best_efficiency": front.best_y,
                "best_density": front.best_x,
            }
            print(f"\n{label}: {len(front.front)} Pareto points of {front.feasible} feasible")
            for what, row in (("lowest fJ/op", front.best_y), ("highest TOPS/mm2", front.best_x)):
                params = {k: row[k] for k in store.parameter_names() if k != "technology"}
                print(f"  {what:17s} {row[y]:9.1f} fJ/op  {row['tops_per_mm2']:.3f} TOPS/mm2  "
                      f"util {row['utilization']:.2f}  {row['area_mm2']:.2f} mm2  {params}")  # fmt: skip
        print(f"\npaper (XploreDL): {paper['fj_per_op']:g} fJ/op, {paper['tops_per_mm2']:g} TOPS/mm2")
        print("plots: " + ", ".join(result["plots"]))
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 points instead of 540")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("xploredl_out"))
    args = parser.parse_args(argv)
    return run_study(
        "alexnet" + ("_quick" if args.quick else ""),
        spec_text(args.quick),
        args.out,
        args.workers,
        PAPER,
        "AlexNet inference, 45 nm (XploreDL Fig. 4)",
    )


if __name__ == "__main__":
    main()
