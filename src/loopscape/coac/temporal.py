"""Temporal utilisation under memory port widths: COAC Eqs. (3)-(9), after Colleman et al., AICAS 2022 [24].

The text lost these equations; docs/coac.md rebuilds them from Sec. II-C's prose: the SU alone sets the words
each operand needs per cycle (Eqs. 3-5), the innermost temporal loop keeps one operand stationary (it then
needs no bandwidth), and every other operand whose need exceeds its port stalls the array (Eqs. 6-8). This is
the paper's quick estimate; `costs.py` finds the best temporal unrolling with the mapper instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from loopscape.coac.su import SpatialUnrolling, spatial_utilization
from loopscape.errors import SpecError

# The operand an innermost temporal loop keeps stationary: a loop over a dimension an operand does not use
# leaves that operand unchanged from one cycle to the next.
STATIONARY = {
    "OX": "weight",
    "OY": "weight",
    "K": "input",
    "C": "output",
    "FX": "output",
    "FY": "output",
    "G": None,  # G indexes every operand: nothing stays
}


@dataclass(frozen=True)
class Bandwidth:
    """Words per cycle each operand needs under an SU when nothing stays stationary (Eqs. 3-5)."""

    weight: int
    input: int
    output: int


def bandwidth_demand(su: SpatialUnrolling) -> Bandwidth:
    """Eq. (3) W_par weights, Eq. (4) A_par inputs (with L1 duplication), Eq. (5) N_PE / Acc outputs, in words
    (the paper's bits b and b_o cancel against ports given in words of the same operand)."""
    return Bandwidth(su.w_par, su.a_par, su.outputs)


def temporal_utilization(su: SpatialUnrolling, ports: Bandwidth, innermost: str) -> float:
    """Eqs. (6)-(8): min(1, PW / BW) over the operands the innermost loop `innermost` does not keep stationary."""
    if innermost not in STATIONARY:
        raise SpecError("innermost", innermost, f"a COAC dimension among {list(STATIONARY)}")
    need = bandwidth_demand(su)
    still = STATIONARY[innermost]
    u = 1.0
    for operand in ("weight", "input", "output"):
        if operand != still:
            u = min(u, getattr(ports, operand) / getattr(need, operand))
    return u


def best_temporal_utilization(
    su: SpatialUnrolling, ports: Bandwidth, dims: dict[str, int]
) -> tuple[str, float]:
    """The innermost loop (among the layer's dimensions of bound > 1) with the highest U_T, and that U_T."""
    options = [d for d in STATIONARY if dims.get(d, 1) > 1] or ["K"]
    return max(((d, temporal_utilization(su, ports, d)) for d in options), key=lambda x: x[1])


def utilization(su: SpatialUnrolling, ports: Bandwidth, dims: dict[str, int]) -> float:
    """Eq. (9): U = U_S * U_T, with the best innermost loop."""
    return spatial_utilization(dims, su) * best_temporal_utilization(su, ports, dims)[1]
