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

from gis.models import ServicePoint
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
