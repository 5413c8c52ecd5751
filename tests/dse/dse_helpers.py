"""Small sweeps for the dse tests: a three-layer network on a resized Eyeriss (a point takes ~0.1 s)."""

from __future__ import annotations

from pathlib import Path

TINY_NET = """\
network:
  name: tiny
  input: {C: 3, H: 12, W: 12}
  layers:
    - {name: conv1, type: conv, K: 8, R: 3, padding: 1}
    - {name: conv2, type: conv, K: 16, R: 3, padding: 1}
    - {name: fc, type: fc, K: 10}
"""

SPEC = """\
sweep:
  name: tiny
  template: eyeriss
  parameters:
    pe_x: [2, 4]
    pe_y: [2, 4]
    technology: 45nm
    GBuf.size_kb: [8, 32]
    RFile.entries: [16, 64]
  workloads:
    - {network: tiny_net.yaml}
  mapper: {budget: 64, seed_orders: 2}
"""


def write_spec(folder: Path, text: str = SPEC, name: str = "sweep.yaml") -> Path:
    """A spec file next to the tiny network file."""
    (folder / "tiny_net.yaml").write_text(TINY_NET)
    path = folder / name
    path.write_text(text)
    return path
