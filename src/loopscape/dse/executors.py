"""Executors: run design points and yield their results as they finish, in whatever order they finish.

`LocalExecutor` uses a process pool (one process: in this process); `DaskExecutor` a Dask distributed
cluster (the optional `dask` extra). Both keep only a window of points in flight, so a killed sweep loses
little, and neither writes anything: the caller stores each result as it arrives.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver, resource_tracker
from typing import Any

from loopscape.dse.evaluate import PointResult, evaluate_point
from loopscape.dse.points import DesignPoint
from loopscape.dse.spec import SweepSpec
from loopscape.errors import LoopscapeError
from loopscape.interrupts import NewChildren, ctrl_c_held

WINDOW_PER_WORKER = 4  # points in flight per worker


def _worker_start() -> None:
    """A pool worker runs one point at a time on one core: its numba kernels get one thread each. It ignores
    Ctrl-C: the parent stops the pool (a worker interrupted while numba compiles prints a traceback)."""
    import numba

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    numba.set_num_threads(1)


@contextmanager
def _helpers_immune_to_ctrl_c() -> Iterator[None]:
    """Start multiprocessing's fork server (and resource tracker) with Ctrl-C ignored: a process starts with
    the SIGINT disposition it inherits, and the fork server hands its own to every worker it forks, so a
    Ctrl-C reaches the parent alone (it was a 'Fatal Python error' in a helper starting up, or a traceback in
    a worker). The signal is blocked meanwhile, so one sent then waits, and is held for the parent after."""
    with ctrl_c_held():
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        held = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, held)
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def default_workers() -> int:
    """The process pool's size when none is asked for: the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class LocalExecutor:
    """A pool of `workers` processes (1: evaluate in this process)."""

    workers: int = 1

    def describe(self) -> str:
        return "this process" if self.workers == 1 else f"{self.workers} local processes"

    def run(self, spec: SweepSpec, points: Iterable[DesignPoint]) -> Iterator[PointResult]:
        if self.workers == 1:
            for p in points:
                yield evaluate_point(spec, p)
            return
        todo = iter(points)
        window = self.workers * WINDOW_PER_WORKER
        # forkserver: workers start from a clean process, as forking one that has run numba's OpenMP kernels
        # is unsafe (the child is killed)
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            with _helpers_immune_to_ctrl_c():
                resource_tracker.ensure_running()
                forkserver.ensure_running()
        children = NewChildren()
        pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_worker_start)
        try:
            pending: set[Future] = set()
            while True:
                for p in todo:
                    pending.add(pool.submit(evaluate_point, spec, p))
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        except BaseException:  # Ctrl-C, or the caller stopped: the points under way are dropped, not awaited
            pool.shutdown(wait=False, cancel_futures=True)
            children.kill()
            raise
        finally:
            pool.shutdown(wait=True)


@dataclass(frozen=True)
class DaskExecutor:
    """The workers of a Dask distributed cluster: `scheduler` is its address ('tcp://host:8786') or a Client."""

    scheduler: Any

    def describe(self) -> str:
        address = self.scheduler if isinstance(self.scheduler, str) else self.scheduler.scheduler.address
        return f"the Dask cluster at {address}"

    def _client(self) -> tuple[Any, bool]:
        try:
            from distributed import Client
        except ImportError:
            raise LoopscapeError(
                "--scheduler needs Dask distributed: pip install 'loopscape[dask]'"
            ) from None
        if not isinstance(self.scheduler, str):
            return self.scheduler, False
        try:
            return Client(self.scheduler, timeout="20s"), True
        except OSError as e:
            raise LoopscapeError(f"cannot reach the Dask scheduler at {self.scheduler}: {e}") from None

    def run(self, spec: SweepSpec, points: Iterable[DesignPoint]) -> Iterator[PointResult]:
        from distributed import as_completed

        client, owned = self._client()
        try:
            workers = max(1, sum(client.nthreads().values()))
            window = workers * WINDOW_PER_WORKER
            todo = iter(points)
            first = [
                client.submit(evaluate_point, spec, p, pure=False) for p in itertools.islice(todo, window)
            ]
            queue = as_completed(first)
            for future in queue:
                yield future.result()
                future.release()
                nxt = next(todo, None)
                if nxt is not None:
                    queue.add(client.submit(evaluate_point, spec, nxt, pure=False))
        finally:
            if owned:
                client.close()
