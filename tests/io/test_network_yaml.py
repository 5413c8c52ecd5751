"""Network YAML files: layers by type, output or input sizes, chained shapes, and spec-path errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from loopscape.cli import loopscape
from loopscape.errors import SpecError
from loopscape.io.network_yaml import load_network_yaml, parse_network
from loopscape.workload.layers import (
    activation,
    batched_matmul,
    conv2d,
    elementwise,
    fully_connected,
    matmul,
    pooling,
)
from loopscape.workload.networks import get

DATA = Path(__file__).parent.parent / "data" / "networks"


def _net(layers: list[dict], **network) -> dict:
    return {"network": {"name": "t", **network, "layers": layers}}


def _error(doc: dict) -> SpecError:
    with pytest.raises(SpecError) as e:
        parse_network(doc)
    return e.value


def test_alexnet_file_equals_the_zoo():
    """Chained from a 227x227x3 input with PyTorch padding, the file's conv and FC layers are the zoo's."""
    net = load_network_yaml(DATA / "alexnet.yaml")
    zoo = get("alexnet")
    assert [wl.name for wl in net.layers if wl.op == "mac"] == [wl.name for wl in zoo.layers]
    for wl in zoo.layers:
        assert net.layer(wl.name) == wl
    assert net.macs == zoo.macs and net.params == zoo.params
    assert net.layer("pool1") == pooling("pool1", "max", C=96, P=27, Q=27, R=3, S=3, stride=2)
    assert net.layer("relu2") == activation("relu2", "relu", C=256, P=27, Q=27)
    assert net.source.startswith("Krizhevsky")


def test_output_sizes_without_chaining():
    net = load_network_yaml(DATA / "tiny.yaml")
    assert net.layers == (
        conv2d("conv1", K=16, C=3, P=32, Q=32, R=3, S=3),
        conv2d("dw2", K=16, C=16, P=16, Q=16, R=3, S=3, stride=2, groups=16),
        conv2d("pw3", K=32, C=16, P=16, Q=16),
        fully_connected("fc4", K=10, C=8192),
        matmul("mm5", M=128, N=64, K=256),
    )


def test_input_sizes_padding_stride_dilation():
    """P = floor((H + 2*pad - dilation*(R-1) - 1) / stride) + 1, per axis."""
    layer = {"name": "c", "type": "conv", "K": 8, "C": 4, "H": 30, "W": 20, "R": 3, "S": 5}
    layer |= {"stride": [2, 1], "padding": [1, 2], "dilation": 2}
    (wl,) = parse_network(_net([layer])).layers
    # H: (30 + 2 - 4 - 1) // 2 + 1 = 14; W: (20 + 4 - 8 - 1) // 1 + 1 = 16
    assert wl == conv2d("c", K=8, C=4, P=14, Q=16, R=3, S=5, stride=(2, 1), dilation=2)


def test_chained_types():
    layers = [
        {"name": "conv", "type": "conv", "K": 32, "R": 3, "padding": 1, "stride": 2},
        {"name": "dw", "type": "depthwise", "R": 3, "padding": 1},
        {"name": "pw", "type": "pointwise", "K": 64},
        {"name": "add", "type": "add"},
        {"name": "mul", "type": "mul", "C": 64, "P": 8},
        {"name": "act", "type": "activation", "function": "sigmoid"},
        {"name": "gap", "type": "pool", "kind": "avg", "global": True},
        {"name": "fc", "type": "fc", "K": 10, "C": 64},
    ]
    net = parse_network(_net(layers, input={"N": 2, "C": 3, "H": 16, "W": 16}))
    assert net.layers == (
        conv2d("conv", N=2, K=32, C=3, P=8, Q=8, R=3, S=3, stride=2),
        conv2d("dw", N=2, K=32, C=32, P=8, Q=8, R=3, S=3, groups=32),
        conv2d("pw", N=2, K=64, C=32, P=8, Q=8),
        elementwise("add", "add", N=2, C=64, P=8, Q=8),
        elementwise("mul", "mul", N=2, C=64, P=8, Q=8),
        activation("act", "sigmoid", N=2, C=64, P=8, Q=8),
        pooling("gap", "avg", N=2, C=64, P=1, Q=1, R=8, S=8, stride=1),
        fully_connected("fc", N=2, K=10, C=64),
    )


def test_batched_matmul_ends_the_chain():
    layers = [
        {"name": "scores", "type": "batched_matmul", "B": 12, "M": 128, "N": 128, "K": 64},
        {"name": "fc", "type": "fc", "K": 10, "C": 7},
    ]
    net = parse_network(_net(layers, input={"C": 3, "H": 8, "W": 8}))
    assert net.layers == (
        batched_matmul("scores", B=12, M=128, N=128, K=64),
        fully_connected("fc", K=10, C=7),
    )


@pytest.mark.parametrize(
    ("layers", "path", "found", "expected"),
    [
        # fc after a 4x4x8 conv sees the flattened 128 inputs
        (
            [{"name": "c", "type": "conv", "K": 8, "R": 1}, {"name": "f", "type": "fc", "K": 2, "C": 8}],
            "network.layers[1].C",
            8,
            "128 (the previous output, 8x4x4, flattened)",
        ),
        (
            [{"name": "c", "type": "conv", "K": 8, "C": 4}],
            "network.layers[0].C",
            4,
            "3 (the declared input channels",
        ),
        (
            [{"name": "c", "type": "conv", "K": 8, "H": 5}],
            "network.layers[0].H",
            5,
            "4 (the previous layer's output",
        ),
        ([{"name": "c", "type": "conv", "K": 8, "R": 7}], "network.layers[0].H", 4, "an input of at least 7"),
        ([{"name": "c", "type": "conv", "K": 8, "groups": 3}], "network.layers[0].groups", 3, "a divisor of"),
        (
            [{"name": "c", "type": "conv", "K": 2.5}],
            "network.layers[0].K",
            "2.5 (float)",
            "a positive integer",
        ),
        ([{"name": "c", "type": "conv", "K": 0}], "network.layers[0].K", 0, "a positive integer"),
        (
            [{"name": "c", "type": "conv", "K": 8, "padding": -1}],
            "network.layers[0].padding",
            -1,
            "an integer >= 0",
        ),
        (
            [{"name": "c", "type": "conv", "K": 8, "Kk": 1}],
            "network.layers[0].Kk",
            "did you mean 'K'",
            "one of",
        ),
        (
            [{"name": "p", "type": "pool", "R": 2, "kind": "mx"}],
            "network.layers[0].kind",
            "did you mean 'max'",
            "",
        ),
        (
            [{"name": "a", "type": "activation", "function": "rleu"}],
            "network.layers[0].function",
            "'relu'",
            "",
        ),
        (
            [{"name": "a", "type": "conv", "K": 1}, {"name": "a", "type": "fc", "K": 1}],
            "network.layers[1].name",
            "'a'",
            "layers[0]",
        ),
    ],
)
def test_layer_errors_name_the_key(layers, path, found, expected):
    doc = _net(layers, input={"C": 3, "H": 4, "W": 4})
    e = _error(doc)
    assert e.path == path
    assert str(found) in str(e.found)
    assert expected in e.expected


def test_unchained_layer_needs_its_sizes():
    e = _error(_net([{"name": "c", "type": "conv", "K": 8, "C": 3, "R": 3}]))
    assert e.path == "network.layers[0].P"
    assert "H, W" in e.expected
    e = _error(_net([{"name": "c", "type": "conv", "K": 8, "R": 3, "P": 4}]))
    assert e.path == "network.layers[0].C"


def test_document_errors():
    assert _error({"net": {}}).path == "net"
    assert _error({"network": {"name": "t", "layers": []}}).path == "network.layers"
    assert _error({"network": {"name": "t", "layers": [3]}}).path == "network.layers[0]"
    assert _error({"network": {"layers": []}}).path == "network.name"
    assert (
        _error(_net([{"name": "c", "type": "conv"}], input={"C": 3, "H": -4, "W": 4})).path
        == "network.input.H"
    )


@pytest.mark.parametrize(
    ("file", "path", "found", "expected"),
    [
        (
            "bad_type.yaml",
            "network.layers[1].type",
            "'convv' (did you mean 'conv'?)",
            "one of ['conv', 'depthwise'",
        ),
        ("bad_negative.yaml", "network.layers[1].K", "-32", "a positive integer"),
        ("bad_channels.yaml", "network.layers[3].C", "96", "48 (the previous layer's K, layer 'conv3')"),
    ],
)
def test_cli_bad_network_file_exits_2_with_file_and_path(file, path, found, expected):
    result = CliRunner().invoke(loopscape, ["network", "eyeriss", str(DATA / file)])
    assert result.exit_code == 2, result.output
    assert str(DATA / file) in result.output
    assert f"at:       {path}" in result.output
    assert f"found:    {found}" in result.output
    assert expected in result.output
    assert "Traceback" not in result.output


def test_cli_missing_network_file_and_unknown_name(tmp_path):
    result = CliRunner().invoke(loopscape, ["network", "eyeriss", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "no such file" in result.output
    result = CliRunner().invoke(loopscape, ["network", "eyeriss", "alexnett"])
    assert result.exit_code == 2 and "did you mean 'alexnet'" in result.output


def test_cli_maps_a_network_file(tmp_path):
    doc = {"network": {"name": "two", "input": {"C": 8, "H": 8, "W": 8}, "layers": [
        {"name": "conv", "type": "conv", "K": 8, "R": 3, "padding": 1},
        {"name": "fc", "type": "fc", "K": 4},
    ]}}  # fmt: skip
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(loopscape, ["network", "eyeriss", str(path), "--budget", "50", "--json", "-"])
    assert result.exit_code == 0, result.output
    assert '"network": "two"' in result.output
