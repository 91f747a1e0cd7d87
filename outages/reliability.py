"""Reliability indices from the interruption log: the bridge from the database to :mod:`outages.indices`.

Keyword-only functions taking a SQLAlchemy ``Session``.  They read (never write) the interruption log
and the facility layer, build the data frames the pure index engine expects, and call it.

What is read
------------
* **Records**: interruption records that are ``closed`` (open and voided records are left out), with
  their restoration steps; a record belongs to a period, and to a local day, by its start (IEEE 1366).
  Columns: ``record_id``, ``start``/``restored`` (UTC), ``members_out``, ``feeder`` (code),
  ``substation`` (code), ``division`` (name), ``cause`` (code), ``momentary`` (the stored flag, set when
  the record was closed from ``OUTAGES_MOMENTARY_MAX_MINUTES``), and the facility ids used for
  ``member_hits``.
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

Members hit by a record (``member_hits``)
-----------------------------------------
CAIFI, CTAIDI, CEMI_n and CEMSMI_n count *distinct* members, so each record is expanded to the service
points of its facility: a device's own service points and those of every device below it
(:class:`gis.service.Topology`, ``ServicePoint.device_id``), a feeder's service points, or the service
points on every feeder of the substations a transmission line feeds.  The log records how many members
were out, not which: when ``members_out`` is smaller than the facility's members, the **first
``members_out`` service points by id** are taken.  This is deterministic but an approximation: repeated
partial interruptions on one facility are assumed to hit the same members, which tends to undercount
the distinct members interrupted (CN) and so to overstate CAIFI, CTAIDI and CEMI_n.  SAIFI, SAIDI,
CAIDI, ASAI and MAIFI do not use it.

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

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import InvalidInput
from gis.models import Feeder, ServiceArea, ServicePoint, ServicePointArea, Substation
from gis.service import Topology
from outages import indices as ix
from outages.models import Cause, Interruption, RestorationStep
from outages.settings import get_rule_settings

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
    "first_record_start",
    "implausible_records",
    "cause_labels",
    "indices_for",
    "annual_reliability",
]

DAY_TYPES = ("all", "normal", "major_event")
GROUPINGS = ix.GROUPINGS  # division, substation, feeder, cause
HISTORY_YEARS = ix.T_MED_YEARS
MEMBERS_NOTE = ("Members served (N_T) is the current number of service points, used for every period: the "
                "facility layer keeps no history, so past years are divided by today's membership and growth "
                "is not adjusted for (past SAIFI/SAIDI come out slightly low; CAIDI is unaffected).")
HITS_NOTE = ("CAIFI, CTAIDI, CEMI_n and CEMSMI_n need the members each record interrupted; the log holds only "
             "how many, so a partial outage is taken to hit the first members_out service points (by id) of "
             "its facility: an approximation that tends to overstate repeat interruptions.")


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
        raise InvalidInput(f"{what} {value!r} is not a date or time. Fix: use ISO 8601, e.g. 2025-01-01.",
                           field=what) from None
    if ts is pd.NaT:
        raise InvalidInput(f"{what} is empty. Fix: give a date such as 2025-01-01.", field=what)
    try:
        if ts.tzinfo is None:
            ts = ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        ts.as_unit("ns")
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InvalidInput(f"{what} {value} is outside the dates the indices cover. Fix: give a date between "
                           "1900 and 2200.", field=what) from None
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


def members_served(*, session: Session) -> MembersServed:
    """Members served now per feeder, substation and division (feeders assigned by majority)."""
    feeders = session.execute(select(Feeder.id, Feeder.code, Substation.code)
                              .join(Substation, Substation.id == Feeder.substation_id).order_by(Feeder.code)).all()
    counts = dict(session.execute(select(ServicePoint.feeder_id, func.count())
                                  .group_by(ServicePoint.feeder_id)).all())
    votes = session.execute(
        select(ServicePoint.feeder_id, ServiceArea.name, func.count())
        .join(ServicePointArea, ServicePointArea.service_point_id == ServicePoint.id)
        .join(ServiceArea, ServiceArea.id == ServicePointArea.service_area_id)
        .where(ServiceArea.kind == "division")
        .group_by(ServicePoint.feeder_id, ServiceArea.name)).all()
    best: dict[int, tuple[int, str]] = {}
    for feeder_id, name, count in votes:
        held = best.get(feeder_id)
        if held is None or count > held[0] or (count == held[0] and name < held[1]):
            best[feeder_id] = (count, name)
    feeder = pd.Series({code: int(counts.get(fid, 0)) for fid, code, _sub in feeders}, dtype=np.int64)
    feeder_substation = {code: sub for _fid, code, sub in feeders}
    feeder_division = {code: (best[fid][1] if fid in best else None) for fid, code, _sub in feeders}
    substation = feeder.groupby(pd.Series(feeder_substation)).sum().astype(np.int64)
    substation = substation.reindex(sorted(set(session.scalars(select(Substation.code))) | set(substation.index)),
                                    fill_value=0)
    with_division = {k: v for k, v in feeder_division.items() if v is not None}
    division = (feeder[list(with_division)].groupby(pd.Series(with_division)).sum().astype(np.int64)
                if with_division else pd.Series(dtype=np.int64))
    feeder.index.name, substation.index.name, division.index.name = "feeder", "substation", "division"
    return MembersServed(system=int(session.scalar(select(func.count()).select_from(ServicePoint)) or 0),
                         feeder=feeder, substation=substation, division=division,
                         feeder_substation=feeder_substation, feeder_division=feeder_division)


# --------------------------------------------------------------------------------------------------
# records and restoration steps


RECORD_COLUMNS = ["record_id", "start", "restored", "members_out", "feeder", "substation", "division", "cause",
                  "momentary", "feeder_id", "device_id", "transmission_line_id"]


def _labels(column: pd.Series) -> pd.Series:
    """Text labels as Python objects, None where missing."""
    out = column.astype(object)
    return out.where(out.notna(), None)


def load_records(*, session: Session, start: Any, end: Any,
                 feeder_division: dict[str, str | None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Closed, not voided records starting in ``[start, end)`` and their restoration steps, as the frames of
    :mod:`outages.indices` (``records``, ``steps``); times are UTC.  ``feeder_division`` as in
    :class:`MembersServed` (read when not given)."""
    tz = get_rule_settings().timezone
    lo, hi = _utc(_instant(start, tz, "start")), _utc(_instant(end, tz, "end"))
    if feeder_division is None:
        feeder_division = members_served(session=session).feeder_division
    earliest, latest = _window()
    where = (Interruption.status == "closed", Interruption.start_at >= max(lo, earliest),
             Interruption.start_at < min(hi, latest), Interruption.restored_at >= earliest,
             Interruption.restored_at <= latest, Interruption.id.not_in(_steps_outside(earliest, latest)))
    rows = session.execute(
        select(Interruption.id, Interruption.start_at, Interruption.restored_at, Interruption.members_out,
               Feeder.code, Substation.code, Interruption.cause_code, Interruption.momentary,
               func.coalesce(Interruption.feeder_id, -1), func.coalesce(Interruption.device_id, -1),
               func.coalesce(Interruption.transmission_line_id, -1))
        .outerjoin(Feeder, Feeder.id == Interruption.feeder_id)
        .outerjoin(Substation, Substation.id == Interruption.substation_id)
        .where(*where).order_by(Interruption.start_at, Interruption.id))
    raw = pd.DataFrame([tuple(r) for r in rows],
                       columns=["record_id", "start", "restored", "members_out", "feeder", "substation", "cause",
                                "momentary", "feeder_id", "device_id", "transmission_line_id"])
    records = pd.DataFrame({
        "record_id": raw["record_id"].to_numpy(dtype=np.int64),
        "start": pd.to_datetime(raw["start"], utc=True),
        "restored": pd.to_datetime(raw["restored"], utc=True),
        "members_out": raw["members_out"].to_numpy(dtype=np.int64),
        "feeder": _labels(raw["feeder"]),
        "substation": _labels(raw["substation"]),
        "division": _labels(raw["feeder"].map(feeder_division)),
        "cause": _labels(raw["cause"]),
        "momentary": raw["momentary"].astype("boolean"),
        "feeder_id": raw["feeder_id"].to_numpy(dtype=np.int64),
        "device_id": raw["device_id"].to_numpy(dtype=np.int64),
        "transmission_line_id": raw["transmission_line_id"].to_numpy(dtype=np.int64),
    }, columns=RECORD_COLUMNS)
    step_rows = session.execute(
        select(RestorationStep.interruption_id, RestorationStep.at, RestorationStep.members_restored)
        .join(Interruption, Interruption.id == RestorationStep.interruption_id)
        .where(*where))
    raw_steps = pd.DataFrame([tuple(r) for r in step_rows], columns=["record_id", "at", "members_restored"])
    steps = pd.DataFrame({"record_id": raw_steps["record_id"].to_numpy(dtype=np.int64),
                          "at": pd.to_datetime(raw_steps["at"], utc=True),
                          "members_restored": raw_steps["members_restored"].to_numpy(dtype=np.int64)})
    return records, steps


def _window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The plausible window of stored times (module docstring): earliest and latest instant, UTC."""
    rules = get_rule_settings()
    return rules.earliest_at, rules.latest_at(now or utcnow())


def _steps_outside(earliest: datetime, latest: datetime):
    """Ids of the records with a restoration step outside the plausible window."""
    return (select(RestorationStep.interruption_id)
            .where(or_(RestorationStep.at < earliest, RestorationStep.at > latest)))


def first_record_start(*, session: Session) -> datetime | None:
    """Start of the earliest interruption record that is not voided and starts in the plausible window (module
    docstring): where the log's history begins."""
    earliest, latest = _window()
    return session.scalar(select(func.min(Interruption.start_at))
                          .where(Interruption.status != "voided", Interruption.start_at >= earliest,
                                 Interruption.start_at <= latest))


def implausible_records(*, session: Session) -> int:
    """How many records (not voided) have a start, restoration or step outside the plausible window: the
    indices leave them out (module docstring)."""
    earliest, latest = _window()
    return session.scalar(select(func.count()).select_from(Interruption).where(
        Interruption.status != "voided",
        or_(Interruption.start_at < earliest, Interruption.start_at > latest, Interruption.restored_at < earliest,
            Interruption.restored_at > latest, Interruption.id.in_(_steps_outside(earliest, latest))))) or 0


def _implausible_note(session: Session) -> list[str]:
    count = implausible_records(session=session)
    if not count:
        return []
    rules = get_rule_settings()
    return [f"{count} record{'s' if count > 1 else ''} with a time before {rules.earliest_date.isoformat()} or more "
            f"than {rules.etr_horizon_days:g} days ahead (not plausible) {'are' if count > 1 else 'is'} left out of "
            "every index. Fix: correct the times (PATCH /api/interruptions/{id}) or void the record."]


def cause_labels(*, session: Session) -> dict[str, str]:
    """Cause code -> label."""
    return dict(session.execute(select(Cause.code, Cause.label)).all())


# --------------------------------------------------------------------------------------------------
# member hits


class _Points:
    """Service point ids grouped by feeder and by device, ascending within each group."""

    def __init__(self, session: Session):
        rows = session.execute(select(ServicePoint.id, ServicePoint.feeder_id,
                                      func.coalesce(ServicePoint.device_id, -1)).order_by(ServicePoint.id))
        arr = np.fromiter((v for row in rows for v in row), dtype=np.int64).reshape(-1, 3)
        ids, feeder, device = arr[:, 0], arr[:, 1], arr[:, 2]
        self.by_feeder = self._blocks(ids, feeder)
        self.by_device = self._blocks(ids[device >= 0], device[device >= 0])
        self.topology = Topology(session)

    @staticmethod
    def _blocks(ids: np.ndarray, key: np.ndarray) -> dict[int, np.ndarray]:
        order = np.argsort(key, kind="stable")  # ids are ascending, so each block stays sorted
        k, v = key[order], ids[order]
        uniq, first = np.unique(k, return_index=True)
        bounds = np.append(first, len(k))
        return {int(u): v[bounds[i]:bounds[i + 1]] for i, u in enumerate(uniq)}

    def of(self, kind: str, key: int) -> np.ndarray:
        empty = np.empty(0, np.int64)
        if kind == "device":
            parts = [self.by_device.get(d, empty) for d in self.topology.devices_below([key])]
        elif kind == "feeder":
            return self.by_feeder.get(key, empty)
        else:
            feeders = self.topology.feeders_fed_by(transmission_line_ids=[key])
            parts = [self.by_feeder.get(f, empty) for f in feeders]
        return np.sort(np.concatenate(parts)) if parts else empty


def member_hits(*, session: Session, records: pd.DataFrame, _points: _Points | None = None) -> pd.DataFrame:
    """Which service point (``member_id``) each record (``record_id``) interrupted.

    The service points of the record's facility (device and below, feeder, or the feeders of the
    substations a transmission line feeds), the first ``members_out`` of them by id when fewer were out
    (module docstring).  Returns columns ``member_id``, ``record_id``.
    """
    if len(records) == 0:
        return pd.DataFrame({"member_id": np.empty(0, np.int64), "record_id": np.empty(0, np.int64)})
    points = _points or _Points(session)
    device = records["device_id"].to_numpy(dtype=np.int64)
    feeder = records["feeder_id"].to_numpy(dtype=np.int64)
    line = records["transmission_line_id"].to_numpy(dtype=np.int64)
    kind = np.where(device >= 0, 0, np.where(feeder >= 0, 1, 2))
    key = np.where(device >= 0, device, np.where(feeder >= 0, feeder, line))
    combined = kind * (1 << 40) + key
    uniq, fac = np.unique(combined, return_inverse=True)
    pools = [points.of(("device", "feeder", "line")[int(u >> 40)], int(u & ((1 << 40) - 1))) for u in uniq]
    sizes = np.array([len(p) for p in pools], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pool = np.concatenate(pools) if pools else np.empty(0, np.int64)
    counts = np.minimum(records["members_out"].to_numpy(dtype=np.int64), sizes[fac])
    total = int(counts.sum())
    first = np.repeat(offsets[fac], counts)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return pd.DataFrame({"member_id": pool[first + within],
                         "record_id": np.repeat(records["record_id"].to_numpy(dtype=np.int64), counts)})


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

    def rows(self, days: str = "all") -> pd.DataFrame:
        """The rows of one day type (``all``, ``normal`` or ``major_event``), indexed by group (none when
        grouping by cause a period without records)."""
        if days not in DAY_TYPES:
            raise InvalidInput(f"days={days!r} is not a day type. Fix: use {', '.join(DAY_TYPES)}.", field="days")
        if days in self.table.index.get_level_values("days"):
            return self.table.xs(days, level="days")
        return self.table.iloc[:0].droplevel("days")


def _check_grouping(group_by: str | None) -> None:
    if group_by is not None and group_by not in GROUPINGS:
        raise InvalidInput(f"group_by={group_by!r} is not a grouping. Fix: use one of {', '.join(GROUPINGS)}, "
                           "or leave it out for the system.", field="group_by")


def _momentary(records: pd.DataFrame, momentary_max_minutes: float | None) -> float:
    """The momentary threshold to use; a threshold other than the configured one re-derives every flag."""
    configured = get_rule_settings().momentary_max_minutes
    if momentary_max_minutes is None or momentary_max_minutes == configured:
        return configured
    if momentary_max_minutes <= 0:
        raise InvalidInput("momentary_max_minutes must be positive. Fix: give minutes, e.g. 5 (IEEE 1366).",
                           field="momentary_max_minutes")
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


def indices_for(*, session: Session, start: Any, end: Any, group_by: str | None = None, zone: Any = None,
                momentary_max_minutes: float | None = None, n: int = 3) -> PeriodIndices:
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
        raise InvalidInput(f"end {hi.isoformat()} is not after start {lo.isoformat()}. Fix: give an end later "
                           "than the start (the end is exclusive: start=2025-01-01&end=2026-01-01 is 2025).",
                           field="end")
    _check_grouping(group_by)
    if n < 0:
        raise InvalidInput("n must be 0 or more. Fix: give the CEMI_n threshold, e.g. 3.", field="n")
    members = members_served(session=session)
    history_start = _history_start(session, lo, tz)
    records, steps = load_records(session=session, start=min(_history_from(lo, tz), lo), end=hi,
                                  feeder_division=members.feeder_division)
    mmm = _momentary(records, momentary_max_minutes)
    meds = ix.major_event_days(records, steps, members.system, lo, hi, history_start, tz=tz,
                               momentary_max_minutes=mmm)
    period = records[(records["start"] >= lo) & (records["start"] < hi)]
    hits = member_hits(session=session, records=period)
    table = ix.indices_by_day_type(records, steps, members.for_group(group_by), lo, hi,
                                   major_event_days=meds.dates, group_by=group_by, n=n, member_hits=hits, tz=tz,
                                   momentary_max_minutes=mmm)
    notes = [MEMBERS_NOTE, HITS_NOTE] + _implausible_note(session)
    if meds.t_med.note:
        notes.append(f"Major event days: {meds.t_med.note}.")
    if group_by in ("feeder", "substation", "division") and period["feeder"].isna().any():
        notes.append("Transmission-line records have no feeder, substation or division: they count in the system "
                     "indices and appear here as (unassigned).")
    return PeriodIndices(start=lo, end=hi, zone=tz, group_by=group_by, n=n, members=members, table=table,
                         major_event_days=meds, momentary_max_minutes=mmm, notes=notes)


# --------------------------------------------------------------------------------------------------
# the annual report


@dataclass(frozen=True)
class AnnualReliability:
    """Everything the annual reliability report shows (workbook and PDF).

    Indices tables carry the columns of :func:`outages.indices.compute_indices` (``saifi`` [1/member],
    ``saidi`` [min], ``caidi`` [min], ``asai`` [-], ``maifi``, ``maifie``, ``caifi``, ``ctaidi``,
    ``cemi_<n>``, ``cemsmi_<n>``, counts and member-minutes).
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
    eia861: list[tuple[str, Any]]  #: (item, value) as filed on Form EIA-861 "Reliability"
    notes: list[str]

    @property
    def med(self) -> ix.MajorEventDays:
        """The major event days of the report's year."""
        return self.meds[self.year]

    def system(self, year: int | None = None, days: str = "all") -> pd.Series:
        """The system indices of a year (default the report's) on one day type."""
        return self.summary.loc[(year or self.year, days)]


def _worst(records, steps, members: MembersServed, lo, hi, exclude, tz, mmm, fraction) -> pd.DataFrame:
    served = members.feeder[members.feeder > 0]
    out = ix.worst_feeders(records, steps, served, lo, hi, worst_fraction=fraction, system_members=members.system,
                           exclude_days=exclude, tz=tz, momentary_max_minutes=mmm)
    out.insert(0, "substation", [members.feeder_substation.get(f) for f in out.index])
    out.insert(1, "division", [members.feeder_division.get(f) for f in out.index])
    return out


def _eia861(summary: pd.DataFrame, year: int, members: int, med: ix.MajorEventDays, mmm: float) -> list:
    every, normal = summary.loc[(year, "all")], summary.loc[(year, "normal")]
    momentary = ("5 minutes or less (IEEE 1366)" if mmm == 5 else f"{mmm:g} minutes or less")
    t = med.t_med.value
    return [
        ("Reporting year", year),
        ("SAIDI including major event days (minutes per customer)", float(every["saidi"])),
        ("SAIFI including major event days (interruptions per customer)", float(every["saifi"])),
        ("CAIDI including major event days (minutes)", float(every["caidi"])),
        ("SAIDI excluding major event days (minutes per customer)", float(normal["saidi"])),
        ("SAIFI excluding major event days (interruptions per customer)", float(normal["saifi"])),
        ("CAIDI excluding major event days (minutes)", float(normal["caidi"])),
        ("Number of customers (members served)", int(members)),
        ("Major event days in the year", len(med.dates)),
        ("Major event definition", "IEEE 1366 2.5 beta method" + (f" (T_MED {t:.2f} min)" if math.isfinite(t)
                                                                   else " (T_MED undefined: too little history)")),
        ("Momentary interruption definition", momentary),
    ]


def annual_reliability(*, session: Session, year: int, zone: Any = None, momentary_max_minutes: float | None = None,
                       n: int = 3, worst_fraction: float = 0.10, today: date | None = None) -> AnnualReliability:
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

    Returns
    -------
    AnnualReliability

    References
    ----------
    IEEE Std 1366-2022; Form EIA-861 (reliability); domain brief §4.
    """
    tz = _tz_name(zone)
    today = today or utcnow().astimezone(ZoneInfo(tz)).date()
    if not isinstance(year, int) or isinstance(year, bool) or year < 1900:
        raise InvalidInput(f"year {year!r} is not a calendar year. Fix: give a year such as {today.year - 1}.",
                           field="year")
    latest = today.year if today > date(today.year, 1, 1) else today.year - 1  # a year with a finished day
    if year > latest:
        raise InvalidInput(f"year {year} has no finished day yet. Fix: ask for {latest} or earlier.", field="year")
    years = list(range(year - HISTORY_YEARS + 1, year + 1))
    lo, hi = _year_bounds(year, tz)
    year_to_date = year == today.year
    if year_to_date:
        hi = _midnight(today, tz)
    members = members_served(session=session)
    first_lo = _year_bounds(years[0], tz)[0]
    history_start = _history_start(session, first_lo, tz)
    records, steps = load_records(session=session, start=_history_from(first_lo, tz), end=hi,
                                  feeder_division=members.feeder_division)
    mmm = _momentary(records, momentary_max_minutes)
    points = _Points(session)
    nt = members.system

    summary_parts, meds = {}, {}
    for y in years:
        y_lo, y_hi = _year_bounds(y, tz)
        y_hi = min(y_hi, hi)
        meds[y] = ix.major_event_days(records, steps, nt, y_lo, y_hi, history_start, tz=tz,
                                      momentary_max_minutes=mmm)
        in_year = records[(records["start"] >= y_lo) & (records["start"] < y_hi)]
        hits = member_hits(session=session, records=in_year, _points=points)
        table = ix.indices_by_day_type(records, steps, nt, y_lo, y_hi, major_event_days=meds[y].dates, n=n,
                                       member_hits=hits, tz=tz, momentary_max_minutes=mmm).droplevel(1)
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
            monthly_rows[month] = dict(saidi=math.nan, saifi=math.nan, saidi_normal=math.nan,
                                       saifi_normal=math.nan, sustained_records=0, member_minutes=math.nan)
            continue
        t = ix.indices_by_day_type(records, steps, nt, m_lo, min(m_hi, hi), major_event_days=med_dates, n=n,
                                   tz=tz, momentary_max_minutes=mmm).droplevel(1)
        monthly_rows[month] = dict(saidi=t.loc["all", "saidi"], saifi=t.loc["all", "saifi"],
                                   saidi_normal=t.loc["normal", "saidi"], saifi_normal=t.loc["normal", "saifi"],
                                   sustained_records=int(t.loc["all", "sustained_records"]),
                                   member_minutes=t.loc["all", "member_minutes"])
    monthly = pd.DataFrame.from_dict(monthly_rows, orient="index")
    monthly.index.name = "month"

    by_cause = ix.indices_by_day_type(records, steps, nt, lo, hi, major_event_days=med_dates, group_by="cause",
                                      n=n, member_hits=year_hits, tz=tz, momentary_max_minutes=mmm)
    labels = cause_labels(session=session)
    by_cause.insert(0, "label", [labels.get(c, c) for c in by_cause.index.get_level_values(1)])
    by_division = ix.indices_by_day_type(records, steps, members.division, lo, hi, major_event_days=med_dates,
                                         group_by="division", n=n, member_hits=year_hits, tz=tz,
                                         momentary_max_minutes=mmm)

    worst_one = _worst(records, steps, members, lo, hi, med_dates, tz, mmm, worst_fraction)
    two_lo = _year_bounds(year - 1, tz)[0]
    worst_two = _worst(records, steps, members, two_lo, hi, list(meds[year - 1].dates) + list(med_dates), tz,
                       mmm, worst_fraction)

    notes = [MEMBERS_NOTE, HITS_NOTE] + _implausible_note(session)
    for y in years:
        if meds[y].t_med.note:
            notes.append(f"Major event days {y}: {meds[y].t_med.note}.")
    if year_to_date:
        notes.append(f"{year} is not over: the report covers 1 January to {(today - timedelta(days=1)).isoformat()}.")
    notes.append("Transmission-line records count in the system indices but belong to no feeder, substation or "
                 "division (the (unassigned) row by division).")
    notes.append("Worst-performing feeders are ranked on normal days (major event days left out).")
    return AnnualReliability(
        year=year, zone=tz, period_start=lo, period_end=hi, year_to_date=year_to_date, generated_at=utcnow(),
        members_served=nt, n=n, momentary_max_minutes=mmm, years=years, summary=summary, monthly=monthly,
        by_cause=by_cause, by_division=by_division, meds=meds, worst_one_year=worst_one, worst_two_years=worst_two,
        eia861=_eia861(summary, year, nt, meds[year], mmm), notes=notes)
