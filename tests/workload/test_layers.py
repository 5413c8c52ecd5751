"""Layer constructors: loop nests checked against literal loops on small shapes, op kinds, PyTorch output
sizes, errors; and the energy model charging each layer's operation kind."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy import EnergyTable
from loopscape.energy.components import Component
from loopscape.energy.defaults import default_table
from loopscape.energy.ert import LUT_ENTRIES, OP_COMPONENTS, build_ert, default_registry
from loopscape.energy.primitives import adder_energy, multiplier_energy
from loopscape.errors import SpecError
from loopscape.mapper import exhaustive_search
from loopscape.model import evaluate
from loopscape.model.costs import level_params
from loopscape.workload import (
    ACTIVATIONS,
    activation,
    batched_matmul,
    conv2d,
    conv2d_from_input,
    conv_output_size,
    elementwise,
    global_avg_pool,
    matmul,
    pooling,
)


def touched(workload, tensor: str) -> set[tuple[int, ...]]:
    """The tensor's elements the operation space touches, by executing the nest literally."""
    a = workload.coefficients(tensor)
    return {tuple(a @ np.array(p)) for p in itertools.product(*(range(b) for b in workload.bounds))}


def test_batched_matmul_is_one_matmul_per_batch_index():
    wl = batched_matmul("qk", B=3, M=4, N=5, K=2)
    assert wl.op == "mac" and wl.operations == 3 * 4 * 5 * 2
    assert {t.name: wl.tensor_size(t) for t in wl.tensors} == {"A": 3 * 4 * 2, "B": 3 * 2 * 5, "Z": 3 * 4 * 5}
    assert wl.output.name == "Z"
    # Every tensor carries the batch dimension (no reuse across heads).
    assert all("B" in t.dims() for t in wl.tensors)
    assert touched(wl, "A") == set(itertools.product(range(3), range(4), range(2)))
    # Z[b, m, n] = sum_k A[b, m, k] B[b, k, n], literally, equals numpy's batched matmul.
    rng = np.random.default_rng(0)
    a, b = rng.integers(-3, 4, (3, 4, 2)), rng.integers(-3, 4, (3, 2, 5))
    z = np.zeros((3, 4, 5), dtype=np.int64)
    for bb, m, n, k in itertools.product(*(range(x) for x in wl.bounds)):
        z[bb, m, n] += a[bb, m, k] * b[bb, k, n]
    assert (z == a @ b).all()


def test_matmul_with_weights_names_its_weight_operand():
    assert matmul(M=2, N=3, K=4).tensor_names == ("A", "B", "Z")
    wl = matmul("proj", M=2, N=3, K=4, weights=True)
    assert wl.tensor_names == ("A", "Weights", "Z") and wl.tensor_size("Weights") == 12


@pytest.mark.parametrize(("kind", "op"), [("max", "compare"), ("avg", "add")])
def test_pooling_window_and_op(kind, op):
    wl = pooling("pool", kind, C=2, P=3, Q=3, R=2, S=2)  # stride defaults to the window: 2
    assert wl.op == op and "Weights" not in wl.tensor_names
    assert wl.operations == 2 * 3 * 3 * 2 * 2  # one op per window point
    assert touched(wl, "Inputs") == set(itertools.product(range(1), range(2), range(6), range(6)))
    assert wl.tensor_size("Outputs") == 2 * 9 and wl.output.name == "Outputs"
    # Overlapping 3x3/2 windows (AlexNet's, ResNet's max-pool): input rows 0 .. 2*(P-1)+2.
    ov = pooling("mp", "max", C=1, P=4, Q=4, R=3, S=3, stride=2)
    assert ov.tensor_size("Inputs") == 9 * 9 == ov.tensor_points("Inputs")


def test_pooling_equals_a_literal_max_and_sum():
    rng = np.random.default_rng(1)
    x = rng.integers(-9, 10, (1, 2, 7, 7))
    for kind, reduce in (("max", np.max), ("avg", np.sum)):
        wl = pooling("p", kind, C=2, P=3, Q=3, R=3, S=3, stride=2)
        out = np.full((1, 2, 3, 3), -(10**9) if kind == "max" else 0)
        for n, c, p, q, r, s in itertools.product(*(range(b) for b in wl.bounds)):
            v = x[n, c, 2 * p + r, 2 * q + s]
            out[n, c, p, q] = max(out[n, c, p, q], v) if kind == "max" else out[n, c, p, q] + v
        expected = np.array(
            [[[[reduce(x[0, c, 2 * p : 2 * p + 3, 2 * q : 2 * q + 3]) for q in range(3)] for p in range(3)]]
             for c in range(2)]
        ).reshape(1, 2, 3, 3)  # fmt: skip
        assert (out == expected).all()


def test_global_avg_pool():
    wl = global_avg_pool("gap", C=512, H=7, W=7)
    assert wl.op == "add" and wl.operations == 512 * 49
    assert wl.tensor_size("Inputs") == 512 * 49 and wl.tensor_size("Outputs") == 512


@pytest.mark.parametrize(("kind", "op"), [("add", "add"), ("mul", "mul")])
def test_elementwise(kind, op):
    wl = elementwise("res", kind, C=4, P=3, Q=2)
    assert wl.op == op and wl.dims == ("C", "P", "Q") and wl.operations == 24
    assert wl.tensor_names == ("A", "B", "Z") and wl.output.name == "Z"
    assert all(wl.tensor_size(t) == 24 for t in wl.tensor_names)


def test_activation_is_one_lookup_per_element():
    wl = activation("gelu", "gelu", M=128, N=3072)
    assert wl.op == "lookup" and wl.operations == 128 * 3072
    assert wl.tensor_names == ("Inputs", "Outputs")
    assert {"relu", "sigmoid", "tanh", "softmax"} <= set(ACTIVATIONS)


def test_layer_errors_name_the_field():
    with pytest.raises(SpecError) as e:
        pooling("p", "min", C=1, P=1, Q=1, R=2, S=2)
    assert e.value.path == "p.kind"
    with pytest.raises(SpecError, match="kind"):
        elementwise("e", "sub", C=2)
    with pytest.raises(SpecError, match="at least one dimension"):
        elementwise("e", "add")
    with pytest.raises(SpecError) as e:
        activation("a", "swish2", C=2)
    assert e.value.path == "a.kind"
    with pytest.raises(SpecError) as e:
        activation("a", "relu", C=0)  # a dimension's bound is checked by the workload
    with pytest.raises(SpecError) as e:
        conv2d_from_input("c", K=1, C=1, H=2, W=2, R=5, S=5)
    assert e.value.path == "c.output"
    with pytest.raises(SpecError) as e:
        conv2d_from_input("c", K=1, C=1, H=8, W=8, R=3, S=3, padding=-1)
    assert e.value.path == "c.padding"


@pytest.mark.parametrize(
    ("h", "w", "r", "s", "stride", "padding", "dilation", "pq"),
    [
        # torch.nn.Conv2d's output formula: floor((H + 2*pad - dil*(R-1) - 1) / stride) + 1.
        (224, 224, 7, 7, 2, 3, 1, (112, 112)),  # ResNet conv1
        (56, 56, 3, 3, 2, 1, 1, (28, 28)),  # ResNet-18 layer2.0.conv1
        (56, 56, 1, 1, 2, 0, 1, (28, 28)),  # a 1x1/2 projection
        (227, 227, 11, 11, 4, 0, 1, (55, 55)),  # AlexNet conv1
        (299, 299, 3, 3, 2, 0, 1, (149, 149)),  # Xception's first conv
        (32, 20, 3, 3, 1, 2, 2, (32, 20)),  # dilated 'same'
        (9, 16, 3, 5, (1, 2), (1, 2), 1, (9, 8)),
    ],
)
def test_conv2d_from_input_sizes_as_pytorch(h, w, r, s, stride, padding, dilation, pq):
    wl = conv2d_from_input(
        "c", K=8, C=4, H=h, W=w, R=r, S=s, stride=stride, padding=padding, dilation=dilation
    )
    assert (wl.bound("P"), wl.bound("Q")) == pq


def test_conv2d_from_input_keeps_groups_stride_and_dilation():
    dw = conv2d_from_input("dw", K=32, C=32, H=112, W=112, R=3, S=3, stride=2, padding=1, groups=32)
    assert dw == conv2d("dw", K=32, C=32, P=56, Q=56, R=3, S=3, stride=2, groups=32)
    assert conv_output_size(7, 3, 1, 2, 2) == 7


# --- the energy model charges each layer's operation kind -----------------------------------------
def small_arch(word_bits: int = 16) -> Architecture:
    return Architecture(
        "small",
        (
            StorageLevel("DRAM", "DRAM", word_bits=word_bits),
            StorageLevel("Buf", "SRAM", entries=256, word_bits=word_bits),
        ),
        ComputeLevel("PE", 2, mesh_x=2, word_bits=word_bits),
    )


@pytest.mark.parametrize("bits", [8, 16])
def test_op_energies_come_from_the_primitives_at_the_word_width(bits):
    t = build_ert(small_arch(bits))
    assert t.compute_ops["mac"] == t.compute == t.compute_energy("mac") == t.compute_energy("unknown")
    assert t.compute_ops["add"] == pytest.approx(adder_energy(bits))
    assert t.compute_ops["mul"] == pytest.approx(multiplier_energy(bits))
    lut = default_registry().estimate(Component("lut", {"entries": LUT_ENTRIES, "bits": bits}))
    assert t.compute_ops["lookup"] == pytest.approx(lut.energy_pj["lookup"])
    assert set(t.compute_ops) == {"mac", *OP_COMPONENTS}
    # An add and a compare are cheaper than a MAC of the same width.
    assert t.compute_ops["compare"] < t.compute and t.compute_ops["add"] < t.compute


def test_a_table_without_op_energies_charges_a_mac():
    t = EnergyTable({}, compute=1.5)
    assert t.compute_energy("compare") == 1.5
    assert level_params(small_arch(), t, "lookup").compute_pj == 1.5


@pytest.mark.parametrize(("kind", "op"), [("max", "compare"), ("avg", "add")])
def test_pooling_costs_its_op_energy_per_operation(kind, op):
    arch = small_arch()
    table = default_table(arch)
    wl = pooling("pool", kind, C=2, P=2, Q=2, R=2, S=2)
    found = exhaustive_search(arch, wl, table, objective="energy")  # batches through evaluate_batch
    r = evaluate(arch, wl, found.mapping, table)
    assert r.compute_energy_pj == pytest.approx(r.macs * table.compute_ops[op])
    assert r.compute_energy_pj < r.macs * table.compute  # less than a MAC per operation
    # evaluate_batch charged the same per-op energy: its best energy is evaluate's.
    assert found.value == pytest.approx(r.energy_pj)
    # The same loop nest as a MAC layer costs more, by exactly the difference in op energy.
    as_mac = evaluate(arch, dataclasses.replace(wl, op="mac"), found.mapping, table)
    assert as_mac.energy_pj - r.energy_pj == pytest.approx(r.macs * (table.compute - table.compute_ops[op]))


def test_a_max_pool_is_cheaper_than_an_avg_pool_is_cheaper_than_a_conv_on_eyeriss():
    from loopscape.arch import zoo

    table = default_table(zoo.get("eyeriss"))
    assert table.compute_ops["compare"] < table.compute_ops["add"] < table.compute
