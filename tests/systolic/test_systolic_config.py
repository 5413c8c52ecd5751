"""SCALE-Sim's .cfg and topology CSVs read with its meaning; malformed files name the file and key or line."""

from __future__ import annotations

from pathlib import Path

import pytest
from systolic_inputs import CFG, CONV, GEMM, write

from loopscape.errors import SpecError
from loopscape.systolic.config import read_config, read_conv_topology, read_gemm_topology, read_topology


def test_config_fields(tmp_path: Path) -> None:
    cfg = read_config(write(tmp_path, "a.cfg", CFG.format(dataflow="ws")))
    assert (cfg.run_name, cfg.array_height, cfg.array_width, cfg.pes) == ("tiny", 4, 4, 16)
    assert (cfg.ifmap_sram_kb, cfg.filter_sram_kb, cfg.ofmap_sram_kb) == (64, 64, 64)
    assert (cfg.ifmap_offset, cfg.filter_offset, cfg.ofmap_offset) == (0, 10_000_000, 20_000_000)
    # Bandwidth is read in USER mode only, as SCALE-Sim does
    assert (cfg.dataflow, cfg.bandwidth, cfg.interface_bandwidth) == ("ws", (), "CALC")
    assert (cfg.memory_banks, cfg.read_request_buffer, cfg.write_request_buffer) == (1, 32, 32)
    assert (cfg.ifmap_bank_bandwidth, cfg.ifmap_bank_num, cfg.ifmap_bank_port) == (100, 1, 2)
    assert (cfg.filter_bank_bandwidth, cfg.filter_bank_num, cfg.filter_bank_port) == (100, 1, 2)
    assert not (cfg.ifmap_custom_layout or cfg.filter_custom_layout or cfg.sparsity_support)
    assert not cfg.use_ramulator_trace
    user = read_config(write(tmp_path, "u.cfg", CFG.format(dataflow="is").replace("CALC", "USER")))
    assert (user.bandwidth, user.interface_bandwidth) == ((10,), "USER")


def test_conv_topology(tmp_path: Path) -> None:
    topo = read_conv_topology(write(tmp_path, "t.csv", CONV))
    small, s2 = topo.layers
    assert (small.name, small.m, small.n, small.k) == ("small", 9, 4, 18)
    # ceil((H - R + s) / s): (7 - 3 + 2) / 2 = 3, ceil((8 - 3 + 2) / 2) = 4
    assert (s2.ofmap_h, s2.ofmap_w, s2.m, s2.k) == (3, 4, 12, 9)


def test_gemm_topology_is_a_conv(tmp_path: Path) -> None:
    (g,) = read_topology(write(tmp_path, "g.csv", GEMM), kind="gemm").layers
    assert (g.m, g.n, g.k, g.macs) == (9, 4, 18, 9 * 4 * 18)


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (("ArrayWidth:     4\n", ""), "[architecture_presets] ArrayWidth"),
        (("ArrayHeight:    4", "ArrayHeight:    four"), "[architecture_presets] ArrayHeight"),
        (("ArrayHeight:    4", "ArrayHeight:    0"), "[architecture_presets] ArrayHeight"),
        (("Dataflow : os", "Dataflow : rs"), "[architecture_presets] Dataflow"),
        (("InterfaceBandwidth: USER", "InterfaceBandwidth: FAST"), "[run_presets] InterfaceBandwidth"),
        (("Bandwidth : 10", "Bandwidth : x"), "[architecture_presets] Bandwidth"),  # read in USER mode
        (("run_name = tiny", ""), "[general] run_name"),
        (("WriteRequestBuffer: 32", ""), "[architecture_presets] WriteRequestBuffer"),
        (("FilterSRAMBankPort: 2", ""), "[layout] FilterSRAMBankPort"),
        (("IfmapCustomLayout: False", "IfmapCustomLayout: maybe"), "[layout] IfmapCustomLayout"),
        (("SparsitySupport : false", ""), "[sparsity] SparsitySupport"),
    ],
)
def test_bad_config(tmp_path: Path, edit: tuple[str, str], where: str) -> None:
    text = CFG.format(dataflow="os").replace("InterfaceBandwidth: CALC", "InterfaceBandwidth: USER")
    path = write(tmp_path, "bad.cfg", text.replace(*edit))
    with pytest.raises(SpecError) as e:
        read_config(path)
    assert (e.value.file, e.value.path) == (str(path), where)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (CONV.replace("small, 5, 5, 3, 3, 2,", "small, 5, 5, 3, 3, two,"), "line 2, column 'Channels'"),
        (CONV.replace("s2, 7, 8, 3, 3, 1, 2, 2,", "s2, 7, 8, 3, 3, 1, 2,"), "line 3, column 'Strides'"),
        (CONV.replace("s2, 7, 8, 3, 3, 1, 2, 2,", "s2, 7, 8, 3, 3, 1, 0, 2,"), "line 3, column 'Num Filter'"),
        (CONV.replace("small, 5, 5, 3", "small, 2, 5, 3"), "line 2, column 'Filter Height'"),
        (CONV.splitlines()[0] + "\n", ""),
    ],
)
def test_bad_conv_topology(tmp_path: Path, text: str, where: str) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(SpecError) as e:
        read_conv_topology(path)
    assert (e.value.file, e.value.path) == (str(path), where)


def test_bad_gemm_topology(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.csv", GEMM.replace("g0, 9, 4, 18", "g0, 9, 4, k"))
    with pytest.raises(SpecError) as e:
        read_gemm_topology(path)
    assert e.value.path == "line 2, column 'K'"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError):
        read_config(tmp_path / "none.cfg")
