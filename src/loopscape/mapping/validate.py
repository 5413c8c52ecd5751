"""Mapping validation against a workload and an architecture, with precise messages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopscape.arch import Architecture
from loopscape.errors import MappingError
from loopscape.mapping.mapping import KINDS, SPATIAL_X, SPATIAL_Y, TEMPORAL, Mapping
from loopscape.workload import Workload


@dataclass(frozen=True)
class MappingReport:
    """What validation learned: padded dimension sizes and the words each level holds."""

    padded_bounds: tuple[int, ...]
    padding: dict[str, int]  # dim -> padded size - true size (only dims with padding)
    tile_words: tuple[dict[str, int], ...]  # per level: tensor -> words in its tile


def tile_extents(workload: Workload, mapping: Mapping, pos: int) -> np.ndarray:
    """Per-dimension extent of the operation-space tile formed by the loops at nest positions >= pos."""
    e = np.ones(len(workload.dims), dtype=np.int64)
    for lp in mapping.loops[pos:]:
        e[workload.dim_index(lp.dim)] *= lp.bound
    return e


def tile_words(workload: Workload, tensor: str, extents: np.ndarray) -> int:
    """Words in the bounding box of a tensor's projection of a tile with the given extents."""
    a = workload.coefficients(tensor)
    return int(np.prod(a @ (extents - 1) + 1))


def validate_mapping(
    arch: Architecture, workload: Workload, mapping: Mapping, check_capacity: bool = True
) -> MappingReport:
    """Raise MappingError naming the offending part, or return a report of padding and tile sizes."""
    n_levels = len(arch.levels)
    if len(mapping.keep) != n_levels:
        raise MappingError("mapping.keep", len(mapping.keep), f"one keep set per storage level ({n_levels})")
    tensors = set(workload.tensor_names)
    for lv, keep in enumerate(mapping.keep):
        unknown = set(keep) - tensors
        if unknown:
            raise MappingError(f"mapping.keep[{lv}]", sorted(unknown), f"tensors among {sorted(tensors)}")
        for t in keep:
            if not arch.may_keep(lv, t):
                raise MappingError(
                    f"mapping.keep[{lv}]",
                    t,
                    f"only tensors level {arch.levels[lv].name} may keep: "
                    f"{sorted(arch.levels[lv].keeps or [])}",
                )
    if set(mapping.keep[0]) != tensors:
        raise MappingError(
            "mapping.keep[0]",
            sorted(mapping.keep[0]),
            f"the backing store to keep every tensor {sorted(tensors)}",
        )

    last_level = -1
    seen_spatial_at = -1
    for i, lp in enumerate(mapping.loops):
        path = f"mapping.loops[{i}]"
        if lp.dim not in workload.dims:
            raise MappingError(f"{path}.dim", lp.dim, f"one of the dimensions {list(workload.dims)}")
        if not isinstance(lp.bound, int) or isinstance(lp.bound, bool) or lp.bound < 1:
            raise MappingError(f"{path}.bound", lp.bound, "a positive integer")
        if lp.kind not in KINDS:
            raise MappingError(f"{path}.kind", lp.kind, f"one of {list(KINDS)}")
        if not 0 <= lp.level < n_levels:
            raise MappingError(f"{path}.level", lp.level, f"a storage level index in [0, {n_levels})")
        if lp.level < last_level:
            raise MappingError(
                f"{path}.level",
                lp.level,
                f"levels in nest order (outermost first); previous was {last_level}",
            )
        if lp.level > last_level:
            seen_spatial_at = -1
        if lp.kind == TEMPORAL and seen_spatial_at == lp.level:
            raise MappingError(f"{path}.kind", lp.kind, "temporal loops of a level before its spatial loops")
        if lp.spatial:
            seen_spatial_at = lp.level
        last_level = lp.level

    padding: dict[str, int] = {}
    padded = []
    for d, b in zip(workload.dims, workload.bounds):
        f = mapping.factor(d)
        if f < b:
            raise MappingError(f"mapping.factors.{d}", f, f"loop bounds over {d} multiplying to at least {b}")
        if f > b:
            padding[d] = f - b
        padded.append(f)

    for lv in range(n_levels):
        fx, fy = mapping.spatial_fanout(lv)
        ax, ay = arch.fanout(lv)
        if fx > ax or fy > ay:
            raise MappingError(
                f"mapping.spatial[{arch.levels[lv].name}]",
                f"{fx}x{fy}",
                f"a fan-out within the mesh's {ax}x{ay}",
            )

    _check_cuts(arch, workload, mapping)

    words: list[dict[str, int]] = []
    for lv, level in enumerate(arch.levels):
        held = {}
        for t in workload.tensor_names:
            if mapping.keeps(lv, t):
                held[t] = tile_words(workload, t, tile_extents(workload, mapping, mapping.cut(lv, t)))
        words.append(held)
        if check_capacity and level.entries is not None and sum(held.values()) > level.entries:
            total = sum(held.values())
            raise MappingError(
                f"mapping.capacity[{level.name}]",
                f"{total} words ({', '.join(f'{t}={n}' for t, n in held.items())})",
                f"at most {level.entries} words; over by {total - level.entries}",
            )
    return MappingReport(tuple(padded), padding, tuple(words))


def _check_cuts(arch: Architecture, workload: Workload, mapping: Mapping) -> None:
    n = len(mapping.loops)
    for lv, t, pos in mapping.cuts:
        path = f"mapping.cuts[{lv}][{t}]"
        if not 0 <= lv < len(arch.levels) or t not in workload.tensor_names:
            raise MappingError(
                path, (lv, t), "a (storage level, tensor) pair of this architecture and workload"
            )
        if not mapping.keeps(lv, t):
            raise MappingError(path, pos, f"no cut: level {arch.levels[lv].name} does not keep {t}")
        if not 0 <= pos <= n:
            raise MappingError(path, pos, f"a nest position in [0, {n}]")
    for t in workload.tensor_names:
        prev_cut, prev_name = 0, None
        for lv, level in enumerate(arch.levels):
            if not mapping.keeps(lv, t):
                continue
            pos = mapping.cut(lv, t)
            lo = max((i + 1 for i, lp in enumerate(mapping.loops) if lp.spatial and lp.level < lv), default=0)
            hi = min((i for i, lp in enumerate(mapping.loops) if lp.spatial and lp.level >= lv), default=n)
            if not lo <= pos <= hi:
                raise MappingError(
                    f"mapping.cuts[{lv}][{t}]",
                    pos,
                    f"a position in [{lo}, {hi}]: below the fan-out to {level.name} and above its own fan-out",
                )
            if pos < prev_cut:
                raise MappingError(
                    f"mapping.cuts[{lv}][{t}]",
                    pos,
                    f"a position at or below the cut {prev_cut} of {prev_name}",
                )
            prev_cut, prev_name = pos, level.name


__all__ = ["SPATIAL_X", "SPATIAL_Y", "MappingReport", "tile_extents", "tile_words", "validate_mapping"]
