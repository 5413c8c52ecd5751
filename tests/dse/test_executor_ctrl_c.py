"""The sweep's worker processes ignore Ctrl-C from birth (the parent stops the pool): a worker interrupted
while numba compiled printed a traceback, and a helper interrupted while starting a 'Fatal Python error'."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys

import pytest

WORKER_HANDLER = """
import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver, get_context, resource_tracker
from loopscape.dse.executors import _helpers_immune_to_ctrl_c

if __name__ == "__main__":
    if {immune}:
        with _helpers_immune_to_ctrl_c():
            resource_tracker.ensure_running()
            forkserver.ensure_running()
    with ProcessPoolExecutor(1, mp_context=get_context("forkserver")) as pool:
        print(pool.submit(signal.getsignal, signal.SIGINT).result() == signal.SIG_IGN)
    print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
@pytest.mark.parametrize("immune", [True, False])
def test_workers_forked_by_the_fork_server_ignore_ctrl_c(tmp_path, immune):
    code = WORKER_HANDLER.replace("{immune}", str(immune))
    (tmp_path / "worker_handler.py").write_text(code)
    cmd = [sys.executable, "-m", "worker_handler"]
    proc = subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True, text=True, timeout=120)
    # the worker ignores SIGINT only when the fork server was started immune; the parent keeps its handler
    assert proc.stdout.split() == [str(immune), "True"], proc.stderr
