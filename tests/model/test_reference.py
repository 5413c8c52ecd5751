"""Hand-checked cases for the brute-force reference simulator (the oracle of the analytic model).

Every expected number below is derived by hand in the comments, from docs/semantics.md (and, where marked,
from the Timeloop v3.0.3 observations in the shared notes), not by running the simulator.

Notation: a tile is written as a half-open interval per rank, e.g. W[4,8) = input words 4..7.
For conv1d (workload.layers.conv1d): Weights[r], Inputs[W = p*stride + r*dilation], Outputs[p].

Modes: the hand derivations of sections (a)-(h) and padding count every step, so they call
`simulate(..., exact=True)`. Section (x) derives the default mode, Timeloop's temporal extrapolation
(docs/semantics.md): each temporal loop of bound b >= 2 above a cut runs only iterations 0 (weight 1) and 1
(weight b - 1); "the previous step" is the previous executed step; tiles and partitions are those of the
real run.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.model.counts import NetworkAccess, TensorAccess
from loopscape.model.reference import hops, next_delta, simulate
from loopscape.workload import conv1d, conv2d, matmul

ALL_CONV = frozenset({"Weights", "Inputs", "Outputs"})
ALL_MM = frozenset({"A", "B", "Z"})


# --- helpers (local to this file) -----------------------------------------------------------------------------
DEFAULT_NETWORK = Network()


def arch3(
    n: int = 1,
    mesh_x: int | None = None,
    glb_net: Network = DEFAULT_NETWORK,
    dram_net: Network = DEFAULT_NETWORK,
    glb_n: int = 1,
    glb_mesh_x: int | None = None,
) -> Architecture:
    """DRAM (0) -> GlobalBuffer (1) -> RegFile x n (2) -> MAC x n."""
    return Architecture(
        "dram-glb-rf",
        (
            StorageLevel("DRAM", "DRAM", network=dram_net),
            StorageLevel("GlobalBuffer", "SRAM", instances=glb_n, mesh_x=glb_mesh_x, network=glb_net),
            StorageLevel("RegFile", "regfile", instances=n, mesh_x=mesh_x),
        ),
        ComputeLevel("MAC", instances=n, mesh_x=mesh_x),
    )


def arch2() -> Architecture:
    """DRAM (0) -> RegFile (1) -> MAC."""
    return Architecture(
        "dram-rf", (StorageLevel("DRAM", "DRAM"), StorageLevel("RegFile", "regfile")), ComputeLevel("MAC")
    )


def L(dim: str, bound: int, level: int, kind: str = TEMPORAL) -> Loop:
    return Loop(dim, bound, kind, level)


def acc(reads: int = 0, fills: int = 0, updates: int = 0) -> TensorAccess:
    return TensorAccess(reads, fills, updates)


def net(link: int = 0, red: int = 0) -> NetworkAccess:
    return NetworkAccess(link, red)


def no_hops(x):
    """A network count (or a dict / tuple of them) with word_hops zeroed: for the link / reduction checks (the
    word-hops are checked in section (n))."""
    if isinstance(x, NetworkAccess):
        return replace(x, word_hops=0.0)
    if isinstance(x, dict):
        return {k: no_hops(v) for k, v in x.items()}
    return tuple(no_hops(v) for v in x)


# --- (a) Timeloop Fig. 5-like conv1d, temporal only -----------------------------------------------------------
def fig5_mapping(keep_glb=ALL_CONV, keep_rf=ALL_CONV, cuts=()) -> Mapping:
    # pos0: P4 @DRAM (coordinate stride 4), pos1: P4 @RF (stride 1), pos2: R3 @RF.
    # Cuts: DRAM 0, GLB = first loop of level >= 1 = 1, RF = 1. GLB and RF both have tile P4 x R3, 4 steps (p0).
    return Mapping(
        (L("P", 4, 0), L("P", 4, 2), L("R", 3, 2)),
        (ALL_CONV, keep_glb, keep_rf),
        cuts,
    )


def test_a_conv1d_temporal_fig5():
    c = simulate(arch3(4, mesh_x=4), conv1d(P=16, R=3), fig5_mapping(), exact=True)
    assert (c.macs, c.compute_instances_used, c.temporal_steps) == (48, 1, 48)
    assert c.instances_used == (1, 1, 1)
    dram, glb, rf = c.levels
    # RF, 1 instance, steps p0 = 0..3.
    #  Weights tile R[0,3) at every step: F = 3 + 0 + 0 + 0 = 3 -> fills 3. Reads: one per MAC = 48.
    #  Inputs tile W[4p0, 4p0+6): 6, then shift +4 with overlap (4 < 6) -> slab 4: 6+4+4+4 = 18 (notes: 18).
    #  Outputs tile P[4p0, 4p0+4): shift 4 = extent -> no overlap -> full: F = 16, partition 16 -> fills 0.
    #  updates = 48 MAC writes; reads = 48 - 16 = 32.
    assert rf == {"Weights": acc(48, 3), "Inputs": acc(48, 18), "Outputs": acc(32, 0, 48)}
    # GLB, same tiles and steps: fills as the RF; reads = the RF's deltas (one child, no multicast effect).
    #  Outputs: updates = RF writes = RF deltas = 16; partition 16 -> reads 0; fills F - partition = 0.
    assert glb == {"Weights": acc(3, 3), "Inputs": acc(18, 18), "Outputs": acc(0, 0, 16)}
    # DRAM: one step, whole tensors; reads = GLB deltas (3, 18); Outputs updates 16, partition 16 -> reads 0.
    assert dram == {"Weights": acc(3, 0), "Inputs": acc(18, 0), "Outputs": acc(0, 0, 16)}
    zero = {"Weights": net(), "Inputs": net(), "Outputs": net()}
    assert no_hops(c.networks) == (zero, zero, zero)


def test_a_uneven_cut_weights_below_rf_loops():
    # Same as (a) but the RF's Weights cut moved to position 3 (past R3): the RF holds one weight, and its steps
    # are (p0, p1, r) = 48 steps. Each step r changes by +1 with extent 1 -> no overlap -> full 1 word, and
    # at r wrap-around (2 -> 0) it is a move of -2, no overlap -> full 1 word. F = 48.
    # GLB Weights reads = RF deltas = 48. RF Weights reads = 48 MAC reads.
    c = simulate(arch3(4, mesh_x=4), conv1d(P=16, R=3), fig5_mapping(cuts=((2, "Weights", 3),)), exact=True)
    assert c.levels[2]["Weights"] == acc(48, 48)
    assert c.levels[1]["Weights"] == acc(48, 3)
    assert c.levels[2]["Inputs"] == acc(48, 18)  # unchanged


# --- (b) weight multicast to PEs --------------------------------------------------------------------------------
def multicast_mapping() -> Mapping:
    # pos0: P4 spatial X @GLB (stride 4), pos1: P4 @RF (stride 1), pos2: R3 @RF.
    # Cuts: GLB 0 (whole tensors, 1 step), RF 1. RF instance i: P[4i, 4i+4), one step.
    return Mapping(
        (L("P", 4, 1, SPATIAL_X), L("P", 4, 2), L("R", 3, 2)),
        (ALL_CONV, ALL_CONV, ALL_CONV),
    )


def test_b_weight_multicast():
    c = simulate(arch3(4, mesh_x=4), conv1d(P=16, R=3), multicast_mapping(), exact=True)
    assert (c.macs, c.compute_instances_used, c.temporal_steps) == (48, 4, 12)
    assert c.instances_used == (1, 1, 4)
    dram, glb, rf = c.levels
    # RF (4 instances, 1 step): Weights R[0,3) each -> fills 12; reads 12 MACs each -> 48.
    #  Inputs W[4i, 4i+6) -> fills 24; reads 48. Outputs P[4i,4i+4): F 16, partition 16, fills 0,
    #  updates 48, reads 32.
    assert rf == {"Weights": acc(48, 12), "Inputs": acc(48, 24), "Outputs": acc(32, 0, 48)}
    # GLB: Weights demands identical {0,1,2} x4 -> multicast -> 3 reads. Inputs 4 distinct windows -> 24.
    #  Outputs: 4 distinct write sets of 4 -> updates 16 (no reduction), partition 16 -> reads 0, fills 0.
    #  Fills: whole tensors: Weights 3, Inputs W[0,18) = 18, Outputs F 16 - partition 16 = 0.
    assert glb == {"Weights": acc(3, 3), "Inputs": acc(24, 18), "Outputs": acc(0, 0, 16)}
    assert dram == {"Weights": acc(3, 0), "Inputs": acc(18, 0), "Outputs": acc(0, 0, 16)}
    assert no_hops(c.networks[1]) == {"Weights": net(), "Inputs": net(), "Outputs": net()}


def test_b_without_multicast_each_pe_is_read_separately():
    # Same, GLB network without multicast: Weights 4 x 3 = 12 reads.
    c = simulate(
        arch3(4, mesh_x=4, glb_net=Network(multicast=False)),
        conv1d(P=16, R=3),
        multicast_mapping(),
        exact=True,
    )
    assert c.levels[1]["Weights"] == acc(12, 3)
    assert c.levels[1]["Inputs"] == acc(24, 18)


def test_b_notes_p_over_16_pes_48_input_reads():
    # Notes: conv1d P spread over 16 PEs, R=3 temporal in the PE: 48 GLB Input reads (18 distinct words).
    # pos0: P16 spatial X @GLB, pos1: R3 @RF. RF i: Inputs W[i, i+3), 1 step -> 3 words, 16 distinct sets -> 48.
    # Weights: 16 identical R[0,3) demands -> 3 reads. No forwarding -> 0 link transfers.
    m = Mapping((L("P", 16, 1, SPATIAL_X), L("R", 3, 2)), (ALL_CONV, ALL_CONV, ALL_CONV))
    c = simulate(arch3(16, mesh_x=16), conv1d(P=16, R=3), m, exact=True)
    assert c.levels[1]["Inputs"].reads == 48
    assert c.levels[1]["Weights"].reads == 3
    assert no_hops(c.networks[1]["Inputs"]) == net(0, 0)
    assert c.levels[2]["Inputs"] == acc(48, 48)  # 16 x 3 MAC reads; 16 x 3 fills


# --- (c) sliding window with stride 2; holes under stride > kernel ----------------------------------------------
def test_c_stride2_sliding_window():
    # conv1d P=4, R=3, stride 2: W = 2p + r, W size = 2*3 + 2 + 1 = 9.
    # pos0: P4 @DRAM (stride 1), pos1: R3 @RF. RF cut 1, steps p = 0..3, Inputs tile W[2p, 2p+3).
    # Deltas: 3; [2,5) vs [0,3): overlap, +2 -> 2; then 2, 2. F = 9. DRAM Inputs reads = 9. RF reads = 12 MACs.
    # Weights R[0,3) constant: fills 3, reads 12. Outputs P[p, p+1): F = 4, partition 4, fills 0;
    # updates 12, reads 8. DRAM Outputs: updates 4 (RF deltas), partition 4 -> reads 0.
    c = simulate(
        arch2(),
        conv1d(P=4, R=3, stride=2),
        Mapping((L("P", 4, 0), L("R", 3, 1)), (ALL_CONV, ALL_CONV)),
        exact=True,
    )
    dram, rf = c.levels
    assert rf == {"Weights": acc(12, 3), "Inputs": acc(12, 9), "Outputs": acc(8, 0, 12)}
    assert dram == {"Weights": acc(3, 0), "Inputs": acc(9, 0), "Outputs": acc(0, 0, 4)}


def test_c_stride_larger_than_kernel_no_overlap():
    # conv1d P=4, R=2, stride 3: RF window W[3p, 3p+2); shift 3 >= extent 2 -> no overlap -> 2 per step = 8.
    c = simulate(
        arch2(),
        conv1d(P=4, R=2, stride=3),
        Mapping((L("P", 4, 0), L("R", 2, 1)), (ALL_CONV, ALL_CONV)),
        exact=True,
    )
    assert c.levels[1]["Inputs"] == acc(8, 8)
    assert c.levels[0]["Inputs"] == acc(8, 0)


def test_c_holes_pointwise_stride2_notes():
    # Notes: 1x1 conv, stride 2, P = Q = 4, C = 2: the GLB fills 2 x 7 x 7 = 98 input words (box with holes) and
    # reads 98 from DRAM; it reads only the 32 needed words to the register file.
    # pos0: C2, pos1: P4, pos2: Q4, all @GLB temporal. GLB cut 0 (1 step, whole box N1 C2 H[0,7) W[0,7) = 98).
    # RF cut = 3 (no RF loops): tile = one op, Inputs (0, c, 2p, 2q) single point; every step differs from the
    # previous one (no overlap possible with extent 1) -> 1 word per step, 32 steps -> RF fills 32, GLB reads 32.
    w = conv2d(K=1, C=2, P=4, Q=4, R=1, S=1, stride=2)
    m = Mapping((L("C", 2, 1), L("P", 4, 1), L("Q", 4, 1)), (ALL_CONV, ALL_CONV, ALL_CONV))
    c = simulate(arch3(), w, m, exact=True)
    assert c.levels[1]["Inputs"] == acc(32, 98)
    assert c.levels[0]["Inputs"] == acc(98, 0)
    assert c.levels[2]["Inputs"] == acc(32, 32)


# --- (d) spatial reduction of outputs, R spatial ---------------------------------------------------------------
def r_spatial_mapping() -> Mapping:
    # pos0: P4 spatial X @GLB (stride 4), pos1: R3 spatial Y @GLB, pos2: P4 @RF (stride 1).
    # GLB cut 0; RF cut 2: 12 instances (px, r), 1 step; Outputs P[4px, 4px+4), Weights R[r, r+1),
    # Inputs W[4px + r, 4px + r + 4).
    return Mapping(
        (L("P", 4, 1, SPATIAL_X), L("R", 3, 1, SPATIAL_Y), L("P", 4, 2)),
        (ALL_CONV, ALL_CONV, ALL_CONV),
    )


def test_d_spatial_reduction_r_spatial_notes():
    # Notes: conv1d, R spatial x3 over 12 RFs: the RFs send 48 writes (4 each); GLB Outputs updates 16;
    # spatial reductions 32.
    c = simulate(arch3(12, mesh_x=4), conv1d(P=16, R=3), r_spatial_mapping(), exact=True)
    assert (c.compute_instances_used, c.temporal_steps) == (12, 4)
    assert c.instances_used == (1, 1, 12)
    dram, glb, rf = c.levels
    # RF: Outputs F = 4 each (48), partition 48 -> fills 0; updates = 4 MAC writes each = 48, reads 0.
    #  Weights: 1 word each -> fills 12; reads 48. Inputs 4 words each -> fills 48; reads 48.
    assert rf == {"Weights": acc(48, 12), "Inputs": acc(48, 48), "Outputs": acc(0, 0, 48)}
    # GLB: Outputs: 48 writes sent; identical sets grouped by px -> 4 x 4 = 16 updates; partition 16 -> reads 0;
    #  fills = F 16 - 16 = 0. Weights: identical by r -> 3 groups of 1 -> 3 reads. Inputs: windows start at
    #  4px + r, all 12 distinct -> 48 reads. Fills: whole tensors 3 / 18.
    assert glb == {"Weights": acc(3, 3), "Inputs": acc(48, 18), "Outputs": acc(0, 0, 16)}
    assert no_hops(c.networks[1]["Outputs"]) == net(0, 32)
    assert no_hops(c.networks[1]["Weights"]) == net(0, 0)
    assert dram == {"Weights": acc(3, 0), "Inputs": acc(18, 0), "Outputs": acc(0, 0, 16)}


def test_d_without_spatial_reduction_every_write_is_an_update():
    # Same, GLB network without reduction: updates 48, reads 48 - 16 = 32, spatial reductions 0.
    c = simulate(
        arch3(12, mesh_x=4, glb_net=Network(spatial_reduction=False)),
        conv1d(P=16, R=3),
        r_spatial_mapping(),
        exact=True,
    )
    assert c.levels[1]["Outputs"] == acc(32, 0, 48)
    assert no_hops(c.networks[1]["Outputs"]) == net(0, 0)


# --- (e) bypass at the middle level -----------------------------------------------------------------------------
def test_e_bypass_weights_at_glb():
    # conv1d P=8, R=3. pos0: P2 @DRAM (stride 4), pos1: R3 @GLB, pos2: P4 @RF (stride 1).
    # GLB bypasses Weights; cuts GLB 1, RF 2. RF steps (p0, r): 6.
    c = simulate(
        arch3(),
        conv1d(P=8, R=3),
        Mapping(
            (L("P", 2, 0), L("R", 3, 1), L("P", 4, 2)), (ALL_CONV, frozenset({"Inputs", "Outputs"}), ALL_CONV)
        ),
        exact=True,
    )
    dram, glb, rf = c.levels
    # Weights: chain DRAM -> RF. RF tile R[r, r+1) changes every step (no overlap) -> F = 6 -> fills 6;
    #  DRAM Weights reads = 6 (had the GLB kept them, its tile R[0,3) would be filled 3 times... once: 3).
    #  RF Weights reads = 24 MACs. The GLB has no Weights entry, nor does its network.
    assert "Weights" not in glb and "Weights" not in c.networks[1]
    assert rf["Weights"] == acc(24, 6)
    assert dram["Weights"] == acc(6, 0)
    assert no_hops(c.networks[0]["Weights"]) == net()
    # Inputs: GLB tile W[4p0, 4p0+6): 6 then +4 slab -> F = 10; DRAM reads 10.
    #  RF tile W[4p0 + r, +4): (0,0) 4 (stride null); (0,1) +1, null -> slab 1, stride +1; (0,2) +1 -> 1;
    #  (1,0) [4,8) vs [2,6): +2 != +1 -> whole tile 4, null; (1,1) +1 -> 1; (1,2) 1 -> F = 12. GLB reads 12.
    assert rf["Inputs"] == acc(24, 12)
    assert glb["Inputs"] == acc(12, 10)
    assert dram["Inputs"] == acc(10, 0)
    # Outputs: RF tile P[4p0, +4): 4, 0, 0, 4, 0, 0 -> F 8, partition 8, fills 0; updates 24, reads 16.
    #  GLB: updates 8 (RF deltas), tile P[4p0,+4) 2 steps -> F 8, partition 8 -> reads 0, fills 0. DRAM: 8 / 0.
    assert rf["Outputs"] == acc(16, 0, 24)
    assert glb["Outputs"] == acc(0, 0, 8)
    assert dram["Outputs"] == acc(0, 0, 8)


def test_e_rf_bypasses_outputs_every_mac_update_reaches_glb():
    # Fig. 5 mapping with the RF bypassing Outputs: the GLB serves the MAC directly: 48 updates,
    # GLB tile P[4p0,+4): F 16, partition 16 -> reads 48 - 16 = 32, fills 0.
    c = simulate(
        arch3(4, mesh_x=4),
        conv1d(P=16, R=3),
        fig5_mapping(keep_rf=frozenset({"Weights", "Inputs"})),
        exact=True,
    )
    assert c.levels[1]["Outputs"] == acc(32, 0, 48)
    assert "Outputs" not in c.levels[2] and "Outputs" not in c.networks[2]
    assert c.levels[0]["Outputs"] == acc(0, 0, 16)


# --- (f) direction change resets the sliding state --------------------------------------------------------------
def test_f_direction_change_refetches_whole_tile():
    # conv1d P=6, R=4. pos0: R2 @DRAM (stride 2), pos1: P2 @DRAM (stride 3), pos2: P3 @RF, pos3: R2 @RF.
    # RF tile: Inputs W[2r0 + 3p0, +4) (P extent 3, R extent 2 -> 4). Steps (r0, p0):
    #  (0,0) [0,4): first -> 4, g = 0.
    #  (0,1) [3,7) vs [0,4): overlap, +  -> slab [4,7) = 3, g = (W,+).
    #  (1,0) [2,6) vs [3,7): overlap, -  != g -> whole tile 4, g = 0.   (without the reset rule: 1)
    #  (1,1) [5,9) vs [2,6): overlap, +, g = 0 -> slab [6,9) = 3.
    #  F = 14. DRAM Inputs reads 14; RF Inputs reads = 24 MACs.
    # Weights R[2r0, +2): 2, 0, 2 (no overlap), 0 -> 4. Outputs P[3p0,+3): 3, 3, 3, 3 (never overlap) -> F 12,
    #  partition 6 -> fills 6; updates 24, reads 18. DRAM Outputs: updates 12, partition 6 -> reads 6.
    c = simulate(
        arch2(),
        conv1d(P=6, R=4),
        Mapping((L("R", 2, 0), L("P", 2, 0), L("P", 3, 1), L("R", 2, 1)), (ALL_CONV, ALL_CONV)),
        exact=True,
    )
    dram, rf = c.levels
    assert rf == {"Weights": acc(24, 4), "Inputs": acc(24, 14), "Outputs": acc(18, 6, 24)}
    assert dram == {"Weights": acc(4, 0), "Inputs": acc(14, 0), "Outputs": acc(6, 0, 12)}


def test_f_delta_rule_unit():
    a, b, c = ((0, 4),), ((1, 5),), ((0, 4),)
    d, st = next_delta(None, a, None)
    assert len(d) == 4 and st is None  # first step: whole tile, stride null
    d, st = next_delta(a, b, st)
    assert d == {(4,)} and st == (1,)  # null stride: set difference, the translation becomes the stride
    d, st = next_delta(b, c, st)  # moved back: another translation -> whole tile, stride null
    assert len(d) == 4 and st is None
    d, st = next_delta(c, c, None)  # unchanged with a null stride: empty, stride (0,)
    assert d == frozenset() and st == (0,)
    d, st = next_delta(a, b, (0,))  # a slide after an unchanged step: translation (1,) != (0,) -> whole tile
    assert len(d) == 4 and st is None
    d, st = next_delta(c, c, (1,))  # unchanged after a slide: translation (0,) != (1,) -> whole tile
    assert len(d) == 4 and st is None
    d, st = next_delta(a, b, (1,))  # the same stride: the slab
    assert d == {(4,)} and st == (1,)
    # two ranks differ -> whole tile, even with a null stride (which then holds that jump)
    d, st = next_delta(((0, 2), (0, 2)), ((1, 3), (1, 3)), None)
    assert len(d) == 4 and st == (1, 1)


# --- (g) forwarding between neighbour PEs (Timeloop's exact-equality link transfers) ----------------------------
# Rule (docs/semantics.md): at a child step s > 0, child i whose delta D_i(s) is non-empty and EXACTLY equal to the
# delta D_j(s-1) a mesh neighbour j (same parent instance, |dx| + |dy| = 1) received at step s-1 (the first step's
# delta is the whole tile) gets it from j; those instances leave the multicast grouping, kept only if that strictly
# lowers this parent instance's reads at this step. Each linked word: 1 link transfer + 1 read at the child level.
def systolic_mapping() -> Mapping:
    # conv1d P=4, R=3: pos0 R3 @GLB temporal (stride 1), pos1 P4 spatial X @GLB (stride 1); no RF loops.
    # GLB cut 0 (1 step, whole tensors); RF cut 2: instance x, steps t (= r); RF tile = one op: Inputs {x + t}.
    return Mapping((L("R", 3, 1), L("P", 4, 1, SPATIAL_X)), (ALL_CONV, ALL_CONV, ALL_CONV))


def test_g_systolic_1d_each_pe_takes_its_right_neighbours_previous_delta():
    # RF x, step t: Inputs tile {x + t}; moves by 1 with extent 1 -> no overlap -> delta = {x + t} every step.
    # Step t >= 1: D_x(t) = {x + t} = D_{x+1}(t-1) = {x + 1 + t - 1}: exact -> x = 0, 1, 2 linked.
    #  x = 3: its only neighbour x = 2 received {t + 1} != {t + 3}: from the GLB.
    #  Grouped: {t}, {t+1}, {t+2}, {t+3} -> 4 reads; without the linked -> {t+3}: 1 read < 4 -> kept.
    # Link transfers 3 per step x 2 steps = 6. GLB Inputs reads: 4 + 1 + 1 = 6 (no forwarding: 12).
    # GLB Inputs fills: whole W[0,6) = 6; DRAM reads 6.
    # RF Inputs: fills 3 per RF = 12 (unchanged by forwarding); reads 12 MACs + 6 link-transfer reads = 18.
    # Weights: RF tile {t}, same for all x: multicast 1 per step -> GLB reads 3; D_x(t) = {t} vs neighbours'
    #  {t - 1}: never equal -> no link. RF Weights: fills 12, reads 12.
    # Outputs: RF tile P[x, x+1) constant: F 4, partition 4, fills 0; updates 12, reads 8. GLB: updates 4 (4
    #  distinct writes at step 0, none later), partition 4 -> reads 0; fills 4 - 4 = 0.
    c = simulate(
        arch3(4, mesh_x=4, glb_net=Network(forwarding=True)), conv1d(P=4, R=3), systolic_mapping(), exact=True
    )
    dram, glb, rf = c.levels
    assert rf == {"Weights": acc(12, 12), "Inputs": acc(18, 12), "Outputs": acc(8, 0, 12)}
    assert glb == {"Weights": acc(3, 3), "Inputs": acc(6, 6), "Outputs": acc(0, 0, 4)}
    assert dram["Inputs"] == acc(6, 0)
    assert no_hops(c.networks[1]) == {"Weights": net(), "Inputs": net(6, 0), "Outputs": net()}
    # without forwarding: 12 GLB reads, 12 RF reads, no link transfers.
    c = simulate(arch3(4, mesh_x=4), conv1d(P=4, R=3), systolic_mapping(), exact=True)
    assert c.levels[1]["Inputs"] == acc(12, 6)
    assert c.levels[2]["Inputs"] == acc(12, 12)
    assert no_hops(c.networks[1]["Inputs"]) == net()


def test_g_systolic_slabs_first_step_whole_tile_is_only_a_partial_match():
    # conv1d P=8, R=6: pos0 R3 @GLB temporal (stride 2), pos1 P4 spatial X @GLB (stride 2), pos2 P2 @RF (stride 1),
    # pos3 R2 @RF (stride 1). GLB cut 0; RF cut 2: instance x, steps t. RF Inputs tile W[2x + 2t, +3).
    # Deltas: t0 whole {2x, 2x+1, 2x+2}; t1 overlap, + -> slab {2x+3, 2x+4}; t2 slab {2x+5, 2x+6}.
    # t1: D_x = {2x+3, 2x+4} vs D_{x+1}(0) = {2x+2, 2x+3, 2x+4} (whole first tile): a strict superset -> partial,
    #  no credit; vs D_{x-1}(0) = {2x-2, .., 2x}: disjoint. No link at t1 (the old "held" rule would credit it).
    # t2: D_x = {2x+5, 2x+6} = D_{x+1}(1) = {2x+5, 2x+6}: exact for x = 0, 1, 2; x = 3 ({11, 12} vs {7, 8}) not.
    #  Grouped 4 distinct pairs = 8 reads; without the linked: 2 < 8 -> kept. Link transfers 3 x 2 = 6.
    # GLB Inputs reads: 12 + 8 + 2 = 22 (no forwarding: 28). Fills: whole W[0,13) = 13.
    # RF Inputs: fills (3 + 2 + 2) x 4 = 28; reads 48 MACs + 6 = 54.
    m = Mapping(
        (L("R", 3, 1), L("P", 4, 1, SPATIAL_X), L("P", 2, 2), L("R", 2, 2)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    c = simulate(arch3(4, mesh_x=4, glb_net=Network(forwarding=True)), conv1d(P=8, R=6), m, exact=True)
    assert no_hops(c.networks[1]["Inputs"]) == net(6, 0)
    assert c.levels[1]["Inputs"] == acc(22, 13)
    assert c.levels[2]["Inputs"] == acc(54, 28)
    c = simulate(arch3(4, mesh_x=4), conv1d(P=8, R=6), m, exact=True)
    assert c.levels[1]["Inputs"] == acc(28, 13)
    assert c.levels[2]["Inputs"] == acc(48, 28)


def test_g_partial_overlap_gets_no_credit():
    # conv1d P=8, R=3, GLB network with forwarding. pos0: P2 @GLB temporal (stride 4), pos1: P2 spatial X @GLB
    # (stride 2), pos2: P2 @RF (stride 1), pos3: R3 @RF. GLB cut 0, RF cut 2: RF x, steps p0.
    # RF Inputs W[4p0 + 2x, +4): x0: [0,4), [4,8); x1: [2,6), [6,10); step 1 never overlaps -> full 4.
    # Step 1: x0 needs {4,5,6,7}; neighbour x1 received {2,3,4,5} at step 0: overlap {4,5} only -> no credit.
    #   x1 needs {6,..,9}; x0 received {0,..,3} -> none. So no link transfer: GLB reads 8 + 8 = 16.
    # RF Inputs: fills 16; reads 24 MACs. Weights: step 0 identical R[0,3) -> 3; step 1 empty (empty deltas are
    #  never link-transferred). Outputs P[4p0 + 2x, +2): F 8, partition 8, GLB updates 8 (distinct), reads 0.
    #  RF Outputs: updates 24, reads 16, fills 0.
    m = Mapping(
        (L("P", 2, 1), L("P", 2, 1, SPATIAL_X), L("P", 2, 2), L("R", 3, 2)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    c = simulate(arch3(2, mesh_x=2, glb_net=Network(forwarding=True)), conv1d(P=8, R=3), m, exact=True)
    _dram, glb, rf = c.levels
    assert rf == {"Weights": acc(24, 6), "Inputs": acc(24, 16), "Outputs": acc(16, 0, 24)}
    assert glb == {"Weights": acc(3, 3), "Inputs": acc(16, 10), "Outputs": acc(0, 0, 8)}
    assert no_hops(c.networks[1]) == {"Weights": net(), "Inputs": net(0, 0), "Outputs": net()}


def mesh2x2_mapping(p_along_x: bool = True) -> Mapping:
    # conv1d P=4, R=4: pos0 R2 @GLB temporal (stride 2), pos1 P2 spatial (stride 2), pos2 R2 spatial (stride 1),
    # pos3 P2 @RF (stride 1). RF instance (pi, ri), step t: Inputs W[2t + 2pi + ri, +2).
    # p_along_x: P spatial X and R spatial Y (mesh (x, y) = (pi, ri)); otherwise the transpose.
    kp, kr = (SPATIAL_X, SPATIAL_Y) if p_along_x else (SPATIAL_Y, SPATIAL_X)
    return Mapping(
        (L("R", 2, 1), L("P", 2, 1, kp), L("R", 2, 1, kr), L("P", 2, 2)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("p_along_x", [True, False])
def test_g_forwarding_2x2_mesh(p_along_x, exact):
    # Every loop has bound 2: the extrapolated steps are all the steps, each of weight 1 -> same counts.
    # (pi, ri) tiles: t0: (0,0)[0,2) (1,0)[2,4) (0,1)[1,3) (1,1)[3,5) = the t0 deltas;
    # t1 = t0 + 2: no overlap -> full deltas (0,0){2,3} (1,0){4,5} (0,1){3,4} (1,1){5,6}.
    #  (0,0){2,3}: neighbour along P (1,0) received {2,3} -> exact, linked. (other neighbour (0,1) got {1,2}.)
    #  (1,0){4,5}: neighbours (0,0){0,1}, (1,1){3,4} -> no.
    #  (0,1){3,4}: neighbour along P (1,1) received {3,4} -> linked. ((0,0) got {0,1}.)
    #  (1,1){5,6}: neighbours (0,1){1,2}, (1,0){2,3} -> no.
    # Grouped: 4 distinct pairs = 8; without (0,0), (0,1): {4,5}, {5,6} = 4 < 8 -> kept. Link transfers 4.
    # GLB reads 8 + 4 = 12. RF Inputs reads 16 MACs + 4 = 20; fills 4 x 4 = 16.
    # The transposed mesh (P along Y) gives the same counts, the links then running along Y.
    c = simulate(
        arch3(4, mesh_x=2, glb_net=Network(forwarding=True)),
        conv1d(P=4, R=4),
        mesh2x2_mapping(p_along_x),
        exact=exact,
    )
    assert no_hops(c.networks[1]["Inputs"]) == net(4, 0)
    assert c.levels[1]["Inputs"].reads == 12
    assert c.levels[2]["Inputs"] == acc(20, 16)


def test_g_forwarding_ignores_diagonal_neighbours():
    # conv1d P=4, R=2: pos0 P2 @GLB temporal (stride 2), pos1 P2 spatial X (stride 1), pos2 R2 spatial Y (stride 1);
    # no RF loops: RF (x, y), step t: Inputs {2t + x + y}; moves by 2, extent 1 -> full delta every step.
    # t0: (0,0){0} (1,0){1} (0,1){1} (1,1){2}. t1: (0,0){2} (1,0){3} (0,1){3} (1,1){4}.
    #  (0,0){2}: exactly what its DIAGONAL (1,1) received at t0, but its neighbours (1,0), (0,1) got {1} -> no.
    #  (1,0){3}: neighbours got {0}, {2}; (0,1){3}: {0}, {2}; (1,1){4}: {1}, {1} -> no.
    # Link transfers 0. GLB reads (multicast of (1,0) and (0,1)): 3 + 3 = 6. RF Inputs reads 8 MACs, fills 8.
    m = Mapping(
        (L("P", 2, 1), L("P", 2, 1, SPATIAL_X), L("R", 2, 1, SPATIAL_Y)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    c = simulate(arch3(4, mesh_x=2, glb_net=Network(forwarding=True)), conv1d(P=4, R=2), m, exact=True)
    assert no_hops(c.networks[1]["Inputs"]) == net(0, 0)
    assert c.levels[1]["Inputs"].reads == 6
    assert c.levels[2]["Inputs"] == acc(8, 8)


def multicast_covers_mapping() -> Mapping:
    # conv2d K=2, C=1, P=1, Q=2, R=1, S=2: Inputs (n, c, h, w = q + s) do not depend on K.
    # pos0 S2 @GLB temporal (stride 1), pos1 Q2 spatial X (stride 1), pos2 K2 spatial X (stride 1); no RF loops.
    # Mesh x = 2q + k (pos1 most significant): x0 (q0,k0), x1 (q0,k1), x2 (q1,k0), x3 (q1,k1).
    # RF x, step t = s: Inputs {w = q + t}; moves by 1, extent 1 -> full delta every step.
    return Mapping(
        (L("S", 2, 1), L("Q", 2, 1, SPATIAL_X), L("K", 2, 1, SPATIAL_X)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )


def test_g_link_transfer_not_kept_when_multicast_already_covers_it():
    # t0 deltas (w): x0 {0}, x1 {0}, x2 {1}, x3 {1}. t1: x0 {1}, x1 {1}, x2 {2}, x3 {2}.
    #  x0 {1}: its neighbour x1 got {0} -> no.  x1 {1}: x2 got {1} -> exact, linked.
    #  x2 {2}: x1 got {0}, x3 got {1} -> no.    x3 {2}: x2 got {1} -> no.
    # With multicast: grouped {1} (x0, x1), {2} (x2, x3) = 2 reads; without x1: x0 still demands {1} -> 2 reads,
    #  not lower -> no link transfer at t1. GLB Inputs reads 2 + 2 = 4; link transfers 0; RF reads 8 MACs.
    arch = arch3(4, mesh_x=4, glb_net=Network(forwarding=True))
    c = simulate(arch, conv2d(K=2, C=1, P=1, Q=2, R=1, S=2), multicast_covers_mapping(), exact=True)
    assert no_hops(c.networks[1]["Inputs"]) == net(0, 0)
    assert c.levels[1]["Inputs"].reads == 4
    assert c.levels[2]["Inputs"] == acc(8, 8)
    # Without multicast every demand is read separately: t0 4 reads; t1 4 -> 3 once x1 is served by x2 (lower,
    # kept): 1 link transfer, GLB reads 7, RF Inputs reads 8 + 1 = 9.
    arch = arch3(4, mesh_x=4, glb_net=Network(multicast=False, forwarding=True))
    c = simulate(arch, conv2d(K=2, C=1, P=1, Q=2, R=1, S=2), multicast_covers_mapping(), exact=True)
    assert no_hops(c.networks[1]["Inputs"]) == net(1, 0)
    assert c.levels[1]["Inputs"].reads == 7
    assert c.levels[2]["Inputs"] == acc(9, 8)


def test_g_no_forwarding_across_parent_instances():
    # 2 GLBs x 2 RFs each. conv1d P=4, R=3. pos0: P2 spatial X @DRAM (stride 2), pos1: R3 @GLB temporal (stride 1),
    # pos2: P2 spatial X @GLB (stride 1); no RF loops. GLB cut 1: instance a, 1 step, W[2a, 2a+4).
    # RF cut 3: instance (a, b), mesh x = b (only pos2 lies between the cuts), steps t: Inputs {2a + b + t}, full
    # delta every step. Within GLB a, t >= 1: (a,0) needs {2a + t} = what (a,1) got at t-1 -> linked;
    #  (a,1) needs {2a + 1 + t}, (a,0) got {2a + t - 1} -> no. Grouped 2 reads, without (a,0) 1 -> kept.
    # Across GLBs: (0,1) needs {1 + t} = what (1,0) got at t-1 ({2 + t - 1}), and their b differ by 1, but they
    #  have different parents: not neighbours, no credit.
    # Link transfers: 1 per step x 2 steps x 2 GLBs = 4. GLB reads per GLB 2 + 1 + 1 = 4 -> 8.
    # RF Inputs: fills 3 each = 12; reads 3 MACs each = 12 + 4 = 16. GLB fills 4 + 4 = 8; DRAM reads 8.
    arch = arch3(4, mesh_x=4, glb_net=Network(forwarding=True), glb_n=2, glb_mesh_x=2)
    m = Mapping(
        (L("P", 2, 0, SPATIAL_X), L("R", 3, 1), L("P", 2, 1, SPATIAL_X)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    c = simulate(arch, conv1d(P=4, R=3), m, exact=True)
    assert c.instances_used == (1, 2, 4)
    assert no_hops(c.networks[1]["Inputs"]) == net(4, 0)
    assert c.levels[2]["Inputs"] == acc(16, 12)
    assert c.levels[1]["Inputs"] == acc(8, 8)
    assert c.levels[0]["Inputs"] == acc(8, 0)


# --- (h) matmul with K spatial ----------------------------------------------------------------------------------
def test_h_matmul_k_spatial_notes():
    # Notes: matmul, K spatial: 1024 writes sent up - 256 = 768 spatial reductions. M = N = 16, K = 4.
    # pos0: K4 spatial X @GLB, pos1: M16 @RF, pos2: N16 @RF. RF k: 1 step, Z tile all 256 words, A[:, k] 16,
    # B[k, :] 16.
    c = simulate(
        arch3(4, mesh_x=4),
        matmul(M=16, N=16, K=4),
        Mapping((L("K", 4, 1, SPATIAL_X), L("M", 16, 2), L("N", 16, 2)), (ALL_MM, ALL_MM, ALL_MM)),
        exact=True,
    )
    assert (c.macs, c.compute_instances_used, c.temporal_steps) == (1024, 4, 256)
    dram, glb, rf = c.levels
    # RF Z: updates 256 MACs each = 1024 (each MAC step writes a different (m, n): no temporal reuse),
    # partition 256 each = 1024 -> reads 0; F 256 - partition 256 -> fills 0.
    # A, B: fills 16 each -> 64; reads 1024 MACs.
    assert rf == {"A": acc(1024, 64), "B": acc(1024, 64), "Z": acc(0, 0, 1024)}
    # GLB Z: 4 identical write sets of 256 -> 256 updates, 768 reductions; partition 256 -> reads 0, fills 0.
    # A, B: 4 distinct columns/rows -> 64 reads each; fills 64 (whole tensors).
    assert glb == {"A": acc(64, 64), "B": acc(64, 64), "Z": acc(0, 0, 256)}
    assert no_hops(c.networks[1]["Z"]) == net(0, 768)
    assert dram == {"A": acc(64, 0), "B": acc(64, 0), "Z": acc(0, 0, 256)}


# --- padding ----------------------------------------------------------------------------------------------------
def test_padding_simulates_the_padded_space():
    # conv1d P=5 mapped as P2 @DRAM (stride 3) x P3 @RF x R3 @RF: padded P = 6, macs = 18.
    # RF Inputs W[3p0, +5): 5, then [3,8) +3 overlap -> 3 -> 8 (W reaches 7 in the padded space, true W size 7).
    # Outputs P[3p0,+3): 3 + 3, partition 6 -> fills 0; updates 18, reads 12. DRAM Outputs: updates 6.
    c = simulate(
        arch2(),
        conv1d(P=5, R=3),
        Mapping((L("P", 2, 0), L("P", 3, 1), L("R", 3, 1)), (ALL_CONV, ALL_CONV)),
        exact=True,
    )
    assert c.macs == 18 and c.temporal_steps == 18
    assert c.levels[1] == {"Weights": acc(18, 3), "Inputs": acc(18, 8), "Outputs": acc(12, 0, 18)}
    assert c.levels[0] == {"Weights": acc(3, 0), "Inputs": acc(8, 0), "Outputs": acc(0, 0, 6)}


# --- (x) Timeloop's temporal extrapolation (the default mode) ---------------------------------------------------
# Executed steps of a (level, tensor): each temporal loop above the cut with bound b >= 2 takes only the values
# 0 (weight 1) and 1 (weight b - 1); a step's weight is the product; counts at a step are multiplied by its
# weight; the gradient state and "previous" (deltas, forwarding) follow the executed sequence.
def window_mapping() -> Mapping:
    # conv1d P=4, R=3 (W = p + r, 6 words). pos0 P4 @GLB (outer), pos1 R3 @GLB (inner); no RF loops.
    # Cuts: DRAM 0, GLB 0 (1 step, whole tensors), RF 2: RF tile = one operation (P0 = R0 = 1), steps (p, r).
    return Mapping((L("P", 4, 1), L("R", 3, 1)), (ALL_CONV, ALL_CONV, ALL_CONV))


def test_x1_window_does_not_move_on_the_p_step():
    # RF Inputs tile {p + r}.
    # exact: 12 steps (p, r) = (0,0) {0}, (0,1) {1}, (0,2) {2}, (1,0) {1}, ... : every step differs from the
    #  previous one (+1 within p; at p -> p+1 the point goes from p+2 to p+1), extent 1 -> no overlap -> 1 word
    #  each: F = 12.
    # extrapolated: P4 -> p in {0 (w1), 1 (w3)}, R3 -> r in {0 (w1), 1 (w2)}. Steps (weight, tile):
    #  (0,0) w1 {0}: first -> 1.   (0,1) w2 {1}: moved +1 (stride null: set difference, no overlap) -> 1 x 2
    #  = 2, stride +1.
    #  (1,0) w3 {1}: the previous EXECUTED tile is (0,1) = {1}: translation 0 != the stride +1 -> the whole
    #   tile, 1 x 3 = 3, stride null (exactly, the previous tile would be (0,2) = {2}).
    #  (1,1) w6 {2}: +1 with a null stride -> 1 x 6 = 6.   F = 1 + 2 + 3 + 6 = 12.
    # GLB Inputs reads = the single RF's weighted deltas (12 / 12); GLB fills W[0,6) = 6 (one step); DRAM reads 6.
    # RF Inputs reads = compute demands: one instance, weights 1 + 2 + 3 + 6 = 12 (= 12 exact).
    # Weights RF tile {r}: exact: r changes at every step (wrap 2 -> 0: move -2, no overlap) -> 12.
    #  extrapolated: (0,0) 1; (0,1) {1} 1 x 2; (1,0) {0} vs {1}: 1 x 3; (1,1) {1} vs {0}: 1 x 6 -> 12.
    #  GLB Weights reads 12, fills 3.
    # Outputs RF tile {p}: exact F = 4 (new p: full 1, same p: empty); extrapolated (0,0) 1, (0,1) 0,
    #  (1,0) {1} vs {0}: 1 x 3, (1,1) 0 -> 4. Partition (real run) 4 -> fills 0; updates = MAC writes 12;
    #  reads 8. GLB Outputs: updates 4, partition 4 -> reads 0, fills 4 - 4 = 0. DRAM: Outputs updates 4.
    arch, w, m = arch3(), conv1d(P=4, R=3), window_mapping()
    same = {"Weights": acc(12, 12), "Outputs": acc(8, 0, 12)}
    glb_same = {"Weights": acc(12, 3), "Outputs": acc(0, 0, 4)}
    c = simulate(arch, w, m, exact=True)
    assert c.levels[2] == same | {"Inputs": acc(12, 12)}
    assert c.levels[1] == glb_same | {"Inputs": acc(12, 6)}
    c = simulate(arch, w, m)  # default: extrapolated
    assert c.levels[2] == same | {"Inputs": acc(12, 12)}
    assert c.levels[1] == glb_same | {"Inputs": acc(12, 6)}
    assert c.levels[0] == {"Weights": acc(3, 0), "Inputs": acc(6, 0), "Outputs": acc(0, 0, 4)}
    assert (c.macs, c.temporal_steps) == (12, 12)  # compute demands unchanged


def test_x2_dilation_tile_slides_further_on_the_outer_step():
    # conv1d P=8, R=3, dilation 2: W = p + 2r, 12 words. pos0 P2 @DRAM (stride 4), pos1 P4 @GLB (stride 1),
    # pos2 R3 @RF. Cuts: GLB 1 (steps p0), RF 2 (steps (p0, p1), p = 4p0 + p1).
    # RF Inputs tile: {p, p+2, p+4} -> box W[p, p+5) (holes held), 5 words.
    # exact: (0,0) [0,5) 5; then p = 1..7 each +1 with overlap, always the stride +1 -> 1 word each: F = 12.
    # extrapolated: P2 -> p0 in {0 (w1), 1 (w1)}, P4 -> p1 in {0 (w1), 1 (w3)}:
    #  (0,0) w1 [0,5): 5.   (0,1) w3 [1,6): +1, stride null -> slab 1 -> 3; stride +1.
    #  (1,0) w1 p=4 [4,9) vs previous executed [1,6): +3 != +1 -> the whole tile 5; stride null.
    #   (exactly, the previous tile is p=3 [3,8): +1, the slab is 1.)
    #  (1,1) w3 [5,10): +1, stride null -> slab 1 -> 3.   F = 5 + 3 + 5 + 3 = 16.
    # GLB Inputs tile p in [4p0, +4), r < 3: W[4p0, 4p0 + 8): 8, then [4,12) +4 with overlap -> 4: F = 12 in both
    #  modes (P2 runs 0 and 1 either way). GLB reads = the RF's weighted fills (12 / 16). DRAM Inputs reads 12.
    # RF Inputs reads = 24 MACs (weights of the compute steps (p0, p1, r): 2 x 4 x 3 = 24).
    # Weights RF tile R[0,3) constant: fills 3, reads 24; GLB Weights: reads 3 (RF deltas), fills 3.
    # Outputs RF tile {p}: exact 8 x 1; extrapolated 1 + 1 x 3 + 1 + 1 x 3 = 8 (no overlap with extent 1).
    #  Partition 8 -> fills 0; updates 24, reads 16. GLB Outputs P[4p0, +4): F 8, partition 8; updates 8, reads 0.
    arch, w = arch3(), conv1d(P=8, R=3, dilation=2)
    m = Mapping((L("P", 2, 0), L("P", 4, 1), L("R", 3, 2)), (ALL_CONV, ALL_CONV, ALL_CONV))
    for exact, rf_input_fills in ((True, 12), (False, 16)):
        c = simulate(arch, w, m, exact=exact)
        dram, glb, rf = c.levels
        assert rf == {"Weights": acc(24, 3), "Inputs": acc(24, rf_input_fills), "Outputs": acc(16, 0, 24)}
        assert glb == {"Weights": acc(3, 3), "Inputs": acc(rf_input_fills, 12), "Outputs": acc(0, 0, 8)}
        assert dram == {"Weights": acc(3, 0), "Inputs": acc(12, 0), "Outputs": acc(0, 0, 8)}


def test_x3_bounds_at_most_two_both_modes_agree():
    # Every temporal loop has bound <= 2: each takes values 0 and 1 with weights 1 and 1, so the executed steps
    # are all the steps and the two modes count the same. Hand values of (g) and (f)-like nests:
    # 1) test_g_forwarding_ignores_diagonal_neighbours: links 0, GLB Inputs reads 6, RF Inputs acc(8, 8).
    arch = arch3(4, mesh_x=2, glb_net=Network(forwarding=True))
    m = Mapping(
        (L("P", 2, 1), L("P", 2, 1, SPATIAL_X), L("R", 2, 1, SPATIAL_Y)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    a, b = simulate(arch, conv1d(P=4, R=2), m, exact=True), simulate(arch, conv1d(P=4, R=2), m)
    assert a == b
    assert no_hops(b.networks[1]["Inputs"]) == net(0, 0) and b.levels[1]["Inputs"].reads == 6
    assert b.levels[2]["Inputs"] == acc(8, 8)
    # 2) the multicast-covers case of (g) without multicast: 1 link transfer, GLB reads 7, RF acc(9, 8).
    arch = arch3(4, mesh_x=4, glb_net=Network(multicast=False, forwarding=True))
    w = conv2d(K=2, C=1, P=1, Q=2, R=1, S=2)
    a, b = (
        simulate(arch, w, multicast_covers_mapping(), exact=True),
        simulate(arch, w, multicast_covers_mapping()),
    )
    assert a == b
    assert no_hops(b.networks[1]["Inputs"]) == net(1, 0) and b.levels[1]["Inputs"].reads == 7
    assert b.levels[2]["Inputs"] == acc(9, 8)
    # 3) direction change with bounds 2 only: conv1d P=4, R=4, stride 2 (W = 2p + r, 10 words).
    #  pos0 R2 @DRAM (stride 2), pos1 P2 @DRAM (stride 2), pos2 P2 @RF, pos3 R2 @RF. RF cut 2, steps (r0, p0):
    #  Inputs tile p in [2p0, +2), r in [2r0, +2): W[4p0 + 2r0, +4).
    #  (0,0) [0,4): 4.  (0,1) [4,8): +4, stride null -> set difference, no overlap -> 4; stride +4.
    #  (1,0) [2,6) vs [4,8): -2 != +4 -> whole tile 4; stride null.  (1,1) [6,10) vs [2,6): +4, stride null ->
    #  no overlap -> 4.  F = 16; DRAM Inputs reads 16; RF reads 16 MACs.
    #  Weights R[2r0, +2): 2, 0, 2 (no overlap), 0 -> 4. Outputs P[2p0, +2): 2, 2, 2, 2 -> F 8, partition 4 ->
    #  fills 4; updates 16, reads 12. DRAM Outputs: updates 8, partition 4 -> reads 4.
    w = conv1d(P=4, R=4, stride=2)
    m = Mapping((L("R", 2, 0), L("P", 2, 0), L("P", 2, 1), L("R", 2, 1)), (ALL_CONV, ALL_CONV))
    a, b = simulate(arch2(), w, m, exact=True), simulate(arch2(), w, m)
    assert a == b
    assert b.levels[1] == {"Weights": acc(16, 4), "Inputs": acc(16, 16), "Outputs": acc(12, 4, 16)}
    assert b.levels[0] == {"Weights": acc(4, 0), "Inputs": acc(16, 0), "Outputs": acc(4, 0, 8)}


def test_x4_weighted_multicast_and_link_transfers():
    # systolic_mapping: pos0 R3 @GLB temporal, pos1 P4 spatial X @GLB; RF x, steps r: Weights {r}, Inputs {x + r}.
    # Extrapolated RF steps: r in {0 (w1), 1 (w2)}.
    # Weights: r0: 4 identical {0} -> multicast 1 read x 1; r1: 4 identical {1} (no overlap -> full) -> 1 x 2.
    #  GLB Weights reads 1 + 2 = 3 = exact (3 steps x 1). Without multicast 4 + 4 x 2 = 12 = exact 4 x 3.
    #  RF Weights fills (1 + 2) x 4 = 12; reads = compute demands 3 x 4 = 12.
    # Inputs without forwarding: r0 4 distinct -> 4; r1 {x + 1} distinct -> 4 x 2 = 8: GLB reads 12 (exact 12).
    # Inputs with forwarding: r1: D_x = {x + 1} = what x + 1 received at the previous executed step r0 ({x + 1})
    #  -> x = 0, 1, 2 linked; x = 3 from the GLB: 1 read < 4 -> kept. Weighted: link transfers 3 x 2 = 6, GLB
    #  reads 4 + 1 x 2 = 6, RF Inputs reads 12 + 6 = 18: all equal to the exact counts of test (g).
    # Outputs: RF tile {x} constant: r0 full 1, r1 empty -> F 4, partition 4, fills 0; updates (1 + 2) x 4 = 12,
    #  reads 8. GLB: updates 4 (r0 only), reads 0.
    w = conv1d(P=4, R=3)
    c = simulate(arch3(4, mesh_x=4), w, systolic_mapping())
    assert c == simulate(arch3(4, mesh_x=4), w, systolic_mapping(), exact=True)
    assert c.levels[1] == {"Weights": acc(3, 3), "Inputs": acc(12, 6), "Outputs": acc(0, 0, 4)}
    assert c.levels[2] == {"Weights": acc(12, 12), "Inputs": acc(12, 12), "Outputs": acc(8, 0, 12)}
    c = simulate(arch3(4, mesh_x=4, glb_net=Network(multicast=False)), w, systolic_mapping())
    assert c.levels[1]["Weights"] == acc(12, 3)
    arch = arch3(4, mesh_x=4, glb_net=Network(forwarding=True))
    c = simulate(arch, w, systolic_mapping())
    assert c == simulate(arch, w, systolic_mapping(), exact=True)
    assert no_hops(c.networks[1]["Inputs"]) == net(6, 0)
    assert c.levels[1]["Inputs"] == acc(6, 6)
    assert c.levels[2]["Inputs"] == acc(18, 12)


def test_x5_forwarding_follows_the_executed_sequence():
    # test_g_systolic_slabs_first_step_whole_tile_is_only_a_partial_match, extrapolated: RF steps t (R3 @GLB)
    # in {0 (w1), 1 (w2)}; RF x Inputs W[2x + 2t, +3).
    #  t0: whole {2x, 2x+1, 2x+2}: 4 distinct -> 12 reads.
    #  t1 (w2): slab {2x+3, 2x+4}; neighbours' previous executed deltas are whole tiles: x+1 got {2x+2, .., 2x+4}
    #   (strict superset: partial, no credit), x-1 got {2x-2, .., 2x}: disjoint. No link -> 4 x 2 = 8, x 2 = 16.
    #  (Exactly, t2 matches the neighbours' t1 slabs: 6 link transfers; t2 is never executed here.)
    #  GLB Inputs reads 12 + 16 = 28; link transfers 0. RF Inputs fills (3 + 2 x 2) x 4 = 28 (exact 28);
    #  reads = compute demands: steps (t, p, r) weights (1 + 2) x 2 x 2 = 12 per PE -> 48.
    m = Mapping(
        (L("R", 3, 1), L("P", 4, 1, SPATIAL_X), L("P", 2, 2), L("R", 2, 2)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    c = simulate(arch3(4, mesh_x=4, glb_net=Network(forwarding=True)), conv1d(P=8, R=6), m)
    assert no_hops(c.networks[1]["Inputs"]) == net(0, 0)
    assert c.levels[1]["Inputs"] == acc(28, 13)
    assert c.levels[2]["Inputs"] == acc(48, 28)


def test_x6_weighted_spatial_reduction():
    # matmul M = N = K = 4: A[m, k], B[k, n], Z[m, n]. pos0 M4 @GLB temporal, pos1 K4 spatial X @GLB, pos2 N4 @RF.
    # GLB cut 0 (1 step); RF cut 2: instance k, steps m in {0 (w1), 1 (w3)}.
    # Z: RF tile Z[m, 0:4): m0 4 words; m1 row 1 vs row 0: differs in M only, no overlap -> full 4 (x 3).
    #  Writes sent per step 4 x 4 = 16, identical -> 4 updates, 12 reductions. GLB Z updates 4 + 4 x 3 = 16,
    #  spatial reductions 12 + 12 x 3 = 48 (exact: 4 steps x (4, 12) -> 16, 48). GLB partition 16 -> reads 0;
    #  fills 16 - 16 = 0. RF Z: F (4 + 12) x 4 = 64, partition 16 x 4 = 64 -> fills 0; updates = MAC writes,
    #  steps (m, n) weights 4 x 4 = 16 per PE -> 64; reads 0.
    # A: RF tile {(m, k)}: new each step, distinct over k: GLB reads 4 + 4 x 3 = 16; RF fills 16, reads 64.
    # B: RF tile B[k, 0:4) constant: m0 4 distinct rows -> 16 reads, m1 empty; RF fills 16, reads 64.
    arch, w = arch3(4, mesh_x=4), matmul(M=4, N=4, K=4)
    m = Mapping((L("M", 4, 1), L("K", 4, 1, SPATIAL_X), L("N", 4, 2)), (ALL_MM, ALL_MM, ALL_MM))
    c = simulate(arch, w, m)
    assert c == simulate(arch, w, m, exact=True)
    dram, glb, rf = c.levels
    assert rf == {"A": acc(64, 16), "B": acc(64, 16), "Z": acc(0, 0, 64)}
    assert glb == {"A": acc(16, 16), "B": acc(16, 16), "Z": acc(0, 0, 16)}
    assert no_hops(c.networks[1]["Z"]) == net(0, 48)
    assert dram == {"A": acc(16, 0), "B": acc(16, 0), "Z": acc(0, 0, 16)}


def test_x_executed_steps_and_weights():
    # Unit check of the step enumeration: loops P4, R1, Q3 -> values {0, 1} x {0} x {0, 1}, lexicographic,
    # weights (1 | 3) x 1 x (1 | 2); exact -> all 12 assignments, weight 1.
    from loopscape.model.reference import _Nest

    nest = _Nest(
        conv2d(K=1, C=1, P=4, Q=3, R=1, S=1), Mapping((L("P", 4, 0), L("R", 1, 0), L("Q", 3, 0)), (ALL_CONV,))
    )
    assert nest.executed_steps([0, 1, 2], exact=False) == [
        ((0, 0, 0), 1),
        ((0, 0, 1), 2),
        ((1, 0, 0), 3),
        ((1, 0, 1), 6),
    ]
    assert nest.executed_steps([0, 1, 2], exact=True) == [(a, 1) for a in nest.assignments([0, 1, 2])]
    assert len(nest.executed_steps([0, 1, 2], exact=True)) == 12


# --- (n) network word-hops --------------------------------------------------------------------------------------
# docs/semantics.md "Network hops": at each executed child step (times its weight) and each parent instance, every
# group of words the parent sends to / receives from m of the n child instances under it travels
# hops(m, n) = sqrt(n)*sqrt(m) + (sqrt(n) - sqrt(m))/2 - sqrt(n)/sqrt(m) + 1/2 per word; groups are the identical
# remaining demands (multicast) / identical writes (spatial reduction), otherwise every non-empty demand / write
# alone (m = 1); each link-transferred word adds 1 hop. n counts all the children of one parent instance.
# Handy values: hops(1, n) = sqrt(n) + (sqrt(n) - 1)/2 - sqrt(n) + 1/2 = sqrt(n)/2, so hops(1, 1) = 0.5,
# hops(1, 2) = sqrt(2)/2, hops(1, 3) = sqrt(3)/2, hops(1, 4) = 1; hops(n, n) = n - 1 + 1/2 = n - 0.5, so
# hops(2, 2) = 1.5, hops(3, 3) = 2.5, hops(4, 4) = 3.5.
def hops_of(c, level: int) -> dict[str, float]:
    return {t: a.word_hops for t, a in c.networks[level].items()}


def assert_hops(got: dict[str, float], expected: dict[str, float]) -> None:
    assert got.keys() == expected.keys()
    for t, e in expected.items():
        assert math.isclose(got[t], e, rel_tol=1e-12), (t, got[t], e)


def test_n_hops_formula():
    # hops(4, 4) = 2*2 + (2 - 2)/2 - 2/2 + 1/2 = 4 + 0 - 1 + 0.5 = 3.5; hops(1, 4) = 2 + 0.5 - 2 + 0.5 = 1.0;
    # hops(1, 1) = 1 + 0 - 1 + 0.5 = 0.5; hops(3, 3) = 3 + 0 - 1 + 0.5 = 2.5; hops(1, 3) = sqrt(3)/2.
    assert hops(4, 4) == 3.5 and hops(1, 4) == 1.0 and hops(1, 1) == 0.5
    assert math.isclose(hops(3, 3), 2.5) and math.isclose(hops(2, 2), 1.5)
    assert math.isclose(hops(1, 3), math.sqrt(3) / 2)
    # hops(2, 4) = 2*sqrt(2) + (2 - sqrt(2))/2 - 2/sqrt(2) + 1/2 = 2 sqrt2 + 1 - sqrt2/2 - sqrt2 + 1/2
    #            = 1.5 + sqrt(2)/2
    assert math.isclose(hops(2, 4), 1.5 + math.sqrt(2) / 2)


def test_n1_weight_multicast_to_4_pes():
    # multicast_mapping (test (b)): GLB -> 4 RFs (n = 4, 1-D mesh), one RF step.
    #  Weights: 4 identical demands R[0,3) -> one group m = 4: 3 words x hops(4, 4) = 3 x 3.5 = 10.5.
    #  Inputs: 4 distinct windows W[4i, 4i+6), m = 1 each: 24 words x hops(1, 4) = 24 x 1.0 = 24.
    #  Outputs: 4 distinct write sets P[4i, 4i+4) (reduction on, nothing identical): 16 words x 1.0 = 16.
    # DRAM -> GLB (n = 1, hops(1, 1) = 0.5): the GLB's deltas 3, 18 words; its writes 16 -> 1.5, 9, 8.
    # RF -> MAC (one compute instance under each RF, n = 1): per RF 12 MAC demands / 12 updates, 4 RFs:
    #  48 x 0.5 = 24 for every tensor.
    c = simulate(arch3(4, mesh_x=4), conv1d(P=16, R=3), multicast_mapping(), exact=True)
    assert_hops(hops_of(c, 1), {"Weights": 10.5, "Inputs": 24.0, "Outputs": 16.0})
    assert_hops(hops_of(c, 0), {"Weights": 1.5, "Inputs": 9.0, "Outputs": 8.0})
    assert_hops(hops_of(c, 2), {"Weights": 24.0, "Inputs": 24.0, "Outputs": 24.0})


def test_n1_compute_units_as_children():
    # Same nest, the RF bypasses Weights: the GLB serves the 4 MACs directly (n = 4 compute instances under the
    # one GLB). Compute steps (p1, r): 12 in exact mode; extrapolated p1 in {0 (w1), 1 (w3)}, r in {0 (w1),
    # 1 (w2)}: weights 1 + 2 + 3 + 6 = 12. At each step the 4 MACs all need weight {r}: one group m = 4, one
    # point -> 12 x hops(4, 4) = 12 x 3.5 = 42 in both modes.
    m = Mapping(multicast_mapping().loops, (ALL_CONV, ALL_CONV, frozenset({"Inputs", "Outputs"})))
    for exact in (True, False):
        c = simulate(arch3(4, mesh_x=4), conv1d(P=16, R=3), m, exact=exact)
        assert math.isclose(c.networks[1]["Weights"].word_hops, 42.0)


def test_n2_without_multicast_each_demand_is_its_own_group():
    # Same as n1 without multicast: Weights 4 demands of 3 words, m = 1 each: 12 words x hops(1, 4) = 12 x 1.0.
    # Inputs, Outputs as in n1 (already groups of 1): 24, 16.
    c = simulate(
        arch3(4, mesh_x=4, glb_net=Network(multicast=False)),
        conv1d(P=16, R=3),
        multicast_mapping(),
        exact=True,
    )
    assert_hops(hops_of(c, 1), {"Weights": 12.0, "Inputs": 24.0, "Outputs": 16.0})


def test_n3_spatial_reduction_of_3_children():
    # conv1d P=4, R=3: pos0 R3 spatial X @GLB, pos1 P4 @RF. GLB cut 0; RF cut 1: 3 RFs (n = 3), one step.
    # RF r: Outputs P[0,4) (identical for all r), Weights {r}, Inputs W[r, r+4).
    # Outputs with reduction: one group of 3 identical 4-word writes: 4 x hops(3, 3) = 4 x 2.5 = 10.
    #  Without reduction: 12 writes alone: 12 x hops(1, 3) = 12 x sqrt(3)/2 = 6 sqrt(3).
    # Weights: 3 distinct single words: 3 x sqrt(3)/2. Inputs: 3 distinct 4-word windows: 12 x sqrt(3)/2.
    m = Mapping((L("R", 3, 1, SPATIAL_X), L("P", 4, 2)), (ALL_CONV, ALL_CONV, ALL_CONV))
    r3 = math.sqrt(3)
    c = simulate(arch3(3, mesh_x=3), conv1d(P=4, R=3), m, exact=True)
    assert no_hops(c.networks[1]["Outputs"]) == net(0, 8)  # 12 writes sent - 4 updates
    assert_hops(hops_of(c, 1), {"Weights": 3 * r3 / 2, "Inputs": 6 * r3, "Outputs": 10.0})
    c = simulate(
        arch3(3, mesh_x=3, glb_net=Network(spatial_reduction=False)), conv1d(P=4, R=3), m, exact=True
    )
    assert_hops(hops_of(c, 1), {"Weights": 3 * r3 / 2, "Inputs": 6 * r3, "Outputs": 6 * r3})


def test_n4_link_transfers_add_one_hop_per_word():
    # test_g_no_forwarding_across_parent_instances: 2 GLBs x 2 RFs (n = 2 per GLB, hops(1, 2) = sqrt(2)/2).
    # Inputs, per GLB a, steps t = 0, 1, 2: t0: {2a}, {2a+1} distinct -> 2 x sqrt2/2 = sqrt2.
    #  t1, t2: (a,0) link-transferred (1 word -> 1 hop), (a,1) from the GLB, 1 word alone: 1 + sqrt2/2 each.
    #  Per GLB sqrt2 + 2 + sqrt2 = 2 + 2 sqrt2; two GLBs: 4 + 4 sqrt2.
    #  Without forwarding: 3 steps x 2 words x sqrt2/2 = 3 sqrt2 per GLB -> 6 sqrt2.
    # DRAM -> 2 GLBs (n = 2): Inputs W[0,4), W[2,6) distinct: 8 x sqrt2/2 = 4 sqrt2 (both cases).
    #  Weights: both GLBs hold R[0,3): one group m = 2: 3 x hops(2, 2) = 3 x 1.5 = 4.5.
    arch = arch3(4, mesh_x=4, glb_net=Network(forwarding=True), glb_n=2, glb_mesh_x=2)
    m = Mapping(
        (L("P", 2, 0, SPATIAL_X), L("R", 3, 1), L("P", 2, 1, SPATIAL_X)), (ALL_CONV, ALL_CONV, ALL_CONV)
    )
    r2 = math.sqrt(2)
    c = simulate(arch, conv1d(P=4, R=3), m, exact=True)
    assert no_hops(c.networks[1]["Inputs"]) == net(4, 0)
    assert math.isclose(c.networks[1]["Inputs"].word_hops, 4 + 4 * r2)
    assert math.isclose(c.networks[0]["Inputs"].word_hops, 4 * r2)
    assert math.isclose(c.networks[0]["Weights"].word_hops, 4.5)
    arch = arch3(4, mesh_x=4, glb_n=2, glb_mesh_x=2)
    c = simulate(arch, conv1d(P=4, R=3), m, exact=True)
    assert math.isclose(c.networks[1]["Inputs"].word_hops, 6 * r2)


def test_n4_systolic_links_weighted():
    # systolic_mapping with forwarding (tests (g) and (x4)), n = 4, hops(1, 4) = 1. Extrapolated RF steps
    # r in {0 (w1), 1 (w2)}. Inputs: r0 4 distinct words: 4 x 1.0 = 4; r1: 3 link transfers (3 hops) + x3's word
    #  alone (1.0) = 4, x 2 = 8 -> 12 (exact: 4 + 4 + 4 = 12).
    # Weights: each step one multicast word to all 4: 3.5 x (1 + 2) = 10.5 (exact 3 x 3.5).
    # Outputs: RF tile {x} constant: 4 distinct writes at r0 only: 4 x 1.0 = 4.
    arch = arch3(4, mesh_x=4, glb_net=Network(forwarding=True))
    for exact in (True, False):
        c = simulate(arch, conv1d(P=4, R=3), systolic_mapping(), exact=exact)
        assert no_hops(c.networks[1]["Inputs"]) == net(6, 0)
        assert_hops(hops_of(c, 1), {"Weights": 10.5, "Inputs": 12.0, "Outputs": 4.0})


def test_n5_both_modes_weighted_by_the_executed_steps():
    # conv1d P=8, R=3: pos0 P2 spatial X @GLB (stride 4), pos1 P4 @GLB (stride 1), pos2 R3 @GLB; no RF loops.
    # GLB cut 0; RF cut 3: 2 RFs x (n = 2), steps (p1, r); RF x tile = one op: Inputs {4x + p1 + r},
    # Weights {r}, Outputs {4x + p1}. As in test_x1 per RF: Inputs F = 12 in both modes, Weights 12
    # (weighted) in both, Outputs 4 in both.
    # Inputs: at every step RF 0 needs {p1 + r} and RF 1 {4 + p1 + r}: never identical -> m = 1,
    #  hops(1, 2) = sqrt2/2: 24 x sqrt2/2 = 12 sqrt2 in both modes.
    # Weights: both RFs change to the same {r} at the same step -> one group m = 2, 1 word: exact 12 steps,
    #  extrapolated weights 1 + 2 + 3 + 6 = 12: 12 x hops(2, 2) = 12 x 1.5 = 18 in both.
    # Outputs: distinct {p1}, {4 + p1}: 8 words x sqrt2/2 = 4 sqrt2 in both.
    # DRAM -> GLB (n = 1): GLB deltas Weights 3, Inputs W[0,10) 10, Outputs 8 -> 1.5, 5, 4.
    m = Mapping((L("P", 2, 1, SPATIAL_X), L("P", 4, 1), L("R", 3, 1)), (ALL_CONV, ALL_CONV, ALL_CONV))
    r2 = math.sqrt(2)
    for exact, inputs in ((True, 12 * r2), (False, 12 * r2)):
        c = simulate(arch3(2, mesh_x=2), conv1d(P=8, R=3), m, exact=exact)
        assert c.levels[1]["Inputs"].reads == 24
        assert_hops(hops_of(c, 1), {"Weights": 18.0, "Inputs": inputs, "Outputs": 4 * r2})
        assert_hops(hops_of(c, 0), {"Weights": 1.5, "Inputs": 5.0, "Outputs": 4.0})
    # Single child (test_x1, n = 1, 0.5 hop per word): GLB Inputs word-hops = 0.5 x the RF's weighted fills:
    #  0.5 x 12 = 6 in both modes.
    for exact, expected in ((True, 6.0), (False, 6.0)):
        c = simulate(arch3(), conv1d(P=4, R=3), window_mapping(), exact=exact)
        assert math.isclose(c.networks[1]["Inputs"].word_hops, expected)


def test_n5_weighted_spatial_reduction_hops():
    # test_x6 (matmul 4x4x4, K4 spatial X over 4 RFs, n = 4; RF steps m in {0 (w1), 1 (w3)}):
    # Z: 4 identical 4-word writes per step -> one group m = 4: 4 x 3.5 = 14 per step; 14 + 14 x 3 = 56
    #  (exact 4 x 14 = 56). A: 4 distinct single words per step: 4 x 1.0 x (1 + 3) = 16. B: m0 4 distinct rows
    #  of 4 = 16 words x 1.0, m1 nothing -> 16.
    arch, w = arch3(4, mesh_x=4), matmul(M=4, N=4, K=4)
    m = Mapping((L("M", 4, 1), L("K", 4, 1, SPATIAL_X), L("N", 4, 2)), (ALL_MM, ALL_MM, ALL_MM))
    for exact in (True, False):
        assert_hops(hops_of(simulate(arch, w, m, exact=exact), 1), {"A": 16.0, "B": 16.0, "Z": 56.0})


# --- a larger case ------------------------------------------------------------------------------------------------
def test_2000_ops_64_instances():
    # 2048 operations over 64 register files, both modes (speed is the benchmarks' business, not a test's).
    w = conv2d(K=8, C=4, P=8, Q=8, R=1, S=1)
    m = Mapping(
        (L("C", 4, 0), L("K", 8, 1, SPATIAL_X), L("P", 8, 1, SPATIAL_Y), L("Q", 8, 2)),
        (ALL_CONV, ALL_CONV, ALL_CONV),
    )
    for exact in (False, True):
        c = simulate(arch3(64, mesh_x=8), w, m, exact=exact)
        assert c.macs == 2048 and c.instances_used == (1, 1, 64)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(pytest.main([__file__, "-q"]))
