"""`loopscape sweep` interrupted as users interrupt it: Ctrl-C (SIGINT to the whole process group, as a
terminal sends it) exits 130 with the finished points kept; kill -9 of the group at random moments, again and
again, then a re-run: the store ends identical to an uninterrupted run's."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from dse_helpers import SPEC, write_spec

from loopscape.dse import load_sweep, run_sweep
from loopscape.dse.store import Store

# SPEC has 16 small points; BIG 40, for 20 kills in a row
BIG = SPEC.replace("RFile.entries: [16, 64]", "RFile.entries: [16, 32, 64, 128, 256]")


def _count(path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _start(spec_file, store) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "loopscape",
        "sweep",
        str(spec_file),
        "--store",
        str(store),
        "--workers",
        "2",
    ]
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def _reference(tmp_path, spec_file):
    spec = load_sweep(spec_file)
    run_sweep(spec, tmp_path / "ref.db")
    with Store(tmp_path / "ref.db") as ref:
        return ref.snapshot(), spec.space_size


def test_ctrl_c_exits_130_keeping_the_finished_points(tmp_path):
    assert "RFile.entries: [16, 32, 64, 128, 256]" in BIG
    spec_file = write_spec(tmp_path, SPEC)
    want, total = _reference(tmp_path, spec_file)
    store = tmp_path / "s.db"
    proc = _start(spec_file, store)
    deadline = time.monotonic() + 120
    while _count(store) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    kept = _count(store)
    assert proc.returncode == 130, err
    assert f"interrupted: {kept} points kept in {store}" in err and "Traceback" not in err
    assert 2 <= kept < total, "the sweep finished before it could be interrupted"
    proc = _start(spec_file, store)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{kept} already in" in out
    with Store(store) as s:
        assert s.snapshot() == want


def _kill_until_done(tmp_path, kills: int, seed: int, spec: str) -> None:
    spec_file = write_spec(tmp_path, spec)
    want, total = _reference(tmp_path, spec_file)
    store = tmp_path / "killed.db"
    rng = random.Random(seed)
    done, killed, midway = 0, 0, 0
    for _ in range(kills):
        proc = _start(spec_file, store)
        target = done + rng.randint(1, 2)  # kill once 1 or 2 more points are in, plus a random moment
        deadline = time.monotonic() + 120
        while _count(store) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is not None:  # it finished first
            proc.communicate()
            break
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        killed += 1
        done = _count(store)
        midway += 0 < done < total
    assert midway >= min(kills - 1, 3), (killed, midway, done)  # a last kill may land at the end
    done = _count(store)
    proc = _start(spec_file, store)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"{done} already in" in out  # nothing repeated
    with Store(store) as s:
        assert s.snapshot() == want  # nothing lost, the same values


def test_kill_9_at_random_moments_then_resume(tmp_path):
    _kill_until_done(tmp_path, kills=2, seed=1, spec=SPEC)


@pytest.mark.slow
def test_kill_9_at_20_random_moments_then_resume(tmp_path):
    _kill_until_done(tmp_path, kills=20, seed=2, spec=BIG)
