"""Nothing depends on a person pressing a button: the scheduler classifies, notifies the executives through
a real SMTP server (aiosmtpd on 127.0.0.1), sends daily updates and opens the summary report (D9-D11)."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta, timezone

from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from outages.models import AuditEntry, EtrChange, Incident, Interruption, RestorationStep
from outages.schemas import CloseIn, EtrSet, RestorationCreate
from outages.service import add_restoration, close_interruption, set_etr
from reports.delivery import SmtpSettings
from reports.flow import tick
from reports.models import Notice, NoticeDelivery, SummaryReport
from tests.factories import COOPERATIVE
from tests.helpers import T, free_port, log


def notices(session, incident_id):
    return session.scalars(
        select(Notice).where(Notice.incident_id == incident_id).order_by(Notice.kind, Notice.sequence)
    ).all()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_ongoing_incident_becomes_significant_and_the_ceo_hears(sessions, session, inbox):
    record = log(session)
    session.commit()
    assert tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(minutes=59), smtp=inbox.settings).notices == []
    report = tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(minutes=60), smtp=inbox.settings)
    assert report.significant == [record.incident_id] and len(report.notices) == 1 and report.sent == 2
    assert sorted(m["To"] for m in inbox.messages) == ["ceo@example.org", "coo@example.org"]
    message = inbox.messages[0]
    assert message["Subject"].startswith("Initial notice: significant interruption, Johnson City Division")
    body = text_of(message)
    for expected in (
        "General location: Johnson City Division; communities: Johnson City; counties: Blanco County",
        "Members affected: about 2,400",
        "Cause: Wind",
        "Time of the event: Mon 2 Jun 2025 10:00 CDT",
        "Estimated time of full restoration: being assessed",
        "peak 2,400 members out ≥ 20% of the system's 12,000 members",
    ):
        assert expected in body, body
    assert "Route" not in body and "M000" not in body  # no addresses, no meters
    pdf = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    assert "Members affected" in PdfReader(io.BytesIO(pdf.get_content())).pages[0].extract_text()
    # again: nothing new, nothing re-sent
    again = tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(minutes=90), smtp=inbox.settings)
    assert again.notices == [] and len(inbox.messages) == 2


def test_daily_updates_every_24_hours_exactly_once(sessions, session, inbox):
    record = log(session)
    session.commit()
    tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=1), smtp=inbox.settings)  # initial notice at T+1h
    record = session.get(Interruption, record.id)
    set_etr(
        session=session,
        interruption_id=record.id,
        actor="dispatcher",
        data=EtrSet(version=record.version, etr_at=T + timedelta(days=3)),
    )
    add_restoration(
        session=session,
        interruption_id=record.id,
        actor="dispatcher",
        data=RestorationCreate(version=record.version, at=T + timedelta(hours=20), members_restored=400),
    )
    session.commit()
    assert (
        tick(
            sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=25) - timedelta(seconds=1), smtp=inbox.settings
        ).notices
        == []
    )
    first = tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=25), smtp=inbox.settings)
    assert len(first.notices) == 1
    tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=30), smtp=inbox.settings)
    update = [n for n in notices(session, record.incident_id) if n.kind == "update"]
    assert [n.sequence for n in update] == [1]
    assert update[0].fields["members_out_now"] == 2_000 and update[0].fields["members_restored_so_far"] == 400
    assert update[0].fields["etr"] == "Thu 5 Jun 2025 10:00 CDT"
    body = text_of(inbox.messages[-1])
    assert inbox.messages[-1]["Subject"].startswith("Daily update 1") and "Members out now: 2,000" in body
    tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=49), smtp=inbox.settings)
    assert [n.sequence for n in notices(session, record.incident_id) if n.kind == "update"] == [1, 2]
    record = session.get(Interruption, record.id)
    close_interruption(
        session=session,
        interruption_id=record.id,
        actor="dispatcher",
        data=CloseIn(version=record.version, restored_at=T + timedelta(hours=50)),
    )
    session.commit()
    tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=80), smtp=inbox.settings)
    assert [n.sequence for n in notices(session, record.incident_id) if n.kind == "update"] == [1, 2]


def _closed(session, sessions, inbox, *, hours: float, start=T):
    record = log(session, start=start, restored_at=start + timedelta(hours=hours))
    session.commit()
    tick(sessions, cooperative=COOPERATIVE, now=start + timedelta(hours=hours + 1), smtp=inbox.settings)
    return session.scalar(select(SummaryReport).where(SummaryReport.incident_id == record.incident_id))


def test_summary_report_only_past_24_hours(sessions, session, inbox):
    assert _closed(session, sessions, inbox, hours=24) is None
    assert _closed(session, sessions, inbox, hours=24 + 1 / 60) is not None


def test_summary_report_due_across_thanksgiving_and_a_weekend(sessions, session, inbox, api):
    start = datetime(2025, 11, 24, 15, tzinfo=UTC)  # Mon 24 Nov 09:00 CST; restored Tue 25 Nov
    report = _closed(session, sessions, inbox, hours=31, start=start)
    # Wed 26 (1), Thu 27 Thanksgiving, Fri 28 day after, Sat, Sun, Mon 1 Dec (2), Tue 2 Dec (3)
    assert report.due_at.astimezone(timezone(timedelta(hours=-6))).date().isoformat() == "2025-12-02"
    listed = api("GET", "/api/summary-reports", as_="executive").json()
    mine = next(r for r in listed if r["id"] == report.id)
    assert mine["state"] == "overdue"  # December 2025 is in the past
    filed = api("POST", f"/api/summary-reports/{report.id}/file", as_="executive")
    assert filed.status_code == 200 and filed.json()["state"] == "filed" and filed.json()["filed_by"] == "executive"
    assert api("POST", f"/api/summary-reports/{report.id}/file", as_="dispatcher").status_code == 403


def test_summary_report_documents_hold_every_required_field(sessions, session, inbox, api):
    # D12 on the whole of JC-014, its steps naming what came back (a count on located members is refused
    # now): fuse F1 (1,000) at 11:30, recloser R1 (the other 5,000 below it) at 14:00, the rest (4,000) at the
    # close; plus a second facility
    record = log(session, out=10_000, cause="ice_snow")
    for hours, device in ((1.5, "JC-014-F1"), (4, "JC-014-R1")):
        record = add_restoration(
            session=session,
            interruption_id=record.id,
            actor="dispatcher",
            data=RestorationCreate(version=record.version, at=T + timedelta(hours=hours), device=device),
        )
    close_interruption(
        session=session,
        interruption_id=record.id,
        actor="dispatcher",
        data=CloseIn(version=record.version, restored_at=T + timedelta(hours=30, minutes=15)),
    )
    log(
        session,
        feeder="MF-001",
        out=1_500,
        incident_id=record.incident_id,
        start=T + timedelta(hours=2),
        restored_at=T + timedelta(hours=26),
    )
    session.commit()
    tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(days=2), smtp=inbox.settings)
    report = session.scalar(select(SummaryReport).where(SummaryReport.incident_id == record.incident_id))
    xlsx = api("GET", f"/api/summary-reports/{report.id}.xlsx", as_="executive")
    assert xlsx.status_code == 200, xlsx.text
    book = load_workbook(io.BytesIO(xlsx.content))
    cells = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    )
    minutes = 1_000 * 90 + 5_000 * 240 + 4_000 * (30 * 60 + 15) + 1_500 * 24 * 60
    for expected in (
        "JC-014",
        "JC-S01",
        "MF-001",
        "MF-S01",
        "Ice / snow",
        "Johnson City Division",
        "4000",
        "5000",
        "1000",
        "11500",
    ):
        assert expected in cells.replace(",", ""), expected
    assert str(minutes) in cells.replace(",", "").replace(".0", "")
    pdf = api("GET", f"/api/summary-reports/{report.id}.pdf").content
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for expected in (
        "JC-014",
        "MF-001",
        "JC-S01",
        "Ice / snow",
        f"{minutes:,}",
        "11,500",
        "Mon 2 Jun 2025",
        "JC-014: device JC-014-R1",
    ):
        assert expected in text, expected
    html = api("GET", f"/api/summary-reports/{report.id}.html").text
    assert f"{minutes:,}" in html and "MF-S01" in html


def test_unreachable_smtp_leaves_a_visible_failure_that_later_succeeds(sessions, session, inbox, api):
    log(session)
    session.commit()
    down = SmtpSettings(host="127.0.0.1", port=free_port(), recipients="ceo@example.org", timeout=2)
    failed = tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=1), smtp=down)
    assert failed.failed == 1 and failed.sent == 0
    shown = api("GET", "/api/notices", as_="executive", params={"failed": True}).json()
    delivery = shown[0]["deliveries"][0]
    assert (
        delivery["status"] == "failed" and delivery["attempts"] == 1 and "Connection refused" in delivery["last_error"]
    )
    up = SmtpSettings(host="127.0.0.1", port=inbox.settings.port, recipients="ceo@example.org")
    assert (
        tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=1, seconds=30), smtp=up).sent == 0
    )  # back-off: 1 minute
    assert tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=1, minutes=2), smtp=up).sent == 1
    assert [m["To"] for m in inbox.messages] == ["ceo@example.org"]
    assert api("GET", "/api/notices", params={"failed": True}).json() == []
    log_ = api("GET", "/api/notices").json()[0]["deliveries"][0]["history"]
    assert [a["outcome"] for a in log_] == ["failed", "sent"] and "Connection refused" in log_[0]["error"]
    notice_id = shown[0]["id"]
    again = api("POST", f"/api/notices/{notice_id}/resend", as_="dispatcher", json={"recipients": ["gm@example.org"]})
    assert again.status_code == 202 and again.json()["deliveries"][-1]["status"] == "pending"
    tick(sessions, cooperative=COOPERATIVE, now=datetime.now(UTC), smtp=up)
    assert "gm@example.org" in [m["To"] for m in inbox.messages]


def test_significance_api_explains(api):
    made = api(
        "POST",
        "/api/interruptions",
        json={
            "feeder": "JC-014",
            "cause": "wind",
            "members_out": 3_000,
            "start_at": "2025-06-02T10:00:00-05:00",
            "restored_at": "2025-06-02T11:30:00-05:00",
        },
    ).json()
    got = api("GET", f"/api/incidents/{made['incident_id']}/significance", as_="executive").json()
    assert got["significant"] is True and got["peak_members_out"] == 3_000
    assert got["criteria"][0]["evidence"] == "peak 3,000 members out ≥ 20% of the system's 12,000 members"
    assert api("GET", f"/api/incidents/{made['incident_id']}/significance", as_=None).status_code == 401


def test_two_schedulers_racing_make_one_notice(engine, inbox):
    """Real concurrency on the real database: two workers tick at the same moment."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    with sessions() as session, session.begin():
        record = log(session, feeder="MF-001", out=1_500)
        incident_id = record.incident_id
    barrier = threading.Barrier(2)
    results = []

    def worker():
        barrier.wait()
        results.append(tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=2), smtp=inbox.settings))

    try:
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        with Session(engine) as session:
            assert (
                session.scalar(select(func.count()).select_from(Notice).where(Notice.incident_id == incident_id)) == 1
            )
        assert sum(len(r.notices) for r in results) == 1
        assert sorted(m["To"] for m in inbox.messages) == ["ceo@example.org", "coo@example.org"]
    finally:
        with Session(engine) as session, session.begin():
            notice_ids = select(Notice.id).where(Notice.incident_id == incident_id)
            session.execute(delete(NoticeDelivery).where(NoticeDelivery.notice_id.in_(notice_ids)))
            session.execute(delete(Notice).where(Notice.incident_id == incident_id))
            record_ids = select(Interruption.id).where(Interruption.incident_id == incident_id)
            session.execute(
                delete(AuditEntry).where(AuditEntry.entity == "interruption", AuditEntry.entity_id.in_(record_ids))
            )
            session.execute(delete(RestorationStep).where(RestorationStep.interruption_id.in_(record_ids)))
            session.execute(delete(EtrChange).where(EtrChange.interruption_id.in_(record_ids)))
            session.execute(delete(Interruption).where(Interruption.incident_id == incident_id))
            session.execute(delete(Incident).where(Incident.id == incident_id))


def test_a_record_closed_a_few_minutes_ahead_still_gets_its_initial_notice(sessions, session, inbox):
    # a dispatcher's clock a few minutes ahead (within the skew allowance): every record is closed, the
    # classifier still counts the outage as ongoing at the tick, and the notice says when it was restored
    record = log(session)
    close_interruption(
        session=session,
        interruption_id=record.id,
        actor="dispatcher",
        data=CloseIn(version=record.version, restored_at=T + timedelta(hours=1, minutes=3)),
    )
    session.commit()
    report = tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(hours=1), smtp=inbox.settings)
    assert len(report.notices) == 1 and report.sent == 2
    (initial,) = notices(session, record.incident_id)
    assert initial.fields["etr"] == "restored Mon 2 Jun 2025 11:03 CDT"
