"""evaluate_batch equals evaluate, mapping by mapping, on random batches (counts, cycles, energy, validity)."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import architectures, workloads

from loopscape.arch import Architecture, StorageLevel
from loopscape.energy import ActionEnergy, EnergyTable
from loopscape.errors import MappingError
from loopscape.mapping import validate_mapping
from loopscape.model.batch import MappingBatch, evaluate_batch
from loopscape.model.codes import FILLS, LINKS, READS, REDUCTIONS, UPDATES, WORDS
from loopscape.model.evaluate import evaluate


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def batches(draw):
    w = draw(workloads())
    a = draw(architectures(w))
    # Bounded capacities and bandwidths so validity and throughput both vary.
    levels = tuple(
        StorageLevel(
            lv.name,
            lv.cls,
            lv.instances,
            lv.mesh_x,
            entries=None if i == 0 else draw(st.sampled_from([None, 4, 16, 64, 256])),
            block_size=draw(st.sampled_from([1, 1, 2, 4])),
            read_bandwidth=draw(st.sampled_from([None, 0.5, 1, 4])),
            write_bandwidth=draw(st.sampled_from([None, 1, 2])),
            shared_bandwidth=draw(st.sampled_from([None, None, 3])),
            keeps=lv.keeps,
            network=lv.network,
            gating=tuple((t, (t,)) for t in w.tensor_names if draw(st.booleans())),
        )
        for i, lv in enumerate(a.levels)
    )
    a = Architecture(a.name, levels, dataclasses.replace(a.compute, gating=draw(st.booleans())))
    w = dataclasses.replace(
        w, tensors=tuple(dataclasses.replace(t, density=draw(st.sampled_from([1.0, 0.5]))) for t in w.tensors)
    )
    n_levels, n_dims, n_tensors = len(a.levels), len(w.dims), len(w.tensors)
    size = draw(st.integers(1, 12))
    temporal = np.ones((size, n_levels, n_dims), dtype=np.int64)
    sx = np.ones_like(temporal)
    sy = np.ones_like(temporal)
    for i in range(size):
        for d, b in enumerate(w.bounds):
            remaining = b + (1 if draw(st.integers(0, 9)) == 0 else 0)
            for lv in range(n_levels):
                for arr in (sx, sy):
                    if draw(st.integers(0, 2)) == 0:
                        f = draw(st.sampled_from(_divisors(remaining)))
                        arr[i, lv, d] = f
                        remaining //= f
            for lv in range(n_levels - 1, 0, -1):
                f = draw(st.sampled_from(_divisors(remaining)))
                temporal[i, lv, d] = f
                remaining //= f
            temporal[i, 0, d] = (
                remaining if draw(st.integers(0, 15)) else max(1, remaining - 1)
            )  # sometimes short
    order = np.stack(
        [
            np.stack([np.array(draw(st.permutations(range(n_dims)))) for _ in range(n_levels)])
            for _ in range(size)
        ]
    ).astype(np.int64)
    keep = np.ones((size, n_levels, n_tensors), dtype=np.bool_)
    for i in range(size):
        for lv in range(1, n_levels):
            for j, t in enumerate(w.tensor_names):
                keep[i, lv, j] = a.may_keep(lv, t) and draw(st.integers(0, 3)) > 0
    energy = EnergyTable(
        {lv.name: ActionEnergy(*[draw(st.floats(0.1, 100.0)) for _ in range(6)]) for lv in a.levels},
        compute=draw(st.floats(0.1, 5.0)),
        network={lv.name: draw(st.floats(0.0, 2.0)) for lv in a.levels},
        compute_gated=draw(st.floats(0.0, 1.0)),
    )
    return a, w, MappingBatch(temporal, order, sx, sy, keep), energy


@st.composite
def uneven_batches(draw):
    """A batch whose cuts are moved by small random shifts (levels below the backing store), some invalid."""
    arch, workload, batch, energy = draw(batches())
    shape = batch.keep.shape
    shift = np.array(
        draw(st.lists(st.integers(-3, 3), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    )
    shift = shift.reshape(shape) * (np.arange(shape[1]) > 0)[None, :, None]
    return arch, workload, dataclasses.replace(batch, shift=shift), energy


@settings(max_examples=300)
@given(st.one_of(batches(), uneven_batches()), st.booleans())
def test_batch_equals_evaluate(case, exact):
    arch, workload, batch, energy = case
    got = evaluate_batch(arch, workload, batch, energy, keep_counts=True, exact=exact)
    for i in range(batch.size):
        mapping = batch.mapping(i, workload)
        try:
            validate_mapping(arch, workload, mapping)
            expected_valid = True
        except MappingError:
            expected_valid = False
        assert bool(got.valid[i]) == expected_valid, mapping
        if any(mapping.factor(d) < b for d, b in zip(workload.dims, workload.bounds)):
            continue  # short factors: no defined counts
        fx_ok = all(
            mapping.spatial_fanout(lv)[0] <= arch.fanout(lv)[0]
            and mapping.spatial_fanout(lv)[1] <= arch.fanout(lv)[1]
            for lv in range(len(arch.levels))
        )
        if not fx_ok:
            continue
        try:
            r = evaluate(arch, workload, mapping, energy, check_capacity=False, exact=exact)
        except MappingError:  # a cut out of place (uneven batches): no counts, and the batch says invalid
            assert not got.valid[i] and mapping.cuts
            continue
        assert int(got.cycles[i]) == r.cycles
        assert float(got.energy_pj[i]) == r.energy_pj  # the same compiled terms summed in the same order
        assert float(got.utilization[i]) == r.utilization
        for lv in range(len(arch.levels)):
            for j, t in enumerate(workload.tensor_names):
                if not mapping.keeps(lv, t):
                    continue
                acc = r.counts.levels[lv][t]
                net = r.counts.networks[lv][t]
                row = got.counts[i, lv, j]
                assert (row[READS], row[FILLS], row[UPDATES]) == (acc.reads, acc.fills, acc.updates)
                assert (row[LINKS], row[REDUCTIONS]) == (net.link_transfers, net.spatial_reductions)
                assert row[WORDS] == r.levels[lv].tile_words[t]


def _multirank_workload(stride: int, second: str, bounds: tuple[int, int, int]):
    """A transposed conv whose written tensor also has a rank over one of its window's dimensions (out[p*s + r,
    second]): no closed-form partition, so the batch kernel flags it and evaluate_batch falls back."""
    from loopscape.workload import Tensor, Workload

    return Workload(
        "transposed2",
        ("K", "P", "R"),
        bounds,
        (
            Tensor("Weights", ((("K", 1),), (("R", 1),))),
            Tensor("Inputs", ((("K", 1),), (("P", 1),))),
            Tensor("Outputs", ((("P", stride), ("R", 1)), ((second, 1),)), read_write=True),
        ),
    )


@st.composite
def multirank_batches(draw):
    """Random even batches (some padded, short or over a fan-out) of a multi-rank transposed conv."""
    w = _multirank_workload(
        draw(st.integers(1, 3)),
        draw(st.sampled_from(["P", "R"])),
        (draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 4))),
    )
    a = draw(architectures(w))
    n_levels, n_dims = len(a.levels), len(w.dims)
    size = draw(st.integers(1, 8))
    temporal = np.ones((size, n_levels, n_dims), dtype=np.int64)
    sx, sy = np.ones_like(temporal), np.ones_like(temporal)
    for i in range(size):
        for d, b in enumerate(w.bounds):
            remaining = b + (1 if draw(st.integers(0, 9)) == 0 else 0)
            for lv in range(n_levels):
                for arr in (sx, sy):
                    if draw(st.integers(0, 2)) == 0:
                        arr[i, lv, d] = draw(st.sampled_from(_divisors(remaining)))
                        remaining //= int(arr[i, lv, d])
            for lv in range(n_levels - 1, 0, -1):
                temporal[i, lv, d] = draw(st.sampled_from(_divisors(remaining)))
                remaining //= int(temporal[i, lv, d])
            temporal[i, 0, d] = remaining if draw(st.integers(0, 15)) else max(1, remaining - 1)
    order = np.array(
        [[draw(st.permutations(range(n_dims))) for _ in range(n_levels)] for _ in range(size)], dtype=np.int64
    )
    keep = np.ones((size, n_levels, len(w.tensors)), dtype=np.bool_)
    for i in range(size):
        for lv in range(1, n_levels):
            for j, t in enumerate(w.tensor_names):
                keep[i, lv, j] = a.may_keep(lv, t) and draw(st.integers(0, 3)) > 0
    energy = EnergyTable(
        {lv.name: ActionEnergy(*[draw(st.floats(0.1, 100.0)) for _ in range(6)]) for lv in a.levels},
        compute=draw(st.floats(0.1, 5.0)),
        network={lv.name: draw(st.floats(0.0, 2.0)) for lv in a.levels},
    )
    return a, w, MappingBatch(temporal, order, sx, sy, keep), energy


@settings(max_examples=150)
@given(multirank_batches(), st.booleans())
def test_batch_falls_back_to_evaluate(case, exact):
    """Mappings the kernel flags (no closed-form partition) go through evaluate: batch == evaluate still."""
    test_batch_equals_evaluate.hypothesis.inner_test(case, exact)


def test_fallback_rows_are_flagged_and_patched():
    """A mapping of the multi-rank workload that the kernel flags: the batch's figures are evaluate's."""
    from loopscape.arch import ComputeLevel
    from loopscape.model.evaluate import analyze
    from loopscape.model.nest import nest_arrays

    w = _multirank_workload(2, "P", (2, 4, 3))
    arch = Architecture(
        "two", (StorageLevel("DRAM", "DRAM"), StorageLevel("Buf", "SRAM", entries=64)), ComputeLevel("MAC", 1)
    )
    temporal = np.array([[[2, 2, 1], [1, 2, 3]]], dtype=np.int64)  # K and half of P above the buffer
    ones = np.ones_like(temporal)
    order = np.array([[[0, 1, 2], [2, 1, 0]]], dtype=np.int64)
    batch = MappingBatch(temporal, order, ones, ones, np.ones((1, 2, 3), dtype=np.bool_))
    mapping = batch.mapping(0, w)
    status = analyze(arch, w, nest_arrays(arch, w, [mapping]))[3]
    assert status[0] != 0  # the kernel has no closed form here
    got = evaluate_batch(arch, w, batch, keep_counts=True)
    r = evaluate(arch, w, mapping)
    assert got.valid[0] and int(got.cycles[0]) == r.cycles and float(got.energy_pj[0]) == r.energy_pj
    out = r.counts.levels[1]["Outputs"]
    assert tuple(got.counts[0, 1, 2, [READS, FILLS, UPDATES]]) == (out.reads, out.fills, out.updates)
