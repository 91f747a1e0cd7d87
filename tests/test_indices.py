"""Reliability indices (outages.indices): pure functions, hand-computed expectations, no database.

Times are written in the cooperative's zone (America/Chicago) and stored in UTC, as the service does.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from outages import indices as ix

CHI = "America/Chicago"
Y2024 = (pd.Timestamp("2024-01-01", tz=CHI), pd.Timestamp("2025-01-01", tz=CHI))
MIN_2024 = 366 * 24 * 60  # 2024 is a leap year; CST on both ends, so no DST hour is lost or gained


def local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=CHI)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def records_frame(rows: list[dict]) -> pd.DataFrame:
    """Records with the columns of the input model; times converted to UTC."""
    defaults = {"feeder": None, "substation": None, "division": None, "cause": "unknown", "momentary": None}
    frame = pd.DataFrame([{**defaults, **row} for row in rows])
    for col in ("start", "restored"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def steps_frame(rows: list[tuple[int, pd.Timestamp, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["record_id", "at", "members_restored"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def hits_frame(pairs: list[tuple[range, int]]) -> pd.DataFrame:
    """member_hits from (members, record_id) pairs."""
    return pd.DataFrame([(m, rid) for members, rid in pairs for m in members], columns=["member_id", "record_id"])


# --------------------------------------------------------------------------------------------------
# a small system: 100,000 members on three feeders, one day of interruptions (2024-06-03, CDT)

N_T = 100_000
FEEDERS = {"F1": 60_000, "F2": 30_000, "F3": 10_000}
DIVISIONS = {"North": 90_000, "South": 10_000}  # F1, F2 in North; F3 in South


@pytest.fixture
def small():
    rec = records_frame(
        [
            # D12 example: 10,000 out at 10:00; 4,000 back 11:30, 5,000 at 14:00, 1,000 at 16:15
            dict(
                record_id=1,
                start=local("2024-06-03 10:00"),
                restored=local("2024-06-03 16:15"),
                members_out=10_000,
                feeder="F1",
                substation="S1",
                division="North",
                cause="vegetation",
                momentary=False,
            ),
            # no steps: all 2,000 back after 45 min
            dict(
                record_id=2,
                start=local("2024-06-03 12:00"),
                restored=local("2024-06-03 12:45"),
                members_out=2_000,
                feeder="F2",
                substation="S1",
                division="North",
                cause="animal",
                momentary=False,
            ),
            # the same members as record 1 again: 300 back after 20 min, 200 after 60
            dict(
                record_id=3,
                start=local("2024-06-03 18:00"),
                restored=local("2024-06-03 19:00"),
                members_out=500,
                feeder="F1",
                substation="S1",
                division="North",
                cause="vegetation",
                momentary=False,
            ),
            # momentary: two reclosings on F2 three minutes apart (one event), one on F1
            dict(
                record_id=4,
                start=local("2024-06-03 20:00"),
                restored=local("2024-06-03 20:02"),
                members_out=3_000,
                feeder="F2",
                substation="S1",
                division="North",
                cause="lightning",
                momentary=True,
            ),
            dict(
                record_id=5,
                start=local("2024-06-03 20:03"),
                restored=local("2024-06-03 20:04"),
                members_out=1_000,
                feeder="F2",
                substation="S1",
                division="North",
                cause="lightning",
                momentary=True,
            ),
            dict(
                record_id=6,
                start=local("2024-06-03 21:00"),
                restored=local("2024-06-03 21:01"),
                members_out=1_000,
                feeder="F1",
                substation="S1",
                division="North",
                cause="lightning",
                momentary=True,
            ),
        ]
    )
    steps = steps_frame(
        [
            (1, local("2024-06-03 11:30"), 4_000),
            (1, local("2024-06-03 14:00"), 5_000),
            (1, local("2024-06-03 16:15"), 1_000),
            (3, local("2024-06-03 18:20"), 300),
            (3, local("2024-06-03 19:00"), 200),
        ]
    )
    # F1 members are 0..59,999 and F2 members 60,000..89,999
    hits = hits_frame(
        [
            (range(0, 10_000), 1),
            (range(60_000, 62_000), 2),
            (range(0, 500), 3),
            (range(60_000, 63_000), 4),
            (range(62_000, 63_000), 5),
            (range(0, 1_000), 6),
        ]
    )
    return rec, steps, hits


MM_1 = 4_000 * 90 + 5_000 * 240 + 1_000 * 375  # = 1,935,000 (D12)
MM_2 = 2_000 * 45
MM_3 = 300 * 20 + 200 * 60
MM = MM_1 + MM_2 + MM_3
CI = 10_000 + 2_000 + 500  # sustained member interruptions
CN = 10_000 + 2_000  # distinct members with a sustained interruption (record 3's are record 1's)


def test_member_minutes_per_record_d12_example(small):
    rec, steps, _ = small
    mm = ix.record_member_minutes(rec, steps)
    assert mm.iloc[0] == 1_935_000 == MM_1
    assert mm.iloc[1] == 2_000 * 45  # no steps: members_out × duration
    assert mm.iloc[2] == 300 * 20 + 200 * 60


def test_every_index_on_a_small_system(small):
    rec, steps, hits = small
    row = ix.compute_indices(rec, steps, N_T, *Y2024, n=1, member_hits=hits).loc["system"]
    assert row["sustained_records"] == 3 and row["momentary_records"] == 3 and row["momentary_events"] == 2
    assert row["saifi"] == pytest.approx((10_000 + 2_000 + 500) / 100_000)
    assert row["saidi"] == pytest.approx(
        (4_000 * 90 + 5_000 * 240 + 1_000 * 375 + 2_000 * 45 + 300 * 20 + 200 * 60) / 100_000
    )
    assert row["caidi"] == pytest.approx(MM / CI)
    assert row["caidi"] == pytest.approx(row["saidi"] / row["saifi"])
    assert row["asai"] == pytest.approx(1 - (MM / N_T) / (366 * 24 * 60))
    assert row["distinct_members_interrupted"] == 12_000
    assert row["caifi"] == pytest.approx((10_000 + 2_000 + 500) / 12_000)
    assert row["ctaidi"] == pytest.approx(MM / 12_000)
    assert row["maifi"] == pytest.approx((3_000 + 1_000 + 1_000) / 100_000)
    # events: {4, 5} on F2 (3,000 distinct members) and {6} on F1 (1,000)
    assert row["maifie"] == pytest.approx((3_000 + 1_000) / 100_000)
    # more than one sustained interruption: members 0..499 (records 1 and 3)
    assert row["cemi_1"] == pytest.approx(500 / 100_000)
    # more than one sustained interruption or momentary event:
    #   0..499: records 1, 3 + event {6} = 3;  500..999: record 1 + event {6} = 2;
    #   60,000..61,999: record 2 + event {4,5} = 2;  62,000..62,999: event {4,5} once = 1
    assert row["cemsmi_1"] == pytest.approx((500 + 500 + 2_000) / 100_000)
    assert row["note"] == ""


def test_cemi_with_repeat_interruptions(small):
    rec, steps, hits = small
    assert ix.cemi(rec, 0, members_served=N_T, member_hits=hits) == pytest.approx(12_000 / 100_000)
    assert ix.cemi(rec, 1, members_served=N_T, member_hits=hits) == pytest.approx(500 / 100_000)
    assert ix.cemi(rec, 2, members_served=N_T, member_hits=hits) == 0
    assert ix.cemsmi(rec, 2, members_served=N_T, member_hits=hits) == pytest.approx(500 / 100_000)
    # a member listed twice for the same record is still one interruption
    doubled = pd.concat([hits, hits], ignore_index=True)
    assert ix.cemi(rec, 1, members_served=N_T, member_hits=doubled) == pytest.approx(500 / 100_000)
    row = ix.compute_indices(rec, steps, N_T, *Y2024, n=2, member_hits=hits).loc["system"]
    assert row["cemi_2"] == 0 and row["cemsmi_2"] == pytest.approx(500 / 100_000)
    # member ids may be account strings rather than integers
    named = hits.assign(member_id="M" + hits["member_id"].astype(str))
    assert ix.cemi(rec, 1, members_served=N_T, member_hits=named) == pytest.approx(500 / 100_000)
    assert ix.cemsmi(rec, 1, members_served=N_T, member_hits=named) == pytest.approx(3_000 / 100_000)


def test_individual_functions_match_compute_indices(small):
    rec, steps, hits = small
    row = ix.compute_indices(rec, steps, N_T, *Y2024, n=1, member_hits=hits).loc["system"]
    assert ix.saifi(rec, members_served=N_T) == pytest.approx(row["saifi"])
    assert ix.saidi(rec, steps=steps, members_served=N_T) == pytest.approx(MM / 100_000)
    assert ix.caidi(rec, steps=steps) == pytest.approx(row["caidi"])
    assert ix.asai(rec, steps=steps, members_served=N_T, period_minutes=MIN_2024) == pytest.approx(row["asai"])
    assert ix.caifi(rec, member_hits=hits) == pytest.approx(row["caifi"])
    assert ix.ctaidi(rec, steps=steps, member_hits=hits) == pytest.approx(row["ctaidi"])
    assert ix.maifi(rec, members_served=N_T) == pytest.approx(row["maifi"])
    assert ix.maifie(rec, members_served=N_T, member_hits=hits) == pytest.approx(row["maifie"])
    # without member_hits an event counts its largest record: max(3,000, 1,000) + 1,000
    assert ix.maifie(rec, members_served=N_T) == pytest.approx((3_000 + 1_000) / 100_000)
    assert ix.cemsmi(rec, 1, members_served=N_T, member_hits=hits) == pytest.approx(row["cemsmi_1"])


def test_without_member_hits_distinct_member_indices_are_nan_with_a_note(small):
    rec, steps, _ = small
    row = ix.compute_indices(rec, steps, N_T, *Y2024).loc["system"]
    assert math.isnan(row["caifi"]) and math.isnan(row["ctaidi"])
    assert math.isnan(row["cemi_3"]) and math.isnan(row["cemsmi_3"])
    assert "member_hits" in row["note"]
    assert row["saifi"] == pytest.approx(CI / N_T)  # the others are unaffected
    assert ix.caifi(rec, member_hits=None) != ix.caifi(rec, member_hits=None)  # NaN


def test_momentary_excluded_from_saifi_saidi_and_counted_in_maifi():
    rec = records_frame(
        [
            dict(
                record_id=1,
                start=local("2024-02-01 08:00"),
                restored=local("2024-02-01 08:03"),
                members_out=700,
                feeder="F1",
                momentary=True,
            ),
            # momentary not given: derived from the duration, 5:00 is momentary (D3), 5:01 is not
            dict(
                record_id=2,
                start=local("2024-02-01 09:00"),
                restored=local("2024-02-01 09:05"),
                members_out=300,
                feeder="F2",
            ),
            dict(
                record_id=3,
                start=local("2024-02-01 10:00"),
                restored=local("2024-02-01 10:05:01"),
                members_out=100,
                feeder="F3",
            ),
        ]
    )
    row = ix.compute_indices(rec, None, 10_000, *Y2024).loc["system"]
    assert row["sustained_records"] == 1 and row["momentary_records"] == 2
    assert row["saifi"] == pytest.approx(100 / 10_000)
    assert row["saidi"] == pytest.approx(100 * (5 + 1 / 60) / 10_000)
    assert row["maifi"] == pytest.approx((700 + 300) / 10_000)
    assert row["maifie"] == pytest.approx((700 + 300) / 10_000)  # different feeders: two events
    only_momentary = rec.iloc[:2]
    out = ix.compute_indices(only_momentary, None, 10_000, *Y2024).loc["system"]
    assert out["saifi"] == 0 and out["saidi"] == 0 and math.isnan(out["caidi"]) and out["asai"] == 1
    assert out["maifi"] == pytest.approx(1_000 / 10_000)


def test_maifie_events_are_anchored_on_their_first_record():
    rec = records_frame(
        [
            dict(
                record_id=1,
                start=local("2024-05-01 10:00"),
                restored=local("2024-05-01 10:01"),
                members_out=100,
                feeder="F1",
                momentary=True,
            ),
            dict(
                record_id=2,
                start=local("2024-05-01 10:04"),
                restored=local("2024-05-01 10:05"),
                members_out=100,
                feeder="F1",
                momentary=True,
            ),  # 4 min after the first: same event
            dict(
                record_id=3,
                start=local("2024-05-01 10:08"),
                restored=local("2024-05-01 10:09"),
                members_out=100,
                feeder="F1",
                momentary=True,
            ),  # 8 min after the first (4 after the previous): new event
            dict(
                record_id=4,
                start=local("2024-05-01 10:13"),
                restored=local("2024-05-01 10:14"),
                members_out=80,
                feeder="F1",
                momentary=True,
            ),  # exactly 5 min after record 3: same event as 3
            dict(
                record_id=5,
                start=local("2024-05-01 10:01"),
                restored=local("2024-05-01 10:02"),
                members_out=50,
                feeder="F2",
                momentary=True,
            ),  # another feeder: its own event
            dict(
                record_id=6,
                start=local("2024-05-01 10:02"),
                restored=local("2024-05-01 10:03"),
                members_out=40,
                substation="S9",
                momentary=True,
            ),  # no feeder: grouped by substation
        ]
    )
    events = ix.momentary_events(rec)
    assert events[0] == events[1] != events[2] == events[3]
    assert len(set(events)) == 4
    row = ix.compute_indices(rec, None, 1_000, *Y2024).loc["system"]
    assert row["momentary_events"] == 4
    assert row["maifi"] == pytest.approx((100 + 100 + 100 + 80 + 50 + 40) / 1_000)
    assert row["maifie"] == pytest.approx((100 + 100 + 50 + 40) / 1_000)


def test_records_belong_to_the_period_by_start_time():
    rec = records_frame(
        [
            # starts before the period: not counted although restored inside it
            dict(record_id=1, start=local("2023-12-31 23:50"), restored=local("2024-01-01 01:00"), members_out=100),
            # starts in the last hour of the period: counted with all its minutes
            dict(record_id=2, start=local("2024-12-31 23:00"), restored=local("2025-01-01 02:00"), members_out=10),
            # still open: left out, with a note
            dict(record_id=3, start=local("2024-07-01 09:00"), restored=pd.NaT, members_out=1_000),
        ]
    )
    row = ix.compute_indices(rec, None, 1_000, *Y2024).loc["system"]
    assert row["saifi"] == pytest.approx(10 / 1_000)
    assert row["saidi"] == pytest.approx(10 * 180 / 1_000)
    assert "1 open record" in row["note"]


def test_indices_by_feeder_sum_back_to_the_system(small):
    rec, steps, hits = small
    system = ix.compute_indices(rec, steps, N_T, *Y2024, member_hits=hits).loc["system"]
    by_feeder = ix.compute_indices(rec, steps, FEEDERS, *Y2024, group_by="feeder", member_hits=hits)
    assert list(by_feeder.index) == ["F1", "F2", "F3"]
    assert by_feeder.loc["F1", "saifi"] == pytest.approx((10_000 + 500) / 60_000)
    assert by_feeder.loc["F1", "saidi"] == pytest.approx((MM_1 + MM_3) / 60_000)
    assert by_feeder.loc["F2", "saidi"] == pytest.approx(2_000 * 45 / 30_000)
    assert by_feeder.loc["F3", "saifi"] == 0 and by_feeder.loc["F3", "saidi"] == 0
    weights = by_feeder["members_served"] / N_T
    for index in ("saifi", "saidi", "maifi"):
        assert (by_feeder[index] * weights).sum() == pytest.approx(system[index])
    assert by_feeder["member_minutes"].sum() == pytest.approx(system["member_minutes"])
    by_division = ix.compute_indices(rec, steps, DIVISIONS, *Y2024, group_by="division")
    assert by_division.loc["North", "saifi"] == pytest.approx(CI / 90_000)
    assert (by_division["saidi"] * by_division["members_served"]).sum() / N_T == pytest.approx(system["saidi"])


def test_indices_by_cause_use_the_system_denominator(small):
    rec, steps, _ = small
    by_cause = ix.compute_indices(rec, steps, N_T, *Y2024, group_by="cause")
    assert by_cause.loc["vegetation", "saifi"] == pytest.approx((10_000 + 500) / 100_000)
    assert by_cause.loc["animal", "saidi"] == pytest.approx(2_000 * 45 / 100_000)
    assert by_cause.loc["lightning", "maifi"] == pytest.approx(5_000 / 100_000)
    assert by_cause["saifi"].sum() == pytest.approx(CI / N_T)
    with pytest.raises(TypeError):
        ix.compute_indices(rec, steps, FEEDERS, *Y2024, group_by="cause")


def test_records_without_a_group_are_reported_apart():
    rec = records_frame(
        [
            dict(
                record_id=1,
                start=local("2024-03-01 10:00"),
                restored=local("2024-03-01 11:00"),
                members_out=50,
                feeder="F1",
            ),
            dict(
                record_id=2,
                start=local("2024-03-01 10:00"),
                restored=local("2024-03-01 11:00"),
                members_out=70,
                feeder=None,
                substation="S1",
            ),  # a transmission-line record
        ]
    )
    out = ix.compute_indices(rec, None, {"F1": 500}, *Y2024, group_by="feeder")
    assert out.loc["F1", "saifi"] == pytest.approx(50 / 500)
    assert out.loc[ix.UNASSIGNED, "member_interruptions"] == 70
    assert math.isnan(out.loc[ix.UNASSIGNED, "saifi"])


# --------------------------------------------------------------------------------------------------
# local days


def test_interruption_before_local_midnight_counts_on_its_starting_day():
    # 23:50 CST on 15 January is 05:50 UTC on the 16th
    rec = records_frame(
        [dict(record_id=1, start=local("2024-01-15 23:50"), restored=local("2024-01-16 01:50"), members_out=300)]
    )
    assert rec.loc[0, "start"] == utc("2024-01-16 05:50")
    daily = ix.daily_saidi(rec, None, 1_000, local("2024-01-14"), local("2024-01-18"))
    assert list(daily.index) == [date(2024, 1, 14), date(2024, 1, 15), date(2024, 1, 16), date(2024, 1, 17)]
    assert daily[date(2024, 1, 15)] == pytest.approx(300 * 120 / 1_000)
    assert daily[date(2024, 1, 16)] == 0


def test_daily_saidi_on_dst_days():
    def rec(record_id, start, restored, members_out):
        return dict(record_id=record_id, start=utc(start), restored=utc(restored), members_out=members_out)

    rec = records_frame(
        [
            # spring forward, Sunday 10 March 2024: 02:00 CST -> 03:00 CDT, a 23-hour day
            rec(1, "2024-03-10 06:30", "2024-03-10 07:30", 100),  # 00:30 CST
            rec(2, "2024-03-10 07:50", "2024-03-10 08:10", 50),  # 01:50 CST -> 03:10 CDT: 20 min
            rec(3, "2024-03-11 04:30", "2024-03-11 05:00", 200),  # 23:30 CDT on the 10th
            rec(4, "2024-03-11 05:10", "2024-03-11 05:20", 300),  # 00:10 CDT on the 11th
            # fall back, Sunday 3 November 2024: 02:00 CDT -> 01:00 CST, a 25-hour day; 01:30 happens twice
            rec(5, "2024-11-03 06:30", "2024-11-03 07:30", 10),  # 01:30 CDT
            rec(6, "2024-11-03 07:30", "2024-11-03 08:30", 20),  # 01:30 CST
            rec(7, "2024-11-04 05:30", "2024-11-04 06:00", 40),  # 23:30 CST on the 3rd
        ]
    )
    assert ix.record_member_minutes(rec, None).iloc[1] == 50 * 20  # real elapsed time across the change
    daily = ix.daily_saidi(rec, None, 1_000, *Y2024)
    assert len(daily) == 366 and daily.index.is_unique
    assert daily[date(2024, 3, 9)] == 0
    assert daily[date(2024, 3, 10)] == pytest.approx((100 * 60 + 50 * 20 + 200 * 30) / 1_000)
    assert daily[date(2024, 3, 11)] == pytest.approx(300 * 10 / 1_000)
    assert daily[date(2024, 11, 3)] == pytest.approx((10 * 60 + 20 * 60 + 40 * 30) / 1_000)
    assert daily[date(2024, 11, 4)] == 0
    assert daily.sum() == pytest.approx(ix.saidi(rec, steps=None, members_served=1_000))


# --------------------------------------------------------------------------------------------------
# major event days


def test_t_med_by_hand():
    history = pd.Series(
        [math.e**1, math.e**2, 0.0, math.e**3],
        index=[date(2023, 12, 28), date(2023, 12, 29), date(2023, 12, 30), date(2023, 12, 31)],
    )
    result = ix.t_med(history)
    # ln: 1, 2, 3 (the zero day dropped); alpha = 2; beta = sqrt(((1-2)² + 0² + (3-2)²) / (3-1)) = 1
    assert result.alpha == pytest.approx(2.0)
    assert result.beta == pytest.approx(1.0)
    assert result.value == pytest.approx(math.exp(2 + 2.5 * 1))
    assert result.days == 4 and result.nonzero_days == 3
    assert not result.full_history and "fewer than 5 years" in result.note


def test_t_med_on_a_log_normal_history_with_a_planted_major_event_and_a_zero_day():
    days = pd.date_range("2019-01-01", "2023-12-31", freq="D").date  # the five years before 2024
    rng = np.random.default_rng(1366)
    values = np.exp(rng.normal(0.5, 1.0, len(days)))  # ln SAIDI ~ N(0.5, 1)
    values[100] = 0.0  # a day without interruptions
    values[200] = 5_000.0  # a planted major event day
    history = pd.Series(values, index=days)
    older = pd.Series(1e6, index=pd.date_range("2018-06-01", "2018-12-31", freq="D").date)  # > 5 years back
    result = ix.t_med(pd.concat([older, history]), period_start=date(2024, 1, 1))
    logs = np.log(values[values > 0])
    alpha = logs.sum() / len(logs)
    beta = math.sqrt(((logs - alpha) ** 2).sum() / (len(logs) - 1))
    assert result.value == pytest.approx(math.exp(alpha + 2.5 * beta))
    assert result.value == pytest.approx(math.exp(0.5 + 2.5 * 1.0), rel=0.2)  # near the true threshold
    assert (result.days, result.nonzero_days) == (1826, 1825)
    assert result.full_history and result.note is None and result.first_day == date(2019, 1, 1)
    assert values[200] > result.value
    assert ix.t_med(history.iloc[-730:]).note.startswith("2 years of history before")


def _storm_year():
    """One record a day from 2022 to 2024 on a 10,000-member system, plus a storm on 4 July 2024."""
    days = pd.date_range("2022-01-01", "2024-12-31", freq="D")
    rows = [
        dict(
            record_id=i,
            start=(d + pd.Timedelta(hours=9)).tz_localize(CHI),
            restored=(d + pd.Timedelta(hours=10)).tz_localize(CHI),
            members_out=50 + i % 101,
            feeder="F1",
        )
        for i, d in enumerate(days)
    ]
    rows.append(
        dict(
            record_id=10_000,
            start=local("2024-07-04 18:00"),
            restored=local("2024-07-05 04:00"),
            members_out=5_000,
            feeder="F2",
        )
    )
    return records_frame(rows)


def test_major_event_days_and_the_split():
    rec = _storm_year()
    meds = ix.major_event_days(rec, None, 10_000, *Y2024, history_start=local("2022-01-01"))
    assert meds.dates == [date(2024, 7, 4)]
    storm_day = 50 + 915 % 101  # the daily record on 4 July 2024 is number 915
    assert meds.days.loc[date(2024, 7, 4), "saidi"] == pytest.approx((5_000 * 600 + storm_day * 60) / 10_000)
    assert meds.t_med.days == 730 and not meds.t_med.full_history and "fewer than 5 years" in meds.t_med.note
    assert len(meds.daily_saidi) == 366
    split = ix.indices_by_day_type(rec, None, 10_000, *Y2024, major_event_days=meds.dates)
    all_, normal, med = (split.loc[(k, "system")] for k in ("all", "normal", "major_event"))
    assert med["saifi"] == pytest.approx((5_000 + storm_day) / 10_000)
    assert med["saidi"] == pytest.approx((5_000 * 600 + storm_day * 60) / 10_000)
    for index in ("saifi", "saidi", "member_minutes", "sustained_records"):
        assert all_[index] == pytest.approx(normal[index] + med[index])
    same = ix.compute_indices(rec, None, 10_000, *Y2024, exclude_days=["2024-07-04"]).loc["system"]
    assert same["saidi"] == pytest.approx(normal["saidi"])
    only = ix.compute_indices(rec, None, 10_000, *Y2024, only_days=meds.dates).loc["system"]
    assert only["saifi"] == pytest.approx(med["saifi"])
    assert all_["saidi"] == pytest.approx(ix.compute_indices(rec, None, 10_000, *Y2024).loc["system", "saidi"])


# --------------------------------------------------------------------------------------------------
# worst-performing feeders


def test_worst_feeders():
    members = pd.Series({**{f"F{i:02d}": 1_000 for i in range(19)}, "F19": 5})
    rows = [
        dict(
            record_id=i,
            start=local("2024-04-01 10:00"),
            restored=local("2024-04-01 11:00"),
            members_out=100,
            feeder=f"F{i:02d}",
        )
        for i in range(18)
    ]
    rows += [
        dict(
            record_id=18,
            start=local("2024-04-02 10:00"),
            restored=local("2024-04-02 12:00"),
            members_out=1_000,
            feeder="F18",
        ),
        dict(
            record_id=19,
            start=local("2024-04-03 10:00"),
            restored=local("2024-04-03 20:00"),
            members_out=5,
            feeder="F19",
        ),
    ]
    out = ix.worst_feeders(records_frame(rows), None, members, *Y2024)
    system_saidi = (18 * 100 * 60 + 1_000 * 120 + 5 * 600) / (19 * 1_000 + 5)
    system_saifi = (18 * 100 + 1_000 + 5) / (19 * 1_000 + 5)
    assert out.attrs["system_saidi"] == pytest.approx(system_saidi)
    assert out.attrs["system_saifi"] == pytest.approx(system_saifi)
    assert list(out.index[:2]) == ["F19", "F18"]  # SAIDI 600 and 120 minutes
    assert out.loc["F18", "saidi"] == pytest.approx(1_000 * 120 / 1_000)
    assert out.loc[["F19", "F18"], "worst_saidi"].all() and out["worst_saidi"].sum() == 2  # 10 % of 20
    assert out.loc["F18", "saidi_over_300pct"] and out.loc["F18", "saifi_over_300pct"]
    assert not out.loc["F19", "saidi_over_200pct"]  # 5 members: fewer than 10
    assert not out.loc["F00", "saidi_over_200pct"]  # 6 minutes against a system average of ~12
    assert out.loc["F18", "saifi_rank"] == out.loc["F19", "saifi_rank"] == 1  # both 1.0: tied


# --------------------------------------------------------------------------------------------------
# empty input and bad input


def test_empty_input_gives_zeros_and_nan_without_raising():
    empty = pd.DataFrame(
        {
            "record_id": pd.Series([], dtype=int),
            "start": pd.Series([], dtype="datetime64[ns, UTC]"),
            "restored": pd.Series([], dtype="datetime64[ns, UTC]"),
            "members_out": pd.Series([], dtype=int),
            "feeder": pd.Series([], dtype=object),
        }
    )
    for frame in (pd.DataFrame(), empty):
        row = ix.compute_indices(frame, None, 1_000, *Y2024, member_hits=pd.DataFrame()).loc["system"]
        assert (row["saifi"], row["saidi"], row["maifi"], row["maifie"], row["asai"]) == (0, 0, 0, 0, 1)
        assert math.isnan(row["caidi"]) and math.isnan(row["caifi"]) and row["cemi_3"] == 0
        grouped = ix.compute_indices(frame, steps_frame([]), FEEDERS, *Y2024, group_by="feeder")
        assert list(grouped.index) == ["F1", "F2", "F3"] and (grouped["saidi"] == 0).all()
        assert (ix.daily_saidi(frame, None, 1_000, *Y2024) == 0).all()
        meds = ix.major_event_days(frame, None, 1_000, *Y2024, history_start=local("2019-01-01"))
        assert meds.dates == [] and math.isnan(meds.t_med.value) and meds.t_med.note
        assert ix.worst_feeders(frame, None, pd.Series(FEEDERS), *Y2024)["saidi"].eq(0).all()
        assert ix.saifi(frame, members_served=1_000) == 0 and math.isnan(ix.caidi(frame, steps=None))
    assert math.isnan(ix.t_med(pd.Series(dtype=float)).value)
    zero_members = ix.compute_indices(pd.DataFrame(), None, 0, *Y2024).loc["system"]
    assert math.isnan(zero_members["saifi"])


def test_bad_input_is_refused():
    rec = pd.DataFrame(
        {
            "record_id": [1],
            "start": [pd.Timestamp("2024-01-02 10:00")],
            "restored": [pd.Timestamp("2024-01-02 11:00")],
            "members_out": [5],
        }
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        ix.compute_indices(rec, None, 100, *Y2024)
    with pytest.raises(ValueError, match="timezone-aware"):
        ix.compute_indices(pd.DataFrame(), None, 100, pd.Timestamp("2024-01-01"), pd.Timestamp("2025-01-01"))
    with pytest.raises(ValueError, match="group_by"):
        ix.compute_indices(pd.DataFrame(), None, 100, *Y2024, group_by="county")


# --------------------------------------------------------------------------------------------------
# the per-member model's figures (outages.reliability hands them over) and CELID


def test_given_member_figures_stand_for_the_count_and_the_steps(small):
    rec, steps, hits = small
    # record 3's 500 members were already dark under record 1 (say): the model gives it no members of its
    # own; record 1's members were dark longer (1,000 more member-minutes); NA keeps the count and the steps
    exact = rec.assign(
        member_interruptions=[10_000, np.nan, 0, np.nan, np.nan, np.nan],
        member_minutes=[MM_1 + 1_000, np.nan, 0.0, np.nan, np.nan, np.nan],
    )
    row = ix.compute_indices(exact, steps, N_T, *Y2024, member_hits=hits).loc["system"]
    assert row["member_interruptions"] == 10_000 + 2_000 and row["saifi"] == pytest.approx(12_000 / N_T)
    assert row["member_minutes"] == pytest.approx(MM_1 + 1_000 + MM_2)
    assert row["sustained_records"] == 3  # record 3 is still a record
    assert ix.record_member_minutes(exact, steps).iloc[2] == 0


def test_celid_counts_long_single_and_long_total_interruptions():
    rec = records_frame(
        [
            dict(
                record_id=1,
                start=local("2024-03-01 08:00"),
                restored=local("2024-03-01 18:00"),
                members_out=3,
                feeder="F1",
                momentary=False,
            ),
            dict(
                record_id=2,
                start=local("2024-04-01 08:00"),
                restored=local("2024-04-01 13:00"),
                members_out=2,
                feeder="F1",
                momentary=False,
            ),
            dict(
                record_id=3,
                start=local("2024-05-01 08:00"),
                restored=local("2024-05-01 08:02"),
                members_out=2,
                feeder="F1",
                momentary=True,
            ),
        ]
    )
    # member 1: 10 h once; member 2: 5 h + 4 h; member 3: 2 h + 5 h; members 2 and 3 also a momentary of 1,000 h
    # (nonsense minutes, but momentary records never count in CELID)
    hits = pd.DataFrame(
        {
            "member_id": [1, 2, 3, 2, 3, 2, 3],
            "record_id": [1, 1, 1, 2, 2, 3, 3],
            "minutes": [600.0, 300.0, 120.0, 240.0, 300.0, 60_000.0, 60_000.0],
        }
    )
    row = ix.compute_indices(rec, None, 10, *Y2024, member_hits=hits).loc["system"]
    assert row["celid_s"] == pytest.approx(1 / 10)  # only member 1 had one interruption longer than 8 h
    assert row["celid_t"] == pytest.approx(2 / 10)  # members 1 (10 h) and 2 (9 h); member 3 has 7 h
    assert ix.celid_s(rec, members_served=10, member_hits=hits, hours=4.5) == pytest.approx(3 / 10)  # 10, 5, 5 h
    assert ix.celid_s(rec, members_served=10, member_hits=hits, hours=5) == pytest.approx(1 / 10)  # 5 h: not longer
    assert ix.celid_t(rec, members_served=10, member_hits=hits, hours=9) == pytest.approx(1 / 10)  # 9 h is not more
    # a (member, record) pair listed twice is one interruption whose minutes add up
    split = pd.concat([hits, pd.DataFrame({"member_id": [3], "record_id": [2], "minutes": [120.0]})])
    assert ix.celid_s(rec, members_served=10, member_hits=split, hours=6.5) == pytest.approx(2 / 10)  # 3: 7 h
    assert ix.cemi(rec, 1, members_served=10, member_hits=split) == pytest.approx(2 / 10)
    # without minutes CELID is NaN, the other indices over members are not
    row = ix.compute_indices(rec, None, 10, *Y2024, member_hits=hits.drop(columns="minutes")).loc["system"]
    assert math.isnan(row["celid_s"]) and math.isnan(row["celid_t"]) and row["cemi_3"] == 0
    by_feeder = ix.compute_indices(
        rec, None, {"F1": 10}, *Y2024, group_by="feeder", member_hits=hits, celid_t_hours=6.5
    )
    assert by_feeder.loc["F1", "celid_t"] == pytest.approx(3 / 10) and by_feeder.attrs["celid_t_hours"] == 6.5
