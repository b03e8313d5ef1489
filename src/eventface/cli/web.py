"""`eventface web`: the web app with its background worker, in one process (what `make run` runs)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console

from eventface.cli.options import DataDir, fail, settings_for
from eventface.logs import configure_logging
from eventface.secret_key import WeakKeyError

out = Console(soft_wrap=True)


def web(
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8000,
    data_dir: DataDir = None,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the background worker in this process")
    ] = True,
) -> None:
    """Serve the photographer dashboard, the guest pages and the API on http://HOST:PORT."""
    settings = settings_for(data_dir)
    logging.getLogger().handlers.clear()  # the CLI's plain stderr handler; structured lines replace it
    # imported here: every other command (`eventface index` among them) starts without the web app
    import uvicorn  # noqa: PLC0415

    from eventface.matching.blas_threads import blas_on_one_thread_from_now  # noqa: PLC0415
    from eventface.web.app import create_app  # noqa: PLC0415
    from eventface.web.limits import request_deadlines  # noqa: PLC0415

    blas_on_one_thread_from_now()

    configure_logging(settings.data_dir / "logs", settings.log_level)
    try:
        app = create_app(settings, worker=worker)
    except WeakKeyError as exc:
        fail(str(exc))
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
    out.print(f"eventface is running at [bold]http://{shown}:{port}[/] (Ctrl+C stops it)", highlight=False)
    # log_config=None: uvicorn's own lines go through our structured logging
    # proxy_headers=False: the app believes X-Forwarded-* from EVENTFACE_TRUSTED_PROXIES only
    # http=: uvicorn's h11 protocol with deadlines for a request's headers and body (web/limits.py)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        server_header=False,
        proxy_headers=False,
        http=request_deadlines(settings.header_timeout_s, settings.body_timeout_s),
    )
