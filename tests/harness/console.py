"""Running the installed `eventface` console script as a real process (the CLI, and `eventface web`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EVENTFACE = Path(sys.executable).parent / "eventface"
TIMEOUT_S = 180


def eventface_env(**settings: str) -> dict[str, str]:
    """This environment (already without EVENTFACE_* settings, see tests/conftest.py) plus `settings`."""
    if not EVENTFACE.is_file():
        pytest.skip(f"the eventface console script is not installed next to {sys.executable}")
    return {**os.environ, "COLUMNS": "200", **settings}


def command(args: tuple[str | Path, ...], data_dir: Path | None) -> list[str]:
    return [str(EVENTFACE), *map(str, args), *(["--data-dir", str(data_dir)] if data_dir else [])]


def run_eventface(
    *args: str | Path,
    data_dir: Path | None,
    env: dict[str, str],
    cwd: Path | None = None,
    stdin: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Runs `eventface ARGS --data-dir DATA_DIR` (no --data-dir when it is None) to completion."""
    result = subprocess.run(
        command(args, data_dir),
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=TIMEOUT_S,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"eventface {args} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def start_eventface(
    *args: str | Path, data_dir: Path, env: dict[str, str], cwd: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(args, data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=cwd,
    )


def create_event(folder: Path, data_dir: Path, env: dict[str, str], cwd: Path) -> str:
    """`eventface events create`; the id is the last line of its output."""
    out = run_eventface(
        "events", "create", "Wedding", "--folder", folder, data_dir=data_dir, env=env, cwd=cwd
    )
    return out.stdout.strip().splitlines()[-1]
