"""Mappings: the one interface between the mapper and the model."""

from loopscape.mapping.constraints import (
    PRESETS,
    Constraints,
    LevelConstraint,
    diannao_preset,
    input_stationary_preset,
    nvdla_preset,
    output_stationary_preset,
    row_stationary_preset,
    weight_stationary_preset,
)
from loopscape.mapping.mapping import KINDS, SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.mapping.validate import MappingReport, tile_extents, tile_words, validate_mapping

__all__ = [
    "KINDS",
    "PRESETS",
    "SPATIAL_X",
    "SPATIAL_Y",
    "TEMPORAL",
    "Constraints",
    "LevelConstraint",
    "Loop",
    "Mapping",
    "MappingReport",
    "diannao_preset",
    "input_stationary_preset",
    "nvdla_preset",
    "output_stationary_preset",
    "row_stationary_preset",
    "tile_extents",
    "tile_words",
    "validate_mapping",
    "weight_stationary_preset",
]
