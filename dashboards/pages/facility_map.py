"""The facility map (``/facilities-map``, any staff role): substations, feeders, transmission lines and
service areas from the GeoJSON endpoints, with popups; open interruptions highlight their feeders;
registry entries coloured dark or on; layer control, search by identifier, and a print stylesheet so
it can be printed from the browser.  For a division office's wall, "Export PNG" / "Export PDF" download
the server-drawn map (``/api/facilities/map.png|pdf``, :mod:`reports.facility_map`) of the whole system
or of the service area chosen in the select, through the API with the bearer token.  Leaflet is served
locally from ``/static`` (no tiles, no CDN: it works in a control room with no internet)
(``templates/staff/facility_map.html``, ``static/facility-map.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboards.pages.templating import page_response

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 60
EXPORTS = {fmt: f"/api/facilities/map.{fmt}" for fmt in ("png", "pdf")}


@router.get("/facilities-map", response_class=HTMLResponse)
def facility_map_page(request: Request) -> Response:
    return page_response(
        request,
        "staff/facility_map.html",
        title="Facility map",
        config={"roles": ["dispatcher", "executive", "registry", "admin"], "poll": POLL_SECONDS, "exports": EXPORTS},
    )
