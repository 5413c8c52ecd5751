"""Closed-form tile analysis (docs/semantics.md), compiled with numba and run over batches of mappings.

A mapping is given as a flat loop nest (dimension, bound, kind, level per slot; bound-1 slots are no-ops) plus
per-(level, tensor) cuts and keep flags. For each kept (level, tensor) the tile's rank extents follow from the
loops inside the cut; the loops above it are classified by the translation one of their steps applies to the
tile (none, a slide along one rank, or a jump), which gives the words that arrive over the whole run without
visiting any step. See `_arrivals` for why the sliding-direction state of Timeloop collapses to a closed form.
"""

from __future__ import annotations

import numba as nb
import numpy as np

TEMPORAL, SPATIAL_X, SPATIAL_Y = 0, 1, 2

# Per (mapping, level, tensor) outputs of `analyze_batch`, in this order along the last axis.
READS, FILLS, UPDATES, LINKS, REDUCTIONS, WORDS = range(6)
N_OUT = 6


@nb.njit(cache=True)
def _suffix_products(dim, bound, n_dims):
    """S[k, d] = product of the bounds of the loops over d at positions >= k."""
    n = dim.shape[0]
    s = np.ones((n + 1, n_dims), dtype=np.int64)
    for k in range(n - 1, -1, -1):
        for d in range(n_dims):
            s[k, d] = s[k + 1, d]
        s[k, dim[k]] *= bound[k]
    return s


@nb.njit(cache=True)
def _tile_extents(coef, suffix, c, ext):
    """Bounding-box extent per rank of the tile formed by the loops at positions >= c; returns its words."""
    n_ranks, n_dims = coef.shape
    words = 1
    for r in range(n_ranks):
        e = 1
        for d in range(n_dims):
            e += coef[r, d] * (suffix[c, d] - 1)
        ext[r] = e
        words *= e
    return words


@nb.njit(cache=True)
def _arrivals(coef, dim, bound, kind, stride, c, ext, words, classes, trans):
    """Words arriving in one instance's tile over the run (F in docs/semantics.md).

    Steps are the temporal loops above the cut. A step of loop k translates the tile by
    delta = A[:, d_k] * s_k - (the wrap of the inner temporal loops above the cut). Timeloop keeps a sliding
    direction per tile and refetches the whole tile when a slide changes direction. Every step of a loop k other
    than the innermost one, l0, directly follows a step of l0, and every l0 step follows either an l0 step or a
    k step; working the state machine through shows l0's slides are always credited and another loop's slide is
    credited iff l0 does not slide or slides the same way. `classes[k]` receives (class, rank*2+sign, words
    arriving) with class 0 none, 1 credited slide, 2 whole tile, and `trans[k]` the translation, for the
    forwarding analysis.
    """
    n_ranks = coef.shape[0]
    n = c
    wrap = np.zeros(n_ranks, dtype=np.int64)
    delta = np.zeros(n_ranks, dtype=np.int64)
    # Pass 1 (inner to outer): classify each loop's step.
    l0 = -1
    for k in range(n - 1, -1, -1):
        classes[k, 0] = -1
        if kind[k] != TEMPORAL or bound[k] <= 1:
            continue
        if l0 < 0:
            l0 = k
        nz = 0
        rk = 0
        for r in range(n_ranks):
            delta[r] = coef[r, dim[k]] * stride[k] - wrap[r]
            trans[k, r] = delta[r]
            if delta[r] != 0:
                nz += 1
                rk = r
        if nz == 0:
            classes[k, 0] = 0
            classes[k, 1] = -1
            classes[k, 2] = 0
        elif nz == 1 and abs(delta[rk]) < ext[rk]:
            classes[k, 0] = 1
            classes[k, 1] = rk * 2 + (1 if delta[rk] > 0 else 0)
            classes[k, 2] = abs(delta[rk]) * (words // ext[rk])
        else:
            classes[k, 0] = 2
            classes[k, 1] = -1
            classes[k, 2] = words
        for r in range(n_ranks):
            wrap[r] += coef[r, dim[k]] * (bound[k] - 1) * stride[k]
    g0 = -1
    if l0 >= 0 and classes[l0, 0] == 1:
        g0 = classes[l0, 1]
    # Pass 2 (outer to inner): step counts and costs.
    total = words
    outer = 1
    for k in range(n):
        if classes[k, 0] < 0:
            continue
        steps = (bound[k] - 1) * outer
        cls = classes[k, 0]
        if cls == 1:
            if k == l0 or g0 < 0 or classes[k, 1] == g0:
                total += steps * classes[k, 2]
            else:
                classes[k, 0] = 2  # a change of direction refetches the whole tile
                classes[k, 2] = words
                total += steps * words
        elif cls == 2:
            total += steps * words
        outer *= bound[k]
    return total, l0


@nb.njit(cache=True)
def _distinct_offsets(coef, dim, bound, kind, stride, lo, hi):
    """Distinct tensor offsets among the instances selected by the spatial loops at positions [lo, hi).

    Instances whose offsets coincide hold identical tiles (multicast or reduction groups). Generators over
    dimensions sharing no rank multiply; otherwise the offsets are enumerated.
    """
    n_ranks = coef.shape[0]
    count = 1
    n_gen = 0
    conflict = False
    used = np.zeros(n_ranks, dtype=np.bool_)
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
            if coef[r, dim[k]] != 0:
                if used[r]:
                    conflict = True
                used[r] = True
        count *= bound[k]
        n_gen += 1
    if not conflict:
        return count
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
def _forwarding(coef, dim, bound, kind, stride, lo, hi, ext, words, classes, trans, l0, multicast):
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
    prev_t[0] = -1
    cur_t[0] = l0
    mult[0] = 1
    prev_t[1] = l0
    cur_t[1] = l0
    mult[1] = (bound[l0] - 2) * outer_cycles
    p = 2
    outer = 1
    for k in range(l0):
        if classes[k, 0] >= 0:
            steps = (bound[k] - 1) * outer
            prev_t[p] = k
            cur_t[p] = l0
            mult[p] = steps
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
def _partition(coef, dim, bound, kind, c, ext):
    """Distinct words in the union of an instance's tiles over the run, or -1 when no closed form applies.

    With every rank over one dimension (and each dimension in one rank), tile positions form a grid of
    non-overlapping boxes: the product over ranks of (positions along it x extent).
    """
    n_ranks, n_dims = coef.shape
    rank_dim = np.full(n_ranks, -1, dtype=np.int64)
    dim_used = np.zeros(n_dims, dtype=np.bool_)
    for r in range(n_ranks):
        for d in range(n_dims):
            if coef[r, d] != 0:
                if rank_dim[r] >= 0 or dim_used[d]:
                    return -1
                rank_dim[r] = d
                dim_used[d] = True
    total = 1
    for r in range(n_ranks):
        positions = 1
        if rank_dim[r] >= 0:
            for k in range(c):
                if kind[k] == TEMPORAL and dim[k] == rank_dim[r]:
                    positions *= bound[k]
        total *= positions * ext[r]
    return total


@nb.njit(cache=True)
def analyze_one(coef_all, read_write, dim, bound, kind, level, cut, keep, multicast, reduction, forwarding,
                out, used):
    """Fill out[L, t, :] (READS..WORDS totals over used instances) and used[L] for one mapping.

    Returns 0, or 1 when a read-write tensor needs the enumerated partition (the caller falls back).
    """
    n = dim.shape[0]
    n_levels, n_tensors = cut.shape
    n_dims = coef_all.shape[2]
    suffix = _suffix_products(dim, bound, n_dims)
    stride = np.ones(n, dtype=np.int64)
    for k in range(n):
        stride[k] = suffix[k + 1, dim[k]]
    temporal_steps = 1
    for k in range(n):
        if kind[k] == TEMPORAL:
            temporal_steps *= bound[k]
    for lv in range(n_levels):
        u = 1
        for k in range(n):
            if kind[k] != TEMPORAL and level[k] < lv:
                u *= bound[k]
        used[lv] = u
    compute_used = 1
    for k in range(n):
        if kind[k] != TEMPORAL:
            compute_used *= bound[k]
    for lv in range(n_levels):
        for t in range(n_tensors):
            for o in range(N_OUT):
                out[lv, t, o] = 0
    status = 0
    classes = np.zeros((n, 3), dtype=np.int64)
    l0 = -1
    for t in range(n_tensors):
        coef = coef_all[t]
        ext = np.ones(coef.shape[0], dtype=np.int64)
        trans = np.zeros((n, coef.shape[0]), dtype=np.int64)
        rw = read_write[t]
        prev = -1
        for lv in range(n_levels + 1):
            is_compute = lv == n_levels
            if not is_compute and not keep[lv, t]:
                continue
            if is_compute:
                c = n
                f = temporal_steps
                part = 0
                inst = compute_used
            else:
                c = cut[lv, t]
                words = _tile_extents(coef, suffix, c, ext)
                f, l0 = _arrivals(coef, dim, bound, kind, stride, c, ext, words, classes, trans)
                part = 0
                if rw:
                    part = _partition(coef, dim, bound, kind, c, ext)
                    if part < 0:
                        status = 1
                        part = 0
                inst = used[lv]
                out[lv, t, WORDS] = words
            if prev >= 0:
                pc = cut[prev, t]
                n_parent = used[prev]
                n_child = inst // n_parent
                if rw:
                    per_parent = f * n_child
                    if reduction[prev]:
                        per_parent = f * _distinct_offsets(coef, dim, bound, kind, stride, pc, c)
                        out[prev, t, REDUCTIONS] += (f * n_child - per_parent) * n_parent
                    out[prev, t, UPDATES] += per_parent * n_parent
                else:
                    per_parent = f * n_child
                    if multicast[prev]:
                        per_parent = f * _distinct_offsets(coef, dim, bound, kind, stride, pc, c)
                    out[prev, t, READS] += per_parent * n_parent
                    if forwarding[prev] and not is_compute:
                        saved, moved = _forwarding(
                            coef, dim, bound, kind, stride, pc, c, ext, words, classes, trans, l0, multicast[prev]
                        )
                        out[prev, t, READS] -= saved * n_parent
                        out[prev, t, LINKS] += moved * n_parent
                        out[lv, t, READS] += moved * n_parent
                if not is_compute:
                    out[lv, t, FILLS] = (f - part) * inst
            if not is_compute and rw:
                # reads = updates - partition is applied once every child has reported (below).
                out[lv, t, READS] = -part * inst
            prev = lv
        if rw:
            for lv in range(n_levels):
                if keep[lv, t]:
                    out[lv, t, READS] += out[lv, t, UPDATES]
    return status


@nb.njit(cache=True, parallel=True)
def analyze_batch(coef_all, read_write, dim, bound, kind, level, cut, keep, multicast, reduction, forwarding):
    """analyze_one over a batch: dim/bound/kind/level (B, n), cut/keep (B, levels, tensors)."""
    b_count = dim.shape[0]
    n_levels, n_tensors = cut.shape[1], cut.shape[2]
    out = np.zeros((b_count, n_levels, n_tensors, N_OUT), dtype=np.int64)
    used = np.zeros((b_count, n_levels), dtype=np.int64)
    status = np.zeros(b_count, dtype=np.int64)
    for b in nb.prange(b_count):
        status[b] = analyze_one(
            coef_all, read_write, dim[b], bound[b], kind[b], level[b], cut[b], keep[b], multicast, reduction,
            forwarding, out[b], used[b],
        )
    return out, used, status
