"""Architecture: storage levels from the backing store down to an array of compute units."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from loopscape.errors import SpecError

STORAGE_CLASSES = ("DRAM", "SRAM", "regfile", "register")


@dataclass(frozen=True)
class Network:
    """The network from a storage level to its children (the next level's instances or the compute units)."""

    multicast: bool = True
    spatial_reduction: bool = True
    forwarding: bool = False


@dataclass(frozen=True)
class StorageLevel:
    """One storage level; capacities and bandwidths are per instance, in words."""

    name: str
    cls: str = "SRAM"
    instances: int = 1
    mesh_x: int | None = None
    entries: int | None = None  # capacity in words; None = unbounded
    word_bits: int = 16
    block_size: int = 1  # words per vector access
    read_bandwidth: float | None = None  # words / cycle / instance; None = unlimited
    write_bandwidth: float | None = None
    shared_bandwidth: float | None = None
    keeps: frozenset[str] | None = None  # tensors it may hold; None = any
    network: Network = field(default_factory=Network)
    # Gating (Timeloop's gating SAF): (target tensor, condition tensors) pairs; an access to the target costs the
    # gated energy when any condition tensor's value is zero.
    gating: tuple[tuple[str, tuple[str, ...]], ...] = ()
    component: str | None = None  # energy/area component class; None = the default for `cls`
    attributes: tuple[tuple[str, object], ...] = ()  # (name, value) pairs given to that component

    @property
    def mesh(self) -> tuple[int, int]:
        """(mesh X, mesh Y): instances are laid out mesh_x wide."""
        mx = self.mesh_x if self.mesh_x is not None else self.instances
        return mx, self.instances // mx

    @property
    def capacity_bits(self) -> int | None:
        return None if self.entries is None else self.entries * self.word_bits


@dataclass(frozen=True)
class ComputeLevel:
    """The arithmetic units at the leaves (MACs)."""

    name: str = "MAC"
    instances: int = 1
    mesh_x: int | None = None
    word_bits: int = 16
    gating: bool = False  # an operation with a zero operand costs the gated energy (compute gating SAF)
    component: str | None = None  # energy/area component class; None = `mac`
    attributes: tuple[tuple[str, object], ...] = ()  # (name, value) pairs given to that component

    @property
    def mesh(self) -> tuple[int, int]:
        mx = self.mesh_x if self.mesh_x is not None else self.instances
        return mx, self.instances // mx


DEFAULT_UPDATE_COMPONENT = "adder"  # an update unit's energy/area class unless it names another


@dataclass(frozen=True)
class UpdateUnit:
    """A weight-update unit (XploreDL): a small array of adders, fed by the storage level named `attach`,
    that runs the weight update of a training step (W <- W + dW') instead of the main compute array.

    `instances` adders laid out `mesh_x` wide (default: all in X) below the `attach` level's instances;
    `component` is their energy/area class (None: an `adder` of word_bits)."""

    name: str
    instances: int
    attach: str
    word_bits: int = 16
    mesh_x: int | None = None
    component: str | None = None

    @property
    def mesh(self) -> tuple[int, int]:
        mx = self.mesh_x if self.mesh_x is not None else self.instances
        return mx, self.instances // mx

    def compute_level(self) -> ComputeLevel:
        """The unit as the compute level of the weight-update architecture."""
        return ComputeLevel(
            name=self.name,
            instances=self.instances,
            mesh_x=self.mesh_x,
            word_bits=self.word_bits,
            component=self.component or DEFAULT_UPDATE_COMPONENT,
        )


@dataclass(frozen=True)
class Architecture:
    """Storage levels outermost (backing store, index 0) to innermost, over the compute units."""

    name: str
    levels: tuple[StorageLevel, ...]
    compute: ComputeLevel
    technology: str = "45nm"
    clock_ghz: float = 1.0  # for time, throughput and area per throughput
    update_unit: UpdateUnit | None = None  # runs the training step's weight update (None: the compute array)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not self.levels:
            raise SpecError("architecture.levels", [], "at least one storage level (the backing store)")
        names = [lv.name for lv in self.levels] + [self.compute.name]
        if len(set(names)) != len(names):
            raise SpecError("architecture.levels", names, "distinct level names")
        if not (isinstance(self.clock_ghz, (int, float)) and self.clock_ghz > 0):
            raise SpecError("architecture.clock_ghz", self.clock_ghz, "a positive clock frequency in GHz")
        prev_inst, prev_mx, prev_my = 1, 1, 1
        for i, lv in enumerate(self.levels):
            path = f"architecture.levels[{i}]"
            if lv.cls not in STORAGE_CLASSES:
                raise SpecError(f"{path}.class", lv.cls, f"one of {list(STORAGE_CLASSES)}")
            _check_instances(path, lv.instances, lv.mesh_x, prev_inst, prev_mx, prev_my)
            if lv.entries is not None and (not isinstance(lv.entries, int) or lv.entries < 1):
                raise SpecError(f"{path}.entries", lv.entries, "a positive integer number of words")
            if not isinstance(lv.word_bits, int) or lv.word_bits < 1:
                raise SpecError(f"{path}.word_bits", lv.word_bits, "a positive integer")
            if not isinstance(lv.block_size, int) or lv.block_size < 1:
                raise SpecError(f"{path}.block_size", lv.block_size, "a positive integer")
            for key in ("read_bandwidth", "write_bandwidth", "shared_bandwidth"):
                v = getattr(lv, key)
                if v is not None and not (isinstance(v, (int, float)) and v > 0):
                    raise SpecError(f"{path}.{key}", v, "a positive number of words per cycle")
            _check_component(path, lv.component, lv.attributes)
            prev_inst, (prev_mx, prev_my) = lv.instances, lv.mesh
        _check_instances(
            "architecture.compute", self.compute.instances, self.compute.mesh_x, prev_inst, prev_mx, prev_my
        )
        _check_component("architecture.compute", self.compute.component, self.compute.attributes)
        if self.update_unit is not None:
            self._check_update_unit(names)

    def _check_update_unit(self, names: list[str]) -> None:
        u, path = self.update_unit, "architecture.update_unit"
        if not isinstance(u, UpdateUnit):
            raise SpecError(path, u, "an UpdateUnit (name, instances, attach, word_bits, mesh_x)")
        if not isinstance(u.name, str) or not u.name:
            raise SpecError(f"{path}.name", u.name, "a name")
        if u.name in names:
            raise SpecError(f"{path}.name", u.name, f"a name distinct from the levels' {names}")
        levels = [lv.name for lv in self.levels]
        if u.attach not in levels:
            raise SpecError(
                f"{path}.attach", u.attach, f"the storage level feeding the unit, one of {levels}"
            )
        if not isinstance(u.word_bits, int) or isinstance(u.word_bits, bool) or u.word_bits < 1:
            raise SpecError(f"{path}.word_bits", u.word_bits, "a positive integer")
        feeder = self.levels[levels.index(u.attach)]
        if isinstance(u.instances, bool):
            raise SpecError(f"{path}.instances", u.instances, "a positive integer")
        _check_instances(path, u.instances, u.mesh_x, feeder.instances, *feeder.mesh)
        _check_component(path, u.component, ())

    def for_update(self) -> Architecture:
        """The architecture the weight-update pass runs on: the levels from the backing store down to the
        update unit's `attach` level, over the unit as compute level; the architecture itself when it declares
        none."""
        u = self.update_unit
        if u is None:
            return self
        return dataclasses.replace(
            self,
            name=f"{self.name}.{u.name}",
            levels=self.levels[: self.level_index(u.attach) + 1],
            compute=u.compute_level(),
            update_unit=None,
        )

    # --- lookups -------------------------------------------------------------------------------
    def level_index(self, name: str) -> int:
        for i, lv in enumerate(self.levels):
            if lv.name == name:
                return i
        raise KeyError(name)

    def fanout(self, level: int) -> tuple[int, int]:
        """(X, Y) fan-out from storage level `level` to the next level's instances (or the compute units)."""
        px, py = self.levels[level].mesh
        cx, cy = self.levels[level + 1].mesh if level + 1 < len(self.levels) else self.compute.mesh
        return cx // px, cy // py

    def may_keep(self, level: int, tensor: str) -> bool:
        keeps = self.levels[level].keeps
        return keeps is None or tensor in keeps


def _check_instances(path: str, inst: int, mesh_x: int | None, prev: int, prev_mx: int, prev_my: int) -> None:
    if not isinstance(inst, int) or inst < 1:
        raise SpecError(f"{path}.instances", inst, "a positive integer")
    if mesh_x is not None and (not isinstance(mesh_x, int) or mesh_x < 1 or inst % mesh_x):
        raise SpecError(f"{path}.mesh_x", mesh_x, f"a positive divisor of instances={inst}")
    if inst % prev:
        raise SpecError(f"{path}.instances", inst, f"a multiple of the level above's {prev} instances")
    mx = mesh_x if mesh_x is not None else inst
    my = inst // mx
    if mx % prev_mx or my % prev_my:
        raise SpecError(
            f"{path}.mesh_x", mx, f"a mesh ({mx}x{my}) that the level above's {prev_mx}x{prev_my} divides"
        )


def _check_component(path: str, component: str | None, attributes: tuple[tuple[str, object], ...]) -> None:
    """The component's form only; whether the class exists is checked where the ERT is built."""
    if component is not None and (not isinstance(component, str) or not component):
        raise SpecError(f"{path}.component", component, "a component class name")
    if not isinstance(attributes, tuple):
        raise SpecError(f"{path}.attributes", attributes, "a tuple of (name, value) pairs")
    seen: set[str] = set()
    for pair in attributes:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str) and pair[0]):
            raise SpecError(f"{path}.attributes", pair, "a (name, value) pair")
        if pair[0] in seen:
            raise SpecError(f"{path}.attributes.{pair[0]}", pair[1], "each attribute given once")
        seen.add(pair[0])
