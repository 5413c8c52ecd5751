"""Multicast / reduction groups of child instances and Timeloop's probabilistic hop model for them (its legacy
network's `NumHops`, entry at the side of the array)."""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, inline="always")
def num_hops(m, n):
    """Hops a word travels to reach a group of m of the n child instances under one parent instance."""
    rf = math.sqrt(m)
    rn = math.sqrt(n)
    return rn * rf + 0.5 * (rn - rf) - rn / rf + 0.5


@nb.njit(cache=True)
def offset_keys(offs):
    """One integer per row of non-negative offsets (mixed radix over the per-rank maxima): equal rows, equal keys."""
    count, n_ranks = offs.shape
    keys = np.zeros(count, dtype=np.int64)
    for r in range(n_ranks):
        m = 0
        for i in range(count):
            m = max(m, offs[i, r])
        for i in range(count):
            keys[i] = keys[i] * (m + 1) + offs[i, r]
    return keys


@nb.njit(cache=True)
def count_groups(sorted_keys, count, rep, n):
    """(groups, sum over groups of num_hops(size, n)) of the first `count` sorted keys, each standing for `rep`
    instances of the n under one parent."""
    groups = 0
    hop_sum = 0.0
    run = 0
    for i in range(count):
        run += 1
        if i == count - 1 or sorted_keys[i + 1] != sorted_keys[i]:
            groups += 1
            hop_sum += num_hops(run * rep, n)
            run = 0
    return groups, hop_sum
