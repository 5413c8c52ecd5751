"""Access counts: what tile analysis produces, totalled over the used instances of each level."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TensorAccess:
    """Scalar (word) accesses of one tensor at one storage level, totalled over used instances."""

    reads: int = 0
    fills: int = 0
    updates: int = 0


@dataclass(frozen=True)
class NetworkAccess:
    """Traffic of one tensor on the network below a storage level."""

    link_transfers: int = 0  # words delivered by a mesh neighbour instead of the parent
    spatial_reductions: int = 0  # writes sent up minus updates received (reduced in the network)
    word_hops: float = 0.0  # sum over grouped words of hops(m, n), plus 1 per link-transferred word


@dataclass(frozen=True)
class AccessCounts:
    """Per storage level (outermost first): tensor -> accesses (kept tensors only); the same for networks."""

    macs: int
    compute_instances_used: int
    temporal_steps: int
    instances_used: tuple[int, ...]
    levels: tuple[dict[str, TensorAccess], ...]
    networks: tuple[dict[str, NetworkAccess], ...] = field(default=())
