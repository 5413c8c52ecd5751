"""The weight-update unit (XploreDL): validation, `Architecture.for_update()`, native YAML, its energy, and
`loopscape train` mapping the weight update on it."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from loopscape.arch import Architecture, ComputeLevel, StorageLevel
from loopscape.arch.architecture import UpdateUnit
from loopscape.cli import loopscape
from loopscape.cli_train import map_training
from loopscape.energy.defaults import default_table
from loopscape.errors import SpecError
from loopscape.io.native import architecture_to_native, read_architecture, to_native_yaml
from loopscape.model.evaluate import evaluate
from loopscape.workload import conv2d, fully_connected
from loopscape.workload.networks import Network

BUDGET = 200

ARCH_YAML = """\
architecture:
  name: small
  levels:
    - {name: DRAM, class: DRAM}
    - {name: GBuf, class: SRAM, entries: 16384}
    - {name: RF, class: regfile, instances: 16, mesh_x: 4, entries: 64}
  compute: {name: MAC, instances: 16, mesh_x: 4}
"""
UNIT_YAML = "  update_unit: {name: WU, instances: 4, attach: GBuf}\n"

NETWORK_YAML = """\
network:
  name: mini
  layers:
    - {name: conv1, type: conv, K: 4, C: 2, P: 4, Q: 4, R: 3, S: 3}
    - {name: fc2, type: fc, K: 3, C: 64}
"""


def levels() -> tuple[StorageLevel, ...]:
    return (
        StorageLevel("DRAM", "DRAM"),
        StorageLevel("GBuf", "SRAM", entries=16384),
        StorageLevel("RF", "regfile", instances=16, mesh_x=4, entries=64),
    )


def small(unit: UpdateUnit | None = None) -> Architecture:
    return Architecture("small", levels(), ComputeLevel("MAC", 16, 4), update_unit=unit)


def mini() -> Network:
    return Network("mini", (conv2d("conv1", K=4, C=2, P=4, Q=4, R=3, S=3), fully_connected("fc2", K=3, C=64)))


# --- validation -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "path"),
    [
        (UpdateUnit("WU", 4, "GBf"), "architecture.update_unit.attach"),
        (UpdateUnit("WU", 0, "GBuf"), "architecture.update_unit.instances"),
        (UpdateUnit("WU", -2, "GBuf"), "architecture.update_unit.instances"),
        (UpdateUnit("WU", 2.5, "GBuf"), "architecture.update_unit.instances"),  # type: ignore[arg-type]
        (UpdateUnit("WU", 8, "RF"), "architecture.update_unit.instances"),  # not a multiple of RF's 16
        (UpdateUnit("WU", 8, "GBuf", mesh_x=3), "architecture.update_unit.mesh_x"),
        (UpdateUnit("WU", 32, "RF", mesh_x=2), "architecture.update_unit.mesh_x"),  # 2x16 under RF's 4x4
        (UpdateUnit("WU", 4, "GBuf", word_bits=0), "architecture.update_unit.word_bits"),
        (UpdateUnit("RF", 4, "GBuf"), "architecture.update_unit.name"),  # a level's name
        (UpdateUnit("MAC", 4, "GBuf"), "architecture.update_unit.name"),  # the compute units' name
        (UpdateUnit("", 4, "GBuf"), "architecture.update_unit.name"),
        (UpdateUnit("WU", 4, "GBuf", component=""), "architecture.update_unit.component"),
    ],
)
def test_invalid_units_name_their_path(unit, path):
    with pytest.raises(SpecError) as e:
        small(unit)
    assert e.value.path == path


def test_valid_units():
    small(UpdateUnit("WU", 1, "DRAM"))
    small(UpdateUnit("WU", 32, "RF", mesh_x=8))  # 8x4 over RF's 4x4
    small(UpdateUnit("WU", 6, "GBuf", mesh_x=3, word_bits=32))


# --- for_update -------------------------------------------------------------------------------------


def test_for_update_is_the_levels_down_to_attach_over_the_unit():
    arch = small(UpdateUnit("WU", 8, "GBuf", word_bits=24, mesh_x=4))
    upd = arch.for_update()
    assert [lv.name for lv in upd.levels] == ["DRAM", "GBuf"]
    assert upd.levels == arch.levels[:2]
    c = upd.compute
    assert (c.name, c.instances, c.mesh_x, c.word_bits, c.component) == ("WU", 8, 4, 24, "adder")
    assert c.mesh == (4, 2) and upd.fanout(1) == (4, 2)
    assert upd.update_unit is None and (upd.technology, upd.clock_ghz) == (arch.technology, arch.clock_ghz)
    assert arch.for_update() == upd  # hashable and deterministic (the ERT cache keys on it)
    deep = small(UpdateUnit("WU", 32, "RF", mesh_x=8)).for_update()
    assert [lv.name for lv in deep.levels] == ["DRAM", "GBuf", "RF"] and deep.fanout(2) == (2, 1)


def test_for_update_without_a_unit_is_the_architecture_itself():
    arch = small()
    assert arch.for_update() is arch


def test_update_energy_is_the_units_adder():
    """default_table works on the derived architecture; the unit's op and `add` are an adder of its width."""
    arch = small(UpdateUnit("WU", 4, "GBuf", word_bits=32))
    table = default_table(arch.for_update())
    narrow = default_table(small(UpdateUnit("WU", 4, "GBuf", word_bits=8)).for_update())
    main = default_table(arch)
    assert table.compute_ops["add"] == pytest.approx(table.compute)
    assert table.compute_ops["add"] > narrow.compute_ops["add"] > 0
    assert table.compute_ops["add"] < main.compute  # an add is cheaper than a 16-bit MAC even at 32 bits
    assert set(table.levels) == {"DRAM", "GBuf"} and "WU" in table.area
    assert table.area["WU"] < main.area["MAC"] * 2


# --- native YAML ------------------------------------------------------------------------------------


def test_native_round_trip():
    arch = small(UpdateUnit("WU", 8, "GBuf", word_bits=24, mesh_x=4, component="adder"))
    doc = architecture_to_native(arch)
    assert doc["update_unit"] == {
        "name": "WU", "instances": 8, "attach": "GBuf", "word_bits": 24, "mesh_x": 4, "component": "adder"
    }  # fmt: skip
    assert read_architecture(doc) == arch
    text = to_native_yaml(arch=arch)
    assert read_architecture(yaml.safe_load(text)["architecture"]) == arch
    plain = small(UpdateUnit("WU", 4, "GBuf"))
    assert architecture_to_native(plain)["update_unit"] == {"name": "WU", "instances": 4, "attach": "GBuf"}
    assert read_architecture(architecture_to_native(plain)) == plain
    assert "update_unit" not in architecture_to_native(small())


def test_native_reads_the_unit():
    arch = read_architecture(yaml.safe_load(ARCH_YAML + UNIT_YAML)["architecture"])
    assert arch.update_unit == UpdateUnit("WU", 4, "GBuf")


@pytest.mark.parametrize(
    ("unit", "path", "found"),
    [
        ("{name: WU, instances: 4, attach: GBf}", "architecture.update_unit.attach", "GBuf"),
        ("{name: WU, instances: 4}", "architecture.update_unit.attach", "missing"),
        ("{name: WU, attach: GBuf}", "architecture.update_unit.instances", "missing"),
        ("{instances: 4, attach: GBuf}", "architecture.update_unit.name", "missing"),
        ("{name: WU, instances: 0, attach: GBuf}", "architecture.update_unit.instances", "0"),
        ("{name: WU, instances: 8, attach: RF}", "architecture.update_unit.instances", "8"),
        ("{name: WU, instances: 4, attach: GBuf, mesh_x: 3}", "architecture.update_unit.mesh_x", "3"),
        ("{name: WU, instances: 4, attach: GBuf, word_bits: x}", "architecture.update_unit.word_bits", "x"),
        ("{name: WU, instances: 4, attach: GBuf, adders: 4}", "architecture.update_unit", "adders"),
        ("[WU]", "architecture.update_unit", "a list"),
    ],
)
def test_native_errors(unit, path, found):
    node = yaml.safe_load(ARCH_YAML + f"  update_unit: {unit}\n")["architecture"]
    with pytest.raises(SpecError) as e:
        read_architecture(node)
    assert e.value.path.startswith(path), e.value
    assert found in str(e.value)


# --- training ---------------------------------------------------------------------------------------


def test_map_training_runs_the_weight_update_on_the_unit():
    arch = small(UpdateUnit("WU", 4, "GBuf"))
    upd = arch.for_update()
    result = map_training(arch, mini(), budget=BUDGET)
    assert result.update_arch == upd
    add_pj = default_table(upd).compute_ops["add"]
    for p, lr in result.rows():
        on = upd if p.kind == "weight_update" else arch
        assert result.pass_arch(p.kind) == on
        r = evaluate(on, p.workload, lr.mapping)  # the mapping is valid on that architecture, as reported
        assert (r.cycles, r.energy_pj) == (lr.cycles, lr.energy_pj)
        if p.kind == "weight_update":
            assert r.compute_energy_pj == pytest.approx(r.macs * add_pj)
            assert r.cycles * 4 >= p.workload.operations  # four adders at most per cycle
    wu = result.kind_totals("weight_update")
    assert wu["compute"] == {"name": "WU", "instances": 4}
    assert wu["ops"] == mini().params and 0 < wu["utilization"] <= 1
    assert result.kind_totals("forward")["compute"] == {"name": "MAC", "instances": 16}
    assert 0 < result.utilization <= 1


def test_map_training_without_a_unit_runs_on_the_main_array():
    arch = small()
    result = map_training(arch, mini(), budget=BUDGET)
    assert result.update_arch is None
    assert result.kind_totals("weight_update")["compute"] == {"name": "MAC", "instances": 16}
    for p, lr in result.rows():
        r = evaluate(arch, p.workload, lr.mapping)
        assert (r.cycles, r.energy_pj) == (lr.cycles, lr.energy_pj)


def test_a_multiply_add_update_stays_off_an_adder_unit():
    result = map_training(small(UpdateUnit("WU", 4, "GBuf")), mini(), budget=BUDGET, update_op="mac")
    assert result.update_arch is None
    named = small(UpdateUnit("WU", 4, "GBuf", component="mac"))
    assert map_training(named, mini(), budget=BUDGET, update_op="mac").update_arch == named.for_update()


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_cli_train_on_the_unit(tmp_path):
    arch = write(tmp_path, "arch.yaml", ARCH_YAML + UNIT_YAML)
    net = write(tmp_path, "net.yaml", NETWORK_YAML)
    out = tmp_path / "train.json"
    result = CliRunner().invoke(loopscape, ["train", arch, net, "--budget", str(BUDGET), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "weight update on WU (4 adders at GBuf)" in result.output
    doc = json.loads(out.read_text())
    assert doc["weight_update_unit"]["name"] == "WU" and doc["weight_update_unit"]["instances"] == 4
    assert doc["passes"]["weight_update"]["compute"]["instances"] == 4
    add_pj = default_table(small(UpdateUnit("WU", 4, "GBuf")).for_update()).compute_ops["add"]
    rows = [lay for lay in doc["layers"] if lay["pass"] == "weight_update"]
    assert [lay["layer"] for lay in rows] == ["fc2", "conv1"]
    for lay in rows:
        assert lay["compute"] == {"name": "WU", "instances": 4}
        assert lay["compute_energy_pj"] == pytest.approx(lay["macs"] * add_pj)
        assert {lv["name"] for lv in lay["levels"]} == {"DRAM", "GBuf"}
    others = [lay for lay in doc["layers"] if lay["pass"] != "weight_update"]
    assert all(lay["compute"] == {"name": "MAC", "instances": 16} for lay in others)


def test_cli_train_without_a_unit(tmp_path):
    arch = write(tmp_path, "arch.yaml", ARCH_YAML)
    net = write(tmp_path, "net.yaml", NETWORK_YAML)
    result = CliRunner().invoke(loopscape, ["train", arch, net, "--budget", str(BUDGET), "--json", "-"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["weight_update_unit"] is None
    for lay in doc["layers"]:
        assert lay["compute"] == {"name": "MAC", "instances": 16}
    text = CliRunner().invoke(loopscape, ["train", arch, net, "--budget", str(BUDGET)])
    assert text.exit_code == 0 and "on the architecture's compute units" in text.output


def test_cli_train_with_energy_overrides_prices_the_unit(tmp_path):
    """An `energy:` block gives the storage numbers; the unit keeps the default estimators' adder."""
    energy = "energy:\n  levels: {GBuf: {read: 2.0, fill: 2.0, update: 2.0}}\n"
    arch = write(tmp_path, "arch.yaml", ARCH_YAML + UNIT_YAML + energy)
    net = write(tmp_path, "net.yaml", NETWORK_YAML)
    result = CliRunner().invoke(loopscape, ["train", arch, net, "--budget", str(BUDGET), "--json", "-"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    add_pj = default_table(small(UpdateUnit("WU", 4, "GBuf")).for_update()).compute_ops["add"]
    for lay in doc["layers"]:
        if lay["pass"] == "weight_update":
            assert lay["compute_energy_pj"] == pytest.approx(lay["macs"] * add_pj)
            gbuf = next(lv for lv in lay["levels"] if lv["name"] == "GBuf")
            for tensor, counts in gbuf["tensors"].items():  # the storage levels keep the user's numbers
                for action, count in (("read", "reads"), ("fill", "fills"), ("update", "updates")):
                    assert gbuf["energy_pj"][tensor][action] == pytest.approx(2.0 * counts[count])


def test_dataclass_replace_keeps_validating():
    arch = small(UpdateUnit("WU", 4, "GBuf"))
    with pytest.raises(SpecError) as e:
        dataclasses.replace(arch, levels=arch.levels[:1], compute=ComputeLevel("MAC", 1))
    assert e.value.path == "architecture.update_unit.attach"
