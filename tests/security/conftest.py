"""The security suite: one regression test per point of "safe on a public server" (issue 10).

Tests about the server itself (headers, limits, throttles, the proxy in front) run against the
real `eventface web` subprocess; the rest use the in-process app of tests/web.
"""

from __future__ import annotations

from tests.server.conftest import servers  # noqa: F401  (the real-server harness, shared)
from tests.web.conftest import alice, bob, make_web, web, wedding_folder  # noqa: F401
