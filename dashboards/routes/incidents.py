"""Incident routes: incidents and their records, the console's open overview, call lists and contact attempts,
restoration priorities and probable outages from members' reports."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from dashboards.deps import Dispatcher, Reader, ReadSession, WriteSession
from gis.db import utcnow
from gis.ids import DbCount, DbId
from outages import member_reports, service
from outages.call_list import AttemptIn, AttemptOut, CallRow, call_list, record_attempt
from outages.classify import facility_facts
from outages.overview import OpenOverview, open_overview
from outages.priorities import PriorityRow, restoration_queue
from outages.schemas import IncidentCreate, IncidentOut, InterruptionOut
from outages.settings import get_rule_settings

router = APIRouter(tags=["incidents"])


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class IncidentDetail(IncidentOut):
    records: list[InterruptionOut]


@router.get("/api/incidents", response_model=IncidentPage, summary="Incidents, newest first")
def list_incidents(
    db: ReadSession,
    _user: Reader,
    status: Annotated[str | None, Query(pattern="^(open|all)$")] = None,
    limit: DbCount = 50,
    offset: DbCount = 0,
) -> IncidentPage:
    items, total = service.list_incidents(session=db, status=status, limit=limit, offset=offset)
    return IncidentPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/api/incidents", response_model=IncidentOut, status_code=201, summary="Open an incident")
def create_incident(db: WriteSession, user: Dispatcher, data: IncidentCreate) -> IncidentOut:
    incident = service.create_incident(session=db, data=data, actor=user.username)
    return IncidentOut(**service.incident_summaries(session=db, incidents=[incident])[0])


# a literal path: declared before /api/incidents/{incident_id}, which would take it for an id
@router.get(
    "/api/incidents/open-overview",
    response_model=OpenOverview,
    summary="Every open incident's significance and call list in one answer (the console's refresh)",
)
def get_open_overview(db: ReadSession, _user: Reader) -> OpenOverview:
    return open_overview(session=db, facts=facility_facts(db), zone=get_rule_settings().zone, now=utcnow())


@router.get("/api/incidents/{incident_id}", response_model=IncidentDetail, summary="An incident and its records")
def get_incident(db: ReadSession, _user: Reader, incident_id: DbId) -> IncidentDetail:
    incident = service.get_incident(session=db, incident_id=incident_id)
    return IncidentDetail(
        **service.incident_summaries(session=db, incidents=[incident])[0],
        records=service.to_outs(db, list(incident.interruptions)),
    )


@router.get(
    "/api/incidents/{incident_id}/call-list",
    response_model=list[CallRow],
    summary="Registry entries this incident has left dark, with contacts; not yet reached first",
)
def get_call_list(db: ReadSession, _user: Reader, incident_id: DbId) -> list[CallRow]:
    return call_list(session=db, incident_id=incident_id, zone=get_rule_settings().zone)


@router.post(
    "/api/incidents/{incident_id}/contact-attempts",
    response_model=AttemptOut,
    status_code=201,
    summary="Record a try to reach an entry's contact",
)
def add_attempt(db: WriteSession, user: Dispatcher, incident_id: DbId, data: AttemptIn) -> AttemptOut:
    attempt = record_attempt(session=db, incident_id=incident_id, data=data, actor=user.username)
    return AttemptOut.model_validate(attempt, from_attributes=True)


@router.get(
    "/api/restoration-priorities",
    response_model=list[PriorityRow],
    summary="Open interruptions in restoration order, each with the reason for its place",
)
def priorities(db: ReadSession, _user: Reader) -> list[PriorityRow]:
    return restoration_queue(session=db)


NO_REPORTS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No open outage reports on that feeder (confirmed or dismissed meanwhile)"}
}


class ProbableAction(BaseModel):
    feeder: Annotated[str, Field(max_length=40)]
    device: Annotated[str, Field(max_length=60)] | None = None
    cause: Annotated[str, Field(max_length=40)] = "unknown"


@router.get(
    "/api/probable-outages",
    response_model=list[member_reports.ProbableOutage],
    summary="Feeders where members' outage reports pass the threshold within the window",
)
def probable(db: ReadSession, _user: Reader) -> list[member_reports.ProbableOutage]:
    return member_reports.probable_outages(session=db)


@router.post(
    "/api/probable-outages/confirm",
    response_model=InterruptionOut,
    status_code=201,
    summary="Confirm a probable outage into an interruption (one action)",
    responses=NO_REPORTS,
)
def confirm_probable(db: WriteSession, user: Dispatcher, data: ProbableAction) -> InterruptionOut:
    record = member_reports.confirm(
        session=db, feeder=data.feeder, device=data.device, actor=user.username, cause=data.cause
    )
    return service.to_outs(db, [record])[0]


@router.post("/api/probable-outages/dismiss", summary="Dismiss the open reports of a feeder", responses=NO_REPORTS)
def dismiss_probable(db: WriteSession, _user: Dispatcher, data: ProbableAction) -> dict[str, int]:
    count = member_reports.dismiss(session=db, feeder=data.feeder)
    return {"dismissed": count}
