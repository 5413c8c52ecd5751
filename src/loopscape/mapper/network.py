"""Network-level mapping: every layer through the mapper, with one search per distinct layer shape.

Layers whose shapes are identical (dimensions, bounds, tensor projections: everything but the name) share
one search and its best mapping; totals add the layers up (they run one after another). With a checkpoint,
every finished layer is kept as it finishes and a re-run takes the kept layers instead of searching them again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import LoopscapeError, SpecError, is_interrupt
from loopscape.interrupts import ctrl_c_held
from loopscape.io.checkpoint import Checkpoint, CheckpointError, fingerprint
from loopscape.mapper.mapspace import Mapspace
from loopscape.mapper.search import OBJECTIVES, SearchResult, search
from loopscape.mapping import PRESETS, Constraints, Loop, Mapping
from loopscape.model.costs import area_by_level
from loopscape.model.evaluate import evaluate
from loopscape.model.result import Result
from loopscape.workload import Workload
from loopscape.workload.networks import Network

# The search per distinct layer shape is the mapper's default (`search.search`: a sample of LOMA's mappings
# seeds the local search, which LOMA's allocators refine when it stalls), tuned for many layers: LOMA over the
# best spatial unrolling only and SEED_ORDERS loop orders of it, then batches of BATCH neighbours of the best so
# far, until PATIENCE mappings (or a sixth of a larger budget) bring no improvement or DEFAULT_BUDGET are spent.
# Measured on Eyeriss (2 cores, `loopscape network eyeriss ...`): ResNet-50 (24 shapes) 18 s wall, AlexNet
# 5.4 s; allocating every LOMA order instead (5,040 for a grouped conv, in Python) took AlexNet 31 s for an EDP
# only 0.7% lower.
DEFAULT_BUDGET = 100_000
BATCH = 2048
PATIENCE = 16_000
LOMA_SPATIAL = 1  # spatial unrollings LOMA allocates (loma_points' `spatial`)
SEED_ORDERS = 60  # LOMA loop orders allocated per spatial unrolling (search's `seed_orders`)

Progress = Callable[[int, int, str], None]


def search_layer(
    arch: Architecture,
    workload: Workload,
    energy: EnergyTable,
    objective: str,
    constraints: Constraints | None,
    budget: int,
    seconds: float | None,
    seed: int,
) -> SearchResult:
    """The one place a network layer is searched (swap the search here): the mapper's default search (a sample
    of LOMA's mappings, always evaluated whatever the budget, seeding the local search)."""
    space = Mapspace(arch, workload, constraints=constraints)
    return search(
        arch, workload, energy, objective, budget=budget, seconds=seconds, seed=seed, mapspace=space,
        patience=max(PATIENCE, budget // 6), spatial=LOMA_SPATIAL, seed_orders=SEED_ORDERS, batch_size=BATCH,
    )  # fmt: skip


def _search(arch: Architecture, network: Network, wl: Workload, energy: EnergyTable, objective: str,
            preset: str | None, budget: int, seconds: float | None, seed: int) -> SearchResult:  # fmt: skip
    """One layer's search, its errors naming the network and the layer."""
    try:
        # a dataflow preset constrains MAC layers; pooling, element-wise and activation layers map freely
        constraints = PRESETS[preset](arch, wl) if preset and wl.op == "mac" else None
        return search_layer(arch, wl, energy, objective, constraints, budget, seconds, seed)
    except SpecError as e:
        raise e.under(f"{network.name}[{wl.name}]") from None
    except LoopscapeError as e:
        raise LoopscapeError(f"{network.name} layer {wl.name}: {e}") from None


def shape_key(workload: Workload) -> Workload:
    """The layer's shape: the workload with its name blanked (equal for layers that map identically)."""
    return dataclasses.replace(workload, name="")


def shape_text(workload: Workload) -> str:
    """A short shape summary, e.g. 'K64 C3 P112 Q112 R7 S7 /2' (bounds of 1 and N=1 left out)."""
    parts = [f"{d}{b}" for d, b in zip(workload.dims, workload.bounds) if b > 1]
    strides = sorted(
        {c for t in workload.tensors for rank in t.ranks for d, c in rank if len(rank) > 1 and c > 1}
    )
    return " ".join(parts + [f"/{s}" for s in strides]) or "1"


@dataclass(frozen=True)
class LayerResult:
    """One layer's best mapping and its evaluation; `reused` when an earlier layer of the same shape was
    searched and its mapping taken over."""

    name: str
    workload: Workload
    mapping: Mapping
    result: Result
    reused: bool
    evaluated: int  # mappings the search evaluated (0 when reused)
    seconds: float

    @property
    def shape(self) -> dict[str, int]:
        return dict(zip(self.workload.dims, self.workload.bounds))

    @property
    def energy_pj(self) -> float:
        return self.result.energy_pj

    @property
    def cycles(self) -> int:
        return self.result.cycles

    @property
    def utilization(self) -> float:
        return self.result.utilization

    @property
    def ops(self) -> int:
        """Operations of the layer, whatever their kind."""
        return self.workload.operations

    @property
    def macs(self) -> int:
        """Multiply-accumulates (0 for pooling, element-wise and activation layers, whose ops are not MACs)."""
        return self.workload.operations if self.workload.op == "mac" else 0


def network_fingerprint(arch: Architecture, energy: EnergyTable, network: Network, objective: str,
                        preset: str | None, budget: int, seconds_per_layer: float | None, seed: int) -> str:  # fmt: skip
    """What a network mapping's layers depend on (its checkpoint's fingerprint): the architecture, the energy
    table, the layers, the search settings and the loopscape version."""
    from loopscape import __version__

    return fingerprint(__version__, "network", arch, energy, network.layers, objective, preset, budget,
                       seconds_per_layer, seed)  # fmt: skip


def _unit(i: int, workload: Workload) -> str:
    """The checkpoint key of the network's i-th layer."""
    return f"{i}:{workload.name}"


def kept_layers(network: Network, checkpoint: Checkpoint) -> int:
    """How many of the network's layers `checkpoint` holds (what a re-run will not search again)."""
    return sum(_unit(i, wl) in checkpoint for i, wl in enumerate(network.layers))


def mapping_to_json(mapping: Mapping) -> dict[str, Any]:
    """The mapping exactly (loops in order, keep sets, cuts) as JSON, for a checkpoint."""
    return {
        "loops": [[lp.dim, lp.bound, lp.kind, lp.level] for lp in mapping.loops],
        "keep": [sorted(k) for k in mapping.keep],
        "cuts": [list(c) for c in mapping.cuts],
    }


def mapping_from_json(doc: dict[str, Any]) -> Mapping:
    """The mapping `mapping_to_json` wrote."""
    return Mapping(
        loops=tuple(Loop(str(d), int(b), str(k), int(lv)) for d, b, k, lv in doc["loops"]),
        keep=tuple(frozenset(k) for k in doc["keep"]),
        cuts=tuple((int(lv), str(t), int(pos)) for lv, t, pos in doc["cuts"]),
    )


def _restore(arch: Architecture, workload: Workload, energy: EnergyTable, doc: dict[str, Any]) -> LayerResult:
    """A searched layer kept in a checkpoint, its mapping evaluated again (as the search's own result was)."""
    try:
        mapping = mapping_from_json(doc["mapping"])
        evaluated, seconds = int(doc["evaluated"]), float(doc["seconds"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(
            f"layer {workload.name}: a checkpoint record that is not readable ({e!r})"
        ) from None
    result = evaluate(arch, workload, mapping, energy)
    return LayerResult(workload.name, workload, mapping, result, False, evaluated, seconds)


@dataclass(frozen=True)
class NetworkResult:
    """Every layer's result in network order, and the network's totals (layers run one after another)."""

    network: str
    arch: Architecture
    objective: str
    preset: str | None
    layers: tuple[LayerResult, ...]
    seconds: float
    source: str = ""
    area_um2_by_level: dict[str, float] = field(default_factory=dict)  # the architecture's area, by level
    interrupted: bool = False  # stopped by Ctrl-C: `layers` are those finished

    @property
    def architecture(self) -> str:
        return self.arch.name

    @property
    def energy_pj(self) -> float:
        return sum(lr.energy_pj for lr in self.layers)

    @property
    def cycles(self) -> int:
        return sum(lr.cycles for lr in self.layers)

    @property
    def macs(self) -> int:
        return sum(lr.macs for lr in self.layers)

    @property
    def ops(self) -> int:
        return sum(lr.ops for lr in self.layers)

    @property
    def utilization(self) -> float:
        """Useful operations over the compute slots of the whole run (all compute units, every cycle)."""
        return self.ops / (self.cycles * self.arch.compute.instances)

    @property
    def distinct_shapes(self) -> int:
        return sum(not lr.reused for lr in self.layers)

    @property
    def evaluated(self) -> int:
        return sum(lr.evaluated for lr in self.layers)

    def totals(self) -> dict[str, Any]:
        return {
            "layers": len(self.layers),
            "distinct_shapes": self.distinct_shapes,
            "macs": self.macs,
            "ops": self.ops,
            "energy_pj": self.energy_pj,
            "cycles": self.cycles,
            "utilization": self.utilization,
            "pj_per_mac": self.energy_pj / self.macs if self.macs else None,
            "edp": self.energy_pj * self.cycles,
            "evaluated": self.evaluated,
            "seconds": self.seconds,
        }

    def to_json(self) -> dict[str, Any]:
        """Each layer in the single-layer commands' Result layout plus its name, shape, reuse and mapping."""
        from loopscape.io.native import mapping_to_native

        layers = []
        for lr in self.layers:
            layers.append(
                {
                    "name": lr.name,
                    "shape": lr.shape,
                    "reused": lr.reused,
                    **lr.result.to_json(),
                    "mapping": mapping_to_native(lr.mapping, self.arch, lr.workload),
                    "loop_nest": lr.mapping.loop_nest_text([lv.name for lv in self.arch.levels]),
                    "search": {"evaluated": lr.evaluated, "seconds": lr.seconds},
                }
            )
        return {
            "network": self.network,
            "source": self.source,
            "architecture": self.architecture,
            "objective": self.objective,
            "preset": self.preset,
            "layers": layers,
            "totals": self.totals(),
            "area_um2_by_level": self.area_um2_by_level,
            **({"interrupted": True} if self.interrupted else {}),
        }


def map_network(
    arch: Architecture,
    network: Network,
    energy: EnergyTable | None = None,
    objective: str = "edp",
    preset: str | None = None,
    seed: int = 0,
    budget: int | None = None,
    seconds_per_layer: float | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> NetworkResult:
    """Map every layer of `network` on `arch`: one search per distinct shape, of `budget` mappings (None:
    DEFAULT_BUDGET) or `seconds_per_layer`, each seeded with `seed`. `progress(done, total, name)` is
    called before each layer with its name and once at the end with name ''. `checkpoint` (opened under
    `network_fingerprint`) gets every layer as it finishes; the layers it already holds are not searched."""
    if objective not in OBJECTIVES:
        raise SpecError("objective", objective, f"one of {list(OBJECTIVES)}")
    if preset is not None and preset not in PRESETS:
        raise SpecError("preset", preset, f"one of {sorted(PRESETS)}")
    if energy is None:
        from loopscape.energy.defaults import default_table

        energy = default_table(arch)
    budget = DEFAULT_BUDGET if budget is None else budget
    started = time.perf_counter()
    cache: dict[tuple[Workload, str, str | None], LayerResult] = {}  # the layer searched for each shape
    rows: list[LayerResult] = []
    n = len(network.layers)
    interrupted = False
    try:
        for i, wl in enumerate(network.layers):
            if progress is not None:
                progress(i, n, wl.name)
            key = (shape_key(wl), objective, preset)
            first = cache.get(key)
            kept = checkpoint.get(_unit(i, wl)) if checkpoint is not None else None
            if first is not None:
                row = dataclasses.replace(
                    first, name=wl.name, workload=wl, reused=True, evaluated=0, seconds=0.0
                )
            elif kept is not None and not kept.get("reused"):
                row = cache[key] = _restore(arch, wl, energy, kept)
            else:
                found = _search(arch, network, wl, energy, objective, preset, budget, seconds_per_layer, seed)
                row = cache[key] = LayerResult(
                    wl.name, wl, found.mapping, found.result, False, found.evaluated, found.seconds
                )
            with ctrl_c_held():  # a layer reported finished is a layer kept, and the other way round
                if checkpoint is not None and kept is None:
                    checkpoint.put(
                        _unit(i, wl),
                        {"reused": row.reused, "evaluated": row.evaluated, "seconds": row.seconds,
                         "mapping": mapping_to_json(row.mapping)},
                    )  # fmt: skip
                rows.append(row)
    except (KeyboardInterrupt, SystemError) as e:  # Ctrl-C: keep the layers finished so far (if any)
        if not rows or not is_interrupt(e):
            raise
        interrupted = True
    if progress is not None and not interrupted:
        progress(n, n, "")
    return NetworkResult(
        network=network.name,
        arch=arch,
        objective=objective,
        preset=preset,
        layers=tuple(rows),
        seconds=time.perf_counter() - started,
        source=network.source,
        area_um2_by_level=area_by_level(arch, energy),
        interrupted=interrupted,
    )
