"""Crews and their work (issue 14) through the HTTP API, as dispatchers use it: the roster, crews sent to
interruption records, each assignment moved dispatched → en route → on site → done, and what a crew on site
reports (ETR, damage, cause) landing on the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, select

from gis.db import utcnow
from outages.alerts import AlertEvent, AlertEventPoint
from outages.crews.models import Crew, CrewAssignment
from outages.crews.service import assignments_of
from outages.models import AuditEntry
from tests.factories import VIA_F1


def iso(t: datetime) -> str:
    return t.isoformat()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def add_crew(api, name="Line 1", **fields):
    answer = api("POST", "/api/crews", json={"name": name, "kind": "line", "on_shift": True} | fields)
    assert answer.status_code == 201, answer.text
    return answer.json()


def log_record(api, **fields):
    body = {
        "feeder": "JC-014",
        "device": "JC-014-F1",  # 1,000 members, located
        "cause": "unknown",
        "start_at": iso(utcnow() - timedelta(hours=1)),
    } | fields
    answer = api("POST", "/api/interruptions", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def assign(api, record_id: int, crew_id: int):
    return api("POST", f"/api/interruptions/{record_id}/crews", json={"crew_id": crew_id})


def move(api, assignment: dict, **fields):
    return api("PATCH", f"/api/crew-assignments/{assignment['id']}", json={"version": assignment["version"]} | fields)


def rows(sessions) -> tuple[int, int, int]:
    with sessions() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Crew, CrewAssignment, AuditEntry))


def test_the_roster_is_kept_with_clear_errors_that_write_nothing(api, sessions):
    crew = add_crew(api, phone=" (512) 555-0100 ", division="DIV-JC")
    assert (crew["name"], crew["kind"], crew["kind_label"], crew["phone"]) == (
        "Line 1",
        "line",
        "Line crew",
        "(512) 555-0100",
    )
    assert (crew["division"], crew["division_name"]) == ("DIV-JC", "Johnson City Division")
    assert (crew["on_shift"], crew["active"], crew["status"], crew["assignments"], crew["version"]) == (
        True,
        True,
        "idle",
        [],
        1,
    )
    before = rows(sessions)
    for body, field, words in (
        ({"name": "line 1", "kind": "tree"}, "name", "already on the roster"),
        ({"name": "Tree 7", "kind": "tree", "division": "DIV-XX"}, "division", "DIV-MF"),
        ({"name": "Tree 7", "kind": "tree", "division": "COM-JOHNSON-CITY"}, "division", "DIV-JC"),
        ({"name": "   ", "kind": "tree"}, "name", None),
        ({"name": "Boat 1", "kind": "boat"}, "kind", None),
        ({"name": "Tree 7", "kind": "tree", "on_shift": "yes"}, "on_shift", None),
        ({"name": "Tree 7", "kind": "tree", "colour": "red"}, "colour", None),
        ({"name": "Tree 7", "kind": "tree", "phone": "5" * 41}, "phone", None),
    ):
        answer = api("POST", "/api/crews", json=body)
        assert (answer.status_code, answer.json()["field"]) == (422, field), answer.text
        assert "Fix" in answer.json()["detail"]
        if words:
            assert words in answer.json()["detail"], answer.json()["detail"]
    assert rows(sessions) == before  # nothing written

    tree = add_crew(api, "Tree 7", kind="tree", on_shift=False)
    renamed = api("PATCH", f"/api/crews/{tree['id']}", json={"version": 1, "name": "Line 1"})
    assert (renamed.status_code, renamed.json()["field"]) == (422, "name")
    changed = api(
        "PATCH",
        f"/api/crews/{tree['id']}",
        json={"version": 1, "name": "Tree 7 North", "division": "DIV-MF", "on_shift": True, "phone": "555-0199"},
    )
    assert changed.status_code == 200, changed.text
    changed = changed.json()
    assert (changed["name"], changed["division"], changed["on_shift"], changed["status"], changed["version"]) == (
        "Tree 7 North",
        "DIV-MF",
        True,
        "idle",
        2,
    )
    stale = api("PATCH", f"/api/crews/{tree['id']}", json={"version": 1, "on_shift": False})
    assert stale.status_code == 409 and "reload" in stale.json()["detail"]
    cleared = api("PATCH", f"/api/crews/{tree['id']}", json={"version": 2, "division": None, "phone": None}).json()
    assert (cleared["division"], cleared["division_name"], cleared["phone"], cleared["name"]) == (
        None,
        None,
        None,
        "Tree 7 North",
    )
    assert api("PATCH", "/api/crews/999999", json={"version": 1, "on_shift": True}).status_code == 404

    retired = api("PATCH", f"/api/crews/{tree['id']}", json={"version": 3, "active": False}).json()
    assert retired["active"] is False
    board = api("GET", "/api/crews").json()
    assert [c["name"] for c in board["crews"]] == ["Line 1"]  # the retired crew is off the roster
    again = api("POST", "/api/crews", json={"name": "tree 7 north", "kind": "tree"})
    assert again.status_code == 422 and "retired" in again.json()["detail"]


def test_two_crews_on_a_record_walk_their_stages_with_who_and_when(api, sessions):
    record = log_record(api)
    line, tree = add_crew(api, "Line 1"), add_crew(api, "Tree 2", kind="tree", phone="555-0102")
    started = utcnow()
    first = assign(api, record["id"], line["id"])
    assert first.status_code == 201, first.text
    first = first.json()
    assert (first["crew_name"], first["crew_kind"], first["status"], first["status_label"]) == (
        "Line 1",
        "line",
        "dispatched",
        "Dispatched",
    )
    assert first["dispatched_by"] == "dispatcher" and started <= at(first["dispatched_at"]) <= utcnow()
    assert first["en_route_at"] is None and first["on_site_at"] is None and first["done_at"] is None
    second = assign(api, record["id"], tree["id"]).json()
    assert second["crew_phone"] == "555-0102"
    twice = assign(api, record["id"], line["id"])
    assert twice.status_code == 409 and "already assigned" in twice.json()["detail"]

    listed = api("GET", f"/api/interruptions/{record['id']}/crews", as_="executive").json()
    assert [(a["crew_name"], a["status"]) for a in listed] == [("Line 1", "dispatched"), ("Tree 2", "dispatched")]

    en_route = move(api, first, status="en_route")
    assert en_route.status_code == 200, en_route.text
    en_route = en_route.json()
    assert (en_route["status"], en_route["status_label"], en_route["en_route_by"]) == (
        "en_route",
        "En route",
        "dispatcher",
    )
    assert at(en_route["dispatched_at"]) <= at(en_route["en_route_at"]) <= utcnow()
    on_site = move(api, en_route, status="on_site").json()
    assert (on_site["status"], on_site["on_site_by"]) == ("on_site", "dispatcher")
    assert at(on_site["en_route_at"]) <= at(on_site["on_site_at"])
    back = move(api, on_site, status="en_route")
    assert (back.status_code, back.json()["field"]) == (422, "status")
    assert "on site" in back.json()["detail"] and "Fix" in back.json()["detail"]
    stale = move(api, en_route, status="done")
    assert stale.status_code == 409
    done = move(api, on_site, status="done").json()
    assert (done["status"], done["done_by"], done["status_label"]) == ("done", "dispatcher", "Done")
    assert at(done["on_site_at"]) <= at(done["done_at"]) <= utcnow()
    after_done = move(api, done, status="done")
    assert (after_done.status_code, after_done.json()["field"]) == (422, "status")
    assert "done" in after_done.json()["detail"]

    skipped = move(api, second, status="on_site").json()  # skipping en route is allowed
    assert skipped["status"] == "on_site" and skipped["en_route_at"] is None and skipped["en_route_by"] is None

    # done, the crew may be sent to the same record again
    assert assign(api, record["id"], line["id"]).status_code == 201
    assert api("PATCH", "/api/crew-assignments/999999", json={"version": 1}).status_code == 404


def test_a_crew_on_site_tells_the_members_once(api, sessions):
    record = log_record(api)
    crew = add_crew(api)
    assignment = assign(api, record["id"], crew["id"]).json()

    def events():
        with sessions() as s:
            return [
                (e.ref, s.scalar(select(func.count()).where(AlertEventPoint.event_id == e.id)))
                for e in s.scalars(select(AlertEvent).where(AlertEvent.interruption_id == record["id"]))
                if e.kind == "crew"
            ]

    assignment = move(api, assignment, status="en_route").json()
    assert events() == []  # en route: nothing to tell yet
    assignment = move(api, assignment, status="on_site").json()
    assert events() == [(assignment["id"], VIA_F1)]  # the members the record keeps dark
    assignment = move(api, assignment, damage="Cross-arm broken at pole 14").json()
    move(api, assignment, status="done")
    assert events() == [(assignment["id"], VIA_F1)]  # once


def test_what_the_crew_finds_on_site_lands_on_the_record(api):
    record = log_record(api)
    crew = add_crew(api, "Line 4")
    assignment = assign(api, record["id"], crew["id"]).json()
    etr = (utcnow() + timedelta(hours=3)).replace(microsecond=0)
    for field, value in (("etr_at", iso(etr)), ("damage", "Pole down"), ("cause", "vegetation")):
        early = move(api, assignment, **{field: value})
        assert (early.status_code, early.json()["field"]) == (422, field), early.text
        assert "not on site yet" in early.json()["detail"]
    unknown = move(api, assignment, status="on_site", cause="gremlins")
    assert (unknown.status_code, unknown.json()["field"]) == (422, "cause")
    assert api("GET", f"/api/interruptions/{record['id']}/crews").json()[0]["status"] == "dispatched"  # all or none

    on_site = move(api, assignment, status="on_site", etr_at=iso(etr), cause="vegetation", damage="Oak limb on line")
    assert on_site.status_code == 200, on_site.text
    on_site = on_site.json()
    assert (on_site["status"], on_site["cause"], on_site["cause_label"], on_site["damage"]) == (
        "on_site",
        "vegetation",
        "Vegetation",
        "Oak limb on line",
    )
    now = api("GET", f"/api/interruptions/{record['id']}").json()
    assert (at(now["etr_at"]), now["cause"]) == (etr, "vegetation")
    last = now["etr_history"][-1]
    assert (at(last["etr_at"]), last["set_by"], last["note"]) == (etr, "dispatcher", "from crew Line 4 on site")
    trail = api("GET", f"/api/interruptions/{record['id']}/audit").json()
    assert [a["action"] for a in trail][-2:] == ["etr", "update"]
    assert trail[-1]["before"]["cause"] == "unknown" and trail[-1]["after"]["cause"] == "vegetation"

    later = etr + timedelta(hours=1)
    moved = move(api, on_site, etr_at=iso(later)).json()  # on site already: a new estimate
    assert at(api("GET", f"/api/interruptions/{record['id']}").json()["etr_at"]) == later
    assert moved["status"] == "on_site"
    too_far = move(api, moved, etr_at=iso(utcnow() + timedelta(days=400)))
    assert (too_far.status_code, too_far.json()["field"]) == (422, "etr_at")

    # the record is closed while the crew is on site: its work there is done (audited), no ETR any more
    closed = api("GET", f"/api/interruptions/{record['id']}").json()
    answer = api(
        "POST",
        f"/api/interruptions/{record['id']}/close",
        json={"version": closed["version"], "restored_at": iso(utcnow())},
    )
    assert answer.status_code == 200, answer.text
    [done] = api("GET", f"/api/interruptions/{record['id']}/crews").json()
    assert (done["status"], done["done_by"], done["damage"]) == ("done", "dispatcher", "Oak limb on line")
    trail = api("GET", f"/api/crew-assignments/{done['id']}/audit").json()
    assert (trail[-1]["action"], trail[-1]["after"]["because"]) == ("done", "interruption closed")
    late = move(api, done, etr_at=iso(later + timedelta(hours=1)))
    assert late.status_code == 422 and late.json()["field"] == "etr_at", late.text


def test_crews_are_sent_only_to_open_records_and_only_when_on_shift(api, sessions):
    record = log_record(api)
    off = add_crew(api, "Night line", on_shift=False)
    answer = assign(api, record["id"], off["id"])
    assert (answer.status_code, answer.json()["field"]) == (422, "crew_id")
    assert answer.json()["detail"] == "Crew Night line is off shift. Fix: put it on shift in the roster first."
    unknown = assign(api, record["id"], 999_999)
    assert (unknown.status_code, unknown.json()["field"]) == (422, "crew_id")
    assert assign(api, 999_999, off["id"]).status_code == 404

    retired = add_crew(api, "Old line")
    api("PATCH", f"/api/crews/{retired['id']}", json={"version": 1, "active": False})
    answer = assign(api, record["id"], retired["id"])
    assert (answer.status_code, answer.json()["field"]) == (422, "crew_id") and "retired" in answer.json()["detail"]

    past = log_record(api, start_at=iso(utcnow() - timedelta(hours=3)), restored_at=iso(utcnow() - timedelta(hours=2)))
    crew = add_crew(api, "Line 9")
    before = rows(sessions)
    answer = assign(api, past["id"], crew["id"])
    assert answer.status_code == 409 and "closed" in answer.json()["detail"]
    assert rows(sessions) == before

    # a crew out on a record cannot be retired; once closed, moving it on (but done) is refused
    working = assign(api, record["id"], crew["id"]).json()
    crew_now = api("GET", "/api/crews").json()
    version = next(c["version"] for c in crew_now["crews"] if c["id"] == crew["id"])
    answer = api("PATCH", f"/api/crews/{crew['id']}", json={"version": version, "active": False})
    assert (answer.status_code, answer.json()["field"]) == (422, "active") and "done" in answer.json()["detail"]
    current = api("GET", f"/api/interruptions/{record['id']}").json()
    api(
        "POST",
        f"/api/interruptions/{record['id']}/close",
        json={"version": current["version"], "restored_at": iso(utcnow())},
    )
    # closed: the crew's work there is done, and the crew idle again
    [finished] = [a for a in api("GET", f"/api/interruptions/{record['id']}/crews").json() if a["id"] == working["id"]]
    assert finished["status"] == "done"
    answer = move(api, finished, status="en_route")
    assert (answer.status_code, answer.json()["field"]) == (422, "status")
    assert next(c for c in api("GET", "/api/crews").json()["crews"] if c["id"] == crew["id"])["status"] == "idle"


def test_the_board_counts_crews_out_idle_and_off_shift(api):
    first, second = log_record(api), log_record(api, device="JC-014-R1")
    out = add_crew(api, "Line 1")
    add_crew(api, "Line 2")
    add_crew(api, "Tree 3", kind="tree", on_shift=False)
    add_crew(api, "Contract 4", kind="contractor", on_shift=False)
    one = assign(api, first["id"], out["id"]).json()
    assign(api, second["id"], out["id"])  # one crew, two records
    board = api("GET", "/api/crews", as_="registry").json()
    assert (board["out"], board["idle"], board["on_shift"], board["off_shift"]) == (1, 1, 2, 2)
    status = {c["name"]: (c["status"], len(c["assignments"])) for c in board["crews"]}
    assert status == {
        "Line 1": ("out", 2),
        "Line 2": ("idle", 0),
        "Tree 3": ("off_shift", 0),
        "Contract 4": ("off_shift", 0),
    }
    kinds = {c["name"]: c["kind_label"] for c in board["crews"]}
    assert kinds["Contract 4"] == "Contractor" and kinds["Tree 3"] == "Tree crew"

    move(api, one, status="done")
    board = api("GET", "/api/crews").json()
    line1 = next(c for c in board["crews"] if c["name"] == "Line 1")
    assert line1["status"] == "out" and [a["interruption_id"] for a in line1["assignments"]] == [second["id"]]
    rest = api("GET", f"/api/interruptions/{second['id']}/crews").json()[0]
    move(api, rest, status="done")
    board = api("GET", "/api/crews").json()
    assert (board["out"], board["idle"], board["on_shift"], board["off_shift"]) == (0, 2, 2, 2)


def test_every_change_is_audited_with_its_actor(api):
    crew = add_crew(api, "Line 1", division="DIV-JC")
    api("PATCH", f"/api/crews/{crew['id']}", json={"version": 1, "on_shift": False})
    trail = api("GET", f"/api/crews/{crew['id']}/audit", as_="executive").json()
    assert [(a["action"], a["actor"]) for a in trail] == [("create", "dispatcher"), ("update", "dispatcher")]
    assert trail[0]["before"] is None and trail[0]["after"]["division"] == "DIV-JC"
    assert (trail[1]["before"]["on_shift"], trail[1]["after"]["on_shift"]) == (True, False)
    assert api("GET", "/api/crews/999999/audit").status_code == 404

    api("PATCH", f"/api/crews/{crew['id']}", json={"version": 2, "on_shift": True})
    record = log_record(api)
    assignment = assign(api, record["id"], crew["id"]).json()
    assignment = move(api, assignment, status="on_site", damage="Transformer failed").json()
    move(api, assignment, status="done")
    trail = api("GET", f"/api/crew-assignments/{assignment['id']}/audit").json()
    assert [(a["action"], a["actor"]) for a in trail] == [
        ("dispatched", "dispatcher"),
        ("on_site", "dispatcher"),
        ("done", "dispatcher"),
    ]
    assert trail[1]["before"]["status"] == "dispatched" and trail[1]["after"]["damage"] == "Transformer failed"
    assert trail[2]["after"]["done_by"] == "dispatcher" and trail[2]["after"]["done_at"]
    assert api("GET", "/api/crew-assignments/999999/audit").status_code == 404


def test_readers_read_and_only_dispatchers_write(api):
    crew = add_crew(api)
    record = log_record(api)
    assignment = assign(api, record["id"], crew["id"]).json()
    for role in ("executive", "registry", "admin"):
        assert api("GET", "/api/crews", as_=role).status_code == 200
        assert api("GET", f"/api/interruptions/{record['id']}/crews", as_=role).status_code == 200
        for method, url, body in (
            ("POST", "/api/crews", {"name": "Line 2", "kind": "line"}),
            ("PATCH", f"/api/crews/{crew['id']}", {"version": 1, "on_shift": False}),
            ("POST", f"/api/interruptions/{record['id']}/crews", {"crew_id": crew["id"]}),
            ("PATCH", f"/api/crew-assignments/{assignment['id']}", {"version": 1, "status": "done"}),
        ):
            assert api(method, url, json=body, as_=role).status_code == 403, (role, method, url)
    assert api("GET", "/api/crews", as_=None).status_code == 401
    assert api("GET", f"/api/crew-assignments/{assignment['id']}/audit", as_="executive").status_code == 200


def test_assignments_of_many_records_is_one_query(api, session, connection):
    records = [log_record(api, start_at=iso(utcnow() - timedelta(hours=1, minutes=n))) for n in range(5)]
    crews = [add_crew(api, f"Line {n}") for n in range(3)]
    for n, record in enumerate(records[:3]):
        assign(api, record["id"], crews[n]["id"])
    assign(api, records[0]["id"], crews[1]["id"])
    done = assign(api, records[1]["id"], crews[0]["id"]).json()
    move(api, done, status="done")
    session.execute(select(1))  # the session's savepoint begun before counting
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(connection, "before_cursor_execute", listen)
    try:
        found = assignments_of(session=session, interruption_ids=[r["id"] for r in records] + [999_999])
    finally:
        event.remove(connection, "before_cursor_execute", listen)
    assert len(statements) == 1, statements
    assert [len(found[r["id"]]) for r in records] == [2, 2, 1, 0, 0] and found[999_999] == []
    assert [a.crew_name for a in found[records[0]["id"]]] == ["Line 0", "Line 1"]
    assert [a.status for a in found[records[1]["id"]]] == ["dispatched", "done"]
    assert datetime.now(UTC) >= found[records[1]["id"]][1].done_at
