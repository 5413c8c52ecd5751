"""COAC: spatial-unrolling enumeration, SU-flexibility overhead model, cross-layer SU-combination search."""
