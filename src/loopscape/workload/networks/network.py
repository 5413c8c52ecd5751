"""Network: an ordered tuple of layer workloads with its published source, and its MAC and weight totals."""

from __future__ import annotations

from dataclasses import dataclass

from loopscape.errors import SpecError
from loopscape.workload.workload import Workload


@dataclass(frozen=True)
class Network:
    """A whole network as its layers in execution order; each layer's workload name is its layer name."""

    name: str
    layers: tuple[Workload, ...]
    source: str = ""

    def __post_init__(self) -> None:
        names = [wl.name for wl in self.layers]
        if not names:
            raise SpecError(f"network {self.name!r}.layers", [], "at least one layer")
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise SpecError(f"network {self.name!r}.layers", name, "distinct layer names")
            seen.add(name)

    @property
    def macs(self) -> int:
        """MACs summed over the layers whose operation is a MAC (conv, FC, matmul; not pooling or adds)."""
        return sum(wl.operations for wl in self.layers if wl.op == "mac")

    @property
    def ops(self) -> int:
        """Operations of every kind (MACs, adds, compares, lookups) summed over the layers."""
        return sum(wl.operations for wl in self.layers)

    @property
    def params(self) -> int:
        """Weight words summed over the layers that have a 'Weights' tensor (no biases, no batch-norm)."""
        return sum(wl.tensor_size("Weights") for wl in self.layers if "Weights" in wl.tensor_names)

    def layer(self, name: str) -> Workload:
        for wl in self.layers:
            if wl.name == name:
                return wl
        raise KeyError(name)
