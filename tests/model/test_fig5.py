"""The Timeloop paper's Fig. 5: a 1D convolution mapped onto an Eyeriss-like hierarchy, counted by hand.

    Output[p] += Weight[r] * Input[r + p]          (loopscape.workload.conv1d: w = p + r)

    // DRAM                    // GBuf                    // GBuf -> RFile          // RFile
    for r3 in [0:R3)           for r2 in [0:R2)           parallel_for r1 [0:R1)    for r0 in [0:R0)
     for p3 in [0:P3)           for p2 in [0:P2)           parallel_for p1 [0:P1)    for p0 in [0:P0)
    p = p3*P2*P1*P0 + p2*P1*P0 + p1*P0 + p0,   r = r3*R2*R1*R0 + r2*R1*R0 + r1*R0 + r0

Concrete choice: every factor is 2, so P = R = 16, MACs = 256, W = P + R - 1 = 31 input words, and
R1 * P1 = 4 RFile instances on a 2x2 mesh (r1 on Y, p1 on X). Multicast and spatial reduction on, link
transfers (forwarding) off. Levels: DRAM (0), GBuf (1), RFile (2).

Every count below is derived by hand (docs/semantics.md): per instance, then x the 4 RFile instances. The
same numbers are checked against the analytic model (evaluate) and the brute-force oracle (simulate).

Offsets used below: r = 8*r3 + 4*r2 + 2*r1 + r0 and p = 8*p3 + 4*p2 + 2*p1 + p0.

RFile, one instance (r1, p1). The tile is formed by the loops r0, p0 (2 x 2 = 4 operations):
    Weights  [rb, rb+1]              2 words,  rb = 8 r3 + 4 r2 + 2 r1
    Inputs   [rb+pb, rb+pb+2]        3 words,  pb = 8 p3 + 4 p2 + 2 p1   (P0 + R0 - 1 = 3)
    Outputs  [pb, pb+1]              2 words
Steps: the 16 iterations of (r3, p3, r2, p2), in that order (r3 outermost).
    step          0000 0001 0010 0011 0100 0101 0110 0111 1000 1001 1010 1011 1100 1101 1110 1111
    (r3, r2)       00   00   01   01   00   00   01   01   10   10   11   11   10   10   11   11
    8(r3+p3)+4(r2+p2)
                    0    4    4    8    8   12   12   16    8   12   12   16   16   20   20   24
    8 p3 + 4 p2     0    4    0    4    8   12    8   12    0    4    0    4    8   12    8   12
  Weights: the tile moves only when (r3, r2) changes: 8 changes (steps 0,2,4,6,8,10,12,14); moves of 4
    or 8 with a 2-word tile never overlap -> F = 8 x 2 = 16 per instance.
  Inputs: the 3-word window moves by +4, 0, +4, 0, ..., -8 (at step 1000), +4, 0, ... Timeloop keeps the
    stride of the last move: a +4 move with a null stride is a set difference (no overlap: the whole tile)
    and makes +4 the stride; the 0 move after it differs from that stride, so the whole (unchanged) tile is
    fetched again and the stride is forgotten; -8 differs too. Every one of the 16 steps brings the whole
    window -> F = 16 x 3 = 48 per instance.
  Outputs: the 2-word tile changes at every step (moves of +-4, +-8: no overlap) -> F = 16 x 2 = 32;
    partition = the 8 distinct points {0, 4, 8, 12} + 2 p1 + {0, 1}.
  MACs per instance = 256 / 4 = 64.

GBuf (one instance). Its tile is formed by r2 p2 r1 p1 r0 p0 (8 x 8 operations):
    Weights [8 r3, 8 r3 + 7] 8 words; Inputs [8(r3+p3), 8(r3+p3) + 14] 15 words; Outputs [8 p3, 8 p3 + 7] 8.
Steps: (r3, p3) = 00, 01, 10, 11.
  Weights: 8, 0 (p3 is irrelevant), 8 (new r3, no overlap), 0 -> F = 16.
  Inputs: base 0 -> 15; base 8: +8 with a null stride -> 8 new ([15, 22]), stride +8; base 8 again:
    translation 0 != +8 -> the whole window again, 15, stride null; base 16: +8 with a null stride -> 8 new
    ([23, 30]) -> F = 15 + 8 + 15 + 8 = 46.
  Outputs: 0, 8, 0, 8 -> every step a new 8-word tile -> F = 32; partition 16.

Traffic GBuf -> RFile (4 children per step; the 16 RFile steps are the child steps):
  Weights: children with the same r1 need the same tile: 2 groups x 2 words at the 8 non-empty steps
    -> GBuf reads 8 x 2 x 2 = 32 (RFile fills 4 x 16 = 64, multicast factor 2).
  Inputs: child offsets 2(r1 + p1) = 0, 2, 2, 4: (r1,p1) = (0,1) and (1,0) hold the same window and share
    one read -> 3 groups x 3 words at the 16 steps -> GBuf reads 144 (RFile fills 4 x 48 = 192).
  Outputs: children with the same p1 (r1 = 0, 1) write the same 2 words at every step -> reduced:
    2 groups x 2 words x 16 steps = 64 GBuf updates; writes sent up = 4 x 32 = 128 -> 64 spatial reductions.
Traffic DRAM -> GBuf (one child): DRAM reads = GBuf fills; Outputs: DRAM updates = GBuf F = 32.
"""

from __future__ import annotations

import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.model.evaluate import evaluate
from loopscape.model.reference import simulate
from loopscape.workload import conv1d

TENSORS = frozenset({"Weights", "Inputs", "Outputs"})


def fig5():
    workload = conv1d("fig5", P=16, R=16)
    arch = Architecture(
        name="eyeriss_fig5",
        levels=(
            StorageLevel("DRAM", "DRAM"),
            StorageLevel("GBuf", "SRAM", entries=64),  # holds 8 + 15 + 8 = 31 words
            StorageLevel("RFile", "regfile", instances=4, mesh_x=2, entries=16),  # holds 2 + 3 + 2 = 7
        ),
        compute=ComputeLevel("MAC", instances=4, mesh_x=2),
    )
    # default networks: multicast and spatial reduction on, forwarding (link transfers) off
    assert all(not lv.network.forwarding and lv.network.multicast and lv.network.spatial_reduction
               for lv in arch.levels)  # fmt: skip
    mapping = Mapping(
        loops=(
            Loop("R", 2, TEMPORAL, 0),  # r3
            Loop("P", 2, TEMPORAL, 0),  # p3
            Loop("R", 2, TEMPORAL, 1),  # r2
            Loop("P", 2, TEMPORAL, 1),  # p2
            Loop("R", 2, SPATIAL_Y, 1),  # r1 (parallel_for)
            Loop("P", 2, SPATIAL_X, 1),  # p1 (parallel_for)
            Loop("R", 2, TEMPORAL, 2),  # r0
            Loop("P", 2, TEMPORAL, 2),  # p0
        ),
        keep=(TENSORS, TENSORS, TENSORS),
    )
    return arch, workload, mapping


# (reads, fills, updates), totals over the used instances of each level, derived in the module docstring.
EXPECTED = (
    {  # DRAM (outermost: no fills)
        "Weights": (16, 0, 0),  # reads = GBuf fills 16
        "Inputs": (46, 0, 0),  # reads = GBuf fills 46
        "Outputs": (16, 0, 32),  # updates = GBuf F 32; reads = 32 - partition 16 = 16 (sent back down)
    },
    {  # GBuf
        "Weights": (32, 16, 0),  # reads: 8 steps x 2 groups x 2 words; fills F = 16
        "Inputs": (144, 46, 0),  # reads: 16 steps x 3 groups x 3 words; fills F = 15 + 8 + 15 + 8 = 46
        "Outputs": (48, 16, 64),  # updates 64 (reduced); reads 64 - partition 16; fills F 32 - 16
    },
    {  # RFile, 4 instances
        "Weights": (256, 64, 0),  # reads: 1 per MAC, 64 x 4; fills 16 x 4
        "Inputs": (256, 192, 0),  # reads 64 x 4; fills 48 x 4
        # updates: 1 per MAC, 64 x 4 = 256; partition 8 x 4 = 32 -> reads 256 - 32 = 224;
        # fills = F - partition = (32 - 8) x 4 = 96
        "Outputs": (224, 96, 256),
    },
)
EXPECTED_NETWORKS = (
    {"Weights": (0, 0), "Inputs": (0, 0), "Outputs": (0, 0)},  # DRAM -> GBuf: one child, nothing to reduce
    {"Weights": (0, 0), "Inputs": (0, 0), "Outputs": (0, 64)},  # GBuf -> RFile: 128 writes - 64 updates
    {"Weights": (0, 0), "Inputs": (0, 0), "Outputs": (0, 0)},  # RFile -> MAC: one MAC per RFile
)


def _levels(counts):
    return tuple({t: (a.reads, a.fills, a.updates) for t, a in lv.items()} for lv in counts.levels)


def _networks(counts):
    return tuple({t: (n.link_transfers, n.spatial_reductions) for t, n in net.items()}
                 for net in counts.networks)  # fmt: skip


@pytest.mark.parametrize("engine", ["evaluate", "simulate"])
def test_fig5_counts(engine):
    arch, workload, mapping = fig5()
    counts = (
        evaluate(arch, workload, mapping).counts
        if engine == "evaluate"
        else simulate(arch, workload, mapping)
    )
    assert counts.macs == 256  # P x R = 16 x 16
    assert counts.temporal_steps == 64  # r3 p3 r2 p2 r0 p0 = 2^6: compute cycles
    assert counts.compute_instances_used == 4  # R1 x P1
    assert tuple(counts.instances_used) == (1, 1, 4)
    assert _levels(counts) == EXPECTED
    assert _networks(counts) == EXPECTED_NETWORKS


def test_fig5_cycles_and_tiles():
    arch, workload, mapping = fig5()
    res = evaluate(arch, workload, mapping)
    assert res.macs == 256
    assert res.compute_cycles == 64
    assert res.cycles == 64  # no bandwidth limits
    assert res.utilization == pytest.approx(1.0)  # 256 MACs / (64 cycles x 4 MACs)
    # tile words per instance: GBuf 8 / 15 / 8, RFile 2 / 3 / 2 (see the docstring)
    assert res.levels[1].tile_words == {"Weights": 8, "Inputs": 15, "Outputs": 8}
    assert res.levels[2].tile_words == {"Weights": 2, "Inputs": 3, "Outputs": 2}
