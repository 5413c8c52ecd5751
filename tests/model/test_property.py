"""The analytic model equals the brute-force oracle on random small cases (docs/semantics.md)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cases

from loopscape.energy import EnergyTable
from loopscape.mapping import validate_mapping
from loopscape.model.evaluate import evaluate
from loopscape.model.reference import simulate

ZERO_ENERGY = EnergyTable({}, 0.0)


def check_case(arch, workload, mapping, exact: bool) -> None:
    validate_mapping(arch, workload, mapping, check_capacity=False)
    expected = simulate(arch, workload, mapping, exact=exact)
    got = evaluate(arch, workload, mapping, ZERO_ENERGY, check_capacity=False, exact=exact).counts
    context = f"\nexact={exact}\nworkload={workload}\narch={arch}\nmapping={mapping}"
    assert got.macs == expected.macs, context
    assert got.instances_used == expected.instances_used, context
    for lv, (g, e) in enumerate(zip(got.levels, expected.levels)):
        assert g == e, f"level {lv}: analytic {g} != oracle {e}{context}"
    for lv, (g, e) in enumerate(zip(got.networks, expected.networks)):
        assert g.keys() == e.keys(), f"network {lv}: analytic {g} != oracle {e}{context}"
        for t in g:
            a, b = g[t], e[t]
            same = (a.link_transfers, a.spatial_reductions) == (b.link_transfers, b.spatial_reductions)
            # word-hops are float sums, added in a different order by the two implementations
            assert same and math.isclose(a.word_hops, b.word_hops, rel_tol=1e-9, abs_tol=1e-9), (
                f"network {lv} {t}: analytic {a} != oracle {b}{context}"
            )


@settings(max_examples=1000)
@given(cases(uneven=False), st.booleans())
def test_even_mappings_match_oracle(case, exact):
    check_case(*case, exact=exact)


@settings(max_examples=1000)
@given(cases(uneven=True), st.booleans())
def test_uneven_mappings_match_oracle(case, exact):
    check_case(*case, exact=exact)


@settings(max_examples=1000)
@given(cases(systolic=True), st.booleans())
def test_forwarding_cases_match_oracle(case, exact):
    check_case(*case, exact=exact)


@pytest.mark.slow
@settings(max_examples=50_000)
@given(cases(), st.booleans())
def test_many_mappings_match_oracle(case, exact):
    check_case(*case, exact=exact)
