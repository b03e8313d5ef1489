"""Child processes that never outlive eventface.

A worker process spawned by a pool is orphaned to PID 1 when its parent is SIGKILLed (no
shutdown code runs), and keeps its face models (hundreds of MB) forever. Linux can deliver a
signal to a child when its parent dies: `prctl(PR_SET_PDEATHSIG)`, set by the child itself.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


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
