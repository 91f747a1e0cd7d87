"""Who is out: each service point's power state from the network graph and the log (domain D15).

How it is stored
----------------
Nothing per dark service point is stored for the common case.  A record (:class:`outages.models.Interruption`)
has an ``extent``:

* ``facility``: everyone below its facility is out (a device and everything below it, a feeder, or every
  feeder of the substations a transmission line feeds).  The record's facility columns say it all: one row
  for 20,000 dark members.
* ``part``: the service points known out are listed (:class:`~outages.models.InterruptionPoint`: meters named
  by the dispatcher, from members' reports or an import), and ``members_out`` minus those is an
  **unlocated** count: members we know are out but not where.  They are shown as such and never spread
  over "the first N" service points.

A restoration step names what came back (:class:`~outages.models.RestorationStep`): a device closed
(``device_id``: what the record still kept dark below it), listed meters
(:class:`~outages.models.StepPoint`), or, with neither, a count of the unlocated members.  The last step of
a closed record brings back everything the record still kept dark.  Steps logged before this model (and
bulk imports giving only counts) may be counts on a located record: those members are taken in network
order (the depth-first order of :mod:`gis.network`), flagged ``approximate``.

From that, :func:`record_state` replays one record into *pieces* (position ranges plus explicit positions,
each with the moment it came back, or None while dark); :class:`OutNow` is the union over the open records
(members out now anywhere, counted once, never above what is served); :func:`member_intervals` gives every
member's dark intervals over time, merged across overlapping and nested records (peaks, distinct members,
member-minutes and per-member indices).

Unlocated counts: a facility's unlocated members are capped at what it serves minus what is located dark in
it (so nothing exceeds 100 %), and are placed in areas only as an estimate in proportion to where the
facility's members are, reported apart (``unlocated``) wherever they are shown.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from gis.db import utcnow
from gis.network import Network, Range, intersect, network, positions_of, runs, size_of, subtract
from outages.models import Interruption, InterruptionPoint, RestorationStep, StepPoint

EMPTY = np.empty(0, np.int64)
CHUNK = 5000


def facility_of(record: Interruption) -> dict[str, int | None]:
    """The record's facility as keywords of :meth:`gis.network.Network.downstream`."""
    if record.transmission_line_id is not None:
        return {"transmission_line_id": record.transmission_line_id}
    if record.device_id is not None:
        return {"device_id": record.device_id}
    return {"feeder_id": record.feeder_id}


def facility_key(record: Interruption) -> tuple[str, int | None]:
    if record.transmission_line_id is not None:
        return ("line", record.transmission_line_id)
    if record.device_id is not None:
        return ("device", record.device_id)
    return ("feeder", record.feeder_id)


@dataclass
class Piece:
    """Service points of one record that came back together (``restored_at``), or are still dark (None)."""

    ranges: list[Range]
    points: np.ndarray
    restored_at: datetime | None

    @property
    def size(self) -> int:
        return size_of(self.ranges) + len(self.points)

    def positions(self) -> np.ndarray:
        """Every position of the piece, ascending and unique (a new array)."""
        ranges = [r for r in self.ranges if r[1] > r[0]]
        points = np.asarray(self.points)
        if not len(points) and all(a[1] <= b[0] for a, b in pairwise(ranges)):
            return positions_of(ranges)  # sorted, disjoint ranges: already ascending and unique (no sort)
        if not ranges and points.dtype == np.int64 and bool(np.all(points[1:] > points[:-1])):
            return points.copy()
        return np.union1d(positions_of(ranges), points)


@dataclass
class RecordState:
    """One record replayed against the network: where it is, what came back when, what is unlocated."""

    record: Interruption
    located: int  # service points the record is known to have left dark
    unlocated: int  # members out nobody has located
    pieces: list[Piece] = field(default_factory=list)  # in step order; the dark remainder last while open
    unlocated_steps: list[tuple[datetime, int]] = field(default_factory=list)
    approximate: bool = False  # a count-only step on located members took them in network order

    @property
    def ident(self) -> int:
        """The record's id, or (a record not stored yet) a negative number unique while it exists."""
        return self.record.id if self.record.id is not None else -id(self.record)

    @property
    def dark(self) -> Piece:
        """What the record still keeps dark (empty once closed)."""
        last = self.pieces[-1] if self.pieces else None
        return last if last is not None and last.restored_at is None else Piece([], EMPTY, None)

    @property
    def unlocated_left(self) -> int:
        return self.unlocated - sum(n for _at, n in self.unlocated_steps)


def _take_first(ranges: list[Range], points: np.ndarray, n: int):
    """The first ``n`` positions (ranges first, then points), and what is left."""
    taken, left = [], []
    for lo, hi in ranges:
        k = min(n, hi - lo)
        if k:
            taken.append((lo, lo + k))
        if lo + k < hi:
            left.append((lo + k, hi))
        n -= k
    return taken, points[:n], left, points[n:]


def replay(
    record: Interruption,
    net: Network,
    points: np.ndarray,
    step_points: dict[int, np.ndarray],
    steps: Sequence[RestorationStep] | None = None,
) -> RecordState:
    """A record's state (see the module docstring).  ``points``: positions of its located service points
    (extent 'part'); ``step_points``: positions each step named; ``steps`` defaults to the record's own."""
    steps = record.steps if steps is None else steps
    # a record not stored yet (no extent), or one saying 'facility' with fewer members than its facility serves
    # (a row written to the database directly), is read as migration 0010 reads history: a smaller count is a part
    whole = net.downstream(**facility_of(record)) if record.extent != "part" else []
    if whole and record.members_out >= size_of(whole):
        ranges, pts = whole, EMPTY
    else:
        ranges, pts = [], np.asarray(points, dtype=np.int64)
    located = size_of(ranges) + len(pts)
    state = RecordState(record, located, max(record.members_out - located, 0))
    closing = len(steps) - 1 if record.status == "closed" else -1
    for k, step in enumerate(steps):
        if k == closing:
            state.pieces.append(Piece(ranges, pts, step.at))
            if state.unlocated_left:
                state.unlocated_steps.append((step.at, state.unlocated_left))
            return state
        named = step_points.get(step.id)
        if step.device_id is not None:
            lo, hi = net.device_range.get(step.device_id, (0, 0))
            inside = (pts >= lo) & (pts < hi)
            piece = Piece(intersect(ranges, [(lo, hi)]), pts[inside], step.at)
            ranges, pts = subtract(ranges, [(lo, hi)]), pts[~inside]
        elif named is not None and len(named):
            in_ranges = net.mask(ranges)[named] if ranges else np.zeros(len(named), bool)
            piece = Piece([], np.union1d(named[in_ranges], np.intersect1d(pts, named)), step.at)
            ranges, pts = subtract(ranges, runs(named[in_ranges])), np.setdiff1d(pts, named)
        else:
            from_unlocated = min(step.members_restored, state.unlocated_left)
            rest = step.members_restored - from_unlocated
            if from_unlocated:
                state.unlocated_steps.append((step.at, from_unlocated))
            taken, taken_pts, ranges, pts = _take_first(ranges, pts, rest)
            piece = Piece(taken, taken_pts, step.at)
            state.approximate |= rest > 0
        extra = step.members_restored - piece.size if (step.device_id is not None or named is not None) else 0
        if extra > 0 and state.unlocated_left:
            state.unlocated_steps.append((step.at, min(extra, state.unlocated_left)))
        if piece.size:
            state.pieces.append(piece)
    if record.status != "closed":
        state.pieces.append(Piece(ranges, pts, None))
    return state


# --- loading ------------------------------------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# A record's located service points never change once logged, so their positions are kept per network (a new
# facility layer, a new network, a fresh memo), keyed by the record's id and creation time (an id a rolled-back
# transaction gave out comes back, never with the same creation time).  Only non-empty lists are kept: a record
# is flushed before its points are written, and must not be remembered as having none.  Steps' named points
# are read each time (steps have no creation time to tell a reused id apart, and are few).
_MEMO: weakref.WeakKeyDictionary[Network, dict[tuple[int, datetime], np.ndarray]] = weakref.WeakKeyDictionary()
_MEMO_LOCK = threading.Lock()
MEMO_RECORDS = 50_000


def _points_of(session: Session, owner, column, ids: Iterable[int]) -> dict[int, list[int]]:
    """Service point ids by owner id (a record's located points, a step's named ones), a query per chunk."""
    found: dict[int, list[int]] = {}
    for chunk in _chunks(list(ids)):
        for ident, sp in session.execute(select(owner, column).where(owner.in_(chunk))):
            found.setdefault(ident, []).append(sp)
    return found


def _located(session: Session, net: Network, records: Sequence[Interruption]) -> dict[int, np.ndarray]:
    """Positions of each 'part' record's located service points, from the memo or the database."""
    with _MEMO_LOCK:
        memo = _MEMO.setdefault(net, {})
    keys = {
        r.id: (r.id, r.created_at)
        for r in records
        if r.extent == "part" and r.id is not None and getattr(r, "created_at", None) is not None
    }
    found = {rid: memo[key] for rid, key in keys.items() if key in memo}
    wanted = [r.id for r in records if r.extent == "part" and r.id is not None and r.id not in found]
    loaded = {
        rid: net.positions(sps)
        for rid, sps in _points_of(
            session, InterruptionPoint.interruption_id, InterruptionPoint.service_point_id, wanted
        ).items()
    }
    with _MEMO_LOCK:
        if len(memo) + len(loaded) > MEMO_RECORDS:
            memo.clear()
        for rid, pos in loaded.items():
            pos.flags.writeable = False  # shared by every later read
            if rid in keys:
                memo[keys[rid]] = pos
    return found | loaded


def remember(net: Network, record: Interruption, positions: np.ndarray) -> None:
    """Keep the located points a record was just logged with (written, or none at all: the one moment "none" is
    known for sure): its reads need no query."""
    if record.id is not None and record.created_at is not None:
        pos = np.array(positions, dtype=np.int64)
        pos.flags.writeable = False
        with _MEMO_LOCK:
            _MEMO.setdefault(net, {})[(record.id, record.created_at)] = pos


def states_of(session: Session, records: Sequence[Interruption], net: Network | None = None) -> list[RecordState]:
    """Every record's state; located points come from the memo or one query, steps' named points from one."""
    net = net or network(session)
    located = _located(session, net, records)
    named = _points_of(
        session,
        StepPoint.step_id,
        StepPoint.service_point_id,
        [s.id for r in records for s in r.steps if s.device_id is None and s.id is not None],
    )
    step_pos = {sid: net.positions(sps) for sid, sps in named.items()}
    return [replay(r, net, located.get(r.id, EMPTY), step_pos) for r in records]


def open_records(session: Session, *, now: datetime | None = None, where=()) -> list[Interruption]:
    """Open records that have begun (planned work ahead is not out yet), with their steps."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Interruption)
            .options(selectinload(Interruption.steps))
            .where(Interruption.status == "open", Interruption.start_at <= now, *where)
            .order_by(Interruption.start_at, Interruption.id)
        )
    )


def open_records_near(session: Session, record: Interruption, net: Network, *, now: datetime | None = None):
    """Open records that may share service points with ``record``, itself excluded: a feeder or device record's
    members are all on its feeder (records on that feeder, or on a line feeding its substation, may share
    them); a line's are on every feeder of the substations it feeds."""
    if record.transmission_line_id is not None:
        subs = set(net.substations_of_line.get(record.transmission_line_id, ()))
        feeders = [f for f, s in net.feeder_substation.items() if s in subs]
    else:
        assert record.feeder_id is not None  # one_facility: a stored record not on a transmission line is on a feeder
        subs, feeders = {net.feeder_substation[record.feeder_id]}, [record.feeder_id]
    lines = sorted({line for s in subs for line in net.lines_of.get(s, ())})
    near = or_(Interruption.feeder_id.in_(feeders), Interruption.transmission_line_id.in_(lines))
    return [r for r in open_records(session, now=now, where=(near,)) if r.id != record.id]


# --- the union now -------------------------------------------------------------------------------------


class OutNow:
    """Members out now: the union of the open records' dark sets, plus their unlocated counts."""

    def __init__(self, net: Network, states: Sequence[RecordState]):
        self.net, self.states = net, list(states)
        darks = [s.dark for s in self.states]
        ranges = [r for d in darks for r in d.ranges]
        points = np.concatenate([d.points for d in darks]) if darks else EMPTY
        self.mask = net.mask(ranges, points)
        self.located = int(np.count_nonzero(self.mask))
        wanted: dict[tuple[str, int | None], int] = {}
        self.facility_of: dict[tuple[str, int | None], dict[str, int | None]] = {}
        for s in self.states:
            if s.unlocated_left > 0:
                key = facility_key(s.record)
                wanted[key] = wanted.get(key, 0) + s.unlocated_left
                self.facility_of[key] = facility_of(s.record)
        self.unlocated_by_facility: dict[tuple[str, int | None], int] = {}
        for key, n in wanted.items():
            ranges = net.downstream(**self.facility_of[key])
            room = size_of(ranges) - net.count_in(self.mask, ranges)
            if min(n, room) > 0:
                self.unlocated_by_facility[key] = min(n, room)
        self.unlocated = min(sum(self.unlocated_by_facility.values()), net.size - self.located)

    @property
    def members_out(self) -> int:
        """Located and unlocated members out now, never more than the system serves."""
        return self.located + self.unlocated

    def located_in(self, ranges: Iterable[Range]) -> int:
        return self.net.count_in(self.mask, ranges)

    def out_below(self, **facility: int) -> tuple[int, int]:
        """(located, unlocated) members out below one facility; the unlocated part counts the unlocated
        members of records on this facility or below it, capped at what is not located dark."""
        ranges = self.net.downstream(**facility)
        located = self.located_in(ranges)
        unl = 0
        for key, n in self.unlocated_by_facility.items():
            theirs = self.net.downstream(**self.facility_of[key])
            if all(any(lo <= a and b <= hi for lo, hi in ranges) for a, b in theirs):
                unl += n
        return located, min(unl, size_of(ranges) - located)

    def area_located(self) -> dict[int, int]:
        """Located members out per service area id."""
        return self._per_area(self.mask)

    def restored_so_far(self) -> tuple[int, dict[int, int]]:
        """Members back on whom a record still open had left dark (a partial restoration: its steps so far),
        and not dark under any open record now: located ones only, in all and per service area id."""
        pieces = [p for s in self.states for p in s.pieces if p.restored_at is not None]
        if not pieces:
            return 0, {}
        ranges = [r for p in pieces for r in p.ranges]
        back = self.net.mask(ranges, np.concatenate([p.points for p in pieces])) & ~self.mask
        return int(np.count_nonzero(back)), self._per_area(back)

    def _per_area(self, mask: np.ndarray) -> dict[int, int]:
        hit = mask[self.net.area_pos] if len(self.net.area_pos) else np.zeros(0, bool)
        counts = np.bincount(self.net.area_of[hit]) if hit.any() else np.zeros(0, np.int64)
        return {int(a): int(n) for a, n in enumerate(counts) if n}

    def is_out(self, service_point_id: int) -> bool:
        try:
            return bool(self.mask[self.net.position(service_point_id)])
        except KeyError:
            return False

    def records_keeping(self, service_point_id: int) -> list[Interruption]:
        """The open records that keep this service point dark, earliest first."""
        try:
            pos = self.net.position(service_point_id)
        except KeyError:
            return []
        return [s.record for s in self.states if _holds(s.dark, pos)]


def _holds(piece: Piece, pos: int) -> bool:
    return any(lo <= pos < hi for lo, hi in piece.ranges) or bool(np.isin(pos, piece.points))


def out_now(session: Session, *, now: datetime | None = None, net: Network | None = None) -> OutNow:
    """Who is out now, system-wide (see :class:`OutNow`)."""
    net = net or network(session)
    return OutNow(net, states_of(session, open_records(session, now=now), net))


def still_dark_elsewhere(
    session: Session, record: Interruption, positions: np.ndarray, net: Network, *, now: datetime | None = None
) -> tuple[np.ndarray, list[tuple[Interruption, int]]]:
    """Of these positions, those another open record still keeps dark, and which records (with how many)."""
    if not len(positions):
        return positions, []
    others = states_of(session, open_records_near(session, record, net, now=now), net)
    held, by = np.zeros(len(positions), bool), []
    for s in others:
        d = s.dark
        here = np.zeros(len(positions), bool)
        for lo, hi in d.ranges:
            here |= (positions >= lo) & (positions < hi)
        here |= np.isin(positions, d.points)
        if here.any():
            by.append((s.record, int(np.count_nonzero(here & ~held))))
            held |= here
    return positions[held], [(r, n) for r, n in by if n]


# --- over time -------------------------------------------------------------------------------------------


@dataclass
class Intervals:
    """Members' dark intervals (one row each), merged per member across records: ``pos`` (network position),
    ``start``/``end`` (ns since the epoch, UTC; ``end`` is the horizon for a member still dark) and
    ``record_id`` (the record that first left the member dark in that interval)."""

    pos: np.ndarray
    start: np.ndarray
    end: np.ndarray
    record_id: np.ndarray

    def __len__(self) -> int:
        return len(self.pos)

    @property
    def minutes(self) -> np.ndarray:
        return (self.end - self.start) / 60e9


def epoch_ns(value: datetime) -> int:
    """An aware instant as integer nanoseconds since 1970 (UTC), to the microsecond: the time axis of
    :class:`Intervals`."""
    return int(value.timestamp() * 1e6) * 1000


def member_intervals(states: Sequence[RecordState], *, horizon: datetime, merge: bool = True) -> Intervals:
    """Every located member's dark intervals (see :class:`Intervals`); ``merge=False`` keeps one row per
    record and member (overlaps counted twice, as the record-by-record figures do).  Merged rows come
    sorted by position, then start."""
    h = epoch_ns(horizon)
    if merge:  # records in start order (stable): one stable sort by position then orders rows by (pos, start)
        t0s = np.array([epoch_ns(s.record.start_at) for s in states], dtype=np.int64)
        states = [states[i] for i in np.argsort(t0s, kind="stable")]
    pos, start, end, rid = [], [], [], []
    for s in states:
        t0 = epoch_ns(s.record.start_at)
        for piece in s.pieces:
            p = piece.positions()
            if not len(p):
                continue
            t1 = h if piece.restored_at is None else min(epoch_ns(piece.restored_at), h)
            pos.append(p)
            start.append(t0)
            end.append(t1)
            rid.append(s.ident)
    if not pos:
        return Intervals(EMPTY, EMPTY, EMPTY, EMPTY)
    sizes = np.fromiter((len(x) for x in pos), dtype=np.int64, count=len(pos))
    p = np.concatenate(pos)
    a, b, r = (np.repeat(np.asarray(x, dtype=np.int64), sizes) for x in (start, end, rid))
    keep = b > a
    if not keep.all():
        p, a, b, r = p[keep], a[keep], b[keep], r[keep]
    if not merge or not len(p):
        return Intervals(p, a, b, r)
    order = np.argsort(p, kind="stable")
    p, a, b, r = p[order], a[order], b[order], r[order]
    # only members with an interval that starts before (or as) the previous one ends need merging
    same = p[1:] == p[:-1]
    touch = same & (a[1:] <= b[:-1])
    if not touch.any():
        return Intervals(p, a, b, r)
    flagged = np.zeros(int(p[-1]) + 1, bool)
    flagged[p[1:][touch]] = True
    sub = np.flatnonzero(flagged[p])
    sp, sa, sb = p[sub], a[sub], b[sub]
    # the running latest end per member, in rank space so that one global running maximum stays per member
    times = np.unique(np.concatenate([sa, sb]))
    ra, rb = np.searchsorted(times, sa), np.searchsorted(times, sb)
    member = np.cumsum(np.append(True, sp[1:] != sp[:-1])) - 1
    offset = member * (len(times) + 1)
    reach = np.maximum.accumulate(rb + offset)
    new = np.ones(len(sp), bool)
    new[1:] = (member[1:] != member[:-1]) | (ra[1:] + offset[1:] > reach[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(sp)) - 1
    first = np.ones(len(p), bool)
    first[sub] = new
    b = b.copy()
    b[sub[starts]] = times[reach[ends] - offset[ends]]
    return Intervals(p[first], a[first], b[first], r[first])


def level_series(iv: Intervals, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Members dark over time from merged intervals: event times (ns) and the level after all events at each."""
    if not len(iv):
        return EMPTY, np.empty(0)
    w = np.ones(len(iv)) if weights is None else weights
    t = np.concatenate([iv.start, iv.end])
    d = np.concatenate([w, -w])
    order = np.argsort(t, kind="stable")
    t, level = t[order], np.cumsum(d[order])
    last = np.append(t[1:] != t[:-1], True)
    return t[last], level[last]
