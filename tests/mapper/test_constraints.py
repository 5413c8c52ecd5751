"""Every constraint kind restricts the mapspace the way it says, and searches honour it."""

from __future__ import annotations

import numpy as np
import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.errors import LoopscapeError, SpecError
from loopscape.mapper import Mapspace, exhaustive_search, local_search
from loopscape.mapping import Constraints, LevelConstraint
from loopscape.model import evaluate
from loopscape.workload import conv2d, matmul

ARCH = Architecture(
    "pe-array",
    (
        StorageLevel("DRAM", "DRAM"),
        StorageLevel("GLB", "SRAM", entries=4096),
        StorageLevel("RF", "regfile", instances=16, mesh_x=4, entries=64),
    ),
    ComputeLevel("MAC", 16, mesh_x=4),
)
MM = matmul(M=8, N=8, K=16)


def sample(constraints: Constraints, count: int = 3000, workload=MM):
    space = Mapspace(ARCH, workload, constraints=constraints)
    return space, space.sample(np.random.default_rng(0), count)


def test_max_and_min_factors_bound_the_temporal_loops():
    c = Constraints((LevelConstraint("GLB", max_factors=(("K", 4),), min_factors=(("M", 2),)),))
    _, b = sample(c)
    k, m = MM.dim_index("K"), MM.dim_index("M")
    assert (b.temporal[:, 1, k] <= 4).all() and b.temporal[:, 1, k].max() == 4
    assert (b.temporal[:, 1, m] >= 2).all()


def test_exact_factor_zero_means_the_whole_dimension():
    c = Constraints((LevelConstraint("RF", factors=(("K", 0),)),))
    _, b = sample(c)
    assert (b.temporal[:, 2, MM.dim_index("K")] == 16).all()


def test_spatial_factors_and_axes():
    c = Constraints(
        (
            LevelConstraint(
                "GLB", spatial_factors=(("M", 4),), spatial_x=frozenset({"M"}), spatial_y=frozenset({"N"})
            ),
        )
    )
    _, b = sample(c)
    m, n, k = (MM.dim_index(d) for d in "MNK")
    assert ((b.spatial_x[:, 1, m] * b.spatial_y[:, 1, m]) == 4).all()
    assert (b.spatial_x[:, 1, n] == 1).all() and (b.spatial_y[:, 1, m] == 1).all()
    assert (b.spatial_x[:, 1, k] == 1).all() and (b.spatial_y[:, 1, k] == 1).all()


def test_spatial_max_factors():
    c = Constraints((LevelConstraint("GLB", spatial_max_factors=(("K", 2),)),))
    _, b = sample(c)
    k = MM.dim_index("K")
    assert (b.spatial_x[:, 1, k] * b.spatial_y[:, 1, k] <= 2).all()


def test_a_full_permutation_fixes_the_order():
    c = Constraints((LevelConstraint("GLB", permutation=("K", "N", "M")),))  # innermost first
    _, b = sample(c)
    assert (b.order[:, 1] == [MM.dim_index(d) for d in "MNK"]).all()  # outermost first


def test_min_utilization_filters_mappings_before_they_count():
    c = Constraints(min_utilization=0.5)
    space = Mapspace(ARCH, MM, constraints=c)
    found = local_search(ARCH, MM, budget=20_000, seed=0, mapspace=space)
    assert found.result.utilization >= 0.5 - 1e-12
    used = found.mapping.used_compute
    assert used >= 8
    batch = space.sample(np.random.default_rng(1), 2000)
    ok = space.admissible(batch)
    used_all = np.prod(batch.spatial_x, axis=(1, 2)) * np.prod(batch.spatial_y, axis=(1, 2))
    assert (ok == (used_all >= 8)).all() and ok.any() and not ok.all()


def test_max_bandwidth_caps_the_words_a_level_moves_per_cycle():
    w = conv2d(K=8, C=8, P=4, Q=4, R=3, S=3)
    free = exhaustive_search(ARCH, w, objective="delay", mapspace=Mapspace(ARCH, w, bypass=False), seconds=20)

    def moved(r, level: str) -> float:
        lv = r.level_names.index(level)
        acc = r.counts.levels[lv]
        return sum(a.reads + a.fills + a.updates for a in acc.values()) / r.cycles

    limit = moved(free.result, "DRAM") / 2
    c = Constraints(max_bandwidth=(("DRAM", limit),))
    space = Mapspace(ARCH, w, constraints=c, bypass=False)
    found = local_search(ARCH, w, objective="delay", budget=30_000, seed=0, mapspace=space)
    assert moved(found.result, "DRAM") <= limit + 1e-9


def test_constraint_errors_name_the_constraint():
    with pytest.raises(SpecError, match=r"constraints\[0\]"):
        Mapspace(ARCH, MM, constraints=Constraints((LevelConstraint("GLB", max_factors=(("K", 0),)),)))
    with pytest.raises(SpecError, match="min_utilization"):
        Mapspace(ARCH, MM, constraints=Constraints(min_utilization=1.5))
    with pytest.raises(SpecError, match="max_bandwidth"):
        Mapspace(ARCH, MM, constraints=Constraints(max_bandwidth=(("Nowhere", 1.0),)))
    with pytest.raises(LoopscapeError, match=r"constraints\[0\] \(GLB\) empties the mapspace"):
        Mapspace(ARCH, MM, constraints=Constraints((LevelConstraint("GLB", min_factors=(("K", 32),)),)))
    with pytest.raises(SpecError, match="keep"):
        Mapspace(
            ARCH, MM,
            constraints=Constraints((LevelConstraint("GLB", keep=frozenset({"A"}), bypass=frozenset({"A"})),)),
        )  # fmt: skip


def test_best_mapping_obeys_every_constraint_at_once():
    c = Constraints(
        (
            LevelConstraint(
                "GLB", spatial_x=frozenset({"M"}), spatial_y=frozenset({"N"}), keep=frozenset({"Z"})
            ),
            LevelConstraint("RF", factors=(("K", 4),), bypass=frozenset({"A"})),
        ),
        min_utilization=0.25,
    )
    found = local_search(ARCH, MM, budget=20_000, seed=0, mapspace=Mapspace(ARCH, MM, constraints=c))
    m = found.mapping
    assert "Z" in m.keep[1] and "A" not in m.keep[2]
    assert m.factor("K") == 16
    assert all(lp.dim == "M" for lp in m.loops if lp.kind == "spatial_x")
    assert all(lp.dim == "N" for lp in m.loops if lp.kind == "spatial_y")
    rf_k = [lp.bound for lp in m.loops if lp.level == 2 and lp.dim == "K" and not lp.spatial]
    assert rf_k == [4]
    r = evaluate(ARCH, MM, m)
    assert r.utilization >= 0.25 - 1e-12
