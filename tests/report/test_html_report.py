"""The HTML report: self-contained (nothing fetched), its numbers are the run's, and it renders in headless
Chromium with no console errors (Debian's chromium; .ci/run installs it when it can and then sets
LOOPSCAPE_REQUIRE_BROWSER=1, which turns a missing browser into a failure instead of a skip)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from loopscape.cli import loopscape
from loopscape.report.html import html_report
from loopscape.report.plots import energy_by, layers_of

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(loopscape, ["demo", "--out", str(out), "--budget", "100"])
    assert res.exit_code == 0, res.output
    return json.loads((out / "result.json").read_text()), out / "report.html"


def test_report_is_self_contained_and_shows_the_runs_numbers(demo) -> None:
    doc, page_path = demo
    page = page_path.read_text(encoding="utf-8")
    # nothing to fetch: no scripts, stylesheets, images or fonts from anywhere
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\((?!#)", page)  # url(#id): in-page refs
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", page)
    assert (
        page.count("<svg") == 4
    )  # the four plots (energy by level and by tensor, utilisation, area), inline
    area = doc["area_um2_by_level"]
    assert f"{sum(area.values()) / 1e6:,.4f}" in page
    totals = doc["totals"]
    for text in (f"{totals['cycles']:,}", f"{totals['energy_pj'] / 1e6:,.3f} µJ", f"{totals['macs']:,}"):
        assert text in page
    for layer in doc["layers"]:
        assert f"<td>{layer['name']}</td>" in page and f"{layer['cycles']:,}" in page
        assert html.escape(layer["loop_nest"]) in page  # each best mapping's loop nest is shown


def test_energy_split_adds_up(demo) -> None:
    doc, _ = demo
    for layer in layers_of(doc):
        for key in ("level", "tensor", "action"):
            assert sum(energy_by(layer, key).values()) == pytest.approx(layer["energy_pj"], rel=1e-9)


def test_report_command_and_bad_input(demo, tmp_path) -> None:
    doc, page_path = demo
    result = page_path.with_name("result.json")
    runner = CliRunner()
    res = runner.invoke(loopscape, ["report", str(result), "--html", str(tmp_path / "r.html"),
                                    "--plots", str(tmp_path / "plots")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.html").read_text().count("<svg") == 4
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(
        f"{n}.{ext}"
        for n in ("energy_by_level", "energy_by_tensor", "energy_by_action", "utilization", "area")
        for ext in ("png", "svg")
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"layers": [{"cycles": 1}]}))
    res = runner.invoke(loopscape, ["report", str(bad), "--html", str(tmp_path / "x.html")])
    assert res.exit_code == 2 and str(bad) in res.stderr and "layers[0].energy_pj" in res.stderr
    assert "Traceback" not in res.output
    assert html_report(doc).startswith("<!DOCTYPE html>")


def _browser() -> str | None:
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def test_renders_in_headless_chromium(demo, tmp_path) -> None:
    browser = _browser()
    if browser is None:
        if os.environ.get("LOOPSCAPE_REQUIRE_BROWSER") == "1":
            pytest.fail("no Chromium found though .ci/run installed one")
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    doc, page_path = demo
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page_path.resolve().as_uri()]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    # it rendered: the DOM Chromium built holds the tables, the plots and the main numbers
    assert "<table" in dom and dom.count("<svg") == 4
    assert f"{doc['totals']['cycles']:,}" in dom and "alexnet on eyeriss" in dom
    console_errors = [
        ln for ln in proc.stderr.splitlines() if "CONSOLE" in ln and ("ERROR" in ln or "Uncaught" in ln)
    ]
    assert not console_errors, console_errors
    failed_loads = [
        ln for ln in proc.stderr.splitlines() if "net::ERR" in ln or "Failed to load resource" in ln
    ]
    assert not failed_loads, failed_loads


def test_store_report(tmp_path) -> None:
    """A sweep's results store reports as one self-contained page: the counts, the front plot, the front's
    points and the best point in each objective."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "dse"))
    from dse_helpers import write_spec

    spec = write_spec(tmp_path)
    store = tmp_path / "s.db"
    runner = CliRunner()
    res = runner.invoke(loopscape, ["sweep", str(spec), "--store", str(store), "--workers", "1"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(loopscape, ["report", str(store), "--html", str(tmp_path / "s.html")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "s.html").read_text()
    assert "design points" in page and "16" in page and page.count("<svg") == 1
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\((?!#)", page)
    assert "Points on the front" in page and "Best point in each objective" in page
