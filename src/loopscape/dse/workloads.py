"""The workloads of a sweep: a built-in network or a network file, some of its layers, inference or training."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from loopscape.errors import SpecError
from loopscape.workload import Workload


@dataclass(frozen=True)
class WorkloadSpec:
    """One workload of the sweep: a built-in network or a network file (its path), optionally some layers only,
    forward (inference) or a whole training step."""

    network: str
    training: bool = False
    layers: tuple[str, ...] | None = None

    @property
    def is_file(self) -> bool:
        return self.network.endswith((".yaml", ".yml", ".onnx")) or Path(self.network).is_file()

    @property
    def label(self) -> str:
        base = Path(self.network).stem if self.is_file else self.network
        return base + (".train" if self.training else "")

    def identity(self) -> dict[str, Any]:
        """What the results depend on: a file's contents (not its path, so a moved spec keeps its point ids)."""
        network = self.network
        if self.is_file:
            network = "sha256:" + hashlib.sha256(Path(self.network).read_bytes()).hexdigest()[:16]
        return {"network": network, "training": self.training, "layers": self.layers}


@lru_cache(maxsize=64)
def workload_layers(workload: WorkloadSpec, forward_names: bool) -> tuple[Workload, ...]:
    """The layers (or, for a training step, the passes) of one workload; `forward_names`: the passes' tensors
    carry the forward layer's names (for architectures whose levels keep tensors by name)."""
    from loopscape.cli_network import load_network
    from loopscape.workload.training import training_passes

    network, _ = load_network(workload.network)
    layers = network.layers
    if workload.layers is not None:
        names = [wl.name for wl in layers]
        missing = [n for n in workload.layers if n not in names]
        if missing:
            raise SpecError("layers", missing, f"layers of {network.name}: {names}")
        layers = tuple(wl for wl in layers if wl.name in workload.layers)
    if not workload.training:
        return layers
    net = dataclasses.replace(network, layers=layers)
    return tuple(p.workload for p in training_passes(net, forward_names=forward_names))
