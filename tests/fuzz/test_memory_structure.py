"""Bounded memory on large networks, as a structural property (benchmarks/bench_memory.py measures the
figures): what the network mapper keeps per layer is the best mapping and its evaluation, never a search's
candidate arrays or lists, so a network's result grows by a few kilobytes a layer whatever the budget."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from loopscape.cli_network import _load_architecture
from loopscape.mapper.network import map_network
from loopscape.workload import networks

LONGEST_SEQUENCE = 1_000  # candidate lists are budget-long (thousands); a layer's own lists are short


def _containers(obj: Any, path: str, seen: set[int]) -> list[tuple[str, Any]]:
    """Every array, list, tuple and dict reachable from `obj` (through dataclasses and objects' fields)."""
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return []
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return [(path, obj)]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        children = [(f".{f.name}", getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    elif isinstance(obj, dict):
        children = [(f"[{k!r}]", v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple, set, frozenset)):
        children = [(f"[{i}]", v) for i, v in enumerate(obj)]
    elif hasattr(obj, "__dict__"):
        children = [(f".{k}", v) for k, v in vars(obj).items()]
    else:
        return []
    out = [(path, obj)] if isinstance(obj, (list, tuple, dict, set, frozenset)) else []
    for name, child in children:
        out += _containers(child, path + name, seen)
    return out


@pytest.mark.parametrize("budget", [50, 2_000])
def test_layer_results_hold_no_candidate_arrays(budget):
    arch, energy, _ = _load_architecture(("eyeriss",))
    result = map_network(arch, networks.get("rced"), energy, budget=budget)
    assert sum(lr.evaluated for lr in result.layers) > budget  # the searches ran
    found = _containers(result.layers, "layers", set())
    arrays = [(p, a.shape) for p, a in found if isinstance(a, np.ndarray)]
    assert not arrays, f"arrays kept in the layers' results: {arrays[:5]}"
    long = [(p, len(c)) for p, c in found if not isinstance(c, np.ndarray) and len(c) > LONGEST_SEQUENCE]
    assert not long, f"long sequences kept in the layers' results: {long[:5]}"


def test_the_walk_finds_arrays_and_long_lists():
    """The check above can fail: a result holding a candidate array or list is caught."""

    @dataclasses.dataclass
    class Holder:
        kept: Any

    assert _containers(Holder(np.zeros(3)), "h", set())[0][0] == "h.kept"
    assert any(len(c) > LONGEST_SEQUENCE for _, c in _containers(Holder([list(range(2_000))]), "h", set()))
