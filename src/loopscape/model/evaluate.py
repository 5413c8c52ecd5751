"""evaluate(arch, workload, mapping) -> Result: one mapping through the compiled analysis, with breakdowns."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import LoopscapeError
from loopscape.mapping import Mapping, validate_mapping
from loopscape.model.codes import FILLS, LINKS, N_OUT, READS, REDUCTIONS, UPDATES, WORDS
from loopscape.model.cost_kernels import compute_energy as compute_energy_pj
from loopscape.model.cost_kernels import energy_terms, level_cycles
from loopscape.model.costs import ACTIONS, level_params
from loopscape.model.counts import AccessCounts, NetworkAccess, TensorAccess
from loopscape.model.nest import NestArrays, ProblemArrays, nest_arrays, problem_arrays
from loopscape.model.result import LevelResult, Result
from loopscape.model.tile_analysis import analyze_batch
from loopscape.workload import Workload


def analyze(
    arch: Architecture,
    workload: Workload,
    nests: NestArrays,
    problem: ProblemArrays | None = None,
    exact: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Counts for a batch of flat nests: out (B, levels, tensors, N_OUT), network word-hops (B, levels,
    tensors), used (B, levels), status (B,).

    exact=False follows Timeloop's temporal extrapolation (docs/semantics.md); exact=True executes every step.
    """
    p = problem or problem_arrays(arch, workload)
    return analyze_batch(
        p.coef,
        p.coef_t,
        p.dim_rank,
        p.rank_mask,
        p.simple,
        p.read_write,
        nests.dim,
        nests.bound,
        nests.kind,
        nests.level,
        nests.cut,
        nests.keep,
        p.multicast,
        p.reduction,
        p.forwarding,
        not exact,
    )


ENUMERATION_LIMIT = 20_000_000
GRID_LIMIT = 200_000_000  # cells of the occupancy grid (bytes)
CHUNK_POINTS = 4_000_000  # points placed at once


def enumerated_partition(workload: Workload, mapping: Mapping, level: int, tensor: str) -> int:
    """Distinct words in the union of one instance's tiles over the run, by enumeration (general ranks): the
    tile's box in rank space (its bounding box: a dimension in several ranks makes the box hold words no
    operation touches) placed at every iteration of the temporal loops above the cut, counted on an
    occupancy grid (numpy; sorted point indices for a grid too large)."""
    a = workload.coefficients(tensor)
    c = mapping.cut(level, tensor)
    n_dims = len(workload.dims)
    strides, e = [], np.ones(n_dims, dtype=np.int64)
    for k, lp in enumerate(mapping.loops):
        d = workload.dim_index(lp.dim)
        strides.append(math.prod(q.bound for q in mapping.loops[k + 1 :] if q.dim == lp.dim))
        if k >= c:
            e[d] *= lp.bound
    ext = a @ (e - 1) + 1
    above = [k for k in range(c) if not mapping.loops[k].spatial and mapping.loops[k].bound > 1]
    work = math.prod(mapping.loops[k].bound for k in above) * int(np.prod(ext))
    if work > ENUMERATION_LIMIT:
        raise LoopscapeError(
            f"the partition of {tensor} at level {level} needs {work:,} points enumerated (a dimension appears in "
            f"several of its ranks); the limit is {ENUMERATION_LIMIT:,}"
        )
    base = np.zeros((1, n_dims), dtype=np.int64)  # every iteration above the cut, as dimension offsets
    for k in above:
        step = np.zeros(n_dims, dtype=np.int64)
        step[workload.dim_index(mapping.loops[k].dim)] = strides[k]
        steps = np.arange(mapping.loops[k].bound, dtype=np.int64)[:, None] * step
        base = (base[:, None, :] + steps[None, :, :]).reshape(-1, n_dims)
    corners = np.unique(base @ a.T, axis=0)  # each tile's lowest point in rank space
    corners -= corners.min(axis=0)
    size = corners.max(axis=0) + ext  # the grid that holds every point
    place = np.cumprod(np.concatenate(([1], size[::-1][:-1])))[::-1]  # row-major place values
    box = np.indices(tuple(int(x) for x in ext)).reshape(len(ext), -1).T @ place
    starts = corners @ place
    seen = np.zeros(int(np.prod(size)), dtype=np.bool_) if np.prod(size) <= GRID_LIMIT else None
    parts = []
    chunk = max(1, CHUNK_POINTS // box.size)
    for s in range(0, starts.size, chunk):
        points = (starts[s : s + chunk, None] + box[None, :]).ravel()
        if seen is not None:
            seen[points] = True
        else:
            parts.append(np.unique(points))
    return int(seen.sum()) if seen is not None else int(np.unique(np.concatenate(parts)).size)


def evaluate(
    arch: Architecture,
    workload: Workload,
    mapping: Mapping,
    energy: EnergyTable | None = None,
    check_capacity: bool = True,
    exact: bool = False,
) -> Result:
    """Counts, cycles, utilisation, energy and area of one mapping (raises MappingError if it is invalid).

    By default the counts are Timeloop's (its temporal extrapolation); exact=True executes every step.
    """
    report = validate_mapping(arch, workload, mapping, check_capacity=check_capacity)
    if energy is None:
        from loopscape.energy.defaults import default_table

        energy = default_table(arch)
    nests = nest_arrays(arch, workload, [mapping])
    problem = problem_arrays(arch, workload)
    out, hops, used, status = analyze(arch, workload, nests, problem, exact=exact)
    if status[0]:
        _fix_partitions(workload, mapping, out[0], used[0], len(arch.levels))
    result = assemble(
        arch, workload, mapping, energy, problem, out[0], hops[0], used[0], report.padded_bounds
    )
    return dataclasses.replace(result, padding=dict(report.padding))


def _fix_partitions(
    workload: Workload, mapping: Mapping, out: np.ndarray, used: np.ndarray, n_levels: int
) -> None:
    """Apply enumerated partitions where the closed form did not apply (read-write ranks over several dims)."""
    for j, t in enumerate(workload.tensors):
        if not t.read_write:
            continue
        first = True
        for lv in range(n_levels):
            if not mapping.keeps(lv, t.name):
                continue
            part = enumerated_partition(workload, mapping, lv, t.name) * used[lv]
            # never below zero, as in the kernel: the boxes may hold words no operation writes
            out[lv, j, READS] = max(0, out[lv, j, READS] - part)
            if not first:
                out[lv, j, FILLS] = max(0, out[lv, j, FILLS] - part)
            first = False


def assemble(
    arch: Architecture,
    workload: Workload,
    mapping: Mapping,
    energy: EnergyTable,
    problem: ProblemArrays,
    out: np.ndarray,
    hops: np.ndarray,
    used: np.ndarray,
    padded_bounds: tuple[int, ...],
) -> Result:
    """Build a Result from one mapping's count array."""
    assert out.shape[-1] == N_OUT
    names = workload.tensor_names
    macs = math.prod(padded_bounds)
    compute_cycles = mapping.temporal_steps
    levels_counts, networks = [], []
    for lv in range(len(arch.levels)):
        levels_counts.append(
            {
                t: TensorAccess(int(out[lv, j, READS]), int(out[lv, j, FILLS]), int(out[lv, j, UPDATES]))
                for j, t in enumerate(names)
                if mapping.keeps(lv, t)
            }
        )
        networks.append(
            {
                t: NetworkAccess(int(out[lv, j, LINKS]), int(out[lv, j, REDUCTIONS]), float(hops[lv, j]))
                for j, t in enumerate(names)
                if mapping.keeps(lv, t)
            }
        )
    counts = AccessCounts(
        macs=macs,
        compute_instances_used=mapping.used_compute,
        temporal_steps=compute_cycles,
        instances_used=tuple(int(u) for u in used),
        levels=tuple(levels_counts),
        networks=tuple(networks),
    )
    params = level_params(arch, energy, workload.op)
    lcycles = np.zeros(len(arch.levels), dtype=np.int64)
    level_cycles(out, used, compute_cycles, params.read_bw, params.write_bw, params.shared_bw, lcycles)
    cycles = int(max(compute_cycles, lcycles.max(initial=0)))
    e = np.zeros((len(arch.levels), len(names), 3), dtype=np.float64)
    energy_terms(out, used, params.block, params.ert, params.ert_gated, problem.nonzero, e)
    storage_total = 0.0
    for v in e.ravel():  # the order the batch kernel sums in, so totals agree to the last bit
        storage_total += float(v)
    network = hops * params.hop_pj[:, None]  # pJ per level and tensor on the network below the level
    for v in network.ravel():
        storage_total += float(v)
    compute_energy = compute_energy_pj(
        macs, params.compute_pj, params.compute_gated_pj, params.compute_gating, problem.operand_density
    )
    level_results = []
    for lv, level in enumerate(arch.levels):
        level_results.append(
            LevelResult(
                name=level.name,
                instances=int(used[lv]),
                cycles=int(lcycles[lv]),
                energy_pj={
                    t: {
                        **{name: float(e[lv, j, a]) for a, name in enumerate(ACTIONS)},
                        "network": float(network[lv, j]),
                    }
                    for j, t in enumerate(names)
                    if mapping.keeps(lv, t)
                },
                tile_words={t: int(out[lv, j, WORDS]) for j, t in enumerate(names) if mapping.keeps(lv, t)},
            )
        )
    total_energy = storage_total + compute_energy
    # Leakage is reported apart (Timeloop's totals are dynamic energy): idle energy per cycle x every instance.
    leakage = cycles * (
        sum(energy.leakage.get(lv.name, 0.0) * lv.instances for lv in arch.levels)
        + energy.leakage.get(arch.compute.name, 0.0) * arch.compute.instances
    )
    return Result(
        counts=counts,
        macs=macs,
        real_macs=workload.operations,
        compute_cycles=compute_cycles,
        cycles=cycles,
        utilization=workload.operations / (cycles * params.compute_instances),  # padding is not useful work
        energy_pj=total_energy,
        compute_energy_pj=compute_energy,
        area_um2=params.area_um2,
        leakage_pj=float(leakage),
        clock_ghz=float(arch.clock_ghz),
        levels=tuple(level_results),
        level_names=tuple(lv.name for lv in arch.levels),
    )
