"""Reliability indices and the annual report from the interruption log, checked against hand arithmetic
on the tiny test cooperative (tests/factories.py): 12,000 members; JC-014 10,000 (service points 1-10,000;
4,001-10,000 below recloser R1, 9,001-10,000 below fuse F1), JC-015 500 (10,001-10,500), MF-001 1,500
(10,501-12,000); TL-001 feeds both substations.  Johnson City Division: JC-014 and JC-015 (10,500);
Marble Falls Division: MF-001 (1,500).

The records (times in America/Chicago):

====  ==========  =============  =======  ==================================  ==================
 id   day         facility       members  duration                            member-minutes
====  ==========  =============  =======  ==================================  ==================
 a    2024-03-05  JC-015           500    60 min                                 30,000
 b    2024-07-10  MF-001         1,500    120 min                               180,000
 c    2024-09-01  JC-014-F1      1,000    90 min                                 90,000
 d    2024-09-01  JC-014-R1      6,000    2 min (momentary)                           -
 e    2025-02-11  JC-015           200    45 min                                  9,000
 f    2025-03-03  JC-014-R1      6,000    1 min (momentary)                           -
 g    2025-05-20  JC-014        10,000    steps 4,000 @ 90, 5,000 @ 240,      1,935,000 (D12)
                                          1,000 @ 375 min
 h    2025-08-15  TL-001         3,000    30 min                                 90,000
 v    2025-06-01  MF-001         1,500    voided                                      -
 o    2025-11-01  MF-001           100    still open                                  -
====  ==========  =============  =======  ==================================  ==================

T_MED for 2025 comes from the daily SAIDI since the first record (2024-03-05): 2.5, 15 and 7.5 minutes on
the three days with sustained interruptions, so 2025-05-20 (161.25 min) is a major event day and 2025-08-15
(7.5 min) is not.
"""

from __future__ import annotations

import io
import math
import statistics
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from dashboards.app import create_app
from dashboards.routes import reliability as reliability_routes
from outages.reliability import annual_reliability, indices_for, load_records, member_hits, members_served
from tests.helpers import Api

N_T = 12_000
JC_DIVISION, MF_DIVISION = 10_500, 1_500
YEAR_MINUTES_2025 = 365 * 24 * 60


@pytest.fixture(scope="module")
def reliability_app(engine, database_url):
    """The app as tests/conftest.py builds it, with the reliability router (added here only while
    dashboards.routes does not register it)."""
    app = create_app(database_url=database_url, scheduler=False)
    if not any(getattr(route, "path", None) == "/api/indices" for route in app.routes):
        app.include_router(reliability_routes.router)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def api(reliability_app, sessions, tokens):
    reliability_app.state.sessions = reliability_app.state.readers = sessions
    with TestClient(reliability_app) as client:
        yield Api(client, tokens)


def log(api, **fields) -> dict:
    made = api("POST", "/api/interruptions", json=fields)
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def history(api) -> dict[str, dict]:
    """The records of the table in the module docstring, logged through the API as a dispatcher would."""
    r = {
        "a": log(
            api,
            feeder="JC-015",
            cause="animal",
            members_out=500,
            start_at="2024-03-05T10:00",
            restored_at="2024-03-05T11:00",
        ),
        "b": log(
            api,
            feeder="MF-001",
            cause="lightning",
            members_out=1_500,
            start_at="2024-07-10T14:00",
            restored_at="2024-07-10T16:00",
        ),
        "c": log(
            api,
            feeder="JC-014",
            device="JC-014-F1",
            cause="vegetation",
            members_out=1_000,
            start_at="2024-09-01T08:00",
            restored_at="2024-09-01T09:30",
        ),
        "d": log(
            api,
            feeder="JC-014",
            device="JC-014-R1",
            cause="lightning",
            members_out=6_000,
            start_at="2024-09-01T09:00",
            restored_at="2024-09-01T09:02",
        ),
        "e": log(
            api,
            feeder="JC-015",
            cause="equipment_failure",
            members_out=200,
            start_at="2025-02-11T10:00",
            restored_at="2025-02-11T10:45",
        ),
        "f": log(
            api,
            feeder="JC-014",
            device="JC-014-R1",
            cause="lightning",
            members_out=6_000,
            start_at="2025-03-03T08:00",
            restored_at="2025-03-03T08:01",
        ),
        "h": log(
            api,
            transmission_line="TL-001",
            cause="power_supply",
            members_out=3_000,
            start_at="2025-08-15T12:00",
            restored_at="2025-08-15T12:30",
        ),
        "o": log(api, feeder="MF-001", cause="unknown", members_out=100, start_at="2025-11-01T10:00"),
    }
    storm = log(api, feeder="JC-014", cause="wind", members_out=10_000, start_at="2025-05-20T10:00")
    version = storm["version"]
    # the steps name the meters that came back: first the 4,000 not below R1 (service points 1-4,000), then
    # the 5,000 below R1 but not below F1 (4,001-9,000); F1's 1,000 come back at the close
    for at, first, last in (("2025-05-20T11:30", 1, 4_000), ("2025-05-20T14:00", 4_001, 9_000)):
        step = api(
            "POST",
            f"/api/interruptions/{storm['id']}/restorations",
            json={"version": version, "at": at, "meters": [f"M{i:08d}" for i in range(first, last + 1)]},
        )
        assert step.status_code == 200, step.text
        version = step.json()["version"]
    closed = api(
        "POST", f"/api/interruptions/{storm['id']}/close", json={"version": version, "restored_at": "2025-05-20T16:15"}
    )
    assert closed.json()["member_minutes"] == 1_935_000
    r["g"] = closed.json()
    mistake = log(
        api,
        feeder="MF-001",
        cause="unknown",
        members_out=1_500,
        start_at="2025-06-01T10:00",
        restored_at="2025-06-01T20:00",
    )
    voided = api(
        "POST",
        f"/api/interruptions/{mistake['id']}/void",
        json={"version": mistake["version"], "reason": "logged on the wrong feeder"},
    )
    assert voided.status_code == 200, voided.text
    r["v"] = voided.json()
    return r


def t_med_2025() -> float:
    logs = [math.log(v) for v in (30_000 / N_T, 180_000 / N_T, 90_000 / N_T)]
    return math.exp(statistics.mean(logs) + 2.5 * statistics.stdev(logs))


def indices(api, as_="executive", **params):
    return api("GET", "/api/indices", as_=as_, params=params)


def system(body: dict) -> dict:
    (row,) = [r for r in body["rows"] if r["group"] == "system"]
    return row


# --------------------------------------------------------------------------------------------------
# the bridge from the database


def test_members_served_and_divisions_come_from_the_facility_layer(session):
    members = members_served(session=session)
    assert members.system == N_T
    assert members.feeder.to_dict() == {"JC-014": 10_000, "JC-015": 500, "MF-001": 1_500}
    assert members.substation.to_dict() == {"JC-S01": 10_500, "MF-S01": 1_500}
    assert members.division.to_dict() == {"Johnson City Division": JC_DIVISION, "Marble Falls Division": MF_DIVISION}


def test_records_are_closed_and_not_voided_and_hit_the_members_the_network_says(history, session):
    records, steps = load_records(session=session, start=date(2025, 1, 1), end=date(2026, 1, 1))
    by_id = records.set_index("record_id")
    assert set(by_id.index) == {history[k]["id"] for k in "efgh"}  # not the voided or the open one
    storm = by_id.loc[history["g"]["id"]]
    assert (storm["feeder"], storm["substation"], storm["division"], storm["cause"]) == (
        "JC-014",
        "JC-S01",
        "Johnson City Division",
        "wind",
    )
    line = by_id.loc[history["h"]["id"]]
    assert line["feeder"] is None and line["division"] is None
    assert sorted(steps[steps.record_id == history["g"]["id"]]["members_restored"]) == [1_000, 4_000, 5_000]
    assert bool(by_id.loc[history["f"]["id"], "momentary"]) is True

    hits = member_hits(session=session, records=records)
    ids = {k: sorted(hits[hits.record_id == history[k]["id"]]["member_id"]) for k in "efgh"}
    # the exact per-member model (this test asserted "the first members_out service points by id" before):
    # whole-facility records hit everyone below their facility; a count smaller than the facility serves,
    # with no meters named, is unlocated: that many distinct unknown members (negative ids)
    assert ids["f"] == list(range(4_001, 10_001))  # everyone below recloser R1
    assert ids["g"] == list(range(1, 10_001))  # all of JC-014
    assert len(ids["e"]) == 200 and max(ids["e"]) < 0  # 200 of JC-015's 500, nobody knows which
    assert len(ids["h"]) == 3_000 and max(ids["h"]) < 0  # 3,000 of TL-001's 12,000
    assert len(set(ids["e"]) | set(ids["h"])) == 3_200
    storm = hits[hits.record_id == history["g"]["id"]].set_index("member_id")["minutes"]
    assert storm.loc[1] == 90 and storm.loc[4_001] == 240 and storm.loc[9_001] == 375  # the named steps
    assert storm.sum() == 1_935_000


# --------------------------------------------------------------------------------------------------
# GET /api/indices


def test_system_indices_of_2025_by_hand(api, history):
    response = indices(api, start="2025-01-01", end="2026-01-01", n=1)
    assert response.status_code == 200, response.text
    body = response.json()
    row = system(body)
    assert body["members_served"] == N_T
    assert row["sustained_records"] == 3 and row["momentary_records"] == 1
    assert row["saifi"] == pytest.approx((200 + 10_000 + 3_000) / 12_000)  # 1.1
    assert row["saidi"] == pytest.approx((9_000 + 1_935_000 + 90_000) / 12_000)  # 169.5 min
    assert row["caidi"] == pytest.approx(2_034_000 / 13_200)
    assert row["asai"] == pytest.approx(1 - 169.5 / YEAR_MINUTES_2025)
    assert row["maifi"] == pytest.approx(6_000 / 12_000)
    # distinct members (the exact model; before, the line's and JC-015's counts were taken to hit the first
    # service points of their facilities): 1-10,000 (storm), and the 200 (e) and 3,000 (h) unlocated members,
    # each a distinct unknown member, so CN is an upper bound and CEMI_1 a lower bound
    assert row["distinct_members_interrupted"] == 10_000 + 200 + 3_000
    assert row["caifi"] == pytest.approx(13_200 / 13_200)
    assert row["ctaidi"] == pytest.approx(2_034_000 / 13_200)
    assert row["cemi_n"] == 0  # no located member had more than 1 sustained interruption
    assert row["cemsmi_n"] == pytest.approx(6_000 / 12_000)  # storm + recloser operation f (below R1)
    # CELID: nobody was out longer than 8 hours (the storm's last members came back after 6 h 15)
    assert row["celid_s"] == 0 and row["celid_t"] == 0
    assert any("3,200 of the 13,200 sustained member interruptions" in note for note in body["notes"])


def test_major_event_days_split_the_year(api, history):
    t_med = t_med_2025()
    assert 7.5 < t_med < 161.25  # the worked example in the module docstring depends on it
    body = indices(api, start="2025-01-01", end="2026-01-01", days="major_event").json()
    assert body["t_med"]["value"] == pytest.approx(t_med)
    assert body["t_med"]["nonzero_days"] == 3 and body["t_med"]["history_from"] == "2024-03-05"
    assert body["t_med"]["full_history"] is False and "fewer than 5 years" in body["t_med"]["note"]
    assert body["major_event_days"] == [{"date": "2025-05-20", "saidi": pytest.approx(1_935_000 / 12_000)}]
    assert system(body)["saidi"] == pytest.approx(161.25)
    assert system(body)["saifi"] == pytest.approx(10_000 / 12_000)

    normal = system(indices(api, start="2025-01-01", end="2026-01-01", days="normal").json())
    assert normal["saifi"] == pytest.approx(3_200 / 12_000)
    assert normal["saidi"] == pytest.approx(99_000 / 12_000)  # 8.25 min
    assert normal["caidi"] == pytest.approx(99_000 / 3_200)


def test_indices_over_two_years_and_for_the_first_year(api, history):
    both = system(indices(api, start="2024-01-01", end="2026-01-01").json())
    assert both["saifi"] == pytest.approx((500 + 1_500 + 1_000 + 13_200) / 12_000)  # 1.35
    assert both["saidi"] == pytest.approx((300_000 + 2_034_000) / 12_000)  # 194.5 min
    first = indices(api, start="2024-01-01", end="2025-01-01").json()
    assert system(first)["saidi"] == pytest.approx(300_000 / 12_000)
    assert first["major_event_days"] == [] and first["t_med"]["value"] is None  # no history before the log


def test_indices_by_division_and_by_cause(api, history):
    body = indices(api, start="2025-01-01", end="2026-01-01", group_by="division").json()
    rows = {r["group"]: r for r in body["rows"]}
    assert rows["Johnson City Division"]["members_served"] == JC_DIVISION
    assert rows["Johnson City Division"]["saifi"] == pytest.approx((200 + 10_000) / JC_DIVISION)
    assert rows["Johnson City Division"]["saidi"] == pytest.approx((9_000 + 1_935_000) / JC_DIVISION)
    assert rows["Marble Falls Division"]["saifi"] == 0
    assert rows["(unassigned)"]["member_interruptions"] == 3_000  # the transmission line
    assert rows["(unassigned)"]["saifi"] is None
    assert any("Transmission-line records" in note for note in body["notes"])

    normal = {
        r["group"]: r
        for r in indices(api, start="2025-01-01", end="2026-01-01", group_by="division", days="normal").json()["rows"]
    }
    assert normal["Johnson City Division"]["saifi"] == pytest.approx(200 / JC_DIVISION)

    quiet = indices(api, start="2023-01-01", end="2024-01-01", group_by="cause")
    assert quiet.status_code == 200 and quiet.json()["rows"] == []  # no records, no causes
    causes = {
        r["group"]: r for r in indices(api, start="2025-01-01", end="2026-01-01", group_by="cause").json()["rows"]
    }
    assert causes["wind"]["saidi"] == pytest.approx(1_935_000 / N_T)
    assert causes["power_supply"]["saifi"] == pytest.approx(3_000 / N_T)
    assert causes["lightning"]["maifi"] == pytest.approx(6_000 / N_T)


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"start": "2025-06-01", "end": "2025-01-01"}, "end", "not after start"),
        ({"start": "2025-01-01", "end": "2025-01-01"}, "end", "not after start"),
        ({"start": "2025-01-01", "end": "2026-01-01", "group_by": "county"}, "group_by", "division, substation"),
        ({"start": "2025-01-01", "end": "2026-01-01", "days": "storm"}, "days", "major_event"),
        ({"start": "2025", "end": "2026-01-01"}, "start", "ISO 8601"),
        ({"start": "1st of May", "end": "2026-01-01"}, "start", "ISO 8601"),
        ({"end": "2026-01-01"}, "start", "Fix"),
        ({"start": "2025-01-01", "end": "2026-01-01", "n": -1}, "n", "Fix"),
    ],
)
def test_bad_parameters_get_a_422_naming_the_field_and_the_fix(api, params, field, words):
    response = indices(api, **params)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert words in response.json()["detail"] and "Fix" in response.json()["detail"]


def test_only_logged_in_staff_read_indices_and_reports(api, history):
    for url in (
        "/api/indices?start=2025-01-01&end=2026-01-01",
        "/api/reports/reliability/2025.xlsx",
        "/api/reports/reliability/2025.pdf",
    ):
        assert api("GET", url, as_=None).status_code == 401, url
    assert (
        api(
            "GET", "/api/indices?start=2025-01-01&end=2026-01-01", as_=None, headers={"Authorization": "Bearer forged"}
        ).status_code
        == 401
    )
    for role in ("dispatcher", "registry", "admin", "executive"):
        assert indices(api, as_=role, start="2025-01-01", end="2026-01-01").status_code == 200, role


# --------------------------------------------------------------------------------------------------
# the annual report


def sheet_rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def table_of(sheet, first_header: str) -> list[dict]:
    """The rows under the header row that starts with ``first_header``, as dicts, until an empty row."""
    rows = sheet_rows(sheet)
    start = next(i for i, r in enumerate(rows) if r[0] == first_header)
    header = rows[start]
    out = []
    for r in rows[start + 1 :]:
        if r[0] is None:
            break
        out.append(dict(zip(header, r)))
    return out


def test_annual_workbook_holds_the_engines_numbers(api, history, session):
    response = api("GET", "/api/reports/reliability/2025.xlsx", as_="executive")
    assert response.status_code == 200, response.text
    assert 'filename="reliability-2025.xlsx"' in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary",
        "Monthly",
        "By cause",
        "By division",
        "Major event days",
        "Worst feeders",
        "PURA 38.005",
        "PURA evidence",
        "EIA-861",
    ]

    engine = indices_for(session=session, start=date(2025, 1, 1), end=date(2026, 1, 1))
    summary = {(r["Year"], r["Days"]): r for r in table_of(book["Summary"], "Year")}
    assert [y for y, d in summary if d.startswith("All")][:5] == [2021, 2022, 2023, 2024, 2025]
    for days, label in (
        ("all", "All days (with MEDs)"),
        ("normal", "Normal days (without MEDs)"),
        ("major_event", "Major event days only"),
    ):
        want = engine.rows(days).loc["system"]
        got = summary[(2025, label)]
        for column, heading in (
            ("saifi", "SAIFI"),
            ("saidi", "SAIDI (min)"),
            ("maifi", "MAIFI"),
            ("caifi", "CAIFI"),
            ("member_minutes", "Member-minutes"),
        ):
            assert got[heading] == pytest.approx(float(want[column])), (days, column)
    assert summary[(2025, "All days (with MEDs)")]["SAIFI"] == pytest.approx(1.1)
    assert summary[(2025, "Normal days (without MEDs)")]["SAIDI (min)"] == pytest.approx(8.25)
    assert summary[(2025, "All days (with MEDs)")]["Major event days"] == 1
    assert summary[(2024, "All days (with MEDs)")]["SAIDI (min)"] == pytest.approx(25.0)
    assert summary[(2021, "All days (with MEDs)")]["SAIFI"] == 0
    assert book["Summary"].freeze_panes is not None

    monthly = {r["Month"]: r for r in table_of(book["Monthly"], "Month")}
    assert monthly["Feb"]["SAIDI all days (min)"] == pytest.approx(9_000 / N_T)
    assert monthly["May"]["SAIDI all days (min)"] == pytest.approx(161.25)
    assert monthly["May"]["SAIDI normal days (min)"] == 0
    assert monthly["Aug"]["SAIFI all days"] == pytest.approx(3_000 / N_T)
    assert len(book["Monthly"]._charts) == 2

    meds = table_of(book["Major event days"], "Date")
    assert [(r["Date"].date(), r["Daily SAIDI (min)"]) for r in meds] == [(date(2025, 5, 20), pytest.approx(161.25))]
    assert meds[0]["T_MED (min)"] == pytest.approx(t_med_2025())

    divisions = {r["Division"]: r for r in table_of(book["By division"], "Division")}
    assert divisions["Johnson City Division"]["SAIFI"] == pytest.approx(10_200 / JC_DIVISION)
    causes = {r["Cause code"]: r for r in table_of(book["By cause"], "Cause code")}
    assert causes["wind"]["SAIDI (min)"] == pytest.approx(161.25)
    assert causes["wind"]["Share of SAIDI"] == pytest.approx(1_935_000 / 2_034_000)

    worst = table_of(book["Worst feeders"], "Period")
    one_year = [r for r in worst if r["Period"] == "2025"]
    # normal days: JC-015 (9,000 member-minutes / 500) is worse than JC-014 (nothing outside the MED)
    assert one_year[0]["Feeder"] == "JC-015" and one_year[0]["SAIDI (min)"] == pytest.approx(9_000 / 500)
    assert any(r["Period"].startswith("2024") for r in worst)

    eia = {r["Item"]: r["Value"] for r in table_of(book["EIA-861"], "Item")}
    assert eia["SAIDI including major event days (minutes per customer)"] == pytest.approx(169.5)
    assert eia["SAIFI excluding major event days (interruptions per customer)"] == pytest.approx(3_200 / N_T)
    assert eia["Number of customers (members served)"] == N_T
    assert eia["Momentary interruption definition"] == "5 minutes or less (IEEE 1366)"


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_annual_pdf_has_the_headline_figures_and_the_plots(api, history):
    response = api("GET", "/api/reports/reliability/2025.pdf", as_="executive")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = pdf_text(response.content)
    assert "Reliability report 2025" in text
    for figure in (
        f"{169.5:.1f}",
        f"{1.1:.3f}",
        f"{2_034_000 / 13_200:.1f}",  # with major event days
        f"{8.25:.1f}",
        f"{3_200 / N_T:.3f}",
        "2025-05-20",
    ):  # without; the major event day
        assert figure in text, figure
    images = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject") or {}
        images += sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")
    assert images >= 4  # monthly, by year, daily SAIDI with T_MED, by cause


def test_report_for_a_year_not_begun_is_refused(api):
    response = api("GET", "/api/reports/reliability/2999.pdf", as_="executive")
    assert response.status_code == 422
    assert response.json()["field"] == "year" and "Fix" in response.json()["detail"]
    assert api("GET", "/api/reports/reliability/last.xlsx", as_="executive").status_code == 422


def test_report_for_a_year_without_records(api, history):
    book = load_workbook(io.BytesIO(api("GET", "/api/reports/reliability/2023.xlsx", as_="executive").content))
    summary = {(r["Year"], r["Days"]): r for r in table_of(book["Summary"], "Year")}
    assert summary[(2023, "All days (with MEDs)")]["SAIFI"] == 0
    assert table_of(book["By cause"], "Cause code") == []
    pdf = api("GET", "/api/reports/reliability/2023.pdf", as_="executive")
    assert pdf.status_code == 200 and "No major event days" in pdf_text(pdf.content)


def test_annual_data_for_the_current_year_is_year_to_date(history, session):
    data = annual_reliability(session=session, year=2025, today=date(2025, 9, 1))
    assert data.year_to_date and data.period_end.date() == date(2025, 9, 1)
    assert data.system(days="all")["saifi"] == pytest.approx(13_200 / N_T)  # e, g and h (15 August)
    assert data.monthly.loc[9:, "saidi"].isna().all()  # months not begun are left empty
