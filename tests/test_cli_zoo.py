"""`loopscape zoo`: the built-in networks and architectures as tables, and the JSON document's exact shape."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from loopscape.arch import zoo as arch_zoo
from loopscape.cli import loopscape
from loopscape.energy.defaults import default_table
from loopscape.mapper import search
from loopscape.model import evaluate
from loopscape.workload import matmul, networks


def run(*args: str):
    return CliRunner().invoke(loopscape, ["zoo", *args])


@pytest.mark.parametrize("args", [("--json",), ("--json", "-")])
def test_json_lists_every_network_and_architecture(args):
    r = run(*args)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert set(doc) == {"networks", "architectures"}
    assert [n["name"] for n in doc["networks"]] == networks.names()
    assert [a["name"] for a in doc["architectures"]] == arch_zoo.names()
    for entry in doc["networks"]:
        assert {"name", "layers", "macs", "params"} <= set(entry)
        net = networks.get(entry["name"])
        assert (entry["layers"], entry["macs"], entry["params"]) == (len(net.layers), net.macs, net.params)
        assert isinstance(entry["macs"], int) and entry["source"] == net.source
    for entry in doc["architectures"]:
        assert {"name", "pes", "onchip_bytes", "area_mm2"} <= set(entry)
        assert entry["pes"] == arch_zoo.get(entry["name"]).compute.instances


def test_published_totals_in_the_listing():
    doc = json.loads(run("--json").output)
    by_name = {n["name"]: n for n in doc["networks"]}
    # Simonyan & Zisserman 2015 / torchvision: VGG-16 15.47G MACs; Sandler et al. 2018: MobileNetV2 300M.
    assert by_name["vgg16"]["macs"] == 15_470_264_320
    assert by_name["mobilenetv2"]["macs"] == pytest.approx(300e6, rel=0.02)
    assert by_name["bert_base"]["layers"] == 144


def test_onchip_bytes_and_area_follow_the_architecture():
    """tpu_like (ZigZag's tpu_like.yaml): a 2 MiB SRAM plus a weight and an output register of one 8-bit word
    in each of the 32x32 PEs: 2 MiB + 2 KiB on chip; DRAM is off chip. Area = the Result's area_um2."""
    doc = json.loads(run("--json").output)
    tpu = next(a for a in doc["architectures"] if a["name"] == "tpu_like")
    assert tpu["onchip_bytes"] == 2 * 2**20 + 2 * 1024
    arch = arch_zoo.get("tpu_like")
    table = default_table(arch)
    wl = matmul(M=4, N=4, K=4)
    result = evaluate(arch, wl, search(arch, wl, table, budget=200).mapping, table)
    assert tpu["area_mm2"] == pytest.approx(result.area_um2 / 1e6)
    eyeriss = next(a for a in doc["architectures"] if a["name"] == "eyeriss")
    levels = arch_zoo.get("eyeriss").levels
    assert eyeriss["onchip_bytes"] == sum(
        lv.instances * lv.entries * lv.word_bits // 8 for lv in levels if lv.cls != "DRAM" and lv.entries
    )


def test_tables(tmp_path):
    r = run()
    assert r.exit_code == 0, r.output
    for name in (*networks.names(), *arch_zoo.names()):
        assert name in r.output
    assert "19.63 G" in r.output  # VGG-19's MACs
    out = tmp_path / "zoo.json"
    r = run("--json", str(out))
    assert r.exit_code == 0 and f"wrote {out}" in r.output and "tiny_yolo_v2" in r.output
    assert json.loads(out.read_text())["networks"][0]["name"] == networks.names()[0]
