"""Memory hierarchies generated from a memory pool (ZigZag's memory-pool-based hierarchy search; survey 000).

A pool lists candidate memories (class, size, shared or one per PE, bandwidth and ports). A hierarchy picks, for
each operand, a chain of pool memories ordered outermost to innermost (shared before per-PE, larger before
smaller). Balanced hierarchies give every operand the same chain; unbalanced (per-operand) ones give each its
own, and a memory chosen by several operands is one physical memory keeping them all. ZigZag's pruning: each
memory of a chain is at least `min_size_ratio` times the size of the next one in, and the on-chip memories'
area (default ART at the pool's reference node, word width and PE count) is within `area_budget_mm2`.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from functools import cached_property

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.errors import SpecError
from loopscape.io.spec_yaml import (
    as_bool,
    as_int,
    as_number,
    as_str,
    as_str_list,
    check_keys,
    expect_list,
    expect_map,
    get,
    join,
)

ON_CHIP_CLASSES = ("SRAM", "regfile", "register")
DEFAULT_OPERANDS = ("Weights", "Inputs", "Outputs")


@dataclass(frozen=True)
class PoolMemory:
    """A candidate memory: `size_bytes` per instance, one instance shared or one per PE; `bandwidth` in words per
    cycle per port (None: unlimited); `ports` 1 (one read/write port) or 2 (a read and a write port)."""

    name: str
    cls: str
    size_bytes: int
    per_pe: bool = False
    bandwidth: float | None = None
    ports: int = 2

    def order(self) -> tuple:
        """Outermost first: shared before per-PE, then larger before smaller, then by name."""
        return (self.per_pe, -self.size_bytes, self.name)

    def level(
        self, keeps: frozenset[str] | None, pes: int, mesh_x: int | None, word_bits: int
    ) -> StorageLevel:
        """This memory as a storage level of words of `word_bits` over `pes` compute units."""
        bw = self.bandwidth
        return StorageLevel(
            self.name,
            cls=self.cls,
            instances=pes if self.per_pe else 1,
            mesh_x=mesh_x if self.per_pe else None,
            entries=max(1, self.size_bytes * 8 // word_bits),
            word_bits=word_bits,
            read_bandwidth=bw if self.ports == 2 else None,
            write_bandwidth=bw if self.ports == 2 else None,
            shared_bandwidth=bw if self.ports == 1 else None,
            keeps=keeps,
        )


@dataclass(frozen=True)
class Hierarchy:
    """On-chip levels outermost to innermost: (memory name, operands it keeps; None = every tensor)."""

    name: str
    levels: tuple[tuple[str, frozenset[str] | None], ...]


@dataclass(frozen=True)
class MemoryPool:
    """The pool, the operands, chain lengths, whether unbalanced hierarchies are generated, and the pruning."""

    memories: tuple[PoolMemory, ...]
    operands: tuple[str, ...] = DEFAULT_OPERANDS
    min_levels: int = 1
    max_levels: int = 2
    unbalanced: bool = False
    min_size_ratio: float = 2.0
    area_budget_mm2: float | None = None
    technology: str = "45nm"  # the reference the area budget is checked at
    word_bits: int = 16
    pes: int = 256

    def fingerprint(self) -> dict:
        return asdict(self)

    @cached_property
    def _by_name(self) -> dict[str, PoolMemory]:
        return {m.name: m for m in self.memories}

    def chains(self) -> list[tuple[PoolMemory, ...]]:
        """Every chain of min..max pool memories, outermost first, that passes the size-ratio pruning."""
        ordered = sorted(self.memories, key=PoolMemory.order)
        out = []
        for n in range(self.min_levels, self.max_levels + 1):
            for chain in itertools.combinations(ordered, n):
                if all(
                    a.size_bytes >= self.min_size_ratio * b.size_bytes for a, b in itertools.pairwise(chain)
                ):
                    out.append(chain)
        return out

    def hierarchies(self) -> list[Hierarchy]:
        """Balanced hierarchies, then (when `unbalanced`) per-operand ones, each within the area budget."""
        chains = self.chains()
        found: dict[str, Hierarchy] = {}
        for chain in chains:
            h = Hierarchy("+".join(m.name for m in chain), tuple((m.name, None) for m in chain))
            found.setdefault(h.name, h)
        if self.unbalanced:
            for per_operand in itertools.product(chains, repeat=len(self.operands)):
                if all(c == per_operand[0] for c in per_operand):
                    continue  # the balanced one
                found.setdefault(*_merged(self.operands, per_operand))
        return [h for h in found.values() if self._within_budget(h)]

    def _within_budget(self, h: Hierarchy) -> bool:
        if self.area_budget_mm2 is None:
            return True
        return self.area_mm2(h) <= self.area_budget_mm2

    def area_mm2(self, h: Hierarchy) -> float:
        """On-chip memory area of `h` at the pool's reference node, word width and PE count."""
        from loopscape.energy.defaults import default_table

        levels = self.levels(h.name, self.pes, None, self.word_bits, h)
        arch = Architecture(
            "pool",
            (StorageLevel("DRAM", cls="DRAM", word_bits=self.word_bits), *levels),
            ComputeLevel("MAC", instances=self.pes, word_bits=self.word_bits),
            technology=self.technology,
        )
        area = default_table(arch).area
        return sum(area.get(lv.name, 0.0) * lv.instances for lv in levels) / 1e6

    def hierarchy(self, name: str) -> Hierarchy:
        """The generated hierarchy called `name`."""
        if name not in self._hierarchies:
            raise SpecError("parameters.hierarchy", name, "a hierarchy the memory pool generates")
        return self._hierarchies[name]

    @cached_property
    def _hierarchies(self) -> dict[str, Hierarchy]:
        return {h.name: h for h in self.hierarchies()}

    def levels(
        self, name: str, pes: int, mesh_x: int | None, word_bits: int, h: Hierarchy | None = None
    ) -> tuple[StorageLevel, ...]:
        """The storage levels of hierarchy `name` over `pes` compute units (mesh `mesh_x` wide)."""
        h = h or self.hierarchy(name)
        return tuple(self._by_name[m].level(keeps, pes, mesh_x, word_bits) for m, keeps in h.levels)


def _merged(operands: tuple[str, ...], chains: tuple[tuple[PoolMemory, ...], ...]) -> tuple[str, Hierarchy]:
    """One hierarchy from a chain per operand: each memory keeps the operands whose chain holds it."""
    keeps: dict[str, set[str]] = {}
    memories: dict[str, PoolMemory] = {}
    for op, chain in zip(operands, chains):
        for m in chain:
            keeps.setdefault(m.name, set()).add(op)
            memories[m.name] = m
    ordered = sorted(memories.values(), key=PoolMemory.order)
    levels = tuple(
        (m.name, None if len(keeps[m.name]) == len(operands) else frozenset(keeps[m.name])) for m in ordered
    )
    name = ",".join(f"{op}={'+'.join(m.name for m in chain)}" for op, chain in zip(operands, chains))
    return name, Hierarchy(name, levels)


def parse_memory_pool(value: object, path: str) -> MemoryPool:
    """A MemoryPool from its spec mapping (module docstring); SpecError at the path inside it."""
    from loopscape.energy.technology import node_name, parse_node

    node = expect_map(value, path)
    allowed = (
        "memories",
        "operands",
        "levels",
        "unbalanced",
        "min_size_ratio",
        "area_budget_mm2",
        "reference",
    )
    check_keys(node, path, allowed, required=("memories",))
    items = expect_list(node["memories"], join(path, "memories"), "a list of candidate memories")
    if not items:
        raise SpecError(join(path, "memories"), "an empty list", "at least one candidate memory")
    memories = tuple(_memory(item, join(join(path, "memories"), i)) for i, item in enumerate(items))
    names = [m.name for m in memories]
    if len(set(names)) != len(names):
        raise SpecError(join(path, "memories"), names, "distinct memory names")
    operands = tuple(get(node, "operands", path, as_str_list, default=list(DEFAULT_OPERANDS)))
    if not operands or len(set(operands)) != len(operands):
        raise SpecError(join(path, "operands"), list(operands), "distinct tensor names")
    levels = expect_map(node.get("levels", {}), join(path, "levels"), "a mapping {min: 1, max: 2}")
    check_keys(levels, join(path, "levels"), ("min", "max"))
    lo = get(levels, "min", join(path, "levels"), as_int, default=1)
    hi = get(levels, "max", join(path, "levels"), as_int, default=max(lo, 2), minimum=lo)
    ref = expect_map(node.get("reference", {}), join(path, "reference"))
    check_keys(ref, join(path, "reference"), ("technology", "word_bits", "pes"))
    p = join(path, "reference")
    tech = node_name(parse_node(ref.get("technology", "45nm"), join(p, "technology")))
    budget = get(node, "area_budget_mm2", path, as_number, default=None)
    return MemoryPool(
        memories,
        operands,
        lo,
        hi,
        get(node, "unbalanced", path, as_bool, default=False),
        float(get(node, "min_size_ratio", path, as_number, default=2.0)),
        None if budget is None else float(budget),
        tech,
        get(ref, "word_bits", p, as_int, default=16),
        get(ref, "pes", p, as_int, default=256),
    )


def _memory(value: object, path: str) -> PoolMemory:
    node = expect_map(value, path, "a memory {name, class, size_kb | size_bytes, per_pe, bandwidth, ports}")
    check_keys(
        node,
        path,
        ("name", "class", "size_kb", "size_bytes", "per_pe", "bandwidth", "ports"),
        required=("name",),
    )
    if ("size_kb" in node) == ("size_bytes" in node):
        raise SpecError(join(path, "size_kb"), "size_kb and size_bytes" if "size_kb" in node else "neither",
                        "exactly one of size_kb or size_bytes")  # fmt: skip
    if "size_kb" in node:
        size = int(get(node, "size_kb", path, as_number) * 1024)
    else:
        size = get(node, "size_bytes", path, as_int)
    cls = get(node, "class", path, as_str, default="SRAM")
    if cls not in ON_CHIP_CLASSES:
        raise SpecError(join(path, "class"), cls, f"one of {list(ON_CHIP_CLASSES)}")
    ports = get(node, "ports", path, as_int, default=2)
    if ports not in (1, 2):
        raise SpecError(join(path, "ports"), ports, "1 (one read/write port) or 2 (a read and a write port)")
    bandwidth = get(node, "bandwidth", path, as_number, default=None)
    return PoolMemory(
        get(node, "name", path, as_str),
        cls,
        max(1, size),
        get(node, "per_pe", path, as_bool, default=False),
        None if bandwidth is None else float(bandwidth),
        ports,
    )
