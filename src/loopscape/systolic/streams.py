"""What SCALE-Sim's memory system reports for one layer: its DRAM streams, cycles, stalls and SRAM spans."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DramReads:
    """One operand's DRAM stream: first and last cycle (SCALE-Sim's, so negative for prefetches) and words."""

    start_cycle: int
    stop_cycle: int
    reads: int

    @property
    def avg_bw(self) -> float:
        """SCALE-Sim's Avg DRAM BW: words / (stop - start + 1)."""
        return self.reads / (self.stop_cycle - self.start_cycle + 1)


@dataclass(frozen=True)
class LayerRun:
    """One layer's memory-side figures: cycles (stalls included), stalls, the first and last served cycle of
    each SRAM, and the three DRAM streams; None where not computed (CALC reads with the replay off). The
    physical cycles and stalls count a late prefetch's lateness once and never let a read be served before
    it was asked for (SCALE-Sim counts lateness twice and lets an early prefetch pull the read earlier)."""

    total_cycles: int
    stall_cycles: int
    ifmap_sram: tuple[int, int]
    filter_sram: tuple[int, int]
    ofmap_sram: tuple[int, int]
    ifmap_dram: DramReads | None
    filter_dram: DramReads | None
    ofmap_dram: DramReads | None
    physical_total_cycles: int | None = None  # stalls as a physical buffer would have them (USER mode)
    physical_stall_cycles: int | None = None

    @property
    def cycles_with_prefetch(self) -> int | None:
        """SCALE-Sim's Total Cycles (incl. prefetch): OFMAP DRAM stop minus the earliest read-DRAM start."""
        if self.ifmap_dram is None or self.filter_dram is None or self.ofmap_dram is None:
            return None
        return self.ofmap_dram.stop_cycle - min(self.ifmap_dram.start_cycle, self.filter_dram.start_cycle)
