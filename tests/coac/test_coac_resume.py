"""`loopscape coac` killed (SIGKILL) or interrupted (SIGINT) at random points resumes from its checkpoint to the
uninterrupted run's result, leaves no worker behind, and a library cost table resumed from half a checkpoint
equals the full one bit for bit."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from loopscape.coac.costs import (
    TemporalSearch,
    coac_architecture,
    cost_table,
    pinned,
    results_fingerprint,
    task_key,
)
from loopscape.coac.su import enumerate_sus, parse_pes
from loopscape.energy.defaults import default_table
from loopscape.io.checkpoint import Checkpoint
from loopscape.workload import networks as zoo

# RCED on a 4x4 array with a small budget: 519 layer searches, a run of a few seconds (most of it starting
# up: the searches themselves take about 1.5 s on two processes)
ARGS = ["rced", "--pe", "4x4", "--max-sus", "2", "--budget", "60"]
CHECKPOINT = "run.checkpoint"
RESUMING = re.compile(r"resuming: (\d+) of (\d+) layer searches from (\S+)")
INTERRUPTED = re.compile(r"interrupted: (\d+) of (\d+) layer searches kept in (\S+); re-run to resume")


def start(cwd: Path, *extra: str, workers: int = 2) -> subprocess.Popen:
    """`python -m loopscape coac ...` in a session of its own (its workers share its process group)."""
    cmd = [sys.executable, "-m", "loopscape", "coac", *ARGS, "--workers", str(workers), "--out", "out.json"]
    cmd += ["--checkpoint", CHECKPOINT, *extra]
    return subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )


def group_alive(pgid: int) -> list[int]:
    """Processes still in process group `pgid` (Linux /proc)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def assert_no_orphans(pgid: int) -> None:
    """Every process of the run ends soon after its main process (workers watch their parent)."""
    if not Path("/proc/self/stat").exists():
        return
    deadline = time.monotonic() + 10
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = group_alive(pgid)
    if left:
        os.killpg(pgid, signal.SIGKILL)
    assert not left, f"worker processes outlived the run: {left}"


def kept_units(path: Path) -> int:
    """Finished searches in a checkpoint file (0 while it does not exist yet). Opened read-write (never
    created) so that SQLite rolls back the journal of a commit that a kill cut short, as the next run does."""
    if not path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    except sqlite3.OperationalError:
        if not path.exists():  # removed in between: the run completed
            return 0
        raise
    try:
        return conn.execute("SELECT count(*) FROM units").fetchone()[0]
    except sqlite3.OperationalError as e:
        if "no such table" in str(e):  # created, tables not yet
            return 0
        raise
    finally:
        conn.close()


def result(path: Path) -> dict:
    """The JSON output without its wall-clock field."""
    doc = json.loads(path.read_text())
    doc.pop("seconds")
    return doc


def wait_for(proc: subprocess.Popen, ready, timeout: float = 120) -> bool:
    """Poll until `ready()` or the run ends; True when ready while it still runs."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(0.01)
    return False


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> tuple[dict, int, float]:
    """The uninterrupted run: its result, its number of layer searches and its wall time."""
    cwd = tmp_path_factory.mktemp("baseline")
    t0 = time.monotonic()
    proc = start(cwd)
    _, err = proc.communicate(timeout=300)
    seconds = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert not (cwd / CHECKPOINT).exists(), "the checkpoint is removed when the run completes"
    doc = result(cwd / "out.json")
    return doc, doc["searches"], seconds


def kill_and_resume(cwd: Path, baseline: tuple[dict, int, float], kills: int, seed: int) -> None:
    """Kill -9 the run `kills` times at random points (half at a random time, half once a random number of
    searches more than before is kept), alternating one and two processes, each time checking what is on
    disk; then re-run to completion and compare."""
    expected, total, seconds = baseline
    rng = random.Random(seed)
    cp, out = cwd / CHECKPOINT, cwd / "out.json"
    previous_kept = 0
    for k in range(kills):
        proc = start(cwd, workers=1 + k % 2)
        if k % 2 and previous_kept < total - 1:  # once a random number of searches more than before is kept
            target = rng.randint(previous_kept + 1, total - 1)
            wait_for(proc, lambda target=target: kept_units(cp) >= target)
        else:  # at a random time: starting, searching, combining, writing or ending
            time.sleep(rng.uniform(0.0, seconds))
        os.kill(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert_no_orphans(proc.pid)
        assert "Traceback" not in err, err
        resumed = RESUMING.search(err)
        if resumed:  # it got as far as reading the checkpoint: all that the last run kept is there
            assert int(resumed[1]) >= previous_kept and int(resumed[2]) == total, err
        finished = out.exists()
        if finished:  # written atomically: whole and right, even if the kill came just after
            assert result(out) == expected
            out.unlink()
        kept = kept_units(cp)
        if proc.returncode == 0:  # it finished first: no checkpoint left
            assert finished and not cp.exists()
        else:
            assert proc.returncode == -signal.SIGKILL
        if not finished:
            assert previous_kept <= kept <= total, "a kill never loses a kept search"
        previous_kept = kept  # after a finished run: 0, or all if it was killed before removing the file
    proc = start(cwd)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    if previous_kept:
        resumed = RESUMING.search(err)
        assert resumed and int(resumed[1]) == previous_kept and int(resumed[2]) == total, err
        assert resumed[3] == CHECKPOINT
    assert result(out) == expected
    assert not cp.exists()
    assert_no_orphans(proc.pid)


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, baseline):
    kill_and_resume(tmp_path, baseline, kills=3, seed=1)


@pytest.mark.slow
def test_kill_9_at_twenty_random_points_in_a_row(tmp_path, baseline):
    kill_and_resume(tmp_path, baseline, kills=20, seed=20)


def test_ctrl_c_in_the_layer_searches_keeps_them_and_exits_130(tmp_path, baseline):
    """SIGINT to the whole process group, as a terminal's Ctrl-C: message, exit 130, no traceback, no worker
    left; the re-run resumes from exactly what was kept and completes."""
    expected, total, _ = baseline
    cp = tmp_path / CHECKPOINT
    proc = start(tmp_path)
    assert wait_for(proc, lambda: kept_units(cp) >= 5), "the run ended before 5 searches were kept"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted" not in err, err
    said = INTERRUPTED.search(err)
    assert said, err
    kept = int(said[1])
    assert 5 <= kept == kept_units(cp) and int(said[2]) == total and said[3] == CHECKPOINT
    assert_no_orphans(proc.pid)
    proc = start(tmp_path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert RESUMING.search(err).group(1, 2) == (str(kept), str(total)), err
    assert result(tmp_path / "out.json") == expected and not cp.exists()


def test_ctrl_c_in_the_combination_search_exits_130(tmp_path, baseline):
    """Once every layer search is kept the SU-combination search runs (unpruned, up to 3 SUs: some 200,000
    combinations, so it lasts); Ctrl-C there says all are kept; a re-run with the default pruning and 2 SUs
    (the searches do not depend on them) resumes every layer search and gives the uninterrupted result."""
    expected, total, _ = baseline
    cp = tmp_path / CHECKPOINT
    proc = start(tmp_path, "--no-prune", "--max-sus", "3")
    assert wait_for(proc, lambda: kept_units(cp) >= total), "the run ended before its combination search"
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    assert INTERRUPTED.search(err).group(1, 2, 3) == (str(total), str(total), CHECKPOINT), err
    assert_no_orphans(proc.pid)
    proc = start(tmp_path)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert RESUMING.search(err).group(1, 2) == (str(total), str(total)), err
    assert result(tmp_path / "out.json") == expected and not cp.exists()


def test_a_checkpoint_of_other_inputs_is_refused(tmp_path):
    """The same checkpoint file with another --budget: a message naming it, exit 2, the file untouched."""
    cp = tmp_path / CHECKPOINT
    fp = results_fingerprint(coac_architecture(4), default_table(coac_architecture(4)), TemporalSearch(7, 7))
    with Checkpoint(cp, fp) as c:
        c.put("x", [1.0])
    proc = start(tmp_path)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, err
    assert "other inputs" in err and str(CHECKPOINT) in err and "Traceback" not in err
    assert kept_units(cp) == 1


def test_default_checkpoint_is_named_after_the_run_and_stable(tmp_path):
    """Without --checkpoint the file is named from a fingerprint that is the same in every process (no set
    order from the string hash in it), so a plain re-run finds it."""
    code = (
        "from loopscape.coac.costs import TemporalSearch, coac_architecture, results_fingerprint\n"
        "from loopscape.energy.defaults import default_table\n"
        "a = coac_architecture(4)\n"
        "print(results_fingerprint(a, default_table(a), TemporalSearch(60, 60)))\n"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }
    assert len(prints) == 1


def test_default_checkpoint_in_the_current_directory(tmp_path, monkeypatch):
    """No --checkpoint: Ctrl-C in the combination search keeps every search in loopscape-coac-<12 hex>.checkpoint
    here; a plain re-run resumes all of them, completes and removes the file."""
    from click.testing import CliRunner

    from loopscape.cli import loopscape
    from loopscape.coac import search as coac_search

    monkeypatch.chdir(tmp_path)
    args = ["coac", "rced", "--pe", "2", "--max-sus", "2", "--budget", "20", "--workers", "1", "--json"]
    search = coac_search.search

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(coac_search, "search", interrupted)
    r = CliRunner().invoke(loopscape, args)
    assert r.exit_code == 130, r.output
    said = INTERRUPTED.search(r.stderr)
    assert (
        said
        and said[1] == said[2] == "49"
        and re.fullmatch(r"loopscape-coac-[0-9a-f]{12}\.checkpoint", said[3])
    )
    assert [p.name for p in tmp_path.iterdir()] == [said[3]]
    monkeypatch.setattr(coac_search, "search", search)
    r = CliRunner().invoke(loopscape, args)
    assert r.exit_code == 0, r.output
    assert RESUMING.search(r.stderr).group(1, 2, 3) == ("49", "49", said[3])
    assert json.loads(r.stdout)["searches"] == 49
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_in_a_serial_search_keeps_the_finished_ones(tmp_path, monkeypatch):
    """One process (--workers 1): Ctrl-C in the 11th search keeps the 10 before it; exit 130."""
    from click.testing import CliRunner

    from loopscape.cli import loopscape
    from loopscape.coac import costs

    run = costs._run
    calls = []

    def interrupted(task):
        calls.append(task)
        if len(calls) > 10:
            raise KeyboardInterrupt
        return run(task)

    monkeypatch.setattr(costs, "_run", interrupted)
    cp = tmp_path / "c.checkpoint"
    args = ["coac", "rced", "--pe", "2", "--budget", "20", "--workers", "1", "--checkpoint", str(cp)]
    r = CliRunner().invoke(loopscape, args)
    assert r.exit_code == 130, r.output
    assert INTERRUPTED.search(r.stderr).group(1, 2, 3) == ("10", "49", str(cp))
    assert kept_units(cp) == 10


def test_cost_table_resumes_from_half_a_checkpoint(tmp_path):
    """Library: a checkpoint holding every other search gives the full table bit for bit, and only the
    missing searches are run."""
    from loopscape.coac import costs

    nets = [zoo.get("rced")]
    sus = enumerate_sus(parse_pes("2"))
    effort = TemporalSearch(40, 40)
    arch = coac_architecture(2)
    energy = default_table(arch)
    full = cost_table(nets, sus, arch, energy, effort, workers=1)
    tasks = list(dict.fromkeys(pinned(wl, su) for wl in costs.mac_layers(nets)[3] for su in sus))
    assert len(tasks) == full.searches
    fp = results_fingerprint(arch, energy, effort)
    with Checkpoint(tmp_path / "half.checkpoint", fp) as cp:
        whole = cost_table(nets, sus, arch, energy, effort, workers=1, checkpoint=cp)
        assert len(cp) == full.searches and whole.points.tobytes() == full.points.tobytes()
        for t in tasks[1::2]:
            cp.conn.execute("DELETE FROM units WHERE key = ?", (task_key(t),))
        cp.conn.commit()
    searched = []
    run = costs._run

    def counting(task):
        searched.append(task_key(task))
        return run(task)

    calls = []
    with Checkpoint(tmp_path / "half.checkpoint", fp) as cp:
        assert len(cp) == len(tasks[::2])
        costs._run = counting
        try:
            resumed = cost_table(
                nets,
                sus,
                arch,
                energy,
                effort,
                workers=1,
                checkpoint=cp,
                progress=lambda d, t: calls.append(d),
            )
        finally:
            costs._run = run
    assert sorted(searched) == sorted(task_key(t) for t in tasks[1::2])
    assert calls[0] == len(tasks[::2]) and calls[-1] == full.searches
    assert resumed.points.tobytes() == full.points.tobytes()
    assert np.array_equal(resumed.points, full.points)


def test_pool_and_serial_tables_are_identical():
    """A search's result depends on its task only, not on the worker or the order: 2 processes = 1."""
    nets = [zoo.get("rced")]
    sus = enumerate_sus(parse_pes("2x2"))
    effort = TemporalSearch(40, 40)
    a = cost_table(nets, sus, effort=effort, workers=1)
    b = cost_table(nets, sus, effort=effort, workers=2)
    assert a.points.tobytes() == b.points.tobytes()


def test_ctrl_c_inside_numba_dispatch_counts_as_ctrl_c():
    """numba's dispatcher turns a KeyboardInterrupt that lands while it loads a kernel into a SystemError
    (seen in the combination search); `is_interrupt` sees through it, and only through that."""
    from loopscape.errors import is_interrupt

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise SystemError("returned a result with an exception set") from e
    except SystemError as e:
        assert is_interrupt(e)
    assert not is_interrupt(SystemError("other"))
    assert is_interrupt(KeyboardInterrupt())
