"""The real-server tests: `eventface web` in a subprocess, through the shared harness.

The harness lives in tests/harness/server.py; its names are re-exported here because other
suites (tests/security/) import them from this module.
"""

from __future__ import annotations

from tests.harness.server import (  # noqa: F401  (re-exported)
    EMAIL,
    PASSWORD,
    Server,
    Servers,
    create_photographer,
    free_port,
    query,
    run_cli,
    servers,
    tail,
    wait_for,
)
