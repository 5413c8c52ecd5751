"""The analytical model: tile analysis, access counts, performance, energy and area."""

from loopscape.model.counts import AccessCounts, NetworkAccess, TensorAccess

__all__ = ["AccessCounts", "NetworkAccess", "TensorAccess"]
