"""Implausible times (issue 11, "Hardening"): the API and the bulk import refuse them with a 422 naming the
field; a record written to the database directly with one (bypassing every check) never makes the indices,
the annual report, a summary report, the public map or the export fail; purge never deletes what was
logged within retention; one change is one version; an empty incident is open."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from dashboards.public_site import PublicSite
from gis.db import utcnow
from gis.models import Feeder
from outages.models import Incident, Interruption, RestorationStep
from outages.public_map import PublicMapSettings
from outages.settings import get_rule_settings
from reports.models import SummaryReport

UTC = UTC
FAR_NAIVE = "9999-12-31T23:59:59"  # read in America/Chicago: past the end of the calendar in UTC
EDGE_OFFSET = "0001-01-01T00:37:00+16:36"  # before the start of the calendar in UTC
OLD = "0025-12-01T02:00"  # a mistyped year


def log(api, **fields):
    body = {
        "feeder": "JC-014",
        "cause": "vegetation",
        "start_at": "2025-06-02T10:00:00-05:00",
        "members_out": 100,
    } | fields
    return api("POST", "/api/interruptions", json=body)


def made(api, **fields) -> dict:
    response = log(api, **fields)
    assert response.status_code == 201, response.text
    return response.json()


def n_records(session) -> int:
    return session.scalar(select(func.count()).select_from(Interruption))


def refused(response, field: str, words: str) -> dict:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field, body
    assert words in body["detail"], body
    assert body["detail"].count("Fix:") == 1, body  # one plain message, one fix
    return body


def insert(
    session,
    *,
    start: datetime,
    restored: datetime | None = None,
    steps: tuple = (),
    etr: datetime | None = None,
    created_at: datetime | None = None,
    incident: Incident | None = None,
    members: int = 10,
) -> Interruption:
    """A record written straight to the database, past every check of the API (as a script or a bad
    migration could)."""
    feeder = session.scalar(select(Feeder).where(Feeder.code == "JC-014"))
    incident = incident or Incident(title="written directly", created_by="script")
    record = Interruption(
        incident=incident,
        status="closed" if restored else "open",
        cause_code="wind",
        start_at=start,
        restored_at=restored,
        etr_at=etr,
        members_out=members,
        feeder=feeder,
        substation_id=feeder.substation_id,
        created_by="script",
        updated_by="script",
        momentary=False if restored else None,
        created_at=created_at or utcnow(),
    )
    left = members
    for at, n in steps:
        record.steps.append(RestorationStep(at=at, members_restored=n, created_by="script"))
        left -= n
    if restored:
        record.steps.append(RestorationStep(at=restored, members_restored=left, created_by="script"))
    session.add(record)
    session.commit()
    return record


@pytest.fixture
def rules(monkeypatch):
    """Set rule settings through the environment, as an operator would (OUTAGES_...)."""

    def set_(**values):
        for key, value in values.items():
            monkeypatch.setenv(f"OUTAGES_{key.upper()}", str(value))
        get_rule_settings.cache_clear()

    yield set_
    monkeypatch.undo()
    get_rule_settings.cache_clear()


# ---------------------------------------------------------------------------------- A: refused at the door


def test_a_start_in_the_year_0025_is_refused_and_nothing_is_stored(api, session):
    before = n_records(session)
    body = refused(log(api, start_at=OLD), "start_at", "before Mon 1 Jan 1990")
    assert body["problems"][0]["field"] == "start_at"
    assert n_records(session) == before


def test_every_time_the_api_takes_has_the_lower_bound(api, session):
    refused(log(api, restored_at="1989-12-31T23:00"), "restored_at", "before Mon 1 Jan 1990")
    refused(log(api, etr_at="1989-12-31T23:00"), "etr_at", "before Mon 1 Jan 1990")
    record = made(api)
    rid, version = record["id"], record["version"]
    refused(
        api("PATCH", f"/api/interruptions/{rid}", json={"version": version, "start_at": OLD}),
        "start_at",
        "before Mon 1 Jan 1990",
    )
    refused(
        api(
            "POST",
            f"/api/interruptions/{rid}/restorations",
            json={"version": version, "at": "1985-01-01T00:00", "members_restored": 1},
        ),
        "at",
        "before Mon 1 Jan 1990",
    )
    refused(
        api("PUT", f"/api/interruptions/{rid}/etr", json={"version": version, "etr_at": OLD}),
        "etr_at",
        "before Mon 1 Jan 1990",
    )
    refused(
        api("POST", f"/api/interruptions/{rid}/close", json={"version": version, "restored_at": OLD}),
        "restored_at",
        "before Mon 1 Jan 1990",
    )
    assert api("GET", f"/api/interruptions/{rid}").json()["version"] == version  # nothing changed


def test_the_earliest_date_is_a_setting(api, rules):
    rules(earliest_date="2000-01-01")
    refused(log(api, start_at="1999-12-31T23:59"), "start_at", "before Sat 1 Jan 2000")
    assert log(api, start_at="2000-01-01T00:00").status_code == 201  # local midnight is the first moment


def test_an_etr_at_most_the_horizon_ahead(api, rules):
    now = utcnow().replace(microsecond=0)
    start = (now - timedelta(hours=1)).isoformat()
    refused(log(api, start_at=start, etr_at=(now + timedelta(days=31)).isoformat()), "etr_at", "30 days ahead")
    record = made(api, start_at=start, etr_at=(now + timedelta(days=29)).isoformat())
    refused(
        api(
            "PUT",
            f"/api/interruptions/{record['id']}/etr",
            json={"version": record["version"], "etr_at": "9999-12-30T00:00:00Z"},
        ),
        "etr_at",
        "30 days ahead",
    )
    rules(etr_horizon_days=2)
    refused(
        api(
            "PUT",
            f"/api/interruptions/{record['id']}/etr",
            json={"version": record["version"], "etr_at": (now + timedelta(days=3)).isoformat()},
        ),
        "etr_at",
        "2 days ahead",
    )


def test_planned_work_starts_at_most_the_horizon_ahead(api):
    far = (utcnow() + timedelta(days=45)).replace(microsecond=0).isoformat()
    refused(log(api, scheduled=True, members_notified=True, start_at=far), "start_at", "30 days ahead")
    refused(log(api, scheduled=True, start_at="9999-12-30T00:00:00Z"), "start_at", "30 days ahead")
    soon = (utcnow() + timedelta(days=3)).replace(microsecond=0).isoformat()
    assert log(api, scheduled=True, members_notified=True, start_at=soon).status_code == 201


def test_query_filters_refuse_implausible_and_out_of_range_times(api):
    for value in (OLD, FAR_NAIVE, EDGE_OFFSET, "1700000000"):
        for url in ("/api/interruptions", "/api/interruptions/export.csv"):
            response = api("GET", url, params={"start_from": value}, as_="executive")
            assert (response.status_code, response.json()["field"]) == (422, "start_from"), (url, value, response.text)


# ------------------------------------------------------------------------- B: no 5xx, no numbers for times


BODY_TIMES = [
    ("create", "start_at"),
    ("create", "restored_at"),
    ("create", "etr_at"),
    ("update", "start_at"),
    ("step", "at"),
    ("etr", "etr_at"),
    ("close", "restored_at"),
]
BAD_VALUES = [
    (FAR_NAIVE, "outside the range of dates"),
    (EDGE_OFFSET, "outside the range of dates"),
    (1700000000, "not a date and time written as text"),
    (1700000000.5, "not a date and time written as text"),
    ("1700000000", "not a date and time written as text"),
]


@pytest.mark.parametrize("value, words", BAD_VALUES, ids=lambda v: str(v))
@pytest.mark.parametrize("action, field", BODY_TIMES, ids=lambda v: str(v))
def test_out_of_range_dates_and_numbers_get_422_naming_the_field(api, session, action, field, value, words):
    if action == "create":
        before = n_records(session)
        refused(log(api, **{field: value}), field, words)
        assert n_records(session) == before
        return
    record = made(api)
    url = f"/api/interruptions/{record['id']}"
    method, path, body = {
        "update": ("PATCH", "", {}),
        "step": ("POST", "/restorations", {"members_restored": 1}),
        "etr": ("PUT", "/etr", {}),
        "close": ("POST", "/close", {}),
    }[action]
    refused(api(method, url + path, json={"version": record["version"], field: value} | body), field, words)
    assert api("GET", url).json()["version"] == record["version"]


def test_a_contact_attempt_time_is_text_too():
    from pydantic import ValidationError

    from outages.call_list import AttemptIn

    with pytest.raises(ValidationError) as err:
        AttemptIn.model_validate({"entry_id": 1, "contact_name": "Dana Ruiz", "outcome": "reached", "at": 1700000000})
    assert err.value.errors()[0]["loc"] == ("at",)
    with pytest.raises(ValidationError):
        AttemptIn.model_validate({"entry_id": 1, "contact_name": "Dana Ruiz", "outcome": "reached", "at": FAR_NAIVE})


# ----------------------------------------------------------------------------------------- A: bulk import


HEADER = (
    "record_ref,incident_ref,feeder_id,transmission_line_id,device_id,cause,scheduled,members_notified,"
    "start,restored_at,members_out,steps,location,notes"
)


def upload(api, *rows: str):
    data = "\n".join([HEADER, *rows]).encode()
    return api("POST", "/api/interruptions/import", files={"file": ("history.csv", data, "text/csv")})


def test_bulk_import_refuses_implausible_times_and_imports_nothing(api, session):
    tomorrow = (utcnow() + timedelta(days=1)).replace(microsecond=0).isoformat()
    before = n_records(session)
    response = upload(
        api,
        "P1,,JC-014,,,wind,false,,0025-12-01T02:00,2023-05-12T15:00:00-05:00,10,,,",
        f"P2,,JC-014,,,wind,false,,2023-05-12T14:00:00-05:00,{tomorrow},10,,,",
        "P3,,JC-014,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,10,1989-05-12T14:30:00-05:00=2,,",
        f"P4,,JC-014,,,wind,false,,{FAR_NAIVE},,10,,,",
        "P5,,JC-014,,,wind,false,,2023-05-12T14:00:00-05:00,2023-05-12T15:00:00-05:00,10,,,",
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "start" and "before Mon 1 Jan 1990" in body["detail"]
    got = {(p["row"], p["column"]) for p in body["problems"]}
    assert {(2, "start"), (3, "restored_at"), (4, "steps"), (5, "start")} <= got
    assert not any(p["row"] == 6 for p in body["problems"])
    assert n_records(session) == before


# ------------------------------------------------------------- A: defence in depth, records written directly


def bad_rows(session) -> list[Interruption]:
    """Five records no check would have let in."""
    return [
        insert(session, start=datetime(25, 12, 1, 8, tzinfo=UTC), restored=datetime(25, 12, 1, 9, tzinfo=UTC)),
        insert(session, start=datetime(25, 12, 1, 8, tzinfo=UTC), restored=datetime(2025, 12, 1, 9, tzinfo=UTC)),
        insert(session, start=datetime(2025, 6, 1, 8, tzinfo=UTC), restored=datetime(9999, 12, 31, tzinfo=UTC)),
        insert(
            session,
            start=datetime(2025, 6, 1, 8, tzinfo=UTC),
            restored=datetime(2025, 6, 1, 9, tzinfo=UTC),
            steps=[(datetime(1, 1, 1, tzinfo=UTC), 5)],
        ),
        insert(session, start=datetime(9999, 12, 30, tzinfo=UTC)),
    ]


def test_indices_and_annual_report_leave_implausible_records_out(api, session):
    year = utcnow().year - 1
    made(api, start_at=f"{year}-06-02T10:00", restored_at=f"{year}-06-02T11:00", members_out=1000)
    bad_rows(session)
    response = api(
        "GET", "/api/indices", params={"start": f"{year}-01-01", "end": f"{year + 1}-01-01"}, as_="executive"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    system = body["rows"][0]
    assert (system["group"], system["sustained_records"], system["member_minutes"]) == ("system", 1, 60_000)
    assert any("5 records" in note and "not plausible" in note for note in body["notes"]), body["notes"]
    grouped = api(
        "GET",
        "/api/indices",
        params={"start": "2025-01-01", "end": "2026-01-01", "group_by": "feeder"},
        as_="executive",
    )
    assert grouped.status_code == 200, grouped.text

    xlsx = api("GET", f"/api/reports/reliability/{year}.xlsx", as_="executive")
    assert xlsx.status_code == 200, xlsx.text
    book = load_workbook(io.BytesIO(xlsx.content))
    assert any("not plausible" in str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row)
    pdf = api("GET", f"/api/reports/reliability/{year}.pdf", as_="executive")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_engine_itself_is_given_plausible_records_only(session):
    from outages.reliability import first_record_start, implausible_records, indices_for, load_records

    good = insert(session, start=datetime(2025, 3, 1, 15, tzinfo=UTC), restored=datetime(2025, 3, 1, 16, tzinfo=UTC))
    bad_rows(session)
    records, steps = load_records(
        session=session, start=datetime(1900, 1, 1, tzinfo=UTC), end=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert list(records["record_id"]) == [good.id] and set(steps["record_id"]) == {good.id}
    assert first_record_start(session=session) == good.start_at
    assert implausible_records(session=session) == 5
    assert (
        indices_for(session=session, start="2025-01-01", end="2026-01-01").rows().loc["system", "sustained_records"]
        == 1
    )


def test_public_map_takes_implausible_times_as_unknown(app, api, session):
    app.state.public_map_settings = settings = PublicMapSettings(check_seconds=0)
    app.state.public_site = PublicSite(app.state.readers, settings=settings)
    try:
        insert(session, start=datetime(25, 12, 1, 8, tzinfo=UTC), etr=datetime(9999, 1, 1, tzinfo=UTC), members=40)
        response = api("GET", "/map/data.json", as_=None)
        assert response.status_code == 200, response.text
        data = response.json()
        assert data["totals"]["members_out"] == 40  # the members may well be out
        shown = [a for a in data["areas"] if a["members_out"]]
        assert shown and all(
            a["out_since"] is None and a["status"] == "reported" and a["etr"] is None for a in shown
        ), shown
    finally:
        app.state.public_map_settings = app.state.public_site = None


def test_summary_report_leaves_an_implausible_record_out_and_says_so(api, session):
    incident = Incident(title="Storm", created_by="script")
    good = insert(
        session,
        start=datetime(2025, 12, 1, 8, tzinfo=UTC),
        restored=datetime(2025, 12, 3, 8, tzinfo=UTC),
        members=9000,
        incident=incident,
    )
    bad = insert(
        session, start=datetime(25, 12, 1, 8, tzinfo=UTC), restored=datetime(1, 1, 3, tzinfo=UTC), incident=incident
    )
    report = SummaryReport(incident_id=incident.id, due_at=datetime(2025, 12, 8, 6, tzinfo=UTC))
    session.add(report)
    session.commit()
    for fmt in ("xlsx", "pdf", "html"):
        response = api("GET", f"/api/summary-reports/{report.id}.{fmt}", as_="executive")
        assert response.status_code == 200, (fmt, response.text)
    page = api("GET", f"/api/summary-reports/{report.id}.html", as_="executive").text
    assert f"Interruption record {bad.id} is left out" in page
    assert good.id != bad.id

    alone = Incident(title="Only a bad record", created_by="script")
    insert(
        session, start=datetime(25, 12, 1, 8, tzinfo=UTC), restored=datetime(25, 12, 3, 8, tzinfo=UTC), incident=alone
    )
    other = SummaryReport(incident_id=alone.id, due_at=datetime(2025, 12, 8, 6, tzinfo=UTC))
    session.add(other)
    session.commit()
    response = api("GET", f"/api/summary-reports/{other.id}.pdf", as_="executive")
    assert response.status_code == 409 and "Fix:" in response.json()["detail"]


def test_export_of_a_record_at_the_edge_of_the_calendar(api, session):
    insert(session, start=datetime(1, 1, 1, tzinfo=UTC), restored=datetime(1, 1, 2, tzinfo=UTC))
    response = api("GET", "/api/interruptions/export.csv", as_="executive")
    assert response.status_code == 200, response.text
    assert "0001-01-01T00:00:00+00:00" in response.text


# ------------------------------------------------------------------------------------------------ A: purge


def test_purge_keeps_what_was_logged_within_retention_whatever_its_start(session):
    from outages.service import purge_expired

    now = utcnow()
    fresh = insert(session, start=datetime(25, 12, 1, 8, tzinfo=UTC), restored=datetime(25, 12, 1, 9, tzinfo=UTC))
    six_years = now - timedelta(days=6 * 366)
    old = insert(session, start=six_years, restored=six_years + timedelta(hours=1), created_at=six_years)
    assert purge_expired(session=session, now=now) == 1
    session.expire_all()
    assert session.get(Interruption, fresh.id) is not None and session.get(Interruption, old.id) is None


def test_purge_dry_run_counts_nothing_logged_minutes_ago(session, sessions, monkeypatch):
    import dashboards.cli as cli

    insert(session, start=datetime(25, 12, 1, 8, tzinfo=UTC), restored=datetime(25, 12, 1, 9, tzinfo=UTC))
    monkeypatch.setattr(cli, "_sessions", lambda url=None: sessions)
    done = CliRunner().invoke(cli.app, ["interruptions", "purge"], prog_name="outages")
    assert done.exit_code == 0, done.output
    assert "0 records are past retention" in done.output, done.output


# ---------------------------------------------------------------------------------- C: one change, one version


def test_every_write_bumps_the_version_by_exactly_one(api):
    record = made(api, start_at="2025-06-02T10:00:00-05:00")
    assert record["version"] == 1
    rid = record["id"]

    def step(method: str, path: str, body: dict, version: int) -> dict:
        response = api(method, f"/api/interruptions/{rid}{path}", json={"version": version} | body)
        assert response.status_code == 200, response.text
        out = response.json()
        assert out["version"] == version + 1, (path, out["version"])
        assert api("GET", f"/api/interruptions/{rid}").json()["version"] == version + 1
        return out

    v = step("PUT", "/etr", {"etr_at": "2025-06-02T18:00:00-05:00"}, 1)["version"]
    v = step("PUT", "/etr", {"etr_at": None, "note": "being assessed"}, v)["version"]
    v = step("PATCH", "", {"notes": "crew on site"}, v)["version"]  # the version just read is accepted
    v = step("PATCH", "", {"start_at": "2025-06-02T09:55:00-05:00", "members_out": 120}, v)["version"]
    v = step("POST", "/restorations", {"at": "2025-06-02T11:00:00-05:00", "members_restored": 20}, v)["version"]
    v = step("POST", "/close", {"restored_at": "2025-06-02T12:00:00-05:00"}, v)["version"]
    v = step("PATCH", "", {"cause": "wind"}, v)["version"]
    step("POST", "/void", {"reason": "logged on the wrong feeder"}, v)


def test_a_record_logged_already_restored_starts_at_version_one(api):
    record = made(api, restored_at="2025-06-02T11:00:00-05:00")
    assert (record["status"], record["version"]) == ("closed", 1)


def test_planned_work_moved_with_its_etr_is_one_version(api):
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    record = made(
        api,
        scheduled=True,
        members_notified=True,
        start_at=start.isoformat(),
        etr_at=(start + timedelta(hours=4)).isoformat(),
    )
    moved = api(
        "PATCH",
        f"/api/interruptions/{record['id']}",
        json={"version": record["version"], "start_at": (start + timedelta(days=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == record["version"] + 1


# ------------------------------------------------------------------------------------ D: an empty incident


def test_an_empty_incident_is_open_not_voided(api):
    created = api("POST", "/api/incidents", json={"title": "Storm line moving in"})
    assert created.status_code == 201, created.text
    incident = created.json()
    assert (incident["status"], incident["interruptions"]) == ("open", 0)
    assert api("GET", f"/api/incidents/{incident['id']}", as_="executive").json()["status"] == "open"
    listed = api("GET", "/api/incidents", params={"status": "open"}, as_="executive").json()["items"]
    assert incident["id"] in [i["id"] for i in listed]

    record = made(api, incident_id=incident["id"])
    voided = api(
        "POST",
        f"/api/interruptions/{record['id']}/void",
        json={"version": record["version"], "reason": "a duplicate of another record"},
    )
    assert voided.status_code == 200, voided.text
    assert api("GET", f"/api/incidents/{incident['id']}", as_="executive").json()["status"] == "voided"
