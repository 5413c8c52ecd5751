"""`loopscape map` survives Ctrl-C and kill -9: Ctrl-C reports the best mapping so far (exit 130), and with
--json OUT the incumbent is checkpointed every ~2 s of search, so that a re-run after a kill starts from it and
never ends worse (issue 12 item 4). Real processes, killed at random points (seeded delays)."""

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
import yaml
from click.testing import CliRunner

import loopscape.mapper as mapper_package
from loopscape.cli import BUILTIN, loopscape
from loopscape.io.checkpoint import Checkpoint, checkpoint_path, fingerprint
from loopscape.mapper.search import Tracker

# The demo layer on the demo architecture: ~4 s of search, ~6 s a run; the budget stops it, not patience.
FILES = [str(BUILTIN / "demo_workload.yaml"), str(BUILTIN / "demo_arch.yaml")]
ARGS = ["map", *FILES, "--budget", "120000", "--seed", "3"]
TIMING_KEYS = {"seconds"}


def strip_timing(doc):
    if isinstance(doc, dict):
        return {k: strip_timing(v) for k, v in doc.items() if k not in TIMING_KEYS}
    if isinstance(doc, list):
        return [strip_timing(v) for v in doc]
    return doc


def keys(doc, prefix: str = "") -> set[str]:
    """Every key path of a JSON document (the layout, without the values)."""
    if isinstance(doc, dict):
        return {p for k, v in doc.items() for p in {prefix + k} | keys(v, prefix + k + ".")}
    return set()


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


def incumbent(out: Path) -> dict | None:
    """The incumbent the checkpoint of `out` holds (a kill -9 must leave it readable), or None."""
    path = Path(str(out) + ".checkpoint")
    if not path.exists():
        return None
    with sqlite3.connect(str(path), timeout=30) as conn:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'units'").fetchone() is None:
            return None
        row = conn.execute("SELECT value FROM units WHERE key = 'incumbent'").fetchone()
    return None if row is None else json.loads(row[0])


def wait_for_incumbent(proc: subprocess.Popen, out: Path) -> None:
    deadline = time.monotonic() + 120
    while incumbent(out) is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert incumbent(out) is not None, "no incumbent was checkpointed"


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("ref") / "ref.json"
    run(out)
    assert not Path(str(out) + ".checkpoint").exists()
    return json.loads(out.read_text())


def check_resumed(doc: dict, before: dict | None, reference: dict) -> None:
    """A finished re-run: the uninterrupted run's JSON when nothing was kept; else its layout, an objective value
    no worse than the kept incumbent's, and the effort of every run counted."""
    if before is None:
        assert strip_timing(doc) == strip_timing(reference)
        return
    assert keys(doc) - {"search.resumed_from"} - {f"search.resumed_from.{k}" for k in before} == keys(
        reference
    )
    assert doc["search"]["value"] <= before["value"][0]
    assert doc["search"]["resumed_from"]["evaluated"] == before["evaluated"]
    assert doc["search"]["evaluated"] > before["evaluated"]
    assert doc["search"]["value"] == pytest.approx(doc["energy_pj"] * doc["cycles"], rel=1e-9)


def kill(out: Path, delay: float) -> subprocess.Popen:
    proc = start(out)
    try:
        proc.communicate(timeout=delay)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate()
    return proc


def test_kill_9_then_rerun_starts_from_the_incumbent(tmp_path, reference) -> None:
    out = tmp_path / "killed.json"
    proc = start(out)
    wait_for_incumbent(proc, out)
    time.sleep(random.Random(7).uniform(0.0, 1.0))
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL and not out.exists()
    before = incumbent(out)
    res = run(out)
    assert f"resuming from {out}.checkpoint: best edp {before['value'][0]:.6g}" in res.stderr
    assert not Path(str(out) + ".checkpoint").exists()
    check_resumed(json.loads(out.read_text()), before, reference)


def test_ctrl_c_reports_the_best_so_far_and_a_rerun_resumes(tmp_path) -> None:
    out = tmp_path / "partial.json"
    proc = start(out)
    wait_for_incumbent(proc, out)
    time.sleep(random.Random(3).uniform(0.0, 0.5))
    proc.send_signal(signal.SIGINT)
    stdout, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True and doc["search"]["stopped"] == "interrupted"
    assert doc["search"]["value"] == pytest.approx(doc["energy_pj"] * doc["cycles"], rel=1e-9)
    assert "interrupted: the best of" in err and "best edp" in stdout
    before = incumbent(out)  # Ctrl-C leaves the checkpoint with the incumbent it reported
    assert before is not None and before["value"][0] == doc["search"]["value"]
    assert before["evaluated"] == doc["search"]["evaluated"]
    res = run(out)
    assert "resuming from" in res.stderr
    resumed = json.loads(out.read_text())
    assert "interrupted" not in resumed and resumed["search"]["value"] <= doc["search"]["value"]
    assert not Path(str(out) + ".checkpoint").exists()


def test_ctrl_c_writes_the_timeloop_mapping_of_the_best_so_far(monkeypatch, tmp_path) -> None:
    real = Tracker.evaluate
    calls = {"n": 0}

    def evaluate(self, batch):  # Ctrl-C arrives during the third batch
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, batch)

    monkeypatch.setattr(Tracker, "evaluate", evaluate)
    out, tl = tmp_path / "partial.json", tmp_path / "partial.map.yaml"
    res = CliRunner().invoke(loopscape, [*ARGS, "--json", str(out), "--timeloop", str(tl)])
    assert res.exit_code == 130, res.output
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True and doc["search"]["stopped"] == "interrupted"
    assert "mapping" in yaml.safe_load(tl.read_text())
    assert incumbent(out)["value"][0] == doc["search"]["value"]  # kept for a re-run


def test_ctrl_c_before_anything_valid_says_so(monkeypatch, tmp_path) -> None:
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(mapper_package, "search", interrupted)
    res = CliRunner().invoke(loopscape, [*ARGS, "--json", str(tmp_path / "out.json")])
    assert res.exit_code == 130
    assert "interrupted: no valid mapping found yet" in res.stderr
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "out.json.checkpoint").exists()


def test_checkpoint_of_other_inputs_exits_2(tmp_path) -> None:
    out = tmp_path / "out.json"
    with Checkpoint(checkpoint_path(out), fingerprint("another run")) as kept:
        kept.put("incumbent", {"value": [1.0]})
    res = CliRunner().invoke(loopscape, [*ARGS, "--json", str(out)])
    assert res.exit_code == 2, res.output
    assert "a checkpoint of a run with other inputs" in res.stderr and f"{out}.checkpoint" in res.stderr
    assert incumbent(out) == {"value": [1.0]}  # refused, not overwritten


@pytest.mark.slow
def test_kill_9_at_20_random_points_in_a_row(tmp_path, reference) -> None:
    """20 kills, each re-run resuming from the incumbent the previous ones kept (never worse than it); whenever
    a run gets to the end it is checked and the next kill starts a fresh search."""
    rng = random.Random(2026)
    out = tmp_path / "killed.json"
    kills = 0
    while kills < 20:
        before = incumbent(out)
        proc = kill(out, rng.uniform(0.5, 7.0))
        if proc.returncode == 0:
            check_resumed(json.loads(out.read_text()), before, reference)
            assert not Path(str(out) + ".checkpoint").exists()
            out.unlink()
            continue
        assert proc.returncode == -signal.SIGKILL
        kills += 1
        if out.exists():  # killed after its JSON was written (atomically): complete, checkpoint gone or going
            check_resumed(json.loads(out.read_text()), before, reference)
            out.unlink()
            for suffix in ("", "-journal"):
                Path(f"{out}.checkpoint{suffix}").unlink(missing_ok=True)
            continue
        after = incumbent(out)
        if before is not None:
            assert after["value"][0] <= before["value"][0] and after["evaluated"] >= before["evaluated"]
    before = incumbent(out)
    run(out)
    check_resumed(json.loads(out.read_text()), before, reference)


def test_ctrl_c_inside_a_numba_kernel_load_is_a_ctrl_c(monkeypatch, tmp_path) -> None:
    """numba's dispatcher turns a KeyboardInterrupt that lands while it loads a kernel into a SystemError."""
    real = Tracker.evaluate
    calls = {"n": 0}

    def evaluate(self, batch):
        calls["n"] += 1
        if calls["n"] == 3:
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise SystemError("<function> returned a result with an exception set") from None
        return real(self, batch)

    monkeypatch.setattr(Tracker, "evaluate", evaluate)
    out = tmp_path / "partial.json"
    res = CliRunner().invoke(loopscape, [*ARGS, "--json", str(out)])
    assert res.exit_code == 130, res.output
    assert json.loads(out.read_text())["interrupted"] is True
