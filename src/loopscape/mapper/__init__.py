"""The mapper: mapspace construction and search (the model never searches; the mapper never costs)."""

from loopscape.mapper.mapspace import Mapspace, factorizations
from loopscape.mapper.search import OBJECTIVES, SearchResult, exhaustive_search, local_search, random_search

__all__ = [
    "OBJECTIVES",
    "Mapspace",
    "SearchResult",
    "exhaustive_search",
    "factorizations",
    "local_search",
    "random_search",
]
