"""The executive dashboard (``/executive``): the headline first, from one request (``/api/executive/headline``,
:mod:`reports.headline`): members out now and the share restored, one line per open significant incident,
notices and failed deliveries, summary reports due and overdue, year-to-date SAIDI against the four years
before (with and without major event days) and the worst feeders; the evidence (each incident's criteria,
every index by year, the notices, members' alerts: counts and errors, never who) one click away, and every
report to download (``templates/staff/executive.html``, ``static/executive.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboards.pages.templating import page_response

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 60
YEARS = 5  # the annual reliability reports offered for download: this year and the four before
ALERT_HOURS = 24  # the member alerts card: events of the last day
ALERT_LIMIT = 50


@router.get("/executive", response_class=HTMLResponse)
def executive_page(request: Request) -> Response:
    return page_response(
        request,
        "staff/executive.html",
        title="Executive dashboard",
        config={
            "roles": ["executive", "admin"],
            "poll": POLL_SECONDS,
            "years": YEARS,
            "alert_hours": ALERT_HOURS,
            "alert_limit": ALERT_LIMIT,
        },
    )
