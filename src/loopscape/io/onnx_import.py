"""ONNX import: the layers of an ONNX model as workloads, with notes on what was not imported.

Conv becomes conv2d (grouped, depthwise, 1D along Q), Gemm fully_connected (or matmul between two
activations), MatMul matmul (with weights: a linear layer, as in the zoo's BERT) or batched_matmul;
pooling, Add/Sub/Mul and activations become pooling, elementwise and activation layers. Shapes come from
ONNX shape inference; ops that only move or reshape data are followed for shapes and make no layer. Any
other op is named (node and op type) in the notes and the rest still imports. Needs the `onnx` extra.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

# Ops that only move, reshape, cast or (at inference) fold into a neighbour: no layer of their own.
SHAPE_OPS = frozenset(
    {
        "BatchNormalization", "Cast", "Concat", "Constant", "ConstantOfShape", "Dropout", "Expand", "Flatten",
        "Gather", "Identity", "Pad", "Reshape", "Shape", "Slice", "Split", "Squeeze", "Transpose", "Unsqueeze",
    }
)  # fmt: skip
# ONNX activation ops and the LUT function (loopscape.workload.layers.ACTIVATIONS) that stands for each.
ACTIVATION_OPS = {
    "Relu": "relu", "Clip": "relu6", "LeakyRelu": "leaky_relu", "PRelu": "leaky_relu", "Sigmoid": "sigmoid",
    "HardSigmoid": "sigmoid", "Tanh": "tanh", "Softmax": "softmax", "LogSoftmax": "softmax", "Gelu": "gelu",
    "Exp": "exp",
}  # fmt: skip
ELEMENTWISE_OPS = {"Add": "add", "Sub": "add", "Mul": "mul"}
POOL_OPS = {"MaxPool": "max", "AveragePool": "avg", "GlobalMaxPool": "max", "GlobalAveragePool": "avg"}

Shape = tuple[int | None, ...]


@dataclass
class _Graph:
    """What the importers need to know about the model: tensor shapes and which tensors are constants."""

    shapes: dict[str, Shape]
    constants: set[str]
    notes: list[str] = field(default_factory=list)

    def shape(self, tensor: str) -> tuple[int, ...] | None:
        s = self.shapes.get(tensor)
        if s is None or any(d is None for d in s):
            return None
        return s  # type: ignore[return-value]


class _Skip(Exception):
    """This node makes no layer; the message says why (it goes to the notes)."""


def load_onnx(path: str | Path) -> tuple[Network, list[str]]:
    """The network in an ONNX file and notes on every node that did not become a layer (and why)."""
    file = str(path)
    onnx = _onnx_module(file)
    model = _read(onnx, path, file)
    try:
        return _network(onnx, model, file)
    except UnicodeDecodeError as e:  # protobuf decodes strings when they are first read
        raise SpecError("(file)", f"a string that is not UTF-8 ({e})", "a valid ONNX model", file) from None


def _check_strings(model: Any, file: str) -> None:
    """Some protobuf builds hand back an undecodable string field as bytes instead of raising: refuse those."""
    g = model.graph
    for where, value in (
        *((f"graph.node[{i}]", s) for i, n in enumerate(g.node) for s in (n.name, n.op_type, n.domain, *n.input,
                                                                           *n.output)),
        *(("graph.input", i.name) for i in g.input),
        *(("graph.output", o.name) for o in g.output),
        *(("graph.initializer", t.name) for t in g.initializer),
    ):  # fmt: skip
        if not isinstance(value, str):
            raise SpecError(where, f"a string that is not UTF-8 ({value!r})", "a valid ONNX model", file)


def _network(onnx: Any, model: Any, file: str) -> tuple[Network, list[str]]:
    _check_strings(model, file)
    graph = _graph(onnx, model)
    layers: list[Workload] = []
    used: set[str] = set()
    notes = graph.notes
    for i, node in enumerate(model.graph.node):
        if node.op_type in SHAPE_OPS:
            continue
        name = _unique(node.name or f"{node.op_type.lower()}{i}", used)
        what = f"{node.name or f'node {i}'} ({node.op_type})"
        importer = _IMPORTERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if importer is None:
            notes.append(f"{what}: unsupported op, skipped")
            continue
        try:
            layers.append(importer(onnx, node, name, graph))
        except _Skip as e:
            notes.append(f"{what}: {e}")
            continue
        except SpecError as e:  # a shape no layer constructor takes
            notes.append(f"{what}: {e}; skipped")
            continue
        except (IndexError, KeyError, TypeError, ValueError) as e:  # missing inputs or attributes
            notes.append(f"{what}: malformed node ({type(e).__name__}: {e}); skipped")
            continue
        used.add(name)
    if not layers:
        ops = sorted({n.op_type for n in model.graph.node})
        raise SpecError(
            "graph.node", f"no node that becomes a layer (ops: {ops})", "a Conv, Gemm or MatMul", file
        )
    producer = f", exported by {model.producer_name}" if model.producer_name else ""
    return Network(Path(file).stem, tuple(layers), f"ONNX model {Path(file).name}{producer}"), notes


# --- reading ------------------------------------------------------------------------------------------


def _onnx_module(file: str) -> Any:
    try:
        import onnx
    except ImportError:
        raise SpecError(
            "(file)",
            "an ONNX model, but the onnx package is not installed",
            "pip install 'loopscape[onnx]'",
            file,
        ) from None
    return onnx


def _read(onnx: Any, path: str | Path, file: str) -> Any:
    from google.protobuf.message import DecodeError

    p = Path(path)
    if not p.exists():
        raise SpecError("(file)", "no such file", "an existing ONNX model (.onnx)", file)
    if p.is_dir():
        raise SpecError("(file)", "a directory", "an ONNX model (.onnx)", file)
    try:
        model = onnx.load(
            str(p), load_external_data=False
        )  # weights' values are not needed, their shapes are
    except DecodeError as e:
        raise SpecError(
            "(file)", f"not an ONNX model ({e})", "an ONNX model (protobuf ModelProto)", file
        ) from None
    except (OSError, ValueError, RuntimeError) as e:
        raise SpecError("(file)", f"an unreadable file ({e})", "a readable ONNX model", file) from None
    if not model.graph.node:
        raise SpecError(
            "graph.node", "an empty graph (no nodes; is this an ONNX model?)", "an ONNX model", file
        )
    return model


def _graph(onnx: Any, model: Any) -> _Graph:
    """Shapes of every tensor ONNX shape inference can find, symbolic input dimensions taken as 1."""
    notes: list[str] = []
    light = _shapes_only(onnx, model, notes)
    try:
        light = onnx.shape_inference.infer_shapes(light)
    except Exception as e:  # noqa: BLE001 - any inference failure leaves the declared shapes to work with
        notes.append(f"(graph): ONNX shape inference failed ({type(e).__name__}: {e}); declared shapes only")
    shapes: dict[str, Shape] = {}
    for info in (*light.graph.input, *light.graph.value_info, *light.graph.output):
        t = info.type
        if t.HasField("tensor_type") and t.tensor_type.HasField("shape"):
            shapes[info.name] = tuple(
                d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None
                for d in t.tensor_type.shape.dim
            )
    constants: set[str] = set()
    for init in model.graph.initializer:
        shapes[init.name] = tuple(init.dims)
        constants.add(init.name)
    for sparse in model.graph.sparse_initializer:  # its dims are the dense shape
        shapes[sparse.values.name] = tuple(sparse.dims)
        constants.add(sparse.values.name)
    for node in model.graph.node:
        if node.op_type == "Constant":
            constants.update(node.output)
    return _Graph(shapes, constants, notes)


# Initializers larger than this are weights: shape inference needs their shapes, not their values (it does
# need the values of small ones, such as a Reshape's target shape).
_WEIGHT_ELEMENTS = 4096


def _shapes_only(onnx: Any, model: Any, notes: list[str]) -> Any:
    """The model with its weights declared as inputs of their shape (no data to copy through inference), and
    every symbolic input dimension (a batch 'N') set to 1."""
    light = type(model)()
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    g, src = light.graph, model.graph
    g.name = src.name
    g.node.extend(src.node)
    g.input.extend(src.input)
    g.output.extend(src.output)
    g.value_info.extend(src.value_info)
    g.sparse_initializer.extend(src.sparse_initializer)
    declared = {i.name for i in src.input}
    for init in src.initializer:
        if math.prod(init.dims) <= _WEIGHT_ELEMENTS:
            g.initializer.append(init)
        elif init.name not in declared:
            g.input.append(onnx.helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
    for info in g.input:
        if not info.type.HasField("tensor_type"):
            continue
        for d in info.type.tensor_type.shape.dim:
            if not d.HasField("dim_value"):
                notes.append(f"(input {info.name}): symbolic dimension {d.dim_param or '?'!r} taken as 1")
                d.dim_value = 1
    return light


def _unique(name: str, used: set[str]) -> str:
    if name not in used:
        return name
    k = 2
    while f"{name}_{k}" in used:
        k += 1
    return f"{name}_{k}"


# --- one importer per op -----------------------------------------------------------------------------


def _attrs(onnx: Any, node: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _need(graph: _Graph, tensor: str, rank: tuple[int, ...] | None = None) -> tuple[int, ...]:
    shape = graph.shape(tensor)
    if shape is None:
        raise _Skip(f"the shape of {tensor!r} is unknown; skipped")
    if rank is not None and len(shape) not in rank:
        raise _Skip(
            f"{tensor!r} has rank {len(shape)} ({list(shape)}), not {' or '.join(map(str, rank))}; skipped"
        )
    return shape


def _window(attrs: dict[str, Any], spatial: int) -> tuple[list[int], list[int], list[int]]:
    """strides, dilations, and begin+end padding per spatial axis."""
    strides = list(attrs.get("strides") or [1] * spatial)
    dilations = list(attrs.get("dilations") or [1] * spatial)
    pads = list(attrs.get("pads") or [0] * (2 * spatial))
    for key, values, length, least in (
        ("strides", strides, spatial, 1), ("dilations", dilations, spatial, 1), ("pads", pads, 2 * spatial, 0)
    ):  # fmt: skip
        if len(values) != length or any(v < least for v in values):
            raise _Skip(f"attribute {key}={values} does not fit {spatial} spatial axes; skipped")
    return strides, dilations, [pads[i] + pads[i + spatial] for i in range(spatial)]


def _kernel(attrs: dict[str, Any], spatial: int) -> list[int]:
    kernel = list(attrs.get("kernel_shape") or [])
    if len(kernel) != spatial or any(k < 1 for k in kernel):
        raise _Skip(f"attribute kernel_shape={kernel} does not fit {spatial} spatial axes; skipped")
    return kernel


def _out_sizes(
    graph: _Graph, node: Any, attrs: dict, ins: tuple[int, ...], kernel: list[int], ceil: bool = False
) -> list[int]:
    """Spatial output sizes: from shape inference, else from the window attributes."""
    y = graph.shape(node.output[0])
    if y is not None and len(y) == len(ins) + 2:
        return list(y[2:])
    strides, dilations, pads = _window(attrs, len(ins))
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    out = []
    for x, k, s, d, p in zip(ins, kernel, strides, dilations, pads, strict=True):
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            out.append(-(-x // s))
        else:
            span = x + (0 if auto == "VALID" else p) - d * (k - 1) - 1
            out.append((-(-span // s) if ceil else span // s) + 1)
    return out


def _conv(onnx: Any, node: Any, name: str, graph: _Graph) -> Workload:
    x = _need(graph, node.input[0], (3, 4))
    w = _need(graph, node.input[1], (len(x),))
    attrs = _attrs(onnx, node)
    groups = int(attrs.get("group", 1))
    if groups < 1 or w[1] * groups != x[1]:
        raise _Skip(f"weights {list(w)} with group={groups} do not fit the input's {x[1]} channels; skipped")
    n, c, ins = x[0], x[1], x[2:]
    kernel = list(w[2:])
    strides, dilations, _ = _window(attrs, len(ins))
    out = _out_sizes(graph, node, attrs, ins, kernel)
    if len(ins) == 1:  # a 1D convolution runs along Q, with P = R = 1
        kernel, strides, dilations, out = [1, *kernel], [1, *strides], [1, *dilations], [1, *out]
    return conv2d(
        name, N=n, K=w[0], C=c, P=out[0], Q=out[1], R=kernel[0], S=kernel[1],
        stride=(strides[0], strides[1]), dilation=(dilations[0], dilations[1]), groups=groups,
    )  # fmt: skip


def _gemm(onnx: Any, node: Any, name: str, graph: _Graph) -> Workload:
    a = _need(graph, node.input[0], (2,))
    b = _need(graph, node.input[1], (2,))
    attrs = _attrs(onnx, node)
    m, k = (a[1], a[0]) if attrs.get("transA", 0) else a
    n = b[0] if attrs.get("transB", 0) else b[1]
    if node.input[1] in graph.constants:
        return fully_connected(name, N=m, K=n, C=k)
    return matmul(name, M=m, N=n, K=k)


def _matmul(onnx: Any, node: Any, name: str, graph: _Graph) -> Workload:
    a = _need(graph, node.input[0])
    b = _need(graph, node.input[1])
    if not a or not b:
        raise _Skip("a scalar operand; skipped")
    a2 = (1, *a) if len(a) == 1 else a  # numpy's rules for vectors
    b2 = (*b, 1) if len(b) == 1 else b
    m, k, n = a2[-2], a2[-1], b2[-1]
    if node.input[1] in graph.constants and len(b2) == 2:  # a linear layer over every row of A (BERT's)
        return matmul(name, M=math.prod(a2[:-1]), N=n, K=k, weights=True)
    batch = math.prod(_broadcast(a2[:-2], b2[:-2]))
    if batch == 1:
        return matmul(name, M=m, N=n, K=k)
    return batched_matmul(name, B=batch, M=m, N=n, K=k)


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    width = max(len(a), len(b))
    a, b = (1,) * (width - len(a)) + a, (1,) * (width - len(b)) + b
    return tuple(max(x, y) for x, y in zip(a, b, strict=True))


def _pool(onnx: Any, node: Any, name: str, graph: _Graph) -> Workload:
    x = _need(graph, node.input[0], (4,))
    kind = POOL_OPS[node.op_type]
    n, c, h, w = x
    if node.op_type.startswith("Global"):
        return pooling(name, kind, N=n, C=c, P=1, Q=1, R=h, S=w, stride=1)
    attrs = _attrs(onnx, node)
    kernel = _kernel(attrs, 2)
    strides, dilations, _ = _window(attrs, 2)
    if dilations != [1, 1]:
        raise _Skip(f"dilated pooling ({dilations}) is not modelled; skipped")
    p, q = _out_sizes(graph, node, attrs, (h, w), kernel, ceil=bool(attrs.get("ceil_mode", 0)))
    return pooling(name, kind, N=n, C=c, P=p, Q=q, R=kernel[0], S=kernel[1], stride=(strides[0], strides[1]))


# Names of an elementwise layer's dimensions by rank: a matrix or a batch of them (tokens x features, as in
# the zoo's BERT) up to rank 3, an NCHW feature map at rank 4 (as in its ResNets).
_DIM_NAMES = {1: ("N",), 2: ("M", "N"), 3: ("B", "M", "N"), 4: ("N", "C", "P", "Q")}


def _dims(shape: tuple[int, ...]) -> dict[str, int]:
    """An elementwise layer's dimensions, without a leading batch of 1."""
    names = _DIM_NAMES.get(len(shape), tuple(f"D{i}" for i in range(len(shape))))
    dims = dict(zip(names, shape, strict=True))
    if len(shape) in (3, 4) and shape[0] == 1:
        del dims[names[0]]
    return dims or {"N": 1}


def _elementwise(onnx: Any, node: Any, name: str, graph: _Graph) -> Workload:
    y = _need(graph, node.output[0])
    return elementwise(name, ELEMENTWISE_OPS[node.op_type], **_dims(y))


def _activation(onnx: Any, node: Any, name: str, graph: _Graph) -> Workload:
    y = _need(graph, node.output[0])
    return activation(name, ACTIVATION_OPS[node.op_type], **_dims(y))


_IMPORTERS: dict[str, Callable[[Any, Any, str, _Graph], Workload]] = {
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    **dict.fromkeys(POOL_OPS, _pool),
    **dict.fromkeys(ELEMENTWISE_OPS, _elementwise),
    **dict.fromkeys(ACTIVATION_OPS, _activation),
}
