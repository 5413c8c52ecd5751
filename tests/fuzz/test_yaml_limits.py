"""YAML bombs, recursive anchors and deep nesting are refused up front, by every YAML reader, quickly."""

from __future__ import annotations

import time

import pytest
import yaml
from fuzz_harness import TARGETS, cli, time_bound, write_case

from loopscape.errors import SpecError
from loopscape.io.spec_yaml import parse_yaml_text
from loopscape.io.yaml_limits import MAX_DEPTH, MAX_NODES, check_expansion, safe_load
from loopscape.io.zigzag import parse_zigzag_yaml


def laughs(levels: int, width: int = 10, key: str = "workload") -> str:
    """The "billion laughs": level i holds `width` aliases of level i-1, `width**levels` values in all."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\n{key}: *l{levels}\n"


BOMB = laughs(9)  # 10^9 values in 11 lines
RECURSIVE = "workload: &a {layer: conv2d, K: [*a]}\n"
DEEP = "workload: " + "[" * (MAX_DEPTH + 5) + "1" + "]" * (MAX_DEPTH + 5) + "\n"
READERS = [parse_yaml_text, parse_zigzag_yaml, safe_load]


@pytest.mark.parametrize("read", READERS)
@pytest.mark.parametrize(("text", "found"), [(BOMB, "YAML bomb"), (RECURSIVE, "recursive"), (DEEP, "nested")])
def test_every_loader_refuses_bombs_quickly(read, text, found):
    started = time.perf_counter()
    with time_bound(5), pytest.raises(SpecError) as err:
        read(text)
    assert found in str(err.value.found)
    assert err.value.path.startswith("line ")
    assert time.perf_counter() - started < 2


def test_the_bound_is_on_the_expanded_size():
    assert safe_load(laughs(4))["workload"][0][0][0][0][0] == "lol"  # 10^4 values, 11,111 nodes: accepted
    with pytest.raises(SpecError, match="1,000,000"):
        safe_load(laughs(5))  # 10^5 values in 1,111,111 nodes: over MAX_NODES
    # l0 = 1 + 3, l1 = 1 + 3 * 4, l2 = 1 + 3 * 13 (aliases counted each time), the root: itself, 4 keys, 4 values
    assert check_expansion(yaml.compose(laughs(2, width=3))) == 1 + 4 + 4 + 13 + 40 + 40
    assert MAX_NODES == 1_000_000


def test_nesting_up_to_the_limit_is_read():
    """The document's mapping and 99 lists: 100 levels."""
    text = "a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1)
    value = parse_yaml_text(text)["a"]
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == 1
    with pytest.raises(SpecError, match="nested more than 100"):
        parse_yaml_text("a: " + "[" * MAX_DEPTH + "1" + "]" * MAX_DEPTH)


def test_ordinary_anchors_and_aliases_still_work(tmp_path):
    """A workload whose sizes are anchored and aliased evaluates like the plain one."""
    target = TARGETS["native"]
    files = target.files()
    text = files["workload.yaml"].decode()
    aliased = text.replace("K: 64", "K: &ch 64").replace("C: 64", "C: *ch").replace("Q: 28", "Q: *pq")
    aliased = aliased.replace("P: 28", "P: &pq 28")
    assert aliased.count("*") == 2
    files["workload.yaml"] = aliased.encode()
    plain = target.run(write_case(tmp_path / "plain", target.files()))
    with_aliases = target.run(write_case(tmp_path / "aliased", files))
    assert plain.kind == with_aliases.kind == "ok"
    assert (tmp_path / "plain" / "out.json").read_text() == (tmp_path / "aliased" / "out.json").read_text()


@pytest.mark.parametrize("name", ["native", "timeloop", "zigzag", "network", "sweep", "timeloop_mapspace"])
@pytest.mark.parametrize("text", [BOMB, RECURSIVE, DEEP], ids=["bomb", "recursive", "deep"])
def test_every_yaml_command_refuses_them_with_exit_2(name, text, tmp_path):
    target = TARGETS[name]
    files = target.files()
    files[target.yaml_files[0]] = text.encode()
    started = time.perf_counter()
    outcome = target.run(write_case(tmp_path, files))
    assert outcome.kind == "refused", outcome.detail
    assert any(w in outcome.detail for w in ("YAML bomb", "recursive", "nested")), outcome.detail
    assert time.perf_counter() - started < 5


def test_the_message_names_file_and_line(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    outcome = cli("evaluate", bomb, bomb, bomb)
    assert outcome.kind == "refused"
    assert str(bomb) in outcome.detail and "line " in outcome.detail
