"""One design point: build its architecture, map every layer of every workload, and reduce to its metrics.

Each layer is searched with the mapper's default search (`mapper.search.search`) on a small budget, so a point
takes well under a second; the best mapping per (architecture, layer shape, preset, mapper options) is cached in
the process, so layers of equal shape, and points that share an architecture (other workloads, a resumed or a
repeated sweep in one process), are searched once. The search is seeded, so the result does not depend on the
process or the order the points are run in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from loopscape.arch import Architecture
from loopscape.dse.metrics import point_metrics
from loopscape.dse.points import DesignPoint
from loopscape.dse.spec import MapperOptions, SweepSpec
from loopscape.dse.template import build_architecture, preset_of
from loopscape.dse.workloads import workload_layers
from loopscape.errors import LoopscapeError
from loopscape.mapper.network import LayerResult, shape_key
from loopscape.mapping import Mapping
from loopscape.model.result import Result
from loopscape.workload import Workload

STATUS_OK = "ok"
STATUS_INFEASIBLE = "infeasible"
# Passes whose written tensor has a dimension in several ranks go through evaluate_batch's per-mapping
# fallback (milliseconds a mapping, `cli_train.needs_fallback`): their search gets at most this budget.
FALLBACK_BUDGET = 64
CACHE_SIZE = 4096  # cached layer searches per process


@dataclass(frozen=True)
class PointResult:
    """A finished design point: 'ok' with its metrics and per-layer results, or 'infeasible' with the reason."""

    id: str
    params: dict[str, Any]
    status: str
    error: str | None = None
    metrics: dict[str, float] | None = None
    layers: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class _Found:
    mapping: Mapping
    result: Result
    evaluated: int


_cache: OrderedDict[tuple, _Found] = OrderedDict()
_cache_lock = threading.Lock()  # Dask workers may run points in threads of one process


def clear_cache() -> None:
    """Forget every cached layer search of this process."""
    with _cache_lock:
        _cache.clear()


def _search_layer(
    arch: Architecture, wl: Workload, preset: str | None, opts: MapperOptions
) -> tuple[_Found, bool]:
    """The best mapping of `wl` on `arch` (cached); True when it came from the cache."""
    from loopscape.cli_train import needs_fallback
    from loopscape.energy.defaults import default_table
    from loopscape.mapper.mapspace import Mapspace
    from loopscape.mapper.search import search
    from loopscape.mapping import PRESETS

    key = (arch, shape_key(wl), preset if wl.op == "mac" else None, opts)
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found, True
    budget = min(opts.budget, FALLBACK_BUDGET) if needs_fallback(wl) else opts.budget
    constraints = PRESETS[preset](arch, wl) if preset and wl.op == "mac" else None
    space = Mapspace(arch, wl, constraints=constraints)
    r = search(
        arch, wl, default_table(arch), opts.objective, budget=budget, seed=opts.seed, mapspace=space,
        patience=budget, spatial=1, seed_orders=opts.seed_orders, batch_size=min(256, budget),
    )  # fmt: skip
    found = _Found(r.mapping, r.result, r.evaluated)
    with _cache_lock:
        _cache[key] = found
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return found, False


def evaluate_point(spec: SweepSpec, point: DesignPoint) -> PointResult:
    """Evaluate one design point of `spec`; a point the mapper cannot map is 'infeasible' with the reason."""
    from loopscape.io.native import mapping_to_native

    params = point.values
    try:
        arch = build_architecture(spec.template, params, spec.memory_pool)
        preset = preset_of(spec.template, params)
        forward_names = any(lv.keeps is not None for lv in arch.levels)
        runs: list[tuple[str, LayerResult]] = []
        for w in spec.workloads:
            for wl in workload_layers(w, forward_names):
                try:
                    found, reused = _search_layer(arch, wl, preset, spec.mapper)
                except LoopscapeError as e:
                    raise LoopscapeError(f"{w.label} layer {wl.name}: {e}") from None
                runs.append(
                    (
                        w.label,
                        LayerResult(wl.name, wl, found.mapping, found.result, reused, found.evaluated, 0.0),
                    )
                )
    except LoopscapeError as e:
        return PointResult(point.id, params, STATUS_INFEASIBLE, error=str(e))
    layers = tuple(
        {
            "workload": label,
            "layer": lr.name,
            "ops": lr.ops,
            "energy_pj": lr.energy_pj,
            "cycles": lr.cycles,
            "utilization": lr.utilization,
            "mapping": mapping_to_native(lr.mapping, arch, lr.workload),
        }
        for label, lr in runs
    )
    return PointResult(
        point.id, params, STATUS_OK, metrics=point_metrics(arch, [lr for _, lr in runs]), layers=layers
    )
