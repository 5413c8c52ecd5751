"""Ctrl-C stops any command with 'interrupted' and exit 130, wherever it lands: also in a callback from C
(numba's compiler calling Python through ctypes, where Python only reports a KeyboardInterrupt and goes on)
and in C code that turns it into an error of its own (numba's import)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from loopscape.cli import main
from loopscape.interrupts import CtrlC

CALLBACK = ctypes.CFUNCTYPE(None)


def _interrupted_callback() -> None:
    raise KeyboardInterrupt


def _call_from_c() -> None:
    """Call a Python function from C that raises KeyboardInterrupt: a Ctrl-C landing in numba's compiler."""
    ctypes.cast(CALLBACK(_interrupted_callback), CALLBACK)()


def _wait(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.005)


@pytest.fixture
def ctrl_c(monkeypatch):
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    before = signal.getsignal(signal.SIGINT)
    watch = CtrlC()
    restore = watch.install()
    yield watch
    restore()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_swallowed_ctrl_c_is_delivered_again(ctrl_c):
    with pytest.raises(KeyboardInterrupt):
        _call_from_c()  # the exception stays in C: Python reports it as unraisable and goes on
        _wait(5)
    assert ctrl_c.received == 1


def test_without_it_the_ctrl_c_is_lost(monkeypatch):
    """The failure this mends: the program runs on as if Ctrl-C had not been pressed."""
    lost = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: lost.append(u.exc_type))
    _call_from_c()
    _wait(0.1)
    assert lost == [KeyboardInterrupt]


def test_each_sigint_is_counted_and_raises(ctrl_c):
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        _wait(5)
    assert ctrl_c.received == 1


def test_an_error_is_ctrl_c_when_a_keyboard_interrupt_caused_it_or_a_sigint_came_first():
    chained = SystemError("numba: error loading a kernel")
    chained.__context__ = KeyboardInterrupt()
    assert CtrlC().caused(KeyboardInterrupt()) and CtrlC().caused(chained)
    assert not CtrlC().caused(ImportError("numba._devicearray failed to import"))
    assert CtrlC(received=1).caused(ImportError("numba._devicearray failed to import"))


def test_other_unraisable_exceptions_go_to_the_hook_before(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    restore = CtrlC().install()
    try:
        sys.unraisablehook(SimpleNamespace(exc_type=ValueError, exc_value=ValueError("x"), object=None))
    finally:
        restore()
    assert seen == [ValueError]


def _patched_zoo(monkeypatch, fail) -> object:
    from loopscape.workload import networks

    monkeypatch.setattr(networks, "names", fail)
    return CliRunner().invoke(main, ["zoo"])


def test_ctrl_c_in_any_command_exits_130(monkeypatch):
    def interrupted():
        raise KeyboardInterrupt

    result = _patched_zoo(monkeypatch, interrupted)
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "Aborted" not in result.output


def test_an_error_that_ctrl_c_caused_exits_130(monkeypatch):
    """numba's import turns a KeyboardInterrupt into an ImportError: after a SIGINT it is Ctrl-C."""

    def interrupted_import():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            _wait(5)
        except KeyboardInterrupt:
            pass  # what C code does with it
        raise ImportError("numba._devicearray failed to import")

    result = _patched_zoo(monkeypatch, interrupted_import)
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "Traceback" not in result.output


def test_other_errors_are_not_taken_for_ctrl_c(monkeypatch):
    def broken():
        raise SystemError("not an interrupt")

    result = _patched_zoo(monkeypatch, broken)
    assert isinstance(result.exception, SystemError)


def test_every_command_puts_the_hooks_back(monkeypatch):
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    hook, handler = sys.unraisablehook, signal.getsignal(signal.SIGINT)
    assert CliRunner().invoke(main, ["zoo"]).exit_code == 0
    assert sys.unraisablehook is hook and signal.getsignal(signal.SIGINT) is handler


def test_ctrl_c_held_through_a_block_comes_after_it(ctrl_c):
    from loopscape.interrupts import ctrl_c_held

    finished = False
    with pytest.raises(KeyboardInterrupt):
        with ctrl_c_held():
            os.kill(os.getpid(), signal.SIGINT)
            _wait(0.2)  # a KeyboardInterrupt here would leave `finished` False
            finished = True
        _wait(5)
    assert finished and ctrl_c.received == 1
    assert signal.getsignal(signal.SIGINT) == ctrl_c._handler


def test_a_block_without_ctrl_c_runs_through(ctrl_c):
    from loopscape.interrupts import ctrl_c_held

    with ctrl_c_held():
        _wait(0.05)
    _wait(0.05)
    assert ctrl_c.received == 0


NOTED_AS_UNHANDLED = """
import ctypes, sys
from loopscape.workload import networks

def interrupted():
    # what a KeyboardInterrupt passing out of code run through PyRun_* leaves behind (as in some imports)
    ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_UnhandledKeyboardInterrupt").value = 1
    {then}

networks.names = interrupted
from loopscape.cli import main
main(["zoo"], prog_name="loopscape")
"""


@pytest.mark.skipif(sys.implementation.name != "cpython", reason="a CPython detail")
@pytest.mark.parametrize("then", ["raise KeyboardInterrupt", "sys.exit(130)  # a long job that reported"])
def test_a_handled_ctrl_c_exits_130_even_when_cpython_noted_it_as_unhandled(tmp_path, then):
    """As `python -m loopscape` (the note is read at exit after `-m`, not after a script or `-c`)."""
    import subprocess

    (tmp_path / "noted.py").write_text(NOTED_AS_UNHANDLED.replace("{then}", then))
    cmd = [sys.executable, "-m", "noted"]
    proc = subprocess.run(cmd, cwd=tmp_path, check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, (proc.returncode, proc.stderr)  # not -2: killed by SIGINT at exit
    assert "Traceback" not in proc.stderr


CTRL_C_WHILE_LOADING = """
import sys

class CtrlCOnImport:
    '''Ctrl-C pressed while the command's modules load: the import of its click commands is interrupted.'''
    def find_spec(self, name, path=None, target=None):
        if name == "loopscape.cli":
            raise KeyboardInterrupt

sys.meta_path.insert(0, CtrlCOnImport())
from loopscape.entry import main
main()
"""


def test_ctrl_c_while_the_command_loads_exits_130(tmp_path):
    import subprocess

    cmd = [sys.executable, "-c", CTRL_C_WHILE_LOADING]
    proc = subprocess.run(cmd, cwd=tmp_path, check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert proc.stderr.strip() == "interrupted"


def test_the_entry_point_loads_nothing_heavy_before_it_can_take_ctrl_c():
    import subprocess

    heavy = "('numpy', 'click', 'yaml')"
    code = f"import sys, loopscape.entry; print(sorted(m for m in {heavy} if m in sys.modules))"
    proc = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout.strip() == "[]"
