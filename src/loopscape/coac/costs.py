"""Per layer and per SU, the best temporal unrolling for latency and for energy, found by the mapper with the
spatial unrolling fixed (COAC Fig. 8's second step, which the paper runs through ZigZag).

An SU is pinned through the mapper's constraints: the level that fans out to the PEs gets exact spatial factors.
A layer dimension D under an SU factor D_u runs in ceil(D / D_u) spatial passes (Eq. 2); we give each pass
ceil(D / passes) lanes and pad D to passes x lanes (the same cycles as Eq. 2's, the least idle work). A factor
on a dimension the layer lacks stays idle. The array is one row of N_PE PEs: COAC's SU is a factorisation of
N_PE (Eq. 1), not of a 2-D mesh, so any padded factor must fit.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from loopscape.arch import Architecture
from loopscape.coac.su import WORKLOAD_DIM, SpatialUnrolling, effective_factors, layer_dims
from loopscape.energy import EnergyTable
from loopscape.mapping import Constraints, LevelConstraint
from loopscape.workload import Workload
from loopscape.workload.networks import Network

Progress = Callable[[int, int], None]
LATENCY, ENERGY = 0, 1  # which temporal unrolling: the latency-best or the energy-best
CYCLES, PJ = 0, 1


@dataclass(frozen=True)
class TemporalSearch:
    """The mapper's effort per (layer shape, SU): a seeded local search of `budget` mappings in batches of
    `batch`, walking towards the least energy; the latency-best point is the fastest of the energy-delay
    Pareto set of every mapping it evaluated."""

    budget: int = 3000
    batch: int = 500
    seed: int = 0


def coac_architecture(pes: int = 256, base: Architecture | None = None) -> Architecture:
    """COAC's case-study template (Sec. V-A, Evolver's memories; `arch.zoo.evolver`) with its PE array as one
    row of `pes` PEs, so that every SU of Eq. (1) maps onto it."""
    from loopscape.arch.zoo.evolver import evolver

    arch = base or evolver()
    levels = tuple(
        dataclasses.replace(lv, instances=pes, mesh_x=pes) if lv.instances > 1 else lv for lv in arch.levels
    )
    return dataclasses.replace(
        arch,
        name=f"{arch.name}-coac{pes}",
        levels=levels,
        compute=dataclasses.replace(arch.compute, instances=pes, mesh_x=pes),
    )


def fanout_level(arch: Architecture) -> str:
    """The storage level whose network fans out to the PEs (where the SU is pinned)."""
    fanning = [i for i in range(len(arch.levels)) if arch.fanout(i) != (1, 1)]
    if not fanning:
        from loopscape.errors import SpecError

        raise SpecError("architecture.levels", arch.name, "a level that fans out to a PE array")
    return arch.levels[fanning[-1]].name


def mirrored(su: SpatialUnrolling) -> SpatialUnrolling:
    """The SU with OX <-> OY and FX <-> FY swapped."""
    return dataclasses.replace(su, OX=su.OY, OY=su.OX, FX=su.FY, FY=su.FX)


def is_square(workload: Workload) -> bool:
    """A layer that its OX <-> OY, FX <-> FY mirror image leaves unchanged (equal sizes, strides and dilations),
    so an SU and its mirror image cost the same on it."""
    if not {"P", "Q", "R", "S"} <= set(workload.dims):
        return False
    if (workload.bound("P"), workload.bound("R")) != (workload.bound("Q"), workload.bound("S")):
        return False
    for t in workload.tensors:
        terms = {d: c for rank in t.ranks if len(rank) > 1 for d, c in rank}
        if terms and (terms.get("P"), terms.get("R")) != (terms.get("Q"), terms.get("S")):
            return False
    return True


def pinned(workload: Workload, su: SpatialUnrolling) -> tuple[Workload, tuple[tuple[str, int], ...]]:
    """The layer padded to whole spatial passes and its exact spatial factor per workload dimension (on a square
    layer, of whichever of the SU and its mirror image comes first: they cost the same)."""
    if is_square(workload):
        su = min(su, mirrored(su), key=lambda s: s.factors)
    eff = effective_factors(layer_dims(workload), su)
    by_wdim = {WORKLOAD_DIM[d]: s for d, s in eff.items()}
    bounds = []
    for dim, b in zip(workload.dims, workload.bounds):
        s = by_wdim.get(dim, 1)
        bounds.append(math.ceil(b / s) * s)
    padded = dataclasses.replace(workload, name="", bounds=tuple(bounds))
    return padded, tuple((dim, by_wdim.get(dim, 1)) for dim in workload.dims)


def best_temporal(
    arch: Architecture,
    energy: EnergyTable,
    workload: Workload,
    factors: tuple[tuple[str, int], ...],
    effort: TemporalSearch = TemporalSearch(),
) -> np.ndarray:
    """(2, 2) array: [latency-best, energy-best] x [cycles, pJ] of the padded `workload` with `factors` pinned."""
    from loopscape.mapper import Mapspace, local_search

    constraints = Constraints((LevelConstraint(fanout_level(arch), spatial_factors=factors),))
    space = Mapspace(arch, workload, constraints=constraints)
    found = local_search(
        arch, workload, energy, "energy,delay", budget=effort.budget, mapspace=space,
        batch_size=effort.batch, patience=effort.budget, seed=effort.seed,
    )  # fmt: skip
    fastest = min(found.pareto, key=lambda c: (c.cycles, c.energy_pj))
    return np.array(
        [[fastest.cycles, fastest.energy_pj], [found.result.cycles, found.result.energy_pj]], dtype=np.float64
    )


@dataclass(frozen=True)
class CostTable:
    """Per MAC layer of the networks (in order) and per SU: the latency-best and the energy-best temporal
    unrolling's (cycles, pJ): `points[layer, su, LATENCY|ENERGY, CYCLES|PJ]`."""

    networks: tuple[str, ...]
    layers: tuple[str, ...]
    network_of: np.ndarray  # (layers,) index into networks
    sus: tuple[SpatialUnrolling, ...]
    points: np.ndarray  # (layers, sus, 2, 2)
    searches: int  # distinct (layer shape, pinned factors) searched
    seconds: float

    def network(self, i: int) -> CostTable:
        """The rows of network i alone."""
        rows = np.nonzero(self.network_of == i)[0]
        return dataclasses.replace(
            self,
            networks=(self.networks[i],),
            layers=tuple(self.layers[r] for r in rows),
            network_of=np.zeros(rows.size, dtype=np.int64),
            points=self.points[rows],
        )

    def restrict(self, su_rows: Sequence[int]) -> CostTable:
        """The same layers with only the SUs at `su_rows`."""
        rows = list(su_rows)
        return dataclasses.replace(self, sus=tuple(self.sus[r] for r in rows), points=self.points[:, rows])


_WORKER: dict = {}


def _init(
    arch: Architecture, energy: EnergyTable, effort: TemporalSearch, threads: int | None = None
) -> None:
    """A worker's state; one process per core runs the model's kernel on one thread (no oversubscription)."""
    if threads is not None:
        import numba

        numba.set_num_threads(threads)
    _WORKER.update(arch=arch, energy=energy, effort=effort)


def _run(task: tuple[Workload, tuple[tuple[str, int], ...]]) -> np.ndarray:
    return best_temporal(_WORKER["arch"], _WORKER["energy"], task[0], task[1], _WORKER["effort"])


def mac_layers(
    networks: Sequence[Network],
) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, list[Workload]]:
    """The networks' names, their MAC layers' names ('network:layer'), each layer's network index, and the
    layers: the rows of a cost table."""
    names = tuple(net.name for net in networks)
    rows = [(n, wl) for n, net in enumerate(networks) for wl in net.layers if wl.op == "mac"]
    labels = tuple(f"{networks[n].name}:{wl.name}" for n, wl in rows)
    return names, labels, np.array([n for n, _ in rows], dtype=np.int64), [wl for _, wl in rows]


def cost_table(
    networks: Sequence[Network],
    sus: Sequence[SpatialUnrolling],
    arch: Architecture | None = None,
    energy: EnergyTable | None = None,
    effort: TemporalSearch = TemporalSearch(),
    workers: int | None = None,
    progress: Progress | None = None,
) -> CostTable:
    """Search every MAC layer of `networks` under every SU (one search per distinct padded shape and pinned
    factors), on `workers` processes (None: every core). Pooling and element-wise layers are left out: COAC
    unrolls the MAC loops."""
    started = time.perf_counter()
    pes = sus[0].pes
    arch = arch or coac_architecture(pes)
    if energy is None:
        from loopscape.energy.defaults import default_table

        energy = default_table(arch)
    names, layer_names, owner, layers = mac_layers(networks)
    tasks: dict[tuple, int] = {}
    keys = [[tasks.setdefault(pinned(wl, su), len(tasks)) for su in sus] for wl in layers]
    todo = list(tasks)
    results: list[np.ndarray] = [np.empty(0)] * len(todo)
    workers = workers or os.cpu_count() or 1
    if progress is not None:
        progress(0, len(todo))
    if workers <= 1 or len(todo) < 8:
        _init(arch, energy, effort)
        for i, task in enumerate(todo):
            results[i] = _run(task)
            if progress is not None:
                progress(i + 1, len(todo))
    else:
        with ProcessPoolExecutor(
            workers, get_context("fork"), initializer=_init, initargs=(arch, energy, effort, 1)
        ) as ex:
            chunk = max(1, min(64, len(todo) // (workers * 8)))
            for i, r in enumerate(ex.map(_run, todo, chunksize=chunk)):
                results[i] = r
                if progress is not None:
                    progress(i + 1, len(todo))
    table = np.stack(results)[np.array(keys, dtype=np.int64)]
    return CostTable(
        networks=names,
        layers=layer_names,
        network_of=owner,
        sus=tuple(sus),
        points=table,
        searches=len(todo),
        seconds=time.perf_counter() - started,
    )
