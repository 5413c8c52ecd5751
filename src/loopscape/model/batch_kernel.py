"""The mapper's inner loop: even mappings given as per-level factors and orders, evaluated end to end in one
compiled kernel that releases the GIL (model.batch runs it on several threads; the nest is built, analysed and
costed per mapping without leaving compiled code)."""

from __future__ import annotations

import numba as nb
import numpy as np

from loopscape.model.codes import N_OUT, SPATIAL_X, TEMPORAL, WORDS
from loopscape.model.cost_kernels import compute_energy, energy_terms, level_cycles
from loopscape.model.tile_analysis import _analyze_compact_inline, _scratch


@nb.njit(cache=True, nogil=True)
def evaluate_template_batch(
    coef_all,
    coef_t_all,
    dim_rank_all,
    rank_mask,
    simple,
    read_write,
    bounds,
    temporal,
    order,
    spatial_x,
    spatial_y,
    keep,
    shift,
    multicast,
    reduction,
    forwarding,
    extrapolate,
    fanout_x,
    fanout_y,
    entries,
    block,
    ert,
    compute_pj,
    compute_instances,
    read_bw,
    write_bw,
    shared_bw,
    hop_pj,
    ert_gated,
    nonzero,
    compute_gated_pj,
    compute_gating,
    operand_density,
    keep_counts,
):
    """The mapper's inner loop: even mappings given as per-level factors and orders, evaluated end to end.

    shift (B, levels, tensors) moves each (level, tensor) cut by that many loops of the compact nest from the
    level's first loop (0: the even mapping; negative: up into the level above's temporal loops; positive: down
    into the level's own temporal loops), ZigZag's uneven mappings. A cut outside the span `validate_mapping`
    allows (below the fan-outs above the level, above its own fan-out, not above the cut of an outer level
    keeping the tensor) makes the mapping invalid.

    Returns cycles, energy (pJ), valid (factors cover the bounds, fan-outs fit, tiles fit, cuts in place),
    status and, when keep_counts, the counts (B, levels, tensors, N_OUT) (else an empty array).
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
    for ch in range(n_chunks):
        suffix, stride, classes, trans, ranks, dims = _scratch(n_max, n_dims, coef_all.shape[1])
        cd = np.empty(n_max, dtype=np.int64)
        cb = np.empty(n_max, dtype=np.int64)
        ck = np.empty(n_max, dtype=np.int64)
        cl = np.empty(n_max, dtype=np.int64)
        cc = np.empty((n_levels, n_tensors), dtype=np.int64)
        out = np.empty((n_levels, n_tensors, N_OUT), dtype=np.int64)
        hops = np.empty((n_levels, n_tensors), dtype=np.float64)
        used = np.empty(n_levels, dtype=np.int64)
        terms = np.empty((n_levels, n_tensors, 3), dtype=np.float64)
        lcyc = np.empty(n_levels, dtype=np.int64)
        padded = np.empty(n_dims, dtype=np.int64)
        lo_pos = np.empty(n_levels, dtype=np.int64)
        hi_pos = np.empty(n_levels, dtype=np.int64)
        start = np.empty(n_levels, dtype=np.int64)
        for b in range(ch * b_count // n_chunks, (ch + 1) * b_count // n_chunks):
            # Build the compact nest: per level, temporal loops in order, then spatial X, then spatial Y.
            n = 0
            ok = True
            last_spatial_end = 0  # position after the last spatial loop so far
            for d in range(n_dims):
                padded[d] = 1
            for lv in range(n_levels):
                start[lv] = n
                for t in range(n_tensors):
                    cc[lv, t] = n + shift[b, lv, t]
                lo_pos[lv] = last_spatial_end
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
                hi_pos[lv] = n_max + 1  # no spatial loop at this level: no bound from it
                spatial_here = 0
                for k in range(n - 1, -1, -1):
                    if cl[k] != lv or ck[k] == TEMPORAL:
                        break
                    spatial_here += 1
                if spatial_here > 0:
                    hi_pos[lv] = n - spatial_here
                    last_spatial_end = n
                if fx > fanout_x[lv] or fy > fanout_y[lv]:
                    ok = False
            bound_below = n  # a cut lies at or above the first spatial loop at its level or deeper
            for lv in range(n_levels - 1, -1, -1):
                bound_below = min(bound_below, hi_pos[lv])
                hi_pos[lv] = bound_below
            for t in range(n_tensors):
                prev = 0
                for lv in range(n_levels):
                    if not keep[b, lv, t]:
                        continue
                    c = cc[lv, t]
                    if c < lo_pos[lv] or c > hi_pos[lv] or c < prev or (lv == 0 and c != 0):
                        ok = False
                    prev = c
            macs = 1
            for d in range(n_dims):
                if padded[d] < bounds[d]:
                    ok = False
                macs *= padded[d]
            if not ok:  # a fan-out, a factor or a cut out of place: no counts are defined; skip the analysis
                continue
            status[b] = _analyze_compact_inline(
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
                out,
                hops,
                used,
                suffix,
                stride,
                classes,
                trans,
                ranks,
                dims,
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
                total = max(total, lcyc[lv])
            energy_terms(out, used, block, ert, ert_gated, nonzero, terms)
            e = 0.0
            for lv in range(n_levels):
                for t in range(n_tensors):
                    for a in range(3):
                        e += terms[lv, t, a]
            for lv in range(n_levels):
                for t in range(n_tensors):
                    e += hops[lv, t] * hop_pj[lv]
            cycles[b] = total
            energy[b] = e + compute_energy(
                macs, compute_pj, compute_gated_pj, compute_gating, operand_density
            )
            valid[b] = ok
            if keep_counts:
                counts[b] = out
    return cycles, energy, valid, status, counts
