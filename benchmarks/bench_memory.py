"""Peak memory of `loopscape network` on the largest built-in networks, and whether it grows with the network.

Each run is a child process (`python -m loopscape network ARCH NET --budget B --json FILE`); its peak resident
set size comes from `os.wait4`'s rusage (`ru_maxrss`, KiB on Linux) and its wall time from the clock. Three
groups of runs:

- baseline: `python -m loopscape zoo` (the interpreter, numpy, numba and the package imported);
- zoo: the largest built-in networks by layers and by MACs (default: bert_base, xception, deepcaps,
  mobilenetv2, resnet50, vgg19, deepbench) and a small one (rced);
- synthetic: chains of K distinct conv layers (K = 8, 32, 128 by default; no two of the same shape, so every
  layer is searched) on the same architecture: if memory grew with the number of layers, it would show here
  at a fixed per-layer cost.

    python benchmarks/bench_memory.py [--arch eyeriss] [--budget 2000] [--networks a,b] [--chains 8,32,128]

A benchmark, never a test (tests/fuzz/test_memory_structure.py checks the structural property instead).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

LARGEST = ("bert_base", "xception", "deepcaps", "mobilenetv2", "resnet50", "vgg19", "deepbench")
SMALL = ("rced",)


@dataclass(frozen=True)
class Run:
    """One child process: what it ran, its exit status, peak RSS (MiB) and wall time (s)."""

    label: str
    layers: int
    status: int
    peak_mib: float
    seconds: float


def measure(label: str, layers: int, args: list[str]) -> Run:
    """Run `python -m loopscape ARGS` as a child and read its peak RSS from wait4's rusage."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                                        os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "loopscape", *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    _stderr = child.stderr.read() if child.stderr else b""
    _pid, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        print(f"  {label}: exit status {child.returncode}: {_stderr.decode(errors='replace')[-400:]}")
    return Run(label, layers, child.returncode, usage.ru_maxrss / 1024, seconds)


def chain_yaml(n: int) -> str:
    """A network of `n` conv layers of distinct shapes (K grows by 2 per layer; each layer's C is the last K)."""
    layers = "".join(
        f"    - {{name: c{i}, type: conv, K: {8 + 2 * i}, R: 3, padding: 1}}\n" for i in range(n)
    )
    return f"network:\n  name: chain{n}\n  input: {{C: 3, H: 14, W: 14}}\n  layers:\n{layers}"


def zoo_layers(name: str) -> int:
    from loopscape.workload import networks

    return len(networks.get(name).layers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", default="eyeriss")
    ap.add_argument("--budget", type=int, default=2000, help="mappings per distinct layer shape")
    ap.add_argument("--networks", default=",".join(SMALL + LARGEST))
    ap.add_argument("--chains", default="8,32,128", help="layer counts of the synthetic chains ('' for none)")
    a = ap.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"loopscape network {a.arch} NET --budget {a.budget}; peak RSS of the child (ru_maxrss)\n")
    runs = [measure("baseline (loopscape zoo)", 0, ["zoo"])]
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "result.json")
        for name in filter(None, a.networks.split(",")):
            args = ["network", a.arch, name, "--budget", str(a.budget), "--json", out]
            runs.append(measure(name, zoo_layers(name), args))
            print(f"  {runs[-1]}")
        for n in (int(x) for x in a.chains.split(",") if x):
            path = Path(tmp) / f"chain{n}.yaml"
            path.write_text(chain_yaml(n))
            args = ["network", a.arch, str(path), "--budget", str(a.budget), "--json", out]
            runs.append(measure(f"chain of {n} distinct convs", n, args))
            print(f"  {runs[-1]}")
    print(f"\n{'run':<34} {'layers':>6} {'peak RSS MiB':>12} {'seconds':>8}  status")
    for r in runs:
        print(f"{r.label:<34} {r.layers:>6} {r.peak_mib:>12.1f} {r.seconds:>8.1f}  {r.status}")


if __name__ == "__main__":
    main()
