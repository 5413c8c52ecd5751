"""Energy-per-action (ERT) and area (ART) tables: what the model multiplies counts by."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActionEnergy:
    """Energy in pJ of one vector access (one block) of a storage level, per action."""

    read: float = 0.0
    fill: float = 0.0
    update: float = 0.0
    # the same actions when gated (their data is zero and the level gates them): typically the idle energy
    gated_read: float = 0.0
    gated_fill: float = 0.0
    gated_update: float = 0.0


@dataclass(frozen=True)
class EnergyTable:
    """ERT and ART for one architecture: storage actions per level name, compute energy per op, areas in um^2."""

    levels: dict[str, ActionEnergy]
    compute: float  # pJ per operation (MAC)
    area: dict[str, float] = field(default_factory=dict)  # level or compute name -> um^2 per instance
    source: str = ""
    # '<level>.read|fill|update', '<compute>.compute', '<name>.area' -> the estimator that produced it
    provenance: dict[str, str] = field(default_factory=dict)
    technology: str = ""  # the node the numbers are for, e.g. '45nm' ('' = not recorded)
    # level name -> pJ per word per hop on the network below that level (0 when absent)
    network: dict[str, float] = field(default_factory=dict)
    compute_gated: float = 0.0  # pJ per gated operation (an operand is zero and the compute units gate it)
    # level or compute name -> leakage in pJ per cycle per instance (reported apart from the dynamic energy)
    leakage: dict[str, float] = field(default_factory=dict)
    # operation kind ('mac', 'add', 'mul', 'compare', 'lookup': Workload.op) -> pJ per operation; a kind
    # not listed costs `compute`
    compute_ops: dict[str, float] = field(default_factory=dict)

    def level(self, name: str) -> ActionEnergy:
        return self.levels.get(name, ActionEnergy())

    def compute_energy(self, op: str = "mac") -> float:
        """pJ per operation of kind `op` on the compute units (`compute` for a MAC or a kind not listed)."""
        return self.compute_ops.get(op, self.compute)
