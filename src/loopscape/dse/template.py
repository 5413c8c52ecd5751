"""Architecture templates: a built-in architecture with a design point's parameters substituted into it.

Global knobs: `pe_x`, `pe_y` (the compute array and every per-PE storage level: those with one instance per
compute unit), `word_bits` (every level and the compute units; capacities keep their bytes), `technology`
(the energy package scales every table to it), `clock_ghz`, `preset` (a dataflow preset of
`loopscape.mapping.PRESETS`; 'template': the template's own; 'none' or absent: mapping left free) and, with a
memory pool, `hierarchy` (the on-chip levels, see memory_pool.py). Level knobs `LEVEL.KNOB` set one storage
level: `entries` (words), `size_kb` (KiB, at the point's word width), `read_bandwidth`, `write_bandwidth`,
`shared_bandwidth`, `bandwidth` (read and write; words per cycle per instance) and `block_size` (words).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loopscape.arch import Architecture, StorageLevel
from loopscape.errors import SpecError
from loopscape.io.spec_yaml import as_int, as_number, describe

if TYPE_CHECKING:
    from loopscape.dse.memory_pool import MemoryPool

GLOBAL_KNOBS = ("pe_x", "pe_y", "word_bits", "technology", "clock_ghz", "preset")
LEVEL_KNOBS = (
    "entries",
    "size_kb",
    "read_bandwidth",
    "write_bandwidth",
    "shared_bandwidth",
    "bandwidth",
    "block_size",
)
NO_PRESET = ("none", None)
TEMPLATE_PRESET = "template"


def template_levels(template: str, path: str) -> tuple[str, ...]:
    """The storage-level names of the built-in architecture `template` (SpecError at `path` if unknown)."""
    from loopscape.arch import zoo

    try:
        return tuple(lv.name for lv in zoo.get(template).levels)
    except SpecError as e:
        raise SpecError(path, e.found, e.expected) from None


def check_value(knob: str, value: object, path: str) -> None:
    """Fail at `path` unless `value` suits `knob` (a global knob's name or a level knob's)."""
    from loopscape.energy.technology import parse_node
    from loopscape.mapping import PRESETS

    if knob in ("pe_x", "pe_y", "word_bits", "entries", "block_size"):
        as_int(value, path)
    elif knob == "technology":
        parse_node(value, path)
    elif knob == "preset":
        known = [*sorted(PRESETS), TEMPLATE_PRESET, "none"]
        if value not in NO_PRESET and value not in PRESETS and value != TEMPLATE_PRESET:
            raise SpecError(path, describe(value), f"one of {known}")
    elif knob in ("clock_ghz", "size_kb") or knob.endswith("bandwidth"):
        as_number(value, path)


def preset_of(template: str, params: Mapping[str, Any]) -> str | None:
    """The dataflow preset a design point's layers are mapped under (None: free)."""
    from loopscape.arch import zoo

    value = params.get("preset")
    if value in NO_PRESET:
        return None
    return zoo.preset_for(template) if value == TEMPLATE_PRESET else value


def build_architecture(
    template: str, params: Mapping[str, Any], pool: MemoryPool | None = None
) -> Architecture:
    """The template with the point's parameters substituted (knobs in the module docstring)."""
    from loopscape.arch import zoo
    from loopscape.energy.technology import node_name, parse_node

    arch = zoo.get(template)
    if "technology" in params:
        arch = dataclasses.replace(arch, technology=node_name(parse_node(params["technology"])))
    if "clock_ghz" in params:
        arch = dataclasses.replace(arch, clock_ghz=float(params["clock_ghz"]))
    if "word_bits" in params:
        arch = _word_bits(arch, int(params["word_bits"]))
    if "hierarchy" in params:
        if pool is None:
            raise SpecError(
                "parameters.hierarchy", params["hierarchy"], "a memory_pool to draw hierarchies from"
            )
        word_bits = arch.compute.word_bits
        levels = pool.levels(params["hierarchy"], arch.compute.instances, arch.compute.mesh_x, word_bits)
        arch = dataclasses.replace(arch, levels=(arch.levels[0], *levels))
    if "pe_x" in params or "pe_y" in params:
        mx, my = arch.compute.mesh
        arch = _pe_array(arch, int(params.get("pe_x", mx)), int(params.get("pe_y", my)))
    for key, value in params.items():
        if "." in key:
            level, knob = key.split(".", 1)
            arch = _set_level(arch, level, knob, value)
    return arch


def _word_bits(arch: Architecture, bits: int) -> Architecture:
    """Every level and the compute units at `bits` per word; capacities keep their size in bits."""

    def level(lv: StorageLevel) -> StorageLevel:
        entries = None if lv.entries is None else max(1, lv.entries * lv.word_bits // bits)
        return dataclasses.replace(lv, word_bits=bits, entries=entries)

    unit = arch.update_unit
    return dataclasses.replace(
        arch,
        levels=tuple(level(lv) for lv in arch.levels),
        compute=dataclasses.replace(arch.compute, word_bits=bits),
        update_unit=None if unit is None else dataclasses.replace(unit, word_bits=bits),
    )


def _pe_array(arch: Architecture, pe_x: int, pe_y: int) -> Architecture:
    """The compute array resized to pe_x * pe_y units, `pe_x` wide; per-PE levels follow it."""
    old = arch.compute.instances
    levels = []
    for lv in arch.levels:
        if lv.instances == old:
            lv = dataclasses.replace(lv, instances=pe_x * pe_y, mesh_x=pe_x)
        elif lv.instances != 1:
            raise SpecError(
                "parameters.pe_x",
                f"template {arch.name!r}, whose level {lv.name} has {lv.instances} instances",
                "a template whose storage levels are either shared (1 instance) or per PE",
            )
        levels.append(lv)
    if arch.update_unit is not None:
        raise SpecError("parameters.pe_x", arch.name, "a template without a weight-update unit")
    compute = dataclasses.replace(arch.compute, instances=pe_x * pe_y, mesh_x=pe_x)
    return dataclasses.replace(arch, levels=tuple(levels), compute=compute)


def _set_level(arch: Architecture, name: str, knob: str, value: Any) -> Architecture:
    """`arch` with one knob of the storage level `name` set."""
    i = arch.level_index(name)
    lv = arch.levels[i]
    if knob == "entries":
        changes: dict[str, Any] = {"entries": int(value)}
    elif knob == "size_kb":
        changes = {"entries": max(1, int(float(value) * 1024 * 8) // lv.word_bits)}
    elif knob == "bandwidth":
        changes = {"read_bandwidth": float(value), "write_bandwidth": float(value)}
    elif knob == "block_size":
        changes = {"block_size": int(value)}
    else:
        changes = {knob: float(value)}
    levels = list(arch.levels)
    levels[i] = dataclasses.replace(lv, **changes)
    return dataclasses.replace(arch, levels=tuple(levels))
