"""ZigZag (zigzag-dse 3.9.1) YAML, read and written: accelerators, workload layers and mappings.

The formats are ZigZag's own (its Cerberus schemas in `zigzag/parser/*_validator.py`); docs/zigzag.md says
what maps to what. In short:

Names. ZigZag's loop dimensions B, G, K, C, OY, OX, FY, FX are loopscape's N, G, K, C, P, Q, R, S (other
dimensions keep their names, upper-cased); its layer operands W, I, O are the tensors Weights, Inputs,
Outputs, linked to the memory operands I2, I1, O (`memory_operand_links`). Its operational-array dimensions
D1, D3, ... lie along loopscape's mesh X, D2, D4, ... along Y.

Hardware. One ZigZag memory per loopscape storage level; its `operands` are the tensors the level keeps; the
memories are listed innermost first (ZigZag builds each operand's hierarchy bottom-up in file order). A
memory's `served_dimensions` are the array dimensions one instance is shared over: those of the fan-outs at
and below its level. Sizes are bits (entries x word bits; 10^10 bits and more is unbounded). A port's
`bandwidth_min` is the level's block (the access granularity, block_size x word_bits) and `bandwidth_max`
its bandwidth in bits per cycle; ZigZag prices an access of `bandwidth_max` bits at r_cost/w_cost, so the
costs are loopscape's per-block energies x bandwidth_max / bandwidth_min. Unlimited bandwidth is written as
UNLIMITED_BLOCKS blocks per cycle (and read back as unlimited). `mem_type` holds the storage class,
`systolic_dimensions` the neighbour forwarding of a fan-out.

Workloads. A layer's `equation` with `dimension_relations` (`ix=2*ox+1*fx`) is the einsum of the tensors'
projections; operand precisions are the levels' word sizes.

Mappings. ZigZag's mapping input holds the spatial unrolling per array dimension and a complete
`temporal_ordering` (innermost first); which memory level holds which loops for each operand (the "cuts")
is decided by ZigZag's memory allocator. Reading replays that allocator (`zigzag_allocate`, ZigZag 3.9.1's
uneven allocation) unless a `temporal_mapping.yaml` (a loopscape addition that ZigZag does not read) gives
the allocation; writing records the mapping's own allocation there, so loopscape reads back exactly what it
wrote. An allocation becomes one loopscape nest with per-(level, tensor) cuts (`allocation_to_mapping`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.energy.table import ActionEnergy, EnergyTable
from loopscape.errors import SpecError
from loopscape.io.spec_yaml import describe, expect_list, expect_map, join, suggestion
from loopscape.io.yaml_limits import BoundedComposer
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.workload import Workload
from loopscape.workload.workload import Tensor

if TYPE_CHECKING:
    from loopscape.io.load import Specs

ZIGZAG = "zigzag"
ZZ_DIM = {"N": "B", "G": "G", "K": "K", "C": "C", "P": "OY", "Q": "OX", "R": "FY", "S": "FX"}
LS_DIM = {v: k for k, v in ZZ_DIM.items()}
ZZ_RANK = {"H": "IY", "W": "IX"}  # a conv input's rank names <-> ZigZag's relation names
LS_RANK = {v: k for k, v in ZZ_RANK.items()}
ZZ_OPERAND = {"Weights": "W", "Inputs": "I", "Outputs": "O"}
LS_TENSOR = {v: k for k, v in ZZ_OPERAND.items()}
DEFAULT_LINKS = {"O": "O", "I": "I1", "W": "I2"}  # ZigZag's default memory_operand_links
MEM_OPERANDS = ("I1", "I2", "O")
DIRECTIONS = ("fh", "tl", "fl", "th")  # from high, to low, from low, to high
UNBOUNDED_BITS = 10**10  # ZigZag's examples size their DRAM so; at least this many bits reads as unbounded
UNLIMITED_BLOCKS = (
    2**20
)  # blocks per cycle that stand for unlimited bandwidth (a power of two: costs stay exact)
CLASS_TO_MEM_TYPE = {"DRAM": "dram", "SRAM": "sram", "regfile": "rf", "register": "register"}
MEM_TYPE_TO_CLASS = {"dram": "DRAM", "sram": "SRAM", "rf": "regfile", "regfile": "regfile", "register": "register",
                     "reg": "register"}  # fmt: skip
DEFAULT_WORD_BITS = 8  # an accelerator read without a workload (ZigZag's examples are 8-bit)
FILES = {"accelerator": "accelerator.yaml", "workload": "workload.yaml", "mapping": "mapping.yaml",
         "allocation": "temporal_mapping.yaml"}  # fmt: skip

# ZigZag's validators (zigzag/parser/*_validator.py), as regular expressions
OPERAND_RE = re.compile(r"^I[12]$|^O$")
OA_DIM_RE = re.compile(r"^D\d$")
PORT_RE = re.compile(r"^[r]?[w]?_port_\d+$")
ALLOCATION_RE = re.compile(r"^(I[12]|O), (fh|tl|fl|th)$")
EQUATION_RE = re.compile(r"^O(\[\w+\])+\s*\+?\s*=\s*\w(\[\w+\])+\s*[*+]\s*\w(\[(?:\w+)?\])+\s*$")
RELATION_RE = re.compile(r"^(\w+)\s*=\s*(?:(\w+)\s*\*\s*)?(\w+)\s*\+\s*(?:(\w+)\s*\*\s*)?(\w+)$")
SPATIAL_RE = re.compile(r"^[A-Z]+\d*, \d+$")
LOOP_DIM_RE = re.compile(r"^[A-Z]+\d*$")
OPERATORS = ("Max", "Conv", "Pooling", "Add", "Conv_downsample", "Gemm", "Pool", "MaxPool", "AveragePool",
             "GlobalAveragePool")  # fmt: skip


def _note(notes: list[str] | None, text: str) -> None:
    if notes is not None and text not in notes:
        notes.append(text)


# --- names ------------------------------------------------------------------------------------------------
def zigzag_dim_names(dims: Sequence[str]) -> dict[str, str]:
    """loopscape dimension -> ZigZag loop dimension: ZigZag's conventional names (N -> B, P -> OY, ...) where
    they stay distinct in this layer, else the name upper-cased (a batched matmul keeps its B and N)."""
    conv = {d: ZZ_DIM.get(d, d.upper()) for d in dims}
    plain = {d: d.upper() for d in dims}
    out: dict[str, str] = {}
    for d in dims:
        clash = any(conv[e] == conv[d] or plain[e] == conv[d] for e in dims if e != d)
        out[d] = plain[d] if clash else conv[d]
    for d, z in out.items():
        if not LOOP_DIM_RE.match(z):
            raise SpecError(f"workload.dims.{d}", d, "a dimension name of letters and digits (ZigZag's loop "
                            "dimensions match [A-Z]+[0-9]*)")  # fmt: skip
    if len(set(out.values())) != len(out):
        raise SpecError("workload.dims", list(dims), "dimension names that stay distinct when upper-cased")
    if loopscape_dim_names(list(out.values())) != {z: d for d, z in out.items()}:
        raise SpecError("workload.dims", list(dims), "dimension names ZigZag's names can be mapped back to")
    return out


def loopscape_dim_names(dims: Sequence[str]) -> dict[str, str]:
    """ZigZag loop dimension -> loopscape dimension (the inverse of `zigzag_dim_names`)."""
    conv = {z: LS_DIM.get(z, z) for z in dims}
    out: dict[str, str] = {}
    for z in dims:
        clash = any(conv[e] == conv[z] or e == conv[z] for e in dims if e != z)
        out[z] = z if clash else conv[z]
    return out


def zz_dim(dim: str) -> str:
    """A loopscape dimension's conventional ZigZag name (no clash check; `zigzag_dim_names` has one)."""
    return ZZ_DIM.get(dim, dim.upper())


def ls_dim(dim: str) -> str:
    return LS_DIM.get(dim, dim)


def operand_letters(workload: Workload) -> dict[str, str]:
    """Tensor -> ZigZag layer operand (O for the output; W and I for the two inputs: Weights and Inputs by
    name, otherwise the first input is I and the second W)."""
    outputs = [t.name for t in workload.tensors if t.read_write]
    inputs = [t.name for t in workload.tensors if not t.read_write]
    if len(outputs) != 1 or len(inputs) != 2:
        raise SpecError(
            f"workload {workload.name}.tensors",
            f"{len(inputs)} input(s) {inputs} and {len(outputs)} output(s) {outputs}",
            "two inputs and one output: ZigZag's layers are O = W op I (pooling, activations and other "
            "one-input layers have no ZigZag YAML form)",
        )
    out = {outputs[0]: "O"}
    if "Weights" in inputs:
        out["Weights"] = "W"
        out[next(t for t in inputs if t != "Weights")] = "I"
    elif "Inputs" in inputs:
        out["Inputs"] = "I"
        out[next(t for t in inputs if t != "Inputs")] = "W"
    else:
        out[inputs[0]], out[inputs[1]] = "I", "W"
    return out


# --- ZigZag layers ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZigZagLayer:
    """One ZigZag workload layer in ZigZag's own terms: loop dimensions upper-case as in `loop_dims`, index
    and relation names upper-case (ZigZag upper-cases the equation's indices)."""

    id: int
    name: str
    operator_type: str
    dims: tuple[str, ...]
    sizes: tuple[int, ...]
    output: str  # the output operand's letter (always O)
    inputs: tuple[str, str]  # the input operands' letters, in equation order
    indices: dict[str, tuple[str, ...]]  # operand letter -> its index names
    symbol: str  # '*' or '+' between the inputs
    accumulate: bool  # '+=' (reduction over the dimensions the output does not use)
    relations: dict[
        str, tuple[str, int, str, int]
    ]  # index name -> (dim2, coef2, dim3, coef3): x = c2*d2 + c3*d3
    precision: dict[str, int]  # W, I, O, O_final (bits)
    padding: dict[str, tuple[int, int]] = field(default_factory=dict)  # relation name -> (before, after)
    pr_sizes: dict[str, int] = field(default_factory=dict)  # relation name -> the data size the user gave

    def size(self, dim: str) -> int:
        return self.sizes[self.dims.index(dim)] if dim in self.dims else 1

    @property
    def op(self) -> str:
        if self.symbol == "+":
            return "add"
        return "mac" if self.accumulate else "mul"

    def has_relation(self, letter: str) -> bool:
        return any(x in self.relations for x in self.indices[letter])

    def relevant(self, letter: str) -> set[str]:
        """Loop dimensions the operand's indices depend on (through relations too)."""
        out: set[str] = set()
        for x in self.indices[letter]:
            if x in self.relations:
                d2, _, d3, _ = self.relations[x]
                out |= {d2, d3}
            else:
                out.add(x)
        return out

    def ir_dims(self, letter: str) -> set[str]:
        """ZigZag's irrelevant loop dimensions of an operand (size-1 dimensions left out)."""
        pr = {d for x, (d2, _, d3, _) in self.relations.items() for d in (x, d2, d3)}
        direct = set(self.indices[letter])
        out = {d for d in self.dims if d not in direct and self.size(d) != 1}
        return out - pr if self.has_relation(letter) else out

    def pr_total(self, rel: str) -> int:
        """The data size of a relation's index over the whole layer, less its padding (ZigZag's clip)."""
        if rel in self.pr_sizes:
            return self.pr_sizes[rel]
        d2, c2, d3, c3 = self.relations[rel]
        pad = self.padding.get(rel, (0, 0))
        return int(_pr_size(c2, self.size(d2), c3, self.size(d3)) - sum(pad))

    def tensor_size(self, letter: str, dim_sizes: dict[str, float]) -> float:
        """Elements of the operand's tile for the given loop sizes (ZigZag's `calc_tensor_size`: distinct
        indices of a relation, clipped to the layer's data size; an operand with a relation counts every
        relation's index)."""
        if self.has_relation(letter):
            pr_dims = set(self.relations)
            names = [x for x in self.indices[letter] if x not in pr_dims and not self._in_relation(x)]
            names += list(self.relations)
        else:
            names = [x for x in self.indices[letter] if self.size(x) != 1]
        total = 1.0
        for x in names:
            if x in dim_sizes:
                total *= dim_sizes[x]
            elif x in self.relations:
                d2, c2, d3, c3 = self.relations[x]
                a, b = int(dim_sizes.get(d2, 1)), int(dim_sizes.get(d3, 1))
                total *= min(self.pr_total(x), _pr_size(c2, a, c3, b))
        return total

    def _in_relation(self, dim: str) -> bool:
        return any(dim in (x, d2, d3) for x, (d2, _, d3, _) in self.relations.items())


def _pr_size(sa: int, a: int, sb: int, b: int) -> int:
    """Distinct values of sa*i + sb*j, i < a, j < b, as ZigZag counts them (`calc_pr_dimension_size`)."""
    g = math.gcd(sa, sb) or 1
    return a * b - max(0, b - (sa // g)) * (a - (sb // g))


# --- strict-enough reading --------------------------------------------------------------------------------
def _keys(node: dict, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    allowed = list(allowed)
    for key in node:
        if key not in allowed:
            raise SpecError(join(path, str(key)), f"the unknown key {key!r}{suggestion(str(key), allowed)}",
                            f"one of {sorted(allowed)} (ZigZag 3.9.1's schema)")  # fmt: skip
    for key in required:
        if key not in node:
            raise SpecError(
                join(path, key), "nothing (the key is missing)", f"a value for required key '{key}'"
            )


def _int(value: object, path: str, minimum: int | None = None, what: str = "an integer") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, describe(value), what)
    if minimum is not None and value < minimum:
        raise SpecError(path, value, f"{what} >= {minimum}")
    return value


def _float(value: object, path: str, what: str = "a non-negative number") -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise SpecError(path, describe(value), what)
    return float(value)


def _str(value: object, path: str, regex: re.Pattern | None = None, what: str = "a string") -> str:
    if not isinstance(value, str):
        raise SpecError(path, describe(value), what)
    if regex is not None and not regex.match(value):
        raise SpecError(path, repr(value), what)
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, describe(value), "true or false")
    return value


class _Loader(BoundedComposer, yaml.SafeLoader):
    """SafeLoader that keeps the last of duplicated keys, as ZigZag's PyYAML does, and records them; deep
    nesting and alias bombs are refused (io/yaml_limits.py)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[object, int]] = []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            )
        if key in out:
            loader.duplicates.append((key, key_node.start_mark.line + 1))
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_zigzag_yaml(text: str, file: str | None = None, notes: list[str] | None = None) -> Any:
    """Parse a ZigZag YAML file; syntax errors become SpecErrors with the line, duplicated keys notes."""
    try:
        loader = _Loader(text)  # the reader checks the characters here
    except yaml.YAMLError as e:
        raise SpecError("(document)", str(e).strip(), "valid YAML", file) from None
    try:
        data = loader.get_single_data()
    except SpecError as e:
        raise e.in_file(file) if file else e from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        raise SpecError(
            where, (e.problem or e.context or "a syntax error").strip(), "valid YAML", file
        ) from None
    except yaml.YAMLError as e:
        raise SpecError("(document)", str(e).strip(), "valid YAML", file) from None
    finally:
        loader.dispose()
    for key, line in loader.duplicates:
        _note(notes, f"{file or 'ZigZag YAML'}, line {line}: the key {key!r} a second time; the last one is used, "
                     "as ZigZag (PyYAML) does")  # fmt: skip
    return data


def load_zigzag_file(path: str | Path, notes: list[str] | None = None) -> Any:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("(file)", "no such file", "an existing ZigZag YAML file", name) from None
    except IsADirectoryError:
        raise SpecError("(file)", "a directory", "a ZigZag YAML file", name) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError("(file)", f"an unreadable file ({e})", "a readable UTF-8 YAML file", name) from None
    data = parse_zigzag_yaml(text, name, notes)
    if data is None:
        raise SpecError("(document)", "an empty document", "a ZigZag accelerator, workload or mapping", name)
    return data


# --- detection ---------------------------------------------------------------------------------------------
def zigzag_kind(data: object) -> str | None:
    """'accelerator', 'workload', 'mapping' or 'allocation' (loopscape's temporal_mapping.yaml) for parsed
    ZigZag YAML; None when the data is not ZigZag's."""
    if isinstance(data, dict):
        if "memories" in data and "operational_array" in data:
            return "accelerator"
        return None
    if not isinstance(data, list) or not data or not all(isinstance(e, dict) for e in data):
        return None
    keys = set().union(*(set(e) for e in data))
    if "equation" in keys or "loop_dims" in keys:
        return "workload"
    if "temporal_mapping" in keys:
        return "allocation"
    if "name" in keys and keys & {"spatial_mapping", "memory_operand_links", "temporal_ordering",
                                  "spatial_mapping_hint"}:  # fmt: skip
        return "mapping"
    if any(e.get("name") == "default" for e in data):
        return "mapping"
    return None


def is_zigzag(data: object) -> bool:
    """Whether parsed YAML is a ZigZag accelerator (a mapping with `memories` and `operational_array`), a
    ZigZag workload (a list of layers with `equation`), a ZigZag mapping (a list of entries with `name` and
    `spatial_mapping`/`temporal_ordering`/`memory_operand_links`) or loopscape's ZigZag allocation file."""
    return zigzag_kind(data) is not None


# --- reading: accelerator -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Port:
    name: str
    type: str
    bw_min: int
    bw_max: int
    allocation: tuple[tuple[str, str], ...]  # (memory operand, direction)

    @property
    def unlimited(self) -> bool:
        return self.bw_max >= self.bw_min * UNLIMITED_BLOCKS


@dataclass(frozen=True)
class _Memory:
    name: str
    index: int  # in file order
    size: int
    r_cost: float | None
    w_cost: float | None
    area: float | None
    latency: int
    mem_type: str | None  # None: not given
    auto_cost: bool
    operands: tuple[str, ...]
    ports: tuple[_Port, ...]
    served: tuple[str, ...]
    double_buffering: bool


@dataclass(frozen=True)
class ZigZagHardware:
    """A ZigZag accelerator as read (checked against ZigZag's schema), before it becomes loopscape levels."""

    name: str
    memories: tuple[_Memory, ...]  # file order: each operand's memories innermost first
    dims: tuple[str, ...]  # operational-array dimensions
    sizes: dict[str, int]
    systolic: frozenset[str]
    unit_energy: float
    unit_area: float
    dataflows: dict[str, list[tuple[str, int]]]
    notes: tuple[str, ...] = ()

    def axis(self, dim: str) -> str:
        """Mesh axis of an array dimension: D1, D3, ... along X; D2, D4, ... along Y."""
        return SPATIAL_X if int(dim[1:]) % 2 == 1 else SPATIAL_Y

    def memory(self, name: str) -> _Memory:
        return next(m for m in self.memories if m.name == name)

    def levels_of(self, mem_op: str) -> list[_Memory]:
        """The memories holding a memory operand, innermost first."""
        return [m for m in self.memories if mem_op in m.operands]

    def unserved(self, m: _Memory) -> frozenset[str]:
        return frozenset(d for d in self.dims if d not in m.served)

    def instances(self, m: _Memory) -> int:
        return math.prod(self.sizes[d] for d in self.unserved(m))

    def chain(self) -> list[_Memory]:
        """The memories as one loopscape chain, outermost first: a memory lies above every lower memory of
        each of its operands; among the memories that may come next, the one with the fewest instances, then
        the one later in the file."""
        above: dict[str, set[str]] = {
            m.name: set() for m in self.memories
        }  # name -> memories that must be above
        for op in MEM_OPERANDS:
            mems = self.levels_of(op)
            for lower, upper in itertools.pairwise(mems):
                above[lower.name].add(upper.name)
        placed: list[_Memory] = []
        left = list(self.memories)
        while left:
            ready = [m for m in left if above[m.name] <= {p.name for p in placed}]
            if not ready:  # cannot happen: file order is acyclic per operand
                raise SpecError("memories", [m.name for m in left], "an acyclic memory hierarchy")
            best = min(ready, key=lambda m: (self.instances(m), -m.index))
            placed.append(best)
            left.remove(best)
        return placed


_MEMORY_KEYS = ("size", "r_cost", "w_cost", "area", "latency", "mem_type", "auto_cost_extraction", "operands",
                "ports", "served_dimensions", "force_double_buffering")  # fmt: skip
_OA_KEYS = ("dimensions", "is_imc", "systolic_dimensions", "sizes", "input_precision", "unit_energy", "unit_area",
            "imc_type", "adc_resolution", "bit_serial_precision")  # fmt: skip


def read_hardware(data: object, path: str = "") -> ZigZagHardware:
    """A ZigZag accelerator (parsed YAML) checked against ZigZag 3.9.1's schema and rules."""
    node = expect_map(
        data, path or "(document)", "a ZigZag accelerator: a mapping with name, memories, operational_array"
    )
    _keys(node, path, ("name", "memories", "operational_array", "dataflows"),
          ("name", "memories", "operational_array"))  # fmt: skip
    name = _str(node["name"], join(path, "name"))
    notes: list[str] = []
    oa_path = join(path, "operational_array")
    oa = expect_map(node["operational_array"], oa_path)
    _keys(oa, oa_path, _OA_KEYS, ("dimensions", "sizes"))
    if oa.get("is_imc") is not None and _bool(oa["is_imc"], join(oa_path, "is_imc")):
        raise SpecError(join(oa_path, "is_imc"), True, "false: in-memory-compute arrays (AIMC/DIMC: ZigZag's "
                        "ImcArray with its cells, ADCs and bit-serial inputs) have no loopscape equivalent")  # fmt: skip
    for key in ("imc_type", "bit_serial_precision"):
        if oa.get(key) is not None:
            raise SpecError(join(oa_path, key), oa[key], "nothing: an IMC property of a non-IMC array")
    if oa.get("adc_resolution") not in (None, 0):
        raise SpecError(join(oa_path, "adc_resolution"), oa["adc_resolution"], "nothing: an IMC property")
    dims = [_str(d, join(join(oa_path, "dimensions"), i), OA_DIM_RE, "an array dimension D1..D9")
            for i, d in enumerate(expect_list(oa["dimensions"], join(oa_path, "dimensions")))]  # fmt: skip
    sizes = [_int(s, join(join(oa_path, "sizes"), i), 1, "a positive integer")
             for i, s in enumerate(expect_list(oa["sizes"], join(oa_path, "sizes")))]  # fmt: skip
    if len(dims) != len(sizes) or not dims:
        raise SpecError(join(oa_path, "sizes"), sizes, f"one size per dimension {dims} (at least one)")
    if len(set(dims)) != len(dims):
        raise SpecError(join(oa_path, "dimensions"), dims, "distinct dimensions")
    systolic = oa.get("systolic_dimensions") or []
    systolic = [_str(d, join(join(oa_path, "systolic_dimensions"), i), OA_DIM_RE, f"one of {dims}")
                for i, d in enumerate(expect_list(systolic, join(oa_path, "systolic_dimensions")))]  # fmt: skip
    for i, d in enumerate(systolic):
        if d not in dims:
            raise SpecError(join(join(oa_path, "systolic_dimensions"), i), d, f"one of the dimensions {dims}")
    if "unit_energy" not in oa:
        raise SpecError(join(oa_path, "unit_energy"), "nothing (the key is missing)",
                        "the energy of one MAC in pJ (ZigZag's Multiplier needs it)")  # fmt: skip
    unit_energy = _float(oa["unit_energy"], join(oa_path, "unit_energy"))
    unit_area = _float(oa.get("unit_area", 0.0) or 0.0, join(oa_path, "unit_area"))
    if "input_precision" in oa:
        _note(notes, f"{oa_path or 'operational_array'}.input_precision: an IMC setting; operand precisions come "
                     "from the workload")  # fmt: skip

    dataflows: dict[str, list[tuple[str, int]]] = {}
    if node.get("dataflows") is not None:
        dpath = join(path, "dataflows")
        for oa_dim, entries in expect_map(node["dataflows"], dpath).items():
            if oa_dim not in ("D1", "D2", "D3", "D4"):
                raise SpecError(join(dpath, str(oa_dim)), oa_dim, "one of D1, D2, D3, D4 (ZigZag's schema)")
            dataflows[oa_dim] = [_unrolling(e, join(join(dpath, oa_dim), i), re.compile(r"^[A-Z]+, [0-9]+$"))
                                 for i, e in enumerate(expect_list(entries, join(dpath, oa_dim)))]  # fmt: skip

    mpath = join(path, "memories")
    mems_node = expect_map(node["memories"], mpath)
    if not mems_node:
        raise SpecError(mpath, "no memories", "at least one memory (the backing store)")
    memories = [_read_memory(mname, mnode, join(mpath, str(mname)), i, dims)
                for i, (mname, mnode) in enumerate(mems_node.items())]  # fmt: skip
    return ZigZagHardware(name, tuple(memories), tuple(dims), dict(zip(dims, sizes)), frozenset(systolic),
                          unit_energy, unit_area, dataflows, tuple(notes))  # fmt: skip


def _unrolling(value: object, path: str, regex: re.Pattern = SPATIAL_RE) -> tuple[str, int]:
    text = _str(value, path, regex, "an unrolling 'DIM, size' such as 'K, 16'")
    dim, size = text.split(",")
    return dim.strip(), int(size)


def _read_memory(name: object, node: object, path: str, index: int, dims: list[str]) -> _Memory:
    if not isinstance(name, str) or not name:
        raise SpecError(path, describe(name), "a memory name")
    node = expect_map(node, path)
    _keys(node, path, _MEMORY_KEYS, ("size", "latency", "operands", "ports", "served_dimensions"))
    size = _int(node["size"], join(path, "size"), 1, "a size in bits")
    auto = _bool(node.get("auto_cost_extraction", False), join(path, "auto_cost_extraction"))
    costs: dict[str, float | None] = {}
    for key in ("r_cost", "w_cost", "area"):
        value = node.get(key)
        if value is None:
            if not auto:
                raise SpecError(join(path, key), "nothing", f"a {key} (pJ per access; area per instance), or "
                                "auto_cost_extraction: true (ZigZag's rule)")  # fmt: skip
            costs[key] = None
        else:
            costs[key] = _float(value, join(path, key))
    latency = _int(node["latency"], join(path, "latency"), 0, "a latency in cycles")
    mem_type = _str(node["mem_type"], join(path, "mem_type")) if "mem_type" in node else None
    opath = join(path, "operands")
    operands = [_str(o, join(opath, i), OPERAND_RE, "a memory operand I1, I2 or O")
                for i, o in enumerate(expect_list(node["operands"], opath))]  # fmt: skip
    if not operands or len(set(operands)) != len(operands):
        raise SpecError(opath, operands, "distinct memory operands among I1, I2, O (at least one)")
    spath = join(path, "served_dimensions")
    served = [_str(d, join(spath, i), OA_DIM_RE, "an array dimension D1..D9")
              for i, d in enumerate(expect_list(node["served_dimensions"], spath))]  # fmt: skip
    for i, d in enumerate(served):
        if d not in dims:
            raise SpecError(join(spath, i), d, f"one of the operational array's dimensions {dims}")
    ppath = join(path, "ports")
    ports = []
    for i, pnode in enumerate(expect_list(node["ports"], ppath)):
        ports.append(_read_port(pnode, join(ppath, i), operands))
    names = [p.name for p in ports]
    if len(set(names)) != len(names):
        raise SpecError(ppath, names, "distinct port names")
    double = _bool(node.get("force_double_buffering", False), join(path, "force_double_buffering"))
    return _Memory(name, index, size, costs["r_cost"], costs["w_cost"], costs["area"], latency, mem_type, auto,
                   tuple(operands), tuple(ports), tuple(served), double)  # fmt: skip


def _read_port(node: object, path: str, operands: list[str]) -> _Port:
    node = expect_map(node, path, "a port: name, type, bandwidth_min, bandwidth_max, allocation")
    _keys(node, path, ("name", "type", "bandwidth_min", "bandwidth_max", "allocation"),
          ("name", "type", "bandwidth_min", "bandwidth_max", "allocation"))  # fmt: skip
    name = _str(
        node["name"], join(path, "name"), PORT_RE, "a port name such as r_port_1, w_port_1, rw_port_1"
    )
    kind = _str(node["type"], join(path, "type"))
    if kind not in ("read", "write", "read_write"):
        raise SpecError(join(path, "type"), repr(kind), "one of read, write, read_write")
    bw_min = _int(node["bandwidth_min"], join(path, "bandwidth_min"), 1, "a bandwidth in bits per cycle")
    bw_max = _int(node["bandwidth_max"], join(path, "bandwidth_max"), 1, "a bandwidth in bits per cycle")
    if bw_min > bw_max:
        raise SpecError(join(path, "bandwidth_min"), bw_min, f"at most bandwidth_max ({bw_max})")
    apath = join(path, "allocation")
    alloc = []
    for i, a in enumerate(expect_list(node["allocation"], apath)):
        text = _str(
            a,
            join(apath, i),
            ALLOCATION_RE,
            "an allocation 'OPERAND, DIR' (OPERAND I1/I2/O, DIR fh/tl/fl/th)",
        )
        op, direction = text.split(", ")
        if op not in operands:
            raise SpecError(join(apath, i), repr(text), f"an operand the memory holds: {operands}")
        if direction in ("fh", "fl") and kind == "read":
            raise SpecError(join(apath, i), repr(text), "a read direction (tl, th) on a read port")
        if direction in ("tl", "th") and kind == "write":
            raise SpecError(join(apath, i), repr(text), "a write direction (fh, fl) on a write port")
        alloc.append((op, direction))
    return _Port(name, kind, bw_min, bw_max, tuple(alloc))


@dataclass(frozen=True)
class _Level:
    """A loopscape level of a ZigZag memory: the chain position and what the reading derived."""

    memory: _Memory
    level: int
    unserved: frozenset[str]
    fanout_dims: tuple[str, ...]  # array dimensions the level fans out over (to the level below / the MACs)


def hardware_to_architecture(
    hw: ZigZagHardware,
    *,
    links: dict[str, str] | None = None,
    precision: dict[str, int] | None = None,
    word_bits: int | None = None,
    notes: list[str] | None = None,
    path: str = "",
) -> tuple[Architecture, EnergyTable]:
    """The loopscape architecture and energy table of a ZigZag accelerator.

    `links`: layer operand (W, I, O) -> memory operand (default ZigZag's O->O, I->I1, W->I2); `precision`:
    layer operand -> bits (a workload's operand_precision, with O_final); a level's word is `word_bits_of` its
    operands (`word_bits` when there is no workload, default 8)."""
    links = dict(links or DEFAULT_LINKS)
    mem_to_tensor = {m: LS_TENSOR.get(op, op) for op, m in links.items()}
    default_bits = word_bits or DEFAULT_WORD_BITS
    if precision is None:
        _note(notes, f"no workload: words of {default_bits} bits assumed (ZigZag holds operand precisions in "
                     "its workloads)")  # fmt: skip
    layer_of = {m: op for op, m in links.items()}
    prec = dict(precision) if precision is not None else {}
    for op in (*links, "O_final"):
        prec.setdefault(op, prec.get("O", default_bits) if op == "O_final" else default_bits)
    mpath = join(path, "memories")
    for note in hw.notes:
        _note(notes, note)
    chain = hw.chain()
    top = chain[0]
    used_ops = sorted(set(links.values()))
    missing = [m for m in used_ops if not hw.levels_of(m)]
    if missing:
        raise SpecError(
            mpath, f"no memory holding {missing}", f"memories for every memory operand {used_ops}"
        )
    for m in used_ops:
        if hw.levels_of(m)[-1].name != top.name:
            raise SpecError(join(join(mpath, top.name), "operands"), list(top.operands),
                            f"the outermost memory holding every operand {used_ops}: loopscape's backing store "
                            f"keeps every tensor ({m}'s outermost memory is {hw.levels_of(m)[-1].name})")  # fmt: skip
    if hw.instances(top) != 1:
        raise SpecError(join(join(mpath, top.name), "served_dimensions"), list(top.served),
                        f"every array dimension {list(hw.dims)}: loopscape's backing store is one instance")  # fmt: skip
    levels: list[_Level] = []
    for lv, m in enumerate(chain):
        ns = hw.unserved(m)
        below = hw.unserved(chain[lv + 1]) if lv + 1 < len(chain) else frozenset(hw.dims)
        if not ns <= below:
            child = chain[lv + 1].name if lv + 1 < len(chain) else "the MAC array"
            raise SpecError(join(join(mpath, m.name), "served_dimensions"), list(m.served),
                            f"dimensions that include those {child} is shared over: loopscape's levels nest (one "
                            f"fan-out tree), and {child} lies below {m.name}")  # fmt: skip
        levels.append(_Level(m, lv, ns, tuple(d for d in hw.dims if d in below - ns)))

    compute_name = "MAC" if all(m.name != "MAC" for m in chain) else "MACs"
    tensors_all = frozenset(mem_to_tensor[m] for m in used_ops)
    storage: list[StorageLevel] = []
    energies: dict[str, ActionEnergy] = {}
    areas: dict[str, float] = {}
    auto: list[int] = []
    for lvl in levels:
        m = lvl.memory
        p = join(mpath, m.name)
        held = [o for o in m.operands if o in used_ops]
        wb = word_bits_of([layer_of[o] for o in held], prec, lvl.level == 0) if held else default_bits
        if m.size >= UNBOUNDED_BITS:
            entries = None
        else:
            entries = m.size // wb
            if entries < 1:
                raise SpecError(join(p, "size"), m.size, f"at least one {wb}-bit word")
            if m.size % wb:
                _note(
                    notes, f"{p}.size: {m.size} bits is not a whole number of {wb}-bit words; {entries} words"
                )
        block, bws, energy = _ports_to_level(m, wb, p, notes)
        keeps = frozenset(mem_to_tensor[o] for o in held)
        if lvl.level == 0 or keeps == tensors_all:
            keeps_value = None
        else:
            keeps_value = keeps
        if not held and lvl.level:
            _note(notes, f"{p}: holds none of the layer's operands {used_ops}; it keeps nothing")
        instances = math.prod(hw.sizes[d] for d in lvl.unserved)
        mesh_x = math.prod(hw.sizes[d] for d in lvl.unserved if hw.axis(d) == SPATIAL_X)
        forwarding = bool(set(lvl.fanout_dims) & hw.systolic)
        if forwarding and not set(lvl.fanout_dims) <= hw.systolic:
            _note(notes, f"operational_array.systolic_dimensions: {sorted(hw.systolic)} cover part of {m.name}'s "
                         f"fan-out {list(lvl.fanout_dims)}; loopscape forwards along all of it")  # fmt: skip
        if m.latency != 1:
            _note(notes, f"{p}.latency: {m.latency} cycles; loopscape has no access latency")
        if m.double_buffering:
            _note(notes, f"{p}.force_double_buffering: loopscape's levels hold their tile once")
        storage.append(StorageLevel(
            m.name, cls=_storage_class(m, instances, entries, lvl.level, p, notes), instances=instances,
            mesh_x=None if mesh_x == instances else mesh_x, entries=entries, word_bits=wb, block_size=block,
            read_bandwidth=bws[0], write_bandwidth=bws[1], shared_bandwidth=bws[2],
            keeps=None if keeps_value is None else frozenset(keeps_value), network=Network(forwarding=forwarding),
        ))  # fmt: skip
        if m.auto_cost:
            auto.append(lvl.level)
            _note(notes, f"{p}.auto_cost_extraction: CACTI is ZigZag's; loopscape's own estimate is used")
        else:
            energies[m.name] = energy
            areas[m.name] = float(m.area or 0.0)
    in_bits = [prec[op] for op in links if op != "O"]
    compute = ComputeLevel(
        compute_name, instances=math.prod(hw.sizes.values()),
        mesh_x=_none_if(math.prod(hw.sizes[d] for d in hw.dims if hw.axis(d) == SPATIAL_X), math.prod(hw.sizes.values())),
        word_bits=max(in_bits, default=default_bits),
    )  # fmt: skip
    try:
        arch = Architecture(hw.name, tuple(storage), compute)
    except SpecError as e:
        raise SpecError(mpath, e.message(), "a hierarchy loopscape can build") from None
    areas[compute_name] = hw.unit_area
    if auto:
        from loopscape.energy.defaults import default_table

        base = default_table(arch)
        for lv in auto:
            name = arch.levels[lv].name
            energies[name] = base.level(name)
            areas[name] = base.area.get(name, 0.0)
    table = EnergyTable(levels=energies, compute=hw.unit_energy, area=areas, source=f"ZigZag accelerator {hw.name}",
                        provenance={**{f"{n}.read": "ZigZag r_cost" for n in energies},
                                    f"{compute_name}.compute": "ZigZag unit_energy"})  # fmt: skip
    return arch, table


def _none_if(value: int, same: int) -> int | None:
    return None if value == same else value


def _storage_class(m: _Memory, instances: int, entries: int | None, level: int, path: str,
                   notes: list[str] | None) -> str:  # fmt: skip
    if m.mem_type is not None:
        cls = MEM_TYPE_TO_CLASS.get(m.mem_type.lower())
        if cls is not None:
            return cls
        _note(notes, f"{path}.mem_type: {m.mem_type!r} is no storage class loopscape knows "
                     f"({sorted(MEM_TYPE_TO_CLASS)}); guessed from the memory")  # fmt: skip
    name = m.name.lower()
    if "dram" in name or (level == 0 and entries is None):
        return "DRAM"
    if entries == 1:
        return "register"
    if name.startswith(("rf", "reg")) or "_rf" in name or "reg" in name or instances > 1:
        return "regfile"
    return "SRAM"


def _ports_to_level(m: _Memory, wb: int, path: str, notes: list[str] | None
                    ) -> tuple[int, tuple[float | None, float | None, float | None], ActionEnergy]:  # fmt: skip
    """(block size in words, (read, write, shared) bandwidths in words/cycle, per-block energies)."""
    used = [p for p in m.ports if p.allocation]
    if not used:
        _note(notes, f"{path}.ports: no port is allocated; unlimited bandwidth, one-word blocks")
        e = ActionEnergy(read=m.r_cost or 0.0, fill=m.w_cost or 0.0, update=m.w_cost or 0.0)
        return 1, (None, None, None), e
    mins = {p.bw_min for p in used}
    block_bits = min(mins)
    if len(mins) > 1:
        _note(notes, f"{path}.ports: bandwidth_min differs between ports ({sorted(mins)}); the block is "
                     f"{block_bits} bits")  # fmt: skip
    block = block_bits // wb
    if block < 1 or block_bits % wb:
        block = max(1, block)
        _note(notes, f"{path}.ports: bandwidth_min {block_bits} bits is not a whole number of {wb}-bit words; "
                     f"blocks of {block} word(s)")  # fmt: skip

    def total(kind: str) -> float | None:
        ports = [p for p in used if p.type == kind]
        if not ports or any(p.unlimited for p in ports):
            return None
        words = sum(p.bw_max for p in ports) / wb
        return int(words) if words == int(words) else words

    bws = (total("read"), total("write"), total("read_write"))
    if bws[2] is not None and (bws[0] is not None or bws[1] is not None):
        _note(notes, f"{path}.ports: read_write ports beside read or write ports; loopscape's shared bandwidth "
                     "limits reads and writes together on top of the read and write limits")  # fmt: skip

    def port_for(*directions: str) -> _Port | None:
        for d in directions:
            for op in m.operands:
                for p in used:
                    if (op, d) in p.allocation:
                        return p
        return None

    def per_block(cost: float | None, port: _Port | None) -> float:
        if cost is None or port is None:
            return 0.0 if cost is None else cost
        return cost * (block_bits / port.bw_max)

    widths = {p.bw_max for p in used if any(d in ("tl", "th") for _, d in p.allocation)}
    if len(widths) > 1:
        _note(notes, f"{path}.ports: read ports of different widths {sorted(widths)}; ZigZag's r_cost per access "
                     "of each is one loopscape read energy per block (of the port serving reads down)")  # fmt: skip
    e = ActionEnergy(
        read=per_block(m.r_cost, port_for("tl", "th")),
        fill=per_block(m.w_cost, port_for("fh", "fl")),
        update=per_block(m.w_cost, port_for("fl", "fh")),
    )
    return block, bws, e


# --- reading: workload ------------------------------------------------------------------------------------
_LAYER_KEYS = ("id", "name", "operator_type", "equation", "dimension_relations", "loop_dims", "loop_sizes",
               "operand_precision", "operand_source", "pr_loop_dims", "pr_loop_sizes", "padding")  # fmt: skip
_EQUATION_PARTS = re.compile(
    r"^\s*O((?:\[\w+\])+)\s*(\+?)\s*=\s*(\w)((?:\[\w+\])+)\s*([*+])\s*(\w)((?:\[\w*\])+)\s*$"
)


def read_layers(data: object, path: str = "") -> list[ZigZagLayer]:
    """ZigZag workload layers (a parsed YAML list) checked against ZigZag 3.9.1's schema."""
    items = expect_list(data, path or "(document)", "a ZigZag workload: a list of layers")
    layers = [read_layer(node, f"{path}[{i}]") for i, node in enumerate(items)]
    ids = [layer.id for layer in layers]
    if len(set(ids)) != len(ids):
        raise SpecError(path or "(document)", ids, "distinct layer ids")
    return layers


def read_layer(node: object, path: str) -> ZigZagLayer:
    node = expect_map(
        node, path, "a layer: id, operator_type, equation, loop_dims, loop_sizes, operand_precision"
    )
    _keys(node, path, _LAYER_KEYS, ("id", "operator_type", "equation", "loop_dims", "loop_sizes",
                                    "operand_precision"))  # fmt: skip
    layer_id = _int(node["id"], join(path, "id"), 0, "a layer id")
    name = node.get("name")
    name = f"Layer{layer_id}" if name is None else _str(name, join(path, "name"))
    op_type = _str(node["operator_type"], join(path, "operator_type"))
    if op_type not in OPERATORS:
        raise SpecError(join(path, "operator_type"), repr(op_type), f"one of {list(OPERATORS)}")
    epath = join(path, "equation")
    equation = _str(node["equation"], epath, EQUATION_RE, "an equation O[..]+=W[..]*I[..] (ZigZag's form)")
    parts = _EQUATION_PARTS.match(equation)
    if parts is None:  # the schema's regex allows spaces we do not; cannot happen for ZigZag's own files
        raise SpecError(epath, repr(equation), "an equation O[..]+=W[..]*I[..]")
    out_idx, plus, x, x_idx, symbol, y, y_idx = parts.groups()
    if x == y or "O" in (x, y):
        raise SpecError(epath, repr(equation), "two distinct input operands besides O")

    def index(text: str, letter: str) -> tuple[str, ...]:
        names = tuple(s.upper() for s in re.findall(r"\[(\w*)\]", text))
        if any(not s for s in names):
            raise SpecError(epath, repr(equation), f"indices for every rank of {letter} (a rank-0 operand like "
                            f"{letter}[] has no loopscape tensor)")  # fmt: skip
        return names

    indices = {"O": index(out_idx, "O"), x: index(x_idx, x), y: index(y_idx, y)}
    dpath = join(path, "loop_dims")
    dims = [_str(d, join(dpath, i), LOOP_DIM_RE, "a loop dimension ([A-Z]+[0-9]*)").upper()
            for i, d in enumerate(expect_list(node["loop_dims"], dpath))]  # fmt: skip
    spath = join(path, "loop_sizes")
    sizes = [
        _int(s, join(spath, i), 1, "a positive loop size")
        for i, s in enumerate(expect_list(node["loop_sizes"], spath))
    ]
    if len(dims) != len(sizes) or not dims:
        raise SpecError(spath, sizes, f"one size per loop dimension {dims}")
    if len(set(dims)) != len(dims):
        raise SpecError(dpath, dims, "distinct loop dimensions")
    relations: dict[str, tuple[str, int, str, int]] = {}
    rpath = join(path, "dimension_relations")
    for i, rel in enumerate(expect_list(node.get("dimension_relations") or [], rpath)):
        text = _str(rel, join(rpath, i), RELATION_RE, "a relation such as 'ix=2*ox+1*fx'")
        d1, c2, d2, c3, d3 = RELATION_RE.match(text).groups()  # type: ignore[union-attr]
        d1, d2, d3 = d1.upper(), d2.upper(), d3.upper()
        for d in (d2, d3):
            if d not in dims:
                raise SpecError(join(rpath, i), repr(text), f"a relation over the loop dimensions {dims}")
        if d1 in dims or d1 in relations:
            raise SpecError(
                join(rpath, i), repr(text), "a relation naming a new index (not a loop dimension)"
            )
        try:
            relations[d1] = (d2, int(c2 or 1), d3, int(c3 or 1))
        except ValueError:
            raise SpecError(join(rpath, i), repr(text), "integer coefficients") from None
    for letter, names in indices.items():
        for s in names:
            if s not in dims and s not in relations:
                raise SpecError(epath, repr(equation), f"indices that are loop dimensions {dims} or defined by a "
                                f"dimension relation ({letter}'s {s.lower()} is neither)")  # fmt: skip
    ppath = join(path, "operand_precision")
    prec_node = expect_map(node["operand_precision"], ppath)
    _keys(prec_node, ppath, ("I", "W", "O", "O_final"), ("O", "O_final"))
    precision = {k: _int(v, join(ppath, k), 1, "a precision in bits") for k, v in prec_node.items()}
    if "operand_source" in node and node["operand_source"] is not None:
        src = expect_map(node["operand_source"], join(path, "operand_source"))
        _keys(src, join(path, "operand_source"), ("W", "I"))
        for k, v in src.items():
            _int(v, join(join(path, "operand_source"), k), 0, "a layer id")
    padding: dict[str, tuple[int, int]] = {}
    pr_sizes: dict[str, int] = {}
    pr_dims_node = node.get("pr_loop_dims")
    if pr_dims_node is not None:
        pr_dims = [_str(d, join(join(path, "pr_loop_dims"), i)).upper()
                   for i, d in enumerate(expect_list(pr_dims_node, join(path, "pr_loop_dims")))]  # fmt: skip
        for i, d in enumerate(pr_dims):
            if d not in relations:
                raise SpecError(
                    join(join(path, "pr_loop_dims"), i), d, f"a relation's index {sorted(relations)}"
                )
        if node.get("padding") is not None:
            pads = expect_list(node["padding"], join(path, "padding"))
            if len(pads) != len(pr_dims):
                raise SpecError(
                    join(path, "padding"), pads, f"one [before, after] pair per pr_loop_dims {pr_dims}"
                )
            for i, (d, pad) in enumerate(zip(pr_dims, pads)):
                pp = join(join(path, "padding"), i)
                pad = expect_list(pad, pp, "a pair [before, after]")
                if len(pad) != 2:
                    raise SpecError(pp, pad, "a pair [before, after]")
                padding[d] = (_int(pad[0], join(pp, 0), 0), _int(pad[1], join(pp, 1), 0))
        if node.get("pr_loop_sizes") is not None:
            prs = expect_list(node["pr_loop_sizes"], join(path, "pr_loop_sizes"))
            if len(prs) != len(pr_dims):
                raise SpecError(join(path, "pr_loop_sizes"), prs, f"one size per pr_loop_dims {pr_dims}")
            for i, (d, s) in enumerate(zip(pr_dims, prs)):
                pr_sizes[d] = _int(s, join(join(path, "pr_loop_sizes"), i), 1)
    elif node.get("padding") is not None or node.get("pr_loop_sizes") is not None:
        key = "padding" if node.get("padding") is not None else "pr_loop_sizes"
        raise SpecError(join(path, key), describe(node[key]), "pr_loop_dims naming the relations it is for "
                        "(ZigZag's rule)")  # fmt: skip
    return ZigZagLayer(layer_id, name, op_type, tuple(dims), tuple(sizes), "O", (x, y), indices, symbol,
                       plus == "+", relations, precision, padding, pr_sizes)  # fmt: skip


def layer_to_workload(layer: ZigZagLayer, notes: list[str] | None = None, path: str = "") -> Workload:
    """The loopscape workload of a ZigZag layer: its einsum, the relations as two-term ranks."""
    names = loopscape_dim_names(layer.dims)
    tensors = []
    for letter in (*layer.inputs, layer.output):
        ranks = []
        rank_names = []
        for x in layer.indices[letter]:
            if x in layer.relations:
                d2, c2, d3, c3 = layer.relations[x]
                ranks.append(((names[d2], c2), (names[d3], c3)))
                rank_names.append(LS_RANK.get(x, x))
            else:
                ranks.append(((names[x], 1),))
                rank_names.append(names[x])
        tensors.append(Tensor(LS_TENSOR.get(letter, letter), tuple(ranks), tuple(rank_names),
                              read_write=letter == layer.output))  # fmt: skip
    where = f"{path or 'layer'} {layer.name}"
    for rel, pad in layer.padding.items():
        if any(pad):
            _note(notes, f"{where}: padding {list(pad)} of {rel.lower()}: loopscape keeps the whole window's box "
                         "of inputs (ZigZag leaves the padded rows out of the input's size)")  # fmt: skip
    for rel, size in layer.pr_sizes.items():
        _note(notes, f"{where}: pr_loop_sizes {rel}={size}: loopscape sizes inputs by the window's box")
    strided = [x for x, (_, c2, d3, c3) in layer.relations.items() if c2 > layer.size(d3) and c3 == 1]
    if strided:
        _note(notes, f"{where}: stride larger than the kernel in {[s.lower() for s in strided]}: ZigZag counts the "
                     "inputs touched, loopscape (as Timeloop) their bounding box with the holes")  # fmt: skip
    if layer.operator_type in ("Max", "MaxPool", "Pool", "Pooling", "AveragePool", "GlobalAveragePool"):
        _note(notes, f"{where}: operator_type {layer.operator_type}: loopscape counts the equation's operation "
                     f"({layer.op}) at the table's energy for it")  # fmt: skip
    prec = {k: layer.precision.get(k) for k in ("W", "I", "O", "O_final")}
    if len({v for v in prec.values() if v is not None}) > 1:
        _note(notes, f"{where}: operand precisions {prec}: loopscape has one word size per level (the widest "
                     "operand it holds; outputs at O in a level holding outputs alone, at O_final elsewhere), "
                     "so a level's operands share its word")  # fmt: skip
    try:
        return Workload(
            layer.name, tuple(names[d] for d in layer.dims), layer.sizes, tuple(tensors), op=layer.op
        )
    except SpecError as e:
        raise SpecError(path or "layer", e.message(), "a layer loopscape can build") from None


# --- writing: workload ------------------------------------------------------------------------------------
def workload_to_zigzag(
    workload: Workload,
    *,
    layer_id: int = 0,
    precision: int | dict[str, int] = 16,
    name: str | None = None,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """ZigZag's YAML description of one layer: the einsum of its tensors (`O[..]+=W[..]*I[..]`), with a
    dimension relation (`iy=2*oy+1*fy`) for each rank that sums two dimensions.

    `precision`: bits of every operand, or per operand (W, I, O, O_final)."""
    dims = zigzag_dim_names(workload.dims)
    letters = operand_letters(workload)
    used = {z.lower() for z in dims.values()}
    relations: list[str] = []
    index: dict[str, str] = {}
    for t in workload.tensors:
        idx = []
        for r, rank in enumerate(t.ranks):
            terms = [(d, c) for d, c in rank]
            where = f"workload {workload.name}.{t.name}.ranks[{r}]"
            if len(terms) == 1 and terms[0][1] == 1:
                idx.append(dims[terms[0][0]].lower())
            elif len(terms) == 2 and terms[0][0] != terms[1][0]:
                rank_name = t.rank_names[r] if r < len(t.rank_names) else ""
                cand = ZZ_RANK.get(rank_name, rank_name.upper()).lower()
                if not re.fullmatch(r"[a-z]\w*", cand) or cand in used:
                    cand = next(f"i{n}" for n in range(1, 100) if f"i{n}" not in used)
                used.add(cand)
                (d1, c1), (d2, c2) = terms
                relations.append(f"{cand}={c1}*{dims[d1].lower()}+{c2}*{dims[d2].lower()}")
                idx.append(cand)
            else:
                raise SpecError(where, " + ".join(f"{c}*{d}" for d, c in terms) or "0",
                                "a dimension, or two dimensions' weighted sum (ZigZag's relations are "
                                "x = a*d1 + b*d2)")  # fmt: skip
        index[letters[t.name]] = "".join(f"[{i}]" for i in idx)
        if t.density != 1.0:
            _note(
                notes,
                f"workload {workload.name}: {t.name}'s density {t.density} (sparsity) has no ZigZag form",
            )
    inputs = [letters[t.name] for t in workload.tensors if not t.read_write]
    if workload.op == "mac":
        equation = f"O{index['O']}+={inputs[0]}{index[inputs[0]]}*{inputs[1]}{index[inputs[1]]}"
        op_type = "Conv" if relations else "Gemm"
    elif workload.op == "mul":
        equation = f"O{index['O']}={inputs[0]}{index[inputs[0]]}*{inputs[1]}{index[inputs[1]]}"
        op_type = "Gemm"
    elif workload.op == "add":
        equation = f"O{index['O']}={inputs[0]}{index[inputs[0]]}+{inputs[1]}{index[inputs[1]]}"
        op_type = "Add"
    else:
        raise SpecError(f"workload {workload.name}.op", workload.op, "mac, mul or add: ZigZag's equations "
                        "multiply-accumulate, multiply or add")  # fmt: skip
    if isinstance(precision, int):
        prec = {"W": precision, "I": precision, "O": precision, "O_final": precision}
    else:
        prec = {k: int(precision[k]) for k in ("W", "I", "O", "O_final")}
    for t, letter in letters.items():
        if t != LS_TENSOR.get(letter):
            _note(notes, f"workload {workload.name}: tensor {t} is ZigZag's operand {letter} (ZigZag names its "
                         f"operands W, I, O; read back as {LS_TENSOR[letter]})")  # fmt: skip
    return {
        "id": layer_id,
        "name": name or workload.name,
        "operator_type": op_type,
        "equation": equation,
        "dimension_relations": relations,
        "loop_dims": [dims[d] for d in workload.dims],
        "loop_sizes": list(workload.bounds),
        "operand_precision": prec,
        "operand_source": {"W": layer_id, "I": layer_id},
    }


# --- writing: accelerator ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrayDims:
    """The operational-array dimensions loopscape writes for an architecture: for each level that fans out
    (innermost first) one X and one Y dimension, D1/D2 for the innermost fan-out, D3/D4 for the next, ...
    (a trailing dimension of size 1 left out)."""

    dims: tuple[tuple[str, int, str, int], ...]  # (name, fan-out level, axis, size)

    @staticmethod
    def of(arch: Architecture) -> ArrayDims:
        out: list[tuple[str, int, str, int]] = []
        for lv in reversed(range(len(arch.levels))):
            fx, fy = arch.fanout(lv)
            if (fx, fy) != (1, 1):
                n = len(out)
                out += [(f"D{n + 1}", lv, SPATIAL_X, fx), (f"D{n + 2}", lv, SPATIAL_Y, fy)]
        while len(out) > 1 and out[-1][3] == 1:
            out.pop()
        if not out:
            out = [("D1", len(arch.levels) - 1, SPATIAL_X, 1)]
        if len(out) > 9:
            raise SpecError("architecture.levels", f"{len(out)} array dimensions",
                            "at most 9 (ZigZag names them D1..D9): at most 4 levels that fan out")  # fmt: skip
        return ArrayDims(tuple(out))

    def name(self, level: int, axis: str) -> str | None:
        return next((n for n, lv, ax, _ in self.dims if lv == level and ax == axis), None)

    def served(self, level: int) -> list[str]:
        """The dimensions one instance of `level` is shared over: those of fan-outs at or below it."""
        return [n for n, lv, _, _ in self.dims if lv >= level]


def tensor_precision(
    arch: Architecture, workload: Workload | None, notes: list[str] | None = None
) -> dict[str, int]:
    """ZigZag operand precisions (W, I, O, O_final) of an architecture's words, so that `word_bits_of` gives
    every level its word back: W and I are the words of the levels keeping them; O (ZigZag's partial sums) the
    words of the levels that keep outputs alone (accumulators), O_final those of the others keeping outputs.
    Where levels disagree the backing store's word is written (noted)."""
    base = arch.levels[0].word_bits
    if workload is None:
        return {"W": base, "I": base, "O": base, "O_final": base}
    letters = operand_letters(workload)
    tensors = list(letters)

    def kept(i: int) -> list[str]:
        return [t for t in tensors if i == 0 or arch.may_keep(i, t)]

    def agreed(levels: list[int], what: str) -> int | None:
        bits = {arch.levels[i].word_bits for i in levels}
        if len(bits) > 1:
            _note(notes, f"{what}: levels keeping it have words of {sorted(bits)} bits; ZigZag holds one precision "
                         f"per operand ({base} bits written)")  # fmt: skip
            return base
        return bits.pop() if bits else None

    out: dict[str, int] = {}
    for t, letter in letters.items():
        levels = [i for i in range(len(arch.levels)) if t in kept(i)]
        if letter != "O":
            out[letter] = agreed(levels, t) or base
            continue
        alone = [i for i in levels if i > 0 and kept(i) == [t]]
        others = [i for i in levels if i not in alone]
        out["O_final"] = agreed(others, f"{t} (final)") or base
        out["O"] = agreed(alone, f"{t} (partial sums)") or out["O_final"]
    for i, level in enumerate(arch.levels):
        held = [letters[t] for t in kept(i)]
        if held and word_bits_of(held, out, i == 0) != level.word_bits:
            _note(notes, f"{level.name}: {level.word_bits}-bit words; ZigZag's operand precisions {out} give it "
                         f"{word_bits_of(held, out, i == 0)}")  # fmt: skip
    return out


def word_bits_of(operands: Iterable[str], precision: dict[str, int], top: bool) -> int:
    """A level's word size from ZigZag's operand precisions: the widest operand it holds, outputs at the
    partial-sum precision O where the level holds outputs alone (an accumulator, not the backing store), at
    O_final elsewhere."""
    ops = list(operands)
    bits = []
    for op in ops:
        if op == "O":
            partial = len(ops) == 1 and not top
            bits.append(precision.get("O" if partial else "O_final", precision.get("O", DEFAULT_WORD_BITS)))
        else:
            bits.append(precision.get(op, precision.get("O_final", DEFAULT_WORD_BITS)))
    return max(bits, default=DEFAULT_WORD_BITS)


def accelerator_to_zigzag(
    arch: Architecture,
    table: EnergyTable,
    *,
    workload: Workload | None = None,
    keep: Sequence[Iterable[str]] | None = None,
    unlimited_blocks: int = UNLIMITED_BLOCKS,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """ZigZag's accelerator description (a dict for its YAML) of `arch` priced by `table`.

    One memory per level, innermost first, holding the memory operands of the tensors the level keeps (`keep`,
    one set of tensor names per level, overrides the architecture's: ZigZag has no per-mapping bypass); the
    workload names the tensors (default Weights, Inputs, Outputs). Unlimited bandwidth is written as
    `unlimited_blocks` blocks per cycle (per operand where several share a level with no limit)."""
    letters = operand_letters(workload) if workload is not None else dict(ZZ_OPERAND)
    tensors = list(workload.tensor_names) if workload is not None else list(ZZ_OPERAND)
    array = ArrayDims.of(arch)
    n = len(arch.levels)
    memories: dict[str, Any] = {}
    for lv in reversed(range(n)):
        level = arch.levels[lv]
        if keep is not None:
            kept = [t for t in tensors if t in set(keep[lv])]
        else:
            kept = [t for t in tensors if lv == 0 or arch.may_keep(lv, t)]
        if lv == 0 and len(kept) != len(tensors):
            raise SpecError("mapping.keep[0]", kept, f"every tensor {tensors} at the backing store")
        ops = [DEFAULT_LINKS[letters[t]] for t in kept]  # in the workload's tensor order
        if level.keeps is not None and lv and keep is None:
            other = sorted(set(level.keeps) - set(tensors))
            if other:
                _note(notes, f"{level.name} keeps {other}, which are not ZigZag operands of this layer")
        if not ops:
            why = "the mapping bypasses it" if keep is not None else f"it keeps none of {tensors}"
            _note(notes, f"{level.name}: {why}; a ZigZag memory holds operands, so it is left out (read back "
                         "without it)")  # fmt: skip
            continue
        memories[level.name] = _memory_to_zigzag(arch, lv, ops, table, array, unlimited_blocks, notes)
    systolic = sorted({name for name, lv, _, _ in array.dims if arch.levels[lv].network.forwarding})
    oa: dict[str, Any] = {
        "unit_energy": float(table.compute_energy(workload.op) if workload is not None else table.compute),
        "unit_area": float(table.area.get(arch.compute.name, 0.0)),
        "dimensions": [name for name, _, _, _ in array.dims],
        "sizes": [size for _, _, _, size in array.dims],
    }
    if systolic:
        oa["systolic_dimensions"] = systolic
    _architecture_notes(arch, table, notes)
    return {"name": arch.name, "memories": memories, "operational_array": oa}


def _memory_to_zigzag(arch: Architecture, lv: int, ops: list[str], table: EnergyTable, array: ArrayDims,
                      unlimited_blocks: int, notes: list[str] | None) -> dict[str, Any]:  # fmt: skip
    level = arch.levels[lv]
    wb = level.word_bits
    block = level.block_size * wb

    def bits(words: float | None, what: str) -> int:
        if words is None:
            return block * unlimited_blocks
        value = words * wb
        if value != int(value):
            _note(notes, f"{level.name}.{what}: {words} words/cycle is {value} bits; ZigZag's bandwidths are whole "
                         f"bits ({math.ceil(value)} written)")  # fmt: skip
        return max(1, math.ceil(value))

    def port(name: str, kind: str, width: int, alloc: list[str]) -> dict[str, Any]:
        low = min(block, width)
        if width < block:
            _note(notes, f"{level.name}: a {level.block_size}-word block is wider than the {width}-bit port; "
                         "ZigZag's bandwidth_min cannot exceed bandwidth_max (blocks of the port's width)")  # fmt: skip
        return {"name": name, "type": kind, "bandwidth_min": low, "bandwidth_max": width, "allocation": alloc}

    def reads(ms: list[str]) -> list[str]:
        return [f"{m}, tl" for m in ms] + (["O, th"] if "O" in ms else [])

    def writes(ms: list[str]) -> list[str]:
        return [f"{m}, fh" for m in ms] + (["O, fl"] if "O" in ms else [])

    rb, wbw, sb = level.read_bandwidth, level.write_bandwidth, level.shared_bandwidth
    private = level.instances == arch.compute.instances and len(arch.levels) > 1 and lv > 0
    if rb is None and wbw is None and sb is None:
        width = bits(None, "bandwidth")
        if lv == 0:
            ports = [port("rw_port_1", "read_write", width, reads(ops) + writes(ops))]
        elif private:
            ports = [port(f"r_port_{i}", "read", width, reads([m])) for i, m in enumerate(ops, 1)]
            ports += [port(f"w_port_{i}", "write", width, writes([m])) for i, m in enumerate(ops, 1)]
        else:
            ports = [
                port("r_port_1", "read", width, reads(ops)),
                port("w_port_1", "write", width, writes(ops)),
            ]
    elif rb is None and wbw is None:
        ports = [port("rw_port_1", "read_write", bits(sb, "shared_bandwidth"), reads(ops) + writes(ops))]
    else:
        ports = [port("r_port_1", "read", bits(rb, "read_bandwidth"), reads(ops)),
                 port("w_port_1", "write", bits(wbw, "write_bandwidth"), writes(ops))]  # fmt: skip
        if sb is not None:
            _note(notes, f"{level.name}: a shared bandwidth beside read and write bandwidths has no ZigZag form "
                         "(its ports are independent); the shared limit is left out")  # fmt: skip
    e = table.level(level.name)
    if e.fill != e.update:
        _note(notes, f"{level.name}: fill ({e.fill} pJ) and update ({e.update} pJ) differ; ZigZag's w_cost is one "
                     "write energy (the update's written)")  # fmt: skip
    r_width = ports[0]["bandwidth_max"]
    w_width = ports[-1]["bandwidth_max"]
    return {
        "size": level.capacity_bits if level.entries is not None else UNBOUNDED_BITS,
        "r_cost": float(e.read) * (r_width / min(block, r_width)),
        "w_cost": float(e.update) * (w_width / min(block, w_width)),
        "area": float(table.area.get(level.name, 0.0)),
        "latency": 1,
        "mem_type": CLASS_TO_MEM_TYPE.get(level.cls, "sram"),
        "operands": ops,
        "ports": ports,
        "served_dimensions": array.served(lv),
    }


def _architecture_notes(arch: Architecture, table: EnergyTable, notes: list[str] | None) -> None:
    for lv, level in enumerate(arch.levels):
        net = level.network
        if not net.multicast and arch.fanout(lv) != (1, 1):
            _note(notes, f"{level.name}: no multicast below it; ZigZag shares data over served dimensions")
        if not net.spatial_reduction and arch.fanout(lv) != (1, 1):
            _note(
                notes, f"{level.name}: no spatial reduction below it; ZigZag reduces over served dimensions"
            )
        if level.gating:
            _note(notes, f"{level.name}: gating (sparsity) has no ZigZag form")
        if level.component is not None or level.attributes:
            _note(notes, f"{level.name}: its energy/area component ({level.component}, {dict(level.attributes)}) "
                         "is not held; ZigZag takes the energies and areas written")  # fmt: skip
        e = table.level(level.name)
        if e.gated_read or e.gated_fill or e.gated_update:
            _note(notes, f"{level.name}: gated energies have no ZigZag form")
        if table.network.get(level.name):
            _note(notes, f"{level.name}: network energy ({table.network[level.name]} pJ per word-hop) has no ZigZag "
                         "form (ZigZag models no interconnect energy)")  # fmt: skip
    if arch.compute.component is not None or arch.compute.attributes or arch.compute.gating:
        _note(notes, f"{arch.compute.name}: component and gating of the compute units are not held")
    if arch.compute.name != "MAC":
        _note(notes, f"{arch.compute.name}: ZigZag's operational array has no name (read back as MAC)")
    if any(table.leakage.values()):
        _note(notes, "leakage energy has no ZigZag form")
    if table.compute_gated:
        _note(notes, "gated compute energy has no ZigZag form")
    if arch.technology != "45nm" or arch.clock_ghz != 1.0:
        _note(notes, f"technology {arch.technology} and clock {arch.clock_ghz} GHz are not held (ZigZag takes "
                     "energies per access and counts cycles)")  # fmt: skip
    if arch.update_unit is not None:
        _note(notes, f"update unit {arch.update_unit.name}: ZigZag has no weight-update unit")


# --- mappings: ZigZag's allocation of a temporal ordering to memories ---------------------------------------
@dataclass(frozen=True)
class ZigZagAllocation:
    """A ZigZag mapping in plain names, as ZigZag's TemporalMapping holds it: temporal[operand][memory level,
    innermost first] = the loops allocated there, innermost first, as (ZigZag dimension, bound);
    spatial[array dimension] = (ZigZag dimension, bound) unrollings; memories[operand] = the memory names of its
    levels, innermost first (optional, checked when given)."""

    temporal: dict[str, list[list[tuple[str, int]]]]
    spatial: dict[str, list[tuple[str, int]]]
    memories: dict[str, list[str]] = field(default_factory=dict)

    def ordering(self, operand: str) -> list[tuple[str, int]]:
        """The global temporal ordering as `operand` sees it, innermost first."""
        return [loop for level in self.temporal[operand] for loop in level]


@dataclass(frozen=True)
class Conversion:
    """A loopscape mapping of a ZigZag mapping; `notes` says where it is not exact (empty: exact)."""

    mapping: Mapping
    notes: tuple[str, ...]

    @property
    def exact(self) -> bool:
        return not self.notes


@dataclass(frozen=True)
class _Parsed:
    fanouts: tuple[int, ...]  # levels that fan out, outermost first
    groups: dict[int, tuple[Loop, ...]]  # fan-out level -> its spatial loops
    ordering: tuple[tuple[str, int], ...]  # loopscape (dimension, bound), innermost first, bounds > 1
    counts: dict[tuple[int, str], int]  # (level >= 1, tensor) -> inner temporal loops in its tile
    low: dict[tuple[int, str], int]  # the fewest loops giving the same counts (irrelevant loops dropped)
    high: dict[tuple[int, str], int]  # the most loops giving the same counts (irrelevant loops added)


def _array_of(arch: Architecture) -> dict[str, tuple[int, str]]:
    return {name: (lv, axis) for name, lv, axis, _ in ArrayDims.of(arch).dims}


def _parse(arch: Architecture, workload: Workload, za: ZigZagAllocation, array: dict[str, tuple[int, str]] | None,
           dim_map: dict[str, str] | None, path: str) -> _Parsed:  # fmt: skip
    array = array if array is not None else _array_of(arch)
    dim_map = dim_map if dim_map is not None else {z: d for d, z in zigzag_dim_names(workload.dims).items()}
    letters = operand_letters(workload)

    def ls(d: str, where: str) -> str:
        if d not in dim_map:
            raise SpecError(where, d, f"a loop dimension of the layer {sorted(dim_map)}")
        return dim_map[d]

    groups: dict[int, list[Loop]] = {}
    for oa, loops in za.spatial.items():
        if oa not in array:
            raise SpecError(join(join(path, "spatial_mapping"), oa), oa,
                            f"an array dimension that a level fans out over: {sorted(array)}")  # fmt: skip
        lv, axis = array[oa]
        groups.setdefault(lv, []).extend(
            Loop(ls(d, join(join(path, "spatial_mapping"), oa)), b, axis, lv) for d, b in loops if b > 1
        )
    for lv, loops in groups.items():
        fx, fy = arch.fanout(lv)
        for axis, limit in ((SPATIAL_X, fx), (SPATIAL_Y, fy)):
            used = math.prod(lp.bound for lp in loops if lp.kind == axis)
            if used > limit:
                raise SpecError(join(path, "spatial_mapping"), f"an unrolling of {used} along {axis[-1].upper()} "
                                f"below {arch.levels[lv].name}", f"at most the fan-out's {limit}")  # fmt: skip
        loops.sort(key=lambda lp: lp.kind != SPATIAL_X)  # X loops first (stable)
    fanouts = tuple(lv for lv in range(len(arch.levels)) if arch.fanout(lv) != (1, 1))

    tensors = workload.tensor_names
    operands = [letters[t] for t in tensors]
    missing = [op for op in operands if op not in za.temporal]
    if missing:
        raise SpecError(
            join(path, "temporal_mapping"), sorted(za.temporal), f"temporal loops for operands {operands}"
        )
    first = operands[0]
    ordering = [(d, b) for d, b in za.ordering(first) if b > 1]
    for op in operands[1:]:
        if [(d, b) for d, b in za.ordering(op) if b > 1] != ordering:
            raise SpecError(join(path, "temporal_mapping"), f"operand {op}'s temporal ordering differs from {first}'s",
                            "one ordering for every operand (each operand's levels concatenate to it)")  # fmt: skip
    ordering_ls = tuple((ls(d, join(path, "temporal_ordering")), b) for d, b in ordering)
    n = len(ordering_ls)
    counts: dict[tuple[int, str], int] = {}
    low: dict[tuple[int, str], int] = {}
    high: dict[tuple[int, str], int] = {}
    for t in tensors:
        op = letters[t]
        kept = [lv for lv in range(len(arch.levels)) if lv == 0 or arch.may_keep(lv, t)]
        levels = za.temporal[op]
        if len(levels) != len(kept):
            raise SpecError(
                join(join(path, "temporal_mapping"), op),
                f"{len(levels)} memory levels",
                f"the {len(kept)} levels keeping {t}: {[arch.levels[lv].name for lv in reversed(kept)]}",
            )
        names = za.memories.get(op)
        expected = [arch.levels[lv].name for lv in reversed(kept)]
        if names is not None and list(names) != expected:
            raise SpecError(join(join(path, "temporal_mapping"), op), f"memories {list(names)}",
                            f"the levels keeping {t}, innermost first: {expected}")  # fmt: skip
        used = workload.tensor(t).dims()
        c = 0
        for level_loops, lv in zip(levels, reversed(kept)):
            c += sum(1 for _, b in level_loops if b > 1)
            if lv == 0:
                continue
            lo = hi = c
            while lo > 0 and ordering_ls[lo - 1][0] not in used:
                lo -= 1
            while hi < n and ordering_ls[hi][0] not in used:
                hi += 1
            counts[(lv, t)], low[(lv, t)], high[(lv, t)] = c, lo, hi
    return _Parsed(fanouts, {lv: tuple(g) for lv, g in groups.items()}, ordering_ls, counts, low, high)


def _bounds(parsed: _Parsed, fan: int) -> tuple[int, int, int]:
    """(fewest, most, literal) temporal loops below the spatial loops of fan-out `fan` giving every tile its
    counts: every tile below the fan-out within them, every tile above it around them."""
    n = len(parsed.ordering)
    private = [key for key in parsed.counts if key[0] > fan]
    shared = [key for key in parsed.counts if key[0] <= fan]
    k_min = max((parsed.low[k] for k in private), default=0)
    k_max = min((parsed.high[k] for k in shared), default=n)
    literal = max((parsed.counts[k] for k in private), default=0)
    return k_min, k_max, literal


def spatial_positions(arch: Architecture, workload: Workload, za: ZigZagAllocation, *,
                      array: dict[str, tuple[int, str]] | None = None, dim_map: dict[str, str] | None = None
                      ) -> list[int]:  # fmt: skip
    """Where the spatial loops of an architecture with one fan-out can go (as the number of temporal loops below
    them) with the fewest changes.

    One position when the mapping converts exactly: a k with every PE-private tile within the k inner loops and
    every shared tile around them, once loops a tensor does not use are moved across its cut (its tile and
    counts stay the same: the data is stationary either way), the one nearest ZigZag's largest PE tile.
    Otherwise every k between the two bounds; each changes some tile, and a caller may keep the best valid one."""
    parsed = _parse(arch, workload, za, array, dim_map, "mapping")
    if len(parsed.fanouts) != 1:
        raise SpecError("architecture.levels", [arch.levels[lv].name for lv in parsed.fanouts],
                        "one level fanning out to the array (use allocation_to_mapping otherwise)")  # fmt: skip
    k_min, k_max, literal = _bounds(parsed, parsed.fanouts[0])
    if k_min <= k_max:
        return [min(max(literal, k_min), k_max)]
    return list(range(k_max, k_min + 1))


def allocation_to_mapping(
    arch: Architecture,
    workload: Workload,
    za: ZigZagAllocation,
    position: int | dict[int, int] | None = None,
    *,
    array: dict[str, tuple[int, str]] | None = None,
    dim_map: dict[str, str] | None = None,
    path: str = "mapping",
) -> Conversion:
    """The loopscape mapping of ZigZag's allocation `za` of `workload` on `arch`: one nest, outermost first,
    with a cut per (level, kept tensor) where ZigZag's memory levels part that tensor's loops.

    ZigZag keeps the spatial unrolling apart from the temporal ordering; loopscape puts each fan-out's spatial
    loops at one place in the nest: below them the tiles of the levels under that fan-out, around them those
    above it. `position` (the number of temporal loops below the spatial loops; per fan-out level for several)
    defaults to the lowest place that keeps every tile as ZigZag has it (moving a cut across loops its tensor
    does not use keeps the tile and the counts); where none does, `notes` says which tile grew or shrank.
    `array`: ZigZag array dimension -> (fan-out level, mesh axis), default the dimensions loopscape writes
    (`ArrayDims`); `dim_map`: ZigZag -> loopscape dimension names. Loops of bound 1 are dropped."""
    parsed = _parse(arch, workload, za, array, dim_map, path)
    n = len(parsed.ordering)
    ks: dict[int, int] = {}
    for fan in parsed.fanouts:
        k_min, k_max, literal = _bounds(parsed, fan)
        ks[fan] = min(max(literal, k_min), k_max)
    if isinstance(position, int):
        if len(parsed.fanouts) != 1:
            raise SpecError(path, position, "a position per fan-out level (a dict) for several fan-outs")
        position = {parsed.fanouts[0]: position}
    for fan, k in (position or {}).items():
        if fan not in ks or not 0 <= k <= n:
            raise SpecError(path, f"spatial position {k} at level {fan}",
                            f"0..{n} temporal loops below the spatial loops of a fan-out level {list(ks)}")  # fmt: skip
        ks[fan] = k
    for outer, inner in itertools.pairwise(parsed.fanouts):  # deeper fan-outs sit lower in the nest
        if ks[outer] < ks[inner]:
            if position and outer in position:
                raise SpecError(path, ks, "positions that do not increase with the fan-out's depth")
            ks[outer] = ks[inner]

    notes: list[str] = []
    cuts: list[tuple[int, str, int]] = []
    for (lv, t), c in sorted(parsed.counts.items()):
        lower = max((ks[f] for f in parsed.fanouts if f >= lv), default=0)
        upper = min((ks[f] for f in parsed.fanouts if f < lv), default=n)
        c2 = min(max(c, lower), upper)
        name = arch.levels[lv].name
        if c2 > parsed.high[(lv, t)]:
            notes.append(f"{name} tile of {t} enlarged from {c} to {c2} inner loops")
        if c2 < parsed.low[(lv, t)]:
            notes.append(f"{name} tile of {t} shrunk from {c} to {c2} inner loops")
        spatial_before = sum(len(parsed.groups.get(f, ())) for f in parsed.fanouts if f < lv)
        cuts.append((lv, t, n - c2 + spatial_before))

    outer_first = list(reversed(parsed.ordering))
    items: list[tuple[str, int] | Loop] = []
    for i in range(n + 1):
        for fan in parsed.fanouts:
            if n - ks[fan] == i:
                items.extend(parsed.groups.get(fan, ()))
        if i < n:
            items.append(outer_first[i])
    min_cut: dict[int, int] = {}
    for lv, _, pos in cuts:
        min_cut[lv] = min(pos, min_cut.get(lv, pos))
    loops: list[Loop] = []
    last_fan = -1
    for p, item in enumerate(items):
        if isinstance(item, Loop):
            loops.append(item)
            last_fan = max(last_fan, item.level)
        else:
            level = max(
                [0, last_fan + 1 if last_fan >= 0 else 0] + [lv for lv, pos in min_cut.items() if pos <= p]
            )
            loops.append(Loop(item[0], item[1], TEMPORAL, min(level, len(arch.levels) - 1)))
    keep = tuple(
        frozenset(t for t in workload.tensor_names if lv == 0 or arch.may_keep(lv, t))
        for lv in range(len(arch.levels))
    )
    mapping = Mapping(tuple(loops), keep, tuple(cuts))
    for d, b in zip(workload.dims, workload.bounds):
        f = mapping.factor(d)
        if f < b:
            notes.append(f"{d}: ZigZag's loops multiply to {f}, the layer has {b}")
    return Conversion(mapping, tuple(notes))


def mapping_to_allocation(arch: Architecture, workload: Workload, mapping: Mapping) -> ZigZagAllocation:
    """ZigZag's allocation of a loopscape mapping: per operand, the temporal loops (bound > 1) of each level that
    keeps its tensor, innermost first; the spatial loops per array dimension (`ArrayDims`)."""
    dims = zigzag_dim_names(workload.dims)
    letters = operand_letters(workload)
    array = ArrayDims.of(arch)
    spatial: dict[str, list[tuple[str, int]]] = {}
    for i, lp in enumerate(mapping.loops):
        if not lp.spatial or lp.bound == 1:
            continue
        oa = array.name(lp.level, lp.kind)
        if oa is None:
            raise SpecError(f"mapping.loops[{i}]", f"a spatial loop along {lp.kind[-1].upper()} below "
                            f"{arch.levels[lp.level].name}", "a spatial loop of a level that fans out along it")  # fmt: skip
        entries = spatial.setdefault(oa, [])
        z = dims[lp.dim]
        for j, (d, b) in enumerate(entries):
            if d == z:
                entries[j] = (d, b * lp.bound)
                break
        else:
            entries.append((z, lp.bound))
    temporal_pos = [i for i, lp in enumerate(mapping.loops) if not lp.spatial and lp.bound > 1]
    temporal: dict[str, list[list[tuple[str, int]]]] = {}
    memories: dict[str, list[str]] = {}
    for t in workload.tensor_names:
        kept = [lv for lv in range(len(arch.levels)) if lv == 0 or mapping.keeps(lv, t)]
        levels: list[list[tuple[str, int]]] = []
        prev = len(mapping.loops)
        for lv in reversed(kept):
            cut = 0 if lv == 0 else mapping.cut(lv, t)
            inside = [p for p in temporal_pos if cut <= p < prev]
            levels.append([(dims[mapping.loops[p].dim], mapping.loops[p].bound) for p in reversed(inside)])
            prev = min(prev, cut)
        temporal[letters[t]] = levels
        memories[letters[t]] = [arch.levels[lv].name for lv in reversed(kept)]
    return ZigZagAllocation(temporal, spatial, memories)


# --- ZigZag's memory allocator (LOMA's MemoryAllocator, uneven) --------------------------------------------
def zigzag_allocate(
    hw: ZigZagHardware,
    layer: ZigZagLayer,
    links: dict[str, str],
    spatial: dict[str, list[tuple[str, float]]],
    ordering: Sequence[tuple[str, int]],
    path: str = "mapping",
) -> dict[str, list[list[tuple[str, int]]]]:
    """How ZigZag 3.9.1 allocates a complete temporal ordering (innermost first) to the memories: memory by
    memory bottom-up, each operand takes the longest prefix of its remaining loops that fits, choosing among
    the operands sharing the memory the combination with the fewest accesses to the level above (ties: the
    last combination), a top memory taking all that is left. Returns operand -> per memory level (innermost
    first) the loops allocated there."""
    layer_ops = [op for op in links if op in (layer.output, *layer.inputs)]
    mem_of = {op: links[op] for op in layer_ops}
    layer_of = {m: op for op, m in mem_of.items()}
    mem_ops = [mem_of[op] for op in layer_ops]
    spatial_levels: dict[str, list[list[tuple[str, float]]]] = {}
    for op in layer_ops:
        left = {d: list(loops) for d, loops in spatial.items()}
        per_level: list[list[tuple[str, float]]] = []
        for m in hw.levels_of(mem_of[op]):
            merged: dict[str, float] = {}
            for d in hw.dims:
                if d in m.served and d in left:
                    for zd, f in left.pop(d):
                        merged[zd] = merged.get(zd, 1) * f
            per_level.append(list(merged.items()))
        top: dict[str, float] = {}
        for loops in left.values():
            for zd, f in loops:
                top[zd] = top.get(zd, 1) * f
        per_level.append(list(top.items()))
        spatial_levels[op] = per_level
    allocated = {m: list(spatial_levels[layer_of[m]][0]) for m in mem_ops}
    unallocated = {m: [(d, s) for d, s in ordering] for m in mem_ops}
    level_of = {op: 1 for op in layer_ops}
    result: dict[str, list[list[tuple[str, int]]]] = {op: [] for op in layer_ops}
    tops = {m: hw.levels_of(m)[-1].name for m in mem_ops}
    ir_out = layer.ir_dims(layer.output)

    def precision(m: str) -> int:
        op = layer_of[m]
        if m == "O":
            pending = [d for lvl in spatial_levels[op][level_of[op] :] for d, _ in lvl] + [
                d for d, _ in unallocated[m]
            ]
            return layer.precision["O"] if any(d in ir_out for d in pending) else layer.precision["O_final"]
        if op not in layer.precision:
            raise SpecError(path, f"no operand_precision for {op}", f"a precision for every operand ({op})")
        return layer.precision[op]

    def bits(m: str, loops: list[tuple[str, float]], prec: int) -> float:
        sizes: dict[str, float] = {}
        for d, s in loops:
            sizes[d] = sizes.get(d, 1) * s
        return layer.tensor_size(layer_of[m], sizes) * prec

    for node in hw.memories:  # file order is bottom-up for every operand
        ops = [m for m in node.operands if m in mem_ops]
        if not ops:
            continue
        cap = node.size
        all_sizes: dict[str, list[float]] = {}
        for m in ops:
            prec = precision(m)
            done, left = allocated[m], unallocated[m]
            whole = bits(m, done + left, prec)
            sizes: list[float] = []
            for i in range(len(left) + 1):
                s = bits(m, done + left[:i], prec)
                if node.double_buffering and left[i:] and s < whole:
                    s *= 2
                if s <= cap:
                    sizes.append(s)
                elif i == 0:
                    raise SpecError(path, f"{layer_of[m]}'s tile of {s:g} bits below and at {node.name}",
                                    f"at most its {cap} bits: ZigZag cannot allocate this mapping (its spatial "
                                    "unrolling overflows the memory)")  # fmt: skip
                else:
                    break
            all_sizes[m] = sizes
        offsets = {m: 0 for m in ops}
        for m in ops:
            if node.name == tops[m]:
                offsets[m] = len(all_sizes[m]) - 1
                all_sizes[m] = [all_sizes[m][-1]]
        accesses = {
            m: [0.0 if node.name == tops[m] else math.prod(s for _, s in unallocated[m][i + offsets[m]:]) * size
                for i, size in enumerate(all_sizes[m])]
            for m in ops
        }  # fmt: skip
        radix = [len(all_sizes[m]) for m in ops]
        best = [0] * len(ops)
        best_acc = math.inf
        for i in range(math.prod(radix)):
            idx = [(i // math.prod(radix[j + 1 :])) % radix[j] for j in range(len(ops))]
            total = sum(all_sizes[m][k] for m, k in zip(ops, idx))
            if total > cap:
                if i == 0:
                    raise SpecError(
                        path,
                        f"{node.name} holding {total:g} bits of tiles",
                        f"at most its {cap} bits: "
                        "the tiles of the levels below do not fit (ZigZag's MemoryTooSmallException)",
                    )
                continue
            acc = sum(accesses[m][k] for m, k in zip(ops, idx))
            if acc <= best_acc:
                best_acc, best = acc, [k + offsets[m] for m, k in zip(ops, idx)]
        for m, k in zip(ops, best):
            op = layer_of[m]
            loops = unallocated[m][:k]
            allocated[m] += loops
            del unallocated[m][:k]
            result[op].append([(d, int(s)) for d, s in loops])
            allocated[m] += spatial_levels[op][level_of[op]]
            if node.name == tops[m] and unallocated[m]:
                raise SpecError(path, f"loops {unallocated[m]} of {op} left over at its top memory {node.name}",
                                "a memory hierarchy holding the whole layer")  # fmt: skip
            level_of[op] += 1
    return result


# --- reading: mappings -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZigZagMappingEntry:
    """One entry of a ZigZag mapping file."""

    name: str
    spatial: dict[str, list[tuple[str, int]]] | None  # None: ZigZag generates the spatial mapping
    links: dict[str, str]
    ordering: list[tuple[str, int | None]]  # innermost first; None = '*' or a size left open
    hint: bool
    path: str


def read_mapping_entries(data: object, path: str = "") -> list[ZigZagMappingEntry]:
    """A ZigZag mapping file (a parsed YAML list) checked against ZigZag 3.9.1's schema (it needs a 'default')."""
    items = expect_list(data, path or "(document)", "a ZigZag mapping: a list of entries with a name")
    out = []
    for i, node in enumerate(items):
        p = f"{path}[{i}]"
        node = expect_map(
            node, p, "a mapping entry: name, spatial_mapping, temporal_ordering, memory_operand_links"
        )
        _keys(node, p, ("name", "spatial_mapping", "memory_operand_links", "spatial_mapping_hint",
                        "temporal_ordering"), ("name",))  # fmt: skip
        name = _str(node["name"], join(p, "name"))
        spatial = None
        if node.get("spatial_mapping") is not None:
            sp = join(p, "spatial_mapping")
            spatial = {}
            for oa, entries in expect_map(node["spatial_mapping"], sp).items():
                if oa not in ("D1", "D2", "D3", "D4"):
                    raise SpecError(join(sp, str(oa)), oa, "one of D1, D2, D3, D4 (ZigZag's mapping schema)")
                spatial[oa] = [
                    _unrolling(e, join(join(sp, oa), j))
                    for j, e in enumerate(expect_list(entries, join(sp, oa)))
                ]
        links = dict(DEFAULT_LINKS)
        if node.get("memory_operand_links") is not None:
            lp = join(p, "memory_operand_links")
            lnode = expect_map(node["memory_operand_links"], lp)
            _keys(lnode, lp, ("O", "W", "I"), ("O", "W", "I"))
            links = {
                k: _str(v, join(lp, k), OPERAND_RE, "a memory operand I1, I2 or O") for k, v in lnode.items()
            }
            if len(set(links.values())) != 3:
                raise SpecError(lp, links, "distinct memory operands for O, W and I")
        hint = False
        if node.get("spatial_mapping_hint") is not None:
            hp = join(p, "spatial_mapping_hint")
            for oa, dims in expect_map(node["spatial_mapping_hint"], hp).items():
                if oa not in ("D1", "D2", "D3", "D4"):
                    raise SpecError(join(hp, str(oa)), oa, "one of D1, D2, D3, D4")
                for j, d in enumerate(expect_list(dims, join(hp, oa))):
                    _str(d, join(join(hp, oa), j), re.compile(r"^[A-Z]+\d*"), "a loop dimension")
            hint = True
        ordering: list[tuple[str, int | None]] = []
        if node.get("temporal_ordering") is not None:
            tp = join(p, "temporal_ordering")
            for j, item in enumerate(expect_list(node["temporal_ordering"], tp)):
                ip = join(tp, j)
                item = expect_list(item, ip, "a pair [DIM, size] (size an integer or '*')")
                if len(item) != 2:
                    raise SpecError(ip, item, "a pair [DIM, size] (size an integer or '*')")
                dim = _str(item[0], join(ip, 0)).upper()
                size = item[1]
                if size == "*":
                    ordering.append((dim, None))
                else:
                    ordering.append((dim, _int(size, join(ip, 1), 1, "a positive loop size or '*'")))
        out.append(ZigZagMappingEntry(name, spatial, links, ordering, hint, p))
    if not any(e.name == "default" for e in out):
        raise SpecError(
            path or "(document)", [e.name for e in out], "an entry named 'default' (ZigZag requires one)"
        )
    return out


def mapping_entry_for(entries: list[ZigZagMappingEntry], layer: ZigZagLayer) -> ZigZagMappingEntry:
    """ZigZag's choice: the entry named as the layer, else as its operator type, else 'default'."""
    for key in (layer.name, layer.operator_type, "default"):
        for e in entries:
            if e.name == key:
                return e
    raise AssertionError("read_mapping_entries guarantees a default entry")


def _inner_memories(hw: ZigZagHardware) -> list[_Memory]:
    """Memories with no memory below them for any of their operands (ZigZag's `get_inner_memories`)."""
    return [m for m in hw.memories if all(hw.levels_of(op)[0].name == m.name for op in m.operands)]


def _reduced_spatial(hw: ZigZagHardware, layer: ZigZagLayer, entry: ZigZagMappingEntry,
                     notes: list[str] | None) -> dict[str, list[tuple[str, int]]]:  # fmt: skip
    """The user's spatial mapping as ZigZag's SpatialMappingGeneratorStage reduces it before use: dimensions
    not in the layer dropped; each unrolling at most the layer's size, the array dimension's and what the
    innermost memories' bandwidth can multicast; an array dimension's product at most its size; a layer
    dimension's total at most its size; the unrolling over an innermost memory's served dimensions at most
    what the memory holds."""
    where = join(entry.path, "spatial_mapping")
    user = entry.spatial or {}
    for oa in user:
        if oa not in hw.sizes:
            raise SpecError(join(where, oa), oa, f"an array dimension of the accelerator {list(hw.dims)}")
    mapping: dict[str, dict[str, int]] = {}
    for oa, loops in user.items():
        mapping[oa] = {}
        for d, f in loops:
            if d not in layer.dims:
                _note(
                    notes,
                    f"{join(where, oa)}: {d} is not a loop dimension of layer {layer.name}; ZigZag drops it",
                )
            else:
                mapping[oa][d] = f
    inner = _inner_memories(hw)
    links = entry.links
    layer_of = {m: op for op, m in links.items() if op in (layer.output, *layer.inputs)}
    max_unroll = {oa: {d: min(layer.size(d), hw.sizes[oa]) for d in layer.dims} for oa in hw.dims}
    for m in inner:
        for mem_op in m.operands:
            if mem_op not in layer_of:
                continue
            op = layer_of[mem_op]
            direction = "fl" if op == layer.output else "tl"
            port = next((p for p in m.ports if (mem_op, direction) in p.allocation), None)
            prec = layer.precision.get(op, layer.precision["O"])
            if port is None or prec <= 0:
                continue
            ir = layer.ir_dims(op)
            for oa in m.served:
                for d in max_unroll[oa]:
                    if d not in ir:
                        max_unroll[oa][d] = min(max_unroll[oa][d], port.bw_max // prec)
    for oa, loops in mapping.items():
        for d in list(loops):
            if loops[d] > max_unroll[oa][d]:
                _note(notes, f"{join(where, oa)}: {d} {loops[d]} exceeds what ZigZag allows ({max_unroll[oa][d]}: "
                             "the layer, the array dimension or the innermost memory's bandwidth); lowered")  # fmt: skip
                loops[d] = max_unroll[oa][d]
        while math.prod(loops.values()) > hw.sizes[oa]:
            d = next(iter(loops))
            _note(notes, f"{join(where, oa)}: unrolls more than {oa}'s {hw.sizes[oa]}; ZigZag removes {d}")
            del loops[d]
    for d in layer.dims:
        while math.prod(loops.get(d, 1) for loops in mapping.values()) > layer.size(d):
            oa = [o for o, loops in mapping.items() if d in loops][-1]
            _note(notes, f"{where}: {d} is unrolled beyond the layer's {layer.size(d)}; ZigZag removes it from an "
                         f"arbitrary array dimension ({oa} here)")  # fmt: skip
            del mapping[oa][d]
    for m in inner:
        for mem_op in m.operands:
            if mem_op not in layer_of:
                continue
            op = layer_of[mem_op]
            prec = layer.precision.get(op, layer.precision["O"])
            ir = layer.ir_dims(op)
            dims = sorted({d for oa in m.served for d in mapping.get(oa, {}) if d not in ir})
            total = math.prod(mapping[oa][d] for oa in m.served for d in mapping.get(oa, {}) if d not in ir)
            capacity = m.size / prec if prec > 0 else math.inf
            if capacity >= total:
                continue
            factors = [mapping[oa][d] for d in dims for oa in m.served if d in mapping.get(oa, {})]
            new = list(factors)
            while math.prod(new) > capacity and any(f > 1 for f in new):
                new[new.index(max(new))] -= 1
            remap = dict(zip(factors, new))
            _note(notes, f"{where}: the unrolling over {m.name}'s served dimensions exceeds what it holds; ZigZag "
                         f"shrinks it ({factors} to {new})")  # fmt: skip
            for oa in m.served:
                for d in mapping.get(oa, {}):
                    if d in dims:
                        mapping[oa][d] = remap[mapping[oa][d]]
    return {oa: list(loops.items()) for oa, loops in mapping.items()}


def _limited_spatial(hw: ZigZagHardware, layer: ZigZagLayer, user: dict[str, list[tuple[str, int]]],
                     path: str) -> dict[str, list[tuple[str, float]]]:  # fmt: skip
    """ZigZag's effective unrolling (SpatialMappingConversionStage): clipped to the array dimension, and for a
    dimension that does not divide, its first largest unrolling lowered to an even (possibly fractional) split."""
    out: dict[str, list[tuple[str, float]]] = {}
    for oa, loops in user.items():
        for d, f in loops:
            if d not in layer.dims:
                continue
            f = min(f, hw.sizes[oa])
            if f > layer.size(d):
                raise SpecError(join(join(path, "spatial_mapping"), oa), f"{d}, {f}",
                                f"an unrolling of at most the layer's {d} = {layer.size(d)}")  # fmt: skip
            sizes = [dict(v).get(d, 0) for v in user.values()]
            first_max = next(o for o, v in user.items() if dict(v).get(d, 0) == max(sizes))
            value: float = f
            if oa == first_max:
                early = math.prod(ff for v in out.values() for dd, ff in v if dd == d)
                remainder = math.ceil(layer.size(d) / (f * early))
                value = layer.size(d) / remainder / early
            out.setdefault(oa, []).append((d, value))
    return out


def _temporal_sizes(layer: ZigZagLayer, spatial: dict[str, list[tuple[str, float]]]) -> dict[str, int]:
    """The temporal loop sizes ZigZag expects (`LomaEngine.get_temporal_loops`): ceil(size / unrolling)."""
    sizes = {d: layer.size(d) for d in layer.dims}
    for loops in spatial.values():
        for d, f in loops:
            if d in sizes:
                sizes[d] = math.ceil(sizes[d] / f)
    return {d: s for d, s in sizes.items() if s > 1}


def _read_allocation_entries(
    data: object, path: str = ""
) -> dict[str, tuple[dict[str, list[tuple[str, list]]], str]]:
    """loopscape's temporal_mapping.yaml: name -> (operand -> [(memory, loops)], path)."""
    items = expect_list(data, path or "(document)", "a list of entries: name, temporal_mapping")
    out = {}
    for i, node in enumerate(items):
        p = f"{path}[{i}]"
        node = expect_map(node, p)
        _keys(node, p, ("name", "temporal_mapping"), ("name", "temporal_mapping"))
        name = _str(node["name"], join(p, "name"))
        tp = join(p, "temporal_mapping")
        ops: dict[str, list[tuple[str, list]]] = {}
        for op, levels in expect_map(node["temporal_mapping"], tp).items():
            op_path = join(tp, str(op))
            if op not in ("O", "W", "I"):
                raise SpecError(op_path, op, "a layer operand O, W or I")
            mems = []
            for mem, loops in expect_map(
                levels, op_path, "memory name -> loops, innermost memory first"
            ).items():
                mp = join(op_path, str(mem))
                parsed = []
                for j, item in enumerate(
                    expect_list(loops, mp, "a list of [DIM, size] loops, innermost first")
                ):
                    item = expect_list(item, join(mp, j), "a loop [DIM, size]")
                    if len(item) != 2:
                        raise SpecError(join(mp, j), item, "a loop [DIM, size]")
                    parsed.append(
                        (_str(item[0], join(join(mp, j), 0)).upper(), _int(item[1], join(join(mp, j), 1), 1))
                    )
                mems.append((str(mem), parsed))
            ops[op] = mems
        out[name] = (ops, p)
    return out


def read_zigzag_mapping(
    hw: ZigZagHardware,
    layer: ZigZagLayer,
    entry: ZigZagMappingEntry,
    arch: Architecture,
    workload: Workload,
    allocation: tuple[dict[str, list[tuple[str, list]]], str] | None = None,
    notes: list[str] | None = None,
) -> Mapping | None:
    """The loopscape mapping of a ZigZag mapping entry for `layer` (None when ZigZag would search it: no spatial
    mapping or an incomplete temporal ordering, said in `notes`)."""
    where = f"mapping {entry.name!r}"
    if entry.hint:
        _note(notes, f"{where}: spatial_mapping_hint guides ZigZag's spatial search; not read")
    if entry.spatial is None:
        _note(notes, f"{where}: no spatial_mapping; ZigZag generates it, loopscape's mapper can search it")
        return None
    if allocation is not None:  # loopscape wrote it: its unrolling as written
        spatial = {
            oa: [(d, float(f)) for d, f in loops if d in layer.dims] for oa, loops in entry.spatial.items()
        }
    else:
        spatial = _limited_spatial(hw, layer, _reduced_spatial(hw, layer, entry, notes), entry.path)
    ordering = [(d, s) for d, s in entry.ordering if d in layer.dims or s is None]
    dropped = [d for d, s in entry.ordering if d not in layer.dims and s is not None]
    if dropped:
        _note(notes, f"{where}: temporal_ordering entries over {dropped} are not loop dimensions of {layer.name}; "
                     "ZigZag drops them")  # fmt: skip
    expected = _temporal_sizes(layer, spatial)
    given: dict[str, int] = {}
    complete = bool(ordering) and all(s is not None for _, s in ordering)
    for d, s in ordering:
        if s is not None:
            given[d] = given.get(d, 1) * s
    given = {d: s for d, s in given.items() if s > 1}
    # loopscape's own mappings (with an allocation) keep their ordering as written, padding included
    if not complete or (allocation is None and given != expected):
        why = (
            "no temporal_ordering"
            if not entry.ordering
            else f"temporal_ordering {given} is not complete ({expected})"
        )
        _note(notes, f"{where}: {why}; ZigZag searches the temporal mapping (LOMA), loopscape's mapper can")
        return None
    loops = [(d, int(s)) for d, s in ordering if s is not None and s > 1]
    int_spatial: dict[str, list[tuple[str, int]]] = {}
    for oa, sl in spatial.items():
        for d, f in sl:
            fi = math.ceil(f - 1e-9)
            if fi != f:
                _note(notes, f"{where}: {oa} unrolls {d} by {f:.4g} on average (ZigZag's greedy mapping); loopscape "
                             f"unrolls {fi} with padding")  # fmt: skip
            int_spatial.setdefault(oa, []).append((d, fi))
    if allocation is not None:
        ops, apath = allocation
        temporal: dict[str, list[list[tuple[str, int]]]] = {}
        memories: dict[str, list[str]] = {}
        for op, mems in ops.items():
            temporal[op] = [[(d, s) for d, s in lp] for _, lp in mems]
            memories[op] = [m for m, _ in mems]
            seq = [(d, s) for lvl in temporal[op] for d, s in lvl if s > 1]
            if seq != loops:
                raise SpecError(join(join(apath, "temporal_mapping"), op), f"the ordering {seq}",
                                f"the temporal_ordering of {entry.path or 'the mapping'} {loops}")  # fmt: skip
        za = ZigZagAllocation(temporal, int_spatial, memories)
    else:
        full = [(d, int(s)) for d, s in ordering if s is not None]
        temporal = zigzag_allocate(
            hw, layer, entry.links, spatial, full, join(entry.path, "temporal_ordering")
        )
        memories = {op: [m.name for m in hw.levels_of(entry.links[op])] for op in temporal}
        za = ZigZagAllocation(temporal, int_spatial, memories)
    array = {}
    chain = hw.chain()
    for lv, m in enumerate(chain):
        below = hw.unserved(chain[lv + 1]) if lv + 1 < len(chain) else frozenset(hw.dims)
        for d in below - hw.unserved(m):
            array[d] = (lv, hw.axis(d))
    conv = allocation_to_mapping(arch, workload, za, array=array, dim_map=loopscape_dim_names(layer.dims),
                                 path=entry.path)  # fmt: skip
    for note in conv.notes:
        _note(notes, f"{where}: {note} (loopscape places the spatial loops at one point of the nest)")
    return conv.mapping


# --- writing: mappings -------------------------------------------------------------------------------------
def mapping_to_zigzag(
    arch: Architecture, workload: Workload, mapping: Mapping, *, notes: list[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """ZigZag's mapping entry for a loopscape mapping (its spatial unrolling per array dimension, its complete
    temporal ordering innermost first, the operand links) and loopscape's allocation entry for
    temporal_mapping.yaml (each operand's loops per memory, innermost first: the mapping's cuts)."""
    za = mapping_to_allocation(arch, workload, mapping)
    dims = zigzag_dim_names(workload.dims)
    letters = operand_letters(workload)
    name = workload.name
    for oa in za.spatial:
        if oa not in ("D1", "D2", "D3", "D4"):
            raise SpecError("mapping.spatial", oa, "array dimensions D1..D4 (ZigZag's mapping schema): spatial "
                            "loops below at most two levels that fan out")  # fmt: skip
    merged = [lp for lp in mapping.loops if lp.spatial and lp.bound > 1]
    if len({(lp.level, lp.kind, lp.dim) for lp in merged}) != len(merged):
        _note(notes, f"mapping {name}: spatial loops over one dimension along one axis of a fan-out are one "
                     "ZigZag unrolling (their bounds multiplied)")  # fmt: skip
    first = letters[workload.tensor_names[0]]
    ordering = [[d, b] for d, b in za.ordering(first)]
    spatial_total: dict[str, int] = {}
    for loops in za.spatial.values():
        for d, b in loops:
            spatial_total[d] = spatial_total.get(d, 1) * b
    temporal_total: dict[str, int] = {}
    for d, b in ordering:
        temporal_total[d] = temporal_total.get(d, 1) * b
    for ld, z in dims.items():
        size = workload.bound(ld)
        if spatial_total.get(z, 1) > size:
            _note(notes, f"mapping {name}: {ld} unrolled {spatial_total[z]}-fold over a size of {size}; ZigZag "
                         "refuses unrollings larger than the layer")  # fmt: skip
        expected = math.ceil(size / spatial_total.get(z, 1))
        if temporal_total.get(z, 1) != expected and spatial_total.get(z, 1) <= size:
            _note(
                notes,
                f"mapping {name}: {ld}'s temporal loops multiply to {temporal_total.get(z, 1)} (padding); "
                f"ZigZag takes an ordering as complete only with {expected}, and would search this layer",
            )
    if any(not mapping.keeps(lv, t) for lv in range(len(arch.levels)) for t in workload.tensor_names
           if arch.may_keep(lv, t)):  # fmt: skip
        _note(notes, f"mapping {name}: it bypasses levels the architecture lets keep a tensor; ZigZag has no "
                     "per-mapping bypass, so the accelerator's memories hold the mapping's operands")  # fmt: skip
    entry = {
        "name": name,
        "spatial_mapping": {oa: [f"{d}, {b}" for d, b in loops] for oa, loops in sorted(za.spatial.items())},
        "temporal_ordering": ordering,
        "memory_operand_links": {"O": DEFAULT_LINKS["O"], "W": DEFAULT_LINKS["W"], "I": DEFAULT_LINKS["I"]},
    }
    alloc = {
        "name": name,
        "temporal_mapping": {
            op: {mem: [[d, b] for d, b in loops] for mem, loops in zip(za.memories[op], levels)}
            for op, levels in za.temporal.items()
        },
    }
    return entry, alloc


# --- whole spec sets -------------------------------------------------------------------------------------------
def _dump(data: Any, header: list[str]) -> str:
    text = yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
    lines = "".join(f"# {h}\n" for h in header)
    return lines + text


def write_zigzag(specs: Specs, out_dir: str | Path, *, notes: list[str] | None = None) -> list[Path]:
    """Write the parts of `specs` as ZigZag 3.9.1 inputs in `out_dir`: accelerator.yaml (architecture priced
    by the energy table, or the built-in table), workload.yaml (the layer), mapping.yaml (its spatial unrolling
    and temporal ordering) and temporal_mapping.yaml (loopscape's record of the mapping's allocation to the
    memories, which ZigZag does not read). What ZigZag cannot hold is said in `notes` and in each file's
    header. Returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    arch, wl, mapping = specs.arch, specs.workload, specs.mapping
    written: list[Path] = []
    all_notes: list[str] = []
    keep = None
    mapping_parts = None
    if mapping is not None:
        if arch is None or wl is None:
            raise SpecError("mapping", "a mapping without an architecture and a workload",
                            "an architecture and a workload to write a ZigZag mapping for")  # fmt: skip
        keep = mapping.keep
        map_notes: list[str] = []
        mapping_parts = mapping_to_zigzag(arch, wl, mapping, notes=map_notes)
    if arch is not None:
        table = specs.energy
        if table is None:
            from loopscape.energy.defaults import default_table

            table = default_table(arch)
        acc_notes: list[str] = []
        acc = accelerator_to_zigzag(arch, table, workload=wl, keep=keep, notes=acc_notes)
        path = out / FILES["accelerator"]
        path.write_text(_dump(acc, [f"ZigZag 3.9.1 accelerator written by loopscape from architecture {arch.name!r}"]
                              + [f"not held: {n}" for n in acc_notes]))  # fmt: skip
        written.append(path)
        all_notes += acc_notes
    if wl is not None:
        wl_notes: list[str] = []
        precision: int | dict[str, int] = 16
        if arch is not None:
            precision = tensor_precision(arch, wl, wl_notes)
        else:
            _note(wl_notes, "no architecture: operand precisions of 16 bits written")
        layer = workload_to_zigzag(wl, layer_id=0, precision=precision, notes=wl_notes)
        path = out / FILES["workload"]
        path.write_text(_dump([layer], [f"ZigZag 3.9.1 workload written by loopscape from layer {wl.name!r}"]
                              + [f"not held: {n}" for n in wl_notes]))  # fmt: skip
        written.append(path)
        all_notes += wl_notes
    if mapping_parts is not None:
        entry, alloc = mapping_parts
        assert arch is not None and wl is not None
        check = _zigzag_would_allocate(acc, layer, entry, alloc)
        if check:
            map_notes.append(check)
        path = out / FILES["mapping"]
        path.write_text(_dump([entry, {**entry, "name": "default"}],
                              [f"ZigZag 3.9.1 mapping written by loopscape for layer {wl.name!r}"]
                              + [f"not held: {n}" for n in map_notes]))  # fmt: skip
        written.append(path)
        path = out / FILES["allocation"]
        path.write_text(_dump([alloc], [
            "loopscape's record of the mapping's allocation to memories (ZigZag's TemporalMapping: per operand,",
            "per memory innermost first, the loops held there, innermost first). ZigZag does not read this file:",
            "it allocates the temporal_ordering of mapping.yaml with its own memory allocator.",
        ]))  # fmt: skip
        written.append(path)
        all_notes += map_notes
    for n in all_notes:
        _note(notes, n)
    return written


def _zigzag_would_allocate(acc: dict, layer: dict, entry: dict, alloc: dict) -> str | None:
    """A note when ZigZag's own allocator would part the written ordering differently from the mapping."""
    reduce_notes: list[str] = []
    try:
        hw = read_hardware(acc)
        zl = read_layer(layer, "[0]")
        (e,) = [
            x for x in read_mapping_entries([entry, {**entry, "name": "default"}]) if x.name == entry["name"]
        ]
        spatial = _limited_spatial(hw, zl, _reduced_spatial(hw, zl, e, reduce_notes), e.path)
        if reduce_notes:
            return (f"mapping {entry['name']}: ZigZag changes the spatial unrolling before using it "
                    f"({'; '.join(reduce_notes)})")  # fmt: skip
        if _temporal_sizes(zl, spatial) != _given_sizes(e):
            return None  # already noted: ZigZag would search the ordering
        theirs = zigzag_allocate(hw, zl, e.links, spatial, [(d, int(s or 1)) for d, s in e.ordering])
    except SpecError as err:
        return f"mapping {entry['name']}: ZigZag's memory allocator cannot allocate this ordering ({err.message()})"
    ours = {
        op: [[(d, b) for d, b in loops] for loops in mems.values()]
        for op, mems in alloc["temporal_mapping"].items()
    }
    if {op: [[(d, b) for d, b in lv if b > 1] for lv in v] for op, v in theirs.items()} != {
        op: [[(d, b) for d, b in lv if b > 1] for lv in v] for op, v in ours.items()
    }:
        return (f"mapping {entry['name']}: ZigZag's memory allocator parts this ordering differently from the "
                "mapping's cuts (temporal_mapping.yaml holds the mapping's; ZigZag evaluates its own)")  # fmt: skip
    return None


def _given_sizes(entry: ZigZagMappingEntry) -> dict[str, int]:
    given: dict[str, int] = {}
    for d, s in entry.ordering:
        given[d] = given.get(d, 1) * (s or 1)
    return {d: s for d, s in given.items() if s > 1}


def read_zigzag(
    paths: Sequence[str | Path],
    *,
    layer: str | int | None = None,
    word_bits: int | None = None,
    check_mapping: bool = True,
) -> Specs:
    """Read ZigZag 3.9.1 inputs (accelerator, workload and mapping YAML files, and loopscape's
    temporal_mapping.yaml) into loopscape specs: the architecture and its energy table, one layer's workload
    (`layer`: its name or id; default the first) and its mapping when the mapping file fixes it (a spatial
    mapping and a complete temporal ordering). What loopscape cannot hold is said in `notes`."""
    from loopscape.io.load import Specs

    notes: list[str] = []
    parts: dict[str, tuple[Any, str]] = {}
    for p in paths:
        file = str(p)
        data = load_zigzag_file(file, notes)
        kind = zigzag_kind(data)
        if kind is None:
            raise SpecError("(document)", describe(data), "a ZigZag accelerator (name, memories, operational_array), "
                            "workload (a list of layers) or mapping (a list of entries with name)", file)  # fmt: skip
        if kind in parts:
            raise SpecError("(document)", f"a second ZigZag {kind} (the first is {parts[kind][1]})",
                            f"one {kind} file", file)  # fmt: skip
        parts[kind] = (data, file)
    return zigzag_specs(parts, layer=layer, word_bits=word_bits, check_mapping=check_mapping, notes=notes,
                        specs_type=Specs)  # fmt: skip


load_zigzag = read_zigzag
read_specs = read_zigzag  # the name `loopscape convert` looks for


def zigzag_specs(
    parts: dict[str, tuple[Any, str]],
    *,
    layer: str | int | None = None,
    word_bits: int | None = None,
    check_mapping: bool = True,
    notes: list[str] | None = None,
    specs_type: Any = None,
) -> Specs:
    """Specs from parsed ZigZag data: kind ('accelerator', 'workload', 'mapping', 'allocation') -> (data, file)."""
    if specs_type is None:
        from loopscape.io.load import Specs as specs_type
    from loopscape.mapping import validate_mapping

    notes = notes if notes is not None else []

    def attributed(kind: str, fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except SpecError as e:
            raise e.in_file(parts[kind][1]) from None

    files: dict[str, str] = {}
    zl = None
    wl = None
    entry = None
    if "workload" in parts:
        layers = attributed("workload", read_layers, parts["workload"][0])
        zl = _pick_layer(layers, layer, parts["workload"][1], notes)
        wl = attributed("workload", layer_to_workload, zl, notes, f"[{layers.index(zl)}]")
        files["workload"] = parts["workload"][1]
    elif layer is not None:
        raise SpecError("layer", layer, "a ZigZag workload file to pick the layer from")
    if "mapping" in parts:
        entries = attributed("mapping", read_mapping_entries, parts["mapping"][0])
        if zl is not None:
            entry = mapping_entry_for(entries, zl)
    arch = table = None
    if "accelerator" in parts:
        hw = attributed("accelerator", read_hardware, parts["accelerator"][0])
        links = entry.links if entry is not None else dict(DEFAULT_LINKS)
        if zl is not None:
            links = {op: m for op, m in links.items() if op in (zl.output, *zl.inputs)}
            precision = {op: zl.precision.get(op, zl.precision["O"]) for op in (*links, "O_final")}
        else:
            precision = None
        if entry is not None and entry.links != DEFAULT_LINKS:
            _note(notes, f"mapping {entry.name!r}: memory_operand_links {entry.links}; the architecture's levels keep "
                         "tensors by these links")  # fmt: skip
        arch, table = attributed("accelerator", hardware_to_architecture, hw, links=links, precision=precision,
                                 word_bits=word_bits, notes=notes)  # fmt: skip
        files["architecture"] = files["energy"] = parts["accelerator"][1]
        if hw.dataflows and entry is None:
            _note(notes, f"accelerator {hw.name}: dataflows {hw.dataflows} are ZigZag's default spatial mapping; "
                         "not read without a mapping")  # fmt: skip
    mapping = None
    if "mapping" in parts:
        files["mapping"] = parts["mapping"][1]
        if arch is None or wl is None or entry is None:
            missing = "an accelerator" if arch is None else "a workload"
            raise SpecError("(document)", f"a mapping without {missing}",
                            "the accelerator and workload it maps", parts["mapping"][1])  # fmt: skip
        allocation = None
        if "allocation" in parts:
            allocs = attributed("allocation", _read_allocation_entries, parts["allocation"][0])
            allocation = allocs.get(wl.name)
            if allocation is None:
                _note(notes, f"{parts['allocation'][1]}: no allocation for layer {wl.name!r}; ZigZag's allocator "
                             "parts its ordering")  # fmt: skip
        hw = read_hardware(parts["accelerator"][0])
        try:
            mapping = read_zigzag_mapping(hw, zl, entry, arch, wl, allocation, notes)
        except SpecError as e:
            file = parts["allocation"][1] if allocation is not None and "temporal_mapping" in e.path else None
            raise e.in_file(file or parts["mapping"][1]) from None
        if mapping is not None and check_mapping:
            try:
                validate_mapping(arch, wl, mapping)
            except SpecError as e:
                raise e.in_file(parts["mapping"][1]) from None
    elif "allocation" in parts:
        _note(notes, f"{parts['allocation'][1]}: an allocation without a ZigZag mapping file is not read")
    return specs_type(arch=arch, workload=wl, mapping=mapping, energy=table, files=files, notes=tuple(notes),
                      formats={k: ZIGZAG for k in files})  # fmt: skip


def _pick_layer(
    layers: list[ZigZagLayer], layer: str | int | None, file: str, notes: list[str]
) -> ZigZagLayer:
    if layer is None:
        if len(layers) > 1:
            _note(notes, f"{file}: {len(layers)} layers; the first ({layers[0].name}) is read (pick another by name "
                         "or id)")  # fmt: skip
        return layers[0]
    for zl in layers:
        if zl.name == layer or (isinstance(layer, int) and zl.id == layer):
            return zl
    raise SpecError("layer", layer, f"a layer of the workload: {[zl.name for zl in layers]}", file)


def read_zigzag_workloads(data: object, notes: list[str] | None = None) -> list[Workload]:
    """Every layer of a ZigZag workload (parsed YAML) as a loopscape workload, in file order."""
    return [layer_to_workload(zl, notes, f"[{i}]") for i, zl in enumerate(read_layers(data))]


__all__ = [
    "DEFAULT_LINKS",
    "LS_DIM",
    "LS_TENSOR",
    "UNBOUNDED_BITS",
    "UNLIMITED_BLOCKS",
    "ZZ_DIM",
    "ZZ_OPERAND",
    "ArrayDims",
    "Conversion",
    "ZigZagAllocation",
    "ZigZagHardware",
    "ZigZagLayer",
    "ZigZagMappingEntry",
    "accelerator_to_zigzag",
    "allocation_to_mapping",
    "hardware_to_architecture",
    "is_zigzag",
    "layer_to_workload",
    "load_zigzag",
    "load_zigzag_file",
    "loopscape_dim_names",
    "mapping_entry_for",
    "mapping_to_allocation",
    "mapping_to_zigzag",
    "operand_letters",
    "parse_zigzag_yaml",
    "read_hardware",
    "read_layer",
    "read_layers",
    "read_mapping_entries",
    "read_specs",
    "read_zigzag",
    "read_zigzag_mapping",
    "read_zigzag_workloads",
    "spatial_positions",
    "tensor_precision",
    "workload_to_zigzag",
    "write_zigzag",
    "zigzag_allocate",
    "zigzag_dim_names",
    "zigzag_kind",
    "zigzag_specs",
]
