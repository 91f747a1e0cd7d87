"""Issue 14: every message the staff API gives a dispatcher names the field by its label, as the console shows it,
and gives times in the cooperative's zone (America/Chicago in the tests), in winter (CST) and in summer (CDT);
the answer's ``field`` stays the machine name, and a refused request writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from gis.db import utcnow
from outages.alerts import AlertEvent
from outages.models import AuditEntry, ContactAttempt, EtrChange, Incident, Interruption, RestorationStep
from outages.schemas import label
from tests.helpers import ENTRIES, csv, upload

CHICAGO = ZoneInfo("America/Chicago")
# (the local day the records are on, its name as the messages write it, the zone's abbreviation then)
SEASONS = {
    "winter": ("2025-01-14", "Tue 14 Jan 2025", "CST"),
    "summer": ("2025-07-15", "Tue 15 Jul 2025", "CDT"),
}
MACHINE = ("+00:00", "start_at", "etr_at", "restored_at", "members_out", "members_restored", "T0")


@pytest.fixture(params=list(SEASONS))
def season(request):
    return SEASONS[request.param]


def counts(session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(m))
        for m in (Interruption, RestorationStep, Incident, AuditEntry, EtrChange, AlertEvent, ContactAttempt)
    )


def log(api, day: str, **fields):
    body = {"feeder": "JC-014", "cause": "vegetation", "start_at": f"{day}T09:00", "members_out": 100} | fields
    return api("POST", "/api/interruptions", json=body)


def refused(response, field: str) -> str:
    """The detail of a 422 on ``field``: one fix, and none of the machine's words (UTC offsets, field names)."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field, body
    detail = body["detail"]
    assert detail.count("Fix:") == 1, detail
    for word in MACHINE:
        assert word not in detail, (word, detail)
    return detail


def clock(moment: datetime) -> str:
    """'16:00 CST': the local wall clock the console shows."""
    local = moment.astimezone(CHICAGO)
    return f"{local:%H:%M} {local.tzname()}"


def named(moment: datetime) -> str:
    """'Tue 25 Nov 2025 16:00 CST', written here independently of the service's own formatting."""
    local = moment.astimezone(CHICAGO)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[local.weekday()]
    month = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[local.month - 1]
    return f"{day} {local.day} {month} {local.year} {clock(local)}"


def test_an_etr_before_the_start_names_the_etr_and_both_local_times(api, session, season):
    day, named, zone = season
    before = counts(session)
    detail = refused(log(api, day, etr_at=f"{day}T08:30"), "etr_at")
    assert detail == (
        f"ETR {named} 08:30 {zone} is not after the start ({named} 09:00 {zone}). "
        "Fix: give an estimate later than the start."
    )
    assert counts(session) == before


def test_a_step_a_close_and_an_etr_before_the_start_say_so_in_local_time(api, session, season):
    day, named, zone = season
    record = log(api, day).json()
    url, version = f"/api/interruptions/{record['id']}", record["version"]
    before = counts(session)
    step = api("POST", f"{url}/restorations", json={"version": version, "at": f"{day}T08:45", "members_restored": 10})
    assert refused(step, "at").startswith(
        f"Restored at {named} 08:45 {zone} is not after the start ({named} 09:00 {zone}). Fix: "
    )
    close = api("POST", f"{url}/close", json={"version": version, "restored_at": f"{day}T08:59"})
    assert refused(close, "restored_at").startswith(f"Restored at {named} 08:59 {zone} is not after the start")
    etr = api("PUT", f"{url}/etr", json={"version": version, "etr_at": f"{day}T09:00"})
    assert refused(etr, "etr_at").startswith(f"ETR {named} 09:00 {zone} is not after the start ({named} 09:00 {zone})")
    assert counts(session) == before
    assert api("GET", url).json()["version"] == version


def test_a_step_before_the_last_one_gives_both_local_times(api, session, season):
    day, named, zone = season
    record = log(api, day).json()
    url = f"/api/interruptions/{record['id']}"
    done = api(
        "POST", f"{url}/restorations", json={"version": record["version"], "at": f"{day}T11:00", "members_restored": 10}
    )
    assert done.status_code == 200, done.text
    before = counts(session)
    early = api(
        "POST",
        f"{url}/restorations",
        json={"version": done.json()["version"], "at": f"{day}T10:30", "members_restored": 1},
    )
    assert refused(early, "at") == (
        f"Restored at {named} 10:30 {zone} is before the last step ({named} 11:00 {zone}). "
        "Fix: steps are recorded in time order."
    )
    assert counts(session) == before


@pytest.mark.parametrize("month", [1, 7], ids=["winter", "summer"])
def test_a_start_in_the_future_names_start_and_the_local_clock(api, session, month):
    start = datetime(utcnow().year + 1, month, 14, 9, 0, tzinfo=CHICAGO)
    before = counts(session)
    detail = refused(log(api, "", start_at=start.isoformat()), "start_at")
    assert detail.startswith(f"Start {named(start)} is in the future (it is now "), detail
    assert clock(start) == ("09:00 CST" if month == 1 else "09:00 CDT")
    assert detail.endswith("Fix: give the time it happened."), detail
    assert counts(session) == before


def test_members_out_above_what_the_facility_serves(api, session, season):
    day, _named, _zone = season
    before = counts(session)
    detail = refused(log(api, day, members_out=10_001), "members_out")  # JC-014 serves 10,000
    assert detail == (
        "Members out 10,001 is more than the 10,000 members served by feeder JC-014. "
        "Fix: check the count or the facility."
    )
    record = log(api, day, device="JC-014-F1", members_out=900).json()  # the fuse serves 1,000
    before = counts(session)
    grown = api(
        "PATCH", f"/api/interruptions/{record['id']}", json={"version": record["version"], "members_out": 1_001}
    )
    assert refused(grown, "members_out").startswith("Members out 1,001 is more than the 1,000 members served by device")
    assert counts(session) == before


def test_a_malformed_start_is_named_by_its_label(api, session, season):
    day, _named, _zone = season
    before = counts(session)
    response = log(api, day, start_at=f"{day} at nine")
    detail = refused(response, "start_at")
    assert detail.startswith("Start: ") and detail.endswith("Fix: correct Start and send again."), detail
    problem = response.json()["problems"][0]
    assert (problem["field"], problem["label"]) == ("start_at", "Start")
    listed = log(api, day, meters=["M00000001", ""])  # a nested field: its item, counted from 1
    assert listed.json()["field"] == "meters.1"
    assert refused(listed, "meters.1").startswith("Meters out (item 2): ")
    assert counts(session) == before


def test_a_start_before_the_earliest_day_gives_the_local_time_and_day(api, session):
    before = counts(session)
    detail = refused(log(api, "", start_at="1989-12-31T23:00"), "start_at")
    assert detail.startswith(
        "Start: Sun 31 Dec 1989 23:00 CST is before Mon 1 Jan 1990, the earliest day the log accepts. Fix: "
    ), detail
    typo = refused(log(api, "", start_at="0025-12-01T02:00"), "start_at")
    # the mistyped year as typed, read in local time (the zone's mean solar time before 1883)
    assert typo.startswith("Start: Mon 1 Dec 0025 02:00 LMT is before"), typo
    assert counts(session) == before


def test_moving_a_start_past_its_etr_gives_both_local_times(api, session, season):
    day, named, zone = season
    record = log(api, day, etr_at=f"{day}T12:00").json()
    before = counts(session)
    late = api(
        "PATCH", f"/api/interruptions/{record['id']}", json={"version": record["version"], "start_at": f"{day}T12:30"}
    )
    assert refused(late, "start_at").startswith(
        f"Start {named} 12:30 {zone} is not before the ETR ({named} 12:00 {zone})"
    )
    assert counts(session) == before


def test_a_stale_version_says_when_in_local_time(api, session):
    record = log(api, "2025-01-14").json()
    url = f"/api/interruptions/{record['id']}"
    changed = api("PATCH", url, json={"version": record["version"], "cause": "wind"}).json()
    before = counts(session)
    stale = api("PATCH", url, json={"version": record["version"], "cause": "animal"})
    assert stale.status_code == 409
    detail = stale.json()["detail"]
    when = datetime.fromisoformat(changed["updated_at"].replace("Z", "+00:00"))
    assert f"changed by dispatcher at {named(when)} (now version {changed['version']}" in detail, detail
    assert "+00:00" not in detail and "Fix:" in detail
    assert counts(session) == before


def test_a_contact_attempt_in_the_future_is_called_at_not_restored_at(api, session):
    entry = api("POST", "/api/registry/entries", as_="registry", json=ENTRIES["water"])
    assert entry.status_code == 201, entry.text
    record = log(api, "2025-01-14").json()
    url = f"/api/incidents/{record['incident_id']}/contact-attempts"
    at = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    before = counts(session)
    body = {"entry_id": entry.json()["id"], "contact_name": "Dana Ruiz", "outcome": "reached"}
    detail = api("POST", url, json=body | {"at": at.isoformat()}).json()["detail"]
    assert detail.startswith("Called at ") and f"{clock(at)} is in the future" in detail, detail
    malformed = api("POST", url, json=body | {"at": "soon"})
    assert (malformed.status_code, malformed.json()["field"]) == (422, "at")
    assert malformed.json()["detail"].startswith("Called at: "), malformed.text
    assert counts(session) == before


def test_an_import_keeps_column_names_and_gives_local_times(api, session, season):
    day, named, zone = season
    before = counts(session)
    response = upload(api, csv(f"Z1,,JC-014,,,wind,false,,{day}T14:00,{day}T13:00,10,,,"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == "restored_at"
    assert body["detail"].startswith(
        f"history.csv, row 2, column restored_at: restored_at {named} 13:00 {zone} is not after start "
        f"({named} 14:00 {zone}). Fix: "
    ), body["detail"]
    assert "+00:00" not in body["detail"]
    assert counts(session) == before


def test_labels_of_the_staff_fields():
    assert [label(f) for f in ("start_at", "etr_at", "meters", "at", "members_out", "crew_id", "damage")] == [
        "Start",
        "ETR",
        "Meters out",
        "Restored at",
        "Members out",
        "Crew",
        "Damage found",
    ]
    assert label("meters.3") == "Meters out (item 4)"
    assert label("contacts.0.phone") == "Contacts (item 1), phone"
    assert label("alt_phone") == "Alt phone" and label("supervisor_id") == "Supervisor"
