"""Capsule layers: operation counts and values against a literal numpy dynamic routing (Sabour et al. 2017,
Procedure 1) and a literal interpreter of workloads; CapsNet and DeepCaps totals."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from loopscape.errors import SpecError
from loopscape.workload.capsules import (
    capsule_layer,
    conv_capsules,
    conv_capsules_3d,
    primary_capsules,
)
from loopscape.workload.networks import get
from loopscape.workload.workload import Workload

# --- a literal interpreter of workloads -------------------------------------------------------------------


def tensor_shape(wl: Workload, name: str) -> tuple[int, ...]:
    """The bounding box of a tensor's data space: each rank's largest index + 1."""
    a = wl.coefficients(name)
    return tuple(int(x) for x in a @ (np.asarray(wl.bounds) - 1) + 1)


def interpret(wl: Workload, arrays: dict[str, np.ndarray], init: np.ndarray | None = None) -> np.ndarray:
    """For each point of the operation space: out[proj_out(point)] += product of the read tensors at theirs."""
    out = wl.output
    reads = [t for t in wl.tensors if not t.read_write]
    proj = {t.name: wl.coefficients(t) for t in wl.tensors}
    for t in reads:
        assert arrays[t.name].shape == tensor_shape(wl, t.name), (wl.name, t.name)
    dtype = np.result_type(*(arrays[t.name] for t in reads))
    result = np.zeros(tensor_shape(wl, out.name), dtype) if init is None else init.astype(dtype).copy()
    for point in np.ndindex(*wl.bounds):
        p = np.asarray(point)
        value = 1
        for t in reads:
            value = value * arrays[t.name][tuple(proj[t.name] @ p)]
        result[tuple(proj[out.name] @ p)] += value
    return result


# --- a literal dynamic routing, counting its operations ---------------------------------------------------


def squash_literal(s: np.ndarray, mode: str, count: Counter, step: str) -> np.ndarray:
    """Eq. 1 capsule by capsule over the last axis of s (J, O, P, Q indexed as [j, o, p, q])."""
    J, O, P, Q = s.shape
    v = np.zeros_like(s)
    for p in range(P):
        for q in range(Q):
            for j in range(J):
                if mode == "lut":  # one table access per element of v
                    norm = sum(s[j, o, p, q] ** 2 for o in range(O))
                    for o in range(O):
                        v[j, o, p, q] = norm / (1 + norm) * s[j, o, p, q] / np.sqrt(norm)
                        count[f"{step}.squash"] += 1
                    continue
                norm = 0.0
                for o in range(O):
                    norm += s[j, o, p, q] * s[j, o, p, q]
                    count[f"{step}.squash.norm"] += 1
                scale = np.sqrt(norm) / (1 + norm)
                count[f"{step}.squash.scale"] += 1
                for o in range(O):
                    v[j, o, p, q] = s[j, o, p, q] * scale
                    count[f"{step}.squash.apply"] += 1
    return v


def routing_literal(
    u_hat: np.ndarray, iterations: int, squash: str, final_agreement: bool, count: Counter
) -> np.ndarray:
    """Procedure 1 on votes u_hat[i, j, o, p, q] (routing at each position p, q separately)."""
    I, J, O, P, Q = u_hat.shape
    b = np.zeros((I, J, P, Q))
    v = np.zeros((J, O, P, Q))
    for k in range(1, iterations + 1):
        step = f"route{k}"
        c = np.zeros_like(b)
        for i in range(I):
            for p in range(P):
                for q in range(Q):
                    e = np.exp(b[i, :, p, q])
                    for j in range(J):
                        c[i, j, p, q] = e[j] / e.sum()  # Eq. 3, one LUT access per c_ij
                        count[f"{step}.softmax"] += 1
        s = np.zeros((J, O, P, Q))
        for i in range(I):
            for j in range(J):
                for o in range(O):
                    for p in range(P):
                        for q in range(Q):
                            s[j, o, p, q] += c[i, j, p, q] * u_hat[i, j, o, p, q]
                            count[f"{step}.weighted_sum"] += 1
        v = squash_literal(s, squash, count, step)
        if k < iterations or final_agreement:
            for i in range(I):
                for j in range(J):
                    for o in range(O):
                        for p in range(P):
                            for q in range(Q):
                                b[i, j, p, q] += u_hat[i, j, o, p, q] * v[j, o, p, q]
                                count[f"{step}.agreement"] += 1
    return v


def predict_literal(u: np.ndarray, W: np.ndarray, count: Counter) -> np.ndarray:
    """u_hat[j|i] = W_ij u_i (Eq. 2) for u[i, d] and W[i, j, o, d]."""
    I, J, O, D = W.shape
    u_hat = np.zeros((I, J, O), dtype=np.result_type(u, W))
    for i in range(I):
        for j in range(J):
            for o in range(O):
                for d in range(D):
                    u_hat[i, j, o] += W[i, j, o, d] * u[i, d]
                    count["predict"] += 1
    return u_hat


def counts_of(layers: list[Workload], prefix: str) -> dict[str, int]:
    return {wl.name.removeprefix(f"{prefix}."): wl.operations for wl in layers}


# --- the workloads against the literal routing -------------------------------------------------------------

SMALL = {"in_caps": 5, "in_dim": 3, "out_caps": 4, "out_dim": 2}


@pytest.mark.parametrize("squash", ["lut", "ops"])
@pytest.mark.parametrize("final_agreement", [True, False])
@pytest.mark.parametrize("iterations", [1, 3])
def test_capsule_layer_counts_match_literal_routing(squash, final_agreement, iterations):
    rng = np.random.default_rng(1)
    u = rng.standard_normal((SMALL["in_caps"], SMALL["in_dim"]))
    W = rng.standard_normal((SMALL["in_caps"], SMALL["out_caps"], SMALL["out_dim"], SMALL["in_dim"]))
    count: Counter = Counter()
    u_hat = predict_literal(u, W, count)
    routing_literal(u_hat[..., None, None], iterations, squash, final_agreement, count)

    layers = capsule_layer(
        "caps", **SMALL, iterations=iterations, squash=squash, final_agreement=final_agreement
    )
    assert counts_of(layers, "caps") == dict(count)  # step by step, names and order included
    assert layers[0].name == "caps.predict"
    assert sum(wl.operations for wl in layers) == sum(count.values())
    macs = sum(wl.operations for wl in layers if wl.op == "mac")
    mac_steps = ("predict", "weighted_sum", "agreement", "squash.norm")
    assert macs == sum(n for step, n in count.items() if step.endswith(mac_steps))
    lookups = [wl.name for wl in layers if wl.op == "lookup"]
    assert all(name.endswith(("softmax", "squash", "squash.scale")) for name in lookups)


def test_capsnet_digitcaps_counts():
    """Sabour et al. Sec. 4: 1152 8D primary capsules -> 10 16D digit capsules, 3 routing iterations."""
    layers = {wl.name: wl for wl in capsule_layer("d", in_caps=1152, in_dim=8, out_caps=10, out_dim=16)}
    assert layers["d.predict"].operations == 1152 * 10 * 16 * 8 == 1_474_560
    assert layers["d.predict"].tensor_size("Weights") == 1_474_560
    for k in (1, 2, 3):
        assert layers[f"d.route{k}.weighted_sum"].operations == 1152 * 10 * 16
        assert layers[f"d.route{k}.agreement"].operations == 1152 * 10 * 16
        assert layers[f"d.route{k}.softmax"].operations == 1152 * 10
        assert layers[f"d.route{k}.squash"].operations == 10 * 16
    assert len(layers) == 1 + 3 * 4


def run_routing(layers: list[Workload], votes: np.ndarray) -> np.ndarray:
    """Execute the routing workloads in order: MAC and multiply nests literally, lookups by their function."""
    state = {"Votes": votes}
    for wl in layers:
        out = wl.output.name
        step = wl.name.rsplit(".route", 1)[1].split(".", 1)[1]
        if step == "softmax":  # Logits (N, *pos, I, J) -> Coupling, normalised over J
            logits = state.get("Logits", np.zeros(tensor_shape(wl, "Logits")))
            e = np.exp(logits)
            state[out] = e / e.sum(axis=-1, keepdims=True)
        elif step == "squash":  # Sum (N, *pos, J, O) -> Capsules, each capsule over O
            s = state["Sum"]
            n = (s**2).sum(axis=-1, keepdims=True)
            state[out] = n / (1 + n) * s / np.sqrt(n)
        elif step == "squash.norm":  # the nest reads s once per point; its op squares it
            assert tensor_shape(wl, "Norm") == state["Sum"].shape[:-1]
            state[out] = (state["Sum"] ** 2).sum(axis=-1)
        elif step == "squash.scale":
            state[out] = np.sqrt(state["Norm"]) / (1 + state["Norm"])
        else:
            reads = {t.name: state[t.name] for t in wl.tensors if not t.read_write}
            init = state.get("Logits") if step == "agreement" else None  # b_ij += a_ij (Procedure 1, line 7)
            state[out] = interpret(wl, reads, init)
    return state["Capsules"]


@pytest.mark.parametrize("squash", ["lut", "ops"])
def test_capsule_layer_values_match_literal_routing(squash):
    """u_hat = W u exactly (integers), then the routing nests reproduce the literal routing's v."""
    rng = np.random.default_rng(7)
    u = rng.integers(-4, 5, (1, SMALL["in_caps"], SMALL["in_dim"]))
    W = rng.integers(-4, 5, (SMALL["in_caps"], SMALL["out_caps"], SMALL["out_dim"], SMALL["in_dim"]))
    layers = capsule_layer("caps", **SMALL, iterations=3, squash=squash)
    votes = interpret(layers[0], {"Weights": W, "Inputs": u})
    count: Counter = Counter()
    assert votes.dtype.kind == "i"
    assert np.array_equal(votes[0], predict_literal(u[0], W, count))
    assert np.array_equal(votes[0], np.einsum("ijod,id->ijo", W, u[0]))

    scaled = votes / 16.0  # keep the logits small
    v = run_routing(layers[1:], scaled)
    expected = routing_literal(scaled[0][..., None, None], 3, squash, True, count)
    assert v.shape == (1, SMALL["out_caps"], SMALL["out_dim"])
    assert np.allclose(v[0], expected[..., 0, 0])


def test_conv_capsules_3d_counts_and_values():
    """ConvCaps3D on a 3x3 grid: votes by a 3D conv shared over input capsules, routing per position."""
    I, D, J, O, P, R, stride = 3, 2, 2, 3, 2, 3, 1
    rng = np.random.default_rng(3)
    H = (P - 1) * stride + R  # padded input
    x = rng.integers(-3, 4, (1, I, D, H, H))
    W = rng.integers(-3, 4, (J, O, D, R, R))
    layers = conv_capsules_3d(
        "c3", in_caps=I, in_dim=D, out_caps=J, out_dim=O, P=P, Q=P, R=R, S=R, stride=stride, iterations=2
    )
    votes = interpret(layers[0], {"Weights": W, "Inputs": x})

    count: Counter = Counter()
    u_hat = np.zeros((I, J, O, P, P), dtype=np.int64)
    for i, j, o, p, q, d, r, s in np.ndindex(I, J, O, P, P, D, R, R):
        u_hat[i, j, o, p, q] += W[j, o, d, r, s] * x[0, i, d, p * stride + r, q * stride + s]
        count["predict"] += 1
    assert np.array_equal(votes[0], u_hat.transpose(3, 4, 0, 1, 2))  # (P, Q, I, J, O)
    assert layers[0].tensor_size("Weights") == J * O * D * R * R  # one kernel for all input capsules

    v_literal = routing_literal(u_hat / 8.0, 2, "lut", True, count)
    assert counts_of(layers, "c3") == dict(count)
    v = run_routing(layers[1:], votes / 8.0)  # Capsules (N, P, Q, J, O)
    assert np.allclose(v[0], v_literal.transpose(2, 3, 0, 1))


def test_primary_and_conv_capsules():
    """PrimaryCaps (Sabour Sec. 4): 32 x 8D capsules by a 9x9/2 conv on 20x20x256 -> 6x6; then squash."""
    conv, sq = primary_capsules("pc", C=256, caps=32, dim=8, P=6, Q=6, R=9, S=9, stride=2)
    assert conv.name == "pc.conv" and sq.name == "pc.squash"
    assert conv.operations == 6 * 6 * 256 * 256 * 81 == 191_102_976
    assert conv.tensor_size("Weights") == 5_308_416
    assert sq.op == "lookup" and sq.operations == 6 * 6 * 32 * 8
    ops = primary_capsules("pc", C=256, caps=32, dim=8, P=6, Q=6, R=9, S=9, stride=2, squash="ops")
    assert [(wl.name, wl.op, wl.operations) for wl in ops[1:]] == [
        ("pc.squash.norm", "mac", 9216),
        ("pc.squash.scale", "lookup", 1152),  # one per capsule: 6*6*32 = 1152 primary capsules
        ("pc.squash.apply", "mul", 9216),
    ]
    # DeepCaps ConvCaps2D(32, 8) stride 2 on 14x14x32x4: a conv from 128 to 256 channels.
    conv2, _ = conv_capsules("cc", in_caps=32, in_dim=4, out_caps=32, out_dim=8, P=7, Q=7, stride=2)
    assert (conv2.bound("C"), conv2.bound("K"), conv2.bound("R")) == (128, 256, 3)


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"iterations": 0}, "caps.iterations"),
        ({"squash": "table"}, "caps.squash"),
        ({"out_caps": 0}, "problem.instance.J"),
    ],
)
def test_bad_capsule_layers(kwargs, path):
    args = {**SMALL, **kwargs}
    with pytest.raises(SpecError) as e:
        capsule_layer("caps", **args)
    assert e.value.path == path


# --- CapsNet and DeepCaps --------------------------------------------------------------------------------


def mac_total(layers) -> int:
    return sum(wl.operations for wl in layers if wl.op == "mac")


def weights(layers) -> int:
    return sum(wl.tensor_size("Weights") for wl in layers if "Weights" in wl.tensor_names)


def test_capsnet_published_totals():
    """Sabour et al. 2017, Sec. 5: "CapsNet has 8.2M parameters and 6.8M parameters without the
    reconstruction subnetwork". By hand: conv1 256*81 = 20,736; PrimaryCaps 256*256*81 = 5,308,416; DigitCaps
    1152*10*16*8 = 1,474,560; decoder 160*512 + 512*1024 + 1024*784 = 1,409,024 (biases left out)."""
    net = get("capsnet")
    assert net.source.startswith("Sabour")
    assert weights(net.layers) == 20_736 + 5_308_416 + 1_474_560 + 1_409_024 == net.params
    assert abs(net.params / 8.2e6 - 1) < 0.02
    encoder = [wl for wl in net.layers if not wl.name.startswith("decoder")]
    assert abs(weights(encoder) / 6.8e6 - 1) < 0.02
    # MACs from Sabour's layer shapes (Fig. 1, Sec. 4), as tabulated per layer in shared/notes/coac-xploredl.md
    # section 4; no published whole-network MAC total was found to check against.
    per_layer = {
        "conv1": 20 * 20 * 256 * 81,  # 8,294,400
        "primarycaps.conv": 6 * 6 * 256 * 256 * 81,  # 191,102,976
        "digitcaps.predict": 1152 * 10 * 16 * 8,  # 1,474,560
        "decoder.fc1": 160 * 512,
        "decoder.fc2": 512 * 1024,
        "decoder.fc3": 1024 * 784,
    }
    routing = 3 * 2 * 1152 * 10 * 16  # s_j and b_ij += u_hat . v_j in each of 3 iterations: 1,105,920
    assert mac_total(net.layers) == sum(per_layer.values()) + routing == 203_386_880
    for name, macs in per_layer.items():
        assert net.layer(name).operations == macs
    assert net.layer("primarycaps.squash").operations == 1152 * 8
    assert sum(".softmax" in wl.name for wl in net.layers) == 3


def test_deepcaps_shapes():
    """DeepCapsNet28 (github.com/brjathu/deepcaps): the table in shared/notes/coac-xploredl.md section 4."""
    net = get("deepcaps")
    assert "brjathu/deepcaps" in net.source
    assert net.layer("cell1.conv1.conv").bounds == (1, 128, 128, 14, 14, 3, 3)
    assert net.layer("cell2.conv1.conv").bounds == (1, 256, 128, 7, 7, 3, 3)
    assert net.layer("cell3.conv1.conv").bound("P") == 4  # 'same' padding, stride 2: ceil(7 / 2)
    assert net.layer("cell4.skip.predict").operations == 32 * 256 * 72 * 4 == 2_359_296
    assert net.layer("cell4.skip.predict").tensor_size("Weights") == 8 * 9 * 256
    assert net.layer("cell4.skip.route3.agreement").operations == 32 * 32 * 8 * 4  # update_routing: every one
    assert net.layer("classcaps.predict").operations == 640 * 10 * 32 * 8 == 1_638_400
    assert "classcaps.route3.agreement" not in {wl.name for wl in net.layers}  # CapsuleLayer skips the last
    assert net.layer("cell1.add").op == "add" and net.layer("cell1.add").operations == 14 * 14 * 32 * 4
    # Weights by hand: conv1 1*9*128; cell 1: 4 convs 9*128*128; cell 2: 9*128*256 + 3 * 9*256*256; cell 3:
    # 4 * 9*256*256; cell 4: 3 * 9*256*256 + ConvCaps3D 8*9*256; class capsules 640*10*32*8; decoder
    # 32*784 + 9*(16*64 + 64*32 + 32*16 + 16*1).
    conv = 9 * 256 * 256
    encoder = 1152 + 4 * 9 * 128 * 128 + 9 * 128 * 256 + 3 * conv + 4 * conv + 3 * conv + 18_432 + 1_638_400
    assert encoder == 8_440_960
    assert net.params == encoder + 32 * 784 + 9 * (16 * 64 + 64 * 32 + 32 * 16 + 16)
    assert len({wl.name for wl in net.layers}) == len(net.layers)
