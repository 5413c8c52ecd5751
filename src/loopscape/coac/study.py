"""COAC's case study (Sec. V-VI): several networks searched jointly, each network's EDP under the chosen SU sets
(Table VII), and the comparison with Evolver's SUs.

Evolver's six SUs were lost from our copy of the paper; Sec. VI-A only says they "only vary in unrolling in C and
K". EVOLVER_SUS is therefore a placeholder (a guess, see docs/coac.md): six C x K splits of the 256 PEs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from loopscape.coac.costs import CostTable
from loopscape.coac.overhead import overhead
from loopscape.coac.search import CoacResult, Layers, SearchSettings, network_edp
from loopscape.coac.su import SpatialUnrolling

# GUESS (the paper's list is lost): C_u * K_u = 256 with C_u = 2 .. 64.
EVOLVER_SUS = tuple(SpatialUnrolling(C=c, K=256 // c) for c in (2, 4, 8, 16, 32, 64))

STUDY_NETWORKS = ("rced", "tiny_yolo_v2", "resnet18", "vgg19", "mobilenetv2", "xception")  # Sec. V-A

# COAC Table VII: EDP change against the best single SU, (best 2 SUs, Evolver), in percent.
TABLE_VII_PAPER = {
    "rced": (-35, -77),
    "tiny_yolo_v2": (-1, -47),
    "resnet18": (-34, -33),
    "vgg19": (-12, -3),
    "mobilenetv2": (-50, -14),
    "xception": (-38, -60),
    "all": (-38, -45),
}


@dataclass(frozen=True)
class EdpRow:
    """One row of Table VII: a network's (or, for 'all', the joint normalised) EDP with the best single SU, the
    best two SUs and Evolver's SUs, and the changes against the single SU in percent."""

    network: str
    edp_1: float
    edp_2: float
    edp_evolver: float

    @property
    def gain_2(self) -> float:
        return 100.0 * (self.edp_2 / self.edp_1 - 1.0)

    @property
    def gain_evolver(self) -> float:
        return 100.0 * (self.edp_evolver / self.edp_1 - 1.0)


def table_vii(
    raw: CostTable, result: CoacResult, evolver: Sequence[SpatialUnrolling] = EVOLVER_SUS
) -> list[EdpRow]:
    """Per network (in raw units) and jointly (normalised), the EDP under the jointly chosen best 1-SU and 2-SU
    sets (lowest joint EDP) and under Evolver's SUs (NaN where the array has not Evolver's 256 PEs)."""
    one, two = result.best_edp(1).sus, result.best_edp(min(2, max(result.fronts))).sus  # 1 SU kept: 2 = 1
    index = {s: i for i, s in enumerate(raw.sus)}
    evo = (
        tuple(index[s] for s in evolver) if all(s in index for s in evolver) else None
    )  # None: not on this array
    rows = []
    for n, name in enumerate(raw.networks):
        e = network_edp(raw, evo, n) if evo else math.nan
        rows.append(EdpRow(name, network_edp(raw, one, n), network_edp(raw, two, n), e))
    layers = Layers(result.table)  # normalised when several networks: every network's layers at once

    def joint(sus: tuple[int, ...] | None) -> float:
        if sus is None:
            return math.nan
        f = layers.front(sus)
        return float((f[:, 0] * f[:, 1]).min())

    rows.append(EdpRow("all", joint(one), joint(two), joint(evo)))
    return rows


def evolver_overhead(settings: SearchSettings, evolver: Sequence[SpatialUnrolling] = EVOLVER_SUS) -> float:
    """The flexibility-overhead area of Evolver's SU set under the same model (Sec. VI-A)."""
    return overhead(list(evolver), settings.ports, settings.area, settings.group_rule).area_um2
