"""Loading spec files: detect native or Timeloop per file, merge several files, attribute errors to files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable
from loopscape.errors import SpecError
from loopscape.io import native, timeloop, timeloop_mapspace
from loopscape.io.energy_overrides import EnergyOverrides, apply_overrides
from loopscape.io.spec_yaml import load_yaml_file, suggestion
from loopscape.io.timeloop_mapspace import MapperSettings
from loopscape.mapping import Constraints, Mapping, validate_mapping
from loopscape.workload import Workload

NATIVE = "native"
TIMELOOP = "timeloop"


@dataclass(frozen=True)
class Specs:
    """What a set of spec files describes; `files` says which file each part came from."""

    arch: Architecture | None = None
    workload: Workload | None = None
    mapping: Mapping | None = None
    energy: EnergyTable | None = None  # None: use the built-in default table
    files: dict[str, str] = field(
        default_factory=dict
    )  # 'architecture' / 'workload' / 'mapping' / 'energy' / timeloop-mapper's keys -> file
    # timeloop-mapper's inputs, read only by load_specs(..., mapspace=True) (`loopscape map`):
    constraints: Constraints | None = None  # the files' mapspace and architecture constraints, merged
    constraint_sources: tuple[str, ...] = ()  # 'FILE: PATH' of each constraints.levels entry
    mapper: MapperSettings | None = None  # the `mapper:` section
    notes: tuple[str, ...] = ()  # what the files ask for that loopscape accepts but does not model
    formats: dict[str, str] = field(default_factory=dict)  # part -> 'native' / 'timeloop'

    def file_for(self, path: str) -> str:
        """The file an error at `path` (architecture..., mapping..., workload/problem...) belongs to."""
        head = path.split(".")[0].split("[")[0]
        part = {"architecture": "architecture", "arch": "architecture", "mapping": "mapping", "workload": "workload",
                "problem": "workload", "energy": "energy", "ERT": "energy", "ART": "energy"}.get(head)  # fmt: skip
        if head in timeloop_mapspace.ALL_KEYS:
            part = head
        if part in self.files:
            return self.files[part]
        return ", ".join(dict.fromkeys(self.files.values())) or "(no files)"

    def require(self, *parts: str) -> None:
        """Raise a SpecError naming the files when a part a command needs is missing."""
        given = ", ".join(sorted(set(self.files.values()))) or "(no files)"
        attr = {"architecture": "arch", "workload": "workload", "mapping": "mapping"}
        for part in parts:
            if getattr(self, attr[part]) is None:
                keys = {"architecture": "'architecture'", "workload": "'workload' (native) or 'problem' (Timeloop)",
                        "mapping": "'mapping'"}[part]  # fmt: skip
                raise SpecError(
                    part, "no such part in any file", f"a top-level {keys} in one of the files", given
                )


def detect_format(data: dict) -> str:
    """Timeloop when a file has Timeloop's marks (problem, ERT/ART, a tree architecture, a list mapping)."""
    arch = data.get("architecture")
    if "problem" in data or "ERT" in data or "ART" in data or "sparse_optimizations" in data:
        return TIMELOOP
    if isinstance(arch, dict) and ("version" in arch or "subtree" in arch or "nodes" in arch):
        return TIMELOOP
    if isinstance(data.get("mapping"), list):
        return TIMELOOP
    if any(k in data for k in timeloop.IGNORED_KEYS) and not any(k in data for k in ("workload", "energy")):
        return TIMELOOP
    return NATIVE


@dataclass
class _Part:
    value: Any
    file: str
    fmt: str
    key: str


def _collect(paths: Sequence[str | Path], mapspace: bool = False) -> dict[str, _Part]:
    parts: dict[str, _Part] = {}
    for p in paths:
        file = str(p)
        data = load_yaml_file(file)
        fmt = detect_format(data)
        if fmt == NATIVE:
            allowed = {
                "workload": "workload",
                "architecture": "architecture",
                "mapping": "mapping",
                "energy": "energy",
            }
        else:
            allowed = {
                "architecture": "architecture",
                "problem": "workload",
                "mapping": "mapping",
                "ERT": "ert",
                "ART": "art",
                "sparse_optimizations": "sparse",
            }
            if mapspace:  # timeloop-mapper's keys, each its own part
                allowed.update({k: k for k in timeloop_mapspace.ALL_KEYS})
        for key, value in data.items():
            if key not in allowed:
                if fmt == TIMELOOP and key in timeloop.IGNORED_KEYS:
                    continue
                known = list(allowed) + (list(timeloop.IGNORED_KEYS) if fmt == TIMELOOP else [])
                raise SpecError(str(key), f"the unknown top-level key {key!r}{suggestion(str(key), known)}",
                                f"{fmt} top-level keys: {list(allowed)}", file)  # fmt: skip
            if fmt == TIMELOOP and key == "mapping" and value == []:
                continue  # timeloopfe's mapper input carries an empty mapping: no mapping
            part = allowed[key]
            if part in parts:
                first = parts[part]
                raise SpecError(str(key), f"a second {part} (the first is {first.key!r} in {first.file})",
                                "each of workload/problem, architecture, mapping, energy/ERT/ART in one file only", file)  # fmt: skip
            parts[part] = _Part(value, file, fmt, str(key))
    return parts


def _default_table(arch: Architecture) -> EnergyTable | None:
    """The built-in energy table when the energy package provides one (it is built by another module)."""
    try:
        from loopscape.energy.defaults import default_table
    except ImportError:
        return None
    return default_table(arch)


def _complete(overrides: EnergyOverrides, arch: Architecture) -> bool:
    """Whether the user's numbers cover every storage action and the compute units (no base table needed)."""
    levels_done = all(len(overrides.levels.get(lv.name, {})) == 3 for lv in arch.levels)
    return levels_done and overrides.compute is not None


def load_specs(paths: Sequence[str | Path], *, check_mapping: bool = True, mapspace: bool = False) -> Specs:
    """Read and merge spec files (native or Timeloop, one may hold any parts); validate the mapping.

    `mapspace`: also read timeloop-mapper's inputs (mapspace and architecture constraints, the `mapper:`
    section) into `constraints`, `mapper` and `notes`; without it they are ignored, as timeloop-model does.
    """
    parts = _collect(paths, mapspace)
    files = {name: p.file for name, p in parts.items() if name in ("architecture", "workload", "mapping")}

    def parse(name: str, fn, *args):
        part = parts[name]
        try:
            return fn(part.value, *args, part.key)
        except SpecError as e:
            raise e.in_file(part.file) from None

    arch = workload = mapping = None
    if "architecture" in parts:
        reader = (
            native.read_architecture if parts["architecture"].fmt == NATIVE else timeloop.read_architecture
        )
        arch = parse("architecture", reader)
    if "sparse" in parts:
        part = parts["sparse"]
        if arch is None:
            raise SpecError(
                part.key, "sparse optimizations without an architecture", "an architecture", part.file
            )
        try:
            arch = timeloop.apply_sparse_optimizations(part.value, arch, part.key)
        except SpecError as e:
            raise e.in_file(part.file) from None
    if "workload" in parts:
        reader = native.read_workload if parts["workload"].fmt == NATIVE else timeloop.read_problem
        workload = parse("workload", reader)
    if "mapping" in parts:
        part = parts["mapping"]
        if arch is None or workload is None:
            missing = "an architecture" if arch is None else "a workload"
            raise SpecError(
                part.key,
                f"a mapping without {missing}",
                "an architecture and a workload (problem) in the same or another file",
                part.file,
            )
        reader = native.read_mapping if part.fmt == NATIVE else timeloop.read_mapping
        mapping = parse("mapping", reader, arch, workload)
        if check_mapping:
            try:
                validate_mapping(arch, workload, mapping)
            except SpecError as e:
                raise e.in_file(part.file) from None

    energy = None
    overrides: EnergyOverrides | None = None
    for name in ("energy", "ert", "art"):
        if name not in parts:
            continue
        part = parts[name]
        try:
            if name == "energy":
                ov = native.read_energy(part.value, part.key)
            elif name == "ert":
                ert = timeloop.read_ert(part.value, part.key)
            else:
                art = timeloop.read_art(part.value, part.key)
            if arch is None:
                raise SpecError(
                    part.key,
                    f"{part.key} without an architecture",
                    "an architecture in the same or another file",
                )
            if name == "energy":
                native.check_energy_names(ov, arch, part.key)
            elif name == "ert":
                ov = timeloop.ert_overrides(ert, None, arch, source=f"ERT ({part.file})",
                                            own_actions=timeloop.ert_reads_own_actions(part.value))  # fmt: skip
            else:
                ov = timeloop.ert_overrides(None, art, arch, source=f"ART ({part.file})")
        except SpecError as e:
            raise e.in_file(part.file) from None
        overrides = ov if overrides is None else overrides.merged(ov)
    if overrides is not None and arch is not None:
        try:
            base = _default_table(arch)
        except SpecError as e:  # e.g. no built-in tables for the technology: fine if the user gave everything
            if not _complete(overrides, arch):
                raise e.in_file(
                    files.get("architecture", parts["architecture"].file if "architecture" in parts else "")
                ) from None
            base = None
        energy = apply_overrides(base, overrides, arch)
        files["energy"] = ", ".join(sorted({parts[n].file for n in ("energy", "ert", "art") if n in parts}))
    formats = {name: p.fmt for name, p in parts.items()}
    extra: dict[str, Any] = {}
    if mapspace:
        extra = _mapper_inputs(parts, arch, workload)
        files.update({k: parts[k].file for k in timeloop_mapspace.ALL_KEYS if k in parts})
    return Specs(arch=arch, workload=workload, mapping=mapping, energy=energy, files=files, formats=formats,
                 **extra)  # fmt: skip


def _mapper_inputs(parts: dict[str, _Part], arch: Architecture | None, workload: Workload | None) -> dict:
    """Constraints (architecture constraints first, as Timeloop reads them) and mapper settings."""
    sources: list[tuple[str, object, str | None]] = []
    arch_part = parts.get("architecture")
    arch_node = arch_part.value if arch_part and arch_part.fmt == TIMELOOP else None
    if isinstance(arch_node, dict) and arch_node.get("constraints") is not None:
        sources.append((f"{arch_part.key}.constraints", arch_node["constraints"], arch_part.file))
    for key in (*timeloop_mapspace.ARCH_CONSTRAINT_KEYS, *timeloop_mapspace.MAPSPACE_KEYS):
        if key in parts:
            sources.append((key, parts[key].value, parts[key].file))
    out: dict[str, Any] = {}
    notes: list[str] = []
    if sources:
        if arch is None or workload is None:
            path, _, file = sources[0]
            missing = "an architecture" if arch is None else "a workload (problem)"
            raise SpecError(path, f"mapspace constraints without {missing}",
                            "an architecture and a problem in the same or another file", file)  # fmt: skip
        read = timeloop_mapspace.read_constraints(sources, arch, workload)
        out.update(constraints=read.constraints, constraint_sources=read.sources)
        notes += read.notes
    if timeloop_mapspace.MAPPER_KEY in parts:
        part = parts[timeloop_mapspace.MAPPER_KEY]
        settings = timeloop_mapspace.read_mapper(part.value, part.key, part.file)
        out["mapper"] = settings
        notes += settings.notes
    out["notes"] = tuple(notes)
    return out
