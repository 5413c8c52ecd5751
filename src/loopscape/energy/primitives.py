"""Primitive components' energy per action and area, from the cited numbers in `data/tables_45nm.yaml`.

Everything here is at the reference node (45 nm, 0.9 V: Horowitz's table); `estimators.TableEstimator`
carries it to other nodes. Conventions:

* On-chip storage costs are given per 16-bit word access as a function of capacity (bytes); an access of
  `width` bits costs ``word16_energy(capacity) * width / 16`` (energy linear in the bits moved at a given
  capacity). Write and update cost the same as a read: the sources give one number per access.
* DRAM costs pJ per bit: an access of `width` bits costs ``pj_per_bit * width``; it is off chip (no area).
* A MAC is one `bits`-wide multiplier plus one `bits`-wide adder; an address generator is an adder.
* Areas are per instance in um^2; leakage powers in W turn into idle energy per cycle in the estimator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from loopscape.energy import technology as tech
from loopscape.errors import SpecError

# How a primitive's numbers carry to another node: logic (Stillmaker & Baas energy and area), wire (supply
# voltage squared only: capacitance per mm barely scales), off_chip (not at all: DRAM).
LOGIC, WIRE, OFF_CHIP = "logic", "wire", "off_chip"


@dataclass(frozen=True)
class ReferenceData:
    """The reference numbers at the table's node (items cited at other nodes already carried to it)."""

    technology: str
    vdd: float
    multiplier: tuple[tuple[int, float, float], ...]  # (bits, pJ, um^2), sorted by bits
    adder: tuple[tuple[int, float, float], ...]
    comparator: tuple[tuple[int, float, float], ...]
    leak_w: dict[str, tuple[int, float]]  # class -> (bits, W) at those bits
    mux_adder_bit_fraction: float
    sram_word16: tuple[tuple[float, float], ...]  # (bytes, pJ per 16-bit word), sorted by bytes
    sram_area_per_bit: float
    regfile_word16: tuple[tuple[float, float], ...]
    regfile_exponent: float
    regfile_area_per_bit: float
    register_pj_per_bit: float
    register_area_per_bit: float
    port_cell_tracks: float
    dram_pj_per_bit: dict[str, float]
    dram_default_type: str
    wire_pj_per_bit_mm: float
    wire_vdd: float
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
    ref_nm = tech.parse_node(raw["technology"])
    ref_vdd = float(raw["vdd"]["value"])

    def energy_at_ref(value: float, item: Mapping[str, Any]) -> float:
        node = item.get("node")
        if node is None:
            return float(value)
        return float(value) * tech.energy_scale(tech.parse_node(node), ref_nm, None, ref_vdd)

    def area_at_ref(value: float, item: Mapping[str, Any]) -> float:
        node = item.get("node")
        return float(value) * (1.0 if node is None else tech.area_scale(tech.parse_node(node), ref_nm))

    compute, st = raw["compute"], raw["storage"]

    def arith(key: str) -> tuple[tuple[int, float, float], ...]:
        return tuple(
            sorted(
                (int(p["bits"]), energy_at_ref(p["energy_pj"], p), area_at_ref(p["area_um2"], p))
                for p in compute[key]["points"]
            )
        )

    def curve(key: str) -> tuple[tuple[float, float], ...]:
        return tuple(sorted((float(p["bytes"]), float(p["pj"])) for p in st[key]["energy_per_word16_pj"]))

    def value(item: Mapping[str, Any], kind: str = "energy") -> float:
        return (energy_at_ref if kind == "energy" else area_at_ref)(item["value"], item)

    sram_area = st["SRAM"]["area_per_bit_um2"]
    wire = raw["wire"]["pj_per_bit_mm"]
    return ReferenceData(
        technology=raw["technology"],
        vdd=ref_vdd,
        multiplier=arith("multiplier"),
        adder=arith("adder"),
        comparator=arith("comparator"),
        # Leakage carried across nodes like energy (an assumption: no cited leakage scaling).
        leak_w={
            k: (int(compute[k]["leak_w"]["bits"]), value(compute[k]["leak_w"]))
            for k in ("multiplier", "adder", "comparator")
        },
        mux_adder_bit_fraction=float(compute["mux"]["adder_bit_fraction"]["value"]),
        sram_word16=curve("SRAM"),
        sram_area_per_bit=sram_area["bitcell_um2"]["value"] / sram_area["array_efficiency"]["value"],
        regfile_word16=curve("regfile"),
        regfile_exponent=float(st["regfile"]["exponent"]),
        regfile_area_per_bit=value(st["regfile"]["area_per_bit_um2"], "area"),
        register_pj_per_bit=value(st["register"]["energy_per_bit_pj"]),
        register_area_per_bit=value(st["register"]["area_per_bit_um2"], "area"),
        port_cell_tracks=float(st["ports"]["cell_tracks"]["value"]),
        dram_pj_per_bit={k: float(v["value"]) for k, v in st["DRAM"]["pj_per_bit"].items()},
        dram_default_type=st["DRAM"]["default_type"],
        wire_pj_per_bit_mm=float(wire["value"]),
        wire_vdd=float(wire["vdd"]),
        crosscheck=raw["crosscheck_chen2016"],
        sources=raw["sources"],
    )


# --- arithmetic ------------------------------------------------------------------------------------
def _fit(points: tuple[tuple[int, float, float], ...], bits: int, col: int, power: int) -> float:
    """Linear in bits**power through the two outermost cited points (extrapolated beyond them).

    With one point, proportional to bits**power.
    """
    if len(points) == 1:
        ((b0, *v0),) = points
        return v0[col] * (bits / b0) ** power
    (b0, *v0), (b1, *v1) = points[0], points[-1]
    x0, x1, x = b0**power, b1**power, bits**power
    y0, y1 = v0[col], v1[col]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def multiplier_energy(bits: int, ref: ReferenceData | None = None) -> float:
    """pJ per multiply: linear in bits^2 through Horowitz's 8b (0.2 pJ) and 32b (3.1 pJ) points."""
    return _fit((ref or reference_data()).multiplier, bits, 0, 2)


def adder_energy(bits: int, ref: ReferenceData | None = None) -> float:
    """pJ per add: linear in bits through Horowitz's 8b (0.03 pJ) and 32b (0.1 pJ) points."""
    return _fit((ref or reference_data()).adder, bits, 0, 1)


def multiplier_area(bits: int, ref: ReferenceData | None = None) -> float:
    """um^2 per multiplier: linear in bits^2 through Dally's 8b (282) and 32b (3495 um^2) points."""
    return _fit((ref or reference_data()).multiplier, bits, 1, 2)


def adder_area(bits: int, ref: ReferenceData | None = None) -> float:
    """um^2 per adder: linear in bits through Dally's 8b (36) and 32b (137 um^2) points."""
    return _fit((ref or reference_data()).adder, bits, 1, 1)


def mac_energy(bits: int, ref: ReferenceData | None = None) -> float:
    """pJ per MAC: one multiplier plus one adder of the same width."""
    return multiplier_energy(bits, ref) + adder_energy(bits, ref)


def mac_area(bits: int, ref: ReferenceData | None = None) -> float:
    """um^2 per MAC unit: multiplier area (linear in bits^2) plus adder area (linear in bits)."""
    return multiplier_area(bits, ref) + adder_area(bits, ref)


def _leak(cls: str, bits: int, power: int, ref: ReferenceData) -> float:
    b0, w0 = ref.leak_w[cls]
    return w0 * (bits / b0) ** power


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
        dram_type = dram_type or ref.dram_default_type
        if dram_type not in ref.dram_pj_per_bit:
            raise SpecError("type", dram_type, f"a DRAM type, one of {sorted(ref.dram_pj_per_bit)}")
        return ref.dram_pj_per_bit[dram_type] * 16
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
    """um^2 per stored bit of a storage class (0 for DRAM, which is off chip)."""
    ref = ref or reference_data()
    return {
        "DRAM": 0.0,
        "SRAM": ref.sram_area_per_bit,
        "regfile": ref.regfile_area_per_bit,
        "register": ref.register_area_per_bit,
    }[cls]


def port_area_factor(n_ports: int, ref: ReferenceData | None = None) -> float:
    """Area per bit of an n-ported cell over a single-ported one: (w + p)(h + p) / (w + 1)(h + 1)."""
    t = (ref or reference_data()).port_cell_tracks
    return ((t + n_ports) / (t + 1)) ** 2


# --- primitives as components ------------------------------------------------------------------------
@dataclass(frozen=True)
class PrimitiveCost:
    """Energy per action (pJ), area (um^2) and leakage (W) of one primitive at the reference node."""

    energy_pj: dict[str, float]
    area_um2: float
    leak_w: float = 0.0
    scaling: str = LOGIC  # how it carries to other nodes: LOGIC, WIRE or OFF_CHIP
    note: str = ""


def _storage(read: float, area: float, note: str = "") -> PrimitiveCost:
    # Write and update cost a read; no cited leakage for storage arrays.
    return PrimitiveCost({"read": read, "write": read, "update": read, "idle": 0.0}, area, 0.0, LOGIC, note)


def _sram(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    bits = a["depth"] * a["width"]
    bank_bytes = bits / 8 / a["n_banks"]  # an access touches one bank
    ports = port_area_factor(a["n_ports"], ref)
    read = word16_energy("SRAM", bank_bytes, ref) * a["width"] / 16 * math.sqrt(ports)
    return _storage(read, bits * ref.sram_area_per_bit * ports)


def _regfile(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    bits = a["depth"] * a["width"]
    ports = port_area_factor(a["n_ports"], ref)
    read = word16_energy("regfile", bits / 8, ref) * a["width"] / 16 * math.sqrt(ports)
    return _storage(read, bits * ref.regfile_area_per_bit * ports)


def _register(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    return _storage(a["width"] * ref.register_pj_per_bit, a["depth"] * a["width"] * ref.register_area_per_bit)


def _dram(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    if a["type"] not in ref.dram_pj_per_bit:
        raise SpecError("type", a["type"], f"a DRAM type, one of {sorted(ref.dram_pj_per_bit)}")
    e = ref.dram_pj_per_bit[a["type"]] * a["width"]
    return PrimitiveCost({"read": e, "write": e, "update": e, "idle": 0.0}, 0.0, 0.0, OFF_CHIP, a["type"])


def _mac(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    b = a["bits"]
    leak = _leak("multiplier", b, 2, ref) + _leak("adder", b, 1, ref)
    return PrimitiveCost({"mac": mac_energy(b, ref)}, mac_area(b, ref), leak)


def _multiplier(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    b = a["bits"]
    return PrimitiveCost(
        {"multiply": multiplier_energy(b, ref)}, multiplier_area(b, ref), _leak("multiplier", b, 2, ref)
    )


def _adder(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    b = a["bits"]
    return PrimitiveCost({"add": adder_energy(b, ref)}, adder_area(b, ref), _leak("adder", b, 1, ref))


def _comparator(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    b = a["bits"]
    return PrimitiveCost(
        {"compare": _fit(ref.comparator, b, 0, 1)},
        _fit(ref.comparator, b, 1, 1),
        _leak("comparator", b, 1, ref),
    )


def _mux(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    cells = (a["n_inputs"] - 1) * a["bits"]  # 2:1 cells
    f = ref.mux_adder_bit_fraction
    e = cells * f * adder_energy(32, ref) / 32
    area = cells * f * adder_area(32, ref) / 32
    return PrimitiveCost(
        {"select": e}, area, cells * f * _leak("adder", 1, 1, ref), LOGIC, "MUX cell assumed"
    )


def _lut(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    bits = a["entries"] * a["bits"]
    e = word16_energy("regfile", bits / 8, ref) * a["bits"] / 16
    return PrimitiveCost(
        {"lookup": e}, bits * ref.register_area_per_bit, 0.0, LOGIC, "LUT as a register file"
    )


def _wire(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    e = ref.wire_pj_per_bit_mm * a["bits"] * a["length_um"] / 1000.0
    return PrimitiveCost({"transfer": e}, 0.0, 0.0, WIRE)


def _address_generator(a: Mapping[str, Any], ref: ReferenceData) -> PrimitiveCost:
    b = a["bits"]
    return PrimitiveCost({"generate": adder_energy(b, ref)}, adder_area(b, ref), _leak("adder", b, 1, ref))


PRIMITIVE_COSTS: dict[str, Callable[[Mapping[str, Any], ReferenceData], PrimitiveCost]] = {
    "SRAM": _sram,
    "regfile": _regfile,
    "register": _register,
    "DRAM": _dram,
    "mac": _mac,
    "multiplier": _multiplier,
    "adder": _adder,
    "comparator": _comparator,
    "mux": _mux,
    "lut": _lut,
    "wire": _wire,
    "address_generator": _address_generator,
}


def primitive_cost(
    cls: str, attributes: Mapping[str, Any], ref: ReferenceData | None = None
) -> PrimitiveCost:
    """The cost of a primitive of class `cls` with complete, checked `attributes`, at the reference node."""
    if cls not in PRIMITIVE_COSTS:
        raise SpecError("class", cls, f"a primitive class, one of {sorted(PRIMITIVE_COSTS)}")
    return PRIMITIVE_COSTS[cls](attributes, ref or reference_data())


__all__ = [
    "LOGIC",
    "OFF_CHIP",
    "PRIMITIVE_COSTS",
    "WIRE",
    "PrimitiveCost",
    "ReferenceData",
    "adder_area",
    "adder_energy",
    "area_per_bit",
    "available_technologies",
    "mac_area",
    "mac_energy",
    "multiplier_area",
    "multiplier_energy",
    "port_area_factor",
    "primitive_cost",
    "reference_data",
    "word16_energy",
]
