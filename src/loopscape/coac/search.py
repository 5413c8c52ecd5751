"""COAC's SU-combination search (Sec. IV, Fig. 8): prune the SUs, enumerate combinations of up to M of them,
build each combination's network-level latency/energy Pareto set layer by layer, price its flexibility overhead
(Sec. III), and merge every combination into the final latency/energy/area Pareto set.

Network fronts are thinned as they are summed (`SearchSettings.max_front`, docs/coac.md section 6).
Several networks at once follow Sec. V-B1's normalisation: each network's layers are divided (latency and
energy both) by that network's latency with its best single SU, L_ref, so every network weighs the same.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from loopscape.coac.chain_kernel import chain_front, chain_fronts
from loopscape.coac.costs import CYCLES, ENERGY, LATENCY, PJ, CostTable
from loopscape.coac.overhead import AreaModel, PortWidths, overhead
from loopscape.coac.pareto import add, front, front_rows
from loopscape.errors import SpecError

Progress = Callable[[int, int], None]
CHUNK = 2048  # combinations per compiled call (progress is reported between calls)


@dataclass(frozen=True)
class SearchSettings:
    """How many SUs a design may support, whether to prune, and the overhead model's ports and area."""

    max_sus: int = 3
    prune: str = "strict"  # PRUNE_MODES
    # Evolver's ports (Sec. V-A): 4096b weights, 1024b activations, in 8-bit words
    ports: PortWidths = field(default_factory=lambda: PortWidths(512, 128, 128, 128, 128))
    area: AreaModel = field(default_factory=AreaModel)
    group_rule: str = "table"
    # Network fronts are thinned to about this many points after each layer (0: exact). Summed over the 187 layers of
    # the six-network study, an exact front holds ~10^5 points per combination (docs/coac.md).
    max_front: int = 128


@dataclass(frozen=True)
class Solution:
    """One design: the SUs it supports (indices into the table's SUs), its latency and energy (cycles and pJ,
    or normalised units), and its flexibility-overhead area."""

    sus: tuple[int, ...]
    latency: float
    energy: float
    area_um2: float

    @property
    def edp(self) -> float:
        return self.latency * self.energy


@dataclass(frozen=True)
class CoacResult:
    """The search's answer: per number of SUs m, the latency/energy Pareto set over every combination of m
    SUs; the final latency/energy/area Pareto set over all combinations up to max_sus; the effort."""

    table: CostTable
    candidates: tuple[int, ...]
    fronts: dict[int, tuple[Solution, ...]]
    pareto: tuple[Solution, ...]
    combinations: int
    seconds: float
    references: tuple[float, ...] = ()  # L_ref per network where normalised

    def best_edp(self, m: int) -> Solution:
        """The combination of m SUs (and the point on its front) with the lowest energy-delay product."""
        return min(self.fronts[m], key=lambda s: s.edp)

    def names(self, sol: Solution) -> list[str]:
        return [str(self.table.sus[i]) for i in sol.sus]


# --- pruning and normalisation ----------------------------------------------------------------------------
PRUNE_MODES = ("strict", "ties", "dominance", "none")


def prune(table: CostTable, mode: str = "strict") -> tuple[int, ...]:
    """The SUs kept for the combinations. Sec. IV-A drops those that "have nor the best latency solution for any
    layer, nor the best energy solution": "strict" keeps, per layer, the SU best in latency (ties broken by
    energy) and the one best in energy (ties broken by latency); "ties" keeps every SU tied at a layer's best
    latency or best energy. Both are heuristics: an SU best for no layer can still be the best compromise over
    a network. "dominance" is exact for the latency/energy fronts (`dominated`); "none" keeps all."""
    if mode not in PRUNE_MODES:
        raise SpecError("prune", mode, f"one of {list(PRUNE_MODES)}")
    if mode == "none":
        return tuple(range(len(table.sus)))
    if mode == "dominance":
        return tuple(int(s) for s in np.nonzero(~dominated(table.points))[0])
    lat = table.points[:, :, LATENCY]
    en = table.points[:, :, ENERGY]
    if mode == "ties":
        best = (lat[..., CYCLES] == lat[..., CYCLES].min(axis=1, keepdims=True)) | (
            en[..., PJ] == en[..., PJ].min(axis=1, keepdims=True)
        )
        return tuple(int(s) for s in np.nonzero(best.any(axis=0))[0])
    keep: set[int] = set()
    for lay in range(table.points.shape[0]):
        keep.add(int(np.lexsort((lat[lay, :, PJ], lat[lay, :, CYCLES]))[0]))
        keep.add(int(np.lexsort((en[lay, :, CYCLES], en[lay, :, PJ]))[0]))
    return tuple(sorted(keep))


def dominated(points: np.ndarray) -> np.ndarray:
    """Per SU of `points` (layers, SUs, 2 points, 2 coordinates), whether another SU covers it: on every layer
    each of its points is matched or beaten in both latency and energy by a point of the other, and the other
    is better somewhere or, when the two are identical everywhere, comes first. Swapping a covered SU for its
    cover never makes a combination's latency/energy front worse (each layer's choices only improve), so
    dropping covered SUs leaves the fronts of every number of SUs as they were, as long as at least that
    many SUs remain. (Its area may change: the 3-D Pareto set can differ.)"""
    cover = covers(points)
    back = cover.T
    earlier = np.triu(np.ones_like(cover), k=1)  # t < s
    return ((cover & ~back) | (cover & back & earlier)).any(axis=0)


def covers(points: np.ndarray, block: int = 64) -> np.ndarray:
    """(SUs, SUs) booleans: [t, s] when on every layer each point of SU s is matched or beaten in latency and
    energy by one of SU t's (in blocks of `block` t's, so memory stays layers x block x SUs)."""
    x, y = points[..., CYCLES], points[..., PJ]  # (layers, SUs, 2 points)
    n = points.shape[1]
    out = np.empty((n, n), dtype=bool)
    for lo in range(0, n, block):
        xt, yt = x[:, lo : lo + block, None, :], y[:, lo : lo + block, None, :]
        xs, ys = x[:, None, :, :], y[:, None, :, :]
        ok = np.ones((x.shape[0], xt.shape[1], n), dtype=bool)
        for i in range(x.shape[2]):  # each point of s ...
            hit = np.zeros_like(ok)
            for j in range(x.shape[2]):  # ... matched by some point of t
                hit |= (xt[..., j] <= xs[..., i]) & (yt[..., j] <= ys[..., i])
            ok &= hit
        out[lo : lo + block] = ok.all(axis=0)
    return out


def references(table: CostTable) -> np.ndarray:
    """Per network, L_ref: its latency with its best single SU (every layer on that SU, latency-best TU)."""
    out = np.empty(len(table.networks))
    for n in range(len(table.networks)):
        rows = table.network_of == n
        out[n] = table.points[rows, :, LATENCY, CYCLES].sum(axis=0).min()
    return out


def normalised(table: CostTable) -> tuple[CostTable, np.ndarray]:
    """The table with each network's latencies and energies divided by its L_ref (Sec. V-B1)."""
    ref = references(table)
    scale = ref[table.network_of][:, None, None, None]
    return dataclasses.replace(table, points=table.points / scale), ref


# --- one combination ---------------------------------------------------------------------------------------
class Layers:
    """The table's layers grouped by identical rows (repeated layer shapes), with their multiplicity; `front`
    gives a combination's network-level Pareto set (compiled: `chain_kernel.chain_front`)."""

    def __init__(self, table: CostTable) -> None:
        flat = table.points.reshape(table.points.shape[0], -1)
        _, first, counts = np.unique(flat, axis=0, return_index=True, return_counts=True)
        self.rows = first
        self.counts = counts.astype(np.int64)
        self.points = np.ascontiguousarray(table.points[first], dtype=np.float64)

    def front(self, sus: Sequence[int], keep: int = 0) -> np.ndarray:
        """The network-level latency/energy Pareto set when every layer may use any of `sus` (Fig. 8), thinned
        to `keep` points after each layer group (0: exact)."""
        return chain_front(self.points, self.counts, np.asarray(sus, dtype=np.int64), keep)

    def front_python(self, sus: Sequence[int]) -> np.ndarray:
        """The same set in numpy, layer group by layer group (the kernel's reference)."""
        total = np.zeros((1, 2))
        for pts, k in zip(self.points, self.counts):
            total = add(total, _times(front(pts[list(sus)].reshape(-1, 2)), int(k)))
        return total


def _times(pts: np.ndarray, k: int) -> np.ndarray:
    """The Pareto set of k layers in a row that each pick any point of `pts` (binary powers of `add`)."""
    out, power = None, pts
    while k:
        if k & 1:
            out = power if out is None else add(out, power)
        k >>= 1
        if k:
            power = add(power, power)
    return out


def _front_3d(sols: list[Solution]) -> list[Solution]:
    """Solutions no other matches or beats in latency, energy and area at once."""
    if not sols:
        return []
    arr = np.array([(s.latency, s.energy, s.area_um2) for s in sols])
    return [sols[i] for i in _front_3d_rows(arr)]


def _front_3d_rows(p: np.ndarray) -> list[int]:
    """Rows of (n, 3) (latency, energy, area) points on the 3-D Pareto set: a sweep by area (then latency,
    energy) that keeps the latency/energy staircase of the designs seen so far."""
    order = np.lexsort((p[:, 1], p[:, 0], p[:, 2]))
    lat: list[float] = []  # staircase: latency ascending, energy descending
    en: list[float] = []
    out = []
    for r in order.tolist():
        x, y = float(p[r, 0]), float(p[r, 1])
        i = bisect.bisect_right(lat, x)
        if i and en[i - 1] <= y:
            continue
        out.append(r)
        j = i
        while j < len(lat) and en[j] >= y:
            j += 1
        lat[i:j] = [x]
        en[i:j] = [y]
    return out


def search(
    table: CostTable,
    settings: SearchSettings = SearchSettings(),
    progress: Progress | None = None,
) -> CoacResult:
    """COAC's search over a cost table (normalised first when it holds several networks)."""
    started = time.perf_counter()
    if settings.max_sus < 1:
        raise SpecError("max_sus", settings.max_sus, "at least 1")
    refs: tuple[float, ...] = ()
    if len(table.networks) > 1:
        table, ref = normalised(table)
        refs = tuple(float(r) for r in ref)
    candidates = prune(table, settings.prune)
    layers = Layers(table)
    area_cache: dict[tuple[int, ...], float] = {}

    def area(combo: tuple[int, ...]) -> float:
        if combo not in area_cache:
            sus = [table.sus[i] for i in combo]
            area_cache[combo] = overhead(sus, settings.ports, settings.area, settings.group_rule).area_um2
        return area_cache[combo]

    top = min(settings.max_sus, len(candidates))
    total = sum(math.comb(len(candidates), m) for m in range(1, top + 1))
    done = 0
    fronts: dict[int, tuple[Solution, ...]] = {}
    every_pts, every_combo = [], []  # every combination's own front, with its combination
    for m in range(1, top + 1):
        combos = list(itertools.combinations(candidates, m))
        parts, owners = [], []
        for start in range(0, len(combos), CHUNK):  # compiled, a chunk of combinations at a time
            block = np.array(combos[start : start + CHUNK], dtype=np.int64).reshape(-1, m)
            p, o = chain_fronts(layers.points, layers.counts, block, settings.max_front)
            parts.append(p)
            owners.append(o + start)
            done += block.shape[0]
            if progress is not None:
                progress(done, total)
        allp, allo = np.concatenate(parts), np.concatenate(owners)
        rows = front_rows(allp)
        fronts[m] = tuple(
            Solution(combos[allo[r]], *map(float, allp[r]), area(combos[allo[r]])) for r in rows
        )
        # a combination's own front is its share of the 3-D set (one area per combination)
        every_pts.append(allp)
        every_combo.extend(combos[c] for c in allo.tolist())
    allp = np.concatenate(every_pts)
    areas = np.array([area(c) for c in every_combo]) if every_combo else np.empty(0)
    rows3 = _front_3d_rows(np.column_stack([allp, areas]))
    pareto = tuple(
        Solution(every_combo[r], float(allp[r, 0]), float(allp[r, 1]), float(areas[r])) for r in rows3
    )
    return CoacResult(table, candidates, fronts, pareto, total, time.perf_counter() - started, refs)


def network_edp(table: CostTable, sus: Sequence[int], network: int, keep: int = 0) -> float:
    """The lowest EDP network `network` reaches when its layers may use any of `sus` (table units; fronts
    thinned to `keep` points, 0: exact)."""
    f = Layers(table.network(network)).front(tuple(sus), keep)
    return float((f[:, 0] * f[:, 1]).min())
