"""`loopscape train` survives Ctrl-C and kill -9: real processes are interrupted at random (seeded) points, then
re-run with the same inputs; the re-run resumes from the checkpoint and writes what an uninterrupted run writes,
timings aside."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["train", "eyeriss", "alexnet", "--budget", "300", "--seed", "3"]  # 31 passes, a few seconds


def strip_timing(doc):
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items() if k != "seconds"}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def start(out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "loopscape", *ARGS, "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )


def finish(out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "loopscape", *ARGS, "--json", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


def kept(out: Path) -> int:
    try:
        with sqlite3.connect(Path(str(out) + ".checkpoint"), timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def wait_for(proc: subprocess.Popen, out: Path, units: int) -> None:
    deadline = time.monotonic() + 120
    while kept(out) < units and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("ref") / "ref.json"
    finish(out)
    assert not Path(str(out) + ".checkpoint").exists()  # removed once the output is written
    return strip_timing(json.loads(out.read_text()))


def test_ctrl_c_keeps_the_finished_passes_and_a_rerun_resumes(tmp_path, reference):
    out = tmp_path / "t.json"
    proc = start(out)
    wait_for(proc, out, 3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted:" in err and "Traceback" not in err
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True
    finished = len(doc["layers"])
    assert 3 <= finished < len(reference["layers"])
    assert strip_timing(doc["layers"]) == reference["layers"][:finished]  # the first passes, as they will be
    err = finish(out)
    assert "resuming:" in err
    assert strip_timing(json.loads(out.read_text())) == reference


def kill_and_resume(tmp_path: Path, reference: dict, kills: int, seed: int) -> None:
    out = tmp_path / "k.json"
    rng = random.Random(seed)
    midway = 0
    for _ in range(kills):
        proc = start(out)
        wait_for(proc, out, kept(out) + rng.randint(1, 2))
        time.sleep(rng.uniform(0.0, 0.2))
        if proc.poll() is not None:  # finished first
            proc.communicate()
            break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        midway += 0 < kept(out)
    assert midway >= min(kills - 1, 2)  # a last kill may land at the end
    finish(out)
    assert strip_timing(json.loads(out.read_text())) == reference


def test_kill_9_at_random_points_then_resume(tmp_path, reference):
    kill_and_resume(tmp_path, reference, kills=2, seed=5)


@pytest.mark.slow
def test_kill_9_at_20_random_points_then_resume(tmp_path, reference):
    kill_and_resume(tmp_path, reference, kills=20, seed=6)
