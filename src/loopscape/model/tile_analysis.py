"""Closed-form tile analysis (docs/semantics.md), compiled with numba and run over batches of mappings.

A mapping is given as a flat loop nest (dimension, bound, kind, level per slot; bound-1 slots are no-ops) plus
per-(level, tensor) cuts and keep flags. For each kept (level, tensor) the tile's rank extents follow from the
loops inside the cut; the loops above it are classified by the translation one of their steps applies to the
tile (none, a slide along one rank, or a jump), which gives the words that arrive over the whole run without
visiting any step. See `_arrivals` for why Timeloop's stride state collapses to a closed form.
"""

from __future__ import annotations

import types

import numba as nb
import numpy as np

from loopscape.model.codes import FILLS, LINKS, N_OUT, READS, REDUCTIONS, TEMPORAL, UPDATES, WORDS
from loopscape.model.forwarding import forwarding_savings
from loopscape.model.hops import count_groups, num_hops, offset_keys


@nb.njit(cache=True, inline="always")
def _tile_extents(coef_t, dim_rank, suffix, c, ext):
    """Bounding-box extent per rank of the tile formed by the loops at positions >= c; returns its words.

    coef_t is the tensor's projection transposed (dims x ranks); dim_rank[d] is the one rank dimension d
    appears in, -1 for none, -2 for several.
    """
    n_dims, n_ranks = coef_t.shape
    for r in range(n_ranks):
        ext[r] = 1
    for d in range(n_dims):
        rk = dim_rank[d]
        if rk == -1:
            continue
        span = suffix[c, d] - 1
        if span == 0:
            continue
        if rk >= 0:
            ext[rk] += coef_t[d, rk] * span
        else:
            for r in range(n_ranks):
                ext[r] += coef_t[d, r] * span
    words = 1
    for r in range(n_ranks):
        words *= ext[r]
    return words


@nb.njit(cache=True, inline="always")
def _arrivals(
    coef_t,
    dim_rank,
    dim,
    bound,
    kind,
    stride,
    c,
    ext,
    words,
    classes,
    trans,
    wrap,
    outer,
    first,
    need_trans,
    extrapolate,
):
    """Words arriving in one instance's tile over the run (F in docs/semantics.md); returns (F, l0, positions).

    Steps are the temporal loops above the cut. A step of loop k translates the tile by
    t_k = A[:, d_k] * s_k - (the wrap of the inner temporal loops above the cut). Timeloop keeps the stride of
    the tile's last move and fetches the whole tile when a move's translation differs from it (then forgets
    it); otherwise the new words are the set difference of the two boxes: none for no move, a slab for an
    overlapping move along one rank, the whole tile for any other move. Every step of a loop k other than the
    innermost one, l0, directly follows a step of l0, so the stride held at a k step is always l0's own
    translation t_0 (docs/semantics.md): l0's steps cost their set difference, and a k step costs its set
    difference when t_k == t_0, the whole tile otherwise. With `extrapolate` (Timeloop's default) an inner
    loop leaves the tile at its iteration 1, not its last, so its wrap is one step, not b - 1. When
    need_trans, `classes[k]` receives (class, rank*2+sign, words per step) with class 0 none, 1 slab,
    2 whole tile, -1 not a step, and `trans[k]` the translation, for the forwarding analysis. `first` is
    scratch for t_0.
    """
    n_ranks = coef_t.shape[1]
    # Steps of loop k: (b_k - 1) x the product of the temporal bounds outside it.
    prod = 1
    for k in range(c):
        outer[k] = prod
        if kind[k] == TEMPORAL:
            prod *= bound[k]
    for r in range(n_ranks):
        wrap[r] = 0
    l0 = -1
    total = words
    positions = 1  # distinct tile positions: product of the relevant temporal bounds
    for k in range(c - 1, -1, -1):
        if need_trans:
            classes[k, 0] = -1
        if kind[k] != TEMPORAL:
            continue
        d = dim[k]
        if dim_rank[d] != -1:
            positions *= bound[k]
        s = stride[k]
        span = (1 if extrapolate else bound[k] - 1) * s
        nz = 0
        rk = 0
        dr = 0
        same = True
        for r in range(n_ranks):
            a = coef_t[d, r]
            v = a * s - wrap[r]
            if need_trans:
                trans[k, r] = v
            if l0 < 0:
                first[r] = v
            elif v != first[r]:
                same = False
            if v != 0:
                nz += 1
                rk = r
                dr = v
            wrap[r] += a * span
        cls = 2
        cost = words
        direction = -1
        if not same:
            pass  # the stride changed: the whole tile
        elif nz == 0:
            cls = 0
            cost = 0
        elif nz == 1:
            mag = dr if dr > 0 else -dr
            if mag < ext[rk]:
                direction = rk * 2 + (1 if dr > 0 else 0)
                cls = 1
                cost = mag
                for r in range(n_ranks):
                    if r != rk:
                        cost *= ext[r]
        if l0 < 0:
            l0 = k
        total += (bound[k] - 1) * outer[k] * cost
        if need_trans:
            classes[k, 0] = cls
            classes[k, 1] = direction
            classes[k, 2] = cost
    return total, l0, positions


@nb.njit(cache=True, inline="always")
def _distinct_offsets(coef, rank_mask, dim, bound, kind, stride, lo, hi, n):
    """(groups, hop sum) of the n instances selected by the spatial loops at positions [lo, hi).

    Instances whose offsets coincide hold identical tiles (multicast or reduction groups); the hop sum is
    the sum over groups of num_hops(group size, n). Loops over dimensions that share no rank (rank_mask: bit r
    set when the dimension appears in rank r) multiply into equal groups; otherwise the offsets are enumerated.
    """
    count = 1
    n_gen = 0
    seen = 0
    conflict = False
    for k in range(lo, hi):
        if kind[k] == TEMPORAL:
            continue
        m = rank_mask[dim[k]]
        if m == 0:
            continue
        if seen & m:
            conflict = True
        seen |= m
        count *= bound[k]
        n_gen += 1
    if not conflict:
        return count, count * num_hops(n // count, n)
    return _enumerate_offsets(coef, dim, bound, kind, stride, lo, hi, count, n_gen, n)


@nb.njit(cache=True)
def _enumerate_offsets(coef, dim, bound, kind, stride, lo, hi, count, n_gen, n):
    """(groups, hop sum) by enumeration, for spatial loops whose dimensions share a rank (e.g. P and R).

    The `count` combinations of the relevant loops are enumerated; each stands for n // count instances.
    """
    n_ranks = coef.shape[0]
    # Enumerate the offsets of all `count` combinations, as rows, and count distinct rows.
    gens = np.zeros((n_gen, n_ranks), dtype=np.int64)
    gbound = np.zeros(n_gen, dtype=np.int64)
    g = 0
    for k in range(lo, hi):
        if kind[k] == TEMPORAL or bound[k] <= 1:
            continue
        relevant = False
        for r in range(n_ranks):
            if coef[r, dim[k]] != 0:
                relevant = True
        if not relevant:
            continue
        for r in range(n_ranks):
            gens[g, r] = coef[r, dim[k]] * stride[k]
        gbound[g] = bound[k]
        g += 1
    offs = np.zeros((count, n_ranks), dtype=np.int64)
    idx = np.zeros(n_gen, dtype=np.int64)
    for i in range(count):
        for r in range(n_ranks):
            v = 0
            for j in range(n_gen):
                v += idx[j] * gens[j, r]
            offs[i, r] = v
        j = n_gen - 1
        while j >= 0:
            idx[j] += 1
            if idx[j] < gbound[j]:
                break
            idx[j] = 0
            j -= 1
    keys = offset_keys(offs)
    keys.sort()
    return count_groups(keys, count, n // count, n)


@nb.njit(cache=True)
def _general_partition(coef_t, dim, bound, kind, stride, c, ext):
    """Distinct words in the union of an instance's tiles when ranks combine dimensions (e.g. H = P*2 + R).

    Ranks that share no dimension are independent, so the union is a product over groups of ranks. A group of
    one rank is a union of equal intervals whose starts are enumerated over the temporal loops above the cut
    that move it, then merged. Returns -1 when a dimension appears in several ranks (enumerated by the caller).
    """
    n_dims, n_ranks = coef_t.shape
    for d in range(n_dims):
        seen = 0
        for r in range(n_ranks):
            if coef_t[d, r] != 0:
                seen += 1
        if seen > 1:
            return -1
    total = 1
    for r in range(n_ranks):
        count = 1
        for k in range(c):
            if kind[k] == TEMPORAL and coef_t[dim[k], r] != 0:
                count *= bound[k]
        if count == 1:
            total *= ext[r]
            continue
        starts = np.zeros(count, dtype=np.int64)
        size = 1
        for k in range(c):
            if kind[k] == TEMPORAL and coef_t[dim[k], r] != 0:
                step = coef_t[dim[k], r] * stride[k]
                for i in range(1, bound[k]):
                    for j in range(size):
                        starts[i * size + j] = starts[j] + i * step
                size *= bound[k]
        starts.sort()
        covered = 0
        end = starts[0]
        for i in range(count):
            lo = max(end, starts[i])
            hi = starts[i] + ext[r]
            if hi > lo:
                covered += hi - lo
                end = hi
        total *= covered
    return total


@nb.njit(cache=True)
def _scratch(n_max, n_dims, n_ranks):
    """Work arrays for one thread: reused across mappings so the hot loop allocates nothing."""
    suffix = np.ones((n_max + 1, n_dims), dtype=np.int64)
    stride = np.ones(2 * n_max, dtype=np.int64)  # strides, then step multiplicities (outer products)
    classes = np.zeros((n_max, 3), dtype=np.int64)
    trans = np.zeros((n_max, n_ranks), dtype=np.int64)
    ranks = np.zeros((6, n_ranks), dtype=np.int64)  # ext, wrap, delta, rank_dim, seen, l0's translation
    dims = np.zeros(n_dims, dtype=np.bool_)
    return suffix, stride, classes, trans, ranks, dims


def _analyze_compact_py(
    coef_all,
    coef_t_all,
    dim_rank_all,
    rank_mask,
    simple,
    read_write,
    dim,
    bound,
    kind,
    level,
    n,
    cut,
    keep,
    multicast,
    reduction,
    forwarding,
    extrapolate,
    out,
    hops,
    used,
    suffix,
    stride,
    classes,
    trans,
    ranks,
    dims,
):
    """Counts of one mapping whose nest (first n slots of dim/bound/kind/level) has no bound-1 loops.

    Fills out[L, t, :] (READS..WORDS, totals over used instances), hops[L, t] (the network word-hops below L)
    and used[L]. Returns 0, or 1 when a
    read-write tensor needs the enumerated partition (the caller falls back).
    """
    n_levels, n_tensors = cut.shape
    n_dims = coef_all.shape[2]
    for d in range(n_dims):
        suffix[n, d] = 1
    for k in range(n - 1, -1, -1):
        for d in range(n_dims):
            suffix[k, d] = suffix[k + 1, d]
        suffix[k, dim[k]] *= bound[k]
    for k in range(n):
        stride[k] = suffix[k + 1, dim[k]]
    temporal_steps = 1
    compute_used = 1
    for k in range(n):
        if kind[k] == TEMPORAL:
            temporal_steps *= bound[k]
        else:
            compute_used *= bound[k]
    for lv in range(n_levels):
        u = 1
        for k in range(n):
            if kind[k] != TEMPORAL and level[k] < lv:
                u *= bound[k]
        used[lv] = u
        for t in range(n_tensors):
            hops[lv, t] = 0.0
            for o in range(N_OUT):
                out[lv, t, o] = 0
    ext = ranks[0]
    wrap = ranks[1]
    outer = stride[n:]
    need_trans = False
    for lv in range(n_levels):
        if forwarding[lv]:
            need_trans = True
    status = 0
    l0 = -1
    dm = dim[:n]
    bd = bound[:n]
    kd = kind[:n]
    sd = stride[:n]
    for t in range(n_tensors):
        coef = coef_all[t]
        coef_t = coef_t_all[t]
        dim_rank = dim_rank_all[t]
        rw = read_write[t]
        prev = -1
        for lv in range(n_levels + 1):
            is_compute = lv == n_levels
            if not is_compute and not keep[lv, t]:
                continue
            words = 1
            if is_compute:
                c = n
                f = temporal_steps
                part = 0
                inst = compute_used
            else:
                c = cut[lv, t]
                words = _tile_extents(coef_t, dim_rank, suffix, c, ext)
                f, l0, positions = _arrivals(
                    coef_t,
                    dim_rank,
                    dm,
                    bd,
                    kd,
                    sd,
                    c,
                    ext,
                    words,
                    classes,
                    trans,
                    wrap,
                    outer,
                    ranks[5],
                    need_trans,
                    extrapolate,
                )
                part = 0
                if rw:
                    # With each rank over one dimension and each dimension in one rank, the tiles an instance
                    # holds form a grid of disjoint boxes: the partition is words x positions.
                    if simple[t]:
                        part = words * positions
                    else:
                        part = _general_partition(coef_t, dm, bd, kd, sd, c, ext)
                        if part < 0:
                            status = 1
                            part = 0
                inst = used[lv]
                out[lv, t, WORDS] = words
            if prev >= 0:
                pc = cut[prev, t]
                n_parent = used[prev]
                n_child = inst // n_parent
                per_parent = f * n_child
                hop_sum = n_child * num_hops(1, n_child)
                if rw:
                    if reduction[prev]:
                        groups, hop_sum = _distinct_offsets(
                            coef, rank_mask[t], dm, bd, kd, sd, pc, c, n_child
                        )
                        per_parent = f * groups
                        out[prev, t, REDUCTIONS] += (f * n_child - per_parent) * n_parent
                    out[prev, t, UPDATES] += per_parent * n_parent
                    hops[prev, t] += f * hop_sum * n_parent
                else:
                    if multicast[prev]:
                        groups, hop_sum = _distinct_offsets(
                            coef, rank_mask[t], dm, bd, kd, sd, pc, c, n_child
                        )
                        per_parent = f * groups
                    out[prev, t, READS] += per_parent * n_parent
                    hops[prev, t] += f * hop_sum * n_parent
                    if forwarding[prev] and not is_compute:
                        saved, moved, hop_change = forwarding_savings(
                            coef,
                            dm,
                            bd,
                            kd,
                            sd,
                            pc,
                            c,
                            ext,
                            words,
                            classes,
                            trans,
                            l0,
                            multicast[prev],
                            extrapolate,
                        )
                        out[prev, t, READS] -= saved * n_parent
                        out[prev, t, LINKS] += moved * n_parent
                        out[lv, t, READS] += moved * n_parent
                        hops[prev, t] += hop_change * n_parent
                if not is_compute:
                    out[lv, t, FILLS] = max(0, f - part) * inst
            if not is_compute and rw:
                out[lv, t, READS] -= part * inst  # reads = updates - partition; updates arrive from the child
            prev = lv
        if rw:
            for lv in range(n_levels):
                if keep[lv, t]:
                    # Never below zero: a written tensor's box may hold points no operation writes (holes).
                    out[lv, t, READS] = max(0, out[lv, t, READS] + out[lv, t, UPDATES])
    return status


# One mapping's analysis, compiled twice: as a function (quick to compile, for `evaluate`) and inlined into the
# batch kernel (no per-mapping call: arguments are passed without reference counting).
def _renamed(fn, name):
    """A copy of a Python function under another name (numba caches compiled code per qualified name)."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = name
    return copy


_analyze_compact = nb.njit(cache=True)(_renamed(_analyze_compact_py, "_analyze_compact"))
_analyze_compact_inline = nb.njit(cache=True, inline="always")(
    _renamed(_analyze_compact_py, "_analyze_compact_inline")
)


@nb.njit(cache=True)
def _compact_flat(dim_in, bound_in, kind_in, level_in, cut_in, dim, bound, kind, level, cut):
    """Drop bound-1 loops from a flat nest, moving the cuts with it; returns the new length."""
    j = 0
    n_all = dim_in.shape[0]
    for a in range(cut_in.shape[0]):
        for b in range(cut_in.shape[1]):
            cut[a, b] = 0
    for k in range(n_all):
        for a in range(cut_in.shape[0]):
            for b in range(cut_in.shape[1]):
                if cut_in[a, b] > k and bound_in[k] > 1:
                    cut[a, b] += 1
        if bound_in[k] > 1:
            dim[j] = dim_in[k]
            bound[j] = bound_in[k]
            kind[j] = kind_in[k]
            level[j] = level_in[k]
            j += 1
    return j


@nb.njit(cache=True)
def analyze_batch(
    coef_all,
    coef_t_all,
    dim_rank_all,
    rank_mask,
    simple,
    read_write,
    dim,
    bound,
    kind,
    level,
    cut,
    keep,
    multicast,
    reduction,
    forwarding,
    extrapolate,
):
    """Counts of a batch of flat nests: dim/bound/kind/level (B, n), cut/keep (B, levels, tensors).

    Returns out (B, levels, tensors, N_OUT), word-hops (B, levels, tensors), used (B, levels), status (B,).
    """
    b_count, n_all = dim.shape
    n_levels, n_tensors = cut.shape[1], cut.shape[2]
    out = np.zeros((b_count, n_levels, n_tensors, N_OUT), dtype=np.int64)
    hops = np.zeros((b_count, n_levels, n_tensors), dtype=np.float64)
    used = np.zeros((b_count, n_levels), dtype=np.int64)
    status = np.zeros(b_count, dtype=np.int64)
    n_chunks = min(b_count, 64)
    for ch in nb.prange(n_chunks):
        suffix, stride, classes, trans, ranks, dims = _scratch(n_all, coef_all.shape[2], coef_all.shape[1])
        cd = np.empty(n_all, dtype=np.int64)
        cb = np.empty(n_all, dtype=np.int64)
        ck = np.empty(n_all, dtype=np.int64)
        cl = np.empty(n_all, dtype=np.int64)
        cc = np.empty((n_levels, n_tensors), dtype=np.int64)
        for b in range(ch * b_count // n_chunks, (ch + 1) * b_count // n_chunks):
            n = _compact_flat(dim[b], bound[b], kind[b], level[b], cut[b], cd, cb, ck, cl, cc)
            status[b] = _analyze_compact(
                coef_all,
                coef_t_all,
                dim_rank_all,
                rank_mask,
                simple,
                read_write,
                cd,
                cb,
                ck,
                cl,
                n,
                cc,
                keep[b],
                multicast,
                reduction,
                forwarding,
                extrapolate,
                out[b],
                hops[b],
                used[b],
                suffix,
                stride,
                classes,
                trans,
                ranks,
                dims,
            )
    return out, hops, used, status
