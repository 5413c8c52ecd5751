"""Component classes and attributes: defaults filled in, bad specs rejected with the path of the mistake."""

from __future__ import annotations

import pytest

from loopscape.energy.components import PRIMITIVES, Component, complete_attributes
from loopscape.energy.compound import builtin_library
from loopscape.energy.primitives import PRIMITIVE_COSTS
from loopscape.errors import SpecError


def test_every_primitive_class_has_a_cost_model_and_the_documented_actions():
    assert set(PRIMITIVES) == set(PRIMITIVE_COSTS)
    for name in ("SRAM", "regfile", "register", "DRAM"):
        assert PRIMITIVES[name].actions == ("read", "write", "update", "idle")
    assert PRIMITIVES["mac"].actions == ("mac", "idle")
    assert PRIMITIVES["address_generator"].actions == ("generate",)
    for cls in PRIMITIVES.values():
        assert {"technology", "voltage", "clock_ghz"} <= set(cls.attribute_names())


def test_defaults_are_filled_in_and_values_normalised():
    attrs = complete_attributes(
        PRIMITIVES["SRAM"], {"depth": 1024.0, "width": 64, "technology": "16 nm"}, "x"
    )
    assert attrs == {
        "depth": 1024,
        "width": 64,
        "n_ports": 1,
        "n_banks": 1,
        "technology": "16nm",
        "voltage": None,
        "clock_ghz": 1.0,
    }
    assert isinstance(attrs["depth"], int)
    assert complete_attributes(PRIMITIVES["DRAM"], {"width": 64}, "x")["type"] == "LPDDR4"


def test_component_attributes_are_read_only_and_keyed():
    c = Component("adder", {"bits": 8}, "a")
    with pytest.raises(TypeError):
        c.attributes["bits"] = 9  # type: ignore[index]
    assert c["bits"] == 8 and c.get("nope", 3) == 3
    assert c.key() == ("adder", "a", (("bits", 8),))
    assert Component("adder", {"bits": [8]}).key() is None  # unhashable: not cached, still usable


@pytest.mark.parametrize(
    ("cls", "given", "path", "found"),
    [
        ("SRAM", {"width": 64}, "lvl.depth", "nothing"),  # missing attribute
        ("SRAM", {"depth": -4, "width": 64}, "lvl.depth", -4),  # negative size
        ("SRAM", {"depth": 0, "width": 64}, "lvl.depth", 0),
        ("SRAM", {"depth": 2.5, "width": 64}, "lvl.depth", 2.5),
        ("SRAM", {"depth": True, "width": 64}, "lvl.depth", True),
        ("SRAM", {"depth": 8, "width": 64, "n_bankz": 2}, "lvl.n_bankz", 2),  # unknown attribute
        ("wire", {"bits": 8, "length_um": -1.0}, "lvl.length_um", -1.0),
        ("mac", {"bits": 16, "clock_ghz": 0}, "lvl.clock_ghz", 0),
        ("mac", {"bits": 16, "voltage": -0.8}, "lvl.voltage", -0.8),
        ("mac", {"bits": 16, "technology": "3nm"}, "lvl.technology", "3nm"),
        ("DRAM", {"width": 64, "type": ""}, "lvl.type", ""),
    ],
)
def test_bad_attributes_are_spec_errors_with_a_path(cls, given, path, found):
    with pytest.raises(SpecError) as err:
        complete_attributes(PRIMITIVES[cls], given, "lvl")
    assert err.value.path == path
    assert err.value.found == found


def test_unknown_class_is_a_spec_error_naming_the_nearest_class():
    with pytest.raises(SpecError) as err:
        builtin_library().complete(Component("smartbufer_SRAM", {}), "architecture.levels[1]")
    assert err.value.path == "architecture.levels[1].class"
    assert "smartbufer_SRAM" in str(err.value) and "did you mean 'smartbuffer_SRAM'" in str(err.value)
