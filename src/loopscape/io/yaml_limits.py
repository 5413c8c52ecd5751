"""Bounds every YAML reader shares: nesting depth, and the size after alias expansion (YAML bombs).

A "billion laughs" file is a few lines whose anchors and aliases expand to 10^9 values; a recursive alias
(`&a [*a]`) expands forever. PyYAML shares the aliased objects, so the damage is done later by whoever
walks the result. `BoundedComposer` refuses both while composing, before anything is constructed.
"""

from __future__ import annotations

from typing import Any

import yaml

from loopscape.errors import SpecError

MAX_DEPTH = 100  # nested lists/mappings, the document's own included; real specs use < 20, and PyYAML recurses about 3 frames per level
MAX_NODES = 1_000_000  # values after expanding aliases; real specs have < 100,000


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(document)"


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_expansion(root: yaml.Node, max_nodes: int = MAX_NODES) -> int:
    """The number of values `root` expands to; a SpecError when it is recursive or larger than `max_nodes`."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            on_path.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in _children(node))
            if size[nid] > max_nodes:
                raise SpecError(
                    _where(node.start_mark),
                    f"anchors and aliases expanding to more than {max_nodes:,} values (a YAML bomb?)",
                    f"a document of at most {max_nodes:,} values once aliases are expanded",
                )
            continue
        if nid in size:
            continue
        if nid in on_path:
            raise SpecError(
                _where(node.start_mark),
                "an alias inside its own anchor (a recursive structure)",
                "anchors that do not contain themselves",
            )
        on_path.add(nid)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    return size[id(root)]


class BoundedComposer:
    """Mixin for a PyYAML loader class (before it in the bases): refuses deep nesting and alias bombs."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        collection = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)  # type: ignore[attr-defined]
        if collection and self._depth >= MAX_DEPTH:
            raise SpecError(
                _where(self.peek_event().start_mark),  # type: ignore[attr-defined]
                f"lists or mappings nested more than {MAX_DEPTH} deep",
                f"at most {MAX_DEPTH} levels of nesting",
            )
        self._depth += collection
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= collection

    def compose_document(self) -> Any:
        node = super().compose_document()  # type: ignore[misc]
        if node is not None:
            check_expansion(node)
        return node


class BoundedSafeLoader(BoundedComposer, yaml.SafeLoader):
    """PyYAML's SafeLoader with the bounds above."""


def safe_load(text: str) -> Any:
    """yaml.safe_load with the bounds above (SpecError without a file when one is exceeded)."""
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
