"""Mapping a training step: every pass through the network mapper, per-kind totals, the fallback budget, and
`loopscape train` (a tiny network stands in for the zoo so the test stays fast)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from loopscape.arch import zoo
from loopscape.cli import loopscape
from loopscape.cli_train import FALLBACK_BUDGET, map_training, needs_fallback
from loopscape.model.evaluate import evaluate
from loopscape.workload import Tensor, Workload, conv2d, fully_connected
from loopscape.workload.networks import NETWORKS, Network
from loopscape.workload.training import PASSES, backward_data

BUDGET = 300


def tiny() -> Network:
    return Network(
        "tiny",
        (
            conv2d("conv1", K=8, C=3, P=6, Q=6, R=3, S=3, stride=2),
            conv2d("conv2", K=8, C=8, P=4, Q=4, R=3, S=3),
            fully_connected("fc", K=4, C=128),
        ),
    )


@pytest.fixture(scope="module")
def mapped():
    return map_training(zoo.get("eyeriss"), tiny(), budget=BUDGET)


def test_every_pass_is_mapped_and_evaluates_to_its_figures(mapped):
    arch = zoo.get("eyeriss")
    kinds = [(p.layer, p.kind) for p in mapped.passes]
    assert ("conv1", "backward_data") not in kinds and len(kinds) == 3 + 2 + 3 * 2
    for p, lr in mapped.rows():
        assert lr.name == p.workload.name == f"{p.layer}.{p.kind}"
        r = evaluate(arch, p.workload, lr.mapping)  # the mapper's best mapping is valid and as reported
        assert (r.cycles, r.energy_pj) == (lr.cycles, lr.energy_pj)


def test_kind_totals_add_up(mapped):
    totals = [mapped.kind_totals(k) for k in PASSES]
    assert sum(t["energy_pj"] for t in totals) == pytest.approx(mapped.mapped.energy_pj)
    assert sum(t["cycles"] for t in totals) == mapped.mapped.cycles
    fwd, bd, bw, wu = totals
    net = tiny()
    assert fwd["ops"] == bw["ops"] == sum(wl.operations for wl in net.layers)
    assert bd["ops"] == fwd["ops"] - net.layers[0].operations  # the first layer needs no input gradient
    assert wu["ops"] == net.params
    assert all(t["fallback"] == [] for t in totals)  # conv and FC passes never need the fallback


def test_fallback_passes_get_the_small_budget():
    """A layer whose input has a dimension in two ranks: its backward-data writes such a tensor."""
    odd = Workload(
        "odd",
        ("K", "P", "R"),
        (4, 6, 3),
        (
            Tensor("Weights", ((("K", 1),), (("R", 1),))),
            Tensor("Inputs", ((("P", 2), ("R", 1)), (("P", 1),))),
            Tensor("Outputs", ((("K", 1),), (("P", 1),)), read_write=True),
        ),
    )
    assert needs_fallback(backward_data(odd)) and not needs_fallback(odd)
    net = Network("odd", (conv2d("c0", K=4, C=2, P=6, Q=1, R=1, S=1), odd))
    result = map_training(zoo.get("eyeriss"), net, budget=10 * FALLBACK_BUDGET)
    budgets = dict(zip((p.workload.name for p in result.passes), result.budgets))
    assert budgets["odd.backward_data"] == FALLBACK_BUDGET and budgets["odd.forward"] == 10 * FALLBACK_BUDGET
    assert result.kind_totals("backward_data")["fallback"] == ["odd.backward_data"]
    row = {p.workload.name: lr for p, lr in result.rows()}["odd.backward_data"]
    assert 0 < row.evaluated <= FALLBACK_BUDGET
    r = evaluate(zoo.get("eyeriss"), backward_data(odd, "odd.backward_data"), row.mapping)
    assert (r.cycles, r.energy_pj) == (row.cycles, row.energy_pj)


def test_cli_train_json(monkeypatch, tmp_path):
    monkeypatch.setitem(NETWORKS, "tiny", tiny)
    out = tmp_path / "train.json"
    result = CliRunner().invoke(
        loopscape, ["train", "eyeriss", "tiny", "--budget", str(BUDGET), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "per pass kind" in result.output and "weight_update" in result.output
    doc = json.loads(out.read_text())
    assert set(doc) >= {"network", "architecture", "passes", "layers", "totals"}
    assert list(doc["passes"]) == list(PASSES)
    assert doc["network"] == "tiny" and doc["architecture"] == "eyeriss"
    assert [(lay["layer"], lay["pass"]) for lay in doc["layers"]][:4] == [
        ("conv1", "forward"),
        ("conv2", "forward"),
        ("fc", "forward"),
        ("fc", "backward_data"),
    ]
    assert sum(k["ops"] for k in doc["passes"].values()) == doc["totals"]["ops"]


def test_cli_train_names_an_ambiguous_layer(monkeypatch):
    plain = lambda name, *dims, rw=False: Tensor(name, tuple(((d, 1),) for d in dims), read_write=rw)
    outer = Workload(
        "outer",
        ("N", "K", "C"),
        (2, 3, 4),
        (plain("P", "K"), plain("Q", "C"), plain("S", "N", "K", "C", rw=True)),
    )
    monkeypatch.setitem(NETWORKS, "odd", lambda: Network("odd", (conv2d("c", K=2, C=2, P=2, Q=2), outer)))
    result = CliRunner().invoke(loopscape, ["train", "eyeriss", "odd"])
    assert result.exit_code == 2
    assert "outer" in result.output and "Traceback" not in result.output


def test_forward_names_on_an_architecture_that_keeps_by_name():
    """tpu_like's registers keep Weights and Outputs by name: the passes are mapped with the forward names (so a
    gradient can sit in the accumulator), and the figures are those of the renamed workloads."""
    arch = zoo.get("tpu_like")
    net = Network("two", (conv2d("c1", K=4, C=2, P=4, Q=4, R=3, S=3), fully_connected("fc", K=4, C=64)))
    result = map_training(arch, net, budget=BUDGET)
    assert result.forward_names
    for p, lr in result.rows():
        assert set(p.workload.tensor_names) <= {"Weights", "Inputs", "Outputs"}
        assert (p.kind == "forward") == (p.renamed == ())
        r = evaluate(arch, p.workload, lr.mapping)
        assert (r.cycles, r.energy_pj) == (lr.cycles, lr.energy_pj)
    kept = map_training(arch, net, budget=BUDGET, forward_names=False)
    assert not kept.forward_names
    assert (
        kept.kind_totals("backward_weight")["energy_pj"] > result.kind_totals("backward_weight")["energy_pj"]
    )
