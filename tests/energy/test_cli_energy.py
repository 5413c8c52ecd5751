"""`loopscape energy`: ERT/ART tables with provenance, JSON, Accelergy files read back by the Timeloop reader."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from loopscape.arch.zoo import eyeriss
from loopscape.cli import loopscape
from loopscape.energy.ert import build_ert
from loopscape.io import load_specs
from loopscape.io.accelergy import component_paths
from loopscape.io.native import to_native_yaml
from loopscape.io.spec_yaml import load_yaml_file
from loopscape.io.timeloop import ert_overrides, read_art, read_ert, to_timeloop_yaml

NATIVE_ARCH = """
architecture:
  name: small
  technology: 45nm
  levels:
    - {name: DRAM, class: DRAM, block_size: 4}
    - {name: Buffer, class: SRAM, entries: 1024, block_size: 4}
    - {name: RF, class: regfile, instances: 4, mesh_x: 2, entries: 64}
"""


def run(*args: str):
    return CliRunner().invoke(loopscape, list(args))


def write(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_eyeriss_is_the_timeloop_paper_fig4_organisation():
    arch = eyeriss()
    dram, gbuf, rf = arch.levels
    assert (dram.cls, gbuf.cls, rf.cls) == ("DRAM", "SRAM", "regfile")
    assert gbuf.capacity_bits == 128 * 1024 * 8  # sizeKB = 128
    assert (rf.instances, rf.mesh, rf.entries) == (256, (16, 16), 256)
    assert arch.compute.instances == 256
    assert {lv.word_bits for lv in arch.levels} | {arch.compute.word_bits} == {16}


def test_energy_eyeriss_prints_ert_and_art_with_estimators():
    result = run("energy", "eyeriss")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ERT" in out and "ART" in out and "pJ/word" in out and "um^2 total" in out
    table = build_ert(eyeriss())
    for name in ("DRAM", "GBuf", "RFile", "MAC"):
        assert name in out
    for how in table.provenance.values():
        assert how.split("\n")[0][:30] in out  # every estimator that produced an entry is named


def test_energy_json_keys_and_provenance(tmp_path):
    out = tmp_path / "e.json"
    result = run("energy", "eyeriss", "--json", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert {"architecture", "technology", "ert", "art", "total_area_um2", "provenance"} <= set(doc)
    assert doc["architecture"] == "eyeriss"
    assert set(doc["ert"]) == set(doc["art"]) == {"DRAM", "GBuf", "RFile", "MAC"}
    table = build_ert(eyeriss())
    for name in ("DRAM", "GBuf", "RFile"):
        entry = doc["ert"][name]
        assert set(entry["actions"]) == {"read", "fill", "update", "gated", "network_hop"}
        assert entry["actions"]["gated"]["pj_per_access"] == pytest.approx(table.level(name).gated_read)
        for action in ("read", "fill", "update"):
            e = entry["actions"][action]
            assert e["pj_per_access"] == pytest.approx(getattr(table.level(name), action))
            assert e["pj_per_word"] == pytest.approx(e["pj_per_access"] / entry["block_size"])
            assert e["estimator"]
        hop = entry["actions"]["network_hop"]  # one word over one hop of the network below the level
        assert hop["pj_per_word"] == pytest.approx(table.network[name]) and table.network[name] > 0
        assert hop["estimator"]
    assert doc["ert"]["MAC"]["actions"]["mac"]["pj_per_access"] == pytest.approx(table.compute)
    rf = doc["art"]["RFile"]
    assert rf["instances"] == 256 and rf["um2_total"] == pytest.approx(256 * rf["um2_per_instance"])
    assert doc["total_area_um2"] == pytest.approx(sum(a["um2_total"] for a in doc["art"].values()))
    assert doc["provenance"] and all(isinstance(v, str) and v for v in doc["provenance"].values())
    assert doc["provenance"] == {k: str(v) for k, v in table.provenance.items()}


def test_json_to_stdout_is_only_json():
    result = run("energy", "eyeriss", "--json", "-")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["architecture"] == "eyeriss"


def test_tech_option_changes_the_node():
    at65 = json.loads(run("energy", "eyeriss", "--json", "-").stdout)
    at16 = json.loads(run("energy", "eyeriss", "--tech", "16nm", "--json", "-").stdout)
    assert at65["technology"] == "65nm" and at16["technology"] == "16nm"
    # On-chip storage, arithmetic and area shrink at the smaller node.
    assert (
        at16["ert"]["GBuf"]["actions"]["read"]["pj_per_access"]
        < at65["ert"]["GBuf"]["actions"]["read"]["pj_per_access"]
    )
    assert (
        at16["ert"]["MAC"]["actions"]["mac"]["pj_per_access"]
        < at65["ert"]["MAC"]["actions"]["mac"]["pj_per_access"]
    )
    assert at16["total_area_um2"] < at65["total_area_um2"]


def test_spec_files_native_and_timeloop(tmp_path):
    native = run("energy", write(tmp_path, "a.yaml", NATIVE_ARCH), "--json", "-")
    assert native.exit_code == 0, native.output
    doc = json.loads(native.stdout)
    assert doc["architecture"] == "small" and doc["ert"]["Buffer"]["block_size"] == 4
    tl_file = tmp_path / "tl.yaml"
    tl_file.write_text(to_timeloop_yaml(arch=eyeriss()))
    timeloop = run("energy", str(tl_file), "--json", "-")
    assert timeloop.exit_code == 0, timeloop.output
    assert (
        json.loads(timeloop.stdout)["ert"]
        == json.loads(run("energy", "eyeriss", "--json", "-").stdout)["ert"]
    )


def test_native_component_and_attributes(tmp_path):
    """A level names its component class and attributes; the table follows them, the writer keeps them."""
    text = NATIVE_ARCH.replace(
        "{name: DRAM, class: DRAM,", "{name: DRAM, class: DRAM, attributes: {type: HBM2},"
    )
    text = text.replace(
        "entries: 1024,", "entries: 1024, component: smartbuffer_SRAM, attributes: {n_banks: 4},"
    )
    text += "  compute: {name: MAC, instances: 4, mesh_x: 2, component: mac, attributes: {bits: 8}}\n"
    arch = load_specs([write(tmp_path, "a.yaml", text)]).arch
    dram, buffer, _ = arch.levels
    assert dram.attributes == (("type", "HBM2"),)
    assert (buffer.component, buffer.attributes) == ("smartbuffer_SRAM", (("n_banks", 4),))
    assert (arch.compute.component, arch.compute.attributes) == ("mac", (("bits", 8),))
    (tmp_path / "b.yaml").write_text(to_native_yaml(arch=arch))
    assert load_specs([tmp_path / "b.yaml"]).arch == arch
    plain = load_specs([write(tmp_path, "c.yaml", NATIVE_ARCH)]).arch
    given, default = build_ert(arch), build_ert(plain)
    assert given.level("DRAM").read < default.level("DRAM").read  # HBM2 costs less per bit than LPDDR4
    assert given.compute < default.compute  # an 8-bit MAC instead of a 16-bit one
    assert "HBM2" in given.provenance["DRAM.read"]


# --- Accelergy's ERT.yaml / ART.yaml, read back by loopscape's Timeloop reader -------------------------


@pytest.mark.parametrize("tech", [None, "16nm"])
def test_accelergy_files_round_trip_through_the_timeloop_reader(tmp_path, tech):
    arch = eyeriss()
    args = ["energy", "eyeriss", "--accelergy", str(tmp_path / "acc")] + (["--tech", tech] if tech else [])
    result = run(*args)
    assert result.exit_code == 0, result.output
    table = build_ert(arch, technology=tech)
    ert_doc = load_yaml_file(tmp_path / "acc" / "ERT.yaml")
    art_doc = load_yaml_file(tmp_path / "acc" / "ART.yaml")
    assert ert_doc["ERT"]["version"] == art_doc["ART"]["version"] == 0.4
    paths = component_paths(arch)
    assert [t["name"] for t in ert_doc["ERT"]["tables"]] == list(paths.values())
    assert paths["RFile"] == "eyeriss.RFile_array[0..255].RFile"
    actions = {a["name"] for a in ert_doc["ERT"]["tables"][0]["actions"]}
    assert actions == {
        "random_read",
        "random_fill",
        "random_update",
        "gated_read",
        "gated_fill",
        "gated_update",
    }

    ov = ert_overrides(read_ert(ert_doc["ERT"]), read_art(art_doc["ART"]), arch)
    for lv in arch.levels:
        e = table.level(lv.name)
        assert ov.levels[lv.name] == {
            "read": e.read,
            "fill": e.fill,
            "update": e.update,
            "gated_read": e.gated_read,
            "gated_fill": e.gated_fill,
            "gated_update": e.gated_update,
        }
    assert ov.compute == table.compute and ov.compute_gated == table.compute_gated
    assert ov.area == {name: table.area.get(name, 0.0) for name in paths}


def test_accelergy_files_load_with_the_timeloop_architecture(tmp_path):
    """`loopscape evaluate arch.yaml ERT.yaml ART.yaml ...` sees exactly the table `energy` printed."""
    arch = eyeriss()
    assert run("energy", "eyeriss", "--accelergy", str(tmp_path)).exit_code == 0
    (tmp_path / "arch.yaml").write_text(to_timeloop_yaml(arch=arch))
    specs = load_specs([tmp_path / "arch.yaml", tmp_path / "ERT.yaml", tmp_path / "ART.yaml"])
    table = build_ert(arch)
    assert specs.energy.levels == table.levels
    assert specs.energy.compute == table.compute
    assert {k: specs.energy.area[k] for k in table.area} == table.area


# --- errors: a message naming the file (or the argument) and the path, exit status 2 --------------------


def _assert_spec_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_unknown_architecture_name():
    _assert_spec_error(run("energy", "eyerss"), "ARCH", "'eyerss'", "did you mean 'eyeriss'")


def test_missing_spec_file(tmp_path):
    _assert_spec_error(
        run("energy", str(tmp_path / "nope.yaml")), str(tmp_path / "nope.yaml"), "no such file"
    )


def test_file_without_an_architecture(tmp_path):
    f = write(tmp_path, "w.yaml", "workload: {layer: conv2d, K: 4, C: 4, P: 4, Q: 4}\n")
    _assert_spec_error(run("energy", f), f, "architecture")


def test_negative_size(tmp_path):
    f = write(tmp_path, "a.yaml", NATIVE_ARCH.replace("entries: 1024", "entries: -1024"))
    _assert_spec_error(run("energy", f), f, "architecture.levels[1].entries")


def test_unknown_component_class(tmp_path):
    f = write(
        tmp_path,
        "a.yaml",
        NATIVE_ARCH.replace("entries: 1024,", "entries: 1024, component: smartbufer_SRAM,"),
    )
    _assert_spec_error(run("energy", f), f, "architecture.levels[1].component", "smartbufer_SRAM")


def test_negative_component_attribute(tmp_path):
    f = write(
        tmp_path, "a.yaml", NATIVE_ARCH.replace("entries: 1024,", "entries: 1024, attributes: {n_banks: -4},")
    )
    _assert_spec_error(run("energy", f), f, "architecture.levels[1].attributes.n_banks", "-4")


def test_misspelt_component_attribute(tmp_path):
    f = write(
        tmp_path, "a.yaml", NATIVE_ARCH.replace("entries: 1024,", "entries: 1024, attributes: {n_bank: 4},")
    )
    _assert_spec_error(run("energy", f), f, "architecture.levels[1].attributes.n_bank", "n_banks")


def test_unknown_technology():
    _assert_spec_error(run("energy", "eyeriss", "--tech", "3nm"), "--tech", "3nm", "(command line)")
