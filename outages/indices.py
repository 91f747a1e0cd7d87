"""Reliability indices (IEEE Std 1366-2022) from interruption records: domain §4, D2, D3 and D12.

Pure, vectorised functions (NumPy/pandas): no database, no ORM.  The service layer reads the records
and hands them over as data frames.

Input model
-----------
``records`` : pandas.DataFrame, one row per interruption record (D1)
    ==========================  ===========================================================================
    ``record_id`` (int)         unique key, referenced by ``steps`` and ``member_hits``
    ``start``                   start of the interruption, timezone-aware (UTC) ``datetime64``
    ``restored``                full restoration (the last member back), timezone-aware; ``NaT`` while open
    ``members_out`` (int)       members interrupted :math:`N_i` [members]
    ``feeder`` (str/None)       feeder identifier (None for a transmission-line record)
    ``substation`` (str/None)   substation identifier
    ``division`` (str/None)     major division
    ``cause`` (str)             cause code
    ``momentary`` (bool)        D3: duration <= 5 min.  Optional; where missing or NA it is derived from
                                ``restored - start <= momentary_max_minutes``
    ``member_interruptions``    optional: the record's :math:`N_i` when the caller knows it better than
                                ``members_out`` (the service layer's per-member model counts a member left
                                dark by two overlapping records once, for the first); NA: ``members_out``
    ``member_minutes``          optional: the record's :math:`r_i N_i` [member·min] likewise; NA: from the
                                steps (D12)
    ==========================  ===========================================================================

    Only the columns an index needs are read (``feeder`` etc. only for grouping and MAIFIe events).
    Open records (``restored`` is NaT) are left out of every index and counted in the ``note``.
    Times are nanosecond timestamps, so they must lie in 1677-2262: :func:`outages.reliability.load_records`
    hands over only records whose times are plausible (``OUTAGES_EARLIEST_DATE`` to the ETR horizon), so
    no stored record, however wrong its dates, reaches this engine out of range.

``steps`` : pandas.DataFrame or None, the restoration steps
    ``record_id``, ``at`` (timezone-aware), ``members_restored`` (int).  Per record the steps add up to
    ``members_out`` and the last one is at ``restored`` (the interruption log keeps them so; not
    checked here).  A record without steps is treated as all its members restored at ``restored``.
    Member-minutes of a record (D12): :math:`\\sum_k n_k (t_k - t_0)` [member·min], real elapsed time
    (DST changes do not distort it).

``members_served`` :math:`N_T`
    An int for the system, or a mapping / Series ``group -> members`` for grouped indices.  The caller
    decides which count stands for a period with a growing membership (the count at the end of the
    period, or the average over it); these functions just take it.

``member_hits`` : pandas.DataFrame or None
    ``member_id``, ``record_id``: which member was interrupted by which record (the service layer builds it
    from the network's per-member model, :mod:`outages.reliability`), and optionally ``minutes``: how long
    that interruption kept the member dark [min].  CAIFI, CTAIDI, CEMI_n and CEMSMI_n count *distinct*
    members and need it; CELID also needs ``minutes``.  Without them they are NaN, with a note.  One row
    is one interruption of one member: rows repeating a (member, record) pair count once (their minutes
    add up).

Choices (documented here once)
------------------------------
* A record belongs to a period, and to a day, by its **start** (IEEE 1366: an interruption counts on
  the day it began).  Periods are half-open ``[period_start, period_end)`` instants; for day-based work
  (major event days) give local midnights, e.g. ``pd.Timestamp("2024-01-01", tz="America/Chicago")``.
* Days are **local** calendar days in the cooperative's zone (``tz``, default America/Chicago): a day of
  a DST change has 23 or 25 hours, and a record's whole member-minutes go to the day it began.
* Sustained records only in SAIFI, SAIDI, CAIDI, ASAI, CAIFI, CTAIDI, CEMI_n and CELID; momentary
  records only in MAIFI and MAIFIe; CEMSMI_n counts sustained interruptions and momentary *events*.
* **CELID** (customers experiencing long interruption durations): CELID_s counts the members with at
  least one sustained interruption *longer than* ``celid_s_hours`` (default 8 h), CELID_t those whose
  sustained interruptions in the period add up to *more than* ``celid_t_hours`` (default 8 h), each over
  :math:`N_T` (strictly longer / more: exactly 8:00 does not count).  IEEE 1366 leaves s and t to the user;
  8 hours is the threshold in regulatory use (the Delaware PSC has utilities report the members with a
  total of more than eight hours of outages in a year: CELID_t with t = 8 h), and the same eight hours
  is used for one interruption (CELID_s; some utilities report 7 h).  Both are parameters
  (``celid_s_hours``, ``celid_t_hours``; the API's query parameters of the same names).  A member's
  interruption is its merged dark interval (:mod:`outages.reliability`): overlapping records make one.
* A **momentary event** (MAIFIe, CEMSMI_n) is the momentary records on the same feeder (a record without
  a feeder uses its substation; with neither it is an event alone) that start within
  ``event_window_minutes`` (default 5, inclusive) of the event's *first* record; the next record after
  the window opens a new event (anchored windows, not chaining).  Members are counted once per event:
  the distinct members hit by the event's records when ``member_hits`` is given, otherwise the largest
  ``members_out`` of its records (reclosing operations on one feeder interrupt the same or nested
  groups of members).  When grouping, an event never spans two groups.
* Major event days: 2.5 beta method (IEEE Std 1366-2022, major event day classification) over the
  daily SAIDI of up to five years before the period, zero days dropped, natural logs, :math:`\\alpha`
  the mean and :math:`\\beta` the **sample** standard deviation (ddof = 1); a day is a MED when its
  SAIDI is strictly greater than :math:`T_{MED}`.

References
----------
IEEE Std 1366-2022, *IEEE Guide for Electric Power Distribution Reliability Indices*.  Domain brief §4
and decisions D2 (duration), D3 (momentary), D12 (member-minutes).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "LOCAL_TZ",
    "GROUPINGS",
    "UNASSIGNED",
    "TMed",
    "MajorEventDays",
    "record_member_minutes",
    "saifi",
    "saidi",
    "caidi",
    "asai",
    "caifi",
    "ctaidi",
    "maifi",
    "maifie",
    "cemi",
    "cemsmi",
    "celid_s",
    "celid_t",
    "momentary_events",
    "compute_indices",
    "daily_saidi",
    "history_span",
    "t_med",
    "major_event_days",
    "indices_by_day_type",
    "worst_feeders",
]

LOCAL_TZ = "America/Chicago"  #: the cooperative's zone (D2)
MOMENTARY_MAX_MINUTES = 5.0  #: D3, IEEE 1366: momentary when the duration is at most this [min]
EVENT_WINDOW_MINUTES = 5.0  #: MAIFIe: momentary records within this of an event's first record [min]
CELID_S_HOURS = 8.0  #: CELID_s: a single sustained interruption longer than this [h]
CELID_T_HOURS = 8.0  #: CELID_t: sustained interruptions adding up to more than this in the period [h]
BETA_MULTIPLIER = 2.5  #: the 2.5 beta method
T_MED_YEARS = 5  #: years of daily SAIDI history used for T_MED
GROUPINGS = ("division", "substation", "feeder", "cause")
UNASSIGNED = "(unassigned)"  #: group label of records whose group column is empty

_NS_PER_MIN = 60_000_000_000
_NAT = np.iinfo(np.int64).min
_BINCOUNT_LIMIT = 4_000_000  # largest dense (group × member) table counted with bincount


# --------------------------------------------------------------------------------------------------
# conversions


def _ns(col: Any) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of a timezone-aware datetime column; NaT -> ``_NAT``."""
    if col is None or len(col) == 0:
        return np.empty(0, np.int64)
    s = col if isinstance(col, (pd.Series, pd.Index)) else pd.Series(col)
    if not isinstance(s.dtype, pd.DatetimeTZDtype):
        if s.dtype == object:
            try:
                s = pd.to_datetime(s)
            except (ValueError, TypeError):
                s = pd.to_datetime(s, utc=True)
        if not isinstance(s.dtype, pd.DatetimeTZDtype):
            raise ValueError(f"timestamps must be timezone-aware (stored in UTC, D2); got dtype {s.dtype}")
    return np.asarray(s.array.as_unit("ns").asi8, dtype=np.int64)


def _instant(value: Any, what: str) -> int:
    """A timezone-aware instant as int nanoseconds since the epoch (UTC)."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"{what} must be timezone-aware, e.g. pd.Timestamp('2024-01-01', tz='{LOCAL_TZ}')")
    return int(ts.as_unit("ns").value)


def _local_date(ns: int, tz: str) -> date:
    return pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert(tz).date()


def _local_midnights(first: date, last: date, tz: str) -> np.ndarray:
    """UTC nanoseconds of local midnight of each day from ``first`` to ``last + 1`` (edges of the days)."""
    naive = pd.date_range(first, last + timedelta(days=1), freq="D")
    aware = naive.tz_localize(tz, ambiguous=np.ones(len(naive), bool), nonexistent="shift_forward")
    return np.asarray(aware.as_unit("ns").asi8, dtype=np.int64)


def _day_ordinals(start_ns: np.ndarray, tz: str) -> np.ndarray:
    """Proleptic ordinal (``date.toordinal``) of the local date each instant falls on."""
    if len(start_ns) == 0:
        return np.empty(0, np.int64)
    first, last = _local_date(int(start_ns.min()), tz), _local_date(int(start_ns.max()), tz)
    edges = _local_midnights(first, last, tz)
    return first.toordinal() + np.searchsorted(edges, start_ns, side="right") - 1


def _as_date(value: Any) -> date:
    return value if type(value) is date else pd.Timestamp(value).date()


def _div(num: Any, den: Any) -> Any:
    """num / den with NaN (not a warning) where den is 0 or NaN."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    ok = np.isfinite(den) & (den != 0)
    np.divide(num, den, out=out, where=ok)
    return out if out.ndim else float(out)


def _system_members(members_served: Any) -> float:
    if isinstance(members_served, (Mapping, pd.Series)):
        raise TypeError(
            "members_served must be one number (N_T of the system) here; "
            "a mapping group -> members is for group_by='division'|'substation'|'feeder'"
        )
    return float(members_served)


# --------------------------------------------------------------------------------------------------
# preparation: the records of a period as arrays, with their member-minutes


@dataclass
class _Prepared:
    records: pd.DataFrame
    rows: np.ndarray  # positions in ``records`` of the closed records kept
    record_id: np.ndarray
    start: np.ndarray  # UTC ns
    members: np.ndarray  # N_i
    momentary: np.ndarray  # bool
    cmi: np.ndarray  # member-minutes of each record [member·min]
    open_records: int
    tz: str
    _days: np.ndarray | None = field(default=None, repr=False)
    _index: pd.Index | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def index(self) -> pd.Index:
        if self._index is None:
            self._index = pd.Index(self.record_id)
            if not self._index.is_unique:
                raise ValueError("records.record_id must be unique")
        return self._index

    @property
    def days(self) -> np.ndarray:
        if self._days is None:
            self._days = _day_ordinals(self.start, self.tz)
        return self._days

    def column(self, name: str) -> pd.Series:
        return self.records[name].take(self.rows)


def _momentary_flags(
    records: pd.DataFrame, rows: np.ndarray, duration_ns: np.ndarray, momentary_max_minutes: float
) -> np.ndarray:
    derived = duration_ns <= momentary_max_minutes * _NS_PER_MIN
    if "momentary" not in records.columns:
        return derived
    col = records["momentary"].take(rows)
    if col.dtype == bool:
        return col.to_numpy()
    given = col.astype("boolean")
    return np.where(given.isna().to_numpy(), derived, given.fillna(False).to_numpy(dtype=bool))


def _prepare(
    records: pd.DataFrame,
    steps: pd.DataFrame | None,
    lo: int | None = None,
    hi: int | None = None,
    *,
    tz: str = LOCAL_TZ,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
) -> _Prepared:
    """The closed records starting in ``[lo, hi)`` with their member-minutes (D12)."""
    if records is None or len(records) == 0:
        empty_i = np.empty(0, np.int64)
        frame = records if records is not None else pd.DataFrame()
        return _Prepared(frame, empty_i, empty_i, empty_i, empty_i, np.empty(0, bool), np.empty(0), 0, tz)
    start = _ns(records["start"])
    restored = _ns(records["restored"])
    in_period = np.ones(len(start), bool)
    if lo is not None:
        in_period &= start >= lo
    if hi is not None:
        in_period &= start < hi
    closed = restored != _NAT
    rows = np.flatnonzero(in_period & closed)
    open_records = int(np.count_nonzero(in_period & ~closed))
    start, restored = start[rows], restored[rows]
    record_id = np.asarray(records["record_id"].to_numpy()[rows])
    members = np.asarray(records["members_out"].to_numpy()[rows], dtype=np.int64)
    given_members = _given(records, "member_interruptions", rows)
    if given_members is not None:
        members = np.where(np.isfinite(given_members), given_members, members).astype(np.int64)
    momentary = _momentary_flags(records, rows, restored - start, momentary_max_minutes)
    p = _Prepared(records, rows, record_id, start, members, momentary, np.empty(0), open_records, tz)

    # member-minutes: sum over steps of n_k (t_k - t_0), or N_i (restored - t_0) without steps
    n = len(rows)
    cmi = np.zeros(n)
    has_steps = np.zeros(n, bool)
    if steps is not None and len(steps) and n:
        pos = p.index.get_indexer(steps["record_id"].to_numpy())
        keep = pos >= 0
        if not keep.all():
            pos = pos[keep]
            at = _ns(steps["at"])[keep]
            restored_n = np.asarray(steps["members_restored"].to_numpy(), dtype=float)[keep]
        else:
            at = _ns(steps["at"])
            restored_n = np.asarray(steps["members_restored"].to_numpy(), dtype=float)
        minutes = (at - start[pos]) / _NS_PER_MIN
        cmi = np.bincount(pos, weights=restored_n * minutes, minlength=n)
        has_steps = np.bincount(pos, minlength=n) > 0
    no_steps = ~has_steps
    cmi[no_steps] = members[no_steps] * ((restored[no_steps] - start[no_steps]) / _NS_PER_MIN)
    given_minutes = _given(records, "member_minutes", rows)
    if given_minutes is not None:
        cmi = np.where(np.isfinite(given_minutes), given_minutes, cmi)
    p.cmi = cmi
    return p


def _given(records: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray | None:
    """An optional per-record figure of the input model as floats (NaN where not given), or None."""
    if name not in records.columns:
        return None
    return pd.to_numeric(records[name].take(rows), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _group_codes(p: _Prepared, group_by: str | None, members_served: Any) -> tuple[list, np.ndarray, np.ndarray]:
    """Group labels, the code of each record (``len(labels)`` for unassigned) and N_T per label."""
    if group_by is None:
        return ["system"], np.zeros(len(p), np.int64), np.array([_system_members(members_served)])
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {GROUPINGS} or None, not {group_by!r}")
    if group_by == "cause":
        nt_system = _system_members(members_served)
        served = None
    else:
        if not isinstance(members_served, (Mapping, pd.Series)):
            raise TypeError(f"members_served must be a mapping {group_by} -> members for group_by={group_by!r}")
        served = pd.Series(members_served, dtype=float)
    if len(p) and group_by in p.records.columns:
        observed_codes, uniques = pd.factorize(p.column(group_by), sort=True)
        uniques = list(uniques)
    elif len(p):
        observed_codes, uniques = np.full(len(p), -1, np.int64), []
    else:
        observed_codes, uniques = np.empty(0, np.int64), []
    labels = list(served.index) if served is not None else []
    known = {label: i for i, label in enumerate(labels)}
    for u in uniques:
        if u not in known:
            known[u] = len(labels)
            labels.append(u)
    remap = np.array([known[u] for u in uniques] + [len(labels)], dtype=np.int64)
    codes = remap[observed_codes]  # -1 -> last entry (unassigned)
    if served is not None:
        nt = served.reindex(labels).to_numpy(dtype=float)
    else:
        nt = np.full(len(labels), nt_system)
    return labels, codes, nt


def _event_keys(p: _Prepared, sel: np.ndarray) -> np.ndarray:
    """The 'same feeder' key of the selected records for momentary events (feeder, else substation)."""
    m = len(sel)
    keys = np.full(m, -1, np.int64)
    offset = 0
    for col in ("feeder", "substation"):
        if col not in p.records.columns or m == 0:
            continue
        codes, uniques = pd.factorize(p.records[col].take(p.rows[sel]))
        todo = (keys < 0) & (codes >= 0)
        keys[todo] = codes[todo] + offset
        offset += len(uniques)
    alone = keys < 0
    keys[alone] = offset + np.arange(np.count_nonzero(alone))
    return keys


def _momentary_events_core(
    group: np.ndarray, key: np.ndarray, start: np.ndarray, window_ns: float
) -> tuple[np.ndarray, np.ndarray]:
    """Event id of each momentary record (anchored windows per group and feeder) and each event's group."""
    m = len(start)
    if m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.lexsort((start, key, group))
    g, k, t = group[order], key[order], start[order]
    new_event = np.ones(m, bool)
    new_event[1:] = (g[1:] != g[:-1]) | (k[1:] != k[:-1]) | ((t[1:] - t[:-1]) > window_ns)
    # a gap > window always opens an event; a chain of small gaps longer than the window is split by
    # anchored windows, which is sequential: done in Python only for those (rare) chains
    begins = np.flatnonzero(new_event)
    ends = np.append(begins[1:], m)
    long = (t[ends - 1] - t[begins]) > window_ns
    for b, e in zip(begins[long].tolist(), ends[long].tolist()):
        anchor = t[b]
        for i in range(b + 1, e):
            if t[i] - anchor > window_ns:
                new_event[i] = True
                anchor = t[i]
    eid_sorted = np.cumsum(new_event) - 1
    eid = np.empty(m, np.int64)
    eid[order] = eid_sorted
    return eid, g[new_event]


def _sorted_unique(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and their counts (a sort: faster here than ``np.unique``'s hash table)."""
    if len(keys) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = np.sort(keys)
    first = np.flatnonzero(np.concatenate(([True], a[1:] != a[:-1])))
    return a[first], np.diff(np.append(first, len(a)))


@dataclass
class _Hits:
    pos: np.ndarray  # position of the record in the prepared arrays
    member: np.ndarray  # member code 0..n_members-1
    n_members: int
    minutes: np.ndarray | None = None  # how long the interruption kept the member dark [min] (CELID)


def _prepare_hits(p: _Prepared, member_hits: pd.DataFrame | None) -> _Hits | None:
    if member_hits is None:
        return None
    timed = "minutes" in member_hits.columns
    if len(member_hits) == 0 or len(p) == 0:
        return _Hits(np.empty(0, np.int64), np.empty(0, np.int64), 1, np.empty(0) if timed else None)
    pos = p.index.get_indexer(member_hits["record_id"].to_numpy())
    keep = pos >= 0
    pos = pos[keep]
    ids = member_hits["member_id"].to_numpy()[keep]
    if len(ids) and np.issubdtype(ids.dtype, np.integer) and int(ids.max()) - int(ids.min()) < 2**31:
        member = ids.astype(np.int64) - int(ids.min())
        n_members = int(member.max()) + 1
    else:
        member, uniques = pd.factorize(ids)
        n_members = max(len(uniques), 1)
    # one row per (record, member): duplicates would count a member twice
    key = pos.astype(np.int64) * n_members + member
    if not timed:
        pair, _ = _sorted_unique(key)
        return _Hits(pair // n_members, pair % n_members, n_members)
    minutes = np.asarray(member_hits["minutes"].to_numpy(dtype=float, na_value=0.0)[keep], dtype=float)
    order = np.argsort(key, kind="stable")
    key, minutes = key[order], minutes[order]
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1]))) if len(key) else np.empty(0, np.int64)
    pair = key[first]
    total = np.add.reduceat(minutes, first) if len(first) else np.empty(0)
    return _Hits(pair // n_members, pair % n_members, n_members, total)


def _count_per_group_member(
    group: np.ndarray, member: np.ndarray, n_groups: int, n_members: int
) -> tuple[np.ndarray, np.ndarray]:
    """(group, count) of each (group, member) pair present, counting repeated pairs."""
    if n_groups * n_members <= max(_BINCOUNT_LIMIT, 2 * len(group)):
        counts = np.bincount(group * n_members + member, minlength=n_groups * n_members)
        present = np.flatnonzero(counts)
        return present // n_members, counts[present]
    uniq, counts = _sorted_unique(group * n_members + member)
    return uniq // n_members, counts


def _sum_per_group_member(
    group: np.ndarray, member: np.ndarray, weights: np.ndarray, n_groups: int, n_members: int
) -> tuple[np.ndarray, np.ndarray]:
    """(group, sum of weights) of each (group, member) pair present."""
    key = group * n_members + member
    if n_groups * n_members <= max(_BINCOUNT_LIMIT, 2 * len(group)):
        counts = np.bincount(key, minlength=n_groups * n_members)
        sums = np.bincount(key, weights=weights, minlength=n_groups * n_members)
        present = np.flatnonzero(counts)
        return present // n_members, sums[present]
    if not len(key):
        return np.empty(0, np.int64), np.empty(0)
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    return key[first] // n_members, np.add.reduceat(weights[order], first)


# --------------------------------------------------------------------------------------------------
# evaluation


def _evaluate(
    p: _Prepared,
    keep: np.ndarray | None,
    labels: list,
    codes: np.ndarray,
    nt: np.ndarray,
    hits: _Hits | None,
    *,
    n: int,
    period_minutes: float,
    event_window_minutes: float,
    celid_s_hours: float = CELID_S_HOURS,
    celid_t_hours: float = CELID_T_HOURS,
) -> pd.DataFrame:
    n_lab = len(labels)
    n_buckets = n_lab + 1  # last bucket: records without a group
    if keep is None:
        keep = np.ones(len(p), bool)
    sus = keep & ~p.momentary
    mom = keep & p.momentary
    c_sus, c_mom = codes[sus], codes[mom]
    ci = np.bincount(c_sus, weights=p.members[sus], minlength=n_buckets)
    cmi = np.bincount(c_sus, weights=p.cmi[sus], minlength=n_buckets)
    n_sus = np.bincount(c_sus, minlength=n_buckets)
    n_mom = np.bincount(c_mom, minlength=n_buckets)
    mi = np.bincount(c_mom, weights=p.members[mom], minlength=n_buckets)

    mom_idx = np.flatnonzero(mom)
    eid, egroup = _momentary_events_core(
        c_mom, _event_keys(p, mom_idx), p.start[mom_idx], event_window_minutes * _NS_PER_MIN
    )
    n_events = len(egroup)
    events = np.bincount(egroup, minlength=n_buckets)

    cn = np.full(n_buckets, np.nan)
    cemi_count = np.full(n_buckets, np.nan)
    cemsmi_count = np.full(n_buckets, np.nan)
    celid_s_count = np.full(n_buckets, np.nan)
    celid_t_count = np.full(n_buckets, np.nan)
    if hits is None:
        # members of an event: the largest record of the event
        ev_members = np.zeros(n_events)
        if n_events:
            np.maximum.at(ev_members, eid, p.members[mom_idx])
        mie = np.bincount(egroup, weights=ev_members, minlength=n_buckets)
    else:
        hk = keep[hits.pos]
        h_pos, h_mem = hits.pos[hk], hits.member[hk]
        h_sus = ~p.momentary[h_pos]
        # sustained: distinct members (CN) and members with more than n interruptions (CEMI_n)
        sg, sm = codes[h_pos[h_sus]], h_mem[h_sus]
        grp, k = _count_per_group_member(sg, sm, n_buckets, hits.n_members)
        cn = np.bincount(grp, minlength=n_buckets).astype(float)
        cemi_count = np.bincount(grp[k > n], minlength=n_buckets).astype(float)
        if hits.minutes is not None:
            # CELID: a single interruption longer than s hours; interruptions adding up to more than t hours
            minutes = hits.minutes[hk][h_sus]
            long = minutes > celid_s_hours * 60.0
            grp_s, _ = _count_per_group_member(sg[long], sm[long], n_buckets, hits.n_members)
            celid_s_count = np.bincount(grp_s, minlength=n_buckets).astype(float)
            grp_t, total = _sum_per_group_member(sg, sm, minutes, n_buckets, hits.n_members)
            celid_t_count = np.bincount(grp_t[total > celid_t_hours * 60.0], minlength=n_buckets).astype(float)
        # momentary: distinct (event, member) pairs
        event_of = np.full(len(p), -1, np.int64)
        event_of[mom_idx] = eid
        he, hm = event_of[h_pos[~h_sus]], h_mem[~h_sus]
        # hits are one per (record, member): only events of several records can hit a member twice
        shared = (np.bincount(eid, minlength=n_events) > 1)[he] if n_events else np.zeros(len(he), bool)
        pairs, _ = _sorted_unique(he[shared] * hits.n_members + hm[shared])
        pe = np.concatenate([he[~shared], pairs // hits.n_members])
        pm = np.concatenate([hm[~shared], pairs % hits.n_members])
        mie = np.bincount(egroup[pe], minlength=n_buckets).astype(float)
        # CEMSMI_n: sustained interruptions plus momentary events per member
        grp2, k2 = _count_per_group_member(
            np.concatenate([sg, egroup[pe]]), np.concatenate([sm, pm]), n_buckets, hits.n_members
        )
        cemsmi_count = np.bincount(grp2[k2 > n], minlength=n_buckets).astype(float)

    nt_b = np.append(nt, np.nan)
    saifi_v, saidi_v = _div(ci, nt_b), _div(cmi, nt_b)
    out = pd.DataFrame(
        {
            "members_served": nt_b,
            "sustained_records": n_sus,
            "momentary_records": n_mom,
            "momentary_events": events,
            "member_interruptions": ci,
            "member_minutes": cmi,
            "momentary_member_interruptions": mi,
            "distinct_members_interrupted": cn,
            "saifi": saifi_v,
            "saidi": saidi_v,
            "caidi": _div(cmi, ci),
            "asai": 1.0 - _div(saidi_v, period_minutes),
            "caifi": _div(ci, cn),
            "ctaidi": _div(cmi, cn),
            "maifi": _div(mi, nt_b),
            "maifie": _div(mie, nt_b),
            f"cemi_{n}": _div(cemi_count, nt_b),
            f"cemsmi_{n}": _div(cemsmi_count, nt_b),
            "celid_s": _div(celid_s_count, nt_b),
            "celid_t": _div(celid_t_count, nt_b),
        },
        index=pd.Index(list(labels) + [UNASSIGNED], dtype=object),
    )
    notes = [[] for _ in range(n_buckets)]
    if hits is None:
        for row in notes:
            row.append(f"member_hits not given: CAIFI, CTAIDI, CEMI_{n}, CEMSMI_{n}, CELID are NaN")
    for i in np.flatnonzero(~np.isfinite(nt) | (nt <= 0)).tolist():
        notes[i].append("no members served given for this group")
    notes[-1].append("records without a group: no members served, indices NaN")
    if p.open_records:
        for row in notes:
            row.append(f"{p.open_records} open record(s) of the period (not restored) left out")
    out["note"] = ["; ".join(row) for row in notes]
    if n_sus[-1] == 0 and n_mom[-1] == 0:
        out = out.iloc[:-1]
    return out


def _compute(
    p: _Prepared,
    members_served: Any,
    period_minutes: float,
    *,
    group_by: str | None,
    n: int,
    member_hits: pd.DataFrame | None,
    keep: np.ndarray | None,
    event_window_minutes: float,
    hits: _Hits | None = None,
    celid_s_hours: float = CELID_S_HOURS,
    celid_t_hours: float = CELID_T_HOURS,
) -> pd.DataFrame:
    labels, codes, nt = _group_codes(p, group_by, members_served)
    if hits is None:
        hits = _prepare_hits(p, member_hits)
    out = _evaluate(
        p,
        keep,
        labels,
        codes,
        nt,
        hits,
        n=n,
        period_minutes=period_minutes,
        event_window_minutes=event_window_minutes,
        celid_s_hours=celid_s_hours,
        celid_t_hours=celid_t_hours,
    )
    out.index.name = group_by or "scope"
    return out


def _day_mask(p: _Prepared, exclude_days: Iterable | None, only_days: Iterable | None) -> np.ndarray | None:
    if exclude_days is None and only_days is None:
        return None
    keep = np.ones(len(p), bool)
    if exclude_days is not None:
        ords = np.array([_as_date(d).toordinal() for d in exclude_days], dtype=np.int64)
        keep &= ~np.isin(p.days, ords)
    if only_days is not None:
        ords = np.array([_as_date(d).toordinal() for d in only_days], dtype=np.int64)
        keep &= np.isin(p.days, ords)
    return keep


# --------------------------------------------------------------------------------------------------
# member-minutes and the individual indices (over the records given: the caller picks the period)


def record_member_minutes(records: pd.DataFrame, steps: pd.DataFrame | None) -> pd.Series:
    """Member-minutes of each record (D12).

    .. math:: MM_i = \\sum_k n_{ik} \\, (t_{ik} - t_{i0})

    Parameters
    ----------
    records : DataFrame
        Interruption records (module docstring).
    steps : DataFrame or None
        Restoration steps; a record without steps counts all members restored at ``restored``.

    Returns
    -------
    Series
        Member-minutes [member·min], indexed like ``records``; NaN for open records.

    References
    ----------
    Domain decision D12; IEEE Std 1366-2022 (customer minutes of interruption, step restoration).
    Example: 10,000 out at 10:00; 4,000 back at 11:30, 5,000 at 14:00, 1,000 at 16:15 give
    4,000×90 + 5,000×240 + 1,000×375 = 1,935,000.
    """
    out = pd.Series(np.nan, index=records.index, dtype=float, name="member_minutes")
    p = _prepare(records, steps)
    out.iloc[p.rows] = p.cmi
    return out


def _prep_all(records: pd.DataFrame, steps: pd.DataFrame | None = None) -> _Prepared:
    return _prepare(records, steps)


def saifi(records: pd.DataFrame, *, members_served: float) -> float:
    """System Average Interruption Frequency Index.

    .. math:: SAIFI = \\frac{\\sum_i N_i}{N_T}

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period (module docstring); only sustained, restored ones count.
    members_served : int
        :math:`N_T` [members].

    Returns
    -------
    float
        Interruptions per member served [1/member]; NaN when :math:`N_T` is 0.

    References
    ----------
    IEEE Std 1366-2022 (SAIFI).  Domain brief §4.
    """
    p = _prep_all(records)
    sus = ~p.momentary
    return _div(p.members[sus].sum(), _system_members(members_served))


def saidi(records: pd.DataFrame, *, steps: pd.DataFrame | None, members_served: float) -> float:
    """System Average Interruption Duration Index.

    .. math:: SAIDI = \\frac{\\sum_i r_i N_i}{N_T}

    with :math:`r_i N_i` the member-minutes of sustained record :math:`i`, step restoration counted (D12).

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    steps : DataFrame or None
        Restoration steps.
    members_served : int
        :math:`N_T` [members].

    Returns
    -------
    float
        Minutes of interruption per member served [min].

    References
    ----------
    IEEE Std 1366-2022 (SAIDI).  Domain brief §4, D12.
    """
    p = _prepare(records, steps)
    return _div(p.cmi[~p.momentary].sum(), _system_members(members_served))


def caidi(records: pd.DataFrame, *, steps: pd.DataFrame | None) -> float:
    """Customer (member) Average Interruption Duration Index.

    .. math:: CAIDI = \\frac{\\sum_i r_i N_i}{\\sum_i N_i} = \\frac{SAIDI}{SAIFI}

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    steps : DataFrame or None
        Restoration steps.

    Returns
    -------
    float
        Average minutes to restore an interrupted member [min]; NaN without sustained interruptions.

    References
    ----------
    IEEE Std 1366-2022 (CAIDI).
    """
    p = _prepare(records, steps)
    sus = ~p.momentary
    return _div(p.cmi[sus].sum(), p.members[sus].sum())


def asai(records: pd.DataFrame, *, steps: pd.DataFrame | None, members_served: float, period_minutes: float) -> float:
    """Average Service Availability Index.

    .. math:: ASAI = \\frac{N_T T - \\sum_i r_i N_i}{N_T T} = 1 - \\frac{SAIDI}{T}

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    steps : DataFrame or None
        Restoration steps.
    members_served : int
        :math:`N_T` [members].
    period_minutes : float
        Length of the period :math:`T` [min] (525,600 for a 365-day year, 527,040 for a leap year).

    Returns
    -------
    float
        Fraction of member-time with service [-].

    References
    ----------
    IEEE Std 1366-2022 (ASAI).
    """
    return 1.0 - _div(saidi(records, steps=steps, members_served=members_served), period_minutes)


def caifi(records: pd.DataFrame, *, member_hits: pd.DataFrame | None) -> float:
    """Customer (member) Average Interruption Frequency Index.

    .. math:: CAIFI = \\frac{\\sum_i N_i}{CN}

    :math:`CN` = distinct members with at least one sustained interruption.

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    member_hits : DataFrame or None
        ``member_id``, ``record_id``; NaN is returned without it.

    Returns
    -------
    float
        Interruptions per interrupted member [1/member].

    References
    ----------
    IEEE Std 1366-2022 (CAIFI).
    """
    row = _compute(
        _prep_all(records),
        1,
        math.nan,
        group_by=None,
        n=0,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=EVENT_WINDOW_MINUTES,
    )
    return float(row["caifi"].iloc[0])


def ctaidi(records: pd.DataFrame, *, steps: pd.DataFrame | None, member_hits: pd.DataFrame | None) -> float:
    """Customer (member) Total Average Interruption Duration Index.

    .. math:: CTAIDI = \\frac{\\sum_i r_i N_i}{CN}

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    steps : DataFrame or None
        Restoration steps.
    member_hits : DataFrame or None
        ``member_id``, ``record_id``; NaN is returned without it.

    Returns
    -------
    float
        Minutes of interruption per interrupted member [min].

    References
    ----------
    IEEE Std 1366-2022 (CTAIDI).
    """
    row = _compute(
        _prepare(records, steps),
        1,
        math.nan,
        group_by=None,
        n=0,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=EVENT_WINDOW_MINUTES,
    )
    return float(row["ctaidi"].iloc[0])


def maifi(records: pd.DataFrame, *, members_served: float) -> float:
    """Momentary Average Interruption Frequency Index.

    .. math:: MAIFI = \\frac{\\sum_j IM_j N_{mj}}{N_T}

    summed over momentary records :math:`j` (each one interruption of :math:`N_{mj}` members).

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period; only momentary ones count (D3).
    members_served : int
        :math:`N_T` [members].

    Returns
    -------
    float
        Momentary interruptions per member served [1/member].

    References
    ----------
    IEEE Std 1366-2022 (MAIFI).
    """
    p = _prep_all(records)
    return _div(p.members[p.momentary].sum(), _system_members(members_served))


def maifie(
    records: pd.DataFrame,
    *,
    members_served: float,
    member_hits: pd.DataFrame | None = None,
    event_window_minutes: float = EVENT_WINDOW_MINUTES,
) -> float:
    """Momentary Average Interruption Event Frequency Index.

    .. math:: MAIFI_E = \\frac{\\sum_e IM_E N_{me}}{N_T}

    summed over momentary events :math:`e` (module docstring: records on one feeder starting within
    ``event_window_minutes`` of the event's first record), members counted once per event.

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period; only momentary ones count.
    members_served : int
        :math:`N_T` [members].
    member_hits : DataFrame, optional
        When given, an event's members are the distinct members its records hit; otherwise the largest
        ``members_out`` among its records.
    event_window_minutes : float
        Event window [min], default 5.

    Returns
    -------
    float
        Momentary events per member served [1/member].

    References
    ----------
    IEEE Std 1366-2022 (MAIFI_E).
    """
    row = _compute(
        _prep_all(records),
        _system_members(members_served),
        math.nan,
        group_by=None,
        n=0,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=event_window_minutes,
    )
    return float(row["maifie"].iloc[0])


def cemi(records: pd.DataFrame, n: int, *, members_served: float, member_hits: pd.DataFrame | None) -> float:
    """Customers (members) Experiencing Multiple Interruptions.

    .. math:: CEMI_n = \\frac{CN_{(k > n)}}{N_T}

    :math:`CN_{(k>n)}` = members with more than :math:`n` sustained interruptions in the period.

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    n : int
        Threshold: members with *more than* ``n`` interruptions count.
    members_served : int
        :math:`N_T` [members].
    member_hits : DataFrame or None
        ``member_id``, ``record_id``; NaN is returned without it.

    Returns
    -------
    float
        Share of members served [-].

    References
    ----------
    IEEE Std 1366-2022 (CEMI_n).
    """
    row = _compute(
        _prep_all(records),
        _system_members(members_served),
        math.nan,
        group_by=None,
        n=n,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=EVENT_WINDOW_MINUTES,
    )
    return float(row[f"cemi_{n}"].iloc[0])


def cemsmi(
    records: pd.DataFrame,
    n: int,
    *,
    members_served: float,
    member_hits: pd.DataFrame | None,
    event_window_minutes: float = EVENT_WINDOW_MINUTES,
) -> float:
    """Customers (members) Experiencing Multiple Sustained and Momentary Interruption events.

    .. math:: CEMSMI_n = \\frac{CNT_{(k > n)}}{N_T}

    :math:`k` counts a member's sustained interruptions plus the momentary *events* that hit it (several
    records of one event count once).

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period (sustained and momentary).
    n : int
        Threshold: members with more than ``n`` count.
    members_served : int
        :math:`N_T` [members].
    member_hits : DataFrame or None
        ``member_id``, ``record_id``; NaN is returned without it.
    event_window_minutes : float
        Momentary event window [min], default 5.

    Returns
    -------
    float
        Share of members served [-].

    References
    ----------
    IEEE Std 1366-2022 (CEMSMI_n).
    """
    row = _compute(
        _prep_all(records),
        _system_members(members_served),
        math.nan,
        group_by=None,
        n=n,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=event_window_minutes,
    )
    return float(row[f"cemsmi_{n}"].iloc[0])


def celid_s(
    records: pd.DataFrame, *, members_served: float, member_hits: pd.DataFrame | None, hours: float = CELID_S_HOURS
) -> float:
    """Customers (members) Experiencing Long Interruption Durations, single interruption.

    .. math:: CELID_s = \\frac{CN_{(r > s)}}{N_T}

    :math:`CN_{(r>s)}` = members with at least one sustained interruption longer than :math:`s` hours.

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    members_served : int
        :math:`N_T` [members].
    member_hits : DataFrame or None
        ``member_id``, ``record_id``, ``minutes`` (how long that record kept the member dark [min]); NaN
        without them.
    hours : float
        :math:`s` [h], default 8: strictly longer counts.

    Returns
    -------
    float
        Share of members served [-].

    References
    ----------
    IEEE Std 1366-2022 (CELID-s).
    """
    row = _compute(
        _prep_all(records),
        _system_members(members_served),
        math.nan,
        group_by=None,
        n=0,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=EVENT_WINDOW_MINUTES,
        celid_s_hours=hours,
    )
    return float(row["celid_s"].iloc[0])


def celid_t(
    records: pd.DataFrame, *, members_served: float, member_hits: pd.DataFrame | None, hours: float = CELID_T_HOURS
) -> float:
    """Customers (members) Experiencing Long Interruption Durations, total duration.

    .. math:: CELID_t = \\frac{CN_{(\\sum r > t)}}{N_T}

    :math:`CN_{(\\sum r>t)}` = members whose sustained interruptions in the period add up to more than
    :math:`t` hours.

    Parameters
    ----------
    records : DataFrame
        Interruption records of the period.
    members_served : int
        :math:`N_T` [members].
    member_hits : DataFrame or None
        ``member_id``, ``record_id``, ``minutes``; NaN without them.
    hours : float
        :math:`t` [h], default 8: strictly more counts.

    Returns
    -------
    float
        Share of members served [-].

    References
    ----------
    IEEE Std 1366-2022 (CELID-t).
    """
    row = _compute(
        _prep_all(records),
        _system_members(members_served),
        math.nan,
        group_by=None,
        n=0,
        member_hits=member_hits,
        keep=None,
        event_window_minutes=EVENT_WINDOW_MINUTES,
        celid_t_hours=hours,
    )
    return float(row["celid_t"].iloc[0])


def momentary_events(
    records: pd.DataFrame,
    *,
    event_window_minutes: float = EVENT_WINDOW_MINUTES,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
) -> pd.Series:
    """Momentary event number of each momentary record (the grouping behind MAIFIe).

    Records on the same feeder (else substation) starting within ``event_window_minutes`` (inclusive) of
    the event's first record form one event; the first record after the window opens the next.

    Parameters
    ----------
    records : DataFrame
        Interruption records.
    event_window_minutes : float
        Event window [min], default 5.
    momentary_max_minutes : float
        Momentary threshold [min] where ``momentary`` is missing (D3).

    Returns
    -------
    Series
        Event number (0, 1, ...), indexed like the momentary closed records of ``records``.

    References
    ----------
    IEEE Std 1366-2022 (momentary interruption event; MAIFI_E).
    """
    p = _prepare(records, None, momentary_max_minutes=momentary_max_minutes)
    idx = np.flatnonzero(p.momentary)
    eid, _ = _momentary_events_core(
        np.zeros(len(idx), np.int64), _event_keys(p, idx), p.start[idx], event_window_minutes * _NS_PER_MIN
    )
    return pd.Series(eid, index=records.index[p.rows[idx]], name="event")


# --------------------------------------------------------------------------------------------------
# all indices for a period


def compute_indices(
    records: pd.DataFrame,
    steps: pd.DataFrame | None,
    members_served: Any,
    period_start: Any,
    period_end: Any,
    *,
    group_by: str | None = None,
    n: int = 3,
    member_hits: pd.DataFrame | None = None,
    exclude_days: Iterable | None = None,
    only_days: Iterable | None = None,
    tz: str = LOCAL_TZ,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
    event_window_minutes: float = EVENT_WINDOW_MINUTES,
    celid_s_hours: float = CELID_S_HOURS,
    celid_t_hours: float = CELID_T_HOURS,
) -> pd.DataFrame:
    """Every reliability index of a period, for the system or per group.

    .. math::

        SAIFI = \\frac{\\sum N_i}{N_T},\\quad SAIDI = \\frac{\\sum r_i N_i}{N_T},\\quad
        CAIDI = \\frac{SAIDI}{SAIFI},\\quad ASAI = 1 - \\frac{SAIDI}{T},\\quad
        CAIFI = \\frac{\\sum N_i}{CN},\\quad CTAIDI = \\frac{\\sum r_i N_i}{CN},

        MAIFI = \\frac{\\sum IM_j N_{mj}}{N_T},\\quad MAIFI_E = \\frac{\\sum IM_E N_{me}}{N_T},\\quad
        CEMI_n = \\frac{CN_{(k>n)}}{N_T},\\quad CEMSMI_n = \\frac{CNT_{(k>n)}}{N_T},\\quad
        CELID_s = \\frac{CN_{(r > s)}}{N_T},\\quad CELID_t = \\frac{CN_{(\\sum r > t)}}{N_T}

    Parameters
    ----------
    records, steps : DataFrame
        Interruption records and restoration steps (module docstring).  A record belongs to the period
        when ``period_start <= start < period_end``; it contributes its full member-minutes.
    members_served : int or mapping
        :math:`N_T` [members]: an int for the system and for ``group_by="cause"`` (whose denominator is
        the system's), a mapping / Series group -> members for division, substation or feeder.
    period_start, period_end : timezone-aware datetime
        The period ``[period_start, period_end)``; :math:`T` = its length [min].
    group_by : {None, "division", "substation", "feeder", "cause"}
        None for one row for the system.  Groups in ``members_served`` without records get zeros;
        records whose group is empty go to a row labelled :data:`UNASSIGNED` (indices NaN).
    n : int
        Threshold of CEMI_n and CEMSMI_n (default 3).
    member_hits : DataFrame, optional
        ``member_id``, ``record_id`` (and ``minutes`` for CELID); without it CAIFI, CTAIDI, CEMI_n,
        CEMSMI_n and CELID are NaN (noted).
    exclude_days, only_days : iterable of dates, optional
        Leave out the records that began on these local days (e.g. major event days), or keep only them.
    tz : str
        The cooperative's zone for local days (default America/Chicago).
    momentary_max_minutes, event_window_minutes : float
        D3 threshold where ``momentary`` is missing [min]; MAIFIe event window [min].
    celid_s_hours, celid_t_hours : float
        CELID thresholds [h]: a single sustained interruption longer than ``celid_s_hours``; sustained
        interruptions adding up to more than ``celid_t_hours`` in the period (default 8 and 8).

    Returns
    -------
    DataFrame
        One row per group (index ``scope`` = "system", or the group), columns: ``members_served``
        [members], ``sustained_records``, ``momentary_records``, ``momentary_events``,
        ``member_interruptions`` :math:`\\sum N_i` [members], ``member_minutes`` :math:`\\sum r_i N_i`
        [member·min], ``momentary_member_interruptions`` [members], ``distinct_members_interrupted``
        :math:`CN` [members], ``saifi`` [1/member], ``saidi`` [min], ``caidi`` [min], ``asai`` [-],
        ``caifi`` [1/member], ``ctaidi`` [min], ``maifi`` [1/member], ``maifie`` [1/member],
        ``cemi_<n>`` [-], ``cemsmi_<n>`` [-], ``celid_s`` [-], ``celid_t`` [-], ``note``.  With no
        records: SAIFI, SAIDI, MAIFI 0, ASAI 1, CAIDI (0/0) NaN.  ``attrs`` holds the period, ``n`` and the
        CELID thresholds.

    References
    ----------
    IEEE Std 1366-2022 (basic indices); domain brief §4, D2, D3, D12.
    """
    lo, hi = _instant(period_start, "period_start"), _instant(period_end, "period_end")
    p = _prepare(records, steps, lo, hi, tz=tz, momentary_max_minutes=momentary_max_minutes)
    out = _compute(
        p,
        members_served,
        (hi - lo) / _NS_PER_MIN,
        group_by=group_by,
        n=n,
        member_hits=member_hits,
        keep=_day_mask(p, exclude_days, only_days),
        event_window_minutes=event_window_minutes,
        celid_s_hours=celid_s_hours,
        celid_t_hours=celid_t_hours,
    )
    out.attrs.update(
        period_start=pd.Timestamp(period_start),
        period_end=pd.Timestamp(period_end),
        n=n,
        celid_s_hours=celid_s_hours,
        celid_t_hours=celid_t_hours,
    )
    return out


# --------------------------------------------------------------------------------------------------
# daily SAIDI and major event days


def history_span(days: int) -> str:
    """A length of history in plain words: "no history", "274 days of history", "2 years and 30 days of
    history" (a year is 365 days here)."""
    if days <= 0:
        return "no history"
    whole, rest = divmod(days, 365)
    parts = [f"{whole} year{'s' if whole != 1 else ''}"] if whole else []
    if rest or not parts:
        parts.append(f"{rest} day{'s' if rest != 1 else ''}")
    return " and ".join(parts) + " of history"


def daily_saidi(
    records: pd.DataFrame,
    steps: pd.DataFrame | None,
    members_served: float,
    start: Any,
    end: Any,
    *,
    tz: str = LOCAL_TZ,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
) -> pd.Series:
    """SAIDI of each local day; an interruption counts on the local day it began.

    .. math:: SAIDI_d = \\frac{\\sum_{i:\\, start_i \\in d} r_i N_i}{N_T}

    Parameters
    ----------
    records, steps : DataFrame
        Interruption records and restoration steps; sustained records starting in ``[start, end)``.
    members_served : int
        :math:`N_T` [members] used for every day.
    start, end : timezone-aware datetime
        The span; days are the local dates from that of ``start`` to that of the last instant before
        ``end``, every day present (zero when nothing began on it).
    tz : str
        The cooperative's zone (default America/Chicago); DST days have 23 or 25 hours.

    Returns
    -------
    Series
        Daily SAIDI [min], indexed by local date (``datetime.date``, index name ``local_date``).

    References
    ----------
    IEEE Std 1366-2022 (daily SAIDI for major event days); domain brief §4.
    """
    lo, hi = _instant(start, "start"), _instant(end, "end")
    p = _prepare(records, steps, lo, hi, tz=tz, momentary_max_minutes=momentary_max_minutes)
    first, last = _local_date(lo, tz), _local_date(hi - 1, tz)
    n_days = (last - first).days + 1
    sus = ~p.momentary
    if n_days <= 0:
        return pd.Series([], index=pd.Index([], name="local_date", dtype=object), dtype=float, name="saidi")
    cmi = np.bincount(p.days[sus] - first.toordinal(), weights=p.cmi[sus], minlength=n_days)
    index = pd.Index([first + timedelta(days=i) for i in range(n_days)], name="local_date", dtype=object)
    return pd.Series(_div(cmi, _system_members(members_served)), index=index, name="saidi")


@dataclass(frozen=True)
class TMed:
    """Major event day threshold and the history it came from (2.5 beta method)."""

    value: float  #: T_MED [min]; NaN when fewer than two non-zero days
    alpha: float  #: mean of ln(daily SAIDI) over non-zero days
    beta: float  #: sample standard deviation (ddof=1) of ln(daily SAIDI)
    first_day: date | None  #: first local day of the history used
    last_day: date | None  #: last local day of the history used
    days: int  #: days of history used (zero days included)
    nonzero_days: int  #: days with SAIDI > 0 (those in the logs)
    years: float  #: days / 365.25
    full_history: bool  #: True when the five years before the period were all available
    note: str | None = None


def t_med(
    daily_saidi_history: pd.Series,
    *,
    period_start: Any = None,
    years: int = T_MED_YEARS,
    beta_multiplier: float = BETA_MULTIPLIER,
) -> TMed:
    """Major event day threshold by the 2.5 beta method.

    .. math::

        \\alpha = \\overline{\\ln SAIDI_d},\\quad
        \\beta = \\sqrt{\\frac{\\sum_d (\\ln SAIDI_d - \\alpha)^2}{D - 1}},\\quad
        T_{MED} = e^{\\alpha + 2.5 \\beta}

    over the :math:`D` days with :math:`SAIDI_d > 0` of the (up to) ``years`` years before the period.

    Parameters
    ----------
    daily_saidi_history : Series
        Daily SAIDI [min] indexed by local date (as from :func:`daily_saidi`), zero days included so that
        the length of the history is known; NaN days are dropped.
    period_start : date-like, optional
        First local day of the period the threshold is for (a ``date``; for a timestamp, its own calendar
        date): the days from ``period_start - years`` to the day before are used.  Default: the day after
        the last day of the history.
    years : int
        Years of history (default 5).
    beta_multiplier : float
        2.5 in the 2.5 beta method.

    Returns
    -------
    TMed
        :math:`T_{MED}` [min], :math:`\\alpha`, :math:`\\beta`, the days/years of history used and a note
        when fewer than ``years`` years were available (or fewer than two non-zero days: NaN).

    References
    ----------
    IEEE Std 1366-2022 (major event day identification, 2.5 beta method).  Choices: sample standard
    deviation; local days (domain brief §4).
    """
    s = pd.Series(daily_saidi_history, dtype=float).dropna()
    days_index = [_as_date(d) for d in s.index]
    if period_start is not None:
        end = _as_date(period_start)
    elif days_index:
        end = max(days_index) + timedelta(days=1)
    else:
        end = None
    window_start = (pd.Timestamp(end) - pd.DateOffset(years=years)).date() if end is not None else None
    used = np.array([window_start <= d < end for d in days_index], bool) if days_index else np.zeros(0, bool)
    values = s.to_numpy()[used]
    used_days = [d for d, u in zip(days_index, used) if u]
    first = min(used_days) if used_days else None
    last = max(used_days) if used_days else None
    n_days = (last - first).days + 1 if used_days else 0
    full = bool(used_days) and first <= window_start
    logs = np.log(values[values > 0])
    notes = []
    if not full:
        notes.append(f"{history_span(n_days)} before {end}, fewer than {years} years")
    if len(logs) >= 2:
        alpha, beta = float(logs.mean()), float(logs.std(ddof=1))
        value = math.exp(alpha + beta_multiplier * beta)
    else:
        alpha = float(logs.mean()) if len(logs) else math.nan
        beta = value = math.nan
        notes.append("fewer than two days with SAIDI > 0: T_MED undefined, no major event days")
    return TMed(
        value=value,
        alpha=alpha,
        beta=beta,
        first_day=first,
        last_day=last,
        days=n_days,
        nonzero_days=int(len(logs)),
        years=n_days / 365.25,
        full_history=full,
        note="; ".join(notes) or None,
    )


@dataclass(frozen=True)
class MajorEventDays:
    """Major event days of a period (2.5 beta method)."""

    t_med: TMed  #: the threshold and its history
    daily_saidi: pd.Series  #: SAIDI [min] of every local day of the period
    days: pd.DataFrame  #: the MEDs: index local date, columns ``saidi`` [min], ``t_med`` [min]

    @property
    def dates(self) -> list[date]:
        """The major event days (local dates)."""
        return list(self.days.index)


def major_event_days(
    records: pd.DataFrame,
    steps: pd.DataFrame | None,
    members_served: float,
    period_start: Any,
    period_end: Any,
    history_start: Any,
    *,
    tz: str = LOCAL_TZ,
    years: int = T_MED_YEARS,
    beta_multiplier: float = BETA_MULTIPLIER,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
) -> MajorEventDays:
    """Major event days of a period: local days whose SAIDI exceeds :math:`T_{MED}`.

    .. math:: MED = \\{ d : SAIDI_d > T_{MED} \\},\\quad T_{MED} = e^{\\alpha + 2.5\\beta}

    :math:`T_{MED}` comes from the daily SAIDI of ``[max(history_start, period_start - years), period_start)``
    (see :func:`t_med`), all days computed with the same :math:`N_T`.

    Parameters
    ----------
    records, steps : DataFrame
        Interruption records and restoration steps of the history and the period.
    members_served : int
        :math:`N_T` [members].
    period_start, period_end : timezone-aware datetime
        The period (local midnights recommended).
    history_start : timezone-aware datetime
        Start of the available history (local midnight recommended); at most ``years`` years are used.
    tz : str
        The cooperative's zone (default America/Chicago).
    years, beta_multiplier : int, float
        5 and 2.5 by default.

    Returns
    -------
    MajorEventDays
        ``t_med`` (value, alpha, beta, history used, note), ``daily_saidi`` of the period, ``days`` (the MEDs
        with their SAIDI and T_MED) and ``dates``.

    References
    ----------
    IEEE Std 1366-2022 (major event day classification).  Domain brief §4.
    """
    lo, hi = _instant(period_start, "period_start"), _instant(period_end, "period_end")
    h0 = _instant(history_start, "history_start")
    p_date = _local_date(lo, tz)
    window = pd.Timestamp(p_date) - pd.DateOffset(years=years)
    window_ns = _instant(window.tz_localize(tz, ambiguous=True, nonexistent="shift_forward"), "window")
    h0 = max(h0, window_ns) if h0 < lo else lo
    daily = daily_saidi(
        records,
        steps,
        members_served,
        pd.Timestamp(h0, unit="ns", tz="UTC"),
        pd.Timestamp(hi, unit="ns", tz="UTC"),
        tz=tz,
        momentary_max_minutes=momentary_max_minutes,
    )
    in_period = np.array([d >= p_date for d in daily.index], bool)
    history, period = daily[~in_period], daily[in_period]
    threshold = t_med(history, period_start=p_date, years=years, beta_multiplier=beta_multiplier)
    meds = period[period > threshold.value] if np.isfinite(threshold.value) else period.iloc[:0]
    days = pd.DataFrame({"saidi": meds, "t_med": threshold.value}, index=meds.index)
    return MajorEventDays(t_med=threshold, daily_saidi=period, days=days)


def indices_by_day_type(
    records: pd.DataFrame,
    steps: pd.DataFrame | None,
    members_served: Any,
    period_start: Any,
    period_end: Any,
    *,
    major_event_days: Iterable,
    group_by: str | None = None,
    n: int = 3,
    member_hits: pd.DataFrame | None = None,
    tz: str = LOCAL_TZ,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
    event_window_minutes: float = EVENT_WINDOW_MINUTES,
    celid_s_hours: float = CELID_S_HOURS,
    celid_t_hours: float = CELID_T_HOURS,
) -> pd.DataFrame:
    """Every index on all days, on normal days (major event days removed) and on major event days only.

    Same formulas as :func:`compute_indices`; the records are split by the local day they began.  ASAI
    uses the whole period length :math:`T` in every row, so the SAIFI/SAIDI/MAIFI parts add up:
    :math:`SAIDI_{all} = SAIDI_{normal} + SAIDI_{MED}`.  Indices over distinct members (CAIFI, CTAIDI,
    CEMI_n, CEMSMI_n, CELID) do not add up, and momentary events are formed within each part (an event that
    crosses midnight into a major event day is split).

    Parameters
    ----------
    records, steps, members_served, period_start, period_end, group_by, n, member_hits, tz
        As in :func:`compute_indices`.
    celid_s_hours, celid_t_hours : float
        As in :func:`compute_indices`.
    major_event_days : iterable of dates
        The MEDs (e.g. ``major_event_days(...).dates``).

    Returns
    -------
    DataFrame
        The columns of :func:`compute_indices`, index (``days``, scope/group) with ``days`` in
        ``"all"``, ``"normal"``, ``"major_event"``.

    References
    ----------
    IEEE Std 1366-2022 (indices reported with and without major event days).
    """
    lo, hi = _instant(period_start, "period_start"), _instant(period_end, "period_end")
    p = _prepare(records, steps, lo, hi, tz=tz, momentary_max_minutes=momentary_max_minutes)
    hits = _prepare_hits(p, member_hits)
    meds = list(major_event_days)
    is_med = _day_mask(p, None, meds)
    frames = {}
    for label, keep in (("all", None), ("normal", ~is_med), ("major_event", is_med)):
        frames[label] = _compute(
            p,
            members_served,
            (hi - lo) / _NS_PER_MIN,
            group_by=group_by,
            n=n,
            member_hits=None,
            hits=hits,
            keep=keep,
            event_window_minutes=event_window_minutes,
            celid_s_hours=celid_s_hours,
            celid_t_hours=celid_t_hours,
        )
    out = pd.concat(frames, names=["days"])
    out.attrs.update(
        period_start=pd.Timestamp(period_start),
        period_end=pd.Timestamp(period_end),
        n=n,
        major_event_days=meds,
        celid_s_hours=celid_s_hours,
        celid_t_hours=celid_t_hours,
    )
    return out


# --------------------------------------------------------------------------------------------------
# worst-performing feeders


def worst_feeders(
    records: pd.DataFrame,
    steps: pd.DataFrame | None,
    feeder_members: pd.Series,
    period_start: Any,
    period_end: Any,
    *,
    worst_fraction: float = 0.10,
    min_members: int = 10,
    multiples: tuple[float, ...] = (2.0, 3.0),
    system_members: float | None = None,
    exclude_days: Iterable | None = None,
    tz: str = LOCAL_TZ,
    momentary_max_minutes: float = MOMENTARY_MAX_MINUTES,
) -> pd.DataFrame:
    """Feeders ranked by SAIDI and by SAIFI against the system average.

    .. math::

        SAIDI_f = \\frac{\\sum_{i \\in f} r_i N_i}{N_f},\\quad SAIFI_f = \\frac{\\sum_{i \\in f} N_i}{N_f},
        \\quad \\text{flag when } SAIDI_f > m \\cdot SAIDI_{sys} \\text{ and } N_f \\ge 10

    Parameters
    ----------
    records, steps : DataFrame
        Interruption records and restoration steps (sustained records starting in the period).
    feeder_members : Series
        Members served per feeder :math:`N_f` [members], indexed by feeder; every feeder listed is ranked
        (a feeder without interruptions has SAIDI 0).
    period_start, period_end : timezone-aware datetime
        The period.
    worst_fraction : float
        Share of feeders flagged as worst (default 10 %, rounded up), by SAIDI and by SAIFI separately.
    min_members : int
        Feeders with fewer members are not flagged against the multiples (their indices are noisy).
    multiples : tuple of float
        Multiples of the system average to flag (default 200 % and 300 %).
    system_members : int, optional
        System :math:`N_T` for the average; default ``feeder_members.sum()``.  The system average counts
        every record, including those without a feeder (transmission).
    exclude_days : iterable of dates, optional
        Local days to leave out (usually the major event days).
    tz : str
        The cooperative's zone, for ``exclude_days``.

    Returns
    -------
    DataFrame
        Index ``feeder``; columns ``members_served``, ``member_interruptions``, ``member_minutes``,
        ``saifi``, ``saidi``, ``saidi_rank``, ``saifi_rank`` (1 = worst), ``worst_saidi``, ``worst_saifi``
        (worst fraction), ``saidi_over_200pct``, ``saidi_over_300pct``, ``saifi_over_200pct``,
        ``saifi_over_300pct`` (for the default multiples), sorted by SAIDI rank.  ``attrs`` holds the
        system SAIDI and SAIFI.

    References
    ----------
    IEEE Std 1366-2022 (SAIDI, SAIFI); domain brief §4 ("worst-performing feeders").
    """
    fm = pd.Series(feeder_members, dtype=float)
    nt = float(system_members) if system_members is not None else float(fm.sum())
    lo, hi = _instant(period_start, "period_start"), _instant(period_end, "period_end")
    p = _prepare(records, steps, lo, hi, tz=tz, momentary_max_minutes=momentary_max_minutes)
    keep = _day_mask(p, exclude_days, None)
    per = _compute(
        p,
        fm,
        (hi - lo) / _NS_PER_MIN,
        group_by="feeder",
        n=0,
        member_hits=None,
        keep=keep,
        event_window_minutes=EVENT_WINDOW_MINUTES,
    )
    sus = ~p.momentary if keep is None else keep & ~p.momentary
    sys_saifi = _div(p.members[sus].sum(), nt)
    sys_saidi = _div(p.cmi[sus].sum(), nt)
    out = per.loc[
        [f for f in per.index if f in fm.index],
        ["members_served", "member_interruptions", "member_minutes", "saifi", "saidi"],
    ].copy()
    out.index.name = "feeder"
    n_worst = math.ceil(worst_fraction * len(out)) if len(out) else 0
    for idx in ("saidi", "saifi"):
        out[f"{idx}_rank"] = out[idx].rank(ascending=False, method="min").astype("Int64")
        out[f"worst_{idx}"] = out[f"{idx}_rank"] <= n_worst
    big = out["members_served"] >= min_members
    for idx, system in (("saidi", sys_saidi), ("saifi", sys_saifi)):
        for m in multiples:
            out[f"{idx}_over_{round(m * 100)}pct"] = big & (out[idx] > m * system)
    out = out.sort_values(["saidi_rank", "saifi_rank"], kind="stable")
    out.attrs.update(system_saidi=sys_saidi, system_saifi=sys_saifi, system_members=nt, worst_count=n_worst)
    return out
