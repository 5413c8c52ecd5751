"""Native YAML format: readers, writers (round trips), and errors with file, path, found and expected."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel
from loopscape.errors import SpecError
from loopscape.io import load_specs
from loopscape.io.native import (
    mapping_to_native,
    parse_rank_expression,
    read_architecture,
    read_mapping,
    read_workload,
    to_native_yaml,
)
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.workload import conv1d, conv2d, depthwise_conv2d, fully_connected, matmul, pointwise_conv2d

BUILTIN = Path(__file__).parents[2] / "src" / "loopscape" / "io" / "builtin"


def y(text: str):
    return yaml.safe_load(textwrap.dedent(text))


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


# --- workload -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (
            {"layer": "conv2d", "K": 8, "C": 4, "P": 5, "Q": 5, "R": 3, "S": 3},
            conv2d(K=8, C=4, P=5, Q=5, R=3, S=3),
        ),
        (
            {
                "layer": "conv2d",
                "name": "c",
                "K": 8,
                "C": 4,
                "P": 5,
                "Q": 5,
                "R": 3,
                "S": 3,
                "stride": [2, 1],
            },
            conv2d("c", K=8, C=4, P=5, Q=5, R=3, S=3, stride=(2, 1)),
        ),
        (
            {"layer": "conv2d", "K": 8, "C": 8, "P": 4, "Q": 4, "R": 3, "S": 3, "groups": 2},
            conv2d(K=8, C=8, P=4, Q=4, R=3, S=3, groups=2),
        ),
        (
            {"layer": "depthwise_conv2d", "C": 8, "P": 4, "Q": 4, "R": 3, "S": 3, "stride": 2},
            depthwise_conv2d(C=8, P=4, Q=4, R=3, S=3, stride=2),
        ),
        ({"layer": "pointwise_conv2d", "K": 8, "C": 4, "P": 7, "Q": 7}, pointwise_conv2d(K=8, C=4, P=7, Q=7)),
        ({"layer": "fully_connected", "K": 10, "C": 20, "N": 2}, fully_connected(K=10, C=20, N=2)),
        ({"layer": "matmul", "M": 4, "N": 5, "K": 6}, matmul(M=4, N=5, K=6)),
        ({"layer": "conv1d", "P": 4, "R": 3, "dilation": 2}, conv1d(P=4, R=3, dilation=2)),
    ],
)
def test_layer_form_calls_the_constructor(node, expected):
    assert read_workload(node) == expected


def test_general_form_matches_the_constructor():
    node = y("""
        name: conv1d
        dimensions: {R: 3, P: 4}
        tensors:
          - {name: Weights, ranks: {W: R}}
          - {name: Inputs, ranks: {W: "P*2 + R"}}
          - {name: Outputs, ranks: {P: P}, read_write: true}
    """)
    w = read_workload(node)
    ref = conv1d(P=4, R=3, stride=2)
    assert w.dims == ref.dims and w.bounds == ref.bounds
    assert [t.ranks for t in w.tensors] == [t.ranks for t in ref.tensors]
    assert [t.read_write for t in w.tensors] == [False, False, True]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("P*2 + R*1", (("P", 2), ("R", 1))),
        ("2*P+R", (("P", 2), ("R", 1))),
        ("  C ", (("C", 1),)),
        ("R + P*3", (("R", 1), ("P", 3))),
        ("P*0+R", (("P", 0), ("R", 1))),
    ],
)
def test_rank_expressions(text, terms):
    assert parse_rank_expression(text, "x", ("P", "R", "C")) == terms


@pytest.mark.parametrize("text", ["P*", "P+", "P*-2", "2P", "P*R", "P + 3", "", "Z"])
def test_bad_rank_expressions(text):
    with pytest.raises(SpecError) as e:
        parse_rank_expression(text, "workload.tensors[1].ranks[0]", ("P", "R"))
    assert e.value.path == "workload.tensors[1].ranks[0]"


@pytest.mark.parametrize(
    "workload",
    [
        conv2d(K=8, C=4, P=5, Q=5, R=3, S=3, stride=2, dilation=(1, 2)),
        conv2d(K=8, C=8, P=4, Q=4, R=3, S=3, groups=2),
        depthwise_conv2d(C=8, P=4, Q=4, R=3, S=3),
        matmul(M=4, N=5, K=6),
        conv1d(P=4, R=3, stride=3),
    ],
)
def test_workload_round_trip(workload):
    doc = yaml.safe_load(to_native_yaml(workload=workload))
    assert read_workload(doc["workload"]) == workload


# --- architecture ---------------------------------------------------------------------------------

ARCH = """
    name: small
    levels:
      - {name: DRAM, class: DRAM, block_size: 4, read_bandwidth: 8}
      - {name: Buffer, class: SRAM, size_bytes: 2 KiB, keeps: [Inputs, Weights]}
      - {name: RF, class: regfile, instances: 16, mesh_x: 4, entries: 64,
         network: {forwarding: true}}
    compute: {name: MAC, instances: 16, mesh_x: 4}
"""


def test_architecture_fields():
    arch = read_architecture(y(ARCH))
    assert [lv.name for lv in arch.levels] == ["DRAM", "Buffer", "RF"]
    assert arch.levels[1].entries == 1024  # 2 KiB of 16-bit words
    assert arch.levels[1].keeps == frozenset({"Inputs", "Weights"})
    assert arch.levels[2].mesh == (4, 4)
    assert arch.levels[2].network == Network(forwarding=True)
    assert arch.levels[0].read_bandwidth == 8 and arch.levels[0].block_size == 4
    assert arch.compute == ComputeLevel("MAC", 16, 4, 16)


def test_compute_defaults_to_the_innermost_level_layout():
    arch = read_architecture(y("levels: [{name: DRAM}, {name: RF, instances: 8, mesh_x: 2}]"))
    assert arch.compute.instances == 8 and arch.compute.mesh == (2, 4)


def test_architecture_round_trip():
    arch = Architecture(
        name="a",
        levels=(
            StorageLevel("DRAM", "DRAM", block_size=4, read_bandwidth=2.5, shared_bandwidth=4),
            StorageLevel("GLB", "SRAM", entries=4096, word_bits=8, keeps=frozenset({"Inputs"})),
            StorageLevel(
                "RF", "register", instances=64, mesh_x=8, entries=32, network=Network(False, False, True)
            ),
        ),
        compute=ComputeLevel("PE", instances=64, mesh_x=8, word_bits=8),
        technology="22nm",
    )
    doc = yaml.safe_load(to_native_yaml(arch=arch))
    assert read_architecture(doc["architecture"]) == arch


# --- mapping --------------------------------------------------------------------------------------


@pytest.fixture
def small():
    arch = read_architecture(y(ARCH))
    workload = conv2d(K=4, C=4, P=4, Q=4, R=3, S=3)
    return arch, workload


def test_nest_form(small):
    arch, w = small
    m = read_mapping(
        y("""
        keep: {RF: [Weights]}
        nest:
          - {level: DRAM, temporal: K2 C2}
          - {level: Buffer, temporal: "P=4 Q=4", order: QP, spatial_x: K2, spatial_y: C2}
          - {level: RF, temporal: R3 S3}
        """),
        arch,
        w,
    )
    assert m.loops == (
        Loop("K", 2, TEMPORAL, 0), Loop("C", 2, TEMPORAL, 0),
        Loop("Q", 4, TEMPORAL, 1), Loop("P", 4, TEMPORAL, 1),
        Loop("C", 2, SPATIAL_Y, 1), Loop("K", 2, SPATIAL_X, 1),
        Loop("R", 3, TEMPORAL, 2), Loop("S", 3, TEMPORAL, 2),
    )  # fmt: skip
    # Buffer keeps what the architecture allows (its `keeps`), RF what the mapping says.
    assert m.keep == (frozenset(w.tensor_names), frozenset({"Inputs", "Weights"}), frozenset({"Weights"}))


def test_loops_form_and_cuts(small):
    arch, w = small
    m = read_mapping(
        y("""
        bypass: {RF: [Outputs]}
        loops:
          - {level: DRAM, dim: K, bound: 4}
          - {level: Buffer, dim: C, bound: 4, kind: spatial_x}
          - {level: RF, dim: P, bound: 4}
        cuts: [{level: RF, tensor: Weights, position: 2}]
        """),
        arch,
        w,
    )
    assert m.loops[1] == Loop("C", 4, SPATIAL_X, 1)
    assert m.keep[2] == frozenset({"Weights", "Inputs"})
    assert m.cuts == ((2, "Weights", 2),)


def test_mapping_round_trip_nest_and_loops(small):
    arch, w = small
    nest = Mapping(
        loops=(
            Loop("K", 2, TEMPORAL, 0), Loop("P", 2, TEMPORAL, 0), Loop("C", 4, TEMPORAL, 1),
            Loop("Q", 2, SPATIAL_Y, 1), Loop("K", 2, SPATIAL_X, 1), Loop("P", 2, SPATIAL_X, 1),
            Loop("R", 3, TEMPORAL, 2), Loop("S", 3, TEMPORAL, 2), Loop("Q", 2, TEMPORAL, 2),
        ),
        keep=(frozenset(w.tensor_names), frozenset({"Inputs"}), frozenset({"Outputs", "Weights"})),
        cuts=((2, "Weights", 7),),
    )  # fmt: skip
    mixed = Mapping(loops=(Loop("K", 4, SPATIAL_X, 1), Loop("C", 4, SPATIAL_Y, 1), Loop("P", 4, TEMPORAL, 1)),
                    keep=nest.keep)  # fmt: skip
    for m in (nest, mixed):
        text = to_native_yaml(arch, w, m)
        assert read_mapping(yaml.safe_load(text)["mapping"], arch, w) == m
    assert "nest" in mapping_to_native(nest, arch, w) and "loops" in mapping_to_native(mixed, arch, w)


def test_builtin_demo_round_trips_through_native(tmp_path):
    specs = load_specs(
        [str(BUILTIN / n) for n in ("demo_workload.yaml", "demo_arch.yaml", "demo_mapping.yaml")]
    )
    path = write(tmp_path, "all.yaml", to_native_yaml(specs.arch, specs.workload, specs.mapping))
    again = load_specs([path])
    assert (again.arch, again.workload, again.mapping) == (specs.arch, specs.workload, specs.mapping)


def test_random_cases_round_trip():
    strategies = pytest.importorskip("strategies")
    from hypothesis import given, settings

    @settings(max_examples=60)
    @given(strategies.cases())
    def check(case):
        arch, workload, mapping = case
        doc = yaml.safe_load(to_native_yaml(arch, workload, mapping))
        assert read_architecture(doc["architecture"]) == arch
        assert read_workload(doc["workload"]) == workload
        assert read_mapping(doc["mapping"], arch, workload) == mapping

    check()


def test_energy_block_overrides_the_base(tmp_path):
    arch_file = write(tmp_path, "arch.yaml", "architecture:\n" + textwrap.indent(textwrap.dedent(ARCH), "  "))
    energy = write(
        tmp_path,
        "energy.yaml",
        """
        energy:
          compute: 0.5
          levels: {DRAM: {read: 100, fill: 0, update: 120}}
          area: {MAC: 10.0}
    """,
    )
    specs = load_specs([arch_file, energy])
    assert specs.energy.compute == 0.5
    assert specs.energy.level("DRAM").read == 100 and specs.energy.level("DRAM").update == 120
    assert specs.energy.area["MAC"] == 10.0
    # a MAC costs the user's number; the other operation kinds keep the built-in energies
    assert specs.energy.compute_energy("mac") == 0.5
    assert 0 < specs.energy.compute_energy("add") < 0.5 and specs.energy.compute_energy("compare") > 0


# --- errors ---------------------------------------------------------------------------------------

GOOD_MAPPING = """
mapping:
  nest:
    - {level: DRAM, temporal: K4 C4}
    - {level: Buffer, temporal: P4 Q4}
    - {level: RF, temporal: R3 S3}
"""
GOOD_WORKLOAD = "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4, R: 3, S: 3}\n"
GOOD_ARCH = "architecture:\n" + textwrap.indent(textwrap.dedent(ARCH), "  ")


@pytest.mark.parametrize(
    ("text", "path", "found"),
    [
        # workload
        ("workload: {layer: conv3d, K: 4}", "workload.layer", "conv3d"),
        ("workload: {layer: [conv2d], K: 4}", "workload.layer", "list"),
        (
            "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4, R: 3, S: 3, strid: 2}",
            "workload.strid",
            "stride",
        ),
        (
            "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4, R: 3}\n  # S defaults to 1\nfoo: 1",
            "foo",
            "foo",
        ),
        ("workload: {layer: conv2d, C: 4, P: 4, Q: 4}", "workload.K", "missing"),
        ("workload: {layer: conv2d, K: -4, C: 4, P: 4, Q: 4}", "workload.K", "-4"),
        ("workload: {layer: conv2d, K: 4.5, C: 4, P: 4, Q: 4}", "workload.K", "4.5"),
        ("workload: {layer: conv2d, K: '4', C: 4, P: 4, Q: 4}", "workload.K", "'4'"),
        ("workload: {layer: conv2d, K: 6, C: 4, P: 4, Q: 4, groups: 4}", "workload.groups", "4"),
        (
            "workload: {dimensions: {P: 4}, tensors: [{name: O, ranks: [Q], read_write: true}]}",
            "workload.tensors[0].ranks[0]",
            "Q",
        ),
        (
            "workload: {dimensions: {P: 4}, tensors: [{name: O, ranks: [P]}]}",
            "workload.tensors",
            "read_write",
        ),
        (
            "workload: {dimensions: {P: 0}, tensors: [{name: O, ranks: [P], read_write: true}]}",
            "workload.dimensions.P",
            "0",
        ),
        (
            "workload: {dimensions: {P: 4}, tensors: [{name: O, rank: [P]}]}",
            "workload.tensors[0].rank",
            "ranks",
        ),
        ("workload: [1, 2]", "workload", "list"),
        # architecture
        ("architecture: {levels: []}", "architecture.levels", "empty"),
        ("architecture: {levels: [{name: D, class: SRMA}]}", "architecture.levels[0].class", "SRAM"),
        (
            "architecture: {levels: [{name: D}, {name: B, entries: -3}]}",
            "architecture.levels[1].entries",
            "-3",
        ),
        (
            "architecture: {levels: [{name: D}, {name: B, entires: 3}]}",
            "architecture.levels[1].entires",
            "entries",
        ),
        (
            "architecture: {levels: [{name: D}, {name: B, size_bytes: 3 parsecs}]}",
            "architecture.levels[1].size_bytes",
            "parsecs",
        ),
        (
            "architecture: {levels: [{name: D}, {name: B, size_bytes: 3}]}",
            "architecture.levels[1].size_bytes",
            "3",
        ),
        (
            "architecture: {levels: [{name: D}, {name: R, instances: 6, mesh_x: 4}]}",
            "architecture.levels[1].mesh_x",
            "4",
        ),
        (
            "architecture: {levels: [{name: D, network: {multicast: yes please}}]}",
            "architecture.levels[0].network.multicast",
            "yes please",
        ),
        (
            "architecture: {levels: [{name: D, read_bandwidth: 0}]}",
            "architecture.levels[0].read_bandwidth",
            "0",
        ),
        ("architecture: {levles: []}", "architecture.levles", "levels"),
    ],
)
def test_errors_name_file_and_path(tmp_path, text, path, found):
    f = write(tmp_path, "bad.yaml", text)
    with pytest.raises(SpecError) as e:
        load_specs([f])
    assert e.value.file == f
    assert e.value.path == path
    assert found in str(e.value.found)


@pytest.mark.parametrize(
    ("mapping", "path", "found"),
    [
        ("mapping: {nest: [{level: DRAMM, temporal: K4}]}", "mapping.nest[0].level", "DRAM"),
        ("mapping: {nest: [{level: DRAM, temporal: K4 X2}]}", "mapping.nest[0].temporal", "X2"),
        ("mapping: {nest: [{level: DRAM, temporal: K4 C}]}", "mapping.nest[0].temporal", "'C'"),
        (
            "mapping: {nest: [{level: RF, temporal: K4}, {level: DRAM, temporal: C4}]}",
            "mapping.nest[1].level",
            "DRAM",
        ),
        ("mapping: {nest: [{level: DRAM, temporal: K4 C2, order: KCP}]}", "mapping.nest[0].order", "KCP"),
        ("mapping: {nest: [{level: DRAM, tempral: K4}]}", "mapping.nest[0].tempral", "temporal"),
        (
            "mapping: {keep: {RF: [Wieghts]}, nest: [{level: DRAM, temporal: K4}]}",
            "mapping.keep.RF[0]",
            "Weights",
        ),
        ("mapping: {nest: [], loops: []}", "mapping", "both"),
        (
            "mapping: {loops: [{level: DRAM, dim: K, bound: 4, kind: spatial}]}",
            "mapping.loops[0].kind",
            "spatial_x",
        ),
        (
            "mapping: {nest: [{level: DRAM, temporal: K4}], cuts: [{level: RF, tensor: Weights, position: -1}]}",
            "mapping.cuts[0].position",
            "-1",
        ),
        # semantic errors from validation, attributed to the mapping's file
        ("mapping: {nest: [{level: RF, temporal: K4 C4 P4 Q4 R3 S3}]}", "mapping.capacity[RF]", "words"),
        ("mapping: {nest: [{level: DRAM, temporal: K2 C4 P4 Q4 R3 S3}]}", "mapping.factors.K", "2"),
    ],
)
def test_mapping_errors_name_the_mapping_file(tmp_path, mapping, path, found):
    files = [
        write(tmp_path, "w.yaml", GOOD_WORKLOAD),
        write(tmp_path, "a.yaml", GOOD_ARCH),
        write(tmp_path, "m.yaml", mapping),
    ]
    with pytest.raises(SpecError) as e:
        load_specs(files)
    assert e.value.file == files[2]
    assert e.value.path == path
    assert found in str(e.value.found) or found in e.value.expected


def test_good_files_load(tmp_path):
    files = [
        write(tmp_path, "w.yaml", GOOD_WORKLOAD),
        write(tmp_path, "a.yaml", GOOD_ARCH),
        write(tmp_path, "m.yaml", GOOD_MAPPING),
    ]
    specs = load_specs(files)
    assert specs.mapping is not None and specs.files["mapping"] == files[2]


def test_yaml_syntax_error_has_line(tmp_path):
    f = write(tmp_path, "broken.yaml", "workload:\n  layer: conv2d\n  K: [4\n")
    with pytest.raises(SpecError) as e:
        load_specs([f])
    assert e.value.file == f and e.value.path.startswith("line ")


def test_duplicate_keys_are_refused(tmp_path):
    f = write(tmp_path, "dup.yaml", "workload:\n  layer: conv2d\n  K: 4\n  K: 8\n")
    with pytest.raises(SpecError) as e:
        load_specs([f])
    assert e.value.path == "line 4" and "'K'" in e.value.found


def test_a_part_given_twice_names_both_files(tmp_path):
    a = write(tmp_path, "a.yaml", GOOD_WORKLOAD)
    b = write(tmp_path, "b.yaml", GOOD_WORKLOAD)
    with pytest.raises(SpecError) as e:
        load_specs([a, b])
    assert e.value.file == b and a in e.value.found


@pytest.mark.parametrize(
    "text",
    [
        "workload: {dimensions: {P: 4}, tensors: [{name: O, ranks: ['P*99999999999999999999'], read_write: true}]}",
        "workload: {layer: matmul, M: 99999999999999999999, N: 2, K: 2}",
        "architecture: {levels: [{name: D, entries: 99999999999999999999}]}",
    ],
)
def test_huge_numbers_are_spec_errors(tmp_path, text):
    with pytest.raises(SpecError, match="no larger than"):
        load_specs([write(tmp_path, "huge.yaml", text)])
