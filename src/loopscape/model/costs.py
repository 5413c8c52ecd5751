"""Per-level parameters the compiled cost functions read: fan-outs, capacities, block sizes, ERT, bandwidths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable

ACTIONS = ("read", "fill", "update")


@dataclass(frozen=True)
class LevelParams:
    """Arrays over storage levels (outermost first); 0 or -1 stand for 'unlimited' where noted."""

    fanout_x: np.ndarray  # (levels,) int64: fan-out below each level along X
    fanout_y: np.ndarray
    entries: np.ndarray  # (levels,) int64, -1 = unbounded
    block: np.ndarray  # (levels,) int64 words per vector access
    ert: np.ndarray  # (levels, 3) float64 pJ per vector access: read, fill, update
    read_bw: np.ndarray  # (levels,) float64 words/cycle/instance, 0 = unlimited
    write_bw: np.ndarray
    shared_bw: np.ndarray
    hop_pj: np.ndarray  # (levels,) float64 pJ per word per hop on the network below each level
    compute_pj: float  # pJ per operation of the workload's kind (Workload.op)
    ert_gated: np.ndarray  # (levels, 3) float64 pJ per gated vector access: read, fill, update
    compute_gated_pj: float
    compute_gating: bool
    compute_instances: int
    area_um2: float


def area_by_level(arch: Architecture, table: EnergyTable) -> dict[str, float]:
    """um^2 of every storage level (all its instances) and of the compute units, by name."""
    out = {lv.name: table.area.get(lv.name, 0.0) * lv.instances for lv in arch.levels}
    out[arch.compute.name] = table.area.get(arch.compute.name, 0.0) * arch.compute.instances
    return out


def level_params(arch: Architecture, table: EnergyTable, op: str = "mac") -> LevelParams:
    """The arrays for `arch` priced by `table`; `compute_pj` is the energy of one operation of kind `op`."""
    levels = arch.levels
    fan = [arch.fanout(i) for i in range(len(levels))]
    area = sum(area_by_level(arch, table).values())
    return LevelParams(
        fanout_x=np.array([f[0] for f in fan], dtype=np.int64),
        fanout_y=np.array([f[1] for f in fan], dtype=np.int64),
        entries=np.array([-1 if lv.entries is None else lv.entries for lv in levels], dtype=np.int64),
        block=np.array([lv.block_size for lv in levels], dtype=np.int64),
        ert=np.array(
            [[getattr(table.level(lv.name), a) for a in ACTIONS] for lv in levels], dtype=np.float64
        ),
        read_bw=np.array([lv.read_bandwidth or 0.0 for lv in levels], dtype=np.float64),
        write_bw=np.array([lv.write_bandwidth or 0.0 for lv in levels], dtype=np.float64),
        shared_bw=np.array([lv.shared_bandwidth or 0.0 for lv in levels], dtype=np.float64),
        hop_pj=np.array([table.network.get(lv.name, 0.0) for lv in levels], dtype=np.float64),
        compute_pj=float(table.compute_energy(op)),
        ert_gated=np.array(
            [[getattr(table.level(lv.name), f"gated_{a}") for a in ACTIONS] for lv in levels],
            dtype=np.float64,
        ),
        compute_gated_pj=float(table.compute_gated),
        compute_gating=bool(arch.compute.gating),
        compute_instances=arch.compute.instances,
        area_um2=float(area),
    )
