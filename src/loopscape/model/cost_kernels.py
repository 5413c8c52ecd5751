"""Compiled cost functions shared by `evaluate` and the batch kernel: energy terms and throughput cycles."""

from __future__ import annotations

import numba as nb
import numpy as np

from loopscape.model.codes import FILLS, READS, UPDATES


@nb.njit(cache=True)
def energy_terms(out, used, block, ert, ert_gated, nonzero, terms):
    """terms[L, t, a] = pJ of action a (read, fill, update) of tensor t at level L.

    Vector accesses per instance = ceil(ceil(scalar total / used) / block size), in integers; times the used
    instances and the ERT energy of one vector access. Where the level gates the tensor, the fraction
    1 - nonzero[L, t] of them is gated and costs the gated energy instead.
    """
    n_levels, n_tensors = out.shape[0], out.shape[1]
    for lv in range(n_levels):
        u = max(used[lv], 1)
        blk = block[lv]
        for t in range(n_tensors):
            for a in range(3):
                scalar = out[lv, t, a]
                if scalar <= 0:
                    terms[lv, t, a] = 0.0
                    continue
                per_instance = scalar if u == 1 else (scalar + u - 1) // u
                vectors = per_instance if blk == 1 else (per_instance + blk - 1) // blk
                pj = ert[lv, a]
                p = nonzero[lv, t]
                if p < 1.0:
                    pj = p * ert[lv, a] + (1.0 - p) * ert_gated[lv, a]
                terms[lv, t, a] = float(vectors * u) * pj


@nb.njit(cache=True)
def compute_energy(macs, pj, gated_pj, gating, operand_density):
    """pJ of the operations: with gating, those with a zero operand (1 - product of operand densities) cost
    the gated energy."""
    if gating and operand_density < 1.0:
        return macs * (operand_density * pj + (1.0 - operand_density) * gated_pj)
    return macs * pj


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
