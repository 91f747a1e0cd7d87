"""Significant interruptions: each criterion of the rule at its boundary, with its evidence (D4-D8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gis.models import Device, Feeder, TransmissionLine
from outages.classify import FacilityFacts, classify
from outages.models import Interruption, RestorationStep
from outages.settings import RuleSettings
from registry.schemas import EntryIn
from registry.service import create_entry

T0 = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)  # 10:00 in Texas
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def facts(session):
    return FacilityFacts(session)


@pytest.fixture
def make(session):
    """Transient interruption records (not stored): classification is a function of them."""

    def build(
        *,
        minutes: float | None,
        out: int,
        feeder: str | None = "JC-014",
        device: str | None = None,
        line: str | None = None,
        start: datetime = T0,
        steps=(),
        scheduled=False,
        notified=None,
    ):
        record = Interruption(
            status="open" if minutes is None else "closed",
            start_at=start,
            members_out=out,
            scheduled=scheduled,
            members_notified=notified,
            cause_code="wind",
            restored_at=None if minutes is None else start + timedelta(minutes=minutes),
        )
        if line:
            record.transmission_line = session.scalar(select(TransmissionLine).where(TransmissionLine.code == line))
            record.transmission_line_id = record.transmission_line.id
        else:
            record.feeder = session.scalar(select(Feeder).where(Feeder.code == feeder))
            record.feeder_id = record.feeder.id
        if device:
            record.device = session.scalar(select(Device).where(Device.code == device))
            record.device_id = record.device.id
        left = out
        for at_minutes, n in steps:
            record.steps.append(RestorationStep(at=start + timedelta(minutes=at_minutes), members_restored=n))
            left -= n
        if minutes is not None and left:
            record.steps.append(RestorationStep(at=record.restored_at, members_restored=left))
        return record

    return build


def codes(result) -> set[str]:
    return {c.code for c in result.criteria}


NOW = T0 + timedelta(days=3)


def test_one_hour_minimum_59_59_vs_60_00(make, facts):
    # 12,000 members in the test system: 2,400 out is 20 %
    short = classify([make(minutes=59 + 59 / 60, out=2_400)], facts, now=NOW)
    exact = classify([make(minutes=60, out=2_400)], facts, now=NOW)
    assert not short.significant
    assert exact.significant and codes(exact) == {"members_20_percent"}
    assert exact.significant_at == T0 + timedelta(hours=1)
    assert exact.criteria[0].evidence == "peak 2,400 members out ≥ 20% of the system's 12,000 members"


def test_twenty_percent_on_a_small_system(make, facts):
    assert not classify([make(minutes=90, out=2_399)], facts, now=NOW).significant
    two = classify([make(minutes=90, out=1_700), make(minutes=90, out=700, feeder="MF-001")], facts, now=NOW)
    assert codes(two) == {"members_20_percent"} and two.peak_members_out == 2_400


def test_peak_members_at_once_counts_step_restorations(make, facts):
    # 2,000 out, then 500 more elsewhere after the first step: the peak is 2,000, never 2,500
    first = make(minutes=180, out=2_000, steps=[(30, 1_000)])
    later = make(minutes=120, out=500, feeder="MF-001", start=T0 + timedelta(minutes=45))
    result = classify([first, later], facts, now=NOW)
    assert result.peak_members_out == 2_000 and result.members_affected == 2_500
    assert not result.significant


def test_20000_members_only_on_systems_over_200000(make, facts):
    facts.by_area = {}  # judge the members-out rules alone
    facts.system_members = 250_000
    assert not classify([make(minutes=120, out=19_999)], facts, now=NOW).significant
    big = classify([make(minutes=120, out=20_000)], facts, now=NOW)
    assert codes(big) == {"members_20000"}
    assert big.criteria[0].evidence == "peak 20,000 members out ≥ 20,000 (system serves 250,000 > 200,000)"
    facts.system_members = 150_000  # only the 20 % rule (30,000) can apply
    assert not classify([make(minutes=120, out=20_000)], facts, now=NOW).significant


def test_scheduled_not_notified_more_than_four_hours(make, facts):
    def run(minutes, notified):
        return classify(
            [make(minutes=minutes, out=200, feeder="MF-001", scheduled=True, notified=notified)], facts, now=NOW
        )

    assert not run(240, False).significant
    late = run(241, False)
    assert codes(late) == {"scheduled_not_notified"}
    assert late.criteria[0].evidence == ("scheduled, 4 h 01 min, 200 members not notified in advance, on feeder MF-001")
    assert not run(600, True).significant


@pytest.fixture
def hospital(session):
    # service point 9,500 is below fuse JC-014-F1 (tests/factories.py)
    return create_entry(
        session=session,
        actor="registry",
        data=EntryIn(
            name="Pedernales Valley Hospital",
            category="hospital",
            account_number="1000009500",
            meter_number="M00009500",
            priority_tier=1,
        ),
    )


def test_essential_service_dark_59_vs_61_minutes(make, facts, session, hospital):
    facts = FacilityFacts(session)
    # The fuse open: all of its 1,000 members out.  (These records used to count 50 members and still darken
    # every entry below the device; in the power state (D15) a count below what the device serves is an
    # unlocated part of it, which darkens no entry: see tests/test_who_is_out_significance.py.)
    assert not classify([make(minutes=59, out=1_000, device="JC-014-F1")], facts, now=NOW).significant
    dark = classify([make(minutes=61, out=1_000, device="JC-014-F1")], facts, now=NOW)
    assert codes(dark) == {"essential_services"}
    assert dark.criteria[0].evidence == (
        "Pedernales Valley Hospital (essential service: hospital) dark 1 h 01 min on feeder JC-014 (device JC-014-F1)"
    )
    # the recloser open (its 6,000 members, half the system: judge the entry alone)
    elsewhere = classify(
        [make(minutes=120, out=6_000, device="JC-014-R1", feeder="JC-014")],
        facts,
        now=NOW,
        rules=RuleSettings(members_share=0.99, division_share=0.99),
    )
    assert codes(elsewhere) == {"essential_services"}  # the fuse is below the recloser
    assert not classify([make(minutes=120, out=50, feeder="MF-001")], facts, now=NOW).significant


def test_university_is_a_community_impact_facility(make, session):
    create_entry(
        session=session,
        actor="registry",
        data=EntryIn(
            name="Hill Country State University",
            category="school",
            account_number="1000010600",
            meter_number="M00010600",
        ),
    )
    result = classify(
        [make(minutes=75, out=1_500, feeder="MF-001")],
        FacilityFacts(session),
        now=NOW,
        rules=RuleSettings(division_share=1.01, members_share=0.99),
    )
    assert codes(result) == {"community_impact"}
    assert (
        "Hill Country State University (community impact: university / school) dark 1 h 15 min"
        in result.criteria[0].evidence
    )


def test_interruptible_members(make, facts):
    # service point 10,001 on JC-015 is flagged interruptible in the test cooperative
    result = classify([make(minutes=61, out=500, feeder="JC-015")], facts, now=NOW)
    assert codes(result) == {"interruptible_members"}
    # part of the feeder, no device named: which members are out is unknown, so it does not count
    assert not classify([make(minutes=61, out=30, feeder="JC-015")], facts, now=NOW).significant
    assert result.criteria[0].evidence == "1 interruptible service point(s) dark 1 h 01 min on feeder JC-015"


def test_a_whole_community(make, facts):
    rules = RuleSettings(members_share=0.99, division_share=0.99)  # leave only the community rule
    result = classify([make(minutes=90, out=10_000)], facts, now=NOW, rules=rules)
    assert codes(result) == {"community:COM-JOHNSON-CITY"}
    evidence = next(c.evidence for c in result.criteria if c.code.startswith("community:"))
    assert evidence.startswith("Johnson City (community): ")
    assert not classify(
        [make(minutes=90, out=10_000)],
        facts,
        now=NOW,
        rules=RuleSettings(members_share=0.99, division_share=0.99, community_share=1.0),
    ).significant


def test_major_division(make, facts):
    rules = RuleSettings(members_share=0.99)
    result = classify([make(minutes=90, out=1_500, feeder="MF-001")], facts, now=NOW, rules=rules)
    assert "division:DIV-MF" in codes(result)
    assert any(
        c.evidence == "Marble Falls Division (major division): 1,500 of 1,500 members out at once (100.0% ≥ 50%)"
        for c in result.criteria
    )


def test_duration_across_dst_is_real_elapsed_time(make, facts):
    start = datetime(2024, 3, 10, 1, 30, tzinfo=CHICAGO)  # clocks jump 02:00 CST -> 03:00 CDT
    end_local = datetime(2024, 3, 10, 3, 29, tzinfo=CHICAGO)  # 1 h 59 min on the wall clock, 59 min real
    minutes = (end_local.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60
    assert minutes == 59
    assert not classify([make(minutes=minutes, out=2_400, start=start)], facts, now=NOW).significant
    assert classify([make(minutes=60, out=2_400, start=start)], facts, now=NOW).significant


def test_ongoing_incident_becomes_significant_as_time_passes(make, facts):
    record = make(minutes=None, out=2_400)
    assert not classify([record], facts, now=T0 + timedelta(minutes=59)).significant
    later = classify([record], facts, now=T0 + timedelta(minutes=60))
    assert later.significant and later.ongoing and later.significant_at == T0 + timedelta(hours=1)
