"""loopscape against published real Timeloop runs (tests/data/timeloop_published/README.md names them).

Each case is a Timeloop input as Timeloop read it (timeloopfe's processed `input.yaml`), the mapping
Timeloop evaluated, and the `*.stats.txt` it wrote. Every storage level's per-instance scalar reads, fills
and updates times its utilized instances, the utilized instances themselves, the MACs, the cycles and the
utilization must equal Timeloop's. The expected numbers are read from the published files, not typed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from loopscape.io import load_specs
from loopscape.model.evaluate import evaluate

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop_published"
CASES = sorted(p.name for p in DATA.iterdir() if p.is_dir())


@dataclass
class Stats:
    """What a Timeloop stats.txt says per storage level and tensor, and its summary."""

    counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # (level, tensor) -> ...
    energy_pj: dict[tuple[str, str], float] = field(default_factory=dict)  # (level, tensor) -> Energy (total)
    mac_energy_pj: float = 0.0
    macs: int = 0
    mac_instances: int = 0
    cycles: int = 0
    utilization: float = 0.0


_FIELDS = {
    "Scalar reads (per-instance)": "reads",
    "Scalar fills (per-instance)": "fills",
    "Scalar updates (per-instance)": "updates",
    "Utilized instances (max)": "instances",
}


def read_stats(path: Path) -> Stats:
    """Parse the per-level blocks ('=== Level ===', a tensor's 'Name:' line, its scalar counts) and the summary."""
    out = Stats()
    level = tensor = None
    in_levels = True
    for line in path.read_text().splitlines():
        if line.startswith(("Networks", "Summary Stats")):
            in_levels = False
        if m := re.fullmatch(r"=== (\S+) ===", line.strip()):
            level, tensor = m.group(1), None
            continue
        if not in_levels or level is None:
            if m := re.fullmatch(r"Cycles: (\d+)", line.strip()):
                out.cycles = int(m.group(1))
            elif m := re.fullmatch(r"Utilization: ([0-9.]+)(%?)", line.strip()):
                out.utilization = float(m.group(1)) / (100 if m.group(2) else 1)
            elif m := re.fullmatch(r"(?:MACCs|Computes) = (\d+)", line.strip()):
                out.macs = int(m.group(1))
            continue
        if m := re.fullmatch(r" {4}(\w+):", line):
            tensor = None if m.group(1) == "Shared" else m.group(1)  # 'Shared:' heads the level's own lines
            continue
        if m := re.fullmatch(r"\s+Utilized instances\s+: (\d+)", line):
            out.mac_instances = int(m.group(1))  # the arithmetic level's own line (no "(max)")
            continue
        key, _, value = line.strip().partition(":")
        if tensor is not None and key.strip() in _FIELDS:
            out.counts.setdefault((level, tensor), {})[_FIELDS[key.strip()]] = int(value.split()[0])
        elif key.strip() == "Energy (total)":
            if tensor is not None:
                out.energy_pj[(level, tensor)] = float(value.split()[0])
            elif line.startswith("    Energy"):  # the arithmetic level's own line
                out.mac_energy_pj = float(value.split()[0])
    return out


def _files(name: str) -> list[Path]:
    return sorted(p for p in (DATA / name).glob("*.yaml"))


def _stats_file(name: str) -> Path:
    return next((DATA / name).glob("*.stats.txt"))


@pytest.fixture(scope="module")
def evaluated():
    cache: dict[str, tuple] = {}

    def get(name: str):
        if name not in cache:
            specs = load_specs([str(p) for p in _files(name)])
            cache[name] = (specs, evaluate(specs.arch, specs.workload, specs.mapping, specs.energy),
                           read_stats(_stats_file(name)))  # fmt: skip
        return cache[name]

    return get


def test_the_stats_parser_reads_every_level():
    stats = read_stats(_stats_file("simba_like"))
    assert stats.cycles == 451584 and stats.macs == 10838016 and stats.mac_instances == 24
    assert stats.utilization == pytest.approx(0.0938)
    assert stats.counts[("GlobalBuffer", "Inputs")] == {
        "instances": 1, "reads": 164934, "fills": 155925, "updates": 0
    }  # fmt: skip
    assert len(stats.counts) == 9  # 7 storage levels keeping 1-3 tensors; the dummy levels keep none


@pytest.mark.parametrize("name", CASES)
def test_every_count_equals_timeloops(name, evaluated):
    specs, res, stats = evaluated(name)
    names = [lv.name for lv in specs.arch.levels]
    got, want = {}, {}
    for (level, tensor), exp in stats.counts.items():
        lv = names.index(level)
        a = res.counts.levels[lv].get(tensor)
        n = exp["instances"]
        want[(level, tensor)] = {k: exp[k] * n for k in ("reads", "fills", "updates")} | {"instances": n}
        got[(level, tensor)] = None if a is None else {
            "reads": a.reads, "fills": a.fills, "updates": a.updates, "instances": res.counts.instances_used[lv]
        }  # fmt: skip
    assert got == want
    # every level that keeps a tensor in loopscape has it in Timeloop's stats, and the other way round
    kept = {(names[lv], t) for lv in range(len(names)) for t in res.counts.levels[lv]}
    assert kept == set(stats.counts)


ERT_CASES = [c for c in CASES if any((DATA / c).glob("*ERT*.yaml"))]


@pytest.mark.parametrize("name", ERT_CASES)
def test_energy_with_the_runs_own_table(name, evaluated):
    """With the run's own ERT (Accelergy's, version 0.4: read, write and update with argument variants),
    every (level, tensor) energy and the MACs' energy equal Timeloop's, printed to 0.01 pJ."""
    specs, res, stats = evaluated(name)
    names = [lv.name for lv in specs.arch.levels]
    got = {k: round(sum(res.levels[names.index(k[0])].energy_pj[k[1]].values()), 2) for k in stats.energy_pj}
    assert got == pytest.approx(stats.energy_pj, abs=0.005 + 1e-9)
    assert res.compute_energy_pj == pytest.approx(stats.mac_energy_pj, abs=0.005 + 1e-9)


def test_there_are_energy_cases():
    assert len(ERT_CASES) >= 3


@pytest.mark.parametrize("name", CASES)
def test_macs_cycles_and_utilization(name, evaluated):
    _, res, stats = evaluated(name)
    assert res.macs == stats.macs
    assert res.counts.compute_instances_used == stats.mac_instances
    assert res.cycles == stats.cycles
    assert res.utilization == pytest.approx(stats.utilization, abs=5e-5 + 1e-12)  # printed as a % to 2 places


def test_mapper_benchmark_runs_against_a_published_run():
    """benchmarks/bench_timeloop_mapper.py --published: the published best and loopscape's, in one model."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "bench_timeloop_mapper.py"), "--published",
         str(DATA / "simba_like"), "--ls-seconds", "0.5", "--no-ladder", "--no-even"],
        check=False, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "timeloop-mapper (published)" in proc.stdout
    assert "46.539" in proc.stdout  # its best mapping's EDP in loopscape's model (J*cycle)
    assert "lower EDP than the published timeloop-mapper best:" in proc.stdout
