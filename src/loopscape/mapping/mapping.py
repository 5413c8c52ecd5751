"""Mapping: one ordered loop nest with per-level keep sets and per-(level, tensor) cuts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TEMPORAL = "temporal"
SPATIAL_X = "spatial_x"
SPATIAL_Y = "spatial_y"
KINDS = (TEMPORAL, SPATIAL_X, SPATIAL_Y)


@dataclass(frozen=True)
class Loop:
    """One loop of the nest. A spatial loop at level L fans out from L to the instances below it."""

    dim: str
    bound: int
    kind: str = TEMPORAL
    level: int = 0

    @property
    def spatial(self) -> bool:
        return self.kind != TEMPORAL


@dataclass(frozen=True)
class Mapping:
    """Loops outermost first. keep[L] = tensors level L holds (the rest bypass it).

    The tile of (level L, tensor t) is formed by the loops at nest positions >= cut(L, t). By default the cut
    is the first loop of level L or deeper (Timeloop's even mapping); `cuts` overrides it per tensor
    (ZigZag's uneven mapping).
    """

    loops: tuple[Loop, ...]
    keep: tuple[frozenset[str], ...]
    cuts: tuple[tuple[int, str, int], ...] = ()  # (level, tensor, nest position)
    _cut_map: dict[tuple[int, str], int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cut_map", {(lv, t): pos for lv, t, pos in self.cuts})

    def default_cut(self, level: int) -> int:
        """Nest position of the first loop at `level` or deeper (len(loops) if there is none)."""
        for i, lp in enumerate(self.loops):
            if lp.level >= level:
                return i
        return len(self.loops)

    def cut(self, level: int, tensor: str) -> int:
        return self._cut_map.get((level, tensor), self.default_cut(level))

    def keeps(self, level: int, tensor: str) -> bool:
        return tensor in self.keep[level]

    @property
    def is_even(self) -> bool:
        return all(pos == self.default_cut(lv) for lv, _, pos in self.cuts)

    def factor(self, dim: str) -> int:
        """Product of the bounds of every loop over `dim` (the padded dimension size)."""
        return math.prod(lp.bound for lp in self.loops if lp.dim == dim)

    def spatial_fanout(self, level: int) -> tuple[int, int]:
        """(X, Y) fan-out this mapping uses below `level`."""
        x = math.prod(lp.bound for lp in self.loops if lp.level == level and lp.kind == SPATIAL_X)
        y = math.prod(lp.bound for lp in self.loops if lp.level == level and lp.kind == SPATIAL_Y)
        return x, y

    def used_instances(self, level: int) -> int:
        """Instances of storage level `level` the mapping uses (spatial loops of the levels above it)."""
        return math.prod(lp.bound for lp in self.loops if lp.spatial and lp.level < level)

    @property
    def used_compute(self) -> int:
        return math.prod(lp.bound for lp in self.loops if lp.spatial)

    @property
    def temporal_steps(self) -> int:
        return math.prod(lp.bound for lp in self.loops if not lp.spatial)

    def loop_nest_text(self, level_names: list[str] | None = None) -> str:
        """The mapping as an indented loop nest, with a line where each level's tile begins."""
        lines: list[str] = []
        current = -1
        for depth, lp in enumerate(self.loops):
            if lp.level != current:
                current = lp.level
                name = level_names[current] if level_names and current < len(level_names) else f"L{current}"
                lines.append("  " * depth + f"# {name} keeps {sorted(self.keep[current])}")
            head = "for" if lp.kind == TEMPORAL else f"parallel_for[{lp.kind[-1].upper()}]"
            lines.append("  " * depth + f"{head} {lp.dim.lower()} in [0:{lp.bound})")
        return "\n".join(lines)
