"""Timeloop's throughput model: cycles from compute and every level's bandwidth, over a batch."""

from __future__ import annotations

import numpy as np

from loopscape.arch import Architecture
from loopscape.model.tile_analysis import FILLS, READS, UPDATES


def level_cycles(arch: Architecture, out: np.ndarray, used: np.ndarray, compute_cycles: np.ndarray) -> np.ndarray:
    """(B, levels) cycles each level needs in isolation: ceil(compute cycles / slowdown).

    Demand is in words per used instance (the average instance); reads include link-transfer reads, writes are
    fills plus updates. The slowdown is min(1, limit / demand) over the read, write and shared limits set.
    """
    reads = out[:, :, :, READS].sum(axis=2)  # link-transfer reads are already in READS
    writes = out[:, :, :, FILLS].sum(axis=2) + out[:, :, :, UPDATES].sum(axis=2)
    cc = compute_cycles.astype(np.float64)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        read_demand = reads / used / cc
        write_demand = writes / used / cc
    slowdown = np.ones(reads.shape, dtype=np.float64)
    for lv, level in enumerate(arch.levels):
        for limit, demand in (
            (level.read_bandwidth, read_demand[:, lv]),
            (level.write_bandwidth, write_demand[:, lv]),
            (level.shared_bandwidth, read_demand[:, lv] + write_demand[:, lv]),
        ):
            if limit is not None:
                with np.errstate(divide="ignore"):
                    slowdown[:, lv] = np.minimum(slowdown[:, lv], np.where(demand > 0, limit / demand, 1.0))
    return np.ceil(cc / slowdown).astype(np.int64)
