"""The examples run as written (their main functions, fast) and show what they say they show."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tech_scaling_shifts_energy_towards_dram(tmp_path, capsys):
    """Timeloop (ISPASS 2019) Fig. 12(a): 65 nm -> 16 nm, the DRAM share grows, arithmetic and on-chip shrink."""
    example = load_example("tech_scaling")
    chart = tmp_path / "chart.png"
    shares = example.main([str(chart)])
    at65, at16 = shares["65nm"], shares["16nm"]
    for share in (at65, at16):
        assert sum(share.values()) == pytest.approx(1.0)
    assert at16["DRAM"] > at65["DRAM"]
    assert at16["arithmetic"] < at65["arithmetic"]
    assert at16["on-chip storage"] < at65["on-chip storage"]
    out = capsys.readouterr().out
    assert "65nm" in out and "16nm" in out and "DRAM" in out
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert not chart.exists() and "no chart" in out
    else:
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
