"""The dispatcher console's one request (issue 14): everything the console shows, in one answer."""

from fastapi import APIRouter, Response

from dashboards.deps import Reader, ReadSession
from gis.db import utcnow
from outages.classify import facility_facts
from outages.console import ConsoleOverview, console_overview
from outages.settings import get_rule_settings

router = APIRouter(tags=["console"])


@router.get(
    "/api/console/overview",
    response_model=ConsoleOverview,
    summary="The dispatcher console in one answer: figures, open records, incidents, crews, hazards, map extent",
)
def get_console_overview(db: ReadSession, _user: Reader) -> Response:
    """Members out now (system-wide, each member once), every open record in restoration priority order with
    its division, crews and hazards, every open incident's significance (a one-line headline and the evidence)
    and call list, the crew board, the open hazard reports (newest first) and what the records keep dark for
    the map (feeders, devices, lines, and the feeders behind an open line record)."""
    rules = get_rule_settings()
    overview = console_overview(session=db, facts=facility_facts(db), zone=rules.zone, now=utcnow(), rules=rules)
    # already a ConsoleOverview: written once, without a second validation (a storm's answer is a megabyte)
    return Response(overview.model_dump_json(), media_type="application/json", headers={"Cache-Control": "no-store"})
