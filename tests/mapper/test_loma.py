"""LOMA (ZigZag's loop-order-based memory allocation) and the default search that it seeds."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.mapper import Mapspace, exhaustive_search, local_search, loma_search, search
from loopscape.mapper.loma import distinct_permutations, loop_prime_factors, prime_factors, spatial_candidates
from loopscape.mapping import validate_mapping
from loopscape.model import evaluate
from loopscape.workload import conv2d, matmul


def small_arch(rf: int = 16, glb: int = 512) -> Architecture:
    return Architecture(
        "small",
        (
            StorageLevel("DRAM", "DRAM"),
            StorageLevel("GLB", "SRAM", entries=glb),
            StorageLevel("RF", "regfile", instances=4, mesh_x=2, entries=rf),
        ),
        ComputeLevel("MAC", 4, mesh_x=2),
    )


def test_prime_factors_and_the_lpf_limit():
    assert prime_factors(360) == [2, 2, 2, 3, 3, 5]
    assert prime_factors(97) == [97] and prime_factors(1) == []
    tokens = loop_prime_factors([360, 7, 1, 16], limit=6)
    assert len(tokens) == 6
    per_dim = Counter()
    for d, f in tokens:
        per_dim[d] = per_dim.get(d, 1) * f
    assert dict(per_dim) == {0: 360, 1: 7, 3: 16}
    # never fewer than one factor per dimension that has any
    assert len(loop_prime_factors([4, 9, 25, 49], limit=2)) == 4


def test_distinct_permutations_counts_the_multiset_orders():
    tokens = [(0, 2), (0, 2), (1, 3), (2, 5)]
    orders = list(distinct_permutations(tokens))
    assert len(orders) == len(set(orders)) == math.factorial(4) // math.factorial(2)
    assert all(sorted(o) == sorted(tokens) for o in orders)


def test_spatial_candidates_fill_the_array_first():
    a, w = small_arch(), matmul(M=4, N=4, K=4)
    cands = spatial_candidates(Mapspace(a, w), 3)
    used = [math.prod(math.prod(o) for o in su) for su in cands]
    assert used[0] == 4 and used == sorted(used, reverse=True)


def test_loma_finds_valid_mappings_and_the_default_search_is_at_least_as_good():
    a, w = small_arch(), conv2d(K=4, C=4, P=4, Q=4, R=3, S=3)
    lo = loma_search(a, w)
    validate_mapping(a, w, lo.mapping)
    assert lo.valid > 0 and lo.evaluated >= lo.valid
    assert evaluate(a, w, lo.mapping).energy_pj * evaluate(a, w, lo.mapping).cycles == pytest.approx(lo.value)
    default = search(a, w, budget=40_000, seed=0)
    assert default.value <= lo.value  # LOMA's mappings seed the local search
    again = search(a, w, budget=40_000, seed=0)
    assert again.mapping == default.mapping and again.value == default.value


def test_loma_uneven_allocation_gives_single_tensors_bigger_tiles():
    """With a global buffer too small for every tensor whole, the uneven allocation moves single tensors' cuts
    up into DRAM's loops; some of LOMA's best mappings then have per-tensor cuts (and they are valid)."""
    a, w = small_arch(glb=40), matmul(M=4, N=4, K=8)
    found = loma_search(a, w, top_k=20)
    assert any(c.mapping.cuts for c in found.top)
    for c in found.top:
        validate_mapping(a, w, c.mapping)


def test_the_default_search_reaches_the_optimum_of_a_small_space():
    a, w = small_arch(), matmul(M=4, N=4, K=4)
    space = Mapspace(a, w)
    best = exhaustive_search(a, w, mapspace=space).value
    found = search(a, w, budget=60_000, seed=1, mapspace=space)
    assert found.value <= best * (1 + 1e-12)  # uneven cuts may even beat the even optimum
    assert local_search(a, w, budget=60_000, seed=1, mapspace=space, uneven=False).value == pytest.approx(
        best
    )


def test_top_k_and_pareto():
    a, w = small_arch(), conv2d(K=4, C=4, P=4, Q=4, R=3, S=3)
    found = local_search(a, w, budget=30_000, seed=0, top_k=5)
    assert len(found.top) == 5
    values = [c.value[0] for c in found.top]
    assert values == sorted(values) and values[0] == found.value
    front = found.pareto
    assert len(front) >= 1
    e = np.array([c.energy_pj for c in front])
    cyc = np.array([c.cycles for c in front])
    assert (np.diff(cyc) > 0).all() and (np.diff(e) < 0).all()  # faster ones cost more energy
    assert min(e) <= found.result.energy_pj and min(cyc) <= found.result.cycles
    for c in front[:3]:
        r = evaluate(a, w, c.mapping)
        assert (r.cycles, r.energy_pj) == pytest.approx((c.cycles, c.energy_pj))


def test_lexicographic_objective_breaks_ties_by_the_second_metric():
    a, w = small_arch(), matmul(M=4, N=4, K=4)
    space = Mapspace(a, w)
    by_delay = exhaustive_search(a, w, objective="delay,energy", mapspace=space)
    fastest = exhaustive_search(a, w, objective="delay", mapspace=space, top_k=50)
    tied = [c for c in fastest.top if c.value[0] == fastest.value]
    assert by_delay.result.cycles == fastest.value
    assert by_delay.result.energy_pj <= min(c.energy_pj for c in tied) + 1e-9


def test_an_even_only_mapspace_keeps_every_search_even():
    """Timeloop's mappings have one cut per level: with `uneven=False` no search leaves that space (the same
    case gives uneven bests otherwise)."""
    a, w = small_arch(glb=40), matmul(M=4, N=4, K=8)
    assert any(c.mapping.cuts for c in loma_search(a, w, top_k=20).top)
    space = Mapspace(a, w, uneven=False)
    for found in (
        loma_search(a, w, mapspace=space, top_k=20),
        search(a, w, budget=20_000, mapspace=space, top_k=20),
        local_search(a, w, budget=20_000, mapspace=space, top_k=20),
    ):
        assert all(c.mapping.is_even for c in found.top)
