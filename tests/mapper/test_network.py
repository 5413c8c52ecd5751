"""Network mapping: one search per distinct layer shape, reuse equal to a fresh search, totals, the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from loopscape.arch import zoo
from loopscape.cli import loopscape
from loopscape.energy.defaults import default_table
from loopscape.errors import SpecError
from loopscape.mapper.network import map_network, search_layer, shape_key, shape_text
from loopscape.workload import conv2d
from loopscape.workload.networks import Network, get

BUDGET = 400  # small: these tests check the bookkeeping, not the quality of the search


@pytest.fixture(scope="module")
def eyeriss():
    return zoo.get("eyeriss")


@pytest.fixture(scope="module")
def stage1(eyeriss):
    """ResNet-50's stem and first stage (11 layers): the projection and the later blocks repeat shapes."""
    layers = get("resnet50").layers[:11]
    assert layers[-1].name == "layer1.2.conv3"
    calls = []
    result = map_network(
        eyeriss, Network("stage1", layers), budget=BUDGET, progress=lambda *a: calls.append(a)
    )
    return result, calls


def test_resnet50_has_far_fewer_shapes_than_layers():
    net = get("resnet50")
    assert len({shape_key(wl) for wl in net.layers}) == 24  # 1 stem + 4 + 3 x 6 per stage + 1 FC
    assert len(net.layers) == 54


def test_identical_shapes_are_searched_once(stage1):
    result, _ = stage1
    reused = {lr.name for lr in result.layers if lr.reused}
    # layer1.0.downsample.0 is a 1x1 64->256 conv at 56x56, like layer1.0.conv3; blocks 1 and 2 repeat.
    assert reused == {"layer1.0.downsample.0", *(f"layer1.{b}.conv{i}" for b in (1, 2) for i in (2, 3)),
                      "layer1.2.conv1"}  # fmt: skip
    assert result.distinct_shapes == 5
    assert [lr.name for lr in result.layers] == [wl.name for wl in get("resnet50").layers[:11]]
    assert all(lr.evaluated == 0 for lr in result.layers if lr.reused)


def test_reused_result_equals_a_fresh_search(stage1, eyeriss):
    result, _ = stage1
    energy = default_table(eyeriss)
    for lr in result.layers:
        if lr.reused:
            fresh = search_layer(eyeriss, lr.workload, energy, "edp", None, BUDGET, None, seed=0)
            assert fresh.mapping == lr.mapping
            assert fresh.result.to_json() == lr.result.to_json()


def test_totals_are_sums(stage1, eyeriss):
    result, _ = stage1
    layers = result.layers
    assert result.energy_pj == pytest.approx(sum(lr.result.energy_pj for lr in layers))
    assert result.cycles == sum(lr.result.cycles for lr in layers)
    assert result.macs == sum(lr.workload.operations for lr in layers) == sum(lr.macs for lr in layers)
    assert result.utilization == pytest.approx(result.macs / (result.cycles * eyeriss.compute.instances))
    assert 0 < result.utilization <= 1


def test_progress_is_called_per_layer(stage1):
    _, calls = stage1
    assert calls[0] == (0, 11, "conv1") and calls[-1] == (11, 11, "")
    assert [c[0] for c in calls] == list(range(12))


def test_json_layout(stage1):
    result, _ = stage1
    doc = result.to_json()
    assert {"network", "architecture", "objective", "layers", "totals"} <= set(doc)
    first = result.layers[0]
    layer = doc["layers"][0]
    assert set(first.result.to_json()) | {"name", "reused", "mapping", "shape"} <= set(layer)
    assert layer["name"] == "conv1" and layer["reused"] is False and layer["mapping"]
    assert doc["totals"]["layers"] == 11 and doc["totals"]["distinct_shapes"] == 5
    json.dumps(doc)


def test_objective_and_preset_errors(eyeriss):
    net = Network("one", (conv2d("c", K=4, C=4, P=4, Q=4),))
    with pytest.raises(SpecError, match="preset"):
        map_network(eyeriss, net, preset="no-such-dataflow", budget=10)
    with pytest.raises(SpecError, match="objective"):
        map_network(eyeriss, net, objective="area", budget=10)


def test_preset_is_applied(eyeriss):
    net = Network("one", (conv2d("c", K=16, C=16, P=8, Q=8, R=3, S=3),))
    result = map_network(eyeriss, net, preset="weight-stationary", budget=BUDGET)
    assert result.preset == "weight-stationary" and result.to_json()["preset"] == "weight-stationary"


def test_shape_text():
    assert shape_text(get("resnet50").layer("layer2.0.downsample.0")) == "K512 C256 P28 Q28 /2"
    assert shape_text(get("alexnet").layer("conv2")) == "G2 K128 C48 P27 Q27 R5 S5"


def test_cli_alexnet_json():
    result = CliRunner().invoke(
        loopscape, ["network", "eyeriss", "alexnet", "--budget", "200", "--json", "-"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["network"] == "alexnet" and doc["architecture"] == "eyeriss" and len(doc["layers"]) == 8
    totals = doc["totals"]
    assert totals["macs"] == sum(layer["real_macs"] for layer in doc["layers"]) == 724_406_816
    assert totals["cycles"] == sum(layer["cycles"] for layer in doc["layers"])
    assert totals["energy_pj"] == pytest.approx(sum(layer["energy_pj"] for layer in doc["layers"]))


def test_cli_table_and_json_file(tmp_path):
    out = tmp_path / "alexnet.json"
    args = ["network", "eyeriss", "alexnet", "--budget", "100", "--objective", "delay", "--json", str(out)]
    result = CliRunner().invoke(loopscape, args)
    assert result.exit_code == 0, result.output
    assert "fc8" in result.stdout and "total" in result.stdout and f"wrote {out}" in result.stdout
    assert json.loads(out.read_text())["objective"] == "delay"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eyeriss", "resnet5"], "did you mean 'resnet50'"),
        (["eyeris", "alexnet"], "did you mean 'eyeriss'"),
        (["eyeriss", "alexnet", "--preset", "nope"], "--preset"),
    ],
)
def test_cli_errors_exit_2(args, message):
    result = CliRunner().invoke(loopscape, ["network", *args, "--budget", "10"])
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
