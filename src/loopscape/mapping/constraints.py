"""Mapspace constraints (Timeloop's) and dataflow presets, which are constraint sets, not code."""

from __future__ import annotations

from dataclasses import dataclass, field

from loopscape.arch import Architecture
from loopscape.errors import SpecError
from loopscape.workload import Workload


@dataclass(frozen=True)
class LevelConstraint:
    """Constraints on one storage level's tiling level (names as in the architecture and the workload).

    factors: exact temporal factors; permutation: the level's innermost temporal loops, innermost first
    (Timeloop's convention); spatial_x / spatial_y: the only dimensions the fan-out below the level may spread
    on each mesh axis (None: any); keep / bypass: tensors the level must keep / must not keep.
    """

    level: str
    factors: tuple[tuple[str, int], ...] = ()
    permutation: tuple[str, ...] = ()
    spatial_x: frozenset[str] | None = None
    spatial_y: frozenset[str] | None = None
    keep: frozenset[str] = frozenset()
    bypass: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Constraints:
    levels: tuple[LevelConstraint, ...] = field(default_factory=tuple)
    name: str = ""

    def for_level(self, name: str) -> list[LevelConstraint]:
        return [c for c in self.levels if c.level == name]

    def validate(self, arch: Architecture, workload: Workload) -> None:
        """Every name refers to something that exists (the spec path says which constraint is wrong)."""
        names = [lv.name for lv in arch.levels]
        for i, c in enumerate(self.levels):
            path = f"constraints[{i}]"
            if c.level not in names:
                raise SpecError(f"{path}.level", c.level, f"a storage level among {names}")
            for d, n in c.factors:
                if d not in workload.dims or not isinstance(n, int) or n < 1:
                    raise SpecError(
                        f"{path}.factors.{d}", n, f"a positive factor of a dimension in {list(workload.dims)}"
                    )
            for d in (*c.permutation, *(c.spatial_x or ()), *(c.spatial_y or ())):
                if d not in workload.dims:
                    raise SpecError(f"{path}", d, f"a dimension among {list(workload.dims)}")
            for t in (*c.keep, *c.bypass):
                if t not in workload.tensor_names:
                    raise SpecError(f"{path}.keep", t, f"a tensor among {list(workload.tensor_names)}")


def _pe_parent(arch: Architecture) -> tuple[str, str]:
    """(the level that fans out to the innermost level, the outermost level)."""
    if len(arch.levels) < 2:
        raise SpecError("architecture.levels", len(arch.levels), "at least two levels for a dataflow preset")
    return arch.levels[-2].name, arch.levels[0].name


def _stationary(arch: Architecture, workload: Workload, tensor: str, name: str) -> Constraints:
    """Keep `tensor` stationary in the innermost level: every loop over a dimension it does not use runs
    innermost at the level above (no such loop higher up), and only dimensions it uses spread over the array,
    so each of its words enters a PE once."""
    used = workload.tensor(tensor).dims()
    others = tuple(d for d in workload.dims if d not in used)
    parent, _ = _pe_parent(arch)
    spread = frozenset(d for d in workload.dims if d in used)
    levels = [LevelConstraint(parent, permutation=others, spatial_x=spread, spatial_y=spread)]
    for lv in arch.levels[:-2]:  # every level above the PEs' parent: no loop over the other dimensions
        levels.append(LevelConstraint(lv.name, factors=tuple((d, 1) for d in others)))
    return Constraints(tuple(levels), name)


def weight_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    return _stationary(arch, workload, _find(workload, ("Weights", "B", "A")), "weight-stationary")


def output_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    return _stationary(arch, workload, workload.output.name, "output-stationary")


def input_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    return _stationary(arch, workload, _find(workload, ("Inputs", "A")), "input-stationary")


def _find(workload: Workload, names: tuple[str, ...]) -> str:
    for n in names:
        if n in workload.tensor_names and not workload.tensor(n).read_write:
            return n
    raise SpecError("workload.tensors", list(workload.tensor_names), f"a tensor named one of {list(names)}")


PRESETS = {
    "weight-stationary": weight_stationary_preset,
    "output-stationary": output_stationary_preset,
    "input-stationary": input_stationary_preset,
}
