"""The dispatcher's interruption log through the HTTP API, as a dispatcher would use it."""

from __future__ import annotations

from datetime import UTC

import pytest
from sqlalchemy import func, select

from outages.models import AuditEntry, Incident, Interruption, RestorationStep

UTC = UTC


def counts(session) -> tuple[int, int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(m))
        for m in (Interruption, RestorationStep, Incident, AuditEntry)
    )


def log(api, **fields):
    body = {
        "feeder": "JC-014",
        "cause": "vegetation",
        "start_at": "2025-06-02T10:00:00-05:00",
        "members_out": 10_000,
    } | fields
    return api("POST", "/api/interruptions", json=body)


def test_dispatcher_logs_steps_closes_and_reads_back_member_minutes(api):
    # domain D12 on members nobody located (9,000 of the feeder's 10,000, no device, no meters):
    # 9,000 out at 10:00; 4,000 back at 11:30, 4,000 at 14:00, 1,000 at 16:15
    created = log(api, members_out=9_000, location="US 290 east of Johnson City")
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["status"], record["kind"], record["substation"]) == ("open", "ongoing", "JC-S01")
    assert (record["extent"], record["members_located"], record["members_unlocated_now"]) == ("part", 0, 9_000)
    assert record["members_out_now"] == 9_000
    rid, version = record["id"], record["version"]

    step = api(
        "POST",
        f"/api/interruptions/{rid}/restorations",
        json={"version": version, "at": "2025-06-02T11:30:00-05:00", "members_restored": 4_000},
    )
    assert step.status_code == 200, step.text
    step = api(
        "POST",
        f"/api/interruptions/{rid}/restorations",
        json={"version": step.json()["version"], "at": "2025-06-02T14:00:00-05:00", "members_restored": 4_000},
    )
    assert step.json()["members_out_now"] == 1_000
    closed = api(
        "POST",
        f"/api/interruptions/{rid}/close",
        json={"version": step.json()["version"], "restored_at": "2025-06-02T16:15:00-05:00"},
    )
    assert closed.status_code == 200, closed.text

    back = api("GET", f"/api/interruptions/{rid}", as_="executive").json()
    assert back["status"] == "closed" and back["kind"] == "sustained"
    assert back["duration_minutes"] == 375
    assert back["member_minutes"] == 4_000 * 90 + 4_000 * 240 + 1_000 * 375
    assert [s["members_restored"] for s in back["steps"]] == [4_000, 4_000, 1_000]
    assert back["members_out_now"] == 0
    assert back["restored_at"] == "2025-06-02T21:15:00Z"


def test_steps_on_a_whole_feeder_name_the_device_or_meters_that_came_back(api):
    # JC-014 (10,000): F1 (1,000) closes at 11:30, R1 (the other 5,000 below it) at 14:00, the rest at 16:15
    record = log(api).json()
    assert (record["extent"], record["members_located"], record["members_out"]) == ("facility", 10_000, 10_000)
    count = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": record["version"], "at": "2025-06-02T11:00:00-05:00", "members_restored": 10},
    )
    assert count.status_code == 422 and count.json()["field"] == "members_restored"
    assert "device" in count.json()["detail"] and "meters" in count.json()["detail"]
    step = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": record["version"], "at": "2025-06-02T11:30:00-05:00", "device": "JC-014-F1"},
    ).json()
    assert (step["steps"][0]["members_restored"], step["steps"][0]["device"]) == (1_000, "JC-014-F1")
    again = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": step["version"], "at": "2025-06-02T11:40:00-05:00", "device": "JC-014-F1"},
    )
    assert again.status_code == 422 and again.json()["field"] == "device"
    step = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": step["version"], "at": "2025-06-02T14:00:00-05:00", "device": "JC-014-R1"},
    ).json()
    assert step["steps"][1]["members_restored"] == 5_000 and step["members_out_now"] == 4_000
    meters = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": step["version"], "at": "2025-06-02T15:00:00-05:00", "meters": ["M00000001", "NOPE-1"]},
    )
    assert meters.status_code == 422 and meters.json()["field"] == "meters" and "NOPE-1" in meters.json()["detail"]
    closed = api(
        "POST",
        f"/api/interruptions/{record['id']}/close",
        json={"version": step["version"], "restored_at": "2025-06-02T16:15:00-05:00"},
    ).json()
    assert [s["members_restored"] for s in closed["steps"]] == [1_000, 5_000, 4_000]
    assert closed["member_minutes"] == 1_000 * 90 + 5_000 * 240 + 4_000 * 375  # D12, member by member


def test_duration_is_real_elapsed_time_across_dst(api):
    # 2024-03-10: clocks jump from 02:00 CST to 03:00 CDT; naive times are read in America/Chicago
    made = log(api, start_at="2024-03-10T01:30:00", members_out=10)
    assert made.status_code == 201, made.text
    closed = api(
        "POST",
        f"/api/interruptions/{made.json()['id']}/close",
        json={"version": made.json()["version"], "restored_at": "2024-03-10T03:30:00"},
    ).json()
    assert closed["duration_minutes"] == 60
    assert closed["start_at"] == "2024-03-10T07:30:00Z"


def test_short_interruption_is_momentary(api):
    made = log(api, members_out=50, device="JC-014-R1", restored_at="2025-06-02T10:04:59-05:00").json()
    assert (made["status"], made["kind"], made["device"]) == ("closed", "momentary", "JC-014-R1")
    exactly_five = log(
        api, members_out=50, start_at="2025-06-03T10:00:00-05:00", restored_at="2025-06-03T10:05:00-05:00"
    ).json()
    assert exactly_five["kind"] == "momentary"
    longer = log(
        api, members_out=50, start_at="2025-06-04T10:00:00-05:00", restored_at="2025-06-04T10:05:01-05:00"
    ).json()
    assert longer["kind"] == "sustained"


def test_transmission_line_record_names_the_substations_it_feeds(api):
    made = log(api, feeder=None, transmission_line="TL-001", members_out=12_000, cause="power_supply")
    assert made.status_code == 201, made.text
    assert made.json()["substation"] == "JC-S01, MF-S01"


def test_roles_decide_who_may_write(api):
    assert api("POST", "/api/interruptions", as_=None, json={}).status_code == 401
    assert api("GET", "/api/interruptions", as_=None).status_code == 401
    for role in ("executive", "registry", "admin"):
        denied = api(
            "POST",
            "/api/interruptions",
            as_=role,
            json={"feeder": "JC-014", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 5},
        )
        assert denied.status_code == 403, role
        assert "dispatcher" in denied.json()["detail"]
    assert api("GET", "/api/interruptions", as_="executive").status_code == 200
    bad = api("GET", "/api/interruptions", as_=None, headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401


def test_stale_version_is_refused_with_409(api):
    record = log(api).json()
    first = api(
        "PUT",
        f"/api/interruptions/{record['id']}/etr",
        json={"version": record["version"], "etr_at": "2025-06-02T18:00:00-05:00"},
    )
    assert first.status_code == 200
    second = api("PATCH", f"/api/interruptions/{record['id']}", json={"version": record["version"], "cause": "wind"})
    assert second.status_code == 409
    assert "reload" in second.json()["detail"]
    assert api("GET", f"/api/interruptions/{record['id']}").json()["cause"] == "vegetation"


def test_retried_create_with_same_idempotency_key_makes_one_record(api, session):
    before = counts(session)
    headers = {"Idempotency-Key": "console-7f3a-0001"}
    first = api(
        "POST",
        "/api/interruptions",
        headers=dict(headers),
        json={"feeder": "JC-015", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 20},
    )
    again = api(
        "POST",
        "/api/interruptions",
        headers=dict(headers),
        json={"feeder": "JC-015", "start_at": "2025-06-02T10:00:00-05:00", "members_out": 20},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert counts(session)[0] == before[0] + 1


def test_etr_history_and_being_assessed(api):
    record = log(api).json()
    one = api(
        "PUT",
        f"/api/interruptions/{record['id']}/etr",
        json={"version": record["version"], "etr_at": "2025-06-02T18:00:00-05:00", "note": "crew on site"},
    ).json()
    two = api("PUT", f"/api/interruptions/{record['id']}/etr", json={"version": one["version"], "etr_at": None}).json()
    assert two["etr_at"] is None
    assert [e["etr_at"] for e in two["etr_history"]] == ["2025-06-02T23:00:00Z", None]


def test_a_start_moved_past_the_etr_is_refused(api, session):
    record = log(api, etr_at="2025-06-02T12:00:00-05:00").json()
    before = counts(session)
    late = api(
        "PATCH",
        f"/api/interruptions/{record['id']}",
        json={"version": record["version"], "start_at": "2025-06-02T12:30:00-05:00"},
    )
    assert late.status_code == 422 and late.json()["field"] == "start_at" and "later ETR first" in late.json()["detail"]
    assert counts(session) == before


def test_void_keeps_the_record_and_every_change_is_audited(api):
    record = log(api).json()
    edited = api(
        "PATCH",
        f"/api/interruptions/{record['id']}",
        json={"version": record["version"], "cause": "animal", "members_out": 900},
    ).json()
    voided = api(
        "POST",
        f"/api/interruptions/{record['id']}/void",
        json={"version": edited["version"], "reason": "logged on the wrong feeder"},
    )
    assert voided.status_code == 200
    assert voided.json()["status"] == "voided" and voided.json()["voided_by"] == "dispatcher"
    trail = api("GET", f"/api/interruptions/{record['id']}/audit", as_="executive").json()
    assert [e["action"] for e in trail] == ["create", "update", "void"]
    assert trail[1]["before"]["cause"] == "vegetation" and trail[1]["after"]["cause"] == "animal"
    assert trail[1]["before"]["members_out"] == 10_000 and trail[1]["after"]["members_out"] == 900
    assert all(e["actor"] == "dispatcher" for e in trail)
    assert (
        api(
            "POST",
            f"/api/interruptions/{record['id']}/close",
            json={"version": voided.json()["version"], "restored_at": "2025-06-02T12:00:00-05:00"},
        ).status_code
        == 409
    )
    assert api("DELETE", f"/api/interruptions/{record['id']}").status_code == 405


BAD_CREATES = [
    ({"members_out": 0}, "members_out"),
    ({"members_out": -5}, "members_out"),
    ({"members_out": True}, "members_out"),
    ({"members_out": "ten"}, "members_out"),
    ({"members_out": 10_001}, "members_out"),  # JC-014 serves 10,000
    ({"device": "JC-014-F1", "members_out": 1_001}, "members_out"),  # the fuse serves 1,000
    ({"start_at": "yesterday"}, "start_at"),
    ({"start_at": "2099-01-01T00:00:00Z"}, "start_at"),
    ({"cause": "gremlins"}, "cause"),
    ({"feeder": "XX-999"}, None),
    ({"feeder": None}, "feeder"),
    ({"transmission_line": "TL-001"}, "feeder"),
    ({"device": "JC-014-R1", "feeder": "JC-015"}, "device"),
    ({"restored_at": "2025-06-02T09:00:00-05:00"}, "restored_at"),
    ({"etr_at": "2025-06-02T09:00:00-05:00"}, "etr_at"),
    ({"members_notified": True}, "members_notified"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD_CREATES)
def test_bad_create_gets_a_clear_4xx_and_changes_nothing(api, session, change, field):
    before = counts(session)
    response = log(api, **change)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert "Fix" in body["detail"] or field is None
    if field:
        assert body.get("field") == field, body
    assert counts(session) == before


def test_bad_restorations_get_a_clear_4xx_and_change_nothing(api, session):
    record = log(api, members_out=9_000).json()  # unlocated members: steps may be counts
    rid, version = record["id"], record["version"]
    cases = [
        ({"at": "2025-06-02T09:59:00-05:00", "members_restored": 10}, 422, "at"),  # before the start
        ({"at": "2025-06-02T11:00:00-05:00", "members_restored": 10_001}, 422, "members_restored"),
        ({"at": "2025-06-02T11:00:00-05:00", "members_restored": 0}, 422, "members_restored"),
        ({"at": "2099-06-02T11:00:00-05:00", "members_restored": 5}, 422, "at"),
    ]
    before = counts(session)
    for body, status, field in cases:
        response = api("POST", f"/api/interruptions/{rid}/restorations", json={"version": version} | body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["field"] == field
    assert (
        api(
            "POST",
            f"/api/interruptions/{rid}/restorations",
            json={"at": "2025-06-02T11:00:00-05:00", "members_restored": 5},
        ).status_code
        == 422
    )
    ok = api(
        "POST",
        f"/api/interruptions/{rid}/restorations",
        json={"version": version, "at": "2025-06-02T12:00:00-05:00", "members_restored": 100},
    ).json()
    out_of_order = api(
        "POST",
        f"/api/interruptions/{rid}/restorations",
        json={"version": ok["version"], "at": "2025-06-02T11:00:00-05:00", "members_restored": 1},
    )
    assert out_of_order.status_code == 422 and "order" in out_of_order.json()["detail"]
    early_close = api(
        "POST",
        f"/api/interruptions/{rid}/close",
        json={"version": ok["version"], "restored_at": "2025-06-02T11:59:00-05:00"},
    )
    assert early_close.status_code == 422
    shrink = api("PATCH", f"/api/interruptions/{rid}", json={"version": ok["version"], "members_out": 100})
    assert shrink.status_code == 422 and shrink.json()["field"] == "members_out"
    assert counts(session)[1] == before[1] + 1  # only the one good step
    assert api("GET", "/api/interruptions/999999").status_code == 404


def test_restoring_the_last_members_in_a_step_closes_the_record(api):
    record = log(api, members_out=30).json()
    done = api(
        "POST",
        f"/api/interruptions/{record['id']}/restorations",
        json={"version": record["version"], "at": "2025-06-02T10:30:00-05:00", "members_restored": 30},
    ).json()
    assert done["status"] == "closed" and done["duration_minutes"] == 30 and done["member_minutes"] == 900


def test_correcting_a_closed_record_rebalances_the_final_step(api):
    made = log(api, members_out=100, restored_at="2025-06-02T11:00:00-05:00").json()
    fixed = api("PATCH", f"/api/interruptions/{made['id']}", json={"version": made["version"], "members_out": 120})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["member_minutes"] == 120 * 60


def test_list_filters_and_pagination(api):
    for day in (1, 2, 3):
        log(api, start_at=f"2025-07-0{day}T08:00:00-05:00", members_out=10, cause="animal")
    log(api, start_at="2025-07-02T09:00:00-05:00", feeder="MF-001", members_out=10, cause="wind")
    page = api(
        "GET",
        "/api/interruptions",
        params={"start_from": "2025-07-01T00:00:00-05:00", "start_to": "2025-07-04T00:00:00-05:00", "limit": 2},
    ).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert page["items"][0]["start_at"] == "2025-07-03T13:00:00Z"
    by_sub = api("GET", "/api/interruptions", params={"substation": "MF-S01", "start_from": "2025-07-01"}).json()
    assert [i["feeder"] for i in by_sub["items"]] == ["MF-001"]
    by_cause = api(
        "GET", "/api/interruptions", params={"cause": "animal", "status": "open", "start_from": "2025-07-01"}
    ).json()
    assert by_cause["total"] == 3
    assert api("GET", "/api/interruptions", params={"limit": 0}).status_code == 422
    assert api("GET", "/api/interruptions", params={"status": "sideways"}).json()["field"] == "status"


def test_incident_groups_records(api):
    incident = api("POST", "/api/incidents", json={"title": "Storm 2 June"}).json()
    log(api, incident_id=incident["id"], members_out=100)
    log(api, incident_id=incident["id"], feeder="MF-001", members_out=200)
    got = api("GET", f"/api/incidents/{incident['id']}", as_="executive").json()
    assert got["interruptions"] == 2 and got["members_out_now"] == 300 and got["status"] == "open"
    unknown = log(api, incident_id=999_999)  # named in the body: invalid input, not a missing path (404)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "incident_id")
