"""Mutations of valid input files, drawn with hypothesis: structural (YAML), token-level (any text), byte-level.

Each mutation says whether it surely makes the input invalid (`invalid`): a number replaced by a negative
number, NaN, infinity, a mapping or a boolean. A reader that accepts such an input silently is wrong (unless the harness lists the
key as one where a negative value means something).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

INVALID_NUMBERS = (-1, -7, -(2**40), math.nan, math.inf, -math.inf)
ODD_SCALARS = (None, 0, 2**31, 2**63, 10**30, 1e308, 0.5, -0.5, "", " ", "x", "ünï©ødé ∑ 🚀", "\u202e\x00",
               True, False, [], {}, [1, 2], {"a": 1}, "1e400", "0x10")  # fmt: skip
INVALID_TOKENS = ("-1", "-7", "-99999999999999999999", "nan", "NaN", "inf", "-inf", ".nan", "-.inf")
ODD_TOKENS = ("0", "-0", "1.5", "99999999999999999999", "1e400", "", " ", "ü", "é∑🚀", "x", ",", ":", "[", "{",
              "&a", "*a", "!!python/object:os.system", "\t", "\n", "'", '"', "#")  # fmt: skip
NUMBER = re.compile(r"(?<![\w.])-?\d+(\.\d+)?(?![\w.])")
TOKEN = re.compile(r"[^\s,:\[\]{}=]+")


@dataclass(frozen=True)
class Mutation:
    """What was done to which file; `invalid`: the result must be refused."""

    file: str
    op: str
    where: str = ""
    value: str = ""
    invalid: bool = False


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _get(node: Any, path: tuple) -> Any:
    for k in path:
        node = node[k]
    return node


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _nested(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def _dump(doc: Any, file: str = "") -> bytes:
    if file.endswith(".json"):  # JSON files stay JSON (NaN and Infinity written as Python's json writes them)
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096).encode("utf-8")


def _yaml_structural(draw: Any, file: str, text: str) -> tuple[bytes, Mutation]:
    doc = yaml.safe_load(text)
    paths = [p for p in _paths(doc) if p]
    path = draw(st.sampled_from(paths))
    parent, key = _get(doc, path[:-1]), path[-1]
    old = parent[key]
    where = ".".join(str(k) for k in path)
    op = draw(st.sampled_from(["delete", "invalid", "odd", "deep", "alias", "rename", "text", "int"]))
    invalid = False
    if op == "delete":
        del parent[key]
        value = ""
    elif op == "rename" and isinstance(parent, dict):
        new_key = draw(st.text(min_size=1, max_size=12))
        parent[new_key] = parent.pop(key)
        value = new_key
    elif op == "deep":
        depth = draw(st.sampled_from([3, 20, 99, 150, 400]))
        parent[key] = _nested(depth)
        value = f"nesting {depth} deep"
    elif op == "alias":
        other = _get(doc, draw(st.sampled_from(paths)))
        if other is parent or any(other is _get(doc, path[:i]) for i in range(len(path))):
            other = parent[key]  # an alias to an ancestor would make a recursive node
        parent[key] = other  # the same object twice: safe_dump writes an anchor and an alias
        value = "an alias"
    elif op == "text":
        parent[key] = draw(st.text(max_size=20))
        value = repr(parent[key])
    elif op == "int":
        parent[key] = draw(st.integers(min_value=-(2**70), max_value=2**70))
        value = repr(parent[key])
        invalid = _is_number(old) and parent[key] < 0
    elif op == "invalid" and _is_number(old):
        parent[key] = draw(st.sampled_from(INVALID_NUMBERS))
        value = repr(parent[key])
        invalid = True
    else:
        parent[key] = draw(st.sampled_from(ODD_SCALARS))
        value = repr(parent[key])
        # a number turned into a mapping or a boolean is no number in any format (a list may be a pair)
        invalid = _is_number(old) and isinstance(parent[key], (dict, bool))
    return _dump(doc, file), Mutation(file, op, where, value, invalid)


def _line(text: str, at: int) -> str:
    """'line N: the line's text' for the position `at` (the exemptions match key names in it)."""
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return f"line {text.count(chr(10), 0, at) + 1}: {text[start : end if end >= 0 else None].strip()}"


def _token(draw: Any, file: str, text: str) -> tuple[bytes, Mutation]:
    numbers = [
        m for m in NUMBER.finditer(text) if "#" not in text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
    ]
    if numbers and draw(st.booleans()):
        m = draw(st.sampled_from(numbers))
        new = draw(st.sampled_from(INVALID_TOKENS))
        return (text[: m.start()] + new + text[m.end() :]).encode(), Mutation(
            file, "number", _line(text, m.start()), new, invalid=True
        )
    tokens = list(TOKEN.finditer(text))
    m = draw(st.sampled_from(tokens))
    new = draw(st.sampled_from(ODD_TOKENS) | st.text(max_size=8))
    return (text[: m.start()] + new + text[m.end() :]).encode(), Mutation(
        file, "token", _line(text, m.start()), repr(new)
    )


def _bytes(draw: Any, file: str, data: bytes) -> tuple[bytes, Mutation]:
    op = draw(st.sampled_from(["truncate", "empty", "junk", "flip", "splice"]))
    if op == "truncate":
        n = draw(st.integers(0, max(len(data) - 1, 0)))
        return data[:n], Mutation(file, op, f"at byte {n}")
    if op == "empty":
        return b"", Mutation(file, op)
    if op == "junk":
        return draw(st.binary(max_size=256)), Mutation(file, op)
    if op == "flip":
        if not data:
            return data, Mutation(file, op)
        i = draw(st.integers(0, len(data) - 1))
        b = draw(st.integers(0, 255))
        return data[:i] + bytes([b]) + data[i + 1 :], Mutation(file, op, f"byte {i}", str(b))
    i = draw(st.integers(0, len(data)))
    junk = draw(st.binary(min_size=1, max_size=16))
    return data[:i] + junk + data[i:], Mutation(file, op, f"byte {i}", junk.hex())


def _onnx_model(draw: Any, file: str, data: bytes) -> tuple[bytes, Mutation]:
    """One field of the parsed model changed: a tensor or shape dimension, an attribute, an op type, an input."""
    import onnx

    model = onnx.ModelProto.FromString(data)
    g = model.graph
    odd_ints = st.sampled_from([0, -1, -7, 2**31, 2**62, -(2**62)]) | st.integers(-(2**63), 2**63 - 1)
    op = draw(st.sampled_from(["dim", "init_dim", "attr_int", "attr_drop", "op_type", "input", "drop_node"]))
    node = draw(st.sampled_from(list(g.node)))
    where, value = node.name, ""
    if op == "dim":
        dims = [d for vi in (*g.input, *g.output) for d in vi.type.tensor_type.shape.dim]
        d = draw(st.sampled_from(dims))
        d.dim_value = draw(odd_ints)
        value = str(d.dim_value)
    elif op == "init_dim" and g.initializer:
        t = draw(st.sampled_from(list(g.initializer)))
        i = draw(st.integers(0, len(t.dims) - 1))
        t.dims[i] = draw(odd_ints)
        where, value = t.name, str(t.dims[i])
    elif op == "attr_int" and any(a.ints or a.type == onnx.AttributeProto.INT for a in node.attribute):
        a = draw(st.sampled_from([a for a in node.attribute if a.ints or a.type == onnx.AttributeProto.INT]))
        if a.ints:
            a.ints[draw(st.integers(0, len(a.ints) - 1))] = draw(odd_ints)
        else:
            a.i = draw(odd_ints)
        where, value = f"{node.name}.{a.name}", str(list(a.ints) or a.i)
    elif op == "attr_drop" and node.attribute:
        i = draw(st.integers(0, len(node.attribute) - 1))
        where = f"{node.name}.{node.attribute[i].name}"
        del node.attribute[i]
    elif op == "op_type":
        node.op_type = draw(st.sampled_from(["Conv", "Gemm", "MatMul", "MaxPool", "Add", "Relu", "Foo", ""]))
        value = node.op_type
    elif op == "input" and node.input:
        i = draw(st.integers(0, len(node.input) - 1))
        node.input[i] = draw(st.sampled_from(["", "nowhere", "x", node.output[0]]))
        value = node.input[i]
    else:
        i = draw(st.integers(0, len(g.node) - 1))
        where = g.node[i].name
        del g.node[i]
    return model.SerializeToString(), Mutation(file, f"onnx_{op}", where, value)


STORE_METRIC_VALUES = (None, "NaN", "abc", "", math.inf, -math.inf, -1.0, -(2**40), b"\x00\xff")
STORE_PARAMS = (
    "{",
    "[1, 2]",
    "null",
    '"x"',
    '{"pe_x": NaN}',
    "",
    '{"pe_x": {"a": 1}}',
    "[" * 5000 + "]" * 5000,
)
STORE_META = {  # key -> (values, whether each value is surely invalid)
    "objectives": (("{", "[]", '["nope", "fj_per_op"]', '["energy_pj"]', "42", "[1, 2]", "null"), True),
    "parameters": (("{", "42", "[1, 2]", "null", '{"a": 1}'), True),
    "schema": (("999", "", "x"), True),
    "name": (("", "\u202e", "x" * 500), False),
    "fingerprint": (("", "x"), False),  # only a sweep resuming the store reads it
}


def _sqlite_edit(draw: Any, file: str, data: bytes) -> tuple[bytes, Mutation]:
    """One SQL-level edit of a results store (`dse.store`): a metric, the params or the status of a row, a
    meta entry, a dropped table or column, or deleted rows; `invalid` where a reader must refuse it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/s.sqlite"
        with open(path, "wb") as f:
            f.write(data)
        conn = sqlite3.connect(path)
        ok_ids = [r[0] for r in conn.execute("SELECT id FROM points WHERE status = 'ok' ORDER BY id")]
        metrics = [r[1] for r in conn.execute("PRAGMA table_info(points)")][4:-1]
        op = draw(st.sampled_from(["metric", "params", "status", "layers", "meta", "meta_delete", "drop_table",
                                   "drop_column", "delete_rows", "null_id", "foreign"]))  # fmt: skip
        where, value, invalid = "", "", False
        if op in ("metric", "params", "status", "layers", "null_id") and ok_ids:
            row = draw(st.sampled_from(ok_ids))
            where = f"points[{row}]"
            if op == "metric":
                metric = draw(st.sampled_from(metrics))
                v = draw(st.sampled_from(STORE_METRIC_VALUES))
                conn.execute(f"UPDATE points SET {metric} = ? WHERE id = ?", (v, row))
                where, value, invalid = f"{where}.{metric}", repr(v), True
            elif op in ("params", "layers"):
                v = draw(st.sampled_from(STORE_PARAMS))
                conn.execute(f"UPDATE points SET {op} = ? WHERE id = ?", (v, row))
                # a point's layers are read only by whoever asks for that point (Store.layers)
                where, value, invalid = f"{where}.{op}", repr(v), op == "params"
            elif op == "status":
                v = draw(st.sampled_from(["weird", "", "OK", "infeasible "]))
                conn.execute("UPDATE points SET status = ? WHERE id = ?", (v, row))
                value, invalid = repr(v), True
            else:
                conn.execute("UPDATE points SET id = NULL WHERE id = ?", (row,))
                value, invalid = "NULL id", True
        elif op == "meta":
            key = draw(st.sampled_from(sorted(STORE_META)))
            values, invalid = STORE_META[key]
            v = draw(st.sampled_from(values))
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, v))
            where, value = f"meta.{key}", repr(v)
        elif op == "meta_delete":
            key = draw(st.sampled_from(sorted(STORE_META)))
            conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            where = f"meta.{key}"  # objectives and parameters have defaults; the schema is required
            invalid = key == "schema"
        elif op == "drop_table":
            where, invalid = draw(st.sampled_from(["points", "meta"])), True
            conn.execute(f"DROP TABLE {where}")
        elif op == "drop_column":
            where, invalid = draw(st.sampled_from(metrics)), True
            conn.execute(f"ALTER TABLE points DROP COLUMN {where}")
        elif op == "foreign":
            conn.execute("DROP TABLE points")
            conn.execute("DROP TABLE meta")
            conn.execute("CREATE TABLE x (a INTEGER)")
            where, invalid = "another SQLite database", True
        else:
            conn.execute("DELETE FROM points")
            op = "delete_rows"
        conn.commit()
        conn.close()
        with open(path, "rb") as f:
            return f.read(), Mutation(file, f"sql_{op}", where, value, invalid)


@st.composite
def mutated(draw: Any, files: dict[str, bytes], yaml_files: tuple[str, ...] = ()) -> tuple[dict, Mutation]:
    """The valid `files` (name -> content) with one file mutated once."""
    name = draw(st.sampled_from(sorted(files)))
    data = files[name]
    kinds = ["bytes"]
    try:
        text = data.decode("utf-8")
        kinds.append("token")
    except UnicodeDecodeError:
        text = ""
    if name in yaml_files:
        kinds += ["yaml", "yaml", "yaml"]
    if name.endswith(".onnx"):
        kinds += ["onnx", "onnx", "onnx"]
    if name.endswith(".sqlite"):
        kinds += ["sqlite", "sqlite", "sqlite"]
    kind = draw(st.sampled_from(kinds))
    if kind == "yaml":
        new, mutation = _yaml_structural(draw, name, text)
    elif kind == "onnx":
        new, mutation = _onnx_model(draw, name, data)
    elif kind == "sqlite":
        new, mutation = _sqlite_edit(draw, name, data)
    elif kind == "token":
        new, mutation = _token(draw, name, text)
    else:
        new, mutation = _bytes(draw, name, data)
    return {**files, name: new}, mutation
