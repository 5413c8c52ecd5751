"""Design points of a sweep: the exhaustive grid (XploreDL's exhaustive search) or a seeded random sample, each
with an id that is a hash of its parameters and of what its evaluation depends on (so a resumed sweep, and
every executor, name the same point the same way)."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from loopscape.dse.spec import SweepSpec


@dataclass(frozen=True)
class DesignPoint:
    """One architecture of the sweep: its id and its parameter values in the spec's order."""

    id: str
    params: tuple[tuple[str, Any], ...]

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.params)


def point_id(params: dict[str, Any], spec: SweepSpec) -> str:
    """A stable id: the first 16 hex digits of the SHA-256 of the parameters and the spec's evaluation."""
    text = json.dumps(
        {"params": params, "evaluation": spec.evaluation()}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_point(spec: SweepSpec, values: tuple[Any, ...]) -> DesignPoint:
    """The design point of `values`, one per parameter in the spec's order."""
    params = tuple((name, v) for (name, _), v in zip(spec.parameters, values))
    return DesignPoint(point_id(dict(params), spec), params)


def grid_points(spec: SweepSpec) -> Iterator[DesignPoint]:
    """Every combination of the parameters' values, the last parameter varying fastest."""
    for values in itertools.product(*(v for _, v in spec.parameters)):
        yield make_point(spec, values)


def random_points(spec: SweepSpec, samples: int, seed: int) -> list[DesignPoint]:
    """`samples` distinct points drawn uniformly from the grid with `seed` (the whole grid if it is smaller)."""
    sizes = [len(v) for _, v in spec.parameters]
    total = spec.space_size
    if samples >= total:
        return list(grid_points(spec))
    rng = np.random.default_rng(seed)
    if total < 2**62:
        flat = [int(i) for i in rng.choice(total, size=samples, replace=False)]
        picks = [_unravel(i, sizes) for i in flat]
    else:  # too large for one index: draw coordinates and drop repeats
        seen: dict[tuple[int, ...], None] = {}
        while len(seen) < samples:
            seen.setdefault(tuple(int(rng.integers(n)) for n in sizes), None)
        picks = list(seen)
    return [make_point(spec, tuple(v[i] for (_, v), i in zip(spec.parameters, idx))) for idx in picks]


def _unravel(index: int, sizes: list[int]) -> tuple[int, ...]:
    """Mixed-radix digits of `index`, the last size varying fastest (the grid's order)."""
    out = []
    for n in reversed(sizes):
        index, r = divmod(index, n)
        out.append(r)
    return tuple(reversed(out))


def design_points(spec: SweepSpec) -> list[DesignPoint]:
    """The points of the grid or random method, in the order they are run (the optuna method proposes its
    points as results arrive: `optimize.OptunaPoints`)."""
    if spec.search.method == "random":
        return random_points(spec, spec.search.samples or 0, spec.search.seed)
    return list(grid_points(spec))
