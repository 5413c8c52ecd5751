"""Eyeriss as the Timeloop paper describes it.

A. Parashar et al., "Timeloop: A Systematic Approach to DNN Accelerator Evaluation", ISPASS 2019, Fig. 4:
256 PEs on a 16-wide mesh, each with a MAC unit and a private 256-entry register file ("RFile"), one
shared 128 KB global buffer ("GBuf") and a backing DRAM, all with 16-bit words. The chip itself
(Y.-H. Chen et al., "Eyeriss", ISCA 2016 / ISSCC 2016) was built in 65 nm, the node used by default here.

Two variants follow the paper's memory-hierarchy case study (Sec. VII-C, Fig. 13), which explores "(1) adding
an additional one-entry register at the innermost storage level, and (2) partitioning the shared RF into
separate ones for inputs, weights and partial sums ... the RFs for inputs and partial sums are allocated with
12 and 16 entries, respectively ... The rest of the entries are allocated for the weight":

- `eyeriss_register`: the shared 256-entry RFile plus one one-word register per PE below it ("Reg", the
  innermost storage level). The paper says "a one-entry register", singular, so it is one word shared by the
  three tensors: it may keep any of them, and since one word holds one tensor's tile at most, the mapper picks
  which one it keeps (the others bypass it and are read from the RFile), e.g. the partial sum accumulated over
  a filter row, or the weight reused along the output row.
- `eyeriss_partitioned`: the 256 RFile entries split into three per-PE register files, each keeping one
  tensor: "WeightRF" (256 - 12 - 16 = 228 entries, Weights), "InputRF" (12, Inputs) and "PsumRF" (16,
  Outputs). The model stacks storage levels, so the three are nested outermost to innermost in that order
  (a level's tile includes the loops of the levels inside it); with the row-stationary loops each holds what
  Eyeriss's spads hold (Chen et al., JSSC 2017): the weights of a few filters x channels x a filter row, the
  input window of those channels, and the partial sums of those filters.
"""

from __future__ import annotations

import dataclasses

from loopscape.arch.architecture import Architecture, ComputeLevel, StorageLevel

WORD_BITS = 16  # Fig. 4: word-bits = 16 at every level
PES = 256  # Fig. 4: arithmetic instances = 256
MESH_X = 16  # Fig. 4: RFile meshX = 16
RF_ENTRIES = 256  # Fig. 4: RFile entries = 256
GBUF_KB = 128  # Fig. 4: GBuf sizeKB = 128 (Timeloop's KB is 1024 bytes)
# Sec. VII-C: "the RFs for inputs and partial sums are allocated with 12 and 16 entries ... The rest of the
# entries are allocated for the weight"
INPUT_RF_ENTRIES = 12
PSUM_RF_ENTRIES = 16
WEIGHT_RF_ENTRIES = RF_ENTRIES - INPUT_RF_ENTRIES - PSUM_RF_ENTRIES  # 228
REGISTER_ENTRIES = 1  # Sec. VII-C: "an additional one-entry register at the innermost storage level"
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


def _pe_level(name: str, entries: int, cls: str = "regfile", keeps: str | None = None) -> StorageLevel:
    """A per-PE storage level (one instance per PE, on the PEs' 16-wide mesh)."""
    return StorageLevel(
        name,
        cls=cls,
        instances=PES,
        mesh_x=MESH_X,
        entries=entries,
        word_bits=WORD_BITS,
        keeps=None if keeps is None else frozenset({keeps}),
    )


def eyeriss_register(technology: str = TECHNOLOGY) -> Architecture:
    """Eyeriss with a one-word register per PE below the shared RFile (Timeloop, Sec. VII-C, Fig. 13 (2))."""
    base = eyeriss(technology)
    return dataclasses.replace(
        base,
        name="eyeriss_register",
        levels=(*base.levels, _pe_level("Reg", REGISTER_ENTRIES, cls="register")),
    )


def eyeriss_partitioned(technology: str = TECHNOLOGY) -> Architecture:
    """Eyeriss with its RFile partitioned into a 228-entry weight, a 12-entry input and a 16-entry partial-sum
    register file per PE (Timeloop, Sec. VII-C, Fig. 13 (3))."""
    base = eyeriss(technology)
    return dataclasses.replace(
        base,
        name="eyeriss_partitioned",
        levels=(
            *base.levels[:-1],
            _pe_level("WeightRF", WEIGHT_RF_ENTRIES, keeps="Weights"),
            _pe_level("InputRF", INPUT_RF_ENTRIES, keeps="Inputs"),
            _pe_level("PsumRF", PSUM_RF_ENTRIES, keeps="Outputs"),
        ),
    )
