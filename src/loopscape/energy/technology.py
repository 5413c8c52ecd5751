"""Technology nodes and Stillmaker & Baas (2017) scaling of energy and area between them.

The fits live in `data/technology_scaling.yaml` with their sources. Energy at a node and supply voltage is
the node's fitted polynomial a*Vdd^2 + b*Vdd + c; a number characterised at (node0, Vdd0) is carried to
(node1, Vdd1) by the ratio of the two polynomials. Area is carried by the ratio of the nodes' area factors.
Nodes between the fitted ones are interpolated linearly in log(node size).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from loopscape.errors import SpecError

REFERENCE = "Stillmaker & Baas 2017"


@dataclass(frozen=True)
class _Fit:
    nm: float
    a: float
    b: float
    c: float
    vdd: float
    area: float  # relative to 45 nm

    def energy(self, vdd: float) -> float:
        return self.a * vdd * vdd + self.b * vdd + self.c


@cache
def _fits() -> tuple[_Fit, ...]:
    """The fitted nodes, largest first."""
    path = resources.files("loopscape.energy").joinpath("data", "technology_scaling.yaml")
    raw = yaml.safe_load(path.read_text())
    area = {float(k): float(v) for k, v in raw["area_vs_45nm"]["factors"].items()}
    fits = [
        _Fit(
            float(e["nm"]), float(e["a"]), float(e["b"]), float(e["c"]), float(e["vdd"]), area[float(e["nm"])]
        )
        for e in raw["energy"]
    ]
    return tuple(sorted(fits, key=lambda f: -f.nm))


@cache
def named_nodes() -> tuple[int, ...]:
    """The nodes loopscape documents (65, 45, 40, 28, 22, 16, 7 nm); any node in the fitted range works."""
    path = resources.files("loopscape.energy").joinpath("data", "technology_scaling.yaml")
    return tuple(int(n) for n in yaml.safe_load(path.read_text())["named_nodes"])


def node_range() -> tuple[float, float]:
    """(smallest, largest) node in nm that the fits cover."""
    fits = _fits()
    return fits[-1].nm, fits[0].nm


def parse_node(technology: object, path: str = "technology") -> float:
    """'16nm', '16 nm', '0.016um', 16 -> 16.0 (nm); SpecError outside the fitted range or unreadable."""
    lo, hi = node_range()
    expected = f"a technology node from {lo:g}nm to {hi:g}nm, e.g. '45nm' (named: {list(named_nodes())})"
    nm: float | None = None
    if isinstance(technology, (int, float)) and not isinstance(technology, bool):
        nm = float(technology)
    elif isinstance(technology, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(nm|um)?\s*", technology.lower())
        if m:
            nm = float(m.group(1)) * (1000.0 if m.group(2) == "um" else 1.0)
    if nm is None or not lo <= nm <= hi:
        raise SpecError(path, technology, expected)
    return nm


def node_name(nm: float) -> str:
    """16.0 -> '16nm'."""
    return f"{nm:g}nm"


def _bracket(nm: float) -> tuple[_Fit, _Fit, float]:
    """The fitted nodes around `nm` and the position t in [0, 1] between them in log(node size)."""
    fits = _fits()
    for big, small in itertools.pairwise(fits):
        if small.nm <= nm <= big.nm:
            if nm == big.nm:
                return big, big, 0.0
            return big, small, math.log(big.nm / nm) / math.log(big.nm / small.nm)
    raise SpecError("technology", node_name(nm), f"a node from {fits[-1].nm:g}nm to {fits[0].nm:g}nm")


def _log_interp(y0: float, y1: float, t: float) -> float:
    return y0 if t == 0.0 else math.exp((1 - t) * math.log(y0) + t * math.log(y1))


def is_fitted(nm: float) -> bool:
    """Whether Stillmaker & Baas fit this node itself (else it is interpolated between two that they fit)."""
    return any(f.nm == nm for f in _fits())


def nominal_vdd(nm: float) -> float:
    """The node's nominal supply in V (PTM's; interpolated between fitted nodes)."""
    big, small, t = _bracket(nm)
    return (1 - t) * big.vdd + t * small.vdd


def energy_factor(nm: float, vdd: float | None = None) -> float:
    """Stillmaker & Baas's energy per operation at `nm` and `vdd` (default: nominal), in their units."""
    vdd = nominal_vdd(nm) if vdd is None else vdd
    big, small, t = _bracket(nm)
    e0, e1 = big.energy(vdd), small.energy(vdd)
    if vdd <= 0 or e0 <= 0 or e1 <= 0:
        raise SpecError("voltage", vdd, f"a supply voltage in the range of the {node_name(nm)} fit")
    return _log_interp(e0, e1, t)


def area_factor(nm: float) -> float:
    """Area of a design at `nm` relative to the same design at 45 nm."""
    big, small, t = _bracket(nm)
    return _log_interp(big.area, small.area, t)


def energy_scale(
    from_nm: float, to_nm: float, from_vdd: float | None = None, to_vdd: float | None = None
) -> float:
    """Factor carrying an energy from (from_nm, from_vdd) to (to_nm, to_vdd).

    Voltages default to each node's nominal one, except that staying at the same node keeps `from_vdd`.
    """
    from_vdd = nominal_vdd(from_nm) if from_vdd is None else from_vdd
    if to_vdd is None:
        to_vdd = from_vdd if to_nm == from_nm else nominal_vdd(to_nm)
    if to_nm == from_nm and to_vdd == from_vdd:
        return 1.0
    return energy_factor(to_nm, to_vdd) / energy_factor(from_nm, from_vdd)


def area_scale(from_nm: float, to_nm: float) -> float:
    """Factor carrying an area from `from_nm` to `to_nm`."""
    return 1.0 if from_nm == to_nm else area_factor(to_nm) / area_factor(from_nm)


def scaling_note(from_nm: float, to_nm: float, to_vdd: float | None = None) -> str:
    """What an estimate scaled from `from_nm` says about it ('' when nothing was scaled)."""
    if from_nm == to_nm and to_vdd is None:
        return ""
    how = f"scaled {node_name(from_nm)}->{node_name(to_nm)}"
    if to_vdd is not None:
        how += f" at {to_vdd:g} V"
    if not is_fitted(to_nm):
        how += " (node interpolated)"
    return f"{how} ({REFERENCE})"


__all__ = [
    "REFERENCE",
    "area_factor",
    "area_scale",
    "energy_factor",
    "energy_scale",
    "is_fitted",
    "named_nodes",
    "node_name",
    "node_range",
    "nominal_vdd",
    "parse_node",
    "scaling_note",
]
