"""Members' outage reports (issue 7, second part): one open report per service point; reports from one
feeder that pass a count within a time window make a *probable outage* — with the device they point to —
that a dispatcher confirms into an interruption (or dismisses) in one action.

A report may name a danger the member saw (:data:`HAZARDS`: a wire down, a tree on a line, issue 14).  The
danger is kept whatever becomes of the report (confirmed into a known outage at once, confirmed later or
dismissed) and is listed to staff (:func:`open_hazards`) until a dispatcher marks it made safe
(:func:`clear_hazard`, audited).  A report may also say the member has *partial power* (lights dim, some
circuits out: one phase lost, issue 15); it is kept on the report and counted in each probable outage
(:attr:`ProbableOutage.partial_power`), so the dispatcher looks for a lost phase rather than a whole feeder."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, false, func, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from gis.db import Base, UTCDateTime, utcnow
from gis.errors import Conflict, InvalidInput, NotFound
from gis.models import Device, Feeder, ServicePoint
from gis.network import network
from gis.service import count_members, get_by_code
from outages.models import Interruption
from outages.schemas import InterruptionCreate
from outages.service import audit, create_interruption
from outages.settings import get_rule_settings

HAZARDS = ("wire_down", "tree_on_line")
HAZARD_LABELS = {"wire_down": "Wire down", "tree_on_line": "Tree on line"}  # as staff read them


class OutageReport(Base):
    __tablename__ = "outage_reports"
    __table_args__ = (
        CheckConstraint("hazard IN ('wire_down','tree_on_line')", name="hazard"),
        Index(
            "uq_outage_reports_open",
            "service_point_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    feeder_id: Mapped[int] = mapped_column(ForeignKey("feeders.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("member_accounts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | confirmed | dismissed
    interruption_id: Mapped[int | None] = mapped_column(ForeignKey("interruptions.id"))
    # a danger the member saw (HAZARDS); listed first in the console until a dispatcher marks it made safe
    hazard: Mapped[str | None] = mapped_column(String(20))
    hazard_cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hazard_cleared_by: Mapped[str | None] = mapped_column(String(80))
    # the member has some power (lights dim, some circuits out): one phase or a neighbour's fuse (issue 15)
    partial_power: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


def report_outage(
    *,
    session: Session,
    service_point: ServicePoint,
    account_id: int | None = None,
    known: Interruption | None = None,
    hazard: str | None = None,
    partial_power: bool = False,
    now: datetime | None = None,
) -> tuple[OutageReport, bool]:
    """Record a member's report; a second report for the same service point returns the open one.  When
    the outage is ``known`` (an open record already covers the service point) the report is confirmed into
    it at once instead of counting towards a probable outage.  A ``hazard`` (one of :data:`HAZARDS`) is kept
    on the report either way; named again with the open report, it is added to it when that report names no
    danger still to be made safe.  ``partial_power`` (some power: lights dim, some circuits out) is kept too,
    and added to the open report when said again."""
    if hazard is not None and hazard not in HAZARDS:
        raise InvalidInput("hazard must be wire_down or tree_on_line, or left out.", field="hazard")
    open_one = select(OutageReport).where(
        OutageReport.service_point_id == service_point.id, OutageReport.status == "open"
    )
    for _attempt in range(3):  # a simultaneous twin may win the insert, and be handled before we read it
        existing = session.scalar(open_one)
        if existing is not None:
            changed = False
            if hazard and (existing.hazard is None or existing.hazard_cleared_at is not None):
                existing.hazard, existing.hazard_cleared_at, existing.hazard_cleared_by = hazard, None, None
                changed = True
            if partial_power and not existing.partial_power:
                existing.partial_power = changed = True
            if changed:
                session.flush()
            return existing, False
        report = OutageReport(
            service_point_id=service_point.id,
            feeder_id=service_point.feeder_id,
            device_id=service_point.device_id,
            account_id=account_id,
            created_at=now or utcnow(),
            status="confirmed" if known else "open",
            interruption_id=known.id if known else None,
            hazard=hazard,
            partial_power=bool(partial_power),
        )
        try:
            with session.begin_nested():
                session.add(report)
                session.flush()
        except IntegrityError:  # a simultaneous twin made it first: read it
            continue
        return report, True
    raise Conflict("Reports for this meter kept colliding with others made at the same moment. Fix: send it again.")


class ProbableOutage(BaseModel):
    """Reports from one feeder that pass the threshold within the window, and the device they point to."""

    feeder: str
    device: str | None
    reports: int
    hazards: int = Field(0, description="how many of its reports name a danger not yet made safe")
    partial_power: int = Field(
        0, description="how many of its reports say the member has some power (lights dim, some circuits out)"
    )
    first_at: datetime
    last_at: datetime
    report_ids: list[int]


def probable_outages(*, session: Session, now: datetime | None = None) -> list[ProbableOutage]:
    """Feeders whose open reports within the window reach the threshold (settings), busiest first."""
    rules, now = get_rule_settings(), now or utcnow()
    since = now - timedelta(minutes=rules.report_window_minutes)
    rows = session.execute(
        select(OutageReport, Feeder.code)
        .join(Feeder, Feeder.id == OutageReport.feeder_id)
        .where(OutageReport.status == "open", OutageReport.created_at >= since)
        .order_by(OutageReport.created_at)
    ).all()
    by_feeder: dict[str, list[OutageReport]] = {}
    for report, code in rows:
        by_feeder.setdefault(code, []).append(report)
    devices = dict(session.execute(select(Device.id, Device.code)).all())
    # the failed device the reports point to, as an outage management system predicts it: the deepest device
    # upstream of every reporting service point (none, the feeder itself, when a report comes from above every
    # device or the reports' branches meet only at the feeder's head)
    net, out = network(session), []
    for code, reports in by_feeder.items():
        if len(reports) < rules.report_threshold:
            continue
        failed = net.common_upstream([r.service_point_id for r in reports])
        out.append(
            ProbableOutage(
                feeder=code,
                device=devices.get(failed) if failed is not None else None,
                reports=len(reports),
                hazards=sum(1 for r in reports if _hazard_open(r)),
                partial_power=sum(1 for r in reports if r.partial_power),
                first_at=reports[0].created_at,
                last_at=reports[-1].created_at,
                report_ids=[r.id for r in reports],
            )
        )
    return sorted(out, key=lambda p: -p.reports)


def _hazard_open(report: OutageReport) -> bool:
    return report.hazard is not None and report.hazard_cleared_at is None


def _open_reports(session: Session, feeder: str) -> list[OutageReport]:
    feeder_row = get_by_code(session=session, model=Feeder, code=feeder, what="feeder", field="feeder")
    reports = list(
        session.scalars(
            select(OutageReport)
            .where(OutageReport.feeder_id == feeder_row.id, OutageReport.status == "open")
            .order_by(OutageReport.created_at)
        )
    )
    if not reports:
        raise NotFound(f"No open outage reports on feeder {feeder}. Fix: refresh the list of probable outages.")
    return reports


def confirm(*, session: Session, feeder: str, device: str | None, actor: str, cause: str = "unknown") -> Interruption:
    """Turn a probable outage into an interruption: from the first report, on the device when one is named
    (everyone below it is out) or on the feeder with the reporting members as the count, to adjust later."""
    reports = _open_reports(session, feeder)
    if device:
        dev = get_by_code(session=session, model=Device, code=device, what="device", field="device")
        if count_members(session=session, device_id=dev.id) < 1:
            raise InvalidInput(
                "Nobody is served below that device. Fix: choose another device or none.", field="device"
            )
    # on a device everyone below it is out; on the feeder only the reporting members are located
    record, _ = create_interruption(
        session=session,
        actor=actor,
        data=InterruptionCreate(
            feeder=feeder,
            device=device,
            cause=cause,
            start_at=reports[0].created_at,
            notes=f"confirmed from {len(reports)} member report(s)",
        ),
        service_point_ids=None if device else list(dict.fromkeys(r.service_point_id for r in reports)),
    )
    for r in reports:
        r.status, r.interruption_id = "confirmed", record.id
    session.flush()
    return record


def dismiss(*, session: Session, feeder: str) -> int:
    """Close the open reports of a feeder without an interruption (e.g. a single house's own fault)."""
    reports = _open_reports(session, feeder)
    for r in reports:
        r.status = "dismissed"
    session.flush()
    return len(reports)


# --- hazards --------------------------------------------------------------------------------------------


class HazardOut(BaseModel):
    """A danger a member reported, as staff see it: where (feeder, device, the meter and its location), when,
    and the report's fate (``status`` open | confirmed | dismissed, the record it was confirmed into)."""

    id: int = Field(description="the outage report's id")
    hazard: str = Field(description="wire_down | tree_on_line")
    hazard_label: str = Field(description="Wire down | Tree on line")
    created_at: datetime
    feeder: str
    device: str | None
    meter: str = Field(description="the reporting service point's meter number")
    lat: float = Field(description="the service point's latitude [degrees, WGS 84]")
    lon: float = Field(description="the service point's longitude [degrees, WGS 84]")
    interruption_id: int | None = Field(description="the record the report was confirmed into, if any")
    status: str = Field(description="the report's status: open | confirmed | dismissed")
    cleared_at: datetime | None = Field(None, description="when a dispatcher marked it made safe")
    cleared_by: str | None = Field(None, description="who marked it made safe")


def _hazards_query():
    return (
        select(
            OutageReport,
            Feeder.code,
            Device.code,
            ServicePoint.meter_number,
            func.ST_Y(ServicePoint.geom),
            func.ST_X(ServicePoint.geom),
        )
        .join(ServicePoint, ServicePoint.id == OutageReport.service_point_id)
        .join(Feeder, Feeder.id == OutageReport.feeder_id)
        .outerjoin(Device, Device.id == OutageReport.device_id)
    )


def _hazard_out(row) -> HazardOut:
    report, feeder, device, meter, lat, lon = row
    return HazardOut(
        id=report.id,
        hazard=report.hazard,
        hazard_label=HAZARD_LABELS.get(report.hazard, report.hazard),
        created_at=report.created_at,
        feeder=feeder,
        device=device,
        meter=meter,
        lat=lat,
        lon=lon,
        interruption_id=report.interruption_id,
        status=report.status,
        cleared_at=report.hazard_cleared_at,
        cleared_by=report.hazard_cleared_by,
    )


def open_hazards(*, session: Session) -> list[HazardOut]:
    """Every reported danger not yet made safe, newest first, whatever became of its report.  One query."""
    rows = session.execute(
        _hazards_query()
        .where(OutageReport.hazard.is_not(None), OutageReport.hazard_cleared_at.is_(None))
        .order_by(OutageReport.created_at.desc(), OutageReport.id.desc())
    ).all()
    return [_hazard_out(row) for row in rows]


def _hazard_snapshot(report: OutageReport) -> dict:
    return {
        "hazard": report.hazard,
        "status": report.status,
        "hazard_cleared_at": report.hazard_cleared_at.isoformat() if report.hazard_cleared_at else None,
        "hazard_cleared_by": report.hazard_cleared_by,
    }


def clear_hazard(*, session: Session, report_id: int, actor: str, now: datetime | None = None) -> HazardOut:
    """Mark a reported danger made safe (audited: entity ``outage_report``, action ``hazard_cleared``)."""
    report = session.get(OutageReport, report_id)
    if report is None or report.hazard is None:
        raise NotFound(f"No reported danger with id {report_id}. Fix: refresh the list of hazards.")
    before = _hazard_snapshot(report)
    # a conditional update: of two dispatchers pressing "made safe" at once, one wins, the other is told
    won = (
        report.hazard_cleared_at is None
        and cast(
            CursorResult[Any],
            session.execute(
                update(OutageReport)
                .where(OutageReport.id == report.id, OutageReport.hazard_cleared_at.is_(None))
                .values(hazard_cleared_at=now or utcnow(), hazard_cleared_by=actor)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
    )
    session.refresh(report)
    if not won:
        raise Conflict(
            f"This danger was already marked made safe by {report.hazard_cleared_by}. Fix: refresh the list of hazards."
        )
    audit(session, "outage_report", report.id, "hazard_cleared", actor, before, _hazard_snapshot(report))
    session.flush()
    return _hazard_out(session.execute(_hazards_query().where(OutageReport.id == report.id)).one())
