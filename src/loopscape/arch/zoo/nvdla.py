"""An NVDLA-like weight-stationary array with spatial reduction: 1024 16-bit MACs, 64 input x 16 output channels.

A. Parashar et al., "Timeloop", ISPASS 2019: Table I lists the NVDLA-derived architecture as weight-stationary
with spatial reduction and a distributed, partitioned buffer hierarchy, built in 16 nm (its interconnect: "N/A",
none of Eyeriss's configurable multicast/unicast network); Sec. VIII-D gives it 1024 PEs (and Fig. 1 studies "a 1024-MAC architecture
similar to NVDLA"). The sizes below are those of NVIDIA's open NVDLA (nvdla.org):

- github.com/nvdla/hw README (nvdlav1 branch): the full-precision NVDLA "is fixed at 2048 8-bit MACs (or 1024
  16-bit fixed- or floating-point MACs)". We model the 16-bit configuration: 1024 MACs, 16-bit words.
- nvdla.org/hw/v1/hwarch.html, "Atomic-C" / "Atomic-K": the convolution MAC array (CMAC) has one MAC cell per
  output kernel of an atomic operation, each a dot product over atomic-C input channels reduced by the cell's
  adder tree. nv_full in 16-bit: 16 MAC cells (atomic-K = 16) of 64 multipliers (atomic-C = 64); the INT8 large
  configuration (nvdla.org/hw/v2/scalability.html, nv_large) runs the same multipliers as atomic-C = 64 x
  atomic-K = 32 = 2048 8-bit MACs. So the array is 64 wide (X: input channels, reduced spatially) by 16 high
  (Y: output channels, the input broadcast to all of them).
- nvdla.org/hw/v2/scalability.html (nv_large): the convolution buffer (CBUF) has 16 banks of 512 entries of
  64 bytes = 512 KiB, shared by the whole MAC array; it holds weights and input feature data.

Modelling choices (ours): NVDLA keeps partial sums in its convolution accumulator (CACC) between the MAC
array and the output processors; here the CBUF level may also keep partial sums (one on-chip level fed by and
feeding the array, standing in for CBUF + CACC), so the array's only fan-out sits directly above the PEs as the
`nvdla` dataflow preset expects. Each PE (one multiplier of a MAC cell) holds one weight in a one-word register
that keeps only weights (NVDLA latches an atomic's weights in the MAC cells while feature data streams past).
The CBUF's network multicasts (one input to the 16 cells) and reduces spatially (the cells' adder trees). No
bandwidth limits: performance is the MAC array's utilisation, as in Timeloop's peak-performance filter of Fig. 1.
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, Network, StorageLevel

WORD_BITS = 16  # nvdla/hw README: 1024 16-bit MACs in the full-precision configuration
ATOMIC_C = 64  # hwarch.html Atomic-C: input channels per MAC cell (nv_full, 16-bit)
ATOMIC_K = 16  # hwarch.html Atomic-K: MAC cells, one output kernel each (nv_full, 16-bit)
MACS = ATOMIC_C * ATOMIC_K  # 1024: the Timeloop paper's "1024 PEs" (Sec. VIII-D) and Fig. 1's 1024 MACs
CBUF_BYTES = 16 * 512 * 64  # scalability.html nv_large: 16 banks x 512 entries x 64 B = 512 KiB
TECHNOLOGY = "16nm"  # Timeloop paper, Table I: the NVDLA-derived architecture's node


def nvdla(technology: str = TECHNOLOGY) -> Architecture:
    """DRAM, a 512 KiB convolution buffer and 64 (input channels) x 16 (output channels) PEs with one-word
    weight registers, 16-bit words."""
    return Architecture(
        name="nvdla",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            StorageLevel(
                "CBUF",
                cls="SRAM",
                entries=CBUF_BYTES * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                network=Network(multicast=True, spatial_reduction=True),
            ),
            StorageLevel(
                "WeightReg",
                cls="register",
                instances=MACS,
                mesh_x=ATOMIC_C,
                entries=1,
                word_bits=WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
        ),
        compute=ComputeLevel("MAC", instances=MACS, mesh_x=ATOMIC_C, word_bits=WORD_BITS),
        technology=technology,
    )
