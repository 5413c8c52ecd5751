"""Mapspace search: exhaustive (small spaces) and seeded random sampling, on batches through evaluate_batch."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import LoopscapeError
from loopscape.mapper.mapspace import Mapspace
from loopscape.mapping import Mapping
from loopscape.model.batch import BatchResult, MappingBatch, evaluate_batch
from loopscape.model.evaluate import evaluate
from loopscape.model.result import Result
from loopscape.workload import Workload

OBJECTIVES = ("edp", "energy", "delay")


def objective_values(result: BatchResult, objective: str) -> np.ndarray:
    """Per-mapping objective (lower is better); invalid mappings get +inf."""
    if objective == "edp":
        value = result.energy_pj * result.cycles
    elif objective == "energy":
        value = result.energy_pj.copy()
    elif objective == "delay":
        value = result.cycles.astype(np.float64)
    else:
        raise LoopscapeError(f"objective {objective!r}: expected one of {list(OBJECTIVES)}")
    return np.where(result.valid, value, np.inf)


@dataclass(frozen=True)
class SearchResult:
    """The best mapping found, its full evaluation, and how much was evaluated."""

    mapping: Mapping
    result: Result
    objective: str
    value: float
    evaluated: int
    valid: int
    seconds: float


def _best(
    batches: Iterable[MappingBatch],
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None,
    objective: str,
    stop: float | None,
) -> tuple[Mapping | None, float, int, int]:
    best_value, best_mapping, evaluated, valid = np.inf, None, 0, 0
    for batch in batches:
        res = evaluate_batch(arch, workload, batch, energy)
        values = objective_values(res, objective)
        evaluated += batch.size
        valid += int(res.valid.sum())
        i = int(np.argmin(values))  # ties: the first one, so a seed gives one answer
        if values[i] < best_value:
            best_value, best_mapping = float(values[i]), batch.mapping(i, workload)
        if stop is not None and time.perf_counter() > stop:
            break
    return best_mapping, best_value, evaluated, valid


def _finish(arch, workload, energy, objective, found, started) -> SearchResult:
    mapping, value, evaluated, valid = found
    if mapping is None:
        raise LoopscapeError(
            f"no valid mapping among {evaluated:,} evaluated: every one breaks a fan-out or a capacity "
            "(a level is too small for any tile of this workload)"
        )
    result = evaluate(arch, workload, mapping, energy)
    return SearchResult(mapping, result, objective, value, evaluated, valid, time.perf_counter() - started)


def exhaustive_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str = "edp",
    mapspace: Mapspace | None = None,
) -> SearchResult:
    """The true optimum of a (small) mapspace: every mapping is evaluated."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    found = _best(space.enumerate(), arch, workload, energy, objective, None)
    return _finish(arch, workload, energy, objective, found, started)


def random_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str = "edp",
    budget: int = 1_000_000,
    seconds: float | None = None,
    seed: int = 0,
    batch_size: int = 65536,
    mapspace: Mapspace | None = None,
) -> SearchResult:
    """The best of `budget` mappings sampled uniformly (seeded), or of as many as fit in `seconds`."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    rng = np.random.default_rng(seed)

    def batches():
        left = budget
        while left > 0:
            n = min(batch_size, left)
            yield space.sample(rng, n)
            left -= n

    stop = started + seconds if seconds is not None else None
    found = _best(batches(), arch, workload, energy, objective, stop)
    return _finish(arch, workload, energy, objective, found, started)


def local_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str = "edp",
    budget: int = 1_000_000,
    seconds: float | None = None,
    seed: int = 0,
    batch_size: int = 16384,
    keep_best: int = 64,
    patience: int = 200_000,
    mapspace: Mapspace | None = None,
) -> SearchResult:
    """The default search: a random batch, then batches of neighbours of the best mappings so far (one
    dimension's factorisation redrawn, or two loops of one level swapped), until the budget or the time is
    spent or `patience` evaluations bring no improvement. Deterministic for a seed."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    rng = np.random.default_rng(seed)
    n_levels, n_dims = len(arch.levels), len(workload.dims)
    free_levels = [lv for lv in range(n_levels - 1) if not space.inner[lv]] or [0]
    sizes = np.array([len(o) for o in space.factor_options])

    choice, order = space.draw(rng, min(batch_size, budget))
    first = space.batch(choice, order)
    res = evaluate_batch(arch, workload, first, energy)
    values = objective_values(res, objective)
    evaluated, valid = first.size, int(res.valid.sum())
    top = np.argsort(values, kind="stable")[:keep_best]
    pool_c, pool_o, pool_v = choice[top], order[top], values[top]
    best_value, since = float(pool_v[0]), 0
    stop = started + seconds if seconds is not None else None
    while evaluated < budget and since < patience and (stop is None or time.perf_counter() < stop):
        n = min(batch_size, budget - evaluated)
        parents = rng.integers(0, len(pool_v), size=n)
        c, o = pool_c[parents].copy(), pool_o[parents].copy()
        redraw = rng.random(n) < 0.5
        dims = rng.integers(0, n_dims, size=n)
        rows = np.nonzero(redraw)[0]
        c[rows, dims[rows]] = rng.integers(0, sizes[dims[rows]])
        rows = np.nonzero(~redraw)[0]
        levels = np.asarray(free_levels)[rng.integers(0, len(free_levels), size=rows.size)]
        a, b = rng.integers(0, n_dims, size=rows.size), rng.integers(0, n_dims, size=rows.size)
        oa, ob = o[rows, levels, a].copy(), o[rows, levels, b].copy()
        o[rows, levels, a], o[rows, levels, b] = ob, oa
        batch = space.batch(c, o)
        res = evaluate_batch(arch, workload, batch, energy)
        v = objective_values(res, objective)
        evaluated += n
        valid += int(res.valid.sum())
        allc, allo, allv = (
            np.concatenate([pool_c, c]),
            np.concatenate([pool_o, o]),
            np.concatenate([pool_v, v]),
        )
        keep = np.argsort(allv, kind="stable")[:keep_best]
        pool_c, pool_o, pool_v = allc[keep], allo[keep], allv[keep]
        if pool_v[0] < best_value:
            best_value, since = float(pool_v[0]), 0
        else:
            since += n
    if not np.isfinite(pool_v[0]):
        return _finish(arch, workload, energy, objective, (None, np.inf, evaluated, valid), started)
    mapping = space.batch(pool_c[:1], pool_o[:1]).mapping(0, workload)
    return _finish(arch, workload, energy, objective, (mapping, float(pool_v[0]), evaluated, valid), started)
