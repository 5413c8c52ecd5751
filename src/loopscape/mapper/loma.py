"""LOMA: loop-order-based memory allocation, ZigZag's temporal-mapping search, on loopscape's mapspace.

Symons et al., "LOMA: Fast Auto-Scheduling on DNN Accelerators through Loop-Order-based Memory Allocation"
(AICAS 2021), used by ZigZag: for a fixed spatial unrolling, split each dimension's temporal extent into prime
factors (the smallest merged until at most `lpf_limit` remain), enumerate every distinct order of those loop
prime factors, and allocate each order to the memory hierarchy bottom-up: loops go to the innermost level while
its tiles still fit, then to the next level up. Each order is allocated twice: evenly (one cut per level,
Timeloop's mappings) and unevenly (then each tensor's cut moves up one loop at a time while the level's tiles
still fit: ZigZag's per-operand allocation). Loops of one dimension that land on one level merge into one loop
(the template holds one loop per dimension and level), placed where the innermost of them was. Spatial
unrollings: the `spatial_candidates` of highest utilisation that the mapspace allows.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.mapper.mapspace import TEMPORAL_SLOT, Mapspace, Points
from loopscape.mapper.search import SearchResult, Tracker, Watch
from loopscape.workload import Workload


def prime_factors(n: int) -> list[int]:
    """Prime factors of n, smallest first, with repetition."""
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def loop_prime_factors(extents: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """(dimension, factor) tokens whose per-dimension products are `extents`; while more than `limit` remain,
    the two smallest factors of one dimension merge (ZigZag's lpf_limit; never below one per dimension)."""
    per_dim = [prime_factors(e) for e in extents]
    limit = max(limit, sum(1 for f in per_dim if f))
    while sum(len(f) for f in per_dim) > limit:
        d = min((i for i, f in enumerate(per_dim) if len(f) > 1), key=lambda i: per_dim[i][0] * per_dim[i][1])
        a, b = per_dim[d][0], per_dim[d][1]
        per_dim[d] = sorted([a * b, *per_dim[d][2:]])
    return [(d, f) for d, fs in enumerate(per_dim) for f in fs]


def distinct_permutations(tokens: list[tuple[int, int]]) -> Iterator[tuple[tuple[int, int], ...]]:
    """Every distinct order of a multiset of tokens (each once)."""
    counts: dict[tuple[int, int], int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    keys = sorted(counts)
    out: list[tuple[int, int]] = []

    def rec() -> Iterator[tuple[tuple[int, int], ...]]:
        if len(out) == len(tokens):
            yield tuple(out)
            return
        for k in keys:
            if counts[k]:
                counts[k] -= 1
                out.append(k)
                yield from rec()
                out.pop()
                counts[k] += 1

    yield from rec()


def spatial_candidates(space: Mapspace, count: int, beam: int = 256) -> list[tuple[tuple[int, ...], ...]]:
    """Up to `count` spatial unrollings (per dimension, its factors at the spatial slots) of highest utilisation
    whose joint fan-outs fit: a beam search over dimensions."""
    spatial = [i for i, s in enumerate(space.slots) if s.kind != TEMPORAL_SLOT]
    per_dim = [sorted({tuple(int(f[i]) for i in spatial) for f in opts}) for opts in space.factor_options]
    limits = [space.slots[i].limit for i in spatial]
    states: list[tuple[int, tuple[int, ...], tuple[tuple[int, ...], ...]]] = [(1, (1,) * len(spatial), ())]
    for options in per_dim:
        nxt = []
        for used, prods, chosen in states:
            for o in options:
                p = tuple(a * b for a, b in zip(prods, o))
                if all(v <= lim for v, lim in zip(p, limits)):
                    nxt.append((used * math.prod(o), p, (*chosen, o)))
        nxt.sort(key=lambda s: (-s[0], s[2]))
        states = nxt[:beam]
    return [chosen for _, _, chosen in states[:count]]


class _Allocator:
    """Allocates one order of loop prime factors to the levels, bottom-up, for one spatial unrolling."""

    def __init__(self, space: Mapspace, spatial: tuple[tuple[int, ...], ...]) -> None:
        self.space = space
        arch, wl = space.arch, space.workload
        self.n_levels, self.n_dims = len(arch.levels), len(wl.dims)
        slots = space.slots
        spatial_slots = [i for i, s in enumerate(slots) if s.kind != TEMPORAL_SLOT]
        # Spatial extent below each level: product of the spatial factors at levels >= lv.
        self.spatial_ext = np.ones((self.n_levels, self.n_dims), dtype=np.int64)
        for d, o in enumerate(spatial):
            for f, i in zip(o, spatial_slots):
                for lv in range(slots[i].level + 1):
                    self.spatial_ext[lv, d] *= f
        self.spatial = spatial
        self.spatial_slots = spatial_slots
        self.keep = space.keep_array(np.ones((1, len(space.open_keep)), dtype=np.bool_))[0]
        self.ranks = [
            [[(d, int(c)) for d, c in enumerate(row) if c] for row in wl.coefficients(t)] for t in wl.tensors
        ]
        self.kept = [[t for t in range(len(wl.tensors)) if self.keep[lv, t]] for lv in range(self.n_levels)]
        self.uses = [
            frozenset(int(d) for d in np.nonzero(wl.coefficients(t).any(axis=0))[0]) for t in wl.tensors
        ]
        self.entries = [lv.entries if lv.entries and lv.entries > 0 else None for lv in arch.levels]
        self.fanout_above = [
            lv > 0
            and any(
                o[j] > 1 for o in spatial for j, i in enumerate(spatial_slots) if slots[i].level == lv - 1
            )
            for lv in range(self.n_levels)
        ]
        self.option_index = [
            {tuple(int(x) for x in f): k for k, f in enumerate(opts)} for opts in space.factor_options
        ]

    def words(self, t: int, ext: Sequence[int]) -> int:
        """Words of tensor t's tile over the extents `ext` (plain ints: this runs per loop of every order)."""
        w = 1
        for rank in self.ranks[t]:
            w *= 1 + sum(c * (ext[d] - 1) for d, c in rank)
        return w

    def fits(self, lv: int, ext: Sequence[int]) -> bool:
        cap = self.entries[lv]
        return cap is None or sum(self.words(t, ext) for t in self.kept[lv]) <= cap

    def _nest(self, order: tuple[tuple[int, int], ...], level_of: list[int]):
        """Per level, the temporal factor of each dimension (its loops there merged into one), the dimension order
        (outermost first: unit loops, then by innermost occurrence, reversed) and each merged loop's innermost
        position in `order` (-1: no loop)."""
        n_levels, n_dims = self.n_levels, self.n_dims
        temporal = np.ones((n_levels, n_dims), dtype=np.int64)
        innermost_pos = np.full((n_levels, n_dims), -1, dtype=np.int64)
        for k, (d, f) in enumerate(order):
            temporal[level_of[k], d] *= f
            if innermost_pos[level_of[k], d] < 0:
                innermost_pos[level_of[k], d] = k
        orders = np.empty((n_levels, n_dims), dtype=np.int64)
        for u in range(n_levels):
            placed = sorted(
                (d for d in range(n_dims) if innermost_pos[u, d] >= 0), key=lambda d: -innermost_pos[u, d]
            )
            orders[u] = [d for d in range(n_dims) if innermost_pos[u, d] < 0] + placed
        return temporal, orders, innermost_pos

    def allocate(self, order: tuple[tuple[int, int], ...], uneven: bool):
        """(per-level temporal factors, per-level dimension orders outermost first, cut shifts)."""
        n_levels = self.n_levels
        level_of = [0] * len(order)
        # extent of each dimension inside each level's tile (its spatial loops included)
        ext = [list(self.spatial_ext[u]) for u in range(n_levels)]
        lv = n_levels - 1
        for k, (d, f) in enumerate(order):  # innermost first
            while lv > 0:
                ok = True
                for u in range(lv + 1):
                    if self.entries[u] is None:
                        continue
                    trial = list(ext[u])
                    trial[d] *= f
                    if not self.fits(u, trial):
                        ok = False
                        break
                if ok:
                    break
                lv -= 1
            level_of[k] = lv
            for u in range(lv + 1):
                ext[u][d] *= f
        temporal, orders, _ = self._nest(order, level_of)
        shift = np.zeros((n_levels, len(self.ranks)), dtype=np.int64)
        if uneven:
            self._shift_up(temporal, orders, shift)
        return temporal, orders, shift

    def _shift_up(self, temporal: np.ndarray, orders: np.ndarray, shift: np.ndarray) -> None:
        """Move each tensor's cut at each level up, one loop of the level above at a time, while the level's
        tiles fit (levels innermost first; a cut never crosses a spatial fan-out; the kernel checks the rest)."""
        for lv in range(self.n_levels - 1, 0, -1):
            if self.entries[lv] is None or self.fanout_above[lv]:
                continue  # unbounded, or a fan-out between lv-1 and lv that the cut cannot cross
            above = [int(d) for d in orders[lv - 1] if temporal[lv - 1, d] > 1][::-1]  # innermost first
            base = [int(x) for x in np.prod(temporal[lv:], axis=0) * self.spatial_ext[lv]]
            ext = {t: list(base) for t in self.kept[lv]}
            for t in sorted(ext, key=lambda t: self.words(t, base)):
                for d in above:
                    trial = list(ext[t])
                    trial[d] *= int(temporal[lv - 1, d])
                    if sum(self.words(u, trial if u == t else ext[u]) for u in ext) > self.entries[lv]:
                        break
                    ext[t] = trial
                    shift[lv, t] -= 1

    def allocate_per_tensor(self, order: tuple[tuple[int, int], ...]):
        """ZigZag's per-operand allocation: at each level, bottom-up, every tensor it keeps takes its own number
        of the next loops; of the combinations that fill the level (no tensor can take one more loop), the one
        with the fewest estimated words fetched from above wins. Returns what `allocate` returns."""
        n_levels, n_dims, n = self.n_levels, self.n_dims, len(order)
        irrelevant = [[d not in self.uses[t] for d, _ in order] for t in range(len(self.ranks))]
        prefix = [[1] * n_dims]
        for d, f in order:
            row = list(prefix[-1])
            row[d] *= f
            prefix.append(row)
        suffix_prod = [1] * (n + 1)
        for k in range(n - 1, -1, -1):
            suffix_prod[k] = suffix_prod[k + 1] * order[k][1]
        cuts: dict[tuple[int, int], int] = {}
        bounds = [n] * n_levels  # tokens inside each level's tile (its even boundary)
        lower = 0
        for lv in range(n_levels - 1, 0, -1):
            kept = self.kept[lv]
            cap = self.entries[lv]
            if cap is None or not kept:
                bounds[lv] = lower if cap is not None else n
                if cap is None:
                    for t in kept:
                        cuts[(lv, t)] = n
                lower = bounds[lv]
                continue

            best = self._level_combo(lv, lower, prefix, irrelevant, suffix_prod)
            for t, k in zip(kept, best):
                cuts[(lv, t)] = k
            bounds[lv] = max(best)
            lower = bounds[lv]
        bounds[0] = n
        level_of = []
        for k in range(n):
            lv = n_levels - 1
            while lv > 0 and k >= bounds[lv]:
                lv -= 1
            level_of.append(lv)
        temporal, orders, innermost_pos = self._nest(order, level_of)
        shift = np.zeros((n_levels, len(self.ranks)), dtype=np.int64)
        for (lv, t), k in cuts.items():
            # loops of this level (merged per dimension) that lie wholly outside t's tile: the cut moves below them
            shift[lv, t] = sum(1 for d in range(n_dims) if innermost_pos[lv, d] >= k)
        return temporal, orders, shift

    def _level_combo(
        self, lv: int, lower: int, prefix: list, irrelevant: list, suffix_prod: list
    ) -> list[int]:
        """Per tensor level `lv` keeps, how many of the order's loops its tile takes (at least `lower`): the
        combination that fills the level and fetches the fewest words from above (ZigZag's allocator)."""
        kept, cap, sp = self.kept[lv], self.entries[lv], self.spatial_ext[lv]
        n = len(prefix) - 1

        def words(t: int, k: int) -> int:
            return self.words(t, [a * b for a, b in zip(prefix[k], sp)])

        def fetched(t: int, k: int) -> int:
            j = k
            while j < n and irrelevant[t][j]:  # loops that leave t's data unchanged reuse its tile
                j += 1
            return words(t, k) * suffix_prod[j]

        best: list[int] = [lower] * len(kept)
        best_score = None
        choice = [lower] * len(kept)

        def dfs(i: int, used: int) -> None:
            nonlocal best, best_score
            if i == len(kept):
                full = all(c == n or used - words(t, c) + words(t, c + 1) > cap for t, c in zip(kept, choice))
                if full:
                    score = sum(fetched(t, c) for t, c in zip(kept, choice))
                    if best_score is None or score < best_score:
                        best, best_score = list(choice), score
                return
            for k in range(lower, n + 1):
                w = words(kept[i], k)
                if used + w > cap:
                    break
                choice[i] = k
                dfs(i + 1, used + w)

        dfs(0, 0)
        return best

    def points(self, allocations: list) -> Points | None:
        """The allocations as mapspace points (those whose factors the mapspace allows)."""
        rows_c, rows_o, rows_s = [], [], []
        spatial_slots = set(self.spatial_slots)
        for temporal, orders, shift in allocations:
            choice = []
            for d in range(self.n_dims):
                s_iter = iter(self.spatial[d])
                key = tuple(
                    next(s_iter) if i in spatial_slots else int(temporal[slot.level, d])
                    for i, slot in enumerate(self.space.slots)
                )
                k = self.option_index[d].get(key)
                if k is None:
                    break
                choice.append(k)
            else:
                rows_c.append(choice)
                rows_o.append(orders)
                rows_s.append(shift)
        if not rows_c:
            return None
        keep = np.ones((len(rows_c), len(self.space.open_keep)), dtype=np.bool_)
        return Points(
            np.array(rows_c, np.int64), np.array(rows_o, np.int64), keep, np.array(rows_s, np.int64)
        )


def loma_points(
    space: Mapspace,
    lpf_limit: int = 6,
    spatial: int = 4,
    uneven: bool = True,
    batch_size: int = 16384,
    max_orders: int | None = None,
) -> Iterator[Points]:
    """LOMA's mappings as batches of mapspace points (deterministic). `max_orders` caps the orders allocated
    per spatial unrolling (evenly spaced over the distinct orders) when a quick seed is wanted."""
    wl = space.workload
    pending: list = []
    for su in spatial_candidates(space, spatial):
        allocator = _Allocator(space, su)
        extents = [wl.bounds[d] // math.prod(su[d]) for d in range(len(wl.dims))]
        if any(e * math.prod(su[d]) != wl.bounds[d] for d, e in enumerate(extents)):
            continue  # the spatial unrolling does not divide the dimension (no padding here)
        tokens = loop_prime_factors(extents, lpf_limit)
        total = math.factorial(len(tokens)) // math.prod(math.factorial(tokens.count(t)) for t in set(tokens))
        step = 1 if max_orders is None or total <= max_orders else total / max_orders
        picks = {int(i * step) for i in range(min(total, max_orders or total))}
        for i, order in enumerate(distinct_permutations(tokens)):
            if i not in picks:
                continue
            pending.append(allocator.allocate(order, False))
            if uneven and space.uneven:
                pending.append(allocator.allocate(order, True))
                pending.append(allocator.allocate_per_tensor(order))
            if len(pending) >= batch_size:
                pts = allocator.points(pending)
                pending.clear()
                if pts is not None:
                    yield pts
        pts = allocator.points(pending)
        pending.clear()
        if pts is not None:
            yield pts


def reallocate(space: Mapspace, pool: Points) -> Points | None:
    """LOMA's allocators on the loop orders of `pool`'s mappings: each mapping's temporal loops, innermost first
    and split into prime factors, re-allocated to the levels evenly and (when the mapspace has uneven mappings)
    unevenly and per tensor."""
    batch = space.batch(pool)
    spatial_slots = [i for i, s in enumerate(space.slots) if s.kind != TEMPORAL_SLOT]
    allocators: dict[tuple, _Allocator] = {}
    by_su: dict[tuple, list] = {}
    n_levels = len(space.arch.levels)
    for b in range(pool.size):
        su = tuple(
            tuple(int(space.factor_options[d][pool.choice[b, d]][i]) for i in spatial_slots)
            for d in range(len(space.workload.dims))
        )
        tokens = []
        for lv in range(n_levels - 1, -1, -1):
            for d in reversed(batch.order[b, lv]):
                f = int(batch.temporal[b, lv, d])
                tokens.extend((int(d), p) for p in prime_factors(f))
        if su not in allocators:
            allocators[su] = _Allocator(space, su)
        a = allocators[su]
        order = tuple(tokens)
        allocations = [a.allocate(order, False)]
        if space.uneven:
            allocations += [a.allocate(order, True), a.allocate_per_tensor(order)]
        by_su.setdefault(su, []).extend(allocations)
    parts = [p for su, allocs in by_su.items() if (p := allocators[su].points(allocs)) is not None]
    return Points.concat(parts) if parts else None


def loma_search(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable | None = None,
    objective: str | Sequence[str] = "edp",
    mapspace: Mapspace | None = None,
    lpf_limit: int = 6,
    spatial: int = 4,
    uneven: bool = True,
    seconds: float | None = None,
    top_k: int = 1,
    seeds: Iterable[Points] = (),
    watch: Watch | None = None,
) -> SearchResult:
    """ZigZag's LOMA over the `spatial` best spatial unrollings; deterministic (no randomness). `seeds` (e.g.
    a checkpointed incumbent) are evaluated first."""
    started = time.perf_counter()
    space = mapspace or Mapspace(arch, workload)
    tracker = Tracker(arch, workload, energy, objective, space, top_k, watch)
    stop = started + seconds if seconds is not None else None
    stopped = "done"
    for pts in itertools.chain(seeds, loma_points(space, lpf_limit, spatial, uneven)):
        tracker.evaluate(space.batch(pts))
        if stop is not None and time.perf_counter() > stop:
            stopped = "time"
            break
    return tracker.finish(started, stopped)


__all__ = [
    "distinct_permutations",
    "loma_search",
    "loop_prime_factors",
    "prime_factors",
    "spatial_candidates",
]
