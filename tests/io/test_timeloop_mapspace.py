"""Timeloop mapspace constraints and mapper settings, read as timeloop-mapper reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from loopscape.errors import SpecError
from loopscape.io import load_specs
from loopscape.io.timeloop_mapspace import read_constraints, read_mapper
from loopscape.mapper import Mapspace
from loopscape.mapping import LevelConstraint

DATA = Path(__file__).parent.parent / "data" / "timeloop_mapper" / "eyeriss_like"
SPECS = load_specs([DATA / "arch.yaml", DATA / "problem.yaml"], check_mapping=False)
ARCH, WL = SPECS.arch, SPECS.workload  # DRAM, GBuf (14 x 12 PEs below), RFile; R3 S3 P13 Q13 C32 K64 N1


def read(node, key="mapspace_constraints", file="c.yaml", *more):
    return read_constraints([(key, node, file), *more], ARCH, WL)


def levels(node, **kw):
    return read(node, **kw).constraints.levels


def error(node, key="mapspace_constraints", *more) -> SpecError:
    with pytest.raises(SpecError) as e:
        read(node, key, "c.yaml", *more)
    assert e.value.file == "c.yaml"
    return e.value


TEMPORAL = {"target": "RFile", "type": "temporal", "factors": "R=3 S=1"}


# --- where the lists are ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "node"),
    [
        ("mapspace_constraints", [TEMPORAL]),
        ("mapspace_constraints", {"targets": [TEMPORAL]}),
        ("mapspace_constraints", {"constraints": [TEMPORAL]}),
        ("mapspace", {"constraints": [TEMPORAL]}),
        ("mapspace", {"targets": [TEMPORAL]}),
        ("mapspace", {"template": "uber", "constraints": "rs", "constraints_rs": [TEMPORAL]}),
        ("constraints", {"targets": [TEMPORAL]}),
        ("architecture_constraints", {"targets": [TEMPORAL]}),
        ("arch_constraints", [TEMPORAL]),
    ],
)
def test_every_place_timeloop_reads_a_constraint_list_from(key, node):
    (c,) = levels(node, key=key)
    assert c == LevelConstraint("RFile", factors=(("R", 3), ("S", 1)))


def test_architecture_and_mapspace_constraints_merge_with_their_sources():
    arch = (
        "architecture_constraints",
        {"targets": [{"target": "GBuf", "type": "bypass", "bypass": ["Weights"]}]},
        "a.yaml",
    )
    read_ = read_constraints([arch, ("mapspace_constraints", [TEMPORAL], "m.yaml")], ARCH, WL)
    assert [c.level for c in read_.constraints.levels] == ["GBuf", "RFile"]
    assert read_.sources == ("a.yaml: architecture_constraints.targets[0]", "m.yaml: mapspace_constraints[0]")
    assert read_.files == ("a.yaml", "m.yaml") and "a.yaml" in read_.constraints.name


def test_architecture_constraints_inside_the_architecture_and_the_file_names(tmp_path):
    arch = yaml.safe_load((DATA / "arch.yaml").read_text())
    arch["architecture"]["constraints"] = {"targets": [TEMPORAL]}
    (tmp_path / "arch.yaml").write_text(yaml.safe_dump(arch))
    specs = load_specs([tmp_path / "arch.yaml", DATA / "problem.yaml"], check_mapping=False, mapspace=True)
    assert specs.constraints.levels == (LevelConstraint("RFile", factors=(("R", 3), ("S", 1))),)
    assert specs.constraint_sources == (f"{tmp_path / 'arch.yaml'}: architecture.constraints.targets[0]",)
    plain = load_specs([tmp_path / "arch.yaml", DATA / "problem.yaml"], check_mapping=False)
    assert plain.constraints is None  # like timeloop-model, other commands ignore them


def test_both_constraints_and_targets_is_an_error():
    e = error({"constraints": [TEMPORAL], "targets": [TEMPORAL]})
    assert e.path == "mapspace_constraints" and "both" in e.found


def test_ruby_template_is_noted_and_unknown_templates_refused():
    assert "imperfect" in read({"template": "ruby", "targets": []}).notes[0]
    assert error({"template": "rubyy", "targets": []}).path == "mapspace_constraints.template"


# --- entry forms ------------------------------------------------------------------------------------------------
def test_attributes_inline_under_attributes_and_nested_under_a_target_are_the_same():
    inline = levels([{"target": "RFile", "type": "temporal", "factors": "R=0", "permutation": "RSC"}])
    under = levels(
        [{"target": "RFile", "type": "temporal", "attributes": {"factors": "R=0", "permutation": "RSC"}}]
    )
    nested = levels(
        [{"target": "RFile", "constraints": [{"type": "temporal", "factors": "R=0", "permutation": "RSC"}]}]
    )
    assert (
        inline
        == under
        == nested
        == (LevelConstraint("RFile", factors=(("R", 3),), permutation=("R", "S", "C")),)
    )


def test_targets_by_name_by_old_name_key_and_by_timeloop_id():
    by_id = levels([{"target": 0, "type": "temporal", "factors": "R=3"}, {"target": 2, "type": "temporal"}])
    assert [c.level for c in by_id] == ["RFile", "DRAM"]  # Timeloop's id 0 is the innermost level
    assert levels([{"name": "GBuf", "type": "temporal", "factors": "K=2"}])[0].level == "GBuf"


@pytest.mark.parametrize(
    ("entry", "path", "found"),
    [
        ({"target": "Gbuf", "type": "temporal"}, "mapspace_constraints[0].target", "did you mean 'GBuf'"),
        ({"target": "MAC", "type": "temporal"}, "mapspace_constraints[0].target", "MAC"),
        ({"target": 3, "type": "temporal"}, "mapspace_constraints[0].target", "3"),
        ({"type": "temporal"}, "mapspace_constraints[0].target", "missing"),
        ({"target": "RFile", "type": "temporl"}, "mapspace_constraints[0].type", "did you mean 'temporal'"),
        ({"target": "RFile"}, "mapspace_constraints[0].type", "missing"),
        ({"target": "RFile", "type": "temporal", "factor": "R=3"}, "mapspace_constraints[0].factor", "factors"),
        ({"target": "DRAM", "type": "spatial", "factors": "K=2"}, "mapspace_constraints[0].target", "DRAM"),
        ({"target": "RFile", "type": "temporal", "factors": "X=2"}, "mapspace_constraints[0].factors", "'X'"),
        ({"target": "RFile", "type": "temporal", "factors": "R=3 R=1"}, "mapspace_constraints[0].factors", "twice"),
        ({"target": "RFile", "type": "temporal", "factors": "R:3"}, "mapspace_constraints[0].factors", "R:3"),
        ({"target": "RFile", "type": "temporal", "factors": "K<=0"}, "mapspace_constraints[0].factors", "K<=0"),
        ({"target": "RFile", "type": "temporal", "factors": 3}, "mapspace_constraints[0].factors", "3"),
        ({"target": "RFile", "type": "temporal", "factors": ["R=3", "Z=1"]}, "mapspace_constraints[0].factors[1]", "Z"),
        ({"target": "RFile", "type": "temporal", "permutation": "RSX"}, "mapspace_constraints[0].permutation", "X"),
        ({"target": "RFile", "type": "temporal", "permutation": "RSR"}, "mapspace_constraints[0].permutation", "twice"),
        ({"target": "RFile", "type": "temporal", "permutation": "RS.C"}, "mapspace_constraints[0].permutation", "'.'"),
        ({"target": "GBuf", "type": "spatial", "factors": "K>=2"}, "mapspace_constraints[0].factors", "min"),
        ({"target": "GBuf", "type": "spatial", "permutation": "SC.QK", "split": 1},
         "mapspace_constraints[0].split", "1"),
        ({"target": "GBuf", "type": "bypass", "keep": ["Weight"]}, "mapspace_constraints[0].keep[0]", "Weights"),
        ({"target": "DRAM", "type": "bypass", "bypass": ["Weights"]}, "mapspace_constraints[0].bypass[0]", "Weights"),
        ({"target": "GBuf", "type": "utilization", "min": 0.5}, "mapspace_constraints[0].target", "GBuf"),
        ({"target": "RFile", "type": "utilization", "min": 1.5}, "mapspace_constraints[0].min", "1.5"),
        ({"target": "RFile", "type": "utilization"}, "mapspace_constraints[0].min", "missing"),
    ],
)  # fmt: skip
def test_errors_name_the_path_and_what_was_found(entry, path, found):
    e = error([entry])
    assert e.path == path and found in str(e.found), (e.path, e.found)


# --- factors ----------------------------------------------------------------------------------------------------
def test_factors_exact_whole_clamped_max_and_min():
    read_ = read([{"target": "RFile", "type": "temporal", "factors": "R=0 S=1 P=20 K<=8 C >= 2 Q 13"}])
    (c,) = read_.constraints.levels
    assert dict(c.factors) == {"R": 3, "S": 1, "P": 13, "Q": 13}  # =0: whole; above the bound: clamped
    assert dict(c.max_factors) == {"K": 8} and dict(c.min_factors) == {"C": 2}
    assert any("P=20 exceeds" in n and "c.yaml: mapspace_constraints[0].factors" in n for n in read_.notes)


def test_factors_as_a_list_of_strings_timeloopfe_style():
    (c,) = levels([{"target": "RFile", "type": "temporal", "factors": ["R=3", "K<=4", "C>=2"]}])
    assert (dict(c.factors), dict(c.max_factors), dict(c.min_factors)) == ({"R": 3}, {"K": 4}, {"C": 2})


def test_spatial_factors_go_to_the_fan_out():
    (c,) = levels([{"target": "GBuf", "type": "spatial", "factors": "S=0 P=1 K<=8"}])
    assert dict(c.spatial_factors) == {"S": 3, "P": 1} and dict(c.spatial_max_factors) == {"K": 8}
    assert c.factors == () and c.spatial_x is None


# --- permutations and splits ------------------------------------------------------------------------------------
def test_temporal_permutations_innermost_first_as_string_spaced_string_or_list():
    for perm in ("RSCK", "RS CK", ["R", "S", "C", "K"]):
        (c,) = levels([{"target": "GBuf", "type": "temporal", "permutation": perm}])
        assert c.permutation == ("R", "S", "C", "K")


@pytest.mark.parametrize(
    ("spatial", "x", "y"),
    [
        ({"permutation": "SC.QK"}, {"S", "C"}, {"Q", "K", "R", "P", "N"}),  # the Timeloop paper's Fig. 6
        ({"permutation": "SCQK", "split": 2}, {"S", "C"}, {"Q", "K", "R", "P", "N"}),
        ({"permutation": "NPQR SCK", "split": 4}, {"N", "P", "Q", "R"}, {"S", "C", "K"}),  # Timeloop exercise
        ({"permutation": ["S", "C", ".", "Q", "K"]}, {"S", "C"}, {"Q", "K", "R", "P", "N"}),
        ({"permutation": "KCRSPQN", "split": 7}, set("KCRSPQN"), set()),  # everything along X
        ({"permutation": "KC", "split": 7}, None, set()),
        ({"permutation": "SC.QK", "split": 2}, {"S", "C"}, {"Q", "K", "R", "P", "N"}),
    ],
)
def test_spatial_permutation_with_a_split_decides_the_axes(spatial, x, y):
    made = levels([{"target": "GBuf", "type": "spatial", **spatial}])
    axes = [c for c in made if c.spatial_x is not None or c.spatial_y is not None]
    assert len(axes) == 1
    assert axes[0].spatial_x == (None if x is None else frozenset(x)) and axes[0].spatial_y == frozenset(y)


def test_split_and_permutation_may_come_from_two_constraints():
    made = levels([{"target": "GBuf", "type": "spatial", "permutation": "SCQK"},
                   {"target": "GBuf", "type": "spatial", "split": 2}])  # fmt: skip
    assert [(c.spatial_x, c.spatial_y) for c in made if c.spatial_y is not None] == [
        (frozenset("SC"), frozenset("QKRPN"))
    ]


def test_spatial_permutation_without_split_is_noted_not_enforced():
    read_ = read([{"target": "GBuf", "type": "spatial", "permutation": "SCQK"}])
    assert all(c.spatial_x is None and c.spatial_y is None for c in read_.constraints.levels)
    assert any("without a split" in n for n in read_.notes)


# --- bypass and utilization -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["bypass", "datatype", "bypassing"])
def test_keep_and_bypass(kind):
    (c,) = levels([{"target": "GBuf", "type": kind, "keep": ["Inputs", "Outputs"], "bypass": ["Weights"]}])
    assert c.keep == frozenset({"Inputs", "Outputs"}) and c.bypass == frozenset({"Weights"})


@pytest.mark.parametrize("kind", ["utilization", "parallelism"])
def test_min_utilization_at_the_innermost_level(kind):
    assert read([{"target": "RFile", "type": kind, "min": 0.5}]).constraints.min_utilization == 0.5


# --- re-specification (Timeloop exits on it) --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("first", "second", "path"),
    [
        ({"type": "temporal", "factors": "R=3"}, {"type": "temporal", "factors": "R=1"}, "factors"),
        ({"type": "temporal", "factors": "K<=4"}, {"type": "temporal", "factors": "K<=8"}, "factors"),
        ({"type": "temporal", "permutation": "RS"}, {"type": "temporal", "permutation": "SR"}, "permutation"),
        ({"type": "bypass", "keep": ["Inputs"]}, {"type": "bypass", "bypass": ["Inputs"]}, "bypass[0]"),
        ({"type": "utilization", "min": 0.1}, {"type": "utilization", "min": 0.2}, "min"),
    ],
)
def test_re_specification_across_architecture_and_mapspace_constraints_is_an_error(first, second, path):
    arch = ("architecture_constraints", {"targets": [{"target": "RFile", **first}]}, "arch.yaml")
    with pytest.raises(SpecError) as e:
        read_constraints(
            [arch, ("mapspace_constraints", [{"target": "RFile", **second}], "map.yaml")], ARCH, WL
        )
    assert e.value.file == "map.yaml" and e.value.path == f"mapspace_constraints[0].{path}"
    assert "arch.yaml: architecture_constraints.targets[0]" in e.value.found


def test_temporal_and_spatial_factors_of_one_dimension_at_one_level_are_different_tiling_levels():
    made = levels([{"target": "GBuf", "type": "temporal", "factors": "K=2"},
                   {"target": "GBuf", "type": "spatial", "factors": "K=4"}])  # fmt: skip
    assert [(c.factors, c.spatial_factors) for c in made] == [((("K", 2),), ()), ((), (("K", 4),))]


# --- what is accepted but not modelled --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "entry",
    [
        {"target": "GBuf", "type": "max_overbooked_proportion", "proportion": 0.1},
        {"target": "GBuf", "type": "no_link_transfer", "keep": ["Inputs"]},
        {"target": "GBuf", "type": "no_multicast"},
        {"target": "GBuf", "type": "no_reduction"},
        {"target": "GBuf", "type": "no_multicast_no_reduction"},
        {"target": "GBuf", "type": "spatial", "factors": "K=2", "no_link_transfer": ["Inputs"]},
        {"target": "GBuf", "type": "temporal", "no_temporal_reuse": ["Inputs"]},
        {"target": "GBuf", "type": "temporal", "shiny_new_option": 3},
    ],
)
def test_unsupported_types_and_keys_are_accepted_with_a_note(entry):
    read_ = read([entry])
    assert len(read_.notes) == 1 and read_.notes[0].startswith("c.yaml: mapspace_constraints[0]")


# --- the constraints drive the mapspace -------------------------------------------------------------------------
def test_the_eyeriss_like_constraints_build_a_mapspace_that_obeys_them():
    specs = load_specs(sorted(DATA.glob("*.yaml")), check_mapping=False, mapspace=True)
    space = Mapspace(specs.arch, specs.workload, constraints=specs.constraints, one_axis_per_dim=True)
    assert space.size < Mapspace(specs.arch, specs.workload, one_axis_per_dim=True).size
    batch = space.sample(__import__("numpy").random.default_rng(0), 256)
    for i in range(batch.size):
        m = batch.mapping(i, specs.workload)
        spatial = {(lp.dim, lp.kind) for lp in m.loops if lp.kind != "temporal"}
        assert {d for d, _ in spatial} <= {"S", "C", "K", "Q"} and ("S", "spatial_x") in spatial
        assert {d for d, k in spatial if k == "spatial_y"} <= {"Q", "K"}
        rfile = [lp for lp in m.loops if lp.level == 2 and lp.kind == "temporal"]
        assert [lp.bound for lp in rfile if lp.dim == "R"] == [3] and not {"S", "Q"} & {
            lp.dim for lp in rfile
        }


# --- mapper settings --------------------------------------------------------------------------------------------
def test_mapper_settings_map_to_our_search():
    s = read_mapper(
        {"optimization-metrics": ["delay", "energy"], "algorithm": "random-pruned", "search-size": 5000,
         "victory-condition": 100, "num-threads": 4, "timeout": 9, "live-status": False,
         "max-permutations-per-if-visit": 16, "log-stats": True},
        file="mapper.yaml",
    )  # fmt: skip
    assert (s.objective(), s.method, s.search_size, s.patience) == ("delay,energy", "random", 5000, 400)
    notes = " | ".join(s.notes)
    assert "live-status" in notes and "max-permutations-per-if-visit" in notes and "log-stats" in notes
    assert "mapper.timeout" in notes and "0.1%" in notes


@pytest.mark.parametrize(
    ("algorithm", "method"),
    [("hybrid", "default"), ("random", "random"), ("random-pruned", "random"), ("linear-pruned", "exhaustive"),
     ("linear_pruned", "exhaustive"), ("exhaustive", "exhaustive")],
)  # fmt: skip
def test_algorithms(algorithm, method):
    assert read_mapper({"algorithm": algorithm}).method == method


def test_mapper_defaults_are_timeloops():
    s = read_mapper({"num-threads": 2, "search_size": 7})
    assert s.objective() is None and s.method is None and s.search_size == 7
    assert s.patience == 500 * 2  # Timeloop's default victory condition, per thread
    assert read_mapper({"victory-condition": 0}).patience is None
    assert read_mapper({"optimization-metric": "energy"}).objective() == "energy"


def test_mapper_settings_underscored_as_timeloopfe_writes_them():
    """Timeloop HEAD reads 'victory_condition' as 'victory-condition' (hyphens-to-underscores); timeloopfe's
    empty 'optimization_metric: []' is no metric, so its 'optimization_metrics' list decides."""
    s = read_mapper({"optimization_metrics": ["edp"], "optimization_metric": [], "victory_condition": 100,
                     "num_threads": 4, "algorithm": "random", "search_size": None, "log_oaves": False})  # fmt: skip
    assert (s.objective(), s.method, s.patience, s.threads) == ("edp", "random", 400, 4)
    assert any("log_oaves" in n and "ignored" in n for n in s.notes)


@pytest.mark.parametrize(
    ("node", "path", "found"),
    [
        ({"algorithm": "genetic"}, "mapper.algorithm", "genetic"),
        ({"search-size": -1}, "mapper.search-size", "-1"),
        ({"num-threads": 0}, "mapper.num-threads", "0"),
        ({"victory-conditon": 5}, "mapper.victory-conditon", "victory-condition"),
        ({"optimization-metrics": "edp"}, "mapper.optimization-metrics", "'edp'"),
    ],
)
def test_mapper_errors(node, path, found):
    with pytest.raises(SpecError) as e:
        read_mapper(node, file="mapper.yaml")
    assert (e.value.file, e.value.path) == ("mapper.yaml", path) and found in str(e.value.found)


def test_metrics_loopscape_cannot_rank_by_are_refused_when_used():
    s = read_mapper({"optimization-metrics": ["delay", "last-level-accesses"]}, file="mapper.yaml")
    with pytest.raises(SpecError) as e:
        s.objective()
    assert e.value.path == "mapper.optimization-metrics[1]" and "not supported" in e.value.found
    assert "--objective" in e.value.expected
