"""The API's documentation pages, /docs (Swagger UI) and /redoc, when EVENTFACE_API_DOCS is on.

Their scripts and styles come from the `fastapi-offline` wheel (Swagger UI 5 and ReDoc 2, copied
from their npm releases), served from this server: no CDN sees who reads the docs, and the pages
live under the same CSP as the rest (Swagger UI is started by /static/api-docs.js, not by an
inline script as FastAPI's own page does). /openapi.json is always public: it describes routes,
never data.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"


def assets_dir() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def add_api_docs(app: FastAPI, version: str) -> None:
    """Serves /docs, /redoc and their assets from this server."""
    openapi_url = html.escape(app.openapi_url or "/openapi.json")
    title = html.escape(app.title)
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="api-docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(
            _page(
                f"{title} API",
                f'<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css">',
                f'<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>'
                f'<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>'
                f'<script src="/static/api-docs.js?v={html.escape(version)}"></script>',
            )
        )

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(
            _page(
                f"{title} API",
                "",
                f'<redoc spec-url="{openapi_url}"></redoc>'
                f'<script src="{ASSETS_URL}/redoc.standalone.js"></script>',
            )
        )


def _page(title: str, head: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="/static/icon.svg" type="image/svg+xml">{head}'
        f"</head><body>{body}</body></html>"
    )
