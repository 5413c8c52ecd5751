"""An Evolver-like accelerator as the COAC paper sets it up: 16 x 16 PEs, a 256 KB weight buffer with a 4096-bit
port and a 156 KB activation buffer with a 1024-bit port, 16 nm.

COAC ("Cross-layer Optimization of Accelerator Configurability for Efficient CNN Processing", shared/seeds/004),
Sec. V-A: "An accelerator architecture template with the same memory hierarchy as Evolver [18] (a 256KB weight
buffer with 4096b port width and a 156KB activation buffer with 1024b port width) is assumed in TSMC 16nm. The
architecture contains 16x16 = 256 PEs." [18]: F. Tu et al., "Evolver: A Deep Learning Processor with On-Device
Quantization-Voltage-Frequency Tuning", IEEE JSSC 56(2), 2021. Sec. VI-A: Evolver's spatial unrollings
"only vary in unrolling in C and K".

Modelling choices (ours):

- 8-bit words (Evolver's widest weight and activation precision; our copy of COAC elides its word widths), so
  the weight port moves 4096 / 8 = 512 words per cycle and the activation port 1024 / 8 = 128. Each buffer has
  one port, so the figure is a shared read + write bandwidth.
- The weight buffer keeps weights only; the activation buffer keeps the layer's input and output activations
  (Inputs and Outputs: one layer's output feature map is the next one's input), as two levels,
  DRAM > weight buffer > activation buffer, whose network fans out to the array: multicast, and spatial reduction
  over the input channels (COAC's output adder tree, Sec. III).
- Each PE holds its weight in a one-word register (COAC's L1 weight registers in front of the array).
- Dataflow preset: `nvdla` (weight-stationary with input channels C across mesh X, spatially reduced, and output
  channels K across mesh Y): a C x K spatial unrolling, the family Evolver's unrollings belong to.
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, Network, StorageLevel

WORD_BITS = 8  # Tu et al. 2021: up to 8-bit operands (ours: 8-bit words throughout)
ARRAY = 16  # COAC Sec. V-A: 16x16 = 256 PEs
PES = ARRAY * ARRAY
WEIGHT_BUFFER_BYTES = 256 * 1024  # COAC Sec. V-A: 256 KB weight buffer
WEIGHT_PORT_BITS = 4096  # COAC Sec. V-A: 4096b port
ACTIVATION_BUFFER_BYTES = 156 * 1024  # COAC Sec. V-A: 156 KB activation buffer
ACTIVATION_PORT_BITS = 1024  # COAC Sec. V-A: 1024b port
TECHNOLOGY = "16nm"  # COAC Sec. V-A: TSMC 16nm
PRESET = "nvdla"  # weight-stationary, C across X (reduced), K across Y: a C x K unrolling


def evolver(technology: str = TECHNOLOGY) -> Architecture:
    """DRAM, a 256 KB weight buffer (512 words/cycle), a 156 KB activation buffer (128 words/cycle) and
    16 x 16 PEs with one-word weight registers, 8-bit words."""
    return Architecture(
        name="evolver",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            StorageLevel(
                "WeightBuffer",
                cls="SRAM",
                entries=WEIGHT_BUFFER_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                shared_bandwidth=WEIGHT_PORT_BITS // WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
            StorageLevel(
                "ActivationBuffer",
                cls="SRAM",
                entries=ACTIVATION_BUFFER_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                shared_bandwidth=ACTIVATION_PORT_BITS // WORD_BITS,
                keeps=frozenset({"Inputs", "Outputs"}),
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
    )
