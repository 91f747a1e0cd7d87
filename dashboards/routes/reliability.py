"""Reliability indices (IEEE Std 1366) and the annual reliability report: every staff role reads."""

from __future__ import annotations

import datetime as dt
import math
from datetime import date, datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from dashboards.deps import Reader, ReadSession
from dashboards.settings import get_settings
from gis.errors import InvalidInput
from outages import indices as ix
from outages.regulatory import eia861, worst_feeders_pura
from outages.reliability import DAY_TYPES, GROUPINGS, annual_reliability, indices_for
from outages.settings import get_rule_settings
from reports.regulatory import eia861_csv, eia861_workbook, export_filename, pura_csv, pura_workbook
from reports.reliability_report import reliability_pdf, reliability_workbook, report_filename

router = APIRouter(tags=["reliability"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class IndexRow(BaseModel):
    """The indices of the system or of one group over the period (IEEE Std 1366); null where undefined
    (e.g. CAIDI without sustained interruptions, or a group without members served)."""

    group: str = Field(
        description="'system', or the division / substation / feeder / cause; '(unassigned)' for "
        "records without one (transmission-line records)."
    )
    members_served: float | None = Field(description="N_T [members]: service points now.")
    sustained_records: int
    momentary_records: int
    momentary_events: int
    member_interruptions: float = Field(description="Σ N_i over sustained records [members].")
    member_minutes: float = Field(description="Σ r_i·N_i over sustained records [member·min] (D12).")
    momentary_member_interruptions: float
    distinct_members_interrupted: float | None = Field(
        description="CN [members]: each member once however often interrupted; an unlocated member counts as one "
        "distinct unknown member, so with unlocated records this is an upper bound (see notes)."
    )
    saifi: float | None = Field(description="Σ N_i / N_T [interruptions per member].")
    saidi: float | None = Field(description="Σ r_i·N_i / N_T [min].")
    caidi: float | None = Field(description="SAIDI / SAIFI [min].")
    asai: float | None = Field(description="1 − SAIDI / minutes in the period.")
    caifi: float | None
    ctaidi: float | None = Field(description="[min]")
    maifi: float | None
    maifie: float | None
    cemi_n: float | None = Field(description="Share of members with more than n sustained interruptions.")
    cemsmi_n: float | None = Field(description="The same counting momentary events too.")
    celid_s: float | None = Field(
        description="CELID_s: share of members with a single sustained interruption longer than celid_s_hours."
    )
    celid_t: float | None = Field(
        description="CELID_t: share of members whose sustained interruptions add up to "
        "more than celid_t_hours in the period."
    )
    note: str | None = None


class MajorEventDayOut(BaseModel):
    date: dt.date = Field(description="Local calendar day in the cooperative's zone.")
    saidi: float = Field(description="The day's SAIDI [min].")


class TMedOut(BaseModel):
    """The major event day threshold of the period (2.5 beta method) and the history it came from."""

    value: float | None = Field(description="T_MED [min]; null when there is too little history.")
    alpha: float | None
    beta: float | None
    history_from: date | None
    history_to: date | None
    history_years: float
    nonzero_days: int
    full_history: bool = Field(description="True when five years of history before the period were available.")
    note: str | None = None


class IndicesOut(BaseModel):
    start: datetime
    end: datetime = Field(description="Exclusive.")
    zone: str
    days: Literal["all", "normal", "major_event"]
    group_by: str | None
    n: int = Field(description="Threshold of CEMI_n and CEMSMI_n.")
    celid_s_hours: float = Field(description="CELID_s threshold [h]: a single interruption longer than this.")
    celid_t_hours: float = Field(description="CELID_t threshold [h]: interruptions adding up to more than this.")
    momentary_max_minutes: float = Field(description="Momentary: this many minutes or less (IEEE 1366: 5).")
    members_served: int = Field(description="System N_T [members]: the current count, used for every period.")
    t_med: TMedOut
    major_event_days: list[MajorEventDayOut]
    rows: list[IndexRow]
    notes: list[str]


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _when(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{field}={text!r} is not a date or time. Fix: use ISO 8601, e.g. 2025-01-01 or "
            "2025-01-01T06:00-05:00 (times without a zone are read in the cooperative's zone).",
            field=field,
        ) from None
    if not 1900 <= value.year <= 2200:
        raise InvalidInput(f"{field}={text!r} is outside 1900-2200. Fix: give a date in the log's range.", field=field)
    return value


@router.get(
    "/api/indices",
    response_model=IndicesOut,
    summary="Reliability indices (SAIFI, SAIDI, CAIDI, ASAI, CAIFI, CTAIDI, MAIFI, MAIFIe, CEMI_n, CELID) of a period",
)
def indices(
    db: ReadSession,
    _user: Reader,
    start: Annotated[str, Query(description="First day or instant, e.g. 2025-01-01.", examples=["2025-01-01"])],
    end: Annotated[
        str, Query(description="End, exclusive, e.g. 2026-01-01 for the year 2025.", examples=["2026-01-01"])
    ],
    group_by: Annotated[str | None, Query(description=f"One of {', '.join(GROUPINGS)}; none for the system.")] = None,
    days: Annotated[str, Query(description="all, normal (major event days left out) or major_event.")] = "all",
    n: Annotated[int, Query(ge=0, le=100, description="CEMI_n / CEMSMI_n threshold.")] = 3,
    celid_s_hours: Annotated[
        float,
        Query(gt=0, le=8784, description="CELID_s threshold [h]: a single sustained interruption longer than this."),
    ] = ix.CELID_S_HOURS,
    celid_t_hours: Annotated[
        float,
        Query(gt=0, le=8784, description="CELID_t threshold [h]: sustained interruptions adding up to more than this."),
    ] = ix.CELID_T_HOURS,
) -> IndicesOut:
    if days not in DAY_TYPES:
        raise InvalidInput(
            f"days={days!r} is not a day type. Fix: use all, normal (without major event days) or major_event.",
            field="days",
        )
    if group_by is not None and group_by not in GROUPINGS:
        raise InvalidInput(
            f"group_by={group_by!r} is not a grouping. Fix: use one of {', '.join(GROUPINGS)}, or "
            "leave it out for the system.",
            field="group_by",
        )
    lo, hi = _when(start, "start"), _when(end, "end")
    result = indices_for(
        session=db,
        start=lo,
        end=hi,
        group_by=group_by,
        zone=get_rule_settings().zone,
        n=n,
        celid_s_hours=celid_s_hours,
        celid_t_hours=celid_t_hours,
    )
    meds = result.major_event_days
    t = meds.t_med
    rows = []
    table = result.rows(days)
    for group, r in zip(table.index, table.to_dict("records")):  # plain dicts: a row per feeder stays cheap
        rows.append(
            IndexRow(
                group=str(group),
                members_served=_num(r["members_served"]),
                sustained_records=int(r["sustained_records"]),
                momentary_records=int(r["momentary_records"]),
                momentary_events=int(r["momentary_events"]),
                member_interruptions=float(r["member_interruptions"]),
                member_minutes=float(r["member_minutes"]),
                momentary_member_interruptions=float(r["momentary_member_interruptions"]),
                distinct_members_interrupted=_num(r["distinct_members_interrupted"]),
                saifi=_num(r["saifi"]),
                saidi=_num(r["saidi"]),
                caidi=_num(r["caidi"]),
                asai=_num(r["asai"]),
                caifi=_num(r["caifi"]),
                ctaidi=_num(r["ctaidi"]),
                maifi=_num(r["maifi"]),
                maifie=_num(r["maifie"]),
                cemi_n=_num(r[f"cemi_{n}"]),
                cemsmi_n=_num(r[f"cemsmi_{n}"]),
                celid_s=_num(r["celid_s"]),
                celid_t=_num(r["celid_t"]),
                note=r["note"] or None,
            )
        )
    return IndicesOut(
        start=result.start.to_pydatetime(),
        end=result.end.to_pydatetime(),
        zone=result.zone,
        days=cast(Literal["all", "normal", "major_event"], days),  # checked against DAY_TYPES above
        group_by=group_by,
        n=n,
        celid_s_hours=result.celid_s_hours,
        celid_t_hours=result.celid_t_hours,
        momentary_max_minutes=result.momentary_max_minutes,
        members_served=result.members.system,
        t_med=TMedOut(
            value=_num(t.value),
            alpha=_num(t.alpha),
            beta=_num(t.beta),
            history_from=t.first_day,
            history_to=t.last_day,
            history_years=t.years,
            nonzero_days=t.nonzero_days,
            full_history=t.full_history,
            note=t.note,
        ),
        major_event_days=[MajorEventDayOut(date=d, saidi=float(s)) for d, s in meds.days["saidi"].items()],
        rows=rows,
        notes=result.notes,
    )


def _download(content: bytes, media: str, name: str) -> Response:
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _annual(db, year: int):
    return annual_reliability(session=db, year=year, zone=get_rule_settings().zone)


@router.get(
    "/api/reports/reliability/{year}.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook."}},
    summary="Annual reliability report as Excel (Summary, Monthly, By cause, By division, Major event "
    "days, Worst feeders, EIA-861)",
)
def reliability_xlsx(db: ReadSession, _user: Reader, year: int) -> Response:
    data = _annual(db, year)
    return _download(
        reliability_workbook(data, cooperative=get_settings().cooperative_name), XLSX, report_filename(year, "xlsx")
    )


@router.get(
    "/api/reports/reliability/{year}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The PDF."}},
    summary="Annual reliability report as a PDF for executives (headline figures and plots)",
)
def reliability_pdf_report(db: ReadSession, _user: Reader, year: int) -> Response:
    data = _annual(db, year)
    return _download(
        reliability_pdf(data, cooperative=get_settings().cooperative_name),
        "application/pdf",
        report_filename(year, "pdf"),
    )


# --------------------------------------------------------------------------------------------------
# the regulators' and boards' exports


CSV = "text/csv; charset=utf-8"


@router.get(
    "/api/reports/eia-861/{year}.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook."}},
    summary="Form EIA-861 reliability fields of a year as Excel (SAIDI, SAIFI, CAIDI with and without major "
    "event days and loss of supply; the standard, momentary definition, customers)",
)
def eia861_xlsx(db: ReadSession, _user: Reader, year: int) -> Response:
    data = eia861(session=db, year=year, zone=get_rule_settings().zone)
    return _download(
        eia861_workbook(data, get_settings().cooperative_name), XLSX, export_filename("eia-861", year, "xlsx")
    )


@router.get(
    "/api/reports/eia-861/{year}.csv",
    response_class=Response,
    responses={200: {"content": {CSV: {}}, "description": "CSV, UTF-8: a header row and one row for the year."}},
    summary="Form EIA-861 reliability fields of a year as CSV",
)
def eia861_csv_report(db: ReadSession, _user: Reader, year: int) -> Response:
    data = eia861(session=db, year=year, zone=get_rule_settings().zone)
    return _download(eia861_csv(data), CSV, export_filename("eia-861", year, "csv"))


@router.get(
    "/api/reports/worst-feeders/{year}.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The workbook: flagged feeders and their evidence."}},
    summary="Feeders flagged under the Texas worst-feeder rule (PURA §38.005, 16 TAC §25.52) as Excel",
)
def worst_feeders_xlsx(db: ReadSession, _user: Reader, year: int) -> Response:
    data = worst_feeders_pura(session=db, year=year, zone=get_rule_settings().zone)
    return _download(
        pura_workbook(data, get_settings().cooperative_name), XLSX, export_filename("worst-feeders", year, "xlsx")
    )


@router.get(
    "/api/reports/worst-feeders/{year}.csv",
    response_class=Response,
    responses={200: {"content": {CSV: {}}, "description": "CSV, UTF-8: one row per flagged feeder's record."}},
    summary="Feeders flagged under the Texas worst-feeder rule (PURA §38.005) as CSV, with their records",
)
def worst_feeders_csv(db: ReadSession, _user: Reader, year: int) -> Response:
    data = worst_feeders_pura(session=db, year=year, zone=get_rule_settings().zone)
    return _download(pura_csv(data), CSV, export_filename("worst-feeders", year, "csv"))
