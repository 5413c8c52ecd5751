"""The mapspace of even mappings: index factorisations over the tiling slots, loop orders, keep choices.

Slots per storage level: its temporal loops, and its spatial-X and spatial-Y fan-outs where the mesh has them.
Each dimension's bound is split into an ordered factorisation over the slots (Timeloop's IndexFactorization
sub-space); each level but the innermost orders its temporal loops (LoopPermutation; the innermost level's
order changes no count); each (level, tensor) the architecture and the constraints leave open is kept or
bypassed (LevelBypass). A point of the space is a `Points` row: factorisation indices, orders, keep bits.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from loopscape.arch import Architecture
from loopscape.errors import LoopscapeError
from loopscape.mapping.constraints import Constraints
from loopscape.model.batch import MappingBatch
from loopscape.workload import Workload

TEMPORAL_SLOT, X_SLOT, Y_SLOT = 0, 1, 2
_BATCH_FIELDS = ("temporal", "order", "spatial_x", "spatial_y", "keep")


MAX_FACTORIZATIONS = 1_000_000  # ordered factorisations of one dimension the mapspace may list


def _prime_exponents(n: int) -> list[int]:
    """Exponents of n's prime factorisation (trial division up to sqrt(n))."""
    exps, p = [], 2
    while p * p <= n:
        e = 0
        while n % p == 0:
            n //= p
            e += 1
        if e:
            exps.append(e)
        p += 1 if p == 2 else 2
    if n > 1:
        exps.append(1)
    return exps


def factorization_count(n: int, parts: int) -> int:
    """How many ordered tuples of `parts` positive integers multiply to n (stars and bars per prime)."""
    return math.prod(math.comb(e + parts - 1, parts - 1) for e in _prime_exponents(n))


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return small + [n // d for d in reversed(small) if d * d != n]


@cache
def factorizations(n: int, parts: int) -> tuple[tuple[int, ...], ...]:
    """Every ordered tuple of `parts` positive integers whose product is n."""
    if parts == 1:
        return ((n,),)
    return tuple((d, *rest) for d in _divisors(n) for rest in factorizations(n // d, parts - 1))


@dataclass(frozen=True)
class Slot:
    level: int
    kind: int  # TEMPORAL_SLOT, X_SLOT or Y_SLOT
    limit: int  # the largest factor the slot can take (the mesh fan-out; 0 for temporal slots)


@dataclass(frozen=True)
class Points:
    """B points of a mapspace: factorisation index per dimension, temporal order per level (dimension indices,
    outermost first) and, per open (level, tensor) keep choice, whether it is kept."""

    choice: np.ndarray  # (B, dims) int64
    order: np.ndarray  # (B, levels, dims) int64
    keep: np.ndarray  # (B, open choices) bool
    shift: np.ndarray | None = None  # (B, levels, tensors) int64 uneven cut shifts (None: even)

    @property
    def size(self) -> int:
        return self.choice.shape[0]

    def take(self, rows: np.ndarray) -> Points:
        shift = None if self.shift is None else self.shift[rows]
        return Points(self.choice[rows], self.order[rows], self.keep[rows], shift)

    def with_shift(self, n_levels: int, n_tensors: int) -> Points:
        """The same points with an explicit (zero where absent) shift array."""
        if self.shift is not None:
            return self
        return Points(
            self.choice, self.order, self.keep, np.zeros((self.size, n_levels, n_tensors), np.int64)
        )

    @staticmethod
    def concat(parts: list[Points]) -> Points:
        fields = [np.concatenate([getattr(p, k) for p in parts]) for k in ("choice", "order", "keep")]
        if all(p.shift is None for p in parts):
            return Points(*fields)
        shape = next(p.shift.shape[1:] for p in parts if p.shift is not None)
        shifts = [p.shift if p.shift is not None else np.zeros((p.size, *shape), np.int64) for p in parts]
        return Points(*fields, np.concatenate(shifts))


@dataclass(frozen=True)
class Relevance:
    """Per tensor, which dimensions it uses and whether its projection is simple (every rank one dimension with
    coefficient 1, no sliding window): what decides whether a loop order can change its counts."""

    uses: tuple[frozenset[int], ...]
    simple: tuple[bool, ...]

    @staticmethod
    def of(workload: Workload) -> Relevance:
        uses, simple = [], []
        for t in workload.tensors:
            a = workload.coefficients(t)
            uses.append(frozenset(int(d) for d in np.nonzero(a.any(axis=0))[0]))
            simple.append(bool(((a != 0).sum(axis=1) <= 1).all() and ((a != 0).sum(axis=0) <= 1).all()
                               and (a[a != 0] == 1).all()))  # fmt: skip
        return Relevance(tuple(uses), tuple(simple))


def order_signature(rel: Relevance, order: Sequence[int]) -> tuple:
    """What a level's temporal loop order (dimension per loop, outermost first) can change, per tensor.

    For a tensor with a simple projection, only which of its irrelevant loops run inside all its relevant ones
    (they give reuse; elsewhere an irrelevant loop only repeats the same deltas); for any other tensor, the
    order of its relevant loops and, per irrelevant loop, how many relevant loops run inside it. Two orders with
    one signature give identical counts, cycles and energy (tested in tests/mapper/test_pruning.py).
    """
    sig = []
    for uses, simple in zip(rel.uses, rel.simple):
        if simple:
            suffix = []
            for d in reversed(order):
                if d in uses:
                    break
                suffix.append(d)
            sig.append(frozenset(suffix))
        else:
            relevant = tuple(d for d in order if d in uses)
            gaps, inside = [], 0
            for d in reversed(order):
                if d in uses:
                    inside += 1
                else:
                    gaps.append((d, inside))
            sig.append((relevant, frozenset(gaps)))
    return tuple(sig)


def distinct_orders(rel: Relevance, active: Sequence[int]) -> list[tuple[int, ...]]:
    """One order (outermost first) per signature among the permutations of `active`."""
    seen, out = set(), []
    for p in itertools.permutations(active):
        key = order_signature(rel, p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


class Mapspace:
    """Even mappings of one workload on one architecture, under constraints.

    `keep` (levels x tensors) fixes every keep choice; otherwise each (level, tensor) the architecture allows
    and no constraint fixes is a choice (`bypass=True`, Timeloop's default) or kept (`bypass=False`).
    `one_axis_per_dim` keeps each dimension on one mesh axis per level, and `uneven=False` keeps every cut at
    its level's first loop, as Timeloop's mappings must be; searches never leave the space they are given.
    """

    def __init__(
        self,
        arch: Architecture,
        workload: Workload,
        keep: np.ndarray | None = None,
        constraints: Constraints | None = None,
        bypass: bool = True,
        one_axis_per_dim: bool = False,
        uneven: bool = True,
    ) -> None:
        self.arch = arch
        self.one_axis_per_dim = one_axis_per_dim
        self.uneven = uneven
        self.workload = workload
        self.constraints = constraints or Constraints()
        self.constraints.validate(arch, workload)
        n_levels, n_tensors = len(arch.levels), len(workload.tensors)
        names = [lv.name for lv in arch.levels]
        allowed = np.array(
            [[arch.may_keep(lv, t) or lv == 0 for t in workload.tensor_names] for lv in range(n_levels)],
            dtype=np.bool_,
        )
        fixed = np.zeros((n_levels, n_tensors), dtype=np.bool_)
        fixed[0] = True  # the backing store keeps everything
        base = allowed.copy()
        if keep is not None:
            base = np.array(keep, dtype=np.bool_).reshape(n_levels, n_tensors)
            fixed[:] = True
        elif not bypass:
            fixed[:] = True
        fixed |= ~allowed
        self.inner: list[tuple[int, ...]] = [() for _ in range(n_levels)]
        for ci, c in enumerate(self.constraints.levels):
            lv = names.index(c.level)
            for t in c.keep:
                if not allowed[lv, workload.tensor_names.index(t)]:
                    raise LoopscapeError(
                        f"constraints[{ci}] ({c.level}) empties the mapspace: it must keep {t}, which the "
                        f"architecture's {c.level} cannot hold (its keeps)"
                    )
                base[lv, workload.tensor_names.index(t)] = True
                fixed[lv, workload.tensor_names.index(t)] = True
            for t in c.bypass:
                base[lv, workload.tensor_names.index(t)] = False
                fixed[lv, workload.tensor_names.index(t)] = True
            if c.permutation:
                self.inner[lv] = tuple(workload.dim_index(d) for d in c.permutation)
        self.base_keep = base
        self.open_keep: tuple[tuple[int, int], ...] = tuple(
            (lv, t) for lv in range(n_levels) for t in range(n_tensors) if not fixed[lv, t]
        )
        self.relevance = Relevance.of(workload)
        self._orders_cache: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        slots = []
        for lv in range(n_levels):
            slots.append(Slot(lv, TEMPORAL_SLOT, 0))
            fx, fy = arch.fanout(lv)
            if fx > 1:
                slots.append(Slot(lv, X_SLOT, fx))
            if fy > 1:
                slots.append(Slot(lv, Y_SLOT, fy))
        self.slots = tuple(slots)
        self.factor_options = [self._options(d) for d in range(len(workload.dims))]
        self.compute_instances = arch.compute.instances

    # --- the per-dimension factorisations ---------------------------------------------------------------------
    def _options(self, d: int) -> np.ndarray:
        """Dimension d's factorisations that fit each spatial slot on its own, obey every constraint, and fit
        each level's capacity on their own where the level must keep a tensor that uses d."""
        dim, b = self.workload.dims[d], self.workload.bounds[d]
        names = [lv.name for lv in self.arch.levels]
        slots = self.slots
        count = factorization_count(b, len(slots))
        if count > MAX_FACTORIZATIONS:
            raise LoopscapeError(
                f"dimension {dim}={b} has {count:,} ordered factorisations over the architecture's {len(slots)} "
                f"loop slots (more than {MAX_FACTORIZATIONS:,} to list): constrain its factors"
            )
        opts = [f for f in factorizations(b, len(slots))
                if all(s.kind == TEMPORAL_SLOT or f[i] <= s.limit for i, s in enumerate(slots))]  # fmt: skip
        if self.one_axis_per_dim:
            pairs = [(i, j) for i, s in enumerate(slots) for j, u in enumerate(slots)
                     if s.kind == X_SLOT and u.kind == Y_SLOT and s.level == u.level]  # fmt: skip
            opts = [f for f in opts if all(f[i] == 1 or f[j] == 1 for i, j in pairs)]
        if not opts:
            raise LoopscapeError(f"dimension {dim}={b} has no factorisation over the architecture's slots")
        for ci, c in enumerate(self.constraints.levels):
            lv = names.index(c.level)
            t_slot = next(i for i, s in enumerate(slots) if s.level == lv and s.kind == TEMPORAL_SLOT)
            s_slots = [i for i, s in enumerate(slots) if s.level == lv and s.kind != TEMPORAL_SLOT]
            x_slot = next((i for i, s in enumerate(slots) if s.level == lv and s.kind == X_SLOT), None)
            y_slot = next((i for i, s in enumerate(slots) if s.level == lv and s.kind == Y_SLOT), None)
            exact = {k: min(v or b, b) for k, v in c.factors}  # 0: the whole dimension (Timeloop)
            s_exact = {k: min(v or b, b) for k, v in c.spatial_factors}
            hi, lo, s_hi = dict(c.max_factors), dict(c.min_factors), dict(c.spatial_max_factors)

            kept = []
            for f in opts:
                sp = math.prod(f[i] for i in s_slots)
                if (
                    (dim not in exact or f[t_slot] == exact[dim])
                    and lo.get(dim, 1) <= f[t_slot] <= hi.get(dim, b)
                    and (dim not in s_exact or sp == s_exact[dim])
                    and sp <= s_hi.get(dim, b)
                    and (x_slot is None or c.spatial_x is None or dim in c.spatial_x or f[x_slot] == 1)
                    and (y_slot is None or c.spatial_y is None or dim in c.spatial_y or f[y_slot] == 1)
                ):
                    kept.append(f)
            if not kept:
                why = ""
                if not s_slots and (s_exact or c.spatial_x or c.spatial_y):
                    why = f" ({c.level} has no spatial fan-out below it)"
                raise LoopscapeError(
                    f"constraints[{ci}] ({c.level}) empties the mapspace: no factorisation of {dim}={b} obeys "
                    f"it{why}"
                )
            opts = kept
        # Capacity, one dimension at a time: a tensor a level must keep, using d alone, must fit the level.
        for lv, level in enumerate(self.arch.levels):
            if level.entries is None or level.entries <= 0:
                continue
            inner = [i for i, s in enumerate(slots) if s.level >= lv]
            for ti, t in enumerate(self.workload.tensors):
                if not self.base_keep[lv, ti] or (lv, ti) in self.open_keep:
                    continue
                a = self.workload.coefficients(t)
                if not a[:, d].any():
                    continue
                fitting = [f for f in opts if int(np.prod(a[:, d] * (math.prod(f[i] for i in inner) - 1) + 1))
                           <= level.entries]  # fmt: skip
                if not fitting:
                    raise LoopscapeError(
                        f"{level.name} is too small for {self.workload.name or 'the workload'}: it must keep "
                        f"{t.name}, and even a tile of {dim}=1 elsewhere needs more than its {level.entries} "
                        "entries"
                    )
                opts = fitting
        return np.array(opts, dtype=np.int64)

    def too_small(self) -> str | None:
        """Why no mapping can fit, when a level is too small for the smallest tiles it must keep (each dimension
        at its smallest extent below the level that the constraints allow), else None."""
        wl, arch = self.workload, self.arch
        for lv, level in enumerate(arch.levels):
            if not level.entries or level.entries <= 0:
                continue
            inner = [i for i, s in enumerate(self.slots) if s.level >= lv]
            ext = np.array(
                [min(math.prod(int(f[i]) for i in inner) for f in opts) for opts in self.factor_options]
            )
            forced = [
                t
                for ti, t in enumerate(wl.tensors)
                if self.base_keep[lv, ti] and (lv, ti) not in self.open_keep
            ]
            need = {t.name: int(np.prod(wl.coefficients(t) @ (ext - 1) + 1)) for t in forced}
            if sum(need.values()) > level.entries:
                parts = ", ".join(f"{k} {v}" for k, v in need.items())
                return (
                    f"{level.name} is too small for {wl.name or 'this workload'}: it must keep {parts} words even "
                    f"for the smallest tiles the constraints allow ({sum(need.values())} words), but holds "
                    f"{level.entries}"
                )
        return None

    # --- size ---------------------------------------------------------------------------------------------
    @property
    def factorization_count(self) -> int:
        """Combinations of per-dimension factorisations (before the joint fan-out and capacity checks)."""
        return math.prod(len(o) for o in self.factor_options)

    def _free_dims(self, lv: int) -> int:
        return len(self.workload.dims) - len(self.inner[lv])

    @property
    def size(self) -> int:
        """Mappings in the space as Timeloop counts it: factorisations x orders of the unconstrained loops of
        every level but the innermost x keep choices (exact big integer; nothing pruned)."""
        n_levels = len(self.arch.levels)
        orders = math.prod(math.factorial(self._free_dims(lv)) for lv in range(n_levels - 1))
        return self.factorization_count * orders * 2 ** len(self.open_keep)

    def level_orders(self, active: tuple[int, ...]) -> list[tuple[int, ...]]:
        """The distinct orders of a level's active loops (cached by the active set)."""
        if active not in self._orders_cache:
            self._orders_cache[active] = distinct_orders(self.relevance, active)
        return self._orders_cache[active]

    def pruned_size(self) -> int:
        """Mappings left after pruning, counted exactly without listing them: joint fan-outs that fit the mesh,
        loops of bound 1 and the innermost level's order dropped, one order per signature (`order_signature`).
        Capacity is pruned while enumerating (`enumerate`), not counted here."""
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        spatial = [i for i, s in enumerate(self.slots) if s.kind != TEMPORAL_SLOT]
        temporal = {s.level: i for i, s in enumerate(self.slots) if s.kind == TEMPORAL_SLOT}
        # DP over dimensions; state: (spatial products, per level the bit mask of its free non-unit loops).
        states: Counter = Counter({(tuple(1 for _ in spatial), (0,) * n_levels): 1})
        for d in range(n_dims):
            nxt: Counter = Counter()
            for (prods, masks), ways in states.items():
                for f in self.factor_options[d]:
                    p = tuple(pr * int(f[i]) for pr, i in zip(prods, spatial))
                    if any(v > self.slots[i].limit for v, i in zip(p, spatial)):
                        continue
                    m = tuple(
                        mask | (1 << d) if lv < n_levels - 1 and f[temporal[lv]] > 1 and d not in self.inner[lv]
                        else mask
                        for lv, mask in enumerate(masks)
                    )  # fmt: skip
                    nxt[(p, m)] += ways
            states = nxt
        total = 0
        for (_, masks), ways in states.items():
            orders = 1
            for mask in masks:
                active = tuple(d for d in range(n_dims) if mask >> d & 1)
                orders *= len(self.level_orders(active)) if len(active) > 1 else 1
            total += ways * orders
        return total * 2 ** len(self.open_keep)

    # --- building batches ---------------------------------------------------------------------------------------
    def keep_array(self, keep_bits: np.ndarray) -> np.ndarray:
        """(B, levels, tensors) keep sets from the open choices' bits."""
        b = keep_bits.shape[0]
        keep = np.repeat(self.base_keep[None], b, axis=0)
        for j, (lv, t) in enumerate(self.open_keep):
            keep[:, lv, t] = keep_bits[:, j]
        return keep

    def batch(self, points: Points) -> MappingBatch:
        """The mappings at `points`."""
        b = points.size
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        arrays = {k: np.ones((b, n_levels, n_dims), dtype=np.int64) for k in (TEMPORAL_SLOT, X_SLOT, Y_SLOT)}
        for d in range(n_dims):
            factors = self.factor_options[d][points.choice[:, d]]  # (B, slots)
            for i, s in enumerate(self.slots):
                arrays[s.kind][:, s.level, d] = factors[:, i]
        return MappingBatch(
            arrays[TEMPORAL_SLOT],
            points.order,
            arrays[X_SLOT],
            arrays[Y_SLOT],
            self.keep_array(points.keep),
            points.shift,
        )

    def points_of(self, batch: MappingBatch) -> Points | None:
        """The points whose mappings are `batch` (the inverse of `batch`), or None when one of them is not in
        this mapspace; e.g. to seed a search with a mapping kept from an earlier run."""
        n_dims = len(self.workload.dims)
        kinds = {TEMPORAL_SLOT: batch.temporal, X_SLOT: batch.spatial_x, Y_SLOT: batch.spatial_y}
        choice = np.empty((batch.size, n_dims), np.int64)
        for d in range(n_dims):
            want = np.stack([kinds[s.kind][:, s.level, d] for s in self.slots], axis=1)  # (B, slots)
            hits = (self.factor_options[d][None, :, :] == want[:, None, :]).all(axis=2)  # (B, options)
            if not hits.any(axis=1).all():
                return None
            choice[:, d] = hits.argmax(axis=1)
        lvs = np.array([lv for lv, _ in self.open_keep], np.int64)
        keep = np.ascontiguousarray(batch.keep[:, lvs, np.array([t for _, t in self.open_keep], np.int64)])
        points = Points(choice, np.asarray(batch.order, np.int64), keep, batch.shift_array())
        again = self.batch(points)
        same = all(np.array_equal(getattr(again, k), getattr(batch, k)) for k in _BATCH_FIELDS)
        return points if same else None

    def admissible(self, batch: MappingBatch) -> np.ndarray:
        """Mappings that meet the whole-mapping constraints checked before evaluation (minimum utilisation)."""
        if self.constraints.min_utilization <= 0:
            return np.ones(batch.size, dtype=np.bool_)
        used = np.prod(batch.spatial_x, axis=(1, 2)) * np.prod(batch.spatial_y, axis=(1, 2))
        return used >= self.constraints.min_utilization * self.compute_instances

    def draw(self, rng: np.random.Generator, count: int) -> Points:
        """`count` points drawn uniformly over factorisations, orders and keep choices, with the constrained
        loops innermost in their order."""
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        choice = np.stack([rng.integers(0, len(o), size=count) for o in self.factor_options], axis=1)
        keys = rng.random((count, n_levels, n_dims))
        for lv, inner in enumerate(self.inner):
            for i, d in enumerate(inner):  # constrained loops innermost, in their order (innermost first)
                keys[:, lv, d] = 2.0 + len(inner) - i
        keep = rng.random((count, len(self.open_keep))) < 0.5
        return Points(choice.astype(np.int64), np.argsort(keys, axis=2).astype(np.int64), keep)

    def sample(self, rng: np.random.Generator, count: int) -> MappingBatch:
        """`count` mappings drawn uniformly (seeded by `rng`)."""
        return self.batch(self.draw(rng, count))

    # --- enumeration --------------------------------------------------------------------------------------------
    def _feasible_factorizations(self) -> Iterator[tuple[int, ...]]:
        """Factorisation index combinations whose joint fan-outs fit the mesh and whose tiles of the tensors a
        level must keep fit that level, pruned depth first (a partial tiling that already overflows is cut)."""
        wl, arch = self.workload, self.arch
        n_levels, n_dims = len(arch.levels), len(wl.dims)
        spatial = [i for i, s in enumerate(self.slots) if s.kind != TEMPORAL_SLOT]
        # tile extent of dimension d at level lv = product of its factors at slots of level >= lv
        ext_of = [
            np.array([[math.prod(int(f[i]) for i, s in enumerate(self.slots) if s.level >= lv)
                       for lv in range(n_levels)] for f in opts], dtype=np.int64)
            for opts in self.factor_options
        ]  # fmt: skip
        forced = [
            (lv, wl.coefficients(t), arch.levels[lv].entries)
            for lv in range(n_levels)
            for ti, t in enumerate(wl.tensors)
            if arch.levels[lv].entries and self.base_keep[lv, ti] and (lv, ti) not in self.open_keep
        ]
        by_level: dict[int, list[np.ndarray]] = {}
        for lv, a, _ in forced:
            by_level.setdefault(lv, []).append(a)

        def fits(ext: np.ndarray) -> bool:
            for lv, mats in by_level.items():
                words = sum(int(np.prod(a @ (ext[:, lv] - 1) + 1)) for a in mats)
                if words > arch.levels[lv].entries:
                    return False
            return True

        combo = [0] * n_dims
        ext = np.ones((n_dims, n_levels), dtype=np.int64)

        def dfs(d: int, prods: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
            if d == n_dims:
                yield tuple(combo)
                return
            for k, f in enumerate(self.factor_options[d]):
                p = tuple(pr * int(f[i]) for pr, i in zip(prods, spatial))
                if any(v > self.slots[i].limit for v, i in zip(p, spatial)):
                    continue
                ext[d] = ext_of[d][k]
                if by_level and not fits(ext):
                    continue
                combo[d] = k
                yield from dfs(d + 1, p)
            ext[d] = 1

        yield from dfs(0, tuple(1 for _ in spatial))

    def _orders(self, temporal: np.ndarray) -> list[list[list[int]]]:
        """Per level, the distinct orders worth evaluating: loops of bound 1 outermost (they change nothing),
        one order per signature, the constrained loops innermost; one order at the innermost level."""
        n_levels, n_dims = temporal.shape
        per_level = []
        for lv in range(n_levels):
            inner = list(reversed(self.inner[lv]))  # outer to inner
            active = tuple(d for d in range(n_dims) if temporal[lv, d] > 1 and d not in inner)
            rest = [d for d in range(n_dims) if temporal[lv, d] == 1 and d not in inner]
            if lv == n_levels - 1 or len(active) < 2:
                per_level.append([rest + list(active) + inner])
            else:
                per_level.append([rest + list(p) + inner for p in self.level_orders(active)])
        return per_level

    def enumerate_points(self, batch_size: int = 65536) -> Iterator[Points]:
        """Every point left after pruning, in batches (see `pruned_size`; capacity is pruned here too)."""
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        keeps = list(itertools.product((False, True), repeat=len(self.open_keep)))
        choices, orders, keep_rows = [], [], []
        for combo in self._feasible_factorizations():
            temporal = np.ones((n_levels, n_dims), dtype=np.int64)
            for d, c in enumerate(combo):
                for i, s in enumerate(self.slots):
                    if s.kind == TEMPORAL_SLOT:
                        temporal[s.level, d] = self.factor_options[d][c][i]
            for orders_combo in itertools.product(*self._orders(temporal)):
                for k in keeps:
                    choices.append(combo)
                    orders.append(orders_combo)
                    keep_rows.append(k)
                    if len(choices) == batch_size:
                        yield self._points(choices, orders, keep_rows)
                        choices, orders, keep_rows = [], [], []
        if choices:
            yield self._points(choices, orders, keep_rows)

    def _points(self, choices: list, orders: list, keeps: list) -> Points:
        keep = np.array(keeps, dtype=np.bool_).reshape(len(choices), len(self.open_keep))
        return Points(np.array(choices, dtype=np.int64), np.array(orders, dtype=np.int64), keep)

    def enumerate(self, batch_size: int = 65536) -> Iterator[MappingBatch]:
        """Every mapping left after pruning, in batches."""
        for points in self.enumerate_points(batch_size):
            yield self.batch(points)
