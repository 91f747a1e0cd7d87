"""Priorities for restoration of service (emergency operations plan): a queue over open interruptions.

Order: the highest registry priority tier affected first (1 before 2 before 3, none last); then records
leaving an entry without backup generation dark; then more members out; then longer out.  Each row
says why it is where it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.util import identity_key

from gis.db import utcnow
from gis.models import Device, Feeder, TransmissionLine
from outages.call_list import dark_entries
from outages.models import Interruption
from outages.power_state import RecordState
from registry.models import RegistryEntry
from registry.service import FacilityEntries


class PriorityRow(BaseModel):
    rank: int
    interruption_id: int
    incident_id: int
    facility: str
    members_out_now: int
    minutes_out: float
    best_tier: int | None
    entries_without_backup: int
    entries: list[str]
    reason: str


def _facility(record: Interruption) -> str:
    if record.transmission_line is not None:
        return f"line {record.transmission_line.code}"
    if record.device:
        return f"device {record.device.code}"
    assert record.feeder is not None  # one_facility: a record not on a transmission line is on a feeder
    return f"feeder {record.feeder.code}"


def _duration(minutes: float) -> str:
    hours, mins = divmod(int(minutes), 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def restoration_queue(*, session: Session, now: datetime | None = None) -> list[PriorityRow]:
    """Open interruptions in the order crews should restore them, with the reason for each place."""
    records = list(
        session.scalars(
            select(Interruption)
            .where(Interruption.status == "open")
            .options(
                selectinload(Interruption.steps),
                selectinload(Interruption.feeder).load_only(Feeder.code),
                selectinload(Interruption.device).load_only(Device.code),
                selectinload(Interruption.transmission_line).load_only(TransmissionLine.code),
            )
        )
    )
    return rank_records(session=session, records=records, now=now or utcnow())


def rank_records(
    *,
    session: Session,
    records: Sequence[Interruption],
    now: datetime,
    index: FacilityEntries | None = None,
    states: Mapping[Interruption, RecordState] | None = None,
) -> list[PriorityRow]:
    """``records`` (open, with steps and facility codes loaded) in the queue's order and words.  ``index`` and
    ``states``: the registry look-up and power states when the caller has them already (the console's
    overview); the entries left dark are read in one query, less those the session holds already."""
    dark = dark_entries(session, list(records), index=index, states=states)
    entries: dict[int, RegistryEntry] = {}
    for entry_id in dark:
        known = session.identity_map.get(identity_key(RegistryEntry, entry_id))
        if isinstance(known, RegistryEntry):
            entries[entry_id] = known
    missing = [i for i in dark if i not in entries]
    if missing:
        entries.update({e.id: e for e in session.scalars(select(RegistryEntry).where(RegistryEntry.id.in_(missing)))})
    per_record: dict[int, list[RegistryEntry]] = {}
    for entry_id, on in dark.items():
        for record in on:
            per_record.setdefault(record.id, []).append(entries[entry_id])
    rows = []
    for r in records:
        hit = sorted(per_record.get(r.id, []), key=lambda e: (e.priority_tier, e.backup_generation, e.name))
        out_now = r.members_out - sum(s.members_restored for s in r.steps)
        minutes = max((now - r.start_at).total_seconds() / 60, 0.0)
        without = [e for e in hit if not e.backup_generation]
        tier = hit[0].priority_tier if hit else None
        why = []
        if hit:
            top = hit[0]
            why.append(
                f"tier {tier}: {top.name} ({top.category.label.lower()})"
                + ("" if top.backup_generation else " without backup generation")
                + (f" and {len(hit) - 1} more registry entries" if len(hit) > 1 else "")
            )
        else:
            why.append("no registry entry affected")
        why.append(f"{out_now:,} members out")
        why.append(f"out {_duration(minutes)}")
        rows.append(
            (
                ((tier or 4), 0 if without else 1, -out_now, r.start_at),
                PriorityRow(
                    rank=0,
                    interruption_id=r.id,
                    incident_id=r.incident_id,
                    facility=_facility(r),
                    members_out_now=out_now,
                    minutes_out=round(minutes, 1),
                    best_tier=tier,
                    entries_without_backup=len(without),
                    entries=[e.name for e in hit],
                    reason="; ".join(why),
                ),
            )
        )
    rows.sort(key=lambda pair: pair[0])
    for rank, (_, row) in enumerate(rows, start=1):
        row.rank = rank
    return [row for _, row in rows]
