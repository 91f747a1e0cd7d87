"""How every page is answered: its Jinja2 template, its versioned scripts and styles, and the one policy.

A page holds no data and no inline code of ours: the template (``dashboards/templates/``) carries the HTML and a
JSON config block, and the page's ES module (``dashboards/static/``) reads that block.  Everything is same-origin,
so a control room or a phone with no internet sees the same page, and the Content-Security-Policy says so.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from dashboards.settings import get_settings
from outages.settings import get_rule_settings

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
# the modules the page modules import: the import map gives them their versioned URLs too
SHARED_MODULES = ("kit.js", "staff.js")

templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}


@lru_cache
def asset_url(name: str) -> str:
    """``/static/<name>?v=<short hash of the file>``, so a phone never mixes a new page with an old script."""
    version = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={version}"


templates.env.globals["asset"] = asset_url


@lru_cache
def import_map() -> str:
    """The page's import map: ``import … from './kit.js'`` loads the versioned URL as well."""
    return json.dumps({"imports": {f"/static/{name}": asset_url(name) for name in SHARED_MODULES}})


def sha256_source(text: str) -> str:
    """The policy's ``sha256-…`` source allowing one inline block with exactly this text."""
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def content_security_policy(*, script_hashes: Iterable[str] = ()) -> str:
    """The one Content-Security-Policy of every page: same origin only, and no inline script but the blocks named
    by their hashes (the import map), no inline style."""
    scripts = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data: blob:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    )


def render_page(
    template: str, *, config: dict[str, Any], import_map_used: bool = True, **context: Any
) -> tuple[bytes, str]:
    """``template`` rendered with ``context``, the cooperative's name, and ``config`` (plus the cooperative's name
    and time zone) in its JSON block, and the page's policy (the import map's hash when the page has one)."""
    settings = get_settings()
    config = {"coop": settings.cooperative_name, "zone": get_rule_settings().timezone, **config}
    imports = import_map() if import_map_used else ""
    body = (
        templates.get_template(template)
        .render(coop=settings.cooperative_name, config=config, import_map=Markup(imports), **context)
        .encode()
    )
    return body, content_security_policy(script_hashes=[sha256_source(imports)] if imports else [])


def page_response(
    request: Request,
    template: str,
    *,
    config: dict[str, Any],
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page (:func:`render_page`) with the one policy and no caching; gzipped when the browser takes it."""
    body, policy = render_page(template, config=config, **context)
    sent = {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Vary": "Accept-Encoding",
        **(headers or {}),
    }
    if "gzip" in request.headers.get("accept-encoding", ""):
        sent["Content-Encoding"] = "gzip"
        body = gzip.compress(body, 6)
    return Response(body, media_type="text/html; charset=utf-8", headers=sent)
