"""SCALE-Sim 3.0.0 against `loopscape systolic` on the same job, in one run: wall time and peak memory (issue 8).

The acceptance point: loopscape at least 1,000x faster than SCALE-Sim and using at least 50x less memory.

Job. By default the real AlexNet conv1 (227x227x3 padded ifmap, 11x11, 96 filters, stride 4) on a 32x32
output-stationary array with 64 kB SRAMs, CALC bandwidth mode: the `alexnet_conv1_32x32_os_calc` case of
benchmarks/scalesim_reference.py (--layer, --array, --dataflow, --mode pick another point of that script's
layer set), or any SCALE-Sim input pair given with --config CFG --topology CSV [--input-type conv|gemm].

SCALE-Sim side: `python -m scalesim.scale -c CFG -t CSV -l LAYOUT -p DIR -i conv|gemm` run with the python of
a scalesim 3.0.0 environment (--scalesim, default /work/scalesimvenv/bin/python; build it with
`python -m venv /work/scalesimvenv && /work/scalesimvenv/bin/pip install scalesim==3.0.0 'numpy<2.4'`), in a
temporary directory. Its CLI always writes per-cycle traces (it cannot turn them off): that is part of what
its users pay, so it is timed. Wall time: the child process; peak memory: the child's ru_maxrss (os.wait4).

Each tool measured twice, the same way:
  * process: the command as users run it (SCALE-Sim's CLI, which always writes per-cycle traces; `python -m
    loopscape systolic ... --out DIR`) as a child process: wall time and the child's peak RSS, interpreter
    start and imports included;
  * job: a child process of the tool's own python that imports the tool first (loopscape also runs a tiny
    layer once, loading its compiled kernels), then runs the job once through the library (SCALE-Sim:
    `scalesim(save_disk_space=True)`, no traces; loopscape: every figure of the three reports, written):
    the job's wall time and the growth of the child's peak RSS over the post-import baseline.
Ratios SCALE-Sim / loopscape are printed for both. When loopscape's systolic command or package is missing,
it says so and prints SCALE-Sim's side only; when SCALE-Sim's python is missing, loopscape's side only. It
never prints a number for a tool it did not run. Exit status 0 either way (2 for bad arguments).

The three reports of both tools are also compared field by field (per layer, by column name); fields that
loopscape leaves empty (not modelled) are counted apart.

Run: python benchmarks/bench_systolic.py [--scalesim PY] [--layer alexnet_conv1] [--array 32]
     [--dataflow os|ws|is] [--mode CALC|USER] [--config CFG --topology CSV [--input-type conv|gemm]]
     [--keep DIR]
A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
if (ROOT / "src").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

import scalesim_reference as ref

REPORTS = ("COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv")


def run_child(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[int, float, int, str]:
    """Run cmd; return (status, wall seconds, peak RSS in kB of that child, stderr tail)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # read stderr first so a chatty child cannot block, then reap it with its own rusage
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    return proc.returncode, wall, rss_kb, err[-2000:]


def read_report(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0]]
    return [{h: v.strip() for h, v in zip(head, r) if h} for r in rows[1:] if any(x.strip() for x in r)]


def compare(ss_dir: Path, ls_dir: Path) -> tuple[int, int, int, list[str]]:
    """(equal, different, not modelled, first differences) over the fields both reports have."""
    equal = diff = empty = 0
    notes: list[str] = []
    for name in REPORTS:
        if not (ss_dir / name).exists() or not (ls_dir / name).exists():
            notes.append(f"{name}: missing on one side")
            continue
        a, b = read_report(ss_dir / name), read_report(ls_dir / name)
        for i, (ra, rb) in enumerate(zip(a, b)):
            for key, va in ra.items():
                if key in ("LayerID", "Layer name") or key not in rb:
                    continue
                vb = rb[key]
                if vb == "":
                    empty += 1
                    continue
                try:
                    same = abs(float(va) - float(vb)) <= 1e-9 * max(1.0, abs(float(va)))
                except ValueError:
                    same = va == vb
                if same:
                    equal += 1
                else:
                    diff += 1
                    if len(notes) < 8:
                        notes.append(f"{name} layer {i} {key}: scalesim {va}, loopscape {vb}")
    return equal, diff, empty, notes


# The job alone, in a child process of each tool: imports (and for loopscape one warm-up run on a tiny layer,
# which loads its compiled kernels) happen before the clock and the memory baseline; then the job runs once.
# Memory is the growth of the child's peak RSS over that baseline, so both tools pay only for the job.
SCALESIM_JOB = """
import json, resource, sys, time
from scalesim.scale_sim import scalesim
cfg, topo, layout, out, kind = sys.argv[1:6]
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
             input_type_gemm=kind == "gemm")
s.run_scale(top_path=out)
t1 = time.perf_counter()
print(json.dumps({"wall": t1 - t0, "rss0_kb": rss0,
                  "rss1_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

LOOPSCAPE_JOB = """
import json, resource, sys, time
from dataclasses import replace
from pathlib import Path
from loopscape.systolic.config import Layer, read_config, read_topology
from loopscape.systolic.model import evaluate
from loopscape.systolic.reports import layer_record, write_reports
from loopscape.systolic.run import run_layers
cfg, topo, out, kind = sys.argv[1:5]

def job(config, layers, out):
    result = evaluate(config, layers)
    runs = run_layers(config, layers, result)
    write_reports([layer_record(result, i, la.name, run) for i, (la, run) in enumerate(zip(layers, runs))], out)

config = read_config(cfg)
# load every compiled kernel once (both modes, buffers small enough that the replays run)
tiny = replace(config, ifmap_sram_kb=1, filter_sram_kb=1, ofmap_sram_kb=1, bandwidth=(4,))
for mode in ("CALC", "USER"):
    job(replace(tiny, interface_bandwidth=mode), [Layer("warm", 12, 12, 3, 3, 8, 16, 1)], Path(out) / "warm")
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
job(read_config(cfg), read_topology(topo, kind).layers, out)
t1 = time.perf_counter()
print(json.dumps({"wall": t1 - t0, "rss0_kb": rss0,
                  "rss1_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def job_child(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int] | str:
    """(job seconds, peak-RSS growth in bytes) printed by a job child, or its error text."""
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return proc.stderr[-2000:]
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    return doc["wall"], max(0, doc["rss1_kb"] - doc["rss0_kb"]) * 1024


def ratio_line(label: str, theirs: tuple[float, int], ours: tuple[float, int], what: str) -> str:
    mem = f"{theirs[1] / ours[1]:8.1f}x" if ours[1] > 0 else "    (no growth)"
    return f"ratio scalesim / loopscape ({label}): {theirs[0] / ours[0]:10.1f}x time  {mem} memory ({what})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scalesim", default=ref.DEFAULT_PYTHON, help="python of the scalesim 3.0.0 environment")
    ap.add_argument("--layer", default="alexnet_conv1", choices=sorted(ref.ALL_LAYERS))
    ap.add_argument("--array", type=int, default=32)
    ap.add_argument("--dataflow", default="os", choices=["os", "ws", "is"])
    ap.add_argument("--mode", default="CALC", choices=["CALC", "USER"])
    ap.add_argument("--config", help="a SCALE-Sim .cfg (with --topology) instead of a generated job")
    ap.add_argument("--topology", help="a SCALE-Sim topology CSV")
    ap.add_argument("--input-type", default="conv", choices=["conv", "gemm"])
    ap.add_argument(
        "--jobs-only",
        action="store_true",
        help="measure only the jobs (skip both commands: SCALE-Sim's CLI run doubles the wait)",
    )
    ap.add_argument("--keep", help="keep inputs and both tools' reports in this directory")
    a = ap.parse_args(argv)
    if bool(a.config) != bool(a.topology):
        ap.error("--config and --topology go together")
    if a.array <= 0:
        ap.error("--array must be positive")

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="bench_systolic_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if a.config:
            cfg, topo, kind = work / "scale.cfg", work / "topology.csv", a.input_type
            shutil.copy(a.config, cfg)
            shutil.copy(a.topology, topo)
            # SCALE-Sim writes its results under results/<run_name>/
            run_name = next(
                (
                    ln.split("=", 1)[1].strip()
                    for ln in cfg.read_text().splitlines()
                    if ln.strip().startswith("run_name")
                ),
                "run",
            )
            job = f"{a.config} + {a.topology}"
        else:
            kind, run_name = ref.ALL_LAYERS[a.layer][0], "run"
            cfg, topo = work / "scale.cfg", work / "topology.csv"
            cfg.write_text(ref.cfg_text(a.array, a.dataflow, a.mode, sram=ref.sram_kb(a.layer)))
            topo.write_text(ref.topology_text(a.layer))
            job = f"{ref.case_name(a.layer, a.array, a.dataflow, a.mode)} (benchmarks/scalesim_reference.py)"
        (work / "layout.csv").write_text("Layer name,\n")
        print(f"job: {job}")

        ss = ss_job = ls_proc = ls_job = None
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        # SCALE-Sim: its CLI as users run it (it always writes traces), then the job alone without traces
        if not Path(a.scalesim).exists():
            print(f"scalesim: not run ({a.scalesim} not found; see --scalesim)")
        else:
            layout = str(work / "layout.csv")
            cmd = [a.scalesim, "-m", "scalesim.scale", "-c", str(cfg), "-t", str(topo), "-l", layout,
                   "-p", str(work / "scalesim"), "-i", kind]  # fmt: skip
            rc, wall, rss, err = (0, 0.0, 0, "") if a.jobs_only else run_child(cmd, work)
            if not a.jobs_only and (
                rc != 0 or not (work / "scalesim" / run_name / "COMPUTE_REPORT.csv").exists()
            ):
                print(f"scalesim: failed (status {rc})\n{err}")
            else:
                if not a.jobs_only:
                    ss = (wall, rss * 1024)
                    print(f"scalesim 3.0.0 (process, CLI):   {wall:10.3f} s   peak RSS {rss / 1024:9.1f} MiB")
                got = job_child([a.scalesim, "-c", SCALESIM_JOB, str(cfg), str(topo), layout,
                                 str(work / "scalesim_job"), kind], work)  # fmt: skip
                if isinstance(got, str):
                    print(f"scalesim (job): failed\n{got}")
                else:
                    ss_job = got
                    print(
                        f"scalesim 3.0.0 (job, no traces): {got[0]:10.3f} s   RSS growth {got[1] / 2**20:9.1f} MiB"
                    )
        # loopscape: the command, then the job alone
        cmd = [sys.executable, "-m", "loopscape", "systolic", "--config", str(cfg), "--topology", str(topo),
               "--input-type", kind, "--out", str(work / "loopscape")]  # fmt: skip
        rc, wall, rss, err = run_child(cmd, work, env)  # also writes the reports compared below
        if rc != 0:
            print(f"loopscape systolic (process): failed (status {rc})\n{err}")
        else:
            if not a.jobs_only:
                ls_proc = (wall, rss * 1024)
                print(f"loopscape (process, command):    {wall:10.3f} s   peak RSS {rss / 1024:9.1f} MiB")
            got = job_child([sys.executable, "-c", LOOPSCAPE_JOB, str(cfg), str(topo), str(work / "loopscape_job"),
                             kind], work, env)  # fmt: skip
            if isinstance(got, str):
                print(f"loopscape (job): failed\n{got}")
            else:
                ls_job = got
                print(
                    f"loopscape (job):                 {got[0]:10.3f} s   RSS growth {got[1] / 2**20:9.1f} MiB"
                )
        if ss and ls_proc:
            print(ratio_line("process", ss, ls_proc, "peak RSS"))
        if ss_job and ls_job:
            print(ratio_line("job", ss_job, ls_job, "peak-RSS growth"))
        theirs = work / ("scalesim_job" if a.jobs_only else "scalesim") / run_name
        if (ss or ss_job) and (work / "loopscape" / "COMPUTE_REPORT.csv").exists():
            eq, df, empty, notes = compare(theirs, work / "loopscape")
            print(f"reports: {eq} fields equal, {df} different, {empty} not modelled by loopscape (empty)")
            for n in notes:
                print("  " + n)
        else:
            print("comparison not run: one side is missing")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
