"""Small SCALE-Sim inputs for the systolic tests, written on the fly: the repository's stock scale.cfg layout, a tiny conv and GEMM topology."""

from __future__ import annotations

from pathlib import Path

# The layout of SCALE-Sim's stock configs/scale.cfg (notes section 2), with a 4 x 4 array.
CFG = """\
[general]
run_name = tiny

[architecture_presets]
ArrayHeight:    4
ArrayWidth:     4
IfmapSramSzkB:    64
FilterSramSzkB:   64
OfmapSramSzkB:    64
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 10
Dataflow : {dataflow}
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 100
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 100
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""

# SCALE-Sim's conv topology header and rows, each ending with a trailing comma.
CONV = """\
Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
small, 5, 5, 3, 3, 2, 4, 1,
s2, 7, 8, 3, 3, 1, 2, 2,
"""

GEMM = """\
Layer, M, N, K,
g0, 9, 4, 18,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
