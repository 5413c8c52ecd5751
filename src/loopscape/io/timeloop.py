"""Timeloop v0.4 YAML (as timeloop-model v3.0.3 reads it): architecture, problem, mapping, ERT and ART.

Defaults follow Timeloop's own parsers (buffer.cpp, topology.cpp, mapping/parser.cpp, problem-shape.cpp);
docs/specs.md lists them. Where Timeloop silently ignores something (a misspelt attribute, a component of
unknown class, a garbled factor string) we fail with a SpecError instead. Writers are in timeloop_writer.py.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from typing import Any

from loopscape.arch import STORAGE_CLASSES, Architecture, ComputeLevel, Network, StorageLevel
from loopscape.errors import SpecError
from loopscape.io.energy_overrides import EnergyOverrides
from loopscape.io.spec_yaml import (
    MAX_INT,
    MAX_SIZE,
    as_bool,
    as_int,
    as_number,
    as_str,
    as_str_list,
    check_keys,
    check_version,
    describe,
    expect_list,
    expect_map,
    hyphenated,
    join,
    suggestion,
)
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.workload import Tensor, Workload

# Top-level keys of a Timeloop input: the ones we read, and the ones we accept and ignore.
TIMELOOP_KEYS = ("architecture", "problem", "mapping", "ERT", "ART")
# timeloop-mapper's own keys (mapspace constraints, mapper settings) are read by `loopscape map` only
# (io/timeloop_mapspace.py, through load_specs(..., mapspace=True)); like timeloop-model, the rest ignore them.
IGNORED_KEYS = (
    "mapspace", "mapspace_constraints", "constraints", "architecture_constraints", "arch_constraints", "mapper",
    "model",
    "compound_components", "components", "variables", "globals", "ERT_summary", "ART_summary",
    "output", "accelergy", "version",
)  # fmt: skip

# Class names are matched as substrings, buffers first (topology.hpp: bufferClasses, computeClasses).
BUFFER_CLASSES = ("DRAM", "SRAM", "regfile", "smartbuffer", "storage")
COMPUTE_CLASSES = ("mac", "intmac", "fpmac", "compute")
NETWORK_CLASSES = ("XY_NoC", "Legacy", "ReductionTree", "SimpleMulticast")
DEFAULT_WORD_BITS = 16  # BufferLevel::Specs::kDefaultWordBits

# Attributes we read. Synonyms are those buffer.cpp accepts.
_WORD_BITS = ("word-bits", "word_width", "datawidth")
_BLOCK = ("block-size", "block_size", "n_words")
_WIDTH = ("width", "memory_width", "data_storage_width")
_DEPTH = ("depth", "memory_depth", "data_storage_depth")
_PARSED_ATTRS = (
    *_WORD_BITS, *_BLOCK, *_WIDTH, *_DEPTH, "entries", "sizeKB", "cluster-size", "instances", "meshX", "meshY",
    "read_bandwidth", "write_bandwidth", "shared_bandwidth", "bandwidth", "multiple-buffering", "technology",
    # loopscape extensions (Timeloop ignores them): what timeloop_writer writes to keep a round trip exact
    "keeps", "network_multicast", "network_spatial_reduction", "network_forwarding", "storage_class", "component",
    "component_attributes",
)  # fmt: skip
# loopscape extensions on the top subtree's attributes (Timeloop ignores them): what the writer adds.
_ROOT_ATTRS = ("technology", "clock_ghz", "update_unit")
_UNSUPPORTED_ATTRS = ("network_read", "network_fill", "network_drain", "network_update")
# Accelergy and Timeloop attributes that do not change what loopscape computes.
_IGNORED_ATTRS = (
    "latency", "n_banks", "num-banks", "n_ports", "num-ports", "n_rdwr_ports", "n_rd_ports", "n_wr_ports",
    "vector-access-energy", "addr-gen-energy", "cluster-area", "min-utilization", "allow_overbooking",
    "reduction_supported", "metadata_storage_width", "metadata_storage_depth", "metadata_datawidth",
    "metadata_block_size", "metadata_word_bits", "metadata-block-size", "concordant_compressed_tile_traversal",
    "tile_partition_supported", "decompression_supported", "compression_supported", "type", "energy", "area",
    "global_cycle_seconds", "action_latency_cycles", "cycle_seconds", "ports", "has_power_gating",
    "power_gated_at",
)  # fmt: skip


# ==================================================================================================
# Names
# ==================================================================================================

_RANGE = re.compile(r"\[(\d+)\.\.(\d+)\]")


def element_count(name: str, path: str) -> int:
    """'PE[0..15]' -> 16; 'DRAM' -> 1 (config::parseElementSize)."""
    m = _RANGE.search(name)
    if not m:
        return 1
    lo, hi = int(m.group(1)), int(m.group(2))
    if hi < lo:
        raise SpecError(path, name, "a range [a..b] with a <= b")
    return hi - lo + 1


def base_name(name: str) -> str:
    """'PE[0..15]' -> 'PE' (config::parseName)."""
    return _RANGE.sub("", name).strip()


def component_name(name: str) -> str:
    """The level an ERT/ART entry is for: the last '.'-separated part, [..] ranges stripped."""
    return base_name(_RANGE.sub("", str(name)).split(".")[-1])


# ==================================================================================================
# Architecture
# ==================================================================================================


def read_architecture(node: object, path: str = "architecture") -> Architecture:
    """A v0.3/v0.4 tree (`subtree` / `local`) into storage levels outermost first, then the compute units."""
    node = expect_map(node, path, "a Timeloop architecture {version: 0.4, subtree: [...]}")
    if "nodes" in node:
        raise SpecError(
            join(path, "nodes"),
            "the timeloopfe 'nodes' form",
            "the tree form with 'subtree' and 'local' that timeloop-model reads",
        )
    # `constraints`: timeloop-mapper's architecture constraints (read by io/timeloop_mapspace.py)
    check_keys(node, path, ("version", "subtree", "name", "attributes", "constraints"), required=("subtree",))
    if "version" in node and str(node["version"]) not in ("0.2", "0.3", "0.4"):
        raise SpecError(join(path, "version"), node["version"], "0.3 or 0.4")
    levels: list[StorageLevel] = []
    compute: ComputeLevel | None = None
    technology = "45nm"
    arch_name = ""
    multiplication = 1
    depth = 0
    clock_ghz = 1.0
    component_node: str | None = None  # the first technology node a component names
    unit: tuple[object, str] | None = None
    cur, cpath = node, path
    while "subtree" in cur:
        spath = join(cpath, "subtree")
        subtrees = expect_list(cur["subtree"], spath, "a list with one subtree")
        if len(subtrees) != 1:
            raise SpecError(
                spath, f"{len(subtrees)} subtrees", "exactly one subtree per level (a Timeloop limit)"
            )
        cur, cpath = (
            expect_map(subtrees[0], join(spath, 0), "a subtree {name, local, subtree}"),
            join(spath, 0),
        )
        check_keys(cur, cpath, ("name", "local", "subtree", "attributes", "description"), required=("name",))
        name = as_str(cur["name"], join(cpath, "name"))
        arch_name = arch_name or base_name(name)  # the top subtree names the design ('system' by convention)
        multiplication *= element_count(name, join(cpath, "name"))
        apath = join(cpath, "attributes")
        attrs = expect_map(cur.get("attributes") or {}, apath)
        if attrs.get("technology") is not None:
            given = as_str(attrs["technology"], join(apath, "technology"), "a technology node such as '45nm'")
            technology = given if technology == "45nm" else technology
        for key in attrs:  # other attributes are Accelergy's; a near-miss of ours is a typo
            close = difflib.get_close_matches(str(key), _ROOT_ATTRS, n=1, cutoff=0.8)
            if close and key not in _ROOT_ATTRS:
                raise SpecError(join(apath, str(key)), f"the unknown attribute {key!r} (did you mean '{close[0]}'?)",
                                f"attributes among {list(_ROOT_ATTRS)}")  # fmt: skip
        if depth == 0:
            if attrs.get("clock_ghz") is not None:
                clock_ghz = as_number(attrs["clock_ghz"], join(apath, "clock_ghz"))
            if attrs.get("update_unit") is not None:
                unit = (attrs["update_unit"], join(apath, "update_unit"))
        depth += 1
        lpath = join(cpath, "local")
        for i, comp in enumerate(expect_list(cur.get("local") or [], lpath, "a list of components")):
            kind, parsed = _read_component(comp, join(lpath, i), multiplication)
            component_node = component_node or _technology_node(comp)
            if kind in ("network", "disabled"):
                continue
            if kind == "buffer":
                levels.append(parsed)
            elif compute is not None:
                raise SpecError(
                    join(lpath, i), f"a second compute component {parsed.name!r}", "one compute component"
                )
            else:
                compute = parsed
    if _technology_node({"attributes": {"technology": technology}}) is None and component_node:
        technology = component_node  # timeloopfe's placeholder 'SET ME' on the tree, real nodes on components
    if not levels:
        raise SpecError(
            path, "no storage component", f"at least one component of a buffer class {list(BUFFER_CLASSES)}"
        )
    if compute is None:
        raise SpecError(
            path, "no compute component", f"one component of a compute class {list(COMPUTE_CLASSES)}"
        )
    update_unit = None
    if unit is not None:
        from loopscape.io.native import _read_update_unit  # the native form {name, instances, attach, ...}

        update_unit = _read_update_unit(unit[0], unit[1], [lv.name for lv in levels])
    return Architecture(
        name=arch_name or "arch",
        levels=tuple(levels),
        compute=compute,
        technology=technology,
        clock_ghz=clock_ghz,
        update_unit=update_unit,
    )


def _technology_node(comp: object) -> str | None:
    """The technology node a component's attributes name ('32nm'), or None when they name none."""
    from loopscape.energy.technology import node_name, parse_node

    attrs = comp.get("attributes") if isinstance(comp, dict) else None
    if not isinstance(attrs, dict) or attrs.get("technology") is None:
        return None
    try:
        return node_name(parse_node(attrs["technology"]))
    except SpecError:
        return None


def _component(attrs: dict, path: str) -> dict[str, Any]:
    """The loopscape attributes `component` (energy/area class) and `component_attributes` ({name: value})."""
    from loopscape.io.native import _read_attributes

    out: dict[str, Any] = {}
    if attrs.get("component") is not None:
        out["component"] = as_str(attrs["component"], join(path, "component"))
    if attrs.get("component_attributes") is not None:
        out["attributes"] = _read_attributes(
            attrs["component_attributes"], join(path, "component_attributes")
        )
    return out


def _read_component(node: object, path: str, multiplication: int) -> tuple[str, Any]:
    node = expect_map(node, path, "a component {name, class, attributes}")
    # `enabled`: timeloopfe's processed input (what Timeloop HEAD reads) marks every component
    check_keys(node, path, ("name", "class", "attributes", "subclass", "required_actions", "description",
                            "enabled"), required=("name", "class"))  # fmt: skip
    if "enabled" in node and not as_bool(node["enabled"], join(path, "enabled")):
        return "disabled", None
    raw_name = as_str(node["name"], join(path, "name"))
    cls = as_str(node["class"], join(path, "class"))
    n = multiplication * element_count(raw_name, join(path, "name"))
    apath = join(path, "attributes")
    attrs = hyphenated(
        expect_map(node.get("attributes") or {}, apath, "a mapping of attributes"),
        (*_PARSED_ATTRS, *_IGNORED_ATTRS),
    )
    if any(c in cls for c in BUFFER_CLASSES):
        return "buffer", _read_buffer(base_name(raw_name), cls, attrs, apath, n)
    if any(c in cls for c in COMPUTE_CLASSES):
        return "compute", _read_compute(base_name(raw_name), attrs, apath, n)
    if any(c in cls for c in NETWORK_CLASSES):
        return "network", None  # only used through network_read/... names, which we refuse; else unused
    raise SpecError(
        join(path, "class"),
        f"{cls!r}{suggestion(cls, BUFFER_CLASSES + COMPUTE_CLASSES)}",
        f"a class containing a buffer class {list(BUFFER_CLASSES)} or a compute class {list(COMPUTE_CLASSES)}",
    )


def _check_attributes(attrs: dict, path: str, parsed: tuple[str, ...]) -> None:
    """Unknown attributes belong to Accelergy and are ignored, unless they look like a misspelt one of ours."""
    for key in attrs:
        k = str(key)
        if k in _UNSUPPORTED_ATTRS:
            raise SpecError(join(path, k), k, "no user-defined network names (loopscape infers the networks)")
        if k in parsed or k in _IGNORED_ATTRS:
            continue
        close = difflib.get_close_matches(k, parsed, n=1, cutoff=0.8)
        if close:
            raise SpecError(
                join(path, k),
                f"the unknown attribute {k!r} (did you mean '{close[0]}'?)",
                f"attributes among {sorted(parsed)}",
            )


def _first(attrs: dict, keys: tuple[str, ...], path: str, conv, **kw: Any) -> Any:
    for k in keys:
        if k in attrs and attrs[k] is not None:
            return conv(attrs[k], join(path, k), **kw)
    return None


def _instances_and_mesh(attrs: dict, path: str, n_elements: int) -> tuple[int, int | None]:
    """Instances from the attribute or the [..] ranges; meshX from meshX, or instances / meshY (default: all X)."""
    instances = _first(attrs, ("instances",), path, as_int) or n_elements
    mesh_x = _first(attrs, ("meshX",), path, as_int)
    mesh_y = _first(attrs, ("meshY",), path, as_int)
    if mesh_x is not None and instances % mesh_x:
        raise SpecError(join(path, "meshX"), mesh_x, f"a divisor of the {instances} instances")
    if mesh_y is not None:
        if instances % mesh_y or (mesh_x is not None and mesh_x * mesh_y != instances):
            raise SpecError(join(path, "meshY"), mesh_y, f"meshX * meshY = {instances} instances")
        mesh_x = instances // mesh_y
    return instances, mesh_x


def _read_buffer(name: str, cls: str, attrs: dict, path: str, n_elements: int) -> StorageLevel:
    _check_attributes(attrs, path, _PARSED_ATTRS)
    word_bits = _first(attrs, _WORD_BITS, path, as_int) or DEFAULT_WORD_BITS
    block = _first(attrs, _BLOCK, path, as_int)
    cluster = _first(attrs, ("cluster-size",), path, as_int)
    width = _first(attrs, _WIDTH, path, as_int)
    if width is not None:
        wpath = join(path, next(k for k in _WIDTH if k in attrs))
        if block is None and cluster is None:
            block = width // word_bits  # buffer.cpp: "neither block size nor cluster size specified"
            if width % word_bits:
                raise SpecError(wpath, width, f"a multiple of the word width {word_bits}")
        elif block is None:
            if width % (cluster * word_bits):
                raise SpecError(
                    wpath, width, f"a multiple of cluster-size x word bits = {cluster * word_bits}"
                )
            block = width // cluster // word_bits
        elif width % (block * word_bits) or (cluster is not None and block * word_bits * cluster != width):
            raise SpecError(
                wpath,
                width,
                f"block-size x word bits x cluster-size ({block} x {word_bits} x {cluster or 1})",
            )
    block = block or 1
    entries = _first(attrs, ("entries",), path, as_int, maximum=MAX_SIZE)
    if entries is None:
        depth = _first(attrs, _DEPTH, path, as_int, maximum=MAX_SIZE)
        size_kb = _first(attrs, ("sizeKB",), path, as_int, maximum=MAX_SIZE)
        if depth is not None:
            entries = depth * block
        elif size_kb is not None:
            entries = size_kb * 1024 * 8 // word_bits
    buffering = _first(attrs, ("multiple-buffering",), path, as_number)
    if entries is not None and buffering is not None:
        entries = math.floor(entries / buffering)  # the effective size (buffer.cpp)
        if entries < 1:
            raise SpecError(
                join(path, "multiple-buffering"), buffering, "a factor that leaves at least one entry"
            )
    instances, mesh_x = _instances_and_mesh(attrs, path, n_elements)
    read_bw = _first(attrs, ("read_bandwidth",), path, as_number)
    write_bw = _first(attrs, ("write_bandwidth",), path, as_number)
    bandwidth = _first(attrs, ("bandwidth",), path, as_number)
    if bandwidth is not None:  # deprecated in Timeloop: read = write = bandwidth / 2
        read_bw = read_bw if read_bw is not None else bandwidth / 2
        write_bw = write_bw if write_bw is not None else bandwidth / 2
    keeps = attrs.get("keeps")
    dram = "DRAM" in cls or attrs.get("technology") == "DRAM"
    storage_class = "DRAM" if dram else "regfile" if ("regfile" in cls or cls.endswith("_RF")) else "SRAM"
    if attrs.get("storage_class") is not None:  # loopscape's own class (a 'register' is written as regfile)
        spath = join(path, "storage_class")
        storage_class = as_str(attrs["storage_class"], spath)
        if storage_class not in STORAGE_CLASSES:
            raise SpecError(spath, f"{storage_class!r}{suggestion(storage_class, STORAGE_CLASSES)}",
                            f"one of {list(STORAGE_CLASSES)}")  # fmt: skip
    return StorageLevel(
        name=name,
        cls=storage_class,
        instances=instances,
        mesh_x=mesh_x,
        entries=entries,
        word_bits=word_bits,
        block_size=block,
        read_bandwidth=read_bw,
        write_bandwidth=write_bw,
        shared_bandwidth=_first(attrs, ("shared_bandwidth",), path, as_number),
        keeps=None if keeps is None else frozenset(as_str_list(keeps, join(path, "keeps"))),
        # Timeloop's legacy network always multicasts and reduces; link transfers are on by default.
        network=Network(
            multicast=_first(attrs, ("network_multicast",), path, as_bool) is not False,
            spatial_reduction=_first(attrs, ("network_spatial_reduction",), path, as_bool) is not False,
            forwarding=_first(attrs, ("network_forwarding",), path, as_bool) is not False,
        ),
        **_component(attrs, path),
    )


def _read_compute(name: str, attrs: dict, path: str, n_elements: int) -> ComputeLevel:
    _check_attributes(
        attrs, path, (*_WORD_BITS, "instances", "meshX", "meshY", "component", "component_attributes")
    )
    instances, mesh_x = _instances_and_mesh(attrs, path, n_elements)
    return ComputeLevel(
        name=name,
        instances=instances,
        mesh_x=mesh_x,
        word_bits=_first(attrs, _WORD_BITS, path, as_int) or DEFAULT_WORD_BITS,
        **_component(attrs, path),
    )


# ==================================================================================================
# Problem
# ==================================================================================================

# Timeloop's built-in shapes (problem-shapes/*.yaml), used for `shape: cnn-layer` or a missing shape.
_CNN_LAYER = {
    "name": "CNN-Layer",
    "dimensions": ["R", "S", "P", "Q", "C", "K", "N"],
    "coefficients": [{"name": c, "default": 1} for c in ("Wstride", "Hstride", "Wdilation", "Hdilation")],
    "data-spaces": [
        {"name": "Weights", "projection": [[["C"]], [["K"]], [["R"]], [["S"]]]},
        {
            "name": "Inputs",
            "projection": [
                [["N"]],
                [["C"]],
                [["R", "Wdilation"], ["P", "Wstride"]],
                [["S", "Hdilation"], ["Q", "Hstride"]],
            ],
        },
        {"name": "Outputs", "projection": [[["N"]], [["K"]], [["Q"]], [["P"]]], "read-write": True},
    ],
}
_GEMM_ABZ = {
    "name": "gemm-ABZ",
    "dimensions": ["M", "N", "K"],
    "data-spaces": [
        {"name": "A", "projection": [[["M"]], [["K"]]]},
        {"name": "B", "projection": [[["N"]], [["K"]]]},
        {"name": "Z", "projection": [[["M"]], [["N"]]], "read-write": True},
    ],
}
BUILTIN_SHAPES = {
    "cnn-layer": _CNN_LAYER,
    "cnn_layer": _CNN_LAYER,
    "gemm-ABZ": _GEMM_ABZ,
    "gemm_ABZ": _GEMM_ABZ,
}


def _near_miss(key: str, known: list[str]) -> bool:
    """Whether an unknown key looks like a misspelling of a known one (same letters in another case, or close)."""
    lowered = {k.lower() for k in known}
    return key.lower() in lowered or bool(difflib.get_close_matches(key, known, n=1, cutoff=0.8))


def _either(node: dict, hyphen: str) -> str:
    """The key as given: v3.0.3 wants 'data-spaces'; later Timeloop also reads 'data_spaces'."""
    under = hyphen.replace("-", "_")
    return under if under in node and hyphen not in node else hyphen


def read_problem(node: object, path: str = "problem") -> Workload:
    node = expect_map(node, path, "a Timeloop problem {shape: ..., instance: ...}")
    if "instance" in node:
        check_keys(node, path, ("shape", "instance", "version"))
        check_version(node, path)
        instance = expect_map(node["instance"], join(path, "instance"), "a mapping of dimension bounds")
        ipath = join(path, "instance")
    else:  # bounds directly under problem (backwards compatible)
        instance = {k: v for k, v in node.items() if k not in ("shape", "version")}
        ipath = path
    shape = node.get("shape", "cnn-layer")
    spath = join(path, "shape")
    if isinstance(shape, str):
        if shape not in BUILTIN_SHAPES:
            raise SpecError(
                spath,
                f"{shape!r}{suggestion(shape, BUILTIN_SHAPES)}",
                f"a shape mapping or one of {list(BUILTIN_SHAPES)}",
            )
        shape = BUILTIN_SHAPES[shape]
    shape = expect_map(shape, spath, "a shape {name, dimensions, coefficients, data-spaces}")
    ds_key = _either(shape, "data-spaces")
    check_keys(shape, spath, ("name", "dimensions", "coefficients", ds_key, "flatten", "description", "op"),
               required=("dimensions", ds_key))  # fmt: skip
    # `op`: loopscape's operation kind (mac, add, mul, compare, lookup); Timeloop ignores it.
    op = as_str(shape["op"], join(spath, "op")) if shape.get("op") is not None else "mac"
    if "flatten" in shape:
        raise SpecError(
            join(spath, "flatten"), "flattened dimensions", "a shape without 'flatten' (not supported)"
        )
    name = shape.get("name", "problem")
    if not isinstance(name, str):
        raise SpecError(join(spath, "name"), describe(name), "the problem's name (a string)")
    dims = as_str_list(shape["dimensions"], join(spath, "dimensions"), "a list of dimension names")
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise SpecError(join(join(spath, "dimensions"), i), d, "distinct dimension names")
    coefficients: dict[str, int] = {}
    cpath = join(spath, "coefficients")
    for i, c in enumerate(expect_list(shape.get("coefficients") or [], cpath, "a list of {name, default}")):
        c = expect_map(c, join(cpath, i), "a coefficient {name, default}")
        check_keys(c, join(cpath, i), ("name", "default"), required=("name", "default"))
        coefficients[as_str(c["name"], join(join(cpath, i), "name"))] = as_int(
            c["default"], join(join(cpath, i), "default"), minimum=0
        )

    # Instance: every dimension's bound (required), coefficient values, densities (dense only).
    known = dims + list(coefficients) + ["densities", "commonDensity"]
    for key in instance:  # an unknown key first: a misspelt 'instance' would otherwise hide every bound
        if key not in known:
            hint = known + (["instance", "shape"] if ipath == path else [])
            if ipath != path and not _near_miss(str(key), hint):
                continue  # timeloopfe's variables (H, W, Hpad, ...): Timeloop reads only what it knows
            raise SpecError(join(ipath, str(key)), f"the unknown key {key!r}{suggestion(str(key), hint)}",
                            f"one of {hint}")  # fmt: skip
    bounds: list[int] = []
    for d in dims:
        if d not in instance:
            raise SpecError(join(ipath, d), "nothing (the key is missing)", f"the bound of dimension {d}")
        bounds.append(as_int(instance[d], join(ipath, d)))
    values = dict(coefficients)
    densities: dict[str, float] = {}
    common: float | None = None
    for key, value in instance.items():
        kpath = join(ipath, str(key))
        if key in coefficients:
            values[key] = as_int(value, kpath, minimum=0)
        elif key == "commonDensity":
            common = _density(value, kpath)
        elif key == "densities":
            for t, dv in expect_map(value, kpath, "a mapping tensor -> density").items():
                densities[str(t)] = _density(dv, join(kpath, str(t)))

    dpath = join(spath, ds_key)
    spaces = expect_list(shape[ds_key], dpath, "a list of data spaces")
    if not spaces:
        raise SpecError(dpath, "an empty list", "at least one data space")
    tensors = [_read_data_space(ds, join(dpath, i), dims, values) for i, ds in enumerate(spaces)]
    names = [t.name for t in tensors]
    for t in densities:
        if t not in names:
            raise SpecError(join(join(ipath, "densities"), t), t, f"a data space among {names}")
    tensors = [
        dataclasses.replace(t, density=densities.get(t.name, common if common is not None else 1.0))
        for t in tensors
    ]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise SpecError(join(join(dpath, i), "name"), n, "distinct data-space names")
    if not any(t.read_write for t in tensors):
        raise SpecError(
            dpath, f"no read-write data space among {names}", "one data space with read-write: True"
        )
    return Workload(name=name, dims=tuple(dims), bounds=tuple(bounds), tensors=tuple(tensors), op=op)


def _density(value: object, path: str) -> float:
    """A data space's density: a number, or Timeloop's {distribution: ..., density: x} (uniform zeros assumed)."""
    if isinstance(value, dict):
        value = value.get("density", value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise SpecError(path, describe(value), "a density in (0, 1]")
    return float(value)


def apply_sparse_optimizations(
    node: object, arch: Architecture, path: str = "sparse_optimizations"
) -> Architecture:
    """Timeloop's (Sparseloop's) gating SAFs onto an architecture: `targets: [{name: LEVEL, action-optimization:
    [{type: gating, options: [{target: T, condition-on: [C, ...]}]}]}]`, and compute gating on the compute
    level. Skipping and compression are not modelled and are refused."""
    node = expect_map(node, path, "a mapping {version, targets}")
    check_keys(node, path, ("version", "targets"))
    check_version(node, path)
    targets = expect_list(node.get("targets", []), join(path, "targets"), "a list of {name, ...}")
    levels = {lv.name: i for i, lv in enumerate(arch.levels)}
    gating: dict[int, list[tuple[str, tuple[str, ...]]]] = {}
    compute_gating = arch.compute.gating
    for i, target in enumerate(targets):
        tpath = join(join(path, "targets"), i)
        target = expect_map(target, tpath, "a mapping {name, action-optimization, compute-optimization}")
        check_keys(target, tpath, ("name", "action-optimization", "compute-optimization", "representation-format"),
                   required=("name",))  # fmt: skip
        name = as_str(target["name"], join(tpath, "name"))
        if "representation-format" in target:
            raise SpecError(
                join(tpath, "representation-format"), "a compressed format", "gating only (not modelled)"
            )
        for j, opt in enumerate(target.get("compute-optimization") or []):
            opath = join(join(tpath, "compute-optimization"), j)
            opt = expect_map(opt, opath, "a mapping {type: gating}")
            if opt.get("type") != "gating" or name != arch.compute.name:
                raise SpecError(
                    opath, describe(opt), f"{{type: gating}} on the compute level {arch.compute.name!r}"
                )
            compute_gating = True
        for j, opt in enumerate(target.get("action-optimization") or []):
            opath = join(join(tpath, "action-optimization"), j)
            opt = expect_map(opt, opath, "a mapping {type: gating, options: [...]}")
            if opt.get("type") != "gating":
                raise SpecError(
                    join(opath, "type"), describe(opt.get("type")), "gating (skipping is not modelled)"
                )
            if name not in levels:
                raise SpecError(join(tpath, "name"), name, f"a storage level among {list(levels)}")
            for k, option in enumerate(expect_list(opt.get("options", []), join(opath, "options"), "a list")):
                kpath = join(join(opath, "options"), k)
                option = expect_map(option, kpath, "a mapping {target, condition-on}")
                check_keys(option, kpath, ("target", "condition-on", "condition_on"), required=("target",))
                conds = option.get("condition-on", option.get("condition_on", []))
                gating.setdefault(levels[name], []).append(
                    (as_str(option["target"], join(kpath, "target")),
                     tuple(as_str_list(conds, join(kpath, "condition-on"), "a list of tensor names")))
                )  # fmt: skip
    new_levels = tuple(
        dataclasses.replace(lv, gating=lv.gating + tuple(gating.get(i, ())))
        for i, lv in enumerate(arch.levels)
    )
    return dataclasses.replace(
        arch, levels=new_levels, compute=dataclasses.replace(arch.compute, gating=compute_gating)
    )


def _read_data_space(node: object, path: str, dims: list[str], coefficients: dict[str, int]) -> Tensor:
    node = expect_map(node, path, "a data space {name, projection, read-write}")
    rw_key = _either(node, "read-write")
    check_keys(node, path, ("name", "projection", rw_key, "ranks"), required=("name", "projection"))
    name = as_str(node["name"], join(path, "name"))
    ppath = join(path, "projection")
    proj = expect_list(
        node["projection"],
        ppath,
        "a list of ranks, each a list of [dimension] or [dimension, coefficient] terms",
    )
    if not proj:
        raise SpecError(ppath, "an empty list", "at least one rank")
    ranks: list[tuple[tuple[str, int], ...]] = []
    if all(isinstance(p, str) for p in proj):  # the flat form: [C, K] = one dimension per rank
        for i, d in enumerate(proj):
            if d not in dims:
                raise SpecError(
                    join(ppath, i), f"{d!r}{suggestion(d, dims)}", f"one of the dimensions {dims}"
                )
            ranks.append(((d, 1),))
    else:
        for i, rank in enumerate(proj):
            rpath = join(ppath, i)
            terms = expect_list(rank, rpath, "a list of terms [dimension] or [dimension, coefficient]")
            if not terms:
                raise SpecError(rpath, "an empty list", "at least one term")
            ranks.append(
                tuple(_read_term(t, join(rpath, j), dims, coefficients) for j, t in enumerate(terms))
            )
    rank_names: tuple[str, ...] = ()
    if node.get("ranks") is not None:
        rank_names = tuple(as_str_list(node["ranks"], join(path, "ranks")))
        if len(rank_names) != len(ranks):
            raise SpecError(
                join(path, "ranks"), list(rank_names), f"{len(ranks)} rank names, one per projection rank"
            )
    read_write = as_bool(node[rw_key], join(path, rw_key)) if node.get(rw_key) is not None else False
    return Tensor(name, tuple(ranks), rank_names, read_write)


def _read_term(node: object, path: str, dims: list[str], coefficients: dict[str, int]) -> tuple[str, int]:
    expected = f"[dimension] or [dimension, coefficient name] with a dimension in {dims} and a coefficient in {list(coefficients)}"
    if isinstance(node, str):
        node = [node]
    if (
        not isinstance(node, list)
        or len(node) not in (1, 2)
        or not all(isinstance(x, (str, int)) for x in node)
    ):
        raise SpecError(path, describe(node), expected)
    dim = node[0]
    if dim not in dims:
        raise SpecError(
            join(path, 0), f"{dim!r}{suggestion(str(dim), dims)}", f"one of the dimensions {dims}"
        )
    if len(node) == 1:
        return dim, 1
    coef = node[1]
    if isinstance(coef, int) and not isinstance(coef, bool):
        return dim, as_int(coef, join(path, 1), minimum=0)
    if coef not in coefficients:
        raise SpecError(
            join(path, 1),
            f"{coef!r}{suggestion(str(coef), coefficients)}",
            f"a coefficient declared in the shape: {list(coefficients)}",
        )
    return dim, coefficients[coef]


# ==================================================================================================
# Mapping
# ==================================================================================================

_DIRECTIVE_KEYS = {
    "temporal": ("target", "type", "factors", "permutation"),
    "spatial": ("target", "type", "factors", "permutation", "split"),
    "bypass": ("target", "type", "keep", "bypass"),
    "datatype": ("target", "type", "keep", "bypass"),
}
_UNSUPPORTED_DIRECTIVE_KEYS = (
    "no_link_transfer", "no_multicast_no_reduction", "no_temporal_reuse", "rmw_on_first_writeback", "passthrough",
)  # fmt: skip
_FACTOR = re.compile(r"([A-Za-z]+)\s*=*\s*([0-9]+)(,([0-9]+))?")


def _target(node: dict, path: str, arch: Architecture) -> int:
    """A level name, or Timeloop's storage-level id (0 = innermost); returns our index (0 = outermost)."""
    names = [lv.name for lv in arch.levels]
    value = node.get("target")
    tpath = join(path, "target")
    if isinstance(value, bool):
        raise SpecError(tpath, describe(value), f"a storage level name {names} or id")
    if isinstance(value, int):
        if not 0 <= value < len(names):
            raise SpecError(tpath, value, f"a storage level id in [0, {len(names) - 1}] (0 = innermost)")
        return len(names) - 1 - value
    if isinstance(value, str) and value in names:
        return names.index(value)
    if isinstance(value, str) and value == arch.compute.name:
        raise SpecError(tpath, value, f"a storage level, not the compute units: one of {names}")
    raise SpecError(
        tpath, f"{describe(value)}{suggestion(str(value), names)}", f"a storage level name, one of {names}"
    )


def _factors(value: object, path: str, workload: Workload) -> dict[str, int]:
    expected = f"factors like 'R=3 P=4' over the dimensions {list(workload.dims)}"
    if not isinstance(value, str):
        raise SpecError(path, describe(value), expected)
    text = value.split("#")[0]
    out: dict[str, int] = {}
    for m in _FACTOR.finditer(text):
        dim = m.group(1)
        if dim not in workload.dims:
            raise SpecError(
                path, f"the dimension {dim!r} in {value!r}{suggestion(dim, workload.dims)}", expected
            )
        if m.group(3):
            raise SpecError(
                path, m.group(0), "a factor without a residual (imperfect factorisation is not supported)"
            )
        if dim in out:
            raise SpecError(path, f"{dim} twice in {value!r}", "each dimension at most once")
        bound = int(m.group(2))
        if bound > MAX_INT:
            raise SpecError(path, m.group(0), f"a factor no larger than {MAX_INT}")
        out[dim] = bound if bound > 0 else workload.bound(dim)  # 0 = the whole dimension (parser.cpp)
    leftover = _FACTOR.sub("", text).replace(",", " ").strip()  # timeloopfe writes 'R=1,P=16'
    if leftover:
        raise SpecError(path, f"{leftover!r} in {value!r}", expected)
    return out


def _permutation(value: object, path: str, workload: Workload) -> list[str]:
    """Innermost first; dimensions left out follow in problem order (parser.cpp pads them 'arbitrarily')."""
    dims = workload.dims
    if not isinstance(value, str):
        raise SpecError(
            path, describe(value), f"a string of dimension names, innermost first, e.g. {''.join(dims)!r}"
        )
    out: list[str] = []
    for token in value.split():
        parts = [token] if token in dims else list(token)
        for p in parts:
            if p not in dims:
                raise SpecError(
                    path, f"{p!r} in {value!r}{suggestion(p, dims)}", f"dimensions among {list(dims)}"
                )
            if p in out:
                raise SpecError(path, f"{p} twice in {value!r}", "each dimension at most once")
            out.append(p)
    return out + [d for d in dims if d not in out]


def read_mapping(node: object, arch: Architecture, workload: Workload, path: str = "mapping") -> Mapping:
    """Directives into one nest: per level (outermost first) its temporal loops, then its spatial fan-out."""
    directives = expect_list(node, path, "a list of mapping directives {target, type, factors, permutation}")
    n = len(arch.levels)
    temporal: dict[int, tuple[dict[str, int], list[str], int]] = {}
    spatial: dict[int, tuple[dict[str, int], list[str], int, int]] = {}
    keep = [set(workload.tensor_names) for _ in range(n)]
    bypass_seen: dict[int, int] = {}
    for i, d in enumerate(directives):
        dpath = join(path, i)
        d = expect_map(d, dpath, "a directive {target, type, ...}")
        kind = d.get("type")
        if not isinstance(kind, str) or kind not in _DIRECTIVE_KEYS:
            shown = (
                f"{describe(kind)}{suggestion(str(kind), _DIRECTIVE_KEYS)}"
                if "type" in d
                else "nothing (the key is missing)"
            )
            raise SpecError(join(dpath, "type"), shown, f"one of {list(_DIRECTIVE_KEYS)}")
        for key in d:
            if key in _UNSUPPORTED_DIRECTIVE_KEYS:
                raise SpecError(
                    join(dpath, str(key)), key, "a directive without it (not supported by loopscape)"
                )
        check_keys(d, dpath, _DIRECTIVE_KEYS[kind], required=("target",))
        level = _target(d, dpath, arch)
        if kind in ("bypass", "datatype"):
            if level in bypass_seen:
                raise SpecError(
                    join(dpath, "target"),
                    arch.levels[level].name,
                    f"one bypass directive per level (also in {path}[{bypass_seen[level]}])",
                )
            bypass_seen[level] = i
            for key in ("keep", "bypass"):
                if d.get(key) is None:
                    continue
                for j, t in enumerate(as_str_list(d[key], join(dpath, key), "a list of data-space names")):
                    if t not in workload.tensor_names:
                        raise SpecError(
                            join(join(dpath, key), j),
                            f"{t!r}{suggestion(t, workload.tensor_names)}",
                            f"one of {list(workload.tensor_names)}",
                        )
                    (keep[level].add if key == "keep" else keep[level].discard)(t)
            continue
        table = temporal if kind == "temporal" else spatial
        if level in table:
            raise SpecError(
                join(dpath, "target"),
                arch.levels[level].name,
                f"one {kind} directive per level (also in {path}[{table[level][-1]}])",
            )
        factors = _factors(d["factors"], join(dpath, "factors"), workload) if "factors" in d else {}
        perm = _permutation(d.get("permutation", ""), join(dpath, "permutation"), workload)
        if kind == "temporal":
            temporal[level] = (factors, perm, i)
        else:
            split = (
                as_int(d["split"], join(dpath, "split"), minimum=0) if "split" in d else len(workload.dims)
            )
            spatial[level] = (factors, perm, split, i)

    loops: list[Loop] = []
    for level in range(n):
        if level in temporal:
            factors, perm, _ = temporal[level]
            loops += [
                Loop(dim, factors[dim], TEMPORAL, level) for dim in reversed(perm) if factors.get(dim, 1) > 1
            ]
        if level in spatial:
            factors, perm, split, _ = spatial[level]
            for idx in reversed(range(len(perm))):
                dim = perm[idx]
                if factors.get(dim, 1) > 1:
                    loops.append(Loop(dim, factors[dim], SPATIAL_X if idx < split else SPATIAL_Y, level))
    for dim in workload.dims:
        product = math.prod(lp.bound for lp in loops if lp.dim == dim)
        if product != workload.bound(dim):
            mentioned = [t[-1] for t in (*temporal.values(), *spatial.values()) if dim in t[0]]
            where = join(path, max(mentioned)) + ".factors" if mentioned else path
            raise SpecError(
                where,
                f"factors of {dim} multiplying to {product}",
                f"the dimension's size {workload.bound(dim)}",
            )
    return Mapping(loops=tuple(loops), keep=tuple(frozenset(k) for k in keep))


# ==================================================================================================
# ERT and ART
# ==================================================================================================

# Timeloop v3.0.3 action lookup: each of our actions reads the largest of these ERT entries.
STORAGE_ACTIONS = {
    "read": ("random_read", "read"),
    "fill": ("random_fill", "write"),
    "update": ("random_update", "random_fill", "write"),
    # Sparseloop's gated actions: what an access costs when a gating SAF gates it.
    "gated_read": ("gated_read",),
    "gated_fill": ("gated_fill", "gated_write"),
    "gated_update": ("gated_update", "gated_fill", "gated_write"),
}
# An ERT of version 0.4 or later (Accelergy's, with an `update` action beside read and write) goes with the
# Timeloop that charges an update that action alone, whatever the write entries say (the published runs of
# tests/data/timeloop_published); v3.0.3, with version 0.3 ERTs, ignores an `update` action (docs/specs.md).
OWN_ACTIONS = {"update": "update"}
OWN_ACTIONS_FROM_VERSION = 0.4


def ert_reads_own_actions(node: object) -> bool:
    """Whether an ERT document's version is one whose own `update` action Timeloop reads."""
    version = node.get("version") if isinstance(node, dict) else None
    try:
        return float(str(version)) >= OWN_ACTIONS_FROM_VERSION
    except ValueError:
        return False


COMPUTE_ACTIONS = ("mac_random", "mult_random", "mac", "mult", "compute")
COMPUTE_GATED_ACTIONS = ("mac_gated", "mult_gated", "gated_compute", "gated_mac")


def read_ert(node: object, path: str = "ERT") -> dict[str, dict[str, float]]:
    """ERT tables as {component name: {action: largest energy over its argument variants}}."""
    node = expect_map(node, path, "an ERT {version, tables}")
    check_keys(node, path, ("version", "tables"), required=("tables",))
    check_version(node, path)
    tpath = join(path, "tables")
    tables = node["tables"]
    out: dict[str, dict[str, float]] = {}

    def add(comp: str, action: str, energy: object, epath: str) -> None:
        e = as_number(energy, epath, positive=False)
        actions = out.setdefault(comp, {})
        actions[action] = max(e, actions.get(action, e))

    if isinstance(tables, dict):  # version 0.2: {component: {action: {energy} or [{arguments, energy}]}}
        for comp, actions in tables.items():
            cpath = join(tpath, str(comp))
            for action, spec in expect_map(actions, cpath, "a mapping action -> energy entries").items():
                apath = join(cpath, str(action))
                for j, entry in enumerate(spec if isinstance(spec, list) else [spec]):
                    entry = expect_map(entry, join(apath, j), "an entry {energy, arguments}")
                    _check_arguments(entry.get("arguments"), join(join(apath, j), "arguments"))
                    add(str(comp), str(action), entry.get("energy"), join(join(apath, j), "energy"))
        return out
    for i, table in enumerate(expect_list(tables, tpath, "a list of {name, actions}")):
        cpath = join(tpath, i)
        table = expect_map(table, cpath, "a table {name, actions}")
        check_keys(table, cpath, ("name", "actions"), required=("name", "actions"))
        comp = as_str(table["name"], join(cpath, "name"))
        for j, action in enumerate(
            expect_list(table["actions"], join(cpath, "actions"), "a list of {name, energy}")
        ):
            apath = join(join(cpath, "actions"), j)
            action = expect_map(action, apath, "an action {name, energy, arguments}")
            check_keys(action, apath, ("name", "energy", "arguments"), required=("name", "energy"))
            _check_arguments(action.get("arguments"), join(apath, "arguments"))
            add(comp, as_str(action["name"], join(apath, "name")), action["energy"], join(apath, "energy"))
    return out


def _check_arguments(value: object, path: str) -> None:
    """An action's arguments (data_delta, address_delta, ...): only the highest energy is kept, but a value
    Accelergy could not have written is still refused."""
    if value is None:
        return
    for key, v in expect_map(value, path, "a mapping of argument -> value").items():
        if isinstance(v, str):  # YAML 1.1 reads '1e-09' (Accelergy's global_cycle_seconds) as text
            try:
                v = float(v)
            except ValueError:
                pass
        as_number(v, join(path, str(key)), positive=False)


def read_art(node: object, path: str = "ART") -> dict[str, float]:
    """ART tables as {component name: area in um^2 per instance}."""
    node = expect_map(node, path, "an ART {version, tables}")
    check_keys(node, path, ("version", "tables"), required=("tables",))
    check_version(node, path)
    tpath = join(path, "tables")
    out: dict[str, float] = {}
    tables = node["tables"]
    if isinstance(tables, dict):
        for comp, entry in tables.items():
            area = entry.get("area") if isinstance(entry, dict) else entry
            out[str(comp)] = as_number(area, join(tpath, str(comp)), positive=False)
        return out
    for i, table in enumerate(expect_list(tables, tpath, "a list of {name, area}")):
        cpath = join(tpath, i)
        table = expect_map(table, cpath, "a table {name, area}")
        check_keys(table, cpath, ("name", "area"), required=("name", "area"))
        out[as_str(table["name"], join(cpath, "name"))] = as_number(
            table["area"], join(cpath, "area"), positive=False
        )
    return out


def ert_overrides(
    ert: dict[str, dict[str, float]] | None,
    art: dict[str, float] | None,
    arch: Architecture,
    source: str = "ERT",
    own_actions: bool = False,
) -> EnergyOverrides:
    """The numbers an ERT/ART gives for this architecture's levels and compute units (others are ignored);
    `own_actions`: the ERT's own `update` action prices updates (`ert_reads_own_actions`)."""
    level_names = {lv.name for lv in arch.levels}
    levels: dict[str, dict[str, float]] = {}
    compute: float | None = None
    compute_gated: float | None = None
    for comp, actions in (ert or {}).items():
        name = component_name(comp)
        if name in level_names:
            for ours, theirs in STORAGE_ACTIONS.items():
                own = OWN_ACTIONS.get(ours) if own_actions else None
                found = [actions[own]] if own in actions else [actions[a] for a in theirs if a in actions]
                if found:
                    current = levels.setdefault(name, {})
                    current[ours] = max(found + ([current[ours]] if ours in current else []))
        elif name == arch.compute.name:
            found = [actions[a] for a in COMPUTE_ACTIONS if a in actions]
            if found:
                compute = max(found + ([compute] if compute is not None else []))
            gated = [actions[a] for a in COMPUTE_GATED_ACTIONS if a in actions]
            if gated:
                compute_gated = max(gated + ([compute_gated] if compute_gated is not None else []))
    area: dict[str, float] = {}
    for comp, value in (art or {}).items():
        name = component_name(comp)
        if name in level_names or name == arch.compute.name:
            area[name] = max(value, area.get(name, value))
    return EnergyOverrides(
        levels=levels, compute=compute, area=area, source=source, compute_gated=compute_gated
    )


# Writers live beside the readers' module; imported here so `loopscape.io.timeloop` offers both.
from loopscape.io.timeloop_writer import (
    architecture_to_timeloop,
    constraints_to_timeloop,
    energy_to_timeloop,
    mapping_to_timeloop,
    problem_to_timeloop,
    timeloop_documents,
    to_timeloop_yaml,
)

__all__ = [
    "apply_sparse_optimizations",
    "architecture_to_timeloop",
    "constraints_to_timeloop",
    "energy_to_timeloop",
    "ert_overrides",
    "mapping_to_timeloop",
    "problem_to_timeloop",
    "read_architecture",
    "read_art",
    "read_ert",
    "read_mapping",
    "read_problem",
    "timeloop_documents",
    "to_timeloop_yaml",
]
