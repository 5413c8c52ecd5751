"""SCALE-Sim 3.0.0's DRAM reads of IFMAP and filter in CALC mode, where its buffer never replaces anything.

Its CALC read buffer (read_buffer_estimate_bw) groups the unique addresses it sees into 100 sets of
floor(SRAM words / 100) words, 50 of them active. While fewer than 50 sets have filled, every new address
is kept, so the DRAM reads are the operand's unique footprint, fetched before cycle 0 at 10 words/cycle in
whole sets: start = -ceil(sets * words per set / 10), stop = -1. A footprint that fills 50 sets starts
SCALE-Sim's replacement, which depends on the address order: `replayed_reads` replays it on the read
order of systolic.demand (one pass over the addresses, no per-cycle simulation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.demand import fold_count, fold_write_cycles, read_order

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


def replayed_reads(cycles: np.ndarray, addrs: np.ndarray, sram_kb: int) -> DramReads:
    """SCALE-Sim's CALC read buffer replayed on its read order: an address is fetched again when it is
    neither in the set being filled nor in a closed set of the active window (the window moves on by 50
    sets whenever the set after it closes); every set is fetched once. The first window is fetched before
    the first request at 10 words/cycle; the last fetch ends one cycle after the last window move."""
    per_set = (sram_kb * 1024) // SETS
    latest_set: dict[int, int] = {}
    current: set[int] = set()
    set_id, window_start, window_end = 0, 0, ACTIVE_SETS - 1
    fetched, last_move = 0, None
    for cycle, addr in zip(cycles.tolist(), addrs.tolist(), strict=True):
        held = latest_set.get(addr)
        if addr in current or (held is not None and window_start <= held < min(set_id, window_end + 1)):
            continue
        current.add(addr)
        latest_set[addr] = set_id
        fetched += 1
        if len(current) == per_set:
            current = set()
            set_id += 1
            if set_id == window_end + 1:
                last_move = cycle
                window_start += SETS - ACTIVE_SETS
                window_end += SETS - ACTIVE_SETS
    if last_move is None:
        sets = set_id + (1 if current else 0)
        return DramReads(-math.ceil(sets * per_set / CALC_DRAM_WORDS_PER_CYCLE), -1, fetched)
    first = int(cycles[0])
    start = first - math.ceil(ACTIVE_SETS * per_set / CALC_DRAM_WORDS_PER_CYCLE)
    return DramReads(start, last_move + 1, fetched)


def dram_reads(
    config: SystolicConfig, layer: Layer, replay: bool = True
) -> tuple[DramReads | None, DramReads | None]:
    """(IFMAP, filter) DRAM read streams of `layer` in CALC mode: the closed form where the operand fits the
    active sets, else (with `replay`) SCALE-Sim's buffer replayed; None where not modelled."""
    if config.interface_bandwidth != "CALC":
        return None, None
    out = []
    for operand, unique, kb in (
        ("ifmap", ifmap_footprint(layer), config.ifmap_sram_kb),
        ("filter", filter_footprint(layer), config.filter_sram_kb),
    ):
        stream = unreplaced_reads(unique, kb)
        if stream is None and replay:
            cycles, addrs = read_order(
                config.dataflow, layer, config.array_height, config.array_width, operand,
                config.ifmap_offset, config.filter_offset,
            )  # fmt: skip
            stream = replayed_reads(cycles, addrs, kb)
        out.append(stream)
    return out[0], out[1]


OFMAP_ACTIVE_FRACTION = 0.5  # SCALE-Sim's OFMAP write buffer: half active, half draining


def ofmap_dram_writes(config: SystolicConfig, layer: Layer, total_cycles: int) -> DramReads | None:
    """SCALE-Sim's OFMAP write buffer replayed in CALC mode: writes pack into lines of ArrayWidth words;
    once the active half is full (and no drain is running) the lines so far, the partial one padded, go to
    DRAM, ceil(drain words / width) lines a cycle apiece; what is left drains from the last cycle on. Its
    count subtracts the padding of a drain's last line only (hence a few more writes than words).
    None where SCALE-Sim would stall (the buffer fills during a drain), which CALC runs never showed.
    Start and count match every CALC reference run; the stop cycle matches the 4 kB-buffer runs but ends a
    few hundred cycles early on AlexNet with 64 kB (the final drain differs: not yet understood)."""
    if config.interface_bandwidth != "CALC":
        return None
    rows, width = config.array_height, config.array_width
    words = config.ofmap_sram_kb * 1024
    active = math.ceil(words * OFMAP_ACTIVE_FRACTION)
    drain_lines = math.ceil((words - active) / width)
    folds = fold_count(config.dataflow, layer, rows, config.array_width)
    cycles = np.sort(
        np.concatenate([fold_write_cycles(config.dataflow, layer, rows, width, f) for f in range(folds)])
    )
    lines: list[int] = []  # valid words per line
    partial, free, drained, written = 0, words, 0, 0
    drain_end, first, last = -1, None, None

    def drain(start: int) -> int:
        nonlocal drained, written, free, first, last
        chunk = lines[drained : drained + drain_lines]
        count = len(chunk) * width - (width - chunk[-1])
        written += count
        free += count
        drained += len(chunk)
        first = start if first is None else first
        last = start + len(chunk) - 1
        return last

    for cycle in cycles.tolist():
        partial += 1
        free -= 1
        if partial == width:
            lines.append(width)
            partial = 0
        if cycle < drain_end:
            if free <= 0:
                return None
        elif free < active:
            if partial:
                lines.append(partial)
                partial = 0
            drain_end = drain(cycle)
    if partial:
        lines.append(partial)
    cycle = total_cycles
    while drained < len(lines):
        cycle = drain(cycle) + 1
    assert first is not None and last is not None
    return DramReads(first, last, written)
