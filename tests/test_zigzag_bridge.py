"""benchmarks/zigzag_bridge.py: ZigZag inputs from loopscape objects, ZigZag mappings as loopscape nests.

Hand-written ZigZag-style mappings (per operand, per memory level innermost first, the loops LOMA allocates
there, innermost first); ZigZag itself is not needed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from loopscape.arch.zoo import eyeriss, tpu_like
from loopscape.energy.defaults import default_table
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping, validate_mapping
from loopscape.model.evaluate import evaluate
from loopscape.workload import conv2d

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "zigzag_bridge.py"
_SPEC = importlib.util.spec_from_file_location("zigzag_bridge", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
bridge = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("zigzag_bridge", bridge)
_SPEC.loader.exec_module(bridge)

ALL = frozenset({"Weights", "Inputs", "Outputs"})


def _eyeriss_case():
    arch = eyeriss()
    wl = conv2d("t", K=32, C=32, P=4, Q=4, R=3, S=3)
    zm = bridge.ZigZagMapping(
        temporal={
            "O": [[("OY", 4), ("FX", 3), ("FY", 3)], [("OX", 4), ("C", 2)], [("K", 2)]],
            "W": [[("OY", 4), ("FX", 3), ("FY", 3), ("OX", 4)], [], [("C", 2), ("K", 2)]],
            "I": [[("OY", 4), ("FX", 3), ("FY", 3), ("OX", 4)], [("C", 2), ("K", 2)], []],
        },
        spatial={"D1": [("K", 16)], "D2": [("C", 16)]},
        memories={op: ["RFile", "GBuf", "DRAM"] for op in "OWI"},
    )
    return arch, wl, zm


def test_uneven_eyeriss_mapping_becomes_one_nest_with_per_tensor_cuts():
    arch, wl, zm = _eyeriss_case()
    conv = bridge.to_loopscape(arch, wl, zm)
    assert conv.exact
    gbuf, rf = 1, 2
    expected = Mapping(
        (
            Loop("K", 2, TEMPORAL, gbuf),
            Loop("C", 2, TEMPORAL, gbuf),
            Loop("K", 16, SPATIAL_X, gbuf),
            Loop("C", 16, SPATIAL_Y, gbuf),
            Loop("Q", 4, TEMPORAL, rf),
            Loop("R", 3, TEMPORAL, rf),
            Loop("S", 3, TEMPORAL, rf),
            Loop("P", 4, TEMPORAL, rf),
        ),
        (ALL, ALL, ALL),
        # GBuf: Inputs hold everything, Outputs all but K, Weights the PE array's tile; RFile: the PE's loops.
        ((gbuf, "Inputs", 0), (gbuf, "Outputs", 1), (gbuf, "Weights", 2), (rf, "Inputs", 4), (rf, "Outputs", 5),
         (rf, "Weights", 4)),
    )  # fmt: skip
    assert conv.mapping.loops == expected.loops
    assert conv.mapping.keep == expected.keep
    assert sorted(conv.mapping.cuts) == sorted(expected.cuts)
    assert not conv.mapping.is_even
    report = validate_mapping(arch, wl, conv.mapping)
    assert report.tile_words[rf] == {"Weights": 9, "Inputs": 36, "Outputs": 4}
    assert evaluate(arch, wl, conv.mapping, default_table(arch)).macs == wl.operations


def test_even_zigzag_mapping_gives_the_default_cuts():
    arch, wl, _ = _eyeriss_case()
    levels = [[("OY", 4), ("FX", 3), ("FY", 3)], [("OX", 4), ("C", 2)], [("K", 2)]]
    zm = bridge.ZigZagMapping({op: levels for op in "OWI"}, {"D1": [("K", 16)], "D2": [("C", 16)]})
    conv = bridge.to_loopscape(arch, wl, zm)
    assert conv.exact and conv.mapping.is_even
    assert [lp.level for lp in conv.mapping.loops] == [0, 1, 1, 1, 1, 2, 2, 2]


def test_tpu_like_registers_keep_one_tensor_each():
    arch = tpu_like()
    wl = conv2d("t", K=64, C=64, P=4, Q=4, R=3, S=3)
    zm = bridge.ZigZagMapping(
        temporal={
            "W": [[], [("FX", 3), ("FY", 3), ("C", 2), ("OX", 4), ("OY", 4), ("K", 2)]],
            "O": [[("FX", 3), ("FY", 3), ("C", 2)], [("OX", 4), ("OY", 4)], [("K", 2)]],
            "I": [[("FX", 3), ("FY", 3), ("C", 2), ("OX", 4), ("OY", 4), ("K", 2)], []],
        },
        spatial={"D1": [("K", 32)], "D2": [("C", 32)]},
        memories={"W": ["WeightReg", "DRAM"], "O": ["OutputReg", "SRAM", "DRAM"], "I": ["SRAM", "DRAM"]},
    )
    conv = bridge.to_loopscape(arch, wl, zm)
    assert conv.exact
    m = conv.mapping
    assert [(lp.dim, lp.bound, lp.kind, lp.level) for lp in m.loops] == [
        ("K", 2, TEMPORAL, 1),
        ("P", 4, TEMPORAL, 1),
        ("Q", 4, TEMPORAL, 1),
        ("K", 32, SPATIAL_X, 1),
        ("C", 32, SPATIAL_Y, 1),
        ("C", 2, TEMPORAL, 3),
        ("R", 3, TEMPORAL, 3),
        ("S", 3, TEMPORAL, 3),
    ]
    assert m.keep == (ALL, frozenset({"Inputs", "Outputs"}), frozenset({"Weights"}), frozenset({"Outputs"}))
    assert sorted(m.cuts) == [(1, "Inputs", 0), (1, "Outputs", 1), (2, "Weights", 8), (3, "Outputs", 5)]
    report = validate_mapping(arch, wl, m)
    assert report.tile_words[2] == {"Weights": 1} and report.tile_words[3] == {"Outputs": 1}
    evaluate(arch, wl, m, default_table(arch))


def test_cuts_move_across_loops_a_tensor_does_not_use_without_changing_counts():
    """The premise of `spatial_positions`: such a move keeps the tile, and the data is stationary either way."""
    arch, wl, zm = _eyeriss_case()
    m = bridge.to_loopscape(arch, wl, zm).mapping  # K2 C2 | K16 C16 | Q4 R3 S3 P4
    table = default_table(arch)
    base = evaluate(arch, wl, m, table)
    for lv, t, pos in ((1, "Outputs", 2), (2, "Outputs", 7), (2, "Weights", 5)):  # across C2; R3 S3; Q4
        cuts = tuple((a, b, pos if (a, b) == (lv, t) else c) for a, b, c in m.cuts)
        moved = evaluate(arch, wl, Mapping(m.loops, m.keep, cuts), table)
        assert moved.energy_pj == pytest.approx(base.energy_pj) and moved.counts == base.counts


def test_loops_a_tensor_does_not_use_make_a_pe_tile_fit_below_the_array():
    """ZigZag keeps the weights in the PE over the whole layer while the buffer's input and output tiles span
    fewer loops; the outer loops the weights do not use move inside the array, exactly."""
    arch = eyeriss()
    wl = conv2d("t", K=32, C=3, P=4, Q=4, R=3, S=3)
    order = [("K", 2), ("FX", 3), ("OX", 2), ("C", 3), ("OY", 4), ("OX", 2)]
    zm = bridge.ZigZagMapping(
        temporal={
            "O": [order[:4], [], order[4:]],
            "W": [order, [], []],
            "I": [order[:3], order[3:5], order[5:]],
        },
        spatial={"D1": [("K", 16)], "D2": [("FY", 3)]},
    )
    assert bridge.spatial_positions(arch, wl, zm) == [4]
    conv = bridge.to_loopscape(arch, wl, zm)
    assert conv.exact
    assert [(lp.dim, lp.kind) for lp in conv.mapping.loops[:4]] == [
        ("Q", TEMPORAL), ("P", TEMPORAL), ("K", SPATIAL_X), ("R", SPATIAL_Y)
    ]  # fmt: skip
    assert conv.mapping.cut(1, "Outputs") == 2 and conv.mapping.cut(1, "Inputs") == 1
    assert conv.mapping.cut(2, "Weights") == 4  # the weights' PE tile: C3 S3 K2 (Q2 moved above the array)
    validate_mapping(arch, wl, conv.mapping)


def test_shared_level_smaller_than_a_pe_tile_is_flagged():
    arch, wl, _ = _eyeriss_case()
    order = [("OY", 4), ("FX", 3), ("FY", 3), ("OX", 4), ("C", 2), ("K", 2)]
    zm = bridge.ZigZagMapping(
        temporal={
            "O": [order[:3], order[3:5], order[5:]],
            "W": [order[:4], [], order[4:]],
            "I": [order[:1], [], order[1:]],  # GBuf holds Inputs over 1 loop, below the weights' 3 in the PE
        },
        spatial={"D1": [("K", 16)], "D2": [("C", 16)]},
    )
    assert bridge.spatial_positions(arch, wl, zm) == [1, 2, 3]
    low = bridge.to_loopscape(arch, wl, zm)
    assert low.notes == ("RFile tile of Weights shrunk from 4 to 1 inner loops",)
    high = bridge.to_loopscape(arch, wl, zm, position=3)
    assert high.notes == ("GBuf tile of Inputs enlarged from 1 to 3 inner loops",)
    assert high.mapping.cut(1, "Inputs") == 3 and high.mapping.cut(2, "Inputs") == 7
    for conv in (low, high):
        validate_mapping(arch, wl, conv.mapping)


def test_operands_with_different_orderings_are_refused():
    arch, wl, zm = _eyeriss_case()
    temporal = dict(zm.temporal)
    temporal["I"] = [[("FX", 3), ("OY", 4), ("FY", 3), ("OX", 4)], [("C", 2), ("K", 2)], []]
    with pytest.raises(bridge.ConversionError, match="ordering differs"):
        bridge.to_loopscape(arch, wl, bridge.ZigZagMapping(temporal, zm.spatial))


def test_mapping_read_off_a_zigzag_evaluation_by_duck_typing():
    _, _, zm = _eyeriss_case()
    links = {"O": "O", "W": "I2", "I": "I1"}
    cme = SimpleNamespace(
        temporal_mapping=SimpleNamespace(mapping_dic_origin=zm.temporal),
        layer=SimpleNamespace(
            spatial_mapping={"D1": {"K": 16}, "D2": {"C": 16.0}},
            layer_operands=["O", "W", "I"],
            memory_operand_links=SimpleNamespace(layer_to_mem_op=links.__getitem__),
        ),
        accelerator=SimpleNamespace(
            get_memory_level=lambda mem_op, i: SimpleNamespace(name=["RFile", "GBuf", "DRAM"][i])
        ),
    )
    read = bridge.zigzag_mapping_of(cme)
    assert read.temporal == zm.temporal
    assert read.spatial == {"D1": [("K", 16)], "D2": [("C", 16)]}
    assert read.memories == zm.memories


def test_layers_in_zigzag_form():
    strided = bridge.zigzag_layer(conv2d("c1", K=96, C=3, P=55, Q=55, R=11, S=11, stride=4), 0, 16)
    assert strided["equation"] == "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]"
    assert strided["dimension_relations"] == ["iy=4*oy+1*fy", "ix=4*ox+1*fx"]
    assert strided["loop_dims"] == ["B", "K", "C", "OY", "OX", "FY", "FX"]
    assert strided["loop_sizes"] == [1, 96, 3, 55, 55, 11, 11]
    grouped = bridge.zigzag_layer(conv2d("c2", K=256, C=96, P=27, Q=27, R=5, S=5, groups=2), 1, 16)
    assert grouped["equation"] == "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]"
    assert grouped["loop_sizes"][:4] == [1, 2, 128, 48]
    entry = bridge.zigzag_mapping_entry("c2", (("K", 16, SPATIAL_X), ("C", 16, SPATIAL_Y)))
    assert entry["spatial_mapping"] == {"D1": ["K, 16"], "D2": ["C, 16"]}


def test_accelerator_in_zigzag_form():
    arch = tpu_like()
    table = default_table(arch)
    acc = bridge.zigzag_accelerator(arch, conv2d("t", K=8, C=8, P=2, Q=2), table)
    mems = acc["memories"]
    assert list(mems) == ["OutputReg", "WeightReg", "SRAM", "DRAM"]  # innermost first
    assert mems["WeightReg"]["operands"] == ["I2"] and mems["WeightReg"]["served_dimensions"] == []
    assert mems["OutputReg"]["operands"] == ["O"] and mems["OutputReg"]["size"] == 8
    assert mems["SRAM"]["operands"] == ["I1", "O"] and mems["SRAM"]["served_dimensions"] == ["D1", "D2"]
    assert mems["SRAM"]["r_cost"] == pytest.approx(table.level("SRAM").read)
    assert mems["SRAM"]["ports"][0]["bandwidth_min"] == 64
    assert acc["operational_array"]["sizes"] == [32, 32]
    assert acc["operational_array"]["unit_energy"] == pytest.approx(table.compute)


def test_inputs_written_for_zigzag(tmp_path):
    import yaml

    arch = eyeriss()
    layers = [
        (conv2d("c1", K=32, C=3, P=8, Q=8, R=3, S=3, stride=2), (("K", 16, SPATIAL_X), ("R", 3, SPATIAL_Y))),
        (conv2d("c2", K=32, C=32, P=4, Q=4, R=3, S=3), (("K", 16, SPATIAL_X), ("C", 16, SPATIAL_Y))),
    ]
    acc, workload, mapping = bridge.write_inputs(arch, default_table(arch), layers, tmp_path)
    assert [layer["id"] for layer in workload] == [0, 1]
    entries = yaml.safe_load(Path(mapping).read_text())
    assert [e["name"] for e in entries] == ["c1", "c2", "default"]
    assert entries[0]["spatial_mapping"] == {"D1": ["K, 16"], "D2": ["FY, 3"]}
    assert list(yaml.safe_load(Path(acc).read_text())["memories"]) == ["RFile", "GBuf", "DRAM"]
