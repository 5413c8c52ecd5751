"""Latency/energy Pareto sets: filtering, the layer-by-layer sum of COAC Fig. 8, and the 3-D set with area."""

from __future__ import annotations

import numpy as np


def front(points: np.ndarray) -> np.ndarray:
    """Rows of (n, 2) points that no other point matches or beats in both columns (lower is better), sorted by
    the first column; of equal points one is kept."""
    if points.shape[0] <= 1:
        return points
    order = np.lexsort((points[:, 1], points[:, 0]))
    p = points[order]
    best = np.minimum.accumulate(p[:, 1])
    keep = np.empty(p.shape[0], dtype=np.bool_)
    keep[0] = True
    keep[1:] = p[1:, 1] < best[:-1]
    return p[keep]


def front_rows(points: np.ndarray) -> np.ndarray:
    """Indices of `front(points)`'s rows in `points`."""
    if points.shape[0] <= 1:
        return np.arange(points.shape[0])
    order = np.lexsort((points[:, 1], points[:, 0]))
    e = points[order, 1]
    keep = np.concatenate([[True], e[1:] < np.minimum.accumulate(e)[:-1]])
    return order[keep]


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Pareto set of every sum of a point of `a` and a point of `b`: two layers run one after the other."""
    return front((a[:, None, :] + b[None, :, :]).reshape(-1, 2))


def chain(layers: list[np.ndarray]) -> np.ndarray:
    """The network-level Pareto set, built layer by layer (COAC Fig. 8): each layer picks any of its points."""
    total = np.zeros((1, 2))
    for pts in layers:
        total = add(total, pts)
    return total


def dominated_3d(points: np.ndarray, by: np.ndarray) -> np.ndarray:
    """Which rows of `points` some row of `by` matches or beats in all three columns and strictly in one."""
    if by.shape[0] == 0 or points.shape[0] == 0:
        return np.zeros(points.shape[0], dtype=np.bool_)
    le = (by[None, :, :] <= points[:, None, :]).all(axis=2)
    lt = (by[None, :, :] < points[:, None, :]).any(axis=2)
    return (le & lt).any(axis=1)


def front_3d(points: np.ndarray) -> np.ndarray:
    """Indices of the rows of (n, 3) `points` no other row dominates (exact duplicates: the first is kept)."""
    n = points.shape[0]
    if n == 0:
        return np.arange(0)
    _, first = np.unique(points, axis=0, return_index=True)
    rows = np.sort(first)
    keep = ~dominated_3d(points[rows], points[rows])
    return rows[keep]
