"""Closed-form tile analysis (docs/semantics.md), compiled with numba and run over batches of mappings.

A mapping is given as a flat loop nest (dimension, bound, kind, level per slot; bound-1 slots are no-ops) plus
per-(level, tensor) cuts and keep flags. For each kept (level, tensor) the tile's rank extents follow from the
loops inside the cut; the loops above it are classified by the translation one of their steps applies to the
tile (none, a slide along one rank, or a jump), which gives the words that arrive over the whole run without
visiting any step. See `_arrivals` for why the sliding-direction state of Timeloop collapses to a closed form.
"""

from __future__ import annotations

import types

import numba as nb
import numpy as np

TEMPORAL, SPATIAL_X, SPATIAL_Y = 0, 1, 2

# Per (mapping, level, tensor) outputs of `analyze_batch`, in this order along the last axis.
READS, FILLS, UPDATES, LINKS, REDUCTIONS, WORDS = range(6)
N_OUT = 6


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
def _arrivals(coef_t, dim_rank, dim, bound, kind, stride, c, ext, words, classes, trans, wrap, outer, need_trans,
              extrapolate):
    """Words arriving in one instance's tile over the run (F in docs/semantics.md); returns (F, l0, positions).

    Steps are the temporal loops above the cut. A step of loop k translates the tile by
    delta = A[:, d_k] * s_k - (the wrap of the inner temporal loops above the cut): no move, a slide along one
    rank (an overlapping move) or a jump (the whole tile arrives). Timeloop keeps a sliding direction per tile
    and refetches the whole tile when a slide changes direction. Every step of a loop k other than the
    innermost one, l0, directly follows a step of l0, and every l0 step follows an l0 step or a k step; working
    the state machine through shows l0's slides are always credited and another loop's slide is credited iff
    l0 does not slide or slides the same way. With `extrapolate` (Timeloop's default) an inner loop leaves
    the tile at its iteration 1, not its last, so its wrap is one step, not b - 1. When need_trans, `classes[k]` receives (class, rank*2+sign,
    words per step) with class 0 none, 1 credited slide, 2 whole tile, -1 not a step, and `trans[k]` the
    translation, for the forwarding analysis.
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
    wrap_nz = 0  # ranks where the wrap is non-zero
    l0 = -1
    g0 = -1  # l0's sliding direction (rank*2+sign), -1 if it does not slide
    total = words
    positions = 1  # distinct tile positions: product of the relevant temporal bounds
    for k in range(c - 1, -1, -1):
        if need_trans:
            classes[k, 0] = -1
        if kind[k] != TEMPORAL:
            continue
        d = dim[k]
        r0 = dim_rank[d]
        nz = 0
        rk = 0
        dr = 0
        if r0 == -1:
            # The loop's own move is zero: the translation is minus the inner wrap, which stays as it is.
            nz = wrap_nz
            if nz == 1:
                for r in range(n_ranks):
                    if wrap[r] != 0:
                        rk = r
                        dr = -wrap[r]
            if need_trans:
                for r in range(n_ranks):
                    trans[k, r] = -wrap[r]
        elif r0 >= 0 and not need_trans:
            # One rank moves by its own step; the others by minus the inner wrap.
            positions *= bound[k]
            a = coef_t[d, r0]
            s = stride[k]
            old = wrap[r0]
            v = a * s - old
            others = wrap_nz - (1 if old != 0 else 0)
            nz = others + (1 if v != 0 else 0)
            if nz == 1:
                if v != 0:
                    rk = r0
                    dr = v
                else:
                    for r in range(n_ranks):
                        if r != r0 and wrap[r] != 0:
                            rk = r
                            dr = -wrap[r]
            new = old + a * (1 if extrapolate else bound[k] - 1) * s
            wrap[r0] = new
            wrap_nz = others + (1 if new != 0 else 0)
        else:
            positions *= bound[k]
            s = stride[k]
            span = (1 if extrapolate else bound[k] - 1) * s
            wrap_nz = 0
            for r in range(n_ranks):
                a = coef_t[d, r]
                v = a * s - wrap[r]
                if need_trans:
                    trans[k, r] = v
                if v != 0:
                    nz += 1
                    rk = r
                    dr = v
                w = wrap[r] + a * span
                wrap[r] = w
                if w != 0:
                    wrap_nz += 1
        cls = 2
        cost = words
        direction = -1
        if nz == 0:
            cls = 0
            cost = 0
        elif nz == 1:
            mag = dr if dr > 0 else -dr
            if mag < ext[rk]:
                direction = rk * 2 + (1 if dr > 0 else 0)
                if l0 < 0 or g0 < 0 or direction == g0:
                    cls = 1
                    cost = mag
                    for r in range(n_ranks):
                        if r != rk:
                            cost *= ext[r]
        if l0 < 0:
            l0 = k
            g0 = direction
        total += (bound[k] - 1) * outer[k] * cost
        if need_trans:
            classes[k, 0] = cls
            classes[k, 1] = direction
            classes[k, 2] = cost
    return total, l0, positions


@nb.njit(cache=True, inline="always")
def _distinct_offsets(coef, rank_mask, dim, bound, kind, stride, lo, hi):
    """Distinct tensor offsets among the instances selected by the spatial loops at positions [lo, hi).

    Instances whose offsets coincide hold identical tiles (multicast or reduction groups). Loops over
    dimensions that share no rank (rank_mask: bit r set when the dimension appears in rank r) multiply;
    otherwise the offsets are enumerated.
    """
    n_ranks = coef.shape[0]
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
        return count
    return _enumerate_offsets(coef, dim, bound, kind, stride, lo, hi, count, n_gen)


@nb.njit(cache=True)
def _enumerate_offsets(coef, dim, bound, kind, stride, lo, hi, count, n_gen):
    """Distinct offsets by enumeration, for spatial loops whose dimensions share a rank (e.g. P and R)."""
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
    # Combine rows into one key per row (mixed radix over the per-rank maxima) and count unique keys.
    keys = np.zeros(count, dtype=np.int64)
    for r in range(n_ranks):
        m = 0
        for i in range(count):
            if offs[i, r] > m:
                m = offs[i, r]
        for i in range(count):
            keys[i] = keys[i] * (m + 1) + offs[i, r]
    keys.sort()
    distinct = 1
    for i in range(1, count):
        if keys[i] != keys[i - 1]:
            distinct += 1
    return distinct


@nb.njit(cache=True)
def _shape_rel(k, classes, trans, ext, rel, shp):
    """Shape and offset inside the tile of the delta a step of loop k brings (k = -1: the first step)."""
    n_ranks = ext.shape[0]
    for r in range(n_ranks):
        rel[r] = 0
        shp[r] = ext[r]
    if k >= 0 and classes[k, 0] == 1:
        r = classes[k, 1] // 2
        d = abs(trans[k, r])
        shp[r] = d
        if trans[k, r] > 0:
            rel[r] = ext[r] - d


@nb.njit(cache=True)
def _forwarding(coef, dim, bound, kind, stride, lo, hi, ext, words, classes, trans, l0, multicast, extrapolate):
    """Per parent instance over the run: (parent reads saved, words link-transferred) by neighbour forwarding.

    A child's delta is taken from a mesh neighbour when it equals the neighbour's delta of the previous step
    (docs/semantics.md). Steps come in (previous type, type) pairs with known multiplicities: the first step
    follows the initial fill; every step of an outer loop j follows an l0 step and is followed by one; the
    other l0 steps follow l0 steps. Each pair is analysed once over the enumerated child instances.
    """
    n_ranks = coef.shape[0]
    if l0 < 0:
        return 0, 0
    # Enumerate the child instances under one parent: offsets, mesh position.
    n_sp = 0
    for k in range(lo, hi):
        if kind[k] != TEMPORAL and bound[k] > 1:
            n_sp += 1
    sp = np.zeros(n_sp, dtype=np.int64)
    j = 0
    n_inst = 1
    xs_total = 1
    ys_total = 1
    for k in range(lo, hi):
        if kind[k] != TEMPORAL and bound[k] > 1:
            sp[j] = k
            j += 1
            n_inst *= bound[k]
            if kind[k] == SPATIAL_X:
                xs_total *= bound[k]
            else:
                ys_total *= bound[k]
    if n_inst == 1:
        return 0, 0
    offs = np.zeros((n_inst, n_ranks), dtype=np.int64)
    at = np.full((xs_total, ys_total), -1, dtype=np.int64)
    xpos = np.zeros(n_inst, dtype=np.int64)
    ypos = np.zeros(n_inst, dtype=np.int64)
    idx = np.zeros(n_sp, dtype=np.int64)
    for i in range(n_inst):
        x = 0
        y = 0
        for q in range(n_sp):
            k = sp[q]
            for r in range(n_ranks):
                offs[i, r] += idx[q] * coef[r, dim[k]] * stride[k]
            if kind[k] == SPATIAL_X:
                x = x * bound[k] + idx[q]
            else:
                y = y * bound[k] + idx[q]
        xpos[i] = x
        ypos[i] = y
        at[x, y] = i
        q = n_sp - 1
        while q >= 0:
            idx[q] += 1
            if idx[q] < bound[sp[q]]:
                break
            idx[q] = 0
            q -= 1
    # Keys of the offsets, for multicast groups.
    keys = np.zeros(n_inst, dtype=np.int64)
    for r in range(n_ranks):
        m = 0
        for i in range(n_inst):
            if offs[i, r] > m:
                m = offs[i, r]
        for i in range(n_inst):
            keys[i] = keys[i] * (m + 1) + offs[i, r]
    # Pairs (previous, current) with multiplicities.
    outer_cycles = 1
    for k in range(l0):
        if classes[k, 0] >= 0:
            outer_cycles *= bound[k]
    n_pairs = 2
    for k in range(l0):
        if classes[k, 0] >= 0:
            n_pairs += 2
    prev_t = np.zeros(n_pairs, dtype=np.int64)
    cur_t = np.zeros(n_pairs, dtype=np.int64)
    mult = np.zeros(n_pairs, dtype=np.int64)
    # Exact: the first l0 step of each l0 cycle follows the initial fill or an outer step; the others follow
    # l0 steps. Extrapolated (Timeloop): one l0 step per cycle stands for all b0 - 1 of them, and follows the
    # initial fill or an outer step.
    l0_weight = bound[l0] - 1 if extrapolate else 1
    prev_t[0] = -1
    cur_t[0] = l0
    mult[0] = l0_weight
    prev_t[1] = l0
    cur_t[1] = l0
    mult[1] = 0 if extrapolate else (bound[l0] - 2) * outer_cycles
    p = 2
    outer = 1
    for k in range(l0):
        if classes[k, 0] >= 0:
            steps = (bound[k] - 1) * outer
            prev_t[p] = k
            cur_t[p] = l0
            mult[p] = steps * l0_weight
            prev_t[p + 1] = l0
            cur_t[p + 1] = k
            mult[p + 1] = steps
            p += 2
            outer *= bound[k]
    rel_p = np.zeros(n_ranks, dtype=np.int64)
    shp_p = np.zeros(n_ranks, dtype=np.int64)
    rel_c = np.zeros(n_ranks, dtype=np.int64)
    shp_c = np.zeros(n_ranks, dtype=np.int64)
    target = np.zeros(n_ranks, dtype=np.int64)
    lt_flag = np.zeros(n_inst, dtype=np.bool_)
    saved = 0
    moved = 0
    for p in range(n_pairs):
        if mult[p] <= 0:
            continue
        kp = prev_t[p]
        kc = cur_t[p]
        if classes[kc, 0] == 0 or (kp >= 0 and classes[kp, 0] == 0):
            continue
        _shape_rel(kp, classes, trans, ext, rel_p, shp_p)
        _shape_rel(kc, classes, trans, ext, rel_c, shp_c)
        same = True
        for r in range(n_ranks):
            if shp_p[r] != shp_c[r]:
                same = False
            target[r] = rel_c[r] - rel_p[r] + trans[kc, r]
        if not same:
            continue
        size = classes[kc, 2]
        n_lt = 0
        for i in range(n_inst):
            lt_flag[i] = False
            x = xpos[i]
            y = ypos[i]
            for nb_i in range(4):
                nx = x + (1 if nb_i == 0 else (-1 if nb_i == 1 else 0))
                ny = y + (1 if nb_i == 2 else (-1 if nb_i == 3 else 0))
                if nx < 0 or ny < 0 or nx >= xs_total or ny >= ys_total:
                    continue
                jn = at[nx, ny]
                match = True
                for r in range(n_ranks):
                    if offs[jn, r] - offs[i, r] != target[r]:
                        match = False
                        break
                if match:
                    lt_flag[i] = True
                    break
            if lt_flag[i]:
                n_lt += 1
        if n_lt == 0:
            continue
        if multicast:
            a0 = _count_distinct(keys, lt_flag, False)
            a1 = _count_distinct(keys, lt_flag, True)
        else:
            a0 = n_inst
            a1 = n_inst - n_lt
        if a1 < a0:
            saved += mult[p] * (a0 - a1) * size
            moved += mult[p] * n_lt * size
    return saved, moved


@nb.njit(cache=True)
def _count_distinct(keys, flag, skip_flagged):
    """Distinct keys among all entries, or among the unflagged ones."""
    sel = np.empty(keys.shape[0], dtype=np.int64)
    m = 0
    for i in range(keys.shape[0]):
        if not (skip_flagged and flag[i]):
            sel[m] = keys[i]
            m += 1
    if m == 0:
        return 0
    v = np.sort(sel[:m])
    d = 1
    for i in range(1, m):
        if v[i] != v[i - 1]:
            d += 1
    return d


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
            lo = starts[i] if starts[i] > end else end
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
    ranks = np.zeros((5, n_ranks), dtype=np.int64)  # ext, wrap, delta, rank_dim, seen
    dims = np.zeros(n_dims, dtype=np.bool_)
    return suffix, stride, classes, trans, ranks, dims


def _analyze_compact_py(coef_all, coef_t_all, dim_rank_all, rank_mask, simple, read_write, dim, bound, kind, level, n, cut, keep,
                     multicast, reduction, forwarding, extrapolate, out, used, suffix, stride, classes, trans, ranks,
                     dims):
    """Counts of one mapping whose nest (first n slots of dim/bound/kind/level) has no bound-1 loops.

    Fills out[L, t, :] (READS..WORDS, totals over used instances) and used[L]. Returns 0, or 1 when a
    read-write tensor needs the enumerated partition (the caller falls back).
    """
    n_levels, n_tensors = cut.shape
    n_dims = coef_all.shape[2]
    n_ranks = coef_all.shape[1]
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
                    coef_t, dim_rank, dm, bd, kd, sd, c, ext, words, classes, trans, wrap, outer, need_trans,
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
                if rw:
                    if reduction[prev]:
                        per_parent = f * _distinct_offsets(coef, rank_mask[t], dm, bd, kd, sd, pc, c)
                        out[prev, t, REDUCTIONS] += (f * n_child - per_parent) * n_parent
                    out[prev, t, UPDATES] += per_parent * n_parent
                else:
                    if multicast[prev]:
                        per_parent = f * _distinct_offsets(coef, rank_mask[t], dm, bd, kd, sd, pc, c)
                    out[prev, t, READS] += per_parent * n_parent
                    if forwarding[prev] and not is_compute:
                        saved, moved = _forwarding(
                            coef, dm, bd, kd, sd, pc, c, ext, words, classes, trans, l0, multicast[prev], extrapolate
                        )
                        out[prev, t, READS] -= saved * n_parent
                        out[prev, t, LINKS] += moved * n_parent
                        out[lv, t, READS] += moved * n_parent
                if not is_compute:
                    out[lv, t, FILLS] = (f - part) * inst
            if not is_compute and rw:
                out[lv, t, READS] -= part * inst  # reads = updates - partition; updates arrive from the child
            prev = lv
        if rw:
            for lv in range(n_levels):
                if keep[lv, t]:
                    out[lv, t, READS] += out[lv, t, UPDATES]
    return status


# One mapping's analysis, compiled twice: as a function (quick to compile, for `evaluate`) and inlined into the
# batch kernel (no per-mapping call: arguments are passed without reference counting).
def _renamed(fn, name):
    """A copy of a Python function under another name (numba caches compiled code per qualified name)."""
    copy = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = name
    return copy


_analyze_compact = nb.njit(cache=True)(_renamed(_analyze_compact_py, "_analyze_compact"))
_analyze_compact_inline = nb.njit(cache=True, inline="always")(_renamed(_analyze_compact_py, "_analyze_compact_inline"))


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
def analyze_batch(coef_all, coef_t_all, dim_rank_all, rank_mask, simple, read_write, dim, bound, kind, level, cut, keep, multicast,
                  reduction, forwarding, extrapolate):
    """Counts of a batch of flat nests: dim/bound/kind/level (B, n), cut/keep (B, levels, tensors).

    Returns out (B, levels, tensors, N_OUT), used (B, levels), status (B,).
    """
    b_count, n_all = dim.shape
    n_levels, n_tensors = cut.shape[1], cut.shape[2]
    out = np.zeros((b_count, n_levels, n_tensors, N_OUT), dtype=np.int64)
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
                coef_all, coef_t_all, dim_rank_all, rank_mask, simple, read_write, cd, cb, ck, cl, n, cc, keep[b], multicast, reduction,
                forwarding, extrapolate, out[b], used[b], suffix, stride, classes, trans, ranks, dims,
            )
    return out, used, status


@nb.njit(cache=True)
def energy_terms(out, used, block, ert, terms):
    """terms[L, t, a] = pJ of action a (read, fill, update) of tensor t at level L.

    Vector accesses per instance = ceil(ceil(scalar total / used) / block size), in integers; times the used
    instances and the ERT energy of one vector access.
    """
    n_levels, n_tensors = out.shape[0], out.shape[1]
    for lv in range(n_levels):
        u = max(used[lv], 1)
        blk = block[lv]
        for t in range(n_tensors):
            for a in range(3):
                scalar = out[lv, t, a]
                if scalar <= 0 or ert[lv, a] == 0.0:
                    terms[lv, t, a] = 0.0
                    continue
                per_instance = scalar if u == 1 else (scalar + u - 1) // u
                vectors = per_instance if blk == 1 else (per_instance + blk - 1) // blk
                terms[lv, t, a] = float(vectors * u) * ert[lv, a]


@nb.njit(cache=True)
def level_cycles(out, used, compute_cycles, read_bw, write_bw, shared_bw, cycles):
    """Timeloop's throughput model: cycles[L] = ceil(compute cycles / slowdown) from per-instance demand.

    Bandwidth limits <= 0 mean unlimited. Reads include link-transfer reads; writes are fills + updates.
    """
    n_levels, n_tensors = out.shape[0], out.shape[1]
    cc = float(compute_cycles)
    for lv in range(n_levels):
        reads = 0.0
        writes = 0.0
        for t in range(n_tensors):
            reads += out[lv, t, READS]
            writes += out[lv, t, FILLS] + out[lv, t, UPDATES]
        slowdown = 1.0
        if read_bw[lv] <= 0 and write_bw[lv] <= 0 and shared_bw[lv] <= 0:
            cycles[lv] = compute_cycles
            continue
        u = max(used[lv], 1)
        rd = reads / u / cc
        wd = writes / u / cc
        if read_bw[lv] > 0 and rd > 0:
            slowdown = min(slowdown, read_bw[lv] / rd)
        if write_bw[lv] > 0 and wd > 0:
            slowdown = min(slowdown, write_bw[lv] / wd)
        if shared_bw[lv] > 0 and rd + wd > 0:
            slowdown = min(slowdown, shared_bw[lv] / (rd + wd))
        cycles[lv] = np.int64(np.ceil(cc / slowdown))


@nb.njit(cache=True, parallel=True)
def evaluate_template_batch(coef_all, coef_t_all, dim_rank_all, rank_mask, simple, read_write, bounds, temporal, order, spatial_x, spatial_y, keep, multicast,
                            reduction, forwarding, extrapolate, fanout_x, fanout_y, entries, block, ert, compute_pj,
                            compute_instances, read_bw, write_bw, shared_bw, keep_counts):
    """The mapper's inner loop: even mappings given as per-level factors and orders, evaluated end to end.

    Returns cycles, energy (pJ), valid (factors cover the bounds, fan-outs fit, tiles fit), status and, when
    keep_counts, the counts (B, levels, tensors, N_OUT) (else an empty array).
    """
    b_count, n_levels, n_dims = temporal.shape
    n_tensors = coef_all.shape[0]
    n_max = 3 * n_levels * n_dims
    cycles = np.zeros(b_count, dtype=np.int64)
    energy = np.zeros(b_count, dtype=np.float64)
    valid = np.zeros(b_count, dtype=np.bool_)
    status = np.zeros(b_count, dtype=np.int64)
    counts = np.zeros((b_count if keep_counts else 0, n_levels, n_tensors, N_OUT), dtype=np.int64)
    n_chunks = min(b_count, 64)
    for ch in nb.prange(n_chunks):
        suffix, stride, classes, trans, ranks, dims = _scratch(n_max, n_dims, coef_all.shape[1])
        cd = np.empty(n_max, dtype=np.int64)
        cb = np.empty(n_max, dtype=np.int64)
        ck = np.empty(n_max, dtype=np.int64)
        cl = np.empty(n_max, dtype=np.int64)
        cc = np.empty((n_levels, n_tensors), dtype=np.int64)
        out = np.empty((n_levels, n_tensors, N_OUT), dtype=np.int64)
        used = np.empty(n_levels, dtype=np.int64)
        terms = np.empty((n_levels, n_tensors, 3), dtype=np.float64)
        lcyc = np.empty(n_levels, dtype=np.int64)
        padded = np.empty(n_dims, dtype=np.int64)
        for b in range(ch * b_count // n_chunks, (ch + 1) * b_count // n_chunks):
            # Build the compact nest: per level, temporal loops in order, then spatial X, then spatial Y.
            n = 0
            ok = True
            for d in range(n_dims):
                padded[d] = 1
            for lv in range(n_levels):
                for t in range(n_tensors):
                    cc[lv, t] = n
                fx = 1
                fy = 1
                for code in range(3):  # temporal loops in their order, then spatial X, then spatial Y
                    for j in range(n_dims):
                        if code == TEMPORAL:
                            d = order[b, lv, j]
                            f = temporal[b, lv, d]
                        elif code == SPATIAL_X:
                            d = j
                            f = spatial_x[b, lv, d]
                            fx *= f
                        else:
                            d = j
                            f = spatial_y[b, lv, d]
                            fy *= f
                        padded[d] *= f
                        if f > 1:
                            cd[n] = d
                            cb[n] = f
                            ck[n] = code
                            cl[n] = lv
                            n += 1
                if fx > fanout_x[lv] or fy > fanout_y[lv]:
                    ok = False
            macs = 1
            for d in range(n_dims):
                if padded[d] < bounds[d]:
                    ok = False
                macs *= padded[d]
            status[b] = _analyze_compact_inline(
                coef_all, coef_t_all, dim_rank_all, rank_mask, simple, read_write, cd, cb, ck, cl, n, cc, keep[b], multicast, reduction,
                forwarding, extrapolate, out, used, suffix, stride, classes, trans, ranks, dims,
            )
            for lv in range(n_levels):
                if entries[lv] > 0:
                    held = 0
                    for t in range(n_tensors):
                        if keep[b, lv, t]:
                            held += out[lv, t, WORDS]
                    if held > entries[lv]:
                        ok = False
            compute_cycles = 1
            for k in range(n):
                if ck[k] == TEMPORAL:
                    compute_cycles *= cb[k]
            level_cycles(out, used, compute_cycles, read_bw, write_bw, shared_bw, lcyc)
            total = compute_cycles
            for lv in range(n_levels):
                if lcyc[lv] > total:
                    total = lcyc[lv]
            energy_terms(out, used, block, ert, terms)
            e = 0.0
            for lv in range(n_levels):
                for t in range(n_tensors):
                    for a in range(3):
                        e += terms[lv, t, a]
            cycles[b] = total
            energy[b] = e + macs * compute_pj
            valid[b] = ok
            if keep_counts:
                counts[b] = out
    return cycles, energy, valid, status, counts
