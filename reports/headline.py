"""The executive's headline (issue 16): what the first screen of the executive dashboard shows, in one answer.

Every figure is backed by records (domain D15-D17):

- members out now and restored so far are the power state's (:class:`outages.power_state.OutNow` over every
  open record that has begun, as the console's header and the public map count them): each member once, never
  above the members served; the share restored is of the members the open records left dark (restored so far
  plus out now);
- one line per open significant incident: members out now (its open records' union), since when, why in
  plain words (:func:`outages.console.headline`, the console's one line), the ETR or "being assessed" (D9, D17:
  the latest of its open records' ETRs when every one has a plausible one), and whether the initial notice
  reached anyone; the criteria with their evidence ride along for the page's disclosure;
- notices made and deliveries sent in the last 24 h, failed deliveries (count and the newest few);
- summary reports due and overdue (D11), and those filed in the last week;
- year-to-date SAIDI, SAIFI and CAIDI (IEEE 1366) of this year and the four before over the same calendar
  period (1 January to the end of yesterday), on all days and without major event days: one
  :func:`outages.reliability.indices_for` per year;
- the worst feeders of this year on normal days (top 5 by SAIDI), or, when no feeder had a sustained
  interruption on normal days, a sentence that says where the year's SAIDI came from (never "no sustained
  interruption" beside a SAIDI above zero).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from gis.db import utcnow
from outages.classify import Classification, FacilityFacts, facility_facts, record_states
from outages.console import criterion_label, headline, significance
from outages.models import Incident
from outages.overview import members_out_now, open_incidents
from outages.power_state import OutNow
from outages.reliability import annual_reliability, indices_for
from outages.settings import RuleSettings, get_rule_settings
from reports.models import Notice, NoticeDelivery, SummaryReport
from reports.summaries import report_state

YEARS = 5  #: this year to date and the four before it
WORST = 5  #: feeders on the first screen
FAILED_SHOWN = 5  #: failed deliveries listed (all are counted)
NOTICE_HOURS = 24  #: the notices figure: the last day
FILED_DAYS = 7  #: summary reports filed this recently stay listed (as filed)


# --- shapes --------------------------------------------------------------------------------------------


class CriterionLine(BaseModel):
    label: str = Field(description="The criterion in words: 'Essential service', 'Community: Johnson City'")
    met_at: datetime
    evidence: str = Field(description="What the records show, in a sentence")


class IncidentLine(BaseModel):
    """One open significant incident, as one line."""

    incident_id: int
    ref: str | None
    title: str
    members_out_now: int = Field(description="Its open records' union now (each member once), located and unlocated")
    started_at: datetime | None = Field(description="Its first record's start")
    significant_at: datetime | None
    reason: str = Field(description="Why it is significant, in plain words: '2 essential services, 6,000 members'")
    etr_at: datetime | None = Field(description="When every open record has an ETR: the latest (the last member back)")
    etr: str = Field(description="The ETR in the cooperative's zone, or 'being assessed'")
    notice: Literal["sent", "pending", "failed", "none"] = Field(
        description="The initial notice: sent (delivered to at least one recipient), pending, failed (no "
        "delivery yet, one failed), none (not made)"
    )
    notice_id: int | None
    notice_sent_at: datetime | None = Field(description="The initial notice's first delivery")
    updates_made: int = Field(description="Daily updates made (D10)")
    criteria: list[CriterionLine] = Field(description="The evidence: each criterion met")


class FailedDeliveryLine(BaseModel):
    delivery_id: int
    notice_id: int
    incident_id: int
    notice: str = Field(description="'Initial notice' or 'Daily update 2'")
    recipient: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime


class NoticeFigures(BaseModel):
    hours: int = Field(description="The window of the two counts below [h]")
    made: int = Field(description="Notices (initial and updates) made in the window")
    deliveries_sent: int = Field(description="Deliveries that reached a recipient in the window")
    failed: int = Field(description="Deliveries that failed and have not been sent since (they are retried)")
    failed_newest: list[FailedDeliveryLine]


class ReportLine(BaseModel):
    report_id: int
    incident_id: int
    title: str
    due_at: datetime
    state: Literal["due", "overdue", "filed"]
    filed_at: datetime | None
    filed_by: str | None


class ReportFigures(BaseModel):
    due: int
    overdue: int
    filed_recently: int = Field(description="Filed in the last filed_days days")
    filed_days: int
    items: list[ReportLine] = Field(description="Overdue first, then due, by due date; then those filed lately")


class YearIndices(BaseModel):
    """SAIDI [min], SAIFI [interruptions per member] and CAIDI [min] of one year's same calendar period."""

    year: int
    start: date
    end: date = Field(description="Exclusive")
    saidi: float | None
    saifi: float | None
    caidi: float | None
    saidi_normal: float | None = Field(description="Without major event days")
    saifi_normal: float | None
    caidi_normal: float | None
    major_event_days: int
    sustained_records: int


class WorstFeeder(BaseModel):
    feeder: str
    substation: str | None
    members_served: int
    saidi: float | None
    saifi: float | None
    caidi: float | None
    sustained_records: int


class Headline(BaseModel):
    as_of: datetime
    members_served: int
    members_out_now: int = Field(description="Every open record's union (each member once), never above served")
    members_out_unlocated: int = Field(description="Of members_out_now, those nobody has located yet")
    members_restored_so_far: int = Field(
        description="Located members back on whom an open record had left dark (its steps so far)"
    )
    members_left_dark: int = Field(description="members_out_now + members_restored_so_far")
    share_restored: float | None = Field(description="members_restored_so_far / members_left_dark; null if none")
    open_records: int
    open_incidents: int
    incidents: list[IncidentLine] = Field(description="Open significant incidents, the most members out first")
    notices: NoticeFigures
    reports: ReportFigures
    period: str = Field(description="The year-to-date period in words")
    years: list[YearIndices] = Field(description="Oldest first; the last is this year to date")
    worst_feeders: list[WorstFeeder] = Field(description="This year's, normal days, by SAIDI")
    worst_note: str | None = Field(description="What the worst-feeder list cannot show, in a sentence")


# --- the pieces ---------------------------------------------------------------------------------------


def _num(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _etr(incident: Incident, *, now: datetime, rules: RuleSettings) -> datetime | None:
    """The latest ETR of the incident's open records when every one has a plausible one, else None."""
    records = [r for r in incident.interruptions if r.status == "open"]
    etrs = [r.etr_at for r in records if rules.plausible(r.etr_at, now)]
    return max(etrs) if records and len(etrs) == len(records) else None  # type: ignore[type-var]


def _local(moment: datetime, rules: RuleSettings) -> str:
    t = moment.astimezone(rules.zone)
    return f"{t:%a} {t.day} {t:%b} {t:%H:%M} {t.tzname()}"


def _notice_state(notice: Notice | None) -> tuple[str, datetime | None]:
    if notice is None:
        return "none", None
    sent = [d.sent_at for d in notice.deliveries if d.status == "sent" and d.sent_at is not None]
    if sent:
        return "sent", min(sent)
    if any(d.status == "failed" for d in notice.deliveries):
        return "failed", None
    return "pending", None


def _incident_lines(
    *, session: Session, facts: FacilityFacts, now: datetime, rules: RuleSettings
) -> tuple[OutNow, int, int, list[IncidentLine]]:
    incidents = open_incidents(session=session)
    states = record_states(
        [r for i in incidents for r in i.interruptions if r.status != "voided"], facts.net, session=session
    )
    live = [r for i in incidents for r in i.interruptions if r.status == "open" and r.start_at <= now]
    everyone = OutNow(facts.net, [states[r] for r in live])
    found: dict[int, Classification] = {
        i.id: significance(i, facts, now=now, rules=rules, states=states) for i in incidents
    }
    significant = [i for i in incidents if found[i.id].significant]
    # each significant incident's own union (a storm's hundreds of small incidents cost nothing here)
    out_of = members_out_now(session=session, incidents=significant, now=now, net=facts.net, states=states)
    notices = _notices_of(session, [i.id for i in significant])
    lines = []
    for incident in significant:
        c = found[incident.id]
        initial = notices.get(incident.id, {}).get("initial")
        state, sent_at = _notice_state(initial)
        etr_at = _etr(incident, now=now, rules=rules)
        lines.append(
            IncidentLine(
                incident_id=incident.id,
                ref=incident.ref,
                title=incident.title,
                members_out_now=out_of[incident.id].members_out,
                started_at=c.started_at,
                significant_at=c.significant_at,
                reason=", ".join(headline(c, facts)),
                etr_at=etr_at,
                etr=_local(etr_at, rules) if etr_at else "being assessed",
                notice=state,  # type: ignore[arg-type]
                notice_id=initial.id if initial else None,
                notice_sent_at=sent_at,
                updates_made=len(notices.get(incident.id, {}).get("updates", [])),
                criteria=[
                    CriterionLine(label=criterion_label(k.code, facts, rules), met_at=k.met_at, evidence=k.evidence)
                    for k in c.criteria
                ],
            )
        )
    lines.sort(key=lambda x: (-x.members_out_now, x.significant_at or now, x.incident_id))
    n_open = sum(1 for i in incidents for r in i.interruptions if r.status == "open")
    return everyone, n_open, len(incidents), lines


def _notices_of(session: Session, incident_ids: list[int]) -> dict[int, dict]:
    """Each incident's initial notice and its updates, with their deliveries (one query each)."""
    if not incident_ids:
        return {}
    out: dict[int, dict] = {}
    rows = session.scalars(
        select(Notice)
        .where(Notice.incident_id.in_(incident_ids))
        .options(selectinload(Notice.deliveries))
        .order_by(Notice.id)
    )
    for n in rows:
        mine = out.setdefault(n.incident_id, {"initial": None, "updates": []})
        if n.kind == "initial":
            mine["initial"] = n
        else:
            mine["updates"].append(n)
    return out


def notice_figures(*, session: Session, now: datetime) -> NoticeFigures:
    """Notices made and deliveries sent in the last day; failed deliveries, the newest first."""
    since = now - timedelta(hours=NOTICE_HOURS)
    made = session.scalar(select(func.count()).select_from(Notice).where(Notice.created_at >= since)) or 0
    sent = (
        session.scalar(
            select(func.count())
            .select_from(NoticeDelivery)
            .where(NoticeDelivery.status == "sent", NoticeDelivery.sent_at >= since)
        )
        or 0
    )
    failed = (
        session.scalar(select(func.count()).select_from(NoticeDelivery).where(NoticeDelivery.status == "failed")) or 0
    )
    newest = session.scalars(
        select(NoticeDelivery)
        .where(NoticeDelivery.status == "failed")
        .options(selectinload(NoticeDelivery.notice))
        .order_by(NoticeDelivery.id.desc())
        .limit(FAILED_SHOWN)
    ).all()
    return NoticeFigures(
        hours=NOTICE_HOURS,
        made=made,
        deliveries_sent=sent,
        failed=failed,
        failed_newest=[
            FailedDeliveryLine(
                delivery_id=d.id,
                notice_id=d.notice_id,
                incident_id=d.notice.incident_id,
                notice="Initial notice" if d.notice.kind == "initial" else f"Daily update {d.notice.sequence}",
                recipient=d.recipient,
                attempts=d.attempts,
                last_error=d.last_error,
                next_attempt_at=d.next_attempt_at,
            )
            for d in newest
        ],
    )


def report_figures(*, session: Session, now: datetime) -> ReportFigures:
    """Summary reports not filed (overdue first, then due, by due date) and those filed in the last week."""
    since = now - timedelta(days=FILED_DAYS)
    reports = session.scalars(
        select(SummaryReport)
        .where(SummaryReport.filed_at.is_(None) | (SummaryReport.filed_at >= since))
        .options(selectinload(SummaryReport.incident).load_only(Incident.title))
        .order_by(SummaryReport.due_at, SummaryReport.id)
    ).all()
    lines = [
        ReportLine(
            report_id=r.id,
            incident_id=r.incident_id,
            title=r.incident.title,
            due_at=r.due_at,
            state=report_state(r, now),
            filed_at=r.filed_at,
            filed_by=r.filed_by,
        )
        for r in reports
    ]
    order = {"overdue": 0, "due": 1, "filed": 2}
    lines.sort(key=lambda x: (order[x.state], x.due_at, x.report_id))
    count = lambda s: sum(1 for x in lines if x.state == s)  # noqa: E731
    return ReportFigures(
        due=count("due"), overdue=count("overdue"), filed_recently=count("filed"), filed_days=FILED_DAYS, items=lines
    )


def same_periods(today: date, years: int = YEARS) -> list[tuple[int, date, date]]:
    """(year, first day, end exclusive) of this year to the end of yesterday and the same calendar period of
    the ``years - 1`` years before it; on 1 January, the last ``years`` whole years.  A 29 February that a year
    lacks ends that year's period on 28 February."""
    last = today - timedelta(days=1)
    out = []
    for y in range(last.year - years + 1, last.year + 1):
        day = min(last.day, calendar.monthrange(y, last.month)[1])
        out.append((y, date(y, 1, 1), date(y, last.month, day) + timedelta(days=1)))
    return out


def _system(table, days: str, key: str) -> float | None:
    rows = table.rows(days)
    return _num(rows.loc["system", key]) if "system" in rows.index else None


def year_indices(*, session: Session, periods: Iterable[tuple[int, date, date]], zone) -> list[YearIndices]:
    """System SAIDI/SAIFI/CAIDI of each period, on all days and without major event days."""
    out = []
    for year, lo, hi in periods:
        result = indices_for(session=session, start=lo, end=hi, zone=zone)
        all_rows = result.rows("all")
        out.append(
            YearIndices(
                year=year,
                start=lo,
                end=hi,
                saidi=_system(result, "all", "saidi"),
                saifi=_system(result, "all", "saifi"),
                caidi=_system(result, "all", "caidi"),
                saidi_normal=_system(result, "normal", "saidi"),
                saifi_normal=_system(result, "normal", "saifi"),
                caidi_normal=_system(result, "normal", "caidi"),
                major_event_days=len(result.major_event_days.dates),
                sustained_records=int(all_rows.loc["system", "sustained_records"]) if "system" in all_rows.index else 0,
            )
        )
    return out


def worst_feeders(
    *, session: Session, lo: date, hi: date, zone, this_year: YearIndices
) -> tuple[list[WorstFeeder], str | None]:
    """The worst feeders of the period on normal days (top 5 by SAIDI, then SAIFI), and a sentence saying what
    the list leaves out: the major event days' share of the SAIDI, or where the SAIDI came from when no feeder
    had a sustained interruption on normal days."""
    result = indices_for(session=session, start=lo, end=hi, group_by="feeder", zone=zone)
    rows = result.rows("normal")
    substation = result.members.feeder_substation
    ranked = []
    hit = rows[(rows["sustained_records"] > 0) & (rows["saidi"] > 0) & (rows.index.astype(str) != "(unassigned)")]
    for feeder, r in zip(hit.index, hit.to_dict("records")):
        ranked.append(
            WorstFeeder(
                feeder=str(feeder),
                substation=substation.get(str(feeder)),
                members_served=int(r["members_served"]) if _num(r["members_served"]) is not None else 0,
                saidi=_num(r["saidi"]),
                saifi=_num(r["saifi"]),
                caidi=_num(r["caidi"]),
                sustained_records=int(r["sustained_records"]),
            )
        )
    ranked.sort(key=lambda f: (-(f.saidi or 0), -(f.saifi or 0), f.feeder))
    total, normal = this_year.saidi or 0.0, this_year.saidi_normal or 0.0
    med = max(total - normal, 0.0)
    if ranked:
        note = (
            f"Normal days only: {med:,.1f} of this year's {total:,.1f} min of SAIDI fell on major event days and "
            "is left out."
            if med >= 0.05
            else None
        )
    elif total < 0.05:
        note = "No sustained interruption so far this year."
    elif normal < 0.05:
        note = f"No sustained interruption on normal days; all {total:,.1f} min of SAIDI fell on major event days."
    else:
        note = (
            f"No feeder had a sustained interruption on normal days; the {normal:,.1f} min of normal-day SAIDI "
            "came from transmission-line records, which have no feeder."
        )
    return ranked[:WORST], note


def _period_words(lo: date, hi: date) -> str:
    last = hi - timedelta(days=1)
    return f"1 January to {last.day} {last:%B} of each year (local days)"


# --- the headline ------------------------------------------------------------------------------------


def executive_headline(*, session: Session, now: datetime | None = None, rules: RuleSettings | None = None) -> Headline:
    """Everything the executive dashboard's first screen shows at ``now`` (see the module docstring)."""
    now = now or utcnow()
    rules = rules or get_rule_settings()
    facts = facility_facts(session)
    everyone, n_open, n_incidents, lines = _incident_lines(session=session, facts=facts, now=now, rules=rules)
    served = facts.net.size
    out = min(everyone.members_out, served)
    restored, _ = everyone.restored_so_far()
    dark = min(out + restored, served)
    periods = same_periods(now.astimezone(rules.zone).date())
    years = year_indices(session=session, periods=periods, zone=rules.zone)
    year, lo, hi = periods[-1]
    worst, note = worst_feeders(session=session, lo=lo, hi=hi, zone=rules.zone, this_year=years[-1])
    return Headline(
        as_of=now,
        members_served=served,
        members_out_now=out,
        members_out_unlocated=min(everyone.unlocated, out),
        members_restored_so_far=restored,
        members_left_dark=dark,
        share_restored=restored / dark if dark else None,
        open_records=n_open,
        open_incidents=n_incidents,
        incidents=lines,
        notices=notice_figures(session=session, now=now),
        reports=report_figures(session=session, now=now),
        period=_period_words(lo, hi),
        years=years,
        worst_feeders=worst,
        worst_note=note,
    )


def keep_warm(sessions: sessionmaker, *, now: datetime | None = None) -> None:
    """Compute ahead what the executive dashboard and the reliability report read: this year's and the four
    previous years' year-to-date indices, this year's worst feeders, and last year's annual report data.  Kept
    by :func:`outages.history.memo`, they are ready when the executive's request comes; run by a background
    worker after each committed change (at most every few seconds)."""
    rules = get_rule_settings()
    now = now or utcnow()
    with sessions() as session:
        periods = same_periods(now.astimezone(rules.zone).date())
        years = year_indices(session=session, periods=periods, zone=rules.zone)
        year, lo, hi = periods[-1]
        worst_feeders(session=session, lo=lo, hi=hi, zone=rules.zone, this_year=years[-1])
        annual_reliability(session=session, year=year - 1, zone=rules.zone)
