"""The web shell: FastAPI app, pages and HTTP API over the services."""
