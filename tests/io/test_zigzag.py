"""loopscape.io.zigzag: ZigZag 3.9.1 YAML read and written.

Round trips native -> ZigZag -> native over every built-in architecture (`zoo.names()` at test time), the MAC
layers of AlexNet, ResNet-18 and MobileNetV2, and mappings the mapper finds, field by field where ZigZag holds
the field and by evaluation. What ZigZag cannot hold, and so does not come back, is listed in NOT_HELD. ZigZag's
own example inputs (tests/data/zigzag, MIT licensed, see its README) are read, and its memory allocator is
checked against results ZigZag 3.9.1 produced (zigzag_allocations.yaml); where /work/benchvenv holds ZigZag, it
also runs on the files loopscape writes.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.arch.zoo import get as zoo_arch
from loopscape.arch.zoo import names as zoo_names
from loopscape.energy.defaults import default_table
from loopscape.errors import SpecError
from loopscape.io import zigzag as zz
from loopscape.io.load import Specs
from loopscape.mapper import search
from loopscape.mapping import Loop, Mapping, validate_mapping
from loopscape.model.evaluate import evaluate
from loopscape.workload import conv2d, elementwise, fully_connected, matmul, pooling
from loopscape.workload.networks import get as zoo_network

DATA = Path(__file__).resolve().parents[1] / "data" / "zigzag"
BENCHVENV = Path("/work/benchvenv/bin/python")

# What ZigZag's formats cannot hold, so a round trip does not bring it back:
NOT_HELD = {
    # architecture
    "component, attributes": "energy/area component classes: ZigZag takes energies and areas as numbers",
    "gating": "sparsity gating (and gated energies)",
    "network.multicast, network.spatial_reduction": "ZigZag always shares and reduces over served dimensions",
    "technology, clock_ghz": "ZigZag takes energies per access and counts cycles",
    "update_unit": "ZigZag has no weight-update unit",
    "compute.name": "ZigZag's operational array has no name (read back as MAC)",
    "mesh_x of one instance": "compared as the mesh",
    # energy table
    "network, leakage, gated energies, compute_ops": "ZigZag has memory r/w costs, areas and one MAC energy",
    "fill vs update": "one w_cost (the built-in tables price them the same)",
    # workload
    "tensor names other than Weights/Inputs/Outputs": "ZigZag's operands are W, I, O",
    "density": "sparsity",
    # mapping
    "bypass chosen by a mapping": "ZigZag's memories hold fixed operands: the written accelerator holds the "
    "mapping's keep sets, and a level that keeps nothing is left out",
    "spatial loop position": "ZigZag keeps spatial and temporal loops apart: read back as low as the tiles "
    "allow (same tiles, same counts)",
    "temporal loops' levels": "only the cuts (tiles) are held",
    "loops of bound 1": "dropped",
}


# --- helpers -----------------------------------------------------------------------------------------------
def _conv() -> object:
    return conv2d("conv", K=64, C=32, P=14, Q=14, R=3, S=3)


def _round_trip(specs: Specs, tmp_path: Path, **read) -> tuple[Specs, list[str], list[Path]]:
    notes: list[str] = []
    files = zz.write_zigzag(specs, tmp_path, notes=notes)
    return zz.read_zigzag(files, **read), notes, files


def _keeps(arch: Architecture, lv: int, tensors: tuple[str, ...]) -> frozenset[str]:
    return frozenset(t for t in tensors if lv == 0 or arch.may_keep(lv, t))


LEVEL_FIELDS = ("name", "cls", "instances", "mesh", "entries", "word_bits", "block_size", "read_bandwidth",
                "write_bandwidth", "shared_bandwidth")  # fmt: skip


def _assert_same_architecture(arch: Architecture, back: Architecture, tensors: tuple[str, ...]) -> None:
    assert back.name == arch.name
    assert len(back.levels) == len(arch.levels)
    for lv, (a, b) in enumerate(zip(arch.levels, back.levels)):
        for f in LEVEL_FIELDS:
            assert getattr(b, f) == getattr(a, f), (a.name, f)
        assert _keeps(back, lv, tensors) == _keeps(arch, lv, tensors), a.name
        assert b.network.forwarding == a.network.forwarding
        assert b.network.multicast and b.network.spatial_reduction  # ZigZag's model
    for f in ("instances", "mesh", "word_bits"):
        assert getattr(back.compute, f) == getattr(arch.compute, f), f


def _tiles(arch: Architecture, wl, m: Mapping) -> dict:
    """What a mapping means, independent of where spatial loops sit among loops outside every tile: per
    (level, tensor kept) the loops of its tile; the temporal order; the spatial loops per (level, axis, dim)."""
    loops = [lp for lp in m.loops if lp.bound > 1]
    index = {id(lp): i for i, lp in enumerate(m.loops)}
    out: dict = {"temporal": [(lp.dim, lp.bound) for lp in loops if not lp.spatial]}
    spatial: dict = {}
    for lp in loops:
        if lp.spatial:
            key = (arch.levels[lp.level].name, lp.kind, lp.dim)
            spatial[key] = spatial.get(key, 1) * lp.bound
    out["spatial"] = spatial
    for lv, level in enumerate(arch.levels):
        for t in wl.tensor_names:
            if m.keeps(lv, t):
                cut = m.cut(lv, t)
                inside = [lp for lp in loops if index[id(lp)] >= cut]
                out[(level.name, t)] = (
                    [(lp.dim, lp.bound) for lp in inside if not lp.spatial],
                    sorted(
                        (arch.levels[lp.level].name, lp.kind, lp.dim, lp.bound) for lp in inside if lp.spatial
                    ),
                )
    return out


def _on(arch: Architecture, back: Architecture, m: Mapping, wl) -> Mapping:
    """A mapping of `back` (whose levels are some of `arch`'s, by name) as a mapping of `arch` and `wl`: levels a
    mapping bypassed entirely were left out of the ZigZag accelerator (their spatial fan-out moves back below
    them), and tensors come back named by their ZigZag operand (Inputs, Weights, Outputs)."""
    name = {zz.LS_TENSOR[letter]: t for t, letter in zz.operand_letters(wl).items()}
    names = [lv.name for lv in arch.levels]
    idx = [names.index(lv.name) for lv in back.levels]
    nxt = [*idx[1:], len(names)]
    loops = tuple(
        Loop(lp.dim, lp.bound, lp.kind, nxt[lp.level] - 1 if lp.spatial else idx[lp.level]) for lp in m.loops
    )
    keep = [frozenset()] * len(names)
    for i, k in zip(idx, m.keep):
        keep[i] = frozenset(name[t] for t in k)
    return Mapping(loops, tuple(keep), tuple((idx[lv], name[t], pos) for lv, t, pos in m.cuts))


# --- architectures -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", zoo_names())
def test_zoo_architecture_round_trips(name, tmp_path):
    """Every built-in architecture, with its built-in energy table, through ZigZag's accelerator format."""
    arch = zoo_arch(name)
    table = default_table(arch)
    wl = _conv()
    back, notes, files = _round_trip(Specs(arch=arch, workload=wl, energy=table), tmp_path)
    assert [f.name for f in files] == ["accelerator.yaml", "workload.yaml"]
    _assert_same_architecture(arch, back.arch, wl.tensor_names)
    assert back.formats == {"architecture": "zigzag", "energy": "zigzag", "workload": "zigzag"}
    rt = back.energy
    for level in arch.levels:
        e, r = table.level(level.name), rt.level(level.name)
        assert r.read == pytest.approx(e.read, rel=1e-12) and r.update == pytest.approx(e.update, rel=1e-12)
        assert r.fill == pytest.approx(e.update, rel=1e-12)  # one w_cost
        assert rt.area[level.name] == pytest.approx(table.area.get(level.name, 0.0))
    assert rt.compute == pytest.approx(table.compute)
    assert rt.area[back.arch.compute.name] == pytest.approx(table.area[arch.compute.name])
    if table.network and any(table.network.values()):
        assert any("network energy" in n for n in notes)
    if arch.technology != "45nm":
        assert any("technology" in n for n in notes)
    assert back.workload == wl


def test_unlimited_and_limited_bandwidths_and_blocks(tmp_path):
    """Unlimited bandwidth is UNLIMITED_BLOCKS blocks per cycle; block and bandwidths come back in words, and
    ZigZag's cost per access of bandwidth_max bits is loopscape's per-block energy scaled by the width."""
    arch = Architecture("bw", (
        StorageLevel("DRAM", cls="DRAM", word_bits=8, block_size=8, shared_bandwidth=16),
        StorageLevel("Buf", entries=4096, word_bits=8, block_size=4, read_bandwidth=32, write_bandwidth=8),
        StorageLevel("RF", cls="regfile", instances=16, mesh_x=4, entries=64, word_bits=8),
    ), ComputeLevel("MAC", instances=16, mesh_x=4, word_bits=8))  # fmt: skip
    table = default_table(arch)
    acc = zz.accelerator_to_zigzag(arch, table)
    dram, buf, rf = acc["memories"]["DRAM"], acc["memories"]["Buf"], acc["memories"]["RF"]
    assert list(acc["memories"]) == ["RF", "Buf", "DRAM"]
    assert [p["type"] for p in dram["ports"]] == ["read_write"]
    assert dram["ports"][0]["bandwidth_min"] == 64 and dram["ports"][0]["bandwidth_max"] == 128
    assert dram["r_cost"] == pytest.approx(table.level("DRAM").read * 2)
    assert [(p["bandwidth_min"], p["bandwidth_max"]) for p in buf["ports"]] == [(32, 256), (32, 64)]
    assert buf["r_cost"] == pytest.approx(table.level("Buf").read * 8)
    assert buf["w_cost"] == pytest.approx(table.level("Buf").update * 2)
    assert rf["ports"][0]["bandwidth_max"] == 8 * zz.UNLIMITED_BLOCKS and rf["served_dimensions"] == []
    assert rf["r_cost"] == table.level("RF").read * zz.UNLIMITED_BLOCKS
    assert acc["operational_array"]["dimensions"] == ["D1", "D2"]
    assert acc["operational_array"]["sizes"] == [4, 4]
    back, _, _ = _round_trip(Specs(arch=arch, workload=_conv(), energy=table), tmp_path)
    _assert_same_architecture(arch, back.arch, _conv().tensor_names)
    assert back.energy.level("RF").read == table.level("RF").read  # exact: powers of two


def test_two_fan_outs_give_four_array_dimensions(tmp_path):
    """A fan-out per level: D1/D2 below the innermost, D3/D4 below the next; served dimensions nest."""
    arch = zoo_arch("simba")
    fanouts = [lv for lv in range(len(arch.levels)) if arch.fanout(lv) != (1, 1)]
    acc = zz.accelerator_to_zigzag(arch, default_table(arch))
    dims = zz.ArrayDims.of(arch)
    assert len(fanouts) == 2 and [n for n, *_ in dims.dims] == acc["operational_array"]["dimensions"]
    assert acc["memories"][arch.levels[0].name]["served_dimensions"] == acc["operational_array"]["dimensions"]
    assert acc["memories"][arch.levels[-1].name]["served_dimensions"] == []


def test_no_workload_assumes_words_and_says_so(tmp_path):
    arch = zoo_arch("tpu_like")
    files = zz.write_zigzag(Specs(arch=arch), tmp_path)
    back = zz.read_zigzag(files)
    assert any("words of 8 bits assumed" in n for n in back.notes)
    assert [lv.entries for lv in back.arch.levels] == [lv.entries for lv in arch.levels]  # tpu_like is 8-bit
    eyeriss = zz.read_zigzag(zz.write_zigzag(Specs(arch=zoo_arch("eyeriss")), tmp_path / "e"), word_bits=16)
    _assert_same_architecture(zoo_arch("eyeriss"), eyeriss.arch, ("Weights", "Inputs", "Outputs"))


def test_architecture_fields_zigzag_cannot_hold_are_named(tmp_path):
    base = zoo_arch("eyeriss")
    levels = list(base.levels)
    levels[1] = dataclasses.replace(
        levels[1], component="smartbuffer_SRAM", gating=(("Inputs", ("Weights",)),)
    )
    levels[2] = dataclasses.replace(
        levels[2], network=dataclasses.replace(levels[2].network, forwarding=True)
    )
    arch = dataclasses.replace(base, levels=tuple(levels), clock_ghz=0.5)
    notes: list[str] = []
    acc = zz.accelerator_to_zigzag(arch, default_table(base), notes=notes)
    text = "\n".join(notes)
    assert "GBuf: gating" in text and "GBuf: its energy/area component" in text and "clock 0.5 GHz" in text
    assert "systolic_dimensions" not in acc["operational_array"]  # RFile does not fan out: nothing to forward
    levels[1] = dataclasses.replace(
        levels[1], network=dataclasses.replace(levels[1].network, forwarding=True)
    )
    arch = dataclasses.replace(base, levels=tuple(levels))
    acc = zz.accelerator_to_zigzag(arch, default_table(base))
    assert acc["operational_array"]["systolic_dimensions"] == ["D1", "D2"]
    back, _, _ = _round_trip(Specs(arch=arch, workload=_conv(), energy=default_table(base)), tmp_path)
    assert back.arch.levels[1].network.forwarding and not back.arch.levels[2].network.forwarding


# --- workloads ---------------------------------------------------------------------------------------------
def _mac_layers() -> list:
    out = []
    for net in ("alexnet", "resnet18", "mobilenetv2"):
        out += [wl for wl in zoo_network(net).layers if wl.op == "mac"]
    return out


def test_zoo_network_layers_round_trip():
    """Every conv, depthwise, pointwise and FC layer of AlexNet, ResNet-18 and MobileNetV2, exactly."""
    layers = _mac_layers()
    assert len(layers) > 60
    for i, wl in enumerate(layers):
        node = zz.workload_to_zigzag(wl, layer_id=i, precision=8)
        back = zz.layer_to_workload(zz.read_layer(yaml.safe_load(yaml.safe_dump(node)), f"[{i}]"))
        assert back == wl, wl.name


def test_layers_in_zigzag_form():
    strided = zz.workload_to_zigzag(conv2d("c1", K=96, C=3, P=55, Q=55, R=11, S=11, stride=4), precision=16)
    assert strided["equation"] == "O[b][k][oy][ox]+=W[k][c][fy][fx]*I[b][c][iy][ix]"
    assert strided["dimension_relations"] == ["iy=4*oy+1*fy", "ix=4*ox+1*fx"]
    assert strided["loop_dims"] == ["B", "K", "C", "OY", "OX", "FY", "FX"]
    assert strided["operand_precision"] == {"W": 16, "I": 16, "O": 16, "O_final": 16}
    dilated = zz.workload_to_zigzag(conv2d("d", K=8, C=8, P=8, Q=8, R=3, S=3, dilation=2))
    assert dilated["dimension_relations"] == ["iy=1*oy+2*fy", "ix=1*ox+2*fx"]
    gemm = zz.workload_to_zigzag(matmul("mm", M=64, N=32, K=16))
    assert gemm["equation"] == "O[m][b]+=I[m][k]*W[k][b]" and gemm["operator_type"] == "Gemm"


def test_matmul_and_elementwise_keep_their_shape_not_their_tensor_names():
    for wl in (matmul("mm", M=64, N=32, K=16), elementwise("add", "add", C=8, P=4, Q=4)):
        notes: list[str] = []
        back = zz.layer_to_workload(zz.read_layer(zz.workload_to_zigzag(wl, notes=notes), "[0]"))
        assert back.dims == wl.dims and back.bounds == wl.bounds and back.op == wl.op
        assert [t.ranks for t in back.tensors] == [t.ranks for t in wl.tensors]
        assert back.tensor_names == ("Inputs", "Weights", "Outputs")
        assert any("ZigZag's operand" in n for n in notes)


def test_batched_matmul_keeps_both_b_and_n():
    from loopscape.workload import batched_matmul

    wl = batched_matmul("bmm", B=4, M=8, N=8, K=16)
    node = zz.workload_to_zigzag(wl)
    assert node["loop_dims"] == ["B", "M", "N", "K"]
    back = zz.layer_to_workload(zz.read_layer(node, "[0]"))
    assert back.dims == wl.dims and [t.ranks for t in back.tensors] == [t.ranks for t in wl.tensors]


def test_layers_zigzag_cannot_express_are_refused():
    with pytest.raises(SpecError, match="two inputs and one output"):
        zz.workload_to_zigzag(pooling("p", C=8, P=4, Q=4, R=2, S=2))


# --- mappings ----------------------------------------------------------------------------------------------
MAPPING_CASES = [(name, "conv") for name in zoo_names()] + [
    ("eyeriss", "strided"), ("eyeriss", "fc"), ("tpu_like", "matmul"), ("nvdla", "depthwise"),
]  # fmt: skip


def _layer(kind: str):
    layers = {
        "conv": _conv,
        "strided": lambda: conv2d("strided", K=96, C=3, P=27, Q=27, R=11, S=11, stride=4),
        "fc": lambda: fully_connected("fc", K=1000, C=512),
        "matmul": lambda: matmul("mm", M=64, N=128, K=256, weights=True),
        "depthwise": lambda: conv2d("dw", K=32, C=32, P=28, Q=28, R=3, S=3, groups=32),
    }
    return layers[kind]()


@pytest.mark.parametrize(("name", "kind"), MAPPING_CASES)
def test_mapper_mappings_round_trip(name, kind, tmp_path):
    """A mapping the mapper finds, written with its architecture and layer and read back: the same tiles (loops
    inside every cut), the same temporal order and spatial unrolling, and the same evaluation."""
    arch, wl = zoo_arch(name), _layer(kind)
    table = default_table(arch)
    m = search(arch, wl, table, budget=2000).mapping
    back, notes, files = _round_trip(Specs(arch=arch, workload=wl, mapping=m, energy=table), tmp_path)
    assert [f.name for f in files] == [
        "accelerator.yaml",
        "workload.yaml",
        "mapping.yaml",
        "temporal_mapping.yaml",
    ]
    names = [lv.name for lv in back.arch.levels]
    if len(names) < len(arch.levels):  # the mapping bypassed a level entirely: left out, and said
        left_out = [lv.name for lv in arch.levels if lv.name not in names]
        assert all(any(n.startswith(f"{x}: the mapping bypasses it") for n in notes) for x in left_out)
    m2 = _on(arch, back.arch, back.mapping, wl)
    validate_mapping(arch, wl, m2)
    assert _tiles(arch, wl, m2) == _tiles(arch, wl, m)
    before, after = evaluate(arch, wl, m, table), evaluate(arch, wl, m2, table)
    assert after.counts == before.counts
    assert after.energy_pj == pytest.approx(before.energy_pj, rel=1e-12) and after.cycles == before.cycles
    assert back.workload.bounds == wl.bounds


def test_zigzag_mapping_file_holds_ordering_spatial_and_links(tmp_path):
    arch, wl = zoo_arch("eyeriss"), _conv()
    m = search(arch, wl, default_table(arch), budget=500).mapping
    zz.write_zigzag(Specs(arch=arch, workload=wl, mapping=m), tmp_path)
    entries = yaml.safe_load((tmp_path / "mapping.yaml").read_text())
    assert [e["name"] for e in entries] == ["conv", "default"]
    temporal = [lp for lp in reversed(m.loops) if not lp.spatial and lp.bound > 1]
    assert entries[0]["temporal_ordering"] == [[zz.zz_dim(lp.dim), lp.bound] for lp in temporal]
    assert entries[0]["memory_operand_links"] == {"O": "O", "W": "I2", "I": "I1"}
    spatial = {lp.kind: lp for lp in m.loops if lp.spatial}
    assert set(entries[0]["spatial_mapping"]) <= {"D1", "D2"} and spatial
    alloc = yaml.safe_load((tmp_path / "temporal_mapping.yaml").read_text())
    assert list(alloc[0]["temporal_mapping"]["W"]) == ["RFile", "GBuf", "DRAM"]


def test_allocation_to_mapping_with_two_fan_outs():
    """Simba's two fan-outs: each spatial group at its own place; the tiles of the middle level lie between."""
    arch, wl = zoo_arch("simba"), _conv()
    m = search(arch, wl, default_table(arch), budget=1000).mapping
    za = zz.mapping_to_allocation(arch, wl, m)
    conv = zz.allocation_to_mapping(arch, wl, za)
    assert conv.exact
    assert _tiles(arch, wl, conv.mapping) == _tiles(arch, wl, m)


def test_mapping_without_temporal_ordering_is_left_to_a_search(tmp_path):
    s = zz.read_zigzag([DATA / "tpu_like.yaml", DATA / "workload.yaml", DATA / "tpu_like_mapping.yaml"])
    assert s.mapping is None
    assert any("ZigZag searches the temporal mapping" in n for n in s.notes)
    assert any("C 32 exceeds what ZigZag allows (3" in n for n in s.notes)


# --- ZigZag's own inputs -------------------------------------------------------------------------------------
def test_tpu_like_example(tmp_path):
    s = zz.read_zigzag([DATA / "tpu_like.yaml", DATA / "workload.yaml"], layer="layer1.0.conv1")
    a = s.arch
    assert any("the key 'ports' a second time" in n for n in s.notes)  # ZigZag's file has it twice
    assert [lv.name for lv in a.levels] == ["dram", "sram_2MB", "rf_2B", "rf_128B"]
    dram, sram, rf_o, rf_w = a.levels
    assert dram.cls == "DRAM" and dram.entries is None and dram.keeps is None and dram.block_size == 8
    assert dram.shared_bandwidth == 8 and dram.read_bandwidth is None  # one 64-bit read-write port
    assert sram.entries == 2 * 1024 * 1024 and sram.keeps == frozenset({"Inputs", "Outputs"})
    assert (sram.block_size, sram.read_bandwidth, sram.write_bandwidth) == (8, 256, 256)
    assert sram.network.forwarding  # systolic_dimensions [D1, D2]: the fan-out below the SRAM
    assert rf_o.keeps == frozenset({"Outputs"}) and rf_o.word_bits == 16 and rf_o.entries == 1  # O: 16 bits
    assert rf_o.read_bandwidth == 2 and rf_o.write_bandwidth == 2  # two 16-bit read ports, two write ports
    assert rf_w.keeps == frozenset({"Weights"}) and rf_w.entries == 128 and rf_w.instances == 1024
    assert a.compute.instances == 1024 and a.compute.mesh == (32, 32) and a.compute.word_bits == 8
    e = s.energy
    assert e.level("sram_2MB").read == pytest.approx(416.16 * 64 / 2048)  # per 64-bit block
    assert e.level("sram_2MB").fill == pytest.approx(378.4 * 64 / 2048)
    assert e.level("dram").read == 700 and e.level("dram").update == 750
    assert e.compute == 0.04 and e.area["MAC"] == 1
    assert s.workload.name == "layer1.0.conv1" and s.workload.bounds == (1, 64, 64, 56, 56, 3, 3)


def test_eyeriss_like_example():
    s = zz.read_zigzag([DATA / "eyeriss_like.yaml", DATA / "workload.yaml"])
    a = s.arch
    assert [lv.name for lv in a.levels] == ["dram", "sram_1M", "sram_64KB", "sram_8KB", "rf_16B", "rf_64B_W",
                                            "rf_64B_A"]  # fmt: skip
    assert [lv.instances for lv in a.levels] == [1, 1, 1, 1, 168, 168, 168]
    assert a.compute.mesh == (14, 12)
    assert any("2 layers; the first (conv1)" in n for n in s.notes)
    assert any("padding [3, 2] of ix" in n for n in s.notes)
    assert any("bandwidth_min 24 bits" in n for n in s.notes)  # 24-bit ports of 16-bit outputs


def test_allocator_replays_zigzag():
    """ZigZag 3.9.1's memory allocator, replayed from LOMA's best orderings, gives ZigZag's own partition."""
    cases = yaml.safe_load((DATA / "zigzag_allocations.yaml").read_text())
    assert len(cases) == 4
    layers = {zl.name: zl for zl in zz.read_layers(yaml.safe_load((DATA / "workload.yaml").read_text()))}
    for case in cases:
        hw = zz.read_hardware(zz.load_zigzag_file(DATA / case["accelerator"]))
        zl = layers[case["layer"]]
        entries = zz.read_mapping_entries(yaml.safe_load((DATA / case["mapping"]).read_text()))
        entry = zz.mapping_entry_for(entries, zl)
        spatial = zz._limited_spatial(hw, zl, zz._reduced_spatial(hw, zl, entry, None), entry.path)
        assert {oa: dict(v) for oa, v in spatial.items()} == {
            oa: {d: pytest.approx(f) for d, f in v.items()} for oa, v in case["spatial_mapping"].items()
        } or case["accelerator"] == "eyeriss_like.yaml"  # ZigZag records the unrolling before its even split
        ordering = [(d, b) for d, b in case["temporal_ordering"]]
        ours = zz.zigzag_allocate(hw, zl, entry.links, spatial, ordering)
        theirs = {op: [[(d, b) for d, b in lv] for lv in levels] for op, levels in case["allocation"].items()}
        assert ours == theirs, (case["accelerator"], case["layer"])


def test_zigzag_example_mapping_with_an_ordering_becomes_a_loopscape_mapping(tmp_path):
    """A ZigZag mapping with a complete temporal ordering: ZigZag's allocation as per-tensor cuts."""
    case = yaml.safe_load((DATA / "zigzag_allocations.yaml").read_text())[1]  # tpu_like, layer1.0.conv1
    entry = {"name": "default", "spatial_mapping": {"D1": ["K, 32"], "D2": ["C, 32"]},
             "temporal_ordering": case["temporal_ordering"], "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"}}  # fmt: skip
    (tmp_path / "mapping.yaml").write_text(yaml.safe_dump([entry]))
    s = zz.read_zigzag([DATA / "tpu_like.yaml", DATA / "workload.yaml", tmp_path / "mapping.yaml"], layer=1)
    m = s.mapping
    assert m is not None
    report = validate_mapping(s.arch, s.workload, m)
    assert report.padding == {}
    za = zz.mapping_to_allocation(s.arch, s.workload, m)
    assert za.temporal == {op: [[(d, b) for d, b in lv] for lv in levels] for op, levels in case["allocation"].items()
                           if op in za.temporal}  # fmt: skip
    evaluate(s.arch, s.workload, m, s.energy)


@pytest.mark.parametrize(
    ("edit", "path", "expected"),
    [
        (lambda d: d["memories"]["rf_128B"]["ports"][0].update(bandwidth_maxx=8),
         "memories.rf_128B.ports[0].bandwidth_maxx", "one of"),
        (lambda d: d["memories"]["rf_2B"]["ports"][1].update(bandwidth_max="16"),
         "memories.rf_2B.ports[1].bandwidth_max", "bandwidth in bits"),
        (lambda d: d["memories"]["dram"].pop("latency"), "memories.dram.latency", "required key"),
        (lambda d: d["memories"]["dram"].update(r_cost=None), "memories.dram.r_cost", "auto_cost_extraction"),
        (lambda d: d["memories"]["sram_2MB"].update(served_dimensions=["D3"]),
         "memories.sram_2MB.served_dimensions[0]", "operational array's dimensions"),
        (lambda d: d["memories"]["sram_2MB"]["ports"][0].update(allocation=["I2, tl"]),
         "memories.sram_2MB.ports[0].allocation[0]", "an operand the memory holds"),
        (lambda d: d["memories"]["sram_2MB"]["ports"][0].update(allocation=["I1, fh"]),
         "memories.sram_2MB.ports[0].allocation[0]", "a read direction"),
        (lambda d: d["operational_array"].update(is_imc=True), "operational_array.is_imc", "in-memory-compute"),
        (lambda d: (d["memories"]["rf_128B"].update(served_dimensions=["D1"]),
                    d["memories"]["rf_2B"].update(served_dimensions=["D2"])),
         "memories.rf_2B.served_dimensions", "loopscape's levels nest"),
        (lambda d: d.update(extra=1), "extra", "one of"),
    ],
)  # fmt: skip
def test_accelerator_errors_name_the_path(edit, path, expected, tmp_path):
    data = zz.load_zigzag_file(DATA / "tpu_like.yaml")
    edit(data)
    f = tmp_path / "acc.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SpecError) as err:
        zz.read_zigzag([f, DATA / "workload.yaml"])
    assert err.value.path == path and expected in err.value.expected and err.value.file == str(f)


def test_edge_tpu_like_hierarchy_that_does_not_nest_is_named(tmp_path):
    """ZigZag's edge_tpu_like: a weight register shared over D3/D4 above an output register shared over D2 is
    no fan-out tree."""
    data = zz.load_zigzag_file(DATA / "tpu_like.yaml")
    data["operational_array"].update(dimensions=["D1", "D2", "D3", "D4"], sizes=[8, 8, 4, 4])
    for mem in data["memories"].values():
        mem["served_dimensions"] = ["D1", "D2", "D3", "D4"]
    data["memories"]["rf_128B"]["served_dimensions"] = ["D3", "D4"]
    data["memories"]["rf_2B"]["served_dimensions"] = ["D2"]
    f = tmp_path / "edge.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SpecError, match="one fan-out tree"):
        zz.read_zigzag([f])


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (lambda d: d[0].update(equation="O[b][k]+=W[k][c]*I[b][z]"), "[0].equation"),
        (lambda d: d[0].update(loop_sizes=[1, 64, 3]), "[0].loop_sizes"),
        (lambda d: d[0]["operand_precision"].pop("O_final"), "[0].operand_precision.O_final"),
        (lambda d: d[1].update(operator_type="Relu"), "[1].operator_type"),
        (lambda d: d[1].update(dimension_relations=["ix=ox+zz"]), "[1].dimension_relations[0]"),
        (lambda d: d[0].update(paddings=1), "[0].paddings"),
    ],
)
def test_workload_errors_name_the_path(edit, path, tmp_path):
    data = yaml.safe_load((DATA / "workload.yaml").read_text())
    edit(data)
    f = tmp_path / "w.yaml"
    f.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SpecError) as err:
        zz.read_zigzag([f])
    assert err.value.path == path and err.value.file == str(f)


def test_mapping_errors_name_the_path(tmp_path):
    entries = [{"name": "conv1", "spatial_mapping": {"D5": ["K, 2"]}}]
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(entries))
    with pytest.raises(SpecError) as err:
        zz.read_zigzag([DATA / "tpu_like.yaml", DATA / "workload.yaml", f])
    assert err.value.path == "[0].spatial_mapping.D5"
    f.write_text(yaml.safe_dump([{"name": "conv1", "temporal_ordering": [["K", 2]]}]))
    with pytest.raises(SpecError, match="'default'"):
        zz.read_zigzag([DATA / "tpu_like.yaml", DATA / "workload.yaml", f])


def test_detection():
    assert zz.zigzag_kind(zz.load_zigzag_file(DATA / "tpu_like.yaml")) == "accelerator"
    assert zz.zigzag_kind(yaml.safe_load((DATA / "workload.yaml").read_text())) == "workload"
    assert zz.zigzag_kind(yaml.safe_load((DATA / "default_mapping.yaml").read_text())) == "mapping"
    assert zz.zigzag_kind([{"name": "x", "temporal_mapping": {}}]) == "allocation"
    assert zz.is_zigzag(zz.load_zigzag_file(DATA / "eyeriss_like.yaml"))
    for other in ({"architecture": {}}, {"problem": {}}, [], [1], "text", None):
        assert not zz.is_zigzag(other)
    assert zz.load_zigzag is zz.read_zigzag


def test_duplicate_and_unknown_files(tmp_path):
    with pytest.raises(SpecError, match="a second ZigZag accelerator"):
        zz.read_zigzag([DATA / "tpu_like.yaml", DATA / "eyeriss_like.yaml"])
    f = tmp_path / "native.yaml"
    f.write_text("architecture: {}\n")
    with pytest.raises(SpecError) as err:
        zz.read_zigzag([f])
    assert err.value.file == str(f)


# --- ZigZag itself, where installed ----------------------------------------------------------------------------
_LIVE = textwrap.dedent(
    """
    import json, logging, sys, tempfile, warnings
    logging.disable(logging.CRITICAL); warnings.filterwarnings("ignore")
    from zigzag.api import get_hardware_performance_zigzag
    folder = sys.argv[1]
    with tempfile.TemporaryDirectory() as out:
        result = get_hardware_performance_zigzag(folder + "/workload.yaml", folder + "/accelerator.yaml",
                                                 folder + "/mapping.yaml", opt="energy", dump_folder=out)
    def find(x):
        if hasattr(x, "temporal_mapping") and hasattr(x.temporal_mapping, "mapping_dic_origin"):
            return x
        for y in x if isinstance(x, (list, tuple)) else ():
            found = find(y)
            if found is not None:
                return found
    cme = find(result[2])
    tm = cme.temporal_mapping.mapping_dic_origin
    print(json.dumps({str(op): [[[str(d), int(b)] for d, b in lv] for lv in levels] for op, levels in tm.items()}))
    """
)


@pytest.mark.skipif(not BENCHVENV.exists(), reason="ZigZag 3.9.1 is installed in /work/benchvenv only")
@pytest.mark.parametrize(("name", "kind"), [("eyeriss", "conv"), ("tpu_like", "strided"), ("simba", "conv")])
def test_zigzag_runs_the_files_loopscape_writes(name, kind, tmp_path):
    """ZigZag 3.9.1 accepts the written accelerator, workload and mapping, takes the ordering as complete and
    allocates it as loopscape's replay of its allocator says (a note says when that differs from the mapping's
    own cuts)."""
    arch, wl = zoo_arch(name), _layer(kind)
    table = default_table(arch)
    m = search(arch, wl, table, budget=1000).mapping
    notes: list[str] = []
    zz.write_zigzag(Specs(arch=arch, workload=wl, mapping=m, energy=table), tmp_path, notes=notes)
    cmd = [str(BENCHVENV), "-c", _LIVE, str(tmp_path)]
    run = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    theirs = json.loads(run.stdout.strip().splitlines()[-1])
    hw = zz.read_hardware(zz.load_zigzag_file(tmp_path / "accelerator.yaml"))
    zl = zz.read_layer(yaml.safe_load((tmp_path / "workload.yaml").read_text())[0], "[0]")
    entry = zz.read_mapping_entries(yaml.safe_load((tmp_path / "mapping.yaml").read_text()))[0]
    spatial = zz._limited_spatial(hw, zl, zz._reduced_spatial(hw, zl, entry, None), entry.path)
    ours = zz.zigzag_allocate(hw, zl, entry.links, spatial, [(d, s) for d, s in entry.ordering])

    def strip(alloc):
        return {op: [[(d, b) for d, b in lv if b > 1] for lv in levels] for op, levels in alloc.items()}

    assert strip(theirs) == strip(ours)
    written = yaml.safe_load((tmp_path / "temporal_mapping.yaml").read_text())[0]["temporal_mapping"]
    mapping_own = {op: [[(d, b) for d, b in lv] for lv in mems.values()] for op, mems in written.items()}
    differs = any("parts this ordering differently" in n for n in notes)
    assert differs == (strip(mapping_own) != strip(ours))


def test_what_zigzag_cannot_hold_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "zigzag.md").read_text()
    assert "temporal_mapping.yaml" in doc
    for key in ("gating", "update unit", "multicast", "bypass", "density", "technology"):
        assert key in doc, key
