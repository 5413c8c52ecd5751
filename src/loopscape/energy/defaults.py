"""The built-in ERT/ART of an architecture (`default_table`), and helpers over the cited reference numbers.

`default_table(arch)` is `build_ert(arch)`: every level and the compute units priced by the default
estimator registry (cited tables, scaled to the architecture's node). The per-primitive helpers
(`multiplier_energy`, `word16_energy`, ...) live in `primitives.py` and are re-exported here.
"""

from __future__ import annotations

import dataclasses

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy.ert import build_ert, default_registry, level_component, storage_energy
from loopscape.energy.primitives import (
    ReferenceData,
    adder_area,
    adder_energy,
    area_per_bit,
    available_technologies,
    mac_area,
    mac_energy,
    multiplier_area,
    multiplier_energy,
    reference_data,
    word16_energy,
)
from loopscape.energy.table import ActionEnergy, EnergyTable
from loopscape.energy.technology import node_name, parse_node
from loopscape.errors import SpecError


def _with_dram_type(arch: Architecture, dram_type: str) -> Architecture:
    """`arch` with every DRAM level (that names no type itself) of DRAM type `dram_type`."""
    known = sorted(reference_data().dram_pj_per_bit)
    if dram_type not in known:
        raise SpecError("dram_type", dram_type, f"one of {known}")
    levels = tuple(
        dataclasses.replace(lv, attributes=(*lv.attributes, ("type", dram_type)))
        if lv.cls == "DRAM" and lv.component is None and "type" not in dict(lv.attributes)
        else lv
        for lv in arch.levels
    )
    return dataclasses.replace(arch, levels=levels)


def default_table(arch: Architecture, dram_type: str | None = None) -> EnergyTable:
    """The ERT/ART of `arch` from the default estimators (DRAM type LPDDR4 unless given)."""
    return build_ert(arch if dram_type is None else _with_dram_type(arch, dram_type))


def level_energy(level: StorageLevel, technology: str = "45nm", dram_type: str | None = None) -> ActionEnergy:
    """Energy of one vector access (one block of `block_size` words) of a storage level on its own."""
    if dram_type is not None:
        level = _with_dram_type(Architecture("one", (level,), ComputeLevel()), dram_type).levels[0]
    registry = default_registry()
    path = f"architecture.levels[{level.name}]"
    component = level_component(level, node_name(parse_node(technology)), registry.library, path)
    energy, _ = storage_energy(registry.estimate(component, path), component, path)
    return energy


def level_area(level: StorageLevel, technology: str = "45nm") -> float:
    """um^2 per instance of a storage level (0 for DRAM)."""
    registry = default_registry()
    path = f"architecture.levels[{level.name}]"
    component = level_component(level, node_name(parse_node(technology)), registry.library, path)
    return float(registry.estimate(component, path).area_um2 or 0.0)


__all__ = [
    "ReferenceData",
    "adder_area",
    "adder_energy",
    "area_per_bit",
    "available_technologies",
    "default_table",
    "level_area",
    "level_energy",
    "mac_area",
    "mac_energy",
    "multiplier_area",
    "multiplier_energy",
    "reference_data",
    "word16_energy",
]
