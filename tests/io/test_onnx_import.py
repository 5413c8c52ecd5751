"""ONNX import: small models built with onnx.helper (no downloads) become the workloads the layer
constructors give; AlexNet's two-tower structure round-trips to the zoo's layers; the rest goes to notes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from loopscape.cli import loopscape
from loopscape.errors import SpecError
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

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper

from loopscape.io.onnx_import import load_onnx

RNG = np.random.default_rng(0)


class _Builder:
    """Nodes, random initializers of the right shapes, and one NCHW float input."""

    def __init__(self, input_shape: list[int | str]) -> None:
        self.nodes: list = []
        self.inits: list = []
        self.input = helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)
        self.last = "x"

    def weight(self, name: str, shape: list[int]) -> str:
        self.inits.append(numpy_helper.from_array(RNG.random(shape, dtype=np.float32), name))
        return name

    def add(self, op: str, name: str, extra_inputs: tuple[str, ...] = (), **attrs) -> str:
        out = f"{name}_out"
        self.nodes.append(helper.make_node(op, [self.last, *extra_inputs], [out], name=name, **attrs))
        self.last = out
        return out

    def conv(self, name: str, k: int, c: int, r: int, groups: int = 1, **attrs) -> str:
        w = self.weight(f"{name}.weight", [k, c // groups, r, r])
        b = self.weight(f"{name}.bias", [k])
        return self.add("Conv", name, (w, b), kernel_shape=[r, r], group=groups, **attrs)

    def gemm(self, name: str, k: int, c: int) -> str:
        w = self.weight(f"{name}.weight", [k, c])  # PyTorch's Linear: (out, in), transB=1
        b = self.weight(f"{name}.bias", [k])
        return self.add("Gemm", name, (w, b), transB=1)

    def save(self, path: Path, check: bool = True) -> Path:
        out = helper.make_empty_tensor_value_info(self.last)
        graph = helper.make_graph(self.nodes, "g", [self.input], [out], initializer=self.inits)
        model = helper.make_model(
            graph, producer_name="loopscape-tests", opset_imports=[helper.make_opsetid("", 17)]
        )
        if check:  # inference gives the output its type
            onnx.checker.check_model(onnx.shape_inference.infer_shapes(model))
        onnx.save(model, str(path))
        return path


def _cnn(tmp_path: Path) -> Path:
    """conv 3->16 3x3 pad 1, relu, 2x2/2 max-pool, conv 16->32 3x3 groups 4 stride 2, flatten, gemm 10."""
    b = _Builder(["batch", 3, 32, 32])
    b.conv("conv1", 16, 3, 3, pads=[1, 1, 1, 1])
    b.add("Relu", "relu1")
    b.add("MaxPool", "pool1", kernel_shape=[2, 2], strides=[2, 2])
    b.conv("conv2", 32, 16, 3, groups=4, strides=[2, 2], pads=[1, 1, 1, 1])
    b.add("Flatten", "flatten")
    b.gemm("fc", 10, 32 * 8 * 8)
    return b.save(tmp_path / "cnn.onnx")


def test_small_cnn_imports_to_the_constructors_layers(tmp_path):
    net, notes = load_onnx(_cnn(tmp_path))
    assert net.name == "cnn"
    assert net.layer("conv1") == conv2d("conv1", K=16, C=3, P=32, Q=32, R=3, S=3)
    assert net.layer("conv2") == conv2d("conv2", K=32, C=16, P=8, Q=8, R=3, S=3, stride=2, groups=4)
    assert net.layer("fc") == fully_connected("fc", K=10, C=2048)
    assert net.layer("conv2").bounds == (1, 4, 8, 4, 8, 8, 3, 3)  # N G K C P Q R S
    assert any("symbolic dimension 'batch' taken as 1" in n for n in notes)
    names = [wl.name for wl in net.layers]
    assert "flatten" not in names  # shapes only
    assert net.layer("pool1") == pooling("pool1", "max", C=16, P=16, Q=16, R=2, S=2, stride=2)
    assert net.layer("relu1") == activation("relu1", "relu", C=16, P=32, Q=32)
    assert names == ["conv1", "relu1", "pool1", "conv2", "fc"]


@pytest.fixture(scope="module")
def alexnet_onnx(tmp_path_factory) -> Path:
    """AlexNet as in the zoo (two towers as groups=2, 227x227), with ReLU, LRN and max-pools between."""
    b = _Builder([1, 3, 227, 227])
    b.conv("conv1", 96, 3, 11, strides=[4, 4])
    b.add("Relu", "relu1")
    b.add("LRN", "norm1", size=5)
    b.add("MaxPool", "pool1", kernel_shape=[3, 3], strides=[2, 2])
    b.conv("conv2", 256, 96, 5, groups=2, pads=[2, 2, 2, 2])
    b.add("Relu", "relu2")
    b.add("LRN", "norm2", size=5)
    b.add("MaxPool", "pool2", kernel_shape=[3, 3], strides=[2, 2])
    b.conv("conv3", 384, 256, 3, pads=[1, 1, 1, 1])
    b.add("Relu", "relu3")
    b.conv("conv4", 384, 384, 3, groups=2, pads=[1, 1, 1, 1])
    b.add("Relu", "relu4")
    b.conv("conv5", 256, 384, 3, groups=2, pads=[1, 1, 1, 1])
    b.add("Relu", "relu5")
    b.add("MaxPool", "pool5", kernel_shape=[3, 3], strides=[2, 2])
    shape = b.weight("flat_shape", [2])
    b.inits[-1] = numpy_helper.from_array(np.array([1, -1], dtype=np.int64), shape)
    b.add("Reshape", "flatten", (shape,))
    b.gemm("fc6", 4096, 256 * 6 * 6)
    b.add("Relu", "relu6")
    b.add("Dropout", "drop6")
    b.gemm("fc7", 4096, 4096)
    b.add("Relu", "relu7")
    b.gemm("fc8", 1000, 4096)
    b.add("Softmax", "prob")
    return b.save(tmp_path_factory.mktemp("onnx") / "alexnet.onnx", check=False)  # 61M weights: slow to check


def test_alexnet_round_trip_equals_the_zoo(alexnet_onnx):
    net, notes = load_onnx(alexnet_onnx)
    zoo = get("alexnet")
    macs = [wl for wl in net.layers if wl.op == "mac"]
    assert [wl.name for wl in macs] == [wl.name for wl in zoo.layers]
    for imported, built_in in zip(macs, zoo.layers, strict=True):
        assert imported == built_in, imported.name  # dims, bounds, projections, op
        for t in built_in.tensors:
            assert (imported.coefficients(t.name) == built_in.coefficients(t.name)).all()
    assert sum(wl.operations for wl in macs) == zoo.macs
    assert net.params == zoo.params
    assert {"norm1 (LRN): unsupported op, skipped", "norm2 (LRN): unsupported op, skipped"} <= set(notes)


def test_residual_block_global_pool_and_pool_layers(tmp_path, alexnet_onnx):
    """A ResNet basic block's add and the global average pool, like the zoo's resnet18 builds them."""
    b = _Builder([1, 64, 56, 56])
    b.conv("conv1", 64, 64, 3, pads=[1, 1, 1, 1])
    b.add("Relu", "relu")
    b.conv("conv2", 64, 64, 3, pads=[1, 1, 1, 1])
    b.add("Add", "add", ("x",))
    b.add("GlobalAveragePool", "avgpool")
    b.add("Flatten", "flatten")
    b.gemm("fc", 1000, 64)
    net, notes = load_onnx(b.save(tmp_path / "block.onnx"))
    assert notes == []
    assert [wl.name for wl in net.layers] == ["conv1", "relu", "conv2", "add", "avgpool", "fc"]
    assert net.layer("add") == elementwise("add", "add", C=64, P=56, Q=56)
    assert net.layer("avgpool") == pooling("avgpool", "avg", C=64, P=1, Q=1, R=56, S=56, stride=1)
    assert net.layer("avgpool").op == "add"
    alexnet, _ = load_onnx(alexnet_onnx)
    assert alexnet.layer("pool5") == pooling("pool5", "max", C=256, P=6, Q=6, R=3, S=3, stride=2)
    assert alexnet.layer("prob") == activation("prob", "softmax", M=1, N=1000)


def test_unsupported_op_is_named_and_the_rest_imports(tmp_path):
    b = _Builder([1, 8, 4, 4])
    b.conv("conv", 8, 8, 1)
    b.add("Reshape", "to_seq", (b.weight("seq_shape", [3]),))
    b.inits[-1] = numpy_helper.from_array(np.array([16, 1, 8], dtype=np.int64), "seq_shape")
    w = b.weight("W", [1, 4 * 6, 8])
    r = b.weight("R", [1, 4 * 6, 6])
    b.add("LSTM", "lstm", (w, r), hidden_size=6)
    b.nodes[-1].output[:] = ["lstm_y"]
    b.last = "lstm_y"
    net, notes = load_onnx(b.save(tmp_path / "lstm.onnx"))
    assert [wl.name for wl in net.layers] == ["conv"]
    assert "lstm (LSTM): unsupported op, skipped" in notes


def test_malformed_nodes_and_unknown_shapes_go_to_the_notes(tmp_path):
    """A custom op hides the shapes after it; bad attributes, missing inputs and misfit weights are named."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    w = numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")
    w2 = numpy_helper.from_array(np.zeros((4, 4, 1, 1), np.float32), "w2")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["a"], name="conv"),
        helper.make_node("Foo", ["a"], ["b"], domain="my.ops", name="foo"),
        helper.make_node("Conv", ["b", "w2"], ["c"], name="after_foo"),
        helper.make_node("MaxPool", ["a"], ["d"], kernel_shape=[2], name="pool_1d_kernel"),
        helper.make_node("Conv", ["a"], ["e"], name="no_weights"),
        helper.make_node("Conv", ["x", "w2"], ["f"], name="misfit"),
    ]
    outs = [helper.make_empty_tensor_value_info(n) for n in "cdef"]
    graph = helper.make_graph(nodes, "g", [x], outs, initializer=[w, w2])
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("my.ops", 1)]
    path = tmp_path / "odd.onnx"
    onnx.save(helper.make_model(graph, opset_imports=opsets), str(path))
    net, notes = load_onnx(path)
    assert [wl.name for wl in net.layers] == ["conv"]
    assert notes[0] == "foo (Foo): unsupported op, skipped"
    assert notes[1] == "after_foo (Conv): the shape of 'b' is unknown; skipped"
    assert notes[2].startswith("pool_1d_kernel (MaxPool): attribute kernel_shape=[2]")
    assert notes[3].startswith("no_weights (Conv): malformed node")
    assert notes[4].startswith("misfit (Conv): weights [4, 4, 1, 1] with group=1 do not fit")
    assert len(notes) == 5


def test_matmuls_gemm_and_batched(tmp_path):
    """A linear layer (MatMul by a constant), Gemm of two activations, attention's batched QK^T."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 128, 64])  # batch, tokens, features
    q = helper.make_tensor_value_info("q", TensorProto.FLOAT, [12, 128, 64])
    kt = helper.make_tensor_value_info("kt", TensorProto.FLOAT, [12, 64, 128])
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [32, 16])
    bm = helper.make_tensor_value_info("bm", TensorProto.FLOAT, [16, 8])
    w = numpy_helper.from_array(np.zeros((64, 256), np.float32), "w")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["y"], name="linear"),
        helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
        helper.make_node("Gemm", ["a", "bm"], ["z"], name="gemm"),
    ]
    outs = [helper.make_empty_tensor_value_info(n) for n in ("y", "s", "z")]
    graph = helper.make_graph(nodes, "mm", [x, q, kt, a, bm], outs, initializer=[w])
    path = tmp_path / "mm.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    net, notes = load_onnx(path)
    assert net.layer("linear") == matmul("linear", M=128, N=256, K=64, weights=True)  # as BERT's in the zoo
    assert net.layer("gemm") == matmul("gemm", M=32, N=8, K=16)
    assert net.layer("qk") == batched_matmul("qk", B=12, M=128, N=128, K=64)
    assert notes == []


def test_depthwise_and_1d_convs(tmp_path):
    b = _Builder([1, 32, 14, 14])
    b.conv("dw", 32, 32, 3, groups=32, pads=[1, 1, 1, 1], dilations=[1, 1])
    net, _ = load_onnx(b.save(tmp_path / "dw.onnx"))
    assert net.layer("dw") == conv2d("dw", K=32, C=32, P=14, Q=14, R=3, S=3, groups=32)
    assert net.layer("dw").dims == ("N", "G", "P", "Q", "R", "S")

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 100])
    w = numpy_helper.from_array(np.zeros((8, 4, 5), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c1d", strides=[2], dilations=[3])
    y = helper.make_empty_tensor_value_info("y")
    path = tmp_path / "c1d.onnx"
    model = helper.make_model(helper.make_graph([node], "c", [x], [y], initializer=[w]))
    onnx.save(model, str(path))
    net, _ = load_onnx(path)
    # (100 - 3*4 - 1) // 2 + 1 = 44 outputs
    assert net.layer("c1d") == conv2d("c1d", K=8, C=4, P=1, Q=44, R=1, S=5, stride=(1, 2), dilation=(1, 3))


@pytest.mark.parametrize(
    ("content", "found"),
    [(b"hello, not a model", "not an ONNX model"), (b"", "an empty graph")],
)
def test_not_onnx_is_a_spec_error_with_the_file(tmp_path, content, found):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(SpecError) as e:
        load_onnx(path)
    assert e.value.file == str(path)
    assert found in str(e.value.found)


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_onnx(tmp_path / "nope.onnx")


def test_cli_network_reads_an_onnx_file(alexnet_onnx, tmp_path, monkeypatch):
    """`loopscape network ARCH model.onnx` loads the model and says what was skipped (mapping stubbed)."""
    import loopscape.mapper.network as mapper_network

    seen = {}

    def fake_map_network(arch, net, *args, **kwargs):
        seen["net"] = net
        raise SpecError("(stub)", "stopped after loading", "nothing", "stub")

    monkeypatch.setattr(mapper_network, "map_network", fake_map_network)
    result = CliRunner().invoke(loopscape, ["network", "eyeriss", str(alexnet_onnx)])
    assert result.exit_code == 2, result.output
    assert "norm1 (LRN): unsupported op, skipped" in result.output
    assert [wl.name for wl in seen["net"].layers if wl.op == "mac"] == [
        wl.name for wl in get("alexnet").layers
    ]
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"garbage")
    result = CliRunner().invoke(loopscape, ["network", "eyeriss", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "not an ONNX model" in result.output
