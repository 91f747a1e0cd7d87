"""The executive dashboard leads with the headline (issue 16): members out now and the share restored, one line per
open significant incident, notices and failed deliveries, summary reports due and overdue, year-to-date
SAIDI/SAIFI/CAIDI against the four years before (the same figures :func:`outages.reliability.indices_for`
gives), the worst feeders, and a truthful sentence when no feeder had a sustained interruption on normal days.
Service-level on both databases; then the page in headless Chromium: drawn from one request, no /api/indices call
before the headline shows, no accessibility violation, screenshots at 1366x768 and 390x844."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pytest

from outages import console
from outages.power_state import out_now
from outages.reliability import indices_for
from outages.schemas import RestorationCreate
from outages.service import add_restoration
from outages.settings import get_rule_settings
from reports.delivery import SmtpSettings
from reports.flow import deliver_pending, resend, tick
from reports.headline import executive_headline, same_periods
from reports.models import Notice
from tests.factories import COOPERATIVE
from tests.helpers import axe_violations, browser_test, free_port, local, log, login, shoot

NOW = datetime(2025, 6, 2, 21, 0, tzinfo=UTC)  # Mon 2 June 2025, 16:00 CDT
ZONE = get_rule_settings().zone


@pytest.fixture(autouse=True)
def fresh_significance(monkeypatch):
    """The console's 15-second significance cache is keyed by ids the rolled-back tests reuse."""
    monkeypatch.setattr(console, "_significance", {})


def _storm(session, sessions, inbox):
    """Three open records (two significant incidents), two closed significant ones that owe summary reports (one
    overdue, one due), the notices sent to the inbox, and one resend that fails."""
    feeder = log(session, feeder="JC-014", out=10_000, start=local(2025, 6, 2, 10, 0), etr_at=local(2025, 6, 2, 19, 0))
    add_restoration(  # the recloser closed at noon: its 6,000 are back, the other 4,000 still dark
        session=session,
        interruption_id=feeder.id,
        actor="dispatcher",
        data=RestorationCreate(version=feeder.version, at=local(2025, 6, 2, 12, 0), device="JC-014-R1"),
    )
    log(session, feeder="MF-001", out=200, start=local(2025, 6, 2, 15, 30))  # 30 min: not significant yet
    scheduled = log(
        session, feeder="JC-015", out=400, start=local(2025, 6, 2, 8, 0), scheduled=True, members_notified=False
    )
    overdue = log(  # 26 h on all of JC-015 (the interruptible member): due Fri 30 May, overdue now
        session, feeder="JC-015", out=500, start=local(2025, 5, 26, 8, 0), restored_at=local(2025, 5, 27, 10, 0)
    )
    due = log(  # 26 h on all of MF-001 (the Marble Falls community): due Wed 4 June
        session, feeder="MF-001", out=1_500, start=local(2025, 5, 31, 10, 0), restored_at=local(2025, 6, 1, 12, 0)
    )
    session.commit()
    tick(sessions, cooperative=COOPERATIVE, now=NOW, smtp=inbox.settings)
    initial = session.query(Notice).filter_by(incident_id=feeder.incident_id, kind="initial").one()
    resend(session, notice_id=initial.id, recipients=["board@example.org"], actor="executive")
    session.commit()
    closed = SmtpSettings(host="127.0.0.1", port=free_port(), recipients="ceo@example.org")
    deliver_pending(sessions, now=datetime.now(UTC), smtp=closed, cooperative=COOPERATIVE)  # queued just now
    return {"feeder": feeder, "scheduled": scheduled, "overdue": overdue, "due": due}


def test_headline_figures_come_from_the_records(session, sessions, inbox):
    made = _storm(session, sessions, inbox)
    h = executive_headline(session=session, now=NOW)

    # members out now: the power state's union (4,000 on JC-014, 200 on MF-001, 400 on JC-015), restored so far:
    # the 6,000 below the recloser; the share is of the 10,600 the open records left dark
    everyone = out_now(session, now=NOW)
    assert (h.members_out_now, h.members_restored_so_far) == (4_600, 6_000)
    assert h.members_out_now == everyone.members_out and h.members_restored_so_far == everyone.restored_so_far()[0]
    assert h.members_left_dark == 10_600 and h.share_restored == pytest.approx(6_000 / 10_600)
    assert h.members_served == 12_000 and h.open_records == 3 and h.open_incidents == 3

    # one line per open significant incident, most members out first, in plain words
    assert [i.incident_id for i in h.incidents] == [made["feeder"].incident_id, made["scheduled"].incident_id]
    jc, sched = h.incidents
    assert jc.members_out_now == 4_000 and jc.started_at == local(2025, 6, 2, 10, 0)
    assert jc.etr_at == local(2025, 6, 2, 19, 0) and jc.etr == "Mon 2 Jun 19:00 CDT"
    assert "Johnson City" in jc.reason and ":" not in jc.reason and "_" not in jc.reason
    assert jc.notice == "sent" and jc.notice_sent_at is not None and jc.updates_made == 0
    assert jc.criteria and all("_" not in c.label for c in jc.criteria)
    assert sched.members_out_now == 400 and sched.etr_at is None and sched.etr == "being assessed"
    assert "scheduled, not notified" in sched.reason

    # notices: every significant incident's initial notice reached both executives; the resend failed
    assert h.notices.failed == 1 and h.notices.deliveries_sent == 2 * h.notices.made
    assert h.notices.made == 4  # the two open incidents and the two closed ones
    [failed] = h.notices.failed_newest
    assert failed.recipient == "board@example.org" and failed.notice == "Initial notice"
    assert failed.incident_id == made["feeder"].incident_id and failed.attempts == 1 and failed.last_error

    # summary reports: the 26-hour outage of 26 May is overdue, the one restored on Sunday is due on Wednesday
    r = h.reports
    assert (r.overdue, r.due, r.filed_recently) == (1, 1, 0)
    assert [(x.incident_id, x.state) for x in r.items] == [
        (made["overdue"].incident_id, "overdue"),
        (made["due"].incident_id, "due"),
    ]
    assert r.items[0].due_at.astimezone(ZONE).date() == date(2025, 5, 30)
    assert r.items[1].due_at.astimezone(ZONE).date() == date(2025, 6, 4)

    # year to date: 1 January to the end of 1 June in 2021-2025, each equal to indices_for's system figures
    assert [(y.year, y.start, y.end) for y in h.years] == [(y, date(y, 1, 1), date(y, 6, 2)) for y in range(2021, 2026)]
    assert h.period == "1 January to 1 June of each year (local days)"
    for y in h.years:
        result = indices_for(session=session, start=y.start, end=y.end, zone=ZONE)
        for key in ("saidi", "saifi", "caidi"):  # undefined (a CAIDI without interruptions) is null
            assert getattr(y, key) == _value(result.rows("all").loc["system", key])
            assert getattr(y, f"{key}_normal") == _value(result.rows("normal").loc["system", key])
    # by hand: 500 members x 1,560 min and 1,500 x 1,560 min over 12,000 members
    assert h.years[-1].saidi == pytest.approx((500 * 1_560 + 1_500 * 1_560) / 12_000)
    assert h.years[-1].sustained_records == 2


def _value(x):
    return None if math.isnan(x) else pytest.approx(x)


def _history(session, *, this_year_normal: bool):
    """Two small days in 2024 (the history T_MED needs), a big day in February 2025 (a major event day) and,
    if asked, a small normal day in March 2025 on JC-015."""
    log(session, feeder="JC-015", out=50, start=local(2024, 3, 5, 9, 0), restored_at=local(2024, 3, 5, 10, 0))
    log(session, feeder="JC-015", out=60, start=local(2024, 4, 10, 9, 0), restored_at=local(2024, 4, 10, 10, 0))
    log(session, feeder="MF-001", out=1_500, start=local(2025, 2, 10, 9, 0), restored_at=local(2025, 2, 10, 12, 0))
    if this_year_normal:
        log(session, feeder="JC-015", out=40, start=local(2025, 3, 1, 9, 0), restored_at=local(2025, 3, 1, 10, 0))
    session.flush()


def test_no_feeder_on_normal_days_is_said_truthfully_next_to_the_saidi(session):
    _history(session, this_year_normal=False)
    h = executive_headline(session=session, now=NOW)
    year = h.years[-1]
    assert year.saidi == pytest.approx(1_500 * 180 / 12_000) and year.major_event_days == 1
    assert year.saidi_normal == pytest.approx(0.0)
    assert h.worst_feeders == []
    assert h.worst_note == "No sustained interruption on normal days; all 22.5 min of SAIDI fell on major event days."
    assert "in this period" not in h.worst_note


def test_worst_feeders_rank_normal_days_and_say_what_was_left_out(session):
    _history(session, this_year_normal=True)
    h = executive_headline(session=session, now=NOW)
    [worst] = h.worst_feeders  # MF-001's day was a major event day: left out
    assert (worst.feeder, worst.substation, worst.members_served) == ("JC-015", "JC-S01", 500)
    assert worst.saidi == pytest.approx(40 * 60 / 500) and worst.saifi == pytest.approx(40 / 500)
    total = 22.5 + 40 * 60 / 12_000
    assert h.years[-1].saidi == pytest.approx(total)
    assert (
        h.worst_note
        == f"Normal days only: 22.5 of this year's {total:.1f} min of SAIDI fell on major event days and is left out."
    )
    # the same figures indices_for gives per feeder
    rows = indices_for(session=session, start=date(2025, 1, 1), end=date(2025, 6, 2), group_by="feeder", zone=ZONE)
    assert worst.saidi == pytest.approx(rows.rows("normal").loc["JC-015", "saidi"])


def test_no_interruption_at_all_and_a_quiet_system(session):
    h = executive_headline(session=session, now=NOW)
    assert (h.members_out_now, h.members_restored_so_far, h.share_restored) == (0, 0, None)
    assert h.incidents == [] and h.worst_feeders == []
    assert h.worst_note == "No sustained interruption so far this year."
    assert (h.reports.due, h.reports.overdue, h.notices.failed) == (0, 0, 0)


def test_same_periods_on_new_year_and_after_a_leap_day():
    assert same_periods(date(2026, 1, 1))[-1] == (2025, date(2025, 1, 1), date(2026, 1, 1))  # whole years
    periods = same_periods(date(2024, 3, 1))  # yesterday was 29 February
    assert periods[-1] == (2024, date(2024, 1, 1), date(2024, 3, 1))
    assert periods[-2] == (2023, date(2023, 1, 1), date(2023, 3, 1))  # to the end of 28 February


def test_the_route_answers_executives_only(api):
    response = api("GET", "/api/executive/headline", as_="executive")
    assert response.status_code == 200, response.text
    assert set(response.json()) >= {"members_out_now", "share_restored", "incidents", "years", "worst_note"}
    assert api("GET", "/api/executive/headline", as_="admin").status_code == 200
    for role in ("dispatcher", "registry"):
        refused = api("GET", "/api/executive/headline", as_=role)
        assert refused.status_code == 403 and "executive" in refused.json()["detail"]
    assert api("GET", "/api/executive/headline", as_=None).status_code == 401


# --------------------------------------------------------------------------------------------- browser


@browser_test
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, {"width": 390, "height": 844}])
def test_the_dashboard_draws_the_headline_from_one_request(browser, live, viewport):
    context = browser.new_context(viewport=viewport, timezone_id="America/Chicago", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    asked: list[str] = []
    page.on("request", lambda r: r.url.startswith(live.base + "/api/") and asked.append(r.url.removeprefix(live.base)))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        login(page, live, "/executive", "executive")
        page.wait_for_selector("body[data-headline]")
        # what the page asked for before the headline was drawn (the browser's resource timings)
        before = page.evaluate(
            "() => performance.getEntriesByType('resource').filter(e => e.startTime <= window.execDrawnAt)"
            ".map(e => new URL(e.name).pathname).filter(p => p.startsWith('/api/') && !p.startsWith('/api/auth/'))"
        )
        assert [u for u in before if u.startswith("/api/indices")] == []
        assert before == ["/api/executive/headline"], before  # the first screen: one request
        assert not any(u.startswith("/api/indices") for u in asked)  # nor later: the trend comes with it
        expected = live.http.get(
            "/api/executive/headline", headers={"Authorization": f"Bearer {live.tokens['executive']}"}
        ).json()
        assert page.inner_text("#out-now") == f"{expected['members_out_now']:,}" == "6,000"
        assert page.inner_text("#restored-share") == "0 %"  # nothing restored yet
        assert "of 12,000 served" in page.inner_text("#out-of")
        line = page.inner_text(f"#significant tr[data-incident='{live.storm['incident_id']}']")
        assert "JC-014" in line and "6,000" in line and "ETR" in line and "_" not in line
        assert "essential services" in page.inner_text(
            f"#significant tr[data-incident='{live.storm['incident_id']}'] summary"
        )
        assert "ceo@example.org" in page.inner_text("#failed")  # SMTP was down when the notices went
        assert "due" in page.inner_text("#reports tr[data-report]").split()
        assert page.locator("#trend svg.plot[data-index=saidi] rect.bar").count() >= 1
        # the same decimals on every label of an axis
        labels = page.locator("#trend svg.plot text[text-anchor=end]").all_text_contents()
        assert len({len(t.partition(".")[2]) for t in labels}) == 1, labels
        assert page.inner_text("#worst")  # a table, or the sentence saying why there is none
        if viewport["width"] == 1366:  # the headline above the fold
            for sel in ("#figures", "#significant", "#trend", "#reports", "#failed", "#worst"):
                box = page.locator(sel).bounding_box()
                assert box and box["y"] + min(box["height"], 40) <= 768, (sel, box)
        # the evidence one click away
        assert not page.is_visible(f"#significant tr[data-incident='{live.storm['incident_id']}'] ul.crit")
        page.click(f"#significant tr[data-incident='{live.storm['incident_id']}'] summary")
        assert "Pedernales Valley Hospital" in page.inner_text(
            f"#significant tr[data-incident='{live.storm['incident_id']}'] ul.crit"
        )
        # the regulators' files of the chosen year, beside the annual report
        year = page.input_value("#dl-year")
        hrefs = page.eval_on_selector_all("a[data-year-href]", "links => links.map(a => a.getAttribute('href'))")
        assert f"/api/reports/eia-861/{year}.csv" in hrefs and f"/api/reports/worst-feeders/{year}.xlsx" in hrefs
        page.wait_for_selector("#member-alerts table, #member-alerts-empty", state="attached")
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        assert violations == [], [(v["id"], v["nodes"]) for v in violations]
        shoot(page, f"executive-headline-{viewport['width']}x{viewport['height']}")
        assert errors == []
    finally:
        context.close()
