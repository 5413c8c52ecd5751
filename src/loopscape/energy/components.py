"""Components: a class name and attributes, kept apart from what an action costs (Accelergy's split).

A `Component` is what the architecture contains; estimators (`energy/estimators.py`) say what its actions
cost. `PRIMITIVES` lists the primitive classes, their attributes (with defaults) and actions; compound
classes, built from primitives, are defined in YAML (`energy/compound.py`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from loopscape.errors import SpecError

REQUIRED = "must_specify"  # Accelergy's word for an attribute without a default

# Attribute kinds: what a value must be.
POSITIVE_INT = "a positive integer"
NONNEG_NUMBER = "a number >= 0"
POSITIVE_NUMBER = "a positive number"
TEXT = "a string"
TECHNOLOGY = "a technology node, e.g. '45nm'"
OPTIONAL_POSITIVE_NUMBER = "a positive number (or nothing)"
ANY = "any value"


@dataclass(frozen=True)
class AttributeSpec:
    """One attribute of a component class: its name, default (`REQUIRED` if none) and kind."""

    name: str
    default: Any = REQUIRED
    kind: str = POSITIVE_INT


# Every component takes these (the technology node, and optionally supply voltage and clock).
COMMON_ATTRIBUTES = (
    AttributeSpec("technology", "45nm", TECHNOLOGY),
    AttributeSpec("voltage", None, OPTIONAL_POSITIVE_NUMBER),  # V; None = the node's nominal supply
    AttributeSpec("clock_ghz", 1.0, POSITIVE_NUMBER),  # turns leakage power into energy per idle cycle
)


@dataclass(frozen=True)
class ComponentClass:
    """A component class: its own attributes (the common ones are added) and its actions."""

    name: str
    attributes: tuple[AttributeSpec, ...]
    actions: tuple[str, ...]
    description: str = ""

    @property
    def all_attributes(self) -> tuple[AttributeSpec, ...]:
        return self.attributes + COMMON_ATTRIBUTES

    def attribute_names(self) -> list[str]:
        return [a.name for a in self.all_attributes]


def _a(name: str, default: Any = REQUIRED, kind: str = POSITIVE_INT) -> AttributeSpec:
    return AttributeSpec(name, default, kind)


_STORAGE_ACTIONS = ("read", "write", "update", "idle")

PRIMITIVES: dict[str, ComponentClass] = {
    c.name: c
    for c in (
        ComponentClass(
            "SRAM",
            (_a("depth"), _a("width"), _a("n_ports", 1), _a("n_banks", 1)),
            _STORAGE_ACTIONS,
            "on-chip SRAM array: depth entries of width bits; one access moves width bits",
        ),
        ComponentClass(
            "regfile",
            (_a("depth"), _a("width"), _a("n_ports", 1)),
            _STORAGE_ACTIONS,
            "register file: depth entries of width bits",
        ),
        ComponentClass(
            "register",
            (_a("width"), _a("depth", 1)),
            _STORAGE_ACTIONS,
            "flip-flops: depth words of width bits",
        ),
        ComponentClass(
            "DRAM",
            (_a("width"), _a("type", "LPDDR4", TEXT)),
            _STORAGE_ACTIONS,
            "off-chip DRAM at a cited pJ/bit; width bits per access",
        ),
        ComponentClass("mac", (_a("bits"),), ("mac", "idle"), "multiplier plus adder of the same width"),
        ComponentClass("multiplier", (_a("bits"),), ("multiply", "idle"), "energy quadratic in bits"),
        ComponentClass("adder", (_a("bits"),), ("add", "idle"), "energy linear in bits"),
        ComponentClass("comparator", (_a("bits"),), ("compare", "idle"), "e.g. max pooling"),
        ComponentClass("mux", (_a("n_inputs"), _a("bits")), ("select", "idle"), "n_inputs:1 of bits"),
        ComponentClass("lut", (_a("entries"), _a("bits")), ("lookup", "idle"), "e.g. activation functions"),
        ComponentClass(
            "wire", (_a("bits"), _a("length_um", kind=NONNEG_NUMBER)), ("transfer",), "on-chip wires"
        ),
        ComponentClass(
            "address_generator",
            (_a("bits"),),
            ("generate",),
            "an adder of log2(entries) bits, one action per storage access (Timeloop paper, Sec. VI-C)",
        ),
    )
}


@dataclass(frozen=True)
class Component:
    """One component: class name, attributes (read-only) and an optional instance name."""

    cls: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    def __getitem__(self, key: str) -> Any:
        return self.attributes[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.attributes.get(key, default)

    def key(self) -> tuple[Any, ...] | None:
        """A hashable identity (class, name, attributes), or None if an attribute value is unhashable."""
        items = tuple(sorted(self.attributes.items()))
        try:
            hash(items)
        except TypeError:
            return None
        return (self.cls, self.name, items)


def check_value(spec: AttributeSpec, value: Any, path: str) -> Any:
    """`value` as the attribute's kind (ints stay ints; 4.0 for an integer becomes 4), else SpecError."""
    kind = spec.kind
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == POSITIVE_INT:
        if is_number and float(value).is_integer() and value >= 1:
            return int(value)
    elif kind == POSITIVE_NUMBER:
        if is_number and value > 0 and math.isfinite(value):
            return value
    elif kind == NONNEG_NUMBER:
        if is_number and value >= 0 and math.isfinite(value):
            return value
    elif kind == OPTIONAL_POSITIVE_NUMBER:
        if value is None or (is_number and value > 0 and math.isfinite(value)):
            return value
    elif kind == TEXT:
        if isinstance(value, str) and value:
            return value
    elif kind == TECHNOLOGY:
        from loopscape.energy.technology import node_name, parse_node

        return node_name(parse_node(value, path))
    else:  # any value
        return value
    raise SpecError(path, value, kind)


def complete_attributes(cls: ComponentClass, given: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The attributes of a `cls` component: `given` checked, defaults added; SpecError names the path."""
    specs = {a.name: a for a in cls.all_attributes}
    for name in given:
        if name not in specs:
            raise SpecError(
                f"{path}.{name}", given[name], f"an attribute of {cls.name}: one of {list(specs)}"
            )
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given:
            out[name] = check_value(spec, given[name], f"{path}.{name}")
        elif spec.default == REQUIRED:
            raise SpecError(f"{path}.{name}", "nothing", f"{spec.kind} (the {cls.name} class requires it)")
        else:
            out[name] = spec.default
    return out


__all__ = [
    "ANY",
    "COMMON_ATTRIBUTES",
    "PRIMITIVES",
    "REQUIRED",
    "AttributeSpec",
    "Component",
    "ComponentClass",
    "check_value",
    "complete_attributes",
]
