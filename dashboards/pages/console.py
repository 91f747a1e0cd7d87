"""The dispatcher console (``/console``): open interruptions live, probable outages from members' reports
to confirm or dismiss, the call list with a quick way to record each call, and fast keyboard forms to log,
step, set an ETR and close — all through the JSON API, with its messages shown next to the field they name
(``templates/staff/console.html``, ``static/console.js``)."""

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
