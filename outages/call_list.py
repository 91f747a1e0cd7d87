"""At the onset of an outage: the registry entries an incident has left dark, whom to call, and who
has been reached (emergency operations plan: communications with essential services)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import InvalidInput
from gis.ids import DbId
from outages.models import ContactAttempt, Incident, Interruption
from outages.schemas import Timestamp
from outages.service import check_time, get_incident
from registry.schemas import EntryOut
from registry.service import FacilityEntries, get_entry, list_entries, to_out

OUTCOMES = ("reached", "no_answer", "left_message", "busy", "wrong_number")


class AttemptIn(BaseModel):
    entry_id: Annotated[DbId, Field(strict=True)]
    contact_name: Annotated[str, Field(min_length=1, max_length=200)]
    outcome: Literal["reached", "no_answer", "left_message", "busy", "wrong_number"]
    notes: Annotated[str, Field(max_length=2000)] | None = None
    at: Timestamp | None = Field(None, description="When the call was made; omit for now.")


class AttemptOut(BaseModel):
    contact_name: str
    outcome: str
    notes: str | None
    at: datetime
    by: str


class CallRow(BaseModel):
    entry: EntryOut
    dark_since: datetime
    records: list[int]
    reached: bool
    attempts: list[AttemptOut]


def facilities_of(record: Interruption) -> dict[str, tuple[int, ...]]:
    """The facility an interruption record is on, as keyword arguments for :meth:`FacilityEntries.on`."""
    if record.transmission_line_id is not None:
        return {"transmission_line_ids": (record.transmission_line_id,)}
    if record.device_id is not None:
        return {"device_ids": (record.device_id,)}
    return {"feeder_ids": (record.feeder_id,)}


def dark_entries(session: Session, records: list[Interruption], *,
                 index: FacilityEntries | None = None) -> dict[int, list[Interruption]]:
    """Registry entry id -> the open records that leave it dark (``index``: a look-up already built)."""
    index = index if index is not None else FacilityEntries(session)
    dark: dict[int, list[Interruption]] = {}
    for record in records:
        for entry_id in index.on(**facilities_of(record)):
            dark.setdefault(entry_id, []).append(record)
    return dark


def call_list(*, session: Session, incident_id: int, zone, now: datetime | None = None) -> list[CallRow]:
    """Entries dark in an incident (its open records), not-yet-reached first, then by priority tier."""
    incident: Incident = get_incident(session=session, incident_id=incident_id)
    return call_lists(session=session, incidents=[incident], zone=zone, now=now)[incident.id]


def call_lists(*, session: Session, incidents: list[Incident], zone, now: datetime | None = None,
               index: FacilityEntries | None = None) -> dict[int, list[CallRow]]:
    """Incident id -> its call list (see :func:`call_list`), for many incidents with one registry look-up,
    one query for the contact attempts and one for the entries."""
    index = index if index is not None else FacilityEntries(session)
    dark_of = {incident.id: dark_entries(session, [r for r in incident.interruptions if r.status == "open"],
                                         index=index) for incident in incidents}
    wanted = set().union(*dark_of.values())
    if not wanted:
        return {incident_id: [] for incident_id in dark_of}
    attempts: dict[tuple[int, int], list[ContactAttempt]] = {}
    for a in session.scalars(select(ContactAttempt).where(ContactAttempt.incident_id.in_(
            [i for i, dark in dark_of.items() if dark])).order_by(ContactAttempt.at, ContactAttempt.id)):
        attempts.setdefault((a.incident_id, a.entry_id), []).append(a)
    entries = to_out(session, list_entries(session=session, ids=list(wanted)), today=(now or utcnow()).astimezone(
        zone).date(), zone=zone)
    out = {}
    for incident_id, dark in dark_of.items():
        rows = []
        for e in entries:  # in the registry's order (by ref), as the sort below is stable
            if e.id not in dark:
                continue
            tries = attempts.get((incident_id, e.id), [])
            rows.append(CallRow(entry=e, dark_since=min(r.start_at for r in dark[e.id]),
                                records=sorted(r.id for r in dark[e.id]),
                                reached=any(a.outcome == "reached" for a in tries),
                                attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in tries]))
        out[incident_id] = sorted(rows, key=lambda r: (r.reached, r.entry.priority_tier, r.entry.backup_generation,
                                                       r.dark_since))
    return out


def record_attempt(*, session: Session, incident_id: int, data: AttemptIn, actor: str) -> ContactAttempt:
    """Record one try to reach an entry's contact: who called, when, and what happened."""
    get_incident(session=session, incident_id=incident_id)
    entry = get_entry(session=session, entry_id=data.entry_id, field="entry_id")
    names = {c.name for c in entry.contacts}
    if names and data.contact_name not in names:
        raise InvalidInput(f"{data.contact_name!r} is not a contact of {entry.name}. Fix: use one of "
                           f"{', '.join(sorted(names))}.", field="contact_name")
    at = data.at or utcnow()
    check_time(at, "at")
    attempt = ContactAttempt(incident_id=incident_id, entry_id=entry.id, contact_name=data.contact_name,
                             outcome=data.outcome, notes=data.notes, at=at, by=actor)
    session.add(attempt)
    session.flush()
    return attempt
