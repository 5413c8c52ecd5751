"""Sweep specs: which architecture parameters vary over which values, the workloads and the mapper's budget.

```yaml
sweep:
  name: alexnet-45nm
  template: eyeriss                   # a built-in architecture the parameters are substituted into
  search: {method: grid}              # or {method: random, samples: 500, seed: 0}, or
                                      # {method: optuna, sampler: tpe | nsga2, samples: 200, seed: 0}
  parameters:                         # a list of values, one value, or a range {min, max, step | factor}
    pe_x: [8, 16, 32]
    pe_y: {min: 8, max: 32, factor: 2}
    word_bits: 16
    technology: 45nm
    preset: [row-stationary, weight-stationary]
    GBuf.size_kb: [32, 64, 128]       # LEVEL.KNOB: a storage level of the template (template.py)
    GBuf.read_bandwidth: [16, 64]
  workloads:
    - {network: alexnet}
    - {network: deepcaps, training: true}
    - {network: my_net.yaml, layers: [conv1, conv2]}   # a path is relative to the spec file
  mapper: {objective: edp, budget: 256, seed_orders: 4, seed: 0}
  memory_pool: {...}                  # optional: generated hierarchies become the parameter `hierarchy`
  objectives: [tops_per_mm2, fj_per_op]   # the default front of `loopscape pareto` (all metrics are stored)
```

Every failure is a SpecError naming the spec file and the path inside it (`sweep.parameters.pe_x[1]`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from loopscape.dse.memory_pool import MemoryPool, parse_memory_pool
from loopscape.dse.template import GLOBAL_KNOBS, LEVEL_KNOBS, check_value, template_levels
from loopscape.dse.workloads import WorkloadSpec, workload_layers
from loopscape.errors import SpecError
from loopscape.io.spec_yaml import (
    as_bool,
    as_int,
    as_str,
    as_str_list,
    check_keys,
    describe,
    expect_list,
    expect_map,
    get,
    join,
    load_yaml_file,
)

METHODS = ("grid", "random", "optuna")
SAMPLERS = ("tpe", "nsga2")
OBJECTIVES = ("edp", "energy", "delay")
MAX_RANGE_VALUES = 10_000
# The most points one sweep may run: days of work at ~0.1-1 s a point, and the grid's points are held in memory.
MAX_POINTS = 1_000_000
DEFAULT_OBJECTIVES = (
    "tops_per_mm2",
    "fj_per_op",
)  # XploreDL's Figs. 3 and 4  # a range longer than this is surely a typo


@dataclass(frozen=True)
class MapperOptions:
    """The per-layer mapping search of every design point (small, so a point takes well under a second)."""

    objective: str = "edp"
    budget: int = 256
    seed_orders: int = 4
    seed: int = 0


@dataclass(frozen=True)
class SearchOptions:
    """How design points are drawn from the parameter space: the whole grid, `samples` random points, or
    `samples` points proposed by an optuna `sampler` (tpe, nsga2) optimising the spec's objectives."""

    method: str = "grid"
    samples: int | None = None
    seed: int = 0
    sampler: str = "tpe"


@dataclass(frozen=True)
class SweepSpec:
    """A whole sweep: template, parameter values (name -> tuple of values), workloads, mapper and search."""

    name: str
    template: str
    parameters: tuple[tuple[str, tuple[Any, ...]], ...]
    workloads: tuple[WorkloadSpec, ...]
    mapper: MapperOptions = field(default_factory=MapperOptions)
    search: SearchOptions = field(default_factory=SearchOptions)
    memory_pool: MemoryPool | None = None
    file: str | None = None
    objectives: tuple[str, ...] = DEFAULT_OBJECTIVES  # the front `loopscape pareto` shows by default

    @property
    def space_size(self) -> int:
        return math.prod(len(v) for _, v in self.parameters)

    def evaluation(self) -> dict[str, Any]:
        """What a design point's figures depend on besides its parameters (part of every point id)."""
        return {
            "template": self.template,
            "workloads": [w.identity() for w in self.workloads],
            "mapper": asdict(self.mapper),
            "memory_pool": None if self.memory_pool is None else self.memory_pool.fingerprint(),
        }

    def fingerprint(self) -> str:
        """A hash of `evaluation()`: stores refuse to mix points evaluated differently."""
        text = json.dumps(self.evaluation(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- reading ---------------------------------------------------------------------------------------


def load_sweep(path: str | Path) -> SweepSpec:
    """Read a sweep spec file; every error names the file and the path inside it."""
    name = str(path)
    doc = load_yaml_file(path)
    try:
        return parse_sweep(doc, base=Path(path).parent, file=name)
    except SpecError as e:
        raise e.in_file(name) from None


def parse_sweep(doc: dict, base: Path = Path("."), file: str | None = None) -> SweepSpec:
    """A SweepSpec from a parsed document (`{sweep: {...}}`); paths of network files are relative to `base`."""
    check_keys(doc, "", ("sweep",), required=("sweep",))
    node = expect_map(doc["sweep"], "sweep")
    allowed = ("name", "template", "search", "parameters", "workloads", "mapper", "memory_pool", "objectives")
    check_keys(node, "sweep", allowed, required=("template", "parameters", "workloads"))
    name = get(node, "name", "sweep", as_str, default="sweep")
    template = get(node, "template", "sweep", as_str)
    levels = template_levels(template, "sweep.template")
    pool = None
    if node.get("memory_pool") is not None:
        pool = parse_memory_pool(node["memory_pool"], "sweep.memory_pool")
    parameters = _parameters(node["parameters"], "sweep.parameters", levels, pool)
    workloads = _workloads(node["workloads"], "sweep.workloads", base)
    mapper = _mapper(node.get("mapper"), "sweep.mapper")
    search = _search(node.get("search"), "sweep.search")
    if pool is not None:
        parameters = (*parameters, ("hierarchy", tuple(h.name for h in pool.hierarchies())))
        if not parameters[-1][1]:
            raise SpecError(
                "sweep.memory_pool",
                "no hierarchy left after pruning",
                "a pool, ratio and budget that allow one",
            )
    _check_points(parameters, search)
    objectives = _objectives(node.get("objectives"), "sweep.objectives")
    return SweepSpec(name, template, parameters, workloads, mapper, search, pool, file, objectives)


def _check_points(parameters: tuple, search: SearchOptions) -> None:
    """Refuse up front a sweep whose points would not fit in memory or in any reasonable time."""
    size = math.prod(len(v) for _, v in parameters)
    if search.method == "grid" and size > MAX_POINTS:
        shape = " x ".join(f"{len(v)} {name}" for name, v in parameters)
        raise SpecError("sweep.parameters", f"a grid of {size:,} points ({shape})",
                        f"at most {MAX_POINTS:,} points with method 'grid' (or search: {{method: random or "
                        "optuna, samples: N})")  # fmt: skip
    if search.samples is not None and search.samples > MAX_POINTS:
        raise SpecError("sweep.search.samples", search.samples, f"at most {MAX_POINTS:,} points")


def _objectives(value: object, path: str) -> tuple[str, ...]:
    """The metrics of the default Pareto front (every metric is stored whatever this says)."""
    from loopscape.dse.metrics import METRICS

    if value is None:
        return DEFAULT_OBJECTIVES
    names = as_str_list(value, path, "a list of metric names")
    for i, name in enumerate(names):
        if name not in METRICS:
            raise SpecError(join(path, i), name, f"a metric, one of {list(METRICS)}")
    if len(set(names)) != len(names) or len(names) < 2:
        raise SpecError(path, names, "two or more distinct metrics")
    return tuple(names)


def _parameters(value: object, path: str, levels: tuple[str, ...], pool: MemoryPool | None) -> tuple:
    node = expect_map(value, path, "a mapping of parameter names to values")
    if not node:
        raise SpecError(path, "an empty mapping", "at least one parameter")
    out = []
    for key, raw in node.items():
        p = join(path, str(key))
        knob = _knob(str(key), p, levels, pool)
        values = _values(raw, p)
        for i, v in enumerate(values):
            check_value(knob, v, join(p, i) if isinstance(raw, list) else p)
        if len(set(map(_canonical, values))) != len(values):
            raise SpecError(p, raw, "distinct values")
        out.append((str(key), tuple(values)))
    return tuple(out)


def _knob(key: str, path: str, levels: tuple[str, ...], pool: MemoryPool | None) -> str:
    """The knob a parameter name sets ('pe_x', or 'entries' of 'GBuf.entries'); SpecError when unknown."""
    if key in GLOBAL_KNOBS:
        return key
    if "." in key:
        level, knob = key.split(".", 1)
        if level not in levels:
            raise SpecError(
                path, f"the level {level!r}", f"a storage level of the template, one of {list(levels)}"
            )
        if pool is not None and level != levels[0]:
            raise SpecError(
                path, key, "no on-chip level knob with a memory_pool (the pool makes those levels)"
            )
        if knob not in LEVEL_KNOBS:
            raise SpecError(path, f"the knob {knob!r}", f"one of {list(LEVEL_KNOBS)}")
        return knob
    known = [*GLOBAL_KNOBS, *(f"{lv}.KNOB" for lv in levels)]
    raise SpecError(
        path, f"the unknown parameter {key!r}", f"one of {known} (KNOB: one of {list(LEVEL_KNOBS)})"
    )


def _canonical(v: object) -> str:
    return json.dumps(v, sort_keys=True)


def _values(raw: object, path: str) -> list:
    """A parameter's values: a list, a single value, or a range {min, max, step | factor}."""
    if isinstance(raw, list):
        if not raw:
            raise SpecError(path, "an empty list", "at least one value")
        return list(raw)
    if isinstance(raw, dict):
        check_keys(raw, path, ("min", "max", "step", "factor"), required=("min", "max"))
        if ("step" in raw) == ("factor" in raw):
            raise SpecError(path, describe(raw), "a range with exactly one of 'step' or 'factor'")
        lo = get(raw, "min", path, as_int)
        hi = get(raw, "max", path, as_int, minimum=lo)
        values, v = [], lo
        if "step" in raw:
            step = get(raw, "step", path, as_int)
            values = list(range(lo, hi + 1, step))
        else:
            factor = get(raw, "factor", path, as_int, minimum=2)
            while v <= hi:
                values.append(v)
                v *= factor
        if len(values) > MAX_RANGE_VALUES:
            raise SpecError(path, f"{len(values)} values", f"at most {MAX_RANGE_VALUES} values in a range")
        return values
    return [raw]


def _workloads(value: object, path: str, base: Path) -> tuple[WorkloadSpec, ...]:
    from loopscape.workload import networks

    items = expect_list(value, path, "a list of workloads ({network: NAME, training: false})")
    if not items:
        raise SpecError(path, "an empty list", "at least one workload")
    out = []
    for i, item in enumerate(items):
        p = join(path, i)
        node = expect_map(item, p, "a workload mapping ({network: NAME, training: false, layers: [...]})")
        check_keys(node, p, ("network", "training", "layers"), required=("network",))
        network = get(node, "network", p, as_str)
        if network.endswith((".yaml", ".yml")) or (base / network).exists():
            resolved = (base / network) if not Path(network).is_absolute() else Path(network)
            if not resolved.is_file():
                raise SpecError(
                    join(p, "network"), network, "an existing network file (relative to the spec)"
                )
            network = str(resolved)
        elif network not in networks.names():
            raise SpecError(join(p, "network"), network, f"a network file or one of {networks.names()}")
        training = get(node, "training", p, as_bool, default=False)
        layers = get(node, "layers", p, as_str_list, default=None)
        if layers is not None and not layers:
            raise SpecError(join(p, "layers"), "an empty list", "at least one layer name")
        spec = WorkloadSpec(network, training, None if layers is None else tuple(layers))
        try:  # read it now: a bad network file or layer name fails here, not in every point
            workload_layers(spec, False)
        except SpecError as e:
            if e.file:  # an error inside the network file: it names that file
                raise
            raise SpecError(join(p, e.path), e.found, e.expected) from None
        out.append(spec)
    return tuple(out)


def _mapper(value: object, path: str) -> MapperOptions:
    if value is None:
        return MapperOptions()
    node = expect_map(value, path)
    check_keys(node, path, ("objective", "budget", "seed_orders", "seed"))
    objective = get(node, "objective", path, as_str, default="edp")
    if objective not in OBJECTIVES:
        raise SpecError(join(path, "objective"), objective, f"one of {list(OBJECTIVES)}")
    return MapperOptions(
        objective,
        get(node, "budget", path, as_int, default=256),
        get(node, "seed_orders", path, as_int, default=4),
        get(node, "seed", path, as_int, default=0, minimum=0),
    )


def _search(value: object, path: str) -> SearchOptions:
    if value is None:
        return SearchOptions()
    node = expect_map(value, path)
    check_keys(node, path, ("method", "samples", "seed", "sampler"))
    method = get(node, "method", path, as_str, default="grid")
    if method not in METHODS:
        raise SpecError(join(path, "method"), method, f"one of {list(METHODS)}")
    samples = get(node, "samples", path, as_int, default=None)
    if method != "grid" and samples is None:
        raise SpecError(
            join(path, "samples"), "nothing (the key is missing)", f"the number of {method} points"
        )
    sampler = get(node, "sampler", path, as_str, default="tpe")
    if sampler not in SAMPLERS or (method != "optuna" and "sampler" in node):
        raise SpecError(join(path, "sampler"), sampler, f"with method 'optuna', one of {list(SAMPLERS)}")
    if method == "grid" and samples is not None:
        raise SpecError(
            join(path, "samples"), samples, "no 'samples' with method 'grid' (every point is run)"
        )
    return SearchOptions(method, samples, get(node, "seed", path, as_int, default=0, minimum=0), sampler)
