"""Layer constructors: conv2d (grouped, depthwise, pointwise), fully connected and matmul as workloads."""

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


def depthwise_conv2d(
    name: str = "dwconv", *, N: int = 1, C: int, P: int, Q: int, R: int, S: int, **kw
) -> Workload:
    """Depthwise convolution: one filter per channel."""
    return conv2d(name, N=N, K=C, C=C, P=P, Q=Q, R=R, S=S, groups=C, **kw)


def pointwise_conv2d(name: str = "pwconv", *, N: int = 1, K: int, C: int, P: int, Q: int) -> Workload:
    """Pointwise (1x1) convolution."""
    return conv2d(name, N=N, K=K, C=C, P=P, Q=Q, R=1, S=1)


def matmul(name: str = "matmul", *, M: int, N: int, K: int) -> Workload:
    """Z[m, n] += A[m, k] * B[k, n]."""
    return Workload(
        name=name,
        dims=("M", "N", "K"),
        bounds=(M, N, K),
        tensors=(
            Tensor("A", ((("M", 1),), (("K", 1),)), ("M", "K")),
            Tensor("B", ((("K", 1),), (("N", 1),)), ("K", "N")),
            Tensor("Z", ((("M", 1),), (("N", 1),)), ("M", "N"), True),
        ),
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
