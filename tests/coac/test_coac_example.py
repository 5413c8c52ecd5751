"""examples/coac_table7.py runs (on a 2-PE array, two networks, a tiny budget) and prints Table VII's layout."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

EXAMPLE = Path(__file__).parents[2] / "examples" / "coac_table7.py"


def test_table7_example(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("coac_table7", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = [
        "--pe",
        "2",
        "--networks",
        "rced,tiny_yolo_v2",
        "--budget",
        "40",
        "--max-sus",
        "2",
        "--workers",
        "1",
    ]
    cache = tmp_path / "table.npz"
    first = module.main([*args, "--cache", str(cache)])["table_vii"]
    out = capsys.readouterr().out
    assert "Table VII" in out and "(ours | paper)" in out and "-35%" in out  # RCED's published 2-SU change
    assert set(first) == {"rced", "tiny_yolo_v2", "all"}
    assert first["all"][0] <= 0 and math.isnan(first["all"][1])  # no Evolver SUs on 2 PEs
    again = module.main([*args, "--cache", str(cache)])["table_vii"]
    assert "0 searches" in capsys.readouterr().out and again.keys() == first.keys()
    assert all(again[k][0] == first[k][0] for k in first)
