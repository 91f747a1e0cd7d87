"""The summary report of a significant interruption lasting more than 24 hours, as filed: its due date in
working days (D11), and its workbook, PDF and HTML page, each holding every field the rule requires."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from outages.formatting import format_duration, format_time
from reports.summary_report import FacilityRow, StepRow, SummaryData, summary_html, summary_pdf, summary_workbook
from reports.working_days import cooperative_holidays, is_working_day, summary_report_due, working_days_between
from tests.helpers import CHICAGO, CRITERIA, HOLIDAYS, LOCATION, RESTORED, START, STEPS, UTC, d12_report, local


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=CHICAGO)


# ------------------------------------------------------------------------------------------------ D11


def test_default_calendar_is_federal_plus_the_cooperative_days():
    days = cooperative_holidays(2025)
    assert {
        date(2025, 1, 1),
        date(2025, 1, 20),
        date(2025, 2, 17),
        date(2025, 5, 26),
        date(2025, 6, 19),
        date(2025, 7, 4),
        date(2025, 9, 1),
        date(2025, 10, 13),
        date(2025, 11, 11),
        date(2025, 11, 27),
        date(2025, 12, 25),
    } <= days
    assert date(2025, 11, 28) in days and date(2025, 12, 24) in days  # day after Thanksgiving, Christmas Eve
    # Texas state days are not cooperative holidays: Texas Independence Day, San Jacinto Day, LBJ Day.
    assert not days & {date(2026, 3, 2), date(2025, 4, 21), date(2025, 8, 27)}
    assert len(days) == 13
    # Observed days, as the federal calendar has them: 4 July 2026 is a Saturday, observed Friday 3 July.
    assert date(2026, 7, 3) in cooperative_holidays(2026)
    # Christmas Eve on a Saturday is just a weekend day: Friday 23 December 2022 is a working day.
    assert is_working_day(date(2022, 12, 23), cooperative_holidays(2022))


def test_calendar_is_configurable():
    days = cooperative_holidays([2025], extra=[date(2025, 12, 26)], dropped=[date(2025, 10, 13)])
    assert date(2025, 12, 26) in days and date(2025, 10, 13) not in days
    assert not is_working_day(date(2025, 12, 26), days) and is_working_day(date(2025, 10, 13), days)
    assert not is_working_day(date(2025, 11, 29), days)  # a Saturday


@pytest.mark.parametrize(
    "restored, due",
    [
        # Tuesday before Thanksgiving: Wed 26 (1), Thanksgiving, day after, weekend, Mon 1 Dec (2), Tue 2 Dec (3).
        (local(2025, 11, 25, 16, 0), date(2025, 12, 2)),
        # Friday: Mon, Tue, Wed.
        (local(2025, 10, 17, 9, 30), date(2025, 10, 22)),
        # Saturday: the restoration day never counts, nor does Sunday: Mon, Tue, Wed.
        (local(2025, 10, 18, 14, 0), date(2025, 10, 22)),
        # 23:30 CST on 31 December is 1 January in UTC; the local date counts: New Year, Fri 2, Mon 5, Tue 6.
        (local(2025, 12, 31, 23, 30), date(2026, 1, 6)),
        # 23:30 CST on Mon 29 December is Tuesday in UTC: Tue 30 (1), Wed 31 (2), New Year, Fri 2 Jan (3).
        (local(2025, 12, 29, 23, 30), date(2026, 1, 2)),
        # Christmas week: Tue 23 (1), Christmas Eve, Christmas, Fri 26 (2), weekend, Mon 29 (3).
        (local(2025, 12, 22, 18, 0), date(2025, 12, 29)),
        # 2022: Christmas Eve is a Saturday, Christmas observed Mon 26: Fri 23 (1), Tue 27 (2), Wed 28 (3).
        (local(2022, 12, 22, 12, 0), date(2022, 12, 28)),
        # 4 July 2026 is a Saturday, observed Friday 3 July: Thu 2 (1), Mon 6 (2), Tue 7 (3).
        (local(2026, 7, 1, 8, 0), date(2026, 7, 7)),
    ],
)
def test_summary_report_due_at_the_end_of_the_third_working_day(restored, due):
    assert summary_report_due(restored, zone=CHICAGO, holidays=HOLIDAYS) == end_of(due)


def test_due_moment_is_local_end_of_day_and_zone_aware():
    due = summary_report_due(local(2025, 11, 25, 16, 0), zone=CHICAGO, holidays=HOLIDAYS)
    assert due.tzinfo is CHICAGO and due.tzname() == "CST"
    assert due.astimezone(UTC) == datetime(2025, 12, 3, 5, 59, 59, 999999, tzinfo=UTC)
    # Without a calendar, the default calendar of the restoration year and the next one.
    assert summary_report_due(local(2025, 12, 31, 23, 30), zone=CHICAGO) == end_of(date(2026, 1, 6))
    with pytest.raises(ValueError):
        summary_report_due(datetime(2025, 11, 25, 16, 0), zone=CHICAGO, holidays=HOLIDAYS)


def test_working_days_between():
    assert working_days_between(date(2025, 11, 25), date(2025, 12, 2), HOLIDAYS) == 3
    assert working_days_between(date(2025, 11, 25), date(2025, 11, 30), HOLIDAYS) == 1
    assert working_days_between(date(2025, 11, 25), date(2025, 11, 25), HOLIDAYS) == 0


# --------------------------------------------------------------------------------------- the report

STEP_TEXT = [  # as the PDF and HTML tables show them
    ("Sun 23 Nov 2025", "11:30 CST", "JC-014", "4,000", "6,000"),
    ("Sun 23 Nov 2025", "14:00 CST", "JC-014", "5,000", "2,500"),
    ("Sun 23 Nov 2025", "16:15 CST", "JC-014", "1,000", "1,500"),
    ("Mon 24 Nov 2025", "09:45 CST", "MF-001 / MF-001-R3", "1,000", "500"),
    ("Tue 25 Nov 2025", "14:15 CST", "MF-001 / MF-001-R3", "500", "0"),
]


def test_d12_example_member_minutes():
    data = d12_report()
    assert data.facilities[0].member_minutes == 1_935_000
    assert data.total_member_minutes == 4_627_500
    assert data.duration == timedelta(hours=52, minutes=15)
    assert format_duration(data.duration) == "52 h 15 min"
    assert format_time(data.started_at, CHICAGO) == "Sun 23 Nov 2025 10:00 CST"
    assert data.due_at == end_of(date(2025, 12, 2))


def _workbook(data: SummaryData):
    return load_workbook(io.BytesIO(summary_workbook(data)))


def _by_label(sheet) -> dict:
    rows = {}
    for label, value, shown in sheet.iter_rows(min_row=6, max_col=3, values_only=True):
        rows.setdefault(label, []).append((value, shown))
    return {k: v[0] if len(v) == 1 else v for k, v in rows.items()}


def test_workbook_summary_sheet_has_every_required_field():
    book = _workbook(d12_report())
    assert book.sheetnames == ["Summary", "Facilities", "Restoration steps", "Members out over time"]
    sheet = book["Summary"]
    assert "Hill Country Electric Cooperative (synthetic)" in sheet["A1"].value
    assert sheet.freeze_panes == "A6" and sheet["A5"].font.bold
    fields = _by_label(sheet)
    assert fields["Date and time of the significant interruption"] == (
        datetime(2025, 11, 23, 10, 0),
        "Sun 23 Nov 2025 10:00 CST",
    )
    assert fields["Date and time of full restoration"] == (datetime(2025, 11, 25, 14, 15), "Tue 25 Nov 2025 14:15 CST")
    assert fields["Duration"] == (timedelta(hours=52, minutes=15), "52 h 15 min (real elapsed time)")
    assert fields["Cause(s)"][0] == "Ice / snow; Trees & vegetation"
    assert fields["Location"][0] == LOCATION
    assert fields["Total members affected"][0] == 11_500
    assert fields["Peak members out"][0] == 10_000
    assert fields["Peak members out at"][0] == datetime(2025, 11, 23, 10, 0)
    assert fields["Total member-minutes"][0] == 4_627_500
    assert fields["Affected facilities"][0] == 2 and fields["Partial or step restorations"][0] == 5
    due, shown = fields["Summary report due"]
    assert due == datetime(2025, 12, 2, 23, 59, 59) and shown.startswith("Tue 2 Dec 2025 23:59 CST")
    assert [v for v, _ in fields["Significance criterion met"]] == CRITERIA
    numbers = {row[0].value: row[1] for row in sheet.iter_rows(min_row=6)}
    assert numbers["Total member-minutes"].number_format == "#,##0"
    assert numbers["Duration"].number_format == "[h]:mm"


def test_workbook_facilities_sheet():
    sheet = _workbook(d12_report())["Facilities"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0] == (
        "Substation",
        "Feeder",
        "Transmission line",
        "Device",
        "Cause",
        "Start",
        "TZ",
        "Full restoration",
        "TZ",
        "Duration",
        "Members affected",
        "Member-minutes",
    )
    assert rows[1] == (
        "JC-S01",
        "JC-014",
        None,
        None,
        "Ice / snow",
        datetime(2025, 11, 23, 10, 0),
        "CST",
        datetime(2025, 11, 23, 16, 15),
        "CST",
        timedelta(hours=6, minutes=15),
        10_000,
        1_935_000,
    )
    assert rows[2] == (
        "MF-S01",
        "MF-001",
        None,
        "MF-001-R3",
        "Trees & vegetation",
        datetime(2025, 11, 23, 13, 20),
        "CST",
        datetime(2025, 11, 25, 14, 15),
        "CST",
        timedelta(hours=48, minutes=55),
        1_500,
        2_692_500,
    )
    assert rows[3][0].startswith("Total") and rows[3][10:] == (11_500, 4_627_500)
    assert len(rows) == 4
    assert sheet.freeze_panes == "A4" and sheet["A3"].font.bold
    assert sheet["K4"].number_format == "#,##0" and sheet["L5"].number_format == "#,##0"
    assert sheet["F4"].number_format == "ddd d mmm yyyy hh:mm"
    assert sheet.column_dimensions["E"].width >= 20


def test_workbook_steps_sheet_has_every_step():
    sheet = _workbook(d12_report())["Restoration steps"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [(r[0].date(), r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        (date(*t[:3]), time(*t[3:]), "CST", facility, restored, out) for t, facility, restored, out in STEPS
    ]
    assert sheet["E4"].number_format == "#,##0" and sheet["B4"].number_format == "hh:mm"
    assert sheet.freeze_panes == "A4"


def test_workbook_timeline_sheet_and_chart():
    sheet = _workbook(d12_report())["Members out over time"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [(r[0], r[2]) for r in rows if r[0]] == [
        (datetime(2025, 11, 23, 10, 0), 10_000),
        (datetime(2025, 11, 23, 11, 30), 6_000),
        (datetime(2025, 11, 23, 13, 20), 7_500),
        (datetime(2025, 11, 23, 14, 0), 2_500),
        (datetime(2025, 11, 23, 16, 15), 1_500),
        (datetime(2025, 11, 24, 9, 45), 500),
        (datetime(2025, 11, 25, 14, 15), 0),
    ]
    stairs = [(r[4], r[5]) for r in rows]
    assert stairs[:3] == [
        (datetime(2025, 11, 23, 10, 0), 10_000),
        (datetime(2025, 11, 23, 11, 30), 10_000),
        (datetime(2025, 11, 23, 11, 30), 6_000),
    ]
    assert len(stairs) == 13
    assert len(sheet._charts) == 1


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


REQUIRED_TEXT = [
    "Sun 23 Nov 2025 10:00 CST",
    "Tue 25 Nov 2025 14:15 CST",
    "52 h 15 min",
    "Ice / snow",
    "Trees & vegetation",
    LOCATION,
    "JC-S01",
    "JC-014",
    "MF-S01",
    "MF-001",
    "MF-001-R3",
    "11,500",
    "10,000",
    "1,935,000",
    "2,692,500",
    "4,627,500",
    "Tue 2 Dec 2025 23:59 CST",
    *CRITERIA,
    "Hill Country Electric Cooperative (synthetic)",
    "November ice storm",
]


def test_pdf_contains_every_required_field_and_step():
    pdf = summary_pdf(d12_report())
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in REQUIRED_TEXT:
        assert expected in text, expected
    for step in STEP_TEXT:
        assert " ".join(step) in text, step
    assert "Sun 23 Nov 2025 13:20 CST" in text  # MF-001's start


def test_pdf_compact_listing_keeps_every_facility_and_step():
    """Long incidents are listed compactly in the PDF; every facility and step is still in its text."""
    base = d12_report()
    facilities = [
        FacilityRow(
            f"S-{i % 7}",
            f"F-{i:03d}",
            None,
            None,
            START + timedelta(minutes=i),
            RESTORED,
            10 + i,
            1000.0 * i,
            "Ice / snow",
        )
        for i in range(60)
    ]
    steps = [
        StepRow(START + timedelta(minutes=7 * i + 1), f"F-{i % 60:03d} / R{i % 4}", 5 + i, 3_000 - i)
        for i in range(400)
    ]
    data = SummaryData(**{**base.__dict__, "facilities": facilities, "steps": steps})
    text = _text(summary_pdf(data))
    assert "Affected facilities (60)" in text and "Partial and step restorations (400)" in text
    for f in facilities:
        line = f"{f.substation} {f.feeder} - {f.started_at.astimezone(CHICAGO):%d %b %H:%M} CST 25 Nov 14:15 CST"
        assert line in text, line
        assert f"{f.members_affected:,} {f.member_minutes:,.0f}" in text
    for s in steps:
        at = s.at.astimezone(CHICAGO)
        assert f"{at:%H:%M} {s.facility} {s.members_restored:,} ({s.members_out_after:,})" in text, s
    for day in ("Sun 23 Nov 2025 (CST)", "Mon 24 Nov 2025 (CST)"):
        assert day in text


def test_html_contains_every_required_field_and_step():
    page = summary_html(d12_report())
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
    assert "Trees &amp; vegetation" in page
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    for expected in REQUIRED_TEXT:
        assert expected in text, expected
    for step in STEP_TEXT:
        assert " ".join(step) in text, step


def test_duration_across_the_march_dst_change_is_real_elapsed_time():
    start = local(2026, 3, 7, 12, 0)  # Sat 7 Mar 2026 12:00 CST
    restored = local(2026, 3, 9, 12, 15)  # Mon 9 Mar 2026 12:15 CDT: 47 h 15 min later, not 48 h 15 min
    line = FacilityRow(
        substation="MF-S01",
        feeder=None,
        transmission_line="TL-003",
        device=None,
        started_at=start,
        restored_at=restored,
        members_affected=1_500,
        member_minutes=1_500 * 2_835,
        cause="Power supply / transmission",
    )
    data = SummaryData(
        cooperative="Hill Country Electric Cooperative (synthetic)",
        incident_id=9,
        incident_title="TL-003 fault",
        started_at=start,
        restored_at=restored,
        zone=CHICAGO,
        causes=["Power supply / transmission"],
        location="Marble Falls Division",
        criteria=["Community Marble Falls: 100 % out"],
        facilities=[line],
        total_members_affected=1_500,
        peak_members_out=1_500,
        peak_at=start,
        steps=[StepRow(restored, "TL-003", 1_500, 0)],
        total_member_minutes=1_500 * 2_835,
        due_at=summary_report_due(restored, zone=CHICAGO, holidays=HOLIDAYS),
        timeline=[(start, 1_500), (restored, 0)],
    )
    assert data.duration == timedelta(hours=47, minutes=15)
    fields = _by_label(_workbook(data)["Summary"])
    assert fields["Duration"] == (timedelta(hours=47, minutes=15), "47 h 15 min (real elapsed time)")
    assert fields["Date and time of the significant interruption"][1] == "Sat 7 Mar 2026 12:00 CST"
    assert fields["Date and time of full restoration"][1] == "Mon 9 Mar 2026 12:15 CDT"
    assert fields["Summary report due"][1].startswith("Thu 12 Mar 2026 23:59 CDT")
    facility = list(_workbook(data)["Facilities"].iter_rows(min_row=4, max_row=4, values_only=True))[0]
    assert facility[:3] == ("MF-S01", None, "TL-003") and facility[6] == "CST" and facility[8] == "CDT"
    assert facility[9] == timedelta(hours=47, minutes=15)
    text = _text(summary_pdf(data))
    for expected in ("47 h 15 min", "Sat 7 Mar 2026 12:00 CST", "Mon 9 Mar 2026 12:15 CDT", "TL-003", "MF-S01"):
        assert expected in text, expected
    assert "47 h 15 min" in summary_html(data)


def test_times_must_be_timezone_aware():
    base = d12_report()
    with pytest.raises(ValueError):
        SummaryData(**{**base.__dict__, "started_at": datetime(2025, 11, 23, 16, 0)})
    with pytest.raises(ValueError):
        StepRow(datetime(2025, 11, 23, 17, 30), "JC-014", 4_000, 6_000)


def test_large_incident_workbook_keeps_every_row():
    """2,000 facilities and 10,000 steps (the data rows are written by a fast path): every row is there,
    in order, with the right types and formats."""
    base = d12_report()
    facilities = [
        FacilityRow(
            f"S-{i % 150:03d}",
            f"F-{i:04d}",
            None,
            f"D-{i}" if i % 2 else None,
            START,
            RESTORED,
            100 + i,
            1000.5 * i,
            "Ice / snow",
        )
        for i in range(2_000)
    ]
    steps = [
        StepRow(START + timedelta(seconds=17 * i + 60), f"F-{i % 2000:04d}", 1, 10_000 - i - 1) for i in range(10_000)
    ]
    timeline = [(START, 10_000)] + [(s.at, s.members_out_after) for s in steps]
    data = SummaryData(**{**base.__dict__, "facilities": facilities, "steps": steps, "timeline": timeline})
    book = load_workbook(io.BytesIO(summary_workbook(data)), read_only=True)
    rows = list(book["Facilities"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 2_001 and rows[-1][10:] == (
        sum(f.members_affected for f in facilities),
        pytest.approx(sum(f.member_minutes for f in facilities)),
    )
    assert rows[1999][:4] == ("S-049", "F-1999", None, "D-1999") and rows[1999][11] == 1000.5 * 1999
    rows = list(book["Restoration steps"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 10_000
    assert rows[-1][3:] == ("F-1999", 1, 0)
    assert rows[-1][1] == (steps[-1].at.astimezone(CHICAGO)).time()
    rows = list(book["Members out over time"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 20_001 and rows[-1][4:] == (datetime(2025, 11, 25, 9, 14, 3), 0)


def test_report_without_steps_timeline_or_criteria_still_renders():
    base = d12_report()
    data = SummaryData(**{**base.__dict__, "steps": [], "timeline": [], "criteria": [], "causes": []})
    fields = _by_label(_workbook(data)["Summary"])
    assert fields["Cause(s)"][0] == "under investigation" and fields["Partial or step restorations"][0] == 0
    text = _text(summary_pdf(data))
    assert "No partial or step restorations recorded." in text and "under investigation" in text
    assert "data:image/png" not in summary_html(data)


def test_a_data_block_whose_marker_is_not_in_the_saved_file_fails_loudly():
    """The fast path never drops a sheet's data rows silently: a block it cannot splice in is an error."""
    from reports.summary_report import _Book

    book = _Book()
    sheet = book.sheet("Restoration steps", [12])
    sheet.header(["Members restored"])
    sheet.block([([5], [0]), ([7], [0])])
    marker, block = book.blocks.popitem()
    book.blocks[marker.replace("block", "lost")] = block  # as if openpyxl no longer wrote the marker as text
    with pytest.raises(RuntimeError, match=r"sheet 'Restoration steps' \(marker @@summary-report-lost-0@@, row 2\)"):
        book.save()
