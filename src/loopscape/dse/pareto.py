"""Pareto fronts in any number of objectives, vectorised with numpy.

A point is on the front when no other point is at least as good in every objective and better in one.
Identical points do not dominate each other (all are kept). Points with a NaN objective are never on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pareto_mask(values: np.ndarray, maximize: Sequence[bool] | None = None) -> np.ndarray:
    """Boolean mask of the non-dominated rows of `values` (n points x m objectives), each objective minimised
    unless `maximize` says otherwise."""
    costs = np.asarray(values, dtype=float)
    if costs.ndim != 2:
        raise ValueError(f"values must be an (n, m) array, got shape {costs.shape}")
    if maximize is not None:
        if len(maximize) != costs.shape[1]:
            raise ValueError(f"{len(maximize)} directions for {costs.shape[1]} objectives")
        costs = np.where(np.asarray(maximize, dtype=bool), -costs, costs)
    mask = np.zeros(len(costs), dtype=bool)
    finite = ~np.isnan(costs).any(axis=1)
    idx = np.flatnonzero(finite)
    rest = costs[finite]
    # Sweep the candidates in order of their objective sum (a dominating point has a smaller sum, so fronts
    # thin out early); each step drops every remaining point the current one dominates.
    order = np.argsort(rest.sum(axis=1), kind="stable")
    idx, rest = idx[order], rest[order]
    i = 0
    while i < len(rest):
        dominated = np.all(rest[i] <= rest, axis=1) & np.any(rest[i] < rest, axis=1)
        keep = ~dominated
        idx, rest = idx[keep], rest[keep]
        i = int(keep[:i].sum()) + 1
    mask[idx] = True
    return mask


def pareto_indices(values: np.ndarray, maximize: Sequence[bool] | None = None) -> np.ndarray:
    """Indices of the non-dominated rows, in row order."""
    return np.flatnonzero(pareto_mask(values, maximize))
