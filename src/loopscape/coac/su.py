"""Spatial unrollings (SUs): COAC's hardware unrolling of an N-PE array over K, C, G, OX, OY, FX, FY.

COAC (shared/seeds/004) Eq. (1): N_PE = K_u * C_u * G_u * OX_u * OY_u * FX_u * FY_u, every factor a power of
two (Sec. III-A, assumption 1). Eq. (2): a layer's spatial utilisation under an SU. The enumeration rule is a
setting (`SuRule`); docs/coac.md says why the default gives 602 SUs on 16 x 16 where the paper counts 606.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from loopscape.errors import SpecError
from loopscape.workload import Workload

DIMS = ("K", "C", "G", "OX", "OY", "FX", "FY")  # COAC's loop names (Table II)
# COAC dimension -> the workload dimension it names (conv2d: P rows = OY, Q columns = OX, R = FY, S = FX).
WORKLOAD_DIM = {"K": "K", "C": "C", "G": "G", "OX": "Q", "OY": "P", "FX": "S", "FY": "R"}


def is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


@dataclass(frozen=True)
class SpatialUnrolling:
    """The maximal unrolling factor of each COAC dimension (1 where not unrolled), in DIMS order."""

    K: int = 1
    C: int = 1
    G: int = 1
    OX: int = 1
    OY: int = 1
    FX: int = 1
    FY: int = 1

    def factor(self, dim: str) -> int:
        return getattr(self, dim)

    @property
    def factors(self) -> tuple[int, ...]:
        return tuple(self.factor(d) for d in DIMS)

    @property
    def pes(self) -> int:
        """Eq. (1): the PEs the SU occupies."""
        return math.prod(self.factors)

    @property
    def acc(self) -> int:
        """Eq. (10): products reduced into one output per cycle (C, FX, FY are reduction loops)."""
        return self.C * self.FX * self.FY

    @property
    def w_par(self) -> int:
        """Eq. (11): weights needed in parallel (the loops that index the weights)."""
        return self.K * self.C * self.G * self.FX * self.FY

    @property
    def a_par(self) -> int:
        """Eq. (12): activations needed in parallel, with L1 duplication where FX_u or FY_u > 1 (Sec. III-A)."""
        return self.C * self.G * self.OX * self.OY * self.FX * self.FY

    @property
    def outputs(self) -> int:
        """Outputs produced in parallel (K, G, OX, OY): N_PE / Acc."""
        return self.K * self.G * self.OX * self.OY

    @property
    def channel_group(self) -> int:
        """C_u * G_u: the channel group the L2 activation memory stores together (Sec. III-A)."""
        return self.C * self.G

    def __str__(self) -> str:
        parts = [f"{d}={self.factor(d)}" for d in DIMS if self.factor(d) > 1]
        return ",".join(parts) or "1"


@dataclass(frozen=True)
class SuRule:
    """Which SUs the enumeration lists: the dimensions it may unroll, a cap per dimension, and whether G (the
    depthwise channel loop) is exclusive of K and C (a depthwise layer has no K or C loop to pair it with)."""

    dims: tuple[str, ...] = DIMS
    max_factors: tuple[tuple[str, int], ...] = (("FX", 2), ("FY", 2))
    g_exclusive: bool = True

    def allows(self, su: SpatialUnrolling) -> bool:
        caps = dict(self.max_factors)
        for d in DIMS:
            f = su.factor(d)
            if f > 1 and (d not in self.dims or f > caps.get(d, f)):
                return False
        return not (self.g_exclusive and su.G > 1 and (su.K > 1 or su.C > 1))


DEFAULT_RULE = SuRule()
ALL_RULE = SuRule(max_factors=(), g_exclusive=False)  # every power-of-two split: 3003 on 256 PEs


def check_pes(pes: int, path: str = "pe") -> int:
    if not isinstance(pes, int) or not is_power_of_two(pes):
        raise SpecError(path, pes, "a power-of-two number of PEs (COAC Sec. III-A)")
    return pes


def enumerate_sus(pes: int, rule: SuRule = DEFAULT_RULE) -> tuple[SpatialUnrolling, ...]:
    """Every SU of Eq. (1) on `pes` PEs (powers of two) that `rule` allows, in a fixed order."""
    n = check_pes(pes).bit_length() - 1
    out = []
    for exps in _compositions(n, len(DIMS)):
        su = SpatialUnrolling(*(1 << e for e in exps))
        if rule.allows(su):
            out.append(su)
    return tuple(out)


def _compositions(n: int, parts: int) -> list[tuple[int, ...]]:
    """Every tuple of `parts` non-negative integers summing to n, in lexicographic order."""
    if parts == 1:
        return [(n,)]
    return [(first, *rest) for first in range(n + 1) for rest in _compositions(n - first, parts - 1)]


_TERM = re.compile(r"^\s*([A-Za-z]+)\s*[=:]?\s*(\S+?)\s*$")


def parse_pes(text: str, path: str = "--pe") -> int:
    """'16x16' (an array) or '256' (a PE count) -> the number of PEs, a power of two."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise SpecError(path, text, "a PE count such as 256 or an array such as 16x16") from None
    if not values or any(v < 1 for v in values):
        raise SpecError(path, text, "positive sizes such as 16x16")
    return check_pes(math.prod(values), path)


def parse_su(text: str, pes: int | None = None, path: str = "--su") -> SpatialUnrolling:
    """'K=2,OX=2' (also 'K2 OX2') -> an SU; every factor a power of two, and with `pes` the product must be
    exactly the array (Eq. 1): an SU that does not fit, or leaves PEs unused, is a spec error."""
    terms = [t for t in re.split(r"[,;\s]+", text.strip()) if t]
    if not terms:
        raise SpecError(path, text, "factors such as K=16,C=16")
    factors: dict[str, int] = {}
    for term in terms:
        m = _TERM.match(term) or re.match(r"^([A-Za-z]+?)(\d+)$", term)
        if m is None:
            raise SpecError(path, term, "DIM=FACTOR, e.g. K=16")
        dim, value = m.group(1).upper(), m.group(2)
        if dim not in DIMS:
            raise SpecError(path, dim, f"a dimension among {list(DIMS)}")
        if dim in factors:
            raise SpecError(path, text, f"each dimension once ({dim} is repeated)")
        try:
            f = int(value)
        except ValueError:
            raise SpecError(f"{path}.{dim}", value, "a positive integer factor") from None
        if not is_power_of_two(f):
            raise SpecError(f"{path}.{dim}", f, "a power-of-two factor (COAC Sec. III-A)")
        factors[dim] = f
    su = SpatialUnrolling(**factors)
    if pes is not None and su.pes != pes:
        what = "does not fit" if su.pes > pes else "leaves PEs idle on"
        raise SpecError(
            path, f"{su} ({su.pes} PEs)", f"an SU that fills the {pes}-PE array exactly (Eq. 1): it {what} it"
        )
    return su


# --- layers --------------------------------------------------------------------------------------------------
def layer_dims(workload: Workload) -> dict[str, int]:
    """The layer's COAC dimensions that it has (a depthwise layer has G but no K or C; a classical one K, C)."""
    return {d: workload.bound(w) for d, w in WORKLOAD_DIM.items() if w in workload.dims}


def spatial_utilization(dims: dict[str, int], su: SpatialUnrolling) -> float:
    """Eq. (2): prod over the SU's dimensions of D / (ceil(D / D_u) * D_u); a dimension the layer lacks
    (bound 1) wastes its whole factor."""
    u = 1.0
    for d in DIMS:
        f = su.factor(d)
        size = dims.get(d, 1)
        u *= size / (math.ceil(size / f) * f)
    return u


def effective_factors(dims: dict[str, int], su: SpatialUnrolling) -> dict[str, int]:
    """Per dimension the layer has, the spatial factor it actually runs with: the ceil(D / D_u) passes of Eq. (2),
    each over ceil(D / passes) lanes (a balanced split: same passes, the least padding)."""
    out = {}
    for d, size in dims.items():
        passes = math.ceil(size / su.factor(d))
        out[d] = math.ceil(size / passes)
    return out
