"""Workload: named dimensions with bounds and tensors whose ranks are affine projections of them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from loopscape.errors import SpecError


@dataclass(frozen=True)
class Tensor:
    """One data space: each rank is a sum of (dimension, coefficient) terms, e.g. H = P*stride + R*dilation."""

    name: str
    ranks: tuple[tuple[tuple[str, int], ...], ...]
    rank_names: tuple[str, ...] = ()
    read_write: bool = False
    density: float = 1.0  # fraction of non-zero values (sparsity); gated actions on the zeros cost less

    def dims(self) -> frozenset[str]:
        """The dimensions this tensor's index depends on (its relevant dimensions)."""
        return frozenset(d for rank in self.ranks for d, c in rank if c != 0)


MAX_OPERATIONS = 2**53  # every count below stays exact in 64-bit integers and doubles


@dataclass(frozen=True)
class Workload:
    """An operation space (integer box over `dims`) and the tensors it reads and writes; one point = one op."""

    name: str
    dims: tuple[str, ...]
    bounds: tuple[int, ...]
    tensors: tuple[Tensor, ...]
    op: str = "mac"
    _index: dict[str, int] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {d: i for i, d in enumerate(self.dims)})
        self.validate()

    def validate(self) -> None:
        if len(self.dims) != len(self.bounds):
            raise SpecError(
                "problem.dimensions", len(self.dims), f"{len(self.bounds)} bounds, one per dimension"
            )
        if len(set(self.dims)) != len(self.dims):
            raise SpecError("problem.dimensions", list(self.dims), "distinct dimension names")
        for d, b in zip(self.dims, self.bounds):
            if not isinstance(b, int) or isinstance(b, bool) or b < 1:
                raise SpecError(f"problem.instance.{d}", b, "a positive integer bound")
        ops = math.prod(self.bounds)
        if ops > MAX_OPERATIONS:
            shape = ", ".join(f"{d}={b}" for d, b in zip(self.dims, self.bounds))
            raise SpecError("problem.instance", f"{ops:,} operations ({shape})",
                            f"at most {MAX_OPERATIONS:,} operations (counts are 64-bit integers)")  # fmt: skip
        if not self.tensors:
            raise SpecError("problem.data_spaces", [], "at least one tensor")
        names = [t.name for t in self.tensors]
        if len(set(names)) != len(names):
            raise SpecError("problem.data_spaces", names, "distinct tensor names")
        for ti, t in enumerate(self.tensors):
            if not (isinstance(t.density, (int, float)) and 0.0 <= t.density <= 1.0):
                raise SpecError(f"problem.data_spaces[{ti}].density", t.density, "a number in [0, 1]")
            if not t.ranks:
                raise SpecError(f"problem.data_spaces[{ti}].projection", [], "at least one rank")
            for ri, rank in enumerate(t.ranks):
                for d, c in rank:
                    if d not in self._index:
                        raise SpecError(
                            f"problem.data_spaces[{ti}].projection[{ri}]",
                            d,
                            f"one of the dimensions {list(self.dims)}",
                        )
                    if not isinstance(c, int) or isinstance(c, bool) or c < 0:
                        raise SpecError(
                            f"problem.data_spaces[{ti}].projection[{ri}]",
                            c,
                            "a non-negative integer coefficient",
                        )

    # --- lookups -------------------------------------------------------------------------------
    def dim_index(self, dim: str) -> int:
        return self._index[dim]

    def bound(self, dim: str) -> int:
        return self.bounds[self._index[dim]]

    def tensor(self, name: str) -> Tensor:
        for t in self.tensors:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def tensor_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tensors)

    def coefficients(self, tensor: Tensor | str) -> np.ndarray:
        """Projection matrix A (ranks x dims) of a tensor: rank value = A @ point."""
        t = self.tensor(tensor) if isinstance(tensor, str) else tensor
        a = np.zeros((len(t.ranks), len(self.dims)), dtype=np.int64)
        for r, rank in enumerate(t.ranks):
            for d, c in rank:
                a[r, self._index[d]] += c
        return a

    # --- derived quantities ----------------------------------------------------------------------
    @property
    def operations(self) -> int:
        """Number of points in the operation space (MACs for a conv or matmul)."""
        return math.prod(self.bounds)

    def tensor_size(self, tensor: Tensor | str, bounds: tuple[int, ...] | None = None) -> int:
        """Words in a tensor's bounding box (Timeloop's convention: holes under stride > kernel count)."""
        a = self.coefficients(tensor)
        e = np.asarray(bounds if bounds is not None else self.bounds, dtype=np.int64)
        return int(np.prod(a @ (e - 1) + 1))

    def tensor_points(self, tensor: Tensor | str) -> int:
        """Distinct elements of a tensor actually touched by the operation space (no holes)."""
        a = self.coefficients(tensor)
        grids = np.meshgrid(*[np.arange(b) for b in self.bounds], indexing="ij", sparse=True)
        coords = [sum(int(a[r, d]) * grids[d] for d in range(len(self.dims))) for r in range(a.shape[0])]
        full = np.broadcast_arrays(*coords, *grids)[: a.shape[0]]
        stacked = np.stack([c.ravel() for c in full], axis=1)
        return int(np.unique(stacked, axis=0).shape[0])

    def algorithmic_reuse(self) -> dict[str, float]:
        """Operations per word of each tensor, and overall (ops / total words): Timeloop Fig. 11's metric."""
        sizes = {t.name: self.tensor_size(t) for t in self.tensors}
        reuse = {name: self.operations / size for name, size in sizes.items()}
        reuse["total"] = self.operations / sum(sizes.values())
        return reuse

    @property
    def output(self) -> Tensor:
        for t in self.tensors:
            if t.read_write:
                return t
        raise SpecError("problem.data_spaces", self.tensor_names, "one tensor marked read_write (the output)")
