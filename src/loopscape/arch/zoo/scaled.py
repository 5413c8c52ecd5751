"""The 1024-PE DianNao and Eyeriss of the Timeloop paper's Fig. 14, their area aligned with the NVDLA-like's.

A. Parashar et al., "Timeloop", ISPASS 2019, Sec. VIII-D: "Since NVDLA has more PEs (1024 PEs) than the
nominal configurations of DianNao and Eyeriss (256 PEs), we also model scaled variants of DianNao and Eyeriss
with 1024 PEs each. Increasing the number of PEs scales the multipliers, buffers and network [...] Therefore, we
then adjust the buffer sizes to align the final area with NVDLA."

How we scaled and aligned (areas from loopscape's default ART, `energy.defaults.default_table(arch).area`, summed
over instances as `Result.area_um2` and `loopscape zoo` sum them; all at NVDLA's 16 nm, the node the
alignment is done at; the node scales every component's area by the same factor, so the alignment holds at any
node when the NVDLA-like is built at the same one). The NVDLA-like (`zoo.nvdla`) is 0.6117 mm^2.

- DianNao, 1024 PEs: the NFU grows from Tn = 16 to Tn = 32 (32 x 32 multipliers, 32 adder trees of 32 inputs,
  ports 32 / 32 / 1024 words wide); scaling the buffers with the PEs (x4: NBin 8 KB, NBout 8 KB, SB 128 KB) gives
  0.329 mm^2, 54% of NVDLA's. Keeping DianNao's 1 : 1 : 16 buffer ratio, NBin = NBout = 28 KB and SB = 448 KB
  (504 KB on chip) give 0.6056 mm^2, -1.0% from NVDLA (29 / 29 / 464 KB would be +1.3%).
- Eyeriss, 1024 PEs: a 32 x 32 mesh of PEs. Here an Eyeriss PE's 256-entry register file alone is 6,093 um^2, so
  1024 of them (6.2 mm^2) are ten times NVDLA's whole area (even the nominal 256-PE Eyeriss is 2.8x NVDLA's area
  at 16 nm); aligning the area takes shrinking the register file, not only the global buffer. A 16-entry register
  file (384 um^2 per PE) and a 32 KB global buffer give 0.6113 mm^2, -0.07% from NVDLA. The price: a PE can
  no longer hold a whole filter row, an input row and a partial sum (R + R + 1 words) of a filter wider than 7
  (AlexNet CONV1, R = 11: 23 words), so there the mapper refills a shorter piece of the row (uneven cuts); the
  smallest register file holding CONV1's rows (24 entries) would put the area 29% above NVDLA's.

Dataflow presets: `nvdla` for the scaled DianNao (as `zoo.diannao`), `row-stationary` for the scaled Eyeriss
(as `zoo.eyeriss`).
"""

from __future__ import annotations

from loopscape.arch.architecture import Architecture, ComputeLevel, StorageLevel
from loopscape.arch.zoo.diannao import build_diannao
from loopscape.arch.zoo.eyeriss import WORD_BITS as EYERISS_WORD_BITS

PES = 1024  # Timeloop paper, Sec. VIII-D: the scaled variants have 1024 PEs each, as NVDLA
TECHNOLOGY = "16nm"  # the NVDLA-like's node (Timeloop paper, Table I), at which the areas are aligned

DIANNAO_TN = 32  # 32 x 32 = 1024 multipliers
DIANNAO_NBIN_BYTES = 28 * 1024  # area-aligned (module docstring): 28 KB
DIANNAO_NBOUT_BYTES = 28 * 1024  # area-aligned: 28 KB
DIANNAO_SB_BYTES = 448 * 1024  # area-aligned: 448 KB (16x NBin, DianNao's SB : NBin ratio)
DIANNAO_PRESET = "nvdla"

EYERISS_MESH_X = 32  # a 32 x 32 mesh (the nominal one is 16 x 16)
EYERISS_RF_ENTRIES = 16  # area-aligned (module docstring): 16 entries (nominal: 256)
EYERISS_GBUF_BYTES = 32 * 1024  # area-aligned: 32 KB (nominal: 128 KB)
EYERISS_PRESET = "row-stationary"


def diannao_1024(technology: str = TECHNOLOGY) -> Architecture:
    """DianNao with a 32 x 32 NFU, NBin 28 KB, NBout 28 KB and SB 448 KB: 1024 PEs in NVDLA's area."""
    return build_diannao(
        "diannao_1024",
        DIANNAO_TN,
        DIANNAO_NBIN_BYTES,
        DIANNAO_NBOUT_BYTES,
        DIANNAO_SB_BYTES,
        technology,
    )


def eyeriss_1024(technology: str = TECHNOLOGY) -> Architecture:
    """Eyeriss with 32 x 32 PEs, 16-entry register files and a 32 KB global buffer: 1024 PEs in NVDLA's area."""
    bits = EYERISS_WORD_BITS
    return Architecture(
        name="eyeriss_1024",
        levels=(
            StorageLevel("DRAM", cls="DRAM", word_bits=bits),
            StorageLevel("GBuf", cls="SRAM", entries=EYERISS_GBUF_BYTES * 8 // bits, word_bits=bits),
            StorageLevel(
                "RFile",
                cls="regfile",
                instances=PES,
                mesh_x=EYERISS_MESH_X,
                entries=EYERISS_RF_ENTRIES,
                word_bits=bits,
            ),
        ),
        compute=ComputeLevel("MAC", instances=PES, mesh_x=EYERISS_MESH_X, word_bits=bits),
        technology=technology,
    )
