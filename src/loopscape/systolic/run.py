"""One layer's full SCALE-Sim figures in either bandwidth mode: the closed form (systolic.model) for the
compute side, the replays (systolic.dram, systolic.replay) for the memory side."""

from __future__ import annotations

from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.systolic.demand import sram_write_cycles
from loopscape.systolic.dram import dram_reads, ofmap_dram_writes
from loopscape.systolic.model import SystolicResult
from loopscape.systolic.replay import sram_read_spans, user_run
from loopscape.systolic.streams import LayerRun


def run_layer(
    config: SystolicConfig, layer: Layer, result: SystolicResult, i: int, replay: bool = True
) -> LayerRun:
    """Layer `i` of `result` on `config`. CALC: SCALE-Sim never stalls on reads, so cycles and SRAM spans are
    closed forms and the read-DRAM streams are replayed only where the operand overflows the active buffer
    (`replay=False` leaves those None). USER: the three buffers are replayed together, stalls included, as
    SCALE-Sim counts them and physically."""
    if config.interface_bandwidth == "USER":
        return user_run(config, layer)
    reads = sram_read_spans(config, layer)
    writes = sram_write_cycles(config, layer)
    assert writes is not None  # CALC mode
    ifmap, filt = dram_reads(config, layer, replay=replay)
    ofmap, stalls = ofmap_dram_writes(config, layer)
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
