"""loopscape's native YAML format: `workload`, `architecture`, `mapping` and `energy` top-level keys.

Readers take the parsed YAML value of one key and return our specs; writers do the reverse, so that
`read(write(x)) == x`. docs/specs.md documents the format with examples.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import yaml

from loopscape.arch import STORAGE_CLASSES, Architecture, ComputeLevel, Network, StorageLevel
from loopscape.arch.architecture import UpdateUnit
from loopscape.errors import SpecError
from loopscape.io.energy_overrides import ACTIONS, EnergyOverrides
from loopscape.io.spec_yaml import (
    MAX_INT,
    MAX_SIZE,
    as_bool,
    as_int,
    as_number,
    as_str,
    as_str_list,
    check_keys,
    describe,
    expect_list,
    expect_map,
    get,
    join,
    suggestion,
)
from loopscape.mapping import KINDS, SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.workload import Tensor, Workload, layers

NATIVE_KEYS = ("workload", "architecture", "mapping", "energy")

LAYERS = {
    "conv2d": layers.conv2d,
    "depthwise_conv2d": layers.depthwise_conv2d,
    "pointwise_conv2d": layers.pointwise_conv2d,
    "fully_connected": layers.fully_connected,
    "matmul": layers.matmul,
    "conv1d": layers.conv1d,
}
# Keyword arguments a constructor forwards to conv2d through **kw.
_FORWARDED = {"depthwise_conv2d": ("stride", "dilation")}
_PAIR_PARAMS = ("stride", "dilation")  # conv2d takes an int or an [H, W] pair

# ==================================================================================================
# Workload
# ==================================================================================================


def read_workload(node: object, path: str = "workload") -> Workload:
    """A workload from a layer constructor (`layer: conv2d, K: 64, ...`) or the general form."""
    node = expect_map(
        node, path, "a mapping: {layer: conv2d, K: ..., ...} or {dimensions: ..., tensors: ...}"
    )
    if "layer" in node:
        return _read_layer(node, path)
    check_keys(node, path, ("name", "dimensions", "tensors", "op"), required=("dimensions", "tensors"))
    name = get(node, "name", path, as_str, default="workload")
    op = get(node, "op", path, as_str, default="mac")
    dims_node = expect_map(
        node["dimensions"], join(path, "dimensions"), "a mapping of dimension name -> bound"
    )
    if not dims_node:
        raise SpecError(join(path, "dimensions"), "an empty mapping", "at least one dimension")
    dims: list[str] = []
    bounds: list[int] = []
    for d, b in dims_node.items():
        dpath = join(join(path, "dimensions"), str(d))
        if not isinstance(d, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", d):
            raise SpecError(dpath, describe(d), "a dimension name (letters, digits, _)")
        dims.append(d)
        bounds.append(as_int(b, dpath))
    tpath = join(path, "tensors")
    tensors_node = expect_list(node["tensors"], tpath, "a list of tensors")
    if not tensors_node:
        raise SpecError(tpath, "an empty list", "at least one tensor")
    tensors = [_read_tensor(t, join(tpath, i), dims) for i, t in enumerate(tensors_node)]
    names = [t.name for t in tensors]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise SpecError(join(join(tpath, i), "name"), n, "a tensor name not used before")
    if not any(t.read_write for t in tensors):
        raise SpecError(
            tpath, f"no read_write tensor among {names}", "one tensor with read_write: true (the output)"
        )
    return Workload(name=name, dims=tuple(dims), bounds=tuple(bounds), tensors=tuple(tensors), op=op)


def _read_layer(node: dict, path: str) -> Workload:
    layer = node["layer"]
    if not isinstance(layer, str) or layer not in LAYERS:
        raise SpecError(
            join(path, "layer"),
            f"{describe(layer)}{suggestion(str(layer), LAYERS)}",
            f"one of {list(LAYERS)}",
        )
    fn = LAYERS[layer]
    params = {
        p.name: p
        for p in inspect.signature(fn).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    }
    allowed = set(params) | set(_FORWARDED.get(layer, ())) | {"layer"}
    check_keys(node, path, allowed)
    kwargs: dict[str, Any] = {}
    for key, value in node.items():
        if key == "layer":
            continue
        kpath = join(path, key)
        if key == "name":
            kwargs["name"] = as_str(value, kpath)
        elif key in _PAIR_PARAMS and isinstance(value, list) and layer != "conv1d":
            if len(value) != 2:
                raise SpecError(kpath, describe(value), "an integer or a pair [H, W] of positive integers")
            kwargs[key] = (as_int(value[0], join(kpath, 0)), as_int(value[1], join(kpath, 1)))
        else:
            kwargs[key] = as_int(value, kpath)
    for p in params.values():
        if p.default is inspect.Parameter.empty and p.name not in kwargs:
            raise SpecError(
                join(path, p.name), "nothing (the key is missing)", f"the {layer} parameter '{p.name}'"
            )
    name = kwargs.get("name", params["name"].default)
    try:
        return fn(**kwargs)
    except SpecError as e:  # the constructors name their errors '<layer name>.<key>'
        sub = e.path[len(name) + 1 :] if e.path.startswith(f"{name}.") else e.path
        raise SpecError(join(path, sub), e.found, e.expected) from None


_TERM = re.compile(r"\s*(?:(\d+)\s*\*\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)(?:\s*\*\s*(\d+))?)\s*$")


def parse_rank_expression(
    expr: object, path: str, dims: list[str] | tuple[str, ...]
) -> tuple[tuple[str, int], ...]:
    """'P*2 + R', '2*P+R', 'C' -> (('P', 2), ('R', 1)); terms keep their written order."""
    expected = f"a sum of terms like 'P*2 + R' over the dimensions {list(dims)}"
    if not isinstance(expr, str) or not expr.strip():
        raise SpecError(path, describe(expr), expected)
    terms: list[tuple[str, int]] = []
    for part in expr.split("+"):
        m = _TERM.match(part)
        if not m:
            raise SpecError(path, repr(expr), expected)
        if m.group(2):
            dim, coef = m.group(2), int(m.group(1))
        else:
            dim, coef = m.group(3), int(m.group(4) or 1)
        if dim not in dims:
            raise SpecError(
                path, f"the dimension {dim!r} in {expr!r}{suggestion(dim, dims)}", f"one of {list(dims)}"
            )
        if coef > MAX_INT:
            raise SpecError(path, repr(expr), f"coefficients no larger than {MAX_INT}")
        terms.append((dim, coef))
    return tuple(terms)


def format_rank_expression(rank: tuple[tuple[str, int], ...]) -> str:
    return " + ".join(d if c == 1 else f"{d}*{c}" for d, c in rank)


def _read_tensor(node: object, path: str, dims: list[str]) -> Tensor:
    node = expect_map(node, path, "a tensor: {name, ranks, read_write, density}")
    check_keys(node, path, ("name", "ranks", "read_write", "density"), required=("name", "ranks"))
    name = as_str(node["name"], join(path, "name"))
    rpath = join(path, "ranks")
    ranks_node = node["ranks"]
    rank_names: tuple[str, ...] = ()
    if isinstance(ranks_node, dict):
        if not ranks_node:
            raise SpecError(rpath, "an empty mapping", "at least one rank")
        rank_names = tuple(str(k) for k in ranks_node)
        ranks = tuple(parse_rank_expression(v, join(rpath, str(k)), dims) for k, v in ranks_node.items())
    else:
        items = expect_list(
            ranks_node, rpath, "a list of rank expressions, or a mapping rank name -> expression"
        )
        if not items:
            raise SpecError(rpath, "an empty list", "at least one rank")
        ranks = tuple(parse_rank_expression(v, join(rpath, i), dims) for i, v in enumerate(items))
    read_write = get(node, "read_write", path, as_bool, default=False)
    density = get(node, "density", path, as_number, default=1.0)
    if density > 1.0:
        raise SpecError(join(path, "density"), density, "a fraction of non-zero values in (0, 1]")
    return Tensor(name, ranks, rank_names, read_write, float(density))


def workload_to_native(workload: Workload) -> dict:
    """The general (dimensions / tensors) form, which every workload has."""
    tensors = []
    for t in workload.tensors:
        exprs = [format_rank_expression(r) for r in t.ranks]
        entry: dict[str, Any] = {"name": t.name}
        if t.rank_names and len(t.rank_names) == len(exprs) and len(set(t.rank_names)) == len(exprs):
            entry["ranks"] = dict(zip(t.rank_names, exprs))
        else:
            entry["ranks"] = exprs
        if t.read_write:
            entry["read_write"] = True
        if t.density != 1.0:
            entry["density"] = t.density
        tensors.append(entry)
    out: dict[str, Any] = {"name": workload.name, "dimensions": dict(zip(workload.dims, workload.bounds))}
    if workload.op != "mac":
        out["op"] = workload.op
    out["tensors"] = tensors
    return out


# ==================================================================================================
# Architecture
# ==================================================================================================

_LEVEL_KEYS = (
    "name", "class", "instances", "mesh_x", "entries", "size_bytes", "word_bits", "block_size",
    "read_bandwidth", "write_bandwidth", "shared_bandwidth", "keeps", "network", "gating", "component", "attributes",
)  # fmt: skip
_CLASS_NAMES = {c.lower(): c for c in STORAGE_CLASSES}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|kB)?\s*$")
_UNITS = {
    None: 1,
    "B": 1,
    "KB": 1000,
    "kB": 1000,
    "KiB": 1024,
    "MB": 10**6,
    "MiB": 2**20,
    "GB": 10**9,
    "GiB": 2**30,
}


def read_architecture(node: object, path: str = "architecture") -> Architecture:
    node = expect_map(node, path, "a mapping: {name, levels: [...], compute: {...}}")
    check_keys(
        node,
        path,
        ("name", "technology", "clock_ghz", "levels", "compute", "update_unit"),
        required=("levels",),
    )
    name = get(node, "name", path, as_str, default="arch")
    technology = get(node, "technology", path, as_str, default="45nm")
    clock_ghz = get(node, "clock_ghz", path, as_number, default=1.0)
    lpath = join(path, "levels")
    items = expect_list(node["levels"], lpath, "a list of storage levels, outermost (backing store) first")
    if not items:
        raise SpecError(lpath, "an empty list", "at least one storage level (the backing store)")
    levels = tuple(_read_level(item, join(lpath, i)) for i, item in enumerate(items))
    compute = _read_compute(node.get("compute"), join(path, "compute"), levels[-1])
    unit = None
    if node.get("update_unit") is not None:
        unit = _read_update_unit(node["update_unit"], join(path, "update_unit"), [lv.name for lv in levels])
    return Architecture(
        name=name,
        levels=levels,
        compute=compute,
        technology=technology,
        clock_ghz=clock_ghz,
        update_unit=unit,
    )


_UPDATE_UNIT_KEYS = ("name", "instances", "attach", "word_bits", "mesh_x", "component")


def _read_update_unit(node: object, path: str, levels: list[str]) -> UpdateUnit:
    """The weight-update unit: `{name, instances, attach, word_bits, mesh_x, component}` (the last three
    optional)."""
    node = expect_map(node, path, "a mapping {name, instances, attach, word_bits, mesh_x, component}")
    check_keys(node, path, _UPDATE_UNIT_KEYS, required=("name", "instances", "attach"))
    attach = as_str(node["attach"], join(path, "attach"))
    if attach not in levels:
        raise SpecError(
            join(path, "attach"),
            f"{attach!r}{suggestion(attach, levels)}",
            f"the storage level feeding the unit, one of {levels}",
        )
    return UpdateUnit(
        name=as_str(node["name"], join(path, "name")),
        instances=as_int(node["instances"], join(path, "instances")),
        attach=attach,
        word_bits=get(node, "word_bits", path, as_int, default=16),
        mesh_x=get(node, "mesh_x", path, as_int, default=None),
        component=get(node, "component", path, as_str, default=None),
    )


def _read_level(node: object, path: str) -> StorageLevel:
    node = expect_map(node, path, "a storage level: {name, class, entries, ...}")
    check_keys(node, path, _LEVEL_KEYS, required=("name",))
    name = as_str(node["name"], join(path, "name"))
    cls_raw = get(node, "class", path, as_str, default="SRAM")
    cls = _CLASS_NAMES.get(cls_raw.lower())
    if cls is None:
        raise SpecError(
            join(path, "class"),
            f"{cls_raw!r}{suggestion(cls_raw, STORAGE_CLASSES)}",
            f"one of {list(STORAGE_CLASSES)}",
        )
    word_bits = get(node, "word_bits", path, as_int, default=16)
    if "entries" in node and "size_bytes" in node:
        raise SpecError(
            join(path, "size_bytes"), "both entries and size_bytes", "one of entries (words) or size_bytes"
        )
    entries = get(node, "entries", path, as_int, default=None, maximum=MAX_SIZE)
    if node.get("size_bytes") is not None:
        entries = _entries_from_bytes(node["size_bytes"], join(path, "size_bytes"), word_bits)
    keeps = node.get("keeps")
    return StorageLevel(
        name=name,
        cls=cls,
        instances=get(node, "instances", path, as_int, default=1),
        mesh_x=get(node, "mesh_x", path, as_int, default=None),
        entries=entries,
        word_bits=word_bits,
        block_size=get(node, "block_size", path, as_int, default=1),
        read_bandwidth=get(node, "read_bandwidth", path, as_number, default=None),
        write_bandwidth=get(node, "write_bandwidth", path, as_number, default=None),
        shared_bandwidth=get(node, "shared_bandwidth", path, as_number, default=None),
        keeps=None
        if keeps is None
        else frozenset(as_str_list(keeps, join(path, "keeps"), "a list of tensor names")),
        network=_read_network(node.get("network"), join(path, "network")),
        gating=_read_gating(node.get("gating"), join(path, "gating")),
        component=get(node, "component", path, as_str, default=None),
        attributes=_read_attributes(node.get("attributes"), join(path, "attributes")),
    )


def _read_gating(node: object, path: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`{TARGET: [CONDITION, ...]}`: an access to TARGET is gated when a CONDITION tensor's value is zero."""
    if node is None:
        return ()
    node = expect_map(node, path, "a mapping target tensor -> condition tensors, e.g. {Inputs: [Weights]}")
    return tuple(
        (str(target), tuple(as_str_list(conds, join(path, str(target)), "a list of tensor names")))
        for target, conds in node.items()
    )


def _read_attributes(node: object, path: str) -> tuple[tuple[str, object], ...]:
    """Energy component attributes `{name: value}` (numbers, strings, booleans), kept in the written order.

    Which names a component class takes is checked where the ERT is built (energy.ert), which knows the class.
    """
    if node is None:
        return ()
    node = expect_map(node, path, "a mapping attribute name -> value, e.g. {n_banks: 4}")
    out = []
    for key, value in node.items():
        kpath = join(path, str(key))
        if not isinstance(key, str) or not key:
            raise SpecError(kpath, describe(key), "an attribute name")
        if not isinstance(value, (int, float, str, bool)):
            raise SpecError(kpath, describe(value), "a number, a string or a boolean")
        out.append((key, value))
    return tuple(out)


def _entries_from_bytes(value: object, path: str, word_bits: int) -> int:
    expected = "a size in bytes: an integer or a string like '128 KiB'"
    if isinstance(value, bool):
        raise SpecError(path, describe(value), expected)
    if isinstance(value, int):
        nbytes = as_int(value, path, maximum=MAX_SIZE)
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        nbytes_f = float(m.group(1)) * _UNITS[m.group(2)]
        if nbytes_f != int(nbytes_f) or not 0 < nbytes_f <= MAX_SIZE:
            raise SpecError(path, repr(value), "a positive whole number of bytes")
        nbytes = int(nbytes_f)
    else:
        raise SpecError(path, describe(value), expected)
    bits = nbytes * 8
    if bits % word_bits:
        raise SpecError(path, value, f"a size that holds a whole number of {word_bits}-bit words")
    return bits // word_bits


def _read_network(node: object, path: str) -> Network:
    if node is None:
        return Network()
    node = expect_map(node, path, "a mapping {multicast, spatial_reduction, forwarding}")
    check_keys(node, path, ("multicast", "spatial_reduction", "forwarding"))
    default = Network()
    return Network(
        multicast=get(node, "multicast", path, as_bool, default=default.multicast),
        spatial_reduction=get(node, "spatial_reduction", path, as_bool, default=default.spatial_reduction),
        forwarding=get(node, "forwarding", path, as_bool, default=default.forwarding),
    )


def _read_compute(node: object, path: str, innermost: StorageLevel) -> ComputeLevel:
    """The compute units; by default as many as (and laid out like) the innermost storage level."""
    if node is None:
        return ComputeLevel(instances=innermost.instances, mesh_x=innermost.mesh_x)
    node = expect_map(
        node, path, "a mapping {name, instances, mesh_x, word_bits, gating, component, attributes}"
    )
    check_keys(node, path, ("name", "instances", "mesh_x", "word_bits", "gating", "component", "attributes"))
    return ComputeLevel(
        name=get(node, "name", path, as_str, default="MAC"),
        instances=get(node, "instances", path, as_int, default=innermost.instances),
        mesh_x=get(
            node, "mesh_x", path, as_int, default=innermost.mesh_x if "instances" not in node else None
        ),
        word_bits=get(node, "word_bits", path, as_int, default=16),
        gating=get(node, "gating", path, as_bool, default=False),
        component=get(node, "component", path, as_str, default=None),
        attributes=_read_attributes(node.get("attributes"), join(path, "attributes")),
    )


def _component_to_native(level: StorageLevel | ComputeLevel, entry: dict[str, Any]) -> None:
    if level.component is not None:
        entry["component"] = level.component
    if level.attributes:
        entry["attributes"] = dict(level.attributes)


def architecture_to_native(arch: Architecture) -> dict:
    default_level = StorageLevel(name="")
    levels = []
    for lv in arch.levels:
        entry: dict[str, Any] = {"name": lv.name, "class": lv.cls}
        for key in ("instances", "mesh_x", "entries", "word_bits", "block_size",
                    "read_bandwidth", "write_bandwidth", "shared_bandwidth"):  # fmt: skip
            value = getattr(lv, key)
            if value != getattr(default_level, key):
                entry[key] = value
        if lv.keeps is not None:
            entry["keeps"] = sorted(lv.keeps)
        if lv.gating:
            entry["gating"] = {target: list(conds) for target, conds in lv.gating}
        if lv.network != Network():
            entry["network"] = {
                "multicast": lv.network.multicast,
                "spatial_reduction": lv.network.spatial_reduction,
                "forwarding": lv.network.forwarding,
            }
        _component_to_native(lv, entry)
        levels.append(entry)
    c = arch.compute
    compute: dict[str, Any] = {"name": c.name, "instances": c.instances}
    if c.mesh_x is not None:
        compute["mesh_x"] = c.mesh_x
    if c.word_bits != 16:
        compute["word_bits"] = c.word_bits
    if c.gating:
        compute["gating"] = True
    _component_to_native(c, compute)
    out = {"name": arch.name, "technology": arch.technology, "levels": levels, "compute": compute}
    if arch.clock_ghz != 1.0:
        out["clock_ghz"] = arch.clock_ghz
    u = arch.update_unit
    if u is not None:
        unit: dict[str, Any] = {"name": u.name, "instances": u.instances, "attach": u.attach}
        if u.word_bits != 16:
            unit["word_bits"] = u.word_bits
        if u.mesh_x is not None:
            unit["mesh_x"] = u.mesh_x
        if u.component is not None:
            unit["component"] = u.component
        out["update_unit"] = unit
    return out


# ==================================================================================================
# Mapping
# ==================================================================================================

_FACTOR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*?)=?(\d+)$")


def parse_factors(value: object, path: str, dims: tuple[str, ...]) -> list[tuple[str, int]]:
    """'P4 R3' (or 'P=4 R=3', or a mapping {P: 4, R: 3}) -> [('P', 4), ('R', 3)] in the written order."""
    expected = f"loops like 'P4 R3' (dimension then bound, outer to inner) over {list(dims)}"
    if isinstance(value, dict):
        out = []
        for d, b in value.items():
            if d not in dims:
                raise SpecError(
                    join(path, str(d)),
                    f"the dimension {d!r}{suggestion(str(d), dims)}",
                    f"one of {list(dims)}",
                )
            out.append((d, as_int(b, join(path, str(d)))))
        return out
    if not isinstance(value, str):
        raise SpecError(path, describe(value), expected)
    out = []
    for token in re.split(r"[\s,]+", value.strip()):
        if not token:
            continue
        m = _FACTOR.match(token)
        dim = bound = None
        if m and m.group(1) in dims:
            dim, bound = m.group(1), int(m.group(2))
        elif m:  # 'H14' with a dimension 'H1': try the known names that prefix the token
            for d in sorted(dims, key=len, reverse=True):
                rest = token[len(d) :].lstrip("=")
                if token.startswith(d) and rest.isdigit():
                    dim, bound = d, int(rest)
                    break
        if dim is None:
            name = m.group(1) if m else token
            raise SpecError(path, f"{token!r} in {value!r}{suggestion(name, dims)}", expected)
        if not 1 <= bound <= MAX_INT:
            raise SpecError(
                path, f"{token!r} in {value!r}", f"a positive loop bound no larger than {MAX_INT}"
            )
        out.append((dim, bound))
    return out


def format_factors(loops: list[tuple[str, int]]) -> str:
    sep = "=" if any(d[-1].isdigit() for d, _ in loops) else ""
    return " ".join(f"{d}{sep}{b}" for d, b in loops)


def _parse_order(value: object, path: str, dims: tuple[str, ...]) -> list[str]:
    """'PR' or 'P R' (outer to inner) -> ['P', 'R']."""
    text = as_str(value, path, "a loop order like 'PQR' or 'P Q R' (outer to inner)")
    tokens = text.split()
    if len(tokens) == 1 and tokens[0] not in dims:
        tokens = list(tokens[0])
    for t in tokens:
        if t not in dims:
            raise SpecError(path, f"{t!r} in {text!r}{suggestion(t, dims)}", f"dimensions among {list(dims)}")
    return tokens


def read_mapping(node: object, arch: Architecture, workload: Workload, path: str = "mapping") -> Mapping:
    """A mapping from the `nest` form (per level) or the `loops` form (one loop per entry)."""
    node = expect_map(node, path, "a mapping: {keep, bypass, nest: [...]} or {keep, bypass, loops: [...]}")
    check_keys(node, path, ("keep", "bypass", "nest", "loops", "cuts"))
    if ("nest" in node) == ("loops" in node):
        found = "both nest and loops" if "nest" in node else "neither nest nor loops"
        raise SpecError(
            path, found, "exactly one of 'nest' (loops per level) or 'loops' (one loop per entry)"
        )
    names = [lv.name for lv in arch.levels]
    if "nest" in node:
        loops = _read_nest(node["nest"], join(path, "nest"), names, workload)
    else:
        loops = _read_loops(node["loops"], join(path, "loops"), names, workload)
    keep = _read_keep(node, path, arch, workload)
    cuts = _read_cuts(node.get("cuts"), join(path, "cuts"), names, workload, len(loops))
    return Mapping(loops=tuple(loops), keep=keep, cuts=cuts)


def _level_index(value: object, path: str, names: list[str]) -> int:
    if isinstance(value, str) and value in names:
        return names.index(value)
    shown = f"{describe(value)}{suggestion(str(value), names)}"
    raise SpecError(path, shown, f"a storage level name, one of {names}")


def _read_nest(node: object, path: str, names: list[str], workload: Workload) -> list[Loop]:
    items = expect_list(
        node, path, "a list of {level, temporal, spatial_x, spatial_y}, outermost level first"
    )
    loops: list[Loop] = []
    last = -1
    for i, item in enumerate(items):
        ipath = join(path, i)
        item = expect_map(item, ipath, "a mapping {level, temporal, order, spatial_x, spatial_y}")
        check_keys(item, ipath, ("level", "temporal", "order", "spatial_x", "spatial_y"), required=("level",))
        level = _level_index(item["level"], join(ipath, "level"), names)
        if level <= last:
            what = "a level listed once" if level == last else f"levels in order, outermost first ({names})"
            raise SpecError(join(ipath, "level"), names[level], what)
        last = level
        temporal = parse_factors(item.get("temporal") or "", join(ipath, "temporal"), workload.dims)
        if "order" in item:
            opath = join(ipath, "order")
            order = _parse_order(item["order"], opath, workload.dims)
            given = [d for d, _ in temporal]
            if len(set(given)) != len(given):
                raise SpecError(
                    opath, item["order"], "no order when 'temporal' has two loops over one dimension"
                )
            extra = [d for d in order if d not in given]
            if extra or len(set(order)) != len(order):
                raise SpecError(opath, item["order"], f"each of the temporal dimensions {given} at most once")
            bounds = dict(temporal)
            temporal = [(d, bounds[d]) for d in order] + [(d, b) for d, b in temporal if d not in order]
        loops += [Loop(d, b, TEMPORAL, level) for d, b in temporal]
        for key, kind in (("spatial_y", SPATIAL_Y), ("spatial_x", SPATIAL_X)):
            if item.get(key):
                loops += [
                    Loop(d, b, kind, level)
                    for d, b in parse_factors(item[key], join(ipath, key), workload.dims)
                ]
    return loops


def _read_loops(node: object, path: str, names: list[str], workload: Workload) -> list[Loop]:
    items = expect_list(node, path, "a list of loops {level, dim, bound, kind}, outermost first")
    loops = []
    for i, item in enumerate(items):
        ipath = join(path, i)
        item = expect_map(item, ipath, "a loop {level, dim, bound, kind}")
        check_keys(item, ipath, ("level", "dim", "bound", "kind"), required=("level", "dim", "bound"))
        level = _level_index(item["level"], join(ipath, "level"), names)
        dim = item["dim"]
        if dim not in workload.dims:
            raise SpecError(
                join(ipath, "dim"),
                f"{describe(dim)}{suggestion(str(dim), workload.dims)}",
                f"one of {list(workload.dims)}",
            )
        kind = item.get("kind", TEMPORAL)
        if kind not in KINDS:
            raise SpecError(
                join(ipath, "kind"),
                f"{describe(kind)}{suggestion(str(kind), KINDS)}",
                f"one of {list(KINDS)}",
            )
        loops.append(Loop(dim, as_int(item["bound"], join(ipath, "bound")), kind, level))
    return loops


def default_keep(arch: Architecture, workload: Workload, level: int) -> frozenset[str]:
    """What a level keeps when the mapping does not say: every tensor the architecture lets it hold."""
    if level == 0:
        return frozenset(workload.tensor_names)
    return frozenset(t for t in workload.tensor_names if arch.may_keep(level, t))


def _read_keep(node: dict, path: str, arch: Architecture, workload: Workload) -> tuple[frozenset[str], ...]:
    names = [lv.name for lv in arch.levels]
    keep = [default_keep(arch, workload, i) for i in range(len(names))]
    tensors = workload.tensor_names
    seen: dict[int, str] = {}
    for key in ("keep", "bypass"):
        if node.get(key) is None:
            continue
        kpath = join(path, key)
        given = expect_map(node[key], kpath, f"a mapping level name -> list of tensors to {key}")
        for lname, tlist in given.items():
            lpath = join(kpath, str(lname))
            level = _level_index(lname, lpath, names)
            if level in seen:
                raise SpecError(
                    lpath, f"{lname} in both keep and bypass", "each level in keep or in bypass, not both"
                )
            seen[level] = key
            listed = as_str_list(tlist, lpath, "a list of tensor names")
            for j, t in enumerate(listed):
                if t not in tensors:
                    raise SpecError(
                        join(lpath, j),
                        f"{t!r}{suggestion(t, tensors)}",
                        f"one of the tensors {list(tensors)}",
                    )
            keep[level] = frozenset(listed) if key == "keep" else frozenset(tensors) - frozenset(listed)
    return tuple(keep)


def _read_cuts(node: object, path: str, names: list[str], workload: Workload, n_loops: int
               ) -> tuple[tuple[int, str, int], ...]:  # fmt: skip
    if node is None:
        return ()
    items = expect_list(node, path, "a list of cuts {level, tensor, position}")
    cuts = []
    for i, item in enumerate(items):
        ipath = join(path, i)
        item = expect_map(item, ipath, "a cut {level, tensor, position}")
        check_keys(item, ipath, ("level", "tensor", "position"), required=("level", "tensor", "position"))
        level = _level_index(item["level"], join(ipath, "level"), names)
        tensor = item["tensor"]
        if tensor not in workload.tensor_names:
            raise SpecError(
                join(ipath, "tensor"), describe(tensor), f"one of the tensors {list(workload.tensor_names)}"
            )
        position = as_int(item["position"], join(ipath, "position"), minimum=0)
        if position > n_loops:
            raise SpecError(join(ipath, "position"), position, f"a nest position in [0, {n_loops}]")
        cuts.append((level, tensor, position))
    return tuple(cuts)


def _nest_form(mapping: Mapping, names: list[str]) -> list[dict] | None:
    """Per-level entries when the loops of each level run temporal, then Y, then X; else None."""
    rank = {TEMPORAL: 0, SPATIAL_Y: 1, SPATIAL_X: 2}
    entries: list[dict] = []
    for level in sorted({lp.level for lp in mapping.loops}):
        mine = [lp for lp in mapping.loops if lp.level == level]
        if [rank[lp.kind] for lp in mine] != sorted(rank[lp.kind] for lp in mine):
            return None
        entry: dict[str, Any] = {"level": names[level]}
        for key, kind in (("temporal", TEMPORAL), ("spatial_x", SPATIAL_X), ("spatial_y", SPATIAL_Y)):
            loops = [(lp.dim, lp.bound) for lp in mine if lp.kind == kind]
            if loops:
                entry[key] = format_factors(loops)
        entries.append(entry)
    return entries


def mapping_to_native(mapping: Mapping, arch: Architecture, workload: Workload) -> dict:
    names = [lv.name for lv in arch.levels]
    out: dict[str, Any] = {}
    keep = {names[i]: sorted(k) for i, k in enumerate(mapping.keep) if k != default_keep(arch, workload, i)}
    if keep:
        out["keep"] = keep
    nest = _nest_form(mapping, names)
    if nest is not None:
        out["nest"] = nest
    else:
        out["loops"] = [
            {"level": names[lp.level], "dim": lp.dim, "bound": lp.bound, "kind": lp.kind}
            for lp in mapping.loops
        ]
    if mapping.cuts:
        out["cuts"] = [{"level": names[lv], "tensor": t, "position": pos} for lv, t, pos in mapping.cuts]
    return out


# ==================================================================================================
# Energy
# ==================================================================================================


def read_energy(node: object, path: str = "energy") -> EnergyOverrides:
    """`energy: {compute: pJ, levels: {NAME: {read, fill, update}}, area: {NAME: um^2}}` (all optional)."""
    node = expect_map(node, path, "a mapping {compute, levels, area}")
    check_keys(node, path, ("compute", "levels", "area"))
    compute = get(node, "compute", path, as_number, default=None, positive=False)
    levels: dict[str, dict[str, float]] = {}
    lpath = join(path, "levels")
    for name, actions in expect_map(
        node.get("levels") or {}, lpath, "a mapping level name -> {read, fill, update}"
    ).items():
        apath = join(lpath, str(name))
        actions = expect_map(actions, apath, "a mapping {read, fill, update} of pJ per vector access")
        check_keys(actions, apath, ACTIONS)
        levels[str(name)] = {a: as_number(v, join(apath, a), positive=False) for a, v in actions.items()}
    apath = join(path, "area")
    area = {
        str(k): as_number(v, join(apath, str(k)), positive=False)
        for k, v in expect_map(node.get("area") or {}, apath, "a mapping name -> um^2 per instance").items()
    }
    return EnergyOverrides(levels=levels, compute=compute, area=area, source="energy")


def check_energy_names(overrides: EnergyOverrides, arch: Architecture, path: str = "energy") -> None:
    """Native energy blocks must name levels of the architecture (a misspelt name would be silently unused)."""
    names = [lv.name for lv in arch.levels]
    for name in overrides.levels:
        if name not in names:
            raise SpecError(
                join(join(path, "levels"), name),
                f"{name!r}{suggestion(name, names)}",
                f"a storage level, one of {names}",
            )
    for name in overrides.area:
        if name not in names + [arch.compute.name]:
            allowed = names + [arch.compute.name]
            raise SpecError(
                join(join(path, "area"), name), f"{name!r}{suggestion(name, allowed)}", f"one of {allowed}"
            )


def energy_to_native(overrides: EnergyOverrides) -> dict:
    out: dict[str, Any] = {}
    if overrides.compute is not None:
        out["compute"] = overrides.compute
    if overrides.levels:
        out["levels"] = {k: dict(v) for k, v in overrides.levels.items()}
    if overrides.area:
        out["area"] = dict(overrides.area)
    return out


# ==================================================================================================
# Whole documents
# ==================================================================================================


def to_native_yaml(
    arch: Architecture | None = None,
    workload: Workload | None = None,
    mapping: Mapping | None = None,
    energy: EnergyOverrides | None = None,
) -> str:
    """One native YAML document holding whichever specs are given (a mapping needs arch and workload)."""
    doc: dict[str, Any] = {}
    if workload is not None:
        doc["workload"] = workload_to_native(workload)
    if arch is not None:
        doc["architecture"] = architecture_to_native(arch)
    if mapping is not None:
        if arch is None or workload is None:
            raise ValueError(
                "writing a mapping needs its architecture and workload (level and dimension names)"
            )
        doc["mapping"] = mapping_to_native(mapping, arch, workload)
    if energy is not None:
        doc["energy"] = energy_to_native(energy)
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=110)


def workload_to_native_yaml(workload: Workload) -> str:
    return to_native_yaml(workload=workload)


def architecture_to_native_yaml(arch: Architecture) -> str:
    return to_native_yaml(arch=arch)


def mapping_to_native_yaml(mapping: Mapping, arch: Architecture, workload: Workload) -> str:
    return yaml.safe_dump({"mapping": mapping_to_native(mapping, arch, workload)}, sort_keys=False, width=110)
