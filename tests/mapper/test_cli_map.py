"""`loopscape map`: best mapping of a workload on an architecture, with its stats and JSON."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
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
    assert doc["search"]["method"] == "default" and doc["search"]["preset"] == "output-stationary"
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


# --- Timeloop users: timeloop-mapper's input files as they are ----------------------------------------------------
EYERISS = Path(__file__).parent.parent / "data" / "timeloop_mapper" / "eyeriss_like"
TL_FILES = [
    str(EYERISS / n) for n in ("arch.yaml", "problem.yaml", "ert.yaml", "constraints.yaml", "mapper.yaml")
]


@pytest.fixture(scope="module")
def eyeriss_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eyeriss")
    out = tmp / "best.json"
    result = CliRunner().invoke(loopscape, ["map", *TL_FILES, "--json", str(out), "--top-k", "3", "--pareto"])
    assert result.exit_code == 0, result.output
    return result, json.loads(out.read_text()), tmp / "best.map.yaml"


def test_timeloop_mapper_inputs_run_and_report_the_search(eyeriss_run):
    result, doc, _ = eyeriss_run
    s = doc["search"]
    assert s["method"] == "default" and s["objective"] == "delay,energy"  # hybrid; optimization-metrics
    assert s["constraints"] == [str(EYERISS / "constraints.yaml")] and s["mapper_settings"] == TL_FILES[-1]
    assert s["unconstrained_mapspace_size"] > s["mapspace_size"] > s["pruned_mapspace_size"] > 0
    assert s["evaluated"] <= 60000 and s["budget"] == 60000 and s["patience"] == 500 * 4
    assert s["stopped"] in ("budget", "patience") and s["valid"] > 0
    assert any("max-permutations-per-if-visit" in n for n in s["notes"])
    assert "warning:" in result.stderr and "max-permutations-per-if-visit" in result.stderr
    assert "energy-delay Pareto set" in result.stdout and "top 3" in result.stdout


def test_the_best_mapping_obeys_every_constraint(eyeriss_run):
    _, doc, _ = eyeriss_run
    for m in [doc["mapping"], *(t["mapping"] for t in doc["top"]), *(p["mapping"] for p in doc["pareto"])]:
        loops = m["loops"]
        spatial = [lp for lp in loops if lp["kind"] != "temporal"]
        assert all(lp["level"] == "GBuf" for lp in spatial)
        # GBuf -> PEs: S whole, along X with C; Q and K along Y; nothing over P, R, N ("S=0 P=1 R=1 N=1", "SC.QK")
        assert [lp["bound"] for lp in spatial if lp["dim"] == "S"] == [3]
        assert {lp["dim"] for lp in spatial if lp["kind"] == "spatial_x"} <= {"S", "C"}
        assert {lp["dim"] for lp in spatial if lp["kind"] == "spatial_y"} <= {"Q", "K"}
        # RFile: the whole R, no S or Q loop ("R=0 S=1 Q=1")
        rfile = {lp["dim"]: lp["bound"] for lp in loops if lp["level"] == "RFile"}
        assert rfile.get("R") == 3 and "S" not in rfile and "Q" not in rfile
        # bypass: GBuf keeps inputs and partial sums only; RFile keeps everything (the default, not listed)
        assert m["keep"]["GBuf"] == ["Inputs", "Outputs"] and "RFile" not in m["keep"]
        # utilization >= 0.25 of the 168 PEs
        assert math.prod(lp["bound"] for lp in spatial) >= 0.25 * 168
    assert doc["utilization"] >= 0.25


def test_top_k_and_pareto_in_the_json(eyeriss_run):
    _, doc, _ = eyeriss_run
    top, front = doc["top"], doc["pareto"]
    assert len(top) == 3 and top[0]["mapping"] == doc["mapping"]
    assert [t["values"] for t in top] == sorted(t["values"] for t in top)
    assert top[0]["values"] == [doc["cycles"], doc["energy_pj"]] and top[0]["value"] == doc["cycles"]
    assert front and [p["cycles"] for p in front] == sorted(p["cycles"] for p in front)
    assert all(a["energy_pj"] > b["energy_pj"] for a, b in itertools.pairwise(front))  # faster costs more
    assert min(p["cycles"] for p in front) == doc["cycles"]  # the best by delay first is on the front


def test_the_timeloop_mapping_evaluates_to_the_same_result(eyeriss_run):
    _, doc, tl = eyeriss_run
    assert tl.exists()  # written beside --json OUT, as timeloop-mapper writes its map.yaml
    files = [*TL_FILES[:3], str(tl)]
    result = CliRunner().invoke(loopscape, ["evaluate", *files, "--json", "-"])
    assert result.exit_code == 0, result.output
    back = json.loads(result.stdout)
    assert (back["cycles"], back["energy_pj"]) == (doc["cycles"], doc["energy_pj"])
    assert back["levels"] == doc["levels"]


def test_search_size_is_the_budget_and_options_override_the_file(tmp_path):
    (tmp_path / "mapper.yaml").write_text(yaml.safe_dump(
        {"mapper": {"optimization-metric": "energy", "algorithm": "random-pruned", "search-size": 3000}}))  # fmt: skip
    args = [
        *TL_FILES[:4],
        str(tmp_path / "mapper.yaml"),
        "--json",
        "-",
        "--timeloop",
        str(tmp_path / "m.yaml"),
    ]
    doc = json.loads(CliRunner().invoke(loopscape, ["map", *args]).stdout)
    s = doc["search"]
    assert (s["method"], s["objective"], s["evaluated"], s["stopped"]) == ("random", "energy", 3000, "budget")
    over = ["--budget", "2000", "--objective", "edp", "--search", "local", "--patience", "100000"]
    doc = json.loads(CliRunner().invoke(loopscape, ["map", *args, *over]).stdout)
    s = doc["search"]
    assert (s["method"], s["objective"], s["evaluated"], s["patience"]) == ("local", "edp", 2000, 100000)
    assert s["value"] == doc["energy_pj"] * doc["cycles"]


def test_time_limit_is_seconds(tmp_path):
    args = [*TL_FILES, "--time-limit", "0", "--json", "-", "--timeloop", str(tmp_path / "m.yaml")]
    doc = json.loads(CliRunner().invoke(loopscape, ["map", *args]).stdout)
    assert doc["search"]["time_limit"] == 0 and doc["search"]["stopped"] == "time"


def test_a_preset_merges_with_the_files_constraints(tmp_path):
    args = [*TL_FILES, "--preset", "row-stationary", "--budget", "3000", "--json", "-"]
    args += ["--timeloop", str(tmp_path / "m.yaml")]
    result = CliRunner().invoke(loopscape, ["map", *args])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["search"]["preset"] == "row-stationary" and doc["search"]["constraints"]


def test_every_preset_is_offered():
    from loopscape.cli import MAP_PRESETS
    from loopscape.mapping import PRESETS

    assert set(MAP_PRESETS) == set(PRESETS)


def test_a_preset_the_workload_cannot_take_exits_2(tmp_path):
    result = CliRunner().invoke(loopscape, ["map", *files(tmp_path), "--preset", "row-stationary"])
    assert result.exit_code == 2 and "--preset" in result.output and "Traceback" not in result.output


def constraints_file(tmp_path, targets):
    path = tmp_path / "constraints.yaml"
    path.write_text(yaml.safe_dump({"mapspace_constraints": {"targets": targets}}))
    return str(path)


def test_a_constraint_error_names_the_file_and_the_path(tmp_path):
    bad = constraints_file(tmp_path, [TEMPORAL_OK, {"target": "RFile", "type": "temporal", "factors": "R:3"}])
    result = CliRunner().invoke(loopscape, ["map", *TL_FILES[:3], bad])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert bad in result.output and "mapspace_constraints.targets[1].factors" in result.output


def test_an_empty_mapspace_says_which_constraint_emptied_it(tmp_path):
    bad = constraints_file(tmp_path, [TEMPORAL_OK, {"target": "GBuf", "type": "spatial", "factors": "K=64"}])
    result = CliRunner().invoke(loopscape, ["map", *TL_FILES[:3], bad])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "empty mapspace" in result.output
    assert f"{bad}: mapspace_constraints.targets[1]" in result.output


def test_unsupported_metrics_exit_2_unless_overridden(tmp_path):
    (tmp_path / "mapper.yaml").write_text(yaml.safe_dump(
        {"mapper": {"optimization-metrics": ["last-level-accesses"], "search-size": 500}}))  # fmt: skip
    args = [*TL_FILES[:4], str(tmp_path / "mapper.yaml"), "--timeloop", str(tmp_path / "m.yaml")]
    result = CliRunner().invoke(loopscape, ["map", *args])
    assert (
        result.exit_code == 2
        and "optimization-metrics[0]" in result.output
        and "--objective" in result.output
    )
    result = CliRunner().invoke(loopscape, ["map", *args, "--objective", "energy", "--json", "-"])
    assert result.exit_code == 0 and json.loads(result.stdout)["search"]["objective"] == "energy"


def test_unsupported_constraint_types_are_warned_about(tmp_path):
    odd = constraints_file(tmp_path, [TEMPORAL_OK, {"target": "GBuf", "type": "no_multicast"}])
    args = [*TL_FILES[:3], odd, "--budget", "500", "--json", "-", "--timeloop", str(tmp_path / "m.yaml")]
    result = CliRunner().invoke(loopscape, ["map", *args])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "no_multicast" in result.stderr
    assert any("no_multicast" in n for n in json.loads(result.stdout)["search"]["notes"])


def test_a_bad_objective_exits_2(tmp_path):
    result = CliRunner().invoke(loopscape, ["map", *files(tmp_path), "--objective", "speed"])
    assert result.exit_code == 2 and "--objective" in result.output and "Traceback" not in result.output


TEMPORAL_OK = {"target": "RFile", "type": "temporal", "factors": "R=0 S=1 Q=1"}
