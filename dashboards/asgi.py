"""ASGI entry point: ``uvicorn dashboards.asgi:app``.  Refuses to start on unsafe settings outside demo mode
(a placeholder or short secret, a placeholder public address), however it is started."""

from dashboards.app import create_app
from dashboards.settings import get_settings

get_settings().refuse_unsafe_defaults()
app = create_app()
