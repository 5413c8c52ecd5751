"""Determinism: the same inputs and seed give the same JSON, bit for bit (timings aside), on one core and on
all cores, for a network mapping and a single-layer search (issue 12). Run as real processes, since the
thread count is fixed when numba starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TIMING_KEYS = {"seconds"}  # wall-clock figures: the only thing allowed to differ


def strip_timing(doc):
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items() if k not in TIMING_KEYS}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def run_json(args: list[str], threads: int, out: Path) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    cmd = [sys.executable, "-m", "loopscape", *args, "--json", str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize(
    "args",
    [
        ["network", "eyeriss", "alexnet", "--budget", "600", "--seed", "3"],
        [
            "map",
            "{builtin}/demo_workload.yaml",
            "{builtin}/demo_arch.yaml",
            "--budget",
            "3000",
            "--seed",
            "5",
        ],
    ],
    ids=["network", "map"],
)
def test_one_core_and_all_cores_agree(args: list[str], tmp_path: Path) -> None:
    from loopscape.cli import BUILTIN

    args = [a.format(builtin=BUILTIN) for a in args]
    cores = max(2, os.cpu_count() or 2)
    one = run_json(args, 1, tmp_path / "one.json")
    many = run_json(args, cores, tmp_path / "many.json")
    again = run_json(args, cores, tmp_path / "again.json")
    assert strip_timing(one) == strip_timing(many) == strip_timing(again)
    assert json.dumps(strip_timing(one), sort_keys=True) == json.dumps(strip_timing(many), sort_keys=True)
