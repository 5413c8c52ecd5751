"""Energy and area from access counts and an ERT/ART, over a batch."""

from __future__ import annotations

import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.model.tile_analysis import FILLS, READS, UPDATES

ACTIONS = (("read", READS), ("fill", FILLS), ("update", UPDATES))


def vector_accesses(scalar_total: np.ndarray, used: np.ndarray, block: int) -> np.ndarray:
    """Block accesses totalled over instances: ceil(scalar per instance / block size) x used instances."""
    per_instance = np.ceil(scalar_total / np.maximum(used, 1))
    return np.ceil(per_instance / block) * used


def storage_energy(arch: Architecture, table: EnergyTable, out: np.ndarray, used: np.ndarray) -> np.ndarray:
    """(B, levels, tensors, 3) pJ per level, tensor and action (read, fill, update)."""
    energy = np.zeros(out.shape[:3] + (3,), dtype=np.float64)
    for lv, level in enumerate(arch.levels):
        ert = table.level(level.name)
        u = used[:, lv][:, None]
        for a, (name, col) in enumerate(ACTIONS):
            energy[:, lv, :, a] = vector_accesses(out[:, lv, :, col], u, level.block_size) * getattr(ert, name)
    return energy


def area_um2(arch: Architecture, table: EnergyTable) -> float:
    """Sum of per-instance areas times instances (all instances exist, used or not)."""
    total = sum(table.area.get(lv.name, 0.0) * lv.instances for lv in arch.levels)
    return total + table.area.get(arch.compute.name, 0.0) * arch.compute.instances
