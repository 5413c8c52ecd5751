"""Capsule layers as loop nests: primary and convolutional capsules, class capsules and dynamic routing.

S. Sabour, N. Frosst and G. E. Hinton, "Dynamic Routing Between Capsules", NIPS 2017: prediction vectors
u_hat[j|i] = W_ij u_i (Sec. 2, Eq. 2), then r iterations of Procedure 1: c_i = softmax(b_i) over the output
capsules (Eq. 3), s_j = sum_i c_ij u_hat[j|i], v_j = squash(s_j) (Eq. 1), b_ij += u_hat[j|i] . v_j.
J. Rajasegaran et al., "DeepCaps: Going Deeper with Capsule Networks", CVPR 2019: convolutional capsules
(ConvCaps2D: a conv over a grid of capsules, then squash) and 3D-convolution votes routed per position.

Dimensions (one letter each, so the nests can be written in Timeloop's format): N batch, I input capsules,
J output capsules, O output-capsule dimension (D_out), D input-capsule dimension (D_in); in convolutional
capsules P, Q output positions and R, S kernel offsets.

How the steps that are not MACs are counted (XploreDL, Colucci et al., CODES+ISSS 2020, evaluates activation
functions with a LUT):
- softmax of the logits over J: one 'lookup' per coupling coefficient c_ij (the exponential, the row sum and
  the division are folded into the table access).
- squash, squash="lut" (the default): one 'lookup' per element of s_j (J * O), XploreDL's LUT sized by the
  number of elements; squash="ops": |s_j|^2 as J * O MACs, the factor |s|/(1 + |s|^2) as one 'lookup' per
  capsule (J), and v = s * factor as J * O 'mul's.
"""

from __future__ import annotations

from loopscape.errors import SpecError
from loopscape.workload.layers import conv2d
from loopscape.workload.workload import Tensor, Workload

SQUASH_MODES = ("lut", "ops")

Positions = tuple[tuple[str, int], ...]


def _tensor(name: str, dims: tuple[str, ...], written: bool = False) -> Tensor:
    """A tensor indexed directly by `dims` (every rank one dimension with coefficient 1)."""
    return Tensor(name, tuple(((d, 1),) for d in dims), dims, written)


def _check(name: str, mode: str, iterations: int | None = None) -> None:
    if mode not in SQUASH_MODES:
        raise SpecError(f"{name}.squash", mode, f"one of {list(SQUASH_MODES)}")
    if iterations is not None and (
        not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1
    ):
        raise SpecError(f"{name}.iterations", iterations, "a positive number of routing iterations")


def squash_layer(
    name: str = "squash",
    *,
    N: int = 1,
    caps: int,
    dim: int,
    positions: Positions = (),
    mode: str = "lut",
    source: str = "Sum",
    target: str = "Capsules",
) -> list[Workload]:
    """Eq. 1 on `caps` capsules of `dim` elements (at each of the `positions`): v = |s|^2/(1+|s|^2) s/|s|."""
    _check(name, mode)
    pos = tuple(d for d, _ in positions)
    pos_bounds = tuple(b for _, b in positions)
    elem = ("N", *pos, "J", "O")
    elem_bounds = (N, *pos_bounds, caps, dim)
    if mode == "lut":
        return [
            Workload(
                name,
                elem,
                elem_bounds,
                (_tensor(source, elem), _tensor(target, elem, True)),
                op="lookup",
            )
        ]
    per_cap = ("N", *pos, "J")
    return [
        # |s_j|^2: one MAC per element, s times itself (one word of s read per operation).
        Workload(f"{name}.norm", elem, elem_bounds, (_tensor(source, elem), _tensor("Norm", per_cap, True))),
        Workload(
            f"{name}.scale",
            per_cap,
            (N, *pos_bounds, caps),
            (_tensor("Norm", per_cap), _tensor("Scale", per_cap, True)),
            op="lookup",
        ),
        Workload(
            f"{name}.apply",
            elem,
            elem_bounds,
            (_tensor(source, elem), _tensor("Scale", per_cap), _tensor(target, elem, True)),
            op="mul",
        ),
    ]


def prediction_vectors(
    name: str = "caps.predict", *, N: int = 1, in_caps: int, in_dim: int, out_caps: int, out_dim: int
) -> Workload:
    """Outputs[n, i, j, o] += Weights[i, j, o, d] * Inputs[n, i, d]: u_hat[j|i] = W_ij u_i (Eq. 2)."""
    return Workload(
        name,
        ("N", "I", "J", "O", "D"),
        (N, in_caps, out_caps, out_dim, in_dim),
        (
            _tensor("Weights", ("I", "J", "O", "D")),
            _tensor("Inputs", ("N", "I", "D")),
            _tensor("Outputs", ("N", "I", "J", "O"), True),
        ),
    )


def dynamic_routing(
    name: str = "caps",
    *,
    N: int = 1,
    in_caps: int,
    out_caps: int,
    out_dim: int,
    iterations: int = 3,
    positions: Positions = (),
    squash: str = "lut",
    final_agreement: bool = True,
) -> list[Workload]:
    """Procedure 1's r iterations as workloads `{name}.route{k}.{softmax,weighted_sum,squash,agreement}`.

    The votes u_hat are the tensor 'Votes' (N, *positions, I, J, O); the logits b start at zero.
    Procedure 1 updates b in every iteration; final_agreement=False skips the last update, whose result no
    later step reads (as Sabour's and DeepCaps' class-capsule code does).
    """
    _check(name, squash, iterations)
    pos = tuple(d for d, _ in positions)
    pos_bounds = tuple(b for _, b in positions)
    # Positions come right after the batch in every tensor, as in squash_layer's.
    pair = ("N", *pos, "I", "J")  # one logit / coupling coefficient per (input, output) capsule pair
    pair_bounds = (N, *pos_bounds, in_caps, out_caps)
    vote = ("N", *pos, "I", "J", "O")
    vote_bounds = (N, *pos_bounds, in_caps, out_caps, out_dim)
    out = ("N", *pos, "J", "O")
    layers: list[Workload] = []
    for k in range(1, iterations + 1):
        step = f"{name}.route{k}"
        layers.append(
            Workload(
                f"{step}.softmax",
                pair,
                pair_bounds,
                (_tensor("Logits", pair), _tensor("Coupling", pair, True)),
                op="lookup",
            )
        )
        layers.append(
            Workload(
                f"{step}.weighted_sum",
                vote,
                vote_bounds,
                (_tensor("Coupling", pair), _tensor("Votes", vote), _tensor("Sum", out, True)),
            )
        )
        layers += squash_layer(
            f"{step}.squash", N=N, caps=out_caps, dim=out_dim, positions=positions, mode=squash
        )
        if k < iterations or final_agreement:
            layers.append(
                Workload(
                    f"{step}.agreement",
                    vote,
                    vote_bounds,
                    (_tensor("Votes", vote), _tensor("Capsules", out), _tensor("Logits", pair, True)),
                )
            )
    return layers


def capsule_layer(
    name: str = "caps",
    *,
    N: int = 1,
    in_caps: int,
    in_dim: int,
    out_caps: int,
    out_dim: int,
    iterations: int = 3,
    squash: str = "lut",
    final_agreement: bool = True,
) -> list[Workload]:
    """A fully connected (class) capsule layer: `{name}.predict`, then the routing iterations' workloads."""
    _check(name, squash, iterations)
    predict = prediction_vectors(
        f"{name}.predict", N=N, in_caps=in_caps, in_dim=in_dim, out_caps=out_caps, out_dim=out_dim
    )
    return [predict] + dynamic_routing(
        name,
        N=N,
        in_caps=in_caps,
        out_caps=out_caps,
        out_dim=out_dim,
        iterations=iterations,
        squash=squash,
        final_agreement=final_agreement,
    )


def primary_capsules(
    name: str = "primarycaps",
    *,
    N: int = 1,
    C: int,
    caps: int,
    dim: int,
    P: int,
    Q: int,
    R: int,
    S: int,
    stride: int = 1,
    squash: str = "lut",
) -> list[Workload]:
    """A conv with K = caps * dim output channels, then squash of each dim-vector at every position.

    Sabour et al. Sec. 4: PrimaryCapsules is 32 channels of 8D capsules, 9x9 kernels, stride 2.
    """
    _check(name, squash)
    conv = conv2d(f"{name}.conv", N=N, K=caps * dim, C=C, P=P, Q=Q, R=R, S=S, stride=stride)
    return [conv] + squash_layer(
        f"{name}.squash", N=N, caps=caps, dim=dim, positions=(("P", P), ("Q", Q)), mode=squash
    )


def conv_capsules(
    name: str = "convcaps",
    *,
    N: int = 1,
    in_caps: int,
    in_dim: int,
    out_caps: int,
    out_dim: int,
    P: int,
    Q: int,
    R: int = 3,
    S: int = 3,
    stride: int = 1,
    squash: str = "lut",
) -> list[Workload]:
    """DeepCaps' ConvCaps2D (one routing iteration): a conv from in_caps*in_dim to out_caps*out_dim channels
    over the capsule grid, then squash of each output capsule (Rajasegaran et al. Sec. 3.1)."""
    return primary_capsules(
        name,
        N=N,
        C=in_caps * in_dim,
        caps=out_caps,
        dim=out_dim,
        P=P,
        Q=Q,
        R=R,
        S=S,
        stride=stride,
        squash=squash,
    )


def conv_capsules_3d(
    name: str = "convcaps3d",
    *,
    N: int = 1,
    in_caps: int,
    in_dim: int,
    out_caps: int,
    out_dim: int,
    P: int,
    Q: int,
    R: int = 3,
    S: int = 3,
    stride: int = 1,
    iterations: int = 3,
    squash: str = "lut",
    final_agreement: bool = True,
) -> list[Workload]:
    """DeepCaps' ConvCaps3D: votes by a 3D conv, then dynamic routing at every output position.

    Votes: Outputs[n, p, q, i, j, o] += Weights[j, o, d, r, s] * Inputs[n, i, d, p*stride + r, q*stride + s],
    one kernel shared by all input capsules (Rajasegaran et al. Sec. 3.2; the reference code's W has shape
    [in_dim, R, S, 1, out_caps * out_dim]). The routing softmax then covers each input capsule's logits; the
    reference code normalises them over (J, P, Q) jointly, which is the same number of lookups.
    """
    _check(name, squash, iterations)
    votes = Workload(
        f"{name}.predict",
        ("N", "P", "Q", "I", "J", "O", "D", "R", "S"),
        (N, P, Q, in_caps, out_caps, out_dim, in_dim, R, S),
        (
            _tensor("Weights", ("J", "O", "D", "R", "S")),
            Tensor(
                "Inputs",
                ((("N", 1),), (("I", 1),), (("D", 1),), (("P", stride), ("R", 1)), (("Q", stride), ("S", 1))),
                ("N", "I", "D", "H", "W"),
            ),
            _tensor("Outputs", ("N", "P", "Q", "I", "J", "O"), True),
        ),
    )
    return [votes] + dynamic_routing(
        name,
        N=N,
        in_caps=in_caps,
        out_caps=out_caps,
        out_dim=out_dim,
        iterations=iterations,
        positions=(("P", P), ("Q", Q)),
        squash=squash,
        final_agreement=final_agreement,
    )
