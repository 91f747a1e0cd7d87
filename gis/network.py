"""The network as a graph: transmission line → substations → feeders → protective devices → service points.

The model behind "who is out" (domain D15).  Built once from the facility layer and kept in memory per
database (:func:`network`), rebuilt when the facility layer's fingerprint changes.

**Positions.**  Service points are numbered 0..N-1 in the order of a depth-first walk of the network
(substation, then feeder, then the feeder's service points that hang on no device, then each device's own
service points followed by the devices below it).  In that order everything downstream of a device, a feeder
or a substation is one contiguous range of positions ``[lo, hi)``, and a transmission line is the union of
the ranges of the substations it feeds.  So "everyone below JC-014-R1" is two integers, a set of dark
service points is a few ranges plus a short array, and counting the union of many such sets is a cumulative
sum over N booleans (about a millisecond for 250,000 service points).

Positions are internal to one build of the network: they are never stored; the database keeps service
point ids and facility ids, and :meth:`Network.positions` / :attr:`Network.ids` translate.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.models import (
    Device,
    Feeder,
    ServiceArea,
    ServicePoint,
    ServicePointArea,
    Substation,
    transmission_line_substations,
)

Range = tuple[int, int]


class Network:
    """The facility layer's connectivity in memory (see the module docstring)."""

    def __init__(self, session: Session):
        substations = list(session.scalars(select(Substation.id).order_by(Substation.id)))
        feeders = session.execute(select(Feeder.id, Feeder.substation_id).order_by(Feeder.id)).all()
        devices = session.execute(
            select(Device.id, Device.feeder_id, Device.upstream_device_id).order_by(Device.id)
        ).all()
        self.feeder_substation = {f: s for f, s in feeders}
        self.device_feeder = {d: f for d, f, _u in devices}
        self.parent = {d: u for d, _f, u in devices if u is not None}
        self.children: dict[int, list[int]] = {}
        for d, _f, u in devices:
            if u is not None:
                self.children.setdefault(u, []).append(d)
        roots: dict[int, list[int]] = {}
        for d, f, u in devices:
            if u is None or self.device_feeder.get(u) != f:
                roots.setdefault(f, []).append(d)
        self.lines_of: dict[int, list[int]] = {}
        self.substations_of_line: dict[int, list[int]] = {}
        for line, sub in session.execute(
            select(transmission_line_substations.c.transmission_line_id, transmission_line_substations.c.substation_id)
        ):
            self.lines_of.setdefault(sub, []).append(line)
            self.substations_of_line.setdefault(line, []).append(sub)

        # slots: one per feeder (its service points on no device) and one per device, in walk order
        slot = 0
        feeder_slots: dict[int, Range] = {}
        device_slots: dict[int, Range] = {}
        substation_slots: dict[int, Range] = {}
        by_substation: dict[int, list[int]] = {}
        for f, s in feeders:
            by_substation.setdefault(s, []).append(f)
        for s in substations:
            first = slot
            for f in by_substation.get(s, ()):
                f_first = slot
                slot += 1
                for root in roots.get(f, ()):
                    slot = self._walk(root, slot, device_slots)
                feeder_slots[f] = (f_first, slot)
            substation_slots[s] = (first, slot)
        rows = _int_rows(
            session,
            select(ServicePoint.id, ServicePoint.feeder_id, func.coalesce(ServicePoint.device_id, -1)).order_by(
                ServicePoint.id
            ),
            3,
        )
        ids, feeder_of, device_of = rows[:, 0], rows[:, 1], rows[:, 2]
        point_slot = np.fromiter(
            (
                device_slots[d][0] if d >= 0 else feeder_slots[f][0]
                for f, d in zip(feeder_of.tolist(), device_of.tolist())
            ),
            dtype=np.int64,
            count=len(ids),
        )
        order = np.argsort(point_slot, kind="stable")
        self.ids = ids[order]  # position -> service point id
        self.slots = point_slot[order]
        self.feeder_of = feeder_of[order]  # position -> feeder id
        self.device_of = device_of[order]  # position -> device id (-1: on the feeder, no device)
        self.size = len(ids)
        self._pos = np.full(int(ids.max()) + 1 if len(ids) else 1, -1, dtype=np.int64)
        self._pos[self.ids] = np.arange(self.size)

        def ranges(slots: dict[int, Range]) -> dict[int, Range]:
            if not slots:
                return {}
            keys = list(slots)
            bounds = np.array([slots[k] for k in keys], dtype=np.int64)
            lo = np.searchsorted(self.slots, bounds[:, 0], "left")
            hi = np.searchsorted(self.slots, bounds[:, 1], "left")
            return {k: (int(a), int(b)) for k, a, b in zip(keys, lo, hi)}

        self.feeder_range = ranges(feeder_slots)
        self.device_range = ranges(device_slots)
        self.substation_range = ranges(substation_slots)
        pairs = _int_rows(session, select(ServicePointArea.service_point_id, ServicePointArea.service_area_id), 2)
        self.area_pos = self._pos[pairs[:, 0]] if len(pairs) else np.empty(0, np.int64)
        self.area_of = pairs[:, 1] if len(pairs) else np.empty(0, np.int64)
        self.interruptible = np.zeros(self.size, dtype=bool)
        flagged = list(session.scalars(select(ServicePoint.id).where(ServicePoint.interruptible)))
        if flagged:
            self.interruptible[self.positions(flagged)] = True

    def _walk(self, device: int, slot: int, out: dict[int, Range]) -> int:
        stack = [(device, False)]
        first: dict[int, int] = {}
        while stack:  # iterative: deep radial feeders must not hit Python's recursion limit
            node, done = stack.pop()
            if done:
                out[node] = (first[node], slot)
                continue
            first[node] = slot
            slot += 1
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(self.children.get(node, ())))
        return slot

    # --- tracing ------------------------------------------------------------------------------------

    def downstream(
        self,
        *,
        device_id: int | None = None,
        feeder_id: int | None = None,
        substation_id: int | None = None,
        transmission_line_id: int | None = None,
    ) -> list[Range]:
        """Everyone below one facility, as disjoint position ranges (empty when it serves nobody)."""
        if device_id is not None:
            found = [self.device_range.get(device_id, (0, 0))]
        elif feeder_id is not None:
            found = [self.feeder_range.get(feeder_id, (0, 0))]
        elif substation_id is not None:
            found = [self.substation_range.get(substation_id, (0, 0))]
        elif transmission_line_id is not None:
            found = sorted(
                self.substation_range.get(s, (0, 0)) for s in self.substations_of_line.get(transmission_line_id, ())
            )
        else:
            raise ValueError("name a facility")
        return [r for r in found if r[1] > r[0]]

    def downstream_ids(self, **facility: int | None) -> np.ndarray:
        """Service point ids below one facility (see :meth:`downstream`), ascending."""
        return np.sort(self.ids[positions_of(self.downstream(**facility))])

    def served(self, **facility: int | None) -> int:
        """Members (service points) below one facility."""
        return sum(hi - lo for lo, hi in self.downstream(**facility))

    def upstream(self, service_point_id: int) -> dict:
        """The path from a service point to the source: its devices (nearest first), feeder, substation and
        the transmission lines feeding that substation."""
        pos = self.position(service_point_id)
        device = int(self.device_of[pos])
        feeder = int(self.feeder_of[pos])
        substation = self.feeder_substation[feeder]
        return {
            "devices": self.devices_above(device) if device >= 0 else [],
            "feeder": feeder,
            "substation": substation,
            "transmission_lines": sorted(self.lines_of.get(substation, ())),
        }

    def devices_above(self, device_id: int) -> list[int]:
        """This device and every device upstream of it on its feeder, nearest first."""
        chain, feeder = [], self.device_feeder.get(device_id)
        current: int | None = device_id
        while current is not None and self.device_feeder.get(current) == feeder:
            chain.append(current)
            current = self.parent.get(current)
        return chain

    def devices_below(self, device_ids: Iterable[int]) -> set[int]:
        """These devices and every device downstream of them."""
        found, stack = set(), list(device_ids)
        while stack:
            d = stack.pop()
            if d not in found:
                found.add(d)
                stack.extend(self.children.get(d, ()))
        return found

    def common_upstream(self, service_point_ids: Sequence[int]) -> int | None:
        """The deepest device upstream of every one of these service points (all on one feeder), or None when
        only the feeder itself is common to them."""
        chains = []
        for sp in service_point_ids:
            pos = self.position(sp)
            device = int(self.device_of[pos])
            if device < 0:
                return None
            chains.append(self.devices_above(device)[::-1])
        if not chains or len({self.device_feeder[c[0]] for c in chains}) > 1:
            return None
        common = None
        for level in zip(*chains):
            if len(set(level)) != 1:
                break
            common = level[0]
        return common

    # --- positions ----------------------------------------------------------------------------------

    def position(self, service_point_id: int) -> int:
        pos = self._pos[service_point_id] if 0 <= service_point_id < len(self._pos) else -1
        if pos < 0:
            raise KeyError(f"service point {service_point_id} is not in the network")
        return int(pos)

    def positions(self, service_point_ids: Iterable[int]) -> np.ndarray:
        """Positions of service point ids (unknown ids are dropped), ascending and unique."""
        ids = np.fromiter(service_point_ids, dtype=np.int64)
        ids = ids[(ids >= 0) & (ids < len(self._pos))]
        pos = self._pos[ids]
        return np.unique(pos[pos >= 0])

    def mask(self, ranges: Iterable[Range] = (), points: np.ndarray | None = None) -> np.ndarray:
        """A boolean array over positions, true inside the ranges and at the points."""
        diff = np.zeros(self.size + 1, dtype=np.int32)
        ranges = list(ranges)
        if ranges:
            bounds = np.array(ranges, dtype=np.int64)
            np.add.at(diff, bounds[:, 0], 1)
            np.add.at(diff, bounds[:, 1], -1)
        out = np.cumsum(diff[:-1]) > 0
        if points is not None and len(points):
            out[points] = True
        return out

    def count_in(self, mask: np.ndarray, ranges: Iterable[Range]) -> int:
        """How many true positions of ``mask`` lie in the ranges (disjoint)."""
        return sum(int(np.count_nonzero(mask[lo:hi])) for lo, hi in ranges)


def _int_rows(session: Session, stmt, width: int) -> np.ndarray:
    """An all-integer query as an (n, width) array, without building a Row per value."""
    rows = session.execute(stmt)
    return np.fromiter((v for row in rows for v in row), dtype=np.int64).reshape(-1, width)


def positions_of(ranges: Iterable[Range]) -> np.ndarray:
    """Every position in the ranges, as one array."""
    ranges = [r for r in ranges if r[1] > r[0]]
    if not ranges:
        return np.empty(0, np.int64)
    return np.concatenate([np.arange(lo, hi, dtype=np.int64) for lo, hi in ranges])


def subtract(ranges: Sequence[Range], minus: Iterable[Range]) -> list[Range]:
    """``ranges`` without ``minus`` (interval arithmetic on half-open ranges)."""
    out = sorted(r for r in ranges if r[1] > r[0])
    for m_lo, m_hi in sorted(minus):
        if m_hi <= m_lo:
            continue
        nxt = []
        for lo, hi in out:
            if hi <= m_lo or lo >= m_hi:
                nxt.append((lo, hi))
                continue
            if lo < m_lo:
                nxt.append((lo, m_lo))
            if hi > m_hi:
                nxt.append((m_hi, hi))
        out = nxt
    return out


def fingerprint(session: Session) -> tuple:
    """Changes whenever the facility layer does.  It is only ever loaded whole into an empty database
    (:func:`gis.service.import_facilities`), so the highest ids and the small tables' counts tell; every
    part is an index look-up, cheap enough for every write."""
    return tuple(session.execute(_FINGERPRINT).one())


_FINGERPRINT = select(
    *(
        p.scalar_subquery()
        for p in (
            select(func.max(ServicePoint.id)),
            select(func.count(Device.id)),
            select(func.max(Device.id)),
            select(func.count(Feeder.id)),
            select(func.max(Feeder.id)),
            select(func.count()).select_from(transmission_line_substations),
            select(func.count(ServiceArea.id)),
        )
    )
)

_CACHE: OrderedDict[tuple, Network] = OrderedDict()
_LOCK = threading.Lock()
_SESSION_KEY = "gis.network"
# the fingerprint is read at most every few seconds per database: a facility layer loaded by this process is
# seen at once (forget), one loaded by another process (the CLI, into the empty database a server is using)
# within FINGERPRINT_SECONDS
FINGERPRINT_SECONDS = 5.0
_CHECKED: dict[str, tuple[float, tuple]] = {}


def network(session: Session) -> Network:
    """The network of this session's database, built once and rebuilt when the facility layer changes.  It is
    only ever loaded whole, into an empty database (:func:`gis.service.import_facilities`, which calls
    :func:`forget`): one transaction sees one network, and the fingerprint is read at most every
    ``FINGERPRINT_SECONDS``."""
    transaction = session.get_transaction()
    mine = session.info.get(_SESSION_KEY)
    if mine is not None and transaction is not None and mine[0] is transaction:
        return mine[1]
    built = _network(session)
    if transaction is not None:
        session.info[_SESSION_KEY] = (transaction, built)
    return built


def forget(session: Session) -> None:
    """Forget what this process knows of the session's facility layer (it was just loaded)."""
    session.info.pop(_SESSION_KEY, None)
    with _LOCK:
        _CHECKED.pop(str(session.get_bind().engine.url), None)


def _network(session: Session) -> Network:
    url, now = str(session.get_bind().engine.url), time.monotonic()
    with _LOCK:
        checked = _CHECKED.get(url)
    if checked is None or now - checked[0] > FINGERPRINT_SECONDS:
        checked = (now, fingerprint(session))
        with _LOCK:
            _CHECKED[url] = checked
    key = (url, checked[1])
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    built = Network(session)
    with _LOCK:
        _CACHE[key] = built
        while len(_CACHE) > 4:
            _CACHE.popitem(last=False)
    return built


def intersect(ranges: Sequence[Range], other: Sequence[Range]) -> list[Range]:
    """The positions in both lists of ranges, as ranges."""
    out = []
    for lo, hi in ranges:
        for o_lo, o_hi in other:
            a, b = max(lo, o_lo), min(hi, o_hi)
            if b > a:
                out.append((a, b))
    return sorted(out)


def runs(points: np.ndarray) -> list[Range]:
    """Sorted unique positions as ranges of consecutive positions."""
    if not len(points):
        return []
    breaks = np.nonzero(np.diff(points) != 1)[0]
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(points) - 1]])
    return [(int(points[s]), int(points[e]) + 1) for s, e in zip(starts, ends)]


def size_of(ranges: Iterable[Range]) -> int:
    return sum(hi - lo for lo, hi in ranges)
