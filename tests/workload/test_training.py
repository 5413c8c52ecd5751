"""Training passes against a literal reference: each Workload executed point by point with numpy, compared with
the textbook gradients of the forward layer (L = sum(O * G), so dL/dO = G)."""

from __future__ import annotations

import numpy as np
import pytest

from loopscape.errors import SpecError
from loopscape.workload import Tensor, Workload, conv1d, conv2d, fully_connected, matmul
from loopscape.workload.layers import batched_matmul
from loopscape.workload.networks import Network
from loopscape.workload.training import (
    backward_data,
    backward_weight,
    layer_passes,
    roles,
    training_passes,
    training_step,
    weight_update,
)


def shape(wl: Workload, name: str) -> tuple[int, ...]:
    """A tensor's bounding box, rank by rank."""
    a = wl.coefficients(name)
    return tuple(int(x) for x in a @ (np.asarray(wl.bounds) - 1) + 1)


def execute(wl: Workload, data: dict[str, np.ndarray]) -> np.ndarray:
    """The literal meaning of a workload: for every point of the operation space, out[proj_out(point)] +=
    the product (ops 'mac', 'mul') or else the sum (routing: 'add', 'compare') of every read tensor there."""
    grids = np.meshgrid(*[np.arange(b) for b in wl.bounds], indexing="ij")
    points = np.stack([g.ravel() for g in grids])  # (dims, ops)
    out = np.zeros(shape(wl, wl.output.name))
    terms = [data[t.name][tuple(wl.coefficients(t) @ points)] for t in wl.tensors if not t.read_write]
    value = np.prod(terms, axis=0) if wl.op in ("mac", "mul") else np.sum(terms, axis=0)
    np.add.at(out, tuple(wl.coefficients(wl.output) @ points), value)
    return out


def random_like(wl: Workload, name: str, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(shape(wl, name))


def loss_gradient(fwd: Workload, data: dict[str, np.ndarray], g: np.ndarray, wrt: str) -> np.ndarray:
    """d/d(data[wrt]) of L = sum(execute(fwd) * g) by unit finite differences (exact: L is linear in it)."""
    base = float(np.sum(execute(fwd, data) * g))
    grad = np.zeros(data[wrt].shape)
    for idx in np.ndindex(grad.shape):
        moved = data[wrt].copy()
        moved[idx] += 1.0
        grad[idx] = float(np.sum(execute(fwd, {**data, wrt: moved}) * g)) - base
    return grad


def plain(name: str, *dims: str, rw: bool = False) -> Tensor:
    """A tensor with one rank per dimension."""
    return Tensor(name, tuple(((d, 1),) for d in dims), read_write=rw)


# --- conv: backward data and backward weight against the direct formulas ------------------------------------


@pytest.mark.parametrize(
    "stride, dilation, n", [(1, 1, 1), (2, 1, 2), (2, 2, 1), (3, 1, 1), ((2, 1), (1, 2), 2)]
)
def test_conv_gradients_equal_the_direct_formulas(stride, dilation, n):
    fwd = conv2d("c", N=n, K=3, C=2, P=4, Q=3, R=3, S=2, stride=stride, dilation=dilation)
    hs, ws = (stride, stride) if isinstance(stride, int) else stride
    hd, wd = (dilation, dilation) if isinstance(dilation, int) else dilation
    rng = np.random.default_rng(0)
    w, i = random_like(fwd, "Weights", rng), random_like(fwd, "Inputs", rng)
    g = rng.standard_normal(shape(fwd, "Outputs"))  # dL/dO for L = sum(O * G)

    # The forward interpreter is the conv itself.
    o = np.zeros(shape(fwd, "Outputs"))
    di = np.zeros(i.shape)
    dw = np.zeros(w.shape)
    for p in range(4):
        for q in range(3):
            for r in range(3):
                for s in range(2):
                    h, x = p * hs + r * hd, q * ws + s * wd
                    o[:, :, p, q] += np.einsum("kc,nc->nk", w[:, :, r, s], i[:, :, h, x])
                    di[:, :, h, x] += np.einsum("nk,kc->nc", g[:, :, p, q], w[:, :, r, s])
                    dw[:, :, r, s] += np.einsum("nk,nc->kc", g[:, :, p, q], i[:, :, h, x])
    np.testing.assert_allclose(execute(fwd, {"Weights": w, "Inputs": i}), o)

    bd = backward_data(fwd)
    assert [(t.name, t.read_write) for t in bd.tensors] == [
        ("Weights", False),
        ("dOutputs", False),
        ("dInputs", True),
    ]
    np.testing.assert_allclose(execute(bd, {"Weights": w, "dOutputs": g}), di)
    bw = backward_weight(fwd)
    np.testing.assert_allclose(execute(bw, {"Inputs": i, "dOutputs": g}), dw)
    assert bd.operations == bw.operations == fwd.operations  # useful MACs only: no zero insertion


def test_backward_data_is_the_numerical_gradient():
    """dI from backward_data equals a finite-difference gradient of L = sum(conv(I, W) * G) (stride 2)."""
    fwd = conv2d("c", K=2, C=2, P=3, Q=2, R=3, S=2, stride=2)
    rng = np.random.default_rng(1)
    w, i, g = (rng.standard_normal(shape(fwd, t)) for t in ("Weights", "Inputs", "Outputs"))
    numeric = loss_gradient(fwd, {"Weights": w, "Inputs": i}, g, "Inputs")
    np.testing.assert_allclose(execute(backward_data(fwd), {"Weights": w, "dOutputs": g}), numeric, atol=1e-9)


def test_grouped_and_depthwise_gradients():
    """Grouped and depthwise convs through the same generic derivation, against einsum per group."""
    rng = np.random.default_rng(2)
    for fwd in (
        conv2d("g", N=2, K=4, C=6, P=3, Q=2, R=2, S=2, groups=2, stride=2),
        conv2d("dw", K=3, C=3, P=3, Q=3, R=3, S=1, groups=3),
    ):
        w, i = random_like(fwd, "Weights", rng), random_like(fwd, "Inputs", rng)
        g = rng.standard_normal(shape(fwd, "Outputs"))
        # Reference: the literal execution of the forward, differentiated by finite differences.
        di = loss_gradient(fwd, {"Weights": w, "Inputs": i}, g, "Inputs")
        dw = loss_gradient(fwd, {"Weights": w, "Inputs": i}, g, "Weights")
        got_di = execute(backward_data(fwd), {"Weights": w, "dOutputs": g})
        got_dw = execute(backward_weight(fwd), {"Inputs": i, "dOutputs": g})
        np.testing.assert_allclose(got_di, di, atol=1e-9)
        np.testing.assert_allclose(got_dw, dw, atol=1e-9)


# --- fully connected and matmul ----------------------------------------------------------------------------


def test_fc_gradients():
    """Y = W X: dX = W^T dY, dW = dY X^T (reduced over the batch)."""
    fwd = fully_connected("fc", N=3, K=5, C=4)
    rng = np.random.default_rng(3)
    w, x = random_like(fwd, "Weights", rng), random_like(fwd, "Inputs", rng)
    g = rng.standard_normal(shape(fwd, "Outputs"))
    w2, x2, g2 = w[:, :, 0, 0], x[:, :, 0, 0], g[:, :, 0, 0]  # (K, C), (N, C), (N, K)
    np.testing.assert_allclose(execute(fwd, {"Weights": w, "Inputs": x})[:, :, 0, 0], x2 @ w2.T)
    np.testing.assert_allclose(
        execute(backward_data(fwd), {"Weights": w, "dOutputs": g})[:, :, 0, 0], g2 @ w2
    )
    np.testing.assert_allclose(
        execute(backward_weight(fwd), {"Inputs": x, "dOutputs": g})[:, :, 0, 0], g2.T @ x2
    )
    assert backward_data(fwd).operations == backward_weight(fwd).operations == fwd.operations == 3 * 5 * 4


def test_matmul_gradients():
    """Z = A B with B the weights (by name): dA = dZ B^T, dB = A^T dZ."""
    fwd = matmul(M=3, N=4, K=5)
    r = roles(fwd)
    assert (r.output.name, r.inputs.name, r.weights.name) == ("Z", "A", "B")
    rng = np.random.default_rng(4)
    a, b, g = rng.standard_normal((3, 5)), rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    bd, bw = backward_data(fwd), backward_weight(fwd)
    assert bd.output.name == "dA" and bw.output.name == "dB"
    np.testing.assert_allclose(execute(bd, {"B": b, "dZ": g}), g @ b.T)
    np.testing.assert_allclose(execute(bw, {"A": a, "dZ": g}), a.T @ g)
    assert bd.operations == bw.operations == fwd.operations


# --- weight update ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fwd",
    [
        conv2d("c", N=2, K=3, C=2, P=4, Q=3, R=3, S=2, stride=2),
        conv2d("g", K=4, C=6, P=3, Q=2, R=2, S=2, groups=2),
        fully_connected("fc", N=4, K=5, C=6),
        matmul(M=3, N=4, K=5),
        conv1d(P=5, R=3, stride=2),
    ],
)
def test_weight_update_touches_each_weight_once(fwd):
    r = roles(fwd)
    wu = weight_update(fwd)
    assert wu.operations == fwd.tensor_size(r.weights) == wu.tensor_points(wu.output)
    assert wu.op == "add" and weight_update(fwd, op="mac").op == "mac"
    rng = np.random.default_rng(5)
    w = random_like(fwd, r.weights.name, rng)
    dw = rng.standard_normal(w.shape)
    np.testing.assert_allclose(execute(wu, {r.weights.name: w, f"d{r.weights.name}": dw}), w + dw)


# --- roles, passes and the network step --------------------------------------------------------------------


def test_roles_by_batch_dimension_and_ambiguity():
    by_batch = Workload(
        "lin",
        ("N", "K", "C"),
        (2, 3, 4),
        (plain("X", "N", "C"), plain("M", "K", "C"), plain("Y", "N", "K", rw=True)),
    )
    assert roles(by_batch).weights.name == "M"  # the one operand without the batch dimension N
    outer = Workload(
        "outer",
        ("N", "K", "C"),
        (2, 3, 4),
        (plain("P", "K"), plain("Q", "C"), plain("S", "N", "K", "C", rw=True)),
    )
    with pytest.raises(SpecError, match="outer"):  # neither operand depends on the batch dimension
        roles(outer)
    two_out = Workload(
        "bad", ("N",), (2,), (plain("A", "N"), plain("B", "N", rw=True), plain("C", "N", rw=True))
    )
    with pytest.raises(SpecError, match="bad"):
        backward_data(two_out)
    pool = Workload("pool", ("N", "P", "R"), (1, 3, 2), (
        Tensor("Inputs", ((("N", 1),), (("P", 2), ("R", 1)))), plain("Outputs", "N", "P", rw=True)), op="add")  # fmt: skip
    assert roles(pool).weights is None
    assert [p.kind for p in layer_passes(pool)] == ["forward", "backward_data"]
    with pytest.raises(SpecError, match="pool"):
        backward_weight(pool)


def test_activation_only_layers():
    """Attention's QK^T (both operands depend on the batch dimension): a gradient per operand, no weights."""
    qk = batched_matmul("qk", B=2, M=3, N=4, K=5)
    r = roles(qk)
    assert r.weights is None and [t.name for t in r.activations] == ["A", "B"]
    passes = layer_passes(qk)
    assert [(p.kind, p.workload.name) for p in passes] == [
        ("forward", "qk.forward"),
        ("backward_data", "qk.backward_data.A"),
        ("backward_data", "qk.backward_data.B"),
    ]
    rng = np.random.default_rng(6)
    a, b, g = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 3, 4))
    da = execute(passes[1].workload, {"B": b, "dZ": g})
    db = execute(passes[2].workload, {"A": a, "dZ": g})
    np.testing.assert_allclose(da, np.einsum("bmn,bkn->bmk", g, b))
    np.testing.assert_allclose(db, np.einsum("bmk,bmn->bkn", a, g))
    with pytest.raises(SpecError, match="qk"):
        backward_data(qk)  # which operand: name it


def test_elementwise_pooling_and_activation_gradients():
    """Residual add: dA = dB = dZ (routed, op add); a LUT activation: dX = dOut * f'(X) (op mul); max pool: the
    gradient routed over the window (op compare, no MACs)."""
    add = Workload("res", ("M", "N"), (3, 4), (plain("A", "M", "N"), plain("B", "M", "N"), plain("Z", "M", "N", rw=True)), op="add")  # fmt: skip
    g = np.random.default_rng(7).standard_normal((3, 4))
    for x in ("A", "B"):
        grad = backward_data(add, wrt=x)
        assert grad.op == "add" and [t.name for t in grad.tensors] == ["dZ", f"d{x}"]
        np.testing.assert_allclose(execute(grad, {"dZ": g}), g)
    act = Workload("gelu", ("M", "N"), (3, 4), (plain("Inputs", "M", "N"), plain("Outputs", "M", "N", rw=True)), op="lookup")  # fmt: skip
    grad = backward_data(act)
    assert grad.op == "mul" and [t.name for t in grad.tensors] == ["Inputs", "dOutputs", "dInputs"]
    pool = Workload("mp", ("P", "R"), (3, 2), (
        Tensor("Inputs", ((("P", 2), ("R", 1)),)), plain("Outputs", "P", rw=True)), op="compare")  # fmt: skip
    grad = backward_data(pool)
    assert grad.op == "compare" and grad.operations == pool.operations
    assert [t.name for t in grad.tensors] == ["dOutputs", "dInputs"]


@pytest.mark.parametrize(
    "fwd", [conv2d("c", N=2, K=3, C=2, P=3, Q=2, R=2, S=2, stride=2), matmul(M=3, N=4, K=5)]
)
def test_forward_names_compute_the_same_gradients(fwd):
    """With forward_names the passes' tensors take the forward names by role; the loop nests are unchanged."""
    plain_passes = layer_passes(fwd)
    renamed = layer_passes(fwd, forward_names=True)
    out = roles(fwd).output.name
    rng = np.random.default_rng(8)
    for p, q in zip(plain_passes, renamed):
        assert q.workload.output.name == out and q.workload.dims == p.workload.dims
        back = dict(q.renamed)
        data = {t.name: rng.standard_normal(shape(p.workload, t.name)) for t in p.workload.tensors}
        moved = {t.name: data[back.get(t.name, t.name)] for t in q.workload.tensors}
        np.testing.assert_allclose(execute(q.workload, moved), execute(p.workload, data))
    kinds = {p.kind: dict(p.renamed) for p in renamed}
    if out == "Outputs":
        assert kinds["backward_data"] == {"Inputs": "dOutputs", "Outputs": "dInputs"}
        assert kinds["backward_weight"] == {"Weights": "dOutputs", "Outputs": "dWeights"}
        assert kinds["weight_update"] == {"Inputs": "dWeights", "Outputs": "UpdatedWeights"}


def test_training_step_of_a_network():
    """Forward layer by layer, then backward from the last layer; no backward-data for the first layer."""
    net = Network("tiny", (conv2d("conv1", K=4, C=3, P=4, Q=4, R=3, S=3), fully_connected("fc", K=2, C=64)))
    passes = training_passes(net)
    assert [(p.layer, p.kind) for p in passes] == [
        ("conv1", "forward"),
        ("fc", "forward"),
        ("fc", "backward_data"),
        ("fc", "backward_weight"),
        ("fc", "weight_update"),
        ("conv1", "backward_weight"),
        ("conv1", "weight_update"),
    ]
    step = training_step(net)
    assert [wl.name for wl in step.layers][:3] == ["conv1.forward", "fc.forward", "fc.backward_data"]
    macs = 2 * net.layers[0].operations + 3 * net.layers[1].operations
    assert sum(wl.operations for wl in step.layers if wl.op == "mac") == macs
    assert sum(wl.operations for wl in step.layers if wl.op == "add") == net.params  # one add per weight


def test_training_step_names_the_ambiguous_layer():
    outer = Workload(
        "outer",
        ("N", "K", "C"),
        (2, 3, 4),
        (plain("P", "K"), plain("Q", "C"), plain("S", "N", "K", "C", rw=True)),
    )
    with pytest.raises(SpecError, match="outer"):
        training_step(Network("net", (conv2d("c", K=2, C=2, P=2, Q=2), outer)))
