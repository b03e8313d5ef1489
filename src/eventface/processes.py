"""Child processes that never outlive eventface, and a process that stops cleanly (issue 13).

A worker process spawned by a pool is orphaned to PID 1 when its parent is SIGKILLed (no
shutdown code runs), and keeps its face models (hundreds of MB) forever. Linux can deliver a
signal to a child when its parent dies: `prctl(PR_SET_PDEATHSIG)`, set by the child itself.

`systemctl stop` and Ctrl+C signal the whole process group, workers included. A worker that died
of that signal looked like a crash to its pool, which started a new one while the server was
shutting down: that worker, and multiprocessing's resource tracker (which exits when the last
holder of its pipe, the parent or any spawned child, is gone), stayed behind for good. So
workers ignore SIGINT and SIGTERM, and the parent, which got them too, stops its pools itself.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_PR_SET_PDEATHSIG = 1
STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class ShuttingDown(KeyboardInterrupt):
    """The process is stopping: work ends where it is, and what was left resumes at the next start.

    A KeyboardInterrupt, so that no `except Exception` at the top of a job swallows it and Huey
    reports the task as interrupted by an exit signal.
    """


def die_with_parent() -> None:
    """Called first in a child process (a pool's initializer): SIGKILL it when its parent dies.

    The signal fires when the *thread* that spawned the child exits, so pools must be created and
    shut down by one long-lived thread (as every pool here is). No-op outside Linux.
    """
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() == 1:  # the parent died before prctl took effect: nobody will signal us
        os._exit(1)


def become_worker(niceness: int = 0) -> None:
    """The start of a worker process: dies with its parent, leaves stopping to it, yields the CPU.

    `niceness` is added to the process's nice value, so that guests' searches in the parent go
    first (issue 12). Expects to be spawned inside `stop_signals_blocked()`.
    """
    die_with_parent()
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    # a group signal that came while this process was starting was held back; ignored now, it is dropped
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if niceness:
        os.nice(niceness)


@contextmanager
def stop_signals_blocked() -> Iterator[None]:
    """Holds SIGINT and SIGTERM back in this thread; a child spawned meanwhile inherits the mask.

    A spawned worker needs a moment before `become_worker` ignores them: a group signal in that
    moment would kill it. The parent's own handlers run anyway (CPython runs them in the main
    thread, and the kernel gives a process's signal to a thread that does not block it); in the
    main thread the signal waits until the block ends.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
