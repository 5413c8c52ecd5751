"""Network files in loopscape's YAML: a list of layers by type and shape, checked against each other.

```yaml
network:
  name: tiny
  input: {C: 3, H: 32, W: 32}          # optional: when given, every layer's input chains from the last
  layers:
    - {name: conv1, type: conv, K: 16, R: 3, padding: 1}
    - {name: pool1, type: pool, R: 2, stride: 2}
    - {name: fc, type: fc, K: 10}
```

Every failure is a SpecError at `network.layers[i].KEY` with the file name (docs/networks.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from loopscape.errors import SpecError
from loopscape.io.spec_yaml import (
    as_int,
    as_str,
    check_keys,
    describe,
    expect_list,
    expect_map,
    get,
    join,
    load_yaml_file,
    suggestion,
)
from loopscape.workload.layers import (
    ACTIVATIONS,
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

_CONV_KEYS = ("N", "K", "C", "P", "Q", "H", "W", "R", "S", "stride", "dilation", "padding", "groups")
# Allowed keys per layer type, besides `name` and `type`.
LAYER_KEYS: dict[str, tuple[str, ...]] = {
    "conv": _CONV_KEYS,
    "depthwise": tuple(k for k in _CONV_KEYS if k != "groups"),
    "pointwise": ("N", "K", "C", "P", "Q", "H", "W", "stride"),
    "fc": ("N", "K", "C"),
    "matmul": ("M", "N", "K"),
    "batched_matmul": ("B", "M", "N", "K"),
    "pool": ("kind", "N", "C", "P", "Q", "H", "W", "R", "S", "stride", "padding", "global"),
    "add": ("N", "C", "P", "Q"),
    "mul": ("N", "C", "P", "Q"),
    "activation": ("function", "N", "C", "P", "Q"),
}
KNOWN_TYPES = tuple(LAYER_KEYS)
POOL_KINDS = ("max", "avg")


@dataclass(frozen=True)
class _FeatureMap:
    """The feature map between layers once `network.input` is declared, and where its channels came from."""

    N: int
    C: int
    H: int
    W: int
    origin: str  # e.g. "the previous layer's K, layer 'conv2'"


@dataclass(frozen=True)
class _Built:
    workload: Workload
    out: _FeatureMap | None


def load_network_yaml(path: str | Path) -> Network:
    """A network from a YAML network file; SpecErrors name the file and the path inside it."""
    file = str(path)
    doc = load_yaml_file(path)
    try:
        return parse_network(doc)
    except SpecError as e:
        raise e.in_file(file) from None


def parse_network(doc: dict) -> Network:
    """A network from a parsed network document `{network: {...}}`."""
    check_keys(doc, "", ("network",), ("network",))
    node = expect_map(doc["network"], "network")
    check_keys(node, "network", ("name", "source", "input", "layers"), ("name", "layers"))
    name = get(node, "name", "network", as_str)
    source = get(node, "source", "network", as_str, default="")
    act = _input(node["input"], "network.input") if node.get("input") is not None else None
    items = expect_list(node["layers"], "network.layers", "a list of layers")
    if not items:
        raise SpecError("network.layers", "an empty list", "at least one layer")
    workloads: list[Workload] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        path = f"network.layers[{i}]"
        layer = expect_map(item, path, "a layer: a mapping with name, type and shape keys")
        lname = get(layer, "name", path, as_str)
        if lname in seen:
            raise SpecError(
                join(path, "name"), repr(lname), f"a name not used before (layers[{seen[lname]}])"
            )
        seen[lname] = i
        ltype = get(layer, "type", path, as_str, what="a layer type")
        if ltype not in LAYER_KEYS:
            raise SpecError(
                join(path, "type"),
                f"{ltype!r}{suggestion(ltype, KNOWN_TYPES)}",
                f"one of {list(KNOWN_TYPES)}",
            )
        check_keys(layer, path, ("name", "type", *LAYER_KEYS[ltype]))
        built = _BUILDERS[ltype](lname, layer, path, act)
        act = built.out
        workloads.append(built.workload)
    return Network(name, tuple(workloads), source)


def _input(value: object, path: str) -> _FeatureMap:
    node = expect_map(value, path, "a mapping {C, H, W} (and optionally N)")
    check_keys(node, path, ("N", "C", "H", "W"), ("C", "H", "W"))
    return _FeatureMap(
        N=get(node, "N", path, as_int, default=1),
        C=get(node, "C", path, as_int),
        H=get(node, "H", path, as_int),
        W=get(node, "W", path, as_int),
        origin=f"the declared input channels, {path}.C",
    )


# --- shared pieces -----------------------------------------------------------------------------------


def _pair(node: dict, key: str, path: str, default: int, minimum: int = 1) -> tuple[int, int]:
    """An int or a list [height, width]."""
    if key not in node:
        return default, default
    value, where = node[key], join(path, key)
    if isinstance(value, list):
        if len(value) != 2:
            raise SpecError(where, describe(value), "an integer or a list [height, width]")
        return (
            as_int(value[0], join(where, 0), minimum=minimum),
            as_int(value[1], join(where, 1), minimum=minimum),
        )
    return (as_int(value, where, minimum=minimum),) * 2


def _batch(node: dict, path: str, act: _FeatureMap | None) -> int:
    n = get(node, "N", path, as_int, default=act.N if act else 1)
    if act and n != act.N:
        raise SpecError(join(path, "N"), n, f"{act.N} (the batch of the network's input)")
    return n


def _channels(node: dict, key: str, path: str, act: _FeatureMap | None) -> int:
    """A layer's input channels: given, or taken from the chain; when both, they must agree."""
    if key in node:
        c = as_int(node[key], join(path, key))
        if act and c != act.C:
            raise SpecError(join(path, key), c, f"{act.C} ({act.origin})")
        return c
    if act is None:
        raise SpecError(
            join(path, key),
            "nothing (the key is missing)",
            f"a value for '{key}' (or a network.input to chain from)",
        )
    return act.C


def _out_size(size: int, kernel: int, stride: int, dilation: int, pad: int) -> int:
    """PyTorch's output size: floor((size + 2*pad - dilation*(kernel-1) - 1) / stride) + 1."""
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def _spatial(
    node: dict,
    path: str,
    act: _FeatureMap | None,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> tuple[int, int]:
    """Output sizes (P, Q): given, or derived from input sizes H, W (given or chained) and padding."""
    has_out = "P" in node or "Q" in node
    has_in = "H" in node or "W" in node
    if has_out and has_in:
        raise SpecError(
            join(path, "H"), "both output sizes (P, Q) and input sizes (H, W)", "one or the other"
        )
    if has_out:
        if "padding" in node:
            raise SpecError(
                join(path, "padding"), node["padding"], "no padding with output sizes P, Q (give H, W)"
            )
        p = get(node, "P", path, as_int) if "P" in node else get(node, "Q", path, as_int)
        return p, get(node, "Q", path, as_int, default=p)
    pad = _pair(node, "padding", path, 0, minimum=0)
    if has_in:
        h = get(node, "H", path, as_int) if "H" in node else get(node, "W", path, as_int)
        w = get(node, "W", path, as_int, default=h)
        for key, given, chained in (("H", h, act.H if act else None), ("W", w, act.W if act else None)):
            if chained is not None and given != chained:
                raise SpecError(join(path, key), given, f"{chained} (the previous layer's output size)")
    elif act is not None:
        h, w = act.H, act.W
    else:
        raise SpecError(
            join(path, "P"),
            "nothing (the key is missing)",
            "output sizes P, Q or input sizes H, W (or a network.input to chain from)",
        )
    sizes = []
    for i, (key, size) in enumerate((("H", h), ("W", w))):
        n = _out_size(size, kernel[i], stride[i], dilation[i], pad[i])
        if n < 1:
            reach = dilation[i] * (kernel[i] - 1) + 1
            raise SpecError(
                join(path, key),
                size,
                f"an input of at least {reach - 2 * pad[i]} (the kernel reaches {reach})",
            )
        sizes.append(n)
    return sizes[0], sizes[1]


def _chain(
    act: _FeatureMap | None, name: str, n: int, k: int, p: int, q: int, what: str
) -> _FeatureMap | None:
    if act is None:
        return None
    return _FeatureMap(n, k, p, q, f"the previous layer's {what}, layer {name!r}")


# --- one builder per layer type ----------------------------------------------------------------------


def _conv(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    n = _batch(node, path, act)
    c = _channels(node, "C", path, act)
    k = get(node, "K", path, as_int)
    r = get(node, "R", path, as_int, default=1)
    s = get(node, "S", path, as_int, default=r)
    stride = _pair(node, "stride", path, 1)
    dilation = _pair(node, "dilation", path, 1)
    groups = get(node, "groups", path, as_int, default=1)
    if c % groups or k % groups:
        raise SpecError(join(path, "groups"), groups, f"a divisor of both K={k} and C={c}")
    p, q = _spatial(node, path, act, (r, s), stride, dilation)
    wl = conv2d(name, N=n, K=k, C=c, P=p, Q=q, R=r, S=s, stride=stride, dilation=dilation, groups=groups)
    return _Built(wl, _chain(act, name, n, k, p, q, "K"))


def _depthwise(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    n = _batch(node, path, act)
    c = _channels(node, "C", path, act)
    k = get(node, "K", path, as_int, default=c)
    if k % c:
        raise SpecError(join(path, "K"), k, f"a multiple of C={c} (channel multiplier)")
    r = get(node, "R", path, as_int, default=1)
    s = get(node, "S", path, as_int, default=r)
    stride = _pair(node, "stride", path, 1)
    dilation = _pair(node, "dilation", path, 1)
    p, q = _spatial(node, path, act, (r, s), stride, dilation)
    wl = conv2d(name, N=n, K=k, C=c, P=p, Q=q, R=r, S=s, stride=stride, dilation=dilation, groups=c)
    return _Built(wl, _chain(act, name, n, k, p, q, "K"))


def _pointwise(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    n = _batch(node, path, act)
    c = _channels(node, "C", path, act)
    k = get(node, "K", path, as_int)
    stride = _pair(node, "stride", path, 1)
    p, q = _spatial(node, path, act, (1, 1), stride)
    wl = conv2d(name, N=n, K=k, C=c, P=p, Q=q, stride=stride)
    return _Built(wl, _chain(act, name, n, k, p, q, "K"))


def _fc(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    n = _batch(node, path, act)
    k = get(node, "K", path, as_int)
    if act is not None and act.H * act.W > 1:  # the previous output, flattened
        flat = act.C * act.H * act.W
        act = replace(
            act, C=flat, H=1, W=1, origin=f"the previous output, {act.C}x{act.H}x{act.W}, flattened"
        )
    c = _channels(node, "C", path, act)
    return _Built(fully_connected(name, N=n, K=k, C=c), _chain(act, name, n, k, 1, 1, "K"))


def _matmul(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    # A matmul's operands need not come from the previous layer (attention), so it ends the chain.
    m, n, k = (get(node, key, path, as_int) for key in ("M", "N", "K"))
    return _Built(matmul(name, M=m, N=n, K=k), None)


def _batched_matmul(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    b, m, n, k = (get(node, key, path, as_int) for key in ("B", "M", "N", "K"))
    return _Built(batched_matmul(name, B=b, M=m, N=n, K=k), None)


def _pool(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    kind = get(node, "kind", path, as_str, default="max")
    if kind not in POOL_KINDS:
        raise SpecError(
            join(path, "kind"), f"{kind!r}{suggestion(kind, POOL_KINDS)}", f"one of {list(POOL_KINDS)}"
        )
    n = _batch(node, path, act)
    c = _channels(node, "C", path, act)
    if get(node, "global", path, _as_bool, default=False):
        for key in ("R", "S", "stride", "padding", "P", "Q"):
            if key in node:
                raise SpecError(join(path, key), node[key], "nothing: a global pool covers the whole input")
        r, s = _input_size(node, path, act)
        stride, p, q = (1, 1), 1, 1
    else:
        r = get(node, "R", path, as_int)
        s = get(node, "S", path, as_int, default=r)
        stride = _pair(node, "stride", path, r)
        p, q = _spatial(node, path, act, (r, s), stride)
    wl = pooling(name, kind, N=n, C=c, P=p, Q=q, R=r, S=s, stride=stride)
    return _Built(wl, _chain(act, name, n, c, p, q, "channels"))


def _input_size(node: dict, path: str, act: _FeatureMap | None) -> tuple[int, int]:
    if "H" in node or "W" in node or act is None:
        h = get(node, "H", path, as_int)
        w = get(node, "W", path, as_int, default=h)
        if act and (h, w) != (act.H, act.W):
            raise SpecError(join(path, "H"), [h, w], f"[{act.H}, {act.W}] (the previous layer's output size)")
        return h, w
    return act.H, act.W


def _elementwise_shape(node: dict, path: str, act: _FeatureMap | None) -> tuple[int, int, int, int]:
    n = _batch(node, path, act)
    c = _channels(node, "C", path, act)
    if act is not None and "P" not in node and "Q" not in node:
        return n, c, act.H, act.W
    p = get(node, "P", path, as_int)
    q = get(node, "Q", path, as_int, default=p)
    if act and (p, q) != (act.H, act.W):
        raise SpecError(join(path, "P"), [p, q], f"[{act.H}, {act.W}] (the previous layer's output size)")
    return n, c, p, q


def _dims(n: int, c: int, p: int, q: int) -> dict[str, int]:
    """An elementwise layer's dimensions (the batch only when there is one)."""
    return {"N": n, "C": c, "P": p, "Q": q} if n > 1 else {"C": c, "P": p, "Q": q}


def _elementwise(kind: str) -> Callable[[str, dict, str, _FeatureMap | None], _Built]:
    def build(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
        n, c, p, q = _elementwise_shape(node, path, act)
        wl = elementwise(name, kind, **_dims(n, c, p, q))
        return _Built(wl, _chain(act, name, n, c, p, q, "channels"))

    return build


def _activation(name: str, node: dict, path: str, act: _FeatureMap | None) -> _Built:
    function = get(node, "function", path, as_str, default="relu")
    if function not in ACTIVATIONS:
        raise SpecError(
            join(path, "function"),
            f"{function!r}{suggestion(function, ACTIVATIONS)}",
            f"one of {list(ACTIVATIONS)}",
        )
    n, c, p, q = _elementwise_shape(node, path, act)
    wl = activation(name, function, **_dims(n, c, p, q))
    return _Built(wl, _chain(act, name, n, c, p, q, "channels"))


def _as_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, describe(value), "true or false")
    return value


_BUILDERS: dict[str, Callable[[str, dict, str, _FeatureMap | None], _Built]] = {
    "conv": _conv,
    "depthwise": _depthwise,
    "pointwise": _pointwise,
    "fc": _fc,
    "matmul": _matmul,
    "batched_matmul": _batched_matmul,
    "pool": _pool,
    "add": _elementwise("add"),
    "mul": _elementwise("mul"),
    "activation": _activation,
}
