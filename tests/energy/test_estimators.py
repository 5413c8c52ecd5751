"""The estimator registry: the most accurate estimator wins per action, plug-ins by entry point, provenance."""

from __future__ import annotations

import importlib.metadata
import sys
import types

import pytest

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy import (
    ENTRY_POINT_GROUP,
    Component,
    Estimate,
    EstimatorError,
    EstimatorRegistry,
    HwComponentsEstimator,
    TableEstimator,
    UserTableEstimator,
    build_ert,
)
from loopscape.energy.estimators import entry_point_estimators
from loopscape.errors import SpecError


class FixedMultiplier:
    """A plug-in defined here: prices multipliers (and MACs) at a fixed energy, with a given accuracy."""

    def __init__(self, accuracy: int = 80, name: str = "fixed", pj: float = 1.25) -> None:
        self.name, self._accuracy, self.pj = name, accuracy, pj

    def accuracy(self, component: Component) -> int | None:
        return self._accuracy if component.cls in ("multiplier", "mac") else None

    def estimate(self, component: Component) -> Estimate:
        action = "mac" if component.cls == "mac" else "multiply"
        return Estimate({action: self.pj * component["bits"] / 16}, 42.0, self.name, "from the tests")


def small_arch() -> Architecture:
    return Architecture(
        "small",
        (StorageLevel("DRAM", cls="DRAM"), StorageLevel("Buf", cls="SRAM", entries=1024)),
        ComputeLevel("MAC", word_bits=16),
    )


def test_the_most_accurate_estimator_wins_and_is_recorded():
    table = TableEstimator()
    registry = EstimatorRegistry([table, FixedMultiplier(accuracy=80)])
    e = registry.estimate(Component("multiplier", {"bits": 16}))
    assert e.energy_pj["multiply"] == 1.25 and e.area_um2 == 42.0
    assert e.estimator == "fixed" and e.source_of("multiply") == "fixed: from the tests"
    # What the plug-in lacks (idle) comes from the next most accurate: the table.
    assert (
        e.energy_pj["idle"]
        == table.estimate(registry.library.complete(Component("multiplier", {"bits": 16}))).energy_pj["idle"]
    )
    assert e.source_of("idle") == "table"
    # Less accurate than the table: the table wins.
    low = EstimatorRegistry([table, FixedMultiplier(accuracy=10)])
    assert low.estimate(Component("multiplier", {"bits": 16})).estimator == "table"


def test_ties_go_to_the_first_registered():
    a, b = FixedMultiplier(50, "a", 1.0), FixedMultiplier(50, "b", 2.0)
    assert EstimatorRegistry([a, b]).estimate(Component("multiplier", {"bits": 16})).estimator == "a"
    assert EstimatorRegistry([b, a]).estimate(Component("multiplier", {"bits": 16})).estimator == "b"


def test_ranked_lists_only_those_that_can_estimate():
    registry = EstimatorRegistry([TableEstimator(), FixedMultiplier(80)])
    assert [(acc, e.name) for acc, e in registry.ranked(Component("mac", {"bits": 8}))] == [
        (80, "fixed"),
        (30, "table"),
    ]
    assert [e.name for _, e in registry.ranked(Component("adder", {"bits": 8}))] == ["table"]


def test_a_plugin_reaches_the_ert_with_provenance():
    registry = EstimatorRegistry([TableEstimator(), FixedMultiplier(80)])
    t = build_ert(small_arch(), registry=registry)
    assert t.compute == 1.25
    assert t.provenance["MAC.compute"] == "fixed: from the tests" and t.area["MAC"] == 42.0
    assert t.provenance["Buf.read"] == "table (SRAM + address_generator)"
    assert "fixed" in t.source and "table" in t.source


def test_user_table_beats_everything_for_what_it_has():
    user = UserTableEstimator({"MAC": {"mac": 9.0}, "adder": {"add": 0.5}}, name="my ERT")
    registry = EstimatorRegistry([user, TableEstimator(), FixedMultiplier(99)])
    assert registry.estimate(Component("mac", {"bits": 16}, "MAC")).energy_pj["mac"] == 9.0  # by name
    assert registry.estimate(Component("mac", {"bits": 16}, "other")).estimator == "fixed"
    by_class = registry.estimate(Component("adder", {"bits": 8}))  # by class
    assert by_class.energy_pj["add"] == 0.5 and by_class.source_of("add") == "my ERT"
    assert by_class.source_of("area") == "table"  # the user gave no area


def test_missing_estimates_are_spec_errors_naming_the_component():
    registry = EstimatorRegistry([FixedMultiplier(80)])  # no table: nothing prices an adder
    with pytest.raises(SpecError) as err:
        registry.estimate(Component("adder", {"bits": 8}), "architecture.compute")
    assert err.value.path == "architecture.compute" and "'add'" in err.value.expected
    # Idle without any estimate is zero, and says so.
    e = registry.estimate(Component("multiplier", {"bits": 8}))
    assert e.energy_pj["idle"] == 0.0 and "no leakage" in e.source_of("idle")


class Broken:
    name = "broken"

    def accuracy(self, component: Component) -> int | None:
        return 99

    def estimate(self, component: Component) -> Estimate:
        raise ZeroDivisionError("oops")


def test_a_failing_plugin_is_named():
    with pytest.raises(
        EstimatorError, match="'broken' failed in estimate\\(adder\\): ZeroDivisionError: oops"
    ):
        EstimatorRegistry([Broken()]).estimate(Component("adder", {"bits": 8}))


def test_registration_checks_the_protocol_and_names():
    registry = EstimatorRegistry([TableEstimator()])
    with pytest.raises(EstimatorError, match="already registered"):
        registry.register(TableEstimator())
    with pytest.raises(EstimatorError, match="not an estimator"):
        registry.register(object())  # type: ignore[arg-type]
    registry.register(FixedMultiplier)  # a class is instantiated  # type: ignore[arg-type]
    assert [e.name for e in registry.estimators] == ["table", "fixed"]


# --- entry points ----------------------------------------------------------------------------------------
class FakeEntryPoint:
    def __init__(self, name: str, obj: object, value: str = "tests:thing") -> None:
        self.name, self.value, self._obj = name, value, obj

    def load(self) -> object:
        if isinstance(self._obj, Exception):
            raise self._obj
        return self._obj


def fake_entry_points(monkeypatch, *eps: FakeEntryPoint) -> None:
    def entry_points(**kw):
        return list(eps) if kw.get("group") == ENTRY_POINT_GROUP else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_plugins_are_discovered_by_entry_point(monkeypatch):
    fake_entry_points(
        monkeypatch,
        FakeEntryPoint("zz_instance", FixedMultiplier(90, "instance")),
        FakeEntryPoint("aa_class", FixedMultiplier),  # a class: instantiated with no arguments
        FakeEntryPoint("mm_factory", lambda: FixedMultiplier(95, "factory", 3.0)),
    )
    assert [e.name for e in entry_point_estimators()] == [
        "fixed",
        "factory",
        "instance",
    ]  # by entry-point name
    registry = EstimatorRegistry.discover(hwcomponents=False)
    assert [e.name for e in registry.estimators] == ["table", "fixed", "factory", "instance"]
    t = build_ert(small_arch(), registry=registry)
    assert t.compute == 3.0 and t.provenance["MAC.compute"].startswith("factory")


def test_no_entry_points_means_just_the_table(monkeypatch):
    fake_entry_points(monkeypatch)
    registry = EstimatorRegistry.discover(hwcomponents=False)
    assert [e.name for e in registry.estimators] == ["table"]
    user = UserTableEstimator({"Buf": {"read": 1.0}})
    assert [e.name for e in EstimatorRegistry.discover(user=user, hwcomponents=False).estimators] == [
        "user table",
        "table",
    ]


@pytest.mark.parametrize(
    ("obj", "message"),
    [(ImportError("no module named x"), "could not be loaded"), (42, "not an estimator"), (Broken, None)],
)
def test_broken_entry_points_are_named(monkeypatch, obj, message):
    fake_entry_points(monkeypatch, FakeEntryPoint("bad", obj, "badpkg:thing"))
    if message is None:  # a well-formed class loads fine; it fails only when used
        assert [e.name for e in entry_point_estimators()] == ["broken"]
        return
    with pytest.raises(EstimatorError, match=f"'bad' \\(badpkg:thing.*{message}"):
        entry_point_estimators()


# --- hwcomponents ------------------------------------------------------------------------------------------
def test_without_hwcomponents_nothing_breaks(monkeypatch):
    monkeypatch.setitem(sys.modules, "hwcomponents", None)  # import fails as if not installed
    monkeypatch.setattr(HwComponentsEstimator, "available", staticmethod(lambda: False))
    fake_entry_points(monkeypatch)
    registry = EstimatorRegistry.discover()
    assert "hwcomponents" not in [e.name for e in registry.estimators]
    assert build_ert(small_arch(), registry=registry).compute > 0


def fake_hwcomponents(action_cost: bool = False) -> types.ModuleType:
    """A stand-in for hwcomponents' API: SI units, Adder and SRAM models with priorities.

    `action_cost`: the 1.0.1xx API (`get_action_cost(...).energy`) instead of `get_energy(...).value`.
    """
    mod = types.ModuleType("hwcomponents")
    priorities = {"Adder": 0.9, "SRAM": 0.2}
    calls: list[tuple] = []

    class Model:
        def __init__(self, priority: float) -> None:
            self.priority = priority

    def get_model(name, attrs, required_actions=()):
        calls.append(("model", name, dict(attrs), tuple(required_actions)))
        if name not in priorities:
            raise RuntimeError(f"no model for {name}")
        return Model(priorities[name])

    def get_energy(name, attrs, action, args):
        calls.append(("energy", name, action))
        return types.SimpleNamespace(value=attrs["width"] * 1e-14)  # J: 0.01 pJ per bit

    mod.get_model = get_model
    if action_cost:
        mod.get_action_cost = lambda *a: types.SimpleNamespace(energy=get_energy(*a).value, latency=0.0)
    else:
        mod.get_energy = get_energy
    mod.get_area = lambda name, attrs: attrs["width"] * 1e-12  # m^2: 1 um^2 per bit
    mod.get_leak_power = lambda name, attrs: 2e-6  # W
    mod.calls = calls
    return mod


@pytest.mark.parametrize("action_cost", [False, True])
def test_hwcomponents_adapter_maps_classes_units_and_accuracy(action_cost):
    mod = fake_hwcomponents(action_cost)
    hwc = HwComponentsEstimator(mod)
    adder = Component(
        "address_generator", {"bits": 12, "technology": "16nm", "clock_ghz": 2.0, "voltage": None}
    )
    assert hwc.accuracy(adder) == 90
    _, name, attrs, actions = mod.calls[-1]
    assert name == "Adder" and actions == ("add",)
    assert (
        attrs["width"] == 12
        and attrs["tech_node"] == pytest.approx(16e-9)
        and attrs["global_cycle_seconds"] == 5e-10
    )
    e = hwc.estimate(adder)
    assert e.energy_pj["generate"] == pytest.approx(0.12) and e.area_um2 == pytest.approx(12.0)
    assert e.energy_pj["idle"] == pytest.approx(2e-6 * 1e3 / 2.0)  # W over a 0.5 ns cycle, in pJ
    assert hwc.accuracy(Component("multiplier", {"bits": 8, "technology": "45nm"})) is None  # no model
    assert hwc.accuracy(Component("wire", {"bits": 8, "length_um": 1.0})) is None  # no mapping


def test_hwcomponents_wins_where_more_accurate_and_says_so():
    registry = EstimatorRegistry([TableEstimator(), HwComponentsEstimator(fake_hwcomponents())])
    t = build_ert(small_arch(), registry=registry)
    # Buf = SRAM (table: 30 beats hwcomponents' 0.2 -> 20) + address generator (hwcomponents 90).
    assert (
        t.provenance["Buf.read"]
        == "smartbuffer_SRAM: SRAM <- table; address_generator <- hwcomponents: hwcomponents Adder"
    )
    assert t.provenance["MAC.compute"] == "table"


def test_real_hwcomponents_when_installed():
    """Runs where hwcomponents is importable. How: a Python 3.12 venv with `pip install hwcomponents
    hwcomponents-library hwcomponents-neurosim numpy pyyaml pytest hypothesis`, then
    `PYTHONPATH=src <venv>/bin/python -m pytest tests/energy` (checked with hwcomponents 1.0.114)."""
    pytest.importorskip("hwcomponents")
    hwc = HwComponentsEstimator()
    adder = Component("adder", {"bits": 32, "technology": "45nm", "clock_ghz": 1.0, "voltage": None})
    if hwc.accuracy(adder) is None:
        pytest.skip("no hwcomponents model for an adder is installed (hwcomponents-library)")
    e = hwc.estimate(adder)
    assert 0.001 < e.energy_pj["add"] < 10 and e.area_um2 > 0
