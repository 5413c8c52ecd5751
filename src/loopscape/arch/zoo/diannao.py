"""A DianNao-like accelerator: a 16 x 16 neural functional unit (NFU) fed by three split on-chip buffers, 16-bit.

T. Chen et al., "DianNao: A Small-Footprint High-Throughput Accelerator for Ubiquitous Machine-Learning",
ASPLOS 2014, Sec. 4: the NFU has Tn = 16 hardware neurons of Tn = 16 synapses each, i.e. Tn x Tn = 256 16-bit
multipliers (NFU-1) whose products are summed by Tn adder trees of Tn inputs (NFU-2); Tn input neurons are
broadcast to the Tn output neurons. Three split buffers feed it: NBin (input neurons) 2 KB, NBout (output
neurons and their partial sums) 2 KB and SB (synapses, i.e. weights) 32 KB, each row Tn (NBin, NBout) or
Tn x Tn (SB) words wide; 16-bit fixed point; 65 nm at 0.98 GHz (Sec. 5).

Modelling choices (ours):

- The split buffers are three single-instance levels that each keep one tensor (`keeps`), stacked
  DRAM > SB > NBin > NBout above the array (in a loop-nest model a level the other tensors bypass is equivalent to
  a sibling buffer); NBout's network fans out to the NFU: multicast (an input neuron to the Tn output neurons,
  mesh Y) and spatial reduction (the adder trees, over Tn input neurons on mesh X).
- Each multiplier latches its synapse in a one-word register that keeps only weights (NFU-1's synapse input).
- Port widths as bandwidths in words per cycle: NBin and NBout Tn reads (NBout also Tn writes), SB Tn x Tn reads.
- Dataflow preset: `nvdla` (weight-stationary with input channels C across mesh X, spatially reduced, and
  output channels K across mesh Y): DianNao's Tn x Tn NFU is organised as NVDLA's MAC array is, and the Timeloop
  paper (Parashar et al., ISPASS 2019, Sec. VIII-D) groups the two as mapping input channels spatially across PEs.
  Under that preset every loop over output positions runs at NBout, so a layer whose output (or input) planes
  exceed 2 KB has the mapper bypass NBout (or NBin) and stream those words from DRAM.
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, Network, StorageLevel

WORD_BITS = 16  # Chen et al. 2014, Sec. 4: 16-bit fixed-point neurons and synapses
TN = 16  # Sec. 4: Tn = 16 (16 hardware neurons x 16 synapses)
PES = TN * TN  # 256 multipliers in NFU-1
NBIN_BYTES = 2 * 1024  # Sec. 4: NBin 2 KB
NBOUT_BYTES = 2 * 1024  # Sec. 4: NBout 2 KB
SB_BYTES = 32 * 1024  # Sec. 4: SB 32 KB
CLOCK_GHZ = 0.98  # Sec. 5: the 65 nm layout runs at 0.98 GHz
TECHNOLOGY = "65nm"  # Sec. 5: TSMC 65 nm
PRESET = "nvdla"  # weight-stationary, C across X (the adder trees), K across Y (input broadcast)


def build_diannao(
    name: str,
    tn: int,
    nbin_bytes: int,
    nbout_bytes: int,
    sb_bytes: int,
    technology: str,
    clock_ghz: float = CLOCK_GHZ,
) -> Architecture:
    """A DianNao-organised accelerator with a tn x tn NFU and the given buffer sizes (the nominal design and
    the scaled one of the Timeloop paper's Fig. 14 share this)."""
    return Architecture(
        name=name,
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            StorageLevel(
                "SB",
                cls="SRAM",
                entries=sb_bytes * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                read_bandwidth=tn * tn,
                keeps=frozenset({"Weights"}),
            ),
            StorageLevel(
                "NBin",
                cls="SRAM",
                entries=nbin_bytes * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                read_bandwidth=tn,
                keeps=frozenset({"Inputs"}),
            ),
            StorageLevel(
                "NBout",
                cls="SRAM",
                entries=nbout_bytes * 8 // WORD_BITS,
                word_bits=WORD_BITS,
                read_bandwidth=tn,
                write_bandwidth=tn,
                keeps=frozenset({"Outputs"}),
                network=Network(multicast=True, spatial_reduction=True),
            ),
            StorageLevel(
                "SynapseReg",
                cls="register",
                instances=tn * tn,
                mesh_x=tn,
                entries=1,
                word_bits=WORD_BITS,
                keeps=frozenset({"Weights"}),
            ),
        ),
        compute=ComputeLevel("MAC", instances=tn * tn, mesh_x=tn, word_bits=WORD_BITS),
        technology=technology,
        clock_ghz=clock_ghz,
    )


def diannao(technology: str = TECHNOLOGY) -> Architecture:
    """DRAM, SB 32 KB (weights), NBin 2 KB (inputs), NBout 2 KB (outputs) and a 16 x 16 NFU with one-word synapse
    registers, 16-bit words."""
    return build_diannao("diannao", TN, NBIN_BYTES, NBOUT_BYTES, SB_BYTES, technology)
