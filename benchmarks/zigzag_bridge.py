"""ZigZag (zigzag-dse 3.9.1) inputs from loopscape objects, and ZigZag mappings as loopscape mappings, for the
benchmarks that run ZigZag beside loopscape on the same work.

The conversions live in the package (`loopscape.io.zigzag`, docs/zigzag.md); this module keeps the benchmarks'
interface to them. Nothing here imports ZigZag: the inputs are plain dicts (written as ZigZag's YAML), and a
ZigZag mapping is read into a `ZigZagMapping` (the package's `ZigZagAllocation`) of plain names and numbers
(`zigzag_mapping_of` reads one off a ZigZag CostModelEvaluation by duck typing), so the conversion is tested
without ZigZag installed.

Names. ZigZag's loop dimensions B, G, K, C, OY, OX, FY, FX are loopscape's N, G, K, C, P, Q, R, S (P and OY are
output rows); its layer operands W, I, O are the tensors Weights, Inputs, Outputs, linked to the memory operands
I2, I1, O. Its operational-array dimensions D1 and D2 are loopscape's mesh X and Y.

Hardware (`loopscape.io.zigzag.accelerator_to_zigzag`). One ZigZag memory per loopscape storage level, innermost
first, named as the level, holding the operands of the tensors the level may keep; `served_dimensions` are the
array dimensions of the fan-outs at and below the level (`[]` for a level private to a PE, `[D1, D2]` for one
serving the whole array). Costs are loopscape's energy table per access of one block (r_cost = read, w_cost =
update; the built-in tables price fill = update). The benchmarks' levels have unlimited bandwidth, written as one
block per cycle per port (`unlimited_blocks=1`: ZigZag's port width is block_size x word_bits, min = max, so its
access counts are in blocks, as loopscape's vector accesses are): the top level has one read-write port, other
shared levels one read and one write port, private levels a read and a write port per operand. ZigZag has no
network (NoC) energy; loopscape's energy includes word-hops, so the two tools' own energies differ even for one
mapping.

Mappings (`loopscape.io.zigzag.allocation_to_mapping`). ZigZag's temporal mapping (`TemporalMapping.
mapping_dic_origin`, as LOMA's memory allocator made it) lists, per operand and per memory level innermost
first, the temporal loops allocated there, innermost first; every operand's lists concatenate to the same global
ordering. `to_loopscape` turns it into one loopscape nest (outermost first) with per-(level, tensor) cuts: the
tile of a tensor at a level is the loops that ZigZag allocates to that level and the levels below it. ZigZag
keeps the spatial unrolling apart from the temporal ordering (every PE runs the whole temporal nest); loopscape
puts the spatial loops at one place in the nest, at the level that fans out to the array, and a PE-private tile
must lie below them, a shared tile around them (docs/semantics.md, "Cut"). The spatial loops go above the k
innermost temporal loops (`spatial_positions`), with every private tile within those k loops and every shared
tile spanning at least them. Moving a tensor's cut across loops over dimensions the tensor does not use changes
neither its tile nor its counts (its data is stationary either way; ZigZag's own "merge down" of such loops), so
most ZigZag mappings convert exactly. Some cannot: ZigZag lets a PE keep its weights over loops that also change
the buffer's input tile (its temporal and spatial loops are independent), while one loopscape nest must put
those loops either inside the array (the buffer's tile grows) or outside it (the PE's tile shrinks). Then every
k in between is a candidate, each with `Conversion.notes` saying which tile grew or shrank; the caller may keep
the best valid one. Loops of bound 1 are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import SpecError
from loopscape.io import zigzag as zz
from loopscape.io.zigzag import (
    LS_DIM,
    LS_TENSOR,
    UNBOUNDED_BITS,
    ZZ_DIM,
    ZZ_OPERAND,
    Conversion,
    ls_dim,
    zz_dim,
)
from loopscape.mapping import SPATIAL_X, SPATIAL_Y
from loopscape.workload import Workload

MEMORY_OPERAND = dict(zz.DEFAULT_LINKS)  # layer operand -> memory operand: W -> I2, I -> I1, O -> O
OA_AXIS = {"D1": SPATIAL_X, "D2": SPATIAL_Y}
AXIS_OA = {v: k for k, v in OA_AXIS.items()}

# One spatial loop of a layer's unrolling: (loopscape dimension, bound, SPATIAL_X or SPATIAL_Y).
Unrolling = tuple[tuple[str, int, str], ...]

# A ZigZag mapping in plain names (temporal per operand and memory level, spatial per array dimension).
ZigZagMapping = zz.ZigZagAllocation


class ConversionError(ValueError):
    """A ZigZag input or mapping that has no loopscape counterpart at all."""


@dataclass(frozen=True)
class _Wrapped:
    """Calls into loopscape.io.zigzag with its spec errors raised as ConversionError."""

    def __call__(self, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except SpecError as err:
            raise ConversionError(str(err)) from None


_call = _Wrapped()


# --- hardware -------------------------------------------------------------------------------------------------
def fanout_level(arch: Architecture) -> int:
    """The one storage level that fans out to the PE array (the converter and the generator need exactly one)."""
    levels = [lv for lv in range(len(arch.levels)) if arch.fanout(lv) != (1, 1)]
    if len(levels) != 1:
        raise ConversionError(f"{arch.name}: expected one level fanning out to the array, found {levels}")
    return levels[0]


def kept_operands(arch: Architecture, workload: Workload, lv: int) -> list[str]:
    """ZigZag layer operands of the tensors level `lv` may keep (the backing store keeps all)."""
    return [ZZ_OPERAND[t] for t in workload.tensor_names if lv == 0 or arch.may_keep(lv, t)]


def zigzag_accelerator(arch: Architecture, workload: Workload, table: EnergyTable) -> dict[str, Any]:
    """ZigZag's accelerator description (as a dict for its YAML) of `arch` priced by `table` (unlimited
    bandwidth as one block per cycle per port)."""
    return _call(zz.accelerator_to_zigzag, arch, table, workload=workload, unlimited_blocks=1)


# --- workload ---------------------------------------------------------------------------------------------------
def zigzag_layer(
    workload: Workload, layer_id: int, word_bits: int, name: str | None = None
) -> dict[str, Any]:
    """ZigZag's YAML description of one layer: the einsum of its tensors, with `iy=s*oy+d*fy`-style relations
    for ranks that sum two dimensions (ZigZag's YAML layers take IX = stride*(OX-1) + FX, loopscape's box)."""
    return _call(zz.workload_to_zigzag, workload, layer_id=layer_id, precision=word_bits, name=name)


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


def spatial_positions(arch: Architecture, workload: Workload, zm: ZigZagMapping) -> list[int]:
    """Where the spatial loops can go (as the number of temporal loops below them) with the fewest changes
    (`loopscape.io.zigzag.spatial_positions`)."""
    fanout_level(arch)
    return _call(zz.spatial_positions, arch, workload, zm)


def to_loopscape(
    arch: Architecture, workload: Workload, zm: ZigZagMapping, position: int | None = None
) -> Conversion:
    """The loopscape mapping of ZigZag mapping `zm` of `workload` on (the ZigZag description of) `arch`, with the
    spatial loops above the `position` innermost temporal loops (default: `spatial_positions(...)[0]`)."""
    fanout_level(arch)
    if position is None:
        position = spatial_positions(arch, workload, zm)[0]
    return _call(zz.allocation_to_mapping, arch, workload, zm, position)


__all__ = [
    "LS_DIM",
    "LS_TENSOR",
    "UNBOUNDED_BITS",
    "ZZ_DIM",
    "ZZ_OPERAND",
    "Conversion",
    "ConversionError",
    "Unrolling",
    "ZigZagMapping",
    "fanout_level",
    "kept_operands",
    "ls_dim",
    "spatial_positions",
    "to_loopscape",
    "write_inputs",
    "zigzag_accelerator",
    "zigzag_layer",
    "zigzag_mapping_entry",
    "zigzag_mapping_of",
    "zz_dim",
]
