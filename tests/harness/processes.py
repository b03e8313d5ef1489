"""Which processes are still alive in a process group or session: what a stopped eventface left behind.

Read from /proc (Linux): an orphan is re-parented to PID 1, but keeps its group and session, so
a server started in a session of its own (`start_new_session=True`) is found with all it started.
Zombies are left out: they hold no memory, and PID 1 in a container may never reap them.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

POLL_S = 0.1


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    group: int
    session: int
    command: str

    def __str__(self) -> str:
        where = f"parent {self.ppid}, group {self.group}, session {self.session}"
        return f"pid {self.pid} ({where}): {self.command}"


def _info(proc: Path) -> ProcessInfo | None:
    try:
        stat = (proc / "stat").read_text()
        command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (FileNotFoundError, ProcessLookupError):  # it ended while we looked
        return None
    # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses
    state, ppid, group, session = stat[stat.rindex(")") + 2 :].split()[:4]
    if state in {"Z", "X"}:
        return None
    return ProcessInfo(int(proc.name), int(ppid), int(group), int(session), command)


def alive_in(session_or_group: int) -> list[ProcessInfo]:
    """Live processes whose session or process group is `session_or_group` (a leader's pid)."""
    found = []
    for proc in Path("/proc").iterdir():
        info = _info(proc) if proc.name.isdigit() else None
        if info is not None and session_or_group in {info.group, info.session} and info.pid != os.getpid():
            found.append(info)
    return found


def wait_until_none_left(session_or_group: int, deadline_s: float, what: str) -> None:
    """Fails unless every process of the session (or group) has ended within `deadline_s`."""
    deadline = time.monotonic() + deadline_s
    left = alive_in(session_or_group)
    while left and time.monotonic() < deadline:
        time.sleep(POLL_S)
        left = alive_in(session_or_group)
    if left:
        listing = "\n".join(str(p) for p in left)
        pytest.fail(f"{what}: {len(left)} processes still running after {deadline_s} s:\n{listing}")
