"""SU enumeration (Eq. 1), parsing, spatial utilisation (Eq. 2) and the effective per-layer factors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopscape.coac.su import (
    ALL_RULE,
    DEFAULT_RULE,
    SpatialUnrolling,
    SuRule,
    effective_factors,
    enumerate_sus,
    layer_dims,
    parse_pes,
    parse_su,
    spatial_utilization,
)
from loopscape.errors import SpecError
from loopscape.workload.layers import conv2d


def test_counts_on_16x16():
    """Stars and bars: C(8+6, 6) = 3003 power-of-two splits of 256 over 7 dims; G exclusive of K and C leaves
    1287 + 495 - 165 = 1617; FX_u, FY_u <= 2 on top leaves 602 (the paper counts 606: docs/coac.md)."""
    assert len(enumerate_sus(256, ALL_RULE)) == math.comb(14, 6) == 3003
    assert len(enumerate_sus(256, SuRule(max_factors=()))) == 1617
    assert len(enumerate_sus(256)) == 602


@pytest.mark.parametrize("pes", [8, 64, 256])
def test_every_su_fills_the_array_and_obeys_the_rule(pes):
    sus = enumerate_sus(pes)
    assert len(set(sus)) == len(sus)
    for s in sus:
        assert s.pes == pes and DEFAULT_RULE.allows(s)
        assert not (s.G > 1 and (s.K > 1 or s.C > 1)) and s.FX <= 2 and s.FY <= 2


def test_table_i_spatial_utilisation():
    """Table I: MobileNetV2 layer 2 (G=32, 112x112, 3x3) is 100% on the G-like SU [FX3, FY3, G16] and 0.7% on
    the TPU-like [C12, K12]; 'ResNet101 layer 29' (K384 C256 13x13 3x3) is 97.0% on TPU-like by Eq. (2), where the
    paper prints 96.2% (docs/coac.md)."""
    tpu, glike = SpatialUnrolling(K=12, C=12), SpatialUnrolling(G=16, FX=3, FY=3)
    dw = layer_dims(conv2d("dw", K=32, C=32, P=112, Q=112, R=3, S=3, groups=32))
    classic = layer_dims(conv2d("c", K=384, C=256, P=13, Q=13, R=3, S=3))
    assert dw == {"G": 32, "OX": 112, "OY": 112, "FX": 3, "FY": 3}
    assert spatial_utilization(dw, glike) == 1.0
    assert round(100 * spatial_utilization(dw, tpu), 1) == 0.7
    assert round(100 * spatial_utilization(classic, tpu), 1) == 97.0


@given(st.sampled_from(enumerate_sus(256)), st.dictionaries(st.sampled_from(["K", "C", "OX", "OY", "FX", "FY"]),
                                                            st.integers(1, 300), min_size=1))  # fmt: skip
def test_effective_factors_keep_the_passes(su, dims):
    """The balanced split keeps Eq. (2)'s ceil(D / D_u) passes, never exceeds D_u, and pads by less than a pass."""
    eff = effective_factors(dims, su)
    for d, size in dims.items():
        passes = math.ceil(size / su.factor(d))
        assert eff[d] <= su.factor(d) and math.ceil(size / eff[d]) == passes
        assert passes * eff[d] - size < passes


def test_parse():
    assert parse_su("K=2,OX=2,C=2", 8) == SpatialUnrolling(K=2, C=2, OX=2)
    assert parse_su("k2 ox4", 8) == SpatialUnrolling(K=2, OX=4)
    assert parse_pes("16x16") == 256 and parse_pes("8") == 8
    assert str(SpatialUnrolling(K=2, OX=4)) == "K=2,OX=4"


@pytest.mark.parametrize(
    "text, pes, where",
    [
        ("K=4,C=4", 8, "fills the 8-PE array"),  # does not fit
        ("K=2", 8, "fills the 8-PE array"),  # leaves PEs idle
        ("K=2,Z=4", 8, "a dimension among"),
        ("K=3", None, "power-of-two"),
        ("K=x", None, "positive integer"),
        ("K=2,K=4", None, "each dimension once"),
        ("", None, "factors such as"),
        ("=4", None, "DIM=FACTOR"),
    ],
)
def test_parse_errors(text, pes, where):
    with pytest.raises(SpecError, match=where):
        parse_su(text, pes)


@pytest.mark.parametrize("text", ["12", "16x0", "axb", "3x3"])
def test_parse_pes_errors(text):
    with pytest.raises(SpecError):
        parse_pes(text)
