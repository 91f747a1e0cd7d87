"""The regulators' and boards' exports (issue 16): Form EIA-861's reliability fields and the Texas worst-feeder
rule (PURA §38.005), checked against the indices and hand arithmetic on the tiny test cooperative
(tests/factories.py: 12,000 members; JC-014 10,000, JC-015 500, MF-001 1,500), and the workbooks printed
through LibreOffice.

The records (America/Chicago), logged through the API as a dispatcher would:

=====  ==========  =======  =======  ========  ==============  ==================================
 id    day         feeder   members  minutes   member-minutes  why
=====  ==========  =======  =======  ========  ==============  ==================================
 p1    2024-04-02  MF-001    1,500      30         45,000      MF-001 worst by SAIFI in 2024 (2.0)
 p2    2024-06-11  MF-001    1,500      30         45,000
 p3    2024-08-20  JC-014   10,000      90        900,000      JC-014 worst by SAIDI in 2024 (90)
 q1    2025-03-04  JC-014   10,000      30        300,000
 q2-4  2025-04-08, MF-001    1,500      20     3 x 30,000      MF-001 worst by SAIFI in 2025 (3.0)
       06-17, 09-09
 q5    2025-07-01  JC-015      500     240        120,000      JC-015: SAIDI 240 > 3 x 42.5
 storm 2025-05-20  JC-014   10,000   1,440     14,400,000      a major event day (SAIDI 1,200)
=====  ==========  =======  =======  ========  ==============  ==================================

T_MED for 2025 comes from 2024's three days (3.75, 3.75 and 75 min): about 768 min, so the storm's day
(1,200 min) is a major event day and no other day is.  2025 on normal days: system SAIDI 510,000 / 12,000 =
42.5 min, SAIFI 15,000 / 12,000 = 1.25; JC-014 30 / 1.0, MF-001 60 / 3.0, JC-015 240 / 1.0.  Worst 10 % of
three feeders is one.  Flagged: MF-001 (worst by SAIFI in 2024 and 2025) and JC-015 (SAIDI above 300 %);
JC-014 was worst in 2024 only.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from datetime import date

import pytest
from openpyxl import load_workbook

from outages.regulatory import eia861, worst_feeders_pura
from outages.reliability import annual_reliability, indices_for
from reports.regulatory import eia861_workbook, pura_workbook
from reports.reliability_report import reliability_workbook
from tests.helpers import printed

N_T = 12_000
COOP = "Hill Country Electric Cooperative (synthetic)"


def log(api, feeder, members, start, end, cause="animal", **more) -> dict:
    made = api(
        "POST",
        "/api/interruptions",
        json={"feeder": feeder, "cause": cause, "members_out": members, "start_at": start, "restored_at": end} | more,
    )
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def history(api) -> dict[str, dict]:
    """The records of the module docstring."""
    return {
        "p1": log(api, "MF-001", 1_500, "2024-04-02T10:00", "2024-04-02T10:30"),
        "p2": log(api, "MF-001", 1_500, "2024-06-11T10:00", "2024-06-11T10:30"),
        "p3": log(api, "JC-014", 10_000, "2024-08-20T08:00", "2024-08-20T09:30", "equipment_failure"),
        "q1": log(api, "JC-014", 10_000, "2025-03-04T08:00", "2025-03-04T08:30", "vegetation"),
        "q2": log(api, "MF-001", 1_500, "2025-04-08T10:00", "2025-04-08T10:20"),
        "q3": log(api, "MF-001", 1_500, "2025-06-17T10:00", "2025-06-17T10:20"),
        "q4": log(api, "MF-001", 1_500, "2025-09-09T10:00", "2025-09-09T10:20"),
        "q5": log(api, "JC-015", 500, "2025-07-01T06:00", "2025-07-01T10:00", "equipment_failure"),
        "storm": log(api, "JC-014", 10_000, "2025-05-20T10:00", "2025-05-21T10:00", "wind"),
    }


def t_med_2025() -> float:
    logs = [math.log(v) for v in (45_000 / N_T, 45_000 / N_T, 900_000 / N_T)]
    return math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))


def system(session, days: str, **options) -> dict:
    result = indices_for(session=session, start=date(2025, 1, 1), end=date(2026, 1, 1), **options)
    return result.rows(days).loc["system"].to_dict()


def same(figures, row: dict) -> None:
    """The EIA-861 column is exactly the indices' row (not approximately: the same numbers)."""
    assert (figures.saidi, figures.saifi) == (row["saidi"], row["saifi"])
    assert figures.caidi == row["caidi"] or (math.isnan(figures.caidi) and math.isnan(row["caidi"]))


# --------------------------------------------------------------------------------------------------
# EIA-861


def test_eia861_figures_are_the_indices_with_without_and_without_loss_of_supply(api, history, session):
    assert 75 < t_med_2025() < 1_200  # the worked example depends on it
    before = eia861(session=session, year=2025)
    assert before.major_event_days == [date(2025, 5, 20)]
    assert before.t_med == pytest.approx(t_med_2025())
    assert before.with_med.saidi == pytest.approx((510_000 + 14_400_000) / N_T)  # 1,242.5 min
    assert before.without_med.saidi == pytest.approx(42.5)
    assert before.without_med.saifi == pytest.approx(1.25)
    assert before.without_med.caidi == pytest.approx(510_000 / 15_000)
    assert before.without_med_and_loss_of_supply == before.without_med  # no loss of supply yet
    assert before.customers == N_T and before.standard == "IEEE 1366-2022"
    assert before.recorded_automatically is False and not before.year_to_date
    assert before.momentary_definition == "5 minutes or less (IEEE 1366)"

    # a loss of supply on a normal day (cause power supply): 6,000 members below R1 for 30 minutes
    log(api, "JC-014", 6_000, "2025-10-14T12:00", "2025-10-14T12:30", "power_supply", device="JC-014-R1")
    after = eia861(session=session, year=2025)
    same(after.with_med, system(session, "all"))
    same(after.without_med, system(session, "normal"))
    same(after.without_med_and_loss_of_supply, system(session, "normal", exclude_loss_of_supply=True))
    assert after.with_med.saidi == pytest.approx(before.with_med.saidi + 180_000 / N_T)
    assert after.without_med.saidi == pytest.approx(42.5 + 15)
    assert after.without_med.saifi == pytest.approx(1.25 + 0.5)
    # only the third column leaves it out
    assert after.without_med_and_loss_of_supply.saidi == pytest.approx(42.5)
    assert after.without_med_and_loss_of_supply.saifi == pytest.approx(1.25)
    assert after.loss_of_supply_records == 1
    assert after.major_event_days == before.major_event_days


def test_eia861_of_a_year_not_over_is_year_to_date(history, session):
    data = eia861(session=session, year=2025, today=date(2025, 7, 1))
    assert data.year_to_date and data.period.last_day == date(2025, 6, 30)
    want = indices_for(session=session, start=date(2025, 1, 1), end=date(2025, 7, 1)).rows("all").loc["system"]
    assert data.with_med.saidi == want["saidi"]  # the storm and q1-q3, not q4 or q5
    assert data.with_med.saidi == pytest.approx((300_000 + 60_000 + 14_400_000) / N_T)
    assert ("Year to date", "yes: the year is not over", "text") in data.items()
    book = load_workbook(io.BytesIO(eia861_workbook(data, COOP)))
    assert "year to date" in book.active["A1"].value


def test_eia861_exports_reopen_with_the_same_numbers(api, history, session):
    data = eia861(session=session, year=2025)
    xlsx = api("GET", "/api/reports/eia-861/2025.xlsx", as_="executive")
    assert xlsx.status_code == 200, xlsx.text
    assert 'filename="eia-861-2025.xlsx"' in xlsx.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content))["EIA-861"]
    items = {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r[0] and len(r) > 1 and r[1] is not None}
    assert items["SAIDI including major event days (minutes per customer)"] == data.with_med.saidi
    assert items["SAIFI excluding major event days (interruptions per customer)"] == data.without_med.saifi
    assert items["SAIDI excluding major event days and loss of supply (minutes per customer)"] == pytest.approx(42.5)
    assert items["Number of customers (members served)"] == N_T
    assert items["Standard used"] == "IEEE 1366-2022"
    assert items["Outages recorded automatically"] == "no"
    assert items["Major event days in the year"] == 1

    response = api("GET", "/api/reports/eia-861/2025.csv", as_="executive")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    (row,) = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert row["report_year"] == "2025" and row["year_to_date"] == "no"
    assert float(row["saidi_with_med"]) == data.with_med.saidi
    assert float(row["saidi_without_med"]) == pytest.approx(42.5)
    assert float(row["saifi_without_med_and_loss_of_supply"]) == pytest.approx(1.25)
    assert int(row["customers"]) == N_T and row["standard"] == "IEEE 1366-2022"
    assert row["momentary_interruption_definition"] == "5 minutes or less (IEEE 1366)"


@pytest.mark.parametrize(
    "url",
    [
        "/api/reports/eia-861/2025.xlsx",
        "/api/reports/eia-861/2025.csv",
        "/api/reports/worst-feeders/2025.xlsx",
        "/api/reports/worst-feeders/2025.csv",
    ],
)
def test_exports_need_a_signed_in_staff_member_and_a_finished_year(api, url):
    assert api("GET", url, as_=None).status_code == 401
    assert api("GET", url, as_="dispatcher").status_code == 200
    for bad in ("2999", "1800"):
        response = api("GET", url.replace("2025", bad), as_="executive")
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "year" and "Fix" in response.json()["detail"]
    assert api("GET", url.replace("2025", "last"), as_="executive").status_code == 422


# --------------------------------------------------------------------------------------------------
# PURA §38.005


def test_worst_two_years_running_and_above_300_percent_are_flagged_with_their_evidence(history, session):
    data = worst_feeders_pura(session=session, year=2025)
    assert data.feeders_ranked == 3 and data.worst_count == 1
    assert data.system_saidi == pytest.approx(42.5) and data.system_saifi == pytest.approx(1.25)
    assert data.system_saidi_before == pytest.approx((90_000 + 900_000) / N_T)
    flagged = {f.feeder: f for f in data.flagged}
    assert sorted(flagged) == ["JC-015", "MF-001"]  # not JC-014: worst in 2024 only

    mf = flagged["MF-001"]
    assert mf.tests == ["worst 10 % two years running"]
    assert (mf.saifi, mf.saifi_rank, mf.saifi_before, mf.saifi_rank_before) == (pytest.approx(3.0), 1, 2.0, 1)
    assert mf.saidi == pytest.approx(60) and mf.saidi_rank == 2
    assert mf.substation == "MF-S01" and mf.members_served == 1_500
    assert mf.records_in_all == 3
    assert [r.record_id for r in mf.records] == [history[k]["id"] for k in ("q2", "q3", "q4")]  # ties: by start
    assert {(r.minutes, r.members, r.member_minutes, r.cause) for r in mf.records} == {(20, 1_500, 30_000, "animal")}

    jc15 = flagged["JC-015"]
    assert jc15.tests == ["SAIDI above 300 % of the system average"]
    assert jc15.saidi == pytest.approx(240) and jc15.saidi > 3 * data.system_saidi
    assert jc15.saidi_rank == 1 and jc15.saidi_before == 0
    assert not jc15.worst_two_years  # no interruption in 2024: never among the worst
    (record,) = jc15.records
    assert record.record_id == history["q5"]["id"] and record.minutes == 240 and record.start.hour == 6

    # the figures are the indices' (normal days, grouped by feeder), not a second computation
    rows = indices_for(session=session, start=date(2025, 1, 1), end=date(2026, 1, 1), group_by="feeder").rows("normal")
    assert mf.saidi == rows.loc["MF-001", "saidi"] and jc15.saifi == rows.loc["JC-015", "saifi"]
    # the storm (a major event day) is no evidence
    assert all(r.record_id != history["storm"]["id"] for f in data.flagged for r in f.records)


def test_evidence_lists_the_biggest_records_first(api, history, session):
    big = log(api, "MF-001", 1_500, "2025-11-04T10:00", "2025-11-04T12:00")  # 180,000 member-minutes
    data = worst_feeders_pura(session=session, year=2025)
    (mf,) = [f for f in data.flagged if f.feeder == "MF-001"]
    assert mf.records[0].record_id == big["id"] and mf.records_in_all == 4
    assert [r.member_minutes for r in mf.records] == [180_000, 30_000, 30_000, 30_000]


def test_pura_exports_reopen_with_the_same_numbers(api, history, session):
    data = worst_feeders_pura(session=session, year=2025)
    xlsx = api("GET", "/api/reports/worst-feeders/2025.xlsx", as_="executive")
    assert xlsx.status_code == 200, xlsx.text
    assert 'filename="worst-feeders-2025.xlsx"' in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["PURA 38.005", "PURA evidence"]
    rows = list(book["PURA 38.005"].iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[0] == "Feeder"))
    table = {r[0]: dict(zip(rows[header], r)) for r in rows[header + 1 : header + 3]}
    assert table["MF-001"]["SAIFI"] == data.flagged[[f.feeder for f in data.flagged].index("MF-001")].saifi
    assert table["MF-001"]["SAIFI rank year before"] == 1
    assert table["JC-015"]["Fails"] == "SAIDI above 300 % of the system average"
    evidence = [r for r in book["PURA evidence"].iter_rows(values_only=True) if r[0] in ("MF-001", "JC-015")]
    assert len(evidence) == 4 and {r[0] for r in evidence} == {"MF-001", "JC-015"}

    response = api("GET", "/api/reports/worst-feeders/2025.csv", as_="executive")
    assert response.status_code == 200
    parsed = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert len(parsed) == 4
    jc15 = [r for r in parsed if r["feeder"] == "JC-015"]
    assert len(jc15) == 1 and jc15[0]["saidi_over_300pct"] == "yes" and jc15[0]["worst_10pct_two_years"] == "no"
    assert float(jc15[0]["saidi"]) == pytest.approx(240) and int(jc15[0]["record_id"]) == history["q5"]["id"]
    assert {r["worst_10pct_two_years"] for r in parsed if r["feeder"] == "MF-001"} == {"yes"}


def test_a_year_without_a_flagged_feeder_says_so(api, session):
    data = worst_feeders_pura(session=session, year=2023)
    assert data.flagged == []
    book = load_workbook(io.BytesIO(pura_workbook(data, COOP)))
    texts = [c for r in book["PURA 38.005"].iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "No feeder is flagged in 2023." in texts
    response = api("GET", "/api/reports/worst-feeders/2023.csv", as_="executive")
    assert list(csv.reader(io.StringIO(response.content.decode())))[0][:3] == ["report_year", "year_to_date", "feeder"]


# --------------------------------------------------------------------------------------------------
# the annual report holds the same


def test_annual_report_shows_eia861_pura_and_celid(history, session):
    data = annual_reliability(session=session, year=2025)
    assert data.eia861.with_med == eia861(session=session, year=2025).with_med
    assert [f.feeder for f in data.pura.flagged] == ["JC-015", "MF-001"]
    book = load_workbook(io.BytesIO(reliability_workbook(data, cooperative=COOP)))
    summary = list(book["Summary"].iter_rows(values_only=True))
    header = next(r for r in summary if r[0] == "Year")
    row = next(r for r in summary if r[0] == 2025 and r[1] == "All days (with MEDs)")
    assert dict(zip(header, row))["CELID_s (8 h)"] == pytest.approx(10_000 / N_T)  # the storm: 24 hours
    eia = {r[0]: r[1] for r in book["EIA-861"].iter_rows(values_only=True) if r[0]}
    assert eia["SAIDI excluding major event days (minutes per customer)"] == data.eia861.without_med.saidi


# --------------------------------------------------------------------------------------------------
# printed


def test_the_exports_print_on_one_page_a_sheet_with_their_headers(history, session):
    eia = printed(eia861_workbook(eia861(session=session, year=2025), COOP))
    assert len(eia) == 1
    assert "Form EIA-861 reliability items, 2025" in eia[0] and "Item" in eia[0] and "IEEE 1366-2022" in eia[0]
    assert "Page 1 of 1" in eia[0]

    pura = printed(pura_workbook(worst_feeders_pura(session=session, year=2025), COOP))
    assert len(pura) == 2
    assert "PURA" in pura[0] and "MF-001" in pura[0] and "Fails" in pura[0]
    assert "Evidence" in pura[1] and "Start (local)" in pura[1] and "JC-015" in pura[1]


def test_the_annual_workbook_prints_every_sheet_a_page_wide_with_its_headers(history, session):
    pages = printed(reliability_workbook(annual_reliability(session=session, year=2025), cooperative=COOP))
    # Summary, Monthly (table; charts on a page of their own), By cause, By division, Major event days,
    # Worst feeders, PURA 38.005, PURA evidence, EIA-861
    headers = [
        ("System indices", "SAIFI"),
        ("SAIDI and SAIFI by month", "Month"),
        ("SAIDI and SAIFI by month", None),
        ("Indices by cause", "Cause code"),
        ("Indices by division", "Division"),
        ("Major event days (IEEE 1366", "T_MED"),
        ("Worst-performing feeders", "Period"),
        ("PURA §38.005", "Feeder"),
        ("Evidence", "Start (local)"),
        ("Form EIA-861", "Item"),
    ]
    assert len(pages) == len(headers), [p[:80] for p in pages]
    for page, (title, header) in zip(pages, headers):
        assert "###" not in page, page  # no number too wide for its column
        assert title in page, (title, page[:200])
        if header:
            assert header in page, (header, page[:200])
    assert "Average 2021–2024" in pages[0]  # the column is wide enough to print the label whole
    assert "January" not in pages[2] and "Month" not in pages[2]  # the charts' page holds no table


def test_a_year_whose_saidi_all_fell_on_major_event_days_says_so(api, session):
    from pypdf import PdfReader

    from reports.reliability_report import reliability_pdf

    log(api, "MF-001", 1_500, "2024-04-02T10:00", "2024-04-02T10:30")
    log(api, "MF-001", 1_500, "2024-06-11T10:00", "2024-06-11T10:30")
    log(api, "JC-014", 10_000, "2024-08-20T08:00", "2024-08-20T09:30")
    log(api, "JC-014", 10_000, "2025-05-20T10:00", "2025-05-21T10:00", "wind")  # the only 2025 record: a MED
    pdf = reliability_pdf(annual_reliability(session=session, year=2025), cooperative=COOP)
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "No sustained interruption on normal days in 2025: all 1,200.0 min of SAIDI fell on major event days" in text
    assert "this period" not in text and "day(s)" not in text and "MEDs not" not in text
    assert "1 major event day in 2025" in text
    assert "274 days of history before 2025" in text  # not "0.75 years", nor "only 0 day(s)"
