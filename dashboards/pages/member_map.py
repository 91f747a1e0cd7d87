"""The member outage map (``/map``, public, no login) and its data endpoint (``/map/data.json``).

The page is a folium/Leaflet map of the counties and communities (simplified polygons, no base tiles,
Leaflet served from ``/static``), a summary, a table of areas and the active outage areas, in English
and Spanish.  Its script fetches ``/map/data.json`` every ``refresh_seconds`` and reshades the map in
place.  The figures come from :class:`outages.public_map.PublicMapCache` (aggregates only, D14), sent as
pre-serialised, pre-gzipped bytes with an ETag, so a storm's readers cost no database work.
"""

from __future__ import annotations

import gzip
import html
import json
import logging
import threading
from pathlib import Path
from time import monotonic
from typing import Annotated

import folium
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from dashboards.settings import get_settings
from gis.maps import LEAFLET_ONLY, area_map, local_assets, simplify_areas
from outages.public_map import (PublicMapCache, PublicMapSettings, facility_version, get_public_map_settings,
                                public_areas)

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
NPM_URL = "/static/node_modules"
PAGE_REBUILD_CHECK_SECONDS = 60.0

# Same origin only: the page must work with no internet and must not leak readers to third parties.
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "frame-ancestors 'none'")

router = APIRouter(tags=["member map"])
router.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")


class AreaFigures(BaseModel):
    code: str
    name: str
    kind: str
    members_served: int
    members_out: int
    members_out_unlocated: int = Field(0, description="Of members_out, an estimate of those out that nobody has "
                                          "located yet (placed in areas in proportion to where the facility's "
                                          "members are)")
    percent_out: float
    status: str | None
    cause: str | None
    cause_label: str | None
    etr: str | None
    out_since: str | None
    restored_at: str | None
    last_updated: str | None


class Totals(BaseModel):
    members_served: int
    members_out: int
    members_out_unlocated: int = Field(0, description="Of members_out, those out that nobody has located yet")
    percent_out: float
    active_outages: int
    areas_affected: int


class PublicFigures(BaseModel):
    """What the public map shows (aggregates only; areas under ``min_members`` are not listed)."""

    as_of: str
    timezone: str
    refresh_seconds: int
    min_members: int
    totals: Totals
    areas: list[AreaFigures]
    hidden_areas: int


def _settings(request: Request) -> PublicMapSettings:
    """The map's settings: the environment's, unless the app holds its own (tests)."""
    return getattr(request.app.state, "public_map_settings", None) or get_public_map_settings()


def _cache(request: Request) -> PublicMapCache:
    """The app's figure cache (one per session factory, so a test's rolled-back database gets its own)."""
    state = request.app.state
    cache = getattr(state, "public_map", None)
    if cache is None or cache.sessions is not state.sessions:
        with _build_lock:
            cache = getattr(state, "public_map", None)
            if cache is None or cache.sessions is not state.sessions:
                cache = state.public_map = PublicMapCache(state.sessions, settings=_settings(request))
    return cache


_build_lock = threading.Lock()


def _send(request: Request, body: bytes, gzipped: bytes, etag: str, media_type: str, max_age: int) -> Response:
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(gzipped, media_type=media_type, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/map/data.json", response_model=PublicFigures, summary="The public outage map's figures (no login)",
            responses={304: {"description": "Not modified since the ETag sent in If-None-Match"}})
async def member_map_data(request: Request) -> Response:
    """Members out, served and percent per county and community, with status, cause, ETR and last
    update, and the system totals.  Aggregates only (D14).  Recomputed when the log changes.

    Async: a fresh payload is sent straight from memory; only a check of the log (at most every few
    seconds) goes to a worker thread."""
    cache = _cache(request)
    payload = cache.fresh() or await run_in_threadpool(cache.get)
    return _send(request, payload.body, payload.gzipped, payload.etag, "application/json", 5)


# --- the page ------------------------------------------------------------------------------------

_page_lock = threading.Lock()


def _build_page(session, settings: PublicMapSettings) -> str:
    """The page's HTML with a ``__REFRESH__`` placeholder (the reload interval)."""
    areas = simplify_areas(public_areas(session=session, settings=settings))
    layers = {kind: areas[areas.kind == kind] for kind in ("county", "community") if kind in settings.area_kinds}
    js, css = local_assets(NPM_URL, LEAFLET_ONLY)
    m, names = area_map(layers, js=js, css=css, properties=("code", "name", "kind"))
    fig = m.get_root()
    title = html.escape(get_settings().cooperative_name)
    config = {"map": m.get_name(), "layers": names, "data": "/map/data.json", "refresh": "__REFRESH__",
              "title": get_settings().cooperative_name}
    fig.header.add_child(folium.Element(
        f'<title>Outage map · {title}</title><meta name="description" content="Power outages now, by area">'
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/member-map.css">'))
    fig.html.add_child(folium.Element(BODY.replace("__COOP__", title)))
    fig.html.add_child(folium.Element(
        '<script type="application/json" id="mm-config">'
        + json.dumps(config).replace("</", "<\\/") + "</script>"
        '<script src="/static/member-map.js" defer></script>'))
    return fig.render()


def _page(request: Request) -> str:
    state = request.app.state
    cached = getattr(state, "member_map_page", None)
    now = monotonic()
    if cached and cached[0] is state.sessions and now - cached[1] < PAGE_REBUILD_CHECK_SECONDS:
        return cached[3]
    with _page_lock:
        with state.sessions() as session:
            version = facility_version(session)
            if not (cached and cached[0] is state.sessions and cached[2] == version):
                cached = (state.sessions, now, version, _build_page(session, _settings(request)))
            else:
                cached = (state.sessions, now, version, cached[3])
        state.member_map_page = cached
    return cached[3]


@router.get("/map", response_class=HTMLResponse, summary="The member outage map (public page, no login)")
def member_map_page(request: Request,
                    refresh: Annotated[int | None, Query(ge=2, le=300, description="seconds between data reloads")]
                    = None) -> Response:
    seconds = refresh or min(_settings(request).refresh_seconds, 300)
    page = _page(request).replace('"__REFRESH__"', str(int(seconds)))
    body = page.encode()
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(body, 6)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)


BODY = """
<header class="mm-bar">
  <h1><span data-i18n="title">Outage map</span> <small>__COOP__</small></h1>
  <button type="button" id="mm-lang" lang="es">Español</button>
</header>
<section class="mm-summary" aria-live="polite">
  <div class="mm-tot"><b id="mm-out">–</b><span data-i18n="members_out">members out</span>
    <small id="mm-unlocated" class="mm-unlocated" hidden></small></div>
  <div class="mm-tot"><b id="mm-served">–</b><span data-i18n="members_served">members served</span></div>
  <div class="mm-tot"><b id="mm-pct">–</b><span data-i18n="percent_out">out of power</span></div>
  <div class="mm-tot"><b id="mm-active-n">–</b><span data-i18n="active_outages">active outages</span></div>
  <p class="mm-updated"><span data-i18n="last_updated">Last updated</span>: <time id="mm-updated">–</time>
    <span id="mm-stale" class="mm-warn" hidden data-i18n="stale">Could not refresh; showing the last figures.</span></p>
  <p class="mm-links"><a href="/members/report" data-i18n="report">Report an outage</a>
    <a href="/members" data-i18n="account">Outage alerts and my account</a></p>
</section>
<section class="mm-list">
  <div class="mm-legend" aria-hidden="true"><span data-i18n="legend">Share of members out</span>
    <i style="background:#eef2f5"></i>0 <i style="background:#fdd49e"></i>&lt;1% <i style="background:#fc8d59"></i>1–5%
    <i style="background:#e34a33"></i>5–25% <i style="background:#990000"></i>≥25%</div>
  <h2 data-i18n="active_areas">Areas with outages</h2>
  <p id="mm-none" data-i18n="none">No outages are reported right now.</p>
  <ul id="mm-active"></ul>
  <h2 data-i18n="all_areas">All areas</h2>
  <table id="mm-table"><thead><tr><th data-i18n="area">Area</th><th class="num" data-i18n="out">Out</th>
    <th class="num" data-i18n="served">Served</th><th class="num">%</th></tr></thead><tbody></tbody></table>
  <p class="mm-note" data-i18n="privacy">Figures are totals per county and community. Areas with very few
    members are not shown on their own; they count in the system totals.</p>
</section>
"""
