"""Mapspace constraints (Timeloop's) and dataflow presets, which are constraint sets, not code."""

from __future__ import annotations

from dataclasses import dataclass, field

from loopscape.arch import Architecture
from loopscape.errors import SpecError
from loopscape.workload import Workload

Factors = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class LevelConstraint:
    """Constraints on one storage level's tiling levels (names as in the architecture and the workload).

    Temporal: `factors` (exact; 0 means the whole dimension, as in Timeloop), `max_factors`, `min_factors`;
    `permutation`: the level's innermost temporal loops, innermost first (Timeloop's convention; naming every
    dimension fixes the whole order). Spatial (the fan-out below the level): `spatial_factors` (exact, X times
    Y), `spatial_max_factors`, and `spatial_x` / `spatial_y`, the only dimensions each mesh axis may spread
    (None: any). `keep` / `bypass`: tensors the level must keep / must not keep (the rest are the mapper's).
    """

    level: str
    factors: Factors = ()
    max_factors: Factors = ()
    min_factors: Factors = ()
    permutation: tuple[str, ...] = ()
    spatial_factors: Factors = ()
    spatial_max_factors: Factors = ()
    spatial_x: frozenset[str] | None = None
    spatial_y: frozenset[str] | None = None
    keep: frozenset[str] = frozenset()
    bypass: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Constraints:
    """Per-level constraints plus whole-mapping ones: `min_utilization` (the fraction of compute units a
    mapping must use, Timeloop's `utilization`/`parallelism` constraint) and `max_bandwidth` (level name ->
    words per cycle the level may move, reads + fills + updates over all its instances, when the mapping runs
    at its projected speed)."""

    levels: tuple[LevelConstraint, ...] = field(default_factory=tuple)
    name: str = ""
    min_utilization: float = 0.0
    max_bandwidth: tuple[tuple[str, float], ...] = ()

    def for_level(self, name: str) -> list[LevelConstraint]:
        return [c for c in self.levels if c.level == name]

    def merged(self, other: Constraints) -> Constraints:
        """Both sets at once (a preset on top of a file's constraints)."""
        name = " + ".join(n for n in (self.name, other.name) if n)
        return Constraints(
            self.levels + other.levels,
            name,
            max(self.min_utilization, other.min_utilization),
            self.max_bandwidth + other.max_bandwidth,
        )

    def validate(self, arch: Architecture, workload: Workload) -> None:
        """Every name refers to something that exists (the spec path says which constraint is wrong)."""
        names = [lv.name for lv in arch.levels]
        for i, c in enumerate(self.levels):
            path = f"constraints[{i}]"
            if c.level not in names:
                raise SpecError(f"{path}.level", c.level, f"a storage level among {names}")
            for key in ("factors", "max_factors", "min_factors", "spatial_factors", "spatial_max_factors"):
                for d, n in getattr(c, key):
                    if d not in workload.dims:
                        raise SpecError(f"{path}.{key}", d, f"a dimension among {list(workload.dims)}")
                    least = 0 if key in ("factors", "spatial_factors") else 1
                    if not isinstance(n, int) or isinstance(n, bool) or n < least:
                        raise SpecError(f"{path}.{key}.{d}", n, f"an integer >= {least}")
            for key in ("permutation", "spatial_x", "spatial_y"):
                for d in getattr(c, key) or ():
                    if d not in workload.dims:
                        raise SpecError(f"{path}.{key}", d, f"a dimension among {list(workload.dims)}")
            if len(set(c.permutation)) != len(c.permutation):
                raise SpecError(f"{path}.permutation", list(c.permutation), "each dimension at most once")
            for key in ("keep", "bypass"):
                for t in getattr(c, key):
                    if t not in workload.tensor_names:
                        raise SpecError(f"{path}.{key}", t, f"a tensor among {list(workload.tensor_names)}")
            both = c.keep & c.bypass
            if both:
                raise SpecError(f"{path}.keep", sorted(both), "tensors not also listed under bypass")
        if not 0.0 <= self.min_utilization <= 1.0:
            raise SpecError("constraints.min_utilization", self.min_utilization, "a fraction in [0, 1]")
        for name, bw in self.max_bandwidth:
            if name not in names:
                raise SpecError("constraints.max_bandwidth", name, f"a storage level among {names}")
            if not bw > 0:
                raise SpecError(f"constraints.max_bandwidth.{name}", bw, "a positive words-per-cycle limit")


# --- dataflow presets --------------------------------------------------------------------------------------
def _pe_levels(arch: Architecture) -> tuple[int, list[int]]:
    """(the level whose network fans out to the PEs, the storage levels inside a PE, outermost first): the PE
    levels are those below the innermost level with a spatial fan-out to a storage level (an Eyeriss with a
    register or a partitioned register file inside each PE has several); without one, the innermost level is
    the PE and the one above it the parent."""
    n = len(arch.levels)
    if n < 2:
        raise SpecError("architecture.levels", n, "at least two levels for a dataflow preset")
    fanning = [i for i in range(n - 1) if arch.fanout(i) != (1, 1)]
    parent = fanning[-1] if fanning else n - 2
    return parent, list(range(parent + 1, n))


def _pe_parent(arch: Architecture) -> str:
    """The level whose network fans out to the PEs (`_pe_levels`)."""
    return arch.levels[_pe_levels(arch)[0]].name


def _stationary(
    arch: Architecture,
    workload: Workload,
    tensor: str,
    name: str,
    spatial_x: frozenset[str] | None = None,
    spatial_y: frozenset[str] | None = None,
) -> Constraints:
    """Keep `tensor` stationary in the PE (`_pe_levels`), at its outermost level that may hold it (the innermost
    where none may: the mapspace then says so): every loop over a dimension it does not use runs innermost at
    the level that fans out to the PEs (no such loop higher up), and only dimensions it uses spread over the
    array, so each of its words enters a PE once."""
    used = workload.tensor(tensor).dims()
    others = tuple(d for d in workload.dims if d not in used)
    spread = frozenset(d for d in workload.dims if d in used)
    sx = spread if spatial_x is None else spatial_x & spread
    sy = spread if spatial_y is None else spatial_y & spread
    parent, pe_levels = _pe_levels(arch)
    holder = next((lv for lv in pe_levels if arch.may_keep(lv, tensor)), pe_levels[-1])
    levels = [
        LevelConstraint(arch.levels[parent].name, permutation=others, spatial_x=sx, spatial_y=sy),
        LevelConstraint(arch.levels[holder].name, keep=frozenset({tensor})),
    ]
    for lv in arch.levels[:parent]:  # every level above the PEs' parent: no loop over the other dimensions
        levels.append(LevelConstraint(lv.name, factors=tuple((d, 1) for d in others)))
    return Constraints(tuple(levels), name)


def weight_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    return _stationary(arch, workload, _find(workload, ("Weights", "B", "A")), "weight-stationary")


def output_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    return _stationary(arch, workload, workload.output.name, "output-stationary")


def input_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    return _stationary(arch, workload, _find(workload, ("Inputs", "A")), "input-stationary")


def nvdla_preset(arch: Architecture, workload: Workload) -> Constraints:
    """NVDLA-like: weight-stationary with input channels (C, reduced spatially) across the array's X axis and
    output channels (K) across Y, the way NVDLA's MAC array is organised (Timeloop paper, Sec. VII-A)."""
    _require_dims(workload, ("C", "K"), "nvdla")
    weights = _find(workload, ("Weights", "B", "A"))
    return _stationary(arch, workload, weights, "nvdla", frozenset({"C"}), frozenset({"K"}))


def diannao_preset(arch: Architecture, workload: Workload) -> Constraints:
    """DianNao-like (Chen et al., ASPLOS 2014): the NFU spreads input channels (C, reduced by its adder trees)
    across the array's X axis and output channels (K) across Y, and nothing else; unlike `nvdla` it imposes no
    stationarity, since DianNao streams weights from SB and keeps partial sums in NBout as its loops dictate."""
    _require_dims(workload, ("C", "K"), "diannao")
    return Constraints(
        (LevelConstraint(_pe_parent(arch), spatial_x=frozenset({"C"}), spatial_y=frozenset({"K"})),),
        "diannao",
    )


def row_stationary_preset(arch: Architecture, workload: Workload) -> Constraints:
    """Eyeriss's row-stationary dataflow as the Timeloop paper's Fig. 6 constraints (Sec. V-D).

    Spatial (the fan-out to the PEs): S unrolled whole, no parallelism along P, R or N; S and C on the mesh's
    X axis, Q and K on Y. Temporal in each PE: the whole R (filter width) as a temporal loop, one filter row
    (S = 1) and one output row (Q = 1). R pairs with P and S with Q in the input's projection, so each PE runs
    a 1D convolution of a filter row over an input row, keeping its filter row, input row and partial sums.

    Where a PE holds several storage levels (`_pe_levels`: Eyeriss with a register or a partitioned register
    file, Timeloop Sec. VII-C), the PE's temporal constraints hold for the PE as a whole: no R loop above the
    PE (R may split between its levels), S = Q = 1 at each of its levels, and each tensor kept at the
    outermost PE level that may hold it (inner levels' keeps are the mapper's choice where the architecture
    leaves one). With one PE level these are exactly Fig. 6's constraints.
    """
    _require_dims(workload, ("R", "S", "P", "Q", "C", "K"), "row-stationary")
    parent, pe_levels = _pe_levels(arch)
    spatial_ones = tuple((d, 1) for d in ("P", "R", "N") if d in workload.dims)
    spatial = LevelConstraint(
        arch.levels[parent].name,
        spatial_factors=(("S", 0), *spatial_ones),
        spatial_x=frozenset({"S", "C"}),
        spatial_y=frozenset({"Q", "K"}),
    )
    if len(pe_levels) == 1:
        pe = arch.levels[pe_levels[0]].name
        return Constraints(
            (
                spatial,
                LevelConstraint(
                    pe, factors=(("R", 0), ("S", 1), ("Q", 1)), keep=frozenset(workload.tensor_names)
                ),
            ),
            "row-stationary",
        )
    keep: dict[int, set[str]] = {lv: set() for lv in pe_levels}
    for t in workload.tensor_names:
        holder = next((lv for lv in pe_levels if arch.may_keep(lv, t)), None)
        if holder is None:
            raise SpecError(
                "architecture.levels",
                [arch.levels[lv].name for lv in pe_levels],
                f"a PE level that may keep {t} (the row-stationary preset keeps every tensor in the PE)",
            )
        keep[holder].add(t)
    levels = [spatial]
    levels += [  # no R loop above the PE, temporal or (above the parent) spatial
        LevelConstraint(
            arch.levels[lv].name, factors=(("R", 1),), spatial_factors=(("R", 1),) if lv < parent else ()
        )
        for lv in range(parent + 1)
    ]
    levels += [
        LevelConstraint(arch.levels[lv].name, factors=(("S", 1), ("Q", 1)), keep=frozenset(keep[lv]))
        for lv in pe_levels
    ]
    return Constraints(tuple(levels), "row-stationary")


def _require_dims(workload: Workload, dims: tuple[str, ...], preset: str) -> None:
    missing = [d for d in dims if d not in workload.dims]
    if missing:
        raise SpecError(
            "workload.dimensions",
            list(workload.dims),
            f"the dimensions {list(dims)} the {preset} preset names",
        )


def _find(workload: Workload, names: tuple[str, ...]) -> str:
    for n in names:
        if n in workload.tensor_names and not workload.tensor(n).read_write:
            return n
    raise SpecError("workload.tensors", list(workload.tensor_names), f"a tensor named one of {list(names)}")


PRESETS = {
    "weight-stationary": weight_stationary_preset,
    "output-stationary": output_stationary_preset,
    "input-stationary": input_stationary_preset,
    "row-stationary": row_stationary_preset,
    "nvdla": nvdla_preset,
    "diannao": diannao_preset,
}
