"""The dispatcher console (``/console``), built for a storm: the system's figures, members' hazard reports first,
every open record in a compact row (filters by division, substation and status, sorting, crews sent and moved on
from the row) beside the facility map (dark feeders, devices and lines from who is out), the significant
incidents one line each with their evidence, keyboard forms to log, step, set an ETR and close whose time fields
take typing ("14:05", "now", "-15m"), probable outages from members' reports, the crews and the call list.  One
request a round (``/api/console/overview``); every message is shown next to the field it names, in the
cooperative's time (``templates/staff/console.html``, ``static/console.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboards.pages.templating import page_response

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 15
ETR_WARNING_MINUTES = 30


@router.get("/console", response_class=HTMLResponse)
def console_page(request: Request) -> Response:
    return page_response(
        request,
        "staff/console.html",
        title="Dispatcher console",
        config={"roles": ["dispatcher"], "poll": POLL_SECONDS, "etr_warning_minutes": ETR_WARNING_MINUTES},
    )
