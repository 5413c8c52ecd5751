"""The model's energy is the sum of counts x ERT entries (storage actions, network word-hops, operations), and
its breakdown adds up to the total (issue 4)."""

from __future__ import annotations

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
