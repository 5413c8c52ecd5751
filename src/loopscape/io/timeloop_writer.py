"""Writing our specs as Timeloop v0.4 YAML (architecture tree, problem shape and instance, mapping directives).

What Timeloop cannot express is refused with a SpecError rather than written wrong: uneven cuts, padding,
two loops over one dimension at one level, a mapping that splits a level's loops around its spatial ones.
"""

from __future__ import annotations

from typing import Any

import yaml

from loopscape.arch import Architecture, Network, StorageLevel
from loopscape.errors import SpecError
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Mapping
from loopscape.workload import Workload

_CLASS = {"DRAM": "DRAM", "SRAM": "SRAM", "regfile": "regfile", "register": "regfile"}
_TIMELOOP_NETWORK = Network(multicast=True, spatial_reduction=True, forwarding=True)


def _buffer(lv: StorageLevel) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "datawidth": lv.word_bits,
        "width": lv.word_bits * lv.block_size,
        "block-size": lv.block_size,
    }
    if lv.entries is not None:
        if lv.entries % lv.block_size == 0:
            attrs["depth"] = lv.entries // lv.block_size
        else:
            attrs["entries"] = lv.entries
    if lv.instances > 1:
        attrs["instances"] = lv.instances
    if lv.mesh_x is not None:
        attrs["meshX"] = lv.mesh_x
    for key in ("read_bandwidth", "write_bandwidth", "shared_bandwidth"):
        if getattr(lv, key) is not None:
            attrs[key] = getattr(lv, key)
    # loopscape extensions: Timeloop ignores these attributes, our reader restores them.
    if lv.keeps is not None:
        attrs["keeps"] = sorted(lv.keeps)
    for flag in ("multicast", "spatial_reduction", "forwarding"):
        if getattr(lv.network, flag) != getattr(_TIMELOOP_NETWORK, flag):
            attrs[f"network_{flag}"] = getattr(lv.network, flag)
    return {"name": lv.name, "class": _CLASS[lv.cls], "attributes": attrs}


def architecture_to_timeloop(arch: Architecture) -> dict:
    """A tree with one subtree per step in the instance count (subtree ranges multiply instances).

    Every local also states its `instances`, so Timeloop and loopscape agree whatever the ranges say.
    """
    components: list[tuple[int, dict]] = [(lv.instances, _buffer(lv)) for lv in arch.levels]
    c = arch.compute
    cattrs: dict[str, Any] = {"datawidth": c.word_bits}
    if c.instances > 1:
        cattrs["instances"] = c.instances
    if c.mesh_x is not None:
        cattrs["meshX"] = c.mesh_x
    components.append((c.instances, {"name": c.name, "class": "intmac", "attributes": cattrs}))

    root: dict[str, Any] = {"name": arch.name, "attributes": {"technology": arch.technology}, "local": []}
    node, count, depth = root, 1, 0
    for instances, comp in components:
        if instances != count:
            depth += 1
            factor = instances // count
            child: dict[str, Any] = {"name": f"{comp['name']}_array[0..{factor - 1}]", "local": []}
            node["subtree"] = [child]
            node, count = child, instances
        node["local"].append(comp)
    return {"version": 0.4, "subtree": [root]}


def _coefficient_names(workload: Workload) -> dict[tuple[int, int, int], str]:
    """A name per non-unit coefficient: Hstride/Wdilation for conv-like ranks, else '<rank>_<dim>'."""
    names: dict[tuple[int, int, int], str] = {}
    used: set[str] = set(workload.dims)
    for ti, t in enumerate(workload.tensors):
        for ri, rank in enumerate(t.ranks):
            if all(c == 1 for _, c in rank):
                continue
            label = t.rank_names[ri] if ri < len(t.rank_names) else f"{t.name}{ri}"
            for k, (d, c) in enumerate(rank):
                if c == 1:
                    continue
                if label in ("H", "W") and d in ("P", "Q"):
                    base = f"{label}stride"
                elif label in ("H", "W") and d in ("R", "S"):
                    base = f"{label}dilation"
                else:
                    base = f"{label}_{d}"
                name, n = base, 2
                while name in used:
                    name, n = f"{base}{n}", n + 1
                used.add(name)
                names[(ti, ri, k)] = name
    return names


def problem_to_timeloop(workload: Workload) -> dict:
    coef_names = _coefficient_names(workload)
    coef_values = {}
    spaces = []
    for ti, t in enumerate(workload.tensors):
        projection = []
        for ri, rank in enumerate(t.ranks):
            terms = []
            for k, (d, c) in enumerate(rank):
                if c == 1:
                    terms.append([d])
                else:
                    name = coef_names[(ti, ri, k)]
                    coef_values[name] = c
                    terms.append([d, name])
            projection.append(terms)
        space: dict[str, Any] = {"name": t.name, "projection": projection}
        if t.rank_names:
            space["ranks"] = list(t.rank_names)
        if t.read_write:
            space["read-write"] = True
        spaces.append(space)
    shape: dict[str, Any] = {"name": workload.name, "dimensions": list(workload.dims)}
    if coef_values:
        shape["coefficients"] = [{"name": n, "default": 1} for n in coef_values]
    shape["data-spaces"] = spaces
    instance = dict(zip(workload.dims, workload.bounds))
    instance.update(coef_values)
    return {"shape": shape, "instance": instance}


def mapping_to_timeloop(mapping: Mapping, arch: Architecture, workload: Workload) -> list[dict]:
    names = [lv.name for lv in arch.levels]
    if not mapping.is_even:
        raise SpecError(
            "mapping.cuts", list(mapping.cuts), "an even mapping (Timeloop has one cut per level)"
        )
    for d in workload.dims:
        if mapping.factor(d) != workload.bound(d):
            raise SpecError(
                f"mapping.factors.{d}",
                mapping.factor(d),
                f"factors of {d} multiplying to exactly {workload.bound(d)} (Timeloop has no padding)",
            )
    directives: list[dict] = []
    order = {TEMPORAL: 0, SPATIAL_Y: 1, SPATIAL_X: 1}
    for level, name in enumerate(names):
        mine = [lp for lp in mapping.loops if lp.level == level]
        if [order[lp.kind] for lp in mine] != sorted(order[lp.kind] for lp in mine):
            raise SpecError(
                f"mapping.loops[{name}]",
                [lp.kind for lp in mine],
                "temporal loops before spatial loops at each level",
            )
        groups = {kind: [lp for lp in mine if lp.kind == kind] for kind in (TEMPORAL, SPATIAL_X, SPATIAL_Y)}
        for kind in (TEMPORAL, SPATIAL_X, SPATIAL_Y):
            dims = [lp.dim for lp in groups[kind] if lp.bound > 1]
            if len(set(dims)) != len(dims):
                raise SpecError(
                    f"mapping.loops[{name}]",
                    f"two {kind} loops over one dimension in {dims}",
                    "one loop per dimension, level and kind (Timeloop's form)",
                )
        spatial_dims = [lp.dim for lp in groups[SPATIAL_X] + groups[SPATIAL_Y] if lp.bound > 1]
        if len(set(spatial_dims)) != len(spatial_dims):
            raise SpecError(
                f"mapping.loops[{name}]",
                f"one dimension on both X and Y in {spatial_dims}",
                "each dimension on one mesh axis per level",
            )
        temporal = [lp for lp in groups[TEMPORAL] if lp.bound > 1]
        factors = {lp.dim: lp.bound for lp in temporal}
        perm = [lp.dim for lp in reversed(temporal)]
        perm += [d for d in workload.dims if d not in perm]
        directives.append({
            "target": name, "type": "temporal",
            "factors": " ".join(f"{d}={factors.get(d, 1)}" for d in workload.dims),
            "permutation": "".join(perm) if all(len(d) == 1 for d in perm) else " ".join(perm),
        })  # fmt: skip
        fx, fy = arch.fanout(level)
        xs = [lp for lp in groups[SPATIAL_X] if lp.bound > 1]
        ys = [lp for lp in groups[SPATIAL_Y] if lp.bound > 1]
        if fx * fy > 1 or xs or ys:
            sfactors = {lp.dim: lp.bound for lp in xs + ys}
            sperm = [lp.dim for lp in reversed(xs)] + [lp.dim for lp in reversed(ys)]
            sperm += [d for d in workload.dims if d not in sperm]
            directives.append({
                "target": name, "type": "spatial",
                "factors": " ".join(f"{d}={sfactors.get(d, 1)}" for d in workload.dims),
                "permutation": "".join(sperm) if all(len(d) == 1 for d in sperm) else " ".join(sperm),
                "split": len(xs),
            })  # fmt: skip
    for level, name in enumerate(names):
        kept = mapping.keep[level]
        if kept != frozenset(workload.tensor_names):
            directives.append({
                "target": name, "type": "bypass",
                "keep": [t for t in workload.tensor_names if t in kept],
                "bypass": [t for t in workload.tensor_names if t not in kept],
            })  # fmt: skip
    return directives


def to_timeloop_yaml(
    arch: Architecture | None = None, workload: Workload | None = None, mapping: Mapping | None = None
) -> str:
    """One Timeloop v0.4 document with whichever of architecture, problem and mapping are given."""
    doc: dict[str, Any] = {}
    if arch is not None:
        doc["architecture"] = architecture_to_timeloop(arch)
    if workload is not None:
        doc["problem"] = problem_to_timeloop(workload)
    if mapping is not None:
        if arch is None or workload is None:
            raise ValueError("writing a mapping needs its architecture and workload")
        doc["mapping"] = mapping_to_timeloop(mapping, arch, workload)
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=110)


__all__ = ["architecture_to_timeloop", "mapping_to_timeloop", "problem_to_timeloop", "to_timeloop_yaml"]
