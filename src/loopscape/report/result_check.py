"""What `loopscape report` checks of a result JSON before drawing it: every figure a finite number >= 0, each
field the report (or another reader of results) takes as a number a number, and the keys it needs present.

A result JSON is loopscape's own output, so anything else is a damaged or hand-edited file: refused with the
path inside the document, never drawn as a negative bar, a NaN or a traceback.
"""

from __future__ import annotations

import math
from typing import Any

from loopscape.errors import SpecError

NUM = "a finite number >= 0"
ANY = "*"  # a schema key matching every key not named
REQUIRED = "!required"  # a schema key: the keys that must be present
PER_TENSOR = {ANY: {ANY: NUM}}  # tensor -> action or count -> number
LEVEL = {
    REQUIRED: ("name", "energy_pj"),
    "name": str,
    "instances": NUM,
    "cycles": NUM,
    "tile_words": {ANY: NUM},
    "tensors": {ANY: {REQUIRED: ("reads", "fills", "updates"), ANY: NUM}},
    "network": PER_TENSOR,
    "energy_pj": PER_TENSOR,
}
LAYER_NUMBERS = ("area_um2", "clock_ghz", "compute_cycles", "compute_energy_pj", "cycles", "energy_pj",
                 "leakage_pj", "macs", "pj_per_mac", "real_macs", "seconds", "tops", "tops_per_mm2",
                 "tops_per_watt", "utilization", "ops")  # fmt: skip
LAYER: dict[str, Any] = {
    REQUIRED: ("energy_pj", "cycles", "utilization", "levels"),
    **dict.fromkeys(LAYER_NUMBERS, NUM),
    "name": str,
    "shape": {ANY: NUM},
    "levels": [LEVEL],
    "mapping": {"loops": [{"bound": NUM, "dim": str, "level": str}]},
    "search": {"evaluated": NUM, "valid": NUM, "seconds": NUM},
    "loop_nest": str,
    "compute": {"instances": NUM},
}
NETWORK = {
    REQUIRED: ("layers", "totals"),
    "layers": [{**LAYER, REQUIRED: (*LAYER[REQUIRED], "name")}],
    "totals": {REQUIRED: ("energy_pj", "cycles", "utilization"), ANY: NUM},
    "area_um2_by_level": {ANY: NUM},
    "fallback_budget": NUM,
    "passes": {ANY: {"compute": {"instances": NUM}, "fallback": [str], ANY: NUM}},
    "weight_update_unit": {"instances": NUM, "word_bits": NUM},
}
UNCHECKED = ("search",)  # the mapper's record: its objective value may be negative (a maximised metric)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "a boolean" if isinstance(value, bool) else f"a {type(value).__name__}"


def check_figures(node: Any, path: str, file: str) -> None:
    """Every number in `node` finite and >= 0 (outside UNCHECKED)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k not in UNCHECKED:
                check_figures(v, f"{path}.{k}".lstrip("."), file)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            check_figures(v, f"{path}[{i}]", file)
    elif _is_number(node) and not (math.isfinite(node) and node >= 0):
        raise SpecError(path, node, f"{NUM} (every figure of a result is)", file)


def check_schema(node: Any, schema: Any, path: str, file: str) -> None:
    """`node` against `schema`: NUM, a type, [item schema] or {key: schema, ANY: schema, REQUIRED: keys}."""
    if schema == NUM:
        if not _is_number(node):
            raise SpecError(path, _kind(node), NUM, file)
        if not (math.isfinite(node) and node >= 0):  # also inside UNCHECKED parts (search.seconds)
            raise SpecError(path, node, NUM, file)
    elif isinstance(schema, type):
        if not isinstance(node, schema):
            raise SpecError(path, _kind(node), f"a {schema.__name__}", file)
    elif isinstance(schema, list):
        if not isinstance(node, list):
            raise SpecError(path, _kind(node), "a list", file)
        for i, item in enumerate(node):
            check_schema(item, schema[0], f"{path}[{i}]", file)
    elif node is not None:  # an object may be null (e.g. no weight-update unit)
        if not isinstance(node, dict):
            raise SpecError(path, _kind(node), "an object", file)
        for key, value in node.items():
            sub = schema.get(key, schema.get(ANY)) if key != REQUIRED else None
            if sub is not None:
                check_schema(value, sub, f"{path}.{key}".lstrip("."), file)
        for key in schema.get(REQUIRED, ()):
            if key not in node:
                raise SpecError(f"{path}.{key}".lstrip("."), "nothing", "the key (a loopscape result)", file)


def check_result(doc: dict, file: str) -> None:
    """SpecError at the first field of a result JSON that no loopscape run writes."""
    check_schema(doc, NETWORK if "layers" in doc else LAYER, "", file)
    check_figures(doc, "", file)
