"""Dataflow presets are constraint sets; each yields the reuse its name promises."""

from __future__ import annotations

import numpy as np
import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.errors import LoopscapeError
from loopscape.mapper import Mapspace, random_search
from loopscape.mapping import Constraints, LevelConstraint, output_stationary_preset, weight_stationary_preset
from loopscape.model import evaluate_batch
from loopscape.model.codes import FILLS, UPDATES
from loopscape.workload import conv2d

ARCH = Architecture(
    "pe-array",
    (
        StorageLevel("DRAM", "DRAM"),
        StorageLevel("GLB", "SRAM", entries=4096),
        StorageLevel("RF", "regfile", instances=4, mesh_x=2, entries=512),
    ),
    ComputeLevel("MAC", 4, mesh_x=2),
)
LAYER = conv2d(K=4, C=4, P=4, Q=4, R=3, S=3)


def sampled(constraints, count=400, seed=0, with_keep=False):
    space = Mapspace(ARCH, LAYER, constraints=constraints)
    batch = space.sample(np.random.default_rng(seed), count)
    res = evaluate_batch(ARCH, LAYER, batch, keep_counts=True)
    assert res.valid.any()
    if with_keep:
        return res.counts[res.valid], batch.keep[res.valid]
    return res.counts[res.valid]


def test_weight_stationary_fills_each_weight_into_the_pes_once():
    counts = sampled(weight_stationary_preset(ARCH, LAYER))
    w = LAYER.tensor_names.index("Weights")
    assert (counts[:, 2, w, FILLS] == LAYER.tensor_size("Weights")).all()  # K*C*R*S = 144


def test_output_stationary_never_sends_partial_sums_back_down():
    counts, keep = sampled(output_stationary_preset(ARCH, LAYER), with_keep=True)
    o = LAYER.tensor_names.index("Outputs")
    assert keep[:, 2, o].all()  # the preset makes the PEs keep the outputs
    assert (counts[:, 2, o, FILLS] == 0).all()
    parent = np.where(keep[:, 1, o], 1, 0)  # the next level up that keeps them (GLB, or DRAM if GLB bypasses)
    updates = counts[np.arange(len(counts)), parent, o, UPDATES]
    assert (updates == LAYER.tensor_size("Outputs")).all()  # each output written up once


def test_unconstrained_mapspace_does_not_keep_weights_stationary():
    counts = sampled(None)
    w = LAYER.tensor_names.index("Weights")
    assert (counts[:, 2, w, FILLS] > LAYER.tensor_size("Weights")).any()


def test_a_constraint_that_empties_the_mapspace_is_named():
    bad = Constraints((LevelConstraint("GLB", factors=(("P", 3),)),))  # 3 does not divide P = 4
    with pytest.raises(LoopscapeError, match=r"constraints\[0\] \(GLB\)"):
        Mapspace(ARCH, LAYER, constraints=bad)


def test_search_under_a_preset_obeys_it():
    found = random_search(
        ARCH,
        LAYER,
        budget=5000,
        mapspace=Mapspace(ARCH, LAYER, constraints=weight_stationary_preset(ARCH, LAYER)),
    )
    assert found.result.counts.levels[2]["Weights"].fills == LAYER.tensor_size("Weights")
