"""Input hygiene (issue 11): unreadable uploads get a 422 on ``file`` with a plain message and a fix (and write
nothing); e-mail addresses are checked by one function wherever they are accepted; lists and strings in
request bodies have sane limits."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook
from pydantic import ValidationError

from reports.delivery import SmtpSettings
from tests.factories import ANA, sp
from tests.helpers import ENTRIES, GOOD, active_member, csv, n_records, register, registry_upload, upload

LONG = "a" * 10_000 + "@example.org"
SCRIPT = "<script>alert(1)</script>@example.org"


def _xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buffer.getvalue()


def _damaged_sheet(workbook: bytes) -> bytes:
    """The workbook with a cell in its first sheet that claims to be a number and is not."""
    source, files = zipfile.ZipFile(io.BytesIO(workbook)), {}
    for name in source.namelist():
        files[name] = source.read(name)
        if name == "xl/worksheets/sheet1.xml":
            files[name] = files[name].replace(
                b"</sheetData>", b'<row r="9"><c r="A9" t="n"><v>not a number</v></c></row></sheetData>'
            )
    return _zip(files)


def test_unreadable_interruption_files_get_a_422_on_file_and_nothing_is_written(api, session):
    good_xlsx = _xlsx([line.split(",") for line in csv(*GOOD).decode().splitlines()])
    cases = {
        "not a zip": ("history.xlsx", b"PK? this is not a workbook at all"),
        "empty workbook": ("history.xlsx", b""),
        "zip of something else": ("history.xlsx", _zip({"hello.txt": b"hello"})),
        "truncated workbook": ("history.xlsx", good_xlsx[: len(good_xlsx) // 2]),
        "damaged sheet": ("history.xlsx", _damaged_sheet(good_xlsx)),
        "binary csv": ("history.csv", bytes(range(256)) * 8),
        "latin-1 csv": ("history.csv", csv(*GOOD).replace(b"tree on line", "árbol en la línea".encode("latin-1"))),
        "empty csv": ("history.csv", b""),
        "blank csv": ("history.csv", b"\n\n  \n"),
        "workbook named csv": ("history.csv", good_xlsx),
    }
    before = n_records(session)
    for case, (name, data) in cases.items():
        response = upload(api, data, name)
        assert response.status_code == 422, (case, response.status_code, response.text)
        body = response.json()
        assert body["field"] == "file", (case, body)
        assert body["detail"].startswith(name) and "Fix: " in body["detail"], (case, body)
        for leak in ("codec", "BadZipFile", "Traceback", "0x", "Errno"):
            assert leak not in body["detail"], (case, body["detail"])  # plain words, no Python internals
    assert n_records(session) == before
    assert upload(api, good_xlsx, "history.xlsx").status_code == 201  # the same rows, readable, still import


def test_a_damaged_registry_workbook_gets_a_422_on_file(api):
    data = _damaged_sheet(
        registry_upload(
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
                    None,
                    None,
                ]
            ]
        )
    )
    response = api("POST", "/api/registry/import", as_="registry", files={"file": ("damaged.xlsx", data)})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "file" and "Fix: " in response.json()["detail"]
    assert api("GET", "/api/registry/entries").json() == []


@pytest.mark.parametrize("address", [LONG, SCRIPT, "ana@example..org", '"ana"@example.org', "ana@-example.org"])
def test_members_e_mail_is_checked_when_registering_resending_and_resetting(api, mail, address):
    for path, body in (
        ("/api/members/register", None),
        ("/api/members/resend-activation", {"email": address}),
        ("/api/members/password-reset", {"email": address}),
    ):
        response = register(api, email=address) if body is None else api("POST", path, as_=None, json=body)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["field"] == "email"
        english, spanish = response.json()["detail"].split(" / ")  # the member pages show the reader's half
        assert "Fix: " in english and "correo electrónico" in spanish
        assert len(response.json()["detail"]) < 500  # a 10 KB address is not echoed back
    assert mail.messages == []


def test_members_e_mail_is_normalised_once_for_all(api, mail, session):
    from outages.members.models import MemberAccount

    decomposed, composed = "  Jose\u0301.Ruiz@EXAMPLE.org ", "jos\u00e9.ruiz@example.org"  # é typed two ways
    assert register(api, email=decomposed).status_code == 202
    assert [a.email for a in session.query(MemberAccount)] == [composed]
    again = api("POST", "/api/members/resend-activation", as_=None, json={"email": "JOS\u00c9.Ruiz@example.org"})
    assert again.status_code == 202 and len(mail.messages) == 2  # the same account, however it is typed


def test_alert_recipients_e_mail_is_checked(api, mail):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    for address in (LONG, SCRIPT, "x@y"):
        refused = api(
            "POST",
            "/api/members/me/alert-recipients",
            as_=None,
            headers=ana,
            json={"channel": "email", "address": address, "language": "es"},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "address" and " / " in refused.json()["detail"]
    long_phone = api(
        "POST",
        "/api/members/me/alert-recipients",
        as_=None,
        headers=ana,
        json={"channel": "sms", "address": "5" * 10_000, "language": "en"},
    )
    assert long_phone.status_code == 422 and len(long_phone.json()["detail"]) < 500
    added = api(
        "POST",
        "/api/members/me/alert-recipients",
        as_=None,
        headers=ana,
        json={"channel": "email", "address": "Helper@Example.ORG", "language": "en"},
    )
    assert added.status_code == 201 and added.json()["address"] == "helper@example.org"


def test_registry_contacts_e_mail_is_checked_by_the_same_rule(api):
    for address in (LONG, SCRIPT, "=cmd@localhost", "a" * 190 + "@example.org"):
        body = ENTRIES["water"] | {"contacts": [{"name": "X", "email": address}]}
        response = api("POST", "/api/registry/entries", as_="registry", json=body)
        assert response.status_code == 422, (address[:30], response.text)
        assert response.json()["field"] == "contacts.0.email"
        assert len(response.json()["detail"]) < 600
    assert api("GET", "/api/registry/entries").json() == []
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
                None,
                None,
            ]
        ],
        [["R-1", "Sgt. Wells", None, None, None, SCRIPT, "yes"]],
    )
    refused = api("POST", "/api/registry/import", as_="registry", files={"file": ("new.xlsx", data)})
    assert refused.status_code == 422 and refused.json()["field"] == "email"


def test_smtp_recipients_and_notice_resend_recipients_are_checked(api):
    assert SmtpSettings(recipients=" CEO@Example.org, coo@example.org ").recipient_list == [
        "ceo@example.org",
        "coo@example.org",
    ]
    with pytest.raises(ValidationError, match="OUTAGES_SMTP_RECIPIENTS"):
        SmtpSettings(recipients="ceo@example.org, x@y")
    for recipients, field in (
        ([SCRIPT], "recipients.0"),
        (["ceo@example.org", LONG], "recipients.1"),
        ([f"exec{i}@example.org" for i in range(51)], "recipients"),
    ):
        response = api("POST", "/api/notices/1/resend", as_="executive", json={"recipients": recipients})
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field


def _contacts(n: int) -> list[dict]:
    return [{"name": f"Contact {i}", "phone": "512-555-0142"} for i in range(n)]


def test_a_registry_entry_holds_at_most_50_contacts(api):
    refused = api("POST", "/api/registry/entries", as_="registry", json=ENTRIES["water"] | {"contacts": _contacts(51)})
    assert refused.status_code == 422 and refused.json()["field"] == "contacts"
    assert "50" in refused.json()["detail"] and "Fix: " in refused.json()["detail"]
    assert api("GET", "/api/registry/entries").json() == []
    made = api("POST", "/api/registry/entries", as_="registry", json=ENTRIES["water"] | {"contacts": _contacts(50)})
    assert made.status_code == 201 and len(made.json()["contacts"]) == 50
    changed = api(
        "PUT",
        f"/api/registry/entries/{made.json()['id']}",
        as_="registry",
        json=ENTRIES["water"] | {"contacts": _contacts(10_000), "version": made.json()["version"]},
    )
    assert changed.status_code == 422 and changed.json()["field"] == "contacts"

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
                None,
                None,
            ]
        ],
        [["R-1", f"Deputy {i}", None, "512-555-0100", None, None, "no"] for i in range(51)],
    )
    imported = api("POST", "/api/registry/import", as_="registry", files={"file": ("many.xlsx", data)})
    assert imported.status_code == 422 and imported.json()["field"] == "contacts", imported.text
    assert "50" in imported.json()["detail"]
    assert [e["name"] for e in api("GET", "/api/registry/entries").json()] == ["Johnson City Water Plant"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"category": "c" * 10_000}, "category"),
        ({"account_number": "1" * 10_000}, "account_number"),
        ({"meter_number": "M" * 10_000}, "meter_number"),
        (
            {"feeder": "F" * 10_000, "account_number": None, "meter_number": None, "lon": -98.33, "lat": 30.2775},
            "feeder",
        ),
        ({"contacts": [{"name": "X", "phone": "512-555-0142 x" + "1" * 30}]}, "contacts.0.phone"),
        ({"contacts": [{"name": "X", "alt_phone": "5" * 10_000}]}, "contacts.0.alt_phone"),
    ],
)
def test_registry_strings_have_limits(api, change, field):
    response = api("POST", "/api/registry/entries", as_="registry", json=ENTRIES["water"] | sp(100) | change)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    detail = response.json()["detail"]
    assert ("at most" in detail or "more than" in detail) and len(detail) < 600, detail


def test_probable_outage_actions_have_limits(api):
    for body, field in (
        ({"feeder": "F" * 10_000}, "feeder"),
        ({"feeder": "JC-014", "device": "D" * 10_000}, "device"),
        ({"feeder": "JC-014", "cause": "c" * 10_000}, "cause"),
    ):
        response = api("POST", "/api/probable-outages/confirm", as_="dispatcher", json=body)
        assert response.status_code == 422 and response.json()["field"] == field, response.text
        assert "at most" in response.json()["detail"]
