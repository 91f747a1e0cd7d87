"""Interruption-log services.  Keyword-only; they flush, the caller commits (one action, one transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from gis.db import utcnow
from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import Device, Feeder, ServicePoint, Substation, TransmissionLine
from gis.network import Network, network, positions_of
from gis.service import get_by_code
from outages.alerts import record_event
from outages.crews.models import CrewAssignment
from outages.formatting import format_count, format_local
from outages.member_minutes import duration_minutes, member_minutes
from outages.models import (
    AuditEntry,
    Cause,
    EtrChange,
    Incident,
    Interruption,
    InterruptionPoint,
    RestorationStep,
    StepPoint,
)
from outages.power_state import (
    EMPTY,
    OutNow,
    RecordState,
    facility_of,
    remember,
    states_of,
    still_dark_elsewhere,
)
from outages.schemas import (
    CloseIn,
    EtrSet,
    HeldDark,
    IncidentCreate,
    InterruptionCreate,
    InterruptionOut,
    InterruptionUpdate,
    RestorationCreate,
    StepOut,
    VoidIn,
    label,
    time_problem,
)
from outages.settings import DEFAULT_CAUSES, get_rule_settings

MAX_PAGE = 500
HELD_KEY = "outages.held_dark"  # session.info: what a close found still held dark, for its own answer


# --- causes ------------------------------------------------------------------------------------


def ensure_causes(*, session: Session) -> None:
    """Add the default cause codes that are missing (the list stays configurable)."""
    have = set(session.scalars(select(Cause.code)))
    session.add_all(Cause(code=c, label=label) for c, label in DEFAULT_CAUSES.items() if c not in have)
    session.flush()


def _check_cause(session: Session, code: str) -> None:
    cause = session.get(Cause, code) if code else None
    if cause is None or not cause.active:
        known = ", ".join(session.scalars(select(Cause.code).where(Cause.active).order_by(Cause.code)))
        raise InvalidInput(f"Cause {code!r} is not a cause code. Fix: use one of {known}.", field="cause")


# --- incidents ---------------------------------------------------------------------------------


def create_incident(*, session: Session, data: IncidentCreate, actor: str) -> Incident:
    """Open an incident to group the interruption records of one event."""
    incident = Incident(title=data.title, created_by=actor)
    session.add(incident)
    session.flush()
    audit(session, "incident", incident.id, "create", actor, None, {"title": incident.title})
    return incident


def get_incident(*, session: Session, incident_id: int, field: str | None = None) -> Incident:
    """An incident by id, or NotFound (InvalidInput on ``field`` when a request's body named it)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        message = f"Incident {incident_id} does not exist. Fix: check the id (GET /api/incidents)."
        raise InvalidInput(message, field=field) if field else NotFound(message)
    return incident


def incident_summaries(*, session: Session, incidents: Sequence[Incident], now: datetime | None = None) -> list[dict]:
    """Status, members out now, first start and full restoration of each incident's live records.  Members out
    now are the union of its open records that have begun (:class:`outages.power_state.OutNow`: a fuse under
    a feeder out counts once).  An incident with no records yet is open (nothing was voided); one whose every
    record was voided is voided."""
    now = now or utcnow()
    net = network(session)
    live = [r for i in incidents for r in i.interruptions if r.status == "open" and r.start_at <= now]
    by_incident: dict[int, list[RecordState]] = {}
    for record, state in zip(live, states_of(session, live, net)):
        by_incident.setdefault(record.incident_id, []).append(state)
    out = []
    for incident in incidents:
        kept = [r for r in incident.interruptions if r.status != "voided"]
        if not incident.interruptions or any(r.status == "open" for r in kept):
            status = "open"
        else:
            status = "closed" if kept else "voided"
        out.append(
            {
                "id": incident.id,
                "ref": incident.ref,
                "title": incident.title,
                "created_at": incident.created_at,
                "created_by": incident.created_by,
                "status": status,
                "interruptions": len(kept),
                "members_out_now": OutNow(net, by_incident.get(incident.id, ())).members_out,
                "start_at": min((r.start_at for r in kept), default=None),
                "restored_at": None if status == "open" else max((r.restored_at for r in kept), default=None),
                "notice_required": incident.notice_required,
                "report_required": incident.report_required,
                "report_due_at": incident.report_due_at,
            }
        )
    return out


def list_incidents(*, session: Session, status: str | None = None, limit: int = 50, offset: int = 0):
    """Incidents, newest first, with their summaries."""
    _check_page(limit, offset)
    stmt = select(Incident).options(selectinload(Incident.interruptions).selectinload(Interruption.steps))
    if status == "open":  # as incident_summaries says: an open record, or no record yet
        stmt = stmt.where(or_(Incident.interruptions.any(Interruption.status == "open"), ~Incident.interruptions.any()))
    elif status is not None and status != "all":
        raise InvalidInput(f"Status {status!r} is not known. Fix: use open or all.", field="status")
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = session.scalars(stmt.order_by(Incident.id.desc()).limit(limit).offset(offset)).all()
    return incident_summaries(session=session, incidents=items), total


# --- interruption records ----------------------------------------------------------------------


def _facility(
    session: Session, *, feeder: str | None, device: str | None, transmission_line: str | None, net: Network
) -> dict:
    if bool(feeder) == bool(transmission_line):
        raise InvalidInput(
            "Name exactly one facility. Fix: fill in either Feeder (optionally with Device) or Transmission line.",
            field="feeder",
        )
    if transmission_line:
        if device:
            raise InvalidInput(
                "A device belongs to a feeder. Fix: give the Feeder instead of the Transmission line, or leave "
                "Device empty.",
                field="device",
            )
        line = get_by_code(
            session=session,
            model=TransmissionLine,
            code=transmission_line,
            what="transmission-line",
            field="transmission_line",
        )
        return {
            "substation": None,
            "feeder": None,
            "device": None,
            "transmission_line": line,
            "served": net.served(transmission_line_id=line.id),
            "label": f"transmission line {line.code}",
            "ranges": net.downstream(transmission_line_id=line.id),
        }
    fdr = get_by_code(session=session, model=Feeder, code=feeder, what="feeder", load=Feeder.substation, field="feeder")
    if device:
        dev = get_by_code(session=session, model=Device, code=device, what="device", field="device")
        if dev.feeder_id != fdr.id:
            raise InvalidInput(
                f"Device {device} is not on feeder {feeder}. Fix: give the device's own feeder.", field="device"
            )
        return {
            "substation": fdr.substation,
            "feeder": fdr,
            "device": dev,
            "transmission_line": None,
            "served": net.served(device_id=dev.id),
            "label": f"device {dev.code}",
            "ranges": net.downstream(device_id=dev.id),
        }
    return {
        "substation": fdr.substation,
        "feeder": fdr,
        "device": None,
        "transmission_line": None,
        "served": net.served(feeder_id=fdr.id),
        "label": f"feeder {fdr.code}",
        "ranges": net.downstream(feeder_id=fdr.id),
    }


def _listed(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def service_points_of_meters(session: Session, meters: list[str], *, field: str = "meters") -> list[int]:
    """Service point ids of meter numbers, in the order given (repeats dropped); 422 on ``field`` naming the
    unknown ones as typed."""
    wanted = list(dict.fromkeys(m.strip() for m in meters))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        found.update(
            session.execute(
                select(ServicePoint.meter_number, ServicePoint.id).where(
                    ServicePoint.meter_number.in_(wanted[start : start + 5000])
                )
            ).all()
        )
    missing = [m for m in wanted if m not in found]
    if missing:
        raise InvalidInput(
            f"{label(field)}: no service point has meter {_listed(missing)}. Fix: check the meter numbers "
            "(as printed on the bill).",
            field=field,
        )
    return [found[m] for m in wanted]


def _positions_within(session: Session, net: Network, ids, ranges, what: str, field: str) -> np.ndarray:
    """Positions of these service points, all of which must lie in the ranges (422 on ``field`` naming the
    first meters that do not)."""
    pos = np.array([net.position(int(i)) for i in ids], dtype=np.int64)
    outside = ~net.mask(ranges)[pos] if len(pos) else np.zeros(0, bool)
    if outside.any():
        meters = list(
            session.scalars(
                select(ServicePoint.meter_number).where(
                    ServicePoint.id.in_([int(i) for i in net.ids[pos[outside][:5]]])
                )
            )
        )
        more = int(outside.sum()) - len(meters)
        raise InvalidInput(
            f"{label(field)}: meter {', '.join(meters)}{f' and {more} more' if more else ''} is not "
            f"{what}. Fix: list only meters {what}.",
            field=field,
        )
    return np.unique(pos)


def check_time(value: datetime, field: str, *, ahead: bool = False, named: str | None = None) -> None:
    """Refuse (on ``field``) a time outside the plausible window (:func:`outages.schemas.time_problem`), naming
    the field by its label (or ``named``, where the same name means another thing: a call's ``at``) and the
    time in the cooperative's zone."""
    problem = time_problem(value, ahead=ahead)
    if problem:
        raise InvalidInput(f"{named or label(field)} {problem[0]}. Fix: {problem[1]}.", field=field)


def _not_after_start(field: str, value: datetime, start: datetime, fix: str) -> InvalidInput:
    """'ETR Tue 1 Dec 2026 08:30 CST is not after the start (Tue 1 Dec 2026 09:00 CST). Fix: ...'"""
    return InvalidInput(
        f"{label(field)} {format_local(value)} is not after the start ({format_local(start)}). Fix: {fix}.",
        field=field,
    )


def _check_members(members_out: int, served: int, facility: str) -> None:
    if members_out > served:
        raise InvalidInput(
            f"{label('members_out')} {format_count(members_out)} is more than the {format_count(served)} members "
            f"served by {facility}. Fix: check the count or the facility.",
            field="members_out",
        )


def create_interruption(
    *,
    session: Session,
    data: InterruptionCreate,
    actor: str,
    idempotency_key: str | None = None,
    service_point_ids: list[int] | None = None,
) -> tuple[Interruption, bool]:
    """Log an interruption; returns ``(record, created)``.  A repeated idempotency key returns the
    record the first request made instead of a duplicate.  ``service_point_ids`` locates a part of the
    facility like ``data.meters`` does (members' confirmed reports)."""
    if idempotency_key:
        existing = session.scalar(select(Interruption).where(Interruption.idempotency_key == idempotency_key))
        if existing is not None:
            return existing, False
    net = network(session)
    facility = _facility(
        session, feeder=data.feeder, device=data.device, transmission_line=data.transmission_line, net=net
    )
    _check_cause(session, data.cause)
    if data.meters:
        service_point_ids = service_points_of_meters(session, data.meters)
    located = (
        _positions_within(session, net, service_point_ids, facility["ranges"], f"below {facility['label']}", "meters")
        if service_point_ids
        else None
    )
    members_out = data.members_out or (len(located) if located is not None else facility["served"])
    if located is not None and members_out < len(located):
        raise InvalidInput(
            f"{label('members_out')} {format_count(members_out)} is fewer than the {format_count(len(located))} "
            f"meters listed in {label('meters')}. Fix: give at least as many members as meters, or leave "
            f"{label('members_out')} empty.",
            field="members_out",
        )
    _check_members(members_out, facility["served"], facility["label"])
    check_time(data.start_at, "start_at", ahead=data.scheduled)
    if data.members_notified is not None and not data.scheduled:
        raise InvalidInput(
            f"{label('members_notified')} applies to scheduled interruptions only. Fix: mark it "
            f"{label('scheduled')}, or clear {label('members_notified')}.",
            field="members_notified",
        )
    if data.etr_at is not None and data.etr_at <= data.start_at:
        raise _not_after_start("etr_at", data.etr_at, data.start_at, "give an estimate later than the start")
    if data.etr_at is not None:
        check_time(data.etr_at, "etr_at", ahead=True)
    incident = (
        get_incident(session=session, incident_id=data.incident_id, field="incident_id")
        if data.incident_id is not None
        else Incident(title=f"{DEFAULT_CAUSES.get(data.cause, data.cause)} on {facility['label']}", created_by=actor)
    )
    extent = "part" if located is not None or members_out < facility["served"] else "facility"
    record = Interruption(
        incident=incident,
        idempotency_key=idempotency_key,
        status="open",
        scheduled=data.scheduled,
        members_notified=data.members_notified if data.scheduled else None,
        cause_code=data.cause,
        start_at=data.start_at,
        members_out=members_out,
        extent=extent,
        location=data.location,
        notes=data.notes,
        substation=facility["substation"],
        feeder=facility["feeder"],
        device=facility["device"],
        transmission_line=facility["transmission_line"],
        created_by=actor,
        updated_by=actor,
        etr_at=data.etr_at,
        steps=[],
        etr_history=[],
    )
    if data.etr_at is not None:
        record.etr_history.append(EtrChange(etr_at=data.etr_at, set_by=actor))
    session.add(record)
    # the flush (in _close for a record logged already restored: one INSERT, version 1) is where a concurrent
    # twin with the same key fails on its unique index: 409, no duplicate
    if data.restored_at is not None:
        _close(session, record, data.restored_at, actor)
    else:
        session.flush()
    if located is not None:
        session.execute(
            insert(InterruptionPoint),
            [{"interruption_id": record.id, "service_point_id": int(i)} for i in net.ids[located]],
        )
    if extent == "part":
        remember(net, record, located if located is not None else EMPTY)
    # who is told: the located members, or everyone below a whole facility; members of an unlocated count are
    # nobody known (D15), so nobody is told on their behalf
    dark = located if located is not None else positions_of(facility["ranges"] if extent == "facility" else [])
    if data.restored_at is not None:  # logged after the fact: nothing to tell members
        pass
    elif data.scheduled and data.start_at > utcnow():
        record_event(session, record, "planned", service_point_ids=net.ids[dark])
    else:
        held, _by = still_dark_elsewhere(session, record, dark, net)
        record_event(session, record, "outage", service_point_ids=net.ids[np.setdiff1d(dark, held)])
    audit(session, "interruption", record.id, "create", actor, None, snapshot(record))
    return record, True


def record_state(session: Session, record: Interruption, net: Network | None = None) -> RecordState:
    """One record replayed against the network (:mod:`outages.power_state`)."""
    return states_of(session, [record], net or network(session))[0]


RECORD_VIEW = (
    joinedload(Interruption.substation),
    joinedload(Interruption.feeder),
    joinedload(Interruption.device),
    joinedload(Interruption.transmission_line),
    selectinload(Interruption.steps),
    selectinload(Interruption.etr_history),
)


def get_interruption(*, session: Session, interruption_id: int) -> Interruption:
    """An interruption record by id, or NotFound; with what its API view shows (one query, two for its steps
    and estimates, instead of one per relationship)."""
    record = session.get(Interruption, interruption_id, options=RECORD_VIEW)
    if record is None:
        raise NotFound(f"Interruption {interruption_id} does not exist. Fix: check the id.")
    return record


def _editable(session: Session, interruption_id: int, version: int) -> Interruption:
    record = get_interruption(session=session, interruption_id=interruption_id)
    if record.version != version:
        raise Conflict(
            f"Interruption {record.id} was changed by {record.updated_by} at "
            f"{format_local(record.updated_at)} (now version {record.version}, "
            f"you sent {version}). Fix: reload it and apply your change again."
        )
    if record.status == "voided":
        raise Conflict(f"Interruption {record.id} is voided. Fix: log a new record instead.")
    return record


def _touch(record: Interruption, actor: str) -> None:
    record.updated_by = actor
    record.updated_at = utcnow()


def update_interruption(
    *, session: Session, interruption_id: int, data: InterruptionUpdate, actor: str
) -> Interruption:
    """Correct fields of a record (open or closed); every change is audited.  Moving the start of an open
    scheduled record moves its ETR by as much (the planned work keeps its length) and tells its members."""
    record = _editable(session, interruption_id, data.version)
    before, old_start = snapshot(record), record.start_at
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "cause" in changes:
        _check_cause(session, changes["cause"])
        record.cause_code = changes.pop("cause")
    with session.no_autoflush:  # the checks' queries must not flush half a change: one change, one version
        for key, value in changes.items():
            setattr(record, key, value)
        if not record.scheduled:
            record.members_notified = None
        rescheduled = record.scheduled and record.status == "open" and record.start_at != old_start
        if rescheduled and record.etr_at is not None:
            record.etr_at += record.start_at - old_start
            check_time(record.etr_at, "etr_at", ahead=True)
            record.etr_history.append(
                EtrChange(etr_at=record.etr_at, set_by=actor, note="moved with the planned start")
            )
        _check_timeline(record)
        if record.status == "closed":
            _rebalance_final_step(record)
            record.momentary = _is_momentary(record)
        _touch(record, actor)
    session.flush()
    if rescheduled and record.start_at > utcnow():
        record_event(
            session,
            record,
            "planned",
            ref=record.version,  # members hear the new time
            service_point_ids=dark_ids(session, record),
        )
    audit(session, "interruption", record.id, "update", actor, before, snapshot(record))
    return record


def _check_timeline(record: Interruption) -> None:
    check_time(record.start_at, "start_at", ahead=record.scheduled)
    start = format_local(record.start_at)
    if record.steps and record.steps[0].at <= record.start_at:
        raise InvalidInput(
            f"{label('start_at')} {start} is not before the first restoration step "
            f"({format_local(record.steps[0].at)}). Fix: correct the start or the steps.",
            field="start_at",
        )
    if record.status == "open" and record.etr_at is not None and record.etr_at <= record.start_at:
        raise InvalidInput(
            f"{label('start_at')} {start} is not before the {label('etr_at')} ({format_local(record.etr_at)}). "
            "Fix: set a later ETR first, then move the start.",
            field="start_at",
        )
    steps = record.steps[:-1] if record.status == "closed" else record.steps
    earlier = sum(s.members_restored for s in steps)
    if record.members_out <= earlier:
        raise InvalidInput(
            f"{label('members_out')} {format_count(record.members_out)} is not more than the "
            f"{format_count(earlier)} members restored in earlier steps. Fix: check the count.",
            field="members_out",
        )
    session = Session.object_session(record)
    served = network(session).served(**facility_of(record))
    _check_members(record.members_out, served, facility_label(record))
    located = session.scalar(select(func.count()).where(InterruptionPoint.interruption_id == record.id))
    if record.members_out < located:
        raise InvalidInput(
            f"{label('members_out')} {format_count(record.members_out)} is fewer than the "
            f"{format_count(located)} meters located out. Fix: give at least that many.",
            field="members_out",
        )
    if record.extent == "facility" and record.members_out < served:
        record.extent = "part"  # fewer than everyone below: the rest of the count is unlocated
    elif record.extent == "part" and not located and record.members_out == served:
        record.extent = "facility"


def _rebalance_final_step(record: Interruption) -> None:
    earlier = sum(s.members_restored for s in record.steps[:-1])
    record.steps[-1].members_restored = record.members_out - earlier


def _is_momentary(record: Interruption) -> bool:
    return duration_minutes(record.start_at, record.restored_at) <= get_rule_settings().momentary_max_minutes


def add_restoration(*, session: Session, interruption_id: int, data: RestorationCreate, actor: str) -> Interruption:
    """Record a partial (step) restoration naming what came back: a device that closed, meters, or (for
    members nobody located) a count.  Bringing back the last members closes the record."""
    record = _editable(session, interruption_id, data.version)
    if record.status != "open":
        raise Conflict(f"Interruption {record.id} is already closed. Fix: correct it with an update instead.")
    if sum(x is not None for x in (data.device, data.meters, data.members_restored)) != 1:
        raise InvalidInput(
            f"Say what came back. Fix: give exactly one of {label('device')} (the device that closed), "
            f"{label('meters')} (the meters back on) or {label('members_restored')} (members nobody located).",
            field="device",
        )
    before = snapshot(record)
    _check_step_time(record, data.at, "at")
    net = network(session)
    state = record_state(session, record, net)
    dark = state.dark
    step = RestorationStep(at=data.at, created_by=actor)
    back = np.empty(0, np.int64)
    if data.device is not None:
        dev = get_by_code(session=session, model=Device, code=data.device, what="device", field="device")
        lo, hi = net.device_range.get(dev.id, (0, 0))
        back = dark.positions()
        back = back[(back >= lo) & (back < hi)]
        if not len(back):
            raise InvalidInput(
                f"Nothing this record keeps dark is below device {dev.code}. Fix: name a device below "
                "the record's facility that is still out, or the meters back on.",
                field="device",
            )
        step.device_id, step.members_restored = dev.id, len(back)
    elif data.meters is not None:
        ids = service_points_of_meters(session, data.meters)
        back = _positions_within(
            session,
            net,
            ids,
            dark.ranges + [(int(p), int(p) + 1) for p in dark.points],
            "still dark in this record",
            "meters",
        )
        step.members_restored = len(back)
    else:
        if data.members_restored > state.unlocated_left:
            raise InvalidInput(
                f"{label('members_restored')} {format_count(data.members_restored)} is more than the "
                f"{format_count(state.unlocated_left)} members of this record nobody has located. Fix: name the "
                "device that closed or the meters back on.",
                field="members_restored",
            )
        step.members_restored = data.members_restored
    remaining = record.members_out - sum(s.members_restored for s in record.steps)
    record.steps.append(step)
    session.flush()
    if data.meters is not None:
        session.execute(insert(StepPoint), [{"step_id": step.id, "service_point_id": int(i)} for i in net.ids[back]])
    if step.members_restored == remaining:
        record.status, record.restored_at = "closed", data.at
        record.momentary = _is_momentary(record)
        finish_crews(session, record, actor)
    _touch(record, actor)
    session.flush()
    held, _by = still_dark_elsewhere(session, record, back, net)
    record_event(session, record, "restored", ref=step.id, service_point_ids=net.ids[np.setdiff1d(back, held)])
    audit(session, "interruption", record.id, "restoration", actor, before, snapshot(record))
    return record


def _check_step_time(record: Interruption, at: datetime, field: str) -> None:
    if at <= record.start_at:
        raise _not_after_start(field, at, record.start_at, "restoration comes after the interruption began")
    if record.steps and at < record.steps[-1].at:
        raise InvalidInput(
            f"{label(field)} {format_local(at)} is before the last step ({format_local(record.steps[-1].at)}). "
            "Fix: steps are recorded in time order.",
            field=field,
        )
    check_time(at, field)


def _close(session: Session, record: Interruption, at: datetime, actor: str) -> None:
    _check_step_time(record, at, "restored_at")
    remaining = record.members_out - sum(s.members_restored for s in record.steps)
    record.steps.append(RestorationStep(at=at, members_restored=remaining, created_by=actor))
    record.status, record.restored_at = "closed", at
    record.momentary = _is_momentary(record)
    finish_crews(session, record, actor)
    _touch(record, actor)
    session.flush()


def close_interruption(*, session: Session, interruption_id: int, data: CloseIn, actor: str) -> Interruption:
    """Full restoration: every member the record still keeps dark is back at ``restored_at``, except those
    another open record still keeps out (a nested outage: they stay out, and are told nothing yet)."""
    record = _editable(session, interruption_id, data.version)
    if record.status != "open":
        raise Conflict(f"Interruption {record.id} is already closed. Fix: correct it with an update instead.")
    before = snapshot(record)
    net = network(session)
    state = record_state(session, record, net)
    back = state.dark.positions()
    _close(session, record, data.restored_at, actor)
    held, by = still_dark_elsewhere(session, record, _every_position(state), net)
    session.info[(HELD_KEY, record.id, record.version)] = by  # the answer's held_dark, read just after
    record_event(
        session, record, "restored", ref=record.steps[-1].id, service_point_ids=net.ids[np.setdiff1d(back, held)]
    )
    audit(session, "interruption", record.id, "close", actor, before, snapshot(record))
    return record


def _every_position(state: RecordState) -> np.ndarray:
    """Every service point the record ever left dark (all its pieces), as positions."""
    pieces = [p.positions() for p in state.pieces]
    return np.unique(np.concatenate(pieces)) if pieces else EMPTY


def dark_ids(session: Session, record: Interruption) -> np.ndarray:
    """Service point ids the record keeps dark now (located ones)."""
    net = network(session)
    return net.ids[record_state(session, record, net).dark.positions()]


def held_dark(session: Session, record: Interruption) -> list[HeldDark]:
    """Members of a closed record that open records still keep dark ("412 members still dark below
    JC-014-F2")."""
    if record.status != "closed":
        return []
    by = session.info.get((HELD_KEY, record.id, record.version))  # the close just now found them
    if by is None:
        net = network(session)
        _held, by = still_dark_elsewhere(session, record, _every_position(record_state(session, record, net)), net)
    return [HeldDark(interruption_id=r.id, facility=facility_label(r), members=n) for r, n in by]


def facility_label(record: Interruption) -> str:
    """The record's facility in words: 'transmission line TL-001', 'device JC-014-F1', 'feeder JC-014'."""
    if record.transmission_line is not None:
        return f"transmission line {record.transmission_line.code}"
    if record.device is not None:
        return f"device {record.device.code}"
    return f"feeder {record.feeder.code}"


def set_etr(*, session: Session, interruption_id: int, data: EtrSet, actor: str) -> Interruption:
    """Set or clear ('being assessed') the estimated time of full restoration; history is kept."""
    record = _editable(session, interruption_id, data.version)
    if record.status != "open":
        raise Conflict(f"Interruption {record.id} is closed; an ETR applies to open records only.")
    if data.etr_at is not None and data.etr_at <= record.start_at:
        raise _not_after_start("etr_at", data.etr_at, record.start_at, "give an estimate later than the start")
    if data.etr_at is not None:
        check_time(data.etr_at, "etr_at", ahead=True)
    before = snapshot(record)
    with session.no_autoflush:  # loading the history must not flush the new ETR first: one change, one version
        record.etr_at = data.etr_at
        change = EtrChange(etr_at=data.etr_at, set_by=actor, note=data.note)
        record.etr_history.append(change)
        _touch(record, actor)
    session.flush()
    if record.scheduled and record.start_at > utcnow():  # planned work ahead: its members hear the new times
        record_event(session, record, "planned", ref=record.version, service_point_ids=dark_ids(session, record))
    else:
        record_event(session, record, "etr", ref=change.id, service_point_ids=dark_ids(session, record))
    audit(session, "interruption", record.id, "etr", actor, before, snapshot(record))
    return record


def void_interruption(*, session: Session, interruption_id: int, data: VoidIn, actor: str) -> Interruption:
    """Void a mistaken record with a reason; it stays in the log and the audit trail (D13)."""
    record = _editable(session, interruption_id, data.version)
    before = snapshot(record)
    if record.status == "open":  # members told of it hear it was a mistake
        record_event(session, record, "cancelled")
    record.status, record.void_reason, record.voided_at, record.voided_by = "voided", data.reason, utcnow(), actor
    finish_crews(session, record, actor)
    _touch(record, actor)
    session.flush()
    audit(session, "interruption", record.id, "void", actor, before, snapshot(record))
    return record


def finish_crews(session: Session, record: Interruption, actor: str) -> None:
    """A record restored in full or voided: its crews' work there is done, so the board shows them idle and
    free to be sent on (each assignment audited, by whoever closed or voided the record)."""
    now = utcnow()
    with session.no_autoflush:  # the record's pending change is flushed once, by the caller (one version a change)
        working = session.scalars(
            select(CrewAssignment).where(CrewAssignment.interruption_id == record.id, CrewAssignment.status != "done")
        ).all()
    for assignment in working:
        before = {"status": assignment.status}
        assignment.status, assignment.done_at, assignment.done_by = "done", now, actor
        audit(
            session,
            "crew_assignment",
            assignment.id,
            "done",
            actor,
            before,
            {"status": "done", "done_at": _iso(now), "done_by": actor, "because": f"interruption {record.status}"},
        )


def list_interruptions(
    *,
    session: Session,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    feeder: str | None = None,
    substation: str | None = None,
    status: str | None = None,
    cause: str | None = None,
    incident_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Interruption], int]:
    """Records filtered by start time range, facility, status, cause and incident; newest first."""
    _check_page(limit, offset)
    stmt = select(Interruption)
    if start_from is not None:
        stmt = stmt.where(Interruption.start_at >= start_from)
    if start_to is not None:
        stmt = stmt.where(Interruption.start_at < start_to)
    if feeder:
        stmt = stmt.where(
            Interruption.feeder_id == get_by_code(session=session, model=Feeder, code=feeder, what="feeder").id
        )
    if substation:
        sub = get_by_code(session=session, model=Substation, code=substation, what="substation")
        stmt = stmt.where(
            or_(
                Interruption.substation_id == sub.id,
                Interruption.transmission_line_id.in_([t.id for t in sub.transmission_lines]),
            )
        )
    if status:
        if status not in ("open", "closed", "voided"):
            raise InvalidInput(f"Status {status!r} is not known. Fix: use open, closed or voided.", field="status")
        stmt = stmt.where(Interruption.status == status)
    if cause:
        _check_cause(session, cause)
        stmt = stmt.where(Interruption.cause_code == cause)
    if incident_id is not None:
        stmt = stmt.where(Interruption.incident_id == incident_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = session.scalars(
        stmt.options(*_LOAD).order_by(Interruption.start_at.desc(), Interruption.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(items), total


_LOAD = (
    selectinload(Interruption.steps),
    selectinload(Interruption.etr_history),
    selectinload(Interruption.substation),
    selectinload(Interruption.feeder),
    selectinload(Interruption.device),
    selectinload(Interruption.transmission_line),
)


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"Limit {limit} is out of range. Fix: use 1 to {MAX_PAGE}.", field="limit")
    if offset < 0:
        raise InvalidInput(f"Offset {offset} is below 0. Fix: use 0 or more.", field="offset")


def purge_expired(*, session: Session, now: datetime | None = None) -> int:
    """Delete records (and their audit entries) that began *and* were logged before the retention period (D13):
    a record logged within it is kept whatever its start says (a mistyped year, or history imported lately)."""
    now = now or utcnow()
    years = get_rule_settings().retention_years
    try:
        cutoff = now.replace(year=now.year - years)
    except ValueError:  # 29 February
        cutoff = now.replace(year=now.year - years, day=28)
    old = list(
        session.scalars(select(Interruption).where(Interruption.start_at < cutoff, Interruption.created_at < cutoff))
    )
    ids = [r.id for r in old]
    for record in old:
        session.delete(record)
    session.flush()
    if ids:
        session.execute(
            AuditEntry.__table__.delete().where(AuditEntry.entity == "interruption", AuditEntry.entity_id.in_(ids))
        )
    orphans = select(Incident.id).where(~Incident.interruptions.any())
    session.execute(Incident.__table__.delete().where(Incident.id.in_(orphans), Incident.created_at < cutoff))
    return len(ids)


# --- audit and output --------------------------------------------------------------------------


def audit(session: Session, entity: str, entity_id: int, action: str, actor: str, before, after) -> None:
    session.add(AuditEntry(entity=entity, entity_id=entity_id, action=action, actor=actor, before=before, after=after))


def audit_trail(*, session: Session, entity: str, entity_id: int) -> list[AuditEntry]:
    """Every audited change of one record, oldest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def snapshot(record: Interruption) -> dict:
    """The auditable state of a record, JSON-ready."""
    return {
        "status": record.status,
        "cause": record.cause_code,
        "scheduled": record.scheduled,
        "members_notified": record.members_notified,
        "start_at": _iso(record.start_at),
        "restored_at": _iso(record.restored_at),
        "members_out": record.members_out,
        "feeder_id": record.feeder_id,
        "device_id": record.device_id,
        "transmission_line_id": record.transmission_line_id,
        "location": record.location,
        "notes": record.notes,
        "etr_at": _iso(record.etr_at),
        "void_reason": record.void_reason,
        "extent": record.extent,
        "steps": [[_iso(s.at), s.members_restored] + ([s.device_id] if s.device_id else []) for s in record.steps],
    }


def _members_out_now(record: Interruption, now: datetime) -> int:
    if record.status != "open" or record.start_at > now:
        return 0
    return record.members_out - sum(s.members_restored for s in record.steps)


def to_outs(session: Session, records: list[Interruption], *, held: bool = False) -> list[InterruptionOut]:
    """API views of records (their states in two queries); ``held``: say which open records still keep a
    closed record's members dark (single-record answers)."""
    states = states_of(session, records, network(session)) if records else []
    return [to_out(r, s, held_dark(session, r) if held else []) for r, s in zip(records, states)]


def to_out(record: Interruption, state: RecordState, held: list[HeldDark] = ()) -> InterruptionOut:
    """The API view of a record, with derived duration, member-minutes and members still out."""
    steps, left = [], record.members_out
    for s in record.steps:
        left -= s.members_restored
        steps.append(
            StepOut(
                at=s.at,
                members_restored=s.members_restored,
                members_out_after=left,
                device=s.device.code if s.device is not None else None,
            )
        )
    if record.transmission_line is not None:
        substation = ", ".join(sorted(s.code for s in record.transmission_line.substations))
    else:
        substation = record.substation.code
    kind = "ongoing" if record.restored_at is None else ("momentary" if record.momentary else "sustained")
    out_now = _members_out_now(record, utcnow())
    return InterruptionOut(
        id=record.id,
        incident_id=record.incident_id,
        record_ref=record.record_ref,
        status=record.status,
        kind=kind,
        scheduled=record.scheduled,
        members_notified=record.members_notified,
        cause=record.cause_code,
        substation=substation,
        feeder=record.feeder.code if record.feeder else None,
        device=record.device.code if record.device else None,
        transmission_line=record.transmission_line.code if record.transmission_line else None,
        start_at=record.start_at,
        restored_at=record.restored_at,
        duration_minutes=duration_minutes(record.start_at, record.restored_at),
        members_out=record.members_out,
        extent=record.extent,
        members_located=state.located,
        members_out_now=out_now,
        members_unlocated_now=min(state.unlocated_left, out_now),
        held_dark=list(held),
        member_minutes=member_minutes(record.start_at, [(s.at, s.members_restored) for s in record.steps]),
        steps=steps,
        etr_at=record.etr_at,
        etr_history=[
            {"etr_at": e.etr_at, "set_at": e.set_at, "set_by": e.set_by, "note": e.note} for e in record.etr_history
        ],
        location=record.location,
        notes=record.notes,
        void_reason=record.void_reason,
        voided_at=record.voided_at,
        voided_by=record.voided_by,
        created_at=record.created_at,
        created_by=record.created_by,
        updated_at=record.updated_at,
        updated_by=record.updated_by,
        version=record.version,
    )
