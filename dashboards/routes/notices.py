"""Significance, notices and summary reports: what the executives receive and file."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dashboards.deps import Executive, Reader, ReadSession, Responder, WriteSession
from dashboards.settings import get_settings
from gis.db import utcnow
from gis.errors import InvalidInput, NotFound
from gis.ids import DbId
from outages.classify import Classification, classify, facility_facts
from outages.service import get_incident
from outages.settings import get_rule_settings
from registry.schemas import EmailAddress
from reports.delivery import get_smtp_settings
from reports.flow import resend
from reports.models import Notice, SummaryReport
from reports.notices import notice_html, notice_pdf
from reports.summaries import file_report, get_report, report_state, summary_data
from reports.summary_report import summary_html, summary_pdf, summary_workbook

router = APIRouter(tags=["significance and reports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/api/incidents/{incident_id}/significance",
    response_model=Classification,
    summary="Is the incident significant, since when, and why (each criterion with its evidence)",
)
def significance(db: ReadSession, _user: Reader, incident_id: DbId) -> Classification:
    incident = get_incident(session=db, incident_id=incident_id)
    return classify(incident.interruptions, facility_facts(db), now=utcnow())


class DeliveryOut(BaseModel):
    id: int
    recipient: str
    status: Literal["pending", "sent", "failed"]
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    sent_at: datetime | None
    requested_by: str
    history: list[dict] | None


class NoticeOut(BaseModel):
    id: int
    incident_id: int
    kind: Literal["initial", "update"]
    sequence: int
    created_at: datetime
    fields: dict
    deliveries: list[DeliveryOut]


def _notice_out(n: Notice) -> NoticeOut:
    return NoticeOut(
        id=n.id,
        incident_id=n.incident_id,
        kind=cast(Literal["initial", "update"], n.kind),  # the table's CHECK constraint holds it to these
        sequence=n.sequence,
        created_at=n.created_at,
        fields=n.fields,
        deliveries=[DeliveryOut.model_validate(d, from_attributes=True) for d in n.deliveries],
    )


@router.get("/api/notices", response_model=list[NoticeOut], summary="Notices sent or pending, newest first")
def notices(db: ReadSession, _user: Reader, incident_id: DbId | None = None, failed: bool = False) -> list[NoticeOut]:
    stmt = select(Notice).options(selectinload(Notice.deliveries)).order_by(Notice.id.desc()).limit(500)
    if incident_id is not None:
        stmt = stmt.where(Notice.incident_id == incident_id)
    out = [_notice_out(n) for n in db.scalars(stmt)]
    return [n for n in out if any(d.status == "failed" for d in n.deliveries)] if failed else out


def _notice(db, notice_id: int) -> Notice:
    notice = db.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"Notice {notice_id} does not exist. Fix: check the id (GET /api/notices).")
    return notice


@router.get(
    "/api/notices/{notice_id}.{fmt}",
    summary="A notice as PDF or HTML",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "text/html": {}}, "description": "The notice."}},
)
def notice_document(db: ReadSession, _user: Reader, notice_id: DbId, fmt: Literal["pdf", "html"]) -> Response:
    notice, name = _notice(db, notice_id), get_settings().cooperative_name
    if fmt == "pdf":
        return Response(notice_pdf(notice.fields, name), media_type="application/pdf")
    if fmt == "html":
        return Response(notice_html(notice.fields, name), media_type="text/html")
    raise NotFound(f"There is no notice .{fmt}. Fix: ask for .pdf or .html.")


class ResendIn(BaseModel):
    recipients: Annotated[list[EmailAddress], Field(max_length=50)] | None = None


@router.post(
    "/api/notices/{notice_id}/resend",
    response_model=NoticeOut,
    status_code=202,
    summary="Send a notice again (to the configured executives, or to the recipients given)",
)
def resend_notice(db: WriteSession, user: Responder, notice_id: DbId, data: ResendIn | None = None) -> NoticeOut:
    notice = _notice(db, notice_id)
    recipients = data.recipients if data and data.recipients else get_smtp_settings().recipient_list
    if not recipients:
        raise InvalidInput("No recipients. Fix: give recipients, or set OUTAGES_SMTP_RECIPIENTS.", field="recipients")
    resend(db, notice_id=notice.id, recipients=recipients, actor=user.username)
    db.flush()
    db.refresh(notice)
    return _notice_out(notice)


class SummaryReportOut(BaseModel):
    id: int
    incident_id: int
    title: str
    due_at: datetime
    state: Literal["due", "overdue", "filed"]
    filed_at: datetime | None
    filed_by: str | None


def _report_out(report: SummaryReport, now: datetime) -> SummaryReportOut:
    return SummaryReportOut(
        id=report.id,
        incident_id=report.incident_id,
        title=report.incident.title,
        due_at=report.due_at,
        state=report_state(report, now),
        filed_at=report.filed_at,
        filed_by=report.filed_by,
    )


@router.get(
    "/api/summary-reports",
    response_model=list[SummaryReportOut],
    summary="Summary reports owed: due, overdue and filed",
)
def summary_reports(
    db: ReadSession, _user: Reader, state: Literal["due", "overdue", "filed"] | None = None
) -> list[SummaryReportOut]:
    now = utcnow()
    out = [_report_out(r, now) for r in db.scalars(select(SummaryReport).order_by(SummaryReport.due_at))]
    return [r for r in out if state is None or r.state == state]


@router.post(
    "/api/summary-reports/{report_id}/file",
    response_model=SummaryReportOut,
    summary="Mark a summary report filed (executive)",
)
def file_summary(db: WriteSession, user: Executive, report_id: DbId) -> SummaryReportOut:
    report = file_report(session=db, report_id=report_id, actor=user.username, now=utcnow())
    return _report_out(report, utcnow())


@router.get(
    "/api/summary-reports/{report_id}.{fmt}",
    summary="A summary report as xlsx, pdf or html",
    response_class=Response,
    responses={200: {"content": {XLSX: {}, "application/pdf": {}, "text/html": {}}, "description": "The report."}},
)
def summary_document(db: ReadSession, _user: Reader, report_id: DbId, fmt: Literal["xlsx", "pdf", "html"]) -> Response:
    data = summary_data(
        session=db,
        report=get_report(session=db, report_id=report_id),
        cooperative=get_settings().cooperative_name,
        zone=get_rule_settings().zone,
    )
    name = f"summary-report-incident-{data.incident_id}"
    if fmt == "xlsx":
        return Response(
            summary_workbook(data),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    if fmt == "pdf":
        return Response(
            summary_pdf(data),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    if fmt == "html":
        return Response(summary_html(data), media_type="text/html")
    raise NotFound(f"There is no summary report .{fmt}. Fix: ask for .xlsx, .pdf or .html.")
