"""Mapper: exhaustive search finds the true optimum; pruning loses nothing; random search is seeded."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.errors import LoopscapeError, MappingError
from loopscape.mapper import Mapspace, Points, exhaustive_search, factorizations, local_search, random_search
from loopscape.model import evaluate, evaluate_batch
from loopscape.workload import conv1d, matmul


def arch(glb: int = 64, rf: int = 8) -> Architecture:
    return Architecture(
        "small",
        (
            StorageLevel("DRAM", "DRAM"),
            StorageLevel("GLB", "SRAM", entries=glb),
            StorageLevel("RF", "regfile", instances=4, mesh_x=2, entries=rf),
        ),
        ComputeLevel("MAC", 4, mesh_x=2),
    )


def edp(r) -> float:
    return r.energy_pj * r.cycles


def test_factorizations():
    assert factorizations(12, 2) == ((1, 12), (2, 6), (3, 4), (4, 3), (6, 2), (12, 1))
    assert len(factorizations(2**3 * 3, 3)) == math.comb(3 + 2, 2) * math.comb(
        1 + 2, 2
    )  # per prime: C(e+k-1, k-1)
    assert all(math.prod(f) == 36 for f in factorizations(36, 4))


@pytest.mark.parametrize("workload", [matmul(M=2, N=2, K=4), conv1d(P=4, R=3)])
def test_exhaustive_is_the_true_minimum_over_every_order(workload):
    """Evaluate every factorisation with EVERY order at EVERY level (no pruning) one by one with `evaluate`:
    the exhaustive search's value (pruned orders, batch evaluation) is that minimum."""
    a = arch()
    space = Mapspace(a, workload, bypass=False)
    best = math.inf
    n_levels, n_dims = len(a.levels), len(workload.dims)
    no_choice = np.zeros((1, 0), dtype=bool)
    for combo in itertools.product(*[range(len(o)) for o in space.factor_options]):
        for orders in itertools.product(itertools.permutations(range(n_dims)), repeat=n_levels):
            batch = space.batch(Points(np.array([combo]), np.array([orders]), no_choice))
            mapping = batch.mapping(0, workload)
            try:
                r = evaluate(a, workload, mapping)
            except MappingError:
                continue
            best = min(best, edp(r))
    found = exhaustive_search(a, workload, mapspace=space)
    assert found.value == pytest.approx(best, rel=1e-12)
    assert edp(found.result) == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("workload", [matmul(M=2, N=2, K=4), conv1d(P=4, R=3)])
def test_exhaustive_with_bypass_is_the_minimum_over_every_order_and_keep_choice(workload):
    """The whole unpruned space (every factorisation, every order at every level, every keep choice), evaluated
    in batches: the pruned exhaustive search finds its minimum, and the pruned space is much smaller."""
    a = arch()
    space = Mapspace(a, workload)
    assert space.open_keep  # GLB and RF may bypass each tensor
    n_levels, n_dims = len(a.levels), len(workload.dims)
    combos = np.array(list(itertools.product(*[range(len(o)) for o in space.factor_options])))
    orders = np.array(list(itertools.product(itertools.permutations(range(n_dims)), repeat=n_levels)))
    keeps = np.array(list(itertools.product((False, True), repeat=len(space.open_keep))))
    ci, oi, ki = (g.ravel() for g in np.meshgrid(*(np.arange(len(x)) for x in (combos, orders, keeps)),
                                                   indexing="ij"))  # fmt: skip
    assert ci.size == space.size * math.factorial(n_dims)  # `size` leaves out the innermost level's order
    best = math.inf
    for lo in range(0, ci.size, 200_000):
        rows = slice(lo, lo + 200_000)
        batch = space.batch(Points(combos[ci[rows]], orders[oi[rows]], keeps[ki[rows]]))
        res = evaluate_batch(a, workload, batch)
        best = min(best, float(np.where(res.valid, res.energy_pj * res.cycles, np.inf).min()))
    found = exhaustive_search(a, workload, mapspace=space)
    assert found.value == pytest.approx(best, rel=1e-12)
    assert sum(b.size for b in space.enumerate()) <= space.pruned_size() < space.size


def test_random_search_is_deterministic_for_a_seed_and_never_beats_exhaustive():
    a, w = arch(), matmul(M=4, N=4, K=4)
    one = random_search(a, w, budget=20_000, seed=3, batch_size=4096)
    two = random_search(a, w, budget=20_000, seed=3, batch_size=4096)
    assert one.mapping == two.mapping and one.value == two.value and one.evaluated == 20_000
    assert exhaustive_search(a, w).value <= one.value


def test_objectives():
    a, w = arch(), conv1d(P=4, R=3)
    e = exhaustive_search(a, w, objective="energy")
    d = exhaustive_search(a, w, objective="delay")
    assert e.result.energy_pj <= d.result.energy_pj and d.result.cycles <= e.result.cycles
    with pytest.raises(LoopscapeError):
        exhaustive_search(a, w, objective="area")


def test_no_valid_mapping_says_why():
    a, w = arch(glb=1, rf=1), matmul(M=4, N=4, K=4)
    with pytest.raises(
        LoopscapeError, match=r"GLB is too small for matmul: it must keep A 1, B 1, Z 1 words .* holds 1"
    ):
        random_search(a, w, budget=2000, mapspace=Mapspace(a, w, bypass=False))


def test_local_search_is_seeded_and_reaches_the_optimum_of_a_small_space():
    a, w = arch(), matmul(M=4, N=4, K=4)
    best = exhaustive_search(a, w).value
    one = local_search(a, w, budget=60_000, seed=1, batch_size=4096)
    two = local_search(a, w, budget=60_000, seed=1, batch_size=4096)
    assert one.mapping == two.mapping and one.value == two.value
    assert one.value == pytest.approx(
        best, rel=1e-12
    )  # a small space: the neighbourhood walk finds the optimum


def test_local_search_stops_when_nothing_improves():
    a, w = arch(), conv1d(P=4, R=3)
    found = local_search(a, w, budget=10_000_000, seed=0, batch_size=1024, patience=4096)
    assert found.evaluated < 100_000
