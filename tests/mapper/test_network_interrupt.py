"""Ctrl-C during `loopscape network` / the demo keeps what was finished: the layers mapped so far are printed,
written to the JSON (marked interrupted) and the command exits 130; with nothing finished it aborts."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import loopscape.mapper.network as network_module
from loopscape.arch import zoo
from loopscape.cli import loopscape
from loopscape.mapper.network import map_network
from loopscape.workload import networks


def interrupt_on_call(monkeypatch, n: int) -> None:
    """Make the n-th layer search (1-based) raise KeyboardInterrupt, as Ctrl-C would."""
    real = network_module.search_layer
    calls = {"n": 0}

    def search_layer(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(network_module, "search_layer", search_layer)


def test_map_network_keeps_finished_layers(monkeypatch) -> None:
    interrupt_on_call(monkeypatch, 3)
    result = map_network(zoo.get("eyeriss"), networks.get("alexnet"), budget=30)
    assert result.interrupted and [lr.name for lr in result.layers] == ["conv1", "conv2"]
    assert result.to_json()["interrupted"] is True


def test_nothing_finished_aborts(monkeypatch) -> None:
    interrupt_on_call(monkeypatch, 1)
    with pytest.raises(KeyboardInterrupt):
        map_network(zoo.get("eyeriss"), networks.get("alexnet"), budget=30)


def test_network_command_saves_and_exits_130(monkeypatch, tmp_path) -> None:
    interrupt_on_call(monkeypatch, 4)
    out = tmp_path / "partial.json"
    res = CliRunner().invoke(
        loopscape, ["network", "eyeriss", "alexnet", "--budget", "30", "--json", str(out)]
    )
    assert res.exit_code == 130, res.output
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True and [layer["name"] for layer in doc["layers"]] == [
        "conv1",
        "conv2",
        "conv3",
    ]
    assert "interrupted: 3 of 8 layers finished" in res.stderr and "conv3" in res.stdout
