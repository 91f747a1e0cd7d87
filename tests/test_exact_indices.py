"""Reliability indices from the exact per-member model (issue 12, "indices"; domain D15 and §4): each member's
own interruptions, overlapping records counted once, unlocated members apart, CELID.

Counts come from the tiny cooperative (tests/factories.py), 12,000 members: JC-014 serves 10,000 (meters
1-10,000), recloser R1 the last 6,000 of them (4,001-10,000), fuse F1 below R1 the last 1,000 (9,001-10,000);
JC-015 500 (10,001-10,500) and MF-001 1,500.  Records are written through the ORM as the service stores them
(closed, with their steps); times are America/Chicago.

The year 2025 of :func:`test_the_same_members_twice_by_hand`:

=====  ===========  =====================================  =======  ==================================
 rec   day          facility                               members  restoration
=====  ===========  =====================================  =======  ==================================
 r1    2025-03-04   fuse F1 (whole)                         1,000   10:00-15:00, 300 min
 m1    2025-04-08   recloser R1 (whole), momentary          6,000   09:00-09:02
 r2    2025-04-08   recloser R1 (whole)                     6,000   10:00-14:00, 240 min
 r3    2025-05-06   JC-014, part: meters 1-3 located +        100   meters 1, 2 at 10:20; 40 unlocated
                    97 nobody located                               at 10:30; the rest (meter 3 and 57
                                                                    unlocated) at 11:00
 r4    2025-06-10   JC-015 (whole)                            500   08:00-17:30, 570 min
=====  ===========  =====================================  =======  ==================================

F1's 1,000 members are interrupted twice (r1, r2: 5 h + 4 h = 9 h), the rest of R1's 5,000 once (4 h),
JC-015's 500 once for 9 h 30.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import insert, select

from gis.models import Device, Feeder, ServicePoint, TransmissionLine
from gis.network import network
from outages.models import Incident, Interruption, InterruptionPoint, RestorationStep, StepPoint
from outages.power_state import Piece, RecordState, member_intervals
from outages.reliability import indices_for, load_records, member_hits
from tests.factories import TOTAL

CHI = ZoneInfo("America/Chicago")
N_T = TOTAL  # 12,000
YEAR = {"start": date(2025, 1, 1), "end": date(2026, 1, 1)}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHI)


class Log:
    """Closed records written through the ORM (facility, extent, located meters, steps naming a device,
    meters or a count of unlocated members)."""

    def __init__(self, session):
        self.session = session
        self.feeder = dict(session.execute(select(Feeder.code, Feeder.id)).all())
        self.device = dict(session.execute(select(Device.code, Device.id)).all())
        self.line = dict(session.execute(select(TransmissionLine.code, TransmissionLine.id)).all())
        self.substation_of = dict(session.execute(select(Feeder.id, Feeder.substation_id)).all())
        self.meter = dict(session.execute(select(ServicePoint.meter_number, ServicePoint.id)).all())
        self.net = network(session)

    def points(self, first: int, last: int) -> list[int]:
        """Service point ids of meters ``first``..``last``."""
        return [self.meter[f"M{i:08d}"] for i in range(first, last + 1)]

    def record(
        self,
        *,
        start: str,
        end: str,
        feeder: str | None = None,
        device: str | None = None,
        line: str | None = None,
        members_out: int | None = None,
        extent: str = "facility",
        located: list[int] = (),
        steps: list[tuple[str, int, dict]] = (),
        cause: str = "wind",
        momentary: bool | None = None,
    ) -> Interruption:
        """``steps``: (time, members restored, {"device": code} or {"points": ids} or {}) before the close,
        which brings back the rest."""
        facility = (
            {"transmission_line_id": self.line[line]}
            if line
            else {"device_id": self.device[device]}
            if device
            else {"feeder_id": self.feeder[feeder]}
        )
        fid = self.feeder[feeder] if feeder else None
        start_at, end_at = at(start), at(end)
        members_out = members_out or self.net.served(**facility)
        record = Interruption(
            incident=Incident(title="test", created_by="test"),
            status="closed",
            cause_code=cause,
            start_at=start_at,
            restored_at=end_at,
            members_out=members_out,
            extent=extent,
            feeder_id=fid,
            substation_id=self.substation_of[fid] if fid else None,
            device_id=facility.get("device_id"),
            transmission_line_id=facility.get("transmission_line_id"),
            created_by="test",
            updated_by="test",
            momentary=(end_at - start_at) <= timedelta(minutes=5) if momentary is None else momentary,
        )
        named = []
        for when, restored, what in steps:
            step = RestorationStep(
                at=at(when),
                members_restored=restored,
                created_by="test",
                device_id=self.device[what["device"]] if "device" in what else None,
            )
            record.steps.append(step)
            named.append(what.get("points", ()))
        record.steps.append(
            RestorationStep(at=end_at, created_by="test", members_restored=members_out - sum(s[1] for s in steps))
        )
        self.session.add(record)
        self.session.flush()
        if located:
            self.session.execute(
                insert(InterruptionPoint), [{"interruption_id": record.id, "service_point_id": p} for p in located]
            )
        for step, points in zip(record.steps, named):
            if points:
                self.session.execute(insert(StepPoint), [{"step_id": step.id, "service_point_id": p} for p in points])
        return record


@pytest.fixture
def log(session) -> Log:
    return Log(session)


def system(session, days: str = "all", **params):
    result = indices_for(session=session, **{**YEAR, **params})
    return result.rows(days).loc["system"], result


# --------------------------------------------------------------------------------------------------
# hand arithmetic


@pytest.fixture
def twice(log) -> dict[str, Interruption]:
    """The records of the module docstring."""
    return {
        "r1": log.record(
            device="JC-014-F1", feeder="JC-014", start="2025-03-04 10:00", end="2025-03-04 15:00", cause="vegetation"
        ),
        "m1": log.record(
            device="JC-014-R1", feeder="JC-014", start="2025-04-08 09:00", end="2025-04-08 09:02", cause="lightning"
        ),
        "r2": log.record(device="JC-014-R1", feeder="JC-014", start="2025-04-08 10:00", end="2025-04-08 14:00"),
        "r3": log.record(
            feeder="JC-014",
            extent="part",
            members_out=100,
            located=log.points(1, 3),
            start="2025-05-06 10:00",
            end="2025-05-06 11:00",
            steps=[("2025-05-06 10:20", 2, {"points": log.points(1, 2)}), ("2025-05-06 10:30", 40, {})],
            cause="animal",
        ),
        "r4": log.record(feeder="JC-015", start="2025-06-10 08:00", end="2025-06-10 17:30", cause="equipment_failure"),
    }


MM = {"r1": 1_000 * 300, "r2": 6_000 * 240, "r3": 2 * 20 + 40 * 30 + 58 * 60, "r4": 500 * 570}
CI = 1_000 + 6_000 + 100 + 500  # sustained member interruptions
CN = 6_000 + 3 + 97 + 500  # R1's 6,000 (F1's among them), the 3 located and 97 unlocated of r3, JC-015


def test_the_same_members_twice_by_hand(session, twice):
    row, result = system(session, n=1)
    assert row["sustained_records"] == 4 and row["momentary_records"] == 1
    assert row["member_interruptions"] == CI and row["saifi"] == pytest.approx(CI / N_T)
    assert row["member_minutes"] == pytest.approx(sum(MM.values()))  # 2,029,720
    assert row["saidi"] == pytest.approx(sum(MM.values()) / N_T)
    assert row["distinct_members_interrupted"] == CN
    assert row["caifi"] == pytest.approx(CI / CN)  # 7,600 / 6,600
    assert row["ctaidi"] == pytest.approx(sum(MM.values()) / CN)
    assert row["cemi_1"] == pytest.approx(1_000 / N_T)  # F1's members: r1 and r2
    assert row["maifi"] == pytest.approx(6_000 / N_T)
    # more than one sustained interruption or momentary event: F1's (r1, r2, m1) and the rest of R1's (r2, m1)
    assert row["cemsmi_1"] == pytest.approx(6_000 / N_T)
    # CELID, 8 hours: one interruption longer than 8 h: JC-015's 500 (9 h 30); more than 8 h in all: those and
    # F1's 1,000 (5 h + 4 h); r3's unlocated members were out at most an hour
    assert row["celid_s"] == pytest.approx(500 / N_T)
    assert row["celid_t"] == pytest.approx((500 + 1_000) / N_T)
    assert result.celid_s_hours == result.celid_t_hours == 8
    assert any("97 of the 7,600 sustained member interruptions" in note for note in result.notes)


def test_celid_thresholds_are_strict_and_configurable(session, twice):
    row, _ = system(session, celid_s_hours=4.5, celid_t_hours=9)
    assert row["celid_s"] == pytest.approx((1_000 + 500) / N_T)  # F1's 5 h and JC-015's 9 h 30 exceed 4 h 30
    assert row["celid_t"] == pytest.approx(500 / N_T)  # F1's exactly 9 h is not more than 9 h
    row, _ = system(session, celid_s_hours=5, celid_t_hours=24)
    assert row["celid_s"] == pytest.approx(500 / N_T)  # exactly 5 h is not longer than 5 h
    assert row["celid_t"] == 0


def test_member_hits_name_the_members_and_their_minutes(session, log, twice):
    hits = member_hits(session=session, records=load_records(session=session, **YEAR)[0])
    by = {k: hits[hits.record_id == r.id] for k, r in twice.items()}
    assert sorted(by["r1"]["member_id"]) == sorted(log.points(9_001, 10_000))
    assert (by["r1"]["minutes"] == 300).all()
    assert sorted(by["r2"]["member_id"]) == sorted(log.points(4_001, 10_000))
    r3 = by["r3"].set_index("member_id")["minutes"]
    assert r3.loc[log.points(1, 2)].tolist() == [20, 20] and r3.loc[log.points(3, 3)].tolist() == [60]
    unknown = r3[r3.index < 0]
    assert len(unknown) == 97 and (unknown == 30).sum() == 40 and (unknown == 60).sum() == 57
    assert len(by["m1"]) == 6_000  # momentary records keep their own hits (not merged with r2)


def test_the_api_and_the_report_carry_celid(api, session, twice):
    body = api(
        "GET",
        "/api/indices",
        as_="executive",
        params={**{k: str(v) for k, v in YEAR.items()}, "n": 1, "celid_s_hours": 4.5},
    ).json()
    (row,) = [r for r in body["rows"] if r["group"] == "system"]
    assert body["celid_s_hours"] == 4.5 and body["celid_t_hours"] == 8
    assert row["celid_s"] == pytest.approx(1_500 / N_T) and row["celid_t"] == pytest.approx(1_500 / N_T)
    assert row["distinct_members_interrupted"] == CN and row["cemi_n"] == pytest.approx(1_000 / N_T)
    bad = api(
        "GET", "/api/indices", as_="executive", params={**{k: str(v) for k, v in YEAR.items()}, "celid_t_hours": 0}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "celid_t_hours"


# --------------------------------------------------------------------------------------------------
# overlaps count once


@pytest.fixture
def overlapping(log) -> dict[str, Interruption]:
    """JC-014 logged twice on 1 July 2025, 10:00-12:00 and 11:00-13:00, a recloser record inside them and a
    momentary operation of R1 during the first."""
    return {
        "o1": log.record(feeder="JC-014", start="2025-07-01 10:00", end="2025-07-01 12:00", cause="wind"),
        "o2": log.record(feeder="JC-014", start="2025-07-01 11:00", end="2025-07-01 13:00", cause="vegetation"),
        "o3": log.record(device="JC-014-R1", feeder="JC-014", start="2025-07-01 10:30", end="2025-07-01 11:30"),
        "mo": log.record(
            device="JC-014-R1", feeder="JC-014", start="2025-07-01 10:10", end="2025-07-01 10:11", cause="lightning"
        ),
    }


def test_two_overlapping_whole_feeder_records_count_its_members_once(session, overlapping):
    row, _ = system(session, n=1, celid_s_hours=2.5)
    # record by record it would be 10,000 + 10,000 + 6,000 member interruptions and 2,760,000 member-minutes;
    # each member was dark once, from 10:00 to 13:00
    assert row["sustained_records"] == 3
    assert row["member_interruptions"] == 10_000 and row["saifi"] == pytest.approx(10_000 / N_T)
    assert row["member_minutes"] == pytest.approx(10_000 * 180) and row["saidi"] == pytest.approx(150)
    assert row["caidi"] == pytest.approx(180)
    assert row["distinct_members_interrupted"] == 10_000 and row["caifi"] == 1
    assert row["ctaidi"] == pytest.approx(180)
    assert row["cemi_1"] == 0  # nobody had two interruptions
    assert row["celid_s"] == pytest.approx(10_000 / N_T)  # one interruption of 3 h, longer than 2 h 30
    # momentary with momentary only: R1's reclosing stays in MAIFI, and is an event of its own for CEMSMI
    assert row["momentary_records"] == 1 and row["maifi"] == pytest.approx(6_000 / N_T)
    assert row["cemsmi_1"] == pytest.approx(6_000 / N_T)


def test_the_merged_interruption_belongs_to_the_record_that_began_it(session, overlapping):
    causes = indices_for(session=session, group_by="cause", **YEAR).rows("all")
    assert causes.loc["wind", "member_interruptions"] == 10_000  # o1 (and o3, inside it: none of its own)
    assert causes.loc["wind", "member_minutes"] == pytest.approx(10_000 * 180)
    assert causes.loc["vegetation", "sustained_records"] == 1
    assert causes.loc["vegetation", "member_interruptions"] == 0 and causes.loc["vegetation", "saidi"] == 0
    feeders = indices_for(session=session, group_by="feeder", **YEAR).rows("all")
    assert feeders.loc["JC-014", "saifi"] == pytest.approx(1.0) and feeders.loc["JC-014", "saidi"] == 180


def test_an_interruption_that_runs_into_the_next_year_counts_once_in_the_year_it_began(session, log):
    log.record(feeder="JC-015", start="2025-12-31 23:00", end="2026-01-01 02:00")
    log.record(feeder="JC-015", start="2026-01-01 01:00", end="2026-01-01 05:00")
    row, _ = system(session)
    assert row["member_interruptions"] == 500 and row["member_minutes"] == pytest.approx(500 * 360)
    after, _ = system(session, start=date(2026, 1, 1), end=date(2026, 2, 1))
    assert after["sustained_records"] == 1 and after["member_interruptions"] == 0 and after["saidi"] == 0


def test_daily_saidi_before_the_period_counts_overlaps_once_too(session, log):
    # the history of T_MED for 2025: 2.5 min on 1 March 2024 and, on 1 July 2024, JC-014 logged twice over
    # 10:00-13:00: 10,000 members x 180 min / 12,000 = 150 min (not 200)
    log.record(feeder="JC-015", start="2024-03-01 10:00", end="2024-03-01 11:00")
    log.record(feeder="JC-014", start="2024-07-01 10:00", end="2024-07-01 12:00")
    log.record(feeder="JC-014", start="2024-07-01 11:00", end="2024-07-01 13:00")
    _, result = system(session)
    t = result.major_event_days.t_med
    assert t.nonzero_days == 2
    assert t.alpha == pytest.approx((np.log(500 * 60 / N_T) + np.log(10_000 * 180 / N_T)) / 2)


# --------------------------------------------------------------------------------------------------
# what the log cannot locate


def test_unlocated_and_approximate_records_are_counted_and_noted(session, log):
    # a count on JC-015 nobody located (200 of 500), stored as a whole-facility record by an old import
    log.record(feeder="JC-015", members_out=200, start="2025-02-03 10:00", end="2025-02-03 11:00")
    # a whole feeder brought back by counts only (old data): 200 after 30 min, the other 300 after an hour
    log.record(feeder="JC-015", start="2025-02-10 10:00", end="2025-02-10 11:00", steps=[("2025-02-10 10:30", 200, {})])
    row, result = system(session, n=0)
    assert row["member_interruptions"] == 700 and row["member_minutes"] == pytest.approx(200 * 60 + 200 * 30 + 300 * 60)
    # the 200 unknown members are distinct from JC-015's 500: CN 700 is an upper bound (really 500 to 700)
    assert row["distinct_members_interrupted"] == 700 and row["cemi_0"] == pytest.approx(700 / N_T)
    notes = " ".join(result.notes)
    assert "200 of the 700 sustained member interruptions" in notes
    assert "1 record restored located members by count only" in notes
    assert "1 whole-facility record counting fewer members than its facility serves" in notes


# --------------------------------------------------------------------------------------------------
# the merge itself


def _naive(states, horizon_ns: int) -> set[tuple]:
    """Per member: sort its intervals by start, merge those that meet; the first one's record."""
    per: dict[int, list] = {}
    for s in states:
        t0 = int(s.record.start_at.timestamp() * 1e6) * 1000
        for piece in s.pieces:
            t1 = (
                horizon_ns
                if piece.restored_at is None
                else min(int(piece.restored_at.timestamp() * 1e6) * 1000, horizon_ns)
            )
            for p in piece.positions().tolist():
                if t1 > t0:
                    per.setdefault(p, []).append((t0, t1, s.record.id))
    out = set()
    for p, rows in per.items():
        rows.sort(key=lambda r: r[0])  # stable: ties keep the input order
        a, b, rid = rows[0]
        for x, y, r in rows[1:]:
            if x <= b:
                b = max(b, y)
            else:
                out.add((p, a, b, rid))
                a, b, rid = x, y, r
        out.add((p, a, b, rid))
    return out


def test_member_intervals_merge_as_a_naive_per_member_merge():
    rng = np.random.default_rng(1366)
    base = datetime(2025, 5, 1, tzinfo=CHI)
    horizon = base + timedelta(hours=30)
    states = []
    for rid in range(1, 120):
        start = base + timedelta(minutes=int(rng.integers(0, 1_440)))
        pieces = []
        for _ in range(int(rng.integers(1, 4))):
            lo = int(rng.integers(0, 400))
            ranges = [(lo, lo + int(rng.integers(0, 30)))] if rng.random() < 0.7 else []
            points = np.unique(rng.integers(0, 450, int(rng.integers(0, 6)))).astype(np.int64)
            back = None if rng.random() < 0.1 else start + timedelta(minutes=int(rng.integers(0, 600)))
            pieces.append(Piece(ranges, points, back))
        states.append(RecordState(SimpleNamespace(id=rid, start_at=start), 0, 0, pieces))
    iv = member_intervals(states, horizon=horizon)
    got = set(zip(iv.pos.tolist(), iv.start.tolist(), iv.end.tolist(), iv.record_id.tolist()))
    assert len(got) == len(iv)
    assert got == _naive(states, int(horizon.timestamp() * 1e6) * 1000)
    assert (np.diff(iv.pos) >= 0).all()  # by member, then start
    unmerged = member_intervals(states, horizon=horizon, merge=False)
    assert len(unmerged) >= len(iv)
