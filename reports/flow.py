"""The scheduler's work, nothing depending on a person remembering to press a button:

1. classify every incident that is open or changed since it was last classified (D4-D8);
2. make the initial notice of each newly significant live incident, a daily update every 24 hours after
   it while the incident stays open (D9, D10; if the scheduler was stopped for days, only the latest
   update owed is sent, not a burst), and the summary report owed when a significant incident
   that lasted more than 24 hours is fully restored (D11) — each exactly once, enforced by unique keys;
3. deliver pending notices by e-mail, claiming each delivery in the database first, so several workers
   or processes never send the same one twice; failures retry with back-off and stay visible;
4. watch the public map (issue 15, :mod:`reports.map_health`): warn the executives once when its snapshot is
   stale or it does not answer, and once when it is back.

``tick`` runs all four; the web app runs it in a background thread (embedded default) and
``outages tick`` runs it from cron or a systemd timer.  Each step owns its transactions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from gis.db import transaction, utcnow
from gis.portable import insert_once
from outages.classify import Classification, FacilityFacts, classify, facility_facts, record_states
from outages.models import Incident, Interruption
from outages.public_map import PublicMapSettings, get_public_map_settings
from outages.settings import RuleSettings, get_rule_settings
from reports.delivery import SmtpSettings, get_smtp_settings, next_try, send_email
from reports.map_health import watch_public_map
from reports.models import Notice, NoticeDelivery, SummaryReport
from reports.notices import notice_fields, notice_html, notice_pdf, notice_text, subject
from reports.working_days import cooperative_holidays, summary_report_due

log = logging.getLogger("outages.scheduler")

DAY = timedelta(hours=24)
CLAIM = timedelta(minutes=2)
BATCH = 100
RECHECK = timedelta(seconds=50)


@dataclass
class TickReport:
    classified: int = 0
    significant: list[int] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)
    summary_reports: list[int] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    public_map: str | None = None  # the public map's alarm: "raised" or "cleared" this round (None: no change)


def _stale_incidents(now: datetime, rules: RuleSettings):
    """Never-classified incidents, those with a record changed since, and open ones not looked at for
    :data:`RECHECK` (time passing can make them significant: checked about once a minute) — but only
    incidents that began at least the one-hour minimum ago, since no criterion can be met sooner (D4)."""
    changed = exists().where(Interruption.incident_id == Incident.id, Interruption.updated_at > Incident.classified_at)
    still_open = exists().where(Interruption.incident_id == Incident.id, Interruption.status == "open")
    old_enough = exists().where(
        Interruption.incident_id == Incident.id,
        Interruption.status != "voided",
        Interruption.start_at <= now - timedelta(minutes=rules.significant_minutes),
    )
    return (
        select(Incident.id)
        .where(
            old_enough,
            or_(Incident.classified_at.is_(None), changed, and_(still_open, Incident.classified_at < now - RECHECK)),
        )
        .order_by(Incident.id)
    )


def classify_incidents(
    session: Session,
    *,
    now: datetime,
    rules: RuleSettings,
    facts: FacilityFacts | None = None,
    ids: list[int] | None = None,
) -> dict[int, Classification]:
    """(Re)classify incidents and store the outcome on them; returns what changed."""
    facts = facts or facility_facts(session)
    ids = list(session.scalars(_stale_incidents(now, rules))) if ids is None else ids
    results = {}
    for start in range(0, len(ids), BATCH):
        incidents = session.scalars(
            select(Incident)
            .where(Incident.id.in_(ids[start : start + BATCH]))
            .options(
                selectinload(Incident.interruptions).selectinload(Interruption.steps),
                selectinload(Incident.interruptions).selectinload(Interruption.feeder),
                selectinload(Incident.interruptions).selectinload(Interruption.device),
                selectinload(Incident.interruptions).selectinload(Interruption.transmission_line),
            )
        ).all()
        rows = []
        # the batch's power states in two queries (outages.classify.record_states), not two per incident
        states = record_states(
            [r for i in incidents for r in i.interruptions if r.status != "voided" and r.start_at <= now],
            facts.net,
            session=session,
        )
        for incident in incidents:
            result = classify(incident.interruptions, facts, now=now, rules=rules, states=states)
            rows.append(
                {
                    "id": incident.id,
                    "classification": result.as_json(),
                    "significant_at": result.significant_at,
                    "classified_at": now,
                }
            )
            results[incident.id] = result
        session.execute(update(Incident), rows)  # one executemany per batch
        session.expire_all()
    return results


def _make_notices(
    session: Session,
    incident: Incident,
    result: Classification,
    facts: FacilityFacts,
    *,
    now: datetime,
    zone,
    recipients: list[str],
) -> list[int]:
    made = []
    initial = session.scalar(select(Notice).where(Notice.incident_id == incident.id, Notice.kind == "initial"))
    wanted = [] if initial else [("initial", 0)]
    if initial is not None and result.ongoing:
        due = int((now - initial.created_at) / DAY)  # updates owed so far; after a scheduler outage only
        last = (
            session.scalar(
                select(func.max(Notice.sequence)).where(  # the latest is sent, not a burst
                    Notice.incident_id == incident.id, Notice.kind == "update"
                )
            )
            or 0
        )
        if due > last:
            wanted.append(("update", due))
    for kind, sequence in wanted:
        fields = notice_fields(incident, result, facts, kind=kind, sequence=sequence, now=now, zone=zone)
        notice_id = insert_once(
            session,
            Notice,
            {"incident_id": incident.id, "kind": kind, "sequence": sequence, "created_at": now, "fields": fields},
            conflict=["incident_id", "kind", "sequence"],
        )
        if notice_id is not None:
            session.add_all(
                NoticeDelivery(
                    notice_id=notice_id,
                    recipient=r,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    requested_by="scheduler",
                )
                for r in recipients
            )
            made.append(notice_id)
    return made


def tick(
    sessions: sessionmaker,
    *,
    cooperative: str,
    now: datetime | None = None,
    rules: RuleSettings | None = None,
    smtp: SmtpSettings | None = None,
    deliver: bool = True,
    public_map: PublicMapSettings | None = None,
) -> TickReport:
    """One round of the scheduler (see the module docstring); ``cooperative``: the name the notices carry
    (``OUTAGES_COOPERATIVE_NAME``, :class:`reports.settings.CooperativeSettings`); ``public_map``: the public
    map's settings (default: the environment's), whose snapshot and address are watched."""
    now, rules, smtp = now or utcnow(), rules or get_rule_settings(), smtp or get_smtp_settings()
    report = TickReport()
    holidays = cooperative_holidays(range(now.year - 1, now.year + 2))
    with transaction(sessions) as session:
        facts = facility_facts(session)
        stale = list(session.scalars(_stale_incidents(now, rules)))
    for start in range(0, len(stale), BATCH):  # short transactions: dispatchers' writes go in between
        with transaction(sessions) as session:
            _classify_and_file(
                session, stale[start : start + BATCH], facts, report, now=now, rules=rules, smtp=smtp, holidays=holidays
            )
    if deliver:
        report.sent, report.failed = deliver_pending(sessions, now=now, smtp=smtp, cooperative=cooperative)
        try:
            report.public_map = watch_public_map(
                sessions, settings=public_map or get_public_map_settings(), smtp=smtp, cooperative=cooperative, now=now
            ).change
        except Exception:  # noqa: BLE001 - the map's watch never stops notices; the next tick tries again
            log.exception("watching the public map failed")
    return report


def _classify_and_file(
    session: Session,
    ids: list[int],
    facts: FacilityFacts,
    report: TickReport,
    *,
    now: datetime,
    rules: RuleSettings,
    smtp: SmtpSettings,
    holidays,
) -> None:
    """Classify a batch of incidents; make the notices and summary reports they now owe."""
    results = classify_incidents(session, now=now, rules=rules, facts=facts, ids=ids)
    report.classified += len(results)
    for incident_id, result in results.items():
        incident = session.get(Incident, incident_id)
        if not result.significant or incident.source != "live":
            continue
        report.significant.append(incident_id)
        report.notices += _make_notices(
            session, incident, result, facts, now=now, zone=rules.zone, recipients=smtp.recipient_list
        )
        lasted = (result.restored_at - result.started_at) if result.restored_at else None
        if lasted is not None and lasted > DAY:
            due = summary_report_due(result.restored_at, zone=rules.zone, holidays=holidays)
            made = insert_once(
                session,
                SummaryReport,
                {"incident_id": incident_id, "due_at": due, "created_at": now},
                conflict=["incident_id"],
            )
            if made is not None:
                report.summary_reports.append(made)


def deliver_pending(sessions: sessionmaker, *, now: datetime, smtp: SmtpSettings, cooperative: str) -> tuple[int, int]:
    """Send every delivery that is due, in ``cooperative``'s name; returns (sent, failed) counts for this round."""
    with transaction(sessions) as session:
        due = list(
            session.scalars(
                select(NoticeDelivery.id)
                .where(
                    NoticeDelivery.status != "sent",
                    NoticeDelivery.next_attempt_at <= now,
                    or_(NoticeDelivery.claimed_until.is_(None), NoticeDelivery.claimed_until < now),
                )
                .limit(100)
            )
        )
    sent = failed = 0
    for delivery_id in due:
        with transaction(sessions) as session:
            claimed = session.execute(
                update(NoticeDelivery)
                .where(
                    NoticeDelivery.id == delivery_id,
                    NoticeDelivery.status != "sent",
                    or_(NoticeDelivery.claimed_until.is_(None), NoticeDelivery.claimed_until < now),
                )
                .values(claimed_until=now + CLAIM)
            ).rowcount
            if not claimed:
                continue
            delivery = session.get(NoticeDelivery, delivery_id)
            fields, recipient = delivery.notice.fields, delivery.recipient
        error = None
        try:
            send_email(
                smtp,
                to=recipient,
                subject=subject(fields),
                text=notice_text(fields, cooperative),
                html=notice_html(fields, cooperative),
                attachments=[
                    (
                        f"notice-{fields['incident_id']}-{fields['sequence']}.pdf",
                        "application/pdf",
                        notice_pdf(fields, cooperative),
                    )
                ],
            )
        except Exception as err:  # noqa: BLE001 - any failure is logged on the delivery and retried
            error = f"{type(err).__name__}: {err}"
        with transaction(sessions) as session:
            delivery = session.get(NoticeDelivery, delivery_id)
            delivery.attempts += 1
            delivery.claimed_until = None
            delivery.history = [
                *(delivery.history or []),
                {
                    "at": utcnow().isoformat(timespec="seconds"),
                    "outcome": "failed" if error else "sent",
                    "error": error,
                },
            ]
            if error is None:
                delivery.status, delivery.sent_at, delivery.last_error = "sent", utcnow(), None
                sent += 1
            else:
                delivery.status, delivery.last_error = "failed", error
                delivery.next_attempt_at = next_try(now, delivery.attempts)
                failed += 1
    return sent, failed


def resend(session: Session, *, notice_id: int, recipients: list[str], actor: str) -> list[NoticeDelivery]:
    """Queue a notice again for the given recipients (an executive or dispatcher asked)."""
    made = [
        NoticeDelivery(
            notice_id=notice_id, recipient=r, status="pending", attempts=0, next_attempt_at=utcnow(), requested_by=actor
        )
        for r in recipients
    ]
    session.add_all(made)
    session.flush()
    return made
