"""The essential-services registry, as its keepers and the control room use it."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from pypdf import PdfReader

from registry.service import review_due, review_status
from tests.helpers import ENTRIES, registry_upload

CHICAGO = ZoneInfo("America/Chicago")


def test_keeper_adds_an_entry_served_from_a_service_point(entries):
    hospital = entries["hospital"]
    assert (hospital["feeder"], hospital["substation"], hospital["division"]) == (
        "JC-014",
        "JC-S01",
        "Johnson City Division",
    )
    assert hospital["county"] == "Blanco County"
    assert [c["phone"] for c in hospital["contacts"]] == ["512-555-0142", "830-555-0199 x12"]
    assert hospital["contacts"][0]["email"] == "dana.ruiz@example.org"
    assert hospital["review_status"] == "current" and hospital["last_verified_by"] == "registry"
    radio = entries["radio"]
    assert radio["account_number"] is None and radio["feeder"] == "JC-014"


def test_review_boundary_is_twelve_months():
    verified = datetime(2025, 11, 26, 15, tzinfo=UTC)  # 09:00 in Texas
    assert review_due(verified, CHICAGO) == date(2026, 11, 26)
    assert review_status(verified, date(2026, 10, 27), CHICAGO) == "due_soon"  # 30 days before
    assert review_status(verified, date(2026, 10, 26), CHICAGO) == "current"  # 31 days before
    assert review_status(verified, date(2026, 11, 26), CHICAGO) == "due_soon"  # the last good day
    assert review_status(verified, date(2026, 11, 27), CHICAGO) == "overdue"
    assert review_status(None, date(2026, 11, 27), CHICAGO) == "never_verified"
    late_evening = datetime(2025, 11, 27, 4, tzinfo=UTC)  # 22:00 on 26 November in Texas
    assert review_due(late_evening, CHICAGO) == date(2026, 11, 26)


def test_review_list_and_verification(api, entries, session):
    from registry.models import RegistryEntry

    now = datetime.now(UTC)
    session.get(RegistryEntry, entries["water"]["id"]).last_verified_at = now - timedelta(days=400)
    session.get(RegistryEntry, entries["school"]["id"]).last_verified_at = now - timedelta(days=350)
    session.flush()
    review = api("GET", "/api/registry/review", as_="executive").json()
    assert [e["name"] for e in review["overdue"]] == ["Johnson City Water Plant"]
    assert [e["name"] for e in review["due_soon"]] == ["LBJ Middle School"]
    verified = api("POST", f"/api/registry/entries/{entries['water']['id']}/verify", as_="registry").json()
    assert verified["review_status"] == "current" and verified["last_verified_by"] == "registry"
    assert api("GET", "/api/registry/review").json()["overdue"] == []


def test_link_an_address_point_to_the_nearest_service_point_or_feeder(api):
    found = api("GET", "/api/registry/link", as_="registry", params={"lon": -98.3694, "lat": 30.2775}).json()
    kinds = {f["kind"]: f for f in found}
    assert kinds["service_point"]["feeder"] == "JC-014" and kinds["service_point"]["distance_m"] < 20
    assert kinds["feeder"]["feeder"] == "JC-014" and 50 < kinds["feeder"]["distance_m"] < 80


def test_excel_round_trip_changes_nothing(api, entries):
    exported = api("GET", "/api/registry/export.xlsx", as_="dispatcher").content
    book = load_workbook(io.BytesIO(exported))
    assert book["entries"].max_row == 1 + len(ENTRIES) and book["contacts"].max_row == 1 + 2 * len(ENTRIES)
    before = api("GET", "/api/registry/entries").json()
    again = api("POST", "/api/registry/import", as_="registry", files={"file": ("registry.xlsx", exported)})
    assert again.status_code == 200, again.text
    assert again.json() == {"created": 0, "updated": 0, "unchanged": len(ENTRIES)}
    assert api("GET", "/api/registry/entries").json() == before


def test_import_creates_entries_from_the_template(api):
    template = load_workbook(io.BytesIO(api("GET", "/api/registry/template.xlsx", as_="registry").content))
    assert template.sheetnames == ["entries", "contacts", "categories"]
    data = registry_upload(
        [
            [
                "R-1",
                "Blanco County Jail",
                "police",
                "1000000020",
                "M00000020",
                None,
                None,
                None,
                "yes",
                48,
                1,
                None,
                "2026-01-15T10:00:00-06:00",
                "mgarcia",
            ]
        ],
        [["R-1", "Sgt. Wells", "Shift supervisor", "512-555-0100", None, None, "yes"]],
    )
    done = api("POST", "/api/registry/import", as_="registry", files={"file": ("new.xlsx", data)}).json()
    assert done == {"created": 1, "updated": 0, "unchanged": 0}
    jail = api("GET", "/api/registry/entries", params={"q": "jail"}).json()[0]
    assert jail["last_verified_by"] == "mgarcia" and jail["contacts"][0]["around_the_clock"] is True


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(api, entries):
    before = api("GET", "/api/registry/entries").json()
    rows = [
        [
            "B-1",
            "Good Clinic",
            "hospital",
            "1000000030",
            "M00000030",
            None,
            None,
            None,
            "no",
            None,
            2,
            None,
            None,
            None,
        ],
        [
            "B-2",
            "Mystery Site",
            "spaceport",
            "1000000031",
            "M00000031",
            None,
            None,
            None,
            "no",
            None,
            2,
            None,
            None,
            None,
        ],
        ["B-3", "Wrong Meter", "water", "1000000032", "M00000099", None, None, None, "no", None, 2, None, None, None],
        ["B-4", "Far Away", "water", None, None, "JC-014", -97.0, 32.0, "no", None, 2, None, None, None],
        ["B-1", "Same Ref", "fire", "1000000033", "M00000033", None, None, None, "no", None, 2, None, None, None],
        ["B-6", "Bad Tier", "fire", "1000000034", "M00000034", None, None, None, "maybe", None, 7, None, None, None],
    ]
    contacts = [["B-1", "Al", None, "555-12", None, None, "no"], ["B-1", "Bo", None, None, None, "bo@", "no"]]
    response = api(
        "POST", "/api/registry/import", as_="registry", files={"file": ("bad.xlsx", registry_upload(rows, contacts))}
    )
    assert response.status_code == 422
    got = {(p["sheet"], p["row"], p["column"]) for p in response.json()["problems"]}
    assert {
        ("contacts", 2, "phone"),
        ("contacts", 3, "email"),
        ("entries", 3, "category"),
        ("entries", 4, "meter_number"),
        ("entries", 5, "lon"),
        ("entries", 6, "ref"),
    } <= got
    assert ("entries", 7, "backup_generation") in got or ("entries", 7, "priority_tier") in got
    assert response.json()["detail"].startswith("bad.xlsx, sheet ")
    assert api("GET", "/api/registry/entries").json() == before
    assert (
        api("POST", "/api/registry/import", as_="registry", files={"file": ("notes.txt", b"hello")}).json()["field"]
        == "file"
    )


def test_bad_entries_through_the_api(api, session):
    cases = [
        (ENTRIES["water"] | {"category": "spaceport"}, "category"),
        (ENTRIES["water"] | {"meter_number": "M00000101"}, "meter_number"),
        (ENTRIES["water"] | {"account_number": None}, "account_number"),
        ({"name": "Nowhere", "category": "fire", "feeder": "JC-014", "lon": -90.0, "lat": 30.0}, "lon"),
        ({"name": "No place", "category": "fire", "feeder": "JC-014"}, "lon"),
        (ENTRIES["water"] | {"priority_tier": 0}, "priority_tier"),
        (ENTRIES["water"] | {"contacts": [{"name": "X", "phone": "12345"}]}, "contacts.0.phone"),
        (ENTRIES["water"] | {"contacts": [{"name": "X", "email": "x@y"}]}, "contacts.0.email"),
    ]
    for body, field in cases:
        response = api("POST", "/api/registry/entries", as_="registry", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field, response.json()
    assert api("GET", "/api/registry/entries").json() == []


def _log(api, **fields):
    body = {"cause": "wind", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 50} | fields
    made = api("POST", "/api/interruptions", json=body)
    assert made.status_code == 201, made.text
    return made.json()


def _names(rows):
    return sorted(r["entry"]["name"] for r in rows)


def test_call_list_names_exactly_the_entries_on_the_interrupted_facilities(api, entries):
    feeder = _log(api, feeder="JC-014")
    rows = api("GET", f"/api/incidents/{feeder['incident_id']}/call-list", as_="dispatcher").json()
    assert _names(rows) == [
        "Johnson City Water Plant",
        "KJCT Radio Tower",
        "LBJ Middle School",
        "Pedernales Valley Hospital",
    ]
    assert rows[0]["entry"]["contacts"][0]["phone"] == "512-555-0142"
    fuse = _log(api, feeder="JC-014", device="JC-014-F1")
    assert _names(api("GET", f"/api/incidents/{fuse['incident_id']}/call-list").json()) == [
        "Pedernales Valley Hospital"
    ]
    line = _log(api, feeder=None, transmission_line="TL-001")
    assert len(api("GET", f"/api/incidents/{line['incident_id']}/call-list").json()) == len(ENTRIES)
    api(
        "POST",
        f"/api/interruptions/{feeder['id']}/close",
        json={"version": feeder["version"], "restored_at": "2025-06-02T11:00:00-05:00"},
    )
    assert api("GET", f"/api/incidents/{feeder['incident_id']}/call-list").json() == []


def test_contact_attempts_are_recorded_and_unreached_come_first(api, entries):
    record = _log(api, feeder="JC-014")
    url = f"/api/incidents/{record['incident_id']}"
    first = api("GET", f"{url}/call-list").json()
    assert [r["entry"]["name"] for r in first][:2] == ["Johnson City Water Plant", "Pedernales Valley Hospital"]
    water = entries["water"]["id"]
    missed = api(
        "POST", f"{url}/contact-attempts", json={"entry_id": water, "contact_name": "Dana Ruiz", "outcome": "no_answer"}
    )
    assert missed.status_code == 201 and missed.json()["by"] == "dispatcher"
    api(
        "POST",
        f"{url}/contact-attempts",
        json={"entry_id": water, "contact_name": "Lee Park", "outcome": "reached", "notes": "crew ETA given"},
    )
    rows = api("GET", f"{url}/call-list", as_="executive").json()
    assert rows[-1]["entry"]["name"] == "Johnson City Water Plant" and rows[-1]["reached"] is True
    assert [a["outcome"] for a in rows[-1]["attempts"]] == ["no_answer", "reached"]
    assert not any(r["reached"] for r in rows[:-1])
    wrong = api(
        "POST", f"{url}/contact-attempts", json={"entry_id": water, "contact_name": "Nobody", "outcome": "reached"}
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "contact_name"
    assert (
        api(
            "POST",
            f"{url}/contact-attempts",
            as_="executive",
            json={"entry_id": water, "contact_name": "Lee Park", "outcome": "reached"},
        ).status_code
        == 403
    )


def test_restoration_priority_queue_orders_and_explains(api, entries):
    assert api("DELETE", f"/api/registry/entries/{entries['west']['id']}", as_="registry").status_code == 204
    # below R1: the hospital (tier 1, with backup) and the school (tier 3, no backup)
    below_r1 = _log(api, feeder="JC-014", device="JC-014-R1", members_out=3_000, start_at="2025-06-02T08:00:00-05:00")
    west = _log(api, feeder="JC-015", members_out=400)  # no entry left on JC-015
    north = _log(api, feeder="MF-001", members_out=1_400)  # police, tier 1 with backup
    queue = api("GET", "/api/restoration-priorities", as_="executive").json()
    assert [r["interruption_id"] for r in queue] == [below_r1["id"], north["id"], west["id"]]
    assert [r["rank"] for r in queue] == [1, 2, 3]
    first, second, third = queue
    assert first["best_tier"] == 1 and first["entries_without_backup"] == 1
    assert first["entries"] == ["Pedernales Valley Hospital", "LBJ Middle School"]
    assert first["reason"].startswith("tier 1: Pedernales Valley Hospital (hospital) and 1 more registry entries")
    assert "3,000 members out" in first["reason"]
    assert second["best_tier"] == 1 and second["entries_without_backup"] == 0
    assert third["best_tier"] is None and third["reason"].startswith("no registry entry affected; 400 members out")


def test_public_and_wrong_roles_are_refused(api, entries):
    assert api("GET", "/api/registry/entries", as_=None).status_code == 401
    assert api("GET", "/api/registry/annex.pdf", as_=None).status_code == 401
    assert api("POST", "/api/registry/entries", as_="dispatcher", json=ENTRIES["water"]).status_code == 403
    assert api("POST", "/api/registry/entries", as_="executive", json=ENTRIES["water"]).status_code == 403
    assert api("GET", "/api/registry/entries", as_="dispatcher").status_code == 200


def test_annex_workbook_and_pdf(api, entries, tmp_path):
    xlsx = api("GET", "/api/registry/annex.xlsx", as_="executive").content
    book = load_workbook(io.BytesIO(xlsx))
    rows = list(book["Annex"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == len(ENTRIES)
    assert rows[0][0] == "Johnson City Division" and {r[4] for r in rows} == {e["name"] for e in ENTRIES.values()}
    assert book["Summary"]["B1"].value == f"{len(ENTRIES)} entries"
    pdf = api("GET", "/api/registry/annex.pdf").content
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    for entry in ENTRIES.values():
        assert entry["name"] in text
    if shutil.which("libreoffice"):
        path = tmp_path / "annex.xlsx"
        path.write_bytes(xlsx)
        subprocess.run(
            [
                "libreoffice",
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76",
                "--outdir",
                str(tmp_path),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        assert "Pedernales Valley Hospital" in (tmp_path / "annex.csv").read_text()
