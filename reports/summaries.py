"""Summary reports (domain D11, D12): what is owed, and the content of each from the log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gis.db import utcnow
from gis.errors import Conflict, NotFound
from gis.models import Device
from outages.classify import FacilityFacts, classify, out_over_time, record_states
from outages.member_minutes import member_minutes
from outages.models import Incident, Interruption, RestorationStep, StepPoint
from outages.settings import DEFAULT_CAUSES, get_rule_settings
from reports.models import SummaryReport
from reports.notices import general_location
from reports.summary_report import FacilityRow, StepRow, SummaryData


def report_state(report: SummaryReport, now: datetime) -> Literal["due", "overdue", "filed"]:
    """filed, overdue or due."""
    if report.filed_at is not None:
        return "filed"
    return "overdue" if now > report.due_at else "due"


def get_report(*, session: Session, report_id: int) -> SummaryReport:
    report = session.get(SummaryReport, report_id)
    if report is None:
        raise NotFound(f"Summary report {report_id} does not exist. Fix: check the id (GET /api/summary-reports).")
    return report


def file_report(*, session: Session, report_id: int, actor: str, now: datetime) -> SummaryReport:
    """An executive marks the report filed."""
    report = get_report(session=session, report_id=report_id)
    if report.filed_at is not None:
        raise Conflict(f"Summary report {report_id} was filed by {report.filed_by} already.")
    report.filed_at, report.filed_by = now, actor
    session.flush()
    return report


def _facility_name(record: Interruption) -> str:
    if record.transmission_line is not None:
        return record.transmission_line.code
    return f"{record.feeder.code} / {record.device.code}" if record.device else record.feeder.code


def _step_names(session: Session, records: list[Interruption]) -> dict[int, str]:
    """Step id -> what the step named, for the steps that named something: 'device F1' or 'N meters'."""
    steps = [s for r in records for s in r.steps if s.id is not None]
    codes = {}
    devices = sorted({s.device_id for s in steps if s.device_id is not None})
    for start in range(0, len(devices), 5000):
        codes.update(
            session.execute(select(Device.id, Device.code).where(Device.id.in_(devices[start : start + 5000]))).all()
        )
    meters: dict[int, int] = {}
    counted = [s.id for s in steps if s.device_id is None]
    for start in range(0, len(counted), 5000):
        meters.update(
            session.execute(
                select(StepPoint.step_id, func.count())
                .where(StepPoint.step_id.in_(counted[start : start + 5000]))
                .group_by(StepPoint.step_id)
            ).all()
        )
    names = {s.id: f"device {codes.get(s.device_id, s.device_id)}" for s in steps if s.device_id is not None}
    names.update({sid: f"{n:,} meter{'s' if n != 1 else ''}" for sid, n in meters.items()})
    return names


def _step_facility(record: Interruption, step: RestorationStep, names: dict[int, str]) -> str:
    named = names.get(step.id)
    return f"{_facility_name(record)}: {named}" if named else _facility_name(record)


def summary_data(
    *, session: Session, report: SummaryReport, cooperative: str, zone, facts: FacilityFacts | None = None
) -> SummaryData:
    """Everything the rule's summary report must contain, from the incident's records.  A record with a time
    outside the plausible window (:meth:`outages.settings.RuleSettings.plausible`; only a row written to the
    database directly can hold one) is left out, and a note on the report names it; an incident with no other
    record gets a Conflict (its times must be corrected first), never a report that cannot be drawn.

    The incident's figures come from the power state (:func:`outages.classify.out_over_time`, domain D15):
    total members affected are the distinct service points out (merged across overlapping records) plus the
    counts nobody located; member-minutes are D12 per member (each member's merged dark minutes, plus
    members restored × minutes from their record's start for the unlocated counts); members still out after
    each step and the timeline are the members out at once, each counted once.  Where records do not overlap
    these equal the sums over the records.  The facility rows are per record (D12 on each record's steps)."""
    incident = session.scalar(
        select(Incident)
        .where(Incident.id == report.incident_id)
        .options(selectinload(Incident.interruptions).selectinload(Interruption.steps))
    )
    facts = facts or FacilityFacts(session)
    rules, now = get_rule_settings(), utcnow()
    records, left_out = [], []
    for r in incident.interruptions:
        if r.status == "voided":
            continue
        times = [r.start_at] + [s.at for s in r.steps] + ([r.restored_at] if r.restored_at else [])
        (records if all(rules.plausible(t, now) for t in times) else left_out).append(r)
    if not records:
        raise Conflict(
            f"Incident {incident.id} has no record with plausible times (before "
            f"{rules.earliest_date.isoformat()} or far ahead) to report on. Fix: correct the records' "
            "times (PATCH /api/interruptions/{id}), then download the report again."
        )
    notes = [
        f"Interruption record {r.id} is left out: its times are not plausible (start "
        f"{r.start_at.isoformat()}, full restoration {r.restored_at.isoformat() if r.restored_at else 'none'}). "
        "Correct it in the log and download the report again."
        for r in left_out
    ]
    end = max(r.restored_at for r in records)
    states = record_states(records, facts.net, session=session)
    result = classify(records, facts, now=end, states=states)
    out = out_over_time([r for r in records if r.start_at <= end], facts, horizon=end, states=states)
    names = _step_names(session, records)
    steps = sorted(((s.at, r, s) for r in records for s in r.steps), key=lambda x: (x[0], x[1].id))
    step_rows = [
        StepRow(
            at=at,
            facility=_step_facility(record, step, names),
            members_restored=step.members_restored,
            members_out_after=int(round(out.level_at(at))),
        )
        for at, record, step in steps
    ]
    timeline = [(out.when(t), int(round(v))) for t, v in zip(out.times.tolist(), out.total.tolist())]
    facilities = [
        FacilityRow(
            substation=(
                record.substation.code
                if record.substation
                else ", ".join(sorted(s.code for s in record.transmission_line.substations))
            ),
            feeder=record.feeder.code if record.feeder else None,
            transmission_line=record.transmission_line.code if record.transmission_line else None,
            device=record.device.code if record.device else None,
            started_at=record.start_at,
            restored_at=record.restored_at,
            members_affected=record.members_out,
            member_minutes=member_minutes(record.start_at, [(s.at, s.members_restored) for s in record.steps]),
            cause=DEFAULT_CAUSES.get(record.cause_code, record.cause_code),
        )
        for record in records
    ]
    return SummaryData(
        cooperative=cooperative,
        incident_id=incident.id,
        incident_title=incident.title,
        started_at=result.started_at,
        restored_at=result.restored_at,
        zone=zone,
        causes=sorted({DEFAULT_CAUSES.get(r.cause_code, r.cause_code) for r in records}),
        location=general_location(incident, facts),
        criteria=[c.evidence for c in result.criteria],
        facilities=facilities,
        total_members_affected=out.members_affected,
        peak_members_out=result.peak_members_out,
        peak_at=result.peak_at,
        steps=step_rows,
        total_member_minutes=out.member_minutes,
        due_at=report.due_at,
        timeline=timeline,
        notes=notes,
        members_unlocated=min(out.unlocated_members, out.members_affected),
    )
