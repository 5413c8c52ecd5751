"""Writing our specs as Timeloop v0.4 YAML: architecture tree, problem shape and instance, mapping directives,
mapspace constraints, sparse optimizations (gating) and ERT/ART.

What Timeloop cannot express in a mapping is refused with a SpecError rather than written wrong: uneven cuts,
padding, two loops over one dimension at one level, a mapping that splits a level's loops around its spatial
ones, a dimension on both mesh axes. What an architecture, workload, constraint set or energy table holds that
Timeloop does not model is written as a loopscape attribute Timeloop ignores (so that our reader restores it)
and/or named in the `notes` the writers append to; nothing is dropped silently. docs/specs.md lists both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from loopscape.arch import Architecture, Network, StorageLevel
from loopscape.errors import SpecError
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Mapping
from loopscape.mapping.constraints import Constraints, LevelConstraint
from loopscape.workload import Workload

_CLASS = {"DRAM": "DRAM", "SRAM": "SRAM", "regfile": "regfile", "register": "regfile"}
_TIMELOOP_NETWORK = Network(multicast=True, spatial_reduction=True, forwarding=True)
_NETWORK_WHY = {
    "multicast": "Timeloop's legacy network always multicasts",
    "spatial_reduction": "Timeloop's legacy network always reduces spatially",
    "forwarding": "Timeloop's link transfers are on unless TIMELOOP_DISABLE_LINK_TRANSFERS is set",
}


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None and text not in notes:
        notes.append(text)


def _component_attrs(level, attrs: dict[str, Any]) -> None:
    """The energy component class and its attributes, as loopscape attributes (Accelergy reads neither)."""
    if level.component is not None:
        attrs["component"] = level.component
    if level.attributes:
        attrs["component_attributes"] = dict(level.attributes)


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
    if lv.cls == "register":
        attrs["storage_class"] = "register"
    if lv.keeps is not None:
        attrs["keeps"] = sorted(lv.keeps)
    for flag in ("multicast", "spatial_reduction", "forwarding"):
        if getattr(lv.network, flag) != getattr(_TIMELOOP_NETWORK, flag):
            attrs[f"network_{flag}"] = getattr(lv.network, flag)
    _component_attrs(lv, attrs)
    return {"name": lv.name, "class": _CLASS[lv.cls], "attributes": attrs}


def architecture_to_timeloop(arch: Architecture, notes: list[str] | None = None) -> dict:
    """A tree with one subtree per step in the instance count (subtree ranges multiply instances).

    Every local also states its `instances`, so Timeloop and loopscape agree whatever the ranges say. What
    Timeloop does not model is written as loopscape attributes and named in `notes`.
    """
    components: list[tuple[int, dict]] = [(lv.instances, _buffer(lv)) for lv in arch.levels]
    c = arch.compute
    cattrs: dict[str, Any] = {"datawidth": c.word_bits}
    if c.instances > 1:
        cattrs["instances"] = c.instances
    if c.mesh_x is not None:
        cattrs["meshX"] = c.mesh_x
    _component_attrs(c, cattrs)
    components.append((c.instances, {"name": c.name, "class": "intmac", "attributes": cattrs}))

    root_attrs: dict[str, Any] = {"technology": arch.technology}
    if arch.clock_ghz != 1.0:
        root_attrs["clock_ghz"] = arch.clock_ghz
    u = arch.update_unit
    if u is not None:
        unit: dict[str, Any] = {"name": u.name, "instances": u.instances, "attach": u.attach}
        if u.word_bits != 16:
            unit["word_bits"] = u.word_bits
        if u.mesh_x is not None:
            unit["mesh_x"] = u.mesh_x
        if u.component is not None:
            unit["component"] = u.component
        root_attrs["update_unit"] = unit
    root: dict[str, Any] = {"name": arch.name, "attributes": root_attrs, "local": []}
    node, count = root, 1
    for instances, comp in components:
        if instances != count:
            factor = instances // count
            child: dict[str, Any] = {"name": f"{comp['name']}_array[0..{factor - 1}]", "local": []}
            node["subtree"] = [child]
            node, count = child, instances
        node["local"].append(comp)
    _architecture_notes(arch, notes)
    return {"version": 0.4, "subtree": [root]}


def _architecture_notes(arch: Architecture, notes: list[str] | None) -> None:
    if notes is None:
        return
    if arch.update_unit is not None:
        _note(notes, f"architecture.update_unit: Timeloop has no weight-update unit; {arch.update_unit.name!r} is "
              "written as the loopscape attribute 'update_unit' of the top subtree (Timeloop ignores it)")  # fmt: skip
    if arch.clock_ghz != 1.0:
        _note(notes, f"architecture.clock_ghz: Timeloop's architecture has no clock; {arch.clock_ghz} GHz is "
              "written as the loopscape attribute 'clock_ghz' of the top subtree")  # fmt: skip
    for flag in ("multicast", "spatial_reduction", "forwarding"):
        differ = [
            lv.name for lv in arch.levels if getattr(lv.network, flag) != getattr(_TIMELOOP_NETWORK, flag)
        ]
        if differ:
            state = "with" if getattr(_TIMELOOP_NETWORK, flag) is False else "without"
            _note(notes, f"architecture: the networks below {differ} are {state} {flag.replace('_', ' ')}: "
                  f"{_NETWORK_WHY[flag]}, so Timeloop may count differently (written as the loopscape attribute "
                  f"'network_{flag}')")  # fmt: skip
    registers = [lv.name for lv in arch.levels if lv.cls == "register"]
    if registers:
        _note(notes, f"architecture: the registers {registers} are written as class 'regfile' (Timeloop has no "
              "register class) with the loopscape attribute 'storage_class: register'")  # fmt: skip
    components = [x.name for x in (*arch.levels, arch.compute) if x.component is not None or x.attributes]
    if components:
        _note(notes, f"architecture: the energy component classes/attributes of {components} are written as the "
              "loopscape attributes 'component' / 'component_attributes' (Accelergy estimates the Timeloop class)")  # fmt: skip


def sparse_optimizations_to_timeloop(arch: Architecture) -> dict | None:
    """Gating (the only sparse optimization loopscape models) as Sparseloop's `sparse_optimizations`, or None."""
    targets: list[dict[str, Any]] = []
    for lv in arch.levels:
        if lv.gating:
            options = [{"target": t, "condition-on": list(conds)} for t, conds in lv.gating]
            targets.append({"name": lv.name, "action-optimization": [{"type": "gating", "options": options}]})
    if arch.compute.gating:
        targets.append({"name": arch.compute.name, "compute-optimization": [{"type": "gating"}]})
    return {"version": 0.4, "targets": targets} if targets else None


def keeps_to_timeloop(arch: Architecture, workload: Workload, notes: list[str] | None = None) -> list[dict]:
    """The levels' `keeps` as bypass constraints (Timeloop has no per-level keep in an architecture; its
    mapper honours bypass constraints): `[{target, type: bypass, bypass: [...]}]`, empty when none."""
    out = []
    for i, lv in enumerate(arch.levels):
        if lv.keeps is None or i == 0:  # the outermost level keeps every data space, in Timeloop and here
            continue
        bypass = [t for t in workload.tensor_names if t not in lv.keeps]
        if bypass:
            out.append({"target": lv.name, "type": "bypass", "bypass": bypass})
    if out:
        _note(notes, "architecture: the levels' 'keeps' are written as bypass constraints under "
              "'architecture_constraints' (read by timeloop-mapper and `loopscape map`; timeloop-model ignores "
              "them, the mapping's bypass directives say what each level keeps)")  # fmt: skip
    return out


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


def problem_to_timeloop(workload: Workload, notes: list[str] | None = None) -> dict:
    """`{shape: {name, dimensions, coefficients, data-spaces}, instance: {bounds, coefficients, densities}}`.

    A workload whose operation is not a MAC gets the loopscape key `shape.op` (Timeloop counts every point
    as a MAC), named in `notes`."""
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
    if workload.op != "mac":
        shape["op"] = workload.op
        _note(notes, f"problem {workload.name!r}: its operation is {workload.op!r}, written as the loopscape key "
              "'shape.op'; Timeloop counts every operation as a MAC at the compute unit's MAC energy")  # fmt: skip
    instance: dict[str, Any] = dict(zip(workload.dims, workload.bounds))
    instance.update(coef_values)
    densities = {}
    for ti, t in enumerate(workload.tensors):
        if t.density == 1.0:
            continue
        if not 0.0 < t.density <= 1.0:
            raise SpecError(f"problem.data_spaces[{ti}].density", t.density,
                            "a density in (0, 1] (Timeloop's densities cannot be 0)")  # fmt: skip
        densities[t.name] = t.density
    if densities:
        instance["densities"] = densities
    return {"shape": shape, "instance": instance}


def mapping_to_timeloop(mapping: Mapping, arch: Architecture, workload: Workload) -> list[dict]:
    """Per level a temporal directive (every dimension's factor, the permutation innermost first), a spatial one
    where the level fans out (X dimensions first, `split` of them), and a bypass one where it keeps less than
    every data space. Timeloop reads a level's spatial loops Y outside X: an equivalent order."""
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
            "permutation": _dims_text(perm),
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
                "permutation": _dims_text(sperm),
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


def _dims_text(dims: list[str]) -> str:
    """A permutation: 'RSP' when every name is one letter, else names separated by spaces."""
    return "".join(dims) if all(len(d) == 1 for d in dims) else " ".join(dims)


def _check_dim_names(workload: Workload, what: str) -> None:
    """Timeloop's factor strings ('K=4 C<=8') take dimension names of letters only."""
    for i, d in enumerate(workload.dims):
        if not d.isascii() or not d.isalpha():
            raise SpecError(f"problem.dimensions[{i}]", d,
                            f"a dimension name of letters only (Timeloop's {what} cannot name it)")  # fmt: skip


# ==================================================================================================
# Mapspace constraints
# ==================================================================================================


@dataclass
class _LevelParts:
    """Every constraint given for one level, merged (Timeloop takes each at most once per level)."""

    factors: dict[str, int] = field(default_factory=dict)
    max_factors: dict[str, int] = field(default_factory=dict)
    min_factors: dict[str, int] = field(default_factory=dict)
    permutation: tuple[str, ...] = ()
    spatial_factors: dict[str, int] = field(default_factory=dict)
    spatial_max: dict[str, int] = field(default_factory=dict)
    spatial_x: frozenset[str] | None = None
    spatial_y: frozenset[str] | None = None
    keep: set[str] = field(default_factory=set)
    bypass: set[str] = field(default_factory=set)


def _merge(parts: _LevelParts, c: LevelConstraint, path: str, workload: Workload) -> None:
    def whole(d: str, n: int) -> int:  # 0 = the whole dimension, as in Timeloop
        return workload.bound(d) if n == 0 else n

    for key, table in (("factors", parts.factors), ("spatial_factors", parts.spatial_factors)):
        for d, n in getattr(c, key):
            if d in table and whole(d, table[d]) != whole(d, n):
                raise SpecError(f"{path}.{key}.{d}", n, f"{table[d]}, the factor another constraint on "
                                f"{c.level} gives (Timeloop takes one exact factor per dimension and level)")  # fmt: skip
            table.setdefault(d, n)
    for d, n in c.max_factors:
        parts.max_factors[d] = min(n, parts.max_factors.get(d, n))
    for d, n in c.spatial_max_factors:
        parts.spatial_max[d] = min(n, parts.spatial_max.get(d, n))
    for d, n in c.min_factors:
        parts.min_factors[d] = max(n, parts.min_factors.get(d, n))
    if c.permutation:
        a, b = parts.permutation, tuple(c.permutation)
        if a[: len(b)] != b[: len(a)]:
            raise SpecError(f"{path}.permutation", list(b), f"an order agreeing with {list(a)}, the innermost "
                            f"loops another constraint on {c.level} gives (Timeloop takes one permutation)")  # fmt: skip
        parts.permutation = a if len(a) >= len(b) else b
    if c.spatial_x is not None:
        parts.spatial_x = c.spatial_x if parts.spatial_x is None else parts.spatial_x & c.spatial_x
    if c.spatial_y is not None:
        parts.spatial_y = c.spatial_y if parts.spatial_y is None else parts.spatial_y & c.spatial_y
    parts.keep |= c.keep
    parts.bypass |= c.bypass
    both = parts.keep & parts.bypass
    if both:
        raise SpecError(
            f"{path}.keep", sorted(both), f"tensors that no constraint on {c.level} also bypasses"
        )


def _factor_text(exact: dict[str, int], hi: dict[str, int], lo: dict[str, int], dims: tuple[str, ...]) -> str:
    items = [f"{d}={exact[d]}" for d in dims if d in exact]
    items += [f"{d}<={hi[d]}" for d in dims if d in hi]
    items += [f"{d}>={lo[d]}" for d in dims if d in lo]
    return " ".join(items)


def _axes(
    parts: _LevelParts, level: str, workload: Workload, notes: list[str] | None
) -> tuple[list[str], list[str]] | None:
    """The spatial X/Y restriction as Timeloop's permutation (X dimensions, then Y's) or None for any axis.

    Dimensions neither axis may spread get an exact spatial factor 1 (added to `parts.spatial_factors`), so
    the permutation need not list them: the constraint means the same. Where both axes may spread a
    dimension and they differ elsewhere, Timeloop (one axis per dimension) cannot say it: the restriction is
    loosened to 'either axis' and noted."""
    if parts.spatial_x is None and parts.spatial_y is None:
        return None
    dims = workload.dims

    def whole(d: str, n: int) -> int:
        return workload.bound(d) if n == 0 else n

    fixed = {d for d in dims if workload.bound(d) == 1}
    fixed |= {d for d, n in parts.spatial_factors.items() if whole(d, n) == 1}
    fixed |= {d for d, n in parts.spatial_max.items() if n == 1}
    xs = (set(dims) if parts.spatial_x is None else set(parts.spatial_x)) - fixed
    ys = (set(dims) if parts.spatial_y is None else set(parts.spatial_y)) - fixed
    for d in dims:
        if d in fixed or d in xs or d in ys:
            continue
        if d in parts.spatial_factors:
            raise SpecError(f"constraints[{level}].spatial_factors.{d}", parts.spatial_factors[d],
                            f"no spatial factor: neither mesh axis may spread {d} at {level}")  # fmt: skip
        parts.spatial_factors[d] = 1
    if xs == ys:
        return None
    if xs & ys:
        _note(notes, f"constraints at {level}: X may spread {sorted(xs)} and Y {sorted(ys)}; Timeloop's spatial "
              "permutation puts each dimension on one axis, so the constraint is written without the X/Y split "
              f"(any of {sorted(xs | ys)} on either axis)")  # fmt: skip
        return None
    return [d for d in dims if d in xs], [d for d in dims if d in ys]


def constraints_to_timeloop(
    constraints: Constraints,
    arch: Architecture,
    workload: Workload,
    notes: list[str] | None = None,
    given: set[tuple[str, str]] | frozenset = frozenset(),
) -> dict:
    """`{version: 0.4, targets: [...]}` for `mapspace_constraints`: per level a temporal constraint (exact `=`,
    max `<=` and min `>=` factors, the permutation innermost first), a spatial one (factors, X/Y as permutation
    and split) and a bypass one; the min utilisation at the innermost level. `given`: (level, tensor) bypass
    flags the architecture constraints already state (not repeated: Timeloop refuses a re-specification)."""
    names = [lv.name for lv in arch.levels]
    constraints.validate(arch, workload)
    _check_dim_names(workload, "constraint factors")
    merged: dict[str, _LevelParts] = {}
    for i, c in enumerate(constraints.levels):
        _merge(merged.setdefault(c.level, _LevelParts()), c, f"constraints[{i}]", workload)
    dims = workload.dims
    targets: list[dict[str, Any]] = []
    for lv, name in enumerate(names):
        parts = merged.get(name)
        if parts is None:
            continue
        if parts.min_factors:
            _note(notes, f"constraints at {name}: min factors ({_factor_text({}, {}, parts.min_factors, dims)}) "
                  "are a loopscape extension ('>='); Timeloop v3.0.3 does not read them")  # fmt: skip
        text = _factor_text(parts.factors, parts.max_factors, parts.min_factors, dims)
        if text or parts.permutation:
            entry: dict[str, Any] = {"target": name, "type": "temporal"}
            if text:
                entry["factors"] = text
            if parts.permutation:
                entry["permutation"] = _dims_text(list(parts.permutation))
            targets.append(entry)
        axes = _axes(parts, name, workload, notes)
        text = _factor_text(parts.spatial_factors, parts.spatial_max, {}, dims)
        if text or axes:
            if arch.fanout(lv) == (1, 1):
                trivial = all(n == 1 or workload.bound(d) == 1 for d, n in parts.spatial_factors.items())
                if not trivial or axes:
                    raise SpecError(f"constraints[{name}].spatial_factors", text,
                                    f"no spatial constraint at {name}: it has no fan-out below it")  # fmt: skip
            else:
                entry = {"target": name, "type": "spatial"}
                if text:
                    entry["factors"] = text
                if axes:
                    entry["permutation"] = _dims_text(axes[0] + axes[1])
                    entry["split"] = len(axes[0])
                targets.append(entry)
        bypass = [t for t in workload.tensor_names if t in parts.bypass and (name, t) not in given]
        keep = [t for t in workload.tensor_names if t in parts.keep]
        for t in keep:
            if (name, t) in given:
                raise SpecError(f"constraints[{name}].keep", t,
                                f"a tensor the architecture lets {name} keep (its 'keeps' exclude {t})")  # fmt: skip
        if lv == 0 and bypass:
            _note(notes, f"constraints at {name}: bypassing {bypass} at the outermost level is not written "
                  "(Timeloop's outermost level keeps every data space, and so does loopscape's mapspace)")  # fmt: skip
            bypass = []
        if keep or bypass:
            entry = {"target": name, "type": "bypass"}
            if keep:
                entry["keep"] = keep
            if bypass:
                entry["bypass"] = bypass
            targets.append(entry)
    if constraints.min_utilization > 0:
        targets.append({"target": names[-1], "type": "utilization", "min": constraints.min_utilization})
    if constraints.max_bandwidth:
        _note(notes, f"constraints: max_bandwidth {dict(constraints.max_bandwidth)} has no Timeloop equivalent "
              "and is not written")  # fmt: skip
    return {"version": 0.4, "targets": targets}


# ==================================================================================================
# ERT and ART
# ==================================================================================================


def energy_to_timeloop(
    arch: Architecture, table: Any, workload: Workload | None = None, notes: list[str] | None = None
) -> dict:
    """`{ERT: ..., ART: ...}` (Accelergy's layout, io/accelergy.py) from an EnergyTable; what Timeloop's ERT
    cannot hold (wire energies, leakage, other operations' energies) or reads differently is noted."""
    from loopscape.io.accelergy import art_document, ert_document

    doc = {**ert_document(arch, table), **art_document(arch, table)}
    if notes is None:
        return doc
    for lv in arch.levels:
        e = table.level(lv.name)
        for update, fill in (("update", "fill"), ("gated_update", "gated_fill")):
            if getattr(e, update) < getattr(e, fill):
                _note(notes, f"ERT {lv.name}: {update} {getattr(e, update):g} pJ < {fill} {getattr(e, fill):g} pJ; "
                      f"Timeloop v3.0.3 charges an update the larger of random_update and random_fill, so "
                      f"updates cost {getattr(e, fill):g} pJ when read back")  # fmt: skip
    wires = {k: v for k, v in (getattr(table, "network", None) or {}).items() if v}
    if wires:
        _note(notes, f"ERT: the network (wire) energies per word and hop {sorted(wires)} are not written: "
              "Timeloop charges no wire energy with an ERT, and neither does loopscape reading it back")  # fmt: skip
    leak = {k: v for k, v in (getattr(table, "leakage", None) or {}).items() if v}
    if leak:
        _note(notes, f"ERT: the leakage of {sorted(leak)} is not written (an ERT has no leakage)")
    if workload is not None and workload.op != "mac":
        ops = getattr(table, "compute_ops", None) or {}
        if workload.op in ops and ops[workload.op] != table.compute:
            _note(notes, f"ERT {arch.compute.name}: the energy of one {workload.op!r} ({ops[workload.op]:g} pJ) is "
                  f"not written (Timeloop's ERT has one compute action, the MAC's {table.compute:g} pJ; loopscape "
                  "reading it back takes the other operations' energies from its built-in tables)")  # fmt: skip
    return doc


# ==================================================================================================
# Whole sets of files
# ==================================================================================================

# part -> the file convert writes it to
PART_FILES = {
    "architecture": "arch.yaml",
    "problem": "problem.yaml",
    "mapping": "map.yaml",
    "constraints": "constraints.yaml",
    "energy": "ert.yaml",
}


@dataclass
class TimeloopDocuments:
    """One YAML document per part (`PART_FILES`' keys) and what Timeloop does not model (`notes`)."""

    documents: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def timeloop_documents(
    arch: Architecture | None = None,
    workload: Workload | None = None,
    mapping: Mapping | None = None,
    constraints: Constraints | None = None,
    energy: Any = None,
) -> TimeloopDocuments:
    """The parts given as Timeloop v0.4 documents. The architecture's document also holds its `keeps` as
    `architecture_constraints` (when a workload names the data spaces) and its gating as
    `sparse_optimizations`; a mapping and constraints need the architecture and workload, energy (an
    EnergyTable) the architecture."""
    out = TimeloopDocuments()
    notes = out.notes
    given: set[tuple[str, str]] = set()
    if arch is not None:
        doc: dict[str, Any] = {"architecture": architecture_to_timeloop(arch, notes)}
        if workload is not None:
            keeps = keeps_to_timeloop(arch, workload, notes)
            if keeps:
                doc["architecture_constraints"] = {"version": 0.4, "targets": keeps}
                given = {(c["target"], t) for c in keeps for t in c["bypass"]}
        elif any(lv.keeps is not None for lv in arch.levels[1:]):
            _note(notes, "architecture: the levels' 'keeps' are written as the loopscape attribute 'keeps' only "
                  "(bypass constraints need the problem's data spaces)")  # fmt: skip
        sparse = sparse_optimizations_to_timeloop(arch)
        if sparse is not None:
            doc["sparse_optimizations"] = sparse
        out.documents["architecture"] = doc
    if workload is not None:
        out.documents["problem"] = {"problem": problem_to_timeloop(workload, notes)}
    if (mapping is not None or constraints is not None) and (arch is None or workload is None):
        raise ValueError("writing a mapping or constraints needs its architecture and workload")
    if mapping is not None:
        _check_dim_names(workload, "mapping factors")
        out.documents["mapping"] = {"mapping": mapping_to_timeloop(mapping, arch, workload)}
    if constraints is not None:
        out.documents["constraints"] = {
            "mapspace_constraints": constraints_to_timeloop(constraints, arch, workload, notes, given)
        }
    if energy is not None:
        if arch is None:
            raise ValueError("writing an ERT/ART needs its architecture")
        out.documents["energy"] = energy_to_timeloop(arch, energy, workload, notes)
    return out


def dump_yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=110)


def to_timeloop_yaml(
    arch: Architecture | None = None,
    workload: Workload | None = None,
    mapping: Mapping | None = None,
    constraints: Constraints | None = None,
    energy: Any = None,
) -> str:
    """One Timeloop v0.4 document with whichever parts are given (see `timeloop_documents`)."""
    docs = timeloop_documents(arch, workload, mapping, constraints, energy).documents
    merged: dict[str, Any] = {}
    for doc in docs.values():
        merged.update(doc)
    return dump_yaml(merged)


__all__ = [
    "PART_FILES",
    "TimeloopDocuments",
    "architecture_to_timeloop",
    "constraints_to_timeloop",
    "dump_yaml",
    "energy_to_timeloop",
    "keeps_to_timeloop",
    "mapping_to_timeloop",
    "problem_to_timeloop",
    "sparse_optimizations_to_timeloop",
    "timeloop_documents",
    "to_timeloop_yaml",
]
