"""The public outage map's files (no login): the page at ``/map`` and the snapshot's files under ``/map/``
(:mod:`dashboards.public_site`), the same bytes the web server serves from the snapshot folder.  Sent from
memory, gzipped when taken, with an ETag (304 when unchanged): a storm's readers cost no database work here, and
in production they do not reach the app at all (the shipped nginx config)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from dashboards.cached import send
from dashboards.pages.templating import content_security_policy
from dashboards.public_site import FILES, public_site

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
    members_restored: int = Field(
        0, description="Back on so far of the area's open outages (located members; a partial restoration)"
    )
    partial: bool = Field(False, description="The area has open outages and some of their members are back on")
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
    members_restored: int = Field(0, description="Back on so far of the open outages (located members)")
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


class GeoJSONResponse(Response):
    media_type = "application/geo+json"


class ScriptResponse(Response):
    media_type = "text/javascript"


NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified since the ETag sent in If-None-Match"}
}
FEATURE_COLLECTION = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {"type": {"const": "FeatureCollection"}, "features": {"type": "array"}},
}
FEATURES = {**NOT_MODIFIED, 200: {"content": {"application/geo+json": {"schema": FEATURE_COLLECTION}}}}


@router.get(
    "/map/data.json",
    response_model=PublicFigures,
    summary="The public outage map's figures (no login)",
    responses=NOT_MODIFIED,
)
async def member_map_data(request: Request) -> Response:
    """Members out, served and percent per county and community, with status, cause, ETR, partial restoration
    and last update, and the system totals.  Aggregates only (D14).  Recomputed when the log changes.

    Async: a fresh payload is sent straight from memory; only a check of the log (at most every few
    seconds) goes to a worker thread."""
    cache = public_site(request.app.state).cache
    payload = cache.fresh()
    if payload is None:
        payload = await run_in_threadpool(cache.get)
    return send(request, payload, cache_control="public, max-age=5")


async def _file(request: Request, name: str, cache_control: str) -> Response:
    payload = await run_in_threadpool(public_site(request.app.state).file, name)
    return send(request, payload, cache_control=cache_control, media_type=FILES[name])


@router.get(
    "/map", summary="The member outage map (public page, no login)", response_class=HTMLResponse, responses=NOT_MODIFIED
)
async def member_map_page(request: Request) -> Response:
    response = await _file(request, "index.html", "no-cache")
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# the snapshot's other files: name -> (summary, how the answer is documented, Cache-Control)
SNAPSHOT_ROUTES: dict[str, tuple[str, type[Response], str]] = {
    "areas.geojson": ("The public areas' outlines (GeoJSON, no login)", GeoJSONResponse, "public, max-age=60"),
    "landbase.geojson": (
        "The base map: roads, places, water (GeoJSON, no login)",
        GeoJSONResponse,
        "public, max-age=60",
    ),
    "places.json": (
        "What the map's search finds: communities, counties, ZIP codes",
        JSONResponse,
        "public, max-age=60",
    ),
    "map.js": ("The page's map of the public areas (script, no login)", ScriptResponse, "public, max-age=60"),
    "outages.txt": ("The outages as plain text, in English", PlainTextResponse, "public, max-age=5"),
    "outages.es.txt": ("The outages as plain text, in Spanish", PlainTextResponse, "public, max-age=5"),
    "odin.json": ("Open outage feed (ODIN PubOutages profile fields, no login)", JSONResponse, "public, max-age=5"),
}


def _serving(name: str, cache_control: str):
    async def serve(request: Request) -> Response:
        return await _file(request, name, cache_control)

    return serve


for _name, (_summary, _documented, _cache) in SNAPSHOT_ROUTES.items():
    router.add_api_route(
        f"/map/{_name}",
        _serving(_name, _cache),
        methods=["GET"],
        summary=_summary,
        response_class=_documented,
        responses=FEATURES if _documented is GeoJSONResponse else NOT_MODIFIED,
    )
