"""The Eyeriss variants of Timeloop's memory-hierarchy case study (Parashar et al., ISPASS 2019, Sec. VII-C,
Fig. 13): a one-entry register below the shared RF, and the RF partitioned into 12 input, 16 partial-sum and
228 weight entries; the row-stationary preset on them; and Fig. 13's direction (both lower energy per MAC,
the partitioned RF most, by cutting the RF's energy)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from loopscape.arch import zoo
from loopscape.energy.defaults import default_table
from loopscape.errors import SpecError
from loopscape.mapper import Mapspace, search
from loopscape.mapping import PRESETS, Constraints, LevelConstraint, Mapping
from loopscape.mapping.constraints import row_stationary_preset
from loopscape.model import evaluate
from loopscape.workload import conv2d
from loopscape.workload.networks import get as get_network

VARIANTS = ("eyeriss", "eyeriss_register", "eyeriss_partitioned")
SMALL = conv2d("small_conv", K=32, C=16, P=13, Q=13, R=3, S=3)
TENSORS = frozenset({"Weights", "Inputs", "Outputs"})


def pe_levels(arch):
    """The storage levels with one instance per PE."""
    return [lv for lv in arch.levels if lv.instances == arch.compute.instances]


def level_pj(result, name: str) -> float:
    lv = next(lv for lv in result.levels if lv.name == name)
    return sum(sum(actions.values()) for actions in lv.energy_pj.values())


# --- the architectures ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", VARIANTS)
def test_variants_build_validate_and_keep_eyeriss_outside_the_pe(name):
    arch = zoo.get(name)
    arch.validate()
    assert arch.name == name and name in zoo.names()
    base = zoo.eyeriss()
    assert arch.levels[:2] == base.levels[:2]  # DRAM and the 128 KB GBuf, unchanged
    assert arch.compute == base.compute and arch.technology == "65nm"
    for lv in pe_levels(arch):
        assert lv.mesh == (16, 16) and lv.word_bits == 16
    assert [lv.name for lv in arch.levels[2:]] == [lv.name for lv in pe_levels(arch)]
    assert zoo.get(name, technology="16nm").technology == "16nm"


def test_register_variant_adds_a_one_word_register_below_the_shared_rf():
    """Sec. VII-C (1): "adding an additional one-entry register at the innermost storage level"."""
    arch = zoo.get("eyeriss_register")
    rf, reg = pe_levels(arch)
    assert (rf.name, rf.entries, rf.cls, rf.keeps) == ("RFile", 256, "regfile", None)
    assert (reg.name, reg.entries, reg.cls, reg.keeps) == ("Reg", 1, "register", None)
    assert arch.levels[-1] is reg  # the innermost storage level


def test_partitioned_variant_splits_the_256_entries_12_16_and_the_rest_for_weights():
    """Sec. VII-C (2): inputs 12 and partial sums 16 entries, "the rest of the entries ... for the weight"."""
    arch = zoo.get("eyeriss_partitioned")
    split = {lv.name: (lv.entries, lv.keeps) for lv in pe_levels(arch)}
    assert split == {
        "WeightRF": (228, frozenset({"Weights"})),
        "InputRF": (12, frozenset({"Inputs"})),
        "PsumRF": (16, frozenset({"Outputs"})),
    }
    assert sum(e for e, _ in split.values()) == zoo.eyeriss().levels[-1].entries == 256
    assert all(lv.cls == "regfile" for lv in pe_levels(arch))
    # the smaller files cost less per access than the shared one (the point of the split)
    ert = default_table(arch)
    shared = default_table(zoo.eyeriss()).level("RFile").read
    assert ert.level("InputRF").read < ert.level("WeightRF").read < shared
    assert ert.level("PsumRF").read < shared


def test_preset_map():
    assert {n: zoo.preset_for(n) for n in VARIANTS} == dict.fromkeys(VARIANTS, "row-stationary")
    assert zoo.preset_for("nvdla") == "nvdla" and zoo.preset_for("tpu_like") == "weight-stationary"
    assert all(zoo.PRESET_FOR[n] in PRESETS for n in zoo.PRESET_FOR)
    assert set(zoo.PRESET_FOR) <= set(zoo.names())
    with pytest.raises(SpecError, match="eyeriss"):
        zoo.preset_for("eyriss")


# --- the row-stationary preset on them -----------------------------------------------------------------------
def test_row_stationary_on_plain_eyeriss_is_fig6_unchanged():
    c = row_stationary_preset(zoo.eyeriss(), SMALL)
    gbuf, rf = c.levels
    assert gbuf.level == "GBuf" and gbuf.spatial_x == {"S", "C"} and gbuf.spatial_y == {"Q", "K"}
    assert dict(gbuf.spatial_factors) == {"S": 0, "P": 1, "R": 1, "N": 1}
    assert rf.level == "RFile" and dict(rf.factors) == {"R": 0, "S": 1, "Q": 1} and rf.keep == TENSORS


@pytest.mark.parametrize("name", ["eyeriss_register", "eyeriss_partitioned"])
def test_row_stationary_targets_the_gbuf_fanout_and_every_pe_level(name):
    arch = zoo.get(name)
    c = row_stationary_preset(arch, SMALL)
    (spatial,) = [x for x in c.levels if x.spatial_x is not None]
    assert spatial.level == "GBuf" and dict(spatial.spatial_factors)["S"] == 0
    for lv in ("DRAM", "GBuf"):  # no R loop above the PE
        assert ("R", 1) in sum((x.factors for x in c.for_level(lv)), ())
    kept = set()
    for lv in pe_levels(arch):
        (pc,) = c.for_level(lv.name)
        assert dict(pc.factors) == {"S": 1, "Q": 1}
        kept |= pc.keep
    assert kept == TENSORS  # every tensor stays in the PE
    if name == "eyeriss_register":
        assert (
            c.for_level("RFile")[0].keep == TENSORS and not c.for_level("Reg")[0].keep
        )  # the register: open


@pytest.mark.parametrize("name", VARIANTS)
def test_row_stationary_maps_a_small_conv(name):
    """The mapper finds a valid mapping under the preset whose loops are row-stationary's: S whole across the
    mesh's X axis, all of R in the PE as temporal loops, one filter row and output row per PE level."""
    arch = zoo.get(name)
    space = Mapspace(arch, SMALL, constraints=row_stationary_preset(arch, SMALL))
    found = search(arch, SMALL, default_table(arch), "edp", budget=4000, seed=0, mapspace=space)
    m, res = found.mapping, found.result
    assert found.valid > 0 and res.real_macs == SMALL.operations
    evaluate(arch, SMALL, m)  # a valid mapping: it fits and obeys the architecture
    pe = {arch.level_index(lv.name) for lv in pe_levels(arch)}
    gbuf = arch.level_index("GBuf")

    def bounds(dim: str, kind: str, levels: set[int]) -> list[int]:
        return [lp.bound for lp in m.loops if lp.dim == dim and lp.kind == kind and lp.level in levels]

    assert bounds("S", "spatial_x", {gbuf}) == [3]
    assert {lp.level for lp in m.loops if lp.dim == "R" and lp.bound > 1} <= pe
    assert math.prod(bounds("R", "temporal", pe)) == 3
    assert all(lp.bound == 1 for lp in m.loops if lp.level in pe and lp.dim in ("S", "Q"))
    for lv in pe_levels(arch):
        i = arch.level_index(lv.name)
        tiles = res.levels[i].tile_words
        assert sum(tiles.get(t, 0) for t in m.keep[i]) <= lv.entries
    for t in TENSORS:  # each tensor kept somewhere inside the PE
        assert any(t in m.keep[i] for i in pe)


# --- Fig. 13's direction ---------------------------------------------------------------------------------------
def lifted(mapping: Mapping, reg_keep: frozenset[str], inside: tuple[str, ...] = ()) -> Mapping:
    """A shared-RF Eyeriss mapping on eyeriss_register: the register keeps `reg_keep`, and the RFile's loops
    over the dimensions `inside` move to the register's level."""
    loops = sorted(
        (
            dataclasses.replace(lp, level=3) if lp.level == 2 and lp.dim in inside else lp
            for lp in mapping.loops
        ),
        key=lambda lp: lp.level,
    )
    return Mapping(loops=tuple(loops), keep=(*mapping.keep, reg_keep), cuts=mapping.cuts)


def test_register_variant_contains_every_shared_rf_mapping_and_a_psum_register_saves_rf_energy():
    """The register's mapspace holds each shared-RF mapping (register bypassed: the same energy), and keeping
    the partial sum in the register while the filter row and the channels run inside it cuts the RF's
    energy by more than the register adds (Fig. 13, bar 2)."""
    wl = get_network("alexnet").layer("conv3")
    base, reg = zoo.eyeriss(), zoo.eyeriss_register()
    space = Mapspace(base, wl, constraints=row_stationary_preset(base, wl))
    m = search(base, wl, default_table(base), "energy", budget=20_000, seed=0, mapspace=space).mapping
    shared = evaluate(base, wl, m)
    same = evaluate(reg, wl, lifted(m, frozenset()))
    assert level_pj(same, "Reg") == 0
    for a, b in zip(
        shared.levels, same.levels
    ):  # the same accesses; the wires between PEs grow a little longer
        for t, actions in a.energy_pj.items():
            assert {k: v for k, v in actions.items() if k != "network"} == pytest.approx(
                {k: v for k, v in b.energy_pj[t].items() if k != "network"}
            )
    assert same.energy_pj == pytest.approx(shared.energy_pj, rel=0.01)
    psum = evaluate(reg, wl, lifted(m, frozenset({"Outputs"}), inside=("R", "C")))
    assert psum.energy_pj < shared.energy_pj
    assert level_pj(psum, "RFile") < level_pj(shared, "RFile") - level_pj(psum, "Reg")


def test_fig13_direction_on_an_alexnet_conv_layer():
    """AlexNet conv3, each design's best mapping under row-stationary by energy with a modest search: both
    variants lower energy per MAC, the partitioned RF most, and mainly by cutting the RF's energy. For the
    register, the search is also run with the register fixed to the partial sum (as the example does for
    each tensor), since the search alone can settle on a poor choice for it."""
    wl = get_network("alexnet").layer("conv3")
    best = {}
    for name in VARIANTS:
        arch = zoo.get(name)
        preset = row_stationary_preset(arch, wl)
        options = [preset]
        if name == "eyeriss_register":
            psum = LevelConstraint(
                "Reg", keep=frozenset({"Outputs"}), bypass=frozenset({"Weights", "Inputs"})
            )
            options.append(preset.merged(Constraints((psum,))))
        results = [
            search(arch, wl, default_table(arch), "energy", budget=20_000, seed=0,
                   mapspace=Mapspace(arch, wl, constraints=c)).result
            for c in options
        ]  # fmt: skip
        best[name] = min(results, key=lambda r: r.energy_pj)
    e = {n: r.pj_per_mac for n, r in best.items()}
    assert e["eyeriss_partitioned"] < e["eyeriss_register"] < e["eyeriss"]
    assert e["eyeriss_partitioned"] < 0.85 * e["eyeriss"]
    rf = {
        "eyeriss": level_pj(best["eyeriss"], "RFile"),
        "eyeriss_register": level_pj(best["eyeriss_register"], "RFile")
        + level_pj(best["eyeriss_register"], "Reg"),
        "eyeriss_partitioned": sum(
            level_pj(best["eyeriss_partitioned"], n) for n in ("WeightRF", "InputRF", "PsumRF")
        ),
    }
    for name in ("eyeriss_register", "eyeriss_partitioned"):
        saved = best["eyeriss"].energy_pj - best[name].energy_pj
        assert rf["eyeriss"] - rf[name] > 0.8 * saved  # the saving is the in-PE storage's
