"""Significance, the call list and the summary report read the exact power state (domain D5-D7, D12, D15):
overlapping and nested records count a member once, a record located by meters darkens exactly those
meters' entries, and a count nobody located darkens no entry (it is listed as possibly dark) and is placed in
areas only as an estimate, said so.

The test cooperative (tests/factories.py): 12,000 members; JC-014 serves meters 1-10,000 (4,001-10,000 below
recloser R1, 9,001-10,000 below fuse F1), JC-015 10,001-10,500 (10,001 interruptible), MF-001 10,501-12,000
(all of the Marble Falls Division)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from outages.call_list import call_list
from outages.classify import FacilityFacts, classify
from outages.models import Incident, Interruption, InterruptionPoint
from outages.schemas import CloseIn, InterruptionCreate, RestorationCreate
from outages.service import add_restoration, close_interruption, create_interruption
from outages.settings import RuleSettings
from registry.schemas import EntryIn
from registry.service import create_entry
from reports.models import SummaryReport
from reports.summaries import summary_data
from reports.summary_report import ROWS_NOTE, summary_html, summary_workbook

T = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # Mon 2 June 2025, 10:00 CDT
CHICAGO = ZoneInfo("America/Chicago")


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def meter(n: int) -> str:
    return f"M{n:08d}"


def log(
    session, *, feeder: str | None = "JC-014", start: float = 0, end: float | None = None, incident=None, **fields
) -> Interruption:
    """A record through the service (as the dispatcher logs it); ``start``/``end`` in minutes after T."""
    record, _ = create_interruption(
        session=session,
        actor="dispatcher",
        data=InterruptionCreate(
            feeder=feeder,
            cause=fields.pop("cause", "wind"),
            start_at=at(start),
            restored_at=None if end is None else at(end),
            incident_id=incident.incident_id if incident else None,
            **fields,
        ),
    )
    session.flush()
    return record


def records_of(session, record: Interruption) -> list[Interruption]:
    session.expire_all()
    return list(session.get(Incident, record.incident_id).interruptions)


def entry(session, name: str, category: str, n: int | None = None, **more):
    where = {"account_number": str(1_000_000_000 + n), "meter_number": meter(n)} if n else {}
    return create_entry(
        session=session, actor="registry", data=EntryIn(name=name, category=category, priority_tier=1, **where, **more)
    )


@pytest.fixture
def entries(session):
    return {
        "water": entry(session, "Johnson City Water Plant", "water", 100),
        "hospital": entry(session, "Pedernales Valley Hospital", "hospital", 9_500),  # below the fuse
        "radio": entry(session, "KJCT Radio Tower", "communications", feeder="JC-014", lon=-98.33, lat=30.2775),
    }


def summary(session, record: Interruption):
    report = SummaryReport(incident_id=record.incident_id, due_at=at(10_000), created_at=at(5_000))
    session.add(report)
    session.flush()
    return summary_data(session=session, report=report, cooperative="Test cooperative", zone=CHICAGO)


# --- D5: members out at once, each member once ------------------------------------------------------


def test_two_overlapping_whole_feeder_records_count_the_feeder_once(session):
    # JC-014 whole (10,000) from 10:00 to 12:00, and again from 11:00 to 14:00 (logged twice, say)
    first = log(session, end=120)
    log(session, start=60, end=240, incident=first)
    records = records_of(session, first)
    assert [r.extent for r in records] == ["facility", "facility"]
    result = classify(records, FacilityFacts(session), now=at(24 * 60))
    assert result.peak_members_out == 10_000  # not 20,000
    assert result.peak_at == T and result.members_affected == 10_000
    assert "peak 10,000 members out ≥ 20% of the system's 12,000 members" in [c.evidence for c in result.criteria]
    data = summary(session, first)
    assert data.total_members_affected == 10_000 and data.peak_members_out == 10_000
    # D12 member by member: every member of JC-014 was dark from 10:00 to 14:00, once
    assert data.total_member_minutes == 10_000 * 240
    assert sum(f.member_minutes for f in data.facilities) == 10_000 * 120 + 10_000 * 180  # each record alone
    assert [(s.at, s.members_restored, s.members_out_after) for s in data.ordered_steps] == [
        (at(120), 10_000, 10_000),
        (at(240), 10_000, 0),
    ]  # the first close brings nobody back: the second holds
    assert data.timeline == [(T, 10_000), (at(240), 0)]
    assert data.rows_overlap and escape(ROWS_NOTE) in summary_html(data)
    assert summary_workbook(data)  # renders


def test_an_ongoing_incident_counts_members_out_now_once(session):
    first = log(session)
    log(session, start=30, incident=first)
    result = classify(records_of(session, first), FacilityFacts(session), now=at(90))
    assert result.ongoing and result.members_out_now == 10_000 and result.peak_members_out == 10_000


def test_a_nested_fuse_record_counts_its_members_once_and_keeps_them_dark(session, entries):
    # the whole feeder 10:00-12:00, the fuse below it 10:30-13:00: F1's members are dark 10:00-13:00, once
    feeder = log(session, end=120)
    log(session, device="JC-014-F1", start=30, end=180, incident=feeder)
    records = records_of(session, feeder)
    result = classify(
        records,
        FacilityFacts(session),
        now=at(24 * 60),
        rules=RuleSettings(members_share=0.99, division_share=0.99, community_share=0.99),
    )
    assert result.peak_members_out == 10_000 and result.members_affected == 10_000
    evidence = {c.evidence for c in result.criteria}
    assert "Pedernales Valley Hospital (essential service: hospital) dark 3 h 00 min on feeder JC-014" in evidence
    assert "KJCT Radio Tower (essential service: communications) dark 2 h 00 min on feeder JC-014" in evidence
    data = summary(session, feeder)
    assert data.total_members_affected == 10_000
    assert data.total_member_minutes == 9_000 * 120 + 1_000 * 180
    assert [(s.at, s.members_out_after) for s in data.ordered_steps] == [(at(120), 1_000), (at(180), 0)]


def test_records_that_do_not_overlap_give_the_record_by_record_figures(session):
    # D12's example as the dispatcher now logs it (steps name what came back), plus MF-001 after it
    jc = log(session, cause="ice_snow")
    for minutes, device in ((90, "JC-014-F1"), (240, "JC-014-R1")):
        jc = add_restoration(
            session=session,
            interruption_id=jc.id,
            actor="dispatcher",
            data=RestorationCreate(version=jc.version, at=at(minutes), device=device),
        )
    close_interruption(
        session=session,
        interruption_id=jc.id,
        actor="dispatcher",
        data=CloseIn(version=jc.version, restored_at=at(375)),
    )
    log(session, feeder="MF-001", members_out=600, start=400, end=500, incident=jc)  # unlocated, 600 of 1,500
    data = summary(session, jc)
    rows = data.facilities
    assert data.total_members_affected == sum(f.members_affected for f in rows) == 10_600
    assert (
        data.total_member_minutes
        == sum(f.member_minutes for f in rows)
        == (1_000 * 90 + 5_000 * 240 + 4_000 * 375 + 600 * 100)
    )
    assert data.members_unlocated == 600 and "600 counted but never located" in summary_html(data)
    assert not data.rows_overlap and escape(ROWS_NOTE) not in summary_html(data)
    assert [(s.facility, s.members_restored, s.members_out_after) for s in data.ordered_steps] == [
        ("JC-014: device JC-014-F1", 1_000, 9_000),
        ("JC-014: device JC-014-R1", 5_000, 4_000),
        ("JC-014", 4_000, 0),
        ("MF-001", 600, 0),
    ]


# --- D7: who is dark, from the located state ----------------------------------------------------------


def test_a_part_of_a_feeder_located_by_meters_darkens_the_entry_on_those_meters(session, entries):
    # 300 out on JC-014: meters 100 (the water plant) to 399 located, nobody else
    record = log(session, members_out=300, meters=[meter(n) for n in range(100, 400)], end=90)
    assert record.extent == "part"
    assert session.scalar(select(func.count()).where(InterruptionPoint.interruption_id == record.id)) == 300
    result = classify(records_of(session, record), FacilityFacts(session), now=at(24 * 60))
    assert {c.code for c in result.criteria} == {"essential_services"}
    assert result.criteria[0].evidence == (
        "Johnson City Water Plant (essential service: water) dark 1 h 30 min on feeder JC-014"
    )
    assert result.criteria[0].met_at == at(60)
    assert (result.peak_members_out, result.members_affected) == (300, 300)


def test_an_unlocated_count_darkens_no_entry_but_the_call_list_says_possibly(session, entries):
    # 50 of the fuse's 1,000 members, nobody located: the hospital below the fuse may or may not be among them
    record = log(session, device="JC-014-F1", members_out=50)
    assert record.extent == "part"
    facts = FacilityFacts(session)
    assert not classify(records_of(session, record), facts, now=at(180)).significant
    rows = call_list(session=session, incident_id=record.incident_id, zone=CHICAGO, now=at(180))
    assert [(r.entry.name, r.possibly, r.records) for r in rows] == [("Pedernales Valley Hospital", True, [record.id])]


def test_the_call_list_tells_dark_from_possibly_dark(session, entries):
    # meter 100 (the water plant) located out, and 199 more members of JC-014 nobody located
    record = log(session, members_out=200, meters=[meter(100)])
    rows = {
        r.entry.name: r for r in call_list(session=session, incident_id=record.incident_id, zone=CHICAGO, now=at(30))
    }
    assert not rows["Johnson City Water Plant"].possibly and rows["Johnson City Water Plant"].dark_since == T
    assert rows["Pedernales Valley Hospital"].possibly and rows["KJCT Radio Tower"].possibly
    # every member located: only the water plant is on the list
    exact = log(session, meters=[meter(100), meter(101)])
    rows = call_list(session=session, incident_id=exact.incident_id, zone=CHICAGO, now=at(30))
    assert [(r.entry.name, r.possibly) for r in rows] == [("Johnson City Water Plant", False)]


def test_an_entry_linked_only_to_a_feeder_is_dark_while_the_whole_feeder_is(session, entries):
    facts = FacilityFacts(session)
    # the recloser and everything below it: the radio tower's place on the feeder is unknown, so not dark
    r1 = log(session, device="JC-014-R1", end=120)
    names = [
        c.evidence.split(" (")[0]
        for c in classify(
            records_of(session, r1), facts, now=at(24 * 60), rules=RuleSettings(division_share=0.99)
        ).criteria
    ]
    assert "Pedernales Valley Hospital" in names and "KJCT Radio Tower" not in names
    # the rest of the feeder located by meters at the same time: now all of JC-014 is dark, so is the tower
    log(session, members_out=4_000, meters=[meter(n) for n in range(1, 4_001)], start=30, end=100, incident=r1)
    result = classify(records_of(session, r1), facts, now=at(24 * 60), rules=RuleSettings(division_share=0.99))
    tower = [c for c in result.criteria if c.evidence.startswith("KJCT Radio Tower")]
    assert len(tower) == 1 and tower[0].met_at == at(90) and "dark 1 h 10 min" in tower[0].evidence
    assert result.peak_members_out == 10_000


def test_interruptible_members_located_by_meter(session):
    facts = FacilityFacts(session)
    record = log(session, feeder="JC-015", meters=[meter(10_001)], end=61)
    result = classify(records_of(session, record), facts, now=at(24 * 60))
    assert [c.evidence for c in result.criteria] == [
        "1 interruptible service point(s) dark 1 h 01 min on feeder JC-015"
    ]
    other = log(session, feeder="JC-015", meters=[meter(10_002)], members_out=20, end=120)  # 19 unlocated
    assert not classify(records_of(session, other), facts, now=at(24 * 60)).significant


# --- D6: areas, located where they are, unlocated as an estimate ---------------------------------------


def test_an_unlocated_count_is_placed_in_areas_as_an_estimate_and_said_so(session):
    # 1,000 of MF-001's 1,500 members, nobody located: MF-001 is all of the Marble Falls Division
    record = log(session, feeder="MF-001", members_out=1_000, end=90)
    result = classify(records_of(session, record), FacilityFacts(session), now=at(24 * 60))
    [division] = [c for c in result.criteria if c.code == "division:DIV-MF"]
    assert division.evidence.startswith(
        "Marble Falls Division (major division): 1,000 of 1,500 members out at "
        "once (66.7% ≥ 50%), including about 1,000 not yet located"
    )
    assert division.met_at == at(60)


def test_located_members_count_in_their_own_area_only(session):
    # the same 1,000 members out, but located: 600 on MF-001 and 400 on JC-015 (another division)
    first = log(session, feeder="MF-001", meters=[meter(n) for n in range(10_501, 11_101)], end=90)
    log(session, feeder="JC-015", meters=[meter(n) for n in range(10_002, 10_402)], end=90, incident=first)
    result = classify(records_of(session, first), FacilityFacts(session), now=at(24 * 60))
    assert not any(c.code.startswith("division:") for c in result.criteria)  # 600 of 1,500 is 40 %
    assert result.peak_members_out == 1_000


def test_unlocated_counts_never_exceed_what_an_area_serves(session):
    # two unlocated counts on MF-001 (1,200 and 900, nobody can tell whether they overlap): the division
    # counts at most its 1,500 members
    first = log(session, feeder="MF-001", members_out=1_200, end=120)
    log(session, feeder="MF-001", members_out=900, start=10, end=120, incident=first)
    result = classify(
        records_of(session, first), FacilityFacts(session), now=at(24 * 60), rules=RuleSettings(division_share=1.0)
    )
    [division] = [c for c in result.criteria if c.code == "division:DIV-MF"]
    assert division.evidence.startswith(
        "Marble Falls Division (major division): 1,500 of 1,500 members out at once (100.0% ≥ 100%)"
    )
