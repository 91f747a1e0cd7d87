"""Which service points an interruption certainly leaves without power, as one SQL condition.

Certainly out: every service point below the device named (the device and the devices downstream of it),
every one on the feeder when the whole feeder is out, every one behind a transmission line (the feeders of
the substations it feeds), and the members whose own outage reports were confirmed into the record.  Part
of a feeder with no device named is *not* certain (we cannot tell who is in that part): the members there
see "possibly out" on their page and get no alert until the dispatcher names the device.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from gis.db import utcnow

from gis.models import Feeder, ServicePoint
from gis.service import Topology, count_members
from outages.member_reports import OutageReport
from outages.models import Interruption


def certainly_out(session: Session, record: Interruption, topology: Topology) -> ColumnElement[bool]:
    """A condition on :class:`ServicePoint` true for the service points this record leaves dark."""
    reporters = ServicePoint.id.in_(select(OutageReport.service_point_id)
                                    .where(OutageReport.interruption_id == record.id))
    if record.transmission_line_id is not None:
        facility = ServicePoint.feeder_id.in_(topology.feeders_fed_by(
            transmission_line_ids=[record.transmission_line_id]))
    elif record.device_id is not None:
        facility = ServicePoint.device_id.in_(topology.devices_below([record.device_id]))
    elif record.members_out >= count_members(session=session, feeder_id=record.feeder_id):
        facility = ServicePoint.feeder_id == record.feeder_id
    else:
        facility = false()
    return or_(facility, reporters)


def outage_at(session: Session, service_point: ServicePoint, topology: Topology) -> tuple[str, list[Interruption]]:
    """A service point's state from the open records that have begun: ``('out', records)`` when some
    certainly leave it dark, ``('possibly_out', records)`` when only part of its feeder is out with no device
    named, else ``('on', [])``."""
    feeder = session.get(Feeder, service_point.feeder_id)
    lines = [t.id for t in feeder.substation.transmission_lines]
    records = session.scalars(select(Interruption).where(
        Interruption.status == "open", Interruption.start_at <= utcnow(),
        or_(Interruption.feeder_id == service_point.feeder_id, Interruption.transmission_line_id.in_(lines)))
        .order_by(Interruption.start_at)).all()
    out = [r for r in records if session.scalar(select(ServicePoint.id).where(
        ServicePoint.id == service_point.id, certainly_out(session, r, topology)))]
    if out:
        return "out", out
    maybe = [r for r in records if r.device_id is None and r.feeder_id is not None]
    return ("possibly_out", maybe) if maybe else ("on", [])
