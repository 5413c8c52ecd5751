"""`loopscape coac overhead` and the error edge of `loopscape coac` (exit status 2 on bad input)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from loopscape.cli import loopscape

KEYS = [
    "l1_weight_registers",
    "l1_activation_registers",
    "mux_weight_stage1",
    "mux_activation_stage1",
    "mux_weight_stage2",
    "mux_activation_stage2",
    "adders",
    "mux_aggregation",
    "reshuffle_cluster",
    "reshuffle_words",
    "reshuffle_mux",
    "area_um2",
]


def run(*args: str):
    return CliRunner().invoke(loopscape, ["coac", *args])


def test_overhead_json_su1_su2():
    """Table III's SU1 + SU2 on 8 PEs, 4-word ports: Tables IV-VI's row SU1+SU2 and W_max = A_max = 4."""
    r = run("overhead", "--pe", "8", "--pw", "4", "--su", "K=2,C=2,OX=2", "--su", "K=2,OX=4", "--json")
    assert r.exit_code == 0, r.output
    o = json.loads(r.output)
    assert list(o) == KEYS
    got = [o[k] for k in KEYS[:-1]]
    assert got == [4, 4, 4, 16, 8, 8, 4, 12, 2, 16, 12]
    assert o["area_um2"] > 0


def test_overhead_table_and_per_memory_widths():
    r = run("overhead", "--pe", "16x16", "--pw-weight", "512", "--pw-activation", "128", "--su", "K=16,C=16")
    assert r.exit_code == 0, r.output
    assert "reshuffle buffer words" in r.output and "K=16,C=16" in r.output
    wide = json.loads(run("overhead", "--pe", "256", "--pw", "512", "--su", "K=16,C=16", "--json").output)
    per = json.loads(
        run(
            "overhead", "--pe", "256", "--pw", "128", "--pw-weight", "512", "--su", "K=16,C=16", "--json"
        ).output
    )
    assert wide["mux_weight_stage1"] == per["mux_weight_stage1"]
    assert wide["mux_activation_stage1"] != per["mux_activation_stage1"]


@pytest.mark.parametrize(
    "args, says",
    [
        (["--pe", "8", "--pw", "4", "--su", "K=4,C=4"], "does not fit"),
        (["--pe", "8", "--pw", "4", "--su", "K=2,XX=4"], "a dimension among"),
        (["--pe", "8", "--pw", "4", "--su", "K2;;=4"], "expected"),
        (["--pe", "8", "--pw", "4", "--su", "K=3"], "power-of-two"),
        (["--pe", "12", "--pw", "4", "--su", "K=4"], "power-of-two number of PEs"),
        (["--pe", "8", "--su", "K=8"], "--pw"),
        (["--pe", "8", "--pw", "6", "--su", "K=8"], "port width"),
    ],
)
def test_overhead_bad_input_exits_2(args, says):
    r = run("overhead", *args)
    assert r.exit_code == 2, r.output
    assert says in r.output and "Traceback" not in r.output


def test_search_networks_first_and_subcommand():
    """`coac NETWORK...` is `coac search NETWORK...`: same JSON (a 2-PE array keeps it fast)."""
    args = ["--pe", "2", "--max-sus", "2", "--budget", "40", "--workers", "1", "--json"]
    r = run("rced", *args)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["sus_enumerated"] == 7 and doc["pes"] == 2 and doc["prune"] == "strict"
    assert set(doc["fronts"]) == {"1", "2"} and doc["pareto"]
    assert doc["best_edp"]["2"]["latency"] * doc["best_edp"]["2"]["energy"] <= (
        doc["best_edp"]["1"]["latency"] * doc["best_edp"]["1"]["energy"]
    )
    again = json.loads(run("search", "rced", *args).output)
    assert again["fronts"] == doc["fronts"]


@pytest.mark.parametrize(
    "args, says",
    [
        (["nosuchnet", "--pe", "2"], "built-in network"),
        (["rced", "--pe", "12"], "power-of-two number of PEs"),
        (["rced", "--pe", "2", "--max-sus", "0"], "at least 1"),
        (["rced", "--pe", "4", "--evolver"], "256-PE"),
        (["rced", "--pe", "2", "--no-prune", "--prune-ties"], "one of"),
    ],
)
def test_search_bad_input_exits_2(args, says):
    r = run(*args)
    assert r.exit_code == 2, r.output
    assert says in r.output and "Traceback" not in r.output
