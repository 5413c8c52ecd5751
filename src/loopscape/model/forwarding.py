"""Neighbour forwarding (Timeloop's link transfers) in closed form over time, enumerated over instances."""

from __future__ import annotations

import numba as nb
import numpy as np

from loopscape.model.codes import SPATIAL_X, TEMPORAL
from loopscape.model.hops import count_groups, num_hops, offset_keys


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
def forwarding_savings(
    coef, dim, bound, kind, stride, lo, hi, ext, words, classes, trans, l0, multicast, extrapolate
):
    """Per parent instance over the run: (parent reads saved, words link-transferred, change in word-hops).

    A child's delta is taken from a mesh neighbour when it equals the neighbour's delta of the previous step
    (docs/semantics.md). Steps come in (previous type, type) pairs with known multiplicities: the first step
    follows the initial fill; every step of an outer loop j follows an l0 step and is followed by one; the
    other l0 steps follow l0 steps. Each pair is analysed once over the enumerated child instances.
    """
    n_ranks = coef.shape[0]
    if l0 < 0:
        return 0, 0, 0.0
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
        return 0, 0, 0.0
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
    keys = offset_keys(offs)  # equal offsets: one multicast group
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
    hop_change = 0.0
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
            a0, h0 = _groups(keys, lt_flag, False, n_inst)
            a1, h1 = _groups(keys, lt_flag, True, n_inst)
        else:
            a0 = n_inst
            a1 = n_inst - n_lt
            h0 = a0 * num_hops(1, n_inst)
            h1 = a1 * num_hops(1, n_inst)
        if a1 < a0:
            saved += mult[p] * (a0 - a1) * size
            moved += mult[p] * n_lt * size
            hop_change += mult[p] * size * (h1 - h0 + n_lt)  # one hop per link-transferred word
    return saved, moved, hop_change


@nb.njit(cache=True)
def _groups(keys, flag, skip_flagged, n):
    """(distinct keys, sum over them of num_hops(entries with that key, n)), among all or the unflagged entries."""
    sel = np.empty(keys.shape[0], dtype=np.int64)
    m = 0
    for i in range(keys.shape[0]):
        if not (skip_flagged and flag[i]):
            sel[m] = keys[i]
            m += 1
    if m == 0:
        return 0, 0.0
    return count_groups(np.sort(sel[:m]), m, 1, n)
