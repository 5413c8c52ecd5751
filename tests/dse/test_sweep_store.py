"""Sweeps into the store: metrics, resume after a real kill -9, executors giving identical stores, the CLI."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from dse_helpers import SPEC, write_spec

from loopscape.cli import loopscape
from loopscape.dse import (
    LocalExecutor,
    Store,
    StoreError,
    design_points,
    evaluate_point,
    load_sweep,
    run_sweep,
)
from loopscape.dse.evaluate import STATUS_INFEASIBLE, STATUS_OK, clear_cache


def test_metrics_are_consistent(spec_file):
    spec = load_sweep(spec_file)
    r = evaluate_point(spec, design_points(spec)[-1])
    assert r.status == STATUS_OK
    m = r.metrics
    assert m["pes"] == 16
    assert m["energy_pj"] == pytest.approx(sum(layer["energy_pj"] for layer in r.layers))
    assert m["cycles"] == sum(layer["cycles"] for layer in r.layers)
    macs = sum(layer["ops"] for layer in r.layers)  # all three layers are MAC layers
    assert m["ops"] == 2 * macs
    assert m["fj_per_op"] == pytest.approx(m["energy_pj"] * 1e3 / m["ops"])
    assert m["tops_per_w"] == pytest.approx(1e3 / m["fj_per_op"])
    assert 0 < m["dram_energy_pj"] < m["energy_pj"]
    assert m["onchip_fj_per_op"] == pytest.approx((m["energy_pj"] - m["dram_energy_pj"]) * 1e3 / m["ops"])
    assert m["tops_per_mm2"] == pytest.approx(m["ops"] / m["latency_s"] / 1e12 / m["area_mm2"])
    assert m["edp"] == pytest.approx(m["energy_pj"] * m["cycles"])
    assert 0 < m["utilization"] <= 1
    assert m["utilization"] == pytest.approx(macs / (m["cycles"] * 16))
    assert [layer["layer"] for layer in r.layers] == ["conv1", "conv2", "fc"]
    assert all("loops" in json.dumps(layer["mapping"]) or layer["mapping"] for layer in r.layers)


def test_infeasible_point_is_recorded_with_its_reason(tmp_path):
    # a row-stationary Eyeriss whose register file holds 1 word cannot keep a filter row, an input row and a psum
    text = SPEC.replace("RFile.entries: [16, 64]", "RFile.entries: 1\n    preset: template")
    spec = load_sweep(write_spec(tmp_path, text))
    r = evaluate_point(spec, design_points(spec)[0])
    assert r.status == STATUS_INFEASIBLE and r.metrics is None and "tiny" in r.error


def test_store_refuses_another_evaluation(tmp_path, spec_file):
    spec = load_sweep(spec_file)
    other = load_sweep(write_spec(tmp_path, SPEC.replace("budget: 64", "budget: 32"), "other.yaml"))
    with Store(tmp_path / "s.db") as store:
        store.bind(spec)
        store.bind(spec)  # the same evaluation: fine
        with pytest.raises(StoreError, match="another evaluation"):
            store.bind(other)
    (tmp_path / "junk.db").write_text("not sqlite at all, just text " * 100)
    with pytest.raises(StoreError):
        Store(tmp_path / "junk.db")


def _count(path) -> int:
    try:
        with sqlite3.connect(path, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM points").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def test_kill_9_then_resume_gives_the_uninterrupted_store(tmp_path, spec_file):
    spec = load_sweep(spec_file)
    total = spec.space_size
    reference = run_sweep(spec, tmp_path / "ref.db")
    assert reference.evaluated == total
    killed = tmp_path / "killed.db"
    cmd = [
        sys.executable,
        "-m",
        "loopscape",
        "sweep",
        str(spec_file),
        "--store",
        str(killed),
        "--workers",
        "1",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(killed) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    survived = _count(killed)
    assert 3 <= survived < total, "the sweep finished before it could be killed"
    clear_cache()  # the resumed points are searched afresh, not taken from the reference run's cache
    resumed = run_sweep(spec, killed)
    assert resumed.skipped == survived and resumed.evaluated == total - survived  # nothing repeated
    with Store(tmp_path / "ref.db") as a, Store(killed) as b:
        assert b.snapshot() == a.snapshot()  # nothing lost, the same values
        assert b.meta() == a.meta()


def test_process_pool_and_local_dask_cluster_give_identical_stores(tmp_path, spec_file):
    distributed = pytest.importorskip("distributed")
    from loopscape.dse import DaskExecutor

    spec = load_sweep(spec_file)
    run_sweep(spec, tmp_path / "one.db")
    clear_cache()  # nothing cached is inherited by the forked workers or used by the Dask threads
    run_sweep(spec, tmp_path / "pool.db", LocalExecutor(2))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:  # fmt: skip
        summary = run_sweep(spec, tmp_path / "dask.db", DaskExecutor(cluster.scheduler_address))
        clear_cache()
        args = [
            "sweep",
            str(spec_file),
            "--store",
            str(tmp_path / "cli.db"),
            "--scheduler",
            cluster.scheduler_address,
        ]
        cli = CliRunner().invoke(loopscape, args)
    assert summary.evaluated == spec.space_size
    assert cli.exit_code == 0, cli.output
    assert "16 evaluated on the Dask cluster at" in cli.output
    with (
        Store(tmp_path / "one.db") as one,
        Store(tmp_path / "pool.db") as pool,
        Store(tmp_path / "dask.db") as dask,
    ):
        assert len(one.snapshot()) == spec.space_size
        assert pool.snapshot() == one.snapshot()
        assert dask.snapshot() == one.snapshot()
    with Store(tmp_path / "cli.db") as cli_store, Store(tmp_path / "one.db") as one:
        assert cli_store.snapshot() == one.snapshot()


def test_cli_sweep_pareto_csv_and_plots(tmp_path, spec_file):
    store = tmp_path / "s.db"
    runner = CliRunner()
    first = runner.invoke(loopscape, ["sweep", str(spec_file), "--store", str(store), "--workers", "1"])
    assert first.exit_code == 0, first.output
    assert "16 evaluated" in first.output
    again = runner.invoke(loopscape, ["sweep", str(spec_file), "--store", str(store), "--workers", "1"])
    assert "16 already in" in again.output and "0 evaluated" in again.output
    csv, png, svg = tmp_path / "all.csv", tmp_path / "front.png", tmp_path / "front.svg"
    out = runner.invoke(loopscape, ["pareto", str(store), "--x", "tops_per_mm2", "--y", "fj_per_op",
                                    "--csv", str(csv), "--plot", str(png)])  # fmt: skip
    assert out.exit_code == 0, out.output
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    assert header[:6] == ["id", "pe_x", "pe_y", "technology", "GBuf.size_kb", "RFile.entries"]
    assert len(lines) == 17 and header[-1] == "pareto"
    on_front = [line.split(",")[0] for line in lines[1:] if line.endswith(",1")]
    assert on_front and all(i[:8] in out.output for i in on_front)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = runner.invoke(loopscape, ["pareto", str(store), "--x", "energy_pj", "--y", "cycles",
                                    "--objective", "area_mm2", "--plot", str(svg)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "<svg" in svg.read_text()[:1000]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--x", "speed"], "--x"),
        (["--plot", "front.pdf"], "--plot"),
    ],
)
def test_cli_pareto_errors_exit_2(tmp_path, spec_file, args, message):
    store = tmp_path / "s.db"
    with Store(store) as db:
        db.bind(load_sweep(spec_file))
    out = CliRunner().invoke(loopscape, ["pareto", str(store), *args])
    assert out.exit_code == 2 and message in out.output


def test_cli_pareto_missing_store_exits_2(tmp_path):
    out = CliRunner().invoke(loopscape, ["pareto", str(tmp_path / "none.db")])
    assert out.exit_code == 2 and "no such store" in out.output


def test_pareto_help_lists_every_metric():
    from loopscape.dse import METRICS

    out = CliRunner().invoke(loopscape, ["pareto", "--help"], terminal_width=400)
    assert all(m in out.output for m in METRICS)


def test_cli_workers_and_scheduler_exclude_each_other(tmp_path, spec_file):
    args = [
        "sweep",
        str(spec_file),
        "--store",
        str(tmp_path / "s.db"),
        "--workers",
        "2",
        "--scheduler",
        "tcp://x:1",
    ]
    out = CliRunner().invoke(loopscape, args)
    assert out.exit_code == 2 and "--workers" in out.output
    assert not (tmp_path / "s.db").exists()


def test_cli_pareto_defaults_to_the_spec_objectives(tmp_path):
    text = SPEC.replace("  mapper:", "  objectives: [energy_pj, cycles, area_mm2]\n  mapper:")
    spec = load_sweep(write_spec(tmp_path, text))
    store = tmp_path / "s.db"
    run_sweep(spec, store)
    out = CliRunner().invoke(
        loopscape, ["pareto", str(store), "--csv", str(tmp_path / "f.csv")], terminal_width=300
    )
    assert out.exit_code == 0, out.output
    assert "energy_pj" in out.output and "cycles" in out.output and "area_mm2" in out.output
    with Store(store) as db:
        ids, values = db.metric_array(["energy_pj", "cycles", "area_mm2"])
    from loopscape.dse.pareto import pareto_mask

    expected = {i for i, m in zip(ids, pareto_mask(values)) if m}
    lines = (tmp_path / "f.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in lines if line.endswith(",1")} == expected
