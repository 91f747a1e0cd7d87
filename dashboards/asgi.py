"""ASGI entry point: ``uvicorn dashboards.asgi:app``."""

from dashboards.app import create_app

app = create_app()
