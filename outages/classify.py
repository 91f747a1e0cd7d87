"""Significant interruptions: is an incident significant, since when, and why (domain D4-D8).

Who is out, and when, comes from the power state (:mod:`outages.power_state`, domain D15): every record is
replayed against the network graph (:mod:`gis.network`) and the members' dark intervals are merged per member
across the incident's records (:func:`outages.power_state.member_intervals`), so overlapping and nested
records never count a member twice.  A record on part of a facility that nobody has located is an *unlocated*
count (:attr:`outages.power_state.RecordState.unlocated`), added on top as a count and never spread over
"the first N" service points.  :func:`out_over_time` holds all of it for one incident; the summary report
reads its totals from there too.

Every criterion of the rule is checked with the one-hour minimum (D4), each with its evidence:

* **members out at once** (D5): the peak of members out at the same time (located members counted once, plus
  the unlocated counts, never more than the system's members) reaches 20 % of the system's members, or 20,000
  on a system serving more than 200,000 members (today's service-point count).  ``members_affected`` is the
  total: the distinct located members plus the unlocated counts;
* **entire system, a major division, a community** (D6): the share of that service area's members out at
  once reaches 100 % / 50 % / 50 %.  Located members count in the areas their service points are in; the
  unlocated counts are an estimate there, placed in proportion to the members their facility serves in each
  area (the evidence then says "including about N not yet located"), and an area never counts more members
  than it serves;
* **essential services, community-impact facilities, interruptible members** (D7): a registry entry (or a
  service point flagged interruptible) dark for one hour or more: its service point is in one of the merged
  dark intervals (a located record on part of a feeder counts; an unlocated count does not, since it does not
  say who is out: the call list lists such entries as possibly dark).  An entry linked only to a feeder (no
  service point) is dark while the feeder's whole range is dark;
* **scheduled, members not notified, lasting more than four hours** (D8).

A criterion is met at the moment both its condition holds and the incident has lasted one hour (for the
dark-entry criteria: the entry has been dark one hour; for D8: four hours have passed).  An ongoing
incident is judged against ``now``; the earliest moment any criterion was met is the incident's
``significant_at``.

Records are read as the power state reads them (:func:`outages.power_state.replay`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, object_session

from gis.models import Device, ServiceArea, ServicePoint, ServicePointArea
from gis.network import Network, network
from outages.models import Interruption
from outages.power_state import (
    EMPTY,
    Intervals,
    RecordState,
    epoch_ns,
    facility_key,
    level_series,
    member_intervals,
    replay,
    states_of,
)
from outages.settings import RuleSettings, get_rule_settings
from registry.models import RegistryCategory, RegistryEntry
from registry.service import FacilityEntries

__all__ = [
    "Classification",
    "Criterion",
    "FacilityFacts",
    "OutOverTime",
    "classify",
    "facility_facts",
    "facility_key",
    "out_over_time",
    "record_states",
    "span",
]

GROUP_CRITERIA = {
    "essential": "essential_services",
    "community_impact": "community_impact",
    "interruptible": "interruptible_members",
}
GROUP_WORDS = {
    "essential": "essential service",
    "community_impact": "community impact",
    "interruptible": "interruptible load",
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    members_out_now: int = 0  # while ongoing: members out at ``now``, counted once (located + unlocated)

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


class FacilityFacts:
    """What the classifier needs to know about the facility layer, built once per run: the network graph
    (``net``), members served per area and facility, interruptible service points, registry entries and where
    they are served from."""

    def __init__(self, session: Session):
        self.net: Network = network(session)
        self.system_members = session.scalar(select(func.count()).select_from(ServicePoint)) or 0
        self.areas = {
            i: (code, name, kind)
            for i, code, name, kind in session.execute(
                select(ServiceArea.id, ServiceArea.code, ServiceArea.name, ServiceArea.kind)
            )
        }
        by_area: dict[tuple, dict[int, int]] = {}
        self.area_members: dict[int, int] = {}
        rows = session.execute(
            select(ServicePoint.feeder_id, ServicePoint.device_id, ServicePointArea.service_area_id, func.count())
            .join(ServicePointArea, ServicePointArea.service_point_id == ServicePoint.id)
            .group_by(ServicePoint.feeder_id, ServicePoint.device_id, ServicePointArea.service_area_id)
        )
        for feeder_id, device_id, area_id, n in rows:
            keys = (("feeder", feeder_id),) + ((("own", device_id),) if device_id is not None else ())
            for key in keys:
                slot = by_area.setdefault(key, {})
                slot[area_id] = slot.get(area_id, 0) + n
            self.area_members[area_id] = self.area_members.get(area_id, 0) + n
        served: dict[tuple, int] = {}
        interruptible: dict[tuple, int] = {}
        for feeder_id, device_id, n, k in session.execute(
            select(
                ServicePoint.feeder_id,
                ServicePoint.device_id,
                func.count(),
                func.sum(case((ServicePoint.interruptible, 1), else_=0)),
            ).group_by(ServicePoint.feeder_id, ServicePoint.device_id)
        ):
            for key in (("feeder", feeder_id),) + ((("own", device_id),) if device_id is not None else ()):
                served[key] = served.get(key, 0) + n
                interruptible[key] = interruptible.get(key, 0) + int(k or 0)
        # facility key -> members per area, members served, interruptible service points
        self.by_area: dict[tuple, dict[int, int]] = {}
        self.served: dict[tuple, int] = {}
        self.interruptible: dict[tuple, int] = {}
        for key in list(by_area) + list(served):
            if key[0] == "feeder":
                self._store(key, [key], by_area, served, interruptible)
        net = self.net
        for device_id in session.scalars(select(Device.id)):
            parts = [("own", d) for d in sorted(net.devices_below([device_id]))]
            self._store(("device", device_id), parts, by_area, served, interruptible)
        for line, subs in net.substations_of_line.items():
            feeders = [f for f, s in net.feeder_substation.items() if s in subs]
            self._store(("line", line), [("feeder", f) for f in feeders], by_area, served, interruptible)
        self.entries = FacilityEntries(session)
        self.entry_facts = {
            i: (name, grp, label)
            for i, name, grp, label in session.execute(
                select(RegistryEntry.id, RegistryEntry.name, RegistryCategory.grp, RegistryCategory.label).join(
                    RegistryCategory, RegistryCategory.code == RegistryEntry.category_code
                )
            )
        }
        # where each entry is in the network: its service point's position, or (linked to a feeder only) its feeder
        self.entry_pos: dict[int, int] = {}
        self.feeder_entries: dict[int, list[int]] = {}
        for entry_id, sp in sorted(self.entries.service_point_of.items()):
            if sp is None:
                self.feeder_entries.setdefault(self.entries.feeder_of[entry_id], []).append(entry_id)
                continue
            try:
                self.entry_pos[entry_id] = self.net.position(sp)
            except KeyError:  # not in the network: nothing can say it is dark
                pass
        # each service area's positions, ascending
        self.area_positions: dict[int, np.ndarray] = {}
        if len(net.area_of):
            order = np.lexsort((net.area_pos, net.area_of))
            pos, area = net.area_pos[order], net.area_of[order]
            firsts = np.nonzero(np.append(True, area[1:] != area[:-1]))[0]
            for a, b in zip(firsts, np.append(firsts[1:], len(area))):
                self.area_positions[int(area[a])] = pos[a:b]

    def _store(
        self,
        key: tuple,
        parts: list[tuple],
        by_area: dict[tuple, dict[int, int]],
        served: dict[tuple, int],
        interruptible: dict[tuple, int],
    ) -> None:
        if key in self.served:
            return
        areas: dict[int, int] = {}
        for part in parts:
            for area, n in by_area.get(part, {}).items():
                areas[area] = areas.get(area, 0) + n
        self.by_area[key] = areas
        self.served[key] = sum(served.get(p, 0) for p in parts)
        self.interruptible[key] = sum(interruptible.get(p, 0) for p in parts)


_facts_cache: dict[tuple, FacilityFacts] = {}


def facility_facts(session: Session) -> FacilityFacts:
    """The classifier's facts, rebuilt only when the facility layer or the registry has changed."""
    entries = session.execute(select(func.count(RegistryEntry.id), func.max(RegistryEntry.updated_at))).one()
    key = (
        session.get_bind().engine.url.render_as_string(hide_password=True),
        session.scalar(select(func.count()).select_from(ServicePoint)),
        tuple(entries),
    )
    if key not in _facts_cache:
        _facts_cache.clear()
        _facts_cache[key] = FacilityFacts(session)
    return _facts_cache[key]


# --- the records as the power state reads them ----------------------------------------------------------


def record_states(
    records: Sequence[Interruption], net: Network, *, session: Session | None = None
) -> dict[Interruption, RecordState]:
    """Each record's power state (:func:`outages.power_state.states_of`, two queries for all of them), keyed by
    the record.  The session defaults to the records' own; records in no session (not stored) have no located
    or named service points, so they are replayed without one."""
    session = session or next((s for s in map(object_session, records) if s is not None), None)
    if session is None:
        found = [replay(r, net, EMPTY, {}) for r in records]
    else:
        found = states_of(session, records, net)
    return dict(zip(records, found))


# --- members out over time -------------------------------------------------------------------------------


def _series(times: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Events as a step function: the event times (ascending, unique) and the level after all events at each."""
    if not len(times):
        return EMPTY, np.empty(0)
    order = np.argsort(times, kind="stable")
    t, level = times[order], np.cumsum(deltas[order])
    last = np.append(t[1:] != t[:-1], True)
    return t[last], level[last]


def _at(t: np.ndarray, level: np.ndarray, when: np.ndarray | Sequence[int]) -> np.ndarray:
    """A step function's values at these moments (0 before its first event)."""
    when = np.asarray(when, dtype=np.int64)
    if not len(t):
        return np.zeros(len(when))
    idx = np.searchsorted(t, when, "right") - 1
    return np.where(idx >= 0, level[np.maximum(idx, 0)], 0.0)


def _on_union(*series: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    times = np.unique(np.concatenate([t for t, _ in series])) if series else EMPTY
    return times, [_at(t, level, times) for t, level in series]


def _subset(iv: Intervals, keep: np.ndarray | slice) -> Intervals:
    return Intervals(iv.pos[keep], iv.start[keep], iv.end[keep], iv.record_id[keep])


@dataclass
class OutOverTime:
    """Members out during one incident up to ``horizon`` (D5, D12, D15).  ``intervals``: the located members'
    dark intervals merged per member (each member once); the unlocated counts are events per record
    (``unlocated_events``: times in ns, deltas, index of the record).  ``times`` / ``located`` / ``unlocated``
    / ``total``: step functions (the value after all events at each time, held until the next); ``total`` is
    never above the system's members."""

    records: list[Interruption]
    states: list[RecordState]
    horizon: datetime
    intervals: Intervals
    record_of: dict[int, Interruption]  # record ids in ``intervals`` -> the records
    unlocated_events: tuple[np.ndarray, np.ndarray, np.ndarray]
    times: np.ndarray
    located: np.ndarray
    unlocated: np.ndarray
    total: np.ndarray
    system_members: int
    moments: dict[int, datetime]  # ns -> the stored datetime it came from (exact, microseconds kept)

    def when(self, ns: int) -> datetime:
        """The moment of an event time (ns since the epoch, UTC)."""
        ns = int(ns)
        return self.moments.get(ns) or EPOCH + timedelta(microseconds=ns // 1000)

    def level_at(self, moment: datetime) -> float:
        """Members out just after ``moment`` (after every event at it)."""
        return float(_at(self.times, self.total, [epoch_ns(moment)])[0])

    @property
    def located_members(self) -> int:
        """Distinct located members out at some time."""
        p = self.intervals.pos
        return int(np.count_nonzero(np.append(True, p[1:] != p[:-1]))) if len(p) else 0

    @property
    def unlocated_members(self) -> int:
        """The records' unlocated counts, summed (nobody can tell whether two of them are the same members)."""
        return sum(s.unlocated for s in self.states)

    @property
    def members_affected(self) -> int:
        """Total members affected: distinct located members plus the unlocated counts, never more than the
        system's members."""
        total = self.located_members + self.unlocated_members
        return min(total, max(self.system_members, self.located_members)) if self.system_members else total

    @property
    def member_minutes(self) -> float:
        """D12 per member: each located member's merged dark minutes, plus the unlocated counts' member-minutes
        (members restored × minutes from their record's start to the step; still out: to the horizon)."""
        located = float(self.intervals.minutes.sum()) if len(self.intervals) else 0.0
        t, d, k = self.unlocated_events
        if not len(t):
            return located
        starts = np.array([epoch_ns(r.start_at) for r in self.records], dtype=np.int64)
        restored = -float(np.sum(np.where(d < 0, d * (t - starts[k]), 0.0)))
        left = np.bincount(k, weights=d, minlength=len(self.records))  # still out at the horizon, per record
        tail = float(np.sum(left * np.maximum(epoch_ns(self.horizon) - starts, 0)))
        return located + (restored + tail) / 60e9

    def out_at(self, moment: datetime, net: Network) -> int:
        """Members out at ``moment`` (what the records still kept dark then, plus the unlocated counts left),
        counted once and never above the system's members."""
        ranges, points = [], []
        for record, s in zip(self.records, self.states):
            if record.start_at > moment:
                continue
            for piece in s.pieces:
                if piece.restored_at is None or piece.restored_at > moment:
                    ranges += piece.ranges
                    points.append(piece.points)
        located = int(np.count_nonzero(net.mask(ranges, np.concatenate(points) if points else EMPTY)))
        t, d, _k = self.unlocated_events
        unl = float(d[t <= epoch_ns(moment)].sum()) if len(t) else 0.0
        total = located + max(int(round(unl)), 0)
        return min(total, max(self.system_members, located)) if self.system_members else total


def out_over_time(
    live: Sequence[Interruption],
    facts: FacilityFacts,
    *,
    horizon: datetime,
    states: Mapping[Interruption, RecordState] | None = None,
) -> OutOverTime:
    """Members out during an incident (its live records: not voided, begun by ``horizon``) up to ``horizon``
    (see :class:`OutOverTime`).  ``states``: the records' power states when already read
    (:func:`record_states`); the missing ones are read here."""
    live = list(live)
    states = states or {}
    missing = [r for r in live if r not in states]
    read = record_states(missing, facts.net) if missing else {}
    found = [states[r] if r in states else read[r] for r in live]
    iv = member_intervals(found, horizon=horizon, merge=True)
    record_of = {s.ident: r for r, s in zip(live, found)}
    moments: dict[int, datetime] = {epoch_ns(horizon): horizon}
    ut, ud, uk = [], [], []
    for k, (record, s) in enumerate(zip(live, found)):
        moments.setdefault(epoch_ns(record.start_at), record.start_at)
        if record.restored_at is not None:
            moments.setdefault(epoch_ns(record.restored_at), record.restored_at)
        for step in record.steps:
            moments.setdefault(epoch_ns(step.at), step.at)
        if s.unlocated <= 0:
            continue
        changes = [(record.start_at, s.unlocated)] + [(at, -n) for at, n in s.unlocated_steps if at <= horizon]
        ut += [epoch_ns(at) for at, _n in changes]
        ud += [float(n) for _at, n in changes]
        uk += [k] * len(changes)
    events = (np.array(ut, dtype=np.int64), np.array(ud, dtype=float), np.array(uk, dtype=np.int64))
    times, (located, unlocated) = _on_union(level_series(iv), _series(events[0], events[1]))
    unlocated = np.maximum(unlocated, 0.0)
    total = located + unlocated
    n_sys = facts.system_members
    if n_sys:
        total = np.minimum(total, np.maximum(n_sys, located))
    return OutOverTime(live, found, horizon, iv, record_of, events, times, located, unlocated, total, n_sys, moments)


# --- classification --------------------------------------------------------------------------------------


def classify(
    records: list[Interruption],
    facts: FacilityFacts,
    *,
    now: datetime,
    rules: RuleSettings | None = None,
    cause_labels: dict[str, str] | None = None,
    states: Mapping[Interruption, RecordState] | None = None,
) -> Classification:
    """Classify one incident from its interruption records and their steps (voided ones are left out).
    ``states``: the records' power states when the caller has read them for many incidents at once
    (:func:`record_states`); otherwise they are read through the records' session."""
    rules = rules or get_rule_settings()
    live = [r for r in records if r.status != "voided" and r.start_at <= now]
    if not live:
        return Classification(False, None, False, None, None, 0, None, 0)
    start = min(r.start_at for r in live)
    ongoing = any(r.restored_at is None or r.restored_at > now for r in live)
    # not ongoing: every live record is restored
    end = None if ongoing else max(r.restored_at for r in live if r.restored_at is not None)
    horizon = end or now
    hour = timedelta(minutes=rules.significant_minutes)
    hour_ns = round(rules.significant_minutes * 60e9)
    first_hour = start + hour
    out = out_over_time(live, facts, horizon=horizon, states=states)
    t, level = out.times, out.total
    peak_index = int(np.argmax(level)) if len(level) else None
    peak = int(round(level[peak_index])) if peak_index is not None else 0
    found: list[Criterion] = []

    def count_criterion(code: str, threshold: float, evidence, times=t, series=level, ceiling=None) -> None:
        if (peak if ceiling is None else ceiling) < threshold - 1e-9:
            return  # cannot be reached
        hits = np.nonzero(series >= threshold - 1e-9)[0]
        if not len(hits):
            return
        met_at = max(out.when(times[hits[0]]), first_hour)
        if met_at <= horizon:
            found.append(Criterion(code, met_at, evidence(int(hits[0]))))

    n_sys = facts.system_members
    if n_sys:
        count_criterion(
            "entire_system",
            rules.system_share * n_sys,
            lambda i: f"{level[i]:,.0f} of {n_sys:,} members out at once (the entire system)",
        )
        count_criterion(
            "members_20_percent",
            rules.members_share * n_sys,
            lambda i: f"peak {peak:,} members out ≥ {rules.members_share:.0%} of the system's {n_sys:,} members",
        )
        if n_sys > rules.large_system_members:
            count_criterion(
                "members_20000",
                rules.large_system_threshold,
                lambda i: (
                    f"peak {peak:,} members out ≥ {rules.large_system_threshold:,} (system serves "
                    f"{n_sys:,} > {rules.large_system_members:,})"
                ),
            )
    _area_criteria(out, facts, rules, live, count_criterion)
    for record in live:
        until = record.restored_at if record.restored_at is not None and record.restored_at <= now else now
        if record.scheduled and record.members_notified is False:
            minutes = (until - record.start_at).total_seconds() / 60
            if minutes > rules.scheduled_unnotified_minutes:
                found.append(
                    Criterion(
                        "scheduled_not_notified",
                        record.start_at + timedelta(minutes=rules.scheduled_unnotified_minutes),
                        f"scheduled, {span(minutes)}, {record.members_out:,} members not notified "
                        f"in advance, on {_where(record)}",
                    )
                )
    found += _dark_criteria(out, facts, hour, hour_ns)
    found.sort(key=lambda c: (c.met_at, c.code))
    return Classification(
        significant=bool(found),
        significant_at=found[0].met_at if found else None,
        ongoing=ongoing,
        started_at=start,
        restored_at=end,
        peak_members_out=peak,
        peak_at=out.when(t[peak_index]) if peak_index is not None else None,
        members_affected=out.members_affected,
        criteria=found,
        members_out_now=out.out_at(now, facts.net) if ongoing else 0,
    )


def _area_criteria(
    out: OutOverTime, facts: FacilityFacts, rules: RuleSettings, live: list[Interruption], count_criterion
) -> None:
    """D6: each division and community the incident's facilities reach, by its members out at once (located
    there, plus the unlocated counts placed in proportion to where their facility's members are)."""
    keys = [facility_key(r) for r in live]
    touched = set().union(*(facts.by_area.get(k, {}).keys() for k in keys))
    iv = out.intervals
    ut, ud, uk = out.unlocated_events
    for area_id in sorted(touched):
        code, name, kind = facts.areas[area_id]
        share = {"division": rules.division_share, "community": rules.community_share}.get(kind)
        members = facts.area_members.get(area_id, 0)
        if share is None or not members:
            continue
        where = facts.area_positions.get(area_id, EMPTY)
        if len(iv) and len(where):
            idx = np.minimum(np.searchsorted(where, iv.pos), len(where) - 1)
            here = _subset(iv, where[idx] == iv.pos)
        else:
            here = _subset(iv, slice(0, 0))
        weights = np.array([facts.by_area.get(k, {}).get(area_id, 0) / max(facts.served.get(k, 0), 1) for k in keys])
        w = weights[uk] if len(uk) else np.empty(0)
        distinct = int(np.count_nonzero(np.append(True, here.pos[1:] != here.pos[:-1]))) if len(here) else 0
        ceiling = min(distinct + float(np.sum(np.where(ud > 0, ud * w, 0.0))), members)
        if ceiling < share * members - 1e-9:
            continue
        times, (located, guess) = _on_union(level_series(here), _series(ut, ud * w))
        guess = np.minimum(np.maximum(guess, 0.0), np.maximum(members - located, 0.0))
        total = located + guess
        label = "major division" if kind == "division" else "community"

        def evidence(i, name=name, members=members, label=label, total=total, guess=guess, share=share):
            v, n = total[i], int(round(guess[i]))
            text = f"{name} ({label}): {v:,.0f} of {members:,} members out at once ({v / members:.1%} ≥ {share:.0%})"
            if n:
                text += (
                    f", including about {n:,} not yet located (an estimate: placed in proportion to where "
                    "their facility's members are)"
                )
            return text

        count_criterion(f"{kind}:{code}", share * members, evidence, times, total, ceiling)


def _dark_criteria(out: OutOverTime, facts: FacilityFacts, hour: timedelta, hour_ns: int) -> list[Criterion]:
    """D7: registry entries and interruptible service points dark for one hour or more, from the merged dark
    intervals (located members only)."""
    iv = out.intervals
    found: list[Criterion] = []
    if not len(iv):
        return found
    dark: dict[int, tuple[int, int, int]] = {}  # entry id -> (since, until, record id), ns
    if facts.entry_pos:
        ids = np.fromiter(facts.entry_pos.keys(), dtype=np.int64)
        pos = np.fromiter(facts.entry_pos.values(), dtype=np.int64)
        first, last = np.searchsorted(iv.pos, pos, "left"), np.searchsorted(iv.pos, pos, "right")
        for entry_id, a, b in zip(ids.tolist(), first.tolist(), last.tolist()):
            for k in range(a, b):  # this member's intervals, earliest first
                if iv.end[k] - iv.start[k] >= hour_ns:
                    dark[entry_id] = (int(iv.start[k]), int(iv.end[k]), int(iv.record_id[k]))
                    break
    for feeder_id, entry_ids in facts.feeder_entries.items():
        period = _whole_range_dark(iv, facts.net.feeder_range.get(feeder_id, (0, 0)), hour_ns)
        if period is not None:
            for entry_id in entry_ids:
                dark[entry_id] = period
    for entry_id, (since, until, record_id) in sorted(dark.items()):
        name, grp, label = facts.entry_facts[entry_id]
        if grp not in GROUP_CRITERIA:
            continue
        found.append(
            Criterion(
                GROUP_CRITERIA[grp],
                out.when(since) + hour,
                f"{name} ({GROUP_WORDS[grp]}: {label.lower()}) dark "
                f"{span((until - since) / 60e9)} on {_where(out.record_of[record_id])}",
            )
        )
    flagged = facts.net.interruptible[iv.pos] & (iv.end - iv.start >= hour_ns)
    for record_id in np.unique(iv.record_id[flagged]).tolist():
        mine = flagged & (iv.record_id == record_id)
        n = len(np.unique(iv.pos[mine]))
        longest = int(np.max(iv.end[mine] - iv.start[mine]))
        found.append(
            Criterion(
                "interruptible_members",
                out.when(int(np.min(iv.start[mine]))) + hour,
                f"{n} interruptible service point(s) dark {span(longest / 60e9)} on {_where(out.record_of[record_id])}",
            )
        )
    return found


def _whole_range_dark(iv: Intervals, bounds: tuple[int, int], hour_ns: int) -> tuple[int, int, int] | None:
    """The first period of one hour or more in which every position of ``bounds`` is dark, with the record
    that kept most of them dark at its start: (since, until, record id) in ns, or None."""
    lo, hi = bounds
    a, b = int(np.searchsorted(iv.pos, lo, "left")), int(np.searchsorted(iv.pos, hi, "left"))
    if hi <= lo or b - a < hi - lo:
        return None
    here = _subset(iv, slice(a, b))
    times, level = level_series(here)
    full = level >= (hi - lo) - 0.5
    k = 0
    while k < len(times):
        if not full[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(times) and full[j + 1]:
            j += 1
        since, until = int(times[k]), int(times[j + 1]) if j + 1 < len(times) else int(times[j])
        if until - since >= hour_ns:
            covering = here.record_id[(here.start <= since) & (here.end > since)]
            ids, counts = np.unique(covering, return_counts=True)
            return since, until, int(ids[np.argmax(counts)])
        k = j + 1
    return None


def _where(record: Interruption) -> str:
    if record.transmission_line is not None:
        return f"transmission line {record.transmission_line.code}"
    assert record.feeder is not None  # one_facility: a record not on a transmission line is on a feeder
    if record.device is not None:
        return f"feeder {record.feeder.code} (device {record.device.code})"
    return f"feeder {record.feeder.code}"
