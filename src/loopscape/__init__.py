"""loopscape: analytical design-space exploration of DNN accelerators.

The names below are imported on first use (PEP 562), so that the command starts with nothing heavy loaded
and a Ctrl-C while it loads is still its own (`loopscape.entry`)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
    from loopscape.errors import LoopscapeError, MappingError, SpecError
    from loopscape.mapping import Loop, Mapping
    from loopscape.workload import Tensor, Workload

_HOMES = {
    "Architecture": "loopscape.arch",
    "ComputeLevel": "loopscape.arch",
    "Loop": "loopscape.mapping",
    "LoopscapeError": "loopscape.errors",
    "Mapping": "loopscape.mapping",
    "MappingError": "loopscape.errors",
    "Network": "loopscape.arch",
    "SpecError": "loopscape.errors",
    "StorageLevel": "loopscape.arch",
    "Tensor": "loopscape.workload",
    "Workload": "loopscape.workload",
}
__all__ = [
    "Architecture",
    "ComputeLevel",
    "Loop",
    "LoopscapeError",
    "Mapping",
    "MappingError",
    "Network",
    "SpecError",
    "StorageLevel",
    "Tensor",
    "Workload",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'loopscape' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
