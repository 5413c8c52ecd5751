"""SCALE-Sim's array in the general model (systolic.general): the architecture, its dataflow constraints, and
mappings that keep what the dataflow promises on the axes SCALE-Sim uses."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_systolic_replay import config

from loopscape.mapper import Mapspace
from loopscape.model import evaluate_batch
from loopscape.model.codes import FILLS
from loopscape.systolic.config import Layer
from loopscape.systolic.general import AXES, layer_workload, systolic_architecture, systolic_constraints

LAYER = Layer("small", 6, 6, 3, 3, 4, 8, 1)  # 4 x 4 outputs, 3 x 3 x 4 filters, 8 of them
STATIONARY = {"os": "Outputs", "ws": "Weights", "is": "Inputs"}


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_sampled_mappings_keep_the_dataflow(dataflow: str) -> None:
    cfg = replace(config(dataflow, 4, 4), ifmap_sram_kb=1, filter_sram_kb=1, ofmap_sram_kb=1)
    arch = systolic_architecture(cfg)
    assert [lv.name for lv in arch.levels] == ["DRAM", "FilterSRAM", "IfmapSRAM", "OfmapSRAM", "PEReg"]
    assert arch.levels[3].network.forwarding and not arch.levels[3].network.multicast
    assert arch.levels[4].instances == 16 and arch.levels[4].mesh == (4, 4)
    wl = layer_workload(LAYER)
    assert wl.operations == LAYER.macs  # the conv is SCALE-Sim's M x N x K
    space = Mapspace(arch, wl, constraints=systolic_constraints(cfg, arch, wl))
    batch = space.sample(np.random.default_rng(0), 300)
    res = evaluate_batch(arch, wl, batch, keep_counts=True)
    valid = res.valid
    assert valid.any()
    # only SCALE-Sim's dimensions spread over each axis (X: columns, Y: rows)
    x_dims, y_dims = AXES[dataflow]
    sx, sy = batch.spatial_x[valid], batch.spatial_y[valid]  # (mappings, levels, dims) factors
    for d, dim in enumerate(wl.dims):
        assert dim in x_dims or (sx[:, :, d] == 1).all()
        assert dim in y_dims or (sy[:, :, d] == 1).all()
    # the stationary operand enters each PE once per word it holds: weights once in all (ws); an output may be
    # split over time but is never re-filled beyond its count (os); an input pixel enters every PE whose
    # window holds it once, at most SCALE-Sim's M x K stationary im2col entries (is)
    tensor = STATIONARY[dataflow]
    fills = res.counts[valid][:, 4, wl.tensor_names.index(tensor), FILLS]
    bound = {
        "Weights": wl.tensor_size("Weights"),
        "Outputs": wl.tensor_size("Outputs"),
        "Inputs": LAYER.m * LAYER.k,
    }
    assert (fills <= bound[tensor]).all()
    if tensor == "Weights":
        assert (fills == bound[tensor]).all()
