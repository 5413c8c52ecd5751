"""Per layer and per SU, the best temporal unrolling for latency and for energy, found by the mapper with the
spatial unrolling fixed (COAC Fig. 8's second step, which the paper runs through ZigZag).

An SU is pinned through the mapper's constraints: the level that fans out to the PEs gets exact spatial factors.
A layer dimension D under an SU factor D_u runs in ceil(D / D_u) spatial passes (Eq. 2); we give each pass
ceil(D / passes) lanes and pad D to passes x lanes (the same cycles as Eq. 2's, the least idle work). A factor
on a dimension the layer lacks stays idle. The array is one row of N_PE PEs: COAC's SU is a factorisation of
N_PE (Eq. 1), not of a 2-D mesh, so any padded factor must fit.

With a `Checkpoint` every finished search is kept as it finishes (keyed by `task_key`, under
`results_fingerprint`), so a killed or interrupted table is resumed by searching only the rest.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING

import numpy as np

from loopscape.arch import Architecture
from loopscape.coac.su import WORKLOAD_DIM, SpatialUnrolling, effective_factors, layer_dims
from loopscape.energy import EnergyTable
from loopscape.errors import is_interrupt
from loopscape.interrupts import NewChildren, ctrl_c_held
from loopscape.mapping import Constraints, LevelConstraint
from loopscape.workload import Workload
from loopscape.workload.networks import Network

if TYPE_CHECKING:
    from loopscape.io.checkpoint import Checkpoint

Progress = Callable[[int, int], None]
Task = tuple[Workload, tuple[tuple[str, int], ...]]  # (padded layer, pinned spatial factor per dimension)
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


class CostTableInterrupted(KeyboardInterrupt):
    """Ctrl-C while the cost table was built: `kept` of its `total` searches are in the checkpoint (0 without
    one). A KeyboardInterrupt, so callers that stop on Ctrl-C still do."""

    def __init__(self, kept: int, total: int) -> None:
        super().__init__(f"{kept} of {total} layer searches kept")
        self.kept, self.total = kept, total


def _canonical(value: object) -> object:
    """`value` as plain JSON-able data that is the same in every process: dataclasses as dicts, sets and
    frozensets sorted (their iteration order follows the string hash, which differs from run to run)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value) if f.compare}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def task_key(task: Task) -> str:
    """A stable string naming one search: the padded layer's shape (every compared field but its name) and
    the pinned factors; the key of its result in a checkpoint."""
    wl, factors = task
    shape = _canonical(wl)
    del shape["name"]
    return json.dumps([shape, _canonical(factors)], sort_keys=True, separators=(",", ":"), default=repr)


def results_fingerprint(arch: Architecture, energy: EnergyTable, effort: TemporalSearch) -> str:
    """What every search's result depends on besides its task: the architecture, the energy table, the
    search effort and loopscape's version (a checkpoint written under another is refused)."""
    from loopscape import __version__
    from loopscape.io.checkpoint import fingerprint

    return fingerprint("coac.cost_table", __version__, *(_canonical(x) for x in (arch, energy, effort)))


_WORKER: dict = {}


def _watch_parent(parent: int) -> None:
    """End this worker when its parent is gone (killed with -9: nothing else would stop it)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _init(
    arch: Architecture,
    energy: EnergyTable,
    effort: TemporalSearch,
    threads: int | None = None,
    parent: int | None = None,
) -> None:
    """A worker's state; one process per core runs the model's kernel on one thread (no oversubscription).
    A pool worker ignores Ctrl-C (the parent stops the pool) and exits when its parent dies."""
    if threads is not None:
        import numba

        numba.set_num_threads(threads)
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    _WORKER.update(arch=arch, energy=energy, effort=effort)


def _run(task: Task) -> np.ndarray:
    return best_temporal(_WORKER["arch"], _WORKER["energy"], task[0], task[1], _WORKER["effort"])


def _run_chunk(tasks: list[Task]) -> list[np.ndarray]:
    return [_run(t) for t in tasks]


def mac_layers(
    networks: Sequence[Network],
) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, list[Workload]]:
    """The networks' names, their MAC layers' names ('network:layer'), each layer's network index, and the
    layers: the rows of a cost table."""
    names = tuple(net.name for net in networks)
    rows = [(n, wl) for n, net in enumerate(networks) for wl in net.layers if wl.op == "mac"]
    labels = tuple(f"{networks[n].name}:{wl.name}" for n, wl in rows)
    return names, labels, np.array([n for n, _ in rows], dtype=np.int64), [wl for _, wl in rows]


@dataclass
class _Searches:
    """The distinct searches of one table and their results as they come (from a checkpoint or a search)."""

    todo: list[Task]
    checkpoint: Checkpoint | None
    progress: Progress | None
    results: list[np.ndarray | None] = dataclasses.field(init=False)
    keys: list[str] = dataclasses.field(init=False)
    done: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        self.results = [None] * len(self.todo)
        self.keys = [task_key(t) for t in self.todo] if self.checkpoint is not None else []
        if self.checkpoint is not None:
            for i, key in enumerate(self.keys):
                kept = self.checkpoint.get(key)
                if kept is not None:
                    self.results[i] = np.array(kept, dtype=np.float64)
        self.done = len(self.todo) - len(self.pending())
        self.report()

    def pending(self) -> list[int]:
        return [i for i, r in enumerate(self.results) if r is None]

    def finish(self, i: int, result: np.ndarray) -> None:
        """Keep one finished search (committed to the checkpoint first)."""
        if self.results[i] is not None:
            return
        if self.checkpoint is not None:
            self.checkpoint.put(self.keys[i], result.tolist())
        self.results[i] = result
        self.done += 1
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            self.progress(self.done, len(self.todo))

    def kept(self) -> int:
        """How many of the searches the checkpoint holds."""
        if self.checkpoint is None:
            return 0
        return sum(key in self.checkpoint for key in self.keys)


def _search_in_pool(
    searches: _Searches,
    arch: Architecture,
    energy: EnergyTable,
    effort: TemporalSearch,
    workers: int,
) -> None:
    """The pending searches on `workers` processes, in small chunks kept as each chunk finishes. On any
    exception (Ctrl-C included) the queued chunks are cancelled and the running ones finished and kept
    before the exception goes on; a second Ctrl-C meanwhile kills the workers (a cold start compiles the
    model's kernels in each: finishing a chunk can take half a minute)."""
    pending = searches.pending()
    chunk = max(1, min(16, len(pending) // (workers * 8)))
    children = NewChildren()
    ex = ProcessPoolExecutor(
        workers, get_context("fork"), initializer=_init, initargs=(arch, energy, effort, 1, os.getpid())
    )
    chunks = [pending[s : s + chunk] for s in range(0, len(pending), chunk)]
    futures: dict[Future, list[int]] = {}
    try:
        with ctrl_c_held():  # the first submit forks the workers and starts the pool's thread
            futures[ex.submit(_run_chunk, [searches.todo[i] for i in chunks[0]])] = chunks[0]
        for rows in chunks[1:]:
            futures[ex.submit(_run_chunk, [searches.todo[i] for i in rows])] = rows
        for fut in as_completed(futures):
            for i, r in zip(futures[fut], fut.result()):
                searches.finish(i, r)
    except BaseException:
        ex.shutdown(wait=False, cancel_futures=True)
        under_way = [fut for fut in futures if not fut.cancel()]  # (wait() never sees a cancelled one end)
        try:
            wait(under_way)
        except KeyboardInterrupt:
            children.kill()
        for fut, rows in futures.items():
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                for i, r in zip(rows, fut.result()):
                    searches.finish(i, r)
        raise
    finally:
        ex.shutdown(wait=True)


def cost_table(
    networks: Sequence[Network],
    sus: Sequence[SpatialUnrolling],
    arch: Architecture | None = None,
    energy: EnergyTable | None = None,
    effort: TemporalSearch = TemporalSearch(),
    workers: int | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> CostTable:
    """Search every MAC layer of `networks` under every SU (one search per distinct padded shape and pinned
    factors), on `workers` processes (None: every core). Pooling and element-wise layers are left out: COAC
    unrolls the MAC loops.

    With a `checkpoint` (opened under `results_fingerprint(arch, energy, effort)`) each search is kept as it
    finishes and searches already kept are not run again; `progress(done, total)` is first called with the
    number found there. Ctrl-C raises CostTableInterrupted (`is_interrupt`)."""
    started = time.perf_counter()
    pes = sus[0].pes
    arch = arch or coac_architecture(pes)
    if energy is None:
        from loopscape.energy.defaults import default_table

        energy = default_table(arch)
    names, layer_names, owner, layers = mac_layers(networks)
    tasks: dict[Task, int] = {}
    keys = [[tasks.setdefault(pinned(wl, su), len(tasks)) for su in sus] for wl in layers]
    searches = _Searches(list(tasks), checkpoint, progress)
    workers = workers or os.cpu_count() or 1
    try:
        if workers <= 1 or len(searches.pending()) < 8:
            _init(arch, energy, effort)
            for i in searches.pending():
                searches.finish(i, _run(searches.todo[i]))
        else:
            _search_in_pool(searches, arch, energy, effort, workers)
    except (KeyboardInterrupt, SystemError) as e:
        if not is_interrupt(e):
            raise
        raise CostTableInterrupted(searches.kept(), len(searches.todo)) from None
    table = np.stack(searches.results)[np.array(keys, dtype=np.int64)]
    return CostTable(
        networks=names,
        layers=layer_names,
        network_of=owner,
        sus=tuple(sus),
        points=table,
        searches=len(searches.todo),
        seconds=time.perf_counter() - started,
    )
