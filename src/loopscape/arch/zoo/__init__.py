"""Built-in architectures, by name (`loopscape energy eyeriss`, `loopscape zoo`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from loopscape.arch.architecture import Architecture
from loopscape.arch.zoo.diannao import diannao
from loopscape.arch.zoo.edge_tpu import edge_tpu
from loopscape.arch.zoo.evolver import evolver
from loopscape.arch.zoo.eyeriss import eyeriss, eyeriss_partitioned, eyeriss_register
from loopscape.arch.zoo.nvdla import nvdla
from loopscape.arch.zoo.scaled import diannao_1024, eyeriss_1024
from loopscape.arch.zoo.simba import simba
from loopscape.arch.zoo.tpu_like import tpu_like
from loopscape.errors import SpecError

ARCHITECTURES: dict[str, Callable[..., Architecture]] = {
    "eyeriss": eyeriss,
    "eyeriss_register": eyeriss_register,
    "eyeriss_partitioned": eyeriss_partitioned,
    "nvdla": nvdla,
    "tpu_like": tpu_like,
    "diannao": diannao,
    "diannao_1024": diannao_1024,
    "eyeriss_1024": eyeriss_1024,
    "edge_tpu": edge_tpu,
    "evolver": evolver,
    "simba": simba,
}

# The dataflow preset (`loopscape.mapping.PRESETS`) each built-in architecture is designed for.
PRESET_FOR: dict[str, str] = {
    "eyeriss": "row-stationary",  # Timeloop Fig. 6
    "eyeriss_register": "row-stationary",
    "eyeriss_partitioned": "row-stationary",
    "nvdla": "nvdla",
    "tpu_like": "weight-stationary",
    "diannao": "diannao",  # C across X (adder trees), K across Y: DianNao's Tn x Tn NFU, no stationarity
    "diannao_1024": "diannao",
    "eyeriss_1024": "row-stationary",
    "edge_tpu": "weight-stationary",
    "evolver": "nvdla",  # C x K unrolling, weight-stationary
    "simba": "nvdla",  # C across a vector MAC's lanes, K across the vector MACs
}


def names() -> list[str]:
    """The built-in architectures' names."""
    return sorted(ARCHITECTURES)


def get(name: str, technology: str | None = None) -> Architecture:
    """The built-in architecture `name` (at `technology` when given, else its own node)."""
    if name not in ARCHITECTURES:
        close = difflib.get_close_matches(name, names(), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise SpecError("architecture", f"{name!r}{hint}", f"a built-in architecture, one of {names()}")
    build = ARCHITECTURES[name]
    return build() if technology is None else build(technology=technology)


def preset_for(name: str) -> str:
    """The dataflow preset of the built-in architecture `name`."""
    if name not in PRESET_FOR:
        get(name)  # an unknown name: the same error as get's
        raise SpecError(
            "architecture", name, f"a built-in architecture with a preset, one of {sorted(PRESET_FOR)}"
        )
    return PRESET_FOR[name]


__all__ = [
    "ARCHITECTURES",
    "PRESET_FOR",
    "diannao",
    "diannao_1024",
    "edge_tpu",
    "evolver",
    "eyeriss",
    "eyeriss_1024",
    "eyeriss_partitioned",
    "eyeriss_register",
    "get",
    "names",
    "nvdla",
    "preset_for",
    "simba",
    "tpu_like",
]
