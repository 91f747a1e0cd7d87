"""The closed interruption log in memory, kept exact from the journal, and results memoized until the log changes
under them (issue 16: indices fast at any size).

Every index, report and dashboard figure is made from the closed records and their restoration steps.  Reading
five years of them from the database on every call is what made the indices slow (0.4 s a call on the sample,
seconds on a two-million-member history), so each process keeps them, per database, as the data frames of
:func:`outages.reliability.load_records` (:func:`closed_log`), and brings them up to date before each use from
the journal (:mod:`outages.journal`): the revision is read first, then the records that revisions after the
cached one changed are reread, only those.  A change that leaves a record's figures as they were (its notes, an
open record's ETR, crews) changes nothing here.

:func:`memo` keeps a computed result (the indices of a period, the annual report's data) until a change that
matters reaches it: each result says up to which instant its records start (``until``: the end of its period, or
the restoration of the last of its records still dark then), and a changed record starting at or after that
instant (before and after the change) leaves it as it was.  Today's closes leave last year's report alone.

Exactness: the frames are the database's closed records as of the journal's revision; a session with
uncommitted writes to the log bypasses both caches (it sees its own changes, which may still roll back).  The
tests compare the cached figures with a rebuild after steps, closes, voids and edits of old records.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from sqlalchemy import String, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from gis.models import Feeder, Substation
from outages import journal
from outages.models import Interruption, RestorationStep
from outages.settings import get_rule_settings

__all__ = [
    "RECORD_COLUMNS",
    "STEP_COLUMNS",
    "ClosedLog",
    "closed_log",
    "read_closed",
    "steps_of",
    "labels",
    "memo",
    "forget",
    "url_of",
    "implausible",
    "outside",
]

T = TypeVar("T")

RECORD_COLUMNS = [
    "record_id",
    "start",
    "restored",
    "members_out",
    "feeder",
    "substation",
    "cause",
    "momentary",
    "feeder_id",
    "device_id",
    "transmission_line_id",
    "extent",
]
STEP_COLUMNS = ["record_id", "at", "members_restored", "step_id", "device_id"]
CHUNK = 500  # record ids per IN (...) when rereading changed records
FULL_REREAD = 20_000  # more changed records than this: reread the whole log
MEMO_SIZE = 64  # results kept per database
_NEVER = np.iinfo(np.int64).min
FAR = datetime(2262, 1, 1, tzinfo=UTC)  #: no cached time reaches this (nanosecond times end in April 2262)


@dataclass
class ClosedLog:
    """Every closed record of a database with its times from ``OUTAGES_EARLIEST_DATE`` to 2261 (callers apply
    the plausible window's moving end) and its steps.

    ``records`` has :data:`RECORD_COLUMNS` plus ``first_step``/``last_step`` (the earliest and latest step time,
    NaT without steps), sorted by start; ``steps`` :data:`STEP_COLUMNS`.  Times are UTC.  ``version`` counts
    the changes to closed records; ``effects`` says, per version, the earliest start it touched."""

    revision: tuple[int, str | None]  #: the journal's revision (number, token) the frames are as of
    version: int
    records: pd.DataFrame
    steps: pd.DataFrame
    effects: list[tuple[int, int]] = field(default_factory=list)
    #: the records (any status but voided) with a time outside the plausible window ending at ``window`` (None:
    #: not asked for yet)
    implausible: set[int] = field(default_factory=set)
    window: datetime | None = None
    #: each record's replay on the network (:func:`outages.power_state.replay`) by record id, for the network
    #: named ``states_of``; a change to a record drops its own
    states: dict[int, Any] = field(default_factory=dict)
    states_of: int | None = None

    def replays(self, network_token: int) -> dict[int, Any]:
        """The kept replays of the records on this network (none kept yet for another)."""
        if self.states_of != network_token:
            self.states, self.states_of = {}, network_token
        return self.states


_LOGS: dict[str, ClosedLog] = {}
_MEMOS: dict[str, OrderedDict[Hashable, tuple[int, int, Any]]] = {}
_LOCKS: dict[str, threading.Lock] = {}
_GUARD = threading.Lock()


def _lock(url: str) -> threading.Lock:
    with _GUARD:
        return _LOCKS.setdefault(url, threading.Lock())


def url_of(session: Session) -> str:
    """The database a session is bound to, as the caches name it."""
    return str(session.get_bind().engine.url)


def forget() -> None:
    """Forget every cached log and result (tests that rebuild a database under the same URL)."""
    with _GUARD:
        _LOGS.clear()
        _MEMOS.clear()


# --------------------------------------------------------------------------------------------------
# reading closed records


def _raw_time(column):
    """A UTC time column read as the driver gives it (SQLite: text; PostgreSQL: an aware datetime), parsed in
    bulk by :func:`_utc_times` instead of one value at a time."""
    return type_coerce(column, String)


def _utc_times(values: pd.Series) -> pd.Series:
    if len(values) and isinstance(values.iloc[0], str):
        return pd.to_datetime(values, utc=True, format="ISO8601")  # SQLite keeps UTC as naive ISO text
    return pd.to_datetime(values, utc=True)


def _columns(rows: Sequence[Any], names: list[str]) -> pd.DataFrame:
    """Result rows as a frame of object columns (one transposition, no per-row conversion)."""
    columns = list(zip(*rows)) if rows else [()] * len(names)
    return pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in zip(names, columns)})


def labels(column: pd.Series) -> pd.Series:
    out = column.astype(object)
    return out.where(out.notna(), None)


def _read_steps(session: Session, *conditions) -> pd.DataFrame:
    rows = session.execute(
        select(
            RestorationStep.interruption_id,
            _raw_time(RestorationStep.at),
            RestorationStep.members_restored,
            RestorationStep.id,
            func.coalesce(RestorationStep.device_id, -1),
        )
        .join(Interruption, Interruption.id == RestorationStep.interruption_id)
        .where(*conditions)
    ).all()
    raw = _columns(rows, STEP_COLUMNS)
    return pd.DataFrame(
        {
            "record_id": raw["record_id"].to_numpy(dtype=np.int64),
            "at": _utc_times(raw["at"]),
            "members_restored": raw["members_restored"].to_numpy(dtype=np.int64),
            "step_id": raw["step_id"].to_numpy(dtype=np.int64),
            "device_id": raw["device_id"].to_numpy(dtype=np.int64),
        },
        columns=STEP_COLUMNS,
    )


def steps_of(session: Session, record_ids: Sequence[int]) -> pd.DataFrame:
    """The restoration steps of these records (any status), from the database, as :class:`ClosedLog`'s steps."""
    ids = [int(i) for i in record_ids]
    parts = [_read_steps(session, Interruption.id.in_(ids[i : i + CHUNK])) for i in range(0, len(ids), CHUNK)]
    return pd.concat(parts, ignore_index=True) if parts else _read_steps(session, Interruption.id.in_([]))


def outside(earliest: datetime, latest: datetime):
    """SQL: a record with a start, restoration or step before ``earliest`` or after ``latest`` (each record's
    steps looked up by its id, never the whole table)."""
    step = aliased(RestorationStep)  # its own name: a query of the steps themselves may use this too
    return or_(
        Interruption.start_at < earliest,
        Interruption.start_at > latest,
        Interruption.restored_at < earliest,
        Interruption.restored_at > latest,
        exists().where(step.interruption_id == Interruption.id, or_(step.at < earliest, step.at > latest)),
    )


def _implausible_ids(session: Session, latest: datetime, *where) -> set[int]:
    earliest = get_rule_settings().earliest_at
    found = session.scalars(
        select(Interruption.id).where(Interruption.status != "voided", outside(earliest, latest), *where)
    )
    return set(found)


def read_closed(session: Session, *where) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The closed records matching ``where`` and their steps, from the database (:class:`ClosedLog`'s frames):
    those whose times lie from ``OUTAGES_EARLIEST_DATE`` to the year 2261 (the frames' nanosecond times end in
    2262; the plausible window's moving end, now plus the ETR horizon, is applied by the caller)."""
    conditions = (Interruption.status == "closed", ~outside(get_rule_settings().earliest_at, FAR), *where)
    rows = session.execute(
        select(
            Interruption.id,
            _raw_time(Interruption.start_at),
            _raw_time(Interruption.restored_at),
            Interruption.members_out,
            Feeder.code,
            Substation.code,
            Interruption.cause_code,
            Interruption.momentary,
            func.coalesce(Interruption.feeder_id, -1),
            func.coalesce(Interruption.device_id, -1),
            func.coalesce(Interruption.transmission_line_id, -1),
            Interruption.extent,
        )
        .outerjoin(Feeder, Feeder.id == Interruption.feeder_id)
        .outerjoin(Substation, Substation.id == Interruption.substation_id)
        .where(*conditions)
        .order_by(Interruption.start_at, Interruption.id)
    ).all()
    raw = _columns(rows, RECORD_COLUMNS)
    steps = _read_steps(session, *conditions)
    records = pd.DataFrame(
        {
            "record_id": raw["record_id"].to_numpy(dtype=np.int64),
            "start": _utc_times(raw["start"]),
            "restored": _utc_times(raw["restored"]),
            "members_out": raw["members_out"].to_numpy(dtype=np.int64),
            "feeder": labels(raw["feeder"]),
            "substation": labels(raw["substation"]),
            "cause": labels(raw["cause"]),
            "momentary": raw["momentary"].astype("boolean"),
            "feeder_id": raw["feeder_id"].to_numpy(dtype=np.int64),
            "device_id": raw["device_id"].to_numpy(dtype=np.int64),
            "transmission_line_id": raw["transmission_line_id"].to_numpy(dtype=np.int64),
            "extent": labels(raw["extent"]),
        },
        columns=RECORD_COLUMNS,
    )
    span = steps.groupby("record_id")["at"].agg(["min", "max"])
    position = span.index.get_indexer(records["record_id"])
    for name, column in (("first_step", "min"), ("last_step", "max")):
        times = pd.Series(pd.NaT, index=records.index, dtype="datetime64[ns, UTC]")
        if len(span):
            found = position >= 0
            times[found] = span[column].to_numpy()[position[found]]
        records[name] = times
    return records, steps


def _replaced(records: pd.DataFrame, gone: list[int], new: pd.DataFrame) -> pd.DataFrame:
    """``records`` (sorted by start) without the records ``gone``, with the ``new`` rows in their places by start:
    one copy of the frame (a change is a few rows of a million)."""
    kept = np.flatnonzero(~records["record_id"].isin(gone).to_numpy())
    new = new.sort_values(["start", "record_id"], kind="stable")
    at = np.searchsorted(records["start"].array.asi8[kept], new["start"].array.asi8, side="right")
    order = np.insert(kept, at, len(records) + np.arange(len(new)))
    return pd.concat([records, new], ignore_index=True).take(order).reset_index(drop=True)


def _reread(session: Session, log: ClosedLog, changed: set[int]) -> None:
    """Bring ``log`` up to date for the ``changed`` records (reread just those)."""
    ids = sorted(changed)
    chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    if log.window is not None:
        log.implausible -= changed
        for chunk in chunks:
            log.implausible |= _implausible_ids(session, log.window, Interruption.id.in_(chunk))
    parts = [read_closed(session, Interruption.id.in_(chunk)) for chunk in chunks]
    new_records = pd.concat([p[0] for p in parts], ignore_index=True)
    new_steps = pd.concat([p[1] for p in parts], ignore_index=True)
    old_records = log.records[log.records["record_id"].isin(ids)]
    # a record closed before or after the change (its points may have changed too: the frames do not hold
    # them, so every such change counts); an open record's steps and ETRs change nothing here
    effective = sorted(set(old_records["record_id"].tolist()) | set(new_records["record_id"].tolist()))
    if not effective:
        return
    earliest = int(pd.concat([old_records["start"], new_records["start"]]).min().value)
    log.records = _replaced(log.records, effective, new_records)
    log.steps = pd.concat([log.steps[~log.steps["record_id"].isin(effective)], new_steps], ignore_index=True)
    for rid in effective:
        log.states.pop(rid, None)
    log.version += 1
    log.effects.append((log.version, earliest))


def closed_log(session: Session) -> ClosedLog | None:
    """The closed log of this session's database, up to date with the journal's committed revision; None when
    this session has uncommitted writes to the log (read the database instead)."""
    if journal.writing(session):
        return None
    url = url_of(session)
    with _lock(url):
        revision = journal.revision(session)
        log = _LOGS.get(url)
        if log is not None and log.revision == revision:
            return log
        if log is not None:
            changed = journal.changes_since(session, after=log.revision, upto=revision[0])
            if changed is not None and journal.EVERYTHING not in changed and len(changed) <= FULL_REREAD:
                _reread(session, log, {int(i) for i in changed if i is not None})
                log.revision = revision
                return log
        records, steps = read_closed(session)
        version = log.version + 1 if log is not None else 1
        fresh = ClosedLog(revision=revision, version=version, records=records, steps=steps, effects=[(version, _NEVER)])
        _LOGS[url] = fresh
        return fresh


def implausible(session: Session, *, latest: datetime) -> set[int] | None:
    """The records (not voided) with a time before ``OUTAGES_EARLIEST_DATE`` or after ``latest``, kept with the
    closed log: a change rechecks only the records it changed, and a later ``latest`` only the records already
    outside (a window that grows can only take records in).  None when the session has uncommitted writes."""
    log = closed_log(session)
    if log is None:
        return None
    with _lock(url_of(session)):
        if latest != log.window:
            if log.window is None or latest < log.window:
                log.implausible = _implausible_ids(session, latest)
            elif log.implausible:
                ids = sorted(log.implausible)
                log.implausible = {
                    i
                    for k in range(0, len(ids), CHUNK)
                    for i in _implausible_ids(session, latest, Interruption.id.in_(ids[k : k + CHUNK]))
                }
            log.window = latest
        return set(log.implausible)


# --------------------------------------------------------------------------------------------------
# results kept until the log changes under them


def memo(
    session: Session,
    key: Hashable,
    compute: Callable[[], tuple[T, Any]],
    copy_of: Callable[[T], T] = copy.deepcopy,
) -> T:
    """``compute()``'s result for ``key``, computed again only after a change to a record that starts before the
    instant it gave (``compute`` returns ``(result, until)``; ``until`` a timezone-aware instant, or None: any
    change).  A copy is returned (``copy_of``, default a deep copy), so callers may change it."""
    log = closed_log(session)
    if log is None:
        return compute()[0]
    url = url_of(session)
    with _GUARD:
        kept = _MEMOS.setdefault(url, OrderedDict())
        entry = kept.get(key)
    if entry is not None:
        version, until, value = entry
        if all(earliest >= until for v, earliest in log.effects if v > version):
            with _GUARD:
                kept.move_to_end(key)
            return copy_of(value)
    version = log.version
    value, until = compute()
    limit = int(pd.Timestamp(until).value) if until is not None else np.iinfo(np.int64).max
    with _GUARD:
        kept[key] = (version, limit, value)
        while len(kept) > MEMO_SIZE:
            kept.popitem(last=False)
        oldest = min(v for v, _u, _x in kept.values())
        log.effects = [e for e in log.effects if e[0] > oldest]
    return copy_of(value)
