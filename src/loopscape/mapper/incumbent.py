"""A running search's incumbent (best mapping so far) kept in a checkpoint, so that a killed search resumes.

`loopscape map` puts the incumbent in its checkpoint every couple of seconds of search (a `Watch` tick, not
per evaluation); a re-run with the same inputs seeds its search with it, so the result is never worse than
what the killed run had found, and goes on with the budget and time the killed run had left.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from loopscape.io.checkpoint import Checkpoint, CheckpointError
from loopscape.mapper.mapspace import Mapspace, Points
from loopscape.mapper.search import Tracker
from loopscape.model.batch import MappingBatch

KEY = "incumbent"
_ARRAYS = ("temporal", "order", "spatial_x", "spatial_y", "keep")


@dataclass(frozen=True)
class Incumbent:
    """The best mapping of a search so far (a one-row batch), its objective values, and the effort spent on the
    search over every run so far (evaluations, valid ones, seconds)."""

    batch: MappingBatch
    value: tuple[float, ...]
    evaluated: int
    valid: int
    seconds: float

    def to_json(self) -> dict:
        arrays = {k: getattr(self.batch, k)[0].tolist() for k in _ARRAYS}
        return {
            **arrays,
            "shift": self.batch.shift_array()[0].tolist(),
            "value": list(self.value),
            "evaluated": self.evaluated,
            "valid": self.valid,
            "seconds": self.seconds,
        }

    @staticmethod
    def from_json(doc: dict) -> Incumbent:
        """The incumbent `to_json` wrote (CheckpointError when the record is not one)."""
        try:
            arrays = [np.array([doc[k]], np.bool_ if k == "keep" else np.int64) for k in _ARRAYS]
            batch = MappingBatch(*arrays, np.array([doc["shift"]], np.int64))
            return Incumbent(
                batch,
                tuple(map(float, doc["value"])),
                int(doc["evaluated"]),
                int(doc["valid"]),
                doc["seconds"],
            )
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"the checkpoint's incumbent is not readable ({e!r})") from None

    def points(self, space: Mapspace, where: str) -> Points:
        """The incumbent as a point of `space`, to seed a search with (CheckpointError when it is not one)."""
        points = space.points_of(self.batch)
        if points is None:
            raise CheckpointError(
                f"{where}: its incumbent is not a mapping of this mapspace; remove it to go on"
            )
        return points


def current(tracker: Tracker, before: Incumbent | None, started: float) -> Incumbent | None:
    """The tracker's best so far with the effort of this run (since `started`) and of the runs `before` it."""
    if tracker.best is None:
        return before
    batch = tracker.best
    one = MappingBatch(*(getattr(batch, k)[:1] for k in _ARRAYS), batch.shift_array()[:1])
    prior_evaluated, prior_valid, prior_seconds = (
        (before.evaluated, before.valid, before.seconds) if before else (0, 0, 0.0)
    )
    return Incumbent(
        one,
        tuple(map(float, tracker.best_values[0])),
        prior_evaluated + tracker.evaluated,
        prior_valid + tracker.valid,
        prior_seconds + time.perf_counter() - started,
    )


@dataclass
class Keeper:
    """A `Watch` tick that puts the tracker's incumbent in `checkpoint` (one committed row per call)."""

    checkpoint: Checkpoint
    before: Incumbent | None

    def __call__(self, tracker: Tracker) -> None:
        started = tracker.watch.started if tracker.watch is not None else time.perf_counter()
        found = current(tracker, self.before, started)
        if found is not None:
            self.checkpoint.put(KEY, found.to_json())
