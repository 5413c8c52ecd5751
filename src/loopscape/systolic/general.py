"""A SCALE-Sim systolic array in loopscape's general model: an architecture with neighbour forwarding and a
dataflow preset, so the same array can be mapped, costed and searched like any other design.

The array: DRAM, SCALE-Sim's three SRAMs as three levels that each keep one operand (filter, IFMAP, OFMAP,
with its sizes in 1-byte words, and one word per edge port per cycle to the array), and rows x cols PEs, each with a register for one word of every operand,
fed by a network that forwards words between neighbours instead of multicasting them (the systolic links).
The dataflow is a preset plus SCALE-Sim's placement of the matrix dimensions on the array:

* os: output-stationary; rows take output pixels (P, Q), columns filters (K); the reduction (C, R, S) runs
  in time in each PE.
* ws: weight-stationary; rows take the reduction (C, R, S), columns filters (K); output pixels stream.
* is: input-stationary; rows take the reduction (C, R, S), columns output pixels (P, Q); filters stream.

What the two models share and where they differ is in docs/systolic.md.
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.mapping.constraints import PRESETS, Constraints, LevelConstraint
from loopscape.systolic.config import Layer, SystolicConfig
from loopscape.workload import Workload
from loopscape.workload.layers import conv2d

WORD_BITS = 8  # SCALE-Sim: one byte per word
PE_REGISTER_WORDS = 3  # one word of each operand per PE
PRESET = {"os": "output-stationary", "ws": "weight-stationary", "is": "input-stationary"}
# (mesh X = the array's columns, mesh Y = its rows): the loop dimensions each may spread
AXES = {
    "os": (frozenset({"K"}), frozenset({"P", "Q"})),
    "ws": (frozenset({"K"}), frozenset({"C", "R", "S"})),
    "is": (frozenset({"P", "Q"}), frozenset({"C", "R", "S"})),
}


# Words per cycle each SRAM exchanges with the array, (IFMAP reads, filter reads, OFMAP writes): one per port on
# the edge it feeds, as SCALE-Sim's demand matrices have one column per port (os: IFMAP enters on the rows,
# filters on the columns, outputs drain by columns; ws: weights load a row of columns at a time; is: inputs
# likewise). The SRAMs' DRAM side is not limited: SCALE-Sim's CALC mode sizes DRAM bandwidth to never stall.
EDGE_WORDS = {
    "os": lambda r, c: (r, c, c),
    "ws": lambda r, c: (r, c, c),
    "is": lambda r, c: (c, r, c),
}


def systolic_architecture(config: SystolicConfig) -> Architecture:
    """`config`'s array as a loopscape architecture (its name is the config's run name)."""
    rows, cols = config.array_height, config.array_width
    edge = EDGE_WORDS[config.dataflow](rows, cols)

    def sram(name: str, kb: int, tensor: str, read: int | None, write: int | None, network: Network | None = None
             ) -> StorageLevel:  # fmt: skip
        return StorageLevel(name, cls="SRAM", entries=kb * 1024, word_bits=WORD_BITS, read_bandwidth=read,
                            write_bandwidth=write, keeps=frozenset({tensor}), network=network or Network())  # fmt: skip

    systolic_links = Network(multicast=False, spatial_reduction=True, forwarding=True)
    return Architecture(
        name=f"systolic_{config.run_name}",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            sram("FilterSRAM", config.filter_sram_kb, "Weights", edge[1], None),
            sram("IfmapSRAM", config.ifmap_sram_kb, "Inputs", edge[0], None),
            sram("OfmapSRAM", config.ofmap_sram_kb, "Outputs", None, edge[2], systolic_links),
            StorageLevel(
                "PEReg",
                cls="register",
                instances=rows * cols,
                mesh_x=cols,
                entries=PE_REGISTER_WORDS,
                word_bits=WORD_BITS,
            ),
        ),
        compute=ComputeLevel("MAC", instances=rows * cols, mesh_x=cols, word_bits=WORD_BITS),
    )


def systolic_constraints(config: SystolicConfig, arch: Architecture, workload: Workload) -> Constraints:
    """The dataflow preset of `config` on `arch`, with SCALE-Sim's dimensions on the array's two axes and each
    SRAM holding its operand (as SCALE-Sim's always do)."""
    x, y = AXES[config.dataflow]
    preset = PRESETS[PRESET[config.dataflow]](arch, workload)
    systolic = (
        LevelConstraint("OfmapSRAM", spatial_x=x, spatial_y=y, keep=frozenset({"Outputs"})),
        LevelConstraint("IfmapSRAM", keep=frozenset({"Inputs"})),
        LevelConstraint("FilterSRAM", keep=frozenset({"Weights"})),
    )
    return preset.merged(Constraints(systolic, f"SCALE-Sim {config.dataflow} array"))


def layer_workload(layer: Layer) -> Workload:
    """A SCALE-Sim topology row as a loopscape convolution (its IFMAP already padded, as SCALE-Sim takes it)."""
    return conv2d(layer.name, K=layer.num_filter, C=layer.channels, P=layer.ofmap_h, Q=layer.ofmap_w,
                  R=layer.filter_h, S=layer.filter_w, stride=layer.stride)  # fmt: skip
