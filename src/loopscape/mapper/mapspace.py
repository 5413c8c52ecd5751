"""The mapspace of even mappings: index factorisations over the tiling slots, loop orders, keep choices.

Slots per storage level: its temporal loops, and its spatial-X and spatial-Y fan-outs where the mesh has them.
Each dimension's bound is split into an ordered factorisation over the slots (Timeloop's IndexFactorization
sub-space); each level but the innermost orders its temporal loops (LoopPermutation; the innermost level's
order changes no count); keep sets come from the caller (LevelBypass).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from loopscape.arch import Architecture
from loopscape.errors import LoopscapeError
from loopscape.mapping.constraints import Constraints
from loopscape.model.batch import MappingBatch
from loopscape.workload import Workload

TEMPORAL_SLOT, X_SLOT, Y_SLOT = 0, 1, 2


@cache
def factorizations(n: int, parts: int) -> tuple[tuple[int, ...], ...]:
    """Every ordered tuple of `parts` positive integers whose product is n."""
    if parts == 1:
        return ((n,),)
    out = []
    for d in range(1, n + 1):
        if n % d == 0:
            out.extend((d, *rest) for rest in factorizations(n // d, parts - 1))
    return tuple(out)


@dataclass(frozen=True)
class Slot:
    level: int
    kind: int  # TEMPORAL_SLOT, X_SLOT or Y_SLOT
    limit: int  # the largest factor the slot can take (the mesh fan-out; the bound for temporal slots)


class Mapspace:
    """Even mappings of one workload on one architecture, with fixed keep sets."""

    def __init__(
        self,
        arch: Architecture,
        workload: Workload,
        keep: np.ndarray | None = None,
        constraints: Constraints | None = None,
    ) -> None:
        self.arch = arch
        self.workload = workload
        self.constraints = constraints or Constraints()
        self.constraints.validate(arch, workload)
        n_levels, n_tensors = len(arch.levels), len(workload.tensors)
        if keep is None:
            keep = np.array(
                [[arch.may_keep(lv, t) or lv == 0 for t in workload.tensor_names] for lv in range(n_levels)],
                dtype=np.bool_,
            )
        self.keep = np.array(keep, dtype=np.bool_).reshape(n_levels, n_tensors)
        names = [lv.name for lv in arch.levels]
        # Per level: the innermost temporal loops a constraint fixes, innermost first (dimension indices).
        self.inner: list[tuple[int, ...]] = [() for _ in range(n_levels)]
        for c in self.constraints.levels:
            lv = names.index(c.level)
            for t in c.keep:
                self.keep[lv, workload.tensor_names.index(t)] = True
            for t in c.bypass:
                self.keep[lv, workload.tensor_names.index(t)] = False
            if c.permutation:
                self.inner[lv] = tuple(workload.dim_index(d) for d in c.permutation)
        slots = []
        for lv in range(n_levels):
            slots.append(Slot(lv, TEMPORAL_SLOT, 0))
            fx, fy = arch.fanout(lv)
            if fx > 1:
                slots.append(Slot(lv, X_SLOT, fx))
            if fy > 1:
                slots.append(Slot(lv, Y_SLOT, fy))
        self.slots = tuple(slots)
        # Per dimension: its factorisations that fit every spatial slot on their own and obey the constraints.
        self.factor_options: list[np.ndarray] = []
        for d, b in zip(workload.dims, workload.bounds):
            options = [
                f for f in factorizations(b, len(slots))
                if all(s.kind == TEMPORAL_SLOT or f[i] <= s.limit for i, s in enumerate(slots))
            ]  # fmt: skip
            if not options:
                raise LoopscapeError(f"dimension {d}={b} has no factorisation over the architecture's slots")
            for ci, c in enumerate(self.constraints.levels):
                lv = names.index(c.level)
                fixed = dict(c.factors)
                kept = [
                    f for f in options
                    if all(
                        not (s.level == lv and (
                            (s.kind == TEMPORAL_SLOT and d in fixed and f[i] != fixed[d])
                            or (s.kind == X_SLOT and c.spatial_x is not None and d not in c.spatial_x and f[i] > 1)
                            or (s.kind == Y_SLOT and c.spatial_y is not None and d not in c.spatial_y and f[i] > 1)
                        ))
                        for i, s in enumerate(slots)
                    )
                ]  # fmt: skip
                if not kept:
                    raise LoopscapeError(
                        f"constraints[{ci}] ({c.level}) empties the mapspace: no factorisation of {d}={b} obeys it"
                    )
                options = kept
            self.factor_options.append(np.array(options, dtype=np.int64))

    # --- size -----------------------------------------------------------------------------------------------
    @property
    def factorization_count(self) -> int:
        """Combinations of per-dimension factorisations (before the joint fan-out and capacity checks)."""
        return math.prod(len(o) for o in self.factor_options)

    @property
    def size(self) -> int:
        """Mappings in the space: factorisations x orders of every level but the innermost (exact, unpruned)."""
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        return self.factorization_count * math.factorial(n_dims) ** (n_levels - 1)

    # --- building batches ---------------------------------------------------------------------------------------
    def batch(self, choice: np.ndarray, order: np.ndarray) -> MappingBatch:
        """Mappings from factorisation indices (B, dims) and temporal orders (B, levels, dims)."""
        b = choice.shape[0]
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        arrays = {k: np.ones((b, n_levels, n_dims), dtype=np.int64) for k in (TEMPORAL_SLOT, X_SLOT, Y_SLOT)}
        for d in range(n_dims):
            factors = self.factor_options[d][choice[:, d]]  # (B, slots)
            for i, s in enumerate(self.slots):
                arrays[s.kind][:, s.level, d] = factors[:, i]
        keep = np.broadcast_to(self.keep, (b, *self.keep.shape))
        return MappingBatch(
            arrays[TEMPORAL_SLOT], order, arrays[X_SLOT], arrays[Y_SLOT], np.ascontiguousarray(keep)
        )

    def draw(self, rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
        """`count` factorisation indices (count, dims) and orders (count, levels, dims), drawn uniformly with
        the constrained loops innermost."""
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        choice = np.stack([rng.integers(0, len(o), size=count) for o in self.factor_options], axis=1)
        keys = rng.random((count, n_levels, n_dims))
        for lv, inner in enumerate(self.inner):
            for i, d in enumerate(inner):  # constrained loops innermost, in their order (innermost first)
                keys[:, lv, d] = 2.0 + len(inner) - i
        return choice, np.argsort(keys, axis=2).astype(np.int64)

    def sample(self, rng: np.random.Generator, count: int) -> MappingBatch:
        """`count` mappings drawn uniformly from the factorisations and orders (seeded by `rng`)."""
        return self.batch(*self.draw(rng, count))

    def enumerate(self, batch_size: int = 65536):
        """Every mapping, in batches: each factorisation with every order of the dimensions that have a loop
        (factor > 1) at each level but the innermost; loops of bound 1 and the innermost order change nothing."""
        n_levels, n_dims = len(self.arch.levels), len(self.workload.dims)
        choices, orders = [], []
        for combo in itertools.product(*[range(len(o)) for o in self.factor_options]):
            temporal = np.ones((n_levels, n_dims), dtype=np.int64)
            for d, c in enumerate(combo):
                for i, s in enumerate(self.slots):
                    if s.kind == TEMPORAL_SLOT:
                        temporal[s.level, d] = self.factor_options[d][c][i]
            per_level = []
            for lv in range(n_levels):
                inner = [d for d in reversed(self.inner[lv])]  # outer to inner
                active = [d for d in range(n_dims) if temporal[lv, d] > 1 and d not in inner]
                rest = [d for d in range(n_dims) if temporal[lv, d] == 1 and d not in inner]
                perms = itertools.permutations(active) if lv < n_levels - 1 else [tuple(active)]
                per_level.append([rest + list(p) + inner for p in perms])
            for orders_combo in itertools.product(*per_level):
                choices.append(combo)
                orders.append(orders_combo)
                if len(choices) == batch_size:
                    yield self.batch(np.array(choices, dtype=np.int64), np.array(orders, dtype=np.int64))
                    choices, orders = [], []
        if choices:
            yield self.batch(np.array(choices, dtype=np.int64), np.array(orders, dtype=np.int64))
