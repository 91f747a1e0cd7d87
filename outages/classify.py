"""Significant interruptions: is an incident significant, since when, and why (domain D4-D8).

Every criterion of the rule is checked with the one-hour minimum (D4), each with its evidence:

* **members out at once** (D5): the peak of members out at the same time reaches 20 % of the system's
  members, or 20,000 on a system serving more than 200,000 members (today's service-point count);
* **entire system, a major division, a community** (D6): the share of that service area's members out at
  once reaches 100 % / 50 % / 50 %.  When a record's members out are fewer than its facility serves, they
  are spread over the facility's areas in proportion to the members it serves in each;
* **essential services, community-impact facilities, interruptible members** (D7): a registry entry (or a
  service point flagged interruptible) on an interrupted facility for one hour or more, from the record's
  start to its full restoration.  A device or a transmission line that opens interrupts everyone below it,
  and so does a whole feeder; a record on *part* of a feeder (fewer members out than the feeder serves, no
  device named) does not say which members are out, so it does not count here — dispatchers name the
  device to be precise.  (The call list stays cautious and lists such entries as possibly dark.);
* **scheduled, members not notified, lasting more than four hours** (D8).

A criterion is met at the moment both its condition holds and the incident has lasted one hour (for the
dark-entry criteria: the entry has been dark one hour; for D8: four hours have passed).  An ongoing
incident is judged against ``now``; the earliest moment any criterion was met is the incident's
``significant_at``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gis.models import Device, ServiceArea, ServicePoint, ServicePointArea
from gis.service import Topology, _subtree
from outages.models import Interruption
from outages.settings import RuleSettings, get_rule_settings
from registry.models import RegistryCategory, RegistryEntry
from registry.service import FacilityEntries

GROUP_CRITERIA = {"essential": "essential_services", "community_impact": "community_impact",
                  "interruptible": "interruptible_members"}
GROUP_WORDS = {"essential": "essential service", "community_impact": "community impact",
               "interruptible": "interruptible load"}


@dataclass
class Criterion:
    code: str
    met_at: datetime
    evidence: str


@dataclass
class Classification:
    significant: bool
    significant_at: datetime | None
    ongoing: bool
    started_at: datetime | None
    restored_at: datetime | None
    peak_members_out: int
    peak_at: datetime | None
    members_affected: int
    criteria: list[Criterion] = field(default_factory=list)

    def as_json(self) -> dict:
        def iso(v):
            return v.isoformat() if isinstance(v, datetime) else v
        out = {k: iso(v) for k, v in asdict(self).items() if k != "criteria"}
        out["criteria"] = [{k: iso(v) for k, v in asdict(c).items()} for c in self.criteria]
        return out


def span(minutes: float) -> str:
    """A duration in plain words: '1 h 12 min', '45 min'."""
    hours, mins = divmod(int(round(minutes)), 60)
    return f"{hours} h {mins:02d} min" if hours else f"{mins} min"


def facility_key(record: Interruption) -> tuple[str, int]:
    if record.transmission_line_id is not None:
        return ("line", record.transmission_line_id)
    if record.device_id is not None:
        return ("device", record.device_id)
    return ("feeder", record.feeder_id)


class FacilityFacts:
    """What the classifier needs to know about the facility layer, built once per run: members served
    per area and facility, interruptible service points, registry entries on facilities."""

    def __init__(self, session: Session):
        self.system_members = session.scalar(select(func.count()).select_from(ServicePoint)) or 0
        self.areas = {i: (code, name, kind) for i, code, name, kind in session.execute(
            select(ServiceArea.id, ServiceArea.code, ServiceArea.name, ServiceArea.kind))}
        by_area: dict[tuple, dict[int, int]] = {}
        self.area_members: dict[int, int] = {}
        rows = session.execute(
            select(ServicePoint.feeder_id, ServicePoint.device_id, ServicePointArea.service_area_id, func.count())
            .join(ServicePointArea, ServicePointArea.service_point_id == ServicePoint.id)
            .group_by(ServicePoint.feeder_id, ServicePoint.device_id, ServicePointArea.service_area_id))
        for feeder_id, device_id, area_id, n in rows:
            keys = (("feeder", feeder_id),) + ((("own", device_id),) if device_id is not None else ())
            for key in keys:
                slot = by_area.setdefault(key, {})
                slot[area_id] = slot.get(area_id, 0) + n
            self.area_members[area_id] = self.area_members.get(area_id, 0) + n
        served: dict[tuple, int] = {}
        interruptible: dict[tuple, int] = {}
        for feeder_id, device_id, n, k in session.execute(
                select(ServicePoint.feeder_id, ServicePoint.device_id, func.count(),
                       func.sum(case((ServicePoint.interruptible, 1), else_=0)))
                .group_by(ServicePoint.feeder_id, ServicePoint.device_id)):
            for key in (("feeder", feeder_id),) + ((("own", device_id),) if device_id is not None else ()):
                served[key] = served.get(key, 0) + n
                interruptible[key] = interruptible.get(key, 0) + int(k or 0)
        self.topology = Topology(session)
        self.by_area, self.served, self.interruptible = {}, {}, {}
        for key in list(by_area) + list(served):
            if key[0] == "feeder":
                self._store(key, [key], by_area, served, interruptible)
        for device_id in session.scalars(select(Device.id)):
            parts = [("own", d) for d in _subtree(self.topology.children, device_id)]
            self._store(("device", device_id), parts, by_area, served, interruptible)
        for line, subs in self.topology.fed_by_line.items():
            feeders = self.topology.feeders_fed_by(substation_ids=subs)
            self._store(("line", line), [("feeder", f) for f in feeders], by_area, served, interruptible)
        self.entries = FacilityEntries(session)
        self.entry_facts = {i: (name, grp, label) for i, name, grp, label in session.execute(
            select(RegistryEntry.id, RegistryEntry.name, RegistryCategory.grp, RegistryCategory.label)
            .join(RegistryCategory, RegistryCategory.code == RegistryEntry.category_code))}

    def _store(self, key, parts, by_area, served, interruptible):
        if key in self.served:
            return
        areas: dict[int, int] = {}
        for part in parts:
            for area, n in by_area.get(part, {}).items():
                areas[area] = areas.get(area, 0) + n
        self.by_area[key] = areas
        self.served[key] = sum(served.get(p, 0) for p in parts)
        self.interruptible[key] = sum(interruptible.get(p, 0) for p in parts)


def _out_series(records: list[Interruption], weights: list[float], now: datetime):
    """Event times and members out after each (weighted per record), as NumPy arrays."""
    times, deltas = [], []
    for record, w in zip(records, weights):
        if w == 0 or record.start_at > now:
            continue
        times.append(record.start_at)
        deltas.append(record.members_out * w)
        for step in record.steps:
            if step.at <= now:
                times.append(step.at)
                deltas.append(-step.members_restored * w)
    if not times:
        return np.array([], dtype=object), np.array([])
    order = np.argsort(np.array([x.timestamp() for x in times]), kind="stable")
    t = np.array(times, dtype=object)[order]
    level = np.cumsum(np.array(deltas)[order])
    return t, level


def _first_reaching(t, level, threshold: float):
    """The first event time at which the level reaches the threshold (after all events at that time)."""
    if not len(t):
        return None, 0.0
    # events at the same instant: judge the level after the last of them
    last_at_time = np.append(t[1:] != t[:-1], True)
    hits = np.nonzero((level >= threshold - 1e-9) & last_at_time)[0]
    return (t[hits[0]], float(level[hits[0]])) if len(hits) else (None, float(level.max()))


def classify(records: list[Interruption], facts: FacilityFacts, *, now: datetime,
             rules: RuleSettings | None = None, cause_labels: dict[str, str] | None = None) -> Classification:
    """Classify one incident from its (non-voided) interruption records and their steps."""
    rules = rules or get_rule_settings()
    live = [r for r in records if r.status != "voided" and r.start_at <= now]
    if not live:
        return Classification(False, None, False, None, None, 0, None, 0)
    start = min(r.start_at for r in live)
    ongoing = any(r.restored_at is None or r.restored_at > now for r in live)
    end = None if ongoing else max(r.restored_at for r in live)
    horizon = end or now
    hour = timedelta(minutes=rules.significant_minutes)
    first_hour = start + hour
    t, level = _out_series(live, [1.0] * len(live), now)
    peak_index = int(np.argmax(level)) if len(level) else None
    peak = int(round(level[peak_index])) if peak_index is not None else 0
    found: list[Criterion] = []

    def count_criterion(code: str, threshold: float, evidence, series=(t, level), ceiling=None) -> None:
        if (peak if ceiling is None else ceiling) < threshold - 1e-9:
            return  # cannot be reached: skip the time series
        reached_at, value = _first_reaching(*series, threshold)
        if reached_at is None:
            return
        met_at = max(reached_at, first_hour)
        if met_at <= horizon:
            found.append(Criterion(code, met_at, evidence(value)))

    n_sys = facts.system_members
    if n_sys:
        count_criterion("entire_system", rules.system_share * n_sys,
                        lambda v: f"{v:,.0f} of {n_sys:,} members out at once (the entire system)")
        count_criterion("members_20_percent", rules.members_share * n_sys,
                        lambda v: f"peak {peak:,} members out ≥ {rules.members_share:.0%} of the system's "
                                  f"{n_sys:,} members")
        if n_sys > rules.large_system_members:
            count_criterion("members_20000", rules.large_system_threshold,
                            lambda v: f"peak {peak:,} members out ≥ {rules.large_system_threshold:,} (system serves "
                                      f"{n_sys:,} > {rules.large_system_members:,})")
    keys = [facility_key(r) for r in live]
    touched = set().union(*(facts.by_area.get(k, {}).keys() for k in keys))
    for area_id in sorted(touched):
        code, name, kind = facts.areas[area_id]
        share = {"division": rules.division_share, "community": rules.community_share}.get(kind)
        members = facts.area_members.get(area_id, 0)
        if share is None or not members:
            continue
        weights = [facts.by_area.get(k, {}).get(area_id, 0) / max(facts.served.get(k, 0), 1) for k in keys]
        ceiling = sum(r.members_out * w for r, w in zip(live, weights))
        if ceiling < share * members - 1e-9:
            continue
        series = _out_series(live, weights, now)
        label = "major division" if kind == "division" else "community"
        count_criterion(f"{kind}:{code}", share * members,
                        lambda v, name=name, members=members, label=label: (
                            f"{name} ({label}): {v:,.0f} of {members:,} members out at once "
                            f"({v / members:.1%} ≥ {share:.0%})"), series, ceiling)
    dark: dict[int, tuple[datetime, datetime, Interruption]] = {}
    for record, key in zip(live, keys):
        until = record.restored_at if record.restored_at is not None and record.restored_at <= now else now
        if record.scheduled and record.members_notified is False:
            minutes = (until - record.start_at).total_seconds() / 60
            if minutes > rules.scheduled_unnotified_minutes:
                found.append(Criterion("scheduled_not_notified",
                                       record.start_at + timedelta(minutes=rules.scheduled_unnotified_minutes),
                                       f"scheduled, {span(minutes)}, {record.members_out:,} members not notified "
                                       f"in advance, on {_where(record)}"))
        kind, ident = key
        if kind == "feeder" and record.members_out < facts.served.get(key, 0):
            continue  # part of a feeder, place unknown: which entries are dark cannot be told (see module doc)
        on = facts.entries.on(**{"line": {"transmission_line_ids": (ident,)}, "device": {"device_ids": (ident,)},
                                 "feeder": {"feeder_ids": (ident,)}}[kind])
        for entry_id in on:
            if entry_id not in dark or until - record.start_at > dark[entry_id][1] - dark[entry_id][0]:
                dark[entry_id] = (record.start_at, until, record)
        if facts.interruptible.get(key) and until - record.start_at >= hour:
            found.append(Criterion("interruptible_members", record.start_at + hour,
                                   f"{facts.interruptible[key]} interruptible service point(s) dark "
                                   f"{span((until - record.start_at).total_seconds() / 60)} on {_where(record)}"))
    for entry_id, (since, until, record) in sorted(dark.items()):
        name, grp, label = facts.entry_facts[entry_id]
        if grp not in GROUP_CRITERIA or until - since < hour:
            continue
        found.append(Criterion(GROUP_CRITERIA[grp], since + hour,
                               f"{name} ({GROUP_WORDS[grp]}: {label.lower()}) dark "
                               f"{span((until - since).total_seconds() / 60)} on {_where(record)}"))
    found.sort(key=lambda c: (c.met_at, c.code))
    return Classification(
        significant=bool(found), significant_at=found[0].met_at if found else None, ongoing=ongoing,
        started_at=start, restored_at=end, peak_members_out=peak,
        peak_at=t[peak_index] if peak_index is not None else None,
        members_affected=sum(r.members_out for r in live), criteria=found)


def _where(record: Interruption) -> str:
    if record.transmission_line is not None:
        return f"transmission line {record.transmission_line.code}"
    if record.device is not None:
        return f"feeder {record.feeder.code} (device {record.device.code})"
    return f"feeder {record.feeder.code}"
