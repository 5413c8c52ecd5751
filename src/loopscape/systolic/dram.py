"""SCALE-Sim 3.0.0's DRAM streams in CALC mode: IFMAP and filter reads, OFMAP writes.

Its CALC read buffer (read_buffer_estimate_bw) groups the unique addresses it sees into 100 sets of
floor(SRAM words / 100) words, 50 of them active. While fewer than 50 sets have filled, every new address
is kept, so the DRAM reads are the operand's unique footprint, fetched before cycle 0 at 10 words/cycle in
whole sets: start = -ceil(sets * words per set / 10), stop = -1. A footprint that fills 50 sets starts
SCALE-Sim's replacement, which depends on the address order: systolic.replay replays it over the layer's
reads in SCALE-Sim's order (one pass in numba, no per-cycle simulation); `replayed_reads` does the same on an
explicit read stream.
"""

from __future__ import annotations

import math

import numpy as np

from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.replay import calc_reads, estimate_reads, ofmap_writes
from loopscape.systolic.streams import DramReads

CALC_DRAM_WORDS_PER_CYCLE = 10  # SCALE-Sim 3.0.0 CALC mode: hard-coded IFMAP/filter backing bandwidth
SETS = 100  # read_buffer_estimate_bw: the buffer is split into 100 sets ...
ACTIVE_SETS = 50  # ... half of them active (active_buf_frac 0.5)


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


def replayed_reads(cycles: np.ndarray, addrs: np.ndarray, sram_kb: int) -> DramReads:
    """SCALE-Sim's CALC read buffer replayed on one read stream (cycle and address of every read, in order):
    an address is fetched again when it is neither in the set being filled nor in a closed set of the active
    window (the window moves on by 50 sets whenever the set after it closes); every set is fetched once.
    The first window is fetched before the first request at 10 words/cycle; the last fetch ends one cycle
    after the last window move."""
    return estimate_reads(cycles, addrs, _per_set(sram_kb), ACTIVE_SETS, SETS, CALC_DRAM_WORDS_PER_CYCLE)


def _per_set(sram_kb: int) -> int:
    return (sram_kb * 1024) // SETS


OPERANDS = ("ifmap", "filter")


def closed_form_reads(config: SystolicConfig, layer: Layer) -> tuple[DramReads | None, DramReads | None]:
    """(IFMAP, filter) DRAM read streams of `layer` in CALC mode where the operand fits the active sets; None
    for an operand that needs `replay_reads` (and for both outside CALC mode)."""
    if config.interface_bandwidth != "CALC":
        return None, None
    return (
        unreplaced_reads(ifmap_footprint(layer), config.ifmap_sram_kb),
        unreplaced_reads(filter_footprint(layer), config.filter_sram_kb),
    )


def replay_reads(config: SystolicConfig, layer: Layer, operand: str) -> DramReads:
    """SCALE-Sim's CALC read buffer of `operand` ("ifmap" or "filter") replayed over the layer's reads."""
    kb = config.ifmap_sram_kb if operand == "ifmap" else config.filter_sram_kb
    return calc_reads(config, layer, operand, _per_set(kb), ACTIVE_SETS, SETS, CALC_DRAM_WORDS_PER_CYCLE)


def dram_reads(
    config: SystolicConfig, layer: Layer, replay: bool = True
) -> tuple[DramReads | None, DramReads | None]:
    """(IFMAP, filter) DRAM read streams of `layer` in CALC mode: the closed form where the operand fits the
    active sets, else (with `replay`) SCALE-Sim's buffer replayed; None where not modelled. (systolic.run
    schedules the replays of many layers on all cores itself.)"""
    streams = closed_form_reads(config, layer)
    if config.interface_bandwidth != "CALC" or not replay:
        return streams
    ifmap, filt = (
        s if s is not None else replay_reads(config, layer, op) for s, op in zip(streams, OPERANDS)
    )
    return ifmap, filt


def ofmap_dram_writes(config: SystolicConfig, layer: Layer) -> tuple[DramReads, int]:
    """SCALE-Sim's CALC OFMAP write buffer replayed (lines of ArrayWidth words, drained half a buffer at a
    time, the rest flushed after the last row; systolic.replay): its DRAM stream and the stalls it adds
    (none: a line of C words leaves per cycle and no row writes more than C words)."""
    return ofmap_writes(config, layer, config.array_width)
