"""Crews and their work (issue 14): the roster, crews sent to interruption records and their progress.
Dispatchers write, every staff role reads."""

from typing import Any

from fastapi import APIRouter

from dashboards.deps import Dispatcher, Reader, ReadSession, WriteSession
from gis.ids import DbId
from outages import service as log
from outages.crews import service
from outages.crews.schemas import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentUpdate,
    CrewBoard,
    CrewCreate,
    CrewOut,
    CrewUpdate,
)
from outages.schemas import AuditOut

router = APIRouter(tags=["crews"])

Responses = dict[int | str, dict[str, Any]]
NO_CREW: Responses = {404: {"description": "No crew has that id"}}
NO_RECORD: Responses = {404: {"description": "No interruption record has that id"}}
NO_ASSIGNMENT: Responses = {404: {"description": "No crew assignment has that id"}}


@router.get("/api/crews", response_model=CrewBoard, summary="The roster: every active crew, its status and the counts")
def board(db: ReadSession, _user: Reader) -> CrewBoard:
    return service.crew_board(session=db)


@router.post(
    "/api/crews",
    response_model=CrewOut,
    status_code=201,
    summary="Add a crew to the roster",
)
def create_crew(db: WriteSession, user: Dispatcher, data: CrewCreate) -> CrewOut:
    crew = service.create_crew(session=db, data=data, actor=user.username)
    return service.crew_outs(session=db, crews=[crew])[0]


@router.patch(
    "/api/crews/{crew_id}",
    response_model=CrewOut,
    summary="Change a crew: name, kind, phone, division, on shift; active false retires it",
    responses=NO_CREW | {409: {"description": "The crew was changed meanwhile (stale version): reload it"}},
)
def update_crew(db: WriteSession, user: Dispatcher, crew_id: DbId, data: CrewUpdate) -> CrewOut:
    crew = service.update_crew(session=db, crew_id=crew_id, data=data, actor=user.username)
    return service.crew_outs(session=db, crews=[crew])[0]


@router.get(
    "/api/crews/{crew_id}/audit",
    response_model=list[AuditOut],
    summary="Every change to a crew on the roster: who, when, before and after",
    responses=NO_CREW,
)
def crew_audit(db: ReadSession, _user: Reader, crew_id: DbId) -> list[AuditOut]:
    service.get_crew(session=db, crew_id=crew_id)
    return [
        AuditOut.model_validate(a, from_attributes=True)
        for a in log.audit_trail(session=db, entity="crew", entity_id=crew_id)
    ]


@router.get(
    "/api/interruptions/{interruption_id}/crews",
    response_model=list[AssignmentOut],
    summary="The crews sent to a record, oldest first (done ones too)",
    responses=NO_RECORD,
)
def record_crews(db: ReadSession, _user: Reader, interruption_id: DbId) -> list[AssignmentOut]:
    return service.assignments_of_record(session=db, interruption_id=interruption_id)


@router.post(
    "/api/interruptions/{interruption_id}/crews",
    response_model=AssignmentOut,
    status_code=201,
    summary="Send a crew (on the roster, on shift) to an open record",
    responses=NO_RECORD
    | {
        409: {"description": "The record is closed or voided, or the crew is already assigned to it"},
    },
)
def assign_crew(db: WriteSession, user: Dispatcher, interruption_id: DbId, data: AssignmentCreate) -> AssignmentOut:
    assignment = service.assign_crew(session=db, interruption_id=interruption_id, data=data, actor=user.username)
    return service.to_assignment_out(session=db, assignment=assignment)


@router.patch(
    "/api/crew-assignments/{assignment_id}",
    response_model=AssignmentOut,
    summary="Move a crew's work on (dispatched, en route, on site, done) and take its ETR, damage and cause",
    responses=NO_ASSIGNMENT
    | {
        409: {"description": "A stale version (reload it), or a change other than done on a closed record"},
    },
)
def advance_assignment(
    db: WriteSession, user: Dispatcher, assignment_id: DbId, data: AssignmentUpdate
) -> AssignmentOut:
    assignment = service.advance_assignment(session=db, assignment_id=assignment_id, data=data, actor=user.username)
    return service.to_assignment_out(session=db, assignment=assignment)


@router.get(
    "/api/crew-assignments/{assignment_id}/audit",
    response_model=list[AuditOut],
    summary="Every change to a crew assignment: who moved it on, when, before and after",
    responses=NO_ASSIGNMENT,
)
def assignment_audit(db: ReadSession, _user: Reader, assignment_id: DbId) -> list[AuditOut]:
    service.get_assignment(session=db, assignment_id=assignment_id)
    return [
        AuditOut.model_validate(a, from_attributes=True)
        for a in log.audit_trail(session=db, entity="crew_assignment", entity_id=assignment_id)
    ]
