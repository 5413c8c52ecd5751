"""Pareto helpers of the combination search against brute force."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from loopscape.coac.pareto import add, chain, front, front_3d, front_rows
from loopscape.coac.search import Solution, _front_3d, _times

points2 = arrays(np.float64, st.tuples(st.integers(1, 12), st.just(2)), elements=st.integers(1, 9).map(float))


def brute_front(p: np.ndarray) -> set[tuple[float, float]]:
    out = set()
    for a in p:
        if not any((b <= a).all() and (b < a).any() for b in p):
            out.add(tuple(a))
    return out


@given(points2)
def test_front_is_the_non_dominated_set(p):
    f = front(p)
    assert {tuple(r) for r in f} == brute_front(p) and len(f) == len(brute_front(p))
    assert (np.diff(f[:, 0]) > 0).all() and (np.diff(f[:, 1]) < 0).all()
    assert {tuple(r) for r in p[front_rows(p)]} == brute_front(p)


small = arrays(np.float64, st.tuples(st.integers(1, 5), st.just(2)), elements=st.integers(1, 9).map(float))


@settings(max_examples=40)
@given(st.lists(small, min_size=1, max_size=4))
def test_chain_is_the_front_of_every_choice(layers):
    every = np.array([np.sum(choice, axis=0) for choice in itertools.product(*layers)])
    assert {tuple(r) for r in chain(layers)} == brute_front(every)


@settings(max_examples=40)
@given(points2, st.integers(1, 6))
def test_times_is_repeated_add(p, k):
    f = front(p)
    slow = f
    for _ in range(k - 1):
        slow = add(slow, f)
    assert np.array_equal(_times(f, k), slow)


@settings(max_examples=50)
@given(arrays(np.float64, st.tuples(st.integers(1, 15), st.just(3)), elements=st.integers(1, 5).map(float)))
def test_front_3d_both_ways(p):
    brute = {tuple(a) for a in p if not any((b <= a).all() and (b < a).any() for b in p)}
    assert {tuple(r) for r in p[front_3d(p)]} == brute
    sols = [Solution((i,), *row) for i, row in enumerate(p)]
    assert {(s.latency, s.energy, s.area_um2) for s in _front_3d(sols)} == brute
