"""Estimators behind a registry: who can price a component's actions, and how accurately.

Each estimator answers `accuracy(component)` (None: cannot estimate it; higher is more accurate) and
`estimate(component) -> Estimate`. `EstimatorRegistry.estimate` asks every estimator, takes each action
and the area from the most accurate one that gives it (ties: registration order), and expands compound
classes into their subcomponents where no estimator prices the compound as a whole. Built in:

* `UserTableEstimator`: numbers the user gave (an ERT/ART), accuracy 100: it overrides everything it has.
* `TableEstimator`: the cited reference numbers (`primitives.py`), carried to the component's node with
  Stillmaker & Baas 2017 (`technology.py`), accuracy 30.
* plug-ins found through the entry-point group `loopscape.estimators`;
* `HwComponentsEstimator`: the Accelergy project's `hwcomponents` package when it is importable.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import MappingProxyType, ModuleType
from typing import Any, ClassVar, Protocol, runtime_checkable

from loopscape.energy import technology as tech
from loopscape.energy.components import PRIMITIVES, Component
from loopscape.energy.compound import ComponentLibrary, builtin_library, evaluate
from loopscape.energy.primitives import LOGIC, OFF_CHIP, PRIMITIVE_COSTS, primitive_cost, reference_data
from loopscape.errors import LoopscapeError, SpecError

ENTRY_POINT_GROUP = "loopscape.estimators"
AREA = "area"  # the key of the area in Estimate.sources


class EstimatorError(LoopscapeError):
    """An estimator plug-in could not be loaded or failed while estimating."""


@dataclass(frozen=True)
class Estimate:
    """Energy per action (pJ) and area (um^2, None if this estimator has none) of one component."""

    energy_pj: Mapping[str, float]
    area_um2: float | None
    estimator: str  # which estimator produced it
    note: str = ""  # e.g. "scaled 45nm->16nm (Stillmaker & Baas 2017)"
    sources: Mapping[str, str] = field(default_factory=dict)  # action or 'area' -> who, where it differs

    def __post_init__(self) -> None:
        object.__setattr__(self, "energy_pj", MappingProxyType(dict(self.energy_pj)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    def source_of(self, key: str) -> str:
        """Who produced the entry `key` (an action or 'area'), with the note: 'table: scaled ...'."""
        return self.sources.get(key) or (f"{self.estimator}: {self.note}" if self.note else self.estimator)


@runtime_checkable
class Estimator(Protocol):
    """What the registry asks of an estimator."""

    name: str

    def accuracy(self, component: Component) -> int | None: ...

    def estimate(self, component: Component) -> Estimate: ...


# --- built-in estimators -----------------------------------------------------------------------------
class TableEstimator:
    """The built-in reference numbers (cited in `data/tables_<node>.yaml`), scaled to the component's node."""

    name = "table"
    ACCURACY = 30

    def __init__(self, technology: str = "45nm") -> None:
        self.ref = reference_data(technology)
        self.ref_nm = tech.parse_node(self.ref.technology)

    def accuracy(self, component: Component) -> int | None:
        return self.ACCURACY if component.cls in PRIMITIVE_COSTS else None

    def estimate(self, component: Component) -> Estimate:
        cost = primitive_cost(component.cls, component.attributes, self.ref)
        nm = tech.parse_node(component.get("technology", self.ref.technology))
        vdd = component.get("voltage")
        if cost.scaling == OFF_CHIP:
            e_scale = a_scale = 1.0
            note = "off chip: not scaled with the node" if nm != self.ref_nm else ""
        elif cost.scaling == LOGIC:
            e_scale = tech.energy_scale(self.ref_nm, nm, self.ref.vdd, vdd)
            a_scale = tech.area_scale(self.ref_nm, nm)
            note = tech.scaling_note(self.ref_nm, nm, vdd)
        else:  # wire: capacitance per mm barely scales, the supply does (Keckler et al. 2011)
            to_vdd = vdd if vdd is not None else (self.ref.vdd if nm == self.ref_nm else tech.nominal_vdd(nm))
            e_scale = (to_vdd / self.ref.wire_vdd) ** 2
            a_scale = 1.0
            note = f"Vdd^2 scaling to {to_vdd:.3g} V" if e_scale != 1.0 else ""
        energy = {action: pj * e_scale for action, pj in cost.energy_pj.items()}
        if "idle" in PRIMITIVES[component.cls].actions:  # leakage over one clock cycle: W * 1e3 / GHz = pJ
            energy["idle"] = cost.leak_w * e_scale * 1e3 / component.get("clock_ghz", 1.0)
        notes = "; ".join(n for n in (cost.note, note) if n)
        return Estimate(energy, cost.area_um2 * a_scale, self.name, notes)


class UserTableEstimator:
    """The user's own numbers, by component (level) name or class: they override every other estimator.

    `energy[name][action]` in pJ per action (the model's `fill` is the component's `write`); `area[name]`
    in um^2 per instance. Whatever a name lacks comes from the next most accurate estimator.
    """

    ACCURACY = 100

    def __init__(
        self,
        energy: Mapping[str, Mapping[str, float]] | None = None,
        area: Mapping[str, float] | None = None,
        name: str = "user table",
    ) -> None:
        self.name = name
        self.energy = {
            k: {("write" if a == "fill" else a): float(v) for a, v in d.items()}
            for k, d in (energy or {}).items()
        }
        self.area = {k: float(v) for k, v in (area or {}).items()}

    def _key(self, component: Component) -> str | None:
        for key in (component.name, component.cls):
            if key and (key in self.energy or key in self.area):
                return key
        return None

    def accuracy(self, component: Component) -> int | None:
        return self.ACCURACY if self._key(component) is not None else None

    def estimate(self, component: Component) -> Estimate:
        key = self._key(component)
        return Estimate(self.energy.get(key, {}), self.area.get(key), self.name)


class HwComponentsEstimator:
    """The Accelergy project's `hwcomponents` models (needs Python 3.12+): used when importable.

    Our classes map to theirs (SRAM, DRAM, Register, IntMAC, Multiplier, Adder, Comparator; an address
    generator is their Adder); accuracy is their model priority (0..1) x 100. Energies come back in J,
    areas in m^2 and leakage in W.
    """

    name = "hwcomponents"
    # our class -> (their class, our attribute -> theirs, our action -> theirs)
    CLASSES: ClassVar[dict[str, tuple[str, dict[str, str], dict[str, str]]]] = {
        "SRAM": (
            "SRAM",
            {"depth": "depth", "width": "width", "n_ports": "n_rw_ports", "n_banks": "n_banks"},
            {"read": "read", "write": "write", "update": "write"},
        ),
        "DRAM": (
            "DRAM",
            {"width": "width", "type": "type"},
            {"read": "read", "write": "write", "update": "write"},
        ),
        "register": ("Register", {"width": "width"}, {"read": "read", "write": "write", "update": "write"}),
        "mac": ("IntMAC", {"bits": "multiplier_width"}, {"mac": "mac"}),
        "multiplier": ("Multiplier", {"bits": "width"}, {"multiply": "multiply"}),
        "adder": ("Adder", {"bits": "width"}, {"add": "add"}),
        "comparator": ("Comparator", {"bits": "width"}, {"compare": "compare"}),
        "address_generator": ("Adder", {"bits": "width"}, {"generate": "add"}),
    }

    def __init__(self, module: ModuleType | None = None) -> None:
        self.hwc = module if module is not None else importlib.import_module("hwcomponents")

    @staticmethod
    def available() -> bool:
        """Whether `hwcomponents` can be imported here."""
        try:
            return importlib.util.find_spec("hwcomponents") is not None
        except (ImportError, ValueError):
            return False

    def _query(self, c: Component) -> tuple[str, dict[str, Any], dict[str, str]] | None:
        if c.cls not in self.CLASSES or (c.cls == "register" and c.get("depth", 1) != 1):
            return None
        theirs, attr_map, actions = self.CLASSES[c.cls]
        attrs: dict[str, Any] = {t: c[o] for o, t in attr_map.items() if o in c.attributes}
        if c.cls == "mac":
            attrs["adder_width"] = c["bits"]
        attrs["tech_node"] = tech.parse_node(c.get("technology", "45nm")) * 1e-9  # m
        attrs["global_cycle_seconds"] = 1e-9 / c.get("clock_ghz", 1.0)
        if c.get("voltage") is not None:
            attrs["voltage"] = c["voltage"]
        return theirs, attrs, actions

    def accuracy(self, component: Component) -> int | None:
        q = self._query(component)
        if q is None:
            return None
        theirs, attrs, actions = q
        try:
            model = self.hwc.get_model(theirs, dict(attrs), required_actions=sorted(set(actions.values())))
            priority = float(model.priority)
        except Exception:  # noqa: BLE001 - no hwcomponents model takes it: not ours to estimate
            return None
        return round(100 * priority)

    def _energy_j(self, theirs: str, attrs: dict[str, Any], action: str) -> float:
        """J per action: `get_action_cost` (hwcomponents 1.0.1xx) or `get_energy` (earlier releases)."""
        if hasattr(self.hwc, "get_action_cost"):
            return _as_float(self.hwc.get_action_cost(theirs, dict(attrs), action, {}))
        return _as_float(self.hwc.get_energy(theirs, dict(attrs), action, {}))

    def estimate(self, component: Component) -> Estimate:
        theirs, attrs, actions = self._query(component)  # type: ignore[misc]
        try:
            energy = {
                ours: self._energy_j(theirs, attrs, theirs_a) * 1e12 for ours, theirs_a in actions.items()
            }
            area = _as_float(self.hwc.get_area(theirs, dict(attrs))) * 1e12
            leak_w = _as_float(self.hwc.get_leak_power(theirs, dict(attrs)))
        except Exception as e:
            raise EstimatorError(f"hwcomponents could not estimate {component.cls}: {e}") from e
        energy["idle"] = leak_w * 1e3 / component.get("clock_ghz", 1.0)
        return Estimate(energy, area, self.name, f"hwcomponents {theirs}")


def _as_float(x: Any) -> float:
    """hwcomponents returns an action cost (`.energy`), an estimation (`.value`) or a number."""
    return float(getattr(x, "energy", getattr(x, "value", x)))


# --- plug-ins by entry point ---------------------------------------------------------------------------
def _as_estimator(obj: Any, what: str) -> Estimator:
    """An entry point's object as an estimator: an instance, or a class / factory called without arguments."""
    if isinstance(obj, type) or (not isinstance(obj, Estimator) and callable(obj)):
        try:
            obj = obj()
        except Exception as e:
            raise EstimatorError(f"{what}: could not be constructed ({type(e).__name__}: {e})") from e
    if not isinstance(obj, Estimator) or not isinstance(getattr(obj, "name", None), str):
        raise EstimatorError(
            f"{what}: not an estimator (needs name, accuracy(component), estimate(component))"
        )
    return obj


def entry_point_estimators(group: str = ENTRY_POINT_GROUP) -> list[Estimator]:
    """The estimators that installed packages declare under the entry-point group, sorted by name."""
    found = list(metadata.entry_points(group=group))
    estimators = []
    for ep in sorted(found, key=lambda e: e.name):
        what = f"estimator plug-in {ep.name!r} ({ep.value}, entry-point group {group!r})"
        try:
            obj = ep.load()
        except Exception as e:
            raise EstimatorError(f"{what}: could not be loaded ({type(e).__name__}: {e})") from e
        estimators.append(_as_estimator(obj, what))
    return estimators


# --- the registry --------------------------------------------------------------------------------------
class EstimatorRegistry:
    """Estimators in registration order, and the component library whose classes they price."""

    def __init__(self, estimators: Iterable[Estimator] = (), library: ComponentLibrary | None = None) -> None:
        self.library = library if library is not None else builtin_library()
        self._estimators: list[Estimator] = []
        self._cache: dict[tuple[Any, ...], Estimate] = {}
        for e in estimators:
            self.register(e)

    @classmethod
    def discover(
        cls,
        user: UserTableEstimator | None = None,
        library: ComponentLibrary | None = None,
        plugins: bool = True,
        hwcomponents: bool = True,
    ) -> EstimatorRegistry:
        """The user's table (if any), the built-in table, entry-point plug-ins and hwcomponents if present."""
        estimators: list[Estimator] = [user] if user is not None else []
        estimators.append(TableEstimator())
        if plugins:
            estimators.extend(entry_point_estimators())
        if hwcomponents and HwComponentsEstimator.available():
            try:
                estimators.append(HwComponentsEstimator())
            except ImportError:
                pass  # importable in name only (e.g. a broken install): run without it
        return cls(estimators, library)

    @property
    def estimators(self) -> tuple[Estimator, ...]:
        return tuple(self._estimators)

    def register(self, estimator: Estimator) -> None:
        """Add an estimator (after those already registered: it loses ties to them)."""
        estimator = _as_estimator(estimator, f"estimator {estimator!r}")
        if any(e.name == estimator.name for e in self._estimators):
            raise EstimatorError(f"an estimator named {estimator.name!r} is already registered")
        self._estimators.append(estimator)
        self._cache.clear()

    def ranked(self, component: Component) -> list[tuple[int, Estimator]]:
        """(accuracy, estimator) of those that can estimate `component`, most accurate first."""
        ranked = []
        for i, est in enumerate(self._estimators):
            acc = _call(est, "accuracy", component)
            if acc is not None:
                ranked.append((-acc, i, est))
        return [(-neg, est) for neg, _, est in sorted(ranked, key=lambda t: (t[0], t[1]))]

    def estimate(self, component: Component, path: str = "component") -> Estimate:
        """Energy per action and area of `component`, each taken from the most accurate estimator having it."""
        component = self.library.complete(component, path)
        key = component.key()
        if key is not None and key in self._cache:
            return self._cache[key]
        cls = self.library.get(component.cls)
        try:
            estimates = [_call(est, "estimate", component) for _, est in self.ranked(component)]
        except SpecError as e:  # an attribute value the estimator refuses (e.g. an unknown DRAM type)
            raise (e.under(f"{path}.attributes") if e.path in component.attributes else e) from None
        if self.library.is_compound(component.cls):
            estimates.append(self._expand(component, path))
        result = _merge(component, cls.actions, estimates, path, [e.name for e in self._estimators])
        if key is not None:
            self._cache[key] = result
        return result

    def _expand(self, component: Component, path: str) -> Estimate:
        """A compound's actions as the sums of its subcomponents' actions; its area as the sum of theirs."""
        cls = self.library.get(component.cls)
        expanded = self.library.expand(component, path)
        subs = {
            sub.name: (sub, self.estimate(child, f"{path}.{sub.name}"), n)
            for sub, child, n in expanded.subcomponents
        }
        energy: dict[str, float] = {}
        sources: dict[str, str] = {}
        for action, parts in cls.action_parts:  # type: ignore[attr-defined]
            total = 0.0
            used = []
            for part in parts:
                sub, est, _ = subs[part.sub]
                repeat = evaluate(part.repeat, expanded.env, f"{cls.name}.actions.{action}.repeat")
                if not isinstance(repeat, (int, float)) or repeat < 0:
                    raise SpecError(f"{cls.name}.actions.{action}.repeat", repeat, "a number >= 0")
                total += repeat * est.energy_pj[part.action]
                used.append((sub.cls, est.source_of(part.action)))
            energy[action] = total
            sources[action] = _combine(cls.name, used)
        area = sum(est.area_um2 * n for _, est, n in subs.values())  # type: ignore[operator]
        sources[AREA] = _combine(cls.name, [(sub.cls, est.source_of(AREA)) for sub, est, _ in subs.values()])
        return Estimate(energy, area, "compound", f"{cls.name} expanded", sources)


def _combine(compound: str, used: list[tuple[str, str]]) -> str:
    """One provenance line for a compound entry from its parts' (class, source)."""
    classes = list(dict.fromkeys(c for c, _ in used))
    sources = list(dict.fromkeys(s for _, s in used))
    if len(sources) == 1:
        head, _, note = sources[0].partition(": ")
        return f"{head} ({' + '.join(classes)})" + (f": {note}" if note else "")
    return f"{compound}: " + "; ".join(f"{c} <- {s}" for c, s in dict.fromkeys(used))


def _call(est: Estimator, method: str, component: Component) -> Any:
    """`est.method(component)`, with a plug-in's own failure reported as an EstimatorError naming it."""
    try:
        return getattr(est, method)(component)
    except (SpecError, EstimatorError):
        raise
    except Exception as e:
        raise EstimatorError(
            f"estimator {est.name!r} failed in {method}({component.cls}): {type(e).__name__}: {e}"
        ) from e


def _merge(
    component: Component, actions: tuple[str, ...], estimates: list[Estimate], path: str, names: list[str]
) -> Estimate:
    """Each action and the area from the first (most accurate) estimate that has it."""
    energy: dict[str, float] = {}
    sources: dict[str, str] = {}
    for action in actions:
        for est in estimates:
            if action in est.energy_pj:
                energy[action] = float(est.energy_pj[action])
                sources[action] = est.source_of(action)
                break
        else:
            if action != "idle":
                raise SpecError(
                    path, component.cls, f"an estimator for its {action!r} action (registered: {names})"
                )
            energy[action], sources[action] = 0.0, "none: no leakage estimate"
    area = next((est for est in estimates if est.area_um2 is not None), None)
    if area is None:
        raise SpecError(path, component.cls, f"an estimator for its area (registered: {names})")
    sources[AREA] = area.source_of(AREA)
    top = estimates[0]
    return Estimate(energy, float(area.area_um2), top.estimator, top.note, sources)  # type: ignore[arg-type]


__all__ = [
    "AREA",
    "ENTRY_POINT_GROUP",
    "Estimate",
    "Estimator",
    "EstimatorError",
    "EstimatorRegistry",
    "HwComponentsEstimator",
    "TableEstimator",
    "UserTableEstimator",
    "entry_point_estimators",
]
