"""What regulators and boards ask for each year: Form EIA-861's reliability fields and the Texas worst-feeder
rule (PURA §38.005, 16 TAC §25.52).

Keyword-only functions on a ``Session`` that read (never write).  Every figure comes from
:func:`outages.reliability.indices_for` for the same period (one source of truth: the indices API, the annual
report and these exports agree to the last digit); nothing here recomputes an index.

Periods
-------
A reporting year is 1 January to 31 December in the cooperative's zone.  A year not over yet is reported
**year to date**, to the end of yesterday (as the annual reliability report does), and says so
(``year_to_date``).  A year with no finished day (the future, or 1 January of this year) is refused.

EIA-861 ("Reliability", schedule for IEEE 1366 respondents)
-----------------------------------------------------------
SAIDI [min], SAIFI and CAIDI [min] on all days (with major event days), on normal days (without them) and
on normal days without loss-of-supply events (``indices_for(..., exclude_loss_of_supply=True)``: records
whose cause is ``power_supply`` or that are on a transmission line, left out after the per-member model);
the standard used (IEEE 1366-2022), the major event day method (2.5 beta, :math:`T_{MED}`), the momentary
definition (``OUTAGES_MOMENTARY_MAX_MINUTES``), whether outages are recorded automatically, and the number
of customers (members served, :math:`N_T`).

**Outages recorded automatically: no.**  The service receives no meter (AMI) events, SCADA alarms or
last-gasp messages: every interruption record is logged by a person (a dispatcher in the console or through
the API, a confirmed probable outage from members' reports, or a bulk import of a log), and the meters in
a record or a restoration step are typed in by that person.  When the service starts receiving meters'
power-off and power-on events (domain D16), this answer becomes yes.

PURA §38.005 worst feeders
--------------------------
A feeder is flagged when (a) it is among the worst 10 % of feeders by SAIDI or by SAIFI (normal days: each
year's own major event days left out) in the year **and** in the year before ("two years running"), or
(b) its SAIDI or SAIFI in the year exceeds 300 % of the system average (more than 3 times; normal days),
for feeders with more than ten members (the rule's floor).  Feeders are ranked by
:func:`outages.indices.worst_feeders` (rank 1 = worst, ties share the better rank, the worst 10 % rounded
up) over the feeders that serve members; a feeder without a sustained interruption is never "worst".  The
evidence for a flagged feeder is its sustained records of the year on normal days, biggest (member-minutes)
first, capped at :data:`EVIDENCE_CAP` with the count of all of them.

References
----------
U.S. EIA, Form EIA-861 *Annual Electric Power Industry Report*, instructions, schedule "Reliability";
IEEE Std 1366-2022; Texas Utilities Code (PURA) §38.005; 16 TAC §25.52 (Reliability and Continuity of
Service); domain brief §4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import InvalidInput
from outages import indices as ix
from outages.models import Interruption
from outages.reliability import PeriodIndices, cause_labels, indices_for, load_records
from outages.settings import get_rule_settings

__all__ = [
    "STANDARD",
    "EVIDENCE_CAP",
    "Eia861Figures",
    "Eia861",
    "eia861",
    "FeederRecord",
    "FlaggedFeeder",
    "PuraWorstFeeders",
    "worst_feeders_pura",
    "reporting_year",
]

STANDARD = "IEEE 1366-2022"
RECORDED_AUTOMATICALLY = False  #: no meter (AMI) events are received (module docstring)
EVIDENCE_CAP = 50  #: records listed per flagged feeder (the count of all is given)
WORST_FRACTION = 0.10  #: PURA: the worst 10 % of feeders
OVER_MULTIPLE = 3.0  #: PURA: more than 300 % of the system average
MIN_MEMBERS = 11  #: PURA: feeders with more than ten customers


@dataclass(frozen=True)
class ReportingYear:
    """A reporting year: local midnights ``start`` (1 January) and ``end`` (exclusive), ``year_to_date`` when
    the year is not over (``end`` is then today's local midnight)."""

    year: int
    zone: str
    start: pd.Timestamp
    end: pd.Timestamp
    year_to_date: bool

    @property
    def last_day(self) -> date:
        """The last local day covered."""
        return (self.end - pd.Timedelta(hours=12)).date()

    @property
    def label(self) -> str:
        """``2025`` or ``2026 (year to date, to 2026-03-31)``."""
        return f"{self.year} (year to date, to {self.last_day.isoformat()})" if self.year_to_date else str(self.year)


def _midnight(day: date, tz: str) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def reporting_year(*, year: Any, zone: Any = None, today: date | None = None) -> ReportingYear:
    """The reporting ``year`` in the cooperative's zone (default ``OUTAGES_TIMEZONE``): refused (422 on
    ``year``) when it is not a calendar year or has no finished day yet; year to date when not over."""
    tz = getattr(zone, "key", None) or (str(zone) if zone is not None else get_rule_settings().timezone)
    today = today or utcnow().astimezone(ZoneInfo(tz)).date()
    latest = today.year if today > date(today.year, 1, 1) else today.year - 1  # a year with a finished day
    if not isinstance(year, int) or isinstance(year, bool) or year < 1900:
        raise InvalidInput(f"year {year!r} is not a calendar year. Fix: give a year such as {latest}.", field="year")
    if year > latest:
        raise InvalidInput(f"year {year} has no finished day yet. Fix: ask for {latest} or earlier.", field="year")
    year_to_date = year == today.year
    end = _midnight(today, tz) if year_to_date else _midnight(date(year + 1, 1, 1), tz)
    return ReportingYear(year, tz, _midnight(date(year, 1, 1), tz), end, year_to_date)


def _indices(session: Session, period: ReportingYear, **options: Any) -> PeriodIndices:
    return indices_for(session=session, start=period.start, end=period.end, zone=period.zone, **options)


# --------------------------------------------------------------------------------------------------
# EIA-861


@dataclass(frozen=True)
class Eia861Figures:
    """SAIDI [min per customer], SAIFI [interruptions per customer] and CAIDI [min] of one EIA-861 column
    (NaN where undefined: CAIDI without a sustained interruption)."""

    saidi: float
    saifi: float
    caidi: float
    sustained_records: int


def _figures(result: PeriodIndices, days: str) -> Eia861Figures:
    row = result.rows(days).loc["system"]
    return Eia861Figures(
        saidi=float(row["saidi"]),
        saifi=float(row["saifi"]),
        caidi=float(row["caidi"]),
        sustained_records=int(row["sustained_records"]),
    )


@dataclass(frozen=True)
class Eia861:
    """Form EIA-861's reliability fields for one year (module docstring)."""

    period: ReportingYear
    with_med: Eia861Figures  #: all days
    without_med: Eia861Figures  #: normal days (major event days left out)
    without_med_and_loss_of_supply: Eia861Figures  #: normal days, loss-of-supply records left out too
    customers: int  #: members served (service points now), N_T
    major_event_days: list[date]
    t_med: float  #: [min]; NaN when too little history
    momentary_max_minutes: float
    recorded_automatically: bool
    notes: list[str]
    standard: str = STANDARD

    @property
    def year(self) -> int:
        return self.period.year

    @property
    def year_to_date(self) -> bool:
        return self.period.year_to_date

    @property
    def loss_of_supply_records(self) -> int:
        """Sustained loss-of-supply records on normal days (those the third column leaves out)."""
        return self.without_med.sustained_records - self.without_med_and_loss_of_supply.sustained_records

    @property
    def med_method(self) -> str:
        t = self.t_med
        return "2.5 beta method (IEEE 1366): " + (
            f"T_MED {t:.2f} minutes" if math.isfinite(t) else "T_MED undefined (too little earlier history)"
        )

    @property
    def momentary_definition(self) -> str:
        mmm = self.momentary_max_minutes
        return "5 minutes or less (IEEE 1366)" if mmm == 5 else f"{mmm:g} minutes or less"

    def items(self) -> list[tuple[str, Any, str]]:
        """(item, value, kind) as filed, kind one of ``text``, ``int``, ``saidi``, ``saifi``, ``minutes``."""
        rows: list[tuple[str, Any, str]] = [
            ("Reporting year", self.year, "text"),
            ("Period", f"{self.period.start.date()} to {self.period.last_day}", "text"),
            ("Year to date", "yes: the year is not over" if self.year_to_date else "no", "text"),
            ("Standard used", self.standard, "text"),
        ]
        for label, f in (
            ("including major event days", self.with_med),
            ("excluding major event days", self.without_med),
            ("excluding major event days and loss of supply", self.without_med_and_loss_of_supply),
        ):
            rows += [
                (f"SAIDI {label} (minutes per customer)", f.saidi, "saidi"),
                (f"SAIFI {label} (interruptions per customer)", f.saifi, "saifi"),
                (f"CAIDI {label} (minutes)", f.caidi, "minutes"),
            ]
        rows += [
            ("Number of customers (members served)", self.customers, "int"),
            ("Major event days in the year", len(self.major_event_days), "int"),
            ("Major event day method", self.med_method, "text"),
            ("Momentary interruption definition", self.momentary_definition, "text"),
            ("Outages recorded automatically", "yes" if self.recorded_automatically else "no", "text"),
            ("Loss-of-supply records left out (normal days)", self.loss_of_supply_records, "int"),
        ]
        return rows


def eia861(*, session: Session, year: Any, zone: Any = None, today: date | None = None) -> Eia861:
    """Form EIA-861's reliability fields for ``year`` (year to date when not over): SAIDI, SAIFI and CAIDI with
    and without major event days and without them and loss-of-supply events, exactly
    :func:`outages.reliability.indices_for`'s system figures for the year (module docstring)."""
    period = reporting_year(year=year, zone=zone, today=today)
    every = _indices(session, period)
    supplied = _indices(session, period, exclude_loss_of_supply=True)
    notes = list(every.notes)
    if period.year_to_date:
        notes.append(f"{period.year} is not over: the figures are year to date, to {period.last_day.isoformat()}.")
    notes.append(
        "Loss of supply: records whose cause is power supply or that are on a transmission line (the supply to "
        "the distribution system was lost); the major event days stay those of every record."
    )
    notes.append(
        "Outages are not recorded automatically: the service receives no meter (AMI) events; every record is "
        "logged by a dispatcher (or imported from a log)."
    )
    return Eia861(
        period=period,
        with_med=_figures(every, "all"),
        without_med=_figures(every, "normal"),
        without_med_and_loss_of_supply=_figures(supplied, "normal"),
        customers=every.members.system,
        major_event_days=every.major_event_days.dates,
        t_med=every.major_event_days.t_med.value,
        momentary_max_minutes=every.momentary_max_minutes,
        recorded_automatically=RECORDED_AUTOMATICALLY,
        notes=notes,
    )


# --------------------------------------------------------------------------------------------------
# PURA §38.005 worst feeders


@dataclass(frozen=True)
class FeederRecord:
    """One sustained record of a flagged feeder (the evidence): as logged, member-minutes by D12."""

    record_id: int
    record_ref: str | None
    start: datetime  #: local time
    minutes: float  #: duration [min]
    members: int
    member_minutes: float
    cause: str
    cause_label: str


@dataclass(frozen=True)
class FlaggedFeeder:
    """A feeder PURA §38.005 flags, with both years' figures (normal days) and the evidence."""

    feeder: str
    substation: str | None
    members_served: int
    saidi: float  #: the year [min]
    saifi: float
    saidi_rank: int  #: 1 = worst
    saifi_rank: int
    saidi_before: float  #: the year before
    saifi_before: float
    saidi_rank_before: int
    saifi_rank_before: int
    worst_two_years: bool  #: test (a)
    saidi_over_300pct: bool  #: test (b)
    saifi_over_300pct: bool
    records: list[FeederRecord]  #: biggest first, at most EVIDENCE_CAP
    records_in_all: int

    @property
    def tests(self) -> list[str]:
        """The tests the feeder fails, in plain words."""
        out = []
        if self.worst_two_years:
            out.append("worst 10 % two years running")
        if self.saidi_over_300pct:
            out.append("SAIDI above 300 % of the system average")
        if self.saifi_over_300pct:
            out.append("SAIFI above 300 % of the system average")
        return out


@dataclass(frozen=True)
class PuraWorstFeeders:
    """The Texas worst-feeder rule for one year (module docstring)."""

    period: ReportingYear
    before: ReportingYear  #: the year before
    feeders_ranked: int
    worst_count: int  #: feeders in the worst 10 % (rounded up)
    system_saidi: float  #: normal days, the year [min]
    system_saifi: float
    system_saidi_before: float
    system_saifi_before: float
    ranking: pd.DataFrame  #: :func:`outages.indices.worst_feeders` of the year, with the year before's columns
    flagged: list[FlaggedFeeder]
    notes: list[str]

    @property
    def year(self) -> int:
        return self.period.year


def _worst(result: PeriodIndices) -> pd.DataFrame:
    """:func:`outages.indices.worst_feeders` on the normal-day figures of ``indices_for(group_by="feeder")``: one
    row per feeder (and one for the records without a feeder) carrying its totals, so the ranks and the
    system average are the engine's and the figures those of the indices."""
    rows = result.rows("normal")
    members = result.members
    served = members.feeder[members.feeder > 0]
    at = pd.Timestamp(result.start).tz_convert("UTC")
    labels = [g for g in rows.index if g in served.index or g == ix.UNASSIGNED]
    totals = pd.DataFrame(
        {
            "record_id": np.arange(len(labels), dtype=np.int64),
            "start": pd.Series([at] * len(labels), dtype="datetime64[ns, UTC]"),
            "restored": pd.Series([at + pd.Timedelta(hours=1)] * len(labels), dtype="datetime64[ns, UTC]"),
            "members_out": [max(int(rows.at[g, "member_interruptions"]), 1) for g in labels],
            "feeder": [None if g == ix.UNASSIGNED else g for g in labels],
            "momentary": np.zeros(len(labels), bool),
            "member_interruptions": [float(rows.at[g, "member_interruptions"]) for g in labels],
            "member_minutes": [float(rows.at[g, "member_minutes"]) for g in labels],
        }
    )
    out = ix.worst_feeders(
        totals,
        None,
        served,
        result.start,
        result.end,
        worst_fraction=WORST_FRACTION,
        min_members=MIN_MEMBERS,
        multiples=(OVER_MULTIPLE,),
        system_members=members.system,
        tz=result.zone,
    )
    for idx in ("saidi", "saifi"):  # a feeder without a sustained interruption is never among the worst
        out[f"worst_{idx}"] = out[f"worst_{idx}"] & (out[idx] > 0)
    out.insert(0, "substation", [members.feeder_substation.get(f) for f in out.index])
    return out


def _evidence(
    session: Session, period: ReportingYear, result: PeriodIndices, feeders: list[str]
) -> dict[str, tuple[list[FeederRecord], int]]:
    """The sustained normal-day records of ``feeders`` in the year, biggest first (capped), and their count."""
    if not feeders:
        return {}
    records, steps = load_records(
        session=session, start=period.start, end=period.end, feeder_division=result.members.feeder_division
    )
    records = records[records["feeder"].isin(feeders)].reset_index(drop=True)
    if not len(records):
        return {f: ([], 0) for f in feeders}
    minutes = (records["restored"] - records["start"]).dt.total_seconds().to_numpy(dtype=float) / 60.0
    momentary = records["momentary"].astype("boolean")
    momentary = np.where(
        momentary.isna().to_numpy(),
        minutes <= result.momentary_max_minutes,
        momentary.fillna(False).to_numpy(dtype=bool),
    )
    local = records["start"].dt.tz_convert(period.zone)
    meds = set(result.major_event_days.dates)
    normal = np.array([d not in meds for d in local.dt.date], bool)
    mm = ix.record_member_minutes(records, steps).to_numpy(dtype=float)
    keep = normal & ~momentary
    ids = [int(i) for i in records["record_id"][keep]]
    refs = dict(session.execute(select(Interruption.id, Interruption.record_ref).where(Interruption.id.in_(ids))).all())
    labels = cause_labels(session=session)
    out: dict[str, tuple[list[FeederRecord], int]] = {}
    for feeder in feeders:
        rows = np.flatnonzero(keep & (records["feeder"] == feeder).to_numpy())
        rows = rows[np.lexsort((records["start"].to_numpy()[rows], -mm[rows]))]
        listed = [
            FeederRecord(
                record_id=int(records.at[i, "record_id"]),
                record_ref=refs.get(int(records.at[i, "record_id"])),
                start=local.iloc[i].to_pydatetime(),
                minutes=float(minutes[i]),
                members=int(records.at[i, "members_out"]),
                member_minutes=float(mm[i]),
                cause=str(records.at[i, "cause"]),
                cause_label=labels.get(str(records.at[i, "cause"]), str(records.at[i, "cause"])),
            )
            for i in rows[:EVIDENCE_CAP]
        ]
        out[feeder] = (listed, len(rows))
    return out


def worst_feeders_pura(*, session: Session, year: Any, zone: Any = None, today: date | None = None) -> PuraWorstFeeders:
    """The feeders the Texas rule (PURA §38.005, 16 TAC §25.52) flags for ``year``: worst 10 % by SAIDI or
    SAIFI in the year and the year before, or SAIDI or SAIFI above 300 % of the system average in the year
    (normal days), with both years' figures and ranks and the year's sustained records (module docstring)."""
    period = reporting_year(year=year, zone=zone, today=today)
    if period.year <= 1900:
        raise InvalidInput(
            f"year {period.year}: the rule compares a year with the one before. Fix: ask for 1901 or later.",
            field="year",
        )
    before = reporting_year(year=period.year - 1, zone=period.zone, today=today)
    now, then = _indices(session, period, group_by="feeder"), _indices(session, before, group_by="feeder")
    ranked, previous = _worst(now), _worst(then)
    prior = previous.reindex(ranked.index)
    ranking = ranked.copy()
    for column in ("saidi", "saifi", "saidi_rank", "saifi_rank", "worst_saidi", "worst_saifi"):
        ranking[f"{column}_before"] = prior[column]
    worst_now = ranking["worst_saidi"] | ranking["worst_saifi"]
    worst_then = ranking["worst_saidi_before"].fillna(False).astype(bool) | ranking["worst_saifi_before"].fillna(
        False
    ).astype(bool)
    ranking["worst_two_years"] = worst_now & worst_then
    flags = ranking["worst_two_years"] | ranking["saidi_over_300pct"] | ranking["saifi_over_300pct"]
    ranking["flagged"] = flags
    chosen = [str(f) for f in ranking.index[flags.to_numpy(dtype=bool)]]
    evidence = _evidence(session, period, now, chosen)
    flagged = []
    for feeder in chosen:
        r = ranking.loc[feeder]
        listed, count = evidence[feeder]
        flagged.append(
            FlaggedFeeder(
                feeder=feeder,
                substation=r["substation"],
                members_served=int(r["members_served"]),
                saidi=float(r["saidi"]),
                saifi=float(r["saifi"]),
                saidi_rank=int(r["saidi_rank"]),
                saifi_rank=int(r["saifi_rank"]),
                saidi_before=float(r["saidi_before"]),
                saifi_before=float(r["saifi_before"]),
                saidi_rank_before=int(r["saidi_rank_before"]),
                saifi_rank_before=int(r["saifi_rank_before"]),
                worst_two_years=bool(r["worst_two_years"]),
                saidi_over_300pct=bool(r["saidi_over_300pct"]),
                saifi_over_300pct=bool(r["saifi_over_300pct"]),
                records=listed,
                records_in_all=count,
            )
        )
    notes = [
        "Normal days: each year's own major event days are left out (IEEE 1366, 2.5 beta method).",
        f"Feeders ranked: the {len(ranked)} that serve members; the worst 10 % is {ranked.attrs['worst_count']} "
        f"feeder{'s' if ranked.attrs['worst_count'] != 1 else ''} (rounded up), by SAIDI and by SAIFI separately; "
        "a feeder without a sustained interruption is never among the worst.",
        "300 % test: the feeder's SAIDI or SAIFI is more than 3 times the system average, for feeders with more "
        "than ten members.",
        f"Evidence: each flagged feeder's sustained records of {period.year} on normal days, biggest "
        f"(member-minutes) first, at most {EVIDENCE_CAP} listed.",
    ]
    if period.year_to_date:
        notes.append(f"{period.year} is not over: the figures are year to date, to {period.last_day.isoformat()}.")
    return PuraWorstFeeders(
        period=period,
        before=before,
        feeders_ranked=len(ranked),
        worst_count=int(ranked.attrs["worst_count"]),
        system_saidi=float(ranked.attrs["system_saidi"]),
        system_saifi=float(ranked.attrs["system_saifi"]),
        system_saidi_before=float(previous.attrs["system_saidi"]),
        system_saifi_before=float(previous.attrs["system_saifi"]),
        ranking=ranking,
        flagged=flagged,
        notes=notes,
    )
