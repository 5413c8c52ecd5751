"""Timeloop's probabilistic multicast hop model (legacy network `NumHops`, entry at the side of the array)."""

from __future__ import annotations

import math

import numba as nb


@nb.njit(cache=True, inline="always")
def num_hops(m, n):
    """Hops a word travels to reach a group of m of the n child instances under one parent instance."""
    rf = math.sqrt(m)
    rn = math.sqrt(n)
    return rn * rf + 0.5 * (rn - rf) - rn / rf + 0.5
