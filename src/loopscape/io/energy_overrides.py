"""User energy and area numbers (a native `energy:` block, a Timeloop ERT/ART) laid over a base table."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from loopscape.arch import Architecture
from loopscape.energy import ActionEnergy, EnergyTable

ACTIONS = ("read", "fill", "update")
GATED_ACTIONS = ("gated_read", "gated_fill", "gated_update")


@dataclass(frozen=True)
class EnergyOverrides:
    """Per level name: action -> pJ per vector access; compute pJ per op; areas in um^2 per instance.

    Only what the user gave is here; everything else comes from the base table.
    """

    levels: dict[str, dict[str, float]] = field(default_factory=dict)
    compute: float | None = None
    area: dict[str, float] = field(default_factory=dict)
    source: str = ""
    compute_gated: float | None = None

    def merged(self, other: EnergyOverrides) -> EnergyOverrides:
        """Both sets of numbers (`other` wins where both give one): an ERT in one file, an ART in another."""
        levels = {k: dict(v) for k, v in self.levels.items()}
        for name, actions in other.levels.items():
            levels.setdefault(name, {}).update(actions)
        return EnergyOverrides(
            levels=levels,
            compute=other.compute if other.compute is not None else self.compute,
            area={**self.area, **other.area},
            source=" + ".join(s for s in (self.source, other.source) if s),
            compute_gated=other.compute_gated if other.compute_gated is not None else self.compute_gated,
        )


def apply_overrides(base: EnergyTable | None, overrides: EnergyOverrides, arch: Architecture) -> EnergyTable:
    """The table the model uses: `base` (or zeros where there is none) with the user's numbers on top."""
    levels: dict[str, ActionEnergy] = {}
    for lv in arch.levels:
        energy = base.level(lv.name) if base is not None else ActionEnergy()
        given = overrides.levels.get(lv.name, {})
        if given:
            energy = replace(
                energy, **{a: float(v) for a, v in given.items() if a in ACTIONS + GATED_ACTIONS}
            )
        levels[lv.name] = energy
    compute = (
        overrides.compute if overrides.compute is not None else (base.compute if base is not None else 0.0)
    )
    area = dict(base.area) if base is not None else {}
    area.update({k: float(v) for k, v in overrides.area.items()})
    sources = [s for s in ((base.source if base is not None else ""), overrides.source) if s]
    # User numbers replace the built-in network (wire) energies: Timeloop charges no wire energy with an ERT.
    compute_gated = overrides.compute_gated if overrides.compute_gated is not None else 0.0
    # Other operation kinds (add, compare, lookup) keep the built-in energies; a MAC is the user's number.
    compute_ops = {**base.compute_ops, "mac": float(compute)} if base is not None and base.compute_ops else {}
    return EnergyTable(
        levels=levels,
        compute=float(compute),
        area=area,
        source=" + ".join(sources),
        compute_gated=compute_gated,
        compute_ops=compute_ops,
    )
