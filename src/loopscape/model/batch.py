"""evaluate_batch: many even mappings of one (architecture, workload) as arrays, with no Python loop per mapping."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba as nb
import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import LoopscapeError
from loopscape.mapping import Loop, Mapping
from loopscape.mapping.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL
from loopscape.model.batch_kernel import evaluate_template_batch
from loopscape.model.codes import FILLS, LINKS, READS, REDUCTIONS, UPDATES, WORDS
from loopscape.model.costs import level_params
from loopscape.model.evaluate import evaluate
from loopscape.model.nest import NestArrays, problem_arrays
from loopscape.workload import Workload


@dataclass(frozen=True)
class MappingBatch:
    """B mappings over one slot template: per level, its temporal loops in `order`, then its spatial-X loops,
    then its spatial-Y loops (each dimension once; factor 1 = no loop). Even (Timeloop-style) unless `shift`
    moves a (level, tensor) cut by that many loops from the level's first loop (ZigZag's uneven mappings)."""

    temporal: np.ndarray  # (B, levels, dims) temporal factor of each dimension at each level
    order: np.ndarray  # (B, levels, dims) dimension indices of each level's temporal loops, outermost first
    spatial_x: np.ndarray  # (B, levels, dims) fan-out factors below each level along mesh X
    spatial_y: np.ndarray  # (B, levels, dims)
    keep: np.ndarray  # (B, levels, tensors) bool
    shift: np.ndarray | None = None  # (B, levels, tensors) int: uneven cuts, loops from the level's first

    @property
    def size(self) -> int:
        return self.temporal.shape[0]

    def nests(self) -> NestArrays:
        """The flat nests the analysis reads, built with array operations only."""
        b, n_levels, n_dims = self.temporal.shape
        dims = np.arange(n_dims, dtype=np.int64)
        per_level = 3 * n_dims
        dim = np.empty((b, n_levels, 3, n_dims), dtype=np.int64)
        bound = np.empty((b, n_levels, 3, n_dims), dtype=np.int64)
        dim[:, :, 0] = self.order
        bound[:, :, 0] = np.take_along_axis(self.temporal, self.order, axis=2)
        dim[:, :, 1] = dims
        bound[:, :, 1] = self.spatial_x
        dim[:, :, 2] = dims
        bound[:, :, 2] = self.spatial_y
        kind = np.broadcast_to(np.array([0, 1, 2], dtype=np.int64)[None, None, :, None], dim.shape)
        level = np.broadcast_to(np.arange(n_levels, dtype=np.int64)[None, :, None, None], dim.shape)
        n_tensors = self.keep.shape[2]
        cut = np.array(
            np.broadcast_to(
                (np.arange(n_levels, dtype=np.int64) * per_level)[None, :, None], (b, n_levels, n_tensors)
            )
        )
        if self.shift is not None and self.shift.any():
            # A shift counts loops of the compact nest (bound-1 loops dropped); cuts here index the full nest.
            flat_active = (bound > 1).reshape(b, -1)
            starts = np.cumsum(flat_active.reshape(b, n_levels, per_level).sum(axis=2), axis=1) - (
                flat_active.reshape(b, n_levels, per_level).sum(axis=2)
            )
            for i, lv, t in zip(*np.nonzero(self.shift)):
                target = starts[i, lv] + self.shift[i, lv, t]
                where = np.nonzero(flat_active[i])[0]
                cut[i, lv, t] = where[target] if 0 <= target < where.size else flat_active.shape[1]
        return NestArrays(
            dim=dim.reshape(b, -1),
            bound=bound.reshape(b, -1),
            kind=np.ascontiguousarray(kind.reshape(b, -1)),
            level=np.ascontiguousarray(level.reshape(b, -1)),
            cut=np.ascontiguousarray(cut),
            keep=np.ascontiguousarray(self.keep),
        )

    def mapping(self, i: int, workload: Workload) -> Mapping:
        """Mapping i as a Mapping object (for reports and for checking against `evaluate`)."""
        loops: list[Loop] = []
        n_levels = self.temporal.shape[1]
        for lv in range(n_levels):
            for d in self.order[i, lv]:
                if self.temporal[i, lv, d] > 1:
                    loops.append(Loop(workload.dims[d], int(self.temporal[i, lv, d]), TEMPORAL, lv))
            for kind, arr in ((SPATIAL_X, self.spatial_x), (SPATIAL_Y, self.spatial_y)):
                for d in range(len(workload.dims)):
                    if arr[i, lv, d] > 1:
                        loops.append(Loop(workload.dims[d], int(arr[i, lv, d]), kind, lv))
        keep = tuple(
            frozenset(t for j, t in enumerate(workload.tensor_names) if self.keep[i, lv, j])
            for lv in range(n_levels)
        )
        cuts = []
        if self.shift is not None and self.shift[i].any():
            starts = [
                next((k for k, lp in enumerate(loops) if lp.level >= lv), len(loops))
                for lv in range(n_levels)
            ]
            for lv, j in zip(*np.nonzero(self.shift[i] * self.keep[i])):
                cuts.append((int(lv), workload.tensor_names[j], int(starts[lv] + self.shift[i, lv, j])))
        return Mapping(tuple(loops), keep, tuple(cuts))

    def shift_array(self) -> np.ndarray:
        """(B, levels, tensors) cut shifts, zeros for an even batch."""
        if self.shift is None:
            return np.zeros(self.keep.shape, dtype=np.int64)
        return np.ascontiguousarray(self.shift, dtype=np.int64)


@dataclass(frozen=True)
class BatchResult:
    """Per-mapping figures of a batch; `valid` is False where a mapping breaks a factor, fan-out or capacity."""

    cycles: np.ndarray  # (B,) int64
    energy_pj: np.ndarray  # (B,) float64
    utilization: np.ndarray  # (B,) float64
    valid: np.ndarray  # (B,) bool
    counts: (
        np.ndarray | None
    )  # (B, levels, tensors, 6): reads, fills, updates, link transfers, reductions, words

    @property
    def edp(self) -> np.ndarray:
        return self.energy_pj * self.cycles


def evaluate_batch(
    arch: Architecture,
    workload: Workload,
    batch: MappingBatch,
    energy: EnergyTable | None = None,
    keep_counts: bool = False,
    exact: bool = False,
) -> BatchResult:
    """Evaluate every mapping of the batch in compiled code; equal, mapping by mapping, to `evaluate`.

    A written tensor with a dimension in several of its ranks has no closed-form partition: those mappings
    fall back to `evaluate`, one by one (see `_evaluate_flagged`), and are that much slower."""
    if energy is None:
        from loopscape.energy.defaults import default_table

        energy = default_table(arch)
    p = problem_arrays(arch, workload)
    lp = level_params(arch, energy, workload.op)
    args = [
        p.coef,
        p.coef_t,
        p.dim_rank,
        p.rank_mask,
        p.simple,
        p.read_write,
        np.asarray(workload.bounds, dtype=np.int64),
        _i64(batch.temporal),
        _i64(batch.order),
        _i64(batch.spatial_x),
        _i64(batch.spatial_y),
        np.ascontiguousarray(batch.keep, dtype=np.bool_),
        batch.shift_array(),
        p.multicast,
        p.reduction,
        p.forwarding,
        not exact,
        lp.fanout_x,
        lp.fanout_y,
        lp.entries,
        lp.block,
        lp.ert,
        lp.compute_pj,
        lp.compute_instances,
        lp.read_bw,
        lp.write_bw,
        lp.shared_bw,
        lp.hop_pj,
        lp.ert_gated,
        p.nonzero,
        lp.compute_gated_pj,
        lp.compute_gating,
        p.operand_density,
        keep_counts,
    ]
    cycles, energy_pj, valid, status, counts = _run_kernel(args)
    if status.any():
        _evaluate_flagged(arch, workload, batch, energy, exact, status, cycles, energy_pj, valid, counts)
    busy = cycles * lp.compute_instances
    utilization = np.divide(workload.operations, busy, out=np.zeros(busy.shape), where=busy > 0)  # no padding
    return BatchResult(cycles, energy_pj, utilization, valid, counts if keep_counts else None)


PER_BATCH_ARGS = slice(7, 13)  # temporal, order, spatial_x, spatial_y, keep, shift: one row per mapping
MIN_PER_THREAD = 512  # smaller batches run in the calling thread


def _run_kernel(args: list) -> tuple[np.ndarray, ...]:
    """The batch kernel over the mappings, split across numba's thread count (the kernel releases the GIL;
    a plain kernel in threads compiles in a third of the time a parallel one takes)."""
    b_count = args[7].shape[0]
    threads = min(nb.get_num_threads(), b_count // MIN_PER_THREAD)
    if threads <= 1:
        return evaluate_template_batch(*args)
    cuts = [b_count * i // threads for i in range(threads + 1)]

    def part(i: int) -> tuple[np.ndarray, ...]:
        sub = list(args)
        sub[PER_BATCH_ARGS] = [a[cuts[i] : cuts[i + 1]] for a in args[PER_BATCH_ARGS]]
        return evaluate_template_batch(*sub)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        parts = list(pool.map(part, range(threads)))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(5))


def _evaluate_flagged(
    arch: Architecture,
    workload: Workload,
    batch: MappingBatch,
    energy: EnergyTable,
    exact: bool,
    status: np.ndarray,
    cycles: np.ndarray,
    energy_pj: np.ndarray,
    valid: np.ndarray,
    counts: np.ndarray,
) -> None:
    """Rows the kernel flagged (a written tensor with a dimension in several of its ranks, whose partition
    has no closed form) go one by one through `evaluate`, which enumerates the partition, and are patched in
    place. Only those rows are slow (Python, and an enumeration); a row `evaluate` refuses (a cut out of place,
    or a partition over its enumeration limit) is marked invalid."""
    for i in np.nonzero(status)[0]:
        mapping = batch.mapping(int(i), workload)
        try:
            r = evaluate(arch, workload, mapping, energy, check_capacity=False, exact=exact)
        except LoopscapeError:  # MappingError, or the enumeration limit
            valid[i] = False
            continue
        cycles[i] = r.cycles
        energy_pj[i] = r.energy_pj
        if counts.shape[0]:
            for lv in range(len(arch.levels)):
                for j, t in enumerate(workload.tensor_names):
                    if not mapping.keeps(lv, t):
                        continue
                    acc, net = r.counts.levels[lv][t], r.counts.networks[lv][t]
                    counts[i, lv, j, READS] = acc.reads
                    counts[i, lv, j, FILLS] = acc.fills
                    counts[i, lv, j, UPDATES] = acc.updates
                    counts[i, lv, j, LINKS] = net.link_transfers
                    counts[i, lv, j, REDUCTIONS] = net.spatial_reductions
                    counts[i, lv, j, WORDS] = r.levels[lv].tile_words[t]


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)
