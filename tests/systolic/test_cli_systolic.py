"""`loopscape systolic`: reports with SCALE-Sim's layout, JSON, and malformed inputs -> exit 2 naming file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from systolic_inputs import CFG, CONV, GEMM, write

from loopscape.cli import loopscape
from loopscape.systolic.reports import BANDWIDTH_COLUMNS, COMPUTE_COLUMNS, DETAILED_COLUMNS


def run(*args: str) -> object:
    return CliRunner().invoke(loopscape, ["systolic", *args])


def test_reports_and_json(tmp_path: Path) -> None:
    cfg = write(tmp_path, "a.cfg", CFG.format(dataflow="os"))
    topo = write(tmp_path, "t.csv", CONV)
    out = tmp_path / "out"
    res = run(
        "--config", str(cfg), "--topology", str(topo), "--out", str(out), "--json", str(tmp_path / "r.json")
    )
    assert res.exit_code == 0, res.output
    for name, columns in (
        ("COMPUTE_REPORT.csv", COMPUTE_COLUMNS),
        ("BANDWIDTH_REPORT.csv", BANDWIDTH_COLUMNS),
        ("DETAILED_ACCESS_REPORT.csv", DETAILED_COLUMNS),
    ):
        lines = (out / name).read_text().splitlines()
        assert lines[0] == ", ".join(columns) + ","
        assert len(lines) == 3 and all(line.endswith(",") for line in lines)
    # layer 'small' on os: 71 cycles (test_systolic_model.HAND)
    assert (out / "COMPUTE_REPORT.csv").read_text().splitlines()[1].split(", ")[2:4] == ["71", "0"]
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["layers"][0]["Total Cycles"] == 71 and doc["layers"][0]["Layer name"] == "small"
    assert [layer["Layer name"] for layer in doc["layers"]] == ["small", "s2"]
    assert doc["array"] == {"rows": 4, "cols": 4} and doc["dataflow"] == "os"


def test_gemm_detected_and_json_stdout(tmp_path: Path) -> None:
    cfg = write(tmp_path, "a.cfg", CFG.format(dataflow="os"))
    res = run("--config", str(cfg), "--topology", str(write(tmp_path, "g.csv", GEMM)), "--json", "-")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["layers"][0]["Total Cycles"] == 71  # the GEMM of layer 'small'


@pytest.mark.parametrize(
    ("cfg_edit", "topo_text", "bad_file", "where"),
    [
        (("ArrayWidth:     4\n", ""), CONV, "a.cfg", "[architecture_presets] ArrayWidth"),
        (("ArrayHeight:    4", "ArrayHeight:    0"), CONV, "a.cfg", "[architecture_presets] ArrayHeight"),
        (("IfmapSramSzkB:    64", "IfmapSramSzkB:    lots"), CONV, "a.cfg", "[architecture_presets] IfmapSramSzkB"),
        (("", ""), CONV.replace(" 2, 4, 1,", " 2, x, 1,"), "t.csv", "line 2, column 'Num Filter'"),
        (("", ""), CONV.replace("s2, 7, 8, 3, 3, 1, 2, 2,", "s2, 7, 8, 3, 3, zero, 2, 2,"), "t.csv",
         "line 3, column 'Channels'"),
        (("SparsitySupport : false", "SparsitySupport : true"), CONV, "a.cfg", "[sparsity] SparsitySupport"),
        (("IfmapCustomLayout: False", "IfmapCustomLayout: True"), CONV, "a.cfg", "[layout] IfmapCustomLayout"),
    ],
)  # fmt: skip
def test_malformed_exit_2(
    tmp_path: Path, cfg_edit: tuple[str, str], topo_text: str, bad_file: str, where: str
) -> None:
    text = CFG.format(dataflow="ws")
    cfg = write(tmp_path, "a.cfg", text.replace(*cfg_edit) if cfg_edit[0] else text)
    topo = write(tmp_path, "t.csv", topo_text)
    res = run("--config", str(cfg), "--topology", str(topo))
    assert res.exit_code == 2
    assert str(tmp_path / bad_file) in res.stderr and where in res.stderr
    assert "Traceback" not in res.output


REFERENCE = Path(__file__).parents[1] / "data" / "scalesim"


@pytest.mark.parametrize("case", ["conv_large_8x8_ws_calc", "conv3x3_32x32_is_user"])
def test_report_files_equal_scalesims(tmp_path: Path, case: str) -> None:
    """Through the command, in both bandwidth modes: the three CSVs are SCALE-Sim 3.0.0's, byte for byte."""
    folder = REFERENCE / case
    if not (folder / "COMPUTE_REPORT.csv").is_file():
        pytest.skip("no SCALE-Sim reference data")
    res = run("--config", str(folder / "scale.cfg"), "--topology", str(folder / "topology.csv"),
              "--out", str(tmp_path))  # fmt: skip
    assert res.exit_code == 0, res.output
    for name in ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"):
        assert (tmp_path / name).read_text() == (folder / name).read_text(), name


def test_huge_layers_refused_with_their_size(tmp_path: Path) -> None:
    """Bounded resources: a layer past the address tables' limit, or one whose replay would walk too many demand
    rows, is refused up front with its size (exit 2), in a second, not after exhausting memory."""
    cfg = write(tmp_path, "a.cfg", CFG.format(dataflow="os"))
    header = CONV.splitlines()[0]
    wide = write(tmp_path, "wide.csv", header + "\nwide, 5000, 5000, 1, 1, 1, 1, 1,\n")
    res = run("--config", str(cfg), "--topology", str(wide))
    assert res.exit_code == 2 and "25,000,000 output pixels" in res.stderr and "Traceback" not in res.output
    # 4M pixels, 64 channels, 500 filters on the 4 x 4 array: 125M folds of 70 rows
    long = write(tmp_path, "long.csv", header + "\nlong, 4000, 1000, 1, 1, 64, 500, 1,\n")
    res = run("--config", str(cfg), "--topology", str(long))
    assert res.exit_code == 2 and "demand rows" in res.stderr and "--no-dram-replay" in res.stderr
    res = run("--config", str(cfg), "--topology", str(long), "--no-dram-replay", "--json", "-")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["layers"][0]["M"] == 4_000_000
