"""Ctrl-C that lands in a callback from C (numba's compiler calling Python through ctypes) still stops the
program: Python reports such a KeyboardInterrupt as unraisable and goes on, so it is sent again."""

from __future__ import annotations

import ctypes
import sys
import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from loopscape.cli import main
from loopscape.errors import redeliver_swallowed_interrupts

CALLBACK = ctypes.CFUNCTYPE(None)


def _interrupted_callback() -> None:
    raise KeyboardInterrupt


def _call_from_c() -> None:
    """Call a Python function from C that raises KeyboardInterrupt, as a Ctrl-C landing in numba's compiler."""
    ctypes.cast(CALLBACK(_interrupted_callback), CALLBACK)()


def _wait(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.005)


def test_a_swallowed_ctrl_c_is_delivered_again(monkeypatch):
    monkeypatch.setattr(sys, "unraisablehook", sys.unraisablehook)
    redeliver_swallowed_interrupts()
    with pytest.raises(KeyboardInterrupt):
        _call_from_c()  # the exception stays in C: Python reports it as unraisable and goes on
        _wait(5)


def test_without_it_the_ctrl_c_is_lost(monkeypatch):
    """The failure this mends: the program runs on as if Ctrl-C had not been pressed."""
    lost = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: lost.append(u.exc_type))
    _call_from_c()
    _wait(0.1)
    assert lost == [KeyboardInterrupt]


def test_other_unraisable_exceptions_go_to_the_hook_before(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_type))
    redeliver_swallowed_interrupts()
    redeliver_swallowed_interrupts()  # installed once
    hook = sys.unraisablehook
    hook(
        SimpleNamespace(
            exc_type=ValueError, exc_value=ValueError("x"), exc_traceback=None, err_msg=None, object=None
        )
    )
    assert seen == [ValueError]
    redeliver_swallowed_interrupts()
    assert sys.unraisablehook is hook


def test_every_command_installs_it(monkeypatch):
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    assert CliRunner().invoke(main, ["zoo"]).exit_code == 0
    assert getattr(sys.unraisablehook, "redelivers_interrupts", False)


@pytest.mark.parametrize("raised", [KeyboardInterrupt(), SystemError("numba: error loading a kernel")])
def test_ctrl_c_in_any_command_exits_130(monkeypatch, raised):
    """Ctrl-C that a command does not report itself: 'interrupted' and exit 130 (a shell's convention), not
    click's 'Aborted!' and 1; a SystemError numba raised while a KeyboardInterrupt was on its way too."""
    from loopscape.workload import networks

    def interrupted(*_args, **_kwargs):
        if isinstance(raised, SystemError):
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise raised  # chained implicitly, as numba's dispatcher does
        raise raised

    monkeypatch.setattr(networks, "names", interrupted)
    result = CliRunner().invoke(main, ["zoo"])
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "Aborted" not in result.output


def test_other_errors_are_not_taken_for_ctrl_c(monkeypatch):
    from loopscape.workload import networks

    def broken(*_args, **_kwargs):
        raise SystemError("not an interrupt")

    monkeypatch.setattr(networks, "names", broken)
    result = CliRunner().invoke(main, ["zoo"])
    assert isinstance(result.exception, SystemError)
