"""The enumerated partition (distinct words of a written tensor one instance holds over the run, used where a
dimension is in several of the tensor's ranks) equals a count point by point, on the grid and off it."""

from __future__ import annotations

import importlib
import itertools
import math
from unittest import mock

import numpy as np
from hypothesis import given, settings
from strategies import cases

from loopscape.model.evaluate import enumerated_partition

model = importlib.import_module("loopscape.model.evaluate")  # the module (the package exports its function)


def points_one_by_one(workload, mapping, level: int, tensor: str) -> int:
    """For every iteration of the temporal loops above the cut: the tile's operations (every iteration below
    the cut) projected on the tensor's ranks, their bounding box (the tile, as the reference simulator and
    Timeloop measure it), and that box's points collected in a set."""
    cut = mapping.cut(level, tensor)
    loops = mapping.loops
    ranks = next(t.ranks for t in workload.tensors if t.name == tensor)
    outer = [k for k in range(cut) if not loops[k].spatial]

    def position(k: int, i: int) -> int:
        return i * math.prod(q.bound for q in loops[k + 1 :] if q.dim == loops[k].dim)

    seen = set()
    for idx in itertools.product(*[range(loops[k].bound) for k in outer]):
        coords = []
        for inner in itertools.product(*[range(q.bound) for q in loops[cut:]]):
            point = dict.fromkeys(workload.dims, 0)
            for k, i in [*zip(outer, idx), *zip(range(cut, len(loops)), inner)]:
                point[loops[k].dim] += position(k, i)
            coords.append([sum(coef * point[d] for d, coef in rank) for rank in ranks])
        lo, hi = np.min(coords, axis=0), np.max(coords, axis=0)
        seen.update(itertools.product(*[range(int(a), int(b) + 1) for a, b in zip(lo, hi)]))
    return len(seen)


def _check(case) -> None:
    arch, workload, mapping = case
    for t in workload.tensors:
        if not t.read_write:
            continue
        for lv in range(len(arch.levels)):
            if mapping.keeps(lv, t.name):
                assert enumerated_partition(workload, mapping, lv, t.name) == points_one_by_one(
                    workload, mapping, lv, t.name
                ), (workload, mapping, lv)


@settings(max_examples=300)
@given(cases(uneven=False))
def test_the_grid_count_is_the_point_by_point_count(case):
    _check(case)


@settings(max_examples=100)
@given(cases(uneven=False))
def test_sorted_indices_in_small_chunks_too(case):
    """No grid is small enough, and a few points are placed at a time: the other path."""
    with mock.patch.object(model, "GRID_LIMIT", 0), mock.patch.object(model, "CHUNK_POINTS", 7):
        _check(case)
