"""build_ert: each level's ERT from its compound component's actions, provenance, technology, errors."""

from __future__ import annotations

import dataclasses

import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy import Component, EstimatorRegistry, UserTableEstimator, build_ert, default_registry
from loopscape.energy.estimators import TableEstimator
from loopscape.errors import SpecError

KIB = 1024


def arch(technology: str = "45nm", **changes) -> Architecture:
    """DRAM, 128 KiB global buffer (4-word blocks), 16x16 PEs with 256-entry register files, 16-bit MACs."""
    levels = [
        StorageLevel("DRAM", cls="DRAM", block_size=4),
        StorageLevel("GlobalBuffer", cls="SRAM", entries=64 * KIB, block_size=4),
        StorageLevel("RegFile", cls="regfile", instances=256, mesh_x=16, entries=256),
    ]
    for i, fields in changes.get("levels", {}).items():
        levels[i] = dataclasses.replace(levels[i], **fields)
    compute = dataclasses.replace(ComputeLevel("MAC", instances=256, mesh_x=16), **changes.get("compute", {}))
    return Architecture("a", tuple(levels), compute, technology)


def est(cls: str, **attrs):
    return default_registry().estimate(Component(cls, attrs))


def test_levels_derive_from_their_compound_components():
    t = build_ert(arch())
    # GlobalBuffer: smartbuffer_SRAM of 16 Ki vectors x 64 bits = SRAM access + 14-bit address generator.
    sram = est("SRAM", depth=16 * KIB, width=64)
    agen = est("address_generator", bits=14)
    gb = t.level("GlobalBuffer")
    assert gb.read == pytest.approx(sram.energy_pj["read"] + agen.energy_pj["generate"])
    assert gb.fill == pytest.approx(sram.energy_pj["write"] + agen.energy_pj["generate"])
    assert gb.update == pytest.approx(sram.energy_pj["update"] + agen.energy_pj["generate"])
    assert t.area["GlobalBuffer"] == pytest.approx(sram.area_um2 + agen.area_um2)
    # DRAM: LPDDR4 8 pJ/bit x 64 bits; no address generator, no area.
    assert t.level("DRAM").read == pytest.approx(8.0 * 64)
    assert t.area["DRAM"] == 0.0
    # Compute: a 16-bit mac.
    assert t.compute == pytest.approx(est("mac", bits=16).energy_pj["mac"])
    assert t.area["MAC"] == pytest.approx(est("mac", bits=16).area_um2)


def test_every_entry_has_provenance_and_the_table_its_technology():
    t = build_ert(arch())
    expected = {f"{n}.{a}" for n in ("DRAM", "GlobalBuffer", "RegFile") for a in ("read", "fill", "update")}
    expected |= {f"{n}.area" for n in ("DRAM", "GlobalBuffer", "RegFile", "MAC")} | {"MAC.compute"}
    expected |= {f"{n}.network" for n in ("DRAM", "GlobalBuffer", "RegFile")}  # the wire of one hop below
    expected |= {f"{n}.gated" for n in ("DRAM", "GlobalBuffer", "RegFile", "MAC")}  # an idle cycle
    assert set(t.provenance) == expected
    assert all(isinstance(v, str) and v for v in t.provenance.values())
    assert t.provenance["GlobalBuffer.read"] == "table (SRAM + address_generator)"
    assert t.provenance["MAC.compute"] == "table"
    assert t.technology == "45nm" and "table" in t.source


def test_technology_argument_overrides_the_architecture_and_is_recorded():
    t16 = build_ert(arch(), technology="16nm")
    assert t16.technology == "16nm"
    assert "45nm->16nm" in t16.provenance["GlobalBuffer.read"]
    assert build_ert(arch("16nm")).levels == t16.levels


def test_scaling_65_to_16nm_moves_energy_towards_dram_as_timeloop_fig12a():
    # Same access counts at both nodes: DRAM's share grows, arithmetic's and on-chip storage's shrink.
    counts = {"DRAM": 1.0, "GlobalBuffer": 20.0, "RegFile": 500.0, "MAC": 250.0}

    def shares(t):
        e = {n: counts[n] * t.level(n).read for n in ("DRAM", "GlobalBuffer", "RegFile")}
        e["MAC"] = counts["MAC"] * t.compute
        total = sum(e.values())
        return {n: v / total for n, v in e.items()}

    s65, s16 = shares(build_ert(arch("65nm"))), shares(build_ert(arch("16nm")))
    assert s16["DRAM"] > s65["DRAM"]
    for on_chip in ("GlobalBuffer", "RegFile", "MAC"):
        assert s16[on_chip] < s65[on_chip]


def test_levels_may_name_another_class_and_attributes():
    bare = arch(levels={1: {"component": "SRAM"}})  # no address generator
    assert build_ert(bare).level("GlobalBuffer").read == pytest.approx(
        est("SRAM", depth=16 * KIB, width=64).energy_pj["read"]
    )
    banked = arch(levels={1: {"attributes": (("n_banks", 4),)}})
    assert build_ert(banked).level("GlobalBuffer").read < build_ert(arch()).level("GlobalBuffer").read
    hbm = arch(levels={0: {"attributes": (("type", "HBM2"),)}})
    assert build_ert(hbm).level("DRAM").read == pytest.approx(3.9 * 64)
    low = arch(compute={"attributes": (("voltage", 0.8),)})
    assert build_ert(low).compute < build_ert(arch()).compute
    mult = arch(compute={"component": "multiplier"})
    assert build_ert(mult).compute == pytest.approx(est("multiplier", bits=16).energy_pj["multiply"])


def test_a_user_table_overrides_only_what_it_gives():
    registry = EstimatorRegistry(
        [
            UserTableEstimator({"GlobalBuffer": {"read": 7.0}, "MAC": {"mac": 0.5}}, {"RegFile": 100.0}),
            TableEstimator(),
        ]
    )
    t, base = build_ert(arch(), registry=registry), build_ert(arch())
    assert t.level("GlobalBuffer").read == 7.0
    assert t.level("GlobalBuffer").fill == pytest.approx(base.level("GlobalBuffer").fill)
    assert t.compute == 0.5 and t.area["RegFile"] == 100.0 and t.area["MAC"] == base.area["MAC"]
    assert t.provenance["GlobalBuffer.read"] == "user table"
    assert t.provenance["GlobalBuffer.fill"] == base.provenance["GlobalBuffer.fill"]
    assert t.provenance["RegFile.area"] == "user table" and t.provenance["MAC.compute"] == "user table"


def test_the_cached_default_table_is_not_shared():
    t = build_ert(arch())
    t.levels["DRAM"] = None  # type: ignore[assignment]
    t.provenance.clear()
    again = build_ert(arch())
    assert again.level("DRAM").read == pytest.approx(512.0) and again.provenance


@pytest.mark.parametrize(
    ("changes", "path", "found"),
    [
        (
            {"levels": {1: {"component": "smartbufer_SRAM"}}},
            "architecture.levels[1].component",
            "smartbufer_SRAM",
        ),
        (
            {"levels": {1: {"attributes": (("n_bankz", 2),)}}},
            "architecture.levels[1].attributes.n_bankz",
            "2",
        ),
        (
            {"levels": {1: {"attributes": (("n_banks", -2),)}}},
            "architecture.levels[1].attributes.n_banks",
            "-2",
        ),
        (
            {"levels": {0: {"attributes": (("type", "DDR9"),)}}},
            "architecture.levels[0].attributes.type",
            "DDR9",
        ),
        ({"compute": {"component": "SRAM"}}, "architecture.compute.attributes.depth", "nothing"),
        ({"compute": {"component": "wire", "attributes": (("length_um", 10.0),)}}, "", ""),
    ],
)
def test_bad_component_specs_are_spec_errors_with_a_path(changes, path, found):
    a = arch(**changes)
    if not path:  # a class without a compute action, but with one action: that one is the operation
        assert build_ert(a).compute > 0
        return
    with pytest.raises(SpecError) as err:
        build_ert(a)
    assert err.value.path == path
    assert found in str(err.value.found)


def test_a_storage_class_for_compute_or_a_compute_class_for_storage_is_refused():
    with pytest.raises(SpecError) as err:
        build_ert(
            arch(compute={"component": "smartbuffer_SRAM", "attributes": (("depth", 8), ("width", 16))})
        )
    assert err.value.path == "architecture.compute.component"
    with pytest.raises(SpecError) as err:
        build_ert(arch(levels={1: {"component": "adder", "attributes": (("bits", 8),)}}))
    assert err.value.path == "architecture.levels[1].component"


def test_missing_capacity_and_unknown_technology():
    unbounded = arch(levels={1: {"entries": None}})
    with pytest.raises(SpecError, match=r"GlobalBuffer\]\.entries"):
        build_ert(unbounded)
    with pytest.raises(SpecError) as err:
        build_ert(arch(), technology="3nm")
    assert err.value.path == "technology" and err.value.found == "3nm"
    with pytest.raises(SpecError) as err:
        build_ert(arch("3nm"))
    assert err.value.path == "architecture.technology"


def test_network_hop_is_a_wire_one_child_subtree_long():
    """pJ per word-hop below a level: a word-wide wire as long as the side of one child with all under it."""
    a = arch()
    t = build_ert(a)
    for i, lv in enumerate(a.levels):
        below = (
            sum(t.area[x.name] * x.instances for x in a.levels[i + 1 :]) + t.area["MAC"] * a.compute.instances
        )
        children = a.levels[i + 1].instances if i + 1 < len(a.levels) else a.compute.instances
        wire = est("wire", bits=lv.word_bits, length_um=(below / children) ** 0.5)
        assert t.network[lv.name] == pytest.approx(wire.energy_pj["transfer"])
    assert t.network["DRAM"] > t.network["GlobalBuffer"] > t.network["RegFile"] > 0
