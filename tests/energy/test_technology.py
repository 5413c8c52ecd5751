"""Technology scaling: Stillmaker & Baas 2017's fits as published, interpolation between them, parsing."""

from __future__ import annotations

import itertools
from importlib import resources

import pytest
import yaml

from loopscape.energy import technology as tech
from loopscape.errors import SpecError


def test_energy_fits_reproduce_the_papers_erratum_example():
    # Stillmaker & Baas 2017, erratum to Sec. 4.2.1 (Table 5 values): 0.8367*0.9^2 - 0.4341*0.9 + 0.1701
    # = 0.4571 (32 nm at 0.9 V) and 3.755*1.3^2 - 4.398*1.3 + 1.975 = 2.604 (the 65 nm row at 1.3 V).
    assert tech.energy_factor(32, 0.9) == pytest.approx(0.4571, abs=1e-4)
    assert tech.energy_factor(65, 1.3) == pytest.approx(2.604, abs=1e-3)


def test_area_factors_are_the_45nm_row_of_the_table():
    # Stillmaker & Baas 2017, area scaling table, 45 nm row: 65 nm 1.5, 16 nm 0.19, 7 nm 0.059.
    assert tech.area_scale(45, 65) == pytest.approx(1.5)
    assert tech.area_scale(45, 16) == pytest.approx(0.19)
    assert tech.area_scale(45, 7) == pytest.approx(0.059)
    # Another row follows from ratios: 65 -> 16 is 0.19 / 1.5 (the table's 65 nm row says 0.13).
    assert tech.area_scale(65, 16) == pytest.approx(0.13, rel=0.03)


@pytest.mark.parametrize("nm", tech.named_nodes())
def test_every_named_node_is_supported(nm):
    assert tech.parse_node(f"{nm}nm") == nm
    assert tech.energy_factor(nm) > 0 and tech.area_factor(nm) > 0


def test_energy_and_area_shrink_with_the_node_at_nominal_supply():
    nodes = sorted(tech.named_nodes(), reverse=True)  # 65 .. 7
    energies = [tech.energy_factor(n) for n in nodes]
    areas = [tech.area_factor(n) for n in nodes]
    assert all(b < a for a, b in itertools.pairwise(energies))
    assert all(b < a for a, b in itertools.pairwise(areas))


def test_interpolated_nodes_lie_between_their_neighbours():
    for nm, big, small in [(40, 45, 32), (28, 32, 20), (22, 32, 20)]:
        assert not tech.is_fitted(nm)
        assert tech.area_factor(small) < tech.area_factor(nm) < tech.area_factor(big)
        assert tech.energy_factor(small) < tech.energy_factor(nm) < tech.energy_factor(big)
        assert tech.nominal_vdd(small) - 1e-12 <= tech.nominal_vdd(nm) <= tech.nominal_vdd(big) + 1e-12
        assert "interpolated" in tech.scaling_note(45, nm)
    assert tech.is_fitted(16) and "interpolated" not in tech.scaling_note(45, 16)


def test_scaling_composes_and_stays_put_at_the_same_node():
    assert tech.energy_scale(45, 45, 0.9) == 1.0
    assert tech.area_scale(28, 28) == 1.0
    assert tech.scaling_note(45, 45) == ""
    for a, b, c in [(65, 28, 7), (45, 16, 40)]:
        assert tech.energy_scale(a, b) * tech.energy_scale(b, c) == pytest.approx(tech.energy_scale(a, c))
        assert tech.area_scale(a, b) * tech.area_scale(b, c) == pytest.approx(tech.area_scale(a, c))


def test_a_lower_supply_costs_less_energy_at_the_same_node():
    assert tech.energy_scale(45, 45, 0.9, 0.8) < 1.0 < tech.energy_scale(45, 45, 0.9, 1.0)
    assert "0.8 V" in tech.scaling_note(45, 45, 0.8)


@pytest.mark.parametrize("bad", ["3nm", "200nm", "abc", "", True, None, -45])
def test_nodes_outside_the_fits_or_unreadable_are_spec_errors(bad):
    with pytest.raises(SpecError) as err:
        tech.parse_node(bad, "architecture.technology")
    assert err.value.path == "architecture.technology"


def test_units_parse():
    assert tech.parse_node("0.045um") == pytest.approx(45)
    assert tech.parse_node(" 16 nm ") == 16
    assert tech.node_name(16.0) == "16nm"


def test_every_number_in_the_scaling_file_cites_a_known_source():
    raw = yaml.safe_load(
        resources.files("loopscape.energy").joinpath("data", "technology_scaling.yaml").read_text()
    )
    known = set(raw["sources"])
    for row in raw["energy"]:
        assert row["source"] and set(row["source"]) <= known, row
    assert raw["area_vs_45nm"]["source"] in known
    assert raw["interpolation"]["assumption"] is True and raw["interpolation"]["why"]
