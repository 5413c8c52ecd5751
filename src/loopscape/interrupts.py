"""Ctrl-C on the command line: every SIGINT stops the command, whatever it lands in.

Python's own handler raises KeyboardInterrupt where the main thread happens to be. Two places lose it:
a callback from C (numba's compiler calls Python through ctypes; Python only reports an exception raised
there, 'Exception ignored on calling ctypes callback function', and the job ran to its end), and C code
that replaces it with an error of its own (numba's import turns it into 'ImportError: numba._devicearray
failed to import'). `CtrlC` sends a swallowed one again and takes an error raised after a SIGINT for it.
A third makes a handled Ctrl-C look unhandled: `exit_130_not_sigint`.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from loopscape.errors import is_interrupt

REDELIVERY_DELAY_S = 0.01  # long enough for the callback that swallowed the KeyboardInterrupt to return


@dataclass
class CtrlC:
    """The SIGINTs one command has received while installed (`install`)."""

    received: int = 0
    installed: bool = False

    def caused(self, exc: BaseException) -> bool:
        """Whether `exc` is Ctrl-C: a KeyboardInterrupt or an error it caused, or any error after a SIGINT."""
        return self.received > 0 or is_interrupt(exc)

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.received += 1
        raise KeyboardInterrupt

    def _again(self) -> None:
        if self.installed:
            os.kill(os.getpid(), signal.SIGINT)

    def install(self) -> Callable[[], None]:
        """Count SIGINTs, raising KeyboardInterrupt for each; send a KeyboardInterrupt that Python could only
        report as unraisable again, from another thread, until it lands in ordinary Python code (other
        unraisable exceptions go to the hook before). Returns the function that puts both hooks back. Off
        the main thread (where signal handlers cannot be set) it does nothing."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        handler_before, hook_before = signal.getsignal(signal.SIGINT), sys.unraisablehook

        def hook(unraisable: sys.UnraisableHookArgs) -> None:
            if not isinstance(unraisable.exc_value, KeyboardInterrupt):
                hook_before(unraisable)
                return
            again = threading.Timer(REDELIVERY_DELAY_S, self._again)
            again.daemon = True
            again.start()

        def restore() -> None:
            self.installed = False
            signal.signal(signal.SIGINT, handler_before)
            sys.unraisablehook = hook_before

        signal.signal(signal.SIGINT, self._handler)
        sys.unraisablehook = hook
        self.installed = True
        return restore


@contextmanager
def ctrl_c_held() -> Iterator[None]:
    """Hold Ctrl-C for the block, then deliver it: for steps that must not stop half way (a process pool
    forking its workers: one forked before it ignores Ctrl-C dies of it, and a pool stopped before its
    thread started leaves its workers waiting for ever). A SIGINT already on its way is held too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
        if held:
            signal.raise_signal(signal.SIGINT)


def exit_130_not_sigint() -> None:
    """Let a Ctrl-C the command handled end the process with status 130. CPython notes a KeyboardInterrupt
    that passes out of code it runs through PyRun_* (as some imports do) and, at exit, kills the process
    with SIGINT whatever the exit status (a parent then sees -2, not the 130 and the report it was given).
    Each PyRun_* call clears the note first: one runs an empty statement."""
    if sys.implementation.name == "cpython":
        ctypes.pythonapi.PyRun_SimpleString(b"")


class NewChildren:
    """The processes started from here on (a process pool's workers): to kill when their work is dropped,
    after a Ctrl-C, without touching other children."""

    def __init__(self) -> None:
        self.before = set(multiprocessing.active_children())

    def kill(self) -> None:
        for child in set(multiprocessing.active_children()) - self.before:
            child.kill()
