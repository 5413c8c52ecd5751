"""Every reader behind its CLI edge, run on a folder of files under a time bound, and the outcome classified.

Outcomes: 'ok' (a result, exit 0), 'refused' (our error: a message and exit status 2), and the bugs:
'traceback' (any other exception), 'hang' (over the time bound), 'exit' (another exit status), 'silent'
(an input the mutation made surely invalid, accepted).
"""

from __future__ import annotations

import io
import os
import signal
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

from loopscape.cli import loopscape
from loopscape.cli_common import spec_errors_exit
from loopscape.io.timeloop_mapspace import IGNORED_SETTINGS

ROOT = Path(__file__).parents[2]
DATA = ROOT / "tests" / "data"
TIME_BOUND_S = float(os.environ.get("LOOPSCAPE_FUZZ_TIME_BOUND", "20"))
BUGS = ("traceback", "hang", "exit", "silent")


class Hang(BaseException):
    """Raised by the alarm when an input runs past the time bound (a BaseException: readers catch Exception)."""


@contextmanager
def time_bound(seconds: float):
    def on_alarm(signum, frame):
        raise Hang(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass(frozen=True)
class Outcome:
    kind: str
    detail: str = ""


def _raised_by_the_alarm(exc: BaseException | None) -> bool:
    """Whether `exc` is the time bound's Hang, or carries it: numba turns an exception raised while its
    compiled code runs into a SystemError whose context is the Hang."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, Hang):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _invoke(command: click.Command, args: list[str]) -> Outcome:
    try:
        with time_bound(TIME_BOUND_S):
            result = CliRunner().invoke(command, args, catch_exceptions=True)
    except Hang as e:
        return Outcome("hang", str(e))
    exc = result.exception
    if _raised_by_the_alarm(exc):
        return Outcome("hang", f"over {TIME_BOUND_S} s (the alarm went off inside {type(exc).__name__})")
    if exc is not None and not isinstance(exc, SystemExit):
        buf = io.StringIO()
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=buf)
        return Outcome("traceback", buf.getvalue()[-3000:])
    if result.exit_code == 0:
        return Outcome("ok")
    message = result.stderr if result.stderr else result.output
    # exit 2 with an error, or with the usage text (click's answer to a bare command group such as `coac`)
    if result.exit_code == 2 and ("rror" in message or message.lstrip().startswith("Usage:")):
        return Outcome("refused", message.strip()[-2000:])
    return Outcome("exit", f"exit status {result.exit_code}: {result.output[-600:]}")


def cli(*args: str) -> Outcome:
    """`loopscape ARGS` through click's runner."""
    return _invoke(loopscape, [str(a) for a in args])


def at_edge(fn: Callable[[], object]) -> Outcome:
    """`fn()` (a reader) behind the CLI's error edge (`spec_errors_exit`), as a command would call it."""

    @click.command()
    @spec_errors_exit
    def command() -> None:
        fn()

    return _invoke(command, [])


# --- the readers: valid files, and how each is run on a folder of them --------------------------------


def _read(path: Path) -> bytes:
    return path.read_bytes()


@dataclass(frozen=True)
class Target:
    """A reader: its valid input files (name -> bytes), which of them are YAML, and how to run it on a folder."""

    name: str
    files: Callable[[], dict[str, bytes]]
    run: Callable[[Path], Outcome]
    yaml_files: tuple[str, ...] = ()
    negative_ok: tuple[str, ...] = ()  # keys or tokens where a negative number is meaningful


def _native_files() -> dict[str, bytes]:
    b = ROOT / "src" / "loopscape" / "io" / "builtin"
    return {
        n: _read(b / f"demo_{n.split('.')[0]}.yaml") for n in ("arch.yaml", "workload.yaml", "mapping.yaml")
    }


def _native_run(d: Path) -> Outcome:
    return cli("evaluate", d / "arch.yaml", d / "workload.yaml", d / "mapping.yaml", "--json", d / "out.json")


def _timeloop_files() -> dict[str, bytes]:
    case = DATA / "timeloop" / "conv7d_bypass"
    return {n: _read(case / n) for n in ("arch.yaml", "problem.yaml", "map.yaml", "ert.yaml")}


def _timeloop_run(d: Path) -> Outcome:
    return cli("evaluate", *(d / n for n in ("arch.yaml", "problem.yaml", "map.yaml", "ert.yaml")))


def _mapspace_files() -> dict[str, bytes]:
    case = DATA / "timeloop_mapper" / "eyeriss_like"
    return {n: _read(case / n) for n in ("arch.yaml", "problem.yaml", "constraints.yaml", "mapper.yaml")}


def _mapspace_run(d: Path) -> Outcome:
    from loopscape.io.load import load_specs

    names = ("arch.yaml", "problem.yaml", "constraints.yaml", "mapper.yaml")
    return at_edge(lambda: load_specs([str(d / n) for n in names], mapspace=True))


def _zigzag_files() -> dict[str, bytes]:
    z = DATA / "zigzag"
    return {"accelerator.yaml": _read(z / "tpu_like.yaml"), "workload.yaml": _read(z / "workload.yaml"),
            "mapping.yaml": _read(z / "tpu_like_mapping.yaml")}  # fmt: skip


def _zigzag_run(d: Path) -> Outcome:
    files = (d / n for n in ("accelerator.yaml", "workload.yaml", "mapping.yaml"))
    return cli("convert", *files, "--to", "native", "--out", d / "out")


def _scalesim_files(case: str) -> Callable[[], dict[str, bytes]]:
    def files() -> dict[str, bytes]:
        c = DATA / "scalesim" / case
        return {"scale.cfg": _read(c / "scale.cfg"), "topology.csv": _read(c / "topology.csv")}

    return files


def _scalesim_run(d: Path) -> Outcome:
    return cli(
        "systolic", "--config", d / "scale.cfg", "--topology", d / "topology.csv", "--json", d / "o.json"
    )


NETWORK = b"""\
network:
  name: small
  input: {N: 1, C: 3, H: 16, W: 16}
  layers:
    - {name: conv1, type: conv, K: 8, R: 3, stride: 1, padding: 1}
    - {name: pool1, type: pool, R: 2, stride: 2}
    - {name: dw, type: depthwise, R: 3, padding: 1}
    - {name: pw, type: pointwise, K: 16}
    - {name: add, type: add}
    - {name: fc, type: fc, K: 10}
"""


def _network_run(d: Path) -> Outcome:
    from loopscape.cli_network import load_network

    return at_edge(lambda: load_network(str(d / "net.yaml")))


def _sweep_files() -> dict[str, bytes]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("dse_helpers", ROOT / "tests" / "dse" / "dse_helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    SPEC, TINY_NET = helpers.SPEC, helpers.TINY_NET
    return {"sweep.yaml": SPEC.encode(), "tiny_net.yaml": TINY_NET.encode()}


def _sweep_run(d: Path) -> Outcome:
    from loopscape.dse.spec import load_sweep

    def read() -> None:
        spec = load_sweep(d / "sweep.yaml")
        assert spec.space_size >= 1

    return at_edge(read)


def onnx_model() -> bytes:
    """A small CNN (conv, relu, pool, depthwise conv, gemm) as ONNX bytes, built with onnx.helper."""
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)

    def w(name: str, shape: list[int]):
        return numpy_helper.from_array(rng.random(shape, dtype=np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "c1.w"], ["a"], name="c1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a"], ["b"], name="r1"),
        helper.make_node("MaxPool", ["b"], ["c"], name="p1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node(
            "Conv", ["c", "c2.w"], ["d"], name="c2", kernel_shape=[3, 3], group=8, pads=[1, 1, 1, 1]
        ),
        helper.make_node("Flatten", ["d"], ["e"], name="f"),
        helper.make_node("Gemm", ["e", "fc.w"], ["y"], name="fc", transB=1),
    ]
    inits = [w("c1.w", [8, 3, 3, 3]), w("c2.w", [8, 1, 3, 3]), w("fc.w", [10, 8 * 8 * 8])]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])
    graph = helper.make_graph(nodes, "small", [x], [y], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def _onnx_run(d: Path) -> Outcome:
    from loopscape.cli_network import load_network

    return at_edge(lambda: load_network(str(d / "model.onnx")))


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("native", _native_files, _native_run, ("arch.yaml", "workload.yaml", "mapping.yaml")),
        Target(
            "timeloop", _timeloop_files, _timeloop_run, ("arch.yaml", "problem.yaml", "map.yaml", "ert.yaml")
        ),
        # settings loopscape ignores with a note (timeloop_mapspace.IGNORED_SETTINGS): their values are unused
        Target(
            "timeloop_mapspace",
            _mapspace_files,
            _mapspace_run,
            ("arch.yaml", "problem.yaml", "constraints.yaml", "mapper.yaml"),
            IGNORED_SETTINGS,
        ),
        Target("zigzag", _zigzag_files, _zigzag_run, ("accelerator.yaml", "workload.yaml", "mapping.yaml")),
        Target(
            "scalesim_conv",
            _scalesim_files("conv3x3_8x8_ws_calc"),
            _scalesim_run,
            (),
            ("RandomNumberGenerator",),
        ),
        Target(
            "scalesim_gemm",
            _scalesim_files("gemm_8x8_os_user"),
            _scalesim_run,
            (),
            ("RandomNumberGenerator",),
        ),
        Target("network", lambda: {"net.yaml": NETWORK}, _network_run, ("net.yaml",)),
        Target("onnx", lambda: {"model.onnx": onnx_model()}, _onnx_run),
        Target("sweep", _sweep_files, _sweep_run, ("sweep.yaml", "tiny_net.yaml")),
    )
}


def needs(name: str) -> None:
    """Skip a reader whose optional dependency is missing (onnx: the 'onnx' extra)."""
    if name == "onnx":
        import pytest

        pytest.importorskip("onnx")


def write_case(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def judge(outcome: Outcome, invalid: bool) -> str:
    """The outcome's kind, with an accepted surely-invalid input counted as 'silent'."""
    return "silent" if invalid and outcome.kind == "ok" else outcome.kind
