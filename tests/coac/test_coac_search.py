"""Per-layer best temporal unrolling with the SU pinned, pruning, normalisation and the combination search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from loopscape.coac.costs import (
    CYCLES,
    ENERGY,
    LATENCY,
    PJ,
    CostTable,
    TemporalSearch,
    cost_table,
    is_square,
    mirrored,
    pinned,
)
from loopscape.coac.search import SearchSettings, normalised, prune, search
from loopscape.coac.su import SpatialUnrolling, enumerate_sus, layer_dims, spatial_utilization
from loopscape.coac.temporal import Bandwidth, bandwidth_demand, temporal_utilization
from loopscape.errors import SpecError
from loopscape.workload.layers import conv2d
from loopscape.workload.networks import Network

FAST = TemporalSearch(budget=200, batch=100)
PES = 8
LAYERS = (
    conv2d("a", K=8, C=3, P=6, Q=6, R=3, S=3),
    conv2d("b", K=16, C=8, P=5, Q=5, R=1, S=1),
    conv2d("dw", K=16, C=16, P=6, Q=6, R=3, S=3, groups=16),
)
NET = Network("tiny", LAYERS)


def test_pinned_pads_to_whole_passes():
    wl = conv2d("c", K=12, C=3, P=7, Q=5, R=3, S=3)
    padded, factors = pinned(wl, SpatialUnrolling(K=8, FX=2))
    f = dict(factors)
    assert f["K"] == 6 and f["S"] == 2 and f["C"] == 1  # 12 -> 2 passes of 6; 3 -> 2 passes of 2
    assert dict(zip(padded.dims, padded.bounds)) == {"N": 1, "K": 12, "C": 3, "P": 7, "Q": 5, "R": 3, "S": 4}
    # Eq. (2): the padded work per lane is the layer's MACs / (N_PE U_S)
    su = SpatialUnrolling(K=8, FX=2)
    lanes = math.prod(f.values())
    assert padded.operations / lanes == pytest.approx(
        wl.operations / (su.pes * spatial_utilization(layer_dims(wl), su))
    )


def test_square_layers_share_mirror_images():
    sq, rect = LAYERS[0], conv2d("r", K=4, C=4, P=6, Q=5, R=3, S=3)
    su = SpatialUnrolling(OX=4, FY=2)
    assert is_square(sq) and not is_square(rect)
    assert pinned(sq, su) == pinned(sq, mirrored(su))
    assert pinned(rect, su) != pinned(rect, mirrored(su))


def test_temporal_utilisation_eqs_3_to_9():
    su = SpatialUnrolling(C=2, OX=4)  # W 2, A 8, O 4 words per cycle
    assert bandwidth_demand(su) == Bandwidth(2, 8, 4)
    ports = Bandwidth(4, 4, 4)
    assert temporal_utilization(su, ports, "OX") == 0.5  # weights stay; inputs 8 > 4
    assert temporal_utilization(su, ports, "K") == 1.0  # inputs stay
    assert temporal_utilization(su, ports, "C") == 0.5  # outputs stay; inputs 8 > 4
    with pytest.raises(SpecError):
        temporal_utilization(su, ports, "Z")


@pytest.fixture(scope="module")
def table() -> CostTable:
    return cost_table([NET], enumerate_sus(PES), effort=FAST, workers=1)


def test_cost_table_points(table):
    pts = table.points
    assert pts.shape == (3, len(enumerate_sus(PES)), 2, 2)
    # the latency-best point is at least as fast, the energy-best at most as costly
    assert (pts[:, :, LATENCY, CYCLES] <= pts[:, :, ENERGY, CYCLES]).all()
    assert (pts[:, :, ENERGY, PJ] <= pts[:, :, LATENCY, PJ]).all()
    # never faster than Eq. (2)'s compute bound: MACs / (N_PE U_S)
    for lay, wl in enumerate(LAYERS):
        for s, su in enumerate(table.sus):
            bound = wl.operations / (PES * spatial_utilization(layer_dims(wl), su))
            assert pts[lay, s, LATENCY, CYCLES] >= bound - 1e-6
    # a K x C SU runs the pointwise layer at its compute bound (no port is short)
    s = table.sus.index(SpatialUnrolling(K=4, C=2))
    assert pts[1, s, LATENCY, CYCLES] == LAYERS[1].operations / PES


def test_prune_modes_nest(table):
    strict, ties, every = (set(prune(table, m)) for m in ("strict", "ties", "none"))
    assert strict <= ties <= every and len(every) == len(table.sus)
    for lay in range(3):  # each layer's latency-best and energy-best SU survive strict pruning
        assert any(
            table.points[lay, s, LATENCY, CYCLES] == table.points[lay, :, LATENCY, CYCLES].min()
            for s in strict
        )
        assert any(table.points[lay, s, ENERGY, PJ] == table.points[lay, :, ENERGY, PJ].min() for s in strict)
    with pytest.raises(SpecError):
        prune(table, "some")


def test_search_fronts(table):
    r = search(table, SearchSettings(max_sus=2, prune="none"))
    n = len(table.sus)
    assert r.combinations == n + n * (n - 1) // 2
    one = r.fronts[1]
    # 1 SU: the best latency is the best single-SU sum of the latency-best points
    assert one[0].latency == table.points[:, :, LATENCY, CYCLES].sum(axis=0).min()
    # more SUs never hurt: the 2-SU front's best EDP is at most the 1-SU one's
    assert r.best_edp(2).edp <= r.best_edp(1).edp
    # every 3-D Pareto design is on its own combination's front and no other design dominates it
    for s in r.pareto:
        assert not any(
            o.latency <= s.latency and o.energy <= s.energy and o.area_um2 <= s.area_um2
            and (o.latency, o.energy, o.area_um2) != (s.latency, s.energy, s.area_um2)
            for o in r.pareto
        )  # fmt: skip


def test_normalisation_makes_each_best_single_su_latency_one(table):
    two = CostTable(
        ("x", "y"), table.layers * 2, np.array([0, 0, 0, 1, 1, 1]), table.sus,
        np.concatenate([table.points, 3 * table.points]), 0, 0.0,
    )  # fmt: skip
    norm, ref = normalised(two)
    assert ref[1] == pytest.approx(3 * ref[0])
    for n in range(2):
        rows = norm.network_of == n
        assert norm.points[rows, :, LATENCY, CYCLES].sum(axis=0).min() == pytest.approx(1.0)
    r = search(two, SearchSettings(max_sus=1))
    assert r.references == (pytest.approx(ref[0]), pytest.approx(ref[1]))


def test_plot_fronts(table, tmp_path):
    pytest.importorskip("matplotlib")
    from loopscape.cli_coac import plot_fronts

    path = tmp_path / "fronts.png"
    plot_fronts(search(table, SearchSettings(max_sus=2)), str(path), "tiny")
    assert path.stat().st_size > 1000


def test_table_vii_rows(table):
    from loopscape.coac.search import network_edp
    from loopscape.coac.study import table_vii

    two = CostTable(
        ("x", "y"), table.layers * 2, np.array([0, 0, 0, 1, 1, 1]), table.sus,
        np.concatenate([table.points, 3 * table.points]), 0, 0.0,
    )  # fmt: skip
    result = search(two, SearchSettings(max_sus=2))
    evo = [SpatialUnrolling(K=4, C=2), SpatialUnrolling(K=2, C=4)]
    rows = table_vii(two, result, evo)
    assert [r.network for r in rows] == ["x", "y", "all"]
    assert rows[-1].gain_2 <= 0  # the best pair is at least as good as the best single SU jointly
    one = result.best_edp(1).sus
    assert rows[0].edp_1 == pytest.approx(network_edp(two, one, 0))
    # y is x scaled by 3 in latency and energy: EDPs scale by 9, changes are equal
    assert rows[1].edp_1 == pytest.approx(9 * rows[0].edp_1)
    assert rows[1].gain_2 == pytest.approx(rows[0].gain_2) and rows[1].gain_evolver == pytest.approx(
        rows[0].gain_evolver
    )


def test_compiled_chain_equals_numpy(table):
    from loopscape.coac.search import Layers

    layers = Layers(table)
    n = len(table.sus)
    for combo in [(0,), (1, 5), (2, 7, n - 1), tuple(range(0, n, 9))]:
        assert np.array_equal(layers.front(combo), layers.front_python(combo))


def test_thinned_fronts_keep_the_ends_and_stay_feasible(table):
    """Thinning (SearchSettings.max_front) keeps each running front's ends, so the least latency and the least
    energy are exact; every kept point is a feasible design, so the exact front matches or beats it."""
    from loopscape.coac.search import Layers

    layers = Layers(table)
    combo = tuple(range(0, len(table.sus), 4))
    exact, thin = layers.front(combo), layers.front(combo, keep=3)
    assert len(thin) <= len(exact) and len(thin) <= 3 * 2
    assert thin[0, 0] == exact[0, 0] and thin[-1, 1] == exact[-1, 1]
    for x, y in thin:
        assert ((exact[:, 0] <= x + 1e-9) & (exact[:, 1] <= y * (1 + 1e-12))).any()
