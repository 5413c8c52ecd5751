"""Sweep specs: what they read, and every error naming the spec file and the path inside it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from dse_helpers import SPEC, write_spec

from loopscape.cli import loopscape
from loopscape.dse import load_sweep
from loopscape.errors import SpecError


def test_reads_parameters_workloads_and_defaults(spec_file):
    spec = load_sweep(spec_file)
    assert spec.template == "eyeriss"
    assert dict(spec.parameters)["pe_x"] == (2, 4)
    assert dict(spec.parameters)["technology"] == ("45nm",)
    assert spec.space_size == 2 * 2 * 1 * 2 * 2
    assert spec.workloads[0].network == str(spec_file.parent / "tiny_net.yaml")
    assert spec.mapper.budget == 64 and spec.mapper.seed_orders == 2 and spec.mapper.objective == "edp"
    assert spec.search.method == "grid"


def test_ranges_expand(tmp_path):
    text = SPEC.replace("pe_x: [2, 4]", "pe_x: {min: 2, max: 16, factor: 2}").replace(
        "RFile.entries: [16, 64]", "RFile.entries: {min: 8, max: 24, step: 8}"
    )
    spec = load_sweep(write_spec(tmp_path, text))
    assert dict(spec.parameters)["pe_x"] == (2, 4, 8, 16)
    assert dict(spec.parameters)["RFile.entries"] == (8, 16, 24)


def test_evaluation_fingerprint_ignores_the_parameter_space_only(tmp_path):
    a = load_sweep(write_spec(tmp_path, SPEC, "a.yaml"))
    b = load_sweep(write_spec(tmp_path, SPEC.replace("pe_x: [2, 4]", "pe_x: [2, 4, 8]"), "b.yaml"))
    c = load_sweep(write_spec(tmp_path, SPEC.replace("budget: 64", "budget: 65"), "c.yaml"))
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


BAD = [
    ("pe_x: [2, 4]", "pe_x: [2, -4]", "sweep.parameters.pe_x[1]", "positive integer"),
    ("pe_x: [2, 4]", "pe_z: [2, 4]", "sweep.parameters.pe_z", "pe_x"),
    ("GBuf.size_kb", "GBuff.size_kb", "sweep.parameters.GBuff.size_kb", "storage level"),
    ("GBuf.size_kb", "GBuf.size_mb", "sweep.parameters.GBuf.size_mb", "size_kb"),
    ("technology: 45nm", "technology: [45nm, 3nm]", "sweep.parameters.technology[1]", "technology node"),
    ("pe_x: [2, 4]", "pe_x: [2, 2]", "sweep.parameters.pe_x", "distinct"),
    ("pe_x: [2, 4]", "pe_x: {min: 2, max: 8}", "sweep.parameters.pe_x", "step"),
    ("template: eyeriss", "template: eyeris", "sweep.template", "built-in architecture"),
    ("{network: tiny_net.yaml}", "{network: alexnet2}", "sweep.workloads[0].network", "alexnet"),
    ("{network: tiny_net.yaml}", "{network: missing.yaml}", "sweep.workloads[0].network", "existing"),
    (
        "{network: tiny_net.yaml}",
        "{network: alexnet, trainig: true}",
        "sweep.workloads[0].trainig",
        "training",
    ),
    (
        "{network: tiny_net.yaml}",
        "{network: tiny_net.yaml, layers: [conv9]}",
        "sweep.workloads[0].layers",
        "conv1",
    ),
    ("budget: 64", "budget: 0", "sweep.mapper.budget", "positive integer"),
    ("  mapper:", "  search: {method: random}\n  mapper:", "sweep.search.samples", "random points"),
    ("  mapper:", "  search: {method: anneal}\n  mapper:", "sweep.search.method", "grid"),
    ("  name: tiny", "  nmae: tiny", "sweep.nmae", "name"),
    ("  mapper:", "  objectives: [fj_per_op, speed]\n  mapper:", "sweep.objectives[1]", "a metric"),
    ("  mapper:", "  objectives: [fj_per_op]\n  mapper:", "sweep.objectives", "two or more"),
]


@pytest.mark.parametrize(("old", "new", "path", "expected"), BAD)
def test_bad_spec_names_file_and_path(tmp_path, old, new, path, expected):
    assert old in SPEC
    file = write_spec(tmp_path, SPEC.replace(old, new))
    with pytest.raises(SpecError) as err:
        load_sweep(file)
    assert err.value.file == str(file)
    assert err.value.path == path
    assert expected in err.value.expected


def test_yaml_syntax_and_missing_file(tmp_path):
    with pytest.raises(SpecError) as err:
        load_sweep(write_spec(tmp_path, "sweep: {template: [eyeriss\n"))
    assert "line" in err.value.path and err.value.file.endswith("sweep.yaml")
    with pytest.raises(SpecError) as err:
        load_sweep(tmp_path / "nope.yaml")
    assert err.value.path == "(file)"


def test_cli_bad_spec_exits_2_with_the_path(tmp_path):
    file = write_spec(tmp_path, SPEC.replace("pe_x: [2, 4]", "pe_x: [2, four]"))
    result = CliRunner().invoke(loopscape, ["sweep", str(file), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    assert str(file) in result.output and "sweep.parameters.pe_x[1]" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s.db").exists()


def test_cli_bad_spec_real_process(tmp_path):
    file = write_spec(tmp_path, SPEC.replace("RFile.entries", "RFile.entriez"))
    run = subprocess.run(
        [sys.executable, "-m", "loopscape", "sweep", str(file), "--store", str(tmp_path / "s.db")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert str(file) in run.stderr and "sweep.parameters.RFile.entriez" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_error_inside_the_network_file_names_that_file(tmp_path):
    file = write_spec(tmp_path)
    (tmp_path / "tiny_net.yaml").write_text(
        "network:\n  name: bad\n  layers:\n    - {name: c, type: conv, K: 0}\n"
    )
    with pytest.raises(SpecError) as err:
        load_sweep(file)
    assert err.value.file.endswith("tiny_net.yaml") and "layers[0]" in err.value.path


def test_point_ids_follow_the_network_file_contents_not_its_path(tmp_path):
    from loopscape.dse import grid_points

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    ids_a = [p.id for p in grid_points(load_sweep(write_spec(a)))]
    assert [p.id for p in grid_points(load_sweep(write_spec(b)))] == ids_a
    (b / "tiny_net.yaml").write_text((b / "tiny_net.yaml").read_text().replace("K: 16", "K: 32"))
    assert not set(ids_a) & {p.id for p in grid_points(load_sweep(b / "sweep.yaml"))}
