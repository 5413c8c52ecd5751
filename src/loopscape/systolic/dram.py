"""SCALE-Sim 3.0.0's DRAM reads of IFMAP and filter in CALC mode, where its buffer never replaces anything.

Its CALC read buffer (read_buffer_estimate_bw) groups the unique addresses it sees into 100 sets of
floor(SRAM words / 100) words, 50 of them active. While fewer than 50 sets have filled, every new address
is kept, so the DRAM reads are the operand's unique footprint, fetched before cycle 0 at 10 words/cycle in
whole sets: start = -ceil(sets * words per set / 10), stop = -1. A footprint that fills 50 sets starts
SCALE-Sim's replacement, which depends on the address order: not modelled here (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from loopscape.systolic.config import Layer, SystolicConfig

CALC_DRAM_WORDS_PER_CYCLE = 10  # SCALE-Sim 3.0.0 CALC mode: hard-coded IFMAP/filter backing bandwidth
SETS = 100  # read_buffer_estimate_bw: the buffer is split into 100 sets ...
ACTIVE_SETS = 50  # ... half of them active (active_buf_frac 0.5)


@dataclass(frozen=True)
class DramReads:
    """One operand's DRAM read stream: first and last cycle (SCALE-Sim's, so negative) and words read."""

    start_cycle: int
    stop_cycle: int
    reads: int

    @property
    def avg_bw(self) -> float:
        """SCALE-Sim's Avg DRAM BW: reads / (stop - start + 1)."""
        return self.reads / (self.stop_cycle - self.start_cycle + 1)


def _covered(extent: int, kernel: int, stride: int, outputs: int) -> int:
    """IFMAP rows (or columns) inside the image that some output's window touches: r < extent with
    r mod stride < kernel, up to the last window. (SCALE-Sim's OFMAP = ceil((H - R + s) / s) may place a
    last window past the edge; its addresses repeat ones already read.)"""
    end = min(extent, (outputs - 1) * stride + kernel)
    return (end // stride) * min(kernel, stride) + min(end % stride, kernel)


def ifmap_footprint(layer: Layer) -> int:
    """Unique IFMAP words the im2col matrix addresses (strided windows may skip pixels)."""
    rows = _covered(layer.ifmap_h, layer.filter_h, layer.stride, layer.ofmap_h)
    cols = _covered(layer.ifmap_w, layer.filter_w, layer.stride, layer.ofmap_w)
    return rows * cols * layer.channels


def filter_footprint(layer: Layer) -> int:
    return layer.k * layer.n


def unreplaced_reads(unique: int, sram_kb: int) -> DramReads | None:
    """The read stream of an operand of `unique` words in a `sram_kb` CALC buffer, or None when it fills
    the active sets (then SCALE-Sim's replacement decides)."""
    per_set = (sram_kb * 1024) // SETS
    if per_set < 1 or unique >= ACTIVE_SETS * per_set:
        return None
    sets = math.ceil(unique / per_set)
    cycles = math.ceil(sets * per_set / CALC_DRAM_WORDS_PER_CYCLE)
    return DramReads(start_cycle=-cycles, stop_cycle=-1, reads=unique)


def dram_reads(config: SystolicConfig, layer: Layer) -> tuple[DramReads | None, DramReads | None]:
    """(IFMAP, filter) DRAM read streams of `layer` where the closed form holds (CALC mode, no replacement)."""
    if config.interface_bandwidth != "CALC":
        return None, None
    return (
        unreplaced_reads(ifmap_footprint(layer), config.ifmap_sram_kb),
        unreplaced_reads(filter_footprint(layer), config.filter_sram_kb),
    )
