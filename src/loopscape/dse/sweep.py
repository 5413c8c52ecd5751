"""A sweep: the spec's design points not yet in the store, run on an executor, each stored as it finishes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from loopscape.dse.evaluate import STATUS_INFEASIBLE
from loopscape.dse.executors import DaskExecutor, LocalExecutor
from loopscape.dse.points import design_points
from loopscape.dse.spec import SweepSpec
from loopscape.dse.store import Store
from loopscape.errors import LoopscapeError

Progress = Callable[[int, int], None]  # (points finished, points to run)


@dataclass(frozen=True)
class SweepSummary:
    """What one run of a sweep did: points in the spec, already in the store, run now, infeasible among them."""

    points: int
    skipped: int
    evaluated: int
    infeasible: int
    seconds: float
    first_error: str | None = None

    @property
    def points_per_second(self) -> float:
        return self.evaluated / self.seconds if self.seconds > 0 else 0.0


def run_sweep(
    spec: SweepSpec,
    store: str | Path,
    executor: LocalExecutor | DaskExecutor | None = None,
    progress: Progress | None = None,
) -> SweepSummary:
    """Run every point of `spec` that `store` lacks on `executor` (default: this process), storing each at once."""
    executor = executor or LocalExecutor(1)
    started = time.perf_counter()
    with Store(store) as db:
        db.bind(spec)
        if spec.search.method == "optuna":
            from loopscape.dse.optimize import OptunaPoints

            source = OptunaPoints(spec, db.results())
            points, skipped, todo, tell = source.target, len(source.finished), source, source.tell
            planned = source.remaining
        else:
            plan = design_points(spec)
            done = db.done_ids()
            todo = [p for p in plan if p.id not in done]
            points, skipped, planned, tell = len(plan), len(plan) - len(todo), len(todo), None
        infeasible, first_error, finished = 0, None, 0
        if progress is not None:
            progress(0, planned)
        for finished, result in enumerate(executor.run(spec, todo), 1):
            db.add(result)
            if tell is not None:
                tell(result)
            if result.status == STATUS_INFEASIBLE:
                infeasible += 1
                first_error = first_error or result.error
            if progress is not None:
                progress(finished, planned)
    if tell is None and finished != planned:
        raise LoopscapeError(f"the executor returned {finished} of {planned} points; run the sweep again")
    return SweepSummary(points, skipped, finished, infeasible, time.perf_counter() - started, first_error)
