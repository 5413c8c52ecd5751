"""Pruning against the unpruned search on RCED and Tiny YOLO v2 (COAC Sec. IV-A, Fig. 9; M = 2).

Keeping every SU tied at a layer's best latency or energy ("ties") gives exactly the unpruned Pareto points; the
strict reading (one SU per layer and criterion) gives the same best EDP (the paper: "The difference in found
Pareto points is negligible"). The fast test runs on a 2 x 2 array, the slow one on COAC's 16 x 16.
"""

from __future__ import annotations

import pytest

from loopscape.coac.costs import TemporalSearch, cost_table
from loopscape.coac.search import SearchSettings, search
from loopscape.coac.su import enumerate_sus
from loopscape.workload.networks import get


def points(result, m):
    return sorted((s.latency, s.energy) for s in result.fronts[m])


def check(name: str, pes: int, effort: TemporalSearch, workers: int) -> None:
    table = cost_table([get(name)], enumerate_sus(pes), effort=effort, workers=workers)
    full, ties, strict = (
        search(table, SearchSettings(max_sus=2, prune=m)) for m in ("none", "ties", "strict")
    )
    assert len(strict.candidates) <= len(ties.candidates) < len(full.candidates)
    assert strict.combinations < full.combinations
    for m in (1, 2):
        assert points(ties, m) == points(full, m)
        assert strict.best_edp(m).edp == full.best_edp(m).edp


@pytest.mark.parametrize("name", ["rced", "tiny_yolo_v2"])
def test_pruning_keeps_the_pareto_points_2x2(name):
    check(name, 4, TemporalSearch(budget=100, batch=100), workers=1)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rced", "tiny_yolo_v2"])
def test_pruning_keeps_the_pareto_points_16x16(name):
    check(name, 256, TemporalSearch(), workers=2)
