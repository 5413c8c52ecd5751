"""Regenerate the SCALE-Sim 3.0.0 reference data in tests/data/scalesim/ (issue 8).

Runs the real SCALE-Sim (its CLI, ``python -m scalesim.scale``) from a separate
environment (default /work/scalesimvenv: ``python -m venv /work/scalesimvenv &&
/work/scalesimvenv/bin/pip install scalesim==3.0.0 'numpy<2.4'``) on every case of the
reference set: layer class x array size x dataflow x bandwidth mode.

For each case, tests/data/scalesim/<case>/ receives:
  scale.cfg, topology.csv, layout.csv   the exact inputs
  COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv   scalesim's reports
  COMMAND.txt    the command line, scalesim and numpy versions
  RUN.txt        wall time (s) and peak RSS (kB) of the run, from /usr/bin/time -v
  time.txt       the full /usr/bin/time -v output
The per-cycle traces scalesim always writes (its CLI cannot turn them off) are deleted.

Usage:
  python benchmarks/scalesim_reference.py [--python /work/scalesimvenv/bin/python]
      [--arrays 8,32,128] [--dataflows os,ws,is] [--modes CALC,USER] [--layers a,b]
      [--suite small|extra|all] [--jobs 2] [--timeout S] [--force] [--list]
Existing case folders with a COMPUTE_REPORT.csv are skipped unless --force.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "scalesim"
DEFAULT_PYTHON = "/work/scalesimvenv/bin/python"

# SRAM sizes (kB) and bandwidths used by every case; small SRAMs on purpose so that
# SCALE-Sim's set-based buffers re-fetch from DRAM for the larger operands.
IFMAP_KB = 4
FILTER_KB = 4
OFMAP_KB = 2
USER_BANDWIDTH = 4  # [architecture_presets] Bandwidth: USER mode OFMAP drain
USER_BANK_BANDWIDTH = 8  # [layout] Ifmap/FilterSRAMBankBandwidth: USER mode IFMAP/FILTER DRAM

# name -> (input type, header, row or rows).  Conv rows: name, IFMAP H, IFMAP W, Filter H,
# Filter W, Channels, Num Filter, Strides.  GEMM rows: name, M, N, K.
LAYERS = {
    # AlexNet conv1-like, shrunk: 31x31x3 ifmap, 11x11 filter, 8 filters, stride 4 -> 6x6
    "conv_large": ("conv", "conv", "conv_large, 31, 31, 11, 11, 3, 8, 4,"),
    # 3x3 conv: 10x10x16 ifmap, 16 filters, stride 1 -> 8x8
    "conv3x3": ("conv", "conv", "conv3x3, 10, 10, 3, 3, 16, 16, 1,"),
    # 1x1 conv, stride 2: 14x14x32 ifmap, 32 filters -> 7x7
    "conv1x1_s2": ("conv", "conv", "conv1x1_s2, 14, 14, 1, 1, 32, 32, 2,"),
    # FC 256 -> 64 as a 1x1 conv on a 1x1 ifmap (SCALE-Sim's way)
    "fc": ("conv", "conv", "fc, 1, 1, 1, 1, 256, 64, 1,"),
    # GEMM M=64, N=48, K=40 (gemm topology mode)
    "gemm": ("gemm", "gemm", "gemm, 64, 48, 40,"),
}
ALEXNET_CONVS = [
    "conv1, 227, 227, 11, 11, 3, 96, 4,",
    "conv2, 31, 31, 5, 5, 96, 256, 1,",
    "conv3, 15, 15, 3, 3, 256, 384, 1,",
    "conv4, 15, 15, 3, 3, 384, 384, 1,",
    "conv5, 15, 15, 3, 3, 384, 256, 1,",
]
ALEXNET_FCS = [
    "fc6, 6, 6, 6, 6, 256, 4096, 1,",
    "fc7, 1, 1, 1, 1, 4096, 4096, 1,",
    "fc8, 1, 1, 1, 1, 4096, 1000, 1,",
]
# Extra suite ("--suite extra"): 64 kB SRAMs (SCALE-Sim's stock scale.cfg sizes).
EXTRA_LAYERS = {
    # the four conv classes in one topology: per-layer rows, state across layers
    "multi": ("conv", "conv", [LAYERS[k][2] for k in ("conv_large", "conv3x3", "conv1x1_s2", "fc")]),
    # the real AlexNet conv1 (227x227x3 already padded, 11x11, 96 filters, stride 4 -> 55x55):
    # the benchmark-size case (tens of seconds, hundreds of MB in SCALE-Sim)
    "alexnet_conv1": ("conv", "conv", "conv1, 227, 227, 11, 11, 3, 96, 4,"),
    # the real AlexNet conv2 (27x27x96 padded to 31x31, 5x5, 256 filters) -> minutes
    "alexnet_conv2": ("conv", "conv", "conv2, 31, 31, 5, 5, 96, 256, 1,"),
    # AlexNet's five conv layers (ungrouped, ifmaps padded) and the whole network with its three FC layers
    # as SCALE-Sim runs FCs (1 x 1 ifmaps, or the 6 x 6 one of fc6): the benchmark's network-size jobs
    # (SCALE-Sim: many minutes and GBs; not in EXTRA_CASES, too slow to regenerate routinely)
    "alexnet_convs": ("conv", "conv", ALEXNET_CONVS),
    "alexnet": ("conv", "conv", ALEXNET_CONVS + ALEXNET_FCS),
    # a mid-size GEMM (gemm mode) with the 64 kB SRAMs: M = N = K = 128
    "gemm_mid": ("gemm", "gemm", "gemm_mid, 128, 128, 128,"),
}
EXTRA_SRAM_KB = (64, 64, 64)
ALL_LAYERS = {**LAYERS, **EXTRA_LAYERS}
EXTRA_CASES = (
    [("multi", n, d, m) for n in (8, 32, 128) for d in ("os", "ws", "is") for m in ("CALC", "USER")]
    + [("alexnet_conv1", 32, d, m) for d in ("os", "ws", "is") for m in ("CALC", "USER")]
    + [("alexnet_conv1", 128, d, m) for d in ("os", "ws", "is") for m in ("CALC", "USER")]
    + [("alexnet_conv1", 8, "os", "CALC")]
    + [("alexnet_conv2", 32, d, "CALC") for d in ("os", "ws", "is")]
    + [("alexnet_conv2", 32, "os", "USER")]
    + [("gemm_mid", n, d, m) for n in (8, 32, 128) for d in ("os", "ws", "is") for m in ("CALC", "USER")]
)
CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"
)
GEMM_HEADER = "Layer, M, N, K,"

ARRAYS = [8, 32, 128]
DATAFLOWS = ["os", "ws", "is"]
MODES = ["CALC", "USER"]

CFG_TEMPLATE = """[general]
run_name = {run_name}

[architecture_presets]
ArrayHeight : {rows}
ArrayWidth : {cols}
IfmapSramSzkB : {ifmap_kb}
FilterSramSzkB : {filter_kb}
OfmapSramSzkB : {ofmap_kb}
IfmapOffset : 0
FilterOffset : 10000000
OfmapOffset : 20000000
Bandwidth : {bandwidth}
Dataflow : {dataflow}
MemoryBanks : 1
ReadRequestBuffer : 32
WriteRequestBuffer : 32

[layout]
IfmapCustomLayout : False
IfmapSRAMBankBandwidth : {bank_bw}
IfmapSRAMBankNum : 1
IfmapSRAMBankPort : 2
FilterCustomLayout : False
FilterSRAMBankBandwidth : {bank_bw}
FilterSRAMBankNum : 1
FilterSRAMBankPort : 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth : {mode}
UseRamulatorTrace : False
"""

REPORTS = ["COMPUTE_REPORT.csv", "BANDWIDTH_REPORT.csv", "DETAILED_ACCESS_REPORT.csv"]


def case_name(layer: str, array: int, dataflow: str, mode: str) -> str:
    return f"{layer}_{array}x{array}_{dataflow}_{mode.lower()}"


def sram_kb(layer: str) -> tuple[int, int, int]:
    return EXTRA_SRAM_KB if layer in EXTRA_LAYERS else (IFMAP_KB, FILTER_KB, OFMAP_KB)


def cfg_text(
    array: int,
    dataflow: str,
    mode: str,
    run_name: str = "run",
    sram: tuple[int, int, int] = (IFMAP_KB, FILTER_KB, OFMAP_KB),
) -> str:
    return CFG_TEMPLATE.format(
        run_name=run_name,
        rows=array,
        cols=array,
        ifmap_kb=sram[0],
        filter_kb=sram[1],
        ofmap_kb=sram[2],
        bandwidth=USER_BANDWIDTH,
        dataflow=dataflow,
        bank_bw=USER_BANK_BANDWIDTH,
        mode=mode,
    )


def topology_text(layer: str) -> str:
    kind, _, rows = ALL_LAYERS[layer]
    rows = [rows] if isinstance(rows, str) else rows
    return (CONV_HEADER if kind == "conv" else GEMM_HEADER) + "\n" + "\n".join(rows) + "\n"


def versions(python: str) -> str:
    code = (
        "import importlib.metadata as m, numpy, sys;"
        "print('scalesim', m.version('scalesim'), 'numpy', numpy.__version__,"
        " 'python', sys.version.split()[0])"
    )
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def parse_time_v(text: str) -> tuple[float, int]:
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    secs = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            secs = secs * 60 + float(part)
    return secs, int(rss.group(1)) if rss else -1


def run_case(
    python: str,
    layer: str,
    array: int,
    dataflow: str,
    mode: str,
    vers: str,
    force: bool = False,
    timeout: float | None = None,
) -> str:
    name = case_name(layer, array, dataflow, mode)
    out = DATA / name
    if (out / "COMPUTE_REPORT.csv").exists() and not force:
        return f"{name}: kept"
    kind = ALL_LAYERS[layer][0]
    with tempfile.TemporaryDirectory(prefix="scalesim_") as tmp:
        tmp = Path(tmp)
        (tmp / "scale.cfg").write_text(cfg_text(array, dataflow, mode, sram=sram_kb(layer)))
        (tmp / "topology.csv").write_text(topology_text(layer))
        (tmp / "layout.csv").write_text("Layer name,\n")  # loaded even when unused
        cmd = [
            python,
            "-m",
            "scalesim.scale",
            "-c",
            "scale.cfg",
            "-t",
            "topology.csv",
            "-l",
            "layout.csv",
            "-p",
            "results",
            "-i",
            kind,
        ]
        t0 = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-v", *cmd],
            check=False,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        elapsed = time.perf_counter() - t0
        res = tmp / "results" / "run"
        if proc.returncode != 0 or not (res / "COMPUTE_REPORT.csv").exists():
            return f"{name}: FAILED rc={proc.returncode}\n{proc.stderr[-2000:]}"
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        for f in ["scale.cfg", "topology.csv", "layout.csv"]:
            shutil.copy(tmp / f, out / f)
        for f in REPORTS:
            shutil.copy(res / f, out / f)
        wall, rss = parse_time_v(proc.stderr)
        (out / "time.txt").write_text(proc.stderr[proc.stderr.find("\tCommand being timed") :])
        (out / "RUN.txt").write_text(
            f"wall_s = {wall:.2f}\npeak_rss_kb = {rss}\npython_wall_s = {elapsed:.2f}\n"
        )
        (out / "COMMAND.txt").write_text(
            "cd <case dir>  # inputs: scale.cfg topology.csv layout.csv\n"
            + " ".join(["python", *cmd[1:]])
            + "\n"
            + "# reports copied from results/run/; per-cycle traces (layer*/) deleted\n"
            + f"# {vers}\n"
        )
        return f"{name}: {wall:.1f} s, {rss / 1024:.0f} MiB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default=DEFAULT_PYTHON, help="python of the scalesim 3.0.0 env")
    ap.add_argument("--arrays", default=",".join(map(str, ARRAYS)))
    ap.add_argument("--dataflows", default=",".join(DATAFLOWS))
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--layers", default=",".join(LAYERS))
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2)))
    ap.add_argument("--timeout", type=float, default=None, help="seconds per run")
    ap.add_argument(
        "--suite",
        choices=["small", "extra", "all"],
        default="small",
        help="small: the 90-case reference set; extra: 64 kB SRAMs, a multi-layer "
        "topology and real AlexNet layers (slow); --arrays etc. filter both",
    )
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument(
        "--table",
        action="store_true",
        help="print a markdown table of the recorded run times and peak memory and exit",
    )
    a = ap.parse_args(argv)
    small = [
        (l, int(n), d, m)
        for n in a.arrays.split(",")
        for l in a.layers.split(",")
        for d in a.dataflows.split(",")
        for m in a.modes.split(",")
        if l in LAYERS
    ]
    extra = [
        c
        for c in EXTRA_CASES
        if str(c[1]) in a.arrays.split(",")
        and c[2] in a.dataflows.split(",")
        and c[3] in a.modes.split(",")
        and (a.layers == ",".join(LAYERS) or c[0] in a.layers.split(","))
    ]
    cases = {"small": small, "extra": extra, "all": small + extra}[a.suite]
    if a.table:
        print("| case | wall s | peak RSS MiB |\n|---|---|---|")
        for c in cases:
            run = DATA / case_name(*c) / "RUN.txt"
            if run.exists():
                kv = dict(line.split(" = ") for line in run.read_text().splitlines() if " = " in line)
                print(
                    f"| {case_name(*c)} | {float(kv['wall_s']):.1f} | {int(kv['peak_rss_kb']) / 1024:.0f} |"
                )
            else:
                print(f"| {case_name(*c)} | missing | |")
        return 0
    if a.list:
        for c in cases:
            print(case_name(*c))
        return 0
    vers = versions(a.python)
    print(vers, flush=True)
    fails = 0
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        futs = [ex.submit(run_case, a.python, *c, vers, a.force, a.timeout) for c in cases]
        for f in cf.as_completed(futs):
            try:
                msg = f.result()
            except subprocess.TimeoutExpired as e:
                msg = f"TIMEOUT {e}"
            fails += "FAILED" in msg or "TIMEOUT" in msg
            print(msg, flush=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
