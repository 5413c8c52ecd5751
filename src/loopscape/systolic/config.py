"""SCALE-Sim 3.0.0's inputs: the `.cfg` config (INI) and the conv / GEMM topology CSVs, as frozen dataclasses.

Each field keeps SCALE-Sim's meaning (see shared/notes/scalesim.md section 2); a missing key, a non-numeric
field or a zero size raises SpecError naming the file and the key or line.
"""

from __future__ import annotations

import configparser
import csv
import math
from dataclasses import dataclass
from pathlib import Path

from loopscape.errors import SpecError

DATAFLOWS = ("os", "ws", "is")
BANDWIDTH_MODES = ("CALC", "USER")


@dataclass(frozen=True)
class SystolicConfig:
    """One SCALE-Sim `.cfg`: the array, its three SRAMs (kB, 1-byte words), address bases, dataflow, bandwidths.

    `bandwidth` (words/cycle) is read only in USER mode, as SCALE-Sim does (empty in CALC mode); there it sets
    the OFMAP drain, and the IFMAP/filter DRAM bandwidths are the `[layout]` bank bandwidths. `memory_banks`
    is optional: SCALE-Sim 3.0.0 never reads it. The request buffers only matter to its Ramulator path."""

    run_name: str
    array_height: int
    array_width: int
    ifmap_sram_kb: int
    filter_sram_kb: int
    ofmap_sram_kb: int
    ifmap_offset: int
    filter_offset: int
    ofmap_offset: int
    dataflow: str
    read_request_buffer: int
    write_request_buffer: int
    ifmap_custom_layout: bool
    ifmap_bank_bandwidth: int
    ifmap_bank_num: int
    ifmap_bank_port: int
    filter_custom_layout: bool
    filter_bank_bandwidth: int
    filter_bank_num: int
    filter_bank_port: int
    sparsity_support: bool
    interface_bandwidth: str
    use_ramulator_trace: bool
    bandwidth: tuple[int, ...] = ()
    memory_banks: int | None = None

    @property
    def pes(self) -> int:
        return self.array_height * self.array_width


@dataclass(frozen=True)
class Layer:
    """One topology row as a conv: IFMAP H x W (padding included), filter R x S, C channels, K filters, stride."""

    name: str
    ifmap_h: int
    ifmap_w: int
    filter_h: int
    filter_w: int
    channels: int
    num_filter: int
    stride: int

    @property
    def ofmap_h(self) -> int:
        """SCALE-Sim's OFMAP height: ceil((H - R + s) / s)."""
        return math.ceil((self.ifmap_h - self.filter_h + self.stride) / self.stride)

    @property
    def ofmap_w(self) -> int:
        return math.ceil((self.ifmap_w - self.filter_w + self.stride) / self.stride)

    @property
    def m(self) -> int:
        """OFMAP pixels (rows of the im2col IFMAP matrix)."""
        return self.ofmap_h * self.ofmap_w

    @property
    def n(self) -> int:
        return self.num_filter

    @property
    def k(self) -> int:
        """R * S * C (columns of the im2col IFMAP matrix)."""
        return self.filter_h * self.filter_w * self.channels

    @property
    def macs(self) -> int:
        return self.m * self.n * self.k


@dataclass(frozen=True)
class Topology:
    """The layers of one topology CSV, in file order."""

    name: str
    layers: tuple[Layer, ...]


# The keys SCALE-Sim 3.0.0's scale_config.read_conf_file reads unconditionally, in its order:
# (section, key, field, kind); kind: "int" (> 0), "offset" (int >= 0), "str", "bool".
_CFG_KEYS = (
    ("general", "run_name", "run_name", "str"),
    ("run_presets", "InterfaceBandwidth", "interface_bandwidth", "str"),
    ("run_presets", "UseRamulatorTrace", "use_ramulator_trace", "bool"),
    ("architecture_presets", "ArrayHeight", "array_height", "int"),
    ("architecture_presets", "ArrayWidth", "array_width", "int"),
    ("architecture_presets", "IfmapSramSzkB", "ifmap_sram_kb", "int"),
    ("architecture_presets", "FilterSramSzkB", "filter_sram_kb", "int"),
    ("architecture_presets", "OfmapSramSzkB", "ofmap_sram_kb", "int"),
    ("architecture_presets", "IfmapOffset", "ifmap_offset", "offset"),
    ("architecture_presets", "FilterOffset", "filter_offset", "offset"),
    ("architecture_presets", "OfmapOffset", "ofmap_offset", "offset"),
    ("architecture_presets", "Dataflow", "dataflow", "str"),
    ("architecture_presets", "ReadRequestBuffer", "read_request_buffer", "int"),
    ("architecture_presets", "WriteRequestBuffer", "write_request_buffer", "int"),
    ("layout", "IfmapCustomLayout", "ifmap_custom_layout", "bool"),
    ("layout", "FilterCustomLayout", "filter_custom_layout", "bool"),
    ("layout", "IfmapSRAMBankBandwidth", "ifmap_bank_bandwidth", "int"),
    ("layout", "IfmapSRAMBankNum", "ifmap_bank_num", "int"),
    ("layout", "IfmapSRAMBankPort", "ifmap_bank_port", "int"),
    ("layout", "FilterSRAMBankBandwidth", "filter_bank_bandwidth", "int"),
    ("layout", "FilterSRAMBankNum", "filter_bank_num", "int"),
    ("layout", "FilterSRAMBankPort", "filter_bank_port", "int"),
    ("sparsity", "SparsitySupport", "sparsity_support", "bool"),
)
_BOOLEANS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}


MAX_INT = (
    2**31 - 1
)  # sizes, counts and layer dimensions: far beyond any array or layer, safe in int64 products
MAX_OFFSET = 2**48  # address offsets


def _int(text: str, where: str, file: str, positive: bool) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise SpecError(where, text, "an integer", file=file) from None
    if value < (1 if positive else 0):
        raise SpecError(where, value, "an integer > 0" if positive else "an integer >= 0", file=file)
    limit = MAX_INT if positive else MAX_OFFSET
    if value > limit:
        raise SpecError(where, value, f"an integer no larger than {limit}", file=file)
    return value


def read_config(path: str | Path) -> SystolicConfig:
    """Read a SCALE-Sim `.cfg`: every key SCALE-Sim reads must be there and well-formed (Bandwidth in USER
    mode only, as SCALE-Sim parses it only then; MemoryBanks optional)."""
    file = str(path)
    parser = configparser.ConfigParser()
    try:
        parser.read_string(Path(path).read_text(encoding="utf-8"), source=file)
    except UnicodeDecodeError as e:
        raise SpecError(
            "", f"bytes that are not UTF-8 ({e})", "a SCALE-Sim .cfg text file", file=file
        ) from None
    except OSError as e:
        raise SpecError("", e.strerror or str(e), "a readable SCALE-Sim .cfg file", file=file) from None
    except configparser.Error as e:
        raise SpecError("", str(e).splitlines()[0], "an INI file (SCALE-Sim .cfg)", file=file) from None

    def raw(section: str, key: str, required: bool = True) -> str | None:
        try:
            text = parser.get(section, key, fallback=None)  # keys are case-insensitive, as in SCALE-Sim
        except configparser.Error as e:  # a '%' that is no interpolation
            raise SpecError(
                f"[{section}] {key}", str(e).splitlines()[0], "a plain value", file=file
            ) from None
        if text is None or not text.strip():
            if required:
                raise SpecError(f"[{section}] {key}", "nothing", "the key (SCALE-Sim requires it)", file=file)
            return None
        return text.strip()

    values: dict[str, object] = {}
    for section, key, field, kind in _CFG_KEYS:
        where, text = f"[{section}] {key}", raw(section, key)
        assert text is not None
        if kind in ("int", "offset"):
            values[field] = _int(text, where, file, positive=kind == "int")
        elif kind == "bool":
            if text.lower() not in _BOOLEANS:
                raise SpecError(where, text, "True or False", file=file)
            values[field] = _BOOLEANS[text.lower()]
        else:
            values[field] = text
    dataflow = str(values["dataflow"]).lower()
    if dataflow not in DATAFLOWS:
        raise SpecError("[architecture_presets] Dataflow", values["dataflow"], "os, ws or is", file=file)
    values["dataflow"] = dataflow
    mode = str(values["interface_bandwidth"])
    if mode not in BANDWIDTH_MODES:
        raise SpecError("[run_presets] InterfaceBandwidth", mode, "CALC or USER", file=file)
    bandwidth = raw("architecture_presets", "Bandwidth", required=mode == "USER")
    if bandwidth is not None:  # SCALE-Sim reads it in USER mode only; a malformed one is a mistake either way
        where = "[architecture_presets] Bandwidth"
        parsed = tuple(_int(p, where, file, positive=True) for p in bandwidth.split(","))
        if mode == "USER":
            values["bandwidth"] = parsed
    for key, positive in (("BlockSize", True), ("RandomNumberGeneratorSeed", False)):
        text = raw("sparsity", key, required=False)  # read by SCALE-Sim with sparsity only (refused below)
        if text is not None:
            _int(text, f"[sparsity] {key}", file, positive=positive)
    banks = raw("architecture_presets", "MemoryBanks", required=False)
    if banks is not None:
        values["memory_banks"] = _int(banks, "[architecture_presets] MemoryBanks", file, positive=True)
    for where, field, what in _NOT_MODELLED:
        if values[field]:
            raise SpecError(where, True, f"False: {what} are not modelled (SCALE-Sim's dense, trace-free runs "
                            "are)", file=file)  # fmt: skip
    return SystolicConfig(**values)  # type: ignore[arg-type]


# Options SCALE-Sim has that change its figures and that loopscape does not model: refused, never ignored.
_NOT_MODELLED = (
    ("[sparsity] SparsitySupport", "sparsity_support", "sparse operands"),
    ("[run_presets] UseRamulatorTrace", "use_ramulator_trace", "Ramulator DRAM latency traces"),
    ("[layout] IfmapCustomLayout", "ifmap_custom_layout", "custom SRAM layouts (bank conflicts)"),
    ("[layout] FilterCustomLayout", "filter_custom_layout", "custom SRAM layouts (bank conflicts)"),
)


CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides")  # fmt: skip
GEMM_COLUMNS = ("Layer", "M", "N", "K")


def _rows(path: str | Path) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every non-blank data row; the header line is skipped as SCALE-Sim does."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise SpecError(
            "", f"bytes that are not UTF-8 ({e})", "a topology CSV text file", file=file
        ) from None
    except OSError as e:
        raise SpecError("", e.strerror or str(e), "a readable topology CSV", file=file) from None
    rows = []
    for lineno, fields in enumerate(csv.reader(text.splitlines()), 1):
        if lineno == 1:
            continue
        fields = [f.strip() for f in fields]
        while fields and fields[-1] == "":  # SCALE-Sim rows end with a trailing comma
            fields.pop()
        if fields:
            rows.append((lineno, fields))
    if not rows:
        raise SpecError("", "no layer rows", "a header line and at least one layer row", file=file)
    return rows


def _row_ints(lineno: int, fields: list[str], columns: tuple[str, ...], file: str) -> list[int]:
    if len(fields) < len(columns):
        missing = columns[len(fields)]
        raise SpecError(f"line {lineno}, column '{missing}'", "nothing", f"{len(columns)} columns", file=file)
    out = []
    for col, text in zip(columns[1:], fields[1 : len(columns)], strict=True):
        try:
            value = int(text)
        except ValueError:
            raise SpecError(f"line {lineno}, column '{col}'", text, "a positive integer", file=file) from None
        if not 1 <= value <= MAX_INT:
            raise SpecError(f"line {lineno}, column '{col}'", value, f"a positive integer up to {MAX_INT}",
                            file=file)  # fmt: skip
        out.append(value)
    return out


# The most words one operand matrix (IFMAP M x K, filter K x N, OFMAP M x N) may hold: SCALE-Sim's method
# builds them, and 2^31 int64 words are 16 GiB. Larger layers are refused up front, not left to exhaust memory.
MAX_OPERAND_WORDS = 2**31


def _check_size(layer: Layer, lineno: int, file: str) -> Layer:
    for what, words in (
        ("an IFMAP", layer.m * layer.k),
        ("a filter", layer.k * layer.n),
        ("an OFMAP", layer.m * layer.n),
    ):
        if words > MAX_OPERAND_WORDS:
            raise SpecError(f"line {lineno}", f"{what} operand matrix of {words:,} words (M={layer.m:,}, "
                            f"N={layer.n:,}, K={layer.k:,})", f"at most {MAX_OPERAND_WORDS:,} words per operand "
                            "matrix", file=file)  # fmt: skip
    return layer


def read_conv_topology(path: str | Path) -> Topology:
    """Read a conv topology CSV (IFMAP dims already padded; one stride for both directions)."""
    file = str(path)
    layers = []
    for lineno, fields in _rows(path):
        h, w, r, s, c, k, stride = _row_ints(lineno, fields, CONV_COLUMNS, file)
        if r > h or s > w:
            raise SpecError(f"line {lineno}, column 'Filter Height'", f"a {r}x{s} filter on a {h}x{w} IFMAP",
                            "a filter no larger than the IFMAP", file=file)  # fmt: skip
        layers.append(_check_size(Layer(fields[0], h, w, r, s, c, k, stride), lineno, file))
    return Topology(Path(path).stem, tuple(layers))


def read_gemm_topology(path: str | Path) -> Topology:
    """Read a GEMM topology CSV (M, N, K) as SCALE-Sim maps it: IFMAP M x K, a 1 x K filter, 1 channel,
    N filters, stride 1, so that A (M x K) . B (K x N) = C (M x N)."""
    file = str(path)
    layers = []
    for lineno, fields in _rows(path):
        m, n, k = _row_ints(lineno, fields, GEMM_COLUMNS, file)
        layers.append(_check_size(Layer(fields[0], m, k, 1, k, 1, n, 1), lineno, file))
    return Topology(Path(path).stem, tuple(layers))


def read_topology(path: str | Path, kind: str = "conv") -> Topology:
    """Read a topology CSV of `kind` 'conv' or 'gemm' (SCALE-Sim's `-i`)."""
    if kind == "gemm":
        return read_gemm_topology(path)
    return read_conv_topology(path)
