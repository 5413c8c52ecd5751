"""Built-in 45 nm ERT/ART: cited numbers come out unchanged, curves are positive and monotone in size."""

from __future__ import annotations

import itertools
import math
from importlib import resources

import pytest
import yaml

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.energy.defaults import (
    adder_area,
    adder_energy,
    default_table,
    level_energy,
    mac_area,
    mac_energy,
    multiplier_energy,
    reference_data,
    word16_energy,
)
from loopscape.energy.technology import area_scale, energy_scale
from loopscape.errors import SpecError

KIB = 1024


def four_level(technology: str = "45nm") -> Architecture:
    """DRAM, 128 KiB global buffer, 16x16 PEs with 256-entry register files, MACs (all 16-bit)."""
    return Architecture(
        name="four_level",
        levels=(
            StorageLevel("DRAM", cls="DRAM", block_size=4),
            StorageLevel("GlobalBuffer", cls="SRAM", entries=64 * KIB, block_size=4),
            StorageLevel("RegFile", cls="regfile", instances=256, mesh_x=16, entries=256),
        ),
        compute=ComputeLevel("MAC", instances=256, mesh_x=16),
        technology=technology,
    )


# --- cited numbers -----------------------------------------------------------------------------------
def test_arithmetic_reproduces_horowitz_2014():
    # Horowitz, ISSCC 2014, 45 nm: 8b mult 0.2 pJ, 32b mult 3.1 pJ, 8b add 0.03 pJ, 32b add 0.1 pJ.
    assert multiplier_energy(8) == pytest.approx(0.2)
    assert multiplier_energy(32) == pytest.approx(3.1)
    assert adder_energy(8) == pytest.approx(0.03)
    assert adder_energy(32) == pytest.approx(0.1)


def test_multiplier_quadratic_adder_linear():
    # Linear in bits^2 (resp. bits) between the cited points: 16b mult = 0.2 + 192 * 2.9/960.
    assert multiplier_energy(16) == pytest.approx(0.2 + (256 - 64) * 2.9 / 960)
    assert adder_energy(16) == pytest.approx(0.03 + 8 * 0.07 / 24)
    assert mac_energy(16) == pytest.approx(multiplier_energy(16) + adder_energy(16))
    for b in range(1, 65):
        assert multiplier_energy(b) > 0 and adder_energy(b) > 0


def test_sram_reproduces_horowitz_2014():
    # Horowitz, ISSCC 2014: 64-bit access 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ -> /4 per 16-bit word.
    assert word16_energy("SRAM", 8 * KIB) == pytest.approx(2.5)
    assert word16_energy("SRAM", 32 * KIB) == pytest.approx(5.0)
    assert word16_energy("SRAM", 1024 * KIB) == pytest.approx(25.0)
    # Interpolation in log(size): 16 KB is the geometric mean of the 8 KB and 32 KB points.
    assert word16_energy("SRAM", 16 * KIB) == pytest.approx(math.sqrt(2.5 * 5.0))


def test_regfile_and_dram_cited_points():
    # Han et al., NeurIPS 2015, Table 1: 32-bit register file 1 pJ -> 0.5 pJ per 16-bit word (at 512 B).
    assert word16_energy("regfile", 512) == pytest.approx(0.5)
    # LPDDR4 8 pJ/bit (Accelergy CACTI plug-in): 128 pJ per 16-bit word; HBM2 3.9 pJ/bit.
    assert word16_energy("DRAM", None) == pytest.approx(128.0)
    assert word16_energy("DRAM", None, dram_type="HBM2") == pytest.approx(3.9 * 16)
    # Aladdin register bit 0.009 pJ at 40 nm, carried to Horowitz's 45 nm / 0.9 V (Stillmaker & Baas).
    assert word16_energy("register", 2) == pytest.approx(0.144 * energy_scale(40, 45, None, 0.9))
    assert energy_scale(40, 45, None, 0.9) == pytest.approx(1.0, abs=0.01)


def test_every_number_in_the_data_file_cites_a_known_source():
    raw = yaml.safe_load(resources.files("loopscape.energy").joinpath("data", "tables_45nm.yaml").read_text())
    known = set(raw["sources"])
    numeric_keys = {"value", "pj", "energy_pj", "area_um2"}

    def walk(node: object, cited: bool, path: str) -> None:
        if isinstance(node, dict):
            src = node.get("source")
            if src is not None:
                for s in [src] if isinstance(src, str) else src:
                    assert s in known, f"{path}: unknown source {s}"
            here = cited or src is not None or bool(node.get("assumption"))
            for k, v in node.items():
                if k in numeric_keys and isinstance(v, (int, float)) and v != 0:
                    assert here, f"{path}.{k} = {v} has no source"
                walk(v, here, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, cited, f"{path}[{i}]")

    walk(raw, False, "tables_45nm")


# --- shape of the curves -----------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ["SRAM", "regfile"])
def test_positive_and_monotone_in_size(cls):
    sizes = [2**k for k in range(3, 27)]  # 8 B .. 64 MiB
    energies = [word16_energy(cls, s) for s in sizes]
    assert all(e > 0 for e in energies)
    assert all(b >= a for a, b in itertools.pairwise(energies))
    assert energies[-1] > energies[0]


def test_regfile_never_below_one_register():
    assert word16_energy("regfile", 2) == pytest.approx(word16_energy("register", 2))


def test_block_energy_scales_with_block_size_and_word_bits():
    base = level_energy(StorageLevel("B", cls="SRAM", entries=8 * KIB // 2))  # 8 KiB of 16-bit words
    wide = level_energy(StorageLevel("B", cls="SRAM", entries=8 * KIB, word_bits=8, block_size=8))
    # The SRAM access plus the address generator: an adder of log2(vector entries) bits (Timeloop, VI-C).
    assert base.read == pytest.approx(2.5 + adder_energy(12))  # 4096 vector entries
    # Same 8 KiB; a block is 8 x 8 bits = 4 words of 16 bits; 1024 vector entries.
    assert wide.read == pytest.approx(4 * 2.5 + adder_energy(10))
    assert base.fill == base.update == base.read


# --- the table for an architecture ------------------------------------------------------------------
def test_default_table_for_four_levels():
    arch = four_level()
    t = default_table(arch)
    assert set(t.levels) == {"DRAM", "GlobalBuffer", "RegFile"}
    assert t.compute == pytest.approx(mac_energy(16))
    assert t.level("DRAM").read == pytest.approx(4 * 128.0)  # block of 4 words
    # SRAM and register file: the array access plus the address generator (an adder of log2(vector
    # entries) bits): 16 Ki vectors of 4 words -> 14 bits; 256 entries -> 8 bits.
    assert t.level("GlobalBuffer").read == pytest.approx(
        4 * word16_energy("SRAM", 128 * KIB) + adder_energy(14)
    )
    assert t.level("RegFile").read == pytest.approx(word16_energy("regfile", 512) + adder_energy(8))
    for lv in t.levels.values():
        assert lv.read > 0 and lv.fill == lv.read and lv.update == lv.read
    # Energy grows up the hierarchy.
    assert t.level("RegFile").read < t.level("GlobalBuffer").read / 4 < t.level("DRAM").read / 4
    # Areas per instance: DRAM off chip; SRAM 0.346/0.7 um^2 per bit (Mistry 2007 bit cell, 70% efficiency);
    # register file 5.98 um^2 per bit at 40 nm (Aladdin) carried to 45 nm; plus the address generators.
    assert t.area["DRAM"] == 0.0
    assert t.area["GlobalBuffer"] == pytest.approx(128 * KIB * 8 * 0.346 / 0.7 + adder_area(14))
    assert t.area["RegFile"] == pytest.approx(256 * 16 * 5.98 * area_scale(40, 45) + adder_area(8))
    assert t.area["MAC"] == pytest.approx(mac_area(16))
    assert 282 < t.area["MAC"] < 3495 + 137


def test_crosscheck_with_eyeriss_normalised_costs():
    # Chen et al., ISCA 2016, Fig. 1: RF 1x, global buffer 6x, DRAM 200x a MAC. Different node (65 nm) and
    # circuits, so only the order of magnitude must agree: within a factor of 2.5.
    ref = reference_data()
    cc = ref.crosscheck
    mac = mac_energy(16)
    ours = {
        "regfile": word16_energy("regfile", cc["regfile"]["bytes"]) / mac,
        "global_buffer": word16_energy("SRAM", cc["global_buffer"]["bytes"]) / mac,
        "dram": word16_energy("DRAM", None) / mac,
    }
    for key, rel in ours.items():
        ratio = rel / cc[key]["relative"]
        assert 1 / 2.5 < ratio < 2.5, f"{key}: {rel:.2f}x a MAC, Eyeriss says {cc[key]['relative']}x"


# --- errors ------------------------------------------------------------------------------------------
def test_unknown_technology_and_missing_capacity_raise_spec_errors():
    with pytest.raises(SpecError, match="technology"):
        default_table(four_level(technology="5nm"))  # Stillmaker & Baas fit 180 nm .. 7 nm
    arch = Architecture(
        name="unbounded",
        levels=(StorageLevel("DRAM", cls="DRAM"), StorageLevel("Buf", cls="SRAM")),
        compute=ComputeLevel(),
    )
    with pytest.raises(SpecError, match="Buf"):
        default_table(arch)
    with pytest.raises(SpecError, match="dram_type"):
        default_table(four_level(), dram_type="DDR9")
