"""Converting spec files between formats: `loopscape convert IN... --to timeloop|zigzag|native --out DIR`.

The inputs are read with `load_specs` (native and Timeloop files, detected per file, mixed freely; ZigZag files
too once `loopscape.io.zigzag` offers a reader), then one writer per output format (`WRITERS`) writes one file
per part into DIR. What the target format cannot hold is named in the notes, never silently dropped; what it
cannot express at all (an uneven mapping in Timeloop's) is an error naming the input file and spec path.

Files per format (parts the inputs do not give are not written):

| part          | native          | timeloop        |
| ------------- | --------------- | --------------- |
| architecture  | arch.yaml       | arch.yaml (with `architecture_constraints` for `keeps`, `sparse_optimizations` for gating) |
| workload      | workload.yaml   | problem.yaml    |
| mapping       | map.yaml        | map.yaml        |
| constraints   | constraints.yaml (Timeloop's mapspace form: the native format has none) | constraints.yaml |
| energy        | energy.yaml     | ert.yaml (ERT and ART) |

ZigZag's writer lives in `loopscape.io.zigzag` as `write_zigzag(specs, out_dir) -> list[Path]` (or
`(list[Path], notes)`); it is imported only when `--to zigzag` asks for it.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loopscape.errors import LoopscapeError, SpecError
from loopscape.io import yaml_limits
from loopscape.io.load import Specs, load_specs
from loopscape.mapping.constraints import Constraints, LevelConstraint

FORMATS = ("native", "timeloop", "zigzag")
NATIVE_FILES = {
    "architecture": "arch.yaml",
    "workload": "workload.yaml",
    "mapping": "map.yaml",
    "constraints": "constraints.yaml",
    "energy": "energy.yaml",
}


@dataclass
class Converted:
    """What a conversion wrote: part -> file (`files`, in writing order) and what the format cannot hold."""

    format: str
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "files": {part: str(path) for part, path in self.files.items()},
            "notes": list(self.notes),
        }


# ==================================================================================================
# Reading
# ==================================================================================================


def _zigzag_module() -> tuple[Any | None, str]:
    """(`loopscape.io.zigzag`, '') when it imports; else (None, why). A module that fails to import must not
    stop native and Timeloop conversions, so the reason is kept for `--to zigzag` to report."""
    try:
        return importlib.import_module("loopscape.io.zigzag"), ""
    except ModuleNotFoundError as e:
        if e.name == "loopscape.io.zigzag":
            return None, "this loopscape has no ZigZag module (loopscape.io.zigzag)"
        return None, f"loopscape.io.zigzag does not import ({e})"
    except Exception as e:  # noqa: BLE001 - a module being written may be broken; say how
        return None, f"loopscape.io.zigzag does not import ({type(e).__name__}: {e})"


def _is_zigzag_file(zz: Any, path: str | Path) -> bool:
    """Whether `path` parses as a ZigZag accelerator, workload or mapping (`loopscape.io.zigzag.is_zigzag`)."""
    try:
        data = yaml_limits.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, SpecError):
        return False  # load_specs reports it
    return bool(zz.is_zigzag(data))


def read_inputs(paths: Sequence[str | Path]) -> Specs:
    """Every part the files give: architecture, workload, mapping, energy, and timeloop-mapper's constraints.

    When any file is a ZigZag file (`loopscape.io.zigzag.is_zigzag`) and that module offers
    `read_specs(paths) -> Specs`, it reads them all; otherwise `load_specs` does (native and Timeloop)."""
    zz, _ = _zigzag_module()
    reader = getattr(zz, "read_specs", None) if zz is not None else None
    if reader is not None and hasattr(zz, "is_zigzag") and any(_is_zigzag_file(zz, p) for p in paths):
        return reader(list(paths))
    return load_specs(paths, mapspace=True)


def _implied_by_keeps(c: LevelConstraint, specs: Specs) -> bool:
    """A bypass-only constraint the architecture's `keeps` already imply (what the Timeloop writer adds as
    `architecture_constraints`): dropped on conversion, since the architecture carries it."""
    arch = specs.arch
    if arch is None or c.keep or not c.bypass:
        return False
    if dataclasses.replace(c, bypass=frozenset()) != LevelConstraint(c.level):
        return False
    names = [lv.name for lv in arch.levels]
    if c.level not in names:
        return False
    keeps = arch.levels[names.index(c.level)].keeps
    return keeps is not None and not (c.bypass & keeps)


def _constraints(specs: Specs) -> Constraints | None:
    c = specs.constraints
    if c is None:
        return None
    levels = tuple(lc for lc in c.levels if not _implied_by_keeps(lc, specs))
    if not levels and not c.min_utilization and not c.max_bandwidth:
        return None
    return dataclasses.replace(c, levels=levels)


def _file_for(specs: Specs, path: str) -> str:
    """The input file an error at `path` of the output is about."""
    head = path.split(".")[0].split("[")[0]
    if head == "constraints":
        files = [s.split(": ")[0] for s in specs.constraint_sources]
        return ", ".join(dict.fromkeys(files)) or specs.file_for(path)
    return specs.file_for(path)


def _write(path: Path, doc: dict, header: str = "") -> Path:
    text = yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=110)
    path.write_text(header + text, encoding="utf-8")
    return path


def _header(fmt: str, part: str, specs: Specs) -> str:
    sources = {
        "architecture": "architecture",
        "workload": "workload",
        "mapping": "mapping",
        "energy": "energy",
    }
    src = specs.files.get(sources.get(part, ""), "") if part in sources else ""
    if part == "constraints":
        src = ", ".join(dict.fromkeys(s.split(": ")[0] for s in specs.constraint_sources))
    origin = f" from {src}" if src else ""
    return f"# {part} ({fmt}), converted by loopscape{origin}\n"


# ==================================================================================================
# Writers: (specs, out_dir, energy) -> Converted
# ==================================================================================================


def write_timeloop(specs: Specs, out_dir: Path, energy: Any = None) -> Converted:
    """Timeloop v0.4 files (io/timeloop_writer.py): arch.yaml, problem.yaml, map.yaml, constraints.yaml,
    ert.yaml."""
    from loopscape.io.timeloop_writer import PART_FILES, timeloop_documents

    try:
        docs = timeloop_documents(specs.arch, specs.workload, specs.mapping, _constraints(specs), energy)
    except SpecError as e:
        raise (e if e.file else e.in_file(_file_for(specs, e.path))) from None
    out = Converted("timeloop", notes=list(docs.notes))
    parts = {"problem": "workload"}
    for part, doc in docs.documents.items():
        out.files[parts.get(part, part)] = _write(
            out_dir / PART_FILES[part], doc, _header("Timeloop v0.4", parts.get(part, part), specs)
        )
    return out


def write_native(specs: Specs, out_dir: Path, energy: Any = None) -> Converted:
    """loopscape's native files (io/native.py); mapspace constraints in Timeloop's form (native has none)."""
    from loopscape.io import native

    out = Converted("native")
    docs: dict[str, dict] = {}
    if specs.arch is not None:
        docs["architecture"] = {"architecture": native.architecture_to_native(specs.arch)}
    if specs.workload is not None:
        docs["workload"] = {"workload": native.workload_to_native(specs.workload)}
    if specs.mapping is not None:
        docs["mapping"] = {"mapping": native.mapping_to_native(specs.mapping, specs.arch, specs.workload)}
    constraints = _constraints(specs)
    if constraints is not None:
        from loopscape.io.timeloop_writer import constraints_to_timeloop

        try:
            written = constraints_to_timeloop(constraints, specs.arch, specs.workload, out.notes)
        except SpecError as e:
            raise (e if e.file else e.in_file(_file_for(specs, e.path))) from None
        docs["constraints"] = {"mapspace_constraints": written}
        out.notes.append(
            "constraints.yaml: the native format has no mapspace constraints; they are written in Timeloop's "
            "form, which `loopscape map` reads beside native files"
        )
    if energy is not None:
        docs["energy"] = {"energy": _native_energy(specs, energy, out.notes)}
    for part, doc in docs.items():
        out.files[part] = _write(out_dir / NATIVE_FILES[part], doc, _header("native", part, specs))
    return out


def _native_energy(specs: Specs, table: Any, notes: list[str]) -> dict:
    """The native `energy:` block: per level read/fill/update, the MAC and the areas."""
    arch = specs.arch
    levels = {}
    gated = []
    for lv in arch.levels:
        e = table.level(lv.name)
        levels[lv.name] = {"read": float(e.read), "fill": float(e.fill), "update": float(e.update)}
        if e.gated_read or e.gated_fill or e.gated_update:
            gated.append(lv.name)
    names = [lv.name for lv in arch.levels] + [arch.compute.name]
    out: dict[str, Any] = {"compute": float(table.compute), "levels": levels}
    area = {n: float(table.area[n]) for n in names if n in table.area}
    if area:
        out["area"] = area
    if gated or table.compute_gated:
        notes.append(
            f"energy.yaml: the gated energies of {gated + ([arch.compute.name] if table.compute_gated else [])} "
            "are not written (the native energy block has none: reading it back, the levels' come from the built-in "
            "tables and the compute units' is 0)"
        )
    if any(v for v in (getattr(table, "network", None) or {}).values()):
        notes.append(
            "energy.yaml: the network (wire) energies are not written (the native energy block has none; "
            "user numbers replace the built-in wire energies with zero)"
        )
    return out


def write_zigzag(specs: Specs, out_dir: Path, energy: Any = None) -> Converted:
    """ZigZag files, by `loopscape.io.zigzag.write_zigzag(specs, out_dir)` (imported only now)."""
    zz, why = _zigzag_module()
    if zz is not None and not hasattr(zz, "write_zigzag"):
        why = "loopscape.io.zigzag has no writer write_zigzag(specs, out_dir)"
    if why:
        raise LoopscapeError(f"cannot write ZigZag files: {why}")
    written = zz.write_zigzag(dataclasses.replace(specs, energy=energy), out_dir)
    notes: list[str] = []
    if isinstance(written, tuple):
        written, notes = written[0], list(written[1])
    out = Converted("zigzag", notes=notes)
    for p in written:
        out.files[Path(p).stem] = Path(p)
    return out


Writer = Callable[[Specs, Path, Any], Converted]
WRITERS: dict[str, Writer] = {"native": write_native, "timeloop": write_timeloop, "zigzag": write_zigzag}


# ==================================================================================================
# The conversion
# ==================================================================================================


def convert(
    paths: Sequence[str | Path], to: str, out_dir: str | Path, *, builtin_energy: bool = False
) -> Converted:
    """Read `paths`, write every part they give in format `to` into `out_dir` (created if missing).

    `builtin_energy`: write the built-in energy table (ERT/ART) for the architecture when the inputs give
    none. Notes: what the inputs ask for that loopscape does not model, then what the target cannot hold."""
    if to not in WRITERS:
        raise SpecError("--to", to, f"one of {list(WRITERS)}")
    specs = read_inputs(paths)
    if all(getattr(specs, p) is None for p in ("arch", "workload", "mapping", "constraints")):
        given = ", ".join(str(p) for p in paths)
        raise SpecError("(top level)", "no architecture, workload, mapping or constraints",
                        "at least one part to convert", given)  # fmt: skip
    energy = specs.energy
    if energy is None and builtin_energy and specs.arch is not None:
        from loopscape.energy.defaults import default_table

        try:
            energy = default_table(specs.arch)
        except SpecError as e:
            raise (e if e.file else e.in_file(specs.file_for("architecture"))) from None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = WRITERS[to](specs, out, energy)
    read_notes = [f"input: {n}" for n in specs.notes]
    if specs.mapper is not None:
        read_notes.append(
            f"input: the mapper settings ({specs.files.get('mapper', 'mapper:')}) are not converted"
        )
    result.notes = read_notes + result.notes
    return result


__all__ = [
    "FORMATS",
    "NATIVE_FILES",
    "WRITERS",
    "Converted",
    "convert",
    "read_inputs",
    "write_native",
    "write_timeloop",
    "write_zigzag",
]
