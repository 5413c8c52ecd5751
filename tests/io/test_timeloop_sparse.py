"""Timeloop v3 sparsity inputs: problem densities and gating sparse optimizations (Sparseloop's format)."""

from __future__ import annotations

import textwrap

import pytest

from loopscape.errors import SpecError
from loopscape.io import load_specs

ARCH = """
architecture:
  version: 0.4
  subtree:
    - name: system
      local:
        - {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 16}}
      subtree:
        - name: chip
          local:
            - {name: Buffer, class: SRAM, attributes: {depth: 1024, width: 16, datawidth: 16}}
            - {name: MAC, class: intmac, attributes: {datawidth: 16}}
"""
PROBLEM = """
problem:
  shape: gemm-ABZ
  instance: {M: 4, N: 4, K: 8, densities: {A: 0.5, B: {distribution: fixed-structured, density: 0.25}}}
"""
SPARSE = """
sparse_optimizations:
  version: 0.4
  targets:
    - name: Buffer
      action-optimization:
        - type: gating
          options:
            - {target: A, condition-on: [B]}
    - name: MAC
      compute-optimization:
        - type: gating
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_densities_and_gating_are_read(tmp_path):
    specs = load_specs(
        [
            write(tmp_path, "arch.yaml", ARCH),
            write(tmp_path, "prob.yaml", PROBLEM),
            write(tmp_path, "s.yaml", SPARSE),
        ]
    )
    assert {t.name: t.density for t in specs.workload.tensors} == {"A": 0.5, "B": 0.25, "Z": 1.0}
    assert specs.arch.levels[1].gating == (("A", ("B",)),)
    assert specs.arch.compute.gating


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (SPARSE.replace("type: gating\n          options", "type: skipping\n          options"), "type"),
        (SPARSE.replace("name: Buffer", "name: Bufer"), "name"),
        (SPARSE.replace("- name: MAC", "- name: Buffer2"), "compute-optimization"),
    ],
)
def test_unsupported_or_wrong_sparse_optimizations(tmp_path, text, path):
    files = [
        write(tmp_path, "arch.yaml", ARCH),
        write(tmp_path, "prob.yaml", PROBLEM),
        write(tmp_path, "s.yaml", text),
    ]
    with pytest.raises(SpecError) as err:
        load_specs(files)
    assert err.value.file.endswith("s.yaml") and path in err.value.path
