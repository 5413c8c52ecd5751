"""The combination search's inner loop, compiled: a network's latency/energy Pareto set for one SU combination,
built layer group by layer group (Fig. 8), without Python work per layer (`search.Layers.front` calls it)."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def _front(p: np.ndarray) -> np.ndarray:
    """Pareto filter of (n, 2) points (lower is better), sorted by the first column; one of equal points kept."""
    n = p.shape[0]
    if n <= 1:
        return p.copy()
    by_energy = np.argsort(p[:, 1], kind="mergesort")
    order = by_energy[np.argsort(p[by_energy, 0], kind="mergesort")]
    out = np.empty((n, 2))
    k = 0
    best = np.inf
    for i in order:
        if p[i, 1] < best:
            out[k, 0] = p[i, 0]
            out[k, 1] = p[i, 1]
            best = p[i, 1]
            k += 1
    return out[:k]


@nb.njit(cache=True)
def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pareto set of all pairwise sums."""
    out = np.empty((a.shape[0] * b.shape[0], 2))
    k = 0
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            out[k, 0] = a[i, 0] + b[j, 0]
            out[k, 1] = a[i, 1] + b[j, 1]
            k += 1
    return _front(out)


@nb.njit(cache=True)
def _thin(p: np.ndarray, keep: int) -> np.ndarray:
    """At most about `keep` points of a sorted front, evenly spread along it (arc length in log latency and log
    energy, each scaled to the front's span), both ends kept (keep 0: all)."""
    n = p.shape[0]
    if keep <= 1 or n <= keep:
        return p
    lx, ly = np.log(p[:, 0]), np.log(p[:, 1])
    sx = max(lx[-1] - lx[0], 1e-300)
    sy = max(ly[0] - ly[-1], 1e-300)
    arc = np.zeros(n)
    for i in range(1, n):
        arc[i] = arc[i - 1] + np.hypot((lx[i] - lx[i - 1]) / sx, (ly[i] - ly[i - 1]) / sy)
    step = arc[-1] / (keep - 1)
    out = np.empty((keep + 1, 2))
    out[0] = p[0]
    k, last = 1, 0.0
    for i in range(1, n - 1):
        if arc[i] - last >= step:
            out[k] = p[i]
            k += 1
            last = arc[i]
    out[k] = p[n - 1]
    return out[: k + 1]


@nb.njit(cache=True)
def chain_front(options: np.ndarray, counts: np.ndarray, combo: np.ndarray, keep: int = 0) -> np.ndarray:
    """options: (groups, SUs, 2, 2) points (latency-best, energy-best) x (latency, energy) per layer group and
    SU; counts: layers per group; combo: SU indices. The network's Pareto set when each layer picks any point
    of any SU in `combo`; with `keep` > 0 the running set is thinned to `keep` points after every sum (on many
    layers the exact set grows to 10^5 points)."""
    m = combo.shape[0]
    total = np.zeros((1, 2))
    for g in range(options.shape[0]):
        pts = np.empty((2 * m, 2))
        for i in range(m):
            for t in range(2):
                pts[2 * i + t, 0] = options[g, combo[i], t, 0]
                pts[2 * i + t, 1] = options[g, combo[i], t, 1]
        layer = _front(pts)
        k = counts[g]
        power = layer
        while k:
            if k & 1:
                total = _thin(_add(total, power), keep)
            k >>= 1
            if k:
                power = _thin(_add(power, power), keep)
    return total


@nb.njit(cache=True)
def chain_fronts(
    options: np.ndarray, counts: np.ndarray, combos: np.ndarray, keep: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """`chain_front` of every row of `combos` (n, m): the fronts stacked, and each point's combination row."""
    parts = []
    total = 0
    for c in range(combos.shape[0]):
        f = chain_front(options, counts, combos[c], keep)
        parts.append(f)
        total += f.shape[0]
    points = np.empty((total, 2))
    owner = np.empty(total, dtype=np.int64)
    k = 0
    for c in range(len(parts)):
        f = parts[c]
        points[k : k + f.shape[0]] = f
        owner[k : k + f.shape[0]] = c
        k += f.shape[0]
    return points, owner
