"""Architectures: storage hierarchies over compute arrays."""

from loopscape.arch.architecture import (
    STORAGE_CLASSES,
    Architecture,
    ComputeLevel,
    Network,
    StorageLevel,
    UpdateUnit,
)

__all__ = ["STORAGE_CLASSES", "Architecture", "ComputeLevel", "Network", "StorageLevel", "UpdateUnit"]
