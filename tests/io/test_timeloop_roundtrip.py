"""native -> Timeloop v0.4 -> native: every zoo architecture, every layer of a few zoo networks, mappings the
mapper finds, the zoo's dataflow presets as mapspace constraints, and the built-in ERT/ART.

Everything an architecture or a workload holds comes back exactly: what Timeloop has no field for (a
`register` class, `keeps`, network flags, energy components, the clock, an update unit, an operation other than
the MAC) travels as loopscape attributes Timeloop ignores, and the writer's notes name it. Mappings come back
as Timeloop reads them: loops of bound 1 dropped and a level's spatial loops Y outside X (an equivalent nest:
the counts, energy and cycles are the same). Constraints come back as an equivalent constraint set (Timeloop
puts every dimension on one mesh axis: a dimension no axis may spread becomes a spatial factor 1). An ERT
holds no wire energies or leakage (noted).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from loopscape.arch import Architecture, ComputeLevel, Network, StorageLevel, UpdateUnit, zoo
from loopscape.errors import LoopscapeError, SpecError
from loopscape.io import load_specs
from loopscape.io.native import architecture_to_native, workload_to_native
from loopscape.io.timeloop import read_problem
from loopscape.io.timeloop_writer import (
    PART_FILES,
    constraints_to_timeloop,
    problem_to_timeloop,
    timeloop_documents,
)
from loopscape.mapper import search
from loopscape.mapper.mapspace import Mapspace
from loopscape.mapping import SPATIAL_X, SPATIAL_Y, TEMPORAL, Loop, Mapping
from loopscape.mapping.constraints import PRESETS, Constraints, LevelConstraint
from loopscape.model.evaluate import evaluate
from loopscape.workload import Tensor, Workload, conv2d, networks


def write_parts(tmp_path: Path, docs) -> list[Path]:
    paths = []
    for part, doc in docs.documents.items():
        path = tmp_path / PART_FILES[part]
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def round_trip(tmp_path: Path, **parts):
    """Write the parts as Timeloop files, read them back the way `loopscape map` does; (specs, notes)."""
    docs = timeloop_documents(**parts)
    return load_specs(write_parts(tmp_path, docs), mapspace=True), docs.notes


# ==================================================================================================
# Architectures
# ==================================================================================================


@pytest.mark.parametrize("name", zoo.names())
def test_zoo_architecture_round_trips(tmp_path, name):
    arch = zoo.get(name)
    specs, _ = round_trip(tmp_path, arch=arch)
    assert specs.arch == arch
    assert architecture_to_native(specs.arch) == architecture_to_native(arch)


def everything_arch() -> Architecture:
    """Every field an architecture has, set away from its default (and from Timeloop's)."""
    return Architecture(
        name="kitchen_sink",
        levels=(
            StorageLevel(
                "DRAM", cls="DRAM", word_bits=8, block_size=8, read_bandwidth=16, write_bandwidth=8.5
            ),
            StorageLevel(
                "Buf",
                cls="SRAM",
                entries=1000,  # not a multiple of the block: written as entries, not depth
                block_size=3,
                word_bits=12,
                shared_bandwidth=6,
                keeps=frozenset({"Inputs", "Weights"}),
                network=Network(multicast=False, spatial_reduction=False, forwarding=True),
                gating=(("Inputs", ("Weights",)),),
                component="smartbuffer_SRAM",
                attributes=(("n_banks", 4), ("note", "x"), ("flag", True)),
            ),
            StorageLevel(
                "Reg", cls="register", instances=16, mesh_x=4, entries=1, keeps=frozenset({"Weights"})
            ),
        ),
        compute=ComputeLevel(
            "PE", instances=64, mesh_x=8, word_bits=8, gating=True, component="mac", attributes=(("bits", 8),)
        ),
        technology="16nm",
        clock_ghz=0.7,
        update_unit=UpdateUnit("WU", instances=4, attach="Buf", word_bits=12, mesh_x=2, component="adder"),
    )


def test_every_architecture_field_round_trips_and_is_named(tmp_path):
    arch = everything_arch()
    wl = conv2d(K=4, C=4, P=4, Q=4, R=1, S=1)
    specs, notes = round_trip(tmp_path, arch=arch, workload=wl)
    assert specs.arch == arch
    text = "\n".join(notes)
    # Timeloop models none of these: each is named.
    for what in ("update_unit", "clock_ghz", "without multicast", "without spatial reduction", "registers ['Reg']",
                 "component classes", "'keeps'"):  # fmt: skip
        assert what in text, what
    # keeps travel as bypass constraints too (what timeloop-mapper honours), and gating as sparse_optimizations
    arch_doc = yaml.safe_load((tmp_path / "arch.yaml").read_text())
    assert arch_doc["architecture_constraints"]["targets"] == [
        {"target": "Buf", "type": "bypass", "bypass": ["Outputs"]},
        {"target": "Reg", "type": "bypass", "bypass": ["Inputs", "Outputs"]},
    ]
    assert {t["name"] for t in arch_doc["sparse_optimizations"]["targets"]} == {"Buf", "PE"}
    # and timeloop-mapper's reading of those constraints is exactly what the keeps allow
    assert {(c.level, c.bypass) for c in specs.constraints.levels} == {
        ("Buf", frozenset({"Outputs"})),
        ("Reg", frozenset({"Inputs", "Outputs"})),
    }


def test_timeloop_defaults_need_no_extension_attributes():
    """An architecture with Timeloop's own network (multicast, reduction, link transfers) writes plain
    Timeloop attributes only and no notes."""
    net = Network(multicast=True, spatial_reduction=True, forwarding=True)
    arch = Architecture(
        "plain",
        (
            StorageLevel("DRAM", cls="DRAM", network=net),
            StorageLevel("RF", cls="regfile", entries=64, network=net),
        ),
        ComputeLevel("MAC"),
    )
    docs = timeloop_documents(arch=arch)
    assert docs.notes == []
    attrs = docs.documents["architecture"]["architecture"]["subtree"][0]["local"][1]["attributes"]
    assert set(attrs) == {"datawidth", "width", "block-size", "depth"}


# ==================================================================================================
# Workloads
# ==================================================================================================

NETWORKS = ("alexnet", "resnet18", "mobilenetv2", "bert_base")


@pytest.mark.parametrize("net", NETWORKS)
def test_every_layer_round_trips(net):
    notes: list[str] = []
    layers = networks.get(net).layers
    for w in layers:
        doc = yaml.safe_load(yaml.safe_dump({"problem": problem_to_timeloop(w, notes)}))
        back = read_problem(doc["problem"])
        assert back == w, w.name
        assert workload_to_native(back) == workload_to_native(w)
    # operations other than the MAC (adds, pooling compares, softmax lookups) are named: Timeloop counts MACs
    others = {w.name for w in layers if w.op != "mac"}
    assert {n.split("'")[1] for n in notes} == others


def test_depthwise_and_batched_matmul_layers_are_covered():
    dw = networks.get("mobilenetv2").layer("features.1.conv.0")
    assert "K" not in dw.dims and "G" in dw.dims  # depthwise: one group per channel
    bmm = networks.get("bert_base").layer("layer0.scores")
    assert "B" in bmm.tensor("A").dims() and "B" in bmm.tensor("B").dims()


def test_densities_strides_and_dilations_round_trip():
    w = conv2d(K=8, C=4, P=5, Q=5, R=3, S=3, stride=(2, 3), dilation=(1, 2))
    w = dataclasses.replace(
        w,
        tensors=tuple(dataclasses.replace(t, density=0.25) if t.name == "Inputs" else t for t in w.tensors),
        op="mul",
    )
    doc = problem_to_timeloop(w)
    assert doc["instance"]["densities"] == {"Inputs": 0.25}
    assert read_problem(yaml.safe_load(yaml.safe_dump(doc))) == w


def test_a_general_workload_round_trips():
    w = Workload(
        "odd",
        ("A", "B", "C"),
        (3, 4, 5),
        (
            Tensor("X", ((("A", 2), ("B", 3)), (("C", 1),))),
            Tensor("Y", ((("A", 1), ("C", 0)),), ("a",)),
            Tensor("Z", ((("B", 1),), (("C", 4),)), read_write=True),
        ),
    )
    assert read_problem(yaml.safe_load(yaml.safe_dump(problem_to_timeloop(w)))) == w


# ==================================================================================================
# Mappings
# ==================================================================================================

LAYERS = {
    "alexnet": ("conv1", "conv2"),  # conv2 is grouped (G)
    "resnet18": ("layer2.0.downsample.0", "maxpool", "layer1.0.add"),  # 1x1 stride 2 (holes), compare, add
    "mobilenetv2": ("features.1.conv.0", "features.3.add"),  # depthwise
    "bert_base": ("layer0.scores", "layer0.softmax"),  # batched matmul, lookup
}


def as_timeloop_reads(mapping: Mapping) -> Mapping:
    """The nest Timeloop reads back: no loops of bound 1, a level's temporal loops, then its Y, then its X."""
    rank = {TEMPORAL: 0, SPATIAL_Y: 1, SPATIAL_X: 2}
    loops = [(lp.level, rank[lp.kind], i, lp) for i, lp in enumerate(mapping.loops) if lp.bound > 1]
    return Mapping(loops=tuple(lp for *_, lp in sorted(loops)), keep=mapping.keep)


@pytest.mark.parametrize("name", zoo.names())
def test_mapper_mappings_round_trip_and_evaluate_the_same(tmp_path, name):
    arch = zoo.get(name)
    for net, layer_names in LAYERS.items():
        for layer in layer_names:
            w = networks.get(net).layer(layer)
            space = Mapspace(arch, w, one_axis_per_dim=True, uneven=False)
            found = search(arch, w, budget=2000, mapspace=space)
            specs, _ = round_trip(tmp_path, arch=arch, workload=w, mapping=found.mapping)
            assert specs.arch == arch and specs.workload == w
            assert specs.mapping == as_timeloop_reads(found.mapping), (net, layer)
            assert evaluate(arch, w, specs.mapping).to_json() == evaluate(arch, w, found.mapping).to_json()


def test_mappings_timeloop_cannot_say_are_refused():
    arch = zoo.get("eyeriss")
    w = conv2d(K=16, C=4, P=4, Q=4, R=1, S=1)
    keep = tuple(frozenset(w.tensor_names) for _ in arch.levels)
    base = [
        Loop("K", 16, SPATIAL_X, 1),
        Loop("C", 4, TEMPORAL, 2),
        Loop("P", 4, TEMPORAL, 2),
        Loop("Q", 4, TEMPORAL, 2),
    ]
    uneven = Mapping(tuple(base), keep, cuts=((2, "Weights", 2),))
    with pytest.raises(SpecError, match="even mapping") as e:
        timeloop_documents(arch, w, uneven)
    assert e.value.path == "mapping.cuts"
    both_axes = Mapping((Loop("K", 4, SPATIAL_X, 1), Loop("K", 4, SPATIAL_Y, 1), *base[1:]), keep)
    with pytest.raises(SpecError, match="both X and Y"):
        timeloop_documents(arch, w, both_axes)
    padded = Mapping((Loop("K", 32, TEMPORAL, 0), *base[1:]), keep)
    with pytest.raises(SpecError, match="no padding"):
        timeloop_documents(arch, w, padded)


# ==================================================================================================
# Mapspace constraints
# ==================================================================================================


def semantics(constraints: Constraints, arch: Architecture, w: Workload) -> dict:
    """What a constraint set allows, per level: merged factors (0 = the whole dimension), orders, the
    dimensions each mesh axis may spread (a dimension neither may spread = spatial factor 1), keep/bypass
    (with what the architecture's `keeps` bypass: the Timeloop files state it as architecture constraints)."""
    out: dict = {"min_utilization": constraints.min_utilization}
    dims = w.dims
    for i, lv in enumerate(arch.levels):
        mine = constraints.for_level(lv.name)
        if i and lv.keeps is not None:
            mine = [*mine, LevelConstraint(lv.name, bypass=frozenset(w.tensor_names) - lv.keeps)]
        if not mine:
            continue

        def table(key, pick, mine=mine):
            t: dict[str, int] = {}
            for c in mine:
                for d, n in getattr(c, key):
                    n = w.bound(d) if n == 0 and key in ("factors", "spatial_factors") else n
                    t[d] = pick(t[d], n) if d in t else n
            return t

        exact, sexact = table("factors", min), table("spatial_factors", min)
        smax = table("spatial_max_factors", min)
        xs, ys = set(dims), set(dims)
        for c in mine:
            xs &= set(dims) if c.spatial_x is None else set(c.spatial_x)
            ys &= set(dims) if c.spatial_y is None else set(c.spatial_y)
        fixed = {d for d in dims if w.bound(d) == 1 or sexact.get(d) == 1 or smax.get(d) == 1}
        fixed |= set(dims) - xs - ys
        sexact.update({d: 1 for d in fixed if w.bound(d) > 1})
        if arch.fanout(i) == (1, 1):  # nothing spreads below a level without a fan-out, whatever it says
            sexact, smax, fixed = {}, {}, set(dims)
        perm: tuple[str, ...] = ()
        for c in mine:
            perm = max(perm, tuple(c.permutation), key=len)
        out[lv.name] = {
            "factors": exact,
            "max": table("max_factors", min),
            "min": table("min_factors", max),
            "permutation": perm,
            "spatial": sexact,
            "spatial_max": smax,
            "x": xs - fixed,
            "y": ys - fixed,
            "keep": set().union(*(c.keep for c in mine)),
            "bypass": set().union(*(c.bypass for c in mine)),
        }
    return out


def constraint_round_trip(tmp_path, arch, w, constraints):
    specs, notes = round_trip(tmp_path, arch=arch, workload=w, constraints=constraints)
    return specs.constraints, notes


@pytest.mark.parametrize("name", zoo.names())
def test_zoo_presets_round_trip(tmp_path, name):
    """Each zoo architecture's dataflow preset on a conv layer: the same constraints, the same mapspace."""
    arch = zoo.get(name)
    w = networks.get("alexnet").layer("conv3")
    preset = PRESETS[zoo.preset_for(name)](arch, w)
    try:
        Mapspace(arch, w, constraints=preset)
    except LoopscapeError as e:  # a preset at odds with its architecture is not a conversion matter
        pytest.skip(f"the preset itself empties the mapspace: {e}")
    back, _ = constraint_round_trip(tmp_path, arch, w, preset)
    assert semantics(back, arch, w) == semantics(preset, arch, w)
    assert Mapspace(arch, w, constraints=back).size == Mapspace(arch, w, constraints=preset).size


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_round_trips(tmp_path, preset):
    arch = zoo.get("eyeriss")
    w = networks.get("alexnet").layer("conv3")
    made = PRESETS[preset](arch, w)
    back, _ = constraint_round_trip(tmp_path, arch, w, made)
    assert semantics(back, arch, w) == semantics(made, arch, w)
    assert Mapspace(arch, w, constraints=back).size == Mapspace(arch, w, constraints=made).size


def test_every_constraint_kind_round_trips(tmp_path):
    arch = zoo.get("eyeriss")
    w = networks.get("alexnet").layer("conv3")
    made = Constraints(
        (
            LevelConstraint("DRAM", factors=(("R", 1), ("S", 1)), max_factors=(("K", 8),)),
            LevelConstraint("GBuf", permutation=("Q", "P"), min_factors=(("C", 2),), bypass=frozenset({"Weights"})),
            LevelConstraint("GBuf", spatial_factors=(("C", 16),), spatial_max_factors=(("K", 8),),
                            spatial_x=frozenset({"C"}), spatial_y=frozenset({"K", "M"} & set(w.dims))),
            LevelConstraint("RFile", factors=(("R", 0),), keep=frozenset({"Weights", "Outputs"})),
        ),
        min_utilization=0.5,
    )  # fmt: skip
    back, notes = constraint_round_trip(tmp_path, arch, w, made)
    assert semantics(back, arch, w) == semantics(made, arch, w)
    assert back.min_utilization == 0.5
    assert any("min factors" in n for n in notes)  # '>=' is loopscape's (Timeloop v3.0.3 does not read it)
    text = (tmp_path / "constraints.yaml").read_text()
    assert "split: 1" in text and "C>=2" in text and "K<=8" in text


def test_constraints_timeloop_cannot_say_are_named():
    arch = zoo.get("eyeriss")
    w = networks.get("alexnet").layer("conv3")
    notes: list[str] = []
    partly = Constraints(
        (LevelConstraint("GBuf", spatial_x=frozenset({"C", "K"}), spatial_y=frozenset({"K", "Q"})),),
        max_bandwidth=(("GBuf", 4.0),),
    )
    doc = constraints_to_timeloop(partly, arch, w, notes)
    assert any("max_bandwidth" in n for n in notes)
    assert any("one axis" in n for n in notes)  # K may go on X or Y: written without the split
    spatial = [t for t in doc["targets"] if t["type"] == "spatial"]
    assert "split" not in spatial[0]
    conflict = Constraints(
        (LevelConstraint("DRAM", factors=(("K", 2),)), LevelConstraint("DRAM", factors=(("K", 4),)))
    )
    with pytest.raises(SpecError, match="one exact factor"):
        constraints_to_timeloop(conflict, arch, w)


# ==================================================================================================
# ERT and ART
# ==================================================================================================


@pytest.mark.parametrize("name", zoo.names())
def test_builtin_energy_tables_round_trip(tmp_path, name):
    from loopscape.energy.defaults import default_table

    arch = zoo.get(name)
    table = default_table(arch)
    specs, notes = round_trip(tmp_path, arch=arch, energy=table)
    back = specs.energy
    assert back.levels == {lv.name: table.level(lv.name) for lv in arch.levels}
    assert back.compute == table.compute and back.compute_gated == table.compute_gated
    names = [lv.name for lv in arch.levels] + [arch.compute.name]
    assert {n: back.area[n] for n in names} == {n: table.area.get(n, 0.0) for n in names}
    # what an ERT cannot hold is named
    if any(table.network.values()):
        assert any("wire" in n for n in notes)
    if any(table.leakage.values()):
        assert any("leakage" in n for n in notes)


def test_an_update_cheaper_than_a_fill_is_named():
    from loopscape.energy import ActionEnergy, EnergyTable

    arch = zoo.get("eyeriss")
    levels = {lv.name: ActionEnergy(read=1.0, fill=2.0, update=1.5) for lv in arch.levels}
    docs = timeloop_documents(arch=arch, energy=EnergyTable(levels=levels, compute=1.0))
    assert any("random_update" in n for n in docs.notes)
