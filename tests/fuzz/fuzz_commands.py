"""The fuzz targets of whole commands: `train`, `coac overhead`, `coac` (search), `report` (result JSON and
results store), `pareto`, `map` with its search, and the compound-class library reader.

Command-line options are a file of their own (`args.txt`, one option and its value per line) so the token and
byte mutations reach them like any other text; each command runs in its case folder (what it writes stays
there).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fuzz_harness import DATA, ROOT, TARGETS, Outcome, Target, at_edge, cli

from loopscape.io.timeloop_mapspace import IGNORED_SETTINGS

TINY_NET = b"""\
network:
  name: tiny
  input: {C: 3, H: 8, W: 8}
  layers:
    - {name: conv1, type: conv, K: 4, R: 3, padding: 1}
    - {name: pool, type: pool, R: 2, stride: 2}
    - {name: fc, type: fc, K: 10}
"""


def read_args(path: Path) -> list[str]:
    """`args.txt` as command-line arguments: each line an option and its value (split at the first space).
    Bytes that are not UTF-8 become U+FFFD and NUL bytes are dropped: no shell passes either."""
    text = path.read_bytes().decode("utf-8", errors="replace").replace("\x00", "")
    args: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            args += line.strip().split(" ", 1)
    return args


@contextmanager
def inside(folder: Path) -> Iterator[None]:
    """Run with `folder` as the working directory (a command's default output paths land there)."""
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def _in(d: Path, *args: object) -> Outcome:
    with inside(d):
        return cli(*args)


# --- train ---------------------------------------------------------------------------------------------------
TRAIN_ARGS = b"--budget 10\n--objective edp\n--update-op add\n--tensor-names auto\n--seed 0\n"


def _train_files() -> dict[str, bytes]:
    arch = (ROOT / "src" / "loopscape" / "io" / "builtin" / "demo_arch.yaml").read_bytes()
    return {"arch.yaml": arch, "net.yaml": TINY_NET, "args.txt": TRAIN_ARGS}


def _train_run(d: Path) -> Outcome:
    # --budget 10 first: the fuzzed options override it, but deleting it leaves a small job, not the full default
    args = read_args(d / "args.txt")
    return _in(d, "train", "--budget", "10", d / "arch.yaml", d / "net.yaml", *args, "--json", d / "o.json")


# --- coac ----------------------------------------------------------------------------------------------------
OVERHEAD_ARGS = b"""\
--pe 8
--su K=2,C=2,OX=2
--su K=2,OX=4
--pw 4
--pw-weight 4
--pw-activation 4
--pw-output 4
--pw-rb 4
--group-rule table
--word-bits 8
--psum-bits 24
--technology 16nm
--json
"""
SEARCH_ARGS = b"rced\n--pe 4\n--max-sus 1\n--budget 1\n--workers 1\n--json\n"
# the small job's options first: the fuzzed ones override them, and deleting one leaves a small job, not a
# full-size search (`coac rced` alone searches 602 SUs at budget 3000: minutes, rightly)
SEARCH_BOUNDS = ("search", "--pe", "4", "--max-sus", "1", "--budget", "1", "--workers", "1")


def _overhead_run(d: Path) -> Outcome:
    return _in(d, "coac", "overhead", *read_args(d / "args.txt"))


def _search_run(d: Path) -> Outcome:
    return _in(d, "coac", *SEARCH_BOUNDS, *read_args(d / "args.txt"))


# --- report and pareto ---------------------------------------------------------------------------------------
@functools.cache
def network_result() -> bytes:
    """The JSON of `loopscape network eyeriss` on TINY_NET (budget 10): a valid input of `loopscape report`."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        net, out = Path(tmp) / "net.yaml", Path(tmp) / "result.json"
        net.write_bytes(TINY_NET)
        outcome = cli("network", "eyeriss", net, "--budget", "10", "--json", out)
        assert outcome.kind == "ok", outcome.detail
        return out.read_bytes()


@functools.cache
def small_store() -> bytes:
    """A results store of `loopscape sweep`: four feasible points of the DSE tests' tiny sweep and one
    infeasible point."""
    import importlib.util
    import tempfile

    from loopscape.dse import LocalExecutor, load_sweep, run_sweep
    from loopscape.dse.evaluate import STATUS_INFEASIBLE, PointResult
    from loopscape.dse.store import Store

    spec = importlib.util.spec_from_file_location("dse_helpers", ROOT / "tests" / "dse" / "dse_helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    text = helpers.SPEC.replace("pe_y: [2, 4]", "pe_y: [2]").replace(
        "GBuf.size_kb: [8, 32]", "GBuf.size_kb: [8]"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.sqlite"
        run_sweep(load_sweep(helpers.write_spec(Path(tmp), text)), str(path), LocalExecutor(1), None)
        with Store(path) as store:
            params = {"pe_x": 64, "pe_y": 64, "technology": "45nm", "GBuf.size_kb": 8, "RFile.entries": 16}
            store.add(PointResult("infeasible0001", params, STATUS_INFEASIBLE, "does not fit"))
        return path.read_bytes()


def _report_json_run(d: Path) -> Outcome:
    return _in(d, "report", d / "result.json", "--html", d / "out.html", *read_args(d / "args.txt"))


def _report_store_run(d: Path) -> Outcome:
    return _in(d, "report", d / "store.sqlite", "--html", d / "out.html")


PARETO_ARGS = b"--x tops_per_mm2\n--y fj_per_op\n--objective energy_pj\n"


def _pareto_run(d: Path) -> Outcome:
    return _in(d, "pareto", d / "store.sqlite", *read_args(d / "args.txt"), "--csv", d / "front.csv")


# --- map with its search -------------------------------------------------------------------------------------
MAPSPACE_FILES = ("arch.yaml", "problem.yaml", "constraints.yaml", "mapper.yaml")


def _map_files() -> dict[str, bytes]:
    case = DATA / "timeloop_mapper" / "eyeriss_like"
    return {n: (case / n).read_bytes() for n in MAPSPACE_FILES}


def _map_run(d: Path) -> Outcome:
    return _in(d, "map", *(d / n for n in MAPSPACE_FILES), "--budget", "50", "--json", d / "o.json")


# --- the compound-class library (energy.compound.load_library: no command reads it yet) ----------------------
COMPOUND = b"""\
compound_components:
  banked_buffer:
    attributes: {depth: must_specify, width: 64, banks: 4}
    subcomponents:
      bank:
        class: SRAM
        count: banks
        attributes: {depth: "depth // banks", width: width}
      select:
        class: mux
        attributes: {n_inputs: banks, bits: width}
    actions:
      read:
        - {subcomponent: bank, action: read}
        - {subcomponent: select, action: select}
      write:
        - {subcomponent: bank, action: write, repeat: 2}
"""


def _compound_run(d: Path) -> Outcome:
    from loopscape.energy.components import Component
    from loopscape.energy.compound import load_library
    from loopscape.energy.estimators import EstimatorRegistry, TableEstimator

    def read() -> None:
        library = load_library([d / "compound.yaml"])
        EstimatorRegistry([TableEstimator()], library).estimate(Component("banked_buffer", {"depth": 4096}))

    return at_edge(read)


COMMAND_TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("train", _train_files, _train_run, ("arch.yaml", "net.yaml")),
        Target("coac_overhead", lambda: {"args.txt": OVERHEAD_ARGS}, _overhead_run),
        Target("coac_search", lambda: {"args.txt": SEARCH_ARGS}, _search_run),
        Target(
            "report_json",
            lambda: {"result.json": network_result(), "args.txt": b"--title a small run\n"},
            _report_json_run,
            ("result.json",),
        ),
        Target("report_store", lambda: {"store.sqlite": small_store()}, _report_store_run),
        Target("pareto", lambda: {"store.sqlite": small_store(), "args.txt": PARETO_ARGS}, _pareto_run),
        Target("map_search", _map_files, _map_run, MAPSPACE_FILES, IGNORED_SETTINGS),
        Target("compound", lambda: {"compound.yaml": COMPOUND}, _compound_run, ("compound.yaml",)),
    )
}
ALL_TARGETS: dict[str, Target] = {**TARGETS, **COMMAND_TARGETS}  # the file readers and the commands
