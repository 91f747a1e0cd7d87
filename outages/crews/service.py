"""The crew roster and crew assignments: keeping the roster, sending crews, moving their work on.

Keyword-only; they flush, the caller commits (one dispatcher action, one transaction).  Every change is
audited (``outages.models.AuditEntry``, entity ``crew`` or ``crew_assignment``, before and after as plain
JSON).  An ETR or a cause a crew reports on site goes through :func:`outages.service.set_etr` and
:func:`outages.service.update_interruption`, so the record's ETR history, audit and members' alerts are the
usual ones; a crew arriving on site is an alert event of kind ``crew`` for the members the record keeps dark."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from gis.db import utcnow
from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import ServiceArea
from outages import service as log
from outages.alerts import record_event
from outages.crews.models import ACTIVE_STAGES, STAGES, Crew, CrewAssignment
from outages.crews.schemas import (
    KIND_LABELS,
    STAGE_LABELS,
    AssignmentBrief,
    AssignmentCreate,
    AssignmentOut,
    AssignmentUpdate,
    CrewBoard,
    CrewCreate,
    CrewKind,
    CrewOut,
    CrewStatus,
    CrewUpdate,
    Stage,
)
from outages.formatting import format_local
from outages.models import Cause, Interruption
from outages.schemas import EtrSet, InterruptionUpdate

RANK = {stage: i for i, stage in enumerate(STAGES)}


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def open_stage_by_record(*, session: Session, interruption_ids: Iterable[int] | None = None) -> dict[int, str]:
    """For each record with an assignment not done, the most advanced stage among them ('dispatched',
    'en_route' or 'on_site'); records nobody is assigned to are absent.  One query."""
    query = select(CrewAssignment.interruption_id, CrewAssignment.status).where(
        CrewAssignment.status.in_(ACTIVE_STAGES)
    )
    if interruption_ids is not None:
        query = query.where(CrewAssignment.interruption_id.in_(list(interruption_ids)))
    rank = {stage: i for i, stage in enumerate(ACTIVE_STAGES)}
    stages: dict[int, str] = {}
    for record_id, stage in session.execute(query):
        if record_id not in stages or rank[stage] > rank[stages[record_id]]:
            stages[record_id] = stage
    return stages


# --- the roster --------------------------------------------------------------------------------


def _division(session: Session, code: str | None) -> ServiceArea | None:
    """The division service area of that code (None for None), or InvalidInput on "division" naming a few."""
    if code is None:
        return None
    area = session.scalar(select(ServiceArea).where(ServiceArea.code == code, ServiceArea.kind == "division"))
    if area is None:
        codes = list(
            session.scalars(
                select(ServiceArea.code).where(ServiceArea.kind == "division").order_by(ServiceArea.code).limit(6)
            )
        )
        known = ", ".join(codes[:5]) + (", ..." if len(codes) > 5 else "")
        fix = f"use a division's code, e.g. {known}" if codes else "leave it empty (no divisions are loaded)"
        raise InvalidInput(f"Division {code!r} is not a division of the system. Fix: {fix}.", field="division")
    return area


def _check_name(session: Session, name: str, crew_id: int | None = None) -> None:
    """InvalidInput on "name" when another crew (retired ones too) already has the name (case aside)."""
    query = select(Crew).where(func.lower(Crew.name) == name.lower())
    if crew_id is not None:
        query = query.where(Crew.id != crew_id)
    other = session.scalars(query.limit(1)).first()
    if other is not None:
        fix = "put that crew back on the roster (active) or choose another name" if not other.active else None
        raise InvalidInput(
            f"Name: a crew named {other.name!r} is already on the roster{' (retired)' if not other.active else ''}. "
            f"Fix: {fix or 'choose another name'}.",
            field="name",
        )


def crew_snapshot(crew: Crew) -> dict:
    """The auditable state of a crew, JSON-ready."""
    return {
        "name": crew.name,
        "kind": crew.kind,
        "phone": crew.phone,
        "division": crew.division.code if crew.division is not None else None,
        "on_shift": crew.on_shift,
        "active": crew.active,
    }


def create_crew(*, session: Session, data: CrewCreate, actor: str) -> Crew:
    """Add a crew to the roster."""
    _check_name(session, data.name)
    division = _division(session, data.division)
    crew = Crew(
        name=data.name,
        kind=data.kind,
        phone=data.phone or None,
        division=division,
        on_shift=data.on_shift,
        active=True,
        updated_by=actor,
    )
    session.add(crew)
    session.flush()
    log.audit(session, "crew", crew.id, "create", actor, None, crew_snapshot(crew))
    return crew


def get_crew(*, session: Session, crew_id: int, field: str | None = None) -> Crew:
    """A crew by id, or NotFound (InvalidInput on ``field`` when a request's body named it)."""
    crew = session.get(Crew, crew_id, options=[joinedload(Crew.division)])
    if crew is None:
        message = f"Crew {crew_id} does not exist. Fix: check the id (GET /api/crews)."
        raise InvalidInput(message, field=field) if field else NotFound(message)
    return crew


def list_crews(*, session: Session, include_retired: bool = False) -> list[Crew]:
    """The roster by name (active crews only unless ``include_retired``), with their divisions."""
    query = (
        select(Crew)
        .options(joinedload(Crew.division).load_only(ServiceArea.code, ServiceArea.name))
        .order_by(Crew.name)
    )
    if not include_retired:
        query = query.where(Crew.active)
    return list(session.scalars(query))


def update_crew(*, session: Session, crew_id: int, data: CrewUpdate, actor: str) -> Crew:
    """Change a crew on the roster (name, kind, phone, division, on shift; ``active`` false retires it).
    A crew still out (an assignment not done) cannot be retired."""
    crew = get_crew(session=session, crew_id=crew_id)
    if crew.version != data.version:
        raise Conflict(
            f"Crew {crew.name!r} was changed by {crew.updated_by} at {format_local(crew.updated_at)} "
            f"(now version {crew.version}, you sent {data.version}). Fix: reload the roster and apply your change again."
        )
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for key in ("name", "kind", "on_shift", "active"):  # null: no change (they always have a value)
        if changes.get(key, 0) is None:
            del changes[key]
    if "name" in changes:
        _check_name(session, changes["name"], crew.id)
    division = _division(session, changes.pop("division")) if "division" in changes else crew.division
    if changes.get("active") is False and crew.active:
        still = _open_assignments(session, [crew.id]).get(crew.id, [])
        if still:
            records = ", ".join(str(a.interruption_id) for a in still)
            raise InvalidInput(
                f"Active: crew {crew.name!r} still has {len(still)} assignment(s) not done (interruption "
                f"{records}). Fix: mark them done first, then retire the crew.",
                field="active",
            )
    before = crew_snapshot(crew)
    for key, value in changes.items():
        setattr(crew, key, (value or None) if key == "phone" else value)
    crew.division = division
    crew.updated_by, crew.updated_at = actor, utcnow()
    session.flush()
    log.audit(session, "crew", crew.id, "update", actor, before, crew_snapshot(crew))
    return crew


def _open_assignments(session: Session, crew_ids: list[int] | None = None) -> dict[int, list[CrewAssignment]]:
    """Assignments not done, per crew (of these crews, or all), oldest first.  One query."""
    query = select(CrewAssignment).where(CrewAssignment.status.in_(ACTIVE_STAGES)).order_by(CrewAssignment.id)
    if crew_ids is not None:
        query = query.where(CrewAssignment.crew_id.in_(crew_ids))
    found: dict[int, list[CrewAssignment]] = {}
    for assignment in session.scalars(query):
        found.setdefault(assignment.crew_id, []).append(assignment)
    return found


def crew_status(crew: Crew, open_assignments: list[CrewAssignment]) -> CrewStatus:
    """'out' (an assignment not done), 'idle' (on shift, none) or 'off_shift'."""
    if open_assignments:
        return "out"
    return "idle" if crew.on_shift else "off_shift"


def crew_out(crew: Crew, open_assignments: list[CrewAssignment]) -> CrewOut:
    """The API view of a crew, given its assignments not done."""
    return CrewOut(
        id=crew.id,
        name=crew.name,
        kind=cast(CrewKind, crew.kind),
        kind_label=KIND_LABELS[crew.kind],
        phone=crew.phone,
        division=crew.division.code if crew.division is not None else None,
        division_name=crew.division.name if crew.division is not None else None,
        on_shift=crew.on_shift,
        active=crew.active,
        status=crew_status(crew, open_assignments),
        assignments=[
            AssignmentBrief(id=a.id, interruption_id=a.interruption_id, status=cast(Stage, a.status))
            for a in open_assignments
        ],
        version=crew.version,
    )


def crew_outs(*, session: Session, crews: list[Crew]) -> list[CrewOut]:
    """API views of crews (their open assignments in one query)."""
    found = _open_assignments(session, [c.id for c in crews]) if crews else {}
    return [crew_out(c, found.get(c.id, [])) for c in crews]


def crew_board(*, session: Session) -> CrewBoard:
    """The active roster for the console, each crew with its status, and the counts: ``out`` (an assignment
    not done), ``idle`` (on shift, none), ``off_shift`` (neither; out + idle + off_shift = every crew) and
    ``on_shift`` (the crews on shift, out or idle).  Two queries."""
    crews = list_crews(session=session)
    found = _open_assignments(session)
    outs = [crew_out(c, found.get(c.id, [])) for c in crews]
    return CrewBoard(
        crews=outs,
        out=sum(c.status == "out" for c in outs),
        idle=sum(c.status == "idle" for c in outs),
        on_shift=sum(c.on_shift for c in outs),
        off_shift=sum(c.status == "off_shift" for c in outs),
    )


# --- assignments -------------------------------------------------------------------------------


def assignment_snapshot(assignment: CrewAssignment) -> dict:
    """The auditable state of an assignment, JSON-ready."""
    snap: dict = {"crew_id": assignment.crew_id, "interruption_id": assignment.interruption_id}
    snap["status"] = assignment.status
    for stage in STAGES:
        snap[f"{stage}_at"] = _iso(getattr(assignment, f"{stage}_at"))
        snap[f"{stage}_by"] = getattr(assignment, f"{stage}_by")
    snap["damage"], snap["cause"] = assignment.damage, assignment.cause_code
    return snap


def assign_crew(
    *, session: Session, interruption_id: int, data: AssignmentCreate, actor: str, now: datetime | None = None
) -> CrewAssignment:
    """Send a crew to an open record: the crew must be on the roster and on shift, and not already working
    on that record (several crews per record, and several records per crew, are fine)."""
    record = session.get(Interruption, interruption_id)
    if record is None:
        raise NotFound(f"Interruption {interruption_id} does not exist. Fix: check the id.")
    if record.status != "open":
        raise Conflict(
            f"Interruption {record.id} is {record.status}; crews are sent to open records only. "
            "Fix: choose an open record (or log a new one)."
        )
    crew = get_crew(session=session, crew_id=data.crew_id, field="crew_id")
    if not crew.active:
        raise InvalidInput(
            f"Crew {crew.name} is retired from the roster. Fix: put it back on the roster first, or choose "
            "another crew.",
            field="crew_id",
        )
    if not crew.on_shift:
        raise InvalidInput(f"Crew {crew.name} is off shift. Fix: put it on shift in the roster first.", field="crew_id")
    already = session.scalars(
        select(CrewAssignment).where(
            CrewAssignment.crew_id == crew.id,
            CrewAssignment.interruption_id == record.id,
            CrewAssignment.status.in_(ACTIVE_STAGES),
        )
    ).first()
    if already is not None:
        raise Conflict(
            f"Crew {crew.name} is already assigned to interruption {record.id} "
            f"({STAGE_LABELS[already.status].lower()}, assignment {already.id}). Fix: move that assignment on "
            "instead of assigning the crew again."
        )
    now = now or utcnow()
    assignment = CrewAssignment(
        crew=crew, interruption=record, status="dispatched", dispatched_at=now, dispatched_by=actor, updated_at=now
    )
    session.add(assignment)
    session.flush()
    log.audit(session, "crew_assignment", assignment.id, "dispatched", actor, None, assignment_snapshot(assignment))
    return assignment


def get_assignment(*, session: Session, assignment_id: int) -> CrewAssignment:
    """A crew assignment by id (with its crew), or NotFound."""
    assignment = session.get(CrewAssignment, assignment_id, options=[joinedload(CrewAssignment.crew)])
    if assignment is None:
        raise NotFound(f"Crew assignment {assignment_id} does not exist. Fix: check the id.")
    return assignment


def _not_on_site(assignment: CrewAssignment, field: str, what: str) -> InvalidInput:
    if assignment.status == "done":
        return InvalidInput(
            f"{what}: the crew's work on this record is done. Fix: set it on the interruption record itself.",
            field=field,
        )
    return InvalidInput(
        f"{what}: the crew is not on site yet (it is {STAGE_LABELS[assignment.status].lower()}). Fix: move it "
        "on site first, or set Status to on_site in the same change.",
        field=field,
    )


def advance_assignment(
    *, session: Session, assignment_id: int, data: AssignmentUpdate, actor: str, now: datetime | None = None
) -> CrewAssignment:
    """Move an assignment on (dispatched → en route → on site → done; forward only, skipping allowed) and
    take what the crew reports on site: its ETR (set on the record, with its history), the damage it found
    and the cause it confirmed (also the record's).  Done is always allowed, even once the record is closed;
    a crew reaching on site on an open record tells its members (alert event 'crew')."""
    assignment = get_assignment(session=session, assignment_id=assignment_id)
    if assignment.version != data.version:
        raise Conflict(
            f"Crew assignment {assignment.id} was changed at {format_local(assignment.updated_at)} "
            f"(now version {assignment.version}, you sent {data.version}). Fix: reload it and apply your change again."
        )
    current, target = assignment.status, data.status or assignment.status
    if data.status is not None and (current == "done" or RANK[target] < RANK[current]):
        where = "done: its work is over" if current == "done" else STAGE_LABELS[current].lower()
        raise InvalidInput(
            f"Status: the crew is already {where}; stages only move forward "
            f"({' → '.join(STAGE_LABELS[s] for s in STAGES)}). Fix: choose a later stage"
            + (", or assign the crew again." if current == "done" else "."),
            field="status",
        )
    on_site = "on_site" in (current, target)  # already, or moving there in this request
    for field, what in (("etr_at", "ETR"), ("damage", "Damage found"), ("cause", "Cause")):
        if getattr(data, field) is not None and not on_site:
            raise _not_on_site(assignment, field, what)
    record = session.get(Interruption, assignment.interruption_id)
    assert record is not None  # the foreign key
    if target != current and target != "done" and record.status != "open":
        raise Conflict(
            f"Interruption {record.id} is {record.status}; the crew can only be marked done on it. "
            "Fix: set Status to done."
        )
    before, now = assignment_snapshot(assignment), now or utcnow()
    name = assignment.crew.name
    if data.etr_at is not None:
        log.set_etr(
            session=session,
            interruption_id=record.id,
            data=EtrSet(version=record.version, etr_at=data.etr_at, note=f"from crew {name} on site"),
            actor=actor,
        )
    if data.cause is not None:
        if data.cause != record.cause_code:
            log.update_interruption(
                session=session,
                interruption_id=record.id,
                data=InterruptionUpdate(version=record.version, cause=data.cause),
                actor=actor,
            )
        assignment.cause_code = data.cause
    if data.damage is not None:
        assignment.damage = data.damage or None
    if target != current:
        assignment.status = target
        setattr(assignment, f"{target}_at", now)
        setattr(assignment, f"{target}_by", actor)
    assignment.updated_at = now
    session.flush()
    if target == "on_site" and current != "on_site" and record.status == "open":
        record_event(session, record, "crew", ref=assignment.id, service_point_ids=log.dark_ids(session, record))
    action = target if target != current else "report"
    log.audit(session, "crew_assignment", assignment.id, action, actor, before, assignment_snapshot(assignment))
    return assignment


def _cause_labels(session: Session, codes: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    return {
        code: label for code, label in session.execute(select(Cause.code, Cause.label).where(Cause.code.in_(wanted)))
    }


def assignment_out(assignment: CrewAssignment, crew: Crew, cause_label: str | None) -> AssignmentOut:
    """The API view of an assignment."""
    return AssignmentOut(
        id=assignment.id,
        crew_id=crew.id,
        crew_name=crew.name,
        crew_kind=cast(CrewKind, crew.kind),
        crew_phone=crew.phone,
        interruption_id=assignment.interruption_id,
        status=cast(Stage, assignment.status),
        status_label=STAGE_LABELS[assignment.status],
        dispatched_at=assignment.dispatched_at,
        dispatched_by=assignment.dispatched_by,
        en_route_at=assignment.en_route_at,
        en_route_by=assignment.en_route_by,
        on_site_at=assignment.on_site_at,
        on_site_by=assignment.on_site_by,
        done_at=assignment.done_at,
        done_by=assignment.done_by,
        damage=assignment.damage,
        cause=assignment.cause_code,
        cause_label=cause_label,
        version=assignment.version,
    )


def to_assignment_out(*, session: Session, assignment: CrewAssignment) -> AssignmentOut:
    """The API view of one assignment (its cause's label looked up)."""
    labels = _cause_labels(session, [assignment.cause_code])
    return assignment_out(assignment, assignment.crew, labels.get(assignment.cause_code or ""))


def assignments_of(
    *, session: Session, interruption_ids: Iterable[int], include_done: bool = True
) -> dict[int, list[AssignmentOut]]:
    """Each record's crew assignments (every id asked for is a key; oldest first; ``include_done`` false:
    only those not done), with their crews and cause labels, in ONE query whatever the number of records."""
    ids = sorted({int(i) for i in interruption_ids})
    found: dict[int, list[AssignmentOut]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(CrewAssignment, Crew, Cause.label)
        .join(Crew, Crew.id == CrewAssignment.crew_id)
        .outerjoin(Cause, Cause.code == CrewAssignment.cause_code)
        .where(CrewAssignment.interruption_id.in_(ids))
        .order_by(CrewAssignment.interruption_id, CrewAssignment.id)
    )
    if not include_done:
        query = query.where(CrewAssignment.status.in_(ACTIVE_STAGES))
    for assignment, crew, label in session.execute(query):
        found[assignment.interruption_id].append(assignment_out(assignment, crew, label))
    return found


def assignments_of_record(*, session: Session, interruption_id: int) -> list[AssignmentOut]:
    """One record's crew assignments, oldest first (done ones too), or NotFound."""
    if session.get(Interruption, interruption_id) is None:
        raise NotFound(f"Interruption {interruption_id} does not exist. Fix: check the id.")
    return assignments_of(session=session, interruption_ids=[interruption_id])[interruption_id]
