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

What the rule owed (issue 16) is stored on every incident when it is classified, live or imported:
``notice_required`` (significant), ``report_required`` (significant and lasted more than 24 hours, D11) and
``report_due_at`` (the due date, once fully restored).  Imported incidents are history: they never get a
notice.  They get a summary report row like a live one only while it can still be filed in time or nearly:
when its due date is today or later, or passed at most :data:`IMPORT_REPORT_GRACE` working days ago (so a
48-hour outage restored three days ago and backfilled from a paper log is owed its report, and shown as due
or overdue).  An older imported incident keeps ``report_required`` and ``report_due_at`` and gets no row:
nobody can file a report on time for an outage of years ago.  :func:`import_history` classifies an import
in its own transaction and says so in the answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from gis.db import transaction, utcnow
from gis.portable import insert_once
from outages import journal
from outages.classify import Classification, FacilityFacts, classify, facility_facts, record_states
from outages.formatting import format_time
from outages.models import Incident, Interruption
from outages.public_map import PublicMapSettings, get_public_map_settings
from outages.records_io import ImportResult, import_records
from outages.settings import RuleSettings, get_rule_settings
from reports.delivery import SmtpSettings, get_smtp_settings, next_try, send_email
from reports.map_health import watch_public_map
from reports.models import Notice, NoticeDelivery, SummaryReport
from reports.notices import notice_fields, notice_html, notice_pdf, notice_text, subject
from reports.working_days import REPORT_WORKING_DAYS, cooperative_holidays, summary_report_due, working_days_between

log = logging.getLogger("outages.scheduler")

DAY = timedelta(hours=24)
CLAIM = timedelta(minutes=2)
BATCH = 100
RECHECK = timedelta(seconds=50)
IMPORT_REPORT_GRACE = REPORT_WORKING_DAYS  # working days past due an imported incident still gets its report


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
    # classified before what was owed was stored (issue 16): once more, so that every incident says it
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
            or_(
                Incident.classified_at.is_(None),
                Incident.notice_required.is_(None),
                changed,
                and_(still_open, Incident.classified_at < now - RECHECK),
            ),
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
            notice, report, due = owed(result, now=now, zone=rules.zone)
            rows.append(
                {
                    "id": incident.id,
                    "classification": result.as_json(),
                    "significant_at": result.significant_at,
                    "classified_at": now,
                    "notice_required": notice,
                    "report_required": report,
                    "report_due_at": due,
                }
            )
            results[incident.id] = result
        session.execute(update(Incident), rows)  # one executemany per batch
        session.expire_all()
    return results


@lru_cache(maxsize=64)
def _calendar(year: int) -> frozenset[date]:
    """The cooperative's holidays a due date for a restoration in ``year`` can reach."""
    return frozenset(cooperative_holidays([year, year + 1]))


def owed(result: Classification, *, now: datetime, zone: tzinfo) -> tuple[bool, bool, datetime | None]:
    """What the rule owes for a classified incident: (initial notice, summary report, the report's due date).
    A notice when significant (D9); a report when significant and it lasted more than 24 hours, so far if it
    is still going on (D11); the due date once it is fully restored."""
    if not result.significant or result.started_at is None:
        return False, False, None
    lasted = (result.restored_at or now) - result.started_at
    if lasted <= DAY:
        return True, False, None
    if result.restored_at is None:
        return True, True, None
    year = result.restored_at.astimezone(zone).year
    return True, True, summary_report_due(result.restored_at, zone=zone, holidays=_calendar(year))


def report_still_owed(due_at: datetime, *, now: datetime, zone: tzinfo) -> bool:
    """Whether an imported incident's summary report is still to be filed: due today or later, or overdue by
    at most :data:`IMPORT_REPORT_GRACE` working days (see the module docstring)."""
    if due_at >= now:
        return True
    due_day, today = due_at.astimezone(zone).date(), now.astimezone(zone).date()
    return working_days_between(due_day, today, _calendar(due_day.year)) <= IMPORT_REPORT_GRACE


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
    with transaction(sessions) as session:
        facts = facility_facts(session)
        stale = list(session.scalars(_stale_incidents(now, rules)))
    for start in range(0, len(stale), BATCH):  # short transactions: dispatchers' writes go in between
        with transaction(sessions) as session:
            _classify_and_file(session, stale[start : start + BATCH], facts, report, now=now, rules=rules, smtp=smtp)
    with transaction(sessions) as session:
        journal.prune(session)
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
    smtp: SmtpSettings | None,
) -> dict[int, Classification]:
    """Classify a batch of incidents; make the notices (live incidents, when ``smtp`` gives the recipients)
    and summary reports they now owe (imported ones: while still owed, :func:`report_still_owed`)."""
    results = classify_incidents(session, now=now, rules=rules, facts=facts, ids=ids)
    report.classified += len(results)
    significant = [i for i, r in results.items() if r.significant]
    loaded = (
        {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(significant)))} if significant else {}
    )
    for incident_id in significant:  # one query for the batch's significant incidents, none for the others
        result, incident = results[incident_id], loaded[incident_id]
        live = incident.source == "live"
        if live and smtp is not None:
            report.significant.append(incident_id)
            report.notices += _make_notices(
                session, incident, result, facts, now=now, zone=rules.zone, recipients=smtp.recipient_list
            )
        due = incident.report_due_at
        if due is not None and (live or report_still_owed(due, now=now, zone=rules.zone)):
            made = insert_once(
                session,
                SummaryReport,
                {"incident_id": incident_id, "due_at": due, "created_at": now},
                conflict=["incident_id"],
            )
            if made is not None:
                report.summary_reports.append(made)
    return results


@dataclass
class OwedReport:
    """A summary report an import made owed (a row in ``summary_reports``)."""

    incident_id: int
    ref: str | None
    due_at: datetime
    overdue: bool


@dataclass
class ImportAnswer:
    """An import's answer: what was written (:class:`outages.records_io.ImportResult`) and what the rule owed
    for the incidents it touched."""

    written: ImportResult
    notices_required: int = 0  # incidents that were significant (an initial notice was owed; none is sent)
    reports_required: int = 0  # of them, lasting more than 24 hours (a summary report was owed)
    reports_due: list[OwedReport] = field(default_factory=list)  # still to file: a report row made
    reports_past: int = 0  # required, due long ago: recorded on the incident, no report row
    warnings: list[str] = field(default_factory=list)


def import_history(
    *,
    session: Session,
    frame,
    actor: str,
    source: str,
    now: datetime | None = None,
    rules: RuleSettings | None = None,
    progress=None,
) -> ImportAnswer:
    """Import records (:func:`outages.records_io.import_records`, all or nothing), then classify the incidents
    they touched in the same transaction: store what the rule owed, make the summary reports still owed and
    say in plain sentences what a person should look at.  The caller owns the transaction.

    Only incidents the file made (source 'import') are classified here; a live incident the file added records
    to is left to the scheduler's next round, which sends its notices (its records changed after it was last
    classified).  ``now`` is taken after the records are written, so that the scheduler does not classify the
    imported incidents again."""
    rules = rules or get_rule_settings()
    written = import_records(session=session, frame=frame, actor=actor, source=source, progress=progress)
    now = now or utcnow()
    answer = ImportAnswer(written=written)
    touched = written.incident_ids
    ids = [
        i
        for start in range(0, len(touched), BATCH * 10)
        for i in session.scalars(
            select(Incident.id).where(Incident.id.in_(touched[start : start + BATCH * 10]), Incident.source != "live")
        )
    ]
    facts = facility_facts(session) if ids else None
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        assert facts is not None  # made above when there is anything to classify
        _classify_and_file(session, batch, facts, TickReport(), now=now, rules=rules, smtp=None)
        for incident in session.scalars(select(Incident).where(Incident.id.in_(batch), Incident.notice_required)):
            answer.notices_required += 1
            if not incident.report_required:
                continue
            answer.reports_required += 1
            if incident.report_due_at is None:
                continue  # still going on: owed once restored
            filed = session.scalar(select(SummaryReport).where(SummaryReport.incident_id == incident.id))
            if filed is None:
                answer.reports_past += 1
            elif filed.filed_at is None:
                answer.reports_due.append(
                    OwedReport(incident.id, incident.ref, filed.due_at, overdue=filed.due_at < now)
                )
    answer.reports_due.sort(key=lambda r: (r.due_at, r.incident_id))
    answer.warnings = written.warnings(rules.zone) + _owed_warnings(answer, zone=rules.zone)
    return answer


def _owed_warnings(answer: ImportAnswer, *, zone: tzinfo) -> list[str]:
    out = []
    n = answer.notices_required
    if n:
        out.append(
            f"{n:,} imported incident{'' if n == 1 else 's'} {'was' if n == 1 else 'were'} significant and "
            f"required an initial notice to the executives; {answer.reports_required:,} of them lasted more than "
            "24 hours and required a summary report. No notice is sent for imported history; each incident "
            "records what was owed."
        )
    for r in answer.reports_due:
        name = r.ref or f"incident {r.incident_id}"
        when = format_time(r.due_at, zone)
        out.append(
            f"{name} owes a summary report, {'overdue since' if r.overdue else 'due'} {when}: it is listed "
            "with the summary reports owed (executive dashboard) until an executive files it."
        )
    if answer.reports_past:
        n = answer.reports_past
        out.append(
            f"{n:,} required summary report{'' if n == 1 else 's'} {'was' if n == 1 else 'were'} due more than "
            f"{IMPORT_REPORT_GRACE} working days ago: recorded on the incident{'' if n == 1 else 's'} "
            "(report required, due date), no report is made now."
        )
    return out


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
