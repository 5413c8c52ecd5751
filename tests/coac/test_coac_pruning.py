"""Pruning against the unpruned search on RCED and Tiny YOLO v2 (COAC Sec. IV-A, Fig. 9; M = 2).

On a 2 x 2 array, keeping every SU tied at a layer's best latency or energy ("ties") gives exactly the unpruned
Pareto points, and the strict reading (one SU per layer and criterion) the same best EDP (the paper: "The
difference in found Pareto points is negligible"). On COAC's 16 x 16 array this does not hold for our per-layer
costs (benchmarks/bench_coac.py, docs/coac.md section 8): on RCED both prunings lose 4.6% (1 SU) and 6.3%
(2 SUs) of EDP; on Tiny YOLO v2 the 2-SU points differ (strict: +1.4% EDP). The slow test states the issue's
criterion and is marked as a known failure.
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
@pytest.mark.xfail(
    strict=True, reason="pruning loses Pareto points on 16x16 (RCED: +4.6%/+6.3% EDP; docs/coac.md)"
)
@pytest.mark.parametrize("name", ["rced", "tiny_yolo_v2"])
def test_pruning_keeps_the_pareto_points_16x16(name):
    check(name, 256, TemporalSearch(), workers=2)
