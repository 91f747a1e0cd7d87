"""Every open incident's significance and call list at once (``/api/incidents/open-overview``, which the facility
map reads; the dispatcher console's own ``/api/console/overview`` is built from the same pieces and gives the same
answers): the same answers the per-incident endpoints give, with a number of queries that does not grow with the
incidents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.helpers import ENTRIES, statements_per_request

NOW = datetime(2025, 6, 2, 21, 0, tzinfo=UTC)  # Mon 2 June 2025, 16:00 CDT
URL = "/api/incidents/open-overview"


@pytest.fixture
def clock(monkeypatch):
    """One fixed 'now' for both the per-incident endpoints and the bulk one (evidence such as 'dark 5 h 00 min'
    is judged against now, so both must see the same)."""
    for where in (
        "dashboards.routes.notices",
        "dashboards.routes.incidents",
        "dashboards.routes.console",
        "outages.call_list",
    ):
        monkeypatch.setattr(f"{where}.utcnow", lambda: NOW)
    return NOW


def _log(api, **fields):
    body = {"cause": "wind", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 50} | fields
    made = api("POST", "/api/interruptions", json=body)
    assert made.status_code == 201, made.text
    return made.json()


def _per_incident(api, incident_id: int) -> dict:
    significance = api("GET", f"/api/incidents/{incident_id}/significance")
    calls = api("GET", f"/api/incidents/{incident_id}/call-list")
    assert significance.status_code == 200 and calls.status_code == 200, (significance.text, calls.text)
    return {"incident_id": incident_id, "significance": significance.json(), "call_list": calls.json()}


def _storm(api, entries) -> dict[str, dict]:
    """Open incidents of every kind, plus a closed and a voided one."""
    made = {
        # the whole of JC-014 (10,000 of 12,000 members): significant; water, radio, school, hospital dark
        "feeder": _log(api, feeder="JC-014", members_out=10_000),
        # below the fuse: the hospital dark for hours (essential service)
        "fuse": _log(api, feeder="JC-014", device="JC-014-F1", members_out=1_000, start_at="2025-06-02T09:30:00-05:00"),
        # the transmission line: every entry, not significant by count alone
        "line": _log(
            api, feeder=None, transmission_line="TL-001", members_out=300, start_at="2025-06-02T15:30:00-05:00"
        ),
        # part of MF-001: the police listed as possibly dark, not counted by the classifier
        "part": _log(api, feeder="MF-001", members_out=500, start_at="2025-06-02T11:00:00-05:00"),
        # scheduled, members not told, more than four hours (D8); nothing on JC-015 but the fire station
        "scheduled": _log(
            api,
            feeder="JC-015",
            members_out=400,
            scheduled=True,
            members_notified=False,
            start_at="2025-06-02T08:00:00-05:00",
        ),
        "closed": _log(
            api,
            feeder="MF-001",
            members_out=200,
            start_at="2025-06-02T07:00:00-05:00",
            restored_at="2025-06-02T09:00:00-05:00",
        ),
        "voided": _log(api, feeder="JC-015", members_out=100),
    }
    # a second record in the feeder's incident, already closed, and a restoration step on the first (the
    # recloser closed: its 6,000 members are back, but the fuse record below it still keeps F1's 1,000 out)
    made["feeder-closed"] = _log(
        api,
        feeder="MF-001",
        members_out=1_500,
        incident_id=made["feeder"]["incident_id"],
        start_at="2025-06-02T10:05:00-05:00",
        restored_at="2025-06-02T10:50:00-05:00",
    )
    step = api(
        "POST",
        f"/api/interruptions/{made['feeder']['id']}/restorations",
        json={"version": made["feeder"]["version"], "at": "2025-06-02T12:00:00-05:00", "device": "JC-014-R1"},
    )
    assert step.status_code == 200, step.text
    voided = api(
        "POST",
        f"/api/interruptions/{made['voided']['id']}/void",
        json={"version": made["voided"]["version"], "reason": "logged twice by mistake"},
    )
    assert voided.status_code == 200, voided.text
    # calls: in the feeder's incident the water plant is reached; the same plant in the line's incident is not
    feeder_incident, water = made["feeder"]["incident_id"], entries["water"]["id"]
    for outcome, who in (("no_answer", "Dana Ruiz"), ("reached", "Lee Park")):
        attempt = api(
            "POST",
            f"/api/incidents/{feeder_incident}/contact-attempts",
            json={"entry_id": water, "contact_name": who, "outcome": outcome, "at": "2025-06-02T10:20:00-05:00"},
        )
        assert attempt.status_code == 201, attempt.text
    return made


def test_bulk_answer_equals_the_per_incident_answers(api, entries, clock):
    made = _storm(api, entries)
    response = api("GET", URL, as_="executive")
    assert response.status_code == 200, response.text
    bulk = response.json()["incidents"]
    open_ids = sorted({made[k]["incident_id"] for k in ("feeder", "fuse", "line", "part", "scheduled")})
    assert [o["incident_id"] for o in bulk] == open_ids  # closed and voided incidents are absent
    for overview in bulk:
        out_now = {k: overview.pop(k) for k in ("members_out_now", "members_out_unlocated")}
        assert out_now["members_out_unlocated"] <= out_now["members_out_now"]
        assert overview == _per_incident(api, overview["incident_id"]), overview["incident_id"]
        overview.update(out_now)
    # the comparison is not vacuous: significance, reasons and call lists with attempts are all there
    by_id = {o["incident_id"]: o for o in bulk}
    feeder, fuse = by_id[made["feeder"]["incident_id"]], by_id[made["fuse"]["incident_id"]]
    # members out now, from the power state: located below the facilities, or counts nobody has located
    assert [
        (by_id[made[k]["incident_id"]]["members_out_now"], by_id[made[k]["incident_id"]]["members_out_unlocated"])
        for k in ("feeder", "fuse", "line", "part", "scheduled")
    ] == [(4_000, 0), (1_000, 0), (300, 300), (500, 500), (400, 400)]
    assert feeder["significance"]["significant"] and fuse["significance"]["significant"]
    assert {c["code"] for c in fuse["significance"]["criteria"]} == {"essential_services"}
    assert "dark 6 h 30 min" in fuse["significance"]["criteria"][0]["evidence"]  # judged at NOW
    assert {c["code"] for c in by_id[made["scheduled"]["incident_id"]]["significance"]["criteria"]} >= {
        "scheduled_not_notified"
    }
    water = [r for r in feeder["call_list"] if r["entry"]["name"] == "Johnson City Water Plant"]
    assert water[0]["reached"] and [a["outcome"] for a in water[0]["attempts"]] == ["no_answer", "reached"]
    assert feeder["call_list"][-1]["entry"]["name"] == "Johnson City Water Plant"  # reached goes last
    line = by_id[made["line"]["incident_id"]]["call_list"]
    assert len(line) == len(ENTRIES) and not any(r["reached"] or r["attempts"] for r in line)
    assert [r["entry"]["name"] for r in by_id[made["part"]["incident_id"]]["call_list"]] == ["Marble Falls Police"]


def test_the_console_overview_gives_the_same_significance_and_call_lists(api, entries, clock):
    """The console's one answer (``/api/console/overview``) says of each open incident what this overview says:
    members out now, whether and since when it is significant, the evidence of each criterion and the call list."""
    _storm(api, entries)
    bulk = api("GET", URL).json()["incidents"]
    console = api("GET", "/api/console/overview").json()["incidents"]
    assert [i["incident_id"] for i in console] == [o["incident_id"] for o in bulk]
    for mine, theirs in zip(console, bulk):
        significance = theirs["significance"]
        assert (mine["members_out_now"], mine["members_out_unlocated"]) == (
            theirs["members_out_now"],
            theirs["members_out_unlocated"],
        )
        assert (mine["significant"], mine["significant_at"], mine["peak_members_out"]) == (
            significance["significant"],
            significance["significant_at"],
            significance["peak_members_out"],
        )
        assert [(c["code"], c["met_at"], c["evidence"]) for c in mine["criteria"]] == [
            (c["code"], c["met_at"], c["evidence"]) for c in significance["criteria"]
        ]
        assert all(c["label"] and c["label"] != c["code"] for c in mine["criteria"])  # in words
        assert mine["call_list"] == theirs["call_list"]
        assert bool(mine["headline"]) == mine["significant"]


def test_closing_the_last_open_record_takes_the_incident_out(api, entries, clock):
    record = _log(api, feeder="JC-014", device="JC-014-F1", members_out=1_000)
    assert [o["incident_id"] for o in api("GET", URL).json()["incidents"]] == [record["incident_id"]]
    closed = api(
        "POST",
        f"/api/interruptions/{record['id']}/close",
        json={"version": record["version"], "restored_at": "2025-06-02T11:00:00-05:00"},
    )
    assert closed.status_code == 200, closed.text
    assert api("GET", URL).json() == {"incidents": []}


def test_an_incident_counts_each_member_once(api, clock):
    """A feeder record and a fuse record below it in one incident: the fuse's members are out once, not twice;
    once the feeder record is closed, the fuse record still keeps its 1,000 members out."""
    feeder = _log(api, feeder="JC-014", members_out=10_000)
    fuse = _log(
        api,
        feeder="JC-014",
        device="JC-014-F1",
        members_out=1_000,
        incident_id=feeder["incident_id"],
        start_at="2025-06-02T10:10:00-05:00",
    )
    [overview] = api("GET", URL).json()["incidents"]
    assert (overview["members_out_now"], overview["members_out_unlocated"]) == (10_000, 0)  # not 11,000
    closed = api(
        "POST",
        f"/api/interruptions/{feeder['id']}/close",
        json={"version": feeder["version"], "restored_at": "2025-06-02T12:00:00-05:00"},
    )
    assert closed.status_code == 200, closed.text
    [overview] = api("GET", URL).json()["incidents"]
    assert overview["members_out_now"] == 1_000
    assert api("GET", f"/api/interruptions/{fuse['id']}").json()["status"] == "open"


def test_no_open_incident_gives_an_empty_list(api):
    response = api("GET", URL)
    assert response.status_code == 200 and response.json() == {"incidents": []}


def test_staff_only(api):
    assert api("GET", URL, as_=None).status_code == 401
    for role in ("dispatcher", "executive", "registry", "admin"):
        assert api("GET", URL, as_=role).status_code == 200, role


def test_queries_do_not_grow_with_the_open_incidents(api, entries, clock, connection, monkeypatch):
    """Shared work: the same number of SQL statements for three open incidents as for six (the facility
    facts, the registry look-up, the records, the attempts and the entries are each read once)."""
    count = statements_per_request(api, connection, monkeypatch, URL)

    _log(api, feeder=None, transmission_line="TL-001", members_out=300)  # every entry (and category) dark
    _log(api, feeder="JC-014", device="JC-014-F1", members_out=1_000)
    _log(api, feeder="MF-001", members_out=200)
    three = count()
    for feeder in ("JC-014", "JC-015", "MF-001"):
        _log(api, feeder=feeder, members_out=100)
    assert len(api("GET", URL).json()["incidents"]) == 6
    assert count() == three
