"""XploreDL (Colucci et al., CODES+ISSS 2020 WiP), Fig. 3: a DSE of training accelerators for DeepCaps on MNIST
at 45 nm (one training step: forward, backward-data, backward-weight and weight update of every layer, capsule
routing included), every design point in fJ/op against TOPS/mm2, the Pareto front highlighted. The paper's best
solutions reach 800 fJ/op and 0.4 TOPS/mm2 (Sec. III-A); docs/dse.md compares.

The paper gives neither its design space nor its energy tables, so the space here is ours: an Eyeriss-like
template at 45 nm with 16-bit words (training), the PE array, the buffer and register-file sizes varied
(36 points; --quick: 2). A point maps the step's 190 passes and takes a few seconds.

    python examples/xploredl_deepcaps_training.py [--quick] [--workers N] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SPEC = """\
sweep:
  name: xploredl-deepcaps-training-45nm
  template: eyeriss
  parameters:
    technology: 45nm
    word_bits: 16
    pe_x: {pe_x}
    pe_y: {pe_y}
    GBuf.size_kb: {gbuf}
    GBuf.bandwidth: 64
    RFile.entries: {rf}
    DRAM.shared_bandwidth: 16
  workloads:
    - {{network: deepcaps, training: true}}
  mapper: {{objective: edp, budget: 256, seed_orders: 4}}
"""
FULL = {"pe_x": [8, 16, 32], "pe_y": [8, 16, 32], "gbuf": [64, 256], "rf": [16, 64]}
QUICK = {"pe_x": [16], "pe_y": [16], "gbuf": [64], "rf": [16, 64]}
# XploreDL, Sec. III-A: "best solutions achieved 800 fJ/op for energy efficiency and 0.4 TOPS/mm2"
PAPER = {"fj_per_op": 800.0, "tops_per_mm2": 0.4}


def spec_text(quick: bool) -> str:
    """The sweep spec (YAML) of the full study or of the quick one."""
    return SPEC.format(**(QUICK if quick else FULL))


def main(argv: list[str] | None = None) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    from xploredl_alexnet import run_study  # the same study steps as Fig. 4's

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 points instead of 36")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("xploredl_out"))
    args = parser.parse_args(argv)
    return run_study(
        "deepcaps_training" + ("_quick" if args.quick else ""),
        spec_text(args.quick),
        args.out,
        args.workers,
        PAPER,
        "DeepCaps training, 45 nm (XploreDL Fig. 3)",
    )


if __name__ == "__main__":
    main()
