"""One layer's full SCALE-Sim figures in either bandwidth mode: the closed form (systolic.model) for the
compute side, the replays (systolic.dram, systolic.replay) for the memory side."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from loopscape.errors import LoopscapeError
from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.demand import fold_count, fold_shape, sram_write_cycles
from loopscape.systolic.dram import dram_reads, ofmap_dram_writes
from loopscape.systolic.model import SystolicResult
from loopscape.systolic.replay import TABLE_LIMIT, sram_read_spans, user_run
from loopscape.systolic.streams import LayerRun

MAX_REPLAY_ROWS = 2_000_000_000  # demand rows a replay may walk (a few minutes); SCALE-Sim would need years


def demand_rows(config: SystolicConfig, layer: Layer) -> int:
    """SCALE-Sim's demand rows for `layer`: folds times the rows of a fold."""
    r, c, df = config.array_height, config.array_width, config.dataflow
    return fold_count(df, layer, r, c) * fold_shape(df, layer, r, c)[3]


def run_layer(
    config: SystolicConfig, layer: Layer, result: SystolicResult, i: int, replay: bool = True
) -> LayerRun:
    """Layer `i` of `result` on `config`. CALC: SCALE-Sim never stalls on reads, so cycles and SRAM spans are
    closed forms and the read-DRAM streams are replayed only where the operand overflows the active buffer
    (`replay=False` leaves those and the OFMAP stream None and takes CALC's OFMAP stalls as 0, as every
    reference run had them). USER: the three buffers are replayed together, stalls included, as SCALE-Sim
    counts them and physically. A layer over MAX_REPLAY_ROWS demand rows is refused when it needs a replay."""
    if max(layer.m, layer.k) > TABLE_LIMIT:
        raise LoopscapeError(f"layer {layer.name}: {layer.m:,} output pixels x {layer.k:,} window words: loopscape "
                             f"systolic handles at most {TABLE_LIMIT:,} of each (its address tables would not fit)")  # fmt: skip
    rows = demand_rows(config, layer)
    if (config.interface_bandwidth == "USER" or replay) and rows > MAX_REPLAY_ROWS:
        hint = "" if config.interface_bandwidth == "USER" else "; --no-dram-replay gives every other figure"
        raise LoopscapeError(f"layer {layer.name}: {rows:,} demand rows, too many to replay SCALE-Sim's "
                             f"buffers (at most {MAX_REPLAY_ROWS:,}){hint}")  # fmt: skip
    if config.interface_bandwidth == "USER":
        return user_run(config, layer)
    reads = sram_read_spans(config, layer)
    writes = sram_write_cycles(config, layer)
    assert writes is not None  # CALC mode
    ifmap, filt = dram_reads(config, layer, replay=replay)
    ofmap, stalls = ofmap_dram_writes(config, layer) if replay else (None, 0)
    return LayerRun(
        total_cycles=int(result.total_cycles[i]) + stalls,
        stall_cycles=stalls,
        ifmap_sram=reads[0],
        filter_sram=reads[1],
        ofmap_sram=writes,
        ifmap_dram=ifmap,
        filter_dram=filt,
        ofmap_dram=ofmap,
        physical_total_cycles=int(result.total_cycles[i]) + stalls,
        physical_stall_cycles=stalls,
    )


def run_layers(
    config: SystolicConfig,
    layers: Sequence[Layer],
    result: SystolicResult,
    replay: bool = True,
    done: Callable[[int], None] | None = None,
) -> list[LayerRun]:
    """`run_layer` for every layer, layers side by side on the cores (they are independent and the replays
    release the GIL); in layer order. `done(i)` is called as each finishes."""
    workers = max(1, min(len(layers), os.cpu_count() or 1))

    def one(i: int) -> LayerRun:
        run = run_layer(config, layers[i], result, i, replay=replay)
        if done is not None:
            done(i)
        return run

    if workers == 1:
        return [one(i) for i in range(len(layers))]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(len(layers))))
