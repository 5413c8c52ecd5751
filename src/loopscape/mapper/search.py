"""Mapspace search on batches through evaluate_batch: exhaustive, seeded random, local (the default) and LOMA.

Every search feeds its batches to a `Tracker`, which keeps the best mapping by the objective (lexicographic
over a list of metrics), the top k, and the energy-delay Pareto set of every valid mapping it saw.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import LoopscapeError
from loopscape.mapper.mapspace import Mapspace, Points
from loopscape.mapping import Mapping
from loopscape.model.batch import BatchResult, MappingBatch, evaluate_batch
from loopscape.model.codes import FILLS, READS, UPDATES
from loopscape.model.evaluate import evaluate
from loopscape.model.result import Result
from loopscape.workload import Workload

# metric -> (value from a batch result, sign: +1 lower is better, -1 higher is better)
METRICS: dict[str, Callable[[BatchResult, Workload], np.ndarray]] = {
    "edp": lambda r, w: r.energy_pj * r.cycles,
    "energy": lambda r, w: r.energy_pj,
    "delay": lambda r, w: r.cycles.astype(np.float64),
    "cycles": lambda r, w: r.cycles.astype(np.float64),
    "ed2p": lambda r, w: r.energy_pj * r.cycles.astype(np.float64) ** 2,
    "pj_per_mac": lambda r, w: r.energy_pj / w.operations,
    "utilization": lambda r, w: -r.utilization,  # higher is better
}
OBJECTIVES = ("edp", "energy", "delay")


def parse_objective(objective: str | Sequence[str]) -> tuple[str, ...]:
    """'edp', 'delay,energy' or ['delay', 'energy'] (lexicographic: later metrics break ties)."""
    names = tuple(s.strip() for s in objective.split(",")) if isinstance(objective, str) else tuple(objective)
    for n in names:
        if n not in METRICS:
            raise LoopscapeError(f"objective {n!r}: expected one of {sorted(METRICS)} (or a comma list)")
    if not names:
        raise LoopscapeError("objective: expected at least one metric")
    return names


def objective_values(result: BatchResult, objective: str | Sequence[str], workload: Workload | None = None):
    """(B, metrics) objective values (lower is better); invalid mappings get +inf. A single metric gives (B,)."""
    names = parse_objective(objective)
    cols = [np.where(result.valid, METRICS[n](result, workload), np.inf) for n in names]
    return cols[0] if len(cols) == 1 else np.stack(cols, axis=1)


def _rank(values: np.ndarray) -> np.ndarray:
    """Indices sorting (B, k) values lexicographically, first column most significant, stable."""
    return np.lexsort(values.T[::-1])


@dataclass(frozen=True)
class Candidate:
    """One mapping the search kept, with its batch figures."""

    mapping: Mapping
    value: tuple[float, ...]
    energy_pj: float
    cycles: int


@dataclass(frozen=True)
class SearchResult:
    """The best mapping found and its full evaluation; the top k; the energy-delay Pareto set; effort."""

    mapping: Mapping
    result: Result
    objective: str
    value: float
    evaluated: int
    valid: int
    seconds: float
    top: tuple[Candidate, ...] = ()
    pareto: tuple[Candidate, ...] = ()
    stopped: str = "done"  # done, budget, time, patience, interrupted (Ctrl-C: the best so far)


def _take(batch: MappingBatch, rows: np.ndarray) -> MappingBatch:
    parts = [np.ascontiguousarray(getattr(batch, k)[rows]) for k in _FIELDS]
    return MappingBatch(*parts, batch.shift_array()[rows])


def _concat(batches: list[MappingBatch]) -> MappingBatch:
    parts = [np.concatenate([getattr(b, k) for b in batches]) for k in _FIELDS]
    return MappingBatch(*parts, np.concatenate([b.shift_array() for b in batches]))


_FIELDS = ("temporal", "order", "spatial_x", "spatial_y", "keep")


@dataclass
class Watch:
    """A caller's view of a running search: the tracker it folds batches into (so that the best so far can be
    reported after a Ctrl-C) and `tick(tracker)`, called after the first batch and then after a batch at most
    every `every` seconds (e.g. to checkpoint the incumbent; one clock read per batch, nothing per mapping)."""

    tick: Callable[[Tracker], None] | None = None
    every: float = 2.0
    tracker: Tracker | None = field(default=None, init=False)
    started: float = field(default=0.0, init=False)
    _next: float = field(default=0.0, init=False)

    def attach(self, tracker: Tracker) -> None:
        """Called by the search's tracker when it starts."""
        self.tracker, self.started = tracker, time.perf_counter()
        self._next = self.started  # the first batch's best at once, then every `every` seconds

    def after_batch(self) -> None:
        if self.tick is not None and self.tracker is not None:
            now = time.perf_counter()
            if now >= self._next:
                self._next = now + self.every
                self.tick(self.tracker)

    def best_so_far(self, stopped: str = "interrupted") -> SearchResult | None:
        """The search's result from what it has evaluated so far (None when nothing valid was seen yet)."""
        if self.tracker is None or self.tracker.best is None:
            return None
        return self.tracker.finish(self.started, stopped)


class Tracker:
    """Keeps the best k mappings by the objective and the energy-delay Pareto set of all valid ones seen."""

    def __init__(
        self,
        arch: Architecture,
        workload: Workload,
        energy: EnergyTable | None,
        objective: str | Sequence[str],
        space: Mapspace | None = None,
        top_k: int = 1,
        watch: Watch | None = None,
    ) -> None:
        if energy is None:  # build the default table once, not once per batch
            from loopscape.energy.defaults import default_table

            energy = default_table(arch)
        self.arch, self.workload, self.energy, self.space = arch, workload, energy, space
        self.metrics = parse_objective(objective)
        self.top_k = max(1, top_k)
        self.evaluated = self.valid = 0
        self.best: MappingBatch | None = None
        self.best_values = np.empty((0, len(self.metrics)))
        self.front: MappingBatch | None = None
        self.front_ec = np.empty((0, 2))  # (energy, cycles)
        bw = (space.constraints.max_bandwidth if space else ()) or ()
        names = [lv.name for lv in arch.levels]
        self.bandwidth = [(names.index(n), limit) for n, limit in bw]
        self.watch = watch
        if watch is not None:
            watch.attach(self)

    def evaluate(self, batch: MappingBatch) -> np.ndarray:
        """Evaluate a batch, fold it into the best/top-k/Pareto, return its (B, metrics) values."""
        res = evaluate_batch(self.arch, self.workload, batch, self.energy, keep_counts=bool(self.bandwidth))
        ok = res.valid.copy()
        if self.space is not None:
            ok &= self.space.admissible(batch)
        for lv, limit in self.bandwidth:
            moved = res.counts[:, lv][:, :, [READS, FILLS, UPDATES]].sum(axis=(1, 2))  # (B,)
            ok &= moved <= limit * res.cycles
        values = np.stack(
            [np.where(ok, METRICS[n](res, self.workload), np.inf) for n in self.metrics], axis=1
        )
        self.evaluated += batch.size
        self.valid += int(ok.sum())
        rows = np.nonzero(ok)[0]
        if rows.size:
            order = rows[_rank(values[rows])][: self.top_k]
            self._merge_top(_take(batch, order), values[order])
            self._merge_front(_take(batch, rows), np.stack([res.energy_pj[rows], res.cycles[rows]], axis=1))
        if self.watch is not None:
            self.watch.after_batch()
        return values

    def _merge_top(self, batch: MappingBatch, values: np.ndarray) -> None:
        if self.best is None:
            self.best, self.best_values = batch, values
            return
        allb, allv = _concat([self.best, batch]), np.concatenate([self.best_values, values])
        keep = _rank(allv)[: self.top_k]
        self.best, self.best_values = _take(allb, keep), allv[keep]

    def _merge_front(self, batch: MappingBatch, ec: np.ndarray) -> None:
        if self.front is not None:
            batch, ec = _concat([self.front, batch]), np.concatenate([self.front_ec, ec])
        order = np.lexsort((ec[:, 0], ec[:, 1]))  # by cycles, then energy
        e = ec[order, 0]
        prev = np.concatenate([[np.inf], np.minimum.accumulate(e)[:-1]])
        on = order[e < prev]  # strictly lower energy than every faster-or-equal mapping
        self.front, self.front_ec = _take(batch, on), ec[on]

    @property
    def best_value(self) -> float:
        return float(self.best_values[0, 0]) if self.best is not None else np.inf

    def finish(self, started: float, stopped: str = "done") -> SearchResult:
        if self.best is None:
            why = self.space.too_small() if self.space is not None else None
            raise LoopscapeError(
                why
                or f"no valid mapping among {self.evaluated:,} evaluated: every one breaks a fan-out, a capacity "
                "or a whole-mapping constraint (a level may be too small for any tile of this workload)"
            )
        wl = self.workload
        top = tuple(
            Candidate(self.best.mapping(i, wl), tuple(map(float, self.best_values[i])), 0.0, 0)
            for i in range(self.best.size)
        )
        pareto = tuple(
            Candidate(self.front.mapping(i, wl), (), float(self.front_ec[i, 0]), int(self.front_ec[i, 1]))
            for i in range(self.front.size)
        )
        mapping = top[0].mapping
        result = evaluate(self.arch, wl, mapping, self.energy)
        top = tuple(
            Candidate(c.mapping, c.value, *_figures(self.arch, wl, c.mapping, self.energy)) for c in top
        )
        return SearchResult(
            mapping,
            result,
            ",".join(self.metrics),
            top[0].value[0],
            self.evaluated,
            self.valid,
            time.perf_counter() - started,
            top,
            pareto,
            stopped,
        )


def _figures(arch, workload, mapping, energy) -> tuple[float, int]:
    r = evaluate(arch, workload, mapping, energy)
    return r.energy_pj, r.cycles


def _run(tracker: Tracker, batches: Iterable[MappingBatch], stop: float | None) -> str:
    for batch in batches:
        tracker.evaluate(batch)
        if stop is not None and time.perf_counter() > stop:
            return "time"
    return "done"


def exhaustive_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str | Sequence[str] = "edp",
    mapspace: Mapspace | None = None,
    top_k: int = 1,
    seconds: float | None = None,
    seeds: Iterable[Points] = (),
    watch: Watch | None = None,
) -> SearchResult:
    """The true optimum of a (small) mapspace: every mapping left after pruning is evaluated (after `seeds`,
    e.g. a checkpointed incumbent, so a time limit never ends worse than them)."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    tracker = Tracker(arch, workload, energy, objective, space, top_k, watch)
    stop = started + seconds if seconds is not None else None
    batches = itertools.chain((space.batch(p) for p in seeds), space.enumerate())
    return tracker.finish(started, _run(tracker, batches, stop))


def random_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str | Sequence[str] = "edp",
    budget: int = 1_000_000,
    seconds: float | None = None,
    seed: int = 0,
    batch_size: int = 65536,
    mapspace: Mapspace | None = None,
    top_k: int = 1,
    seeds: Iterable[Points] = (),
    watch: Watch | None = None,
) -> SearchResult:
    """The best of `budget` mappings sampled uniformly (seeded), or of as many as fit in `seconds`; `seeds`
    (e.g. a checkpointed incumbent) are evaluated first, on top of the budget."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    rng = np.random.default_rng(seed)
    tracker = Tracker(arch, workload, energy, objective, space, top_k, watch)
    for pts in seeds:
        tracker.evaluate(space.batch(pts))

    def batches():
        left = budget
        while left > 0:
            n = min(batch_size, left)
            yield space.sample(rng, n)
            left -= n

    stop = started + seconds if seconds is not None else None
    stopped = _run(tracker, batches(), stop)
    return tracker.finish(started, "budget" if stopped == "done" else stopped)


def _neighbours(space: Mapspace, rng: np.random.Generator, pool: Points, n: int, uneven: bool) -> Points:
    """n neighbours of random pool members: one dimension's factorisation redrawn, two loops of one level
    swapped, one keep choice flipped, or (uneven) one tensor's cut at one level moved by a loop."""
    n_dims = len(space.workload.dims)
    n_levels = len(space.arch.levels)
    free_levels = np.array([lv for lv in range(n_levels - 1) if not space.inner[lv]] or [0])
    sizes = np.array([len(o) for o in space.factor_options])
    parents = rng.integers(0, pool.size, size=n)
    c, o, k = pool.choice[parents].copy(), pool.order[parents].copy(), pool.keep[parents].copy()
    kind = rng.random(n)
    flip_share = 0.15 if space.open_keep else 0.0
    redraw = kind < 0.5
    swap = (kind >= 0.5) & (kind < 1.0 - flip_share)
    flip = kind >= 1.0 - flip_share
    dims = rng.integers(0, n_dims, size=n)
    rows = np.nonzero(redraw)[0]
    c[rows, dims[rows]] = rng.integers(0, sizes[dims[rows]])
    rows = np.nonzero(swap)[0]
    levels = free_levels[rng.integers(0, len(free_levels), size=rows.size)]
    a, b = rng.integers(0, n_dims, size=rows.size), rng.integers(0, n_dims, size=rows.size)
    oa, ob = o[rows, levels, a].copy(), o[rows, levels, b].copy()
    o[rows, levels, a], o[rows, levels, b] = ob, oa
    rows = np.nonzero(flip)[0]
    if rows.size:
        j = rng.integers(0, len(space.open_keep), size=rows.size)
        k[rows, j] = ~k[rows, j]
    if not uneven or n_levels < 2:
        return Points(c, o, k, None if pool.shift is None else pool.shift[parents].copy())
    s = pool.with_shift(n_levels, len(space.workload.tensors)).shift[parents].copy()
    rows = np.nonzero(rng.random(n) < 0.2)[0]  # on top of the move above: a cut moved by one loop
    lv = rng.integers(1, n_levels, size=rows.size)
    t = rng.integers(0, len(space.workload.tensors), size=rows.size)
    s[rows, lv, t] += rng.choice(np.array([-1, 1]), size=rows.size)
    return Points(c, o, k, s)


def local_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str | Sequence[str] = "edp",
    budget: int = 1_000_000,
    seconds: float | None = None,
    seed: int = 0,
    batch_size: int = 16384,
    keep_best: int = 64,
    patience: int = 200_000,
    mapspace: Mapspace | None = None,
    top_k: int = 1,
    uneven: bool = True,
    seeds: Iterable[Points] = (),
    refine: Callable[[Points], Points | None] | None = None,
    watch: Watch | None = None,
) -> SearchResult:
    """The default search: a random batch, then batches of neighbours of the best mappings so far (see
    `_neighbours`), until the budget or the time is spent or `patience` evaluations bring no improvement
    (Timeloop's victory condition). `uneven` also moves single tensors' cuts (ZigZag's uneven mappings).
    `seeds` (points from another search, e.g. LOMA's) are evaluated first and join the starting pool.
    `refine` (pool -> new points, e.g. `loma.reallocate`) runs when the walk stalls or the budget nears its end;
    whatever it improves joins the pool and the walk goes on. `watch` sees the tracker (see `Watch`).
    Deterministic for a seed."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    rng = np.random.default_rng(seed)
    tracker = Tracker(arch, workload, energy, objective, space, top_k, watch)
    n_levels_, n_tensors_ = len(arch.levels), len(workload.tensors)
    pool: Points | None = None
    pool_v = np.empty((0, len(tracker.metrics)))

    def merged(pool: Points | None, pool_v: np.ndarray, fresh: Points, v: np.ndarray):
        """The `keep_best` best of the pool and freshly evaluated points (ties keep the pool's first)."""
        fresh = fresh.with_shift(n_levels_, n_tensors_)
        allp = fresh if pool is None else Points.concat([pool, fresh])
        allv = np.concatenate([pool_v, v])
        keep = _rank(allv)[:keep_best]
        return allp.take(keep), allv[keep]

    stop = started + seconds if seconds is not None else None
    for pts in seeds:  # within the budget and the time (the first seed point always)
        room = budget - tracker.evaluated
        if tracker.evaluated and (room <= 0 or (stop is not None and time.perf_counter() >= stop)):
            break
        if pts.size > max(room, 1):
            pts = pts.take(np.arange(max(room, 1)))
        pool, pool_v = merged(pool, pool_v, pts, tracker.evaluate(space.batch(pts)))
    points = space.draw(rng, max(1, min(batch_size, budget - tracker.evaluated)))
    pool, pool_v = merged(pool, pool_v, points, tracker.evaluate(space.batch(points)))
    best, since = tuple(pool_v[0]), 0
    stopped = "budget"
    refined = False
    while tracker.evaluated < budget:
        if stop is not None and time.perf_counter() >= stop:
            stopped = "time"
            break
        if (
            refine is not None
            and not refined
            and (since >= patience or tracker.evaluated + batch_size > budget)
        ):
            refined = True  # once per stall: re-allocate the pool's loop orders, keep what improves
            fresh = refine(pool)
            if fresh is not None and fresh.size > budget - tracker.evaluated:
                fresh = fresh.take(np.arange(budget - tracker.evaluated))
            if fresh is not None and fresh.size:
                pool, pool_v = merged(pool, pool_v, fresh, tracker.evaluate(space.batch(fresh)))
                if tuple(pool_v[0]) < best:
                    best, since, refined = tuple(pool_v[0]), 0, False
                continue
        if since >= patience:
            stopped = "patience"
            break
        n = min(batch_size, budget - tracker.evaluated)
        if n <= 0:
            break
        fresh = _neighbours(space, rng, pool, n, uneven and space.uneven)
        pool, pool_v = merged(pool, pool_v, fresh, tracker.evaluate(space.batch(fresh)))
        if tuple(pool_v[0]) < best:
            best, since, refined = tuple(pool_v[0]), 0, False
        else:
            since += n
    return tracker.finish(started, stopped)


def search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str | Sequence[str] = "edp",
    budget: int = 1_000_000,
    seconds: float | None = None,
    seed: int = 0,
    mapspace: Mapspace | None = None,
    top_k: int = 1,
    patience: int = 200_000,
    spatial: int = 4,
    seed_orders: int = 60,
    batch_size: int = 4096,
    refine_best: int = 8,
    seeds: Iterable[Points] = (),
    watch: Watch | None = None,
) -> SearchResult:
    """The default search: a sample of LOMA's mappings over the best spatial unrollings (deterministic; at most
    `seed_orders` loop orders per unrolling, so seeding stays a small part of the work) seeds a local search
    (`local_search`) that refines them with its neighbourhood walk; when the walk stalls, LOMA's allocators
    re-allocate the best loop orders found to the levels (`loma.reallocate`). `seeds` (e.g. a checkpointed
    incumbent) join LOMA's, first."""
    from loopscape.mapper.loma import loma_points, reallocate

    space = mapspace or Mapspace(arch, workload)
    return local_search(
        arch, workload, energy, objective, budget=budget, seconds=seconds, seed=seed, mapspace=space,
        top_k=top_k, patience=patience, batch_size=batch_size,
        seeds=itertools.chain(seeds, loma_points(space, spatial=spatial, max_orders=seed_orders)),
        refine=lambda pool: reallocate(space, pool.take(np.arange(min(refine_best, pool.size)))),
        watch=watch,
    )  # fmt: skip
