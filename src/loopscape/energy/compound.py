"""Compound components: classes built from subcomponents in YAML, each action a list of subcomponent actions.

As in Accelergy, a compound class names its attributes (with defaults, or `must_specify`), its
subcomponents (a class and attributes that may be expressions of the compound's attributes, e.g.
`bits: max(1, ceil(log2(depth)))`, and an optional `count` that multiplies area), and each of its actions as a list of
`{subcomponent, action, repeat}`. The built-in classes are in `data/compound_components.yaml`; users add
files with the same layout (`load_library(paths)`).

Technology, voltage and clock pass from a compound to its subcomponents unless a subcomponent sets them.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from loopscape.energy.components import (
    ANY,
    COMMON_ATTRIBUTES,
    NONNEG_NUMBER,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    PRIMITIVES,
    REQUIRED,
    TEXT,
    AttributeSpec,
    Component,
    ComponentClass,
    complete_attributes,
)
from loopscape.errors import SpecError

_FUNCTIONS: dict[str, Any] = {
    "log2": math.log2,
    "ceil": math.ceil,
    "floor": math.floor,
    "sqrt": math.sqrt,
    "max": max,
    "min": min,
    "round": round,
    "int": int,
}
_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}


def evaluate(expr: Any, env: Mapping[str, Any], path: str) -> Any:
    """An attribute value: numbers as they are; a string is an arithmetic expression of `env`'s names.

    A string that is not an expression (e.g. 'LPDDR4', '45nm') is kept as text; an expression naming
    something unknown, or failing to evaluate, is a SpecError at `path`.
    """
    if not isinstance(expr, str):
        return _finite(expr, expr, path)
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return expr
    if isinstance(tree.body, ast.Name) and tree.body.id not in env:
        return expr  # a bare word: text such as a DRAM type
    try:
        return _finite(_eval(tree.body, env, path), expr, path)
    except SpecError:
        raise
    except (ArithmeticError, ValueError, TypeError) as e:
        raise SpecError(path, expr, f"an expression that evaluates ({type(e).__name__}: {e})") from None


def _finite(value: Any, expr: Any, path: str) -> Any:
    """`value`, unless it is a NaN or an infinity (which no attribute, count or repeat can be)."""
    if isinstance(value, float) and not math.isfinite(value):
        found = expr if isinstance(expr, str) and expr != str(value) else value
        raise SpecError(path, f"{found} (= {value})" if found is not value else value, "a finite number")
    return value


def _eval(node: ast.AST, env: Mapping[str, Any], path: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id]
        raise SpecError(path, node.id, f"a name defined here: one of {sorted(env)}")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, env, path), _eval(node.right, env, path))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _eval(node.operand, env, path)
        return -v if isinstance(node.op, ast.USub) else v
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and not node.keywords
    ):
        return _FUNCTIONS[node.func.id](*(_eval(a, env, path) for a in node.args))
    raise SpecError(path, ast.unparse(node), f"arithmetic of names, numbers and {sorted(_FUNCTIONS)}")


@dataclass(frozen=True)
class SubComponent:
    """One subcomponent of a compound: its name, class, attribute expressions and how many there are."""

    name: str
    cls: str
    attributes: tuple[tuple[str, Any], ...] = ()
    count: Any = 1  # an expression; multiplies area (actions say how often each instance acts)


@dataclass(frozen=True)
class SubAction:
    """Part of a compound action: `repeat` times the `action` of subcomponent `sub`."""

    sub: str
    action: str
    repeat: Any = 1  # an expression


@dataclass(frozen=True)
class CompoundClass(ComponentClass):
    """A compound class: attributes, subcomponents and actions defined as subcomponent actions."""

    subcomponents: tuple[SubComponent, ...] = ()
    action_parts: tuple[tuple[str, tuple[SubAction, ...]], ...] = ()
    file: str = ""

    def parts(self, action: str) -> tuple[SubAction, ...]:
        return dict(self.action_parts)[action]


@dataclass(frozen=True)
class Expanded:
    """A compound component expanded: each subcomponent as a complete Component, with its count."""

    subcomponents: tuple[tuple[SubComponent, Component, float], ...]
    env: Mapping[str, Any]


class ComponentLibrary:
    """Every component class known: the primitives and the compound classes loaded from YAML."""

    def __init__(self, compounds: Iterable[CompoundClass] = ()) -> None:
        self.classes: dict[str, ComponentClass] = dict(PRIMITIVES)
        for c in compounds:
            if c.name in PRIMITIVES:
                raise SpecError(
                    f"{c.name}", c.name, "a compound class name that is not a primitive's", c.file
                )
            self.classes[c.name] = c

    def with_files(self, paths: Iterable[str | Path]) -> ComponentLibrary:
        """This library plus the compound classes defined in `paths` (later definitions win)."""
        compounds = [c for c in self.classes.values() if isinstance(c, CompoundClass)]
        from loopscape.io.spec_yaml import load_yaml_file  # bounded YAML; SpecErrors that name the file

        for p in paths:
            compounds.extend(parse_compounds(load_yaml_file(p), str(p)))
        return ComponentLibrary(compounds)

    def get(self, cls: str, path: str = "class") -> ComponentClass:
        if cls not in self.classes:
            close = difflib.get_close_matches(str(cls), list(self.classes), n=1, cutoff=0.6)
            found = f"{cls!r} (did you mean {close[0]!r}?)" if close else repr(cls)
            raise SpecError(path, found, f"a component class, one of {sorted(self.classes)}")
        return self.classes[cls]

    def is_compound(self, cls: str) -> bool:
        return isinstance(self.classes.get(cls), CompoundClass)

    def complete(self, component: Component, path: str = "component") -> Component:
        """`component` with its attributes checked and defaults added (SpecError at `path` otherwise)."""
        cls = self.get(component.cls, f"{path}.class")
        attrs = complete_attributes(cls, component.attributes, f"{path}.attributes")
        return Component(component.cls, attrs, component.name)

    def expand(self, component: Component, path: str = "component") -> Expanded:
        """The subcomponents of a complete compound component, their attributes evaluated."""
        cls = self.get(component.cls, f"{path}.class")
        if not isinstance(cls, CompoundClass):
            raise SpecError(f"{path}.class", component.cls, "a compound class")
        env = dict(component.attributes)
        common = {a.name: env[a.name] for a in COMMON_ATTRIBUTES}
        subs = []
        for sub in cls.subcomponents:
            where = f"{cls.name}.subcomponents.{sub.name}"
            attrs = {**common, **{k: evaluate(v, env, f"{where}.attributes.{k}") for k, v in sub.attributes}}
            count = evaluate(sub.count, env, f"{where}.count")
            if not isinstance(count, (int, float)) or isinstance(count, bool) or count < 0:
                raise SpecError(f"{where}.count", count, "a number >= 0")
            child = self.complete(Component(sub.cls, attrs, f"{component.name}.{sub.name}"), where)
            subs.append((sub, child, float(count)))
        return Expanded(tuple(subs), env)


def _literal_amount(value: Any, path: str, file: str) -> Any:
    """A count or repeat as written: an expression (checked when evaluated) or a finite number >= 0."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 or math.isinf(value):
        raise SpecError(path, value, "a finite number >= 0 or an expression of the attributes", file)
    return value


def _mapping(node: Any, path: str, file: str) -> Mapping[str, Any]:
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise SpecError(path, node, "a mapping", file)
    return node


def parse_compounds(doc: Any, file: str = "") -> list[CompoundClass]:
    """Compound classes from a YAML document `{compound_components: {name: {attributes, ...}}}`."""
    root = _mapping(doc, "", file).get("compound_components")
    classes = []
    for name, body in _mapping(root, "compound_components", file).items():
        path = f"compound_components.{name}"
        body = _mapping(body, path, file)
        for key in body:
            if key not in ("description", "attributes", "subcomponents", "actions"):
                raise SpecError(
                    f"{path}.{key}", key, "one of description, attributes, subcomponents, actions", file
                )
        attrs = tuple(
            _attribute(str(k), v, f"{path}.attributes.{k}", file)
            for k, v in _mapping(body.get("attributes"), f"{path}.attributes", file).items()
        )
        subs = []
        for sname, sbody in _mapping(body.get("subcomponents"), f"{path}.subcomponents", file).items():
            spath = f"{path}.subcomponents.{sname}"
            sbody = _mapping(sbody, spath, file)
            if "class" not in sbody:
                raise SpecError(f"{spath}.class", "nothing", "the subcomponent's class", file)
            for key in sbody:
                if key not in ("class", "attributes", "count"):
                    raise SpecError(f"{spath}.{key}", key, "one of class, attributes, count", file)
            sattrs = tuple(_mapping(sbody.get("attributes"), f"{spath}.attributes", file).items())
            count = _literal_amount(sbody.get("count", 1), f"{spath}.count", file)
            subs.append(SubComponent(str(sname), str(sbody["class"]), sattrs, count))
        names = {s.name for s in subs}
        actions = []
        for aname, parts in _mapping(body.get("actions"), f"{path}.actions", file).items():
            apath = f"{path}.actions.{aname}"
            if not isinstance(parts, list):
                raise SpecError(apath, parts, "a list of {subcomponent, action, repeat}", file)
            sub_actions = []
            for i, part in enumerate(parts):
                part = _mapping(part, f"{apath}[{i}]", file)
                sub = part.get("subcomponent")
                if not isinstance(sub, str) or sub not in names:
                    raise SpecError(f"{apath}[{i}].subcomponent", sub, f"one of {sorted(names)}", file)
                if not isinstance(part.get("action"), str):
                    raise SpecError(f"{apath}[{i}].action", part.get("action"), "an action name", file)
                repeat = _literal_amount(part.get("repeat", 1), f"{apath}[{i}].repeat", file)
                sub_actions.append(SubAction(sub, part["action"], repeat))
            actions.append((str(aname), tuple(sub_actions)))
        if not actions:
            raise SpecError(f"{path}.actions", "nothing", "at least one action", file)
        classes.append(
            CompoundClass(
                name=str(name),
                attributes=attrs,
                actions=tuple(a for a, _ in actions),
                description=str(body.get("description", "")),
                subcomponents=tuple(subs),
                action_parts=tuple(actions),
                file=file,
            )
        )
    return classes


_KINDS = {
    "positive_int": POSITIVE_INT,
    "positive_number": POSITIVE_NUMBER,
    "nonneg_number": NONNEG_NUMBER,
    "text": TEXT,
    "any": ANY,
}


def _attribute(name: str, node: Any, path: str, file: str) -> AttributeSpec:
    """`name: default` (kind judged from the default) or `name: {default: ..., kind: positive_int|...}`."""
    if isinstance(node, Mapping):
        for key in node:
            if key not in ("default", "kind"):
                raise SpecError(f"{path}.{key}", key, "one of default, kind", file)
        kind = node.get("kind", "any")
        if kind not in _KINDS:
            raise SpecError(f"{path}.kind", kind, f"one of {list(_KINDS)}", file)
        return AttributeSpec(name, node.get("default", REQUIRED), _KINDS[kind])
    if node == REQUIRED or node is None or isinstance(node, bool):
        return AttributeSpec(name, REQUIRED if node == REQUIRED else node, ANY)
    if isinstance(node, int) and node >= 1:
        return AttributeSpec(name, node, POSITIVE_INT)
    if isinstance(node, (int, float)) and node > 0:
        return AttributeSpec(name, node, POSITIVE_NUMBER)
    return AttributeSpec(name, node, TEXT if isinstance(node, str) and node else ANY)


def check_subclasses(library: ComponentLibrary) -> None:
    """Every subcomponent names a known class and every action part a known action of it."""
    for c in library.classes.values():
        if not isinstance(c, CompoundClass):
            continue
        subs = {s.name: s for s in c.subcomponents}
        for s in c.subcomponents:
            library.get(s.cls, f"compound_components.{c.name}.subcomponents.{s.name}.class")
        for aname, parts in c.action_parts:
            for i, part in enumerate(parts):
                sub_cls = library.get(subs[part.sub].cls)
                if part.action not in sub_cls.actions:
                    raise SpecError(
                        f"compound_components.{c.name}.actions.{aname}[{i}].action",
                        part.action,
                        f"an action of {sub_cls.name}: one of {list(sub_cls.actions)}",
                        c.file,
                    )


@cache
def builtin_library() -> ComponentLibrary:
    """The primitives plus the built-in compound classes (`data/compound_components.yaml`)."""
    path = resources.files("loopscape.energy").joinpath("data", "compound_components.yaml")
    library = ComponentLibrary(parse_compounds(yaml.safe_load(path.read_text()), "compound_components.yaml"))
    check_subclasses(library)
    return library


def load_library(paths: Iterable[str | Path] = ()) -> ComponentLibrary:
    """The built-in library plus the user's compound-class files (checked: SpecError names file and path)."""
    paths = list(paths)
    if not paths:
        return builtin_library()
    library = builtin_library().with_files(paths)
    check_subclasses(library)
    return library


__all__ = [
    "ComponentLibrary",
    "CompoundClass",
    "Expanded",
    "SubAction",
    "SubComponent",
    "builtin_library",
    "evaluate",
    "load_library",
    "parse_compounds",
]
