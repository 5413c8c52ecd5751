"""Compound components: YAML classes whose actions are sums of subcomponent actions (Accelergy's model)."""

from __future__ import annotations

import textwrap

import pytest

from loopscape.energy.components import Component
from loopscape.energy.compound import builtin_library, evaluate, load_library
from loopscape.energy.estimators import EstimatorRegistry, TableEstimator
from loopscape.errors import SpecError


def registry(library=None) -> EstimatorRegistry:
    return EstimatorRegistry([TableEstimator()], library)


def test_builtin_compounds_cover_every_storage_class_default():
    lib = builtin_library()
    for name in ("smartbuffer_SRAM", "smartbuffer_RF", "PE"):
        assert lib.is_compound(name)
    assert not lib.is_compound("SRAM") and lib.get("SRAM").name == "SRAM"


def test_smartbuffer_read_is_sram_read_plus_address_generator():
    r = registry()
    buf = r.estimate(Component("smartbuffer_SRAM", {"depth": 4096, "width": 64}))
    sram = r.estimate(Component("SRAM", {"depth": 4096, "width": 64}))
    agen = r.estimate(Component("address_generator", {"bits": 12}))  # log2(4096)
    for action, sram_action in [("read", "read"), ("write", "write"), ("update", "update")]:
        assert buf.energy_pj[action] == pytest.approx(
            sram.energy_pj[sram_action] + agen.energy_pj["generate"]
        )
    assert buf.energy_pj["idle"] == pytest.approx(sram.energy_pj["idle"])
    assert buf.area_um2 == pytest.approx(sram.area_um2 + agen.area_um2)
    assert buf.source_of("read") == "table (SRAM + address_generator)"


def test_address_generator_width_rounds_up_and_is_at_least_one_bit():
    lib = builtin_library()
    for depth, bits in [(1, 1), (2, 1), (3, 2), (256, 8), (257, 9)]:
        comp = lib.complete(Component("smartbuffer_RF", {"depth": depth, "width": 16}))
        subs = {sub.name: child for sub, child, _ in lib.expand(comp).subcomponents}
        assert subs["address_generator"]["bits"] == bits


def test_technology_passes_down_to_subcomponents():
    r = registry()
    at45 = r.estimate(Component("smartbuffer_RF", {"depth": 256, "width": 16}))
    at16 = r.estimate(Component("smartbuffer_RF", {"depth": 256, "width": 16, "technology": "16nm"}))
    assert at16.energy_pj["read"] < at45.energy_pj["read"]
    assert "45nm->16nm" in at16.source_of("read")


def test_pe_compound_counts_subcomponents_and_repeats_actions():
    r = registry()
    pe = r.estimate(Component("PE", {"depth": 224}))
    rf = r.estimate(Component("regfile", {"depth": 224, "width": 16}))
    mac = r.estimate(Component("mac", {"bits": 16}))
    mux = r.estimate(Component("mux", {"n_inputs": 2, "bits": 16}))
    expected = (
        2 * rf.energy_pj["read"] + 2 * mux.energy_pj["select"] + mac.energy_pj["mac"] + rf.energy_pj["update"]
    )
    assert pe.energy_pj["mac"] == pytest.approx(expected)
    assert pe.area_um2 == pytest.approx(rf.area_um2 + mac.area_um2 + 2 * mux.area_um2)


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        (12, 12),
        ("depth * 2", 2048),
        ("max(1, ceil(log2(depth)))", 10),
        ("-depth // 3", -342),
        ("LPDDR4", "LPDDR4"),  # a bare word that names nothing is text
        ("45nm", "45nm"),  # not an expression: text
    ],
)
def test_attribute_expressions(expr, value):
    assert evaluate(expr, {"depth": 1024}, "p") == value


@pytest.mark.parametrize("expr", ["depth * widht", "__import__('os')", "depth.real", "log2(0)", "[1, 2][0]"])
def test_bad_expressions_are_spec_errors(expr):
    with pytest.raises(SpecError) as err:
        evaluate(expr, {"depth": 1024}, "cls.subcomponents.x.attributes.bits")
    assert err.value.path == "cls.subcomponents.x.attributes.bits"


USER_CLASSES = """
compound_components:
  banked_buffer:
    attributes: {depth: must_specify, width: 64, banks: 4}
    subcomponents:
      bank:
        class: SRAM
        count: banks
        attributes: {depth: "depth // banks", width: width}
      select:
        class: mux
        attributes: {n_inputs: banks, bits: width}
    actions:
      read:
        - {subcomponent: bank, action: read}
        - {subcomponent: select, action: select}
      write:
        - {subcomponent: bank, action: write}
"""


def test_user_compound_classes_load_from_files(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(textwrap.dedent(USER_CLASSES))
    lib = load_library([f])
    assert lib.is_compound("banked_buffer") and lib.is_compound("smartbuffer_SRAM")
    r = registry(lib)
    est = r.estimate(Component("banked_buffer", {"depth": 4096}))
    bank = r.estimate(Component("SRAM", {"depth": 1024, "width": 64}))
    mux = r.estimate(Component("mux", {"n_inputs": 4, "bits": 64}))
    assert est.energy_pj["read"] == pytest.approx(bank.energy_pj["read"] + mux.energy_pj["select"])
    assert est.area_um2 == pytest.approx(4 * bank.area_um2 + mux.area_um2)
    assert set(est.energy_pj) == {"read", "write"}


@pytest.mark.parametrize(
    ("edit", "path"),
    [
        (("class: mux", "class: muxx"), "compound_components.banked_buffer.subcomponents.select.class"),
        (("action: select", "action: choose"), "compound_components.banked_buffer.actions.read[1].action"),
        (
            ("subcomponent: bank, action: write", "subcomponent: banks, action: write"),
            "compound_components.banked_buffer.actions.write[0].subcomponent",
        ),
        (("count: banks", "cuont: banks"), "compound_components.banked_buffer.subcomponents.bank.cuont"),
    ],
)
def test_bad_compound_files_name_the_file_and_path(tmp_path, edit, path):
    f = tmp_path / "bad.yaml"
    f.write_text(textwrap.dedent(USER_CLASSES).replace(*edit))
    with pytest.raises(SpecError) as err:
        load_library([f])
    assert err.value.path == path
    assert "muxx" in str(err.value) or err.value.file == str(f)


def test_bad_values_inside_a_compound_surface_with_the_subcomponent_path(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(textwrap.dedent(USER_CLASSES))
    r = registry(load_library([f]))
    with pytest.raises(SpecError) as err:  # 4 banks of 2 // 4 = 0 entries
        r.estimate(Component("banked_buffer", {"depth": 2}), "architecture.levels[1]")
    assert err.value.path == "banked_buffer.subcomponents.bank.attributes.depth"
    with pytest.raises(SpecError) as err:
        r.estimate(Component("banked_buffer", {"depth": 64, "banks": -1}), "architecture.levels[1]")
    assert err.value.path == "architecture.levels[1].attributes.banks"
