"""`loopscape convert IN... --to timeloop|zigzag|native --out DIR` and io/convert.py."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from test_timeloop_roundtrip import as_timeloop_reads, everything_arch

from loopscape.arch import zoo
from loopscape.cli import loopscape
from loopscape.io import load_specs
from loopscape.io.convert import WRITERS, convert
from loopscape.io.native import to_native_yaml
from loopscape.mapper import search
from loopscape.mapper.mapspace import Mapspace
from loopscape.mapping import SPATIAL_X, TEMPORAL, Loop, Mapping
from loopscape.model.evaluate import evaluate
from loopscape.workload import conv2d, networks

CONSTRAINTS = """
mapspace_constraints:
  targets:
  - {target: GBuf, type: temporal, factors: R=1 S=1, permutation: QP}
  - {target: GBuf, type: spatial, factors: C<=16, permutation: CK, split: 1}
  - {target: RFile, type: bypass, keep: [Weights]}
"""


def run(*args: str):
    return CliRunner().invoke(loopscape, [str(a) for a in args])


@pytest.fixture
def native_set(tmp_path):
    """A native architecture, workload and mapper mapping in one file, and Timeloop constraints beside it."""
    arch = zoo.get("eyeriss")
    w = networks.get("alexnet").layer("conv3")
    found = search(arch, w, budget=2000, mapspace=Mapspace(arch, w, one_axis_per_dim=True, uneven=False))
    spec = tmp_path / "in.yaml"
    spec.write_text(to_native_yaml(arch, w, found.mapping), encoding="utf-8")
    constraints = tmp_path / "constraints_in.yaml"
    constraints.write_text(CONSTRAINTS, encoding="utf-8")
    return spec, constraints


def same_specs(a, b) -> None:
    assert a.arch == b.arch
    assert a.workload == b.workload
    assert (
        evaluate(a.arch, a.workload, a.mapping).to_json() == evaluate(b.arch, b.workload, b.mapping).to_json()
    )


def test_native_to_timeloop_to_native(tmp_path, native_set):
    spec, constraints = native_set
    original = load_specs([spec, constraints], mapspace=True)

    result = run(
        "convert", spec, constraints, "--to", "timeloop", "--out", tmp_path / "tl", "--builtin-energy"
    )
    assert result.exit_code == 0, result.output
    tl = tmp_path / "tl"
    assert sorted(p.name for p in tl.iterdir()) == [
        "arch.yaml", "constraints.yaml", "ert.yaml", "map.yaml", "problem.yaml",
    ]  # fmt: skip
    for name in ("arch.yaml", "problem.yaml", "map.yaml", "constraints.yaml", "ert.yaml"):
        assert f"wrote {tl / name}" in result.output
    assert "note: architecture: the networks below" in result.output  # no forwarding: Timeloop forwards
    timeloop = load_specs(sorted(tl.iterdir()), mapspace=True)
    assert timeloop.formats["architecture"] == "timeloop"
    same_specs(original, timeloop)
    assert timeloop.mapping == as_timeloop_reads(original.mapping)  # spatial Y outside X, as Timeloop reads
    assert timeloop.constraints.levels == original.constraints.levels

    result = run("convert", *sorted(tl.iterdir()), "--to", "native", "--out", tmp_path / "nat")
    assert result.exit_code == 0, result.output
    nat = tmp_path / "nat"
    assert sorted(p.name for p in nat.iterdir()) == [
        "arch.yaml", "constraints.yaml", "energy.yaml", "map.yaml", "workload.yaml",
    ]  # fmt: skip
    back = load_specs(sorted(nat.iterdir()), mapspace=True)
    assert (
        back.formats["architecture"] == "native" and back.formats["constraints"]
        if "constraints" in back.formats
        else True
    )
    same_specs(original, back)
    assert back.mapping == timeloop.mapping
    assert back.constraints.levels == original.constraints.levels
    # the energy numbers come back (per level, the MAC, the areas)
    assert back.energy.levels == timeloop.energy.levels
    assert back.energy.compute == timeloop.energy.compute
    assert back.energy.area == timeloop.energy.area


def test_convert_api_and_json(tmp_path, native_set):
    spec, _ = native_set
    result = convert([spec], "timeloop", tmp_path / "a")
    assert set(result.files) == {"architecture", "workload", "mapping"}  # no energy given, none asked for
    assert all(p.exists() for p in result.files.values())
    out = run("convert", spec, "--to", "native", "--out", tmp_path / "b", "--json", "-")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert doc["format"] == "native"
    assert set(doc["files"]) == {"architecture", "workload", "mapping"}
    assert isinstance(doc["notes"], list)
    assert set(WRITERS) == {"native", "timeloop", "zigzag"}


def test_every_zoo_architecture_converts_both_ways(tmp_path):
    for name in zoo.names():
        arch = zoo.get(name)
        src = tmp_path / f"{name}.yaml"
        src.write_text(to_native_yaml(arch=arch), encoding="utf-8")
        assert run("convert", src, "--to", "timeloop", "--out", tmp_path / name / "tl").exit_code == 0
        assert load_specs([tmp_path / name / "tl" / "arch.yaml"]).arch == arch
        tl_arch = tmp_path / name / "tl" / "arch.yaml"
        assert run("convert", tl_arch, "--to", "native", "--out", tmp_path / name / "nat").exit_code == 0
        assert load_specs([tmp_path / name / "nat" / "arch.yaml"]).arch == arch


def test_what_timeloop_cannot_hold_is_noted(tmp_path):
    src = tmp_path / "arch.yaml"
    src.write_text(to_native_yaml(arch=everything_arch()), encoding="utf-8")
    result = run("convert", src, "--to", "timeloop", "--out", tmp_path / "tl")
    assert result.exit_code == 0, result.output
    assert "note: architecture.update_unit: Timeloop has no weight-update unit" in result.output
    assert "clock_ghz" in result.output
    assert load_specs([tmp_path / "tl" / "arch.yaml"]).arch == everything_arch()


def test_a_mapping_timeloop_cannot_say_is_an_error_naming_the_file(tmp_path):
    arch = zoo.get("eyeriss")
    w = conv2d(K=16, C=4, P=4, Q=4, R=1, S=1)
    keep = tuple(frozenset(w.tensor_names) for _ in arch.levels)
    loops = (Loop("K", 16, SPATIAL_X, 1), Loop("C", 4, TEMPORAL, 2), Loop("P", 4, TEMPORAL, 2),
             Loop("Q", 4, TEMPORAL, 2))  # fmt: skip
    src = tmp_path / "uneven.yaml"
    src.write_text(to_native_yaml(arch, w, Mapping(loops, keep, cuts=((2, "Weights", 2),))), encoding="utf-8")
    result = run("convert", src, "--to", "timeloop", "--out", tmp_path / "tl")
    assert result.exit_code == 2
    assert f"error: invalid spec in {src}" in result.output
    assert "at:       mapping.cuts" in result.output
    assert "Traceback" not in result.output
    # the same set converts to native (it holds uneven mappings)
    assert run("convert", src, "--to", "native", "--out", tmp_path / "nat").exit_code == 0


def test_zigzag_target(tmp_path, native_set):
    spec, _ = native_set
    try:
        import loopscape.io.zigzag as zz
    except ImportError:
        zz = None
    result = run("convert", spec, "--to", "zigzag", "--out", tmp_path / "zz")
    if zz is None or not hasattr(zz, "write_zigzag"):
        assert result.exit_code == 2
        assert "cannot write ZigZag files" in result.output
    else:
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output


def test_nothing_to_convert(tmp_path):
    src = tmp_path / "mapper.yaml"
    src.write_text("mapper: {algorithm: random}\n", encoding="utf-8")
    result = run("convert", src, "--to", "native", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "no architecture, workload, mapping or constraints" in result.output


def test_input_notes_are_passed_on(tmp_path, native_set):
    spec, _ = native_set
    odd = tmp_path / "odd_constraints.yaml"
    odd.write_text("mapspace_constraints:\n  - {target: GBuf, type: no_link_transfer}\n", encoding="utf-8")
    result = run("convert", spec, odd, "--to", "timeloop", "--out", tmp_path / "tl")
    assert result.exit_code == 0, result.output
    assert "note: input:" in result.output and "no_link_transfer" in result.output


# --------------------------------------------------------------------------------------------------
# Foreign-format errors: the spec path, the file, exit status 2
# --------------------------------------------------------------------------------------------------

TL_ARCH = """
architecture:
  version: 0.4
  subtree:
  - name: system
    attributes: {technology: 45nm}
    local:
    - {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 16}}
    subtree:
    - name: PE[0..3]
      local:
      - {name: RF, class: regfile, attributes: {depth: 64, width: 16, datawidth: 16}}
      - {name: MAC, class: intmac, attributes: {datawidth: 16}}
"""
TL_PROBLEM = """
problem:
  shape:
    name: mm
    dimensions: [M, N, K]
    data-spaces:
    - {name: A, projection: [[[M]], [[K]]]}
    - {name: B, projection: [[[N]], [[K]]]}
    - {name: Z, projection: [[[M]], [[N]]], read-write: True}
  instance: {M: 4, N: 4, K: 8}
"""


@pytest.mark.parametrize(
    ("file", "old", "new", "path", "found"),
    [
        # unknown keys (a near-miss of one Timeloop reads)
        ("arch", "depth: 64", "depht: 64", "architecture.subtree[0].subtree[0].local[0].attributes.depht",
         "did you mean 'depth'"),
        ("arch", "technology: 45nm", "technolgy: 45nm", "architecture.subtree[0].attributes.technolgy",
         "did you mean 'technology'"),
        ("problem", "read-write: True", "read-writ: True", "problem.shape.data-spaces[2].read-writ",
         "unknown key"),
        ("problem", "instance:", "instanse:", "problem.instanse", "unknown key"),
        # wrong types
        ("problem", "K: 8", "K: '8'", "problem.instance.K", "'8'"),
        ("arch", "depth: 64", "depth: 6.4", "architecture.subtree[0].subtree[0].local[0].attributes.depth", "6.4"),
        ("arch", "technology: 45nm", "technology: 45", "architecture.subtree[0].attributes.technology", "45"),
        ("arch", "name: PE[0..3]", "name: PE[3..0]", "architecture.subtree[0].subtree[0].name", "PE[3..0]"),
        # missing required attributes
        ("arch", "class: intmac, ", "", "architecture.subtree[0].subtree[0].local[1].class", "missing"),
        ("problem", "{M: 4, N: 4, K: 8}", "{M: 4, N: 4}", "problem.instance.K", "missing"),
        ("problem", "name: mm\n", "name: mm\n    op: 5\n", "problem.shape.op", "5"),
    ],
)  # fmt: skip
def test_timeloop_errors_exit_2_with_the_spec_path(tmp_path, file, old, new, path, found):
    texts = {"arch": TL_ARCH, "problem": TL_PROBLEM}
    assert old in texts[file]
    texts[file] = texts[file].replace(old, new)
    paths = []
    for name, text in texts.items():
        p = tmp_path / f"{name}.yaml"
        p.write_text(textwrap.dedent(text), encoding="utf-8")
        paths.append(p)
    result = run("convert", *paths, "--to", "native", "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"error: invalid spec in {tmp_path / (file + '.yaml')}" in result.output
    assert f"at:       {path}\n" in result.output
    assert found in result.output
    assert "Traceback" not in result.output


def test_the_good_timeloop_files_convert(tmp_path):
    for name, text in (("arch", TL_ARCH), ("problem", TL_PROBLEM)):
        (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    result = run(
        "convert",
        tmp_path / "arch.yaml",
        tmp_path / "problem.yaml",
        "--to",
        "native",
        "--out",
        tmp_path / "n",
    )
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((tmp_path / "n" / "arch.yaml").read_text())
    assert [lv["name"] for lv in doc["architecture"]["levels"]] == ["DRAM", "RF"]
    assert doc["architecture"]["levels"][1]["instances"] == 4
    assert Path(tmp_path / "n" / "workload.yaml").exists()
