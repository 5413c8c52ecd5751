"""Native format: tensor densities and gating (sparsity) are read, written back, and checked."""

from __future__ import annotations

import pytest

from loopscape.errors import SpecError
from loopscape.io.native import architecture_to_native, read_architecture, read_workload, workload_to_native
from loopscape.model.nest import problem_arrays

WORKLOAD = {
    "dimensions": {"M": 2, "N": 2, "K": 4},
    "tensors": [
        {"name": "A", "ranks": ["M", "K"], "density": 0.5},
        {"name": "B", "ranks": ["K", "N"], "density": 0.25},
        {"name": "Z", "ranks": ["M", "N"], "read_write": True},
    ],
}
ARCH = {
    "name": "sparse",
    "levels": [
        {"name": "DRAM", "class": "DRAM"},
        {"name": "Buffer", "class": "SRAM", "entries": 64, "gating": {"A": ["B"], "B": ["A", "B"]}},
    ],
    "compute": {"instances": 1, "gating": True},
}


def test_density_and_gating_round_trip():
    w = read_workload(WORKLOAD)
    a = read_architecture(ARCH)
    assert [t.density for t in w.tensors] == [0.5, 0.25, 1.0]
    assert a.levels[1].gating == (("A", ("B",)), ("B", ("A", "B"))) and a.compute.gating
    assert read_workload(workload_to_native(w)) == w
    assert read_architecture(architecture_to_native(a)) == a


def test_ungated_probability_is_the_product_of_condition_densities():
    p = problem_arrays(read_architecture(ARCH), read_workload(WORKLOAD))
    assert p.nonzero[0].tolist() == [1.0, 1.0, 1.0]  # DRAM gates nothing
    assert p.nonzero[1].tolist() == [0.25, 0.5 * 0.25, 1.0]  # A on B; B on A and B; Z not gated
    assert p.operand_density == 0.5 * 0.25  # compute gating: both operands non-zero


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"density": 1.5}, "density"),
        ({"density": -0.1}, "density"),
        ({"density": "dense"}, "density"),
    ],
)
def test_bad_density(change, path):
    node = {**WORKLOAD, "tensors": [{**WORKLOAD["tensors"][0], **change}, *WORKLOAD["tensors"][1:]]}
    with pytest.raises(SpecError) as err:
        read_workload(node)
    assert path in err.value.path


def test_gating_names_a_tensor_of_the_workload():
    arch = {**ARCH, "levels": [ARCH["levels"][0], {**ARCH["levels"][1], "gating": {"A": ["Q"]}}]}
    with pytest.raises(SpecError) as err:
        problem_arrays(read_architecture(arch), read_workload(WORKLOAD))
    assert err.value.path == "architecture.levels[1].gating[0]" and "Q" in str(err.value)
