"""Conformance with real Timeloop v3.0.3 on its own v0.4 input files (tests/data/timeloop/<case>/).

Each case directory holds arch.yaml, problem.yaml, map.yaml (and sometimes ert.yaml) written the way
timeloop-model v3.0.3 reads them. Every expected number below is derived BY HAND, next to it, from the
conventions in /work/shared/notes/timeloop.md and docs/semantics.md (never by running loopscape):

* counts are per instance first, then x the utilized instances (the totals are what we assert);
* a read-only tensor's fills at a level = the sum of the deltas of its tile (bounding box) over the steps
  (iterations of the loops above the level); the parent's reads = the children's deltas, identical deltas
  of sibling instances at the same step read once (multicast);
* the innermost storage level reads each operand once per MAC (no reuse inside the MAC);
* read-write tensors: updates = writes received, reads = updates - partition, fills = F - partition
  (0 at the outermost level); identical writes of siblings at one step are reduced (spatial reductions =
  writes sent up - parent updates);
* a delta is the whole new tile unless the old and new boxes differ in exactly one rank and overlap along
  it and the move's translation equals the stride of the previous move (or no stride is held: after the
  first step or after a stride change); docs/semantics.md gives the exact rule.

Notation in the comments: a loop nest is written outermost first; "|" separates levels; X/Y mark spatial
loops; "w" is the input coordinate. Sliding loops that continue across an outer loop boundary are kept to
2 iterations (a convention-independent choice: the step after the boundary compares with the last one).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from loopscape.io import load_specs
from loopscape.model.evaluate import evaluate

DATA = Path(__file__).resolve().parents[1] / "data" / "timeloop"
SRC = Path(__file__).resolve().parents[2] / "src"

D, G, RF = "DRAM", "GlobalBuffer", "RegisterFile"


def T(reads: int, fills: int, updates: int) -> tuple[int, int, int]:
    return (reads, fills, updates)


@dataclass
class Expect:
    levels: dict[str, dict[str, tuple[int, int, int]]]  # level -> tensor -> (reads, fills, updates), totals
    macs: int
    cycles: int
    bypassed: dict[str, set[str]] = field(default_factory=dict)  # level -> tensors with no counts there
    # level -> tensor -> (link_transfers, spatial_reductions) on the network below that level
    networks: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    energy_pj: float | None = None  # total, when the case's ERT covers every level and the MACs
    level_energy: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (level, tensor, action)
    utilization: float | None = None
    level_cycles: dict[str, int] = field(default_factory=dict)  # level -> cycles it needs on its own


CASES: dict[str, Expect] = {}

# ---------------------------------------------------------------------------------------------------------
# conv1d_temporal: Output[p] += Weight[r] * Input[p + r], P = 16, R = 3; one DRAM, one GLB, one RF, one MAC.
# Nest: DRAM P2 | GLB P2 | RF P4 R3.  p = 8*p_dram + 4*p_glb + p_rf.  MACs = 48, compute cycles = 48.
#   RF tiles: Weights R3 = 3 words; Inputs w in [pb, pb+5] = 6 words; Outputs [pb, pb+3] = 4 words.
#   RF steps (p_dram, p_glb) = 4, tile bases pb = 0, 4, 8, 12 (consecutive across the DRAM boundary).
#   GLB tiles: Weights 3; Inputs [8j, 8j+9] = 10 words; Outputs [8j, 8j+7] = 8 words; GLB steps j = 0, 1.
# ERT (block 1 everywhere): DRAM 200/200/200, GLB read 6 fill 6.5 update 7, RF read 0.5 fill 0.75
# update 1.25, MAC 1.0 pJ.
# ---------------------------------------------------------------------------------------------------------
CASES["conv1d_temporal"] = Expect(
    levels={
        D: {
            "Weights": T(3, 0, 0),  # reads = GLB fills 3; outermost: no fills
            "Inputs": T(18, 0, 0),  # reads = GLB fills 18
            "Outputs": T(0, 0, 16),  # updates = GLB deltas sent up 8+8 = 16; reads = 16 - partition 16 = 0
        },
        G: {
            "Weights": T(3, 3, 0),  # reads = RF fills 3; fills: tile R3 unchanged by the DRAM P loop = 3
            "Inputs": T(18, 18, 0),  # reads = RF fills 6+4+4+4 = 18; fills [0,9] = 10, then [8,17]: +8 -> 18
            "Outputs": T(0, 0, 16),  # updates = RF deltas 4 x 4 = 16; reads 16 - 16 = 0; fills F 16 - 16 = 0
        },
        RF: {
            "Weights": T(48, 3, 0),  # reads 1 per MAC = 48; fills: R3 tile never changes -> 3 (the notes' 3)
            # reads 48 (1 per MAC); fills: [0,5] = 6, [4,9] +4, [8,13] +4 (across the DRAM boundary),
            # [12,17] +4 -> 6+4+4+4 = 18 (the notes' figure)
            "Inputs": T(48, 18, 0),
            # updates = 48 MACs; partition = 16 distinct p; reads = 48 - 16 = 32;
            # F = 4 disjoint tiles x 4 = 16, fills = 16 - 16 = 0
            "Outputs": T(32, 0, 48),
        },
    },
    macs=48,  # P16 x R3
    cycles=48,  # no parallelism, no bandwidth limits: compute cycles
    # DRAM: (3 + 18) reads x 200 + 16 updates x 200 = 4200 + 3200 = 7400
    # GLB: reads (3+18+0) x 6 = 126; fills (3+18+0) x 6.5 = 136.5; updates 16 x 7 = 112 -> 374.5
    # RF: reads (48+48+32) x 0.5 = 64; fills (3+18+0) x 0.75 = 15.75; updates 48 x 1.25 = 60 -> 139.75
    # MACs: 48 x 1.0 = 48.  Total 7400 + 374.5 + 139.75 + 48 = 7962.25
    energy_pj=7962.25,
)

# ---------------------------------------------------------------------------------------------------------
# conv1d_spatial_multicast: P = 16, R = 3; P spread over 16 PEs, R = 3 inside each PE.
# Nest: DRAM - | GLB X:P16 | RF R3.  One RF step (no temporal loop above the RF).  MACs 48, cycles 3.
#   RF instance i (p = i): Weights [0,2] (3), Inputs [i, i+2] (3), Outputs [i] (1).
# ---------------------------------------------------------------------------------------------------------
CASES["conv1d_spatial_multicast"] = Expect(
    levels={
        D: {
            "Weights": T(3, 0, 0),  # = GLB fills
            "Inputs": T(18, 0, 0),  # = GLB fills
            "Outputs": T(0, 0, 16),  # GLB sends its 16-word delta up; reads 16 - 16 = 0
        },
        G: {
            # reads: all 16 PEs need the identical {0,1,2} at the same step -> multicast, 3 reads (notes)
            "Weights": T(3, 3, 0),
            # reads: 16 different windows [i, i+2] (partial overlap gets no credit) -> 16 x 3 = 48 (notes);
            # fills: whole tile w in [0, 17] = 18 in one step
            "Inputs": T(48, 18, 0),
            # updates: 16 distinct 1-word writes (no two PEs share a p) = 16; partition 16 -> reads 0;
            # F = 16 (one step) -> fills 16 - 16 = 0
            "Outputs": T(0, 0, 16),
        },
        RF: {
            "Weights": T(48, 48, 0),  # per PE: reads 3 (1 per MAC), fills 3 -> x16: 48, 48
            "Inputs": T(48, 48, 0),  # per PE: reads 3, fills 3 -> x16
            "Outputs": T(32, 0, 48),  # per PE: updates 3, partition 1, reads 2, fills F 1 - 1 = 0 -> x16
        },
    },
    macs=48,
    cycles=3,  # R3 temporal per PE
    # one RF step: no previous step, so no link transfers (notes: multicast factor 1 and 0 link transfers)
    networks={G: {"Weights": (0, 0), "Inputs": (0, 0), "Outputs": (0, 0)}},
)

# ---------------------------------------------------------------------------------------------------------
# conv7d_stride2: CNN layer K16 C2 Q4 P1 R3 S3 N1, Hstride 2 (h = s + 2q, w = r).  16 PEs (K spatial).
# Nest: DRAM - | GLB C2 Q4 X:K16 | RF R3 S3.  MACs = 16 x 2 x 4 x 9 = 1152, compute cycles 2 x 4 x 9 = 72.
#   RF (one k each) steps (c, q): 8.  Tiles: Weights (k, c, 3x3) = 9; Inputs (c, w 0..2, h 2q..2q+2) = 9;
#   Outputs (k, q) = 1.
#   Inputs deltas per PE: q0: 9; q1: rows 3-4 new = 2 x 3 = 6; q2: 6; q3: 6 -> 27 per c; at the c step the
#   C rank and the H rank both change -> whole 9 again -> 27 + 27 = 54 (the notes' 9, then 6 per Q step).
# DRAM is Eyeriss-like: width 64 / datawidth 16 = block 4.  ERT: DRAM read 512, fill 512, update 300 (v3.0.3
# takes an update as max(random_update, random_fill) = 512).
# ---------------------------------------------------------------------------------------------------------
CASES["conv7d_stride2"] = Expect(
    levels={
        D: {
            "Weights": T(288, 0, 0),  # = GLB fills 288 (K16 C2 R3 S3)
            "Inputs": T(54, 0, 0),  # = GLB fills 54 (C2 x W3 x H9)
            "Outputs": T(0, 0, 64),  # GLB sends its 64-word tile up once; partition 64 -> reads 0
        },
        G: {
            # reads: each PE needs its own k: per c, 16 x 9 = 144; x C2 = 288; fills: whole tensor, 1 step
            "Weights": T(288, 288, 0),
            # reads: the 16 PEs need identical deltas (same c, q) -> multicast: 54; fills: whole tensor 54
            "Inputs": T(54, 54, 0),
            # updates = RF deltas sent up: 8 per PE x 16 = 128 (distinct k, no reduction) (notes: 128);
            # partition = K16 x Q4 = 64 -> reads 128 - 64 = 64 (notes: 64); F = 64 in one step -> fills 0
            "Outputs": T(64, 0, 128),
        },
        RF: {
            "Weights": T(1152, 288, 0),  # per PE: reads 72 (1 per MAC); fills 9 per c = 18 -> x16
            "Inputs": T(1152, 864, 0),  # per PE: reads 72; fills 54 (9+6+6+6 per c) -> x16 = 864
            # per PE: updates 72, partition 4 (q), reads 72 - 4 = 68; F = 8 (a new 1-word tile every
            # step: q changes, and q wraps 3 -> 0 at the c step), fills 8 - 4 = 4 (notes: 4/instance, 64 total)
            "Outputs": T(1088, 64, 1152),
        },
    },
    macs=1152,
    cycles=72,
    # link transfers: a PE's delta never equals its neighbour's previous delta (9 vs 6 words, rows 3-4 vs
    # rows 0-2, ...; weights: the neighbour's previous weight delta was empty), so 0.
    networks={G: {"Weights": (0, 0), "Inputs": (0, 0), "Outputs": (0, 0)}},
    level_energy={
        (D, "Weights", "read"): 36864.0,  # 288 scalar reads / block 4 = 72 vector reads x 512 pJ (notes)
        (D, "Outputs", "update"): 8192.0,  # 64 / 4 = 16 vector updates x max(300, 512) = 16 x 512
        (D, "Outputs", "read"): 0.0,
    },
)

# ---------------------------------------------------------------------------------------------------------
# conv1x1_stride2_holes: K2 C2 P4 Q4 R1 S1 N1, Wstride = Hstride = 2 (w = 2p, h = 2q): only even points are
# used, but a tile is the bounding box.
# Nest: DRAM - | GLB C2 Q4 P4 | RF K2.  MACs = 2 x 2 x 4 x 4 = 64, compute cycles 64.
#   RF steps (c, q, p) = 32.  RF tiles: Weights (k0..1, c) = 2; Inputs (c, 2p, 2q) = 1; Outputs (k0..1, q, p) = 2.
#   GLB tile (whole, one step): Inputs C2 x W[0,6] x H[0,6] = 2 x 7 x 7 = 98 (only 2 x 4 x 4 = 32 used).
# ---------------------------------------------------------------------------------------------------------
CASES["conv1x1_stride2_holes"] = Expect(
    levels={
        D: {
            "Weights": T(4, 0, 0),  # = GLB fills 4
            "Inputs": T(98, 0, 0),  # = GLB fills 98 (notes: reads 98 from DRAM)
            "Outputs": T(0, 0, 32),  # GLB's 32-word tile sent up once
        },
        G: {
            "Weights": T(4, 4, 0),  # reads = RF fills: 2 per c x 2 = 4; fills: whole tensor K2 C2 = 4
            # reads = RF fills 32 (only the needed words, notes); fills = bounding box 98 (notes)
            "Inputs": T(32, 98, 0),
            # updates = RF deltas sent up: 32 steps x 2 = 64; partition 32 -> reads 32; F 32 - 32 -> fills 0
            "Outputs": T(32, 0, 64),
        },
        RF: {
            "Weights": T(64, 4, 0),  # reads 1 per MAC; fills: new (k0..1, c) tile only when c changes: 2 x 2
            # reads 64; fills: the 1-point tile jumps by 2 every step (no overlap) -> 32 steps x 1 = 32
            "Inputs": T(64, 32, 0),
            # updates 64 MACs, partition 32 (K2 P4 Q4), reads 64 - 32 = 32;
            # F: every step a new 2-word tile (p or q moves, no overlap) = 32 x 2 = 64; fills 64 - 32 = 32
            "Outputs": T(32, 32, 64),
        },
    },
    macs=64,
    cycles=64,
)

# ---------------------------------------------------------------------------------------------------------
# conv1d_rspatial: P = 16, R = 3 over 12 PEs: X:P4 (outer) x X:R3 (inner); each PE does P4 temporally.
# Nest: DRAM - | GLB X:P4 X:R3 | RF P4.  One RF step.  MACs 48, compute cycles 4.
#   PE (p1, r): Weights [r] (1); Inputs w in [4p1 + r, 4p1 + r + 3] (4); Outputs [4p1, 4p1 + 3] (4).
# ---------------------------------------------------------------------------------------------------------
CASES["conv1d_rspatial"] = Expect(
    levels={
        D: {
            "Weights": T(3, 0, 0),
            "Inputs": T(18, 0, 0),
            "Outputs": T(0, 0, 16),  # GLB sends its 16 words up; partition 16 -> reads 0
        },
        G: {
            "Weights": T(3, 3, 0),  # reads: the 4 PEs with the same r share {r}: 3 groups x 1 = 3
            # reads: 4p1 + r is different for all 12 PEs -> 12 x 4 = 48; fills: whole w in [0,17] = 18
            "Inputs": T(48, 18, 0),
            # updates: the 3 PEs with the same p1 send identical 4-word writes -> 4 groups x 4 = 16 (notes);
            # partition 16 -> reads 0; F 16 in one step -> fills 0
            "Outputs": T(0, 0, 16),
        },
        RF: {
            "Weights": T(48, 12, 0),  # per PE: reads 4 (1 per MAC), fills 1 -> x12
            "Inputs": T(48, 48, 0),  # per PE: reads 4, fills 4 -> x12
            "Outputs": T(0, 0, 48),  # per PE: updates 4, partition 4 -> reads 0, F 4 - 4 -> fills 0 -> x12
        },
    },
    macs=48,
    cycles=4,
    # 12 PEs x 4 writes = 48 sent up - 16 GLB updates = 32 spatial reductions (notes); one step: no links
    networks={G: {"Outputs": (0, 32), "Weights": (0, 0), "Inputs": (0, 0)}},
)

# ---------------------------------------------------------------------------------------------------------
# matmul_kspatial: Z[m,n] += A[m,k] * B[k,n], M = N = 16, K = 4; K spread over 4 PEs.
# Nest: DRAM - | GLB N4 M16 X:K4 | RF N4.  n = 4*n1 + n0.  MACs 1024, compute cycles 4 x 16 x 4 = 256.
#   Per PE (one k), steps (n1, m) = 64.  Tiles: A (m, k) = 1; B (k, 4 n) = 4; Z (m, 4 n) = 4.
# ---------------------------------------------------------------------------------------------------------
CASES["matmul_kspatial"] = Expect(
    levels={
        D: {
            "A": T(64, 0, 0),  # = GLB fills (M16 x K4)
            "B": T(64, 0, 0),  # = GLB fills (K4 x N16)
            "Z": T(0, 0, 256),  # GLB sends its 256-word tile up once; partition 256 -> reads 0
        },
        G: {
            "A": T(256, 64, 0),  # reads: 4 PEs, distinct k, 64 fills each -> 256; fills: whole A = 64
            "B": T(64, 64, 0),  # reads: 4 PEs x 16 fills (distinct k) = 64; fills whole B = 64
            # updates: at each step the 4 PEs send the identical (m, 4 n) words -> reduced: 64 x 4 = 256;
            # partition 256 -> reads 0; F 256 in one step -> fills 0
            "Z": T(0, 0, 256),
        },
        RF: {
            # per PE: reads 256 (1 per MAC); fills: A tile changes at every step (m moves by 1, a 1-word
            # tile: no overlap; m wraps when n1 moves) -> 64 -> x4 = 256
            "A": T(1024, 256, 0),
            "B": T(1024, 64, 0),  # per PE: reads 256; fills: new 4-word tile only when n1 moves: 4 x 4 = 16
            # per PE: updates 256 (MACs), partition 256 (all of Z: each PE holds one k) -> reads 0;
            # F = 64 steps x 4 = 256, fills 256 - 256 = 0; -> x4
            "Z": T(0, 0, 1024),
        },
    },
    macs=1024,
    cycles=256,
    # 4 PEs x 256 writes = 1024 sent up - 256 GLB updates = 768 spatial reductions (notes);
    # link transfers: a PE's A delta (m, k) never equals a neighbour's previous (m-1, k+-1); B: the
    # neighbour's previous delta was empty or another k -> 0
    networks={G: {"Z": (0, 768), "A": (0, 0), "B": (0, 0)}},
)

# ---------------------------------------------------------------------------------------------------------
# conv7d_bypass: K8 C4 P6 Q6 R3 S3 N1 (stride 1); 8 PEs = X:K4 x Y:P2; the GLB bypasses Weights (DRAM serves
# the RFs directly), the RF bypasses Outputs (every MAC result goes to the GLB).
# Nest: DRAM Q6 | GLB K2 C4 Y:P2 X:K4 | RF R3 S3 P3.  k = 4*k_t + k_s, p = 3*p_s + p_r.
#   MACs = 8 x 4 x 6 x 6 x 9 = 10368; compute cycles = 6 x 2 x 4 x 3 x 3 x 3 = 1296 (8 PEs).
#   RF steps (q, k_t, c) = 48; c moves at every step (and wraps with k_t / q), so every RF tile changes
#   at every step with no overlap: Weights (k, c, 3x3) = 9 words; Inputs (c, w 3p_s..3p_s+4, h q..q+2) =
#   5 x 3 = 15 words.
#   GLB steps q = 0..5: Inputs tile (c 0..3, w 0..7, h q..q+2) = 96, sliding down one row: +32 per step;
#   Outputs tile (k 0..7, q, p 0..5) = 48.
# Blocks: DRAM and GLB width 64 / datawidth 16 = 4; RF 1.
# ERT: DRAM 512/512/512, GLB read 20 fill 22 update 24, RF read 1.0 fill 1.5 update 2.0, MAC 2.0.
# ---------------------------------------------------------------------------------------------------------
_BYPASS_LEVELS = {
    D: {
        # reads: RF fills 432 per PE; the 2 PEs with the same k_s (P2 on Y) need identical weights -> per
        # step 4 groups x 9 = 36, x 48 steps = 1728 = 6 x 288 (notes)
        "Weights": T(1728, 0, 0),
        "Inputs": T(256, 0, 0),  # = GLB fills 256
        "Outputs": T(0, 0, 288),  # GLB deltas sent up: 6 x 48 = 288; partition 288 -> reads 0
    },
    G: {
        # reads: the 4 PEs with the same p_s need identical 15-word tiles -> per step 2 groups x 15 = 30,
        # x 48 steps = 1440; fills: 96 + 5 x 32 = 256 (the whole C4 x 8 x 8 input)
        "Inputs": T(1440, 256, 0),
        # updates: every MAC's partial sum, no two PEs share an output (K and P spatial) -> 10368 (notes);
        # partition = 288 (union of the six 48-word tiles) -> reads 10368 - 288 = 10080 (notes);
        # F = 6 x 48 = 288 -> fills 288 - 288 = 0
        "Outputs": T(10080, 0, 10368),
    },
    RF: {
        "Weights": T(10368, 3456, 0),  # per PE: reads 1296 (1 per MAC), fills 48 x 9 = 432 -> x8
        "Inputs": T(10368, 5760, 0),  # per PE: reads 1296, fills 48 x 15 = 720 -> x8
    },
}
CASES["conv7d_bypass"] = Expect(
    levels=_BYPASS_LEVELS,
    bypassed={G: {"Weights"}, RF: {"Outputs"}},
    macs=10368,
    cycles=1296,  # no bandwidth limits: compute cycles
    networks={G: {"Outputs": (0, 0), "Inputs": (0, 0)}, D: {"Weights": (0, 0)}},
    # DRAM (block 4): W reads 1728/4 = 432 x 512 = 221184; I reads 256/4 = 64 x 512 = 32768;
    #   O updates 288/4 = 72 x 512 = 36864 -> 290816
    # GLB (block 4): I reads 1440/4 = 360 x 20 = 7200; I fills 256/4 = 64 x 22 = 1408;
    #   O reads 10080/4 = 2520 x 20 = 50400; O updates 10368/4 = 2592 x 24 = 62208 -> 121216
    # RF (block 1), per PE: W reads 1296 x 1 + W fills 432 x 1.5 + I reads 1296 x 1 + I fills 720 x 1.5
    #   = 1296 + 648 + 1296 + 1080 = 4320, x 8 PEs = 34560
    # MACs: 10368 x 2.0 = 20736.  Total = 290816 + 121216 + 34560 + 20736 = 467328
    energy_pj=467328.0,
    level_energy={(D, "Weights", "read"): 221184.0, (G, "Outputs", "update"): 62208.0},
)

# bw_conv7d_bypass: the same case with GLB read_bandwidth 7, write_bandwidth 7 and DRAM 2 / 2 words/cycle.
#   GLB (1 instance): reads 1440 + 10080 = 11520 -> required 11520 / 1296 = 8.889 > 7;
#                     writes (fills + updates) 256 + 10368 = 10624 -> 10624 / 1296 = 8.198 > 7;
#     slowdown = min(7 / 8.889, 7 / 8.198) = 7 x 1296 / 11520 = 0.7875;
#     GLB cycles = ceil(1296 / 0.7875) = ceil(1645.71) = 1646.
#   DRAM: reads 1728 + 256 = 1984 -> 1984 / 1296 = 1.53 < 2, writes 288 / 1296 < 2 -> no slowdown (1296).
#   RF: no limits.  cycles = max(1296, 1646, 1296) = 1646; utilization = 10368 / (1646 x 8) = 1296 / 1646.
#   Counts and energy are unchanged.
CASES["bw_conv7d_bypass"] = Expect(
    levels=_BYPASS_LEVELS,
    bypassed={G: {"Weights"}, RF: {"Outputs"}},
    macs=10368,
    cycles=1646,
    energy_pj=467328.0,
    utilization=1296 / 1646,
    level_cycles={G: 1646, D: 1296},
)

# bw_conv7d_bypass_shared: the notes' bw_conv7d_bypass figures, "GLB needs (11520 reads + 10624 writes) / 4
# = 5536 cycles, DRAM needs 1984", imply one limit of 4 words/cycle on the GLB's reads + writes together and
# a read limit of 1 word/cycle on the DRAM. Written here as GLB shared_bandwidth: 4, DRAM read_bandwidth: 1.
#   GLB: required (11520 + 10624) / 1296 = 17.086 > 4 -> slowdown 4 x 1296 / 22144;
#        cycles = ceil(1296 / slowdown) = 22144 / 4 = 5536 (the notes' figure).
#   DRAM: reads 1984 / 1296 = 1.53 > 1 -> slowdown 1296 / 1984; cycles = 1984 (the notes' figure).
#   cycles = max(1296, 5536, 1984) = 5536.
CASES["bw_conv7d_bypass_shared"] = Expect(
    levels=_BYPASS_LEVELS,
    bypassed={G: {"Weights"}, RF: {"Outputs"}},
    macs=10368,
    cycles=5536,
    energy_pj=467328.0,
    utilization=1296 / 5536,
    level_cycles={G: 5536, D: 1984},
)

# ---------------------------------------------------------------------------------------------------------
# ws_irrelevant (weight stationarity over an irrelevant outer loop):
#   Outputs[m,n] += Inputs[m,k] * Weights[k,n], M = N = K = 4.
# Nest: DRAM M4 | GLB N2 | RF N2 K4.  n = 2*n1 + n0.  MACs 64, compute cycles 64.
#   GLB steps m = 0..3: Weights tile (all k, all n) = 16 never changes (M is irrelevant to Weights).
#   RF steps (m, n1) = 8: Weights tile (k 0..3, n 2n1..2n1+1) = 8 words changes at every step (n1 moves,
#   or n1 wraps while m moves: only the N rank differs, no overlap) -> refilled each time.
#   Inputs tile (m, k 0..3) = 4 at both levels; Outputs RF (m, 2 n) = 2, GLB (m, n 0..3) = 4.
# ---------------------------------------------------------------------------------------------------------
CASES["ws_irrelevant"] = Expect(
    levels={
        D: {
            "Inputs": T(16, 0, 0),  # = GLB fills
            "Weights": T(16, 0, 0),  # = GLB fills: fetched once
            "Outputs": T(0, 0, 16),  # GLB deltas 4 x 4 = 16 sent up; partition 16 -> reads 0
        },
        G: {
            "Inputs": T(16, 16, 0),  # reads = RF fills 16; fills: a new 4-word tile per m = 16
            "Weights": T(64, 16, 0),  # reads = RF fills 64; fills: 16 once, stationary over the DRAM M loop
            "Outputs": T(0, 0, 16),  # updates = RF deltas 8 x 2 = 16; partition 16: reads 0; F 16: fills 0
        },
        RF: {
            "Inputs": T(64, 16, 0),  # reads 64 (per MAC); fills: unchanged while n1 moves, new per m: 4 x 4
            "Weights": T(64, 64, 0),  # reads 64; fills 8 steps x 8 words = 64
            "Outputs": T(48, 0, 64),  # updates 64, partition 16 -> reads 48; F 8 x 2 = 16 -> fills 0
        },
    },
    macs=64,
    cycles=64,
)

# ---------------------------------------------------------------------------------------------------------
# psum_refill (output partial sums coming back down): Z[m,n] += A[m,k] * B[k,n], M = N = K = 4, with the
# reduction loop K at the DRAM outside M, so every output tile is visited twice.
# Nest: DRAM K2 M2 | GLB N2 | RF M2 N2 K2.  MACs 64, compute cycles 64.
#   GLB steps (k1, m1): (0,0) (0,1) (1,0) (1,1).  GLB Z tile (2 m, 4 n) = 8: changes every step -> F = 32;
#   partition 16.
#   RF steps (k1, m1, n1) = 8; RF Z tile (2 m, 2 n) = 4 changes every step -> F = 32; partition 16.
#   A tile (2 m, 2 k) = 4 at both levels: changes with (k1, m1) only.
#   B: RF tile (2 k, 2 n) = 4 changes at every step (n1 toggles) -> F = 32; GLB tile (2 k, 4 n) = 8
#   changes only with k1: 8 + 0 + 8 + 0 = 16.
# ---------------------------------------------------------------------------------------------------------
CASES["psum_refill"] = Expect(
    levels={
        D: {
            "A": T(16, 0, 0),
            "B": T(16, 0, 0),
            # updates = GLB deltas sent up 32; partition 16 -> reads 32 - 16 = 16 (the partial sums sent
            # back down = GLB fills); outermost: fills 0
            "Z": T(16, 0, 32),
        },
        G: {
            "A": T(16, 16, 0),  # reads = RF fills 16; fills 4 x 4 = 16
            "B": T(32, 16, 0),  # reads = RF fills 32; fills 16
            # updates = RF F 32; reads 32 - 16 = 16; fills = F 32 - partition 16 = 16
            "Z": T(16, 16, 32),
        },
        RF: {
            "A": T(64, 16, 0),  # reads 64 (per MAC); fills: 4 words per (k1, m1) = 16
            "B": T(64, 32, 0),  # reads 64; fills 8 x 4 = 32
            # updates 64; reads 64 - 16 = 48; fills = F 32 - partition 16 = 16
            "Z": T(48, 16, 64),
        },
    },
    macs=64,
    cycles=64,
)

# ---------------------------------------------------------------------------------------------------------
# direction_change (the sliding state resets when the window moves back): conv1d P = 8, R = 4.
# Nest: DRAM - | GLB R2 P2 | RF R2 P4.  p = 4*p1 + p0, r = 2*r1 + r0, w = p + r.  MACs 32, cycles 32.
#   RF Inputs tile = w in [b, b+4] (P4 + R2 - 1 = 5 words), b = 4*p1 + 2*r1.
#   Steps (r1, p1): (0,0) b=0: [0,4] -> 5 (first);
#                   (0,1) b=4: [4,8], overlaps at 4, moving + -> 4 new words; state (W, +);
#                   (1,0) b=2: [2,6], overlaps, moving - (direction change) -> whole tile 5; state reset;
#                   (1,1) b=6: [6,10], overlaps at 6, moving + (state was reset) -> 4.
#   F = 5 + 4 + 5 + 4 = 18 (it would be 15 if the backward move were credited with the 2-word overlap).
#   Weights tile [2r1, 2r1+1] = 2: 2 + 0 + 2 + 0 = 4.  Outputs tile [4p1, 4p1+3]: new at every step -> 16.
# ---------------------------------------------------------------------------------------------------------
CASES["direction_change"] = Expect(
    levels={
        D: {"Weights": T(4, 0, 0), "Inputs": T(11, 0, 0), "Outputs": T(0, 0, 8)},
        G: {
            "Weights": T(4, 4, 0),  # reads = RF fills 4; fills = whole R4
            "Inputs": T(18, 11, 0),  # reads = RF fills 18; fills = whole w in [0, 10] = 11
            "Outputs": T(8, 0, 16),  # updates = RF F 16; partition 8 -> reads 8; F 8 -> fills 0
        },
        RF: {
            "Weights": T(32, 4, 0),
            "Inputs": T(32, 18, 0),
            "Outputs": T(24, 8, 32),  # updates 32, partition 8 -> reads 24; F 4 x 4 = 16 -> fills 16 - 8 = 8
        },
    },
    macs=32,
    cycles=32,
)

# ---------------------------------------------------------------------------------------------------------
# mesh2d_multicast_reduction: 1x1 conv K4 C4 P4 on a 4x4 PE mesh (meshX 4): K on X, C on Y.
# Nest: DRAM - | GLB P4 Y:C4 X:K4 | RF -.  MACs 64, compute cycles 4.
#   PE (c, k), steps p = 0..3: Weights (k, c) = 1 word, fixed; Inputs (c, p) = 1 word, new at every step;
#   Outputs (k, p) = 1 word, new at every step.
#   Inputs: the 4 PEs of a row (same c, any k) need the same word -> multicast over X.
#   Outputs: the 4 PEs of a column (same k, any c) write the same word -> reduced over Y.
# ---------------------------------------------------------------------------------------------------------
CASES["mesh2d_multicast_reduction"] = Expect(
    levels={
        D: {"Weights": T(16, 0, 0), "Inputs": T(16, 0, 0), "Outputs": T(0, 0, 16)},
        G: {
            "Weights": T(16, 16, 0),  # reads: 16 distinct 1-word tiles, once; fills: whole K4 C4 = 16
            "Inputs": T(16, 16, 0),  # reads: 4 steps x 4 groups (c) x 1 = 16; fills: whole C4 P4 = 16
            # updates: 4 steps x 4 groups (k) x 1 = 16; partition 16 -> reads 0; F 16 -> fills 0
            "Outputs": T(0, 0, 16),
        },
        RF: {
            "Weights": T(64, 16, 0),  # per PE: reads 4 (per MAC), fills 1 -> x16
            "Inputs": T(64, 64, 0),  # per PE: reads 4, fills 4 -> x16
            "Outputs": T(0, 0, 64),  # per PE: updates 4, partition 4 -> reads 0; F 4 -> fills 0 -> x16
        },
    },
    macs=64,
    cycles=4,
    # Outputs: 16 PEs x 4 writes = 64 sent up - 16 updates = 48 reduced.  Inputs: PE (c, k)'s delta (c, p)
    # never equals a neighbour's previous delta (c, p-1) or (c+-1, p-1) -> 0 link transfers.
    networks={G: {"Outputs": (0, 48), "Inputs": (0, 0), "Weights": (0, 0)}},
)

# ---------------------------------------------------------------------------------------------------------
# conv1d_dilation: P = 6, R = 3, Wstride 2, Wdilation 2: w = 2p + 2r, only even points are used.
# Nest: DRAM P3 | GLB P2 | RF R3.  p = 2*p1 + p0.  MACs 18, compute cycles 18.
#   RF Inputs tile: bounding box of {2p, 2p+2, 2p+4} = [2p, 2p+4], 5 words (3 used, the holes are moved too).
#     Steps p = 0..5 (consecutive, the GLB loop has 2 iterations): 5, then the box moves by 2 and overlaps
#     by 3 -> 2 new words each: 5 + 5 x 2 = 15.
#   GLB Inputs tile: box of 2p + 2r for p in {2j, 2j+1}: [4j, 4j+6] = 7 words (4 used); steps j = 0..2:
#     7, then +4, +4 -> 15 (the whole box [0, 14]; only the 8 even points are used).
# ---------------------------------------------------------------------------------------------------------
CASES["conv1d_dilation"] = Expect(
    levels={
        D: {"Weights": T(3, 0, 0), "Inputs": T(15, 0, 0), "Outputs": T(0, 0, 6)},
        G: {
            "Weights": T(3, 3, 0),
            "Inputs": T(15, 15, 0),  # reads = RF fills 15; fills 7 + 4 + 4 = 15
            "Outputs": T(0, 0, 6),  # updates = RF F 6; partition 6 -> reads 0; F 2 x 3 = 6 -> fills 0
        },
        RF: {
            "Weights": T(18, 3, 0),  # R3 tile never changes
            "Inputs": T(18, 15, 0),
            "Outputs": T(12, 0, 18),  # updates 18, partition 6 -> reads 12; F 6 -> fills 0
        },
    },
    macs=18,
    cycles=18,
)

# ---------------------------------------------------------------------------------------------------------
# systolic_link_transfer: conv1d P = 4, R = 5; P over 4 PEs in a row (meshX 4), R temporal above them.
# Nest: DRAM - | GLB R5 X:P4 | RF -.  PE i at step r needs Inputs w = i + r, Weights r, Outputs i.
#   MACs 20, compute cycles 5.
#   Inputs: at step r >= 1, PE i's delta {i + r} equals what its neighbour i+1 received at step r-1,
#   so PEs 0..2 take it from the neighbour (3 link transfers per step) and the GLB reads only PE 3's word;
#   that lowers the GLB's reads (4 -> 1), so the transfers are kept.  Steps 1..4: 4 x 3 = 12 transfers.
#   Each transferred word is one extra RF read (the neighbour reads it to send it).
#   Weights: all PEs need {r} at step r -> multicast, 1 read per step; a neighbour's previous weight
#   delta {r-1} is never equal -> no transfers.
# ---------------------------------------------------------------------------------------------------------
CASES["systolic_link_transfer"] = Expect(
    levels={
        D: {"Weights": T(5, 0, 0), "Inputs": T(8, 0, 0), "Outputs": T(0, 0, 4)},
        G: {
            "Weights": T(5, 5, 0),  # 1 multicast read per step; fills: whole R5
            "Inputs": T(8, 8, 0),  # reads: step 0: 4 distinct words; steps 1..4: 1 each -> 8; fills w 0..7
            "Outputs": T(0, 0, 4),  # updates: 4 distinct 1-word deltas (first step only); partition 4
        },
        RF: {
            "Weights": T(20, 20, 0),  # per PE: reads 5, fills 5 -> x4
            "Inputs": T(32, 20, 0),  # reads: 20 MAC reads + 12 link-transfer reads; fills 5 per PE -> 20
            "Outputs": T(16, 0, 20),  # per PE: updates 5, partition 1 -> reads 4; F 1 -> fills 0 -> x4
        },
    },
    macs=20,
    cycles=5,
    networks={G: {"Inputs": (12, 0), "Weights": (0, 0), "Outputs": (0, 0)}},
)


# =========================================================================================================
def case_files(name: str) -> list[str]:
    return sorted(str(p) for p in (DATA / name).glob("*.yaml"))


def run_case(name: str):
    specs = load_specs(case_files(name))
    return specs, evaluate(specs.arch, specs.workload, specs.mapping, specs.energy)


@pytest.fixture(scope="module")
def results():
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            cache[name] = run_case(name)
        return cache[name]

    return get


def test_every_case_has_its_files():
    dirs = sorted(p.name for p in DATA.iterdir() if p.is_dir())
    assert dirs == sorted(CASES)
    for name in CASES:
        have = {p.name for p in (DATA / name).glob("*.yaml")}
        required = {"arch.yaml", "problem.yaml", "map.yaml"}
        assert required <= have <= required | {"ert.yaml"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_level_counts(name, results):
    exp = CASES[name]
    specs, res = results(name)
    names = [lv.name for lv in specs.arch.levels]
    got = {}
    for level, tensors in exp.levels.items():
        counts = res.counts.levels[names.index(level)]
        for t in tensors:
            a = counts.get(t)
            got[(level, t)] = None if a is None else (a.reads, a.fills, a.updates)
    want = {(level, t): v for level, tensors in exp.levels.items() for t, v in tensors.items()}
    assert got == want


@pytest.mark.parametrize("name", sorted(c for c in CASES if CASES[c].bypassed))
def test_bypassed_tensors_have_no_counts(name, results):
    specs, res = results(name)
    names = [lv.name for lv in specs.arch.levels]
    for level, tensors in CASES[name].bypassed.items():
        assert not (set(res.counts.levels[names.index(level)]) & tensors)


@pytest.mark.parametrize("name", sorted(CASES))
def test_macs_and_cycles(name, results):
    exp = CASES[name]
    _, res = results(name)
    assert res.macs == exp.macs
    assert res.cycles == exp.cycles
    if exp.utilization is not None:
        assert res.utilization == pytest.approx(exp.utilization, rel=1e-12)
    names = [lv.name for lv in res.levels]
    assert {lv: res.levels[names.index(lv)].cycles for lv in exp.level_cycles} == exp.level_cycles


@pytest.mark.parametrize("name", sorted(c for c in CASES if CASES[c].networks))
def test_network_counts(name, results):
    specs, res = results(name)
    names = [lv.name for lv in specs.arch.levels]
    got, want = {}, {}
    for level, tensors in CASES[name].networks.items():
        net = res.counts.networks[names.index(level)]
        for t, v in tensors.items():
            n = net.get(t)
            got[(level, t)] = None if n is None else (n.link_transfers, n.spatial_reductions)
            want[(level, t)] = v
    assert got == want


ENERGY_CASES = sorted(c for c in CASES if CASES[c].energy_pj is not None or CASES[c].level_energy)


@pytest.mark.parametrize("name", ENERGY_CASES)
def test_energy(name, results):
    exp = CASES[name]
    specs, res = results(name)
    names = [lv.name for lv in specs.arch.levels]
    for (level, tensor, action), pj in exp.level_energy.items():
        assert res.levels[names.index(level)].energy_pj[tensor][action] == pytest.approx(pj, rel=1e-12)
    if exp.energy_pj is not None:
        assert res.energy_pj == pytest.approx(exp.energy_pj, rel=1e-12)


def test_cli_json(tmp_path):
    out = tmp_path / "result.json"
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "loopscape", "evaluate", *case_files("conv1d_temporal"), "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert {"cycles", "utilization", "macs", "energy_pj", "levels"} <= set(doc)
    assert doc["cycles"] == 48 and doc["macs"] == 48  # as derived for conv1d_temporal above
    assert doc["utilization"] == pytest.approx(1.0)  # one MAC, no bandwidth limit
    assert doc["energy_pj"] == pytest.approx(7962.25, rel=1e-12)
    assert [lv["name"] for lv in doc["levels"]] == [D, G, RF]
    assert [lv["instances"] for lv in doc["levels"]] == [1, 1, 1]
    for lv in doc["levels"]:
        assert {"name", "instances", "tensors"} <= set(lv)
        for counts in lv["tensors"].values():
            assert {"reads", "fills", "updates"} <= set(counts)
    exp = CASES["conv1d_temporal"].levels
    got = {lv["name"]: {t: (c["reads"], c["fills"], c["updates"]) for t, c in lv["tensors"].items()}
           for lv in doc["levels"]}  # fmt: skip
    assert got == exp
