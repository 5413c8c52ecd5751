"""IFMAP/filter DRAM reads in CALC mode, worked by hand from SCALE-Sim's set-based buffer (systolic.dram)."""

from __future__ import annotations

import numpy as np

from loopscape.systolic.config import Layer
from loopscape.systolic.demand import read_order
from loopscape.systolic.dram import (
    DramReads,
    filter_footprint,
    ifmap_footprint,
    replayed_reads,
    unreplaced_reads,
)


def test_footprints() -> None:
    # 14 x 14 x 32, 1 x 1 filter, stride 2: SCALE-Sim's OFMAP is ceil(15 / 2) = 8 wide, but only the 7 even
    # rows/columns inside the image are touched: 7 * 7 * 32.
    s2 = Layer("s2", 14, 14, 1, 1, 32, 32, 2)
    assert (s2.ofmap_h, ifmap_footprint(s2), filter_footprint(s2)) == (8, 1568, 1024)
    # 31 x 31 x 3, 11 x 11, stride 4 -> 6 x 6 outputs covering (6 - 1) * 4 + 11 = 31 rows: all pixels
    big = Layer("big", 31, 31, 11, 11, 3, 8, 4)
    assert ifmap_footprint(big) == 31 * 31 * 3


def test_unreplaced_reads() -> None:
    # 4 kB: sets of floor(4096 / 100) = 40 words; 1568 words -> 40 sets -> 1600 words at 10/cycle
    assert unreplaced_reads(1568, 4) == DramReads(-160, -1, 1568)
    # 256 words -> 7 sets -> 280 words -> 28 cycles
    assert unreplaced_reads(256, 4) == DramReads(-28, -1, 256)
    assert unreplaced_reads(256, 4).avg_bw == 256 / 28
    # 2000 words fill the 50 active sets: SCALE-Sim's replacement starts, not modelled
    assert unreplaced_reads(2000, 4) is None and unreplaced_reads(1999, 4) is not None


def test_read_order_ws_by_hand() -> None:
    """GEMM M = 2, N = 1, K = 2 on a 2 x 2 ws array: one fold. IFMAP A = [[0, 1], [2, 3]] streams from cycle
    R = 2 with skew (A[t, j] at 2 + t + j on port j); the filter column [0, 1] loads bottom row first."""
    layer = Layer("g", 2, 2, 1, 2, 1, 1, 1)
    cycles, addrs = read_order("ws", layer, 2, 2, "ifmap")
    assert cycles.tolist() == [2, 3, 3, 4] and addrs.tolist() == [0, 2, 1, 3]
    cycles, addrs = read_order("ws", layer, 2, 2, "filter", filter_offset=100)
    assert cycles.tolist() == [0, 1] and addrs.tolist() == [101, 100]


def test_replay_refetches_what_left_the_window() -> None:
    """1 kB: sets of 10 words, 50 active. 1000 distinct words read twice: the window has moved past the
    first pass, so all are fetched again (2000); windows move at cycles 499, 999, 1499 and 1999."""
    addrs = np.concatenate([np.arange(1000), np.arange(1000)])
    got = replayed_reads(np.arange(2000), addrs, 1)
    assert got == DramReads(-50, 2000, 2000)
    # the same 400 words twice stay in the active window: fetched once, in 40 sets before cycle 0
    assert replayed_reads(np.arange(800), np.tile(np.arange(400), 2), 1) == DramReads(-40, -1, 400)
