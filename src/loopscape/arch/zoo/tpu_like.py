"""A TPU-like weight-stationary systolic array, scaled down.

N. P. Jouppi et al., "In-Datacenter Performance Analysis of a Tensor Processing Unit", ISCA 2017, Sec. 2 and
Fig. 1/4: a 256x256 systolic array of 8-bit MACs; each cell holds one weight (weights are preloaded from
off-chip memory through the weight FIFO, so they bypass the on-chip Unified Buffer), activations stream in
from the 24 MiB Unified Buffer and partial sums flow down the array. The chip was built in 28 nm.

Scaled down as in ZigZag's example `inputs/hardware/tpu_like.yaml` (zigzag-dse 3.9.1): a 32x32 array, one
2 MB on-chip SRAM shared by the whole array that holds inputs and outputs only (weights bypass it), and DRAM.
Per PE, as in TPU v1's cells, a one-word weight register (keeps only Weights; ZigZag's example gives it
128 bytes instead) and a one-word output register (keeps only Outputs), as two levels that each keep one
tensor. The register order (weights above outputs) lets even mappings be weight-stationary: loops over
dimensions the weights do not use can run inside the weight register's tile. 8-bit words throughout (TPU
v1's operands; partial sums are counted in the same words); the SRAM and DRAM move 64-bit blocks (the
port width of ZigZag's example).
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, StorageLevel

WORD_BITS = 8  # Jouppi et al.: 8-bit weights and activations
ARRAY = 32  # ZigZag tpu_like.yaml: operational_array sizes [32, 32] (TPU v1: 256x256)
SRAM_BYTES = 2 * 1024 * 1024  # ZigZag tpu_like.yaml: sram_2MB, 16777216 bits (TPU v1: 24 MiB Unified Buffer)
BLOCK_WORDS = 64 // WORD_BITS  # ZigZag tpu_like.yaml: 64-bit SRAM and DRAM ports
TECHNOLOGY = "45nm"  # the built-in energy tables' node (TPU v1 itself: 28 nm)


def tpu_like(technology: str = TECHNOLOGY) -> Architecture:
    """DRAM, a 2 MB SRAM for inputs and outputs, and 32x32 PEs with a weight register and an output register."""
    pes = ARRAY * ARRAY
    return Architecture(
        name="tpu_like",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS, block_size=BLOCK_WORDS),
            StorageLevel(
                "SRAM",
                cls="SRAM",
                entries=SRAM_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                block_size=BLOCK_WORDS,
                keeps=frozenset({"Inputs", "Outputs"}),
            ),
            StorageLevel(
                "WeightReg",
                cls="register",
                instances=pes,
                mesh_x=ARRAY,
                entries=1,
                word_bits=WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
            StorageLevel(
                "OutputReg",
                cls="register",
                instances=pes,
                mesh_x=ARRAY,
                entries=1,
                word_bits=WORD_BITS,
                keeps=frozenset({"Outputs"}),
            ),
        ),
        compute=ComputeLevel("MAC", instances=pes, mesh_x=ARRAY, word_bits=WORD_BITS),
        technology=technology,
    )
