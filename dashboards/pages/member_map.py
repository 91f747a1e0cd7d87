"""The member outage map (``/map``, public, no login) and its data endpoint (``/map/data.json``).

The page is a folium/Leaflet map of the counties and communities (simplified polygons, no base tiles,
Leaflet served from ``/static``), a summary, a table of areas and the active outage areas, in English
and Spanish.  Its script fetches ``/map/data.json`` every ``refresh_seconds`` and reshades the map in
place.  The figures come from :class:`outages.public_map.PublicMapCache` (aggregates only, D14), sent as
pre-serialised, pre-gzipped bytes with an ETag, so a storm's readers cost no database work.  The page is
``templates/members/map.html`` around folium's pieces; the policy lets folium's inline blocks run by their hashes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, Field

from dashboards.cached import send
from dashboards.pages.members import LANG_KEY, by_language
from dashboards.pages.templating import inline_hashes, page_response
from gis.maps import LEAFLET_ONLY, area_map, local_assets, map_parts, simplify_areas
from outages.members.texts import TEXTS
from outages.public_map import (
    STATUSES,
    PublicMapCache,
    PublicMapSettings,
    facility_version,
    get_public_map_settings,
    public_areas,
)

if TYPE_CHECKING:
    import geopandas as gpd

NPM_URL = "/static/node_modules"
PAGE_REBUILD_CHECK_SECONDS = 60.0
# the map's own texts (``map_`` keys, without the prefix) and the causes' names
MAP_TEXTS = by_language(
    {key.removeprefix("map_"): pair for key, pair in TEXTS.items() if key.startswith(("map_", "cause_"))}
)

router = APIRouter(tags=["member map"])


class AreaFigures(BaseModel):
    code: str
    name: str
    kind: str
    members_served: int
    members_out: int
    members_out_unlocated: int = Field(
        0,
        description="Of members_out, an estimate of those out that nobody has "
        "located yet (placed in areas in proportion to where the facility's "
        "members are)",
    )
    percent_out: float
    status: str | None = Field(
        description="reported (known, nobody assigned) | crew_assigned | crew_on_site (the least advanced of the "
        "area's open records) | restored; null: nothing to tell"
    )
    cause: str | None
    cause_label: str | None
    etr: str | None = Field(
        description="the latest ETR of the area's open records when every one has one; else null (being assessed)"
    )
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


@router.get(
    "/map/data.json",
    response_model=PublicFigures,
    summary="The public outage map's figures (no login)",
    responses={304: {"description": "Not modified since the ETag sent in If-None-Match"}},
)
async def member_map_data(request: Request) -> Response:
    """Members out, served and percent per county and community, with status, cause, ETR and last
    update, and the system totals.  Aggregates only (D14).  Recomputed when the log changes.

    Async: a fresh payload is sent straight from memory; only a check of the log (at most every few
    seconds) goes to a worker thread."""
    cache = _cache(request)
    payload = cache.fresh()
    if payload is None:
        payload = await run_in_threadpool(cache.get)
    return send(request, payload, cache_control="public, max-age=5")


# --- the page ------------------------------------------------------------------------------------

_page_lock = threading.Lock()


@dataclass(frozen=True)
class BuiltMap:
    """folium's map of the public areas in the pieces the page's template places, with what the page's policy
    needs to let its inline blocks run: their hashes."""

    head: Markup
    body: Markup
    script: Markup
    name: str  # the map's JavaScript variable
    layers: dict[str, str]  # kind of area -> the layer's JavaScript variable
    script_hashes: list[str]
    style_hashes: list[str]


def _build_map(session, settings: PublicMapSettings) -> BuiltMap:
    areas = simplify_areas(public_areas(session=session, settings=settings))
    layers: dict[str, gpd.GeoDataFrame] = {
        kind: areas[areas.kind == kind] for kind in ("county", "community") if kind in settings.area_kinds
    }
    js, css = local_assets(NPM_URL, LEAFLET_ONLY)
    m, names = area_map(layers, js=js, css=css, properties=("code", "name", "kind"))
    head, body, script = map_parts(m)
    script_hashes, style_hashes = inline_hashes(head + script)
    return BuiltMap(Markup(head), Markup(body), Markup(script), m.get_name(), names, script_hashes, style_hashes)


def _map(request: Request) -> BuiltMap:
    """The built map, rebuilt when the facility layer changed (checked at most once a minute)."""
    state = request.app.state
    cached = getattr(state, "member_map_page", None)
    now = monotonic()
    if cached and cached[0] is state.sessions and now - cached[1] < PAGE_REBUILD_CHECK_SECONDS:
        return cached[3]
    with _page_lock:
        with state.sessions() as session:
            version = facility_version(session)
            if not (cached and cached[0] is state.sessions and cached[2] == version):
                cached = (state.sessions, now, version, _build_map(session, _settings(request)))
            else:
                cached = (state.sessions, now, version, cached[3])
        state.member_map_page = cached
    return cached[3]


@router.get("/map", response_class=HTMLResponse, summary="The member outage map (public page, no login)")
def member_map_page(
    request: Request,
    refresh: Annotated[int | None, Query(ge=2, le=300, description="seconds between data reloads")] = None,
) -> Response:
    built = _map(request)
    config = {
        "map": built.name,
        "layers": built.layers,
        "data": "/map/data.json",
        "lang_key": LANG_KEY,
        "refresh": int(refresh or min(_settings(request).refresh_seconds, 300)),
        "texts": MAP_TEXTS,
    }
    return page_response(
        request,
        "members/map.html",
        config=config,
        script_hashes=built.script_hashes,
        style_hashes=built.style_hashes,
        folium=built,
        en=MAP_TEXTS["en"],
        statuses=STATUSES,
    )
