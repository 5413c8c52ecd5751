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
