"""timeloop-mapper's own inputs: mapspace constraints and mapper settings, read as Timeloop reads them.

Constraints follow Timeloop's parser (src/mapping/constraints.cpp) and the mapper application
(src/applications/mapper/mapper.cpp):

- where the lists are: `mapspace` or `mapspace_constraints` (a list, or a mapping whose `constraints` is a list
  or the name of a `constraints_<name>` list beside it, or whose `targets` is a list), and the architecture
  constraints `architecture.constraints`, `arch_constraints`, `architecture_constraints` and `constraints`
  (same forms). Timeloop reads the architecture constraints first, then the mapspace's; we merge every list
  given, in that order, and a factor, permutation, split, keep/bypass flag or utilisation given twice for one
  level is an error, as in Timeloop ("re-specification ... may imply a conflict between architecture and
  mapspace constraints").
- each entry: a `target` (a storage level name, `name` for old files, or Timeloop's level id, 0 = innermost)
  and a `type`; its attributes inline or under `attributes`; or a `target` with a nested `constraints` list.
- `factors`: "R=3 S=1 K<=4" (`=` exact, `=0` the whole dimension, a value above the bound clamped to it;
  `<=` a maximum; `>=` a minimum, a loopscape extension) or a list of such strings (timeloopfe).
- `permutation`: dimension names innermost first, one letter each ("SRQPCMN", whitespace ignored), a list of
  names, or for spatial constraints "SC.QK" where the '.' marks the X/Y split; with `split: N` the first N
  dimensions of a spatial permutation spread along X and the rest along Y (dimensions left out of the
  permutation follow it, so they land on Y).

Where Timeloop would silently ignore something (an unknown key, a garbled factor string) we stop with a
SpecError naming the path, or, for what we accept but cannot model (max_overbooked_proportion,
no_link_transfer, no_multicast, ...), say so in a note the command prints as a warning.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from loopscape.arch import Architecture
from loopscape.errors import SpecError
from loopscape.io.spec_yaml import (
    as_bool,
    as_int,
    as_number,
    as_str,
    as_str_list,
    check_version,
    describe,
    expect_list,
    expect_map,
    hyphenated,
    join,
    suggestion,
)
from loopscape.mapping.constraints import Constraints, LevelConstraint
from loopscape.workload import Workload

# Top-level keys holding constraints, in the order Timeloop reads them (architecture constraints first).
ARCH_CONSTRAINT_KEYS = ("arch_constraints", "architecture_constraints", "constraints")
MAPSPACE_KEYS = ("mapspace", "mapspace_constraints")
MAPPER_KEY = "mapper"
ALL_KEYS = (*ARCH_CONSTRAINT_KEYS, *MAPSPACE_KEYS, MAPPER_KEY)

# Constraint types (FindTargetTilingLevel / ParseSingleConstraint) -> what we make of them.
_TYPES = {
    "temporal": "temporal",
    "spatial": "spatial",
    "datatype": "bypass",
    "bypass": "bypass",
    "bypassing": "bypass",
    "utilization": "utilization",
    "parallelism": "utilization",
    "max_overbooked_proportion": "unsupported",
    "no_link_transfer": "unsupported",
    "no_multicast": "unsupported",
    "no_reduction": "unsupported",
    "no_multicast_no_reduction": "unsupported",
    "no_link_transfer_no_multicast": "unsupported",
}
_UNSUPPORTED_WHY = {
    "max_overbooked_proportion": "loopscape never overbooks a buffer (every tile must fit)",
    "no_link_transfer": "neighbour forwarding is a property of the architecture's network in loopscape",
    "no_multicast": "multicast is a property of the architecture's network in loopscape",
    "no_reduction": "spatial reduction is a property of the architecture's network in loopscape",
    "no_multicast_no_reduction": "multicast and reduction are properties of the architecture's network",
    "no_link_transfer_no_multicast": "forwarding and multicast are properties of the architecture's network",
}
_COMMON_KEYS = ("target", "name", "type", "attributes", "description")
_KIND_KEYS = {
    "temporal": ("factors", "permutation"),
    "spatial": ("factors", "permutation", "split"),
    "bypass": ("keep", "bypass"),
    "utilization": ("min",),
}
# Keys Timeloop reads inside temporal/spatial constraints that loopscape cannot honour.
_UNSUPPORTED_KEYS = {
    "no_temporal_reuse": "loopscape always reuses what a level holds",
    "no_link_transfer": "neighbour forwarding is a property of the architecture's network in loopscape",
    "no_multicast_no_reduction": "multicast and reduction are properties of the architecture's network",
    "rmw_on_first_writeback": "loopscape elides the first read of a partial sum, as Timeloop does by default",
    "passthrough": "not modelled by loopscape",
    "skew": "not modelled by loopscape",
}

_EXACT = re.compile(r"([A-Za-z]+)\s*=*\s*([0-9]+)")  # constraints.cpp ParseFactors
_MAX = re.compile(r"([A-Za-z]+)\s*<=\s*([0-9]+)")  # ParseMaxFactors
_MIN = re.compile(r"([A-Za-z]+)\s*>=\s*([0-9]+)")  # loopscape extension (Timeloop HEAD has min factors too)
_FACTORS_EXPECTED = "factors like 'R=3 S=0 K<=4' (= exact, 0 = the whole dimension; <= at most; >= at least)"


@dataclass(frozen=True)
class MapspaceConstraints:
    """The constraints of a set of Timeloop files: `constraints.levels[i]` came from `sources[i]`
    ('FILE: PATH'); `notes` say what was accepted but is not modelled."""

    constraints: Constraints
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    files: tuple[str, ...] = ()


def _note(file: str | None, path: str, text: str) -> str:
    return f"{file}: {path}: {text}" if file else f"{path}: {text}"


class _Reader:
    def __init__(self, arch: Architecture, workload: Workload) -> None:
        self.arch, self.workload = arch, workload
        self.names = [lv.name for lv in arch.levels]
        self.levels: list[LevelConstraint] = []
        self.sources: list[str] = []
        self.notes: list[str] = []
        self.seen: dict[
            tuple, str
        ] = {}  # what was given for a level -> where (Timeloop's re-specification check)
        self.spatial: dict[int, dict[str, tuple]] = {}  # level -> {'perm': (dims, dot, where), 'split': ...}
        self.min_utilization = 0.0
        self.file: str | None = None

    # --- helpers --------------------------------------------------------------------------------------------
    def where(self, path: str) -> str:
        return f"{self.file}: {path}" if self.file else path

    def note(self, path: str, text: str) -> None:
        self.notes.append(_note(self.file, path, text))

    def once(self, key: tuple, path: str, what: str) -> None:
        if key in self.seen:
            raise SpecError(
                path,
                f"{what} a second time (first at {self.seen[key]})",
                "each given once per level: Timeloop stops on this re-specification too (it may mean the "
                "architecture and mapspace constraints conflict)",
            )
        self.seen[key] = self.where(path)

    def keys(
        self, node: dict, path: str, known: Sequence[str], unsupported: dict[str, str] | None = None
    ) -> None:
        """Unknown keys: a near-miss of a known one is an error; anything else is noted and ignored."""
        unsupported = unsupported or {}
        for key in node:
            k = str(key)
            if k in known:
                continue
            if k in unsupported:
                self.note(join(path, k), f"accepted but not modelled ({unsupported[k]}); ignored")
                continue
            close = difflib.get_close_matches(k, list(known), n=1, cutoff=0.75)
            if close:
                raise SpecError(
                    join(path, k),
                    f"the unknown key {k!r} (did you mean '{close[0]}'?)",
                    f"one of {list(known)}",
                )
            self.note(join(path, k), "unknown key, ignored (Timeloop ignores it too)")

    # --- where the lists are --------------------------------------------------------------------------------
    def top(self, node: object, path: str) -> None:
        if node is None:
            return
        if isinstance(node, list):
            self.entries(node, path)
            return
        if not isinstance(node, dict):
            raise SpecError(
                path, describe(node), "a list of constraints, or a mapping with 'targets' or 'constraints'"
            )
        named = [k for k in node if isinstance(k, str) and k.startswith("constraints_")]
        self.keys(node, path, ("constraints", "targets", "template", "version", *named))
        check_version(node, path)
        if "template" in node:
            template = as_str(node["template"], join(path, "template"))
            if template == "ruby":
                self.note(join(path, "template"), "'ruby' (imperfect factorisation) is not supported: loopscape "
                          "searches perfect factorisations, as Timeloop's 'uber' template")  # fmt: skip
            elif template != "uber":
                raise SpecError(
                    join(path, "template"), template, "'uber' or 'ruby' (Timeloop's mapspace templates)"
                )
        lists = node.get("constraints"), node.get("targets")
        if lists[0] is not None and lists[1] is not None:
            raise SpecError(path, "both 'constraints' and 'targets'", "one list of constraints (Timeloop reads "
                            "only 'constraints' then)")  # fmt: skip
        if isinstance(lists[0], str):  # `constraints: ws` names a `constraints_ws` list beside it
            name = f"constraints_{lists[0]}"
            if name not in node:
                raise SpecError(join(path, "constraints"), lists[0], f"the name of a list '{name}' in {path}")
            self.entries(expect_list(node[name], join(path, name), "a list of constraints"), join(path, name))
        elif lists[0] is not None:
            cpath = join(path, "constraints")
            self.entries(expect_list(lists[0], cpath, "a list of constraints"), cpath)
        elif lists[1] is not None:
            tpath = join(path, "targets")
            self.entries(expect_list(lists[1], tpath, "a list of constraints"), tpath)

    def entries(self, items: list, path: str) -> None:
        for i, item in enumerate(items):
            ipath = join(path, i)
            item = expect_map(item, ipath, "a constraint {target, type, ...}")
            if "constraints" in item:  # a target with its constraints under it
                self.keys(item, ipath, ("target", "name", "constraints", "description"))
                cpath = join(ipath, "constraints")
                for j, c in enumerate(expect_list(item["constraints"], cpath, "a list of constraints")):
                    c = expect_map(c, join(cpath, j), "a constraint {type, ...}")
                    self.single(item, ipath, c, join(cpath, j))
            else:
                self.single(item, ipath, item, ipath)

    # --- one constraint -------------------------------------------------------------------------------------
    def target(self, node: dict, path: str) -> int:
        """Our level index (0 = outermost) from a name or Timeloop's storage-level id (0 = innermost)."""
        value = node.get("target", node.get("name"))
        key = "name" if "target" not in node and "name" in node else "target"
        tpath = join(path, key)
        if value is None:
            raise SpecError(tpath, "nothing (the key is missing)", f"a storage level name among {self.names}")
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < len(self.names):
                raise SpecError(
                    tpath, value, f"a storage level id in [0, {len(self.names) - 1}] (0 = innermost)"
                )
            return len(self.names) - 1 - value
        if isinstance(value, str) and value in self.names:
            return self.names.index(value)
        if isinstance(value, str) and value == self.arch.compute.name:
            raise SpecError(tpath, value, f"a storage level, not the compute units: one of {self.names}")
        raise SpecError(tpath, f"{describe(value)}{suggestion(str(value), self.names)}",
                        f"a storage level name among {self.names} (or its id, 0 = innermost)")  # fmt: skip

    def single(self, target_node: dict, tpath: str, c: dict, path: str) -> None:
        ctype = c.get("type")
        if not isinstance(ctype, str) or ctype not in _TYPES:
            found = "nothing (the key is missing)" if "type" not in c else (
                f"{describe(ctype)}{suggestion(str(ctype), _TYPES)}")  # fmt: skip
            raise SpecError(join(path, "type"), found, f"one of {list(_TYPES)}")
        kind = _TYPES[ctype]
        lv = self.target(target_node, tpath)
        if c is not target_node and "target" in c and self.target(c, path) != lv:
            raise SpecError(join(path, "target"), c["target"], f"the target of {tpath} ({self.names[lv]})")
        separate = "attributes" in c
        attrs = (
            expect_map(c["attributes"], join(path, "attributes"), "a mapping of attributes")
            if separate
            else c
        )
        apath = join(path, "attributes") if separate else path
        if kind == "unsupported":
            self.note(path, f"type {ctype!r} accepted but not modelled ({_UNSUPPORTED_WHY[ctype]}); ignored")
            return
        own = ("split",) if kind == "spatial" else ()
        unsupported = _UNSUPPORTED_KEYS if kind in ("temporal", "spatial") else {}
        if separate:
            self.keys(c, path, (*_COMMON_KEYS, *own), unsupported)
            self.keys(attrs, apath, _KIND_KEYS[kind] + own, unsupported)
        else:
            self.keys(c, path, (*_COMMON_KEYS, *_KIND_KEYS[kind]), unsupported)
        if kind == "bypass":
            self.bypass(lv, attrs, apath)
        elif kind == "utilization":
            self.utilization(lv, attrs, apath, ctype)
        else:
            self.tiling(lv, kind, c, attrs, path, apath)

    def tiling(self, lv: int, kind: str, c: dict, attrs: dict, path: str, apath: str) -> None:
        spatial = kind == "spatial"
        level = self.names[lv]
        if spatial and self.arch.fanout(lv) == (1, 1):
            below = self.names[lv + 1] if lv + 1 < len(self.names) else self.arch.compute.name
            raise SpecError(join(path, "target"), level, f"a level with a spatial fan-out below it ({below} has as "
                            f"many instances as {level}, so there is none; Timeloop stops here too)")  # fmt: skip
        exact: dict[str, int] = {}
        hi: dict[str, int] = {}
        lo: dict[str, int] = {}
        if attrs.get("factors") is not None:
            fpath = join(apath, "factors")
            exact, hi, lo = self.factors(attrs["factors"], fpath)
            for which, table in (("factor", exact), ("max factor", hi), ("min factor", lo)):
                for d in table:
                    self.once((lv, kind, which, d), fpath, f"a {kind} {which} for {d} at {level}")
            if spatial and lo:
                raise SpecError(fpath, f"min factors (>=) for {sorted(lo)}", "exact (=) or max (<=) factors in a "
                                "spatial constraint (min factors are for temporal ones)")  # fmt: skip
        perm: list[str] = []
        dot = None
        if attrs.get("permutation") is not None:
            ppath = join(apath, "permutation")
            perm, dot = self.permutation(attrs["permutation"], ppath, spatial)
            if perm:
                self.once((lv, kind, "permutation"), ppath, f"a {kind} permutation at {level}")
        split_node, spath = (c, join(path, "split")) if "split" in c else (attrs, join(apath, "split"))
        split = None
        if spatial and split_node.get("split") is not None:
            split = as_int(split_node["split"], spath, minimum=0)
            self.once((lv, kind, "split"), spath, f"a spatial split at {level}")
        if spatial:
            entry = self.spatial.setdefault(lv, {})
            if perm:
                entry["perm"] = (perm, dot, self.file, join(apath, "permutation"))
            if split is not None:
                entry["split"] = (split, self.file, spath)
            if dot is not None and split is None:
                self.once(
                    (lv, kind, "split"), join(apath, "permutation"), f"a spatial split ('.') at {level}"
                )
            elif dot is not None and dot != split:
                raise SpecError(spath, split, f"the split the '.' in the permutation marks ({dot})")
            made = LevelConstraint(
                level, spatial_factors=tuple(exact.items()), spatial_max_factors=tuple(hi.items())
            )
        else:
            made = LevelConstraint(level, factors=tuple(exact.items()), max_factors=tuple(hi.items()),
                                   min_factors=tuple(lo.items()), permutation=tuple(perm))  # fmt: skip
        self.add(made, path)

    def add(self, made: LevelConstraint, path: str, file: str | None = None) -> None:
        self.levels.append(made)
        file = file if file is not None else self.file
        self.sources.append(f"{file}: {path}" if file else path)

    def factors(self, value: object, path: str) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        if isinstance(value, str):
            items = [(value, path)]
        elif isinstance(value, list):
            items = [
                (as_str(v, join(path, i), "a factor string like 'R=3'"), join(path, i))
                for i, v in enumerate(value)
            ]
        else:
            raise SpecError(path, describe(value), _FACTORS_EXPECTED)
        exact: dict[str, int] = {}
        hi: dict[str, int] = {}
        lo: dict[str, int] = {}
        dims = self.workload.dims
        for text, ipath in items:
            for regex, table, kind in ((_MAX, hi, "<="), (_MIN, lo, ">="), (_EXACT, exact, "=")):
                for m in regex.finditer(text if regex is not _EXACT else _MIN.sub(" ", _MAX.sub(" ", text))):
                    d, n = m.group(1), int(m.group(2))
                    if d not in dims:
                        raise SpecError(ipath, f"the dimension {d!r} in {text!r}{suggestion(d, dims)}",
                                        f"dimensions among {list(dims)}")  # fmt: skip
                    if d in table:
                        raise SpecError(
                            ipath, f"{d}{kind} twice in {value!r}", "each dimension at most once per kind"
                        )
                    bound = self.workload.bound(d)
                    if kind == "=":
                        if n == 0:
                            n = bound  # Timeloop: "Interpreting 0 to mean full problem dimension"
                        elif n > bound:
                            self.note(ipath, f"{d}={n} exceeds the dimension's size {bound}: using {d}={bound} "
                                      "(as Timeloop does)")  # fmt: skip
                            n = bound
                    elif n <= 0:
                        raise SpecError(
                            ipath, m.group(0), f"a positive {'max' if kind == '<=' else 'min'} factor"
                        )
                    table[d] = n
            leftover = _EXACT.sub(" ", _MIN.sub(" ", _MAX.sub(" ", text))).replace(",", " ").strip()
            if leftover:
                raise SpecError(ipath, f"{leftover!r} in {text!r}", _FACTORS_EXPECTED)
        return exact, hi, lo

    def permutation(self, value: object, path: str, spatial: bool) -> tuple[list[str], int | None]:
        """Dimensions innermost first, and where a '.' marked the X/Y split (spatial only)."""
        dims = self.workload.dims
        if isinstance(value, str):
            tokens: list[str] = []
            for token in value.split():
                tokens.extend([token] if token in dims else list(token))
        elif isinstance(value, list):
            tokens = [as_str(v, join(path, i), "a dimension name") for i, v in enumerate(value)]
        else:
            raise SpecError(path, describe(value), f"dimension names innermost first, e.g. {''.join(dims)!r}")
        out: list[str] = []
        dot = None
        for t in tokens:
            if t == ".":
                if not spatial:
                    raise SpecError(
                        path, f"'.' in {value!r}", "a '.' (the X/Y split) only in a spatial permutation"
                    )
                if dot is not None:
                    raise SpecError(path, f"two '.' in {value!r}", "at most one X/Y split")
                dot = len(out)
                continue
            if t not in dims:
                raise SpecError(
                    path, f"{t!r} in {value!r}{suggestion(t, dims)}", f"dimensions among {list(dims)}"
                )
            if t in out:
                raise SpecError(path, f"{t} twice in {value!r}", "each dimension at most once")
            out.append(t)
        return out, dot

    def bypass(self, lv: int, attrs: dict, path: str) -> None:
        level = self.names[lv]
        keep: set[str] = set()
        bypass: set[str] = set()
        tensors = self.workload.tensor_names
        for key, into in (("keep", keep), ("bypass", bypass)):
            if attrs.get(key) is None:
                continue
            kpath = join(path, key)
            for j, t in enumerate(as_str_list(attrs[key], kpath, "a list of data-space names")):
                if t not in tensors:
                    raise SpecError(
                        join(kpath, j), f"{t!r}{suggestion(t, tensors)}", f"one of {list(tensors)}"
                    )
                if key == "bypass" and lv == 0:
                    raise SpecError(join(kpath, j), t, f"no bypass at {level}: the outermost level keeps every "
                                    "data space")  # fmt: skip
                if lv != 0:  # Timeloop checks every level but the outermost
                    self.once((lv, "keep", t), join(kpath, j), f"a keep/bypass flag for {t} at {level}")
                into.add(t)
        self.add(LevelConstraint(level, keep=frozenset(keep), bypass=frozenset(bypass)), path)

    def utilization(self, lv: int, attrs: dict, path: str, ctype: str) -> None:
        innermost = len(self.names) - 1
        if lv != innermost:
            raise SpecError(join(path, "target"), self.names[lv], f"the innermost storage level "
                            f"{self.names[innermost]!r}: Timeloop constrains {ctype} there only")  # fmt: skip
        if "min" not in attrs:
            raise SpecError(join(path, "min"), "nothing (the key is missing)", "the least fraction of the compute "
                            "units a mapping must use, in [0, 1]")  # fmt: skip
        value = as_number(attrs["min"], join(path, "min"), positive=False)
        if value > 1:
            raise SpecError(join(path, "min"), value, "a fraction in [0, 1]")
        self.once(("utilization",), join(path, "min"), "a min utilization/parallelism")
        self.min_utilization = float(value)

    # --- spatial X/Y from permutation and split ------------------------------------------------------------
    def axes(self) -> None:
        dims = list(self.workload.dims)
        for lv, entry in sorted(self.spatial.items()):
            level = self.names[lv]
            perm_entry, split_entry = entry.get("perm"), entry.get("split")
            perm, dot, pfile, ppath = perm_entry if perm_entry else ([], None, None, None)
            split, sfile, spath = split_entry if split_entry else (None, None, None)
            if dot is not None and split is not None and dot != split:
                self.file = sfile
                raise SpecError(spath, split, f"the split the '.' in {ppath} marks ({dot})")
            if dot is not None:
                split = dot
                sfile, spath = pfile, ppath
            self.file = pfile or sfile
            where = ppath or spath
            if perm and split is not None:
                rest = [d for d in dims if d not in perm]
                if split <= len(perm):
                    sx, sy = frozenset(perm[:split]), frozenset(perm[split:] + rest)
                elif split >= len(dims):
                    sx, sy = None, frozenset()
                else:
                    sx, sy = None, frozenset(rest)
                    self.note(where, f"split {split} goes past the {len(perm)} dimensions listed: loopscape keeps "
                              f"Y to {sorted(rest)} but lets X take any")  # fmt: skip
                self.add(LevelConstraint(level, spatial_x=sx, spatial_y=sy), where, self.file)
            elif perm:
                self.note(
                    where,
                    "a spatial permutation without a split: loopscape does not enforce its order "
                    "(Timeloop spreads a prefix of it along X and the rest along Y); any X/Y spread allowed",
                )
            elif split is not None:
                self.note(where, "a spatial split without a permutation is not enforced by loopscape")


def read_constraints(
    sources: Sequence[tuple[str, object, str | None]], arch: Architecture, workload: Workload
) -> MapspaceConstraints:
    """Constraints from (path, node, file) sources, architecture constraints first (Timeloop's order)."""
    reader = _Reader(arch, workload)
    for path, node, file in sources:
        reader.file = file
        try:
            reader.top(node, path)
        except SpecError as e:
            raise e.in_file(file) if file else e from None
    try:
        reader.axes()
    except SpecError as e:
        raise e.in_file(reader.file) if reader.file else e from None
    files = tuple(dict.fromkeys(f for _, _, f in sources if f))
    name = f"Timeloop constraints ({', '.join(files)})" if files else "Timeloop constraints"
    constraints = Constraints(tuple(reader.levels), name, reader.min_utilization)
    return MapspaceConstraints(constraints, tuple(reader.sources), tuple(reader.notes), files)


# ==================================================================================================
# Mapper settings
# ==================================================================================================

# Timeloop's search algorithms (search-factory.cpp; the docs spell them with '-') -> ours.
ALGORITHMS = {
    "hybrid": "default",  # Timeloop's default: a random factorisation, then its permutations
    "random": "random",
    "random-pruned": "random",
    "random_pruned": "random",
    "linear-pruned": "exhaustive",
    "linear_pruned": "exhaustive",
    "exhaustive": "exhaustive",
}
# Timeloop's optimization metrics (mapper-thread.cpp Cost) -> our objective metrics.
METRICS = {"delay": "delay", "energy": "energy", "edp": "edp"}
UNSUPPORTED_METRICS = ("last-level-accesses", "accesses-N")
# Settings that change only how Timeloop reports or schedules its threads.
IGNORED_SETTINGS = (
    "live-status", "log-stats", "log-suboptimal", "log-all", "log-interval", "sync-interval", "diagnostics",
    "penalize-consecutive-bypass-fails", "emit-whoop-nest", "out_prefix", "max-permutations-per-if-visit",
    "filter-revisits", "heartbeat-interval",
)  # fmt: skip
_SETTINGS = (
    "optimization-metric", "optimization-metrics", "algorithm", "search-size", "search_size", "timeout",
    "heartbeat", "victory-condition", "num-threads", *IGNORED_SETTINGS,
)  # fmt: skip
TIMELOOP_VICTORY_CONDITION = 500  # mapper.cpp defaults
TIMELOOP_TIMEOUT = 1000


@dataclass(frozen=True)
class MapperSettings:
    """A Timeloop `mapper:` section. `method` is our search; `search_size` the number of mappings to
    evaluate (0: unlimited); `patience` evaluations without improvement before stopping (from the victory
    condition); `metrics` Timeloop's metric names as written (see `objective`)."""

    file: str | None = None
    path: str = "mapper"
    metrics: tuple[str, ...] = ()
    metrics_path: str = "mapper.optimization-metrics"
    algorithm: str | None = None
    method: str | None = None
    search_size: int | None = None
    victory_condition: int = TIMELOOP_VICTORY_CONDITION
    timeout: int = TIMELOOP_TIMEOUT
    num_threads: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def threads(self) -> int:
        """Timeloop's thread count: the setting, else every hardware thread."""
        return self.num_threads or os.cpu_count() or 1

    @property
    def patience(self) -> int | None:
        """Timeloop stops each of its threads after `victory-condition` valid mappings without improvement
        (0: never); loopscape's one search stops after that many times the threads (None: no limit)."""
        return self.victory_condition * self.threads if self.victory_condition > 0 else None

    def objective(self) -> str | None:
        """The metrics as our (lexicographic) objective; a SpecError for metrics loopscape cannot rank by."""
        if not self.metrics:
            return None
        out = []
        for i, m in enumerate(self.metrics):
            if m not in METRICS:
                path = (
                    self.metrics_path if self.metrics_path.endswith("metric") else join(self.metrics_path, i)
                )
                unsupported = m in ("last-level-accesses",) or m.startswith("accesses-")
                found = f"{m!r} ({'not supported by loopscape' if unsupported else 'not a Timeloop metric'})"
                raise SpecError(path, found, f"metrics among {list(METRICS)} (or override with --objective)",
                                self.file)  # fmt: skip
            out.append(METRICS[m])
        return ",".join(out)


def read_mapper(node: object, path: str = "mapper", file: str | None = None) -> MapperSettings:
    """A `mapper:` section as mapper.cpp and search-factory.cpp read it."""
    try:
        return _read_mapper(node, path, file)
    except SpecError as e:
        raise e.in_file(file) if file else e from None


def _read_mapper(node: object, path: str, file: str | None) -> MapperSettings:
    node = expect_map(node if node is not None else {}, path, "a mapping of mapper settings")
    # Timeloop HEAD reads 'victory_condition' as 'victory-condition' (hyphens-to-underscores, as timeloopfe
    # writes them); an empty 'optimization_metric: []' (timeloopfe's) is no metric.
    node = hyphenated(
        {
            k: v
            for k, v in node.items()
            if not (k in ("optimization-metric", "optimization_metric") and v == [])
        },
        _SETTINGS,
    )
    notes: list[str] = []
    for key in node:
        k = str(key)
        if k in _SETTINGS:
            continue
        close = difflib.get_close_matches(k, list(_SETTINGS), n=1, cutoff=0.75)
        if close:
            raise SpecError(join(path, k), f"the unknown setting {k!r} (did you mean '{close[0]}'?)",
                            f"Timeloop mapper settings among {list(_SETTINGS)}")  # fmt: skip
        notes.append(_note(file, join(path, k), "unknown mapper setting, ignored"))
    ignored = [k for k in IGNORED_SETTINGS if k in node]
    if ignored:
        notes.append(_note(file, path, f"{', '.join(ignored)}: no effect in loopscape, ignored"))
    metrics: tuple[str, ...] = ()
    metrics_path = join(path, "optimization-metrics")
    if node.get("optimization-metric") is not None:
        metrics_path = join(path, "optimization-metric")
        metrics = (as_str(node["optimization-metric"], metrics_path, "a metric name"),)
        if "optimization-metrics" in node:
            notes.append(_note(file, join(path, "optimization-metrics"),
                               "ignored: optimization-metric is given (Timeloop reads that one first)"))  # fmt: skip
    elif node.get("optimization-metrics") is not None:
        metrics = tuple(as_str_list(node["optimization-metrics"], metrics_path, "a list of metric names"))
        if not metrics:
            raise SpecError(metrics_path, "an empty list", f"at least one metric among {list(METRICS)}")
    if len(metrics) > 1:
        notes.append(_note(file, metrics_path, "lexicographic order: Timeloop treats values within 0.1% as "
                           "equal before looking at the next metric; loopscape compares them exactly"))  # fmt: skip
    algorithm = method = None
    if node.get("algorithm") is not None:
        apath = join(path, "algorithm")
        algorithm = as_str(node["algorithm"], apath, "a search algorithm name")
        if algorithm not in ALGORITHMS:
            raise SpecError(
                apath, f"{algorithm!r}{suggestion(algorithm, ALGORITHMS)}", f"one of {list(ALGORITHMS)}"
            )
        method = ALGORITHMS[algorithm]
    search_size = None
    for key in ("search-size", "search_size"):  # mapper.cpp reads both; the second wins
        if node.get(key) is not None:
            search_size = as_int(node[key], join(path, key), minimum=0, maximum=2**62)
    victory = TIMELOOP_VICTORY_CONDITION
    if node.get("victory-condition") is not None:
        victory = as_int(node["victory-condition"], join(path, "victory-condition"), minimum=0)
    timeout = TIMELOOP_TIMEOUT
    for key in ("timeout", "heartbeat"):
        if node.get(key) is not None:
            timeout = as_int(node[key], join(path, key), minimum=0)
            notes.append(_note(file, join(path, key), "not applied: loopscape does not stop on invalid "
                               "mappings (they count towards the victory condition's patience instead)"))  # fmt: skip
    threads = None
    if node.get("num-threads") is not None:
        threads = as_int(node["num-threads"], join(path, "num-threads"))
    if node.get("live-status") is not None:
        as_bool(node["live-status"], join(path, "live-status"))
    return MapperSettings(file, path, metrics, metrics_path, algorithm, method, search_size, victory, timeout,
                          threads, tuple(notes))  # fmt: skip
