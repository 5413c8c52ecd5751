"""Mappings as flat arrays: the form the compiled tile analysis works on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopscape.arch import Architecture
from loopscape.errors import SpecError
from loopscape.mapping import Mapping
from loopscape.mapping.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL
from loopscape.model import codes
from loopscape.workload import Workload

KIND_CODES = {TEMPORAL: codes.TEMPORAL, SPATIAL_X: codes.SPATIAL_X, SPATIAL_Y: codes.SPATIAL_Y}


@dataclass(frozen=True)
class ProblemArrays:
    """What the analysis needs of the workload and architecture, as arrays."""

    coef: np.ndarray  # (tensors, max ranks, dims) projection coefficients, zero rows pad short tensors
    coef_t: np.ndarray  # (tensors, dims, max ranks) the same, transposed (contiguous per dimension)
    dim_rank: np.ndarray  # (tensors, dims) int64: the one rank a dimension appears in; -1 none, -2 several
    rank_mask: np.ndarray  # (tensors, dims) int64: bit r set when the dimension appears in rank r
    simple: np.ndarray  # (tensors,) bool: every rank over one dimension, every dimension in at most one rank
    read_write: np.ndarray  # (tensors,) bool
    multicast: np.ndarray  # (levels,) bool: network of each level
    reduction: np.ndarray  # (levels,) bool
    forwarding: np.ndarray  # (levels,) bool
    nonzero: np.ndarray  # (levels, tensors) probability that an access is not gated (1 where nothing gates)
    operand_density: float  # probability that every read-only operand of an operation is non-zero


def problem_arrays(arch: Architecture, workload: Workload) -> ProblemArrays:
    n_ranks = max(len(t.ranks) for t in workload.tensors)
    coef = np.zeros((len(workload.tensors), n_ranks, len(workload.dims)), dtype=np.int64)
    for i, t in enumerate(workload.tensors):
        a = workload.coefficients(t)
        coef[i, : a.shape[0]] = a
    return ProblemArrays(
        coef=coef,
        coef_t=np.ascontiguousarray(coef.transpose(0, 2, 1)),
        dim_rank=_dim_ranks(coef),
        rank_mask=((coef != 0) * (1 << np.arange(n_ranks, dtype=np.int64))[None, :, None]).sum(axis=1),
        simple=np.array(
            [
                ((coef[i] != 0).sum(axis=1) <= 1).all() and ((coef[i] != 0).sum(axis=0) <= 1).all()
                for i in range(len(workload.tensors))
            ],
            dtype=np.bool_,
        ),
        read_write=np.array([t.read_write for t in workload.tensors], dtype=np.bool_),
        multicast=np.array([lv.network.multicast for lv in arch.levels], dtype=np.bool_),
        reduction=np.array([lv.network.spatial_reduction for lv in arch.levels], dtype=np.bool_),
        forwarding=np.array([lv.network.forwarding for lv in arch.levels], dtype=np.bool_),
        nonzero=_ungated(arch, workload),
        operand_density=float(np.prod([t.density for t in workload.tensors if not t.read_write])),
    )


@dataclass(frozen=True)
class NestArrays:
    """A batch of B mappings as flat nests of n slots each (bound-1 slots pad shorter nests)."""

    dim: np.ndarray  # (B, n) int64
    bound: np.ndarray  # (B, n) int64
    kind: np.ndarray  # (B, n) int64: 0 temporal, 1 spatial X, 2 spatial Y
    level: np.ndarray  # (B, n) int64
    cut: np.ndarray  # (B, levels, tensors) int64
    keep: np.ndarray  # (B, levels, tensors) bool

    @property
    def size(self) -> int:
        return self.dim.shape[0]


def nest_arrays(arch: Architecture, workload: Workload, mappings: list[Mapping]) -> NestArrays:
    """Flatten Mapping objects (one Python loop over mappings: for tests and single evaluations)."""
    n = max((len(m.loops) for m in mappings), default=0)
    b = len(mappings)
    n_levels, n_tensors = len(arch.levels), len(workload.tensors)
    dim = np.zeros((b, n), dtype=np.int64)
    bound = np.ones((b, n), dtype=np.int64)
    kind = np.zeros((b, n), dtype=np.int64)
    level = np.full((b, n), n_levels - 1, dtype=np.int64)
    cut = np.zeros((b, n_levels, n_tensors), dtype=np.int64)
    keep = np.zeros((b, n_levels, n_tensors), dtype=np.bool_)
    for i, m in enumerate(mappings):
        # Pad at the innermost end: bound-1 temporal loops of the innermost level change nothing.
        for k, lp in enumerate(m.loops):
            dim[i, k] = workload.dim_index(lp.dim)
            bound[i, k] = lp.bound
            kind[i, k] = KIND_CODES[lp.kind]
            level[i, k] = lp.level
        for lv in range(n_levels):
            for j, t in enumerate(workload.tensor_names):
                keep[i, lv, j] = m.keeps(lv, t)
                cut[i, lv, j] = m.cut(lv, t)
    return NestArrays(dim, bound, kind, level, cut, keep)


def _dim_ranks(coef: np.ndarray) -> np.ndarray:
    """(tensors, dims): the index of the only rank a dimension appears in, -1 if none, -2 if several."""
    nonzero = coef != 0
    count = nonzero.sum(axis=1)
    first = nonzero.argmax(axis=1)
    return np.where(count == 0, -1, np.where(count == 1, first, -2)).astype(np.int64)


def _ungated(arch: Architecture, workload: Workload) -> np.ndarray:
    """(levels, tensors): the probability that an access is not gated, the product of its condition tensors'
    densities (independent, uniformly spread zeros: Sparseloop's simplest model)."""
    density = {t.name: t.density for t in workload.tensors}
    out = np.ones((len(arch.levels), len(workload.tensors)), dtype=np.float64)
    for lv, level in enumerate(arch.levels):
        for i, (target, conditions) in enumerate(level.gating):
            path = f"architecture.levels[{lv}].gating[{i}]"
            for name in (target, *conditions):
                if name not in density:
                    raise SpecError(path, name, f"a tensor of the workload: {sorted(density)}")
            out[lv, workload.tensor_names.index(target)] = float(np.prod([density[c] for c in conditions]))
    return out
