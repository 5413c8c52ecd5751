"""Templates: a zoo architecture with a design point's parameters substituted."""

from __future__ import annotations

import pytest

from loopscape.arch import zoo
from loopscape.dse.template import build_architecture, preset_of
from loopscape.energy.defaults import default_table
from loopscape.errors import SpecError


def test_pe_array_resizes_compute_and_per_pe_levels():
    arch = build_architecture("eyeriss", {"pe_x": 8, "pe_y": 4})
    assert arch.compute.instances == 32 and arch.compute.mesh == (8, 4)
    rf = arch.levels[arch.level_index("RFile")]
    assert rf.instances == 32 and rf.mesh == (8, 4)
    assert arch.levels[arch.level_index("GBuf")].instances == 1


def test_level_knobs():
    arch = build_architecture(
        "eyeriss", {"GBuf.size_kb": 32, "GBuf.bandwidth": 16, "RFile.entries": 12, "DRAM.shared_bandwidth": 4}
    )
    gbuf = arch.levels[arch.level_index("GBuf")]
    assert gbuf.entries == 32 * 1024 * 8 // 16
    assert gbuf.read_bandwidth == gbuf.write_bandwidth == 16
    assert arch.levels[arch.level_index("RFile")].entries == 12
    assert arch.levels[0].shared_bandwidth == 4


def test_word_bits_keep_bytes_and_size_follows_word_bits():
    base = zoo.get("eyeriss")
    arch = build_architecture("eyeriss", {"word_bits": 8})
    gbuf, gbuf0 = arch.levels[1], base.levels[1]
    assert gbuf.word_bits == 8 and gbuf.capacity_bits == gbuf0.capacity_bits
    assert arch.compute.word_bits == 8
    sized = build_architecture("eyeriss", {"word_bits": 8, "GBuf.size_kb": 16})
    assert sized.levels[1].entries == 16 * 1024  # 16 KiB of 8-bit words


def test_technology_scales_the_tables():
    at65 = build_architecture("eyeriss", {})
    at45 = build_architecture("eyeriss", {"technology": "45nm"})
    assert at65.technology == "65nm" and at45.technology == "45nm"
    assert default_table(at45).area["GBuf"] < default_table(at65).area["GBuf"]


def test_presets():
    assert preset_of("eyeriss", {}) is None
    assert preset_of("eyeriss", {"preset": "none"}) is None
    assert preset_of("eyeriss", {"preset": "template"}) == "row-stationary"
    assert preset_of("eyeriss", {"preset": "weight-stationary"}) == "weight-stationary"


def test_pe_knobs_refuse_a_template_with_partial_fanout():
    with pytest.raises(SpecError) as err:
        build_architecture("simba", {"pe_x": 8})
    assert err.value.path == "parameters.pe_x"
