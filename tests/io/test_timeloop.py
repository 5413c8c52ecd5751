"""Timeloop v0.4 YAML: architecture tree, problem, mapping directives, ERT/ART, writer round trips, errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.errors import SpecError
from loopscape.io import detect_format, load_specs
from loopscape.io.energy_overrides import apply_overrides
from loopscape.io.timeloop import (
    ert_overrides,
    ert_reads_own_actions,
    read_architecture,
    read_art,
    read_ert,
    read_mapping,
    read_problem,
    to_timeloop_yaml,
)
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.workload import conv1d, conv2d, matmul

# A small Eyeriss-like design in the form timeloop-model v3.0.3 reads (ranges on subtrees only).
ARCH = """
architecture:
  version: 0.4
  subtree:
  - name: system
    attributes: {technology: 45nm}
    local:
    - name: DRAM
      class: DRAM
      attributes: {type: LPDDR4, width: 64, datawidth: 16}
    subtree:
    - name: chip
      local:
      - name: GlobalBuffer
        class: smartbuffer
        attributes: {depth: 2048, width: 64, datawidth: 16, n_banks: 4, read_bandwidth: 16}
      subtree:
      - name: PE[0..15]
        local:
        - name: RegisterFile
          class: regfile
          attributes: {depth: 16, width: 16, datawidth: 16, meshX: 4}
        - name: MACC
          class: intmac
          attributes: {datawidth: 16, meshX: 4}
"""

PROBLEM = """
problem:
  shape:
    name: CNN-Layer
    dimensions: [R, S, P, Q, C, K, N]
    coefficients:
    - {name: Wstride, default: 1}
    - {name: Hstride, default: 1}
    - {name: Wdilation, default: 1}
    - {name: Hdilation, default: 1}
    data-spaces:
    - name: Weights
      projection: [[[C]], [[K]], [[R]], [[S]]]
    - name: Inputs
      projection:
      - [[N]]
      - [[C]]
      - [[R, Wdilation], [P, Wstride]]
      - [[S, Hdilation], [Q, Hstride]]
    - name: Outputs
      projection: [[[N]], [[K]], [[Q]], [[P]]]
      read-write: True
  instance: {R: 3, S: 3, P: 8, Q: 8, C: 4, K: 8, N: 1, Wstride: 2}
"""

MAPPING = """
mapping:
- target: RegisterFile
  type: temporal
  factors: R=3 S=3 P=1 Q=1 C=1 K=1 N=1
  permutation: RSPQCKN
- target: GlobalBuffer
  type: spatial
  factors: K=4 C=4
  permutation: KCRSPQN
  split: 1
- target: GlobalBuffer
  type: temporal
  factors: P=8 Q=8 K=2    # comments are allowed
  permutation: QPK
- target: DRAM
  type: temporal
  factors: C=1 K=1
  permutation: KC
- target: RegisterFile
  type: bypass
  keep: [Weights]
  bypass: [Inputs, Outputs]
"""


def y(text: str):
    return yaml.safe_load(textwrap.dedent(text))


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


# --- architecture ---------------------------------------------------------------------------------


def test_architecture_tree():
    arch = read_architecture(y(ARCH)["architecture"])
    assert arch.name == "system" and arch.technology == "45nm"
    assert [lv.name for lv in arch.levels] == ["DRAM", "GlobalBuffer", "RegisterFile"]
    dram, glb, rf = arch.levels
    assert (dram.cls, dram.block_size, dram.entries, dram.word_bits) == ("DRAM", 4, None, 16)
    assert (glb.cls, glb.block_size, glb.entries, glb.read_bandwidth) == (
        "SRAM",
        4,
        8192,
        16,
    )  # depth x block
    assert (rf.cls, rf.instances, rf.mesh, rf.entries) == ("regfile", 16, (4, 4), 16)
    assert arch.compute == ComputeLevel("MACC", 16, 4, 16)
    # Timeloop's legacy network multicasts, reduces spatially and does link transfers by default.
    assert all(lv.network == Network(True, True, True) for lv in arch.levels)


def test_local_order_is_outer_first_and_ranges_multiply():
    arch = read_architecture(
        y("""
        version: 0.4
        subtree:
        - name: sys
          local:
          - {name: DRAM, class: LPDDR_DRAM}
          subtree:
          - name: cluster[0..1]
            local:
            - {name: L2, class: SRAM, attributes: {entries: 100}}
            - {name: L1, class: storage, attributes: {sizeKB: 1, word-bits: 8}}
            - {name: noc, class: XY_NoC, attributes: {datawidth: 16}}  # unused networks are ignored
            subtree:
            - name: PE[0..3]
              local:
              - {name: RF, class: smartbuffer_RF, attributes: {entries: 8, meshY: 2}}
              - {name: ALU, class: fpmac, attributes: {instances: 8, meshX: 4}}
    """)
    )
    assert [(lv.name, lv.instances) for lv in arch.levels] == [("DRAM", 1), ("L2", 2), ("L1", 2), ("RF", 8)]
    assert arch.levels[2].entries == 1024 and arch.levels[2].word_bits == 8  # sizeKB x 1024 x 8 / word bits
    assert arch.levels[3].mesh == (4, 2)  # instances / meshY
    assert [lv.cls for lv in arch.levels] == ["DRAM", "SRAM", "SRAM", "regfile"]
    assert arch.compute.mesh == (4, 2)


@pytest.mark.parametrize(
    ("attrs", "block", "entries", "read_bw"),
    [
        ({"width": 64, "datawidth": 16, "depth": 10}, 4, 40, None),  # block = width / datawidth
        ({"width": 64, "datawidth": 16, "block-size": 2, "depth": 10}, 2, 20, None),  # cluster 2
        ({"width": 64, "word-bits": 8, "cluster-size": 2, "depth": 10}, 4, 40, None),
        ({"entries": 100, "block_size": 4}, 4, 100, None),
        ({"depth": 100, "multiple-buffering": 2}, 1, 50, None),
        ({"bandwidth": 8}, 1, None, 4.0),  # deprecated: read = write = bandwidth / 2
        ({"depth": 7, "latency": "5ns", "n_rdwr_ports": 2}, 1, 7, None),  # Accelergy attributes are ignored
    ],
)
def test_buffer_attributes(attrs, block, entries, read_bw):
    arch = read_architecture({"subtree": [{"name": "s", "local": [
        {"name": "B", "class": "SRAM", "attributes": attrs}, {"name": "M", "class": "mac"}]}]})  # fmt: skip
    lv = arch.levels[0]
    assert (lv.block_size, lv.entries, lv.read_bandwidth) == (block, entries, read_bw)


def test_loopscape_extension_attributes_round_trip():
    arch = Architecture(
        name="design",
        levels=(
            StorageLevel("DRAM", "DRAM", block_size=4, read_bandwidth=8, write_bandwidth=4),
            StorageLevel("GLB", "SRAM", entries=1000, word_bits=8, keeps=frozenset({"Inputs"}),
                         network=Network(multicast=False, spatial_reduction=False, forwarding=True)),
            StorageLevel("RF", "regfile", instances=16, mesh_x=4, entries=64, block_size=2, shared_bandwidth=2),
        ),
        compute=ComputeLevel("MAC", instances=64, mesh_x=8),
        technology="16nm",
    )  # fmt: skip
    doc = yaml.safe_load(to_timeloop_yaml(arch=arch))
    # Timeloop ignores the extension attributes (network_forwarding: false, keeps); our reader restores them.
    assert read_architecture(doc["architecture"]) == arch
    assert "network_forwarding" in str(doc) and "keeps" in str(doc)


# --- problem --------------------------------------------------------------------------------------


# timeloopfe's processed input (what Timeloop HEAD reads): every component under one `local` list with its
# range and mesh, `enabled`, underscored attribute names, a placeholder technology on the tree.
PROCESSED_ARCH = """
architecture:
  version: '0.4'
  subtree:
  - name: system_top_level
    attributes: {version: '0.4', technology: SET ME, global_cycle_seconds: 1e-9, has_power_gating: false}
    local:
    - name: DRAM[1..1]
      class: DRAM
      attributes: {type: LPDDR4, width: 64, datawidth: 8, cluster_size: 1, multiple_buffering: 1,
                   min_utilization: 0, meshX: 1, meshY: 1, power_gated_at: DRAM}
      required_actions: [update, read, leak, write]
      enabled: true
    - name: spare[1..1]
      class: SRAM
      attributes: {depth: 4, width: 8, datawidth: 8}
      enabled: false
    - name: inter_PE_spatial[1..1]
      class: dummy_storage
      attributes: {width: 1, depth: 1, datawidth: 1, technology: -1, meshX: 1, meshY: 1}
      enabled: true
    - name: RF[1..16]
      class: smartbuffer_RF
      attributes: {depth: 12, width: 16, datawidth: 8, meshX: 4, meshY: 4, technology: 32nm,
                   multiple_buffering: 2}
      enabled: true
    - name: mac[1..16]
      class: intmac
      attributes: {width: 8, meshX: 4, meshY: 4, technology: 32nm}
      enabled: true
"""


def test_processed_architecture_from_timeloopfe():
    arch = read_architecture(y(PROCESSED_ARCH)["architecture"])
    assert [lv.name for lv in arch.levels] == ["DRAM", "inter_PE_spatial", "RF"]  # 'spare' is disabled
    assert arch.technology == "32nm"  # the tree's 'SET ME' names no node: the components' node
    dram, dummy, rf = arch.levels
    assert dram.block_size == 8 and dummy.entries == 1
    # depth 12 x block 2 (width 16 / datawidth 8), halved by multiple_buffering 2
    assert (rf.instances, rf.mesh, rf.entries) == (16, (4, 4), 12)
    assert arch.compute.instances == 16


def test_processed_problem_ignores_timeloopfe_variables_but_not_near_misses():
    shape = {"name": "c", "dimensions": ["P", "R"], "data_spaces": [
        {"name": "W", "projection": [[["R"]]]},
        {"name": "O", "projection": [[["P"]]], "read_write": True},
    ]}  # fmt: skip
    w = read_problem({"version": "0.4", "shape": shape, "instance": {"P": 4, "R": 2, "H": 9, "Wpad": 1}})
    assert w.bounds == (4, 2)
    for typo in ("p", "densitys"):  # a dimension under another case, a misspelt key
        with pytest.raises(SpecError) as e:
            read_problem({"shape": shape, "instance": {"P": 4, "R": 2, typo: 3}})
        assert e.value.path == f"problem.instance.{typo}"


def test_mapping_factors_with_commas(eyeriss):
    arch, workload = eyeriss
    doc = {"mapping": [{"target": "DRAM", "type": "temporal", "factors": "R=3,S=3,P=8,Q=8,C=4,K=8,N=1",
                        "permutation": "RSPQCKN"}]}  # fmt: skip
    m = read_mapping(doc["mapping"], arch, workload)
    assert {lp.dim: lp.bound for lp in m.loops if lp.level == 0 and lp.bound > 1} == {
        "R": 3, "S": 3, "P": 8, "Q": 8, "C": 4, "K": 8
    }  # fmt: skip


def test_problem_with_coefficients():
    w = read_problem(y(PROBLEM)["problem"])
    assert w.name == "CNN-Layer" and w.dims == ("R", "S", "P", "Q", "C", "K", "N")
    inputs = w.tensor("Inputs")
    assert inputs.ranks[2] == (("R", 1), ("P", 2)) and inputs.ranks[3] == (("S", 1), ("Q", 1))
    assert w.output.name == "Outputs"
    assert w.tensor_size("Inputs") == 1 * 4 * (2 + 14 + 1) * (2 + 7 + 1)


def test_default_and_named_shapes():
    w = read_problem({"instance": {"R": 3, "S": 3, "P": 4, "Q": 4, "C": 2, "K": 2, "N": 1, "Hstride": 2}})
    assert w.name == "CNN-Layer" and w.tensor("Inputs").ranks[3] == (("S", 1), ("Q", 2))
    g = read_problem({"shape": "gemm-ABZ", "instance": {"M": 4, "N": 5, "K": 6}})
    assert [t.name for t in g.tensors] == ["A", "B", "Z"] and g.tensor("Z").read_write
    # bounds directly under problem (older specs)
    assert read_problem({"shape": "gemm_ABZ", "M": 4, "N": 5, "K": 6}).bounds == (4, 5, 6)


def test_flat_projection_underscores_ranks_and_densities():
    w = read_problem(
        y("""
        shape:
          name: mm
          dimensions: [M, N, K]
          data_spaces:
          - {name: A, projection: [M, K], ranks: [m, k]}
          - {name: B, projection: [K, N]}
          - {name: Z, projection: [M, N], read_write: true}
        instance: {M: 2, N: 3, K: 4, densities: {A: 1.0}, commonDensity: 1}
    """)
    )
    assert w.tensor("A").ranks == ((("M", 1),), (("K", 1),)) and w.tensor("A").rank_names == ("m", "k")
    assert w.tensor("Z").read_write


@pytest.mark.parametrize(
    "workload",
    [
        conv2d(K=8, C=4, P=5, Q=6, R=3, S=2, stride=(2, 1), dilation=(1, 3)),
        conv2d(K=8, C=8, P=4, Q=4, R=3, S=3, groups=2),
        matmul(M=4, N=5, K=6),
        conv1d(P=4, R=3, stride=2, dilation=2),
    ],
)
def test_problem_round_trip(workload):
    doc = yaml.safe_load(to_timeloop_yaml(workload=workload))
    assert read_problem(doc["problem"]) == workload


# --- mapping --------------------------------------------------------------------------------------


@pytest.fixture
def eyeriss():
    return read_architecture(y(ARCH)["architecture"]), read_problem(y(PROBLEM)["problem"])


def test_mapping_directives(eyeriss):
    arch, w = eyeriss
    m = read_mapping(y(MAPPING)["mapping"], arch, w)
    assert m.loops == (
        # GlobalBuffer temporal: permutation QPK is innermost first, so K is outermost
        Loop("K", 2, TEMPORAL, 1), Loop("P", 8, TEMPORAL, 1), Loop("Q", 8, TEMPORAL, 1),
        # GlobalBuffer spatial: permutation KCRSPQN with split 1 -> K on X, the rest on Y
        Loop("C", 4, SPATIAL_Y, 1), Loop("K", 4, SPATIAL_X, 1),
        Loop("S", 3, TEMPORAL, 2), Loop("R", 3, TEMPORAL, 2),
    )  # fmt: skip
    everything = frozenset(w.tensor_names)
    assert m.keep == (everything, everything, frozenset({"Weights"}))


def test_mapping_defaults(eyeriss):
    """Missing factors are 1, 0 means the whole dimension, missing permutation dimensions go outside,
    target may be a storage id (0 = innermost), default split puts everything on X."""
    arch, w = eyeriss
    m = read_mapping(
        [
            {"target": 2, "type": "temporal", "factors": "P0 Q8 R3 S3 C4 K2"},
            {"target": 1, "type": "spatial", "factors": "K=4", "permutation": "K"},
            {"target": 0, "type": "temporal", "factors": "N=1"},
        ],
        arch,
        w,
    )
    assert m.loops == (
        Loop("K", 2, TEMPORAL, 0), Loop("C", 4, TEMPORAL, 0), Loop("Q", 8, TEMPORAL, 0),
        Loop("P", 8, TEMPORAL, 0), Loop("S", 3, TEMPORAL, 0), Loop("R", 3, TEMPORAL, 0),
        Loop("K", 4, SPATIAL_X, 1),
    )  # fmt: skip
    assert all(k == frozenset(w.tensor_names) for k in m.keep)


def test_mapping_round_trip(eyeriss):
    arch, w = eyeriss
    m = Mapping(
        loops=(
            Loop("C", 2, TEMPORAL, 0), Loop("K", 2, TEMPORAL, 1), Loop("P", 4, TEMPORAL, 1),
            Loop("Q", 2, SPATIAL_Y, 1), Loop("C", 2, SPATIAL_Y, 1), Loop("K", 4, SPATIAL_X, 1),
            Loop("S", 3, TEMPORAL, 2), Loop("R", 3, TEMPORAL, 2), Loop("P", 2, TEMPORAL, 2), Loop("Q", 4, TEMPORAL, 2),
        ),
        keep=(frozenset(w.tensor_names), frozenset({"Inputs", "Outputs"}), frozenset({"Weights", "Outputs"})),
    )  # fmt: skip
    doc = yaml.safe_load(to_timeloop_yaml(arch, w, m))
    assert read_mapping(doc["mapping"], arch, w) == m
    assert read_architecture(doc["architecture"]) == arch
    assert read_problem(doc["problem"]) == w


def test_writer_refuses_what_timeloop_cannot_say(eyeriss):
    arch, w = eyeriss
    padded = Mapping(loops=(Loop("P", 16, TEMPORAL, 0),), keep=(frozenset(w.tensor_names),) * 3)
    with pytest.raises(SpecError, match="padding"):
        to_timeloop_yaml(arch, w, padded)
    rest = tuple(Loop(d, w.bound(d), TEMPORAL, 2) for d in ("R", "S", "C", "K"))
    twice = Mapping(loops=(Loop("P", 2, TEMPORAL, 0), Loop("Q", 8, TEMPORAL, 0), Loop("P", 4, TEMPORAL, 0), *rest),
                    keep=(frozenset(w.tensor_names),) * 3)  # fmt: skip
    with pytest.raises(SpecError, match="one loop per dimension"):
        to_timeloop_yaml(arch, w, twice)


def test_random_cases_round_trip():
    strategies = pytest.importorskip("strategies")
    from hypothesis import assume, given, settings

    @settings(max_examples=80)
    @given(strategies.cases(uneven=False))
    def check(case):
        arch, workload, mapping = case
        try:
            text = to_timeloop_yaml(arch, workload, mapping)
        except SpecError:
            assume(False)
        doc = yaml.safe_load(text)
        back_arch = read_architecture(doc["architecture"])
        assert [lv.entries for lv in back_arch.levels] == [lv.entries for lv in arch.levels]
        assert [lv.instances for lv in back_arch.levels] == [lv.instances for lv in arch.levels]
        assert [lv.network for lv in back_arch.levels] == [lv.network for lv in arch.levels]
        assert read_problem(doc["problem"]).tensors == tuple(workload.tensors)
        back = read_mapping(doc["mapping"], back_arch, workload)
        # Timeloop drops loops of bound 1 and puts a level's Y loops outside its X loops (which changes
        # nothing: a level's spatial loops all fan out at once); everything else comes back as it was
        rank = {TEMPORAL: 0, SPATIAL_Y: 1, SPATIAL_X: 2}
        canonical = sorted(
            (lp for lp in mapping.loops if lp.bound > 1), key=lambda lp: (lp.level, rank[lp.kind])
        )
        assert back.loops == tuple(canonical)
        assert back.keep == mapping.keep

    check()


# --- ERT and ART ----------------------------------------------------------------------------------

ERT = """
ERT:
  version: 0.3
  tables:
  - name: system.DRAM
    actions:
    - {name: read, energy: 512}
    - {name: write, energy: 400}
  - name: system.chip.GlobalBuffer
    actions:
    - {name: random_read, arguments: {data_delta: 0}, energy: 2.0}
    - {name: random_read, arguments: {data_delta: 1}, energy: 3.0}
    - {name: read, energy: 1.0}
    - {name: random_fill, energy: 4.0}
    - {name: write, energy: 5.0}
    - {name: update, energy: 99.0}
  - name: system.chip.PE[0..15].RegisterFile
    actions:
    - {name: random_update, energy: 0.5}
  - name: system.chip.PE[0..15].MACC
    actions:
    - {name: mac_random, energy: 2.2}
    - {name: mac_gated, energy: 0.1}
  - name: system.chip.wire
    actions:
    - {name: transfer_random, energy: 7}
"""


def test_ert_action_lookup(eyeriss):
    arch, _ = eyeriss
    ov = ert_overrides(read_ert(y(ERT)["ERT"]), None, arch)
    assert ov.levels["DRAM"] == {"read": 512, "fill": 400, "update": 400}
    # largest of {random_read, read} over argument variants; 'update' is not an action v3.0.3 reads
    assert ov.levels["GlobalBuffer"] == {"read": 3.0, "fill": 5.0, "update": 5.0}
    assert ov.levels["RegisterFile"] == {"update": 0.5}
    assert ov.compute == 2.2
    table = apply_overrides(None, ov, arch)
    assert table.level("RegisterFile").read == 0.0 and table.level("RegisterFile").update == 0.5
    assert table.compute == 2.2


def test_ert_v02_tables_and_art(eyeriss):
    arch, _ = eyeriss
    ert = read_ert({"version": 0.2, "tables": {
        "system.DRAM": {"read": [{"arguments": None, "energy": 10}, {"energy": 12}]},
        "system.chip.PE[0..15].MACC": {"mult": {"energy": 1.5}},
    }})  # fmt: skip
    art = read_art({"version": 0.3, "tables": [{"name": "system.chip.GlobalBuffer", "area": 1000.5},
                                               {"name": "system.chip.PE[0..15].MACC", "area": 30}]})  # fmt: skip
    ov = ert_overrides(ert, art, arch)
    assert ov.levels == {"DRAM": {"read": 12}} and ov.compute == 1.5
    assert ov.area == {"GlobalBuffer": 1000.5, "MACC": 30}


def test_an_ert_of_version_0_4_prices_updates_with_its_own_update_action(eyeriss):
    """Accelergy 0.4's ERTs carry `update` beside read/write; the Timeloop that reads them charges an update
    that action alone (the published runs of tests/data/timeloop_published); a 0.3 ERT's is ignored."""
    arch, _ = eyeriss
    doc = y(ERT)["ERT"]
    assert not ert_reads_own_actions(doc)
    assert ert_overrides(read_ert(doc), None, arch).levels["GlobalBuffer"]["update"] == 5.0
    doc = {**doc, "version": "0.4"}
    assert ert_reads_own_actions(doc)
    ov = ert_overrides(read_ert(doc), None, arch, own_actions=ert_reads_own_actions(doc))
    assert ov.levels["GlobalBuffer"] == {"read": 3.0, "fill": 5.0, "update": 99.0}
    assert ov.levels["RegisterFile"] == {"update": 0.5}  # no own 'update' action: the v3.0.3 lookup


def test_ert_arguments_as_accelergy_writes_them(eyeriss):
    """Accelergy's v0.4 ERTs add `global_cycle_seconds: 1e-09`, which YAML 1.1 reads as text."""
    arch, _ = eyeriss
    ert = read_ert(y("""
        version: '0.4'
        tables:
        - name: system.DRAM[1..1]
          actions:
          - {name: read, arguments: {data_delta: 1, address_delta: 1, global_cycle_seconds: 1e-09}, energy: 7}
    """))  # fmt: skip
    assert ert_overrides(ert, None, arch).levels["DRAM"] == {"read": 7}
    with pytest.raises(SpecError) as e:
        read_ert(
            y("""
            tables:
            - {name: system.DRAM, actions: [{name: read, arguments: {data_delta: one}, energy: 7}]}
        """)
        )
    assert e.value.path == "ERT.tables[0].actions[0].arguments.data_delta"


def test_an_empty_mapping_is_no_mapping(tmp_path):
    """timeloopfe's mapper input carries `mapping: []`: no mapping, so a mapping file beside it is the one."""
    files = [
        write(tmp_path, "in.yaml", ARCH + PROBLEM + "mapping: []\n"),
        write(tmp_path, "map.yaml", MAPPING),
    ]
    specs = load_specs(files)
    assert specs.mapping is not None and specs.files["mapping"].endswith("map.yaml")


def test_load_timeloop_files(tmp_path):
    files = [
        write(tmp_path, n, t)
        for n, t in (("arch.yaml", ARCH), ("prob.yaml", PROBLEM), ("map.yaml", MAPPING), ("ert.yaml", ERT))
    ]
    specs = load_specs(files)
    assert specs.files == {
        "architecture": files[0],
        "workload": files[1],
        "mapping": files[2],
        "energy": files[3],
    }
    assert specs.energy.level("DRAM").read == 512 and specs.energy.compute == 2.2
    # one file holding everything reads the same
    one = write(tmp_path, "all.yaml", ARCH + PROBLEM + MAPPING + ERT)
    again = load_specs([one])
    assert (again.arch, again.workload, again.mapping) == (specs.arch, specs.workload, specs.mapping)


def test_formats_mix(tmp_path):
    native_arch = write(
        tmp_path,
        "arch.yaml",
        """
        architecture:
          levels:
          - {name: DRAM, class: DRAM}
          - {name: RF, instances: 4, entries: 64}
    """,
    )
    problem = write(tmp_path, "prob.yaml", "problem: {shape: gemm-ABZ, instance: {M: 4, N: 4, K: 4}}\n")
    mapping = write(
        tmp_path,
        "map.yaml",
        """
        mapping:
        - {target: DRAM, type: temporal, factors: M=4 N=4}
        - {target: DRAM, type: spatial, factors: K=4}
    """,
    )
    specs = load_specs([native_arch, problem, mapping])
    assert specs.mapping.loops[-1] == Loop("K", 4, SPATIAL_X, 0)


@pytest.mark.parametrize(
    ("doc", "fmt"),
    [
        ({"problem": {}}, "timeloop"),
        ({"architecture": {"version": 0.4}}, "timeloop"),
        ({"mapping": []}, "timeloop"),
        ({"ERT": {}}, "timeloop"),
        ({"architecture": {"levels": []}}, "native"),
        ({"workload": {}, "mapping": {}}, "native"),
    ],
)
def test_detect_format(doc, fmt):
    assert detect_format(doc) == fmt


# --- errors ---------------------------------------------------------------------------------------


def _arch_with(attrs: str) -> str:
    return f"""
architecture:
  version: 0.4
  subtree:
  - name: system
    local:
    - name: DRAM
      class: DRAM
    - name: Buf
      class: SRAM
      attributes: {attrs}
    - name: MAC
      class: intmac
"""


@pytest.mark.parametrize(
    ("text", "path", "found"),
    [
        (_arch_with("{depht: 100}"), "architecture.subtree[0].local[1].attributes.depht", "depth"),
        (_arch_with("{depth: -100}"), "architecture.subtree[0].local[1].attributes.depth", "-100"),
        (_arch_with("{depth: lots}"), "architecture.subtree[0].local[1].attributes.depth", "lots"),
        (_arch_with("{width: 60, datawidth: 16}"), "architecture.subtree[0].local[1].attributes.width", "60"),
        (_arch_with("{instances: 6, meshX: 4}"), "architecture.subtree[0].local[1].attributes.meshX", "4"),
        (
            _arch_with("{network_read: noc}"),
            "architecture.subtree[0].local[1].attributes.network_read",
            "network_read",
        ),
        (_arch_with("{meshx: 4}"), "architecture.subtree[0].local[1].attributes.meshx", "meshX"),
        (
            "architecture: {version: 0.4, subtree: [{name: s, local: [{name: D, class: SRMA}]}]}",
            "architecture.subtree[0].local[0].class",
            "SRMA",
        ),
        (
            "architecture: {version: 0.4, subtree: [{name: a}, {name: b}]}",
            "architecture.subtree",
            "2 subtrees",
        ),
        (
            "architecture: {version: 0.4, subtree: [{name: s, locals: []}]}",
            "architecture.subtree[0].locals",
            "local",
        ),
        (
            "architecture: {version: 0.4, subtree: [{name: s, local: [{name: D, class: DRAM}]}]}",
            "architecture",
            "no compute",
        ),
        ("architecture: {version: 0.4, nodes: []}", "architecture.nodes", "nodes"),
        ("problem: {shape: cnn-layre, instance: {}}", "problem.shape", "cnn-layer"),
        ("problem: {instance: {R: 3, S: 3, P: 4, Q: 4, C: 2, K: 2}}", "problem.instance.N", "missing"),
        ("problem: {instance: {R: 3, S: 3, P: 4, Q: 4, C: 2, K: 2, N: 0}}", "problem.instance.N", "0"),
        (
            "problem: {instance: {R: 3, S: 3, P: 4, Q: 4, C: 2, K: 2, N: 1, Wstrid: 2}}",
            "problem.instance.Wstrid",
            "Wstride",
        ),
        (
            "problem: {instance: {R: 3, S: 3, P: 4, Q: 4, C: 2, K: 2, N: 1, densities: {Weights: 1.5}}}",
            "problem.instance.densities.Weights",
            "1.5",
        ),
        (
            "problem: {instance: {R: 3, S: 3, P: 4, Q: 4, C: 2, K: 2, N: 1, densities: {Weight: 0.5}}}",
            "problem.instance.densities.Weight",
            "Weight",
        ),
        (
            "problem: {shape: {dimensions: [M], data-spaces: [{name: Z, projection: [[[X]]], read-write: true}]}, instance: {M: 1}}",
            "problem.shape.data-spaces[0].projection[0][0][0]",
            "X",
        ),
        (
            "problem: {shape: {dimensions: [M], data-spaces: [{name: Z, projection: [[[M, stride]]], read-write: true}]}, instance: {M: 1}}",
            "problem.shape.data-spaces[0].projection[0][0][1]",
            "stride",
        ),
        (
            "problem: {shape: {dimensions: [M], data-spaces: [{name: Z, projection: [M], readwrite: true}]}, instance: {M: 1}}",
            "problem.shape.data-spaces[0].readwrite",
            "read-write",
        ),
        (
            "ERT: {version: 0.3, tables: [{name: system.DRAM, actions: [{name: read, energy: -1}]}]}",
            "ERT.tables[0].actions[0].energy",
            "-1",
        ),
        (
            "ERT: {version: 0.3, tables: [{name: system.DRAM, actions: [{name: read, enrgy: 1}]}]}",
            "ERT.tables[0].actions[0].enrgy",
            "energy",
        ),
        ("ART: {version: 0.3, tables: [{name: system.DRAM}]}", "ART.tables[0].area", "missing"),
        (
            "problem: {instance: {R: 3, S: 3, P: 4, Q: 4, C: 2, K: 2, N: 1}}\nmapper: {}\nmapspac: {}",
            "mapspac",
            "mapspace",
        ),
    ],
)
def test_errors_name_file_and_path(tmp_path, text, path, found):
    f = write(tmp_path, "bad.yaml", text)
    with pytest.raises(SpecError) as e:
        load_specs([f])
    assert e.value.file == f
    assert e.value.path == path
    assert found in str(e.value.found) or found in e.value.expected


@pytest.mark.parametrize(
    ("directive", "path", "found"),
    [
        ("{target: GlobalBufer, type: temporal, factors: P8}", "mapping[0].target", "GlobalBuffer"),
        ("{target: MACC, type: temporal, factors: P8}", "mapping[0].target", "MACC"),
        ("{target: 7, type: temporal, factors: P8}", "mapping[0].target", "7"),
        ("{target: DRAM, type: temporl, factors: P8}", "mapping[0].type", "temporal"),
        ("{target: DRAM, factors: P8}", "mapping[0].type", "missing"),
        ("{target: DRAM, type: temporal, factors: X8}", "mapping[0].factors", "X"),
        ("{target: DRAM, type: temporal, factors: P8 Q}", "mapping[0].factors", "Q"),
        ("{target: DRAM, type: temporal, factors: 'P=8,2'}", "mapping[0].factors", "residual"),
        ("{target: DRAM, type: temporal, factors: P8, permutation: PZ}", "mapping[0].permutation", "Z"),
        ("{target: DRAM, type: temporal, factors: P8, split: 1}", "mapping[0].split", "split"),
        (
            "{target: DRAM, type: temporal, factors: P8, no_temporal_reuse: [Weights]}",
            "mapping[0].no_temporal_reuse",
            "no_temporal_reuse",
        ),
        ("{target: DRAM, type: bypass, bypass: [Weight]}", "mapping[0].bypass[0]", "Weights"),
        ("{target: DRAM, type: skew, modulo: 2}", "mapping[0].type", "skew"),
        ("{target: DRAM, type: temporal, factors: P4 Q8 R3 S3 C4 K8}", "mapping[0].factors", "4"),
    ],
)
def test_mapping_errors(tmp_path, directive, path, found):
    base = [write(tmp_path, "arch.yaml", ARCH), write(tmp_path, "prob.yaml", PROBLEM)]
    m = write(tmp_path, "map.yaml", f"mapping:\n- {directive}\n")
    with pytest.raises(SpecError) as e:
        load_specs([*base, m])
    assert e.value.file == m
    assert e.value.path == path
    assert found in str(e.value.found) or found in e.value.expected
