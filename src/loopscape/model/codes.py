"""Codes shared by the compiled kernels: loop kinds and the columns of the per-(level, tensor) count array."""

TEMPORAL, SPATIAL_X, SPATIAL_Y = 0, 1, 2

# Per (mapping, level, tensor) outputs of the analysis, in this order along the last axis.
READS, FILLS, UPDATES, LINKS, REDUCTIONS, WORDS = range(6)
N_OUT = 6
