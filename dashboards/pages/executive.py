"""The executive dashboard (``/executive``): active significant incidents, notices and failed deliveries,
members' alerts of the last 24 h (counts and errors, never who), summary reports owed, year-to-date
SAIDI/SAIFI/CAIDI against previous years (inline SVG plots, with and without major event days), the worst
feeders, and every report to download — all from the JSON API (``templates/staff/executive.html``,
``static/executive.js``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboards.pages.templating import page_response

router = APIRouter(include_in_schema=False)

POLL_SECONDS = 60
YEARS = 5  # this year to date and the four before it, over the same calendar period
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
