"""The ERT and ART of an architecture: each level and the compute units as a component, priced by estimators.

A storage level is a component of its `component` class (default by level class: DRAM -> `DRAM`, SRAM ->
`smartbuffer_SRAM`, regfile -> `smartbuffer_RF`, register -> `register`) with `depth` = vector entries
(ceil(entries / block_size)) and `width` = block_size x word_bits, so one action is one vector access;
its read, fill and update cost the component's read, write and update. The compute units are a `mac`
(`bits` = word_bits) unless they name another class; one operation costs its `compute` or `mac` action.
Operations of other kinds (`Workload.op`) cost a primitive of word_bits: an add an `adder`, a multiply a
`multiplier`, a compare a `comparator`, a lookup a read of a `lut` of LUT_ENTRIES words.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache, lru_cache
from typing import Any

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy import technology as tech
from loopscape.energy.components import REQUIRED, Component
from loopscape.energy.compound import ComponentLibrary
from loopscape.energy.estimators import AREA, Estimate, EstimatorRegistry
from loopscape.energy.table import ActionEnergy, EnergyTable
from loopscape.errors import SpecError

DEFAULT_LEVEL_COMPONENTS = {
    "DRAM": "DRAM",
    "SRAM": "smartbuffer_SRAM",
    "regfile": "smartbuffer_RF",
    "register": "register",
}
DEFAULT_COMPUTE_COMPONENT = "mac"
COMPUTE_ACTIONS = ("compute", "mac")  # the compute component's action that is one operation
COMPUTE_KEY = "compute"  # provenance key of the operation: '<compute name>.compute'
# Operation kinds other than the MAC -> (primitive class, its action): what the compute units spend on one.
OP_COMPONENTS = {
    "add": ("adder", "add"),
    "mul": ("multiplier", "multiply"),
    "compare": ("comparator", "compare"),
    "lookup": ("lut", "lookup"),
}
# An activation LUT indexed by 8 bits of its input (an assumption: a 256-entry table, e.g. piecewise-linear
# sigmoid/tanh tables are of this order; no cited size).
LUT_ENTRIES = 256
# The model's storage actions -> the component actions that give them, first found wins.
STORAGE_ACTIONS = {"read": ("read",), "fill": ("write", "fill"), "update": ("update", "write")}


@cache
def default_registry() -> EstimatorRegistry:
    """The registry `build_ert` uses when given none: built-in table, entry-point plug-ins, hwcomponents.

    Found once per process (plug-ins are installed packages); build your own with
    `EstimatorRegistry.discover(...)` to add a user table or compound classes.
    """
    return EstimatorRegistry.discover()


def _given(level: StorageLevel | ComputeLevel) -> dict[str, Any]:
    return dict(level.attributes)


def level_component(
    level: StorageLevel, technology: str, library: ComponentLibrary, path: str = "architecture.levels[0]"
) -> Component:
    """The component a storage level is: its class with attributes derived from the level, then its own."""
    cls_name = level.component or DEFAULT_LEVEL_COMPONENTS[level.cls]
    cls = library.get(cls_name, f"{path}.component")
    names = set(cls.attribute_names())
    derived: dict[str, Any] = {"technology": technology, "width": level.block_size * level.word_bits}
    if level.entries is not None:
        derived["depth"] = math.ceil(level.entries / level.block_size)
    derived = {k: v for k, v in derived.items() if k in names}
    attrs = {**derived, **_given(level)}
    needs_depth = any(a.name == "depth" and a.default == REQUIRED for a in cls.all_attributes)
    if needs_depth and "depth" not in attrs:
        raise SpecError(
            f"architecture.levels[{level.name}].entries",
            level.entries,
            f"a capacity: the energy of a {level.cls} level ({cls_name}) depends on it",
        )
    return library.complete(Component(cls_name, attrs, level.name), path)


def compute_component(compute: ComputeLevel, technology: str, library: ComponentLibrary) -> Component:
    """The component the compute units are: a `mac` of word_bits unless they name another class."""
    path = "architecture.compute"
    cls_name = compute.component or DEFAULT_COMPUTE_COMPONENT
    cls = library.get(cls_name, f"{path}.component")
    derived = {"technology": technology, "bits": compute.word_bits, "width": compute.word_bits}
    names = set(cls.attribute_names())
    attrs = {**{k: v for k, v in derived.items() if k in names}, **_given(compute)}
    return library.complete(Component(cls_name, attrs, compute.name), path)


def compute_action(component: Component, library: ComponentLibrary) -> str:
    """Which action of the compute component is one operation: `compute`, `mac`, or its only action."""
    actions = library.get(component.cls).actions
    for a in COMPUTE_ACTIONS:
        if a in actions:
            return a
    busy = [a for a in actions if a != "idle"]
    if len(busy) == 1:
        return busy[0]
    raise SpecError(
        "architecture.compute.component",
        component.cls,
        f"a class with a 'compute' or 'mac' action, not {busy}",
    )


def op_energies(
    compute: ComputeLevel, technology: str, registry: EstimatorRegistry, mac_pj: float
) -> dict[str, float]:
    """pJ per operation of each kind on word_bits operands ('mac' = `mac_pj`, the compute component's).

    A kind the registry cannot price (no estimator for its primitive) is left out: it costs a MAC.
    """
    out = {"mac": mac_pj}
    bits = compute.word_bits
    for op, (cls, action) in OP_COMPONENTS.items():
        attrs: dict[str, Any] = {"technology": technology, "bits": bits}
        if cls == "lut":
            attrs["entries"] = LUT_ENTRIES
        try:
            est = registry.estimate(
                Component(cls, attrs, f"{compute.name}.{op}"), f"architecture.compute.{op}"
            )
        except SpecError:
            continue
        out[op] = est.energy_pj[action]
    return out


def storage_energy(est: Estimate, component: Component, path: str) -> tuple[ActionEnergy, dict[str, str]]:
    """The level's read/fill/update per vector access from its component's actions, and who produced each."""
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for ours, theirs in STORAGE_ACTIONS.items():
        action = next((a for a in theirs if a in est.energy_pj), None)
        if action is None:
            raise SpecError(
                f"{path}.component",
                component.cls,
                f"a class with a {' or '.join(repr(a) for a in theirs)} action (it has {list(est.energy_pj)})",
            )
        values[ours] = est.energy_pj[action]
        sources[ours] = est.source_of(action)
    # A gated access (its data is zero and the level gates it) costs what an idle cycle costs.
    if "idle" in est.energy_pj:
        for ours in STORAGE_ACTIONS:
            values[f"gated_{ours}"] = est.energy_pj["idle"]
        sources["gated"] = est.source_of("idle")
    return ActionEnergy(**values), sources


def build_ert(
    arch: Architecture, technology: str | None = None, registry: EstimatorRegistry | None = None
) -> EnergyTable:
    """ERT (pJ per vector access per level and action, pJ per operation) and ART (um^2 per instance).

    `technology` overrides the architecture's node; `registry` defaults to `default_registry()`.
    `EnergyTable.provenance` names the estimator of every entry.
    """
    if registry is None:
        try:
            return _copy(_default_ert(arch, technology))
        except TypeError:  # an unhashable attribute value: build it uncached
            pass
    return _build(arch, technology, registry or default_registry())


@lru_cache(maxsize=256)
def _default_ert(arch: Architecture, technology: str | None) -> EnergyTable:
    return _build(arch, technology, default_registry())


def _copy(t: EnergyTable) -> EnergyTable:
    """A cached table with its own dicts (callers may change them)."""
    return dataclasses.replace(
        t,
        levels=dict(t.levels),
        area=dict(t.area),
        provenance=dict(t.provenance),
        network=dict(t.network),
        leakage=dict(t.leakage),
        compute_ops=dict(t.compute_ops),
    )


def _build(arch: Architecture, technology: str | None, registry: EstimatorRegistry) -> EnergyTable:
    where = "technology" if technology is not None else "architecture.technology"
    node = tech.node_name(tech.parse_node(technology if technology is not None else arch.technology, where))
    library = registry.library
    levels: dict[str, ActionEnergy] = {}
    area: dict[str, float] = {}
    provenance: dict[str, str] = {}
    leakage: dict[str, float] = {}
    for i, lv in enumerate(arch.levels):
        path = f"architecture.levels[{i}]"
        component = level_component(lv, node, library, path)
        est = registry.estimate(component, path)
        leakage[lv.name] = est.energy_pj.get("idle", 0.0)  # an idle cycle: leakage (and clock) energy
        levels[lv.name], sources = storage_energy(est, component, path)
        provenance.update({f"{lv.name}.{a}": s for a, s in sources.items()})
        area[lv.name] = est.area_um2  # type: ignore[assignment]
        provenance[f"{lv.name}.{AREA}"] = est.source_of(AREA)
    component = compute_component(arch.compute, node, library)
    est = registry.estimate(component, "architecture.compute")
    op = compute_action(component, library)
    name = arch.compute.name
    provenance[f"{name}.{COMPUTE_KEY}"] = est.source_of(op)
    area[name] = est.area_um2  # type: ignore[assignment]
    provenance[f"{name}.{AREA}"] = est.source_of(AREA)
    compute_gated = est.energy_pj.get("idle", 0.0)  # a gated operation costs an idle cycle
    leakage[name] = compute_gated
    if "idle" in est.energy_pj:
        provenance[f"{name}.gated"] = est.source_of("idle")
    network = _network_hop_energy(arch, area, node, registry, provenance)
    estimators = sorted({p.split(":")[0].split(" (")[0] for p in provenance.values()})
    return EnergyTable(
        levels=levels,
        compute=est.energy_pj[op],
        area=area,
        source=f"loopscape estimators at {node} ({', '.join(estimators)})",
        provenance=provenance,
        technology=node,
        network=network,
        compute_gated=compute_gated,
        leakage=leakage,
        compute_ops=op_energies(arch.compute, node, registry, est.energy_pj[op]),
    )


def _network_hop_energy(
    arch: Architecture,
    area: dict[str, float],
    node: str,
    registry: EstimatorRegistry,
    provenance: dict[str, str],
) -> dict[str, float]:
    """pJ per word per hop below each level: a wire of the level's word width, one child subtree long.

    A hop spans one child instance with everything under it (Timeloop paper VI-C: the wire distance of a hop
    comes from area estimates), i.e. sqrt(area under the level / its child instances).
    """
    n = len(arch.levels)
    out: dict[str, float] = {}
    for i, lv in enumerate(arch.levels):
        below = sum(area.get(x.name, 0.0) * x.instances for x in arch.levels[i + 1 :])
        below += area.get(arch.compute.name, 0.0) * arch.compute.instances
        children = arch.levels[i + 1].instances if i + 1 < n else arch.compute.instances
        length = math.sqrt(below / children) if below > 0 else 0.0
        wire = Component(
            "wire", {"bits": lv.word_bits, "length_um": length, "technology": node}, f"{lv.name}.network"
        )
        est = registry.estimate(registry.library.complete(wire, f"architecture.levels[{i}].network"))
        out[lv.name] = est.energy_pj["transfer"]
        provenance[f"{lv.name}.network"] = est.source_of("transfer")
    return out


__all__ = [
    "COMPUTE_KEY",
    "DEFAULT_COMPUTE_COMPONENT",
    "DEFAULT_LEVEL_COMPONENTS",
    "LUT_ENTRIES",
    "OP_COMPONENTS",
    "build_ert",
    "compute_action",
    "compute_component",
    "default_registry",
    "level_component",
    "op_energies",
    "storage_energy",
]
