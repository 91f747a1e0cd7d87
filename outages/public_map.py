"""The public outage map's figures: members out, served and percent per area, with status, cause, ETR and
when each was last updated, for the system and for each county and community (domain §5, D14).

Privacy (D14): only aggregates leave this module.  An area serving fewer than ``min_members`` members is
left out (its members still count in the system totals); no service point, registry entry, feeder or
facility identifier, location or geometry is part of the figures.

Status words (D17) say only what the data knows.  Each open record has a public stage from its crew
assignments (:func:`outages.crews.service.open_stage_by_record`): ``reported`` (known, nobody assigned),
``crew_assigned`` (a crew dispatched or en route) or ``crew_on_site``; an area shows the *least advanced*
stage among its open records, so a member of a record nobody is assigned to is never told a crew is there
because another record in the same area has one.  ``restored`` when nothing is open there any more.  The
ETR is told apart from the status: "being assessed" unless every open record there has one.

Members out come from the power state (:class:`outages.power_state.OutNow`, domain D15): the union of the
open records' dark sets, so two records on one feeder (or a fuse record under a feeder record) count its
members once, and no area or total is ever above what it serves.  Located members count in the areas their
service points are in.  Members out that nobody has located yet (a record on part of a facility with only a
count) are placed as an estimate: each facility's unlocated members are spread over its areas in proportion to
the members it serves in each, capped at what the area serves minus what is located out there; they are
reported apart as ``members_out_unlocated`` (per area and in the totals) so the page says "of which about N
not yet located".

Partial restoration: ``members_restored`` (per area with open records, and in the totals) counts located members
whom a record still open had left dark and who are back on (its restoration steps so far) and dark under no open
record; ``partial`` is true for an area with open records and someone back on.  Unlocated counts restored by a
step are not placed in areas (nobody knows where they are).

The figures are computed from the log and kept by :class:`PublicMapCache`, which looks at the log's
version (number of records and their latest change, and the same of the crew assignments) at most every
``check_seconds`` and recomputes only when it moved (or every ``max_age_seconds``, for restored areas that age out), so a storm's readers do
not reach the interruption tables.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from time import monotonic
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gis.db import utcnow
from gis.models import ServiceArea, ServicePoint, ServicePointArea
from gis.network import Network, network
from gis.service import read_layer
from outages.classify import FacilityFacts
from outages.crews.models import CrewAssignment
from outages.crews.service import open_stage_by_record
from outages.models import Cause, Interruption
from outages.power_state import OutNow, facility_key, states_of
from outages.settings import get_rule_settings

STATUSES = ("reported", "crew_assigned", "crew_on_site", "restored")
# an open record's public stage from the most advanced stage of its crew assignments not done (none: reported)
CREW_STAGE = {"dispatched": "crew_assigned", "en_route": "crew_assigned", "on_site": "crew_on_site"}
OPEN_STAGES = STATUSES[:-1]  # in order: an area (or a member's meter) shows the least advanced of its records'


def public_stage(stage: str | None) -> str:
    """A record's public stage from the most advanced stage of its crew assignments not done (``None``: nobody
    is assigned): reported, crew_assigned or crew_on_site."""
    return CREW_STAGE.get(stage or "", "reported")


def least_advanced(stages) -> str:
    """The least advanced of some records' public stages (``reported`` when there are none)."""
    return min(stages, key=OPEN_STAGES.index, default="reported")


class PublicMapSettings(BaseSettings):
    """Settings of the public map (environment prefix ``OUTAGES_PUBLIC_MAP_``)."""

    model_config = SettingsConfigDict(env_prefix="OUTAGES_PUBLIC_MAP_", extra="ignore")

    min_members: int = 10  # D14: areas serving fewer members are not shown on their own
    refresh_seconds: int = 120  # how often the page fetches fresh figures (the issue: at most 300)
    check_seconds: float = 3.0  # how often the cache looks at the log's version
    max_age_seconds: float = 60.0  # recompute at least this often even when the log is still
    restored_hours: float = 12.0  # an area restored within this many hours is shown as "restored"
    area_kinds: tuple[str, ...] = ("county", "community")
    # the snapshot (issue 15): the public map's files, written here whenever the figures change, for a web server
    # (the shipped nginx config) to serve without the app; empty: not written
    snapshot_dir: str = ""
    stale_seconds: float = 300.0  # a snapshot older than this is stale: the page says so, executives are warned
    # where the public reaches the map's figures through the web server (e.g. http://127.0.0.1:8080/map/data.json);
    # when set, the service checks it answers and warns executives when it does not
    public_url: str = ""


@lru_cache
def get_public_map_settings() -> PublicMapSettings:
    return PublicMapSettings()


def log_version(session: Session) -> tuple:
    """A cheap fingerprint of the interruption log and the crews' work on it: it changes whenever a record is
    created or changed (steps, ETRs, closing and voiding all bump the record's ``updated_at``) and whenever a
    crew is assigned or moves on (each stage bumps the assignment's ``updated_at``)."""
    count, latest = session.execute(select(func.count(Interruption.id), func.max(Interruption.updated_at))).one()
    crews, moved = session.execute(select(func.count(CrewAssignment.id), func.max(CrewAssignment.updated_at))).one()
    return (count, latest.isoformat() if latest else None, crews, moved.isoformat() if moved else None)


def facility_version(session: Session) -> tuple:
    """A fingerprint of the facility layer (the facts are rebuilt when it changes)."""
    return (
        session.scalar(select(func.count()).select_from(ServicePoint)),
        session.scalar(select(func.count()).select_from(ServiceArea)),
    )


def public_areas(*, session: Session, settings: PublicMapSettings | None = None):
    """The areas the public map shows, as a GeoDataFrame (code, name, kind, members_served, geometry):
    service areas of the configured kinds serving at least ``min_members`` members."""
    settings = settings or get_public_map_settings()
    frame = read_layer(
        session,
        ServiceArea,
        {"code": ServiceArea.code, "name": ServiceArea.name, "kind": ServiceArea.kind, "id": ServiceArea.id},
    )
    facts_members = _area_members(session)
    frame["members_served"] = frame["id"].map(facts_members).fillna(0).astype(int)
    frame = frame[frame.kind.isin(settings.area_kinds) & (frame.members_served >= settings.min_members)]
    return frame.drop(columns="id").reset_index(drop=True)


def _area_members(session: Session) -> dict[int, int]:
    return dict(
        session.execute(
            select(ServicePointArea.service_area_id, func.count()).group_by(ServicePointArea.service_area_id)
        ).all()
    )


def _iso(value: datetime | None) -> str | None:
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z") if value else None


@dataclass
class _Area:
    open_records: int = 0
    without_etr: int = 0
    stage: str | None = None  # the least advanced public stage of its open records
    latest_etr: datetime | None = None
    started_at: datetime | None = None
    restored_at: datetime | None = None
    updated_at: datetime | None = None
    causes: dict | None = None


def area_members_out(out: OutNow, facts: FacilityFacts) -> tuple[dict[int, int], dict[int, float]]:
    """Members out per service area id: (located, estimated unlocated).  Each facility's unlocated members
    (:attr:`OutNow.unlocated_by_facility`) are spread over its areas in proportion to the members it serves in
    each; an area's estimate is capped at what it serves minus what is located out there."""
    located = out.area_located()
    unlocated: dict[int, float] = {}
    for key, n in out.unlocated_by_facility.items():
        served = facts.served.get(key, 0)
        if not served:
            continue
        for area_id, k in facts.by_area.get(key, {}).items():
            if k:
                unlocated[area_id] = unlocated.get(area_id, 0.0) + n * k / served
    for area_id, n in unlocated.items():
        unlocated[area_id] = min(n, max(facts.area_members.get(area_id, 0) - located.get(area_id, 0), 0))
    return located, unlocated


def compute_figures(
    *,
    session: Session,
    facts: FacilityFacts,
    now: datetime | None = None,
    settings: PublicMapSettings | None = None,
    net: Network | None = None,
) -> dict:
    """The public figures now: system totals and one entry per shown area (see the module docstring).

    Members out (``members_out``, of which ``members_out_unlocated`` not yet located) are the power state's
    (:class:`outages.power_state.OutNow`): never a sum of the records' counts.

    Area status (D17), from the crews on record, never from the ETR: each open record's public stage is
    ``reported`` while no crew assignment of it is under way, ``crew_assigned`` while the most advanced one is
    dispatched or en route, ``crew_on_site`` once one is on site (:func:`public_stage`); the area shows the
    **least advanced** stage among its open records (:func:`least_advanced`): an area with one record whose
    crew is on site and another nobody is assigned to is ``reported``, so the members of the second are never
    told a crew is there.  ``restored`` when nothing is open there but a record was restored within
    ``restored_hours``.

    The area's ETR is independent of its status: the latest of its open records' ETRs (when the last member
    should be back) when every one of them has one, else none (the page says "being assessed").  The cause is
    the one with the most members out there, when known (each open record weighted by what it still keeps
    out, spread over its facility's areas).  ``last_updated`` is the latest change of its records or of their
    crew assignments.

    A stored time outside the plausible window (:meth:`outages.settings.RuleSettings.plausible`: before
    ``OUTAGES_EARLIEST_DATE`` or beyond the ETR horizon; only a row written to the database directly can hold
    one) is taken as unknown: an open record's members still count as out, but its start is not an "out
    since" and its ETR is no estimate; a closed record with such a restoration is not shown as restored."""
    settings = settings or get_public_map_settings()
    now = now or utcnow()
    net = net or network(session)
    rules = get_rule_settings()
    since = now - timedelta(hours=settings.restored_hours)
    records = session.scalars(
        select(Interruption)
        .options(selectinload(Interruption.steps))
        .where(
            Interruption.status != "voided",
            Interruption.start_at <= now,
            (Interruption.status == "open") | (Interruption.restored_at >= since),
        )
        .order_by(Interruption.start_at, Interruption.id)
    ).all()
    open_ids = [r.id for r in records if r.status == "open"]
    open_states = states_of(session, [r for r in records if r.status == "open"], net)
    out = OutNow(net, open_states)
    stages = open_stage_by_record(session=session, interruption_ids=open_ids) if open_ids else {}
    moved = _assignments_moved(session, open_ids)
    keeps = {s.record.id: s.dark.size + s.unlocated_left for s in open_states}
    shown = {
        area_id: (code, name, kind)
        for area_id, (code, name, kind) in facts.areas.items()
        if kind in settings.area_kinds and facts.area_members.get(area_id, 0) >= settings.min_members
    }
    acc: dict[int, _Area] = {}
    for record in records:
        key = facility_key(record)
        served = facts.served.get(key, 0)
        for area_id, n in facts.by_area.get(key, {}).items():
            if area_id not in shown or not n:
                continue
            a = acc.setdefault(area_id, _Area(causes={}))
            a.updated_at = max(filter(None, (a.updated_at, record.updated_at, moved.get(record.id))))
            if record.status == "open":
                a.open_records += 1
                a.stage = least_advanced(filter(None, (a.stage, public_stage(stages.get(record.id)))))
                if rules.plausible(record.start_at, now):
                    a.started_at = min(filter(None, (a.started_at, record.start_at)))
                if not rules.plausible(record.etr_at, now):  # none, or not believable: no estimate
                    a.without_etr += 1
                else:
                    a.latest_etr = max(filter(None, (a.latest_etr, record.etr_at)))
                share = keeps.get(record.id, 0) * n / served if served else 0.0
                a.causes[record.cause_code] = a.causes.get(record.cause_code, 0.0) + share
            elif rules.plausible(record.restored_at, now):
                a.restored_at = max(filter(None, (a.restored_at, record.restored_at)))
    located, unlocated = area_members_out(out, facts)
    restored_total, restored = out.restored_so_far()
    labels = dict(session.execute(select(Cause.code, Cause.label)).all())
    areas = []
    for area_id, (code, name, kind) in shown.items():
        served = facts.area_members.get(area_id, 0)
        a = acc.get(area_id)
        guess = round(unlocated.get(area_id, 0.0))
        n_out = min(located.get(area_id, 0) + guess, served)
        entry = {
            "code": code,
            "name": name,
            "kind": kind,
            "members_served": served,
            "members_out": n_out,
            "members_out_unlocated": min(guess, n_out),
            "percent_out": round(100.0 * n_out / served, 1) if served else 0.0,
            "members_restored": 0,
            "partial": False,
            "status": None,
            "cause": None,
            "cause_label": None,
            "etr": None,
            "out_since": None,
            "restored_at": None,
            "last_updated": None,
        }
        if a and a.open_records:
            entry["status"] = a.stage or "reported"
            entry["etr"] = _iso(a.latest_etr) if a.without_etr == 0 else None
            entry["out_since"] = _iso(a.started_at)
            known = {c: v for c, v in a.causes.items() if c != "unknown"}
            if known:
                cause = max(sorted(known), key=lambda c: known[c])
                entry["cause"], entry["cause_label"] = cause, labels.get(cause, cause)
            entry["last_updated"] = _iso(a.updated_at)
            entry["members_restored"] = restored.get(area_id, 0)
            entry["partial"] = entry["members_restored"] > 0
        elif a and a.restored_at:
            entry["status"] = "restored"
            entry["restored_at"] = _iso(a.restored_at)
            entry["last_updated"] = _iso(a.updated_at)
        areas.append(entry)
    order = {kind: i for i, kind in enumerate(settings.area_kinds)}
    areas.sort(key=lambda e: (-e["members_out"], order.get(e["kind"], 99), e["name"]))
    system = facts.system_members
    system_out = min(out.members_out, system) if system else out.members_out
    return {
        "as_of": _iso(now),
        "timezone": get_rule_settings().timezone,
        "refresh_seconds": settings.refresh_seconds,
        "min_members": settings.min_members,
        "totals": {
            "members_served": system,
            "members_out": system_out,
            "members_out_unlocated": min(out.unlocated, system_out),
            "percent_out": round(100.0 * system_out / system, 2) if system else 0.0,
            "members_restored": restored_total,
            "active_outages": len(open_states),
            "areas_affected": sum(1 for e in areas if e["members_out"] > 0),
        },
        "areas": areas,
        "hidden_areas": sum(
            1 for area_id, (_c, _n, kind) in facts.areas.items() if kind in settings.area_kinds and area_id not in shown
        ),
    }


def _assignments_moved(session: Session, record_ids: list[int]) -> dict[int, datetime]:
    """The latest change of each record's crew assignments (done ones too: a crew leaving changes the status)."""
    if not record_ids:
        return {}
    return dict(
        session.execute(
            select(CrewAssignment.interruption_id, func.max(CrewAssignment.updated_at))
            .where(CrewAssignment.interruption_id.in_(record_ids))
            .group_by(CrewAssignment.interruption_id)
        ).all()
    )


@dataclass(frozen=True)
class Payload:
    """Something ready to send: its bytes (JSON of ``data``, or other bytes), their gzip and an ETag."""

    data: Any
    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def of(cls, data: Any) -> Payload:
        """``data`` as compact JSON."""
        return cls.raw(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode(), data=data)

    @classmethod
    def raw(cls, body: bytes, *, data: Any = None) -> Payload:
        return cls(data, body, gzip.compress(body, 6, mtime=0), '"' + hashlib.sha1(body).hexdigest()[:20] + '"')


class PublicMapCache:
    """The figures, recomputed only when the log changes (see the module docstring).  Thread-safe: one
    recomputation at a time; readers in the meantime get the figures being replaced."""

    def __init__(self, sessions, *, settings: PublicMapSettings | None = None, clock=utcnow):
        self.sessions, self.settings, self.clock = sessions, settings or get_public_map_settings(), clock
        self._lock = threading.Lock()
        self._payload: Payload | None = None
        self._checked = self._computed = float("-inf")
        self._version = self._facility_version = None
        self._facts: FacilityFacts | None = None
        self.recomputations = 0

    def fresh(self) -> Payload | None:
        """The figures if they were checked against the log within ``check_seconds`` (no I/O), else None."""
        payload = self._payload
        return payload if payload is not None and monotonic() - self._checked < self.settings.check_seconds else None

    def get(self, *, force: bool = False) -> Payload:
        """The current figures, checking the log's version first when the last check is too old (or ``force``:
        the snapshot worker, woken by a commit, looks at once)."""
        now = monotonic()
        payload = self._payload
        if payload is not None and not force and now - self._checked < self.settings.check_seconds:
            return payload
        if payload is not None and not force and not self._lock.acquire(blocking=False):
            return payload  # another thread is refreshing: serve what we have
        if payload is None or force:
            self._lock.acquire()
        try:
            if self._payload is not None and not force and monotonic() - self._checked < self.settings.check_seconds:
                return self._payload
            with self.sessions() as session:
                version = log_version(session)
                stale = monotonic() - self._computed >= self.settings.max_age_seconds
                if self._payload is None or version != self._version or stale:
                    fversion = facility_version(session)
                    if self._facts is None or fversion != self._facility_version:
                        self._facts, self._facility_version = FacilityFacts(session), fversion
                    self._payload = Payload.of(
                        compute_figures(session=session, facts=self._facts, now=self.clock(), settings=self.settings)
                    )
                    self._version, self._computed = version, monotonic()
                    self.recomputations += 1
            self._checked = monotonic()
            return self._payload
        finally:
            self._lock.release()
