"""Pruning against the unpruned search on RCED and Tiny YOLO v2 (COAC Sec. IV-A, Fig. 9; M = 2).

On a 2 x 2 array, keeping every SU tied at a layer's best latency or energy ("ties") gives exactly the unpruned
Pareto points, and the strict reading (one SU per layer and criterion) the same best EDP (the paper: "The
difference in found Pareto points is negligible"). On COAC's 16 x 16 array this does not hold for our per-layer
costs (benchmarks/bench_coac.py, docs/coac.md section 8): on RCED both prunings lose 4.6% (1 SU) and 6.3%
(2 SUs) of EDP; on Tiny YOLO v2 the 2-SU points differ (strict: +1.4% EDP). The slow test states the issue's
criterion and is marked as a known failure.

Pruning only the SUs another SU covers on every layer ("dominance") is exact by construction: with exact fronts
it gives the unpruned points on random tables, and on RCED and Tiny YOLO v2 at 16 x 16 (slow).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopscape.coac.costs import CostTable, TemporalSearch, cost_table
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
def test_dominance_pruning_keeps_the_pareto_points_16x16(name):
    """COAC's setting (16 x 16, 602 SUs, M = 2, the default per-layer effort) with exact fronts."""
    table = cost_table([get(name)], enumerate_sus(256), effort=TemporalSearch(), workers=2)
    full, kept = (
        search(table, SearchSettings(max_sus=2, prune=m, max_front=0)) for m in ("none", "dominance")
    )
    assert len(kept.candidates) < len(full.candidates) / 10
    for m in (1, 2):
        assert points(kept, m) == points(full, m)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True, reason="pruning loses Pareto points on 16x16 (RCED: +4.6%/+6.3% EDP; docs/coac.md)"
)
@pytest.mark.parametrize("name", ["rced", "tiny_yolo_v2"])
def test_pruning_keeps_the_pareto_points_16x16(name):
    check(name, 256, TemporalSearch(), workers=2)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(2, 8), st.integers(1, 3), st.data())
def test_dominance_pruning_is_exact(layers: int, n_sus: int, max_sus: int, data) -> None:
    """On random cost tables with many ties, pruning the covered SUs ("dominance") leaves every exact
    latency/energy front as the unpruned search finds it, and keeps at most as many SUs."""
    values = st.integers(1, 6).map(float)
    flat = data.draw(st.lists(values, min_size=layers * n_sus * 4, max_size=layers * n_sus * 4))
    sus = enumerate_sus(16)[:n_sus]
    table = CostTable(
        networks=("net",), layers=tuple(f"l{i}" for i in range(layers)),
        network_of=np.zeros(layers, dtype=np.int64), sus=sus,
        points=np.array(flat).reshape(layers, n_sus, 2, 2), searches=0, seconds=0.0,
    )  # fmt: skip
    full = search(table, SearchSettings(max_sus=max_sus, prune="none", max_front=0))
    kept = search(table, SearchSettings(max_sus=max_sus, prune="dominance", max_front=0))
    assert len(kept.candidates) <= n_sus
    for m in kept.fronts:
        assert points(kept, m) == points(full, m)
    assert set(full.fronts) - set(kept.fronts) == set(
        range(len(kept.candidates) + 1, min(max_sus, n_sus) + 1)
    )


def test_cli_prune_exact_gives_the_unpruned_fronts(tmp_path, monkeypatch):
    """`loopscape coac --prune-exact --max-front 0` prints the fronts `--no-prune` prints, from fewer SUs; two
    pruning flags at once are refused (exit 2)."""
    import json

    from click.testing import CliRunner

    from loopscape.cli import loopscape

    monkeypatch.chdir(tmp_path)  # the checkpoint files land here
    args = ["coac", "rced", "--pe", "2x2", "--budget", "50", "--max-sus", "2", "--max-front", "0", "--json"]
    docs = {}
    for flag in ("--prune-exact", "--no-prune"):
        res = CliRunner().invoke(loopscape, [*args, flag, "--workers", "1"])
        assert res.exit_code == 0, res.output
        docs[flag] = json.loads(res.stdout)
    exact, full = docs["--prune-exact"], docs["--no-prune"]
    assert exact["prune"] == "dominance" and len(exact["candidates"]) < full["sus_enumerated"]

    def pts(doc, m):
        return sorted((p["latency"], p["energy"]) for p in doc["fronts"][m])

    assert set(exact["fronts"]) == set(full["fronts"])
    for m in full["fronts"]:
        assert pts(exact, m) == pts(full, m)
    res = CliRunner().invoke(loopscape, [*args, "--prune-exact", "--prune-ties"])
    assert res.exit_code == 2 and "--prune-exact" in res.output
