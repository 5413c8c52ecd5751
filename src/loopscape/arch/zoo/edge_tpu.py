"""An Edge-TPU-like weight-stationary systolic array: 64 x 64 8-bit MACs under 8 MiB of on-chip SRAM.

Google publishes the Edge TPU's (Coral's) peak rate and memory, not its array; what we use, and from where:

- Coral Edge TPU datasheets (coral.ai, USB / M.2 / PCIe accelerators): 4 TOPS peak in int8.
- Coral documentation, "Edge TPU Compiler", parameter data caching: "The Edge TPU has roughly 8 MB of SRAM that
  can cache the model's parameter data"; we model 8 MiB of on-chip SRAM holding any tensor.
- K. Seshadri, B. Akin, J. Laudon, R. Narayanaswami, A. Yazdanbakhsh, "An Evaluation of Edge TPU Accelerators for
  Convolutional Neural Networks", arXiv:2102.10423 (2021) / IISWC 2022: the Edge TPU computes on a
  weight-stationary systolic array, operands in 8 bits.
- The array shape is a third-party estimate (Q-engineering, "Google Coral Edge TPU explained in depth"): a
  64 x 64 systolic array at 480 MHz, which gives 64 * 64 * 2 ops * 0.48 GHz = 3.9 TOPS, the datasheet's 4 TOPS.

Modelling choices (ours): DRAM stands for the host memory behind USB / PCIe; one 8 MiB SRAM feeds the array
and may keep every tensor; each PE holds its weight in a one-word register (weights stay while inputs stream
through, as in TPU v1's cells, `zoo.tpu_like`); the SRAM's network multicasts inputs along a row and reduces
partial sums spatially down a column (the systolic array's data movement as multicast and reduction, as in
`zoo.tpu_like`). 8-bit words throughout (partial sums counted in the same words). The node is not published:
28 nm assumed (TPU v1's node). Dataflow preset: `weight-stationary`.
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, Network, StorageLevel

WORD_BITS = 8  # Seshadri et al. 2021: int8 operands (datasheet: 4 TOPS int8)
ARRAY = 64  # third-party estimate (Q-engineering): a 64 x 64 systolic array
PES = ARRAY * ARRAY  # 4096 MACs
SRAM_BYTES = 8 * 1024 * 1024  # Coral docs: "roughly 8 MB of SRAM"
CLOCK_GHZ = 0.48  # Q-engineering: 480 MHz; 4096 MACs * 2 ops * 0.48 GHz = 3.9 TOPS (datasheet: 4 TOPS)
TECHNOLOGY = "28nm"  # not published; TPU v1's node (Jouppi et al., ISCA 2017) assumed
PRESET = "weight-stationary"  # Seshadri et al. 2021: a weight-stationary systolic array


def edge_tpu(technology: str = TECHNOLOGY) -> Architecture:
    """DRAM, an 8 MiB SRAM and 64 x 64 PEs with one-word weight registers, 8-bit words, 480 MHz."""
    return Architecture(
        name="edge_tpu",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            StorageLevel(
                "SRAM",
                cls="SRAM",
                entries=SRAM_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                network=Network(multicast=True, spatial_reduction=True),
            ),
            StorageLevel(
                "WeightReg",
                cls="register",
                instances=PES,
                mesh_x=ARRAY,
                entries=1,
                word_bits=WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
        ),
        compute=ComputeLevel("MAC", instances=PES, mesh_x=ARRAY, word_bits=WORD_BITS),
        technology=technology,
        clock_ghz=CLOCK_GHZ,
    )
