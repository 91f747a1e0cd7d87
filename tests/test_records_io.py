"""Bulk import and export of historical records (CSV and Excel), all-or-nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select, update

from outages.models import Incident, Interruption, RestorationStep
from outages.records_io import COLUMNS
from tests.helpers import GOOD, HEADER, csv, n_records, upload


def test_import_then_export_round_trips(api, session):
    before = n_records(session)
    done = upload(api, csv(*GOOD))
    assert done.status_code == 201, done.text
    answer = done.json()
    assert {k: answer[k] for k in ("incidents", "interruptions", "restoration_steps", "open_records")} == {
        "incidents": 3,
        "interruptions": 4,
        "restoration_steps": 6,
        "open_records": 0,
    }
    # 2023 history: what was owed is said (tests/test_imported_history.py), no report is due any more
    assert answer["reports_required"] == 0 and answer["reports_due"] == []
    assert n_records(session) == (before[0] + 4, before[1] + 6, before[2] + 3)

    storm = api("GET", "/api/interruptions", params={"start_from": "2023-05-12", "start_to": "2023-05-13"}).json()
    by_ref = {i["record_ref"]: i for i in storm["items"]}
    assert by_ref["H1"]["member_minutes"] == 1000 * 90 + 2500 * 180 + 500 * 255
    assert by_ref["H1"]["device"] == "JC-014-R1" and by_ref["H2"]["kind"] == "momentary"
    assert by_ref["H1"]["incident_id"] == by_ref["H2"]["incident_id"]

    exported = api(
        "GET",
        "/api/interruptions/export.csv",
        as_="executive",
        params={"start_from": "2023-01-01", "start_to": "2024-01-01"},
    )
    lines = exported.text.strip().splitlines()
    assert lines[0] == HEADER and len(lines) == 5
    row = next(line for line in lines if line.startswith("H3,"))
    assert "2023-01-02T01:00:00-06:00" in row and ",TL-001," in row

    # the export re-imported into an empty log gives the same rows
    session.execute(RestorationStep.__table__.delete())
    session.execute(Interruption.__table__.delete())
    session.execute(Incident.__table__.delete())
    assert upload(api, exported.content).status_code == 201
    again = api("GET", "/api/interruptions/export.csv", params={"start_from": "2023-01-01"}).text
    assert again == exported.text


def test_excel_export_reopens_and_reimports(api, session):
    assert upload(api, csv(*GOOD)).status_code == 201
    xlsx = api(
        "GET", "/api/interruptions/export.xlsx", params={"start_from": "2023-01-01", "start_to": "2024-01-01"}
    ).content
    book = load_workbook(io.BytesIO(xlsx))
    sheet = book["interruptions"]
    assert [c.value for c in sheet[1]] == COLUMNS and sheet.max_row == 5
    session.execute(RestorationStep.__table__.delete())
    session.execute(Interruption.__table__.delete())
    session.execute(Incident.__table__.delete())
    assert upload(api, xlsx, "history.xlsx").json()["interruptions"] == 4


def test_bad_rows_are_all_reported_and_nothing_is_written(api, session):
    before = n_records(session)
    bad = [
        GOOD[0],
        "B1,,NOPE,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,10,,,",
        "B2,,JC-014,,,gremlins,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,10,,,",
        "B3,,JC-014,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T13:00:00-05:00,10,,,",
        "B4,,JC-015,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,501,,,",
        "B5,,JC-014,,,wind,false,,not a time,2023-05-12T15:00:00-05:00,10,,,",
        "B6,,JC-014,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,10,"
        "2023-05-12T14:30:00-05:00=20,,",
        "H1,,JC-014,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,10,,,",
    ]
    response = upload(api, csv(*bad))
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith("history.csv, row 3, column feeder_id: unknown feeder 'NOPE'")
    got = {(p["row"], p["column"]) for p in body["problems"]}
    assert got == {
        (3, "feeder_id"),
        (4, "cause"),
        (5, "restored_at"),
        (6, "members_out"),
        (7, "start"),
        (8, "steps"),
        (9, "record_ref"),
    }
    assert n_records(session) == before


def test_wrong_file_type_and_missing_columns(api):
    assert upload(api, b"hello", "notes.txt").json()["field"] == "file"
    missing = upload(api, b"feeder_id,start\nJC-014,2023-01-01T00:00")
    assert missing.status_code == 422 and "missing column" in missing.json()["detail"]
    assert upload(api, csv(*GOOD), "x.csv").status_code == 201
    assert (
        api("POST", "/api/interruptions/import", as_="executive", files={"file": ("x.csv", csv(*GOOD))}).status_code
        == 403
    )


def test_purge_removes_only_records_past_retention(session):
    from outages.records_io import import_records, parse_records
    from outages.service import purge_expired

    import_records(session=session, frame=parse_records(csv(*GOOD), "h.csv"), actor="test")
    # as if logged when they happened: purge keeps whatever was logged within retention (test_plausible_times)
    session.execute(update(Interruption).values(created_at=Interruption.start_at))
    now = datetime(2028, 3, 1, 12, tzinfo=UTC)  # five years back: 2023-03-01 12:00 UTC
    assert purge_expired(session=session, now=now) == 1  # only H3 (2 January 2023)
    refs = set(session.scalars(select(Interruption.record_ref).where(Interruption.record_ref.like("H%"))))
    assert refs == {"H1", "H2", "H4"}


def test_import_locates_records_by_meters_and_says_which_stay_unlocated(api, session):
    meters = [f"M{n:08d}" for n in (1, 2, 3)]
    rows = [
        "L1,,JC-014,,,wind,false,,2023-06-01T10:00:00-05:00,2023-06-01T12:00:00-05:00,5,,,," + ";".join(meters),
        "L2,,JC-014,,,wind,false,,2023-06-02T10:00:00-05:00,2023-06-02T12:00:00-05:00,10000,,,,",
        "L3,,JC-014,,,wind,false,,2023-06-03T10:00:00-05:00,2023-06-03T12:00:00-05:00,40,,,,",
    ]
    done = upload(api, csv(*rows))
    assert done.status_code == 201, done.text
    got = {
        i["record_ref"]: i
        for i in api("GET", "/api/interruptions", params={"start_from": "2023-06-01", "start_to": "2023-06-04"}).json()[
            "items"
        ]
    }
    assert (got["L1"]["extent"], got["L1"]["members_located"]) == ("part", 3)  # 3 located, 2 unlocated
    assert (got["L2"]["extent"], got["L2"]["members_located"]) == ("facility", 10_000)
    assert (got["L3"]["extent"], got["L3"]["members_located"]) == ("part", 0)
    exported = api(
        "GET", "/api/interruptions/export.csv", params={"start_from": "2023-06-01", "start_to": "2023-06-02"}
    ).content.decode()
    assert ";".join(meters) in exported

    before = n_records(session)
    for cell, word in (("NOPE-9", "NOPE-9"), ("M00010001", "not below")):  # unknown; on JC-015, not JC-014
        bad = upload(api, csv(rows[0].replace("L1,", "L9,").replace(meters[2], cell)))
        assert bad.status_code == 422 and bad.json()["field"] == "meters" and word in bad.json()["detail"]
    assert n_records(session) == before
