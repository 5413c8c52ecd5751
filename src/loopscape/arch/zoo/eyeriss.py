"""Eyeriss as the Timeloop paper describes it.

A. Parashar et al., "Timeloop: A Systematic Approach to DNN Accelerator Evaluation", ISPASS 2019, Fig. 4:
256 PEs on a 16-wide mesh, each with a MAC unit and a private 256-entry register file ("RFile"), one
shared 128 KB global buffer ("GBuf") and a backing DRAM, all with 16-bit words. The chip itself
(Y.-H. Chen et al., "Eyeriss", ISCA 2016 / ISSCC 2016) was built in 65 nm, the node used by default here.
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, StorageLevel

WORD_BITS = 16  # Fig. 4: word-bits = 16 at every level
PES = 256  # Fig. 4: arithmetic instances = 256
MESH_X = 16  # Fig. 4: RFile meshX = 16
RF_ENTRIES = 256  # Fig. 4: RFile entries = 256
GBUF_KB = 128  # Fig. 4: GBuf sizeKB = 128 (Timeloop's KB is 1024 bytes)
TECHNOLOGY = "65nm"  # Chen et al. 2016; the paper's Sec. VI-B compares it with its 16 nm model


def eyeriss(technology: str = TECHNOLOGY) -> Architecture:
    """DRAM, a 128 KB global buffer and 16x16 PEs with 256-entry register files and 16-bit MACs."""
    return Architecture(
        name="eyeriss",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=WORD_BITS),
            StorageLevel("GBuf", cls="SRAM", entries=GBUF_KB * 1024 * 8 // WORD_BITS, word_bits=WORD_BITS),
            StorageLevel(
                "RFile", cls="regfile", instances=PES, mesh_x=MESH_X, entries=RF_ENTRIES, word_bits=WORD_BITS
            ),
        ),
        compute=ComputeLevel("MAC", instances=PES, mesh_x=MESH_X, word_bits=WORD_BITS),
        technology=technology,
    )
