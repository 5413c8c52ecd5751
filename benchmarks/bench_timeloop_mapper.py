"""Mapper quality and speed on Timeloop-format inputs: timeloop-mapper against loopscape's mapper, in one run.

The acceptance point (issue 5): on Timeloop-format inputs, loopscape's mapper finds a lower EDP than
timeloop-mapper's best after 60 s on 2 threads, and finds it in a tenth of that time.

Inputs. By default the timeloop-mapper input set in tests/data/timeloop_mapper/eyeriss_like/ (an Eyeriss-like
array: DRAM, a global buffer, 12 x 14 PEs with register files, the Timeloop paper's row-stationary constraints,
an ERT), with its problem replaced by a full-size AlexNet conv layer (--layer, default conv3: C256 K384 R3 S3
P13 Q13), written as a Timeloop v0.4 problem with Timeloop's CNN-Layer shape (dimensions R S P Q C K N: K is the
output channels, Timeloop's name). Timeloop has no groups: AlexNet's grouped conv2/conv4/conv5 are given
ungrouped by default (conv2 C96 K256), or as one group's work with --per-group (conv2 C48 K128: half the
layer). --files DIR (or files) uses another input set, keeping its problem unless --layer is given.

timeloop-mapper side (when it is on PATH, or --timeloop-mapper names it): run in a temporary directory on the
same files, with the files' `mapper:` section replaced by one that keeps their other keys (algorithm, ...) and
sets optimization-metrics [edp], num-threads 2 (--threads), search-size 0 and victory-condition 0 (no stop of
its own), timeout 10^9 (no stop on consecutive invalid mappings), live-status False and log-stats True. It is
stopped after --seconds (60) with SIGINT: timeloop-mapper's handler (src/applications/mapper/main.cpp) sets a
global termination flag, each mapper thread finishes its ongoing evaluation and stops, and the application then
writes its best mapping (timeloop-mapper.map.yaml, Timeloop's mapping format) and its stats
(timeloop-mapper.stats.txt: the "Summary Stats" lines `Cycles: N`, `Energy: X uJ`, `EDP(J*cycle): Y`, as
src/model/topology.cpp prints them). A second SIGINT (abandon ongoing evaluations) follows after a grace
period, then a kill. Mappings evaluated: log-stats makes every thread print `[tid] INVALID total valid
invalid-since-last-valid` after each valid (fully evaluated) mapping; the last line per thread gives its counts.
Its best mapping is evaluated by loopscape's model (loopscape.io.load_specs + loopscape.model.evaluate), so
both tools' bests are compared in one model; Timeloop's own figures are printed beside them, and when
timeloop-model is on PATH loopscape's best mapping is also evaluated by Timeloop's model. CPU time: the
child's rusage.

loopscape side: the mapper's default search (`loopscape.mapper.search`: LOMA's mappings seed a local search)
on the same files' mapspace (constraints, one mesh axis per dimension as Timeloop mappings must), objective edp,
for a tenth of Timeloop's time (--ls-seconds, default --seconds / 10), limited to --threads threads for its
compiled batch kernel; the same as `loopscape map FILES --objective edp --time-limit S`. Its best mapping may
be uneven (per-tensor cuts: ZigZag's uneven mappings), which no Timeloop mapping can express; so the same
search steps also run with even cuts only ("loopscape even": Timeloop's mapspace; --no-even skips it), whose
best always has a Timeloop form. Wall and CPU time (process_time, all threads) cover reading the files,
building the mapspace and searching; one untimed warm-up search first loads the compiled kernels (numba's
cache), as a compiled binary needs no such step. When the best EDP was reached: each search is rerun with
shorter time limits (0.5, 1, 2, 4 s; deterministic for a seed apart from where the clock cuts it) and the
first that reaches Timeloop's EDP (or, without Timeloop, the profile) is reported.

Without timeloop-mapper it runs the loopscape side only and says that the comparison was not run; no
Timeloop figure is ever invented (the issue's "about 40 mappings per second" is quoted as an unmeasured claim).
Exit status 0 either way (2 for bad arguments or inputs).

Run: python benchmarks/bench_timeloop_mapper.py [--quick] [--layer conv1..conv5|files] [--per-group]
[--files DIR|FILES...] [--seconds 60] [--ls-seconds S] [--threads 2] [--seed 0] [--patience N] [--no-even]
[--no-ladder] [--timeloop-mapper PATH] [--no-timeloop] [--published DIR] [--workdir DIR] [--json OUT].
--quick: the input set's own small layer (AlexNet conv3 with C32 K64), Timeloop 10 s, loopscape 1 s.
--published DIR: a published timeloop-mapper run (its input, best mapping and stats) instead of a live one
(benchmarks/README.md). A benchmark, never a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import yaml

try:
    import loopscape  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from loopscape.errors import LoopscapeError, SpecError
from loopscape.io import load_specs
from loopscape.io.timeloop_writer import mapping_to_timeloop
from loopscape.mapper import Mapspace, Points, local_search, search
from loopscape.mapper.loma import loma_points, reallocate
from loopscape.model.evaluate import evaluate

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FILES = REPO / "tests" / "data" / "timeloop_mapper" / "eyeriss_like"
UNLIMITED = 2**62
WARM_UP_BUDGET = 3 * 4096  # mappings: the seeds, a few walk batches and one re-allocation
LADDER = (0.5, 1.0, 2.0, 4.0)
QUICK_LADDER = (0.25, 0.5)
SIGINT_GRACE_S = 60.0  # after the first SIGINT: time to finish ongoing evaluations and write the outputs
TIMELOOP_NO_TIMEOUT = (
    1_000_000_000  # consecutive invalid mappings before a thread gives up: never, in practice
)
ISSUE_CLAIM = (
    "timeloop-mapper fully evaluates only about 40 mappings per second on an AlexNet conv layer on an "
    "Eyeriss-like design"
)
# AlexNet's conv layers (Krizhevsky et al. 2012) in Timeloop's CNN-Layer names; conv2, conv4 and conv5 ungrouped.
ALEXNET = {
    "conv1": {"C": 3, "K": 96, "R": 11, "S": 11, "P": 55, "Q": 55, "stride": 4},
    "conv2": {"C": 96, "K": 256, "R": 5, "S": 5, "P": 27, "Q": 27, "stride": 1},
    "conv3": {"C": 256, "K": 384, "R": 3, "S": 3, "P": 13, "Q": 13, "stride": 1},
    "conv4": {"C": 384, "K": 384, "R": 3, "S": 3, "P": 13, "Q": 13, "stride": 1},
    "conv5": {"C": 384, "K": 256, "R": 3, "S": 3, "P": 13, "Q": 13, "stride": 1},
}
# One group of AlexNet's two-tower layers (--per-group): channels per group.
PER_GROUP = {"conv2": {"C": 48, "K": 128}, "conv4": {"C": 192, "K": 192}, "conv5": {"C": 192, "K": 128}}
MAPPER_KEYS = ("mapper",)
PROBLEM_KEYS = ("problem",)
MAPPING_KEYS = ("mapping",)


# --- inputs -------------------------------------------------------------------------------------------------
def layer_shape(layer: str, per_group: bool) -> dict[str, int]:
    shape = dict(ALEXNET[layer])
    if per_group and layer in PER_GROUP:
        shape.update(PER_GROUP[layer])
    return shape


def cnn_layer_problem(shape: dict[str, int]) -> dict[str, Any]:
    """A Timeloop v0.4 problem with Timeloop's CNN-Layer shape (as tests/data/timeloop_mapper/eyeriss_like)."""
    stride = shape.get("stride", 1)
    instance = {d: shape[d] for d in ("R", "S", "P", "Q", "C", "K")} | {"N": shape.get("N", 1)}
    if stride != 1:
        instance |= {"Wstride": stride, "Hstride": stride}
    return {
        "problem": {
            "shape": {
                "name": "CNN-Layer",
                "dimensions": ["R", "S", "P", "Q", "C", "K", "N"],
                "coefficients": [
                    {"name": "Wstride", "default": 1},
                    {"name": "Hstride", "default": 1},
                    {"name": "Wdilation", "default": 1},
                    {"name": "Hdilation", "default": 1},
                ],
                "data-spaces": [
                    {"name": "Weights", "projection": [[["C"]], [["K"]], [["R"]], [["S"]]]},
                    {
                        "name": "Inputs",
                        "projection": [
                            [["N"]],
                            [["C"]],
                            [["R", "Wdilation"], ["P", "Wstride"]],
                            [["S", "Hdilation"], ["Q", "Hstride"]],
                        ],
                    },
                    {
                        "name": "Outputs",
                        "projection": [[["N"]], [["K"]], [["Q"]], [["P"]]],
                        "read-write": True,
                    },
                ],
            },
            "instance": instance,
        }
    }


def describe_shape(shape: dict[str, int]) -> str:
    text = " ".join(f"{d}{shape[d]}" for d in ("C", "K", "R", "S", "P", "Q"))
    return text + (f" stride {shape['stride']}" if shape.get("stride", 1) != 1 else "")


@dataclass
class Inputs:
    files: list[Path]  # architecture, problem, ERT, constraints ... (no mapper section, no mapping)
    mapper: dict[str, Any]  # the input set's mapper section ({} if none)
    problem: str  # where the problem came from
    notes: list[str] = field(default_factory=list)


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(2)


def yaml_files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix in (".yaml", ".yml") and q.is_file())
        else:
            out.append(p)
    return out


def prepare_inputs(paths: list[Path], layer_problem: dict | None, layer_label: str, work: Path) -> Inputs:
    """Split the input set's files into model inputs and its mapper section; replace the problem if asked.
    A file that mixes a mapper section (or a replaced problem) with other parts is rewritten without it."""
    files: list[Path] = []
    mapper: dict[str, Any] = {}
    notes: list[str] = []
    problem_from = None
    for i, path in enumerate(yaml_files(paths)):
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as e:
            fail(f"cannot read {path}: {e}")
        if not isinstance(doc, dict):
            notes.append(f"{path.name}: not a YAML mapping, left out")
            continue
        if any(doc.get(k) not in (None, []) for k in MAPPING_KEYS):
            notes.append(f"{path.name}: a mapping (not a mapper input), left out")
            continue
        rest = {k: v for k, v in doc.items() if k not in MAPPING_KEYS}  # timeloopfe's empty 'mapping: []'
        for k in MAPPER_KEYS:
            if k in rest:
                mapper = dict(rest.pop(k) or {})
        if "problem" in rest:
            if layer_problem is not None:
                rest.pop("problem")
            else:
                problem_from = str(path)
        if rest == doc:
            files.append(path)
        elif rest:
            out = work / f"input{i}_{path.name}"
            out.write_text(yaml.safe_dump(rest, sort_keys=False), encoding="utf-8")
            files.append(out)
    if layer_problem is not None:
        out = work / "problem.yaml"
        head = f"# {layer_label}: Timeloop v0.4 problem, CNN-Layer shape (bench_timeloop_mapper.py)\n"
        out.write_text(head + yaml.safe_dump(layer_problem, sort_keys=False), encoding="utf-8")
        files.append(out)
        problem_from = layer_label
    if problem_from is None:
        fail("the input files hold no problem; give --layer conv1..conv5")
    return Inputs(files, mapper, problem_from, notes)


def mapper_section(original: dict[str, Any], threads: int) -> dict[str, Any]:
    """The files' mapper settings with the benchmark's: EDP, `threads` threads, stopped by the clock only."""
    keep = {k: v for k, v in original.items() if k not in ("optimization-metric", "search_size", "heartbeat")}
    return {
        "mapper": keep
        | {
            "optimization-metrics": ["edp"],
            "num-threads": threads,
            "search-size": 0,
            "victory-condition": 0,
            "timeout": TIMELOOP_NO_TIMEOUT,
            "live-status": False,
            "log-stats": True,
        }
    }


# --- results ------------------------------------------------------------------------------------------------
@dataclass
class Side:
    tool: str
    edp: float | None = None  # J*cycle, in loopscape's model
    energy_pj: float | None = None  # loopscape's model
    cycles: int | None = None  # loopscape's model
    evaluated: int | None = None  # mappings fully evaluated (loopscape: every one; Timeloop: the valid ones)
    valid: int | None = None  # valid mappings among those tried
    tried: int | None = None  # mappings tried (Timeloop: also those rejected before a full evaluation)
    wall_s: float | None = None
    cpu_s: float | None = None
    own: dict[str, float] | None = None  # the tool's own model: edp (J*cycle), energy_uj, cycles
    other_model: dict[str, float] | None = None  # this tool's mapping in the other tool's model
    mapping_file: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        if self.evaluated is None or not self.wall_s:
            return None
        return self.evaluated / self.wall_s


def evaluate_in_loopscape(files: list[Path], mapping_file: Path) -> tuple[float, float, int]:
    """(EDP J*cycle, energy pJ, cycles) of a Timeloop mapping file in loopscape's model."""
    specs = load_specs([*files, mapping_file])
    r = evaluate(specs.arch, specs.workload, specs.mapping, specs.energy)
    return r.energy_pj * r.cycles * 1e-12, r.energy_pj, r.cycles


_SUMMARY = {
    "cycles": re.compile(r"^\s*Cycles:\s*([0-9.eE+-]+)\s*$", re.MULTILINE),
    "energy_uj": re.compile(r"^\s*Energy:\s*([0-9.eE+-]+)\s*uJ\s*$", re.MULTILINE),
    "edp": re.compile(r"^\s*EDP\(J\*cycle\):\s*([0-9.eE+-]+)\s*$", re.MULTILINE),
}


def published_side(folder: Path, inputs: Inputs) -> Side:
    """A published timeloop-mapper run: its best mapping (map.yaml, written from its map.txt) evaluated in
    loopscape's model, whose counts tests/io/test_timeloop_published.py checks against its stats, and the
    summary its own model printed."""
    mapping = folder / "map.yaml"
    stats = folder / "timeloop-mapper.stats.txt"
    if not mapping.is_file() or not stats.is_file():
        fail(f"{folder}: expected map.yaml and timeloop-mapper.stats.txt beside input.yaml")
    edp, energy_pj, cycles = evaluate_in_loopscape(inputs.files, mapping)
    side = Side("timeloop-mapper (published)", edp, energy_pj, cycles, mapping_file=str(mapping))
    side.own = parse_timeloop_stats(stats.read_text(encoding="utf-8"))
    side.notes.append(f"settings of that run: {inputs.mapper or 'none given'}")
    return side


def parse_timeloop_stats(text: str) -> dict[str, float]:
    """The summary of a Timeloop stats.txt (the `Summary Stats` block that topology.cpp prints last)."""
    at = text.rfind("Summary Stats")
    tail = text[at:] if at >= 0 else text
    out: dict[str, float] = {}
    for key, rx in _SUMMARY.items():
        m = rx.search(tail)
        if m:
            out[key] = float(m.group(1))
    if "edp" not in out and "cycles" in out and "energy_uj" in out:
        out["edp"] = out["cycles"] * out["energy_uj"] * 1e-6
    return out


_LOG_STATS = re.compile(r"^\[\s*(\d+)\]\s+INVALID\s+(\d+)\s+(\d+)\s+(\d+)\s*$", re.MULTILINE)


def parse_log_stats(text: str) -> tuple[int, int] | None:
    """(mappings tried, valid) over all threads, from timeloop-mapper's log-stats lines."""
    last: dict[int, tuple[int, int]] = {}
    for m in _LOG_STATS.finditer(text):
        last[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    if not last:
        return None
    return sum(t for t, _ in last.values()), sum(v for _, v in last.values())


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_timeloop_mapper(exe: str, inputs: Inputs, seconds: float, threads: int, work: Path) -> Side:
    side = Side("timeloop-mapper")
    out = work / "timeloop"
    out.mkdir(exist_ok=True)
    mapper_file = out / "mapper.yaml"
    mapper_file.write_text(yaml.safe_dump(mapper_section(inputs.mapper, threads), sort_keys=False))
    cmd = [exe, *[str(f.resolve()) for f in inputs.files], str(mapper_file.resolve())]
    stdout, stderr = (out / "stdout.txt").open("wb"), (out / "stderr.txt").open("wb")
    cpu0, wall0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=out, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
    try:
        proc.wait(timeout=seconds)
        side.notes.append(f"finished on its own before {seconds:g} s (exit status {proc.returncode})")
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)  # threads finish their ongoing evaluation, then the best is written
        try:
            proc.wait(timeout=SIGINT_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # second SIGINT: abandon ongoing evaluations
            side.notes.append(f"did not stop within {SIGINT_GRACE_S:g} s of SIGINT: sent a second one")
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                side.notes.append("killed (no outputs expected)")
    side.wall_s = time.perf_counter() - wall0
    side.cpu_s = _children_cpu() - cpu0
    stdout.close()
    stderr.close()
    log = (out / "stderr.txt").read_text(errors="replace") + (out / "stdout.txt").read_text(errors="replace")
    counts = parse_log_stats(log)
    if counts:
        side.tried, side.valid = counts
        side.evaluated = side.valid
    else:
        side.notes.append("no log-stats lines: mappings evaluated not reported")
    stats = out / "timeloop-mapper.stats.txt"
    if stats.exists():
        side.own = parse_timeloop_stats(stats.read_text(errors="replace"))
    else:
        side.notes.append(
            f"no {stats.name} (no valid mapping found, or the run failed: see {out}/stderr.txt)"
        )
    map_yaml = out / "timeloop-mapper.map.yaml"
    if map_yaml.exists():
        side.mapping_file = str(map_yaml)
        try:
            side.edp, side.energy_pj, side.cycles = evaluate_in_loopscape(inputs.files, map_yaml)
        except LoopscapeError as e:
            side.notes.append(f"loopscape cannot evaluate timeloop-mapper's mapping: {_short(e)}")
    else:
        side.notes.append(
            f"no {map_yaml.name} (older Timeloop versions write only .map.txt/.map.cfg): compared on its own "
            "model's figures only"
        )
    return side


def run_timeloop_model(exe: str, inputs: Inputs, mapping_file: Path, work: Path) -> dict[str, float] | None:
    """loopscape's best mapping in Timeloop's model (timeloop-model writes timeloop-model.stats.txt)."""
    out = work / "timeloop_model"
    out.mkdir(exist_ok=True)
    cmd = [exe, *[str(f.resolve()) for f in inputs.files], str(mapping_file.resolve())]
    try:
        subprocess.run(cmd, cwd=out, capture_output=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        return None
    stats = out / "timeloop-model.stats.txt"
    return parse_timeloop_stats(stats.read_text(errors="replace")) if stats.exists() else None


# --- loopscape ----------------------------------------------------------------------------------------------
@dataclass
class LoopscapeRun:
    seconds: float  # the time limit given
    wall_s: float
    cpu_s: float
    edp: float  # J*cycle
    energy_pj: float
    cycles: int
    evaluated: int
    valid: int
    stopped: str
    mapping: Any = None
    arch: Any = None
    workload: Any = None


LADDER_FIELDS = ("seconds", "wall_s", "cpu_s", "edp", "energy_pj", "cycles", "evaluated", "valid", "stopped")


def _even(points: Points | None) -> Points | None:
    """The points without uneven cuts (Timeloop's mapspace), or None if none is left."""
    if points is None or points.shift is None:
        return points
    rows = np.nonzero(~points.shift.reshape(points.size, -1).any(axis=1))[0]
    return points.take(rows) if rows.size else None


def even_search(arch, workload, energy, objective, *, budget, seconds, seed, mapspace, patience=None):
    """The default search's steps (`loopscape.mapper.search`: LOMA's seeds, the walk, LOMA's re-allocation;
    its parameters) with even cuts only: one cut per level, as a Timeloop mapping has."""
    seeds = (
        p for p in map(_even, loma_points(mapspace, spatial=4, uneven=False, max_orders=60)) if p is not None
    )
    extra = {} if patience is None else {"patience": patience}
    return local_search(
        arch, workload, energy, objective, budget=budget, seconds=seconds, seed=seed, mapspace=mapspace,
        batch_size=4096, uneven=False, seeds=seeds, **extra,
        refine=lambda pool: _even(reallocate(mapspace, pool.take(np.arange(min(8, pool.size))))),
    )  # fmt: skip


SEARCHES = {"default": search, "even": even_search}


def run_loopscape(
    files: list[Path], seconds: float, seed: int, patience: int | None, kind: str
) -> LoopscapeRun:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    specs = load_specs([str(f) for f in files], check_mapping=False, mapspace=True)
    space = Mapspace(specs.arch, specs.workload, constraints=specs.constraints, one_axis_per_dim=True)
    extra = {} if patience is None else {"patience": patience}
    found = SEARCHES[kind](specs.arch, specs.workload, specs.energy, "edp", budget=UNLIMITED, seconds=seconds,
                           seed=seed, mapspace=space, **extra)  # fmt: skip
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    r = found.result
    return LoopscapeRun(seconds, wall, cpu, r.energy_pj * r.cycles * 1e-12, r.energy_pj, r.cycles,
                        found.evaluated, found.valid, found.stopped, found.mapping, specs.arch,
                        specs.workload)  # fmt: skip


def warm_up(files: list[Path], seed: int) -> float:
    """A short untimed search on the same inputs through every step of the timed ones (LOMA's seeds, the
    walk, the re-allocation near the budget's end): loads the compiled kernels (numba's on-disk cache)."""
    t0 = time.perf_counter()
    specs = load_specs([str(f) for f in files], check_mapping=False, mapspace=True)
    space = Mapspace(specs.arch, specs.workload, constraints=specs.constraints, one_axis_per_dim=True)
    try:
        search(
            specs.arch, specs.workload, specs.energy, "edp", budget=WARM_UP_BUDGET, seed=seed, mapspace=space
        )
    except LoopscapeError:
        pass
    return time.perf_counter() - t0


def _short(e: LoopscapeError) -> str:
    if isinstance(e, SpecError):
        return f"{e.path}: {e.found}, expected {e.expected}"
    return " ".join(str(e).split())


def loopscape_side(
    kind: str, inputs: Inputs, ls_seconds: float, args: argparse.Namespace, work: Path, model_exe: str | None
) -> tuple[Side, list[LoopscapeRun]]:
    """One loopscape search at the time limit, then (unless --no-ladder) the shorter limits below it that can
    differ (a search that stopped on its own before a limit ends the same with any longer one)."""
    tool = "loopscape" if kind == "default" else f"loopscape {kind}"
    main_run = run_loopscape(inputs.files, ls_seconds, args.seed, args.patience, kind)
    side = Side(tool, main_run.edp, main_run.energy_pj, main_run.cycles, main_run.evaluated, main_run.valid,
                main_run.evaluated, main_run.wall_s, main_run.cpu_s)  # fmt: skip
    side.notes.append(f"stopped: {main_run.stopped}")
    try:
        doc = {"mapping": mapping_to_timeloop(main_run.mapping, main_run.arch, main_run.workload)}
    except LoopscapeError as e:
        side.notes.append(f"its best mapping has no Timeloop form ({_short(e)}): outside Timeloop's mapspace")
    else:
        path = work / f"{tool.replace(' ', '_')}.map.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        side.mapping_file = str(path)
        if model_exe:
            side.other_model = run_timeloop_model(model_exe, inputs, path, work)
    ladder: list[LoopscapeRun] = []
    if not args.no_ladder:
        for t in QUICK_LADDER if args.quick else LADDER:
            if t >= ls_seconds or (main_run.stopped != "time" and t >= main_run.wall_s):
                continue
            ladder.append(run_loopscape(inputs.files, t, args.seed, args.patience, kind))
    return side, [*ladder, main_run]


def limit_threads(threads: int) -> str:
    try:
        import numba
    except ImportError:
        return "numba missing"
    n = max(1, min(threads, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    return f"{n} numba thread{'s' * (n != 1)}"


# --- report -------------------------------------------------------------------------------------------------
def _fmt(v: float | None, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def print_table(sides: list[Side]) -> None:
    head = ("tool", "EDP (J*cycle)", "energy (uJ)", "cycles", "evaluated", "valid", "wall s", "CPU s",
            "evaluated/s")  # fmt: skip
    rows = [
        (
            s.tool,
            _fmt(s.edp, ".5g"),
            _fmt(None if s.energy_pj is None else s.energy_pj / 1e6, ".4f"),
            _fmt(s.cycles, ","),
            _fmt(s.evaluated, ","),
            _fmt(s.valid, ","),
            _fmt(s.wall_s, ".2f"),
            _fmt(s.cpu_s, ".2f"),
            _fmt(s.rate, ",.0f"),
        )
        for s in sides
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    for r in [head, *rows]:
        print(
            "  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", nargs="+", type=Path, default=None,
                    help="a timeloop-mapper input set: a directory of YAML files, or files (default: "
                         "tests/data/timeloop_mapper/eyeriss_like)")  # fmt: skip
    ap.add_argument("--layer", choices=[*ALEXNET, "files"], default=None,
                    help="AlexNet conv layer as the problem, or 'files' for the input set's own problem "
                         "(default: conv3, or 'files' with --files)")  # fmt: skip
    ap.add_argument("--per-group", action="store_true",
                    help="conv2/conv4/conv5: one group of AlexNet's two towers (half the layer; Timeloop has "
                         "no groups) instead of the ungrouped layer")  # fmt: skip
    ap.add_argument("--seconds", type=float, default=60.0, help="timeloop-mapper's time (SIGINT after it)")
    ap.add_argument(
        "--ls-seconds", type=float, default=None, help="loopscape's time limit (default: --seconds/10)"
    )
    ap.add_argument(
        "--threads", type=int, default=2, help="timeloop-mapper's num-threads; loopscape's threads"
    )
    ap.add_argument("--seed", type=int, default=0, help="loopscape's search seed")
    ap.add_argument("--patience", type=int, default=None,
                    help="loopscape: evaluations without improvement before it stops (default: the mapper's)")  # fmt: skip
    ap.add_argument("--no-even", action="store_true",
                    help="skip the even-cuts-only loopscape search (Timeloop's mapspace)")  # fmt: skip
    ap.add_argument(
        "--no-ladder", action="store_true", help="skip the shorter loopscape runs (time to reach)"
    )
    ap.add_argument("--published", type=Path, default=None,
                    help="a published timeloop-mapper run instead of a live one: a directory with its "
                         "input.yaml, its best mapping (map.yaml) and its timeloop-mapper.stats.txt, e.g. "
                         "tests/data/timeloop_published/simba_like")  # fmt: skip
    ap.add_argument("--timeloop-mapper", default="timeloop-mapper", help="the timeloop-mapper executable")
    ap.add_argument("--no-timeloop", action="store_true", help="run the loopscape side only")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the generated files and outputs here")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON here")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: the input set's small layer (C32 K64), Timeloop 10 s, loopscape 1 s")  # fmt: skip
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds = 10.0 if args.seconds == 60.0 else args.seconds
        args.layer = args.layer or "files"
    if args.published is not None:
        if args.files or (args.layer not in (None, "files")):
            ap.error("--published uses the run's own input.yaml and problem: no --files or --layer with it")
        args.files, args.layer = [args.published / "input.yaml"], "files"
    layer = args.layer or ("files" if args.files else "conv3")
    if args.per_group and layer not in PER_GROUP:
        ap.error(f"--per-group applies to {sorted(PER_GROUP)} only")
    ls_seconds = args.ls_seconds if args.ls_seconds is not None else args.seconds / 10
    if ls_seconds <= 0 or args.seconds <= 0 or args.threads < 1:
        ap.error("--seconds, --ls-seconds and --threads must be positive")

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="bench_timeloop_")
        work = Path(tmp.name)
    else:
        work = args.workdir
        work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, layer, ls_seconds, work)
    except LoopscapeError as e:  # the inputs: loopscape says which file and entry
        fail(str(e))
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(args: argparse.Namespace, layer: str, ls_seconds: float, work: Path) -> int:
    if layer == "files":
        problem, label = None, "the input set's problem"
    else:
        shape = layer_shape(layer, args.per_group)
        grouped = " (one group of two: half the layer)" if args.per_group else ""
        problem, label = cnn_layer_problem(shape), f"AlexNet {layer} {describe_shape(shape)}{grouped}"
    sources = args.files or [DEFAULT_FILES]
    inputs = prepare_inputs(sources, problem, label, work)

    exe = None if args.no_timeloop or args.published else shutil.which(args.timeloop_mapper)
    print(f"inputs: {', '.join(str(s) for s in sources)}")
    print(f"problem: {inputs.problem}; objective edp")
    for n in inputs.notes:
        print(f"note: {n}")
    print(f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")

    sides: list[Side] = []
    tl: Side | None = None
    if args.published is not None:
        tl = published_side(args.published, inputs)
        sides.append(tl)
        print(f"\n{tl.tool}: {args.published} (its best mapping and stats as published; its run time and "
              "mapping counts are not known)")  # fmt: skip
    elif exe is None:
        why = "--no-timeloop" if args.no_timeloop else f"{args.timeloop_mapper} not found on PATH"
        print(f"\n{why}: the comparison was not run (timeloop-mapper comes from NVlabs/timeloop); "
              "running loopscape's side only.")  # fmt: skip
    else:
        print(
            f"\ntimeloop-mapper ({exe}): {args.threads} threads, SIGINT after {args.seconds:g} s ...",
            flush=True,
        )
        tl = run_timeloop_mapper(exe, inputs, args.seconds, args.threads, work)
        sides.append(tl)

    threads = limit_threads(args.threads)
    warm = warm_up(inputs.files, args.seed)
    print(f"\nloopscape: {threads}; kernel warm-up {warm:.2f} s (untimed); time limit {ls_seconds:g} s")
    print(f"  default: the mapper's default search, as `loopscape map {' '.join(f.name for f in inputs.files)} "
          f"--objective edp --time-limit {ls_seconds:g}`")  # fmt: skip
    if not args.no_even:
        print("  even: the same search steps with even cuts only (Timeloop's mapspace: one cut per level)")
    model_exe = shutil.which("timeloop-model") if exe else None
    kinds = ["default"] if args.no_even else ["default", "even"]
    runs: dict[str, list[LoopscapeRun]] = {}
    for kind in kinds:
        side, ladder = loopscape_side(kind, inputs, ls_seconds, args, work, model_exe)
        sides.append(side)
        runs[side.tool] = ladder

    print("\nbest mappings, all evaluated by loopscape's model (EDP = energy x cycles):")
    print_table(sides)
    print("  (evaluated: loopscape costs every mapping of its batches in full, valid or not; timeloop-mapper "
          "fully evaluates only the valid ones, rejecting the others early)")  # fmt: skip
    for side in sides:
        for n in side.notes:
            print(f"  {side.tool}: {n}")
    if tl is not None:
        own = tl.own or {}
        print(f"  timeloop-mapper's own model, its best: EDP {_fmt(own.get('edp'), '.5g')} J*cycle, energy "
              f"{_fmt(own.get('energy_uj'), '.4f')} uJ, cycles {_fmt(own.get('cycles'), ',.0f')}; "
              f"{_fmt(tl.tried, ',')} mappings tried")  # fmt: skip
        for side in sides[1:]:
            if side.other_model:
                o = side.other_model
                print(f"  {side.tool}'s best in Timeloop's model (timeloop-model): EDP "
                      f"{_fmt(o.get('edp'), '.5g')} J*cycle, energy {_fmt(o.get('energy_uj'), '.4f')} uJ, "
                      f"cycles {_fmt(o.get('cycles'), ',.0f')}")  # fmt: skip
    else:
        print(f'  issue 5 claim, quoted, not measured here: "{ISSUE_CLAIM}"')

    target = tl.edp if tl is not None else None
    reached: dict[str, LoopscapeRun | None] = {}
    print(
        "\nloopscape's best EDP by time limit (J*cycle; wall s including reading the files and the mapspace):"
    )
    for tool, ladder in runs.items():
        reached[tool] = None
        for run in ladder:
            mark = ""
            if target is not None and run.edp <= target:
                mark = "  <= timeloop-mapper's best"
                reached[tool] = reached[tool] or run
            print(f"  {tool:<15} limit {run.seconds:5.2f} s  wall {run.wall_s:6.2f} s  EDP {run.edp:.5g}  "
                  f"({run.evaluated:,} evaluated, stopped: {run.stopped}){mark}")  # fmt: skip

    print("\nacceptance (issue 5):")
    if tl is None:
        why = "--no-timeloop" if args.no_timeloop else "timeloop-mapper not found on PATH"
        print(f"  {why}: the comparison was not run")
        print("  verdict: not decided (needs timeloop-mapper, from NVlabs/timeloop, on PATH)")
    elif target is None:
        print("  verdict: not decided (timeloop-mapper's best mapping could not be evaluated by loopscape; "
              "see the notes)")  # fmt: skip
    elif tl.wall_s is None:  # a published run: quality only
        for side in sides[1:]:
            print(f"  {side.tool}: lower EDP than the published timeloop-mapper best: "
                  f"{'YES' if side.edp < target else 'NO'} ({side.edp:.5g} vs {target:.5g} J*cycle, "
                  f"{target / side.edp:.3g}x, in loopscape's model) in {side.wall_s:.2f} s wall")  # fmt: skip
        print("  the 60 s / 2 threads / a tenth of the time acceptance needs a live timeloop-mapper run")
    else:
        tenth = tl.wall_s / 10
        for side in sides[1:]:
            better = side.edp < target
            print(f"  {side.tool}: lower EDP than timeloop-mapper's best after {tl.wall_s:.1f} s on "
                  f"{args.threads} threads: {'YES' if better else 'NO'} ({side.edp:.5g} vs {target:.5g} "
                  f"J*cycle, {target / side.edp:.3g}x, in loopscape's model)")  # fmt: skip
            o = side.other_model or {}
            if "edp" in o and tl.own and "edp" in tl.own:
                print(f"  {side.tool}: in Timeloop's model: {'YES' if o['edp'] < tl.own['edp'] else 'NO'} "
                      f"({o['edp']:.5g} vs {tl.own['edp']:.5g} J*cycle)")  # fmt: skip
            first = reached[side.tool]
            if first is None:
                print(f"  {side.tool}: found within a tenth of the time ({tenth:.2f} s): NO (not reached)")
            else:
                ok = first.wall_s <= tenth
                print(f"  {side.tool}: found within a tenth of the time ({tenth:.2f} s): "
                      f"{'YES' if ok else 'NO'} (reached with a {first.seconds:g} s limit, "
                      f"{first.wall_s:.2f} s wall)")  # fmt: skip

    if args.json:
        doc = {
            "inputs": [str(f) for f in inputs.files],
            "problem": inputs.problem,
            "seconds": args.seconds,
            "ls_seconds": ls_seconds,
            "threads": args.threads,
            "timeloop_run": tl is not None,
            "sides": [
                asdict(s)
                | {"mappings_per_s": s.rate, "mapping_file": s.mapping_file if args.workdir else None}
                for s in sides
            ],
            "ladders": {
                t: [{k: getattr(r, k) for k in LADDER_FIELDS} for r in ladder] for t, ladder in runs.items()
            },
            "issue_claim_not_measured": None if tl is not None else ISSUE_CLAIM,
        }
        args.json.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
