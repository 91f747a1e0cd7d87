"""Answers sent from bytes kept in memory (:class:`outages.public_map.Payload`: JSON, its gzip and an ETag):
304 when the client holds them already, the gzip when it takes gzip."""

from __future__ import annotations

from fastapi import Request, Response

from outages.public_map import Payload


def send(request: Request, payload: Payload, *, cache_control: str, media_type: str = "application/json") -> Response:
    headers = {"ETag": payload.etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == payload.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(payload.gzipped, media_type=media_type, headers=headers)
    return Response(payload.body, media_type=media_type, headers=headers)
