"""Multi-objective search over the parameter grid with optuna (TPE or NSGA-II), for spaces too large to run whole.

The sampler proposes points (ask) as the executor takes them and learns each result (tell) as it is stored;
a store's earlier points are replayed into the study first, so a resumed search goes on from everything it
has. On a replay of the 540-point AlexNet grid of examples/xploredl_alexnet.py (docs/dse.md), TPE reaches a
larger (fJ/op, TOPS/mm2) hypervolume than random sampling with the same number of points at every budget
tried (25 to 150), NSGA-II from 100 points on.
Unlike the grid and random methods, which points come next depends on the order results arrive, so a killed
and resumed search, or another executor, may pick other points (none is lost or run twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from loopscape.dse.evaluate import STATUS_OK, PointResult
from loopscape.dse.metrics import METRICS
from loopscape.dse.points import DesignPoint, make_point
from loopscape.dse.spec import SweepSpec
from loopscape.errors import LoopscapeError

MAX_ASKS_PER_POINT = 50  # proposals per new point before the space counts as exhausted


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise LoopscapeError("search method 'optuna' needs optuna: pip install 'loopscape[dse]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class OptunaPoints:
    """Design points proposed by an optuna study over the spec's parameters, minimising or maximising the spec's
    objectives; iterate to get points, `tell` each result."""

    def __init__(self, spec: SweepSpec, stored: dict[str, PointResult]) -> None:
        optuna = _optuna()
        self.spec = spec
        self.objectives = spec.objectives
        seed = spec.search.seed
        if spec.search.sampler == "nsga2":
            sampler = optuna.samplers.NSGAIISampler(seed=seed)
        else:
            sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
        directions = ["maximize" if METRICS[m][1] else "minimize" for m in self.objectives]
        self.study = optuna.create_study(directions=directions, sampler=sampler)
        self.dists = {n: optuna.distributions.CategoricalDistribution(list(v)) for n, v in spec.parameters}
        self.finished: dict[str, PointResult] = {}
        self.pending: dict[str, list[Any]] = {}  # point id -> its trials waiting for the result
        self.target = min(spec.search.samples or 0, spec.space_size)
        for result in stored.values():
            self._replay(result)

    def _values(self, result: PointResult) -> list[float] | None:
        if result.status != STATUS_OK or result.metrics is None:
            return None
        return [float(result.metrics[m]) for m in self.objectives]

    def _replay(self, result: PointResult) -> None:
        """Add a stored point to the study (points of other parameter values are left out)."""
        optuna = _optuna()
        params = result.params
        if set(params) != set(self.dists) or any(params[n] not in d.choices for n, d in self.dists.items()):
            return
        values = self._values(result)
        state = optuna.trial.TrialState.COMPLETE if values is not None else optuna.trial.TrialState.FAIL
        trial = optuna.trial.create_trial(params=params, distributions=self.dists, values=values, state=state)
        self.study.add_trial(trial)
        self.finished[result.id] = result

    @property
    def remaining(self) -> int:
        return max(0, self.target - len(self.finished))

    def __iter__(self) -> Iterator[DesignPoint]:
        asks = 0
        while len(self.finished) + len(self.pending) < self.target:
            if asks >= MAX_ASKS_PER_POINT * self.target:
                return  # the sampler keeps proposing points it has: take the space as exhausted
            asks += 1
            trial = self.study.ask(self.dists)
            point = make_point(self.spec, tuple(trial.params[n] for n, _ in self.spec.parameters))
            if point.id in self.finished:
                self._tell(trial, self.finished[point.id])
            elif point.id in self.pending:
                self.pending[point.id].append(trial)
            else:
                self.pending[point.id] = [trial]
                yield point

    def _tell(self, trial: Any, result: PointResult) -> None:
        optuna = _optuna()
        values = self._values(result)
        if values is None:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, values)

    def tell(self, result: PointResult) -> None:
        """Learn a finished point's objectives (an infeasible point is a failed trial)."""
        for trial in self.pending.pop(result.id, []):
            self._tell(trial, result)
        self.finished[result.id] = result
