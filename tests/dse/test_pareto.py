"""Pareto masks against the O(n^2) definition, in any number of objectives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from loopscape.dse.pareto import pareto_indices, pareto_mask


def brute_force(values: np.ndarray, maximize: list[bool]) -> np.ndarray:
    """Row i is on the front iff no row j is <= in every objective and < in one (after flipping maxima)."""
    costs = np.where(maximize, -values, values)
    n = len(costs)
    out = np.ones(n, dtype=bool)
    for i in range(n):
        for j in range(n):
            if all(costs[j] <= costs[i]) and any(costs[j] < costs[i]):
                out[i] = False
                break
    return out


@st.composite
def problems(draw):
    m = draw(st.integers(1, 4))
    n = draw(st.integers(0, 40))
    # few distinct values, so ties and duplicates are common
    values = draw(arrays(np.float64, (n, m), elements=st.integers(0, 5).map(float)))
    maximize = draw(st.lists(st.booleans(), min_size=m, max_size=m))
    return values, maximize


@given(problems())
def test_matches_brute_force(problem):
    values, maximize = problem
    np.testing.assert_array_equal(pareto_mask(values, maximize), brute_force(values, maximize))


@given(arrays(np.float64, (30, 3), elements=st.floats(-1e6, 1e6, allow_nan=False)))
def test_continuous_values_match_brute_force(values):
    np.testing.assert_array_equal(pareto_mask(values), brute_force(values, [False] * 3))


def test_hand_checked_two_objectives():
    # (energy, latency): c is dominated by a; d duplicates b (both stay); e is dominated by everything
    values = np.array([[1, 5], [3, 2], [2, 6], [3, 2], [9, 9]], dtype=float)
    assert pareto_indices(values).tolist() == [0, 1, 3]
    # maximising the second instead: [1, 5] beats both [3, 2]; [2, 6] and [9, 9] lead on the second
    assert pareto_indices(values, [False, True]).tolist() == [0, 2, 4]


def test_nan_rows_are_never_on_the_front():
    values = np.array([[np.nan, 0.0], [1.0, 1.0], [2.0, 0.5]])
    assert pareto_mask(values).tolist() == [False, True, True]


def test_rejects_bad_shapes():
    with pytest.raises(ValueError):
        pareto_mask(np.zeros(3))
    with pytest.raises(ValueError):
        pareto_mask(np.zeros((3, 2)), [True])


def test_large_front_is_fast_enough():
    rng = np.random.default_rng(0)
    values = rng.random((20_000, 3))
    mask = pareto_mask(values)
    assert 0 < mask.sum() < len(values)
