"""The model's energy is the sum of counts x ERT entries (storage actions, network word-hops, operations), and
its breakdown adds up to the total (issue 4)."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cases

from loopscape.energy import ActionEnergy, EnergyTable
from loopscape.model import evaluate


@st.composite
def tables(draw, arch):
    levels = {
        lv.name: ActionEnergy(*(draw(st.floats(0.0, 50.0, allow_nan=False)) for _ in range(3)))
        for lv in arch.levels
    }
    network = {
        lv.name: draw(st.floats(0.0, 2.0)) for lv in arch.levels
    }  # pJ per word per hop below the level
    return EnergyTable(
        levels, compute=draw(st.floats(0.0, 5.0)), area={lv.name: 10.0 for lv in arch.levels}, network=network
    )


@settings(max_examples=200)
@given(st.data())
def test_energy_is_counts_times_ert(data):
    arch, workload, mapping = data.draw(cases())
    table = data.draw(tables(arch))
    r = evaluate(arch, workload, mapping, table, check_capacity=False)
    expected = r.macs * table.compute
    for lv, level in enumerate(arch.levels):
        used = r.counts.instances_used[lv]
        ert = table.level(level.name)
        for tensor, acc in r.counts.levels[lv].items():
            for action, scalar in (("read", acc.reads), ("fill", acc.fills), ("update", acc.updates)):
                # Vector accesses per instance, rounded up (Timeloop's buffer.cpp), times the used instances.
                vectors = math.ceil(math.ceil(scalar / used) / level.block_size) * used
                expected += vectors * getattr(ert, action)
                assert r.levels[lv].energy_pj[tensor][action] == vectors * getattr(ert, action)
            hops = r.counts.networks[lv][tensor].word_hops  # the network below the level, hop by hop
            expected += hops * table.network[level.name]
            assert r.levels[lv].energy_pj[tensor]["network"] == hops * table.network[level.name]
    assert math.isclose(r.energy_pj, expected, rel_tol=1e-12, abs_tol=1e-9)
    breakdown = r.compute_energy_pj + sum(
        e for lv in r.levels for per_tensor in lv.energy_pj.values() for e in per_tensor.values()
    )
    assert math.isclose(breakdown, r.energy_pj, rel_tol=1e-12, abs_tol=1e-9)
    assert r.area_um2 == sum(10.0 * lv.instances for lv in arch.levels)


@settings(max_examples=150)
@given(st.data())
def test_gated_actions_follow_density(data):
    """Where a level gates a tensor on condition tensors, the fraction 1 - (product of their densities) of its
    accesses costs the gated energy; gated compute
    units charge the gated energy for the operations with a zero operand (1 - product of operand densities)."""
    arch, workload, mapping = data.draw(cases())
    dens = {t.name: data.draw(st.sampled_from([1.0, 0.5, 0.25, 0.8])) for t in workload.tensors}
    workload = dataclasses.replace(
        workload, tensors=tuple(dataclasses.replace(t, density=dens[t.name]) for t in workload.tensors)
    )
    names = workload.tensor_names
    levels = tuple(
        dataclasses.replace(
            lv,
            gating=tuple(
                (t, tuple(data.draw(st.sets(st.sampled_from(names), min_size=1))))
                for t in names
                if data.draw(st.booleans())
            ),
        )
        for lv in arch.levels
    )
    compute = dataclasses.replace(arch.compute, gating=data.draw(st.booleans()))
    arch = dataclasses.replace(arch, levels=levels, compute=compute)
    base = data.draw(tables(arch))
    gated = {
        name: dataclasses.replace(
            e, gated_read=e.read / 10, gated_fill=e.fill / 10, gated_update=e.update / 10
        )
        for name, e in base.levels.items()
    }
    table = dataclasses.replace(base, levels=gated, compute_gated=base.compute / 10)
    r = evaluate(arch, workload, mapping, table, check_capacity=False)
    p = math.prod(dens[t.name] for t in workload.tensors if not t.read_write)
    expected = r.macs * (
        p * table.compute + (1 - p) * table.compute_gated if arch.compute.gating else table.compute
    )
    for lv, level in enumerate(arch.levels):
        used = r.counts.instances_used[lv]
        ert = table.level(level.name)
        gates = dict(level.gating)
        for tensor, acc in r.counts.levels[lv].items():
            d = math.prod(dens[c] for c in gates[tensor]) if tensor in gates else 1.0
            for action, scalar in (("read", acc.reads), ("fill", acc.fills), ("update", acc.updates)):
                vectors = math.ceil(math.ceil(scalar / used) / level.block_size) * used
                pj = d * getattr(ert, action) + (1 - d) * getattr(ert, f"gated_{action}")
                expected += vectors * pj
            expected += r.counts.networks[lv][tensor].word_hops * table.network[level.name]
    assert math.isclose(r.energy_pj, expected, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=50)
@given(cases())
def test_leakage_is_idle_energy_of_every_instance_over_the_cycles(case):
    arch, workload, mapping = case
    leak = {lv.name: 0.01 * (i + 1) for i, lv in enumerate(arch.levels)} | {arch.compute.name: 0.002}
    table = EnergyTable({}, compute=1.0, leakage=leak)
    r = evaluate(arch, workload, mapping, table, check_capacity=False)
    per_cycle = sum(leak[lv.name] * lv.instances for lv in arch.levels) + 0.002 * arch.compute.instances
    assert math.isclose(r.leakage_pj, r.cycles * per_cycle, rel_tol=1e-12)
    assert r.energy_pj == r.macs * 1.0  # leakage is reported apart from the dynamic energy


def test_throughput_figures_follow_the_clock():
    """TOPS = 2 x MACs / (cycles / clock); per mm^2 of area and per W of dynamic power."""
    from loopscape.arch import Architecture, ComputeLevel, StorageLevel
    from loopscape.mapping import Loop, Mapping
    from loopscape.workload import matmul

    w = matmul(M=4, N=4, K=8)
    arch = Architecture("a", (StorageLevel("DRAM", "DRAM"),), ComputeLevel("MAC", 4), clock_ghz=2.0)
    every = frozenset(w.tensor_names)
    m = Mapping((Loop("N", 4), Loop("K", 8), Loop("M", 4, "spatial_x", 0)), (every,))
    r = evaluate(arch, w, m, EnergyTable({}, compute=1.0, area={"MAC": 1e5}), check_capacity=False)
    assert r.cycles == 32 and r.seconds == 32 / 2e9
    assert math.isclose(r.tops, 2 * 128 / (32 / 2e9) / 1e12)  # 4 MACs x 2 ops x 2 GHz = 0.016 TOPS
    assert math.isclose(r.tops_per_mm2, r.tops / 0.4)  # 4 MACs x 1e5 um^2 = 0.4 mm^2
    assert math.isclose(r.tops_per_watt, r.tops / (128 * 1e-12 / r.seconds))
