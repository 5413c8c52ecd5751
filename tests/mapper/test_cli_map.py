"""`loopscape map`: best mapping of a workload on an architecture, with its stats and JSON."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from loopscape.cli import loopscape

ARCH = {
    "architecture": {
        "name": "small",
        "levels": [
            {"name": "DRAM", "class": "DRAM"},
            {"name": "GLB", "class": "SRAM", "entries": 64},
            {"name": "RF", "class": "regfile", "instances": 4, "mesh_x": 2, "entries": 8},
        ],
    }
}
WORKLOAD = {"workload": {"layer": "matmul", "M": 4, "N": 4, "K": 4}}


def files(tmp_path):
    (tmp_path / "arch.yaml").write_text(yaml.safe_dump(ARCH))
    (tmp_path / "wl.yaml").write_text(yaml.safe_dump(WORKLOAD))
    return [str(tmp_path / "arch.yaml"), str(tmp_path / "wl.yaml")]


def test_map_exhaustive_json(tmp_path):
    out = tmp_path / "best.json"
    result = CliRunner().invoke(loopscape, ["map", *files(tmp_path), "--exhaustive", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "best mapping" in result.output and "searched" in result.output
    doc = json.loads(out.read_text())
    assert {"cycles", "energy_pj", "levels", "mapping", "search"} <= set(doc)
    assert doc["search"]["objective"] == "edp" and doc["search"]["valid"] > 0
    assert doc["search"]["value"] == doc["energy_pj"] * doc["cycles"]


def test_map_random_is_seeded(tmp_path):
    args = ["map", *files(tmp_path), "--budget", "3000", "--seed", "7", "--json", "-"]
    one = json.loads(CliRunner().invoke(loopscape, args).output)
    two = json.loads(CliRunner().invoke(loopscape, args).output)
    assert one["mapping"] == two["mapping"] and one["search"]["evaluated"] == 3000


def test_map_needs_an_architecture(tmp_path):
    result = CliRunner().invoke(loopscape, ["map", files(tmp_path)[1]])
    assert result.exit_code == 2 and "architecture" in result.output and "Traceback" not in result.output


def test_map_local_search_with_a_preset(tmp_path):
    args = ["map", *files(tmp_path), "--budget", "5000", "--preset", "output-stationary", "--json", "-"]
    result = CliRunner().invoke(loopscape, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["search"]["method"] == "local" and doc["search"]["preset"] == "output-stationary"
    rf = next(lv for lv in doc["levels"] if lv["name"] == "RF")
    assert rf["tensors"]["Z"]["fills"] == 0  # outputs stay put (the preset makes RF keep them)


def test_map_writes_a_timeloop_mapping_that_evaluates_to_the_same_result(tmp_path):
    from loopscape.io import load_specs
    from loopscape.io.timeloop_writer import to_timeloop_yaml
    from loopscape.model import evaluate

    out, tl = tmp_path / "best.json", tmp_path / "map.yaml"
    args = ["map", *files(tmp_path), "--budget", "4000", "--json", str(out), "--timeloop", str(tl)]
    result = CliRunner().invoke(loopscape, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    specs = load_specs(files(tmp_path))
    (tmp_path / "tl.yaml").write_text(to_timeloop_yaml(arch=specs.arch, workload=specs.workload))
    back = load_specs([str(tmp_path / "tl.yaml"), str(tl)])
    r = evaluate(back.arch, back.workload, back.mapping)
    assert (r.cycles, r.energy_pj) == (doc["cycles"], doc["energy_pj"])
    assert doc["search"]["unconstrained_mapspace_size"] == doc["search"]["mapspace_size"]
