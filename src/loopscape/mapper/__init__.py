"""The mapper: mapspace construction and search (the model never searches; the mapper never costs)."""

from loopscape.mapper.loma import loma_points, loma_search
from loopscape.mapper.mapspace import (
    Mapspace,
    Points,
    Relevance,
    distinct_orders,
    factorizations,
    order_signature,
)
from loopscape.mapper.search import (
    METRICS,
    OBJECTIVES,
    Candidate,
    SearchResult,
    Tracker,
    Watch,
    exhaustive_search,
    local_search,
    parse_objective,
    random_search,
    search,
)

__all__ = [
    "METRICS",
    "OBJECTIVES",
    "Candidate",
    "Mapspace",
    "Points",
    "Relevance",
    "SearchResult",
    "Tracker",
    "Watch",
    "distinct_orders",
    "exhaustive_search",
    "factorizations",
    "local_search",
    "loma_points",
    "loma_search",
    "order_signature",
    "parse_objective",
    "random_search",
    "search",
]
