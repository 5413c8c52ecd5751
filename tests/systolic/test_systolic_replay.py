"""The replay's numba generators (systolic.replay) against numpy descriptions of SCALE-Sim's layout
(systolic.demand, replay.prefetch_order / read_buffer): the same reads in the same rows and port order, the same
OFMAP writes per row, the same hashed prefetch sets, on random layers and arrays in every dataflow. Two
independent writings of one layout, reconciled here."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.demand import fold_count, fold_write_cycles, read_order, sram_write_cycles
from loopscape.systolic.replay import (
    _row_reads,
    _row_writes,
    address_space,
    calc_reads,
    estimate_reads,
    geometry,
    im2col_tables,
    layer_read_buffer,
    prefetch_order,
    read_buffer,
    sram_read_spans,
)


def config(dataflow: str, rows: int, cols: int) -> SystolicConfig:
    return SystolicConfig(
        run_name="t", array_height=rows, array_width=cols, ifmap_sram_kb=4, filter_sram_kb=4, ofmap_sram_kb=2,
        ifmap_offset=0, filter_offset=0, ofmap_offset=0, dataflow=dataflow, read_request_buffer=32,
        write_request_buffer=32, ifmap_custom_layout=False, ifmap_bank_bandwidth=8, ifmap_bank_num=1,
        ifmap_bank_port=2, filter_custom_layout=False, filter_bank_bandwidth=8, filter_bank_num=1,
        filter_bank_port=2, sparsity_support=False, interface_bandwidth="CALC", use_ramulator_trace=False,
        bandwidth=(4,),
    )  # fmt: skip


@st.composite
def layers(draw) -> Layer:
    fh = draw(st.integers(1, 4))
    fw = draw(st.integers(1, 4))
    return Layer(
        "l",
        ifmap_h=draw(st.integers(fh, 9)),
        ifmap_w=draw(st.integers(fw, 9)),
        filter_h=fh,
        filter_w=fw,
        channels=draw(st.integers(1, 4)),
        num_filter=draw(st.integers(1, 7)),
        stride=draw(st.integers(1, 3)),
    )


def generated(dataflow: str, layer: Layer, rows: int, cols: int, operand: int) -> tuple[list[int], list[int]]:
    cfg = config(dataflow, rows, cols)
    g, (mt, kt) = geometry(cfg, layer), im2col_tables(layer)
    out = np.empty(max(rows, cols), dtype=np.int64)
    cycles, addrs = [], []
    per_fold = int(g[-1])
    for fold in range(fold_count(dataflow, layer, rows, cols)):
        for x in range(per_fold):
            n = _row_reads(g, mt, kt, operand, fold, x, out)
            cycles += [fold * per_fold + x] * n
            addrs += out[:n].tolist()
    return cycles, addrs


@settings(max_examples=60, deadline=None)
@given(layers(), st.sampled_from(["os", "ws", "is"]), st.integers(1, 5), st.integers(1, 5))
def test_row_generator_is_the_read_order(layer: Layer, dataflow: str, rows: int, cols: int) -> None:
    for operand, name in ((0, "ifmap"), (1, "filter")):
        cycles, addrs = read_order(dataflow, layer, rows, cols, name)
        assert generated(dataflow, layer, rows, cols, operand) == (cycles.tolist(), addrs.tolist())
    cfg = config(dataflow, rows, cols)
    g = geometry(cfg, layer)
    per_fold = int(g[-1])
    for fold in range(fold_count(dataflow, layer, rows, cols)):
        want = np.bincount(fold_write_cycles(dataflow, layer, rows, cols, fold) - fold * per_fold,
                           minlength=per_fold)  # fmt: skip
        assert [_row_writes(g, fold, x) for x in range(per_fold)] == want.tolist()
    for name, kb in (("ifmap", 1), ("filter", 2)):
        reference = read_buffer(prefetch_order(dataflow, layer, rows, cols, name),
                                address_space(layer, 0 if name == "ifmap" else 1), kb, 8)  # fmt: skip
        built = layer_read_buffer(cfg, layer, name, kb, 8)
        assert built.set_ptr.tolist() == reference.set_ptr.tolist()
        assert built.set_ids.tolist() == reference.set_ids.tolist()
        assert (
            built.shape().tolist() == reference.shape().tolist()
            and built.first_lines == reference.first_lines
        )
    folds = fold_count(dataflow, layer, rows, cols)
    writes = np.concatenate([fold_write_cycles(dataflow, layer, rows, cols, f) for f in range(folds)])
    assert sram_write_cycles(cfg, layer) == (int(writes.min()), int(writes.max()))
    spans = sram_read_spans(cfg, layer)
    for span, name in zip(spans, ("ifmap", "filter"), strict=True):
        cycles, _ = read_order(dataflow, layer, rows, cols, name)
        assert span == (int(cycles[0]) + 1, int(cycles[-1]) + 1)


def test_estimate_reads_by_hand() -> None:
    """Sets of 2 words, window of 2 sets (0-1) moving on by 2. Reads 0 1 | 2 3 fill sets 0 and 1; word 3
    closes set 1, the set after the window's last, so the window moves to sets 2-3 at that read's cycle (3).
    4 5 fill set 2; 0 is now outside the window (held in set 0) and is fetched again: 7 words. The first
    window (2 sets x 2 words at 1 word/cycle) is fetched in the 4 cycles before the first read; the last fetch
    ends one cycle after the window moved."""
    got = estimate_reads(np.arange(7), np.array([0, 1, 2, 3, 4, 5, 0]), per_set=2, active_sets=2, sets=4,
                         words_per_cycle=1)  # fmt: skip
    assert (got.start_cycle, got.stop_cycle, got.reads) == (-4, 4, 7)
    # the same reads with 0 read again before the window moves: a hit, 6 words
    got = estimate_reads(np.arange(7), np.array([0, 1, 2, 0, 3, 4, 5]), per_set=2, active_sets=2, sets=4,
                         words_per_cycle=1)  # fmt: skip
    assert got.reads == 6


@settings(max_examples=150, deadline=None)
@given(
    layers(),
    st.sampled_from(["os", "ws", "is"]),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from(["ifmap", "filter"]),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_layer_replay_is_the_stream_replay(
    layer: Layer, dataflow: str, rows: int, cols: int, operand: str, per_set: int, active: int, step: int
) -> None:
    """`calc_reads` (the layer kernel, with its skipped and counted OS-filter folds) gives what the plain
    buffer step gives on the explicit read stream, for windows small enough that the shortcuts fire."""
    cycles, addrs = generated(dataflow, layer, rows, cols, 0 if operand == "ifmap" else 1)
    if not addrs:
        return
    got = calc_reads(config(dataflow, rows, cols), layer, operand, per_set, active, active + step, 3)
    want = estimate_reads(np.array(cycles), np.array(addrs), per_set, active, active + step, 3)
    assert got == want
