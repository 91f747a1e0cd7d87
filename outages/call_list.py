"""At the onset of an outage: the registry entries an incident has left dark, whom to call, and who
has been reached (emergency operations plan: communications with essential services).

Dark comes from the power state (:mod:`outages.power_state`, domain D15), the same the classifier reads
(:mod:`outages.classify`): an entry is **dark** when an open record keeps its service point dark (an entry linked
only to a feeder: when the feeder's whole range is dark).  It is **possibly dark** (``possibly``) when no
record keeps it dark for certain but an open record on its facility has members out that nobody has located,
or brought members back by a count only (taken in network order, so the entry may be among those still out).
Both are listed: the call list stays cautious.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import InvalidInput
from gis.ids import DbId
from gis.network import Network, network
from outages.classify import record_states
from outages.models import ContactAttempt, Incident, Interruption
from outages.power_state import Piece, RecordState
from outages.schemas import Timestamp, label
from outages.service import check_time, get_incident
from registry.schemas import EntryOut
from registry.service import FacilityEntries, get_entry, list_entries, to_out

OUTCOMES = ("reached", "no_answer", "left_message", "busy", "wrong_number")


class AttemptIn(BaseModel):
    entry_id: Annotated[DbId, Field(strict=True)]
    contact_name: Annotated[str, Field(min_length=1, max_length=200)]
    outcome: Literal["reached", "no_answer", "left_message", "busy", "wrong_number"]
    notes: Annotated[str, Field(max_length=2000)] | None = None
    at: Timestamp | None = Field(None, title="Called at", description="When the call was made; omit for now.")


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
    possibly: bool = Field(
        False,
        description="Only possibly dark: no open record keeps it dark for certain, but "
        "one on its facility has members out nobody has located",
    )
    reached: bool
    attempts: list[AttemptOut]


def facilities_of(record: Interruption) -> dict[str, tuple[int, ...]]:
    """The facility an interruption record is on, as keyword arguments for :meth:`FacilityEntries.on`."""
    if record.transmission_line_id is not None:
        return {"transmission_line_ids": (record.transmission_line_id,)}
    if record.device_id is not None:
        return {"device_ids": (record.device_id,)}
    assert record.feeder_id is not None  # one_facility: a record not on a transmission line is on a feeder
    return {"feeder_ids": (record.feeder_id,)}


def _inside(positions: np.ndarray, piece: Piece) -> np.ndarray:
    """Which of these positions (ascending) the piece holds."""
    hit = np.zeros(len(positions), bool)
    for lo, hi in piece.ranges:
        hit[np.searchsorted(positions, lo, "left") : np.searchsorted(positions, hi, "left")] = True
    if len(piece.points):
        hit |= np.isin(positions, piece.points)
    return hit


def _places(index: FacilityEntries, net: Network) -> tuple[np.ndarray, list[int], dict[int, list[int]]]:
    """Where the entries are in the network: the positions of their service points (ascending) with the entry
    ids, and the entries linked only to a feeder, by feeder."""
    placed: list[tuple[int, int]] = []
    by_feeder: dict[int, list[int]] = {}
    for entry_id, sp in index.service_point_of.items():
        if sp is None:
            by_feeder.setdefault(index.feeder_of[entry_id], []).append(entry_id)
            continue
        try:
            placed.append((net.position(sp), entry_id))
        except KeyError:  # not in the network: nothing can say it is dark
            pass
    placed.sort()
    return np.array([p for p, _e in placed], dtype=np.int64), [e for _p, e in placed], by_feeder


def entry_darkness(
    session: Session,
    records: Sequence[Interruption],
    *,
    index: FacilityEntries | None = None,
    net: Network | None = None,
    states: Mapping[Interruption, RecordState] | None = None,
    places=None,
) -> dict[int, tuple[list[Interruption], bool]]:
    """Registry entry id -> (the open records that leave it dark, or possibly dark; possibly), from the power
    state (see the module docstring).  ``index``, ``net``, ``states`` and ``places``: look-ups already built."""
    index = index if index is not None else FacilityEntries(session)
    net = net or network(session)
    records = list(records)
    known = states or {}
    missing = [r for r in records if r not in known]
    read = record_states(missing, net, session=session) if missing else {}
    pairs = [(r, known[r] if r in known else read[r]) for r in records]
    positions, ids, by_feeder = places or _places(index, net)
    dark: dict[int, list[Interruption]] = {}
    for record, state in pairs:
        for k in np.nonzero(_inside(positions, state.dark))[0].tolist():
            dark.setdefault(ids[k], []).append(record)
    if by_feeder:
        darks = [s.dark for _r, s in pairs]
        mask = net.mask(
            [r for d in darks for r in d.ranges], np.concatenate([d.points for d in darks]) if darks else None
        )
        for feeder_id, entry_ids in by_feeder.items():
            lo, hi = net.feeder_range.get(feeder_id, (0, 0))
            if hi <= lo or not mask[lo:hi].all():
                continue
            keeping = [
                r
                for r, s in pairs
                if any(a < hi and b > lo for a, b in s.dark.ranges)
                or bool(np.any((s.dark.points >= lo) & (s.dark.points < hi)))
            ]
            for entry_id in entry_ids:
                dark[entry_id] = keeping
    maybe: dict[int, list[Interruption]] = {}
    for record, state in pairs:
        if state.unlocated_left <= 0 and not state.approximate:
            continue
        on = index.on(**facilities_of(record))
        if state.unlocated_left <= 0:  # restored by a count only: possibly among those still out
            everything = Piece(
                [r for p in state.pieces for r in p.ranges],
                np.concatenate([p.points for p in state.pieces]) if state.pieces else np.empty(0, np.int64),
                None,
            )
            held = {ids[k] for k in np.nonzero(_inside(positions, everything))[0].tolist()}
            on = {
                e
                for e in on
                if e in held or (index.service_point_of.get(e) is None and state.record.extent == "facility")
            }
        for entry_id in on:
            if entry_id not in dark:
                maybe.setdefault(entry_id, []).append(record)
    found = {e: (sorted(rs, key=lambda r: (r.start_at, r.id or 0)), False) for e, rs in dark.items()}
    found.update({e: (sorted(rs, key=lambda r: (r.start_at, r.id or 0)), True) for e, rs in maybe.items()})
    return found


def dark_entries(
    session: Session,
    records: list[Interruption],
    *,
    index: FacilityEntries | None = None,
    net: Network | None = None,
    states: Mapping[Interruption, RecordState] | None = None,
) -> dict[int, list[Interruption]]:
    """Registry entry id -> the open records that leave it dark or possibly dark (:func:`entry_darkness`)."""
    return {
        e: rs for e, (rs, _possibly) in entry_darkness(session, records, index=index, net=net, states=states).items()
    }


def call_list(*, session: Session, incident_id: int, zone, now: datetime | None = None) -> list[CallRow]:
    """Entries dark in an incident (its open records), not-yet-reached first, then by priority tier."""
    incident: Incident = get_incident(session=session, incident_id=incident_id)
    return call_lists(session=session, incidents=[incident], zone=zone, now=now)[incident.id]


def call_lists(
    *,
    session: Session,
    incidents: list[Incident],
    zone,
    now: datetime | None = None,
    index: FacilityEntries | None = None,
    net: Network | None = None,
    states: Mapping[Interruption, RecordState] | None = None,
) -> dict[int, list[CallRow]]:
    """Incident id -> its call list (see :func:`call_list`), for many incidents with one registry look-up,
    two queries for the records' power states (unless ``states`` holds them), one for the contact attempts and
    one for the entries."""
    index = index if index is not None else FacilityEntries(session)
    net = net or network(session)
    open_of = {incident.id: [r for r in incident.interruptions if r.status == "open"] for incident in incidents}
    everyone = [r for found in open_of.values() for r in found]
    known = states or {}
    missing = [r for r in everyone if r not in known]
    if missing:
        known = {**known, **record_states(missing, net, session=session)}
    places = _places(index, net)
    dark_of = {
        incident_id: entry_darkness(session, found, index=index, net=net, states=known, places=places)
        for incident_id, found in open_of.items()
    }
    wanted = set().union(*dark_of.values())
    if not wanted:
        return {incident_id: [] for incident_id in dark_of}
    attempts: dict[tuple[int, int], list[ContactAttempt]] = {}
    for a in session.scalars(
        select(ContactAttempt)
        .where(ContactAttempt.incident_id.in_([i for i, dark in dark_of.items() if dark]))
        .order_by(ContactAttempt.at, ContactAttempt.id)
    ):
        attempts.setdefault((a.incident_id, a.entry_id), []).append(a)
    entries = to_out(
        session,
        list_entries(session=session, ids=list(wanted)),
        today=(now or utcnow()).astimezone(zone).date(),
        zone=zone,
    )
    out = {}
    for incident_id, dark in dark_of.items():
        rows = []
        for e in entries:  # in the registry's order (by ref), as the sort below is stable
            if e.id not in dark:
                continue
            tries = attempts.get((incident_id, e.id), [])
            on, possibly = dark[e.id]
            rows.append(
                CallRow(
                    entry=e,
                    dark_since=min(r.start_at for r in on),
                    records=sorted(r.id for r in on),
                    possibly=possibly,
                    reached=any(a.outcome == "reached" for a in tries),
                    attempts=[AttemptOut.model_validate(a, from_attributes=True) for a in tries],
                )
            )
        # not reached first, then by priority tier; within a tier, entries certainly dark before possibly dark
        out[incident_id] = sorted(
            rows, key=lambda r: (r.reached, r.entry.priority_tier, r.possibly, r.entry.backup_generation, r.dark_since)
        )
    return out


def record_attempt(*, session: Session, incident_id: int, data: AttemptIn, actor: str) -> ContactAttempt:
    """Record one try to reach an entry's contact: who called, when, and what happened."""
    get_incident(session=session, incident_id=incident_id)
    entry = get_entry(session=session, entry_id=data.entry_id, field="entry_id")
    names = {c.name for c in entry.contacts}
    if names and data.contact_name not in names:
        raise InvalidInput(
            f"{label('contact_name')} {data.contact_name!r} is not a contact of {entry.name}. Fix: use one of "
            f"{', '.join(sorted(names))}.",
            field="contact_name",
        )
    at = data.at or utcnow()
    check_time(at, "at", named="Called at")  # not a restoration's "Restored at"
    attempt = ContactAttempt(
        incident_id=incident_id,
        entry_id=entry.id,
        contact_name=data.contact_name,
        outcome=data.outcome,
        notes=data.notes,
        at=at,
        by=actor,
    )
    session.add(attempt)
    session.flush()
    return attempt
