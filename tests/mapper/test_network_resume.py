"""`loopscape network` survives kill -9 and Ctrl-C: real processes are killed at random points (seeded delays),
then re-run with the same inputs; the re-run resumes from the checkpoint and writes the JSON an uninterrupted run
writes, timings aside (issue 12 item 4)."""

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
from click.testing import CliRunner

import loopscape.mapper.network as network_module
from loopscape.cli import loopscape
from loopscape.io.checkpoint import Checkpoint, fingerprint

ARGS = ["network", "eyeriss", "resnet18", "--budget", "100", "--seed", "1"]  # 31 layers, 18 shapes: ~4 s
TIMING_KEYS = {"seconds"}  # wall-clock figures: the only thing allowed to differ from an uninterrupted run


def strip_timing(doc):
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items() if k not in TIMING_KEYS}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def start(out: Path, *extra: str) -> subprocess.Popen:
    """The command as a real process (SIGINT at its default, so that Python turns it into KeyboardInterrupt)."""
    return subprocess.Popen(
        [sys.executable, "-m", "loopscape", *ARGS, "--json", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # SIGINT at its default even when this test runs where it is ignored (a background job); no threads here
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )


def run(out: Path, *extra: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "loopscape", *ARGS, "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def kept_units(path: Path) -> list[str]:
    """The layers a checkpoint holds (a kill -9 must leave it readable: SQLite's journal keeps it whole)."""
    if not path.exists():
        return []
    with sqlite3.connect(str(path), timeout=30) as conn:
        return [k for (k,) in conn.execute("SELECT key FROM units")] if _has_units(conn) else []


def _has_units(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'units'").fetchone() is not None


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """The uninterrupted run's JSON (its checkpoint removed once written)."""
    out = tmp_path_factory.mktemp("ref") / "ref.json"
    run(out)
    assert not Path(str(out) + ".checkpoint").exists()
    return json.loads(out.read_text())


def kill_and_check(out: Path, delay: float, reference: dict, after_layers: int = 0) -> str:
    """Start the job, SIGKILL it `delay` s after its checkpoint holds `after_layers` layers (0: after start),
    check what it left: a readable checkpoint of whole layers (in network order) and either no JSON or the
    complete one. Returns 'killed' or 'finished' (it ran out first)."""
    proc = start(out)
    cp = Path(str(out) + ".checkpoint")
    while after_layers and len(kept_units(cp)) < after_layers and proc.poll() is None:
        time.sleep(0.02)
    try:
        proc.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    if proc.returncode == 0:
        assert not cp.exists()
        assert strip_timing(json.loads(out.read_text())) == strip_timing(reference)
        return "finished"
    assert proc.returncode == -signal.SIGKILL
    names = [layer["name"] for layer in reference["layers"]]
    units = sorted(kept_units(cp), key=lambda k: int(k.split(":")[0]))
    assert units == [f"{i}:{n}" for i, n in enumerate(names[: len(units)])]  # a prefix, each layer whole
    if out.exists():  # killed after the JSON was written (atomically) and before the checkpoint was removed
        assert strip_timing(json.loads(out.read_text())) == strip_timing(reference)
    return "killed"


def resume_and_compare(out: Path, reference: dict) -> None:
    """Re-run to completion: it says how many layers it resumes, writes the uninterrupted JSON, removes the
    checkpoint."""
    cp = Path(str(out) + ".checkpoint")
    kept = len(kept_units(cp))
    proc = run(out)
    if kept:
        assert f"resuming: {kept} of {len(reference['layers'])} layers from {cp}" in proc.stderr
    else:
        assert "resuming" not in proc.stderr
    assert not cp.exists()
    doc = json.loads(out.read_text())
    assert strip_timing(doc) == strip_timing(reference)
    assert json.dumps(strip_timing(doc), sort_keys=True) == json.dumps(
        strip_timing(reference), sort_keys=True
    )


def test_kill_9_twice_then_resume_gives_the_uninterrupted_json(tmp_path, reference) -> None:
    """Killed at random points of its progress (after a random number of finished layers, plus up to 0.5 s),
    so that the kills land mid-run on a fast machine too."""
    rng = random.Random(12)
    out = tmp_path / "killed.json"
    cp = Path(str(out) + ".checkpoint")
    for _ in range(2):
        kept = len(kept_units(cp))
        assert kill_and_check(out, rng.uniform(0.0, 0.5), reference, kept + rng.randint(1, 8)) == "killed"
        assert len(kept_units(cp)) > kept  # each run got further
    resume_and_compare(out, reference)


@pytest.mark.slow
def test_kill_9_at_20_random_points_in_a_row(tmp_path, reference) -> None:
    """20 kills, each re-run resuming the previous one's checkpoint; whenever a run gets to the end its JSON is
    compared with the uninterrupted one and the next kill starts a fresh job."""
    rng = random.Random(2026)
    out = tmp_path / "killed.json"
    kills = 0
    while kills < 20:
        if kill_and_check(out, rng.uniform(0.3, 5.0), reference) == "killed":
            kills += 1
        else:
            out.unlink()
    resume_and_compare(out, reference)


def test_ctrl_c_keeps_finished_layers_and_a_rerun_resumes(tmp_path, reference) -> None:
    out = tmp_path / "partial.json"
    cp = Path(str(out) + ".checkpoint")
    proc = start(out)
    deadline = time.monotonic() + 120
    while len(kept_units(cp)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random(5).uniform(0.0, 0.5))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True
    n = len(doc["layers"])
    assert 3 <= n < len(reference["layers"])
    assert f"interrupted: {n} of {len(reference['layers'])} layers finished" in err
    assert strip_timing(doc["layers"]) == strip_timing(reference["layers"][:n])
    assert len(kept_units(cp)) == n  # every finished layer is in the checkpoint
    resume_and_compare(out, reference)


def test_checkpoint_of_other_inputs_is_refused(tmp_path) -> None:
    cp = tmp_path / "explicit.checkpoint"
    with Checkpoint(cp, fingerprint("another run")) as kept:
        kept.put("0:conv1", {"reused": False})
    res = CliRunner().invoke(
        loopscape, [*ARGS, "--json", str(tmp_path / "out.json"), "--checkpoint", str(cp)]
    )
    assert res.exit_code == 2, res.output
    assert "a checkpoint of a run with other inputs" in res.stderr and str(cp) in res.stderr
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert kept_units(cp) == ["0:conv1"]  # refused, not overwritten


def test_ctrl_c_before_any_layer_finished_exits_130_leaving_no_checkpoint(monkeypatch, tmp_path) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(network_module, "search_layer", interrupted)
    out = tmp_path / "out.json"
    res = CliRunner().invoke(loopscape, [*ARGS, "--json", str(out)])
    assert res.exit_code == 130, res.output
    assert "interrupted: no layer finished" in res.stderr
    assert not out.exists() and not Path(f"{out}.checkpoint").exists()
