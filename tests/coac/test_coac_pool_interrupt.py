"""Ctrl-C in the cost table's process pool: the first one lets the searches under way finish (and keeps
them), a second one kills the workers at once; neither leaves a worker behind."""

from __future__ import annotations

import os
import signal
import threading
import time
from multiprocessing import active_children

import numpy as np
import pytest

from loopscape.coac import costs
from loopscape.coac.costs import CostTableInterrupted, TemporalSearch, cost_table, results_fingerprint
from loopscape.coac.su import enumerate_sus, parse_pes
from loopscape.energy.defaults import default_table
from loopscape.io.checkpoint import Checkpoint
from loopscape.workload import networks as zoo

SLOW_S = 0.3  # each search in the workers (a cold start compiling the kernels takes much longer)
EFFORT = TemporalSearch(20, 20)


def _slow(task):
    time.sleep(SLOW_S)
    return np.zeros(2)


def _ctrl_c_at(*seconds: float) -> None:
    for s in seconds:
        threading.Timer(s, os.kill, (os.getpid(), signal.SIGINT)).start()


def _table(checkpoint: Checkpoint | None = None):
    sus = enumerate_sus(parse_pes("2"))
    return cost_table([zoo.get("rced")], sus, effort=EFFORT, workers=2, checkpoint=checkpoint)


def _no_workers_left() -> bool:
    deadline = time.monotonic() + 5
    while active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not active_children()


def test_one_ctrl_c_finishes_and_keeps_the_searches_under_way(monkeypatch, tmp_path):
    monkeypatch.setattr(costs, "_run", _slow)
    arch = costs.coac_architecture(2)
    with Checkpoint(tmp_path / "c", results_fingerprint(arch, default_table(arch), EFFORT)) as cp:
        _ctrl_c_at(0.5)
        with pytest.raises(CostTableInterrupted) as raised:
            _table(cp)
        kept, total = raised.value.kept, raised.value.total
        assert kept == len(cp)
    # two workers and one chunk queued for them were under way (chunks of 3 searches of 49): all kept,
    # nothing after them
    assert 3 <= kept <= 3 * 3 + 2 * 3 < total == 49
    assert _no_workers_left()


def test_a_second_ctrl_c_kills_the_workers(monkeypatch):
    monkeypatch.setattr(costs, "_run", lambda task: time.sleep(60))
    started = time.monotonic()
    _ctrl_c_at(0.5, 1.0)
    with pytest.raises(CostTableInterrupted):
        _table()
    assert time.monotonic() - started < 10
    assert _no_workers_left()
