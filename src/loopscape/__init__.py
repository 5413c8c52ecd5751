"""loopscape: analytical design-space exploration of DNN accelerators."""

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.errors import LoopscapeError, MappingError, SpecError
from loopscape.mapping import Loop, Mapping
from loopscape.workload import Tensor, Workload

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
