"""Result of evaluating one mapping: counts, cycles, utilisation, energy and area with breakdowns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loopscape.model.counts import AccessCounts


@dataclass(frozen=True)
class LevelResult:
    """One storage level's figures (totals over used instances)."""

    name: str
    instances: int  # instances used by the mapping
    cycles: int  # cycles this level needs in isolation (bandwidth-bound)
    energy_pj: dict[str, dict[str, float]]  # tensor -> action -> pJ
    tile_words: dict[str, int]  # tensor -> words per instance


@dataclass(frozen=True)
class Result:
    """Everything `evaluate` reports for one (architecture, workload, mapping)."""

    counts: AccessCounts
    macs: int  # operations of the padded space
    real_macs: int  # operations of the unpadded workload
    compute_cycles: int
    cycles: int
    utilization: float
    energy_pj: float
    compute_energy_pj: float
    area_um2: float
    levels: tuple[LevelResult, ...]
    level_names: tuple[str, ...]
    padding: dict[str, int] = field(default_factory=dict)  # dimension -> padded size minus its bound
    leakage_pj: float = 0.0  # every instance's idle (leakage) energy over the cycles; not in energy_pj
    clock_ghz: float = 1.0

    @property
    def seconds(self) -> float:
        return self.cycles / (self.clock_ghz * 1e9)

    @property
    def tops(self) -> float:
        """Useful operations per second in tera-ops, two per MAC (a multiply and an add)."""
        return 2 * self.real_macs / self.seconds / 1e12

    @property
    def tops_per_mm2(self) -> float:
        return self.tops / (self.area_um2 / 1e6) if self.area_um2 > 0 else float("inf")

    @property
    def tops_per_watt(self) -> float:
        """Throughput per watt of dynamic power (energy_pj over the run's time)."""
        watts = self.energy_pj * 1e-12 / self.seconds
        return self.tops / watts if watts > 0 else float("inf")

    @property
    def edp(self) -> float:
        return self.energy_pj * self.cycles

    @property
    def pj_per_mac(self) -> float:
        return self.energy_pj / self.real_macs

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: totals over instances, level and tensor names as in the specs."""
        levels = []
        for i, lv in enumerate(self.levels):
            tensors = {
                t: {"reads": a.reads, "fills": a.fills, "updates": a.updates}
                for t, a in self.counts.levels[i].items()
            }
            net = self.counts.networks[i] if self.counts.networks else {}
            levels.append(
                {
                    "name": lv.name,
                    "instances": lv.instances,
                    "cycles": lv.cycles,
                    "tile_words": lv.tile_words,
                    "tensors": tensors,
                    "network": {
                        t: {
                            "link_transfers": n.link_transfers,
                            "spatial_reductions": n.spatial_reductions,
                            "word_hops": n.word_hops,
                        }
                        for t, n in net.items()
                    },
                    "energy_pj": lv.energy_pj,
                }
            )
        return {
            "cycles": self.cycles,
            "compute_cycles": self.compute_cycles,
            "utilization": self.utilization,
            "macs": self.macs,
            "real_macs": self.real_macs,
            "energy_pj": self.energy_pj,
            "compute_energy_pj": self.compute_energy_pj,
            "pj_per_mac": self.pj_per_mac,
            "area_um2": self.area_um2,
            "padding": self.padding,
            "leakage_pj": self.leakage_pj,
            "clock_ghz": self.clock_ghz,
            "seconds": self.seconds,
            "tops": self.tops,
            "tops_per_mm2": self.tops_per_mm2,
            "tops_per_watt": self.tops_per_watt,
            "levels": levels,
        }
