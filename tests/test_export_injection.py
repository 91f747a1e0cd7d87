"""Spreadsheet formula injection (issue 11): free text that a spreadsheet would run as a formula is exported
as text (OWASP: a leading single quote), never as a live formula, in every CSV and Excel export; importing
an export gives back exactly the original text."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from gis.spreadsheets import neutralise, restore
from outages.models import Cause, Interruption
from registry.models import RegistryEntry
from reports.summary_report import summary_workbook
from tests.factories import sp
from tests.helpers import d12_report

# what a spreadsheet program starts a formula with (OWASP's list; a line feed is what an .xlsx makes of a CR)
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n")
PAYLOADS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1"]
XLSX_EXPORT = {"start_from": "2025-06-01", "start_to": "2025-07-01"}


def inert(book) -> int:
    """Assert that no cell of any sheet is a formula or starts like one; returns the text cells seen."""
    seen = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen += 1
                    assert not cell.value.startswith(DANGEROUS), (sheet.title, cell.coordinate, cell.value)
    return seen


def test_the_guard_quotes_formula_text_only_and_is_undone_exactly():
    for text in PAYLOADS + ["''=2", "'plain", "plain", "", "'", "Hwy 290 - mile 3", "a=b"]:
        written = neutralise(text)
        assert not written.lstrip("'").startswith(DANGEROUS) or written.startswith("'")
        assert restore(written) == text, text
    assert neutralise("=1") == "'=1" and neutralise("'=1") == "''=1" and neutralise("-2+3") == "'-2+3"
    assert neutralise("plain") == "plain" and restore("'plain") == "'plain"
    for value in (-2, -2.5, 0, 3.25, None, True, date(2025, 6, 2), datetime(2025, 6, 2, tzinfo=UTC)):
        assert neutralise(value) is value and restore(value) is value  # numbers and dates stay what they are


def _records(api, session) -> dict[str, str]:
    """One record per payload with it as location and notes; record_ref (as exported) -> payload."""
    made = {}
    for n, text in enumerate(PAYLOADS):
        record = api(
            "POST",
            "/api/interruptions",
            json={
                "feeder": "JC-014",
                "cause": "wind",
                "members_out": 10 + n,
                "start_at": f"2025-06-02T{10 + n}:00",
                "location": "placeholder",
                "notes": "placeholder",
            },
        )
        assert record.status_code == 201, record.text
        row = session.get(Interruption, record.json()["id"])
        row.location, row.notes = text, text + " and more"  # as stored (the API strips a leading tab)
        made[f"R{row.id}"] = text
    session.flush()
    return made


def _reimported(session, refs) -> dict[str, tuple[str, str]]:
    rows = session.execute(
        select(Interruption.record_ref, Interruption.location, Interruption.notes).where(
            Interruption.record_ref.in_(refs)
        )
    ).all()
    return {ref: (location, notes) for ref, location, notes in rows}


def test_interruption_xlsx_export_holds_no_formula_and_reimports_the_original_text(api, session):
    made = _records(api, session)
    xlsx = api("GET", "/api/interruptions/export.xlsx", as_="executive", params=XLSX_EXPORT).content
    book = load_workbook(io.BytesIO(xlsx))
    assert inert(book) > 0
    sheet = book["interruptions"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    # an .xlsx holds no carriage return: XML reads it back as a line feed (a limit of the format)
    made = {ref: text.replace("\r", "\n") for ref, text in made.items()}
    assert {r["record_ref"]: r["location"] for r in rows} == {ref: "'" + text for ref, text in made.items()}
    assert all(isinstance(r["members_out"], str) and r["members_out"].isdigit() for r in rows)

    # the export, imported (its references are new to the log), gives back the very same text
    done = api("POST", "/api/interruptions/import", files={"file": ("back.xlsx", xlsx)})
    assert done.status_code == 201, done.text
    assert _reimported(session, made) == {ref: (text, text + " and more") for ref, text in made.items()}


def test_interruption_csv_export_quotes_formula_text_and_reimports_it(api, session):
    made = _records(api, session)
    exported = api("GET", "/api/interruptions/export.csv", as_="executive", params=XLSX_EXPORT)
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode(), newline="")))
    assert len(rows) == len(PAYLOADS)
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(DANGEROUS), (column, value)
        assert row["location"] == "'" + made[row["record_ref"]]
    done = api("POST", "/api/interruptions/import", files={"file": ("back.csv", exported.content)})
    assert done.status_code == 201, done.text
    assert _reimported(session, made) == {ref: (text, text + " and more") for ref, text in made.items()}


def _entries(api) -> list[dict]:
    made = []
    for n, text in enumerate(PAYLOADS):
        body = {
            "name": text if len(text.strip()) >= 2 else text + "x",
            "category": "hospital",
            "notes": text,
            **sp(200 + n),
            "contacts": [{"name": text, "role": text, "email": f"={n}+{n}@example.org", "phone": "512-555-0142"}],
        }
        response = api("POST", "/api/registry/entries", as_="registry", json=body)
        assert response.status_code == 201, response.text
        made.append(response.json())
    return made


def _kept(entries: list[dict]) -> list[tuple]:
    return sorted(
        (
            e["ref"],
            e["name"],
            e["notes"],
            e["category"],
            e["account_number"],
            [(c["name"], c["role"], c["email"], c["phone"]) for c in e["contacts"]],
        )
        for e in entries
    )


def test_registry_export_holds_no_formula_and_reimports_unchanged(api, session):
    made = _entries(api)
    assert made[0]["name"] == '=HYPERLINK("http://x")' and made[0]["contacts"][0]["email"] == "=0+0@example.org"
    exported = api("GET", "/api/registry/export.xlsx", as_="dispatcher").content
    book = load_workbook(io.BytesIO(exported))
    assert inert(book) > 0
    names = [row[1] for row in book["entries"].iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(neutralise(e["name"]) for e in made)
    lons = [row[6] for row in book["entries"].iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(lon, float) and lon < 0 for lon in lons)  # negative numbers stay numbers

    again = api("POST", "/api/registry/import", as_="registry", files={"file": ("registry.xlsx", exported)})
    assert again.status_code == 200, again.text
    assert again.json() == {"created": 0, "updated": 0, "unchanged": len(PAYLOADS)}

    before = api("GET", "/api/registry/entries").json()
    for entry in before:
        assert api("DELETE", f"/api/registry/entries/{entry['id']}", as_="registry").status_code == 204
    fresh = api("POST", "/api/registry/import", as_="registry", files={"file": ("registry.xlsx", exported)})
    assert fresh.json() == {"created": len(PAYLOADS), "updated": 0, "unchanged": 0}, fresh.text
    assert _kept(api("GET", "/api/registry/entries").json()) == _kept(before)


def test_registry_annex_workbook_holds_no_formula(api, session):
    made = _entries(api)
    session.get(RegistryEntry, made[1]["id"]).last_verified_by = "=cmd|' /C calc'!A0"
    session.flush()
    response = api("GET", "/api/registry/annex.xlsx", as_="executive")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert inert(book) > 0
    shown = {row[4] for row in book["Annex"].iter_rows(min_row=4, values_only=True)}
    assert "'" + PAYLOADS[0] in shown and "'-2+3" in shown


def test_summary_report_workbook_holds_no_formula():
    data = d12_report()
    facilities = [replace(f, cause=text, device=f"@{f.feeder}") for f, text in zip(data.facilities, PAYLOADS)]
    data = replace(
        data,
        incident_title='=HYPERLINK("http://x")',
        location="-2+3",
        causes=["+1", "@SUM(A1)"],
        criteria=["=1+1"],
        facilities=facilities,
    )
    book = load_workbook(io.BytesIO(summary_workbook(data)))
    assert inert(book) > 0
    values = {c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row}
    assert {'\'=HYPERLINK("http://x")', "'-2+3", "'+1; @SUM(A1)", "'=1+1", "'@JC-014", "'+1"} <= values
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 1_000_000 for v in values)


def test_reliability_workbook_holds_no_formula(api, session):
    session.get(Cause, "wind").label = '=HYPERLINK("http://x","wind")'
    session.flush()
    logged = api(
        "POST",
        "/api/interruptions",
        json={
            "feeder": "JC-014",
            "cause": "wind",
            "members_out": 100,
            "start_at": "2025-06-02T10:00",
            "restored_at": "2025-06-02T12:00",
        },
    )
    assert logged.status_code == 201, logged.text
    response = api("GET", "/api/reports/reliability/2025.xlsx", as_="executive")
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert inert(book) > 0
    labels = {c for row in book["By cause"].iter_rows(values_only=True) for c in row}
    assert "'" + '=HYPERLINK("http://x","wind")' in labels
