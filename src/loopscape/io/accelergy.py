"""ERT/ART as files: Accelergy's `ERT.yaml` / `ART.yaml` layout (version 0.4) and loopscape's JSON.

Accelergy names every table by the component's path in the architecture tree
(`eyeriss.RFile_array[0..255].RFile`); we use the tree `timeloop_writer.architecture_to_timeloop` writes,
so the tables match the architecture file loopscape writes for Timeloop. Storage actions are Timeloop
v3.0.3's (`random_read`, `random_fill`, `random_update`), the compute action is `mac_random`; energies are
pJ per action, i.e. per vector access (one block) of a storage level. `io/timeloop.py` reads these files
back to the same numbers (`read_ert`, `read_art`, `ert_overrides`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from loopscape.arch import Architecture
from loopscape.energy import EnergyTable

ACCELERGY_VERSION = 0.4
STORAGE_ACTIONS = {"read": "random_read", "fill": "random_fill", "update": "random_update"}
COMPUTE_ACTION = "mac_random"
# The provenance key of a compute unit's operation in EnergyTable.provenance ('MAC.<action>').
COMPUTE_PROVENANCE_ACTIONS = ("compute", "mac")
AREA_PROVENANCE_ACTION = "area"


def component_paths(arch: Architecture) -> dict[str, str]:
    """Level (and compute) name -> Accelergy path, one subtree per change in the instance count.

    The same tree as `architecture_to_timeloop`: a component whose instances differ from the previous
    one's opens a subtree `<name>_array[0..f-1]` that multiplies the instances by f.
    """
    chain = [(lv.name, lv.instances) for lv in arch.levels] + [(arch.compute.name, arch.compute.instances)]
    prefix, count = arch.name, 1
    paths: dict[str, str] = {}
    for name, instances in chain:
        if instances != count:
            prefix = f"{prefix}.{name}_array[0..{instances // count - 1}]"
            count = instances
        paths[name] = f"{prefix}.{name}"
    return paths


def provenance(table: EnergyTable, name: str, actions: tuple[str, ...]) -> str:
    """Which estimator produced an entry (the first of `actions` recorded for `name`), else the table's source."""
    recorded: dict[str, str] = getattr(table, "provenance", None) or {}
    for action in actions:
        if f"{name}.{action}" in recorded:
            return recorded[f"{name}.{action}"]
    return table.source


def ert_document(arch: Architecture, table: EnergyTable) -> dict[str, Any]:
    """`{ERT: {version, tables: [{name, actions: [{name, energy}]}]}}` for every level and the compute units."""
    paths = component_paths(arch)
    tables = []
    for lv in arch.levels:
        energy = table.level(lv.name)
        actions = [
            {"name": theirs, "energy": float(getattr(energy, ours))}
            for ours, theirs in STORAGE_ACTIONS.items()
        ]
        # Sparseloop's gated actions (what a gated access costs), read back by the Timeloop reader.
        actions += [
            {"name": f"gated_{ours}", "energy": float(getattr(energy, f"gated_{ours}"))}
            for ours in ("read", "fill", "update")
        ]
        tables.append({"name": paths[lv.name], "actions": actions})
    tables.append(
        {
            "name": paths[arch.compute.name],
            "actions": [
                {"name": COMPUTE_ACTION, "energy": float(table.compute)},
                {"name": "mac_gated", "energy": float(table.compute_gated)},
            ],
        }
    )
    return {"ERT": {"version": ACCELERGY_VERSION, "tables": tables}}


def art_document(arch: Architecture, table: EnergyTable) -> dict[str, Any]:
    """`{ART: {version, tables: [{name, area}]}}`: um^2 per instance of every level and the compute units."""
    paths = component_paths(arch)
    names = [lv.name for lv in arch.levels] + [arch.compute.name]
    tables = [{"name": paths[n], "area": float(table.area.get(n, 0.0))} for n in names]
    return {"ART": {"version": ACCELERGY_VERSION, "tables": tables}}


def _header(arch: Architecture, table: EnergyTable, what: str, entries: list[tuple[str, str]]) -> str:
    """A comment block: what the file is and which estimator produced each entry (YAML has no other place)."""
    lines = [f"# {what} of '{arch.name}' ({_technology(arch, table)}), written by loopscape"]
    if table.source:
        lines.append(f"# source: {table.source}")
    lines += [f"#   {key}: {how}" for key, how in entries if how]
    return "\n".join(lines) + "\n"


def _technology(arch: Architecture, table: EnergyTable) -> str:
    return getattr(table, "technology", "") or arch.technology


def write_accelergy(arch: Architecture, table: EnergyTable, directory: str | Path) -> tuple[Path, Path]:
    """Write `ERT.yaml` and `ART.yaml` into `directory` (created if missing); returns their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ert_entries = [
        (f"{lv.name}.{a}", provenance(table, lv.name, (a,))) for lv in arch.levels for a in STORAGE_ACTIONS
    ]
    ert_entries.append(
        (f"{arch.compute.name}.mac", provenance(table, arch.compute.name, COMPUTE_PROVENANCE_ACTIONS))
    )
    names = [lv.name for lv in arch.levels] + [arch.compute.name]
    art_entries = [(f"{n}.area", provenance(table, n, (AREA_PROVENANCE_ACTION,))) for n in names]
    ert_path, art_path = out / "ERT.yaml", out / "ART.yaml"
    dump = {"sort_keys": False, "default_flow_style": False, "width": 110}
    ert_path.write_text(
        _header(arch, table, "Energy reference table (pJ per action)", ert_entries)
        + yaml.safe_dump(ert_document(arch, table), **dump),
        encoding="utf-8",
    )
    art_path.write_text(
        _header(arch, table, "Area reference table (um^2 per instance)", art_entries)
        + yaml.safe_dump(art_document(arch, table), **dump),
        encoding="utf-8",
    )
    return ert_path, art_path


def table_json(arch: Architecture, table: EnergyTable) -> dict[str, Any]:
    """The ERT and ART as JSON: per level and action pJ per vector access and per word, areas, provenance."""
    ert: dict[str, Any] = {}
    for lv in arch.levels:
        energy = table.level(lv.name)
        ert[lv.name] = {
            "class": lv.cls,
            "block_size": lv.block_size,
            "word_bits": lv.word_bits,
            "actions": {
                a: {
                    "pj_per_access": float(getattr(energy, a)),
                    "pj_per_word": float(getattr(energy, a)) / lv.block_size,
                    "estimator": provenance(table, lv.name, (a,)),
                }
                for a in STORAGE_ACTIONS
            },
        }
        # A gated access (zero data at a level that gates) costs this per vector access.
        ert[lv.name]["actions"]["gated"] = {
            "pj_per_access": float(energy.gated_read),
            "pj_per_word": float(energy.gated_read) / lv.block_size,
            "estimator": provenance(table, lv.name, ("gated",)),
        }
        hop = float(getattr(table, "network", {}).get(lv.name, 0.0))
        # One word crossing one hop of the network below the level (per word, whatever the block size).
        ert[lv.name]["actions"]["network_hop"] = {
            "pj_per_access": hop,
            "pj_per_word": hop,
            "estimator": provenance(table, lv.name, ("network",)),
        }
    ert[arch.compute.name] = {
        "class": "compute",
        "word_bits": arch.compute.word_bits,
        "actions": {
            "mac": {
                "pj_per_access": float(table.compute),
                "estimator": provenance(table, arch.compute.name, COMPUTE_PROVENANCE_ACTIONS),
            },
            "gated": {
                "pj_per_access": float(table.compute_gated),
                "estimator": provenance(table, arch.compute.name, ("gated",)),
            },
        },
    }
    art: dict[str, Any] = {}
    instances = {lv.name: lv.instances for lv in arch.levels} | {arch.compute.name: arch.compute.instances}
    for name, n in instances.items():
        per = float(table.area.get(name, 0.0))
        art[name] = {
            "um2_per_instance": per,
            "instances": n,
            "um2_total": per * n,
            "estimator": provenance(table, name, (AREA_PROVENANCE_ACTION,)),
        }
    return {
        "architecture": arch.name,
        "technology": _technology(arch, table),
        "source": table.source,
        "ert": ert,
        "art": art,
        "total_area_um2": sum(v["um2_total"] for v in art.values()),
        "provenance": dict(getattr(table, "provenance", None) or {}),
    }


__all__ = [
    "ACCELERGY_VERSION",
    "art_document",
    "component_paths",
    "ert_document",
    "provenance",
    "table_json",
    "write_accelergy",
]
