"""What every request passes before a route sees it: a Host the operator configured, a body within its size
limit, and no NUL character anywhere in its text (PostgreSQL refuses NUL in text, and no form needs one)."""

from __future__ import annotations

import json

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dashboards.settings import ServiceSettings
from gis.errors import InvalidInput

UPLOADS = (b"multipart/form-data",)


def _too_large(limit: int) -> str:
    return f"The request is larger than {limit:,} bytes. Fix: send a smaller body (split an import into several files)."


class BodyLimit:
    """Refuse (413) a body over its limit: ``upload_bytes`` for file uploads (multipart), ``json_bytes`` for
    everything else.  A declared Content-Length over it is refused before reading; a body sent in chunks is
    cut off as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, *, json_bytes: int, upload_bytes: int):
        self.app, self.json_bytes, self.upload_bytes = app, json_bytes, upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        limit = self.upload_bytes if headers.get(b"content-type", b"").startswith(UPLOADS) else self.json_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await JSONResponse({"detail": _too_large(limit)}, status_code=413)(scope, receive, send)
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(status_code=413, detail=_too_large(limit))
            return message

        await self.app(scope, limited, send)


def _nul_in(value, path: str) -> str | None:
    """The dotted path of the first string holding a NUL in a decoded JSON value, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if "\x00" in str(key):
            return f"{path}.{key}".strip(".") or "body"
        found = _nul_in(item, f"{path}.{key}".strip("."))
        if found:
            return found
    return None


async def refuse_nul(request: Request) -> None:
    """Refuse a NUL character in the path, the query or a JSON or form body, naming where it is."""
    places = [*request.path_params.items(), *request.query_params.multi_items()]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        places += [(k, v) for k, v in (await request.form()).multi_items() if isinstance(v, str)]  # not files
    field = next((name for name, value in places if "\x00" in name or "\x00" in value), None)
    if field is None and "json" in content_type:
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            try:
                field = _nul_in(json.loads(body), "") or "body"
            except ValueError:
                field = None  # not JSON: the route's own validation says so
    if field is not None:
        raise InvalidInput(f"{field} contains a NUL character (\\u0000). Fix: remove it and send again.", field=field)


def install(app: FastAPI, settings: ServiceSettings) -> None:
    """Put the guards on the app (the Host check outermost)."""
    app.add_middleware(BodyLimit, json_bytes=settings.max_json_bytes, upload_bytes=settings.max_upload_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
