"""Layer constructors as workloads: conv2d (grouped, depthwise, pointwise), fully connected, matmul and batched
matmul (MAC ops), pooling (compare or add ops), elementwise (add or multiply ops) and activations (LUT lookups).
"""

from __future__ import annotations

from loopscape.errors import SpecError
from loopscape.workload.workload import Tensor, Workload


def conv2d(
    name: str = "conv",
    *,
    N: int = 1,
    K: int,
    C: int,
    P: int,
    Q: int,
    R: int = 1,
    S: int = 1,
    stride: int | tuple[int, int] = 1,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Workload:
    """A 2D convolution; K and C are totals over all groups. groups=C=K gives a depthwise convolution."""
    hs, ws = (stride, stride) if isinstance(stride, int) else stride
    hd, wd = (dilation, dilation) if isinstance(dilation, int) else dilation
    for key, v in (("stride", hs), ("stride", ws), ("dilation", hd), ("dilation", wd), ("groups", groups)):
        if v < 1:
            raise SpecError(f"{name}.{key}", v, "a positive integer")
    if groups == 1:
        return Workload(
            name=name,
            dims=("N", "K", "C", "P", "Q", "R", "S"),
            bounds=(N, K, C, P, Q, R, S),
            tensors=(
                Tensor("Weights", ((("K", 1),), (("C", 1),), (("R", 1),), (("S", 1),)), ("K", "C", "R", "S")),
                Tensor(
                    "Inputs",
                    ((("N", 1),), (("C", 1),), (("P", hs), ("R", hd)), (("Q", ws), ("S", wd))),
                    ("N", "C", "H", "W"),
                ),
                Tensor(
                    "Outputs",
                    ((("N", 1),), (("K", 1),), (("P", 1),), (("Q", 1),)),
                    ("N", "K", "P", "Q"),
                    True,
                ),
            ),
        )
    if K % groups or C % groups:
        raise SpecError(f"{name}.groups", groups, f"a divisor of both K={K} and C={C}")
    kg, cg = K // groups, C // groups
    if kg == 1 and cg == 1:
        # Depthwise: one channel per group, so the group index plays the channel's role.
        return Workload(
            name=name,
            dims=("N", "G", "P", "Q", "R", "S"),
            bounds=(N, groups, P, Q, R, S),
            tensors=(
                Tensor("Weights", ((("G", 1),), (("R", 1),), (("S", 1),)), ("G", "R", "S")),
                Tensor(
                    "Inputs",
                    ((("N", 1),), (("G", 1),), (("P", hs), ("R", hd)), (("Q", ws), ("S", wd))),
                    ("N", "G", "H", "W"),
                ),
                Tensor(
                    "Outputs",
                    ((("N", 1),), (("G", 1),), (("P", 1),), (("Q", 1),)),
                    ("N", "G", "P", "Q"),
                    True,
                ),
            ),
        )
    return Workload(
        name=name,
        dims=("N", "G", "K", "C", "P", "Q", "R", "S"),
        bounds=(N, groups, kg, cg, P, Q, R, S),
        tensors=(
            Tensor(
                "Weights",
                ((("G", 1),), (("K", 1),), (("C", 1),), (("R", 1),), (("S", 1),)),
                ("G", "K", "C", "R", "S"),
            ),
            Tensor(
                "Inputs",
                ((("N", 1),), (("G", 1),), (("C", 1),), (("P", hs), ("R", hd)), (("Q", ws), ("S", wd))),
                ("N", "G", "C", "H", "W"),
            ),
            Tensor(
                "Outputs",
                ((("N", 1),), (("G", 1),), (("K", 1),), (("P", 1),), (("Q", 1),)),
                ("N", "G", "K", "P", "Q"),
                True,
            ),
        ),
    )


def _pair(name: str, key: str, v: int | tuple[int, int], least: int) -> tuple[int, int]:
    pair = (v, v) if isinstance(v, int) else tuple(v)
    if len(pair) != 2 or any(not isinstance(x, int) or x < least for x in pair):
        raise SpecError(f"{name}.{key}", v, f"an integer >= {least} or a pair of them")
    return pair  # type: ignore[return-value]


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling window along one axis, as PyTorch computes it."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv2d_from_input(
    name: str = "conv",
    *,
    N: int = 1,
    K: int,
    C: int,
    H: int,
    W: int,
    R: int = 1,
    S: int = 1,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
) -> Workload:
    """A conv2d given its H x W input and zero padding; the output size P x Q is computed as in PyTorch."""
    hs, ws = _pair(name, "stride", stride, 1)
    hp, wp = _pair(name, "padding", padding, 0)
    hd, wd = _pair(name, "dilation", dilation, 1)
    P, Q = conv_output_size(H, R, hs, hp, hd), conv_output_size(W, S, ws, wp, wd)
    if P < 1 or Q < 1:
        raise SpecError(f"{name}.output", (P, Q), f"a positive output size (input {H}x{W}, kernel {R}x{S})")
    return conv2d(name, N=N, K=K, C=C, P=P, Q=Q, R=R, S=S, stride=(hs, ws), dilation=(hd, wd), groups=groups)


def depthwise_conv2d(
    name: str = "dwconv", *, N: int = 1, C: int, P: int, Q: int, R: int, S: int, **kw
) -> Workload:
    """Depthwise convolution: one filter per channel."""
    return conv2d(name, N=N, K=C, C=C, P=P, Q=Q, R=R, S=S, groups=C, **kw)


def pointwise_conv2d(name: str = "pwconv", *, N: int = 1, K: int, C: int, P: int, Q: int) -> Workload:
    """Pointwise (1x1) convolution."""
    return conv2d(name, N=N, K=K, C=C, P=P, Q=Q, R=1, S=1)


def matmul(name: str = "matmul", *, M: int, N: int, K: int, weights: bool = False) -> Workload:
    """Z[m, n] += A[m, k] * B[k, n]. With `weights`, B is a layer's weight matrix, named 'Weights'."""
    return Workload(
        name=name,
        dims=("M", "N", "K"),
        bounds=(M, N, K),
        tensors=(
            Tensor("A", ((("M", 1),), (("K", 1),)), ("M", "K")),
            Tensor("Weights" if weights else "B", ((("K", 1),), (("N", 1),)), ("K", "N")),
            Tensor("Z", ((("M", 1),), (("N", 1),)), ("M", "N"), True),
        ),
    )


def batched_matmul(name: str = "bmm", *, B: int, M: int, N: int, K: int) -> Workload:
    """Z[b, m, n] += A[b, m, k] * B[b, k, n]: B independent matmuls (attention's QK^T and AV, b = head)."""
    return Workload(
        name=name,
        dims=("B", "M", "N", "K"),
        bounds=(B, M, N, K),
        tensors=(
            Tensor("A", ((("B", 1),), (("M", 1),), (("K", 1),)), ("B", "M", "K")),
            Tensor("B", ((("B", 1),), (("K", 1),), (("N", 1),)), ("B", "K", "N")),
            Tensor("Z", ((("B", 1),), (("M", 1),), (("N", 1),)), ("B", "M", "N"), True),
        ),
    )


POOLING_OPS = {"max": "compare", "avg": "add"}


def pooling(
    name: str = "pool",
    kind: str = "max",
    *,
    N: int = 1,
    C: int,
    P: int,
    Q: int,
    R: int,
    S: int,
    stride: int | tuple[int, int] | None = None,
) -> Workload:
    """Max (one compare per window point) or average (one add per window point) pooling, no weights.

    Outputs[n, c, p, q] op= Inputs[n, c, p*stride + r, q*stride + s]; the stride defaults to the window
    (PyTorch's default). The average's final scaling by 1/(R*S) is one multiply per output, not counted.
    """
    if kind not in POOLING_OPS:
        raise SpecError(f"{name}.kind", kind, f"one of {sorted(POOLING_OPS)}")
    if stride is None:
        stride = (R, S)
    hs, ws = (stride, stride) if isinstance(stride, int) else stride
    for v in (hs, ws):
        if v < 1:
            raise SpecError(f"{name}.stride", v, "a positive integer")
    return Workload(
        name=name,
        dims=("N", "C", "P", "Q", "R", "S"),
        bounds=(N, C, P, Q, R, S),
        tensors=(
            Tensor(
                "Inputs",
                ((("N", 1),), (("C", 1),), (("P", hs), ("R", 1)), (("Q", ws), ("S", 1))),
                ("N", "C", "H", "W"),
            ),
            Tensor(
                "Outputs", ((("N", 1),), (("C", 1),), (("P", 1),), (("Q", 1),)), ("N", "C", "P", "Q"), True
            ),
        ),
        op=POOLING_OPS[kind],
    )


def global_avg_pool(name: str = "avgpool", *, N: int = 1, C: int, H: int, W: int) -> Workload:
    """Average over the whole H x W plane of each channel (one add per input element)."""
    return pooling(name, "avg", N=N, C=C, P=1, Q=1, R=H, S=W, stride=1)


ELEMENTWISE_OPS = {"add": "add", "mul": "mul"}


def _shape(name: str, dims: dict[str, int]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    if not dims:
        raise SpecError(f"{name}.dims", {}, "at least one dimension, e.g. C=64, P=56, Q=56")
    return tuple(dims), tuple(dims.values())


def elementwise(name: str = "eltwise", kind: str = "add", **dims: int) -> Workload:
    """Z = A op B element by element over the dimensions given as keywords (a residual add: C=, P=, Q=)."""
    if kind not in ELEMENTWISE_OPS:
        raise SpecError(f"{name}.kind", kind, f"one of {sorted(ELEMENTWISE_OPS)}")
    names, bounds = _shape(name, dims)
    rank = tuple(((d, 1),) for d in names)
    return Workload(
        name=name,
        dims=names,
        bounds=bounds,
        tensors=(Tensor("A", rank, names), Tensor("B", rank, names), Tensor("Z", rank, names, True)),
        op=ELEMENTWISE_OPS[kind],
    )


# Functions an activation layer evaluates by a table lookup per element.
ACTIVATIONS = ("relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax", "gelu", "silu", "exp")


def activation(name: str = "act", kind: str = "relu", **dims: int) -> Workload:
    """An activation function as one LUT lookup per element over the dimensions given as keywords.

    Softmax is modelled as its exponential's lookup per element (the row sum and the division are left out).
    """
    if kind not in ACTIVATIONS:
        raise SpecError(f"{name}.kind", kind, f"one of {list(ACTIVATIONS)}")
    names, bounds = _shape(name, dims)
    rank = tuple(((d, 1),) for d in names)
    return Workload(
        name=name,
        dims=names,
        bounds=bounds,
        tensors=(Tensor("Inputs", rank, names), Tensor("Outputs", rank, names, True)),
        op="lookup",
    )


def fully_connected(name: str = "fc", *, N: int = 1, K: int, C: int) -> Workload:
    """A fully connected layer as a conv with P = Q = R = S = 1 (Timeloop's convention)."""
    return conv2d(name, N=N, K=K, C=C, P=1, Q=1, R=1, S=1)


def conv1d(name: str = "conv1d", *, P: int, R: int, stride: int = 1, dilation: int = 1) -> Workload:
    """Output[p] += Weight[r] * Input[p*stride + r*dilation]: the Timeloop paper's Fig. 5 example."""
    return Workload(
        name=name,
        dims=("R", "P"),
        bounds=(R, P),
        tensors=(
            Tensor("Weights", ((("R", 1),),), ("R",)),
            Tensor("Inputs", ((("P", stride), ("R", dilation)),), ("W",)),
            Tensor("Outputs", ((("P", 1),),), ("P",), True),
        ),
    )
