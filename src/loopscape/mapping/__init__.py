"""Mappings: the one interface between the mapper and the model."""

from loopscape.mapping.mapping import KINDS, SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.mapping.validate import MappingReport, tile_extents, tile_words, validate_mapping

__all__ = [
    "KINDS",
    "SPATIAL_X",
    "SPATIAL_Y",
    "TEMPORAL",
    "Loop",
    "Mapping",
    "MappingReport",
    "tile_extents",
    "tile_words",
    "validate_mapping",
]
