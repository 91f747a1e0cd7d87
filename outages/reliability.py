"""Reliability indices from the interruption log: the bridge from the database to :mod:`outages.indices`.

Keyword-only functions taking a SQLAlchemy ``Session``.  They read (never write) the interruption log
and the facility layer, build the data frames the pure index engine expects, and call it.

What is read
------------
* **Records**: interruption records that are ``closed`` (open and voided records are left out), with
  their restoration steps; a record belongs to a period, and to a local day, by its start (IEEE 1366).
  Columns: ``record_id``, ``start``/``restored`` (UTC), ``members_out``, ``feeder`` (code),
  ``substation`` (code), ``division`` (name), ``cause`` (code), ``momentary`` (the stored flag, set when
  the record was closed from ``OUTAGES_MOMENTARY_MAX_MINUTES``), and the facility ids (``feeder_id``,
  ``device_id``, ``transmission_line_id``) and ``extent``; the steps with their ids and the device each
  names.  The per-member model replays the records from these rows and their located and named service
  points (:class:`outages.models.InterruptionPoint`, :class:`outages.models.StepPoint`).
* **Plausible times only**: a record whose start, restoration or restoration step lies outside the
  plausible window (before local midnight of ``OUTAGES_EARLIEST_DATE``, or more than
  ``OUTAGES_ETR_HORIZON_DAYS`` ahead of now; the API and the bulk import refuse such times, but a row
  written to the database directly may hold one, e.g. a start in the year 0025) is left out of every
  index and of the log's history (T_MED), and a note counts such records.  The indices never fail on
  a stored record: the engine's nanosecond timestamps cover only 1677-2262.  A transmission-line record has no feeder, substation or division: it counts in the
  system indices and goes to the "(unassigned)" row when grouping by feeder, substation or division.
* **Division of a feeder**: the division service area holding most of the feeder's service points
  (ties: the name first in alphabetical order); a feeder with no service point in a division has none.
  A division's members served are the members of the feeders assigned to it, so that the records and
  the members of a division are the same population (this can differ slightly from the count of
  service points inside the division's polygon when a feeder crosses a division boundary).

Members served :math:`N_T`
--------------------------
:math:`N_T` is the count of service points (one member per service point) **now**, per feeder,
substation, division and for the system.  The facility layer keeps no history, so the current count
stands for every period, past years included, and for every day of the T_MED history.  Growth is
therefore not adjusted for: with a growing membership, past years' SAIFI, SAIDI, MAIFI and CEMI_n are
divided by a larger :math:`N_T` than they had, and come out slightly low (about 1 % per year of growth
per year back); CAIDI, CAIFI and CTAIDI do not depend on :math:`N_T`.  T_MED is computed from daily
SAIDI with the same :math:`N_T`, so the major event day classification is consistent within a report.

Members hit by a record (the per-member model)
----------------------------------------------
Every index counts each member's own interruptions, from the network model of who is out (domain D15,
:mod:`gis.network`, :mod:`outages.power_state`):

* **Who was dark, when.**  Each record is replayed on the network (:func:`outages.power_state.states_of`):
  a whole-facility record (extent ``facility``) leaves dark everyone below its device, feeder or the
  substations its transmission line feeds; a record on part of a facility (``part``) its located service
  points plus an **unlocated** count.  Each step brings back what it names (a device: what the record
  still kept dark below it; listed meters; or a count of the unlocated members) at its time, the last step
  everything.  A record claiming its whole facility while counting fewer members than the facility serves
  (old imports) is read as that many unlocated members of the facility, as migration 0010 reads old
  records (noted).
* **Overlaps count once.**  Each member's dark intervals are merged across records
  (:func:`outages.power_state.member_intervals`), sustained with sustained and momentary with momentary:
  a member dark under two overlapping (or touching) records has one interruption, attributed to the record
  that left it dark first, lasting until the member was back under every record.  So :math:`N_i` of a
  record is the members it left dark that no earlier record already kept dark, plus its unlocated
  members, and its member-minutes are theirs (the engine's ``member_interruptions`` and
  ``member_minutes`` columns); SAIFI, SAIDI, CAIDI, ASAI, MAIFI, daily SAIDI and T_MED, CAIFI, CTAIDI,
  CEMI_n, CEMSMI_n and CELID all use them.  Without overlaps this is the record's own count and steps
  (D12).  Replayed are the period's records and every record whose time and facility meet another's
  (:func:`overlapping`, also before the period, for T_MED, and after its end while a period record is
  still dark); every other record's count and steps stand as logged.
* **Unlocated members** still count in SAIFI and SAIDI (in :math:`N_i`, with their steps' times), and in
  the indices over distinct members each unlocated member interruption is one distinct unknown member
  (``member_id`` negative): so CN and CELID_s are upper bounds (CAIFI and CTAIDI lower bounds) and
  CEMI_n (n >= 1) a lower bound; CELID_t may err either way.  A note gives how many member interruptions
  were unlocated.  A record whose located members came back by count only (``approximate``: old data or
  imports) is noted too: which members came back at each step follows the network order.
* The model is exact for what the log knows; :func:`member_hits` gives its rows (``member_id``,
  ``record_id``, ``minutes``).

Major event days
----------------
2.5 beta method on system daily SAIDI (:func:`outages.indices.major_event_days`): local days in the
cooperative's zone, the up to five years of history before the period starting no earlier than the
first recorded interruption (the log's history), zero days dropped, sample standard deviation.  With
fewer than five years of history a note says so; with fewer than two days of history with SAIDI > 0
T_MED is undefined and no day is a major event day.  Indices by group on "normal" days leave out the
system's major event days.

References
----------
IEEE Std 1366-2022, *IEEE Guide for Electric Power Distribution Reliability Indices*; domain brief §4;
U.S. EIA Form EIA-861, schedule "Reliability" (SAIDI, SAIFI with and without major event days).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, cast
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import InvalidInput
from gis.models import Feeder, ServiceArea, Substation
from gis.network import Network, network
from outages import history
from outages import indices as ix
from outages import power_state as ps
from outages.models import Cause, Interruption
from outages.settings import get_rule_settings

if TYPE_CHECKING:
    from outages.regulatory import Eia861, PuraWorstFeeders

__all__ = [
    "DAY_TYPES",
    "GROUPINGS",
    "MEMBERS_NOTE",
    "HITS_NOTE",
    "MembersServed",
    "PeriodIndices",
    "AnnualReliability",
    "members_served",
    "load_records",
    "member_hits",
    "member_model",
    "MemberModel",
    "overlapping",
    "with_member_figures",
    "first_record_start",
    "implausible_records",
    "cause_labels",
    "indices_for",
    "loss_of_supply",
    "annual_reliability",
]

DAY_TYPES = ("all", "normal", "major_event")
LOSS_OF_SUPPLY_CAUSE = "power_supply"  #: the cause code of a loss of supply (transmission or generation)
GROUPINGS = ix.GROUPINGS  # division, substation, feeder, cause
HISTORY_YEARS = ix.T_MED_YEARS
MEMBERS_NOTE = (
    "Members served (N_T) is the current number of service points, used for every period: the "
    "facility layer keeps no history, so past years are divided by today's membership and growth "
    "is not adjusted for (past SAIFI/SAIDI come out slightly low; CAIDI is unaffected)."
)
HITS_NOTE = (
    "Every index counts members' own interruptions from the network model of who was out: a member "
    "dark under overlapping records (sustained with sustained, momentary with momentary) counts once, "
    "for the record that left it dark first."
)


# --------------------------------------------------------------------------------------------------
# time helpers


def _tz_name(zone: Any) -> str:
    if zone is None:
        return get_rule_settings().timezone
    return getattr(zone, "key", None) or str(zone)


def _instant(value: Any, tz: str, what: str) -> pd.Timestamp:
    """A datetime/date (naive: read in the cooperative's zone) as a timezone-aware Timestamp."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"{what} {value!r} is not a date or time. Fix: use ISO 8601, e.g. 2025-01-01.", field=what
        ) from None
    if ts is pd.NaT:
        raise InvalidInput(f"{what} is empty. Fix: give a date such as 2025-01-01.", field=what)
    try:
        if ts.tzinfo is None:
            ts = ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        ts.as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InvalidInput(
            f"{what} {value} is outside the dates the indices cover. Fix: give a date between 1900 and 2200.",
            field=what,
        ) from None
    return ts


def _midnight(day: date, tz: str) -> pd.Timestamp:
    """Local midnight at the start of ``day``."""
    return pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def _year_bounds(year: int, tz: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return _midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz)


def _utc(ts: pd.Timestamp) -> datetime:
    return ts.tz_convert("UTC").to_pydatetime()


# --------------------------------------------------------------------------------------------------
# members served (the facility layer, now)


@dataclass(frozen=True)
class MembersServed:
    """Members served now (service points): system, per feeder, substation and division."""

    system: int  #: N_T of the system [members]
    feeder: pd.Series  #: feeder code -> members
    substation: pd.Series  #: substation code -> members (sum of its feeders)
    division: pd.Series  #: division name -> members of the feeders assigned to it
    feeder_substation: dict[str, str]  #: feeder code -> substation code
    feeder_division: dict[str, str | None]  #: feeder code -> division name (most of its service points)

    def for_group(self, group_by: str | None) -> Any:
        """The ``members_served`` argument of the index engine for a grouping."""
        if group_by in (None, "cause"):
            return self.system
        return {"feeder": self.feeder, "substation": self.substation, "division": self.division}[group_by]


_SERVED: WeakKeyDictionary[Network, MembersServed] = WeakKeyDictionary()
_TOKENS: WeakKeyDictionary[Network, int] = WeakKeyDictionary()
_NEXT_TOKEN = itertools.count(1)


def _token(net: Network) -> int:
    """A number naming this network (this facility layer) in cache keys, never reused."""
    token = _TOKENS.get(net)
    if token is None:
        token = _TOKENS.setdefault(net, next(_NEXT_TOKEN))
    return token


def _until(records: pd.DataFrame, end: pd.Timestamp) -> pd.Timestamp:
    """Up to which instant a result read records (:func:`outages.history.memo`): the period's end, or the
    restoration of the last record (of those read) still dark then."""
    last = records["restored"].max() if len(records) else None
    return max(end, last) if last is not None and pd.notna(last) else end


def members_served(*, session: Session, net: Network | None = None) -> MembersServed:
    """Members served now per feeder, substation and division (feeders assigned by majority), counted on the
    network (:func:`gis.network.network`, built once per facility layer) once per network."""
    net = net or network(session)
    found = _SERVED.get(net)
    if found is None:
        found = _SERVED.setdefault(net, _members_served(session, net))
    return found


def _members_served(session: Session, net: Network) -> MembersServed:
    feeders = session.execute(
        select(Feeder.id, Feeder.code, Substation.code)
        .join(Substation, Substation.id == Feeder.substation_id)
        .order_by(Feeder.code)
    ).all()
    counts = np.bincount(net.feeder_of, minlength=max((f for f, _c, _s in feeders), default=0) + 1)
    divisions = dict(
        session.execute(select(ServiceArea.id, ServiceArea.name).where(ServiceArea.kind == "division")).all()
    )
    best: dict[int, tuple[int, str]] = {}
    if divisions and len(net.area_pos):
        names = sorted(set(divisions.values()))  # votes go to division names (two areas may share one)
        code = np.full(max(int(net.area_of.max()), max(divisions)) + 1, -1, np.int64)
        code[list(divisions)] = [names.index(v) for v in divisions.values()]
        area_code = code[net.area_of]
        in_division = area_code >= 0
        pairs = net.feeder_of[net.area_pos[in_division]] * (1 << 32) + area_code[in_division]
        keys, votes = np.unique(pairs, return_counts=True)
        for key, count in zip(keys.tolist(), votes.tolist()):
            feeder_id, name = key >> 32, names[key & 0xFFFFFFFF]
            held = best.get(feeder_id)
            if held is None or count > held[0] or (count == held[0] and name < held[1]):
                best[feeder_id] = (count, name)
    feeder = pd.Series({code: int(counts[fid]) for fid, code, _sub in feeders}, dtype=np.int64)
    feeder_substation = {code: sub for _fid, code, sub in feeders}
    feeder_division = {code: (best[fid][1] if fid in best else None) for fid, code, _sub in feeders}
    substation = feeder.groupby(pd.Series(feeder_substation, dtype=object)).sum().astype(np.int64)
    substation = substation.reindex(
        sorted(set(session.scalars(select(Substation.code))) | set(substation.index)), fill_value=0
    )
    with_division = {k: v for k, v in feeder_division.items() if v is not None}
    division = (
        feeder[list(with_division)].groupby(pd.Series(with_division)).sum().astype(np.int64)
        if with_division
        else pd.Series(dtype=np.int64)
    )
    feeder.index.name, substation.index.name, division.index.name = "feeder", "substation", "division"
    return MembersServed(
        system=int(net.size),
        feeder=feeder,
        substation=substation,
        division=division,
        feeder_substation=feeder_substation,
        feeder_division=feeder_division,
    )


# --------------------------------------------------------------------------------------------------
# records and restoration steps


RECORD_COLUMNS = [*history.RECORD_COLUMNS[:6], "division", *history.RECORD_COLUMNS[6:]]
STEP_COLUMNS = history.STEP_COLUMNS


def load_records(
    *, session: Session, start: Any, end: Any, feeder_division: dict[str, str | None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Closed, not voided records starting in ``[start, end)`` and their restoration steps, as the frames of
    :mod:`outages.indices` (``records``, ``steps``); times are UTC.  ``feeder_division`` as in
    :class:`MembersServed` (read when not given).  Beside the engine's columns, ``records`` has the facility
    ids and ``extent``, ``steps`` the ``step_id`` and the ``device_id`` it names (-1: none), for the
    per-member model (module docstring).  Read from the closed log kept in memory (:mod:`outages.history`),
    or from the database by a session with uncommitted writes to the log."""
    tz = get_rule_settings().timezone
    lo, hi = _instant(start, tz, "start"), _instant(end, tz, "end")
    if feeder_division is None:
        feeder_division = members_served(session=session).feeder_division
    earliest, latest = (pd.Timestamp(t) for t in _window())
    log = history.closed_log(session)
    if log is None:
        records, steps = history.read_closed(session)
    else:
        records, steps = log.records, log.steps
    start_at, restored = records["start"], records["restored"]
    first, last = records["first_step"], records["last_step"]
    keep = (
        (start_at >= max(lo, earliest))
        & (start_at < min(hi, latest))
        & (restored >= earliest)
        & (restored <= latest)
        & ~(first < earliest)
        & ~(last > latest)
    ).to_numpy()
    chosen = records[keep]
    feeder = chosen["feeder"]
    out = chosen.drop(columns=["first_step", "last_step"]).reset_index(drop=True)
    out.insert(6, "division", history.labels(feeder.map(feeder_division)).reset_index(drop=True))
    return out, steps[steps["record_id"].isin(out["record_id"])].reset_index(drop=True)


def _window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The plausible window of stored times (module docstring): earliest and latest instant, UTC."""
    rules = get_rule_settings()
    return rules.earliest_at, rules.latest_at(now or utcnow())


def first_record_start(*, session: Session) -> datetime | None:
    """Start of the earliest interruption record that is not voided and starts in the plausible window (module
    docstring): where the log's history begins."""
    earliest, latest = _window()
    return session.scalar(
        select(func.min(Interruption.start_at)).where(
            Interruption.status != "voided", Interruption.start_at >= earliest, Interruption.start_at <= latest
        )
    )


def implausible_records(*, session: Session) -> int:
    """How many records (not voided) have a start, restoration or step outside the plausible window: the
    indices leave them out (module docstring).  Kept with the closed log (:func:`outages.history.implausible`)."""
    earliest, latest = _window()
    found = history.implausible(session, latest=latest)
    if found is not None:
        return len(found)
    return (
        session.scalar(
            select(func.count())
            .select_from(Interruption)
            .where(Interruption.status != "voided", history.outside(earliest, latest))
        )
        or 0
    )


def _implausible_note(count: int) -> list[str]:
    if not count:
        return []
    rules = get_rule_settings()
    return [
        f"{count} record{'s' if count > 1 else ''} with a time before {rules.earliest_date.isoformat()} or more "
        f"than {rules.etr_horizon_days:g} days ahead (not plausible) {'are' if count > 1 else 'is'} left out of "
        "every index. Fix: correct the times (PATCH /api/interruptions/{id}) or void the record."
    ]


def cause_labels(*, session: Session) -> dict[str, str]:
    """Cause code -> label."""
    return dict(session.execute(select(Cause.code, Cause.label)).all())


# --------------------------------------------------------------------------------------------------
# member hits


@dataclass(eq=False)
class _Step:
    """A restoration step as the replay reads it (:class:`outages.models.RestorationStep`'s columns)."""

    id: int
    at: datetime
    members_restored: int
    device_id: int | None


class _Celid(TypedDict):
    """The CELID thresholds, as keywords of :func:`outages.indices.indices_by_day_type`."""

    celid_s_hours: float
    celid_t_hours: float


@dataclass(eq=False)
class _Record:
    """A closed record as the replay (:func:`outages.power_state.replay`) reads it, built from the rows
    :func:`load_records` already read instead of loading every :class:`~outages.models.Interruption` again
    through the ORM (a quarter of a second a year).  ``extent`` is 'part' for a record claiming its whole
    facility with a smaller count (module docstring)."""

    id: int
    start_at: datetime
    restored_at: datetime
    members_out: int
    extent: str
    feeder_id: int | None
    device_id: int | None
    transmission_line_id: int | None
    momentary: bool | None
    steps: list[_Step]
    status: str = "closed"
    read_as_part: bool = False


def _replayable(records: pd.DataFrame, steps: pd.DataFrame, net: Network) -> list[_Record]:
    """``records`` (and their ``steps``) as :class:`_Record` in start order, steps in time order."""

    def opt(v: int) -> int | None:
        return None if v < 0 else v

    by_record: dict[int, list[_Step]] = {}
    if len(steps):
        s = steps[steps["record_id"].isin(records["record_id"])].sort_values(["record_id", "at", "step_id"])
        for rid, sid, at, n, dev in zip(
            s["record_id"].tolist(),
            s["step_id"].tolist(),
            s["at"].dt.to_pydatetime().tolist(),
            s["members_restored"].tolist(),
            s["device_id"].tolist(),
        ):
            by_record.setdefault(rid, []).append(_Step(sid, at, n, opt(dev)))
    out = []
    for rid, start, restored, members, extent, feeder, device, line, momentary in zip(
        records["record_id"].tolist(),
        records["start"].dt.to_pydatetime().tolist(),
        records["restored"].dt.to_pydatetime().tolist(),
        records["members_out"].tolist(),
        records["extent"].tolist(),
        records["feeder_id"].tolist(),
        records["device_id"].tolist(),
        records["transmission_line_id"].tolist(),
        records["momentary"].tolist(),
    ):
        # a closed record without steps (written directly, not by the service) came back whole at its restoration
        own = by_record.get(rid) or [_Step(-1, restored, members, None)]
        r = _Record(
            rid,
            start,
            restored,
            members,
            extent or "facility",
            opt(feeder),
            opt(device),
            opt(line),
            None if momentary is pd.NA else momentary,
            own,
        )
        if r.extent == "facility" and members < net.served(**ps.facility_of(cast(Interruption, r))):
            r.extent, r.read_as_part = "part", True
        out.append(r)
    out.sort(key=lambda r: (r.start_at, r.id))
    return out


def _momentary_of(records: pd.DataFrame, momentary_max_minutes: float) -> np.ndarray:
    """Each record's momentary flag as the index engine reads it: the stored one, else from the duration."""
    duration = (records["restored"] - records["start"]).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    derived = duration <= momentary_max_minutes * 60.0
    given = records["momentary"].astype("boolean")
    return np.where(given.isna().to_numpy(), derived, given.fillna(False).to_numpy(dtype=bool))


def _hulls(records: pd.DataFrame, net: Network) -> tuple[np.ndarray, np.ndarray]:
    """The smallest position range ``[lo, hi)`` holding each record's facility (a line: its substations)."""
    device = records["device_id"].to_numpy(dtype=np.int64)
    feeder = records["feeder_id"].to_numpy(dtype=np.int64)
    line = records["transmission_line_id"].to_numpy(dtype=np.int64)
    kind = np.where(line >= 0, 2, np.where(device >= 0, 1, 0))
    key = np.where(line >= 0, line, np.where(device >= 0, device, feeder))
    facilities, which = np.unique(kind * (1 << 40) + key, return_inverse=True)
    lo = np.zeros(len(facilities), np.int64)
    hi = np.zeros(len(facilities), np.int64)
    names = ("feeder_id", "device_id", "transmission_line_id")
    for i, f in enumerate(facilities.tolist()):
        ranges = net.downstream(**{names[f >> 40]: f & ((1 << 40) - 1)})
        if ranges:
            lo[i], hi[i] = ranges[0][0], ranges[-1][1]
    return lo[which], hi[which]


def overlapping(records: pd.DataFrame, momentary: np.ndarray, net: Network) -> np.ndarray:
    """Which records may share a dark member with another record of their kind (sustained with sustained,
    momentary with momentary): their times meet (one starts before or as the other is restored) and their
    facilities' position ranges intersect.  A superset of the records whose members the per-member model
    merges (a part of a facility is inside it); every other record's :math:`N_i` and member-minutes are its
    own count and steps."""
    n = len(records)
    out = np.zeros(n, bool)
    if n < 2:
        return out
    start = records["start"].array.as_unit("ns").asi8
    end = records["restored"].array.as_unit("ns").asi8
    lo, hi = _hulls(records, net)
    order = np.argsort(start, kind="stable")
    s, e = start[order], end[order]
    reach = np.searchsorted(s, e, side="right")  # the records starting before (or as) each one ends
    after = np.maximum(reach - np.arange(n) - 1, 0)
    cls, lo, hi = momentary[order], lo[order], hi[order]
    for first in range(0, n, 512):  # pairs in blocks: a storm has many records at once
        block = np.arange(first, min(first + 512, n))
        counts = after[block]
        i = np.repeat(block, counts)
        if not len(i):
            continue
        j = i + 1 + np.arange(len(i)) - np.repeat(np.cumsum(counts) - counts, counts)
        hit = (cls[i] == cls[j]) & (lo[i] < hi[j]) & (lo[j] < hi[i])
        out[order[i[hit]]] = True
        out[order[j[hit]]] = True
    return out


@dataclass(frozen=True)
class MemberModel:
    """The per-member model of a set of closed records (module docstring, "Members hit by a record").

    ``figures``: per record (index ``record_id``) ``member_interruptions`` (:math:`N_i`: merged intervals
    attributed to it plus its unlocated members), ``member_minutes`` (:math:`r_i N_i` [member·min]),
    ``located`` and ``unlocated`` (member interruptions), ``approximate`` (a count-only step on located
    members), ``read_as_part`` (a whole-facility record counting fewer members than its facility serves).
    ``hits``: the ``member_hits`` of the engine for the records asked for: ``member_id`` (service point id;
    negative for an unlocated member, each a distinct unknown member), ``record_id``, ``minutes`` [min].
    """

    figures: pd.DataFrame
    hits: pd.DataFrame


def member_model(
    *,
    session: Session,
    records: pd.DataFrame,
    steps: pd.DataFrame,
    momentary: np.ndarray,
    net: Network,
    hits_for: np.ndarray | None = None,
) -> MemberModel:
    """Replay ``records`` (closed records and their ``steps``: frames of :func:`load_records`; ``momentary``
    their flags) on the network (:func:`outages.power_state.states_of`) and merge each member's dark
    intervals, sustained with sustained and momentary with momentary
    (:func:`outages.power_state.member_intervals`); ``hits_for``: the record ids whose member hits are
    wanted (default all).  See the module docstring."""
    ids = records["record_id"].to_numpy(dtype=np.int64)
    order = np.argsort(ids)
    ids = ids[order]
    flag = np.asarray(momentary, bool)[order]
    rows = _replayable(records, steps, net)
    part_read = [r for r in rows if r.read_as_part]
    states = _states(session, rows, net)
    n = len(ids)
    idx_of = {int(s.record.id): int(k) for s, k in zip(states, np.searchsorted(ids, [s.record.id for s in states]))}
    located = np.zeros(n)
    minutes = np.zeros(n)
    unlocated = np.zeros(n)
    unlocated_minutes = np.zeros(n)
    approximate = np.zeros(n, bool)
    as_part = np.zeros(n, bool)
    as_part[np.searchsorted(ids, [r.id for r in part_read])] = True
    wanted = np.ones(n, bool) if hits_for is None else np.isin(ids, np.asarray(hits_for, np.int64))
    horizon = max((r.restored_at for r in rows if r.restored_at is not None), default=utcnow())
    parts = []
    unknown_rid, unknown_min = [], []
    for kind in (False, True):
        chosen = [s for s in states if bool(flag[idx_of[int(s.record.id)]]) == kind]
        iv = ps.member_intervals(chosen, horizon=horizon, merge=True)
        k = np.searchsorted(ids, iv.record_id)
        mins = iv.minutes
        located += np.bincount(k, minlength=n)
        minutes += np.bincount(k, weights=mins, minlength=n)
        keep = wanted[k]
        parts.append((net.ids[iv.pos[keep]], iv.record_id[keep], mins[keep]))
        for s in chosen:
            i = idx_of[int(s.record.id)]
            approximate[i] = s.approximate
            t0 = s.record.start_at
            for at, count in s.unlocated_steps:
                m = max((min(at, horizon) - t0).total_seconds() / 60.0, 0.0)
                unlocated[i] += count
                unlocated_minutes[i] += count * m
                if wanted[i]:
                    unknown_rid.append(np.full(count, ids[i], np.int64))
                    unknown_min.append(np.full(count, m))
    figures = pd.DataFrame(
        {
            "member_interruptions": located + unlocated,
            "member_minutes": minutes + unlocated_minutes,
            "located": located,
            "unlocated": unlocated,
            "approximate": approximate,
            "read_as_part": as_part,
            "momentary": flag,
        },
        index=pd.Index(ids, name="record_id"),
    )
    u_rid = np.concatenate(unknown_rid) if unknown_rid else np.empty(0, np.int64)
    u_min = np.concatenate(unknown_min) if unknown_min else np.empty(0)
    member = np.concatenate([p[0] for p in parts] + [-1 - np.arange(len(u_rid), dtype=np.int64)])
    hits = pd.DataFrame(
        {
            "member_id": member,
            "record_id": np.concatenate([p[1] for p in parts] + [u_rid]),
            "minutes": np.concatenate([p[2] for p in parts] + [u_min]),
        }
    )
    return MemberModel(figures=figures, hits=hits)


def _states(session: Session, rows: list[_Record], net: Network) -> list[ps.RecordState]:
    """:func:`outages.power_state.states_of` of ``rows``, in their order, kept with the closed log (a record's
    replay is made again only after it changes).  A whole-facility record whose only step is its close reads no
    located or named service points (the replay looks at neither), so it is replayed straight away instead of
    looking them up."""
    log = history.closed_log(session)
    kept: dict[int, ps.RecordState] = log.replays(_token(net)) if log is not None else {}
    todo = [r for r in rows if r.id not in kept]
    simple = [r.extent == "facility" and len(r.steps) <= 1 for r in todo]
    records = cast(list[Interruption], todo)  # a _Record stands in for an Interruption (see _Record)
    looked_up = iter(ps.states_of(session, [r for r, s in zip(records, simple) if not s], net))
    made = {r.id: ps.replay(r, net, ps.EMPTY, {}) if s else next(looked_up) for r, s in zip(records, simple)}
    if log is not None:
        kept.update(made)
    return [kept[r.id] if r.id in kept else made[r.id] for r in rows]


def member_hits(
    *,
    session: Session,
    records: pd.DataFrame,
    steps: pd.DataFrame | None = None,
    net: Network | None = None,
    momentary_max_minutes: float | None = None,
) -> pd.DataFrame:
    """Which member (``member_id``: service point id, negative for an unlocated member) each closed record
    (``record_id``) left dark, for how long (``minutes``), from the network's per-member model: a member
    dark under overlapping records of the same kind is one interruption, the first record's (module
    docstring).  ``records``, ``steps``: frames of :func:`load_records` (the steps are read when not
    given)."""
    if len(records) == 0:
        return pd.DataFrame(
            {"member_id": np.empty(0, np.int64), "record_id": np.empty(0, np.int64), "minutes": np.empty(0)}
        )
    net = net or network(session)
    mmm = get_rule_settings().momentary_max_minutes if momentary_max_minutes is None else momentary_max_minutes
    if steps is None:
        steps = _steps_of(session, records["record_id"].to_numpy(dtype=np.int64))
    return member_model(
        session=session, records=records, steps=steps, momentary=_momentary_of(records, mmm), net=net
    ).hits


def _steps_of(session: Session, record_ids: np.ndarray) -> pd.DataFrame:
    """The restoration steps of these records, as the ``steps`` frame of :func:`load_records`."""
    return history.steps_of(session, record_ids.tolist())


def with_member_figures(records: pd.DataFrame, model: MemberModel) -> pd.DataFrame:
    """``records`` with the model's ``member_interruptions`` and ``member_minutes`` (NA for the records the
    model did not replay: their count and steps stand)."""
    out = records.copy()
    at = model.figures.index.get_indexer(out["record_id"].to_numpy())
    have = at >= 0
    for name in ("member_interruptions", "member_minutes"):
        column = np.full(len(out), np.nan)
        column[have] = model.figures[name].to_numpy()[at[have]]
        out[name] = column
    return out


def _model_notes(model: MemberModel, record_ids: np.ndarray) -> list[str]:
    """Notes on the records of a period: unlocated members, approximate steps, records read as a part."""
    f = model.figures[model.figures.index.isin(record_ids)]
    notes = []
    for kind, label in ((False, "sustained"), (True, "momentary")):
        g = f[f["momentary"] == kind]
        total, unl = float(g["member_interruptions"].sum()), float(g["unlocated"].sum())
        if unl:
            notes.append(
                f"{unl:,.0f} of the {total:,.0f} {label} member interruptions ({unl / total:.1%}) were "
                "unlocated (records on part of a facility without the members named): they count in "
                + ("SAIFI and SAIDI" if not kind else "MAIFI")
                + ", and each counts as a distinct "
                "unknown member in the indices over members"
                + (
                    " (CN and CELID_s are upper bounds, CAIFI and CTAIDI lower bounds, CEMI_n for n >= 1 "
                    "a lower bound)."
                    if not kind
                    else " (MAIFIe and CEMSMI_n)."
                )
            )
    approx = int(f["approximate"].sum())
    if approx:
        notes.append(
            f"{approx:,} record{'s' if approx > 1 else ''} restored located members by count only (old "
            "data or imports): which members came back at each step follows the network order, so the "
            "members' durations (CTAIDI, CELID) are approximate; counts and member-minutes are the "
            "steps'."
        )
    read = int(f["read_as_part"].sum())
    if read:
        notes.append(
            f"{read:,} whole-facility record{'s' if read > 1 else ''} counting fewer members than "
            f"{'their facilities serve' if read > 1 else 'its facility serves'} (old imports): read as that "
            "many unlocated members of the facility, as migration 0010 reads old records. Fix: correct "
            "the record's members or facility."
        )
    return notes


# --------------------------------------------------------------------------------------------------
# indices for a period


@dataclass(frozen=True)
class PeriodIndices:
    """Every index of a period for the system or per group, on all days, normal days and MEDs."""

    start: pd.Timestamp  #: period start (aware)
    end: pd.Timestamp  #: period end, exclusive (aware)
    zone: str  #: the cooperative's zone (local days)
    group_by: str | None
    n: int  #: CEMI_n / CEMSMI_n threshold
    members: MembersServed
    table: pd.DataFrame  #: :func:`outages.indices.indices_by_day_type` output, index (days, group)
    major_event_days: ix.MajorEventDays  #: the MEDs of the period and T_MED
    momentary_max_minutes: float
    notes: list[str]
    celid_s_hours: float = ix.CELID_S_HOURS  #: CELID_s: a single sustained interruption longer than this [h]
    celid_t_hours: float = ix.CELID_T_HOURS  #: CELID_t: sustained interruptions adding up to more than this [h]

    def copy(self) -> PeriodIndices:
        """A copy to change freely; the members served (one per facility layer, never changed) are shared."""
        return dataclasses.replace(
            self, table=self.table.copy(), major_event_days=copy.deepcopy(self.major_event_days), notes=list(self.notes)
        )

    def rows(self, days: str = "all") -> pd.DataFrame:
        """The rows of one day type (``all``, ``normal`` or ``major_event``), indexed by group (none when
        grouping by cause a period without records)."""
        if days not in DAY_TYPES:
            raise InvalidInput(f"days={days!r} is not a day type. Fix: use {', '.join(DAY_TYPES)}.", field="days")
        if days in self.table.index.get_level_values("days"):
            return self.table.xs(days, level="days")
        return self.table.iloc[:0].droplevel("days")


def _check_celid(hours: float, field: str) -> None:
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 8784:
        raise InvalidInput(
            f"{field}={hours!r} is not a duration in hours. Fix: give hours between 0 and 8784 (a leap year), e.g. 8.",
            field=field,
        )


def _records_and_tail(
    session: Session, start: Any, end: pd.Timestamp, feeder_division: dict[str, str | None]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`load_records` of ``[start, end)``, plus the records starting after ``end`` while one of those is
    still dark: the per-member model merges a member's overlapping interruptions across the period's end
    (the engine counts only the period's own records)."""
    records, steps = load_records(session=session, start=start, end=end, feeder_division=feeder_division)
    tail = records["restored"].max() if len(records) else None
    if tail is not None and pd.notna(tail) and tail > end:
        more, more_steps = load_records(session=session, start=end, end=tail, feeder_division=feeder_division)
        if len(more):
            records = pd.concat([records, more], ignore_index=True)
            steps = pd.concat([steps, more_steps], ignore_index=True)
    return records, steps


def _exact(
    session: Session,
    records: pd.DataFrame,
    steps: pd.DataFrame,
    mmm: float,
    net: Network,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
) -> tuple[pd.DataFrame, MemberModel, np.ndarray]:
    """The records with the per-member model's figures, the model (hits of the records starting in
    ``[lo, hi)``) and those records' ids.  Replayed: the period's records and every record that may
    overlap another (the history's too, so that daily SAIDI and T_MED count a member once as well)."""
    momentary = _momentary_of(records, mmm)
    in_period = ((records["start"] >= lo) & (records["start"] < hi)).to_numpy()
    replay = in_period | overlapping(records, momentary, net)
    period_ids = records["record_id"].to_numpy()[in_period]
    model = member_model(
        session=session, records=records[replay], steps=steps, momentary=momentary[replay], net=net, hits_for=period_ids
    )
    return with_member_figures(records, model), model, period_ids


def loss_of_supply(records: pd.DataFrame) -> pd.Series:
    """Which records are loss-of-supply events (EIA-861, IEEE 1366): the supply to the distribution system was
    lost, i.e. the cause is ``power_supply`` or the record is on a transmission line."""
    return (records["cause"] == LOSS_OF_SUPPLY_CAUSE) | (records["transmission_line_id"] >= 0)


def _check_grouping(group_by: str | None) -> None:
    if group_by is not None and group_by not in GROUPINGS:
        raise InvalidInput(
            f"group_by={group_by!r} is not a grouping. Fix: use one of {', '.join(GROUPINGS)}, "
            "or leave it out for the system.",
            field="group_by",
        )


def _momentary(records: pd.DataFrame, momentary_max_minutes: float | None) -> float:
    """The momentary threshold to use; a threshold other than the configured one re-derives every flag."""
    configured = get_rule_settings().momentary_max_minutes
    if momentary_max_minutes is None or momentary_max_minutes == configured:
        return configured
    if momentary_max_minutes <= 0:
        raise InvalidInput(
            "momentary_max_minutes must be positive. Fix: give minutes, e.g. 5 (IEEE 1366).",
            field="momentary_max_minutes",
        )
    records["momentary"] = pd.array([pd.NA] * len(records), dtype="boolean")
    return float(momentary_max_minutes)


def _history_start(session: Session, period_start: pd.Timestamp, tz: str) -> pd.Timestamp:
    first = first_record_start(session=session)
    if first is None:
        return period_start
    return _midnight(pd.Timestamp(first).tz_convert(tz).date(), tz)


def _history_from(period_start: pd.Timestamp, tz: str) -> pd.Timestamp:
    """Earliest start needed for T_MED of a period: local midnight of 1 January five years before."""
    return _midnight(date(period_start.tz_convert(tz).year - HISTORY_YEARS, 1, 1), tz)


def indices_for(
    *,
    session: Session,
    start: Any,
    end: Any,
    group_by: str | None = None,
    zone: Any = None,
    momentary_max_minutes: float | None = None,
    n: int = 3,
    celid_s_hours: float = ix.CELID_S_HOURS,
    celid_t_hours: float = ix.CELID_T_HOURS,
    exclude_loss_of_supply: bool = False,
) -> PeriodIndices:
    """Every index of ``[start, end)`` (system or per group) on all days, normal days and major event days.

    Parameters
    ----------
    session : Session
        Read only.
    start, end : datetime or date
        The period, ``end`` exclusive; naive values and dates are read in the cooperative's zone.
    group_by : {None, "division", "substation", "feeder", "cause"}
        None for the system.
    zone : ZoneInfo or str, optional
        The cooperative's zone for local days (default: ``OUTAGES_TIMEZONE``).
    momentary_max_minutes : float, optional
        D3 threshold [min]; default the configured one (the stored flags are used), another value
        re-derives every record's flag from its duration.
    n : int
        CEMI_n / CEMSMI_n threshold.
    celid_s_hours, celid_t_hours : float
        CELID thresholds [h] (default 8 and 8, see :mod:`outages.indices`).
    exclude_loss_of_supply : bool
        Leave out loss-of-supply records (:func:`loss_of_supply`: cause ``power_supply`` or a transmission-line
        record), as EIA-861's "without major event days and loss of supply" asks.  They are left out after the
        per-member model and the major event day classification: the days stay what they were, and a member
        dark under a loss-of-supply record and an overlapping one counts for the record that left it dark first.

    Returns
    -------
    PeriodIndices
        ``table`` (index ``days`` x group; columns of :func:`outages.indices.compute_indices`), the major
        event days with T_MED, the members served and notes.

    References
    ----------
    IEEE Std 1366-2022; domain brief §4.
    """
    tz = _tz_name(zone)
    lo, hi = _instant(start, tz, "start"), _instant(end, tz, "end")
    if hi <= lo:
        raise InvalidInput(
            f"end {hi.isoformat()} is not after start {lo.isoformat()}. Fix: give an end later "
            "than the start (the end is exclusive: start=2025-01-01&end=2026-01-01 is 2025).",
            field="end",
        )
    _check_grouping(group_by)
    if n < 0:
        raise InvalidInput("n must be 0 or more. Fix: give the CEMI_n threshold, e.g. 3.", field="n")
    _check_celid(celid_s_hours, "celid_s_hours")
    _check_celid(celid_t_hours, "celid_t_hours")
    net = network(session)
    members = members_served(session=session, net=net)
    history_start = _history_start(session, lo, tz)
    implausible = implausible_records(session=session)
    key = (
        "indices",
        _token(net),
        lo.value,
        hi.value,
        tz,
        group_by,
        momentary_max_minutes,
        n,
        celid_s_hours,
        celid_t_hours,
        exclude_loss_of_supply,
        history_start.value,
        implausible,
    )

    def compute() -> tuple[PeriodIndices, pd.Timestamp]:
        records, steps = _records_and_tail(session, min(_history_from(lo, tz), lo), hi, members.feeder_division)
        mmm = _momentary(records, momentary_max_minutes)
        records, model, period_ids = _exact(session, records, steps, mmm, net, lo, hi)
        meds = ix.major_event_days(
            records, steps, members.system, lo, hi, history_start, tz=tz, momentary_max_minutes=mmm
        )
        hits = model.hits
        if exclude_loss_of_supply:
            records = records[~loss_of_supply(records)]
            hits = hits[hits["record_id"].isin(records["record_id"])]
        table = ix.indices_by_day_type(
            records,
            steps,
            members.for_group(group_by),
            lo,
            hi,
            major_event_days=meds.dates,
            group_by=group_by,
            n=n,
            member_hits=hits,
            tz=tz,
            momentary_max_minutes=mmm,
            celid_s_hours=celid_s_hours,
            celid_t_hours=celid_t_hours,
        )
        period = records[(records["start"] >= lo) & (records["start"] < hi)]
        notes = [MEMBERS_NOTE, HITS_NOTE] + _model_notes(model, period_ids) + _implausible_note(implausible)
        if meds.t_med.note:
            notes.append(f"Major event days: {meds.t_med.note}.")
        if exclude_loss_of_supply:
            notes.append(
                "Loss-of-supply records (cause power supply, or on a transmission line) are left out; the major "
                "event days are those of every record."
            )
        if group_by in ("feeder", "substation", "division") and period["feeder"].isna().any():
            notes.append(
                "Transmission-line records have no feeder, substation or division: they count in the system "
                "indices and appear here as (unassigned)."
            )
        result = PeriodIndices(
            start=lo,
            end=hi,
            zone=tz,
            group_by=group_by,
            n=n,
            members=members,
            table=table,
            major_event_days=meds,
            momentary_max_minutes=mmm,
            notes=notes,
            celid_s_hours=celid_s_hours,
            celid_t_hours=celid_t_hours,
        )
        return result, _until(records, hi)

    return history.memo(session, key, compute, PeriodIndices.copy)


# --------------------------------------------------------------------------------------------------
# the annual report


@dataclass(frozen=True)
class AnnualReliability:
    """Everything the annual reliability report shows (workbook and PDF).

    Indices tables carry the columns of :func:`outages.indices.compute_indices` (``saifi`` [1/member],
    ``saidi`` [min], ``caidi`` [min], ``asai`` [-], ``maifi``, ``maifie``, ``caifi``, ``ctaidi``,
    ``cemi_<n>``, ``cemsmi_<n>``, ``celid_s``, ``celid_t``, counts and member-minutes).
    """

    year: int
    zone: str
    period_start: pd.Timestamp  #: local midnight, 1 January
    period_end: pd.Timestamp  #: exclusive: 1 January next year, or the end of yesterday for the current year
    year_to_date: bool
    generated_at: datetime
    members_served: int  #: N_T now (used for every year)
    n: int  #: CEMI_n threshold
    momentary_max_minutes: float
    years: list[int]  #: the year and the four before it, oldest first
    summary: pd.DataFrame  #: index (year, days) -> system indices, plus ``major_event_days`` and ``t_med``
    monthly: pd.DataFrame  #: index month 1..12: saidi, saifi, saidi_normal, saifi_normal, records, member_minutes
    by_cause: pd.DataFrame  #: index (days, cause) with a ``label`` column
    by_division: pd.DataFrame  #: index (days, division)
    meds: dict[int, ix.MajorEventDays]  #: per year: MEDs, their daily SAIDI, T_MED
    worst_one_year: pd.DataFrame  #: :func:`outages.indices.worst_feeders` of the year, normal days
    worst_two_years: pd.DataFrame  #: the same over the year and the one before
    eia861: Eia861  #: Form EIA-861's reliability fields (:func:`outages.regulatory.eia861`)
    pura: PuraWorstFeeders  #: the Texas worst-feeder rule (:func:`outages.regulatory.worst_feeders_pura`)
    notes: list[str]
    celid_s_hours: float = ix.CELID_S_HOURS  #: CELID_s threshold [h]
    celid_t_hours: float = ix.CELID_T_HOURS  #: CELID_t threshold [h]

    @property
    def med(self) -> ix.MajorEventDays:
        """The major event days of the report's year."""
        return self.meds[self.year]

    def system(self, year: int | None = None, days: str = "all") -> pd.Series:
        """The system indices of a year (default the report's) on one day type."""
        return self.summary.loc[(year or self.year, days)]


def _hits_by_year(hits: pd.DataFrame, records: pd.DataFrame, years: list[int], tz: str) -> dict[int, pd.DataFrame]:
    """The member hits of each local year's records (the engine then reads only its own year's)."""
    ids = records["record_id"].to_numpy(dtype=np.int64)
    order = np.argsort(ids)
    year_of = records["start"].dt.tz_convert(tz).dt.year.to_numpy()[order]
    at = np.searchsorted(ids[order], hits["record_id"].to_numpy(dtype=np.int64))
    hit_year = year_of[np.minimum(at, len(ids) - 1)] if len(ids) else np.empty(0, np.int64)
    return {y: hits[hit_year == y] for y in years}


def _worst(records, steps, members: MembersServed, lo, hi, exclude, tz, mmm, fraction) -> pd.DataFrame:
    served = members.feeder[members.feeder > 0]
    out = ix.worst_feeders(
        records,
        steps,
        served,
        lo,
        hi,
        worst_fraction=fraction,
        system_members=members.system,
        exclude_days=exclude,
        tz=tz,
        momentary_max_minutes=mmm,
    )
    out.insert(0, "substation", [members.feeder_substation.get(f) for f in out.index])
    out.insert(1, "division", [members.feeder_division.get(f) for f in out.index])
    return out


def history_note(t: ix.TMed, year: int) -> str | None:
    """The T_MED history of ``year`` in plain words when it is short of five years (None when full)."""
    if t.full_history:
        return None
    words = f"{ix.history_span(t.days)} before {year} (T_MED wants five years)"
    if not math.isfinite(t.value):
        words += ": too few days with interruptions to set T_MED, so no day is a major event day"
    return words


def _memoized_annual(compute_report: Callable[..., AnnualReliability]) -> Callable[..., AnnualReliability]:
    """The annual report's data kept until a change reaches its years (:func:`outages.history.memo`); its
    ``generated_at`` is the call's."""

    @functools.wraps(compute_report)
    def annual(*, session: Session, year: int, zone: Any = None, today: date | None = None, **options: Any):
        tz = _tz_name(zone)
        today = today or utcnow().astimezone(ZoneInfo(tz)).date()
        key = (
            "annual",
            _token(network(session)),
            year,
            tz,
            today,
            tuple(sorted(options.items())),
            first_record_start(session=session),
            implausible_records(session=session),
        )

        def compute() -> tuple[AnnualReliability, pd.Timestamp | None]:
            data = compute_report(session=session, year=year, zone=zone, today=today, **options)
            log = history.closed_log(session)
            if log is None:
                return data, None
            return data, _until(log.records[log.records["start"] < data.period_end], data.period_end)

        return dataclasses.replace(history.memo(session, key, compute), generated_at=utcnow())

    return annual


@_memoized_annual
def annual_reliability(
    *,
    session: Session,
    year: int,
    zone: Any = None,
    momentary_max_minutes: float | None = None,
    n: int = 3,
    worst_fraction: float = 0.10,
    today: date | None = None,
    celid_s_hours: float = ix.CELID_S_HOURS,
    celid_t_hours: float = ix.CELID_T_HOURS,
) -> AnnualReliability:
    """Everything the annual reliability report needs for ``year`` (and the four years before it).

    System indices with and without major event days (all / normal / MED days) for each of the five
    years; monthly SAIDI and SAIFI of the year; indices by cause and by division; the year's major event
    days with daily SAIDI and T_MED; worst-performing feeders over the year and over two years (normal
    days); the EIA-861 reliability items.  A year not over yet is reported to the end of yesterday.

    Parameters
    ----------
    session : Session
        Read only.
    year : int
        The report's year (not after the current one).
    zone : ZoneInfo or str, optional
        The cooperative's zone (default ``OUTAGES_TIMEZONE``).
    momentary_max_minutes : float, optional
        As in :func:`indices_for`.
    n : int
        CEMI_n threshold (default 3).
    worst_fraction : float
        Share of feeders flagged as worst (default 10 %).
    today : date, optional
        Local date taken as today (default: now in the zone).
    celid_s_hours, celid_t_hours : float
        CELID thresholds [h] (default 8 and 8).

    Returns
    -------
    AnnualReliability

    References
    ----------
    IEEE Std 1366-2022; Form EIA-861 (reliability); domain brief §4.
    """
    from outages import regulatory  # builds on indices_for, above

    tz = _tz_name(zone)
    today = today or utcnow().astimezone(ZoneInfo(tz)).date()
    if not isinstance(year, int) or isinstance(year, bool) or year < 1900:
        raise InvalidInput(
            f"year {year!r} is not a calendar year. Fix: give a year such as {today.year - 1}.", field="year"
        )
    latest = today.year if today > date(today.year, 1, 1) else today.year - 1  # a year with a finished day
    if year > latest:
        raise InvalidInput(f"year {year} has no finished day yet. Fix: ask for {latest} or earlier.", field="year")
    years = list(range(year - HISTORY_YEARS + 1, year + 1))
    lo, hi = _year_bounds(year, tz)
    year_to_date = year == today.year
    if year_to_date:
        hi = _midnight(today, tz)
    _check_celid(celid_s_hours, "celid_s_hours")
    _check_celid(celid_t_hours, "celid_t_hours")
    net = network(session)
    members = members_served(session=session, net=net)
    first_lo = _year_bounds(years[0], tz)[0]
    history_start = _history_start(session, first_lo, tz)
    records, steps = _records_and_tail(session, _history_from(first_lo, tz), hi, members.feeder_division)
    mmm = _momentary(records, momentary_max_minutes)
    records, model, _report_ids = _exact(session, records, steps, mmm, net, first_lo, hi)
    hits_of = _hits_by_year(model.hits, records, years, tz)
    celid: _Celid = {"celid_s_hours": celid_s_hours, "celid_t_hours": celid_t_hours}
    nt = members.system

    summary_parts, meds = {}, {}
    for y in years:
        y_lo, y_hi = _year_bounds(y, tz)
        y_hi = min(y_hi, hi)
        meds[y] = ix.major_event_days(records, steps, nt, y_lo, y_hi, history_start, tz=tz, momentary_max_minutes=mmm)
        hits = hits_of[y]
        table = ix.indices_by_day_type(
            records,
            steps,
            nt,
            y_lo,
            y_hi,
            major_event_days=meds[y].dates,
            n=n,
            member_hits=hits,
            tz=tz,
            momentary_max_minutes=mmm,
            **celid,
        ).droplevel(1)
        table["major_event_days"] = len(meds[y].dates)
        table["t_med"] = meds[y].t_med.value
        summary_parts[y] = table
        if y == year:
            year_hits = hits
    summary = pd.concat(summary_parts, names=["year", "days"])

    med_dates = meds[year].dates
    monthly_rows = {}
    for month in range(1, 13):
        m_lo = _midnight(date(year, month, 1), tz)
        m_hi = _midnight(date(year + (month == 12), month % 12 + 1, 1), tz)
        if m_lo >= hi:
            monthly_rows[month] = dict(
                saidi=math.nan,
                saifi=math.nan,
                saidi_normal=math.nan,
                saifi_normal=math.nan,
                sustained_records=0,
                member_minutes=math.nan,
            )
            continue
        t = ix.indices_by_day_type(
            records, steps, nt, m_lo, min(m_hi, hi), major_event_days=med_dates, n=n, tz=tz, momentary_max_minutes=mmm
        ).droplevel(1)
        monthly_rows[month] = dict(
            saidi=t.loc["all", "saidi"],
            saifi=t.loc["all", "saifi"],
            saidi_normal=t.loc["normal", "saidi"],
            saifi_normal=t.loc["normal", "saifi"],
            sustained_records=int(t.loc["all", "sustained_records"]),
            member_minutes=t.loc["all", "member_minutes"],
        )
    monthly = pd.DataFrame.from_dict(monthly_rows, orient="index")
    monthly.index.name = "month"

    by_cause = ix.indices_by_day_type(
        records,
        steps,
        nt,
        lo,
        hi,
        major_event_days=med_dates,
        group_by="cause",
        n=n,
        member_hits=year_hits,
        tz=tz,
        momentary_max_minutes=mmm,
        **celid,
    )
    labels = cause_labels(session=session)
    by_cause.insert(0, "label", [labels.get(c, c) for c in by_cause.index.get_level_values(1)])
    by_division = ix.indices_by_day_type(
        records,
        steps,
        members.division,
        lo,
        hi,
        major_event_days=med_dates,
        group_by="division",
        n=n,
        member_hits=year_hits,
        tz=tz,
        momentary_max_minutes=mmm,
        **celid,
    )

    worst_one = _worst(records, steps, members, lo, hi, med_dates, tz, mmm, worst_fraction)
    two_lo = _year_bounds(year - 1, tz)[0]
    worst_two = _worst(
        records, steps, members, two_lo, hi, list(meds[year - 1].dates) + list(med_dates), tz, mmm, worst_fraction
    )

    in_year = ((records["start"] >= lo) & (records["start"] < hi)).to_numpy()
    notes = (
        [MEMBERS_NOTE, HITS_NOTE]
        + _model_notes(model, records["record_id"].to_numpy()[in_year])
        + _implausible_note(implausible_records(session=session))
    )
    for y in years:
        history = history_note(meds[y].t_med, y)
        if history:
            notes.append(f"Major event days {y}: {history}.")
    if year_to_date:
        notes.append(f"{year} is not over: the report covers 1 January to {(today - timedelta(days=1)).isoformat()}.")
    notes.append(
        "Transmission-line records count in the system indices but belong to no feeder, substation or "
        "division (the (unassigned) row by division)."
    )
    notes.append("Worst-performing feeders are ranked on normal days (major event days left out).")
    return AnnualReliability(
        year=year,
        zone=tz,
        period_start=lo,
        period_end=hi,
        year_to_date=year_to_date,
        generated_at=utcnow(),
        members_served=nt,
        n=n,
        momentary_max_minutes=mmm,
        years=years,
        summary=summary,
        monthly=monthly,
        by_cause=by_cause,
        by_division=by_division,
        meds=meds,
        worst_one_year=worst_one,
        worst_two_years=worst_two,
        eia861=regulatory.eia861(session=session, year=year, zone=tz, today=today),
        pura=regulatory.worst_feeders_pura(session=session, year=year, zone=tz, today=today),
        notes=notes,
        celid_s_hours=celid_s_hours,
        celid_t_hours=celid_t_hours,
    )
