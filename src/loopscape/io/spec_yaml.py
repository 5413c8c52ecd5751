"""Reading YAML spec files strictly: syntax errors with line numbers, duplicate keys, typed field access.

Every failure is a SpecError naming the path inside the file (`architecture.levels[2].entries`), what was
found and what was expected; the loader adds the file name.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from loopscape.errors import SpecError
from loopscape.io.yaml_limits import BoundedComposer

MISSING: Any = object()


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


class _StrictLoader(BoundedComposer, yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, deep nesting and alias bombs (io/yaml_limits.py) and reads
    unknown tags (`!Component`) as plain values."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            ) from None
        if key in out:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


def _construct_unknown_tag(loader: _StrictLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return _construct_mapping(loader, node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_multi_constructor("!", _construct_unknown_tag)


def parse_yaml_text(text: str, file: str | None = None) -> Any:
    """Parse YAML text; syntax errors and duplicate keys become SpecErrors with the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except SpecError as e:
        raise e.in_file(file) if file else e from None
    except _DuplicateKey as e:
        raise SpecError(
            f"line {e.line}", f"the key {e.key!r} a second time", "each key once per mapping", file
        )
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(document)"
        problem = (e.problem or e.context or "a syntax error").strip()
        raise SpecError(where, problem, "valid YAML", file) from None
    except yaml.YAMLError as e:
        raise SpecError("(document)", str(e).strip(), "valid YAML", file) from None


def load_yaml_file(path: str | Path) -> dict:
    """Read one spec file: a YAML mapping of top-level keys."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("(file)", "no such file", "an existing YAML spec file", name) from None
    except IsADirectoryError:
        raise SpecError("(file)", "a directory", "a YAML spec file", name) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError("(file)", f"an unreadable file ({e})", "a readable UTF-8 YAML file", name) from None
    data = parse_yaml_text(text, name)
    if data is None:
        raise SpecError("(document)", "an empty document", "a mapping of top-level keys", name)
    if not isinstance(data, dict):
        raise SpecError("(document)", describe(data), "a mapping of top-level keys", name)
    return data


# --- paths and descriptions -------------------------------------------------------------------------


def join(path: str, key: str | int) -> str:
    """Extend a spec path: join('a', 'b') = 'a.b', join('a', 2) = 'a[2]'."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def describe(value: object) -> str:
    """A short description of a YAML value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, dict):
        keys = list(value)[:6]
        return f"a mapping with keys {keys}" if keys else "an empty mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, str):
        return repr(value)
    return f"{value!r} ({type(value).__name__})"


def suggestion(key: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- typed access ----------------------------------------------------------------------------------


def expect_map(value: object, path: str, what: str = "a mapping") -> dict:
    if not isinstance(value, dict):
        raise SpecError(path, describe(value), what)
    return value


def expect_list(value: object, path: str, what: str = "a list") -> list:
    if not isinstance(value, list):
        raise SpecError(path, describe(value), what)
    return value


def hyphenated(node: dict, known: Iterable[str]) -> dict:
    """`node` with Timeloop HEAD's reading of underscored keys: 'cluster_size' is 'cluster-size' when only the
    hyphenated form is known (and not given too); other keys are kept as they are."""
    known = set(known)
    out = {}
    for key, value in node.items():
        hyphen = str(key).replace("_", "-")
        out[hyphen if key not in known and hyphen in known and hyphen not in node else key] = value
    return out


def check_keys(node: dict, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Fail on unknown keys (with a did-you-mean) and on missing required keys."""
    allowed = set(allowed)
    for key in node:
        if key not in allowed:
            raise SpecError(
                join(path, str(key)),
                f"the unknown key {key!r}{suggestion(str(key), allowed)}",
                f"one of {sorted(allowed)}",
            )
    for key in required:
        if key not in node:
            raise SpecError(
                join(path, key), "nothing (the key is missing)", f"a value for required key '{key}'"
            )


MAX_INT = 2**31 - 1  # bounds, instances, coefficients: far beyond any layer, and safe in int64 products
MAX_SIZE = 2**48  # capacities in words or bytes


def as_int(value: object, path: str, *, minimum: int = 1, maximum: int = MAX_INT) -> int:
    """An integer in [minimum, maximum] (booleans and floats are refused, even 4.0)."""
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(path, describe(value), what)
    if value < minimum:
        raise SpecError(path, value, what)
    if value > maximum:
        raise SpecError(path, value, f"{what} no larger than {maximum}")
    return value


def as_number(value: object, path: str, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(path, describe(value), "a positive number" if positive else "a non-negative number")
    if math.isnan(value) or math.isinf(value) or value < 0 or (positive and value == 0):
        raise SpecError(path, value, "a positive number" if positive else "a non-negative number")
    return value


def as_bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(path, describe(value), "true or false")
    return value


def as_str(value: object, path: str, what: str = "a non-empty string") -> str:
    if not isinstance(value, str) or not value.strip():
        raise SpecError(path, describe(value), what)
    return value.strip()


def as_str_list(value: object, path: str, what: str = "a list of names") -> list[str]:
    items = expect_list(value, path, what)
    return [as_str(v, join(path, i), "a name (string)") for i, v in enumerate(items)]


def check_version(node: dict, path: str) -> None:
    """A `version:` loopscape does not otherwise read must still be a version number (0.3, 0.4, '0.4')."""
    value = node.get("version")
    if value is None:
        return
    try:
        number = math.nan if isinstance(value, bool) else float(str(value))
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise SpecError(join(path, "version"), describe(value), "a version number such as 0.4")


def get(node: dict, key: str, path: str, conv, default: Any = MISSING, **kw: Any) -> Any:
    """node[key] converted by `conv(value, path, **kw)`; `default` when absent (required when no default)."""
    if key not in node or (node[key] is None and default is not MISSING):
        if default is MISSING:
            raise SpecError(
                join(path, key), "nothing (the key is missing)", f"a value for required key '{key}'"
            )
        return default
    return conv(node[key], join(path, key), **kw)
