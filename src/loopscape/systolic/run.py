"""One layer's full SCALE-Sim figures in either bandwidth mode: the closed form (systolic.model) for the
compute side, the replays (systolic.dram, systolic.replay) for the memory side."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial

from loopscape.errors import LoopscapeError
from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.demand import fold_count, fold_shape, sram_write_cycles
from loopscape.systolic.dram import OPERANDS, closed_form_reads, ofmap_dram_writes, replay_reads
from loopscape.systolic.model import SystolicResult
from loopscape.systolic.replay import TABLE_LIMIT, sram_read_spans, user_run
from loopscape.systolic.streams import LayerRun

MAX_REPLAY_ROWS = 2_000_000_000  # demand rows a replay may walk (a few minutes); SCALE-Sim would need years


def demand_rows(config: SystolicConfig, layer: Layer) -> int:
    """SCALE-Sim's demand rows for `layer`: folds times the rows of a fold."""
    r, c, df = config.array_height, config.array_width, config.dataflow
    return fold_count(df, layer, r, c) * fold_shape(df, layer, r, c)[3]


def _check(config: SystolicConfig, layer: Layer, replay: bool) -> None:
    """Refuse a layer past the address tables or, when it needs a replay, past MAX_REPLAY_ROWS."""
    if max(layer.m, layer.k) > TABLE_LIMIT:
        raise LoopscapeError(f"layer {layer.name}: {layer.m:,} output pixels x {layer.k:,} window words: loopscape "
                             f"systolic handles at most {TABLE_LIMIT:,} of each (its address tables would not fit)")  # fmt: skip
    rows = demand_rows(config, layer)
    if (config.interface_bandwidth == "USER" or replay) and rows > MAX_REPLAY_ROWS:
        hint = "" if config.interface_bandwidth == "USER" else "; --no-dram-replay gives every other figure"
        raise LoopscapeError(f"layer {layer.name}: {rows:,} demand rows, too many to replay SCALE-Sim's "
                             f"buffers (at most {MAX_REPLAY_ROWS:,}){hint}")  # fmt: skip


@dataclass(frozen=True)
class _Piece:
    """One independent replay of a layer (its USER run, or a CALC operand's buffer), with its rough cost
    (reads walked) so that many layers' pieces can be scheduled largest first."""

    layer: int
    name: str
    cost: int
    work: Callable[[], object]


def _pieces(config: SystolicConfig, layer: Layer, i: int, replay: bool) -> list[_Piece]:
    """The replays layer `i` needs: the coupled USER run, or in CALC each read operand that overflows its
    active sets and the OFMAP write buffer (none without `replay`)."""
    _check(config, layer, replay)
    walked = demand_rows(config, layer) * min(config.array_height, config.array_width)
    if config.interface_bandwidth == "USER":
        return [_Piece(i, "user", 3 * walked, lambda: user_run(config, layer))]
    if not replay:
        return []
    pieces = [
        _Piece(i, op, walked, partial(replay_reads, config, layer, op))
        for op, stream in zip(OPERANDS, closed_form_reads(config, layer))
        if stream is None
    ]
    return [*pieces, _Piece(i, "ofmap", walked // 4, lambda: ofmap_dram_writes(config, layer))]


def _assemble(
    config: SystolicConfig, layer: Layer, result: SystolicResult, i: int, done: dict[str, object]
) -> LayerRun:
    """Layer `i`'s run from its finished pieces (`done`, by piece name) and the closed forms."""
    if config.interface_bandwidth == "USER":
        run = done["user"]
        assert isinstance(run, LayerRun)
        return run
    reads = sram_read_spans(config, layer)
    writes = sram_write_cycles(config, layer)
    assert writes is not None  # CALC mode
    ifmap, filt = (done.get(op, stream) for op, stream in zip(OPERANDS, closed_form_reads(config, layer)))
    ofmap, stalls = done.get("ofmap", (None, 0))  # type: ignore[misc]
    total = int(result.total_cycles[i]) + stalls
    return LayerRun(
        total_cycles=total,
        stall_cycles=stalls,
        ifmap_sram=reads[0],
        filter_sram=reads[1],
        ofmap_sram=writes,
        ifmap_dram=ifmap,  # type: ignore[arg-type]
        filter_dram=filt,  # type: ignore[arg-type]
        ofmap_dram=ofmap,
        physical_total_cycles=total,
        physical_stall_cycles=stalls,
    )


def run_layer(
    config: SystolicConfig, layer: Layer, result: SystolicResult, i: int, replay: bool = True
) -> LayerRun:
    """Layer `i` of `result` on `config`. CALC: SCALE-Sim never stalls on reads, so cycles and SRAM spans are
    closed forms and the read-DRAM streams are replayed only where the operand overflows the active buffer
    (`replay=False` leaves those and the OFMAP stream None and takes CALC's OFMAP stalls as 0, as every
    reference run had them). USER: the three buffers are replayed together, stalls included, as SCALE-Sim
    counts them and physically. A layer over MAX_REPLAY_ROWS demand rows is refused when it needs a replay."""
    return _assemble(config, layer, result, i, {p.name: p.work() for p in _pieces(config, layer, i, replay)})


def run_layers(
    config: SystolicConfig,
    layers: Sequence[Layer],
    result: SystolicResult,
    replay: bool = True,
    done: Callable[[int], None] | None = None,
) -> list[LayerRun]:
    """`run_layer` for every layer, in layer order. Every layer is checked first; then the replays of all
    layers (independent; they release the GIL) run on all cores, largest first, so that one big layer does
    not finish alone at the end. `done(i)` is called as layer i completes."""
    pieces = [p for i, layer in enumerate(layers) for p in _pieces(config, layer, i, replay)]
    left = [0] * len(layers)
    for p in pieces:
        left[p.layer] += 1
    finished: list[dict[str, object]] = [{} for _ in layers]
    runs: list[LayerRun | None] = [None] * len(layers)

    def complete(i: int) -> None:
        runs[i] = _assemble(config, layers[i], result, i, finished[i])
        if done is not None:
            done(i)

    for i in range(len(layers)):
        if left[i] == 0:
            complete(i)
    workers = max(1, min(len(pieces), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(p.work): p for p in sorted(pieces, key=lambda p: -p.cost)}
        for future in as_completed(futures):
            p = futures[future]
            finished[p.layer][p.name] = future.result()
            left[p.layer] -= 1
            if left[p.layer] == 0:
                complete(p.layer)
    return [run for run in runs if run is not None]
