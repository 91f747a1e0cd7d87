"""One service point's power state, as its member sees it: on, out, or possibly out (domain D15).

The state comes from :mod:`outages.power_state`, the one model every page uses:

* **out**: an open record keeps the service point dark (:meth:`outages.power_state.OutNow.is_out`); the records
  keeping it dark (:meth:`~outages.power_state.OutNow.records_keeping`, earliest first) give the cause, the
  "out since" and the ETR.  After a feeder record closes while a fuse record below it is still open, the fuse's
  members are still out: the fuse record keeps them dark;
* **possibly out**: no open record keeps it dark, but an open record on a facility above it (its feeder, a
  device upstream of it, a transmission line feeding its substation) has members out that nobody has located;
* **on**: neither.

Only the open records that can reach the service point (on its feeder, or on a line feeding its substation) are
replayed, so a member's page costs a few small queries however big the storm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import Session

from gis.network import Network, network
from outages.models import Interruption
from outages.power_state import OutNow, facility_key, open_records, states_of

STATUSES = ("on", "out", "possibly_out")


@dataclass
class PointState:
    """A service point's state now: ``status`` (on | out | possibly_out) and the open records behind it (those
    keeping it dark when out, those with unlocated members above it when possibly out), earliest first."""

    status: str
    records: list[Interruption] = field(default_factory=list)

    @property
    def out_since(self) -> datetime | None:
        return self.records[0].start_at if self.records else None

    @property
    def cause(self) -> str | None:
        return self.records[0].cause_code if self.records else None

    @property
    def etr_at(self) -> datetime | None:
        return max((r.etr_at for r in self.records if r.etr_at), default=None)


def records_reaching(
    session: Session, net: Network, service_point_id: int, *, now: datetime | None = None
) -> list[Interruption]:
    """Open records (begun) that may leave this service point dark: on its feeder (the feeder or a device on
    it) or on a transmission line feeding its substation."""
    up = net.upstream(service_point_id)
    lines = up["transmission_lines"]
    near = or_(Interruption.feeder_id == up["feeder"], Interruption.transmission_line_id.in_(lines))
    return open_records(session, now=now, where=(near,))


def point_state(
    session: Session, service_point_id: int, *, net: Network | None = None, now: datetime | None = None
) -> PointState:
    """The power state of one service point now (see the module docstring)."""
    net = net or network(session)
    try:
        pos = net.position(service_point_id)
    except KeyError:  # not in the network (a facility layer loaded since): nothing can say it is out
        return PointState("on")
    records = records_reaching(session, net, service_point_id, now=now)
    if not records:
        return PointState("on")
    state = OutNow(net, states_of(session, records, net))
    if state.mask[pos]:
        return PointState("out", state.records_keeping(service_point_id))
    above = []
    for s in state.states:
        if s.unlocated_left <= 0:
            continue
        key = facility_key(s.record)
        if not state.unlocated_by_facility.get(key):  # every member there is located dark already
            continue
        if any(lo <= pos < hi for lo, hi in net.downstream(**state.facility_of[key])):
            above.append(s.record)
    return PointState("possibly_out", above) if above else PointState("on")
