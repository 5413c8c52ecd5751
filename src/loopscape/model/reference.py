"""Brute-force reference simulator: the test oracle of the analytic model.

`simulate` executes the loop nest literally, following docs/semantics.md and nothing else:

* every instance and every executed step of every (level, tensor) is enumerated explicitly. With
  ``exact=True`` every temporal iteration is a step of weight 1; by default (Timeloop's temporal
  extrapolation) each temporal loop of bound ``b >= 2`` takes only the values 0 and 1, value 1 standing for
  iterations 1 .. b-1 (weight ``b - 1``), and every per-step count is multiplied by the step's weight;
  "the previous step" (stride state, deltas, forwarding) is the previous *executed* step;
* tiles are bounding boxes (per rank, a half-open interval ``[lo, hi)``) measured on the projections of the
  operations the tile actually contains, not computed from extent formulas;
* deltas follow the stride-state rule of the contract and are explicit point sets;
* multicast and spatial reduction group child demands / writes that are *identical point sets*;
* forwarding (Timeloop's link transfers) compares each child delta, as a point set, with the delta each mesh
  neighbour received at the previous child step (exact equality only), and keeps the link transfers of a
  parent instance's step only when they strictly lower that parent instance's reads at that step;
* partitions are explicit unions of the points of all the tiles an instance held over the real run (every
  iteration, in both modes).
* word-hops: at each executed child step and parent instance, every group (of identical remaining demands
  with multicast, of identical writes with spatial reduction, otherwise every non-empty demand / write alone)
  adds ``|group's point set| x hops(m, n)`` (m = group size, n = child instances under one parent instance);
  each link-transferred word adds 1. The weighted words are tallied per (m, n) as integers and turned into a
  float once at the end (sorted keys), so that equal tallies give bit-identical floats in both modes.

It is meant for small problems (a few thousand operations, tens of instances) and favours clarity over speed.
Capacities are not checked (call `validate_mapping` for that).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field

from loopscape.arch import Architecture
from loopscape.mapping.mapping import SPATIAL_X, SPATIAL_Y, Mapping
from loopscape.model.counts import AccessCounts, NetworkAccess, TensorAccess
from loopscape.workload import Workload

Point = tuple[int, ...]
Box = tuple[tuple[int, int], ...]  # per rank: [lo, hi)
Key = tuple[int, ...]  # indices of the spatial loops above a cut (an instance)

_EMPTY: frozenset = frozenset()


# --- boxes and deltas ---------------------------------------------------------------------------------------
def box_points(box: Box) -> frozenset[Point]:
    """Every integer point of a box (holes included: the box is what is held and moved)."""
    return frozenset(itertools.product(*(range(lo, hi) for lo, hi in box)))


def bounding_box(points: list[Point]) -> Box:
    """Per rank [min, max + 1) of a non-empty list of projected points."""
    return tuple((min(p[r] for p in points), max(p[r] for p in points) + 1) for r in range(len(points[0])))


def next_delta(
    old: Box | None, new: Box, stride: tuple[int, ...] | None
) -> tuple[frozenset[Point], tuple[int, ...] | None]:
    """The contract's delta rule: (delta point set, new stride state). `stride` None is the null state."""
    if old is None:  # rule 1: first step
        return box_points(new), None
    translation = tuple(n[0] - o[0] for n, o in zip(new, old))
    if stride is not None and translation != stride:  # rule 3: the stride changed
        return box_points(new), None
    kept = translation if stride is None else stride  # rule 2: null state or the same stride
    return _set_difference(old, new), kept


def _set_difference(old: Box, new: Box) -> frozenset[Point]:
    """Timeloop's box subtraction: nothing for the same box, the slab outside `old` when the boxes differ in
    one rank and overlap along it, else the whole new box."""
    if new == old:
        return _EMPTY
    differing = [r for r in range(len(new)) if new[r] != old[r]]
    if len(differing) == 1:
        r = differing[0]
        if max(new[r][0], old[r][0]) < min(new[r][1], old[r][1]):
            return box_points(new) - box_points(old)
    return box_points(new)


# --- the loop nest --------------------------------------------------------------------------------------------
class _Nest:
    """Loop indices -> operation points, and tensor projections, for one workload and mapping."""

    def __init__(self, workload: Workload, mapping: Mapping) -> None:
        self.workload = workload
        self.loops = mapping.loops
        self.n = len(self.loops)
        self.dim_of = [workload.dim_index(lp.dim) for lp in self.loops]
        # coordinate stride of loop k: product of the bounds of the loops over the same dim inner to k
        self.stride = [
            math.prod(lp2.bound for lp2 in self.loops[k + 1 :] if lp2.dim == lp.dim)
            for k, lp in enumerate(self.loops)
        ]
        self.proj: dict[str, list[list[int]]] = {
            t.name: [[int(c) for c in row] for row in workload.coefficients(t)] for t in workload.tensors
        }

    def point(self, assignment: dict[int, int]) -> list[int]:
        """Operation point x of a (partial) iteration vector {loop position: index}; missing loops are 0."""
        x = [0] * len(self.workload.dims)
        for k, i in assignment.items():
            x[self.dim_of[k]] += i * self.stride[k]
        return x

    def project(self, tensor: str, x: list[int]) -> Point:
        return tuple(sum(c * xd for c, xd in zip(row, x)) for row in self.proj[tensor])

    def positions(self, lo: int, hi: int, spatial: bool) -> list[int]:
        return [k for k in range(lo, hi) if self.loops[k].spatial == spatial]

    def assignments(self, positions: list[int]) -> list[tuple[int, ...]]:
        """All index tuples of the given loops, lexicographic (outer loops most significant)."""
        return list(itertools.product(*(range(self.loops[k].bound) for k in positions)))

    def executed_steps(self, positions: list[int], exact: bool) -> list[tuple[tuple[int, ...], int]]:
        """The executed steps of the given temporal loops as (index tuple, weight), lexicographic.

        exact: every assignment, weight 1. Otherwise (Timeloop's extrapolation) a loop of bound b >= 2 takes
        only the values 0 (weight 1) and 1 (weight b - 1); a step's weight is the product over the loops.
        """
        if exact:
            return [(a, 1) for a in self.assignments(positions)]
        choices = [
            [(0, 1)] if self.loops[k].bound < 2 else [(0, 1), (1, self.loops[k].bound - 1)] for k in positions
        ]
        return [
            (tuple(i for i, _ in combo), math.prod(w for _, w in combo))
            for combo in itertools.product(*choices)
        ]


@dataclass
class _Node:
    """One holder of a tensor: a storage level (with a cut) or the compute units."""

    level: int | None  # None for the compute units
    spatial: list[int]  # positions of the spatial loops that select an instance
    instances: list[Key]
    weights: list[int]  # weight of each executed step (all 1 in exact mode)
    deltas: dict[Key, list[frozenset[Point]]] = field(default_factory=dict)  # per executed step
    boxes: dict[Key, list[Box]] = field(default_factory=dict)  # storage only: EVERY step (for the partition)
    cut: int = 0

    @property
    def is_compute(self) -> bool:
        return self.level is None

    def F(self) -> int:
        """Weighted sum over executed steps of the delta words, summed over instances."""
        return sum(w * len(d) for ds in self.deltas.values() for w, d in zip(self.weights, ds))

    def partition(self) -> int:
        """Distinct points of the union of all tiles each instance held, summed over instances."""
        total = 0
        for inst in self.instances:
            held: set[Point] = set()
            for box in set(self.boxes[inst]):
                held |= box_points(box)
            total += len(held)
        return total


def _storage_node(nest: _Nest, level: int, tensor: str, cut: int, exact: bool) -> _Node:
    sp = nest.positions(0, cut, spatial=True)
    tp = nest.positions(0, cut, spatial=False)
    inner = list(range(cut, nest.n))
    instances = nest.assignments(sp)
    all_steps = nest.assignments(tp)  # the real run: tiles and the partition
    executed = nest.executed_steps(tp, exact)  # the steps whose deltas are counted
    inner_assignments = nest.assignments(inner)
    node = _Node(level, sp, instances, [w for _, w in executed], cut=cut)
    for inst in instances:
        tile: dict[tuple[int, ...], Box] = {}
        for step in all_steps:
            outer = dict(zip(sp, inst)) | dict(zip(tp, step))
            projected = []
            for idx in inner_assignments:
                x = nest.point(outer | dict(zip(inner, idx)))
                projected.append(nest.project(tensor, x))
            tile[step] = bounding_box(projected)
        deltas: list[frozenset[Point]] = []
        old: Box | None = None
        stride = None
        for step, _ in executed:  # "previous" = the previous executed step
            box = tile[step]
            delta, stride = next_delta(old, box, stride)
            deltas.append(delta)
            old = box
        node.boxes[inst] = list(tile.values())
        node.deltas[inst] = deltas
    return node


def _compute_node(nest: _Nest, tensor: str, exact: bool) -> _Node:
    sp = nest.positions(0, nest.n, spatial=True)
    tp = nest.positions(0, nest.n, spatial=False)
    instances = nest.assignments(sp)
    executed = nest.executed_steps(tp, exact)
    node = _Node(None, sp, instances, [w for _, w in executed], cut=nest.n)
    for inst in instances:
        node.deltas[inst] = [
            frozenset([nest.project(tensor, nest.point(dict(zip(sp, inst)) | dict(zip(tp, step))))])
            for step, _ in executed
        ]
    return node


# --- parent / child traffic -------------------------------------------------------------------------------------
def _children_by_parent(nest: _Nest, parent: _Node, child: _Node) -> dict[Key, list[Key]]:
    """Child instances grouped by the parent instance serving them (agreement on the parent's spatial loops)."""
    where = [child.spatial.index(k) for k in parent.spatial]  # parent's spatial loops are among the child's
    groups: dict[Key, list[Key]] = {p: [] for p in parent.instances}
    for c in child.instances:
        groups[tuple(c[j] for j in where)].append(c)
    return groups


def _mesh_positions(nest: _Nest, parent: _Node, child: _Node) -> dict[Key, tuple[int, int]]:
    """(x, y) of each child instance: mixed-radix numbers of its spatial-X / spatial-Y loops between the cuts."""
    between = [(j, k) for j, k in enumerate(child.spatial) if k >= parent.cut]
    pos: dict[Key, tuple[int, int]] = {}
    for c in child.instances:
        x = y = 0
        for j, k in between:  # outer loops first: most significant
            lp = nest.loops[k]
            if lp.kind == SPATIAL_X:
                x = x * lp.bound + c[j]
            elif lp.kind == SPATIAL_Y:
                y = y * lp.bound + c[j]
        pos[c] = (x, y)
    return pos


def hops(m: int, n: int) -> float:
    """Hops per word sent to / received from a group of m of the n child instances under one parent instance.

    Timeloop's probabilistic multicast model (NumHops of its legacy network, entry at the side of the array):
    sqrt(n)*sqrt(m) + (sqrt(n) - sqrt(m))/2 - sqrt(n)/sqrt(m) + 1/2.
    """
    rn, rm = math.sqrt(n), math.sqrt(m)
    return rn * rm + (rn - rm) / 2 - rn / rm + 0.5


@dataclass
class _Traffic:
    parent_reads: int = 0
    parent_updates: int = 0
    child_forward_reads: int = 0
    link_transfers: int = 0
    spatial_reductions: int = 0
    # (group size m, children per parent instance n) -> weighted words sent in groups of that shape
    hop_words: Counter = field(default_factory=Counter)

    def add_groups(self, sets: list[frozenset[Point]], grouped: bool, n: int, weight: int) -> None:
        """Tally the words of the groups of the given point sets (identical non-empty sets form one group when
        `grouped`; otherwise every non-empty set is its own group of size 1)."""
        if grouped:
            for pts, m in Counter(d for d in sets if d).items():
                self.hop_words[(m, n)] += weight * len(pts)
        else:
            self.hop_words[(1, n)] += weight * sum(len(d) for d in sets)

    def word_hops(self) -> float:
        """Sum over every grouped word of hops(m, n), plus one hop per link-transferred word."""
        total = float(self.link_transfers)
        for (m, n), words in sorted(self.hop_words.items()):
            total += words * hops(m, n)
        return total


def _read_only_traffic(nest: _Nest, arch: Architecture, parent: _Node, child: _Node) -> _Traffic:
    net = arch.levels[parent.level].network
    groups = _children_by_parent(nest, parent, child)
    forwarding = net.forwarding and not child.is_compute

    def parent_reads(demands: list[frozenset[Point]]) -> int:
        """Multicast: one read per point of each distinct non-empty demand; otherwise every demand separately."""
        if net.multicast:
            return sum(len(d) for d in set(demands) if d)
        return sum(len(d) for d in demands)

    # mesh neighbours of each child instance: same parent instance, |dx| + |dy| == 1
    neighbours: dict[Key, list[Key]] = {}
    if forwarding:
        mesh = _mesh_positions(nest, parent, child)
        for kids in groups.values():
            for c in kids:
                cx, cy = mesh[c]
                neighbours[c] = [o for o in kids if abs(mesh[o][0] - cx) + abs(mesh[o][1] - cy) == 1]

    out = _Traffic()
    for s, weight in enumerate(child.weights):  # executed child steps; every count at step s times its weight
        for kids in groups.values():
            demands = {c: child.deltas[c][s] for c in kids}
            reads = parent_reads(list(demands.values()))
            remaining = list(demands.values())  # the demands the parent serves (after link transfers)
            if forwarding and s > 0:
                # link transfer: the delta is non-empty and EXACTLY the delta a neighbour received at the
                # previous executed step s - 1
                linked = {
                    c
                    for c in kids
                    if demands[c] and any(child.deltas[o][s - 1] == demands[c] for o in neighbours[c])
                }
                if linked:
                    reads_linked = parent_reads([d for c, d in demands.items() if c not in linked])
                    if reads_linked < reads:  # kept only when it strictly lowers this parent instance's reads
                        words = sum(len(demands[c]) for c in linked)
                        out.link_transfers += weight * words
                        out.child_forward_reads += weight * words
                        reads = reads_linked
                        remaining = [d for c, d in demands.items() if c not in linked]
            out.parent_reads += weight * reads
            out.add_groups(remaining, net.multicast, len(kids), weight)
    return out


def _read_write_traffic(nest: _Nest, arch: Architecture, parent: _Node, child: _Node) -> _Traffic:
    net = arch.levels[parent.level].network
    groups = _children_by_parent(nest, parent, child)
    out = _Traffic()
    for s, weight in enumerate(child.weights):  # executed child steps
        for kids in groups.values():
            writes = [child.deltas[c][s] for c in kids]  # compute: its one update; storage: its delta
            sent = sum(len(w) for w in writes)
            received = sum(len(w) for w in set(writes) if w) if net.spatial_reduction else sent
            out.parent_updates += weight * received
            out.spatial_reductions += weight * (sent - received)
            out.add_groups(writes, net.spatial_reduction, len(kids), weight)
    return out


# --- the simulator ------------------------------------------------------------------------------------------------
def simulate(arch: Architecture, workload: Workload, mapping: Mapping, exact: bool = False) -> AccessCounts:
    """Execute the mapping's loop nest literally and count every access the contract defines.

    exact=False (default): Timeloop's temporal extrapolation (only iterations 0 and 1 of each temporal loop are
    executed, iteration 1 weighted b - 1). exact=True: every iteration, weight 1.
    """
    nest = _Nest(workload, mapping)
    n_levels = len(arch.levels)
    levels: list[dict[str, TensorAccess]] = [{} for _ in range(n_levels)]
    networks: list[dict[str, NetworkAccess]] = [{} for _ in range(n_levels)]

    for tensor in workload.tensors:
        t = tensor.name
        chain = [lv for lv in range(n_levels) if t in mapping.keep[lv]]
        nodes = [_storage_node(nest, lv, t, mapping.cut(lv, t), exact) for lv in chain]
        nodes.append(_compute_node(nest, t, exact))
        reads = {lv: 0 for lv in chain}
        updates = {lv: 0 for lv in chain}
        for parent, child in itertools.pairwise(nodes):
            if not set(parent.spatial) <= set(child.spatial):
                raise ValueError(
                    f"cut of level {child.level} for {t} lies above the cut of its parent {parent.level}"
                )
            if tensor.read_write:
                tr = _read_write_traffic(nest, arch, parent, child)
            else:
                tr = _read_only_traffic(nest, arch, parent, child)
                if not child.is_compute:
                    reads[child.level] += tr.child_forward_reads
            reads[parent.level] += tr.parent_reads
            updates[parent.level] += tr.parent_updates
            networks[parent.level][t] = NetworkAccess(
                tr.link_transfers, tr.spatial_reductions, tr.word_hops()
            )
        for j, node in enumerate(nodes[:-1]):
            lv = node.level
            has_parent = j > 0
            if tensor.read_write:
                part = node.partition()
                # Never below zero: a written tensor's box may hold points no operation writes (holes).
                levels[lv][t] = TensorAccess(
                    reads=max(0, updates[lv] - part),
                    fills=max(0, node.F() - part) if has_parent else 0,
                    updates=updates[lv],
                )
            else:
                levels[lv][t] = TensorAccess(reads=reads[lv], fills=node.F() if has_parent else 0, updates=0)

    return AccessCounts(
        macs=math.prod(lp.bound for lp in mapping.loops),
        compute_instances_used=mapping.used_compute,
        temporal_steps=mapping.temporal_steps,
        instances_used=tuple(mapping.used_instances(lv) for lv in range(n_levels)),
        levels=tuple(levels),
        networks=tuple(networks),
    )


__all__ = ["bounding_box", "box_points", "hops", "next_delta", "simulate"]
