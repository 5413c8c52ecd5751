"""The command line: bad inputs give a message naming file and path on stderr, exit status 2, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from loopscape.cli import loopscape

ROOT = Path(__file__).parents[1]

WORKLOAD = "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4, R: 3, S: 3}\n"
ARCH = """
architecture:
  name: small
  levels:
    - {name: DRAM, class: DRAM}
    - {name: Buffer, class: SRAM, entries: 1024}
    - {name: RF, class: regfile, instances: 4, mesh_x: 2, entries: 64}
"""
MAPPING = """
mapping:
  nest:
    - {level: DRAM, temporal: K2 C2}
    - {level: Buffer, temporal: P4 Q4, spatial_x: K2, spatial_y: C2}
    - {level: RF, temporal: R3 S3}
"""
TL_ARCH = """
architecture:
  version: 0.4
  subtree:
  - name: system
    local:
    - {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 16}}
    - {name: Buffer, class: SRAM, attributes: {depth: 1024, width: 16, datawidth: 16}}
    subtree:
    - name: PE[0..3]
      local:
      - {name: RF, class: regfile, attributes: {depth: 64, width: 16, datawidth: 16, meshX: 2}}
      - {name: MAC, class: intmac, attributes: {datawidth: 16, meshX: 2}}
"""
TL_PROBLEM = "problem: {shape: cnn-layer, instance: {R: 3, S: 3, P: 4, Q: 4, C: 4, K: 4, N: 1}}\n"
TL_MAPPING = """
mapping:
- {target: DRAM, type: temporal, factors: K=2 C=2, permutation: CK}
- {target: Buffer, type: temporal, factors: P=4 Q=4, permutation: QP}
- {target: Buffer, type: spatial, factors: K=2 C=2, permutation: KC, split: 1}
- {target: RF, type: temporal, factors: R=3 S=3, permutation: SR}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def run(*args: str):
    return CliRunner().invoke(loopscape, list(args))


# (file name, content, the path the message must name); each case is evaluated with good other files.
BAD = [
    ("w.yaml", "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4, R: 3, S: 3, strde: 2}\n", "workload.strde"),
    ("w.yaml", "workload: {layer: conv2d, K: -4, C: 4, P: 4, Q: 4, R: 3, S: 3}\n", "workload.K"),
    ("w.yaml", "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4, R: 3, S: 3\n", "line 2"),
    ("w.yaml", "workload:\n  layer: conv2d\n  layer: matmul\n", "line 3"),
    (
        "w.yaml",
        "workload: {dimensions: {P: 4}, tensors: [{name: O, ranks: ['P*'], read_write: true}]}\n",
        "workload.tensors[0].ranks[0]",
    ),
    ("a.yaml", ARCH.replace("entries: 1024", "entries: lots"), "architecture.levels[1].entries"),
    ("a.yaml", ARCH.replace("class: SRAM", "class: SRMA"), "architecture.levels[1].class"),
    ("a.yaml", ARCH.replace("mesh_x: 2", "mesh_x: 3"), "architecture.levels[2].mesh_x"),
    ("a.yaml", ARCH.replace("entries: 64", "entrys: 64"), "architecture.levels[2].entrys"),
    ("m.yaml", MAPPING.replace("level: RF", "level: RFF"), "mapping.nest[2].level"),
    ("m.yaml", MAPPING.replace("R3 S3", "R3 S3 X2"), "mapping.nest[2].temporal"),
    ("m.yaml", MAPPING.replace("K2 C2}", "K2 C1}"), "mapping.factors.C"),
    (
        "m.yaml",
        MAPPING.replace("spatial_x: K2", "spatial_x: K4").replace("DRAM, temporal: K2", "DRAM, temporal: K1"),
        "mapping.spatial[Buffer]",
    ),
    ("m.yaml", "mapping:\n  nest: []\n  bogus: 1\n", "mapping.bogus"),
    ("m.yaml", "just a string\n", "(document)"),
    ("m.yaml", "", "(document)"),
    ("x.yaml", "workload_: {}\n", "workload_"),
]


@pytest.mark.parametrize(("name", "text", "path"), BAD)
def test_bad_native_input(tmp_path, name, text, path):
    files = {"w.yaml": WORKLOAD, "a.yaml": ARCH, "m.yaml": MAPPING}
    files[name] = text
    paths = [write(tmp_path, n, t) for n, t in files.items()]
    result = run("evaluate", *paths)
    bad = str(tmp_path / name)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert bad in result.stderr
    assert path in result.stderr
    assert "found" in result.stderr and "expected" in result.stderr
    assert result.stdout == ""


TL_BAD = [
    (
        "a.yaml",
        TL_ARCH.replace("depth: 1024", "dpeth: 1024"),
        "architecture.subtree[0].local[1].attributes.dpeth",
    ),
    (
        "a.yaml",
        TL_ARCH.replace("class: intmac", "class: multiplier"),
        "architecture.subtree[0].subtree[0].local[1].class",
    ),
    (
        "a.yaml",
        TL_ARCH.replace("meshX: 2}}\n      - {name: MAC", "meshX: 3}}\n      - {name: MAC"),
        "architecture.subtree[0].subtree[0].local[0].attributes.meshX",
    ),
    ("p.yaml", TL_PROBLEM.replace("N: 1", "N: 0"), "problem.instance.N"),
    ("p.yaml", TL_PROBLEM.replace("cnn-layer", "cnn-layers"), "problem.shape"),
    ("m.yaml", TL_MAPPING.replace("target: RF", "target: RF0"), "mapping[3].target"),
    ("m.yaml", TL_MAPPING.replace("factors: R=3 S=3", "factors: R=3 S=2"), "mapping[3].factors"),
    ("m.yaml", TL_MAPPING.replace("permutation: QP", "permutation: QPZ"), "mapping[1].permutation"),
    ("m.yaml", TL_MAPPING.replace("type: spatial", "type: spacial"), "mapping[2].type"),
    ("m.yaml", TL_MAPPING + "- {target: RF, type: bypass, bypass: [Outputz]}\n", "mapping[4].bypass[0]"),
    (
        "e.yaml",
        "ERT: {version: 0.3, tables: [{name: system.DRAM, actions: [{name: read, energy: -5}]}]}\n",
        "ERT.tables[0].actions[0].energy",
    ),
    ("e.yaml", "ERT: {version: 0.3, tables: [{name: system.DRAM}]}\n", "ERT.tables[0].actions"),
]


@pytest.mark.parametrize(("name", "text", "path"), TL_BAD)
def test_bad_timeloop_input(tmp_path, name, text, path):
    files = {
        "a.yaml": TL_ARCH,
        "p.yaml": TL_PROBLEM,
        "m.yaml": TL_MAPPING,
        "e.yaml": "ERT: {version: 0.3, tables: []}\n",
    }
    files[name] = text
    paths = [write(tmp_path, n, t) for n, t in files.items()]
    result = run("evaluate", *paths)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert str(tmp_path / name) in result.stderr
    assert path in result.stderr


def test_missing_file_and_missing_part(tmp_path):
    result = run("evaluate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "nope.yaml" in result.stderr and "no such file" in result.stderr
    w = write(tmp_path, "w.yaml", WORKLOAD)
    result = run("evaluate", w, write(tmp_path, "a.yaml", ARCH))
    assert result.exit_code == 2 and "mapping" in result.stderr and "Traceback" not in result.output


def test_subprocess_reports_without_traceback(tmp_path):
    bad = write(tmp_path, "bad.yaml", ARCH.replace("entries: 64", "entries: -64"))
    proc = subprocess.run(
        [sys.executable, "-m", "loopscape", "evaluate", write(tmp_path, "w.yaml", WORKLOAD), bad,
         write(tmp_path, "m.yaml", MAPPING)],
        capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""}, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert bad in proc.stderr and "architecture.levels[2].entries" in proc.stderr


# --- end to end (needs the model) -----------------------------------------------------------------


def _need_model():
    pytest.importorskip("loopscape.model.evaluate")


def test_evaluate_native_and_timeloop_agree(tmp_path):
    _need_model()
    native = run("evaluate", write(tmp_path, "w.yaml", WORKLOAD), write(tmp_path, "a.yaml", ARCH),
                 write(tmp_path, "m.yaml", MAPPING), "--json", str(tmp_path / "n.json"))  # fmt: skip
    assert native.exit_code == 0, native.output
    assert "Summary" in native.stdout and "for r in [0:3)" in native.stdout
    tl = run("evaluate", write(tmp_path, "ta.yaml", TL_ARCH), write(tmp_path, "tp.yaml", TL_PROBLEM),
             write(tmp_path, "tm.yaml", TL_MAPPING), "--json", "-")  # fmt: skip
    assert tl.exit_code == 0, tl.output
    got = json.loads(tl.stdout)
    ref = json.loads((tmp_path / "n.json").read_text())
    assert got["macs"] == ref["macs"] == 4 * 4 * 4 * 4 * 9
    assert got["compute_cycles"] == ref["compute_cycles"]


def test_demo(tmp_path):
    """The README's first command: AlexNet mapped on Eyeriss, the table, result.json and report.html; --save
    copies a one-layer example's specs that evaluate as they are."""
    _need_model()
    out = tmp_path / "demo"
    result = run("demo", "--out", str(out), "--budget", "200", "--save", str(tmp_path / "specs"))
    assert result.exit_code == 0, result.output
    assert "conv1" in result.stdout and "fc8" in result.stdout and "total" in result.stdout
    doc = json.loads((out / "result.json").read_text())
    assert doc["network"] == "alexnet" and doc["architecture"] == "eyeriss" and len(doc["layers"]) == 8
    assert doc["totals"]["energy_pj"] == pytest.approx(sum(layer["energy_pj"] for layer in doc["layers"]))
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and f"{doc['totals']['cycles']:,}" in page
    saved = sorted(p.name for p in (tmp_path / "specs").iterdir())
    assert saved == ["demo_arch.yaml", "demo_mapping.yaml", "demo_workload.yaml"]
    again = run("evaluate", *sorted(str(p) for p in (tmp_path / "specs").iterdir()), "--json", "-")
    assert json.loads(again.stdout)["macs"] == 64 * 64 * 28 * 28 * 9
