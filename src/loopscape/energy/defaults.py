"""Built-in ERT/ART: energy per action and area per instance from published 45 nm numbers.

The numbers live in `data/tables_<technology>.yaml`, each with its source. Conventions:

* On-chip storage costs are given per 16-bit word access as a function of capacity (bytes); one vector
  access (one block) of a level with `word_bits`-bit words costs
  ``word16_energy(capacity) * block_size * word_bits / 16``, i.e. energy is linear in the bits moved at a
  given capacity (the sources quote 32- and 64-bit accesses; dividing them per bit is the same rule).
* DRAM costs pJ per bit, so a block costs ``pj_per_bit * word_bits * block_size``.
* Read, fill and update all cost the write energy, which the sources do not distinguish from a read.
* A MAC is one `word_bits` multiplier plus one `word_bits` adder.
* Areas are per instance in um^2: capacity in bits x area per bit for on-chip storage, 0 for DRAM.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from loopscape.arch import Architecture, StorageLevel
from loopscape.energy.table import ActionEnergy, EnergyTable
from loopscape.errors import SpecError


@dataclass(frozen=True)
class ReferenceData:
    """One technology's reference numbers, parsed from its data file."""

    technology: str
    multiplier: tuple[tuple[int, float, float], ...]  # (bits, pJ, um^2), sorted by bits
    adder: tuple[tuple[int, float, float], ...]
    sram_word16: tuple[tuple[float, float], ...]  # (bytes, pJ per 16-bit word), sorted by bytes
    sram_area_per_bit: float
    regfile_word16: tuple[tuple[float, float], ...]
    regfile_exponent: float
    regfile_area_per_bit: float
    register_pj_per_bit: float
    register_area_per_bit: float
    dram_pj_per_bit: dict[str, float]
    dram_default_type: str
    crosscheck: dict[str, Any]
    sources: dict[str, str]


def available_technologies() -> list[str]:
    """Technologies with a built-in data file."""
    names = [p.name for p in resources.files("loopscape.energy").joinpath("data").iterdir()]
    return sorted(
        n[len("tables_") : -len(".yaml")] for n in names if n.startswith("tables_") and n.endswith(".yaml")
    )


@cache
def reference_data(technology: str = "45nm") -> ReferenceData:
    """Load and parse `data/tables_<technology>.yaml` (cached: the file never changes at run time)."""
    if technology not in available_technologies():
        raise SpecError(
            "architecture.technology", technology, f"one of {available_technologies()} (built-in tables)"
        )
    path = resources.files("loopscape.energy").joinpath("data", f"tables_{technology}.yaml")
    raw = yaml.safe_load(path.read_text())
    st = raw["storage"]
    sram_area = st["SRAM"]["area_per_bit_um2"]

    def arith(key: str) -> tuple[tuple[int, float, float], ...]:
        pts = raw["compute"][key]["points"]
        return tuple(sorted((int(p["bits"]), float(p["energy_pj"]), float(p["area_um2"])) for p in pts))

    def curve(key: str) -> tuple[tuple[float, float], ...]:
        return tuple(sorted((float(p["bytes"]), float(p["pj"])) for p in st[key]["energy_per_word16_pj"]))

    return ReferenceData(
        technology=raw["technology"],
        multiplier=arith("multiplier"),
        adder=arith("adder"),
        sram_word16=curve("SRAM"),
        sram_area_per_bit=sram_area["bitcell_um2"]["value"] / sram_area["array_efficiency"]["value"],
        regfile_word16=curve("regfile"),
        regfile_exponent=float(st["regfile"]["exponent"]),
        regfile_area_per_bit=float(st["regfile"]["area_per_bit_um2"]["value"]),
        register_pj_per_bit=float(st["register"]["energy_per_bit_pj"]["value"]),
        register_area_per_bit=float(st["register"]["area_per_bit_um2"]["value"]),
        dram_pj_per_bit={k: float(v["value"]) for k, v in st["DRAM"]["pj_per_bit"].items()},
        dram_default_type=st["DRAM"]["default_type"],
        crosscheck=raw["crosscheck_chen2016"],
        sources=raw["sources"],
    )


# --- arithmetic ------------------------------------------------------------------------------------
def _two_point(points: tuple[tuple[int, float, float], ...], bits: int, col: int, power: int) -> float:
    """Linear in bits**power through the two outermost cited points (extrapolated beyond them)."""
    (b0, *v0), (b1, *v1) = points[0], points[-1]
    x0, x1, x = b0**power, b1**power, bits**power
    y0, y1 = v0[col], v1[col]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def multiplier_energy(bits: int, ref: ReferenceData | None = None) -> float:
    """pJ per multiply: linear in bits^2 through Horowitz's 8b (0.2 pJ) and 32b (3.1 pJ) points."""
    return _two_point((ref or reference_data()).multiplier, bits, 0, 2)


def adder_energy(bits: int, ref: ReferenceData | None = None) -> float:
    """pJ per add: linear in bits through Horowitz's 8b (0.03 pJ) and 32b (0.1 pJ) points."""
    return _two_point((ref or reference_data()).adder, bits, 0, 1)


def mac_energy(bits: int, ref: ReferenceData | None = None) -> float:
    """pJ per MAC: one multiplier plus one adder of the same width."""
    return multiplier_energy(bits, ref) + adder_energy(bits, ref)


def mac_area(bits: int, ref: ReferenceData | None = None) -> float:
    """um^2 per MAC unit: multiplier area (linear in bits^2) plus adder area (linear in bits)."""
    ref = ref or reference_data()
    return _two_point(ref.multiplier, bits, 1, 2) + _two_point(ref.adder, bits, 1, 1)


# --- storage ---------------------------------------------------------------------------------------
def _power_law(points: tuple[tuple[float, float], ...], size: float, exponent: float | None = None) -> float:
    """log(energy) piecewise linear in log(size); outside the points, the end segment's (or `exponent`)."""
    if len(points) == 1:
        ((s0, e0),) = points
        return e0 * (size / s0) ** (exponent if exponent is not None else 0.0)
    logs = [(math.log(s), math.log(e)) for s, e in points]
    x = math.log(size)
    i = 0
    while i < len(logs) - 2 and x > logs[i + 1][0]:
        i += 1
    (x0, y0), (x1, y1) = logs[i], logs[i + 1]
    return math.exp(y0 + (y1 - y0) * (x - x0) / (x1 - x0))


def word16_energy(
    cls: str, capacity_bytes: float | None, ref: ReferenceData | None = None, dram_type: str | None = None
) -> float:
    """pJ per 16-bit word access of a storage of class `cls` holding `capacity_bytes` (None for DRAM)."""
    ref = ref or reference_data()
    if cls == "DRAM":
        return ref.dram_pj_per_bit[dram_type or ref.dram_default_type] * 16
    register = ref.register_pj_per_bit * 16
    if cls == "register":
        return register
    if capacity_bytes is None or capacity_bytes <= 0:
        raise SpecError(f"{cls}.entries", capacity_bytes, "a capacity to look up the access energy")
    if cls == "regfile":
        return max(register, _power_law(ref.regfile_word16, capacity_bytes, ref.regfile_exponent))
    if cls == "SRAM":
        return _power_law(ref.sram_word16, capacity_bytes)
    raise SpecError("class", cls, "one of ['DRAM', 'SRAM', 'regfile', 'register']")


def area_per_bit(cls: str, ref: ReferenceData | None = None) -> float:
    """um^2 per stored bit of an on-chip storage class (0 for DRAM, which is off chip)."""
    ref = ref or reference_data()
    return {
        "DRAM": 0.0,
        "SRAM": ref.sram_area_per_bit,
        "regfile": ref.regfile_area_per_bit,
        "register": ref.register_area_per_bit,
    }[cls]


def level_energy(
    level: StorageLevel, ref: ReferenceData | None = None, dram_type: str | None = None
) -> ActionEnergy:
    """Energy of one vector access (one block of `block_size` words) of a storage level.

    block energy = pJ per 16-bit word at this capacity x block_size x word_bits / 16; read = fill = update.
    """
    cap = None if level.capacity_bits is None else level.capacity_bits / 8
    try:
        e16 = word16_energy(level.cls, cap, ref, dram_type)
    except SpecError as err:
        raise SpecError(
            f"architecture.levels[{level.name}].entries",
            level.entries,
            f"a capacity for a {level.cls} level (its energy depends on it)",
        ) from err
    block = e16 * level.block_size * level.word_bits / 16
    return ActionEnergy(read=block, fill=block, update=block)


def level_area(level: StorageLevel, ref: ReferenceData | None = None) -> float:
    """um^2 per instance: capacity in bits x area per bit (0 for DRAM or an unbounded level)."""
    if level.capacity_bits is None:
        return 0.0
    return level.capacity_bits * area_per_bit(level.cls, ref)


def default_table(arch: Architecture, dram_type: str | None = None) -> EnergyTable:
    """The ERT/ART of `arch` from the built-in tables of its technology (DRAM type LPDDR4 unless given)."""
    ref = reference_data(arch.technology)
    if dram_type is not None and dram_type not in ref.dram_pj_per_bit:
        raise SpecError("dram_type", dram_type, f"one of {sorted(ref.dram_pj_per_bit)}")
    bits = arch.compute.word_bits
    area = {lv.name: level_area(lv, ref) for lv in arch.levels}
    area[arch.compute.name] = mac_area(bits, ref)
    return EnergyTable(
        levels={lv.name: level_energy(lv, ref, dram_type) for lv in arch.levels},
        compute=mac_energy(bits, ref),
        area=area,
        source=f"loopscape built-in {ref.technology} tables (DRAM {dram_type or ref.dram_default_type})",
    )


__all__ = [
    "ReferenceData",
    "adder_energy",
    "area_per_bit",
    "available_technologies",
    "default_table",
    "level_area",
    "level_energy",
    "mac_area",
    "mac_energy",
    "multiplier_energy",
    "reference_data",
    "word16_energy",
]
