"""A design point's metrics from its layers' results (the layers run one after another).

Operations count two per MAC (a multiply and an add, as `Result.tops` and XploreDL's fJ/op and TOPS) and one
per operation of other layers (pooling, element-wise, activation look-ups). Energy is the dynamic energy of the
accesses and operations (`Result.energy_pj`); area is the architecture's (every level's and the compute units'
instances), independent of the mapping. `onchip_fj_per_op` leaves out the backing store's (DRAM) accesses, which
dominate a batch-1 network's fully connected layers; `dram_energy_pj` is that part.
"""

from __future__ import annotations

from collections.abc import Sequence

from loopscape.arch import Architecture
from loopscape.mapper.network import LayerResult

# name -> (unit, True when larger is better): what the store keeps and `loopscape pareto` may take
METRICS: dict[str, tuple[str, bool]] = {
    "energy_pj": ("pJ", False),
    "cycles": ("cycles", False),
    "latency_s": ("s", False),
    "area_mm2": ("mm2", False),
    "edp": ("pJ*cycles", False),
    "ops": ("ops", True),
    "fj_per_op": ("fJ/op", False),
    "dram_energy_pj": ("pJ", False),
    "onchip_fj_per_op": ("fJ/op", False),
    "tops": ("TOPS", True),
    "tops_per_w": ("TOPS/W", True),
    "tops_per_mm2": ("TOPS/mm2", True),
    "utilization": ("", True),
    "pes": ("PEs", True),
    "onchip_kb": ("KiB", False),
}


def layer_ops(lr: LayerResult) -> int:
    """Operations of a layer: two per MAC, one per other operation."""
    return 2 * lr.ops if lr.workload.op == "mac" else lr.ops


def onchip_kib(arch: Architecture) -> float:
    """On-chip storage (every level but the backing store, all instances) in KiB."""
    bits = sum((lv.capacity_bits or 0) * lv.instances for lv in arch.levels[1:])
    return bits / 8 / 1024


def backing_store_pj(lr: LayerResult) -> float:
    """Energy of a layer's accesses to the backing store (the outermost level, DRAM)."""
    return float(sum(v for actions in lr.result.levels[0].energy_pj.values() for v in actions.values()))


def point_metrics(arch: Architecture, layers: Sequence[LayerResult]) -> dict[str, float]:
    """Energy, latency, area, EDP, fJ/op, TOPS/W, TOPS/mm2 and utilisation of layers run in sequence on `arch`."""
    energy = float(sum(lr.energy_pj for lr in layers))
    cycles = int(sum(lr.cycles for lr in layers))
    ops = int(sum(layer_ops(lr) for lr in layers))
    dram = sum(backing_store_pj(lr) for lr in layers)
    slots = cycles * arch.compute.instances
    latency = cycles / (arch.clock_ghz * 1e9)
    area = layers[0].result.area_um2 / 1e6
    tops = ops / latency / 1e12
    return {
        "energy_pj": energy,
        "cycles": cycles,
        "latency_s": latency,
        "area_mm2": area,
        "edp": energy * cycles,
        "ops": ops,
        "fj_per_op": energy * 1e3 / ops,
        "dram_energy_pj": dram,
        "onchip_fj_per_op": (energy - dram) * 1e3 / ops,
        "tops": tops,
        "tops_per_w": ops / (energy * 1e-12) / 1e12,
        "tops_per_mm2": tops / area,
        "utilization": sum(lr.ops for lr in layers) / slots,
        "pes": arch.compute.instances,
        "onchip_kb": onchip_kib(arch),
    }
