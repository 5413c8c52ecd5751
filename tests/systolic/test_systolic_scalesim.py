"""Every figure of SCALE-Sim 3.0.0's three reports, against its own runs in tests/data/scalesim/ (143 runs: 5
layer classes x 8/32/128 arrays x os/ws/is x CALC/USER with 4 kB buffers, plus 64 kB multi-layer topologies,
GEMMs and real AlexNet layers; each case folder holds its inputs and COMMAND.txt, the command that produced it,
written by benchmarks/scalesim_reference.py). Compared as SCALE-Sim prints them, to the last digit."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopscape.systolic.config import read_config, read_topology
from loopscape.systolic.model import evaluate
from loopscape.systolic.reports import REPORT_FILES, csv_text, layer_record
from loopscape.systolic.run import run_layer

DATA = Path(__file__).parents[1] / "data" / "scalesim"
CASES = (
    sorted(p.name for p in DATA.glob("*") if (p / "COMPUTE_REPORT.csv").is_file()) if DATA.is_dir() else []
)


def records(case: str, replay: bool = True) -> list[dict]:
    folder = DATA / case
    config = read_config(folder / "scale.cfg")
    topology = read_topology(folder / "topology.csv", "gemm" if case.startswith("gemm") else "conv")
    result = evaluate(config, topology.layers)
    return [
        layer_record(result, i, la.name, run_layer(config, la, result, i, replay=replay))
        for i, la in enumerate(topology.layers)
    ]


def test_reference_set_present() -> None:
    if not CASES:
        pytest.skip("no SCALE-Sim reference data in tests/data/scalesim/")
    assert len(CASES) >= 143
    assert sum(c.endswith("_user") for c in CASES) >= 70  # both bandwidth modes, about half each


@pytest.mark.parametrize("case", CASES)
def test_reports_match_scalesim(case: str) -> None:
    """Our three CSV files equal SCALE-Sim's, byte for byte."""
    ours = records(case)
    for name, columns in REPORT_FILES.items():
        theirs = (DATA / case / name).read_text(encoding="utf-8")
        assert csv_text(ours, columns) == theirs, name


def test_no_replay_leaves_only_replayed_reads_empty() -> None:
    """Without the replays, the CALC DRAM streams that need them are left out, nothing else."""
    case = "alexnet_conv1_32x32_os_calc"
    if not (DATA / case).is_dir():
        pytest.skip("no SCALE-Sim reference data")
    full, quick = records(case, replay=True)[0], records(case, replay=False)[0]
    missing = set(full) - set(quick)
    assert missing and all(k.startswith(("DRAM ", "Avg IFMAP DRAM", "Avg FILTER DRAM", "Avg OFMAP DRAM"))
                           for k in missing)  # fmt: skip
    assert quick["Total Cycles (incl. prefetch)"] is None
    assert {k: v for k, v in full.items() if k in quick and k != "Total Cycles (incl. prefetch)"} == {
        k: v for k, v in quick.items() if k != "Total Cycles (incl. prefetch)"
    }


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.endswith("_user") and not c.startswith("alexnet")][:12]
)
def test_physical_stalls(case: str) -> None:
    """The physical count: every row is served no earlier than asked, each late prefetch counted once; the
    stall-free length plus the stalls is the total, as in SCALE-Sim's own count."""
    folder = DATA / case
    config = read_config(folder / "scale.cfg")
    topology = read_topology(folder / "topology.csv", "gemm" if case.startswith("gemm") else "conv")
    result = evaluate(config, topology.layers)
    for i, la in enumerate(topology.layers):
        run = run_layer(config, la, result, i)
        assert run.physical_stall_cycles is not None and run.physical_stall_cycles >= 0
        stall_free = int(result.total_cycles[i])
        assert run.physical_total_cycles == stall_free + run.physical_stall_cycles
        assert run.total_cycles == stall_free + run.stall_cycles
