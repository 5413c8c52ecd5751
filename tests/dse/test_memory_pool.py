"""Memory hierarchies from a memory pool (ZigZag): chains, size-ratio and area-budget pruning, per-operand."""

from __future__ import annotations

import pytest
from dse_helpers import SPEC, write_spec

from loopscape.dse import load_sweep
from loopscape.dse.memory_pool import MemoryPool, PoolMemory
from loopscape.dse.template import build_architecture
from loopscape.errors import SpecError

RF = PoolMemory("rf", "regfile", 64, per_pe=True, bandwidth=2)
SMALL = PoolMemory("s8k", "SRAM", 8 * 1024, bandwidth=16, ports=1)
BIG = PoolMemory("s64k", "SRAM", 64 * 1024, bandwidth=32)


def names(pool: MemoryPool) -> list[str]:
    return [h.name for h in pool.hierarchies()]


def test_balanced_chains_are_ordered_and_ratio_pruned():
    pool = MemoryPool((RF, SMALL, BIG), min_levels=1, max_levels=3, min_size_ratio=2)
    # shared before per-PE, larger before smaller; 64k/8k = 8, 8k/64 = 128
    assert names(pool) == ["s64k", "s8k", "rf", "s64k+s8k", "s64k+rf", "s8k+rf", "s64k+s8k+rf"]
    strict = MemoryPool((RF, SMALL, BIG), min_levels=2, max_levels=3, min_size_ratio=10)
    assert names(strict) == ["s64k+rf", "s8k+rf"]  # 64k over 8k is only 8x


def test_unbalanced_hierarchies_keep_per_operand():
    pool = MemoryPool((SMALL, BIG), operands=("Weights", "Inputs", "Outputs"), min_levels=1, max_levels=1,
                      unbalanced=True)  # fmt: skip
    found = {h.name: h for h in pool.hierarchies()}
    assert len(found) == 2**3  # each operand in one of two memories: 2 balanced + 6 split
    split = found["Weights=s64k,Inputs=s8k,Outputs=s8k"]
    assert split.levels == (("s64k", frozenset({"Weights"})), ("s8k", frozenset({"Inputs", "Outputs"})))


def test_area_budget_prunes_monotonically():
    pool = MemoryPool((RF, SMALL, BIG), max_levels=3)
    areas = {h.name: pool.area_mm2(h) for h in pool.hierarchies()}
    assert areas["s64k+s8k"] == pytest.approx(areas["s64k"] + areas["s8k"])
    budget = sorted(areas.values())[3]
    kept = MemoryPool((RF, SMALL, BIG), max_levels=3, area_budget_mm2=budget)
    assert set(names(kept)) == {n for n, a in areas.items() if a <= budget}


def test_hierarchy_levels_in_the_architecture():
    pool = MemoryPool((RF, SMALL, BIG), max_levels=3, unbalanced=True)
    name = "Weights=s64k+rf,Inputs=s8k+rf,Outputs=s8k"
    arch = build_architecture("eyeriss", {"hierarchy": name, "pe_x": 4, "pe_y": 2}, pool)
    assert [lv.name for lv in arch.levels] == ["DRAM", "s64k", "s8k", "rf"]
    s64k, s8k, rf = arch.levels[1:]
    assert s64k.keeps == frozenset({"Weights"}) and s8k.keeps == frozenset({"Inputs", "Outputs"})
    assert rf.keeps == frozenset({"Weights", "Inputs"})
    assert rf.instances == 8 and rf.entries == 64 * 8 // 16 and rf.read_bandwidth == 2
    assert s8k.shared_bandwidth == 16 and s8k.read_bandwidth is None


POOL = """\
  memory_pool:
    memories:
      - {name: rf, class: regfile, size_bytes: 64, per_pe: true, bandwidth: 2}
      - {name: glb, size_kb: 32, bandwidth: 16}
    levels: {min: 1, max: 2}
"""


def test_spec_adds_the_hierarchy_parameter(tmp_path):
    text = SPEC.replace("    GBuf.size_kb: [8, 32]\n    RFile.entries: [16, 64]\n", "") + POOL
    spec = load_sweep(write_spec(tmp_path, text))
    assert dict(spec.parameters)["hierarchy"] == ("glb", "rf", "glb+rf")


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("size_kb: 32", "size_kb: 32, size_bytes: 4", "sweep.memory_pool.memories[1].size_kb"),
        ("class: regfile", "class: flash", "sweep.memory_pool.memories[0].class"),
        ("bandwidth: 16}", "bandwidth: 16, ports: 3}", "sweep.memory_pool.memories[1].ports"),
        ("max: 2", "max: 0", "sweep.memory_pool.levels.max"),
    ],
)
def test_pool_errors(tmp_path, old, new, path):
    text = SPEC.replace("    GBuf.size_kb: [8, 32]\n    RFile.entries: [16, 64]\n", "") + POOL.replace(
        old, new
    )
    with pytest.raises(SpecError) as err:
        load_sweep(write_spec(tmp_path, text))
    assert err.value.path == path


def test_level_knobs_of_on_chip_levels_clash_with_a_pool(tmp_path):
    with pytest.raises(SpecError) as err:
        load_sweep(write_spec(tmp_path, SPEC + POOL))
    assert err.value.path == "sweep.parameters.GBuf.size_kb"


def test_points_of_generated_hierarchies_evaluate(tmp_path):
    from loopscape.dse import design_points, evaluate_point

    text = SPEC.replace("    GBuf.size_kb: [8, 32]\n    RFile.entries: [16, 64]\n", "") + POOL.replace(
        "levels: {min: 1, max: 2}", "levels: {min: 2, max: 2}\n    unbalanced: true"
    )
    spec = load_sweep(write_spec(tmp_path, text))
    hierarchies = dict(spec.parameters)["hierarchy"]
    assert "glb+rf" in hierarchies and "Weights=glb+rf,Inputs=glb+rf,Outputs=glb+rf" not in hierarchies
    point = next(p for p in design_points(spec) if p.values["hierarchy"] == "glb+rf")
    result = evaluate_point(spec, point)
    assert result.status == "ok", result.error
    levels = {
        lvl for layer in result.layers for lvl in str(layer["mapping"]).split("'") if lvl in ("glb", "rf")
    }
    assert levels == {"glb", "rf"}
