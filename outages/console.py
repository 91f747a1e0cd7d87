"""The dispatcher console in one answer (issue 14): the system-wide figures, every open record in restoration
order with its division, crews and hazards, every open incident's significance as one line with its evidence
and call list, the crew board, the open hazards and the extent of the outage for the map.

Built for a storm: the facility facts (cached, :func:`outages.classify.facility_facts`), the network graph, the
records' power states (two queries for all of them), the call lists, the crews' assignments, the hazards and the
restoration queue are each read once for all records, so the work grows with the records, never a query per
record.  Members out come from the power state (domain D15, :class:`outages.power_state.OutNow`): the header's
members out now is the union of every open record's dark set (each member once, never above what is served),
and the map's extent (feeders, devices and lines out, feeders dark behind an open line record) is what the
records keep dark, not what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.models import Device, Feeder, Substation, TransmissionLine
from gis.network import Network
from outages.call_list import CallRow, call_lists
from outages.classify import Classification, Criterion, FacilityFacts, classify, facility_key, record_states
from outages.crews.schemas import AssignmentOut, CrewBoard
from outages.crews.service import assignments_of, crew_board
from outages.member_reports import HazardOut, ProbableOutage, open_hazards, probable_outages
from outages.models import Cause, Incident, Interruption
from outages.overview import members_out_now, open_incidents
from outages.power_state import OutNow, RecordState
from outages.priorities import rank_records
from outages.service import facility_label
from outages.settings import RuleSettings, get_rule_settings
from registry.service import FacilityEntries

# --- shapes --------------------------------------------------------------------------------------------


class Division(BaseModel):
    code: str = Field(examples=["DIV-JC"])
    name: str = Field(examples=["Johnson City Division"])


class ConsoleHeader(BaseModel):
    members_out_now: int = Field(
        description="Members out now system-wide: the union of every open record's dark set (each member once, "
        "located and unlocated), never above members_served"
    )
    members_unlocated_now: int = Field(description="Of members_out_now, those nobody has located yet")
    members_served: int = Field(description="Members (service points) the system serves")
    open_records: int
    significant_incidents: int = Field(description="Open incidents that are significant now")
    crews_out: int
    crews_idle: int
    crews_on_shift: int
    hazards: int = Field(description="Members' hazard reports (wire down, tree on line) not made safe yet")


class ConsoleRecord(BaseModel):
    """One open interruption record as a row of the console."""

    id: int
    incident_id: int
    version: int
    facility: str = Field(examples=["device JC-014-R1"], description="The record's facility in words")
    feeder: str | None
    device: str | None
    transmission_line: str | None
    substation: str = Field(description="Substation code; a line's substations, comma-separated")
    substations: list[str]
    division: Division | None = Field(
        description="The division service area holding most of the facility's members (none: it serves nobody)"
    )
    divisions: list[Division] = Field(
        description="Every division the facility serves, most members first (a line: its substations' feeders')"
    )
    cause: str
    cause_label: str
    scheduled: bool
    start_at: datetime
    etr_at: datetime | None
    members_out: int
    members_out_now: int
    members_unlocated_now: int
    priority: int = Field(description="Rank in the restoration queue (1 first)")
    priority_reason: str
    crews: list[AssignmentOut] = Field(description="The crews assigned and not done, in the order sent")
    significant: bool = Field(description="The record's incident is significant now")
    hazards: int = Field(description="Open hazard reports on this record")


class CriterionOut(BaseModel):
    code: str = Field(examples=["essential_services", "division:DIV-JC"])
    label: str = Field(examples=["Essential service"], description="The criterion in words")
    met_at: datetime
    evidence: str


class ConsoleIncident(BaseModel):
    incident_id: int
    members_out_now: int
    members_out_unlocated: int
    peak_members_out: int
    significant: bool
    significant_at: datetime | None
    headline: list[str] = Field(
        description="Short phrases for one line ('Significant since 14:05: essential services, 20,000 members')",
        examples=[["essential services", "20,000 members"]],
    )
    criteria: list[CriterionOut] = Field(description="The evidence, earliest met first")
    call_list: list[CallRow]


class FeederOut(BaseModel):
    feeder: str
    members_out_now: int = Field(description="Located members dark on the feeder, plus unlocated counts on it")
    members_served: int
    whole: bool = Field(description="Every member of the feeder is dark")


class DeviceOut(BaseModel):
    device: str
    feeder: str
    lat: float
    lon: float


class MapExtent(BaseModel):
    feeders_out: list[FeederOut]
    devices_out: list[str] = Field(description="Devices an open record names, keeping members dark")
    devices: list[DeviceOut] = Field(description="Where the devices out are (for the map's marks)")
    lines_out: list[str] = Field(description="Transmission lines an open record names, keeping members dark")
    feeders_behind_lines: list[str] = Field(description="Feeders dark because of an open line record")


class ConsoleOverview(BaseModel):
    as_of: datetime
    header: ConsoleHeader
    records: list[ConsoleRecord] = Field(description="Every open record, in restoration priority order")
    incidents: list[ConsoleIncident] = Field(description="Every open incident, by id")
    crews: CrewBoard
    hazards: list[HazardOut] = Field(description="Open hazard reports, newest first")
    probable: list[ProbableOutage] = Field(description="Probable outages from members' reports, busiest first")
    divisions: list[Division] = Field(description="Every division of the system, by name (crews' home divisions)")
    map: MapExtent


# --- words ----------------------------------------------------------------------------------------------


def criterion_label(code: str, facts: FacilityFacts, rules: RuleSettings) -> str:
    """A criterion code in words: 'Essential service', 'Major division: Johnson City Division'."""
    kind, _, area = code.partition(":")
    if area:
        name = _area_name(facts, area)
        return {"division": f"Major division: {name}", "community": f"Community: {name}"}.get(kind, f"{kind}: {name}")
    return {
        "entire_system": "Entire system",
        "members_20_percent": f"{rules.members_share:.0%} of the system's members",
        "members_20000": f"{rules.large_system_threshold:,} members or more",
        "essential_services": "Essential service",
        "community_impact": "Community-impact facility",
        "interruptible_members": "Interruptible members",
        "scheduled_not_notified": (
            f"Scheduled, members not notified, over {rules.scheduled_unnotified_minutes / 60:g} h"
        ),
    }.get(code, code.replace("_", " ").capitalize())


# the one line's phrases, most telling first: who is dark (essential services before areas), then how many
HEADLINE_ORDER = (
    "essential_services",
    "community_impact",
    "interruptible_members",
    "entire_system",
    "division",
    "community",
    "members_20000",
    "members_20_percent",
    "scheduled_not_notified",
)


def headline(found: Classification, facts: FacilityFacts) -> list[str]:
    """Short phrases for the one line of a significant incident, one per kind of criterion met, most telling
    first: 'essential services', 'Johnson City Division', '20,000 members'."""
    rank = {code: k for k, code in enumerate(HEADLINE_ORDER)}
    counted: dict[str, int] = {}
    order: list[str] = []
    criteria = sorted(found.criteria, key=lambda c: (rank.get(c.code.partition(":")[0], len(rank)), c.met_at, c.code))
    for c in criteria:
        kind, _, area = c.code.partition(":")
        if c.code in ("members_20000", "members_20_percent"):
            phrase = f"{found.peak_members_out:,} members"
        elif c.code == "entire_system":
            phrase = "entire system"
        elif area:
            name = _area_name(facts, area)
            phrase = name if kind == "division" else f"{name} (community)"
        else:
            phrase = {
                "essential_services": "essential services",
                "community_impact": "community-impact facilities",
                "interruptible_members": "interruptible members",
                "scheduled_not_notified": "scheduled, not notified",
            }.get(c.code, c.code.replace("_", " "))
        if phrase not in counted:
            order.append(phrase)
        counted[phrase] = counted.get(phrase, 0) + 1
    many = ("essential services", "community-impact facilities")
    return [f"{counted[p]} {p}" if p in many and counted[p] > 1 else p for p in order]


def _area_name(facts: FacilityFacts, code: str) -> str:
    for area_code, name, _kind in facts.areas.values():
        if area_code == code:
            return name
    return code


# --- the overview ---------------------------------------------------------------------------------------


# the significance of each open incident, kept between refreshes while nothing it depends on changed
_significance: dict[int, tuple[tuple, datetime, Classification]] = {}
SIGNIFICANCE_SECONDS = 15.0  # the console's poll: at most this late when only the clock moved


def significance(
    incident: Incident,
    facts: FacilityFacts,
    *,
    now: datetime,
    rules: RuleSettings,
    states: Mapping[Interruption, RecordState],
) -> Classification:
    """:func:`outages.classify.classify` of the incident, reused from an earlier refresh when its records
    (each record's version: every step, ETR, correction, closing and voiding bumps it), the facility facts
    (rebuilt when the facility layer or the registry changes) and the rules are the same and that refresh was
    less than ``SIGNIFICANCE_SECONDS`` before ``now`` (time alone moves criteria such as "dark one hour" and
    the durations in the evidence).  In a storm one change recomputes one incident, not a hundred."""
    key = (facts, rules, tuple((r.id, r.version) for r in incident.interruptions))
    kept = _significance.get(incident.id)
    if kept is not None and kept[0] == key and 0 <= (now - kept[1]).total_seconds() < SIGNIFICANCE_SECONDS:
        return kept[2]
    found = classify(incident.interruptions, facts, now=now, rules=rules, states=states)
    if len(_significance) > 10_000:  # incidents closed long ago
        _significance.clear()
    _significance[incident.id] = (key, now, found)
    return found


def console_overview(
    *,
    session: Session,
    facts: FacilityFacts,
    zone,
    now: datetime,
    rules: RuleSettings | None = None,
) -> ConsoleOverview:
    """The whole console at ``now`` in one answer (see the module docstring)."""
    rules = rules or get_rule_settings()
    net = facts.net
    incidents = open_incidents(session=session)
    states = record_states(
        [r for i in incidents for r in i.interruptions if r.status != "voided"], net, session=session
    )
    open_ = [r for i in incidents for r in i.interruptions if r.status == "open"]
    live = [r for r in open_ if r.start_at <= now]
    index = FacilityEntries(session)  # built afresh, as the call lists do (facts may be cached longer)
    calls = call_lists(session=session, incidents=incidents, zone=zone, now=now, index=index, net=net, states=states)
    classes = {i.id: significance(i, facts, now=now, rules=rules, states=states) for i in incidents}
    out_of = members_out_now(session=session, incidents=incidents, now=now, net=net, states=states)
    everyone = OutNow(net, [states[r] for r in live])
    codes = _codes(session)
    queue = {
        row.interruption_id: row
        for row in rank_records(session=session, records=open_, now=now, index=index, states=states)
    }
    labels = dict(session.execute(select(Cause.code, Cause.label)).all())
    crews_of = assignments_of(session=session, interruption_ids=[r.id for r in open_], include_done=False)
    board = crew_board(session=session)
    hazards = open_hazards(session=session)  # newest first
    hazards_on: dict[int, int] = {}
    for h in hazards:
        if h.interruption_id is not None:
            hazards_on[h.interruption_id] = hazards_on.get(h.interruption_id, 0) + 1

    records = []
    for r in open_:
        state = states[r]
        out_now = r.members_out - sum(s.members_restored for s in r.steps) if r.start_at <= now else 0
        subs = _substations(r, net, codes)
        divisions = _divisions(r, facts)
        row = queue[r.id]
        records.append(
            ConsoleRecord(
                id=r.id,
                incident_id=r.incident_id,
                version=r.version,
                facility=facility_label(r),
                feeder=r.feeder.code if r.feeder is not None else None,
                device=r.device.code if r.device is not None else None,
                transmission_line=r.transmission_line.code if r.transmission_line is not None else None,
                substation=", ".join(subs),
                substations=subs,
                division=divisions[0] if divisions else None,
                divisions=divisions,
                cause=r.cause_code,
                cause_label=labels.get(r.cause_code, r.cause_code),
                scheduled=r.scheduled,
                start_at=r.start_at,
                etr_at=r.etr_at,
                members_out=r.members_out,
                members_out_now=out_now,
                members_unlocated_now=min(state.unlocated_left, out_now),
                priority=row.rank,
                priority_reason=row.reason,
                crews=crews_of.get(r.id, []),
                significant=classes[r.incident_id].significant,
                hazards=hazards_on.get(r.id, 0),
            )
        )
    records.sort(key=lambda x: x.priority)

    return ConsoleOverview(
        as_of=now,
        header=ConsoleHeader(
            members_out_now=everyone.members_out,
            members_unlocated_now=everyone.unlocated,
            members_served=net.size,
            open_records=len(open_),
            significant_incidents=sum(c.significant for c in classes.values()),
            crews_out=board.out,
            crews_idle=board.idle,
            crews_on_shift=board.on_shift,
            hazards=len(hazards),
        ),
        records=records,
        incidents=[
            ConsoleIncident(
                incident_id=i.id,
                members_out_now=out_of[i.id].members_out,
                members_out_unlocated=out_of[i.id].unlocated,
                peak_members_out=classes[i.id].peak_members_out,
                significant=classes[i.id].significant,
                significant_at=classes[i.id].significant_at,
                headline=headline(classes[i.id], facts),
                criteria=[_criterion(c, facts, rules) for c in classes[i.id].criteria],
                call_list=calls[i.id],
            )
            for i in incidents
        ],
        crews=board,
        hazards=hazards,
        probable=probable_outages(session=session, now=now),
        divisions=sorted(
            (Division(code=code, name=name) for code, name, kind in facts.areas.values() if kind == "division"),
            key=lambda d: (d.name, d.code),
        ),
        map=extent(session=session, net=net, everyone=everyone, live=live, states=states, codes=codes),
    )


def _criterion(c: Criterion, facts: FacilityFacts, rules: RuleSettings) -> CriterionOut:
    return CriterionOut(code=c.code, label=criterion_label(c.code, facts, rules), met_at=c.met_at, evidence=c.evidence)


def _codes(session: Session) -> dict[str, dict[int, str]]:
    """Codes of the facilities by id (feeders, devices, substations, lines): a few hundred rows, one query each."""
    return {
        "feeder": dict(session.execute(select(Feeder.id, Feeder.code)).all()),
        "device": dict(session.execute(select(Device.id, Device.code)).all()),
        "substation": dict(session.execute(select(Substation.id, Substation.code)).all()),
        "line": dict(session.execute(select(TransmissionLine.id, TransmissionLine.code)).all()),
    }


def _substations(r: Interruption, net: Network, codes: Mapping[str, Mapping[int, str]]) -> list[str]:
    if r.transmission_line_id is not None:
        ids: Sequence[int] = net.substations_of_line.get(r.transmission_line_id, ())
    elif r.feeder_id is not None and r.feeder_id in net.feeder_substation:
        ids = [net.feeder_substation[r.feeder_id]]
    else:
        ids = [r.substation_id] if r.substation_id is not None else []
    return sorted(codes["substation"].get(s, "?") for s in ids)


def _divisions(r: Interruption, facts: FacilityFacts) -> list[Division]:
    """The divisions the record's facility serves, most members first (FacilityFacts: members per area)."""
    members = facts.by_area.get(facility_key(r), {})
    found = []
    for area_id, n in members.items():
        code, name, kind = facts.areas.get(area_id, ("", "", ""))
        if kind == "division" and n > 0:
            found.append((-n, code, name))
    return [Division(code=code, name=name) for _n, code, name in sorted(found)]


def extent(
    *,
    session: Session,
    net: Network,
    everyone: OutNow,
    live: Sequence[Interruption],
    states: Mapping[Interruption, RecordState],
    codes: Mapping[str, Mapping[int, str]],
) -> MapExtent:
    """What the open records keep dark, for the map: feeders with members dark (the whole feeder or part),
    the devices and lines named by open records still keeping members dark, and the feeders dark because of
    an open line record (from the power state)."""
    dark = net.feeder_of[everyone.mask] if net.size else np.empty(0, np.int64)
    located = np.bincount(dark, minlength=max(codes["feeder"], default=0) + 1) if len(dark) else None
    unlocated: dict[int, int] = {}
    for (kind, ident), n in everyone.unlocated_by_facility.items():
        if ident is None or kind == "line":  # a line's unlocated members are on no one feeder
            continue
        feeder = ident if kind == "feeder" else net.device_feeder.get(ident)
        if feeder is not None:
            unlocated[feeder] = unlocated.get(feeder, 0) + n
    feeders = []
    for feeder_id, code in sorted(codes["feeder"].items(), key=lambda kv: kv[1]):
        lo, hi = net.feeder_range.get(feeder_id, (0, 0))
        n = int(located[feeder_id]) if located is not None and feeder_id < len(located) else 0
        extra = min(unlocated.get(feeder_id, 0), (hi - lo) - n)
        if n + extra > 0:
            feeders.append(
                FeederOut(
                    feeder=code, members_out_now=n + extra, members_served=hi - lo, whole=hi > lo and n == hi - lo
                )
            )
    keeping = [r for r in live if states[r].dark.size > 0 or states[r].unlocated_left > 0]
    device_ids = sorted({r.device_id for r in keeping if r.device_id is not None and r.transmission_line_id is None})
    line_states = [states[r] for r in keeping if r.transmission_line_id is not None]
    behind: set[int] = set()
    for s in line_states:
        mask = net.mask(s.dark.ranges, s.dark.points)
        behind.update(int(f) for f in np.unique(net.feeder_of[mask]))
    points = []
    if device_ids:
        points = [
            DeviceOut(device=code, feeder=codes["feeder"].get(feeder, "?"), lat=float(lat), lon=float(lon))
            for code, feeder, lon, lat in session.execute(
                select(Device.code, Device.feeder_id, func.ST_X(Device.geom), func.ST_Y(Device.geom)).where(
                    Device.id.in_(device_ids)
                )
            )
        ]
    return MapExtent(
        feeders_out=feeders,
        devices_out=sorted(codes["device"].get(d, "?") for d in device_ids),
        devices=sorted(points, key=lambda d: d.device),
        lines_out=sorted({codes["line"].get(s.record.transmission_line_id or 0, "?") for s in line_states}),
        feeders_behind_lines=sorted(codes["feeder"].get(f, "?") for f in behind),
    )
