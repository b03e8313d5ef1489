"""The real-server tests: `eventface web` in a subprocess, through the shared harness.

The harness lives in tests/harness/server.py; its names are re-exported here because other
suites (tests/security/) import them from this module.
"""

from __future__ import annotations

from tests.harness.console import EVENTFACE  # noqa: F401  (re-exported)
from tests.harness.console import TIMEOUT_S as CLI_TIMEOUT_S  # noqa: F401
from tests.harness.server import (  # noqa: F401
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
from tests.harness.server import server_env as eventface_env  # noqa: F401
