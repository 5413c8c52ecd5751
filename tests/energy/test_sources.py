"""The built-in primitives against their published sources, at the table's node (45 nm, 0.9 V).

Horowitz, ISSCC 2014 (45 nm): add 8b 0.03 / 32b 0.1 pJ; multiply 8b 0.2 / 32b 3.1 pJ; 64-bit SRAM access
8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; DRAM 1.3-2.6 nJ per 64-bit access. Han et al., NeurIPS 2015, Table 1:
32-bit register-file access 1 pJ, 32-bit DRAM 640 pJ. Eyeriss (Chen et al., ISCA 2016, Fig. 1): RF 1x,
inter-PE array 2x, global buffer 6x, DRAM 200x a MAC, as a loose cross-check.
"""

from __future__ import annotations

import math
from importlib import resources

import pytest
import yaml

from loopscape.energy.components import PRIMITIVES, Component, complete_attributes
from loopscape.energy.estimators import TableEstimator
from loopscape.energy.primitives import primitive_cost, reference_data
from loopscape.energy.technology import area_scale, energy_scale

KIB = 1024


def cost(cls: str, **attrs):
    return primitive_cost(cls, complete_attributes(PRIMITIVES[cls], attrs, cls))


def estimate(cls: str, **attrs):
    return TableEstimator().estimate(Component(cls, complete_attributes(PRIMITIVES[cls], attrs, cls)))


@pytest.mark.parametrize(
    ("cls", "bits", "pj", "um2"),
    [
        ("adder", 8, 0.03, 36.0),
        ("adder", 32, 0.1, 137.0),
        ("multiplier", 8, 0.2, 282.0),
        ("multiplier", 32, 3.1, 3495.0),
    ],
)
def test_arithmetic_is_horowitz_2014_with_dally_2015_areas(cls, bits, pj, um2):
    c = cost(cls, bits=bits)
    action = {"adder": "add", "multiplier": "multiply"}[cls]
    assert c.energy_pj[action] == pytest.approx(pj)
    assert c.area_um2 == pytest.approx(um2)


def test_mac_and_address_generator_are_built_from_the_adder_and_multiplier():
    assert cost("mac", bits=8).energy_pj["mac"] == pytest.approx(0.2 + 0.03)
    assert cost("mac", bits=32).area_um2 == pytest.approx(3495.0 + 137.0)
    assert cost("address_generator", bits=32).energy_pj["generate"] == pytest.approx(0.1)
    # Multiplier energy quadratic in bits, adder linear: doubling 16 -> 32 bits.
    m16, m32 = cost("multiplier", bits=16).energy_pj["multiply"], 3.1
    a16, a32 = cost("adder", bits=16).energy_pj["add"], 0.1
    assert (m32 - 0.2) / (m16 - 0.2) == pytest.approx((32**2 - 64) / (16**2 - 64))
    assert (a32 - 0.03) / (a16 - 0.03) == pytest.approx((32 - 8) / (16 - 8))


@pytest.mark.parametrize(("kib", "pj"), [(8, 10.0), (32, 20.0), (1024, 100.0)])
def test_sram_64bit_access_is_horowitz_2014(kib, pj):
    c = cost("SRAM", depth=kib * KIB // 8, width=64)
    assert c.energy_pj["read"] == pytest.approx(pj)
    assert c.energy_pj["write"] == c.energy_pj["update"] == c.energy_pj["read"]


def test_sram_banks_and_ports():
    one = cost("SRAM", depth=4096, width=64)  # 32 KB
    banked = cost("SRAM", depth=4096, width=64, n_banks=4)  # an access touches one 8 KB bank
    assert banked.energy_pj["read"] == pytest.approx(10.0)
    assert banked.area_um2 == pytest.approx(one.area_um2)
    # Two ports: Rixner's (w + p)(h + p) cell with w = h = 4 tracks: area x (6/5)^2, energy x 6/5.
    two = cost("SRAM", depth=4096, width=64, n_ports=2)
    assert two.area_um2 == pytest.approx(one.area_um2 * (6 / 5) ** 2)
    assert two.energy_pj["read"] == pytest.approx(20.0 * 6 / 5)


def test_regfile_is_han_2015_and_dram_types_are_cited():
    # Han et al. 2015: a 32-bit register-file access 1 pJ (at 512 B, the small end of Eyeriss's 0.5-1 kB).
    assert cost("regfile", depth=128, width=32).energy_pj["read"] == pytest.approx(1.0)
    # DRAM pJ/bit: LPDDR4 8 (Accelergy's CACTI plug-in), HBM2 3.9, GDDR5 14 (O'Connor 2017).
    for kind, per_bit in [("LPDDR4", 8.0), ("HBM2", 3.9), ("GDDR5", 14.0)]:
        assert cost("DRAM", width=64, type=kind).energy_pj["read"] == pytest.approx(64 * per_bit)
    # Horowitz's 1.3 nJ per 64-bit DRAM access; Han's 640 pJ per 32 bits.
    assert cost("DRAM", width=64, type="DDR3_horowitz").energy_pj["read"] == pytest.approx(1280.0)
    assert cost("DRAM", width=32, type="DDR3_horowitz").energy_pj["read"] == pytest.approx(640.0)
    # DDR4 (an assumption, marked in the data file): 20 pJ/bit x (1.2 V / 1.5 V)^2.
    assert cost("DRAM", width=1, type="DDR4").energy_pj["read"] == pytest.approx(20.0 * (1.2 / 1.5) ** 2)
    assert cost("DRAM", width=64).area_um2 == 0.0


def test_numbers_cited_at_40nm_are_carried_to_45nm():
    # Aladdin (Shao 2014) register bit 0.009 pJ, 5.98 um^2 at 40 nm; comparator 0.02947 pJ, 71 um^2 at 32b.
    e, a = energy_scale(40, 45, None, 0.9), area_scale(40, 45)
    reg = cost("register", width=1)
    assert reg.energy_pj["read"] == pytest.approx(0.009 * e)
    assert reg.area_um2 == pytest.approx(5.98 * a)
    comp = cost("comparator", bits=32)
    assert comp.energy_pj["compare"] == pytest.approx(0.02947 * e)
    assert comp.area_um2 == pytest.approx(71.0 * a)


def test_wire_is_keckler_2011_per_bit_per_mm():
    # Keckler et al. 2011: 310 pJ for 256 bits over 10 mm at 40 nm / 0.9 V; scaled by Vdd^2 only.
    assert cost("wire", bits=256, length_um=10_000).energy_pj["transfer"] == pytest.approx(310.0, rel=1e-3)
    at16 = estimate("wire", bits=256, length_um=10_000, technology="16nm").energy_pj["transfer"]
    assert at16 == pytest.approx(310.0 * (0.85 / 0.9) ** 2, rel=1e-3)


def test_idle_energy_is_leakage_over_a_clock_cycle():
    # Aladdin: 32-bit adder leaks 2.4e-6 W at 40 nm -> 0.0024 pJ per 1 ns cycle; half that at 2 GHz.
    e = energy_scale(40, 45, None, 0.9)
    assert estimate("adder", bits=32).energy_pj["idle"] == pytest.approx(0.0024 * e)
    assert estimate("adder", bits=32, clock_ghz=2.0).energy_pj["idle"] == pytest.approx(0.0012 * e)
    assert estimate("SRAM", depth=64, width=64).energy_pj["idle"] == 0.0  # no cited SRAM leakage


def test_mux_and_lut_follow_their_marked_assumptions():
    # A 4:1 MUX of 8 bits is 3 x 8 two-input cells, each a quarter of an adder bit (assumption).
    assert cost("mux", n_inputs=4, bits=8).energy_pj["select"] == pytest.approx(24 * 0.25 * 0.1 / 32)
    assert cost("mux", n_inputs=1, bits=8).energy_pj["select"] == 0.0
    # A LUT reads like a register file of its size.
    assert cost("lut", entries=128, bits=32).energy_pj["lookup"] == pytest.approx(1.0)


def test_off_chip_dram_is_not_scaled_with_the_node():
    at45, at7 = estimate("DRAM", width=64), estimate("DRAM", width=64, technology="7nm")
    assert at7.energy_pj == at45.energy_pj
    assert "not scaled" in at7.note


def test_logic_scales_with_stillmaker_and_baas():
    at45, at16 = estimate("mac", bits=16), estimate("mac", bits=16, technology="16nm")
    assert at16.energy_pj["mac"] == pytest.approx(at45.energy_pj["mac"] * energy_scale(45, 16, 0.9))
    assert at16.area_um2 == pytest.approx(at45.area_um2 * 0.19)
    assert "45nm->16nm" in at16.note and "Stillmaker" in at16.note
    assert at45.note == ""
    low = estimate("mac", bits=16, voltage=0.8)
    assert low.energy_pj["mac"] < at45.energy_pj["mac"] and "0.8 V" in low.note


def test_crosscheck_with_eyeriss_normalised_costs():
    # Chen et al., ISCA 2016, Fig. 1 (65 nm, 16-bit): RF 1x, inter-PE 2x, buffer 6x, DRAM 200x a MAC.
    # Different node and circuits: only the order of magnitude must agree, within 2.5x; the inter-PE hop
    # within 10x: ours is the wire alone (one PE pitch, Keckler's pJ/bit/mm), Eyeriss's includes its NoC.
    cc = reference_data().crosscheck
    mac = cost("mac", bits=16).energy_pj["mac"]
    rf = cost("regfile", depth=cc["regfile"]["bytes"] // 2, width=16)
    pe_pitch_um = math.sqrt(rf.area_um2 + cost("mac", bits=16).area_um2)
    ours = {
        "regfile": (rf.energy_pj["read"] / mac, 2.5),
        "global_buffer": (
            cost("SRAM", depth=cc["global_buffer"]["bytes"] // 2, width=16).energy_pj["read"] / mac,
            2.5,
        ),
        "dram": (cost("DRAM", width=16).energy_pj["read"] / mac, 2.5),
        "inter_pe": (cost("wire", bits=16, length_um=pe_pitch_um).energy_pj["transfer"] / mac, 10.0),
    }
    for key, (rel, tolerance) in ours.items():
        ratio = rel / cc[key]["relative"]
        assert 1 / tolerance < ratio < tolerance, (
            f"{key}: {rel:.2f}x a MAC, Eyeriss says {cc[key]['relative']}x"
        )
    # The order RF < buffer < DRAM holds as in Eyeriss.
    assert ours["regfile"][0] < ours["global_buffer"][0] < ours["dram"][0]


def test_every_number_in_the_data_file_cites_a_source_or_is_a_marked_assumption():
    raw = yaml.safe_load(resources.files("loopscape.energy").joinpath("data", "tables_45nm.yaml").read_text())
    known = set(raw["sources"])
    numeric = {"value", "pj", "energy_pj", "area_um2", "pj_per_bit_mm"}
    seen = []

    def walk(node: object, cited: bool, path: str) -> None:
        if isinstance(node, dict):
            src = node.get("source")
            for s in [] if src is None else [src] if isinstance(src, str) else src:
                assert s in known, f"{path}: unknown source {s}"
            if node.get("assumption"):
                assert node.get("why"), f"{path}: an assumption must say why"
            here = cited or src is not None or bool(node.get("assumption"))
            for k, v in node.items():
                if k in numeric and isinstance(v, (int, float)) and v != 0:
                    assert here, f"{path}.{k} = {v} has no source"
                    seen.append(f"{path}.{k}")
                walk(v, here, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, cited, f"{path}[{i}]")

    walk({k: v for k, v in raw.items() if k != "sources"}, False, "tables_45nm")
    assert len(seen) > 30
