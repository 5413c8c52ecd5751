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


ERT = """
ERT:
  version: 0.4
  tables:
    - name: system.chip.Buffer
      actions:
        - {name: random_read, energy: 10.0}
        - {name: gated_read, energy: 1.0}
        - {name: random_fill, energy: 12.0}
        - {name: random_update, energy: 12.0}
    - name: system.DRAM
      actions:
        - {name: random_read, energy: 100.0}
        - {name: random_fill, energy: 100.0}
        - {name: random_update, energy: 100.0}
    - name: system.chip.MAC
      actions:
        - {name: mac_random, energy: 2.0}
        - {name: mac_gated, energy: 0.5}
"""


def test_gated_energy_from_an_ert(tmp_path):
    from loopscape.mapping import Loop, Mapping
    from loopscape.model import evaluate

    files = [
        write(tmp_path, "arch.yaml", ARCH),
        write(tmp_path, "prob.yaml", PROBLEM),
        write(tmp_path, "s.yaml", SPARSE),
        write(tmp_path, "ert.yaml", ERT),
    ]
    specs = load_specs(files)
    every = frozenset(specs.workload.tensor_names)
    mapping = Mapping((Loop("M", 4, level=1), Loop("N", 4, level=1), Loop("K", 8, level=1)), (every, every))
    r = evaluate(specs.arch, specs.workload, mapping, specs.energy)
    reads = r.counts.levels[1]["A"].reads
    assert reads == 128  # every MAC reads one A word from the buffer (M4 N4 K8, no reuse below it)
    # A's reads are gated when B is zero (density 0.25): 25 % cost 10 pJ, 75 % cost the gated 1 pJ.
    assert r.levels[1].energy_pj["A"]["read"] == pytest.approx(128 * (0.25 * 10.0 + 0.75 * 1.0))
    # B's reads are not gated: 128 x 10 pJ.
    assert r.levels[1].energy_pj["B"]["read"] == pytest.approx(128 * 10.0)
    # Compute gating: an operation is gated unless both A and B are non-zero (0.5 x 0.25).
    assert r.compute_energy_pj == pytest.approx(128 * (0.125 * 2.0 + 0.875 * 0.5))
