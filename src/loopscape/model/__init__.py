"""The analytical model: tile analysis, access counts, performance, energy and area."""

from loopscape.model.batch import BatchResult, MappingBatch, evaluate_batch
from loopscape.model.counts import AccessCounts, NetworkAccess, TensorAccess
from loopscape.model.evaluate import evaluate
from loopscape.model.result import LevelResult, Result

__all__ = [
    "AccessCounts",
    "BatchResult",
    "LevelResult",
    "MappingBatch",
    "NetworkAccess",
    "Result",
    "TensorAccess",
    "evaluate",
    "evaluate_batch",
]
