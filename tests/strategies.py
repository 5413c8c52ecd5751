"""Hypothesis strategies: small random workloads, architectures and (even or uneven) mappings."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.mapping import Loop, Mapping
from loopscape.mapping.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL
from loopscape.workload import Tensor, Workload, conv1d, conv2d, depthwise_conv2d, matmul

MAX_OPS = 1500


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def workloads(draw) -> Workload:
    """Conv with stride 1, 2 and larger than the kernel, dilation, depthwise, matmul and conv1d, kept small."""
    kind = draw(st.sampled_from(["conv", "conv", "depthwise", "matmul", "conv1d", "grouped", "transposed"]))
    small = st.integers(1, 4)
    if kind == "transposed":
        # A written tensor whose rank combines dimensions (a backward-data / transposed convolution); sometimes
        # with a second rank over a dimension already in the first, or over K (then K is in two ranks): no
        # closed-form partition, so the model enumerates it.
        stride = draw(st.integers(1, 3))
        second = draw(st.sampled_from([None, None, "P", "R", "K"]))
        ranks = ((("P", stride), ("R", 1)),) + ((((second, 1),),) if second else ())
        if second == "K":
            ranks = ((("K", 1),),) + ranks
        w = Workload(
            "transposed",
            ("K", "P", "R"),
            (draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(1, 4))),
            (
                Tensor("Weights", ((("K", 1),), (("R", 1),))),
                Tensor("Inputs", ((("K", 1),), (("P", 1),))),
                Tensor("Outputs", ranks, read_write=True),
            ),
        )
    elif kind == "matmul":
        w = matmul(M=draw(small), N=draw(small), K=draw(st.integers(1, 6)))
    elif kind == "conv1d":
        w = conv1d(
            P=draw(st.integers(1, 8)),
            R=draw(st.integers(1, 4)),
            stride=draw(st.integers(1, 3)),
            dilation=draw(st.integers(1, 2)),
        )
    elif kind == "depthwise":
        w = depthwise_conv2d(
            C=draw(small),
            P=draw(small),
            Q=draw(st.integers(1, 3)),
            R=draw(st.integers(1, 3)),
            S=draw(st.integers(1, 2)),
            stride=draw(st.integers(1, 3)),
        )
    elif kind == "grouped":
        g = draw(st.integers(2, 3))
        w = conv2d(
            K=g * draw(st.integers(1, 2)),
            C=g * draw(st.integers(1, 2)),
            P=draw(st.integers(1, 3)),
            Q=draw(st.integers(1, 2)),
            R=draw(st.integers(1, 2)),
            S=1,
            groups=g,
        )
    else:
        w = conv2d(
            N=draw(st.integers(1, 2)),
            K=draw(small),
            C=draw(st.integers(1, 3)),
            P=draw(small),
            Q=draw(st.integers(1, 3)),
            R=draw(st.integers(1, 3)),
            S=draw(st.integers(1, 2)),
            stride=(draw(st.integers(1, 3)), draw(st.integers(1, 2))),
            dilation=(draw(st.integers(1, 2)), 1),
        )
    if w.operations > MAX_OPS:
        return matmul(M=2, N=3, K=4)
    return w


@st.composite
def architectures(draw, workload: Workload, forwarding: bool | None = None) -> Architecture:
    """2 to 4 storage levels, fan-outs on X and Y, random network abilities, sometimes restricted keeps."""
    n_levels = draw(st.integers(2, 4))
    levels = []
    inst, mx = 1, 1
    for i in range(n_levels):
        if i > 0:
            fx = draw(st.sampled_from([1, 1, 2, 3, 4]))
            fy = draw(st.sampled_from([1, 1, 2]))
            if inst * fx * fy > 16:
                fx, fy = 1, 1
            inst, mx = inst * fx * fy, mx * fx
        keeps = None
        if i > 0 and draw(st.integers(0, 5)) == 0:
            keeps = frozenset(draw(st.sets(st.sampled_from(workload.tensor_names))))
        levels.append(
            StorageLevel(
                name=f"L{i}",
                cls="DRAM" if i == 0 else "SRAM",
                instances=inst,
                mesh_x=mx,
                keeps=keeps,
                network=Network(
                    multicast=draw(st.booleans()),
                    spatial_reduction=draw(st.booleans()),
                    forwarding=draw(st.booleans()) if forwarding is None else forwarding,
                ),
            )
        )
    fx = draw(st.sampled_from([1, 2, 4]))
    fy = draw(st.sampled_from([1, 2]))
    if inst * fx * fy > 32:
        fx, fy = 1, 1
    return Architecture("random", tuple(levels), ComputeLevel("MAC", inst * fx * fy, mesh_x=mx * fx))


@st.composite
def mappings(draw, arch: Architecture, workload: Workload, uneven: bool | None = None) -> Mapping:
    """A random valid mapping: random factors (sometimes padded) over temporal and spatial slots, random orders,
    random bypass, and (when uneven) random per-tensor cuts."""
    n_levels = len(arch.levels)
    fan_left = {(lv, k): v for lv in range(n_levels) for k, v in zip((SPATIAL_X, SPATIAL_Y), arch.fanout(lv))}
    per_level: list[list[Loop]] = [[] for _ in range(n_levels)]
    spatial: list[list[Loop]] = [[] for _ in range(n_levels)]
    for d, b in zip(workload.dims, workload.bounds):
        size = b + (1 if b > 1 and draw(st.integers(0, 9)) == 0 else 0)  # sometimes padded
        remaining = size
        for lv in range(n_levels):
            for kind in (SPATIAL_X, SPATIAL_Y):
                options = [f for f in _divisors(remaining) if f <= fan_left[(lv, kind)]]
                f = draw(st.sampled_from(options)) if draw(st.booleans()) else 1
                if f > 1:
                    fan_left[(lv, kind)] //= f
                    spatial[lv].append(Loop(d, f, kind, lv))
                    remaining //= f
        # Temporal factors, outermost level last so the remainder lands somewhere; sometimes two loops per level.
        for lv in reversed(range(n_levels)):
            if lv == 0:
                f = remaining
            else:
                f = draw(st.sampled_from(_divisors(remaining)))
            remaining //= f
            if f > 1 and draw(st.integers(0, 4)) == 0:
                g = draw(st.sampled_from(_divisors(f)))
                if 1 < g < f:
                    per_level[lv].append(Loop(d, g, TEMPORAL, lv))
                    per_level[lv].append(Loop(d, f // g, TEMPORAL, lv))
                    continue
            if f > 1:
                per_level[lv].append(Loop(d, f, TEMPORAL, lv))
    loops: list[Loop] = []
    for lv in range(n_levels):
        temporal = draw(st.permutations(per_level[lv]))
        loops.extend(temporal)
        loops.extend(draw(st.permutations(spatial[lv])))
    keep = [frozenset(workload.tensor_names)]
    for lv in range(1, n_levels):
        allowed = [t for t in workload.tensor_names if arch.may_keep(lv, t)]
        keep.append(frozenset(t for t in allowed if draw(st.integers(0, 3)) > 0))
    mapping = Mapping(tuple(loops), tuple(keep))
    if uneven is None:
        uneven = draw(st.booleans())
    if not uneven:
        return mapping
    cuts = []
    n = len(loops)
    for t in workload.tensor_names:
        prev = 0
        for lv in range(1, n_levels):
            if not mapping.keeps(lv, t):
                continue
            lo = max((i + 1 for i, lp in enumerate(loops) if lp.spatial and lp.level < lv), default=0)
            hi = min((i for i, lp in enumerate(loops) if lp.spatial and lp.level >= lv), default=n)
            lo = max(lo, prev)
            if lo > hi:
                return mapping
            pos = draw(st.integers(lo, hi))
            cuts.append((lv, t, pos))
            prev = pos
    return Mapping(tuple(loops), tuple(keep), tuple(cuts))


@st.composite
def systolic_workloads(draw) -> Workload:
    """Small sliding-window workloads whose deltas often repeat across neighbours (forwarding cases)."""
    if draw(st.booleans()):
        return conv1d(
            P=draw(st.integers(2, 12)), R=draw(st.integers(1, 4)), stride=draw(st.sampled_from([1, 1, 2]))
        )
    return conv2d(
        K=draw(st.integers(1, 2)),
        C=1,
        P=draw(st.integers(2, 6)),
        Q=draw(st.integers(1, 4)),
        R=draw(st.integers(1, 3)),
        S=draw(st.integers(1, 2)),
    )


@st.composite
def systolic_cases(draw) -> tuple[Architecture, Workload, Mapping]:
    """DRAM / buffer / PE array with forwarding, outputs' window dimensions spread over the PEs and the kernel
    dimensions iterated above them: each PE's new delta is often its neighbour's previous one."""
    w = draw(systolic_workloads())
    fx, fy = draw(st.integers(2, 4)), draw(st.integers(1, 2))
    levels = (
        StorageLevel("DRAM", "DRAM"),
        StorageLevel("Buffer", "SRAM", network=Network(multicast=draw(st.booleans()), forwarding=True)),
        StorageLevel("PE", "regfile", instances=fx * fy, mesh_x=fx),
    )
    arch = Architecture("systolic", levels, ComputeLevel("MAC", fx * fy, mesh_x=fx))
    fan = {SPATIAL_X: fx, SPATIAL_Y: fy}
    temporal: list[list[Loop]] = [[], [], []]
    spatial: list[Loop] = []
    for d, b in zip(w.dims, w.bounds):
        remaining = b
        for kind in (SPATIAL_X, SPATIAL_Y) if d in ("P", "Q") else ():
            options = [f for f in _divisors(remaining) if f <= fan[kind]]
            f = max(options) if draw(st.integers(0, 3)) else draw(st.sampled_from(options))
            if f > 1:
                spatial.append(Loop(d, f, kind, 1))
                fan[kind] //= f
                remaining //= f
        for lv in (2, 1):
            keep_out = (
                lv == 2 and d in ("R", "S") and draw(st.integers(0, 4)) > 1
            )  # kernel loops above the PEs
            f = 1 if keep_out else draw(st.sampled_from(_divisors(remaining)))
            remaining //= f
            if f > 1:
                temporal[lv].append(Loop(d, f, TEMPORAL, lv))
        if remaining > 1:
            temporal[0].append(Loop(d, remaining, TEMPORAL, 0))
    loops = (
        list(draw(st.permutations(temporal[0])))
        + list(draw(st.permutations(temporal[1])))
        + list(draw(st.permutations(spatial)))
        + list(draw(st.permutations(temporal[2])))
    )
    names = frozenset(w.tensor_names)
    keep = (names, frozenset(t for t in names if draw(st.integers(0, 4)) > 0), names)
    return arch, w, Mapping(tuple(loops), keep)


@st.composite
def cases(draw, uneven: bool | None = None, systolic: bool = False) -> tuple[Architecture, Workload, Mapping]:
    if systolic:
        return draw(systolic_cases())
    w = draw(workloads())
    a = draw(architectures(w))
    m = draw(mappings(a, w, uneven))
    assume_small = math.prod(lp.bound for lp in m.loops) <= 2 * MAX_OPS
    if not assume_small:
        m = draw(mappings(a, w, uneven))
    return a, w, m
