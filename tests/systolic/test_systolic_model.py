"""The closed form against values worked by hand from shared/notes/scalesim.md section 4.

Layer 'small': IFMAP 5 x 5, 3 x 3 filter, 2 channels, 4 filters, stride 1 -> M = 9 OFMAP pixels, N = 4,
K = 18, on a 4 x 4 array (R = C = 4). MACs = 648.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from systolic_inputs import CFG, CONV, GEMM, write

from loopscape.systolic.config import read_config, read_conv_topology, read_gemm_topology
from loopscape.systolic.model import evaluate, evaluate_mnk

# dataflow: (folds, cycles per fold, total, overall %, mapping %, compute %, ifmap reads, filter reads, ofmap writes)
HAND = {
    # os: (Sr, Sc, T) = (9, 4, 18); F = 3 * 1; P = 18 + 4 + 4 - 2 = 24; total 3 * 24 - 1 = 71
    #     compute util 100 * 36 * 18 / (3 * 16 * 24); OFMAP writes 36 + 3 * (4 + 4)
    "os": (3, 24, 71, 64800 / (71 * 16), 75.0, 56.25, 9 * 18 * 1, 18 * 4 * 3, 36 + 24),
    # ws: (18, 4, 9); F = 5 * 1; P = 8 + 4 + 9 - 2 = 19; total 94; compute util over P' = 19 + 3
    "ws": (5, 19, 94, 64800 / (94 * 16), 90.0, 100 * 72 * 9 / (5 * 16 * 22), 162, 72, 36 * 5),
    # is: (18, 9, 4); F = 5 * 3; P = 8 + 4 + 4 - 2 = 14; total 209; compute util over P' = 14 + 3
    "is": (15, 14, 209, 64800 / (209 * 16), 67.5, 100 * 162 * 4 / (15 * 16 * 17), 162, 72 * 3, 36 * 5),
}


@pytest.mark.parametrize("dataflow", sorted(HAND))
def test_small_layer_by_hand(tmp_path: Path, dataflow: str) -> None:
    cfg = read_config(write(tmp_path, "a.cfg", CFG.format(dataflow=dataflow)))
    res = evaluate(cfg, read_conv_topology(write(tmp_path, "t.csv", CONV)).layers[:1])
    folds, per_fold, total, overall, mapping, compute, ifmap, filt, ofmap = HAND[dataflow]
    assert (res.folds[0], res.cycles_per_fold[0], res.total_cycles[0], res.stall_cycles[0]) == (
        folds,
        per_fold,
        total,
        0,
    )
    assert res.overall_util[0] == pytest.approx(overall, rel=1e-12)
    assert res.mapping_efficiency[0] == pytest.approx(mapping, rel=1e-12)
    assert res.compute_util[0] == pytest.approx(compute, rel=1e-12)
    assert (res.ifmap_sram_reads[0], res.filter_sram_reads[0], res.ofmap_sram_writes[0]) == (
        ifmap,
        filt,
        ofmap,
    )
    assert res.ofmap_sram_writes_physical[0] == (36 if dataflow == "os" else ofmap)


def test_gemm_equals_its_conv(tmp_path: Path) -> None:
    cfg = read_config(write(tmp_path, "a.cfg", CFG.format(dataflow="ws")))
    conv = evaluate(cfg, read_conv_topology(write(tmp_path, "t.csv", CONV)).layers[:1])
    gemm = evaluate(cfg, read_gemm_topology(write(tmp_path, "g.csv", GEMM)).layers)
    assert conv.total_cycles[0] == gemm.total_cycles[0]
    assert conv.filter_sram_reads[0] == gemm.filter_sram_reads[0]


dims = st.integers(1, 300)


@given(st.sampled_from(["os", "ws", "is"]), st.integers(2, 64), st.integers(2, 64), dims, dims, dims)
def test_properties(dataflow: str, rows: int, cols: int, m: int, n: int, k: int) -> None:
    """Utilisations within (0, 100]; every MAC fits in the cycles; reads cover each operand at least once.
    (A 1 x 1 array on a 1 x 1 x 1 OS layer has 0 cycles: SCALE-Sim divides by zero there too.)"""
    res = evaluate_mnk(dataflow, rows, cols, np.array([m]), np.array([n]), np.array([k]))
    assert 0 < res.overall_util[0] <= 100
    assert 0 < res.compute_util[0] <= res.mapping_efficiency[0] <= 100
    assert res.total_cycles[0] * rows * cols >= m * n * k
    assert res.ifmap_sram_reads[0] >= m * k and res.filter_sram_reads[0] >= k * n
    assert res.ofmap_sram_writes[0] >= res.ofmap_sram_writes_physical[0] >= m * n


def test_vectorised_equals_one_by_one() -> None:
    rng = np.random.default_rng(0)
    m, n, k = (rng.integers(1, 500, size=50) for _ in range(3))
    whole = evaluate_mnk("is", 8, 16, m, n, k)
    for i in range(0, 50, 7):
        one = evaluate_mnk("is", 8, 16, m[i : i + 1], n[i : i + 1], k[i : i + 1])
        assert one.total_cycles[0] == whole.total_cycles[i]
        assert one.compute_util[0] == whole.compute_util[i]


def test_paper_os_fold_adds_r_per_fold() -> None:
    """scale-sim-v3 issue #4: the paper's OS fold is 2R + C + T - 2; 3.0.0 uses R + C + T - 2."""
    args = ("os", 4, 4, np.array([9]), np.array([4]), np.array([18]))
    ours, paper = evaluate_mnk(*args), evaluate_mnk(*args, paper_os_fold=True)
    assert paper.cycles_per_fold[0] == ours.cycles_per_fold[0] + 4 == 28
    assert paper.total_cycles[0] == 3 * 28 - 1
    ws = evaluate_mnk("ws", 4, 4, np.array([9]), np.array([4]), np.array([18]), paper_os_fold=True)
    assert ws.total_cycles[0] == HAND["ws"][2]
