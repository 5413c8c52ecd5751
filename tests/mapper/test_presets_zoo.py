"""Dataflow presets on the built-in architectures: Eyeriss's row-stationary (Timeloop, ISPASS 2019, Fig. 6 and
Sec. V-D) and NVDLA's weight-stationary array with spatial reduction (Table I; C across X, K across Y).

Each test samples a preset's mapspace, evaluates the samples with the batch model and checks, mapping by
mapping, that the loops are the ones the preset allows and that the access counts show the reuse the dataflow
promises, with exact formulas derived from the loops (docstrings say how).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from loopscape.arch import Architecture
from loopscape.arch.zoo import get
from loopscape.errors import LoopscapeError
from loopscape.mapper import Mapspace, local_search
from loopscape.mapping import Constraints, Mapping
from loopscape.mapping.constraints import PRESETS
from loopscape.model import MappingBatch, evaluate_batch
from loopscape.model.codes import FILLS, READS, UPDATES, WORDS
from loopscape.workload import Workload, conv2d

EYERISS = get("eyeriss")
NVDLA = get("nvdla")
# AlexNet conv3's shape (K=384, C=256, P=Q=13, R=S=3; Krizhevsky et al. 2012) with fewer channels, so that
# the tests stay fast: 13 is prime, so P and Q cannot be split evenly and every mapping pads or keeps them whole.
ALEXNET_LIKE = conv2d("alexnet_conv3_small", K=32, C=16, P=13, Q=13, R=3, S=3)
# A layer that fills NVDLA's 64 x 16 array: C a multiple of atomic-C = 64, K of atomic-K = 16.
NVDLA_LAYER = conv2d("nvdla_conv", K=32, C=128, P=8, Q=8, R=3, S=3)

PARENT = 1  # GBuf (Eyeriss) / CBUF (NVDLA): the level whose network fans out to the PEs
PE = 2  # RFile (Eyeriss) / WeightReg (NVDLA): the innermost storage level


def sampled(arch: Architecture, wl: Workload, preset: str, count: int = 6000, seed: int = 0):
    """`count` mappings of the preset's mapspace and their batch evaluation, restricted to the valid ones."""
    space = Mapspace(arch, wl, constraints=PRESETS[preset](arch, wl))
    batch = space.sample(np.random.default_rng(seed), count)
    res = evaluate_batch(arch, wl, batch, keep_counts=True)
    assert res.valid.sum() > count // 10
    rows = np.nonzero(res.valid)[0]
    fields = {f.name: getattr(batch, f.name) for f in dataclasses.fields(batch)}
    valid = MappingBatch(**{k: None if v is None else v[rows] for k, v in fields.items()})
    return valid, res.counts[rows]


def column(wl: Workload, arr: np.ndarray, level: int, dim: str) -> np.ndarray:
    return arr[:, level, wl.dim_index(dim)]


# --- row-stationary on Eyeriss -------------------------------------------------------------------------------
def test_row_stationary_spreads_filter_rows_and_keeps_one_row_per_pe():
    """Fig. 6, spatial: S unrolled whole, on the mesh's X axis (with C); Q and K only on Y; nothing of P, R or N
    spread. Temporal in each PE: all of R, one filter row (S = 1), one output row (Q = 1)."""
    wl = ALEXNET_LIKE
    b, _ = sampled(EYERISS, wl, "row-stationary")
    bound = dict(zip(wl.dims, wl.bounds))
    assert (column(wl, b.spatial_x, PARENT, "S") == bound["S"]).all()
    for d in wl.dims:
        if d not in ("S", "C"):
            assert (column(wl, b.spatial_x, PARENT, d) == 1).all(), d
        if d not in ("Q", "K"):
            assert (column(wl, b.spatial_y, PARENT, d) == 1).all(), d
    assert (b.spatial_x[:, [0, PE]] == 1).all() and (b.spatial_y[:, [0, PE]] == 1).all()  # one fan-out only
    assert (column(wl, b.temporal, PE, "R") == bound["R"]).all()
    assert (column(wl, b.temporal, PE, "S") == 1).all()
    assert (column(wl, b.temporal, PE, "Q") == 1).all()
    assert b.keep[:, PE].all()  # the RFile keeps its filter row, input row and partial sums


def test_row_stationary_tiles_are_rows():
    """Each RFile holds whole filter rows, one input row segment and one output row segment: with S = Q = 1 and
    all of R inside the PE, its tiles are Weights K_rf*C_rf*R, Inputs N_rf*C_rf*(P_rf + R - 1) (the sliding
    window of the 1D convolution along P) and Outputs N_rf*K_rf*P_rf words, where d_rf is the RFile's
    temporal factor of d."""
    wl = ALEXNET_LIKE
    b, counts = sampled(EYERISS, wl, "row-stationary", seed=1)
    n, k, c, p, r = (column(wl, b.temporal, PE, d) for d in ("N", "K", "C", "P", "R"))
    w, i, o = (wl.tensor_names.index(t) for t in ("Weights", "Inputs", "Outputs"))
    assert (counts[:, PE, w, WORDS] == k * c * r).all()
    assert (counts[:, PE, i, WORDS] == n * c * (p + r - 1)).all()
    assert (counts[:, PE, o, WORDS] == n * k * p).all()


def test_row_stationary_reloads_a_filter_row_only_when_the_loops_above_force_it():
    """The RFile's weight fills, exactly: |Weights| x Q_y x (product of the weight-irrelevant loops above the
    RFile that run outside its innermost weight-relevant loop).

    Derivation. Every PE's weight tile is K_rf*C_rf filter rows of R weights (test above); the mesh holds S (X)
    x C_x (X) x K_y (Y) distinct tiles, each replicated over the Q_y PEs of a column (Q does not index weights,
    so those PEs hold equal rows and each fills its own copy). The temporal loops above the RFile (DRAM's, then
    GBuf's, outermost first, bounds > 1) step through the remaining K/(K_rf*K_y) x C/(C_rf*C_x) tiles; a loop
    over N, P or Q (irrelevant to weights) leaves the tile unchanged, so the filter rows stay put while every
    such loop *inside* the innermost K or C loop runs (that is the reuse row stationarity buys), but each
    iteration of one *outside* it replays all the K and C tiles below it. Relevant-loop products x tile x
    distinct PEs = |Weights|; each replay multiplies the fills by its bound.
    """
    wl = ALEXNET_LIKE
    b, counts = sampled(EYERISS, wl, "row-stationary", seed=2)
    relevant = {wl.dim_index(d) for d in ("K", "C", "R", "S")}
    expected = np.empty(b.size, dtype=np.int64)
    for m in range(b.size):
        loops = [(int(d), int(b.temporal[m, lv, d])) for lv in (0, PARENT) for d in b.order[m, lv]]
        loops = [(d, n) for d, n in loops if n > 1]
        innermost = max((j for j, (d, _) in enumerate(loops) if d in relevant), default=-1)
        replays = int(np.prod([n for j, (d, n) in enumerate(loops) if j < innermost and d not in relevant]))
        expected[m] = wl.tensor_size("Weights") * column(wl, b.spatial_y, PARENT, "Q")[m] * replays
    w = wl.tensor_names.index("Weights")
    assert (counts[:, PE, w, FILLS] == expected).all()
    # Both cases occur among the samples: filter rows fetched once, and filter rows fetched again.
    assert (expected == wl.tensor_size("Weights")).any() and (expected > wl.tensor_size("Weights")).any()


def test_row_stationary_accumulates_in_the_pe():
    """Temporal reduction (Table I): every MAC reads its weight and input from the RFile and writes its partial
    sum back there, so RFile reads of Weights and Inputs and RFile updates of Outputs each equal the MACs."""
    wl = ALEXNET_LIKE
    _, counts = sampled(EYERISS, wl, "row-stationary", seed=3)
    w, i, o = (wl.tensor_names.index(t) for t in ("Weights", "Inputs", "Outputs"))
    assert (counts[:, PE, w, READS] == wl.operations).all()
    assert (counts[:, PE, i, READS] == wl.operations).all()
    assert (counts[:, PE, o, UPDATES] == wl.operations).all()


# --- the NVDLA preset on the NVDLA-like array --------------------------------------------------------------
def test_nvdla_spreads_input_channels_on_x_and_output_channels_on_y():
    wl = NVDLA_LAYER
    b, _ = sampled(NVDLA, wl, "nvdla")
    for d in wl.dims:
        if d != "C":
            assert (column(wl, b.spatial_x, PARENT, d) == 1).all(), d
        if d != "K":
            assert (column(wl, b.spatial_y, PARENT, d) == 1).all(), d
    assert (column(wl, b.spatial_x, PARENT, "C") > 1).any() and (
        column(wl, b.spatial_y, PARENT, "K") > 1
    ).any()


def test_nvdla_is_weight_stationary_with_spatial_reduction():
    """Weight-stationary: each weight enters its PE's register once (fills = |Weights|) and serves every MAC
    that uses it (register reads = MACs). Spatial reduction: the C_x products of a MAC cell's adder tree reach
    the level above as one update, so that level (CBUF, or DRAM where CBUF bypasses outputs) takes exactly
    MACs / C_x output updates."""
    wl = NVDLA_LAYER
    b, counts = sampled(NVDLA, wl, "nvdla", seed=1)
    w, o = wl.tensor_names.index("Weights"), wl.tensor_names.index("Outputs")
    assert (counts[:, PE, w, FILLS] == wl.tensor_size("Weights")).all()
    assert (counts[:, PE, w, READS] == wl.operations).all()
    parent = np.where(b.keep[:, PARENT, o], PARENT, 0)
    updates = counts[np.arange(b.size), parent, o, UPDATES]
    assert (updates == wl.operations // column(wl, b.spatial_x, PARENT, "C")).all()
    assert b.keep[:, PARENT, o].any() and (~b.keep[:, PARENT, o]).any()


# --- search under each preset on each architecture ----------------------------------------------------------
def obeys(mapping: Mapping, constraints: Constraints, arch: Architecture, wl: Workload) -> list[str]:
    """The ways `mapping` breaks `constraints` (empty when it obeys them)."""
    names = [lv.name for lv in arch.levels]
    bound = dict(zip(wl.dims, wl.bounds))
    broken = []
    for c in constraints.levels:
        lv = names.index(c.level)
        loops = [lp for lp in mapping.loops if lp.level == lv]
        temporal = {
            d: int(np.prod([lp.bound for lp in loops if lp.dim == d and lp.kind == "temporal"]))
            for d in wl.dims
        }
        spatial = {
            d: int(np.prod([lp.bound for lp in loops if lp.dim == d and lp.kind != "temporal"]))
            for d in wl.dims
        }
        for d, n in c.factors:
            if temporal[d] != (n or bound[d]):
                broken.append(f"{c.level}: temporal {d}={temporal[d]}, not {n or bound[d]}")
        for d, n in c.spatial_factors:
            if spatial[d] != (n or bound[d]):
                broken.append(f"{c.level}: spatial {d}={spatial[d]}, not {n or bound[d]}")
        for kind, allowed in (("spatial_x", c.spatial_x), ("spatial_y", c.spatial_y)):
            if allowed is not None:
                broken += [
                    f"{c.level}: {lp.dim} on {kind}"
                    for lp in loops
                    if lp.kind == kind and lp.dim not in allowed
                ]
        if c.permutation:
            order = [lp.dim for lp in loops if lp.kind == "temporal"][::-1]  # innermost first
            inner = [d for d in c.permutation if d in order]
            if order[: len(inner)] != inner:
                broken.append(f"{c.level}: innermost loops {order}, not {list(c.permutation)} first")
        broken += [f"{c.level} does not keep {t}" for t in c.keep if t not in mapping.keep[lv]]
        broken += [f"{c.level} keeps {t}" for t in c.bypass if t in mapping.keep[lv]]
    return broken


FEASIBLE = [
    *(("eyeriss", preset, ALEXNET_LIKE) for preset in PRESETS),
    ("nvdla", "weight-stationary", NVDLA_LAYER),
    ("nvdla", "nvdla", NVDLA_LAYER),
]


@pytest.mark.parametrize(("arch_name", "preset", "wl"), FEASIBLE, ids=[f"{a}-{p}" for a, p, _ in FEASIBLE])
def test_local_search_under_a_preset_finds_a_mapping_that_obeys_it(arch_name, preset, wl):
    arch = get(arch_name)
    constraints = PRESETS[preset](arch, wl)
    found = local_search(
        arch, wl, mapspace=Mapspace(arch, wl, constraints=constraints), budget=20_000, seed=0
    )
    assert found.valid > 0 and np.isfinite(found.value)
    assert obeys(found.mapping, constraints, arch, wl) == []
    assert found.result.energy_pj > 0 and found.result.cycles >= wl.operations / arch.compute.instances


@pytest.mark.parametrize("preset", ["output-stationary", "input-stationary", "row-stationary"])
def test_presets_the_nvdla_registers_cannot_hold_are_refused(preset):
    """NVDLA's PEs hold one weight and nothing else: a preset that keeps outputs, inputs or whole rows in them
    cannot be honoured, and the mapper says so with an error of its own (no traceback of another kind)."""
    wl = NVDLA_LAYER
    with pytest.raises(LoopscapeError):
        space = Mapspace(NVDLA, wl, constraints=PRESETS[preset](NVDLA, wl))
        local_search(NVDLA, wl, mapspace=space, budget=5_000)
