"""ZigZag (zigzag-dse 3.9.1) inputs from loopscape objects, and ZigZag mappings as loopscape mappings.

Used by the benchmarks that run ZigZag beside loopscape on the same work. Nothing here imports ZigZag: the
inputs are plain dicts (written as ZigZag's YAML), and a ZigZag mapping is read into a `ZigZagMapping` of plain
names and numbers (`zigzag_mapping_of` reads one off a ZigZag CostModelEvaluation by duck typing), so the
conversion is tested without ZigZag installed.

Names. ZigZag's loop dimensions B, G, K, C, OY, OX, FY, FX are loopscape's N, G, K, C, P, Q, R, S (P and OY are
output rows); its layer operands W, I, O are the tensors Weights, Inputs, Outputs, linked to the memory operands
I2, I1, O. Its operational-array dimensions D1 and D2 are loopscape's mesh X and Y.

Hardware. One ZigZag memory per loopscape storage level, innermost first (ZigZag builds each operand's
hierarchy bottom-up in file order), named as the level, holding the operands of the tensors the level may keep.
A level with one instance per compute unit is private to a PE (`served_dimensions: []`); a level with a single
instance serves the whole array (`[D1, D2]`); other fan-out patterns are refused. Costs are loopscape's energy
table: r_cost = read, w_cost = update (the built-in tables price fill = update), per access of one block
(ZigZag's port width is block_size x word_bits, min = max, so its access counts are in blocks, as loopscape's
vector accesses are). The top level has one read-write port, other shared levels one read and one write port,
private levels a read and a write port per operand. ZigZag has no network (NoC) energy; loopscape's energy
includes word-hops, so the two tools' own energies differ even for one mapping.

Mappings. ZigZag's temporal mapping (`TemporalMapping.mapping_dic_origin`, as LOMA's memory allocator made it)
lists, per operand and per memory level innermost first, the temporal loops allocated there, innermost first;
every operand's lists concatenate to the same global ordering. `to_loopscape` turns it into one loopscape nest
(outermost first) with per-(level, tensor) cuts: the tile of a tensor at a level is the loops that ZigZag
allocates to that level and the levels below it. ZigZag keeps the spatial unrolling apart from the temporal
ordering (every PE runs the whole temporal nest); loopscape puts the spatial loops at one place in the nest, at
the level that fans out to the array, and a PE-private tile must lie below them, a shared tile around them
(docs/semantics.md, "Cut"). The spatial loops go above the k innermost temporal loops (`spatial_positions`),
with every private tile within those k loops and every shared tile spanning at least them. Moving a tensor's
cut across loops over dimensions the tensor does not use changes neither its tile nor its counts (its data is
stationary either way; ZigZag's own "merge down" of such loops), so most ZigZag mappings convert exactly. Some
cannot: ZigZag lets a PE keep its weights over loops that also change the buffer's input tile (its temporal and
spatial loops are independent), while one loopscape nest must put those loops either inside the array (the
buffer's tile grows) or outside it (the PE's tile shrinks). Then every k in between is a candidate, each with
`Conversion.notes` saying which tile grew or shrank; the caller may keep the best valid one. Loops of bound 1
are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loopscape.arch import Architecture, StorageLevel
from loopscape.energy import EnergyTable
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.workload import Workload

ZZ_DIM = {"N": "B", "G": "G", "K": "K", "C": "C", "P": "OY", "Q": "OX", "R": "FY", "S": "FX"}
LS_DIM = {v: k for k, v in ZZ_DIM.items()}
ZZ_OPERAND = {"Weights": "W", "Inputs": "I", "Outputs": "O"}
LS_TENSOR = {v: k for k, v in ZZ_OPERAND.items()}
MEMORY_OPERAND = {"W": "I2", "I": "I1", "O": "O"}
OA_AXIS = {"D1": SPATIAL_X, "D2": SPATIAL_Y}
AXIS_OA = {v: k for k, v in OA_AXIS.items()}
UNBOUNDED_BITS = 10**10  # ZigZag needs a size for levels loopscape leaves unbounded (DRAM)

# One spatial loop of a layer's unrolling: (loopscape dimension, bound, SPATIAL_X or SPATIAL_Y).
Unrolling = tuple[tuple[str, int, str], ...]


class ConversionError(ValueError):
    """A ZigZag input or mapping that has no loopscape counterpart at all."""


def zz_dim(dim: str) -> str:
    return ZZ_DIM.get(dim, dim.upper())


def ls_dim(dim: str) -> str:
    return LS_DIM.get(dim, dim)


# --- hardware -------------------------------------------------------------------------------------------------
def fanout_level(arch: Architecture) -> int:
    """The one storage level that fans out to the PE array (the converter and the generator need exactly one)."""
    levels = [lv for lv in range(len(arch.levels)) if arch.fanout(lv) != (1, 1)]
    if len(levels) != 1:
        raise ConversionError(f"{arch.name}: expected one level fanning out to the array, found {levels}")
    return levels[0]


def _served(arch: Architecture, level: StorageLevel) -> list[str]:
    if level.instances == arch.compute.instances:
        return []
    if level.instances == 1:
        return ["D1", "D2"]
    raise ConversionError(
        f"{arch.name}.{level.name}: {level.instances} instances over {arch.compute.instances} compute units; "
        "only per-PE or array-wide levels have a ZigZag counterpart here"
    )


def kept_operands(arch: Architecture, workload: Workload, lv: int) -> list[str]:
    """ZigZag layer operands of the tensors level `lv` may keep (the backing store keeps all)."""
    return [ZZ_OPERAND[t] for t in workload.tensor_names if lv == 0 or arch.may_keep(lv, t)]


def zigzag_accelerator(arch: Architecture, workload: Workload, table: EnergyTable) -> dict[str, Any]:
    """ZigZag's accelerator description (as a dict for its YAML) of `arch` priced by `table`."""

    def port(name: str, kind: str, bits: int, alloc: list[str]) -> dict[str, Any]:
        return {"name": name, "type": kind, "bandwidth_min": bits, "bandwidth_max": bits, "allocation": alloc}

    memories: dict[str, Any] = {}
    for lv in reversed(range(len(arch.levels))):  # innermost first
        level = arch.levels[lv]
        ops = [MEMORY_OPERAND[o] for o in kept_operands(arch, workload, lv)]
        bits = level.block_size * level.word_bits
        reads = [f"{m}, tl" for m in ops] + (["O, th"] if "O" in ops else [])
        writes = [f"{m}, fh" for m in ops] + (["O, fl"] if "O" in ops else [])
        served = _served(arch, level)
        if lv == 0:
            ports = [port("rw_port_1", "read_write", bits, reads + writes)]
        elif served:
            ports = [port("r_port_1", "read", bits, reads), port("w_port_1", "write", bits, writes)]
        else:  # private to a PE: a read and a write port per operand
            ports = []
            for i, m in enumerate(ops, 1):
                ports.append(
                    port(f"r_port_{i}", "read", bits, [f"{m}, tl"] + (["O, th"] if m == "O" else []))
                )
            for i, m in enumerate(ops, 1):
                ports.append(
                    port(f"w_port_{i}", "write", bits, [f"{m}, fh"] + (["O, fl"] if m == "O" else []))
                )
        e = table.level(level.name)
        memories[level.name] = {
            "size": level.capacity_bits or UNBOUNDED_BITS,
            "r_cost": float(e.read),
            "w_cost": float(e.update),
            "area": float(table.area.get(level.name, 0.0)),
            "latency": 1,
            "operands": ops,
            "ports": ports,
            "served_dimensions": served,
        }
    mx, my = arch.compute.mesh
    return {
        "name": arch.name,
        "memories": memories,
        "operational_array": {
            "unit_energy": float(table.compute),
            "unit_area": float(table.area.get(arch.compute.name, 0.0)),
            "dimensions": ["D1", "D2"],
            "sizes": [mx, my],
        },
    }


# --- workload ---------------------------------------------------------------------------------------------------
def zigzag_layer(
    workload: Workload, layer_id: int, word_bits: int, name: str | None = None
) -> dict[str, Any]:
    """ZigZag's YAML description of one layer: the einsum of its tensors, with `iy=s*oy+d*fy`-style relations
    for ranks that sum two dimensions (ZigZag's YAML layers take IX = stride*(OX-1) + FX, loopscape's box)."""
    relations: list[str] = []
    operands: dict[str, str] = {}
    for t in workload.tensors:
        op = ZZ_OPERAND.get(t.name)
        if op is None:
            raise ConversionError(f"tensor {t.name}: ZigZag's layers name their operands W, I and O")
        idx = []
        for rank in t.ranks:
            if len(rank) == 1 and rank[0][1] == 1:
                idx.append(zz_dim(rank[0][0]).lower())
            elif len(rank) == 2 and {d for d, _ in rank} in ({"P", "R"}, {"Q", "S"}):
                name_ = "iy" if "P" in {d for d, _ in rank} else "ix"
                (d1, c1), (d2, c2) = sorted(rank, key=lambda dc: dc[0] not in ("P", "Q"))
                relations.append(f"{name_}={c1}*{zz_dim(d1).lower()}+{c2}*{zz_dim(d2).lower()}")
                idx.append(name_)
            else:
                raise ConversionError(f"tensor {t.name}: rank {rank} has no ZigZag relation here")
        operands[op] = "".join(f"[{i}]" for i in idx)
    dims = [d for d in workload.dims]
    return {
        "id": layer_id,
        "name": name or workload.name,
        "operator_type": "Conv",
        "equation": f"O{operands['O']}+=W{operands['W']}*I{operands['I']}",
        "dimension_relations": relations,
        "loop_dims": [zz_dim(d) for d in dims],
        "loop_sizes": [workload.bound(d) for d in dims],
        "operand_precision": {"W": word_bits, "I": word_bits, "O": word_bits, "O_final": word_bits},
        "operand_source": {"I": layer_id, "W": layer_id},
    }


def zigzag_mapping_entry(name: str, unrolling: Unrolling) -> dict[str, Any]:
    """ZigZag's mapping entry for the layer `name`: its spatial unrolling (fixed) and the operand links."""
    spatial: dict[str, list[str]] = {}
    for dim, bound, axis in unrolling:
        spatial.setdefault(AXIS_OA[axis], []).append(f"{zz_dim(dim)}, {bound}")
    return {
        "name": name,
        "spatial_mapping": spatial,
        "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"},
    }


def write_inputs(
    arch: Architecture,
    table: EnergyTable,
    layers: list[tuple[Workload, Unrolling]],
    folder: Path,
) -> tuple[str, list[dict[str, Any]], str]:
    """ZigZag's accelerator and mapping YAML files in `folder`, and its workload as a list of layer dicts
    (layer ids 0..n-1 in order; each layer's mapping entry is found by its name)."""
    word_bits = arch.levels[0].word_bits
    workload = [zigzag_layer(wl, i, word_bits) for i, (wl, _) in enumerate(layers)]
    mapping = [zigzag_mapping_entry(wl.name, unrolling) for wl, unrolling in layers]
    names = [wl.name for wl, _ in layers]
    if len(set(names)) != len(names):
        raise ConversionError(f"layer names must be distinct for ZigZag's mapping lookup: {names}")
    mapping.append({**mapping[0], "name": "default"})
    acc_path, map_path = folder / "accelerator.yaml", folder / "mapping.yaml"
    acc_path.write_text(yaml.safe_dump(zigzag_accelerator(arch, layers[0][0], table), sort_keys=False))
    map_path.write_text(yaml.safe_dump(mapping, sort_keys=False))
    return str(acc_path), workload, str(map_path)


# --- mappings -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZigZagMapping:
    """A ZigZag mapping in plain names: temporal[operand][memory level, innermost first] = loops allocated there,
    innermost first, as (ZigZag dimension, bound); spatial[OA dimension] = (ZigZag dimension, bound) unrollings;
    memories[operand] = the memory names of its levels, innermost first (optional, checked when given)."""

    temporal: dict[str, list[list[tuple[str, int]]]]
    spatial: dict[str, list[tuple[str, int]]]
    memories: dict[str, list[str]] = field(default_factory=dict)

    def ordering(self, operand: str) -> list[tuple[str, int]]:
        """The global temporal ordering as `operand` sees it, innermost first."""
        return [loop for level in self.temporal[operand] for loop in level]


def zigzag_mapping_of(cme: Any) -> ZigZagMapping:
    """The mapping of a ZigZag CostModelEvaluation (its layer's spatial mapping, LOMA's allocated ordering)."""

    def num(x: Any) -> int:
        if float(x) != int(x):
            raise ConversionError(f"fractional ZigZag loop bound {x}")
        return int(x)

    temporal = {
        str(op): [[(str(d), num(b)) for d, b in level] for level in levels]
        for op, levels in cme.temporal_mapping.mapping_dic_origin.items()
    }
    spatial = {
        str(oa): [(str(d), num(b)) for d, b in m.items()] for oa, m in cme.layer.spatial_mapping.items()
    }
    memories = {}
    for op, levels in temporal.items():
        mem_op = cme.layer.memory_operand_links.layer_to_mem_op(
            next(o for o in cme.layer.layer_operands if str(o) == op)
        )
        memories[op] = [cme.accelerator.get_memory_level(mem_op, i).name for i in range(len(levels))]
    return ZigZagMapping(temporal, spatial, memories)


@dataclass(frozen=True)
class Conversion:
    """A loopscape mapping of a ZigZag mapping; `notes` says where it is not exact (empty: exact)."""

    mapping: Mapping
    notes: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.notes


@dataclass(frozen=True)
class _Parsed:
    """A ZigZag mapping read against a loopscape architecture and workload."""

    fan: int  # the level that fans out to the PE array
    spatial: tuple[Loop, ...]
    ordering: tuple[tuple[str, int], ...]  # loopscape (dimension, bound), innermost first, bounds > 1
    counts: dict[tuple[int, str], int]  # (level, tensor) -> inner temporal loops in its tile (level >= 1)
    low: dict[tuple[int, str], int]  # the fewest loops giving the same counts (irrelevant loops dropped)
    high: dict[tuple[int, str], int]  # the most loops giving the same counts (irrelevant loops added)


def _parse(arch: Architecture, workload: Workload, zm: ZigZagMapping) -> _Parsed:
    fan = fanout_level(arch)
    fx, fy = arch.fanout(fan)
    spatial: list[Loop] = []
    for oa, loops in zm.spatial.items():
        if oa not in OA_AXIS:
            raise ConversionError(f"ZigZag array dimension {oa}: loopscape meshes have X (D1) and Y (D2)")
        spatial += [Loop(ls_dim(d), b, OA_AXIS[oa], fan) for d, b in loops if b > 1]
    for axis, limit in ((SPATIAL_X, fx), (SPATIAL_Y, fy)):
        used = math.prod(lp.bound for lp in spatial if lp.kind == axis)
        if used > limit:
            raise ConversionError(
                f"spatial unrolling of {used} on {AXIS_OA[axis]} exceeds the mesh's {limit}"
            )

    operands = [ZZ_OPERAND[t] for t in workload.tensor_names]
    missing = [op for op in operands if op not in zm.temporal]
    if missing:
        raise ConversionError(f"ZigZag mapping has no temporal loops for operands {missing}")
    ordering = [(d, b) for d, b in zm.ordering(operands[0]) if b > 1]
    for op in operands[1:]:
        if [(d, b) for d, b in zm.ordering(op) if b > 1] != ordering:
            raise ConversionError(f"operand {op}'s temporal ordering differs from {operands[0]}'s")
    ordering_ls = tuple((ls_dim(d), b) for d, b in ordering)
    n = len(ordering_ls)

    counts: dict[tuple[int, str], int] = {}
    low: dict[tuple[int, str], int] = {}
    high: dict[tuple[int, str], int] = {}
    for t in workload.tensor_names:
        op = ZZ_OPERAND[t]
        kept = [lv for lv in range(len(arch.levels)) if lv == 0 or arch.may_keep(lv, t)]
        levels = zm.temporal[op]
        if len(levels) != len(kept):
            raise ConversionError(
                f"operand {op}: ZigZag has {len(levels)} memory levels, loopscape keeps {t} at {len(kept)}"
            )
        names = zm.memories.get(op)
        expected = [arch.levels[lv].name for lv in reversed(kept)]
        if names is not None and list(names) != expected:
            raise ConversionError(f"operand {op}: ZigZag memories {list(names)}, loopscape levels {expected}")
        used = workload.tensor(t).dims()
        c = 0
        for level_loops, lv in zip(levels, reversed(kept)):
            c += sum(1 for _, b in level_loops if b > 1)
            if lv == 0:
                continue
            lo = hi = c
            while lo > 0 and ordering_ls[lo - 1][0] not in used:
                lo -= 1
            while hi < n and ordering_ls[hi][0] not in used:
                hi += 1
            counts[(lv, t)], low[(lv, t)], high[(lv, t)] = c, lo, hi
    return _Parsed(fan, tuple(spatial), ordering_ls, counts, low, high)


def spatial_positions(arch: Architecture, workload: Workload, zm: ZigZagMapping) -> list[int]:
    """Where the spatial loops can go (as the number of temporal loops below them) with the fewest changes.

    One position when the mapping converts exactly: a k with every PE-private tile within the k inner loops and
    every shared tile around them, once loops a tensor does not use are moved across its cut (its tile and
    counts stay the same: the data is stationary either way), the one nearest ZigZag's largest PE tile.
    Otherwise every k between the two bounds; each changes some tile, and a caller may keep the best valid one."""
    parsed = _parse(arch, workload, zm)
    private = [parsed.low[key] for key in parsed.counts if key[0] > parsed.fan]
    shared = [parsed.high[key] for key in parsed.counts if key[0] <= parsed.fan]
    k_min, k_max = max(private, default=0), min(shared, default=len(parsed.ordering))
    if k_min <= k_max:  # as near ZigZag's own PE tiles as it can be
        literal = max((c for key, c in parsed.counts.items() if key[0] > parsed.fan), default=0)
        return [min(max(literal, k_min), k_max)]
    return list(range(k_max, k_min + 1))


def to_loopscape(
    arch: Architecture, workload: Workload, zm: ZigZagMapping, position: int | None = None
) -> Conversion:
    """The loopscape mapping of ZigZag mapping `zm` of `workload` on (the ZigZag description of) `arch`, with the
    spatial loops above the `position` innermost temporal loops (default: `spatial_positions(...)[0]`)."""
    parsed = _parse(arch, workload, zm)
    k = spatial_positions(arch, workload, zm)[0] if position is None else position
    n, s, fan = len(parsed.ordering), len(parsed.spatial), parsed.fan
    if not 0 <= k <= n:
        raise ConversionError(f"spatial position {k}: expected 0..{n} temporal loops below the spatial loops")
    notes: list[str] = []
    cuts: list[tuple[int, str, int]] = []
    for (lv, t), c in sorted(parsed.counts.items()):
        name = arch.levels[lv].name
        if lv <= fan:  # shared by the array: its tile spans the spatial loops and the k loops below them
            c2 = max(c, k)
            if c2 > parsed.high[(lv, t)]:
                notes.append(f"{name} tile of {t} enlarged from {c} to {c2} inner loops")
            cuts.append((lv, t, n - c2))
        else:  # private to a PE: its tile lies below the spatial loops
            c2 = min(c, k)
            if c2 < parsed.low[(lv, t)]:
                notes.append(f"{name} tile of {t} shrunk from {c} to {c2} inner loops")
            cuts.append((lv, t, n + s - c2))

    outer_first = list(reversed(parsed.ordering))
    items: list[tuple[str, int] | Loop] = [*outer_first[: n - k], *parsed.spatial, *outer_first[n - k :]]
    min_cut: dict[int, int] = {}
    for lv, _, pos in cuts:
        min_cut[lv] = min(pos, min_cut.get(lv, pos))
    loops: list[Loop] = []
    for p, item in enumerate(items):
        if isinstance(item, Loop):
            loops.append(item)
        else:
            level = max([0] + [lv for lv, pos in min_cut.items() if pos <= p])
            loops.append(Loop(item[0], item[1], TEMPORAL, level))
    keep = tuple(
        frozenset(t for t in workload.tensor_names if lv == 0 or arch.may_keep(lv, t))
        for lv in range(len(arch.levels))
    )
    mapping = Mapping(tuple(loops), keep, tuple(cuts))
    for d, b in zip(workload.dims, workload.bounds):
        f = mapping.factor(d)
        if f != b:
            notes.append(f"{d}: ZigZag's loops multiply to {f}, the layer has {b}")
    return Conversion(mapping, tuple(notes))


__all__ = [
    "LS_DIM",
    "ZZ_DIM",
    "ZZ_OPERAND",
    "Conversion",
    "ConversionError",
    "Unrolling",
    "ZigZagMapping",
    "fanout_level",
    "kept_operands",
    "spatial_positions",
    "to_loopscape",
    "write_inputs",
    "zigzag_accelerator",
    "zigzag_layer",
    "zigzag_mapping_entry",
    "zigzag_mapping_of",
]
