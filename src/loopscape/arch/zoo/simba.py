"""A Simba-like multi-chip-module accelerator: one chiplet by default (16 PEs of 8 x 8 8-bit MACs), or a package.

Y. S. Shao et al., "Simba: Scaling Deep-Learning Inference with Multi-Chip-Module-Based Architecture", MICRO
2019 (its chiplet and PE organisation, Fig. 3 and the text around it): a package of 6 x 6 = 36 chiplets; each chiplet has 16 PEs (a 4 x 4 array) and a global
PE with a 64 KB global buffer; each PE has 8 vector MAC units of 8 lanes (8-bit weights and activations,
24-bit accumulation), a 32 KB weight buffer, an 8 KB input buffer and a 3 KB accumulation buffer. TSMC 16 nm.

`simba()` is one chiplet (1024 MACs, the NVDLA-like's count); `simba(chiplets_x=2)` a 2 x 2 package and
`simba(chiplets_x=6)` the full 36-chiplet package (36,864 MACs), each chiplet with its own global buffer.

Modelling choices (ours), after Timeloop's `simba_like` example (NVlabs/timeloop,
workspace/example_designs/example_designs/simba_like/arch.yaml):
the global buffer keeps inputs and outputs (weights go from DRAM straight to the PEs' weight buffers); in each
PE, three levels that each keep one tensor, input buffer > weight buffer > accumulation buffer (3 KB of 24-bit
words = 1024 partial sums), then a one-word weight register per MAC (Simba's weight collectors). The PE's
8 x 8 MACs: lanes (mesh X) reduce over input channels inside a vector MAC, the 8 vector MACs (mesh Y) share
the inputs for 8 output channels. Every level's network multicasts and reduces spatially; the package's
chiplet-to-chiplet links are the DRAM level's fan-out, priced as any network. Dataflow preset: `nvdla`
(weight-stationary with input channels C across mesh X, reduced, and output channels K across mesh Y, which
is how a PE's vector MACs are organised; the spread over PEs and chiplets is the mapper's choice).
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, StorageLevel
from loopscape.errors import SpecError

WORD_BITS = 8  # Shao et al. 2019: 8-bit weights and activations
ACCUMULATOR_BITS = 24  # Shao et al. 2019: 24-bit accumulation
PACKAGE_CHIPLETS_X = 6  # Shao et al.: a 6 x 6 package of 36 chiplets
PE_MESH_X = 4  # Shao et al.: 16 PEs per chiplet, a 4 x 4 array
PES_PER_CHIPLET = PE_MESH_X * PE_MESH_X
LANES = 8  # Shao et al.: each vector MAC is 8 lanes wide (mesh X)
VECTOR_MACS = 8  # Shao et al.: 8 vector MAC units per PE (mesh Y)
MACS_PER_PE = LANES * VECTOR_MACS  # 64
GLOBAL_BUFFER_BYTES = 64 * 1024  # Shao et al.: 64 KB global buffer per chiplet
INPUT_BUFFER_BYTES = 8 * 1024  # Shao et al.: 8 KB input buffer per PE
WEIGHT_BUFFER_BYTES = 32 * 1024  # Shao et al.: 32 KB weight buffer per PE
ACCUMULATION_BUFFER_BYTES = 3 * 1024  # Shao et al.: 3 KB accumulation buffer per PE
TECHNOLOGY = "16nm"  # Shao et al.: TSMC 16 nm FinFET
PRESET = "nvdla"  # weight-stationary, C across the lanes (reduced), K across the vector MACs


def simba(technology: str = TECHNOLOGY, chiplets_x: int = 1) -> Architecture:
    """`chiplets_x` x `chiplets_x` chiplets (1: one chiplet), each a 64 KB global buffer over 4 x 4 PEs with an 8 KB
    input, a 32 KB weight and a 3 KB accumulation buffer and 8 x 8 MACs with one-word weight registers."""
    if not isinstance(chiplets_x, int) or isinstance(chiplets_x, bool) or chiplets_x < 1:
        raise SpecError("simba.chiplets_x", chiplets_x, "a positive integer (6: the full 6 x 6 package)")
    chiplets = chiplets_x * chiplets_x
    pes, pe_x = chiplets * PES_PER_CHIPLET, chiplets_x * PE_MESH_X
    macs, mac_x = pes * MACS_PER_PE, pe_x * LANES
    name = "simba" if chiplets_x == 1 else f"simba_{chiplets_x}x{chiplets_x}"
    return Architecture(
        name=name,
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            StorageLevel(
                "GlobalBuffer",
                cls="SRAM",
                instances=chiplets,
                mesh_x=chiplets_x,
                entries=GLOBAL_BUFFER_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                keeps=frozenset({"Inputs", "Outputs"}),
            ),
            StorageLevel(
                "PEInputBuffer",
                cls="SRAM",
                instances=pes,
                mesh_x=pe_x,
                entries=INPUT_BUFFER_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                keeps=frozenset({"Inputs"}),
            ),
            StorageLevel(
                "PEWeightBuffer",
                cls="SRAM",
                instances=pes,
                mesh_x=pe_x,
                entries=WEIGHT_BUFFER_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
            StorageLevel(
                "PEAccuBuffer",
                cls="SRAM",
                instances=pes,
                mesh_x=pe_x,
                entries=ACCUMULATION_BUFFER_BYTES * 8 // ACCUMULATOR_BITS,
                word_bits=ACCUMULATOR_BITS,
                keeps=frozenset({"Outputs"}),
            ),
            StorageLevel(
                "PEWeightRegs",
                cls="register",
                instances=macs,
                mesh_x=mac_x,
                entries=1,
                word_bits=WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
        ),
        compute=ComputeLevel("MAC", instances=macs, mesh_x=mac_x, word_bits=WORD_BITS),
        technology=technology,
    )
