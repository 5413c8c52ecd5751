"""Built-in architectures, by name (`loopscape energy eyeriss`, `loopscape zoo`)."""

from __future__ import annotations

import difflib
from collections.abc import Callable

from loopscape.arch.architecture import Architecture
from loopscape.arch.zoo.eyeriss import eyeriss
from loopscape.arch.zoo.nvdla import nvdla
from loopscape.arch.zoo.tpu_like import tpu_like
from loopscape.errors import SpecError

ARCHITECTURES: dict[str, Callable[..., Architecture]] = {
    "eyeriss": eyeriss,
    "nvdla": nvdla,
    "tpu_like": tpu_like,
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


__all__ = ["ARCHITECTURES", "eyeriss", "get", "names", "nvdla", "tpu_like"]
