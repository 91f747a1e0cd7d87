"""The dispatcher console that holds up in a storm (issue 14): the one overview answer
(``/api/console/overview``) and the page at 1366x768 in Debian's Chromium.

The API tests run on the test's own rolled-back transaction (any database).  The browser tests share one live
server (``live``: the storm on JC-014-R1 of tests/conftest.py) and undo what they add (records voided, crews
retired); the storm screenshots have their own server over a small generated sample (tests/helpers ``shoot``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.factories import TOTAL
from tests.helpers import (
    ENTRIES,
    LEAFLET_JS,
    PASSWORDS,
    SCREENSHOTS,
    browser_test,
    live_server,
    login,
    shoot,
    statements_per_request,
)

CHICAGO = ZoneInfo("America/Chicago")
URL = "/api/console/overview"
needs_leaflet = pytest.mark.skipif(not LEAFLET_JS.exists(), reason="local Leaflet assets missing (make setup)")


def _ago(minutes: float) -> str:
    return (datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)).isoformat()


def _log(api, **body) -> dict:
    made = api("POST", "/api/interruptions", json={"cause": "wind", "start_at": _ago(120)} | body)
    assert made.status_code == 201, made.text
    return made.json()


def _crew(api, name: str, **body) -> dict:
    made = api("POST", "/api/crews", json={"name": name, "kind": "line", "on_shift": True} | body)
    assert made.status_code == 201, made.text
    return made.json()


def _hazard(client, n: int, hazard: str = "wire_down", headers=None) -> httpx.Response:
    """A member's report naming a danger, without signing in, from the n-th service point (tests/factories.py:
    JC-014 is meters 1-10,000, below R1 4,001-10,000; JC-015 10,001-10,500; MF-001 10,501-12,000)."""
    body = {"account_number": str(1_000_000_000 + n), "meter_number": f"M{n:08d}", "hazard": hazard}
    if isinstance(client, httpx.Client):
        return client.post("/api/members/outage-reports", json=body)
    return client("POST", "/api/members/outage-reports", as_=None, json=body)


# --------------------------------------------------------------------------------------------------- API


def test_the_overview_answers_the_documented_shape(api):
    for key in ("hospital", "school"):  # both below R1: an essential service and a community-impact one
        assert api("POST", "/api/registry/entries", as_="registry", json=ENTRIES[key]).status_code == 201
    storm = _log(api, feeder="JC-014", device="JC-014-R1", members_out=6_000, etr_at=_ago(-60))
    part = _log(api, feeder="MF-001", members_out=300, start_at=_ago(20), cause="vegetation")
    crew = _crew(api, "Line 1", division="DIV-JC")
    _crew(api, "Tree 2", kind="tree", on_shift=False)
    sent = api("POST", f"/api/interruptions/{storm['id']}/crews", json={"crew_id": crew["id"]})
    assert sent.status_code == 201, sent.text
    assert _hazard(api, 9_500).status_code == 201  # below R1: joins the storm's record at once
    response = api("GET", URL, as_="executive")
    assert response.status_code == 200, response.text
    o = response.json()
    assert set(o) == {"as_of", "header", "records", "incidents", "crews", "hazards", "probable", "divisions", "map"}
    assert o["divisions"] == [
        {"code": "DIV-JC", "name": "Johnson City Division"},
        {"code": "DIV-MF", "name": "Marble Falls Division"},
    ]
    assert o["header"] == {
        "members_out_now": 6_300,
        "members_unlocated_now": 300,
        "members_served": TOTAL,
        "open_records": 2,
        "significant_incidents": 1,
        "crews_out": 1,
        "crews_idle": 0,
        "crews_on_shift": 1,
        "hazards": 1,
    }
    # in restoration priority order, the same as the queue's own endpoint
    queue = api("GET", "/api/restoration-priorities").json()
    assert [r["id"] for r in o["records"]] == [q["interruption_id"] for q in queue] == [storm["id"], part["id"]]
    assert [(r["priority"], r["priority_reason"]) for r in o["records"]] == [(q["rank"], q["reason"]) for q in queue]
    first, second = o["records"]
    assert first["priority_reason"].startswith("tier 1: Pedernales Valley Hospital (hospital)")
    assert (first["facility"], first["feeder"], first["device"], first["substation"]) == (
        "device JC-014-R1",
        "JC-014",
        "JC-014-R1",
        "JC-S01",
    )
    assert first["division"] == {"code": "DIV-JC", "name": "Johnson City Division"}
    assert (first["cause"], first["cause_label"], second["cause_label"]) == ("wind", "Wind", "Vegetation")
    assert (first["members_out_now"], second["members_out_now"], second["members_unlocated_now"]) == (6_000, 300, 300)
    assert first["significant"] and not second["significant"]
    assert (first["hazards"], second["hazards"]) == (1, 0)
    assert [(c["crew_name"], c["status"]) for c in first["crews"]] == [("Line 1", "dispatched")] and not second["crews"]
    assert second["division"]["code"] == "DIV-MF" and second["substations"] == ["MF-S01"]
    # the incident's one line and its evidence in words
    sig = next(i for i in o["incidents"] if i["incident_id"] == storm["incident_id"])
    assert sig["significant"] and sig["members_out_now"] == 6_000
    assert sig["headline"] == [
        "essential services",
        "community-impact facilities",
        "Johnson City Division",
        "6,000 members",
    ]
    labels = {c["code"]: c["label"] for c in sig["criteria"]}
    assert labels == {
        "community_impact": "Community-impact facility",
        "division:DIV-JC": "Major division: Johnson City Division",
        "essential_services": "Essential service",
        "members_20_percent": "20% of the system's members",
    }
    assert {r["entry"]["name"] for r in sig["call_list"]} == {"Pedernales Valley Hospital", "LBJ Middle School"}
    quiet = next(i for i in o["incidents"] if i["incident_id"] == part["incident_id"])
    assert (quiet["significant"], quiet["headline"], quiet["criteria"]) == (False, [], [])
    # crews, hazards, the map's extent
    assert (o["crews"]["out"], o["crews"]["off_shift"]) == (1, 1)
    [hazard] = o["hazards"]
    assert (hazard["hazard"], hazard["hazard_label"], hazard["meter"], hazard["interruption_id"]) == (
        "wire_down",
        "Wire down",
        "M00009500",
        storm["id"],
    )
    assert o["map"]["feeders_out"] == [
        {"feeder": "JC-014", "members_out_now": 6_000, "members_served": 10_000, "whole": False},
        {"feeder": "MF-001", "members_out_now": 300, "members_served": 1_500, "whole": False},
    ]
    assert o["map"]["devices_out"] == ["JC-014-R1"] and o["map"]["devices"][0]["device"] == "JC-014-R1"
    assert (o["map"]["lines_out"], o["map"]["feeders_behind_lines"]) == ([], [])
    # documented: the response model is in the OpenAPI document
    spec = api.client.get("/openapi.json").json()
    schema = spec["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ConsoleOverview"}
    assert {"header", "records", "incidents", "map"} <= set(
        spec["components"]["schemas"]["ConsoleOverview"]["required"]
    )


def test_a_line_darkens_the_feeders_behind_it_and_members_out_never_pass_what_is_served(api):
    _log(api, feeder="JC-014", members_out=10_000)
    line = _log(api, transmission_line="TL-001", start_at=_ago(30), cause="power_supply")
    o = api("GET", URL).json()
    assert (o["header"]["members_out_now"], o["header"]["members_served"]) == (TOTAL, TOTAL)  # not 22,000
    assert o["map"]["lines_out"] == ["TL-001"]
    assert o["map"]["feeders_behind_lines"] == ["JC-014", "JC-015", "MF-001"]
    assert all(f["whole"] for f in o["map"]["feeders_out"]) and len(o["map"]["feeders_out"]) == 3
    row = next(r for r in o["records"] if r["id"] == line["id"])
    assert (row["facility"], row["substation"], row["substations"]) == (
        "transmission line TL-001",
        "JC-S01, MF-S01",
        ["JC-S01", "MF-S01"],
    )
    # a line: every division its substations' feeders serve, the one with most members first
    assert [d["code"] for d in row["divisions"]] == ["DIV-JC", "DIV-MF"] and row["division"]["code"] == "DIV-JC"
    assert row["cause_label"] == "Power supply / transmission"


def test_the_map_extent_comes_from_who_is_out_not_from_typed_counts(api):
    """Meters listed: the feeder is dark only where they are; a fuse record nested in a feeder record keeps its
    members dark once the feeder record is closed."""
    listed = _log(api, feeder="MF-001", meters=[f"M{n:08d}" for n in (10_601, 10_602, 10_603)], members_out=3)
    feeder = _log(api, feeder="JC-014", members_out=10_000)
    _log(api, feeder="JC-014", device="JC-014-F1", members_out=1_000, start_at=_ago(60))
    extent = {f["feeder"]: f for f in api("GET", URL).json()["map"]["feeders_out"]}
    assert (extent["MF-001"]["members_out_now"], extent["MF-001"]["whole"]) == (3, False)
    assert (extent["JC-014"]["members_out_now"], extent["JC-014"]["whole"]) == (10_000, True)
    closed = api(
        "POST",
        f"/api/interruptions/{feeder['id']}/close",
        json={"version": feeder["version"], "restored_at": _ago(10)},
    )
    assert closed.status_code == 200, closed.text
    o = api("GET", URL).json()
    extent = {f["feeder"]: f for f in o["map"]["feeders_out"]}
    assert (extent["JC-014"]["members_out_now"], extent["JC-014"]["whole"]) == (1_000, False)
    assert o["map"]["devices_out"] == ["JC-014-F1"]
    assert o["header"]["members_out_now"] == 1_003 and listed["id"] in {r["id"] for r in o["records"]}


def test_staff_only(api):
    assert api("GET", URL, as_=None).status_code == 401
    for role in ("dispatcher", "executive", "registry", "admin"):
        assert api("GET", URL, as_=role).status_code == 200, role


def test_queries_do_not_grow_with_the_open_records(api, connection, monkeypatch):
    """One request, a fixed number of SQL statements whatever the number of records, incidents, crews on them
    and hazards (the work is shared: no query per record)."""
    count = statements_per_request(api, connection, monkeypatch, URL)

    def storm(k: int) -> None:
        for n in range(k):
            made = _log(api, feeder=("JC-014", "JC-015", "MF-001")[n % 3], members_out=10 + n, start_at=_ago(90 - n))
            crew = _crew(api, f"Crew {made['id']}")
            assert (
                api("POST", f"/api/interruptions/{made['id']}/crews", json={"crew_id": crew["id"]}).status_code == 201
            )

    storm(3)
    three = count()
    storm(6)
    assert len(api("GET", URL).json()["records"]) == 9
    assert count() == three


# ------------------------------------------------------------------------------------------------ browser


def _auth(live, role: str = "dispatcher") -> dict[str, str]:
    return {"Authorization": f"Bearer {live.tokens[role]}"}


def _call(live, method: str, url: str, role: str = "dispatcher", **kw) -> dict:
    response = live.http.request(method, url, headers=_auth(live, role), **kw)
    assert response.status_code < 300, response.text
    return response.json()


def _void(live, *records: dict) -> None:
    for r in records:
        now = _call(live, "GET", f"/api/interruptions/{r['id']}")
        if now["status"] == "open":
            _call(
                live,
                "POST",
                f"/api/interruptions/{r['id']}/void",
                json={"version": now["version"], "reason": "test over"},
            )


@pytest.fixture
def console(page, live):
    """The console at 1366x768, logged in as the dispatcher, list and map drawn."""
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, live, "/console", "dispatcher")
    page.wait_for_function("() => window.consoleDrawn === true")
    return page


def _refresh(page) -> None:
    page.evaluate("refresh()")


@browser_test
def test_log_a_record_with_the_keyboard_only(console, live):
    """N, then Tab through every field: typing the members after the start never touches the start (a text
    field, not Chromium's date-time segments); the cause is picked by typing its label."""
    page = console
    page.click("h1")
    page.keyboard.press("n")
    order = []
    typed = {
        "feeder": "MF-001",
        "cause": "Veg",  # the select jumps to the label typed
        "start_at": "-15m",
        "members_out": "300",
        "etr_at": "+2h",
        "location": "Hwy 71 at the low-water crossing",
    }
    for _ in range(13):
        name = page.evaluate("document.activeElement.name || document.activeElement.textContent")
        order.append(name)
        if name in typed:
            page.keyboard.type(typed[name])
        if name == "start_at":
            seen = page.inner_text("#f-log .seen[id$=start_at-seen]")
            expected = (datetime.now(CHICAGO) - timedelta(minutes=15)).strftime("%H:%M")
            assert seen.startswith("= ") and expected in seen and re.search(r"C[SD]T$", seen), seen
        if name == "Log interruption":
            break
        page.keyboard.press("Tab")
    assert order == [
        "feeder",
        "device",
        "transmission_line",
        "cause",
        "start_at",
        "members_out",
        "meters",
        "etr_at",
        "incident_id",
        "location",
        "scheduled",
        "members_notified",
        "Log interruption",
    ]
    assert page.evaluate("document.querySelector('#f-log [name=cause]').selectedOptions[0].textContent") == "Vegetation"
    assert page.input_value("#f-log [name=start_at]") == "-15m"  # the members typed after it left it alone
    sent = datetime.now(UTC)
    page.keyboard.press("Enter")
    page.wait_for_selector("#status:has-text('Logged #')")
    record_id = int(re.search(r"Logged #(\d+)", page.inner_text("#status")).group(1))
    record = _call(live, "GET", f"/api/interruptions/{record_id}")
    try:
        start = datetime.fromisoformat(record["start_at"])
        assert abs((sent - timedelta(minutes=15)) - start) <= timedelta(minutes=1), start
        assert abs((sent + timedelta(hours=2)) - datetime.fromisoformat(record["etr_at"])) <= timedelta(minutes=1)
        assert (record["feeder"], record["cause"], record["members_out"], record["location"]) == (
            "MF-001",
            "vegetation",
            300,
            "Hwy 71 at the low-water crossing",
        )
        row = page.wait_for_selector(f"#open tbody tr[data-id='{record_id}']")
        assert "Vegetation" in row.inner_text() and "picked" in row.get_attribute("class")
        assert page.input_value("#f-log [name=start_at]") == ""  # the form is fresh again
    finally:
        _void(live, record)


@browser_test
def test_messages_name_the_field_and_say_times_in_local_time(console, live):
    page = console
    form = "#f-log"
    page.fill(f"{form} [name=feeder]", "MF-001")
    page.fill(f"{form} [name=start_at]", "-15m")
    page.fill(f"{form} [name=etr_at]", "-30m")  # before the start
    page.press(f"{form} [name=etr_at]", "Enter")
    message = page.wait_for_selector(f"{form} .err[data-for=etr_at]:not(:empty)").inner_text()
    start = (datetime.now(CHICAGO) - timedelta(minutes=15)).strftime("%H:%M")
    etr = (datetime.now(CHICAGO) - timedelta(minutes=30)).strftime("%H:%M")
    assert message.startswith("ETR ") and "is not after the start" in message and "Fix:" in message
    assert start in message and etr in message and re.search(r"\d\d:\d\d C[SD]T", message), message
    assert "+00:00" not in message and not re.search(r"\d{4}-\d{2}-\d{2}T", message)  # local, not ISO/UTC
    assert page.get_attribute(f"{form} [name=etr_at]", "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.name") == "etr_at"
    # a time it cannot read: the message names the field's label
    page.fill(f"{form} [name=etr_at]", "")
    page.fill(f"{form} [name=start_at]", "25:99")
    assert page.inner_text(f"{form} .seen[id$=start_at-seen]").startswith("= ?")
    page.press(f"{form} [name=start_at]", "Enter")
    message = page.wait_for_selector(f"{form} .err[data-for=start_at]:not(:empty)").inner_text()
    assert message.startswith('Start: "25:99" is not a time') and "Fix: type a time such as 14:05" in message
    # the API's own message, next to the field it names
    page.fill(f"{form} [name=start_at]", "-15m")
    page.fill(f"{form} [name=members_out]", "99999")
    page.press(f"{form} [name=members_out]", "Enter")
    message = page.wait_for_selector(f"{form} .err[data-for=members_out]:not(:empty)").inner_text()
    expected = live.http.post(
        "/api/interruptions",
        headers=_auth(live),
        json={"feeder": "MF-001", "cause": "unknown", "start_at": _ago(15), "members_out": 99_999},
    )
    assert expected.status_code == 422 and expected.json()["field"] == "members_out"
    assert message == expected.json()["detail"]
    assert _call(live, "GET", "/api/interruptions", params={"status": "open", "feeder": "MF-001"})["total"] == 0


@browser_test
def test_assign_a_crew_from_the_row_and_move_it_to_on_site(console, live):
    page = console
    record = _call(
        live, "POST", "/api/interruptions", json={"feeder": "MF-001", "cause": "unknown", "start_at": _ago(40)}
    )
    # a crew added from the crews panel (the roster's small form), on shift, home division by name
    page.wait_for_selector("#f-crew [name=division] option[value='DIV-MF']", state="attached")
    page.fill("#f-crew [name=name]", "Line 7")
    page.fill("#f-crew [name=phone]", "830-555-0107")
    page.select_option("#f-crew [name=division]", label="Marble Falls Division")
    page.press("#f-crew [name=phone]", "Enter")
    page.wait_for_selector("#status:has-text('Line 7 (line crew) added to the roster, on shift.')")
    crew = next(c for c in _call(live, "GET", "/api/crews")["crews"] if c["name"] == "Line 7")
    assert (crew["kind"], crew["division"], crew["on_shift"], crew["status"]) == ("line", "DIV-MF", True, "idle")
    try:
        page.wait_for_selector(f"#crews tr[data-crew='{crew['id']}']:has-text('idle')")
        _refresh(page)
        row = f"#open tbody tr[data-id='{record['id']}']"
        page.click(f"{row} button[data-assign]")
        page.wait_for_selector("#d-assign[open]")
        assert "Line 7" in page.inner_text("#d-assign optgroup[label='Idle, on shift']")
        page.select_option("#f-assign [name=crew_id]", str(crew["id"]))
        page.click("#f-assign button[type=submit]")
        chip = f"{row} button.chip[data-assignment]"
        page.wait_for_selector(f"{chip}:has-text('Line 7 · dispatched')")
        [a] = _call(live, "GET", f"/api/interruptions/{record['id']}/crews")
        assert (a["crew_name"], a["status"]) == ("Line 7", "dispatched")
        page.click(chip)
        page.wait_for_selector(f"{chip}:has-text('en route')")
        assert _call(live, "GET", f"/api/interruptions/{record['id']}/crews")[0]["status"] == "en_route"
        page.click(chip)
        page.wait_for_selector(f"{chip}:has-text('on site')")
        [a] = _call(live, "GET", f"/api/interruptions/{record['id']}/crews")
        assert a["status"] == "on_site" and a["on_site_by"] == "dispatcher"
        assert "Line 7" in page.inner_text(f"#crews tr[data-crew='{crew['id']}']")
        # on site: the crew's ETR, the damage and the cause found, in one small dialog
        page.click(chip)
        page.wait_for_selector("#d-onsite[open]")
        page.keyboard.type("+3h")
        page.fill("#f-onsite [name=damage]", "broken crossarm at pole 14")
        page.select_option("#f-onsite [name=cause]", label="Vegetation")
        page.click("#f-onsite button[value=save]")
        page.wait_for_selector("#d-onsite", state="hidden")
        page.wait_for_selector(f"{row}:has-text('Vegetation')")
        [a] = _call(live, "GET", f"/api/interruptions/{record['id']}/crews")
        assert (a["damage"], a["cause"]) == ("broken crossarm at pole 14", "vegetation")
        now = _call(live, "GET", f"/api/interruptions/{record['id']}")
        etr = datetime.fromisoformat(now["etr_at"])
        assert (
            abs(etr - (datetime.now(UTC) + timedelta(hours=3))) <= timedelta(minutes=2) and now["cause"] == "vegetation"
        )
    finally:
        for a in _call(live, "GET", f"/api/interruptions/{record['id']}/crews"):
            if a["status"] != "done":
                _call(
                    live, "PATCH", f"/api/crew-assignments/{a['id']}", json={"version": a["version"], "status": "done"}
                )
        _void(live, record)
        mine = next(c for c in _call(live, "GET", "/api/crews")["crews"] if c["id"] == crew["id"])
        _call(
            live,
            "PATCH",
            f"/api/crews/{crew['id']}",
            json={"version": mine["version"], "active": False, "on_shift": False},
        )


@browser_test
def test_filter_by_division(console, live):
    page = console
    mf = _call(
        live, "POST", "/api/interruptions", json={"feeder": "MF-001", "cause": "lightning", "start_at": _ago(50)}
    )
    try:
        _refresh(page)
        page.wait_for_selector(f"#open tbody tr[data-id='{mf['id']}']")
        everyone = page.locator("#open tbody tr").count()
        assert everyone >= 2  # the storm on JC-014-R1 too
        page.select_option("#filters [name=division]", "DIV-MF")
        ids = [int(i) for i in page.eval_on_selector_all("#open tbody tr", "rows => rows.map(r => r.dataset.id)")]
        o = _call(live, "GET", URL)
        assert ids == [r["id"] for r in o["records"] if "DIV-MF" in [d["code"] for d in r["divisions"]]] == [mf["id"]]
        assert f"1 of {everyone} shown" in page.inner_text("#shown")
        page.select_option("#filters [name=division]", "DIV-JC")
        ids = [int(i) for i in page.eval_on_selector_all("#open tbody tr", "rows => rows.map(r => r.dataset.id)")]
        assert live.storm["id"] in ids and mf["id"] not in ids
        page.select_option("#filters [name=division]", "")
        assert page.locator("#open tbody tr").count() == everyone
        # sorted by members out now, most first; by time out, longest first
        page.select_option("#filters [name=sort]", "members")
        ids = [int(i) for i in page.eval_on_selector_all("#open tbody tr", "rows => rows.map(r => r.dataset.id)")]
        out = {r["id"]: r["members_out_now"] for r in o["records"]}
        assert [out[i] for i in ids] == sorted(out.values(), reverse=True)
        page.select_option("#filters [name=sort]", "time")
        ids = [int(i) for i in page.eval_on_selector_all("#open tbody tr", "rows => rows.map(r => r.dataset.id)")]
        start = {r["id"]: r["start_at"] for r in o["records"]}
        assert [start[i] for i in ids] == sorted(start.values())
        page.select_option("#filters [name=status]", "assessing")  # no ETR yet: the MF-001 record, not the storm
        ids = [int(i) for i in page.eval_on_selector_all("#open tbody tr", "rows => rows.map(r => r.dataset.id)")]
        assert mf["id"] in ids and live.storm["id"] not in ids
    finally:
        _void(live, mf)


@browser_test
@needs_leaflet
def test_a_transmission_line_outage_draws_the_line_and_the_feeders_behind_it(console, live):
    page = console
    assert page.locator("path.feeder").count() == 3 and page.locator("path.line-out").count() == 0
    line = _call(
        live,
        "POST",
        "/api/interruptions",
        json={"transmission_line": "TL-001", "cause": "power_supply", "start_at": _ago(25)},
    )
    try:
        _refresh(page)
        page.wait_for_selector("path.line-out", state="attached")
        assert page.locator("path.line-out").count() == 1
        behind = page.locator("path.feeder-behind-line")
        assert behind.count() == 3  # TL-001 feeds both substations: every feeder is dark
        assert {behind.nth(k).get_attribute("stroke") for k in range(3)} == {"#7f0000"}
        assert page.get_attribute("path.line-out", "stroke") == "#d500f9"
        row = page.wait_for_selector(f"#open tbody tr[data-id='{line['id']}']")
        assert "TL-001" in row.inner_text()
        assert page.inner_text("#fig-out") == f"{TOTAL:,}"  # every member, once
        row.click()  # zooms to the line
        page.wait_for_timeout(400)
        shoot(page, "console-line-outage")
    finally:
        _void(live, line)
    _refresh(page)
    page.wait_for_function("() => document.querySelectorAll('path.line-out').length === 0")
    assert page.locator("path.feeder-behind-line").count() == 0


@browser_test
@needs_leaflet
def test_a_feeder_clicked_on_the_map_goes_in_the_log_form(console, live):
    page = console
    page.fill("#f-log [name=transmission_line]", "TL-001")
    page.dispatch_event("path.feeder[data-feeder='JC-015']", "click")
    assert page.input_value("#f-log [name=feeder]") == "JC-015"
    assert page.input_value("#f-log [name=transmission_line]") == ""  # one facility at a time
    assert "Feeder JC-015 is in the log form" in page.inner_text("#status")
    page.dispatch_event("path.device-out[data-device='JC-014-R1']", "click")  # the storm's recloser, open
    assert (page.input_value("#f-log [name=feeder]"), page.input_value("#f-log [name=device]")) == (
        "JC-014",
        "JC-014-R1",
    )
    page.dispatch_event("path.line[data-line='TL-001']", "click")
    assert (
        page.input_value("#f-log [name=transmission_line]") == "TL-001"
        and page.input_value("#f-log [name=feeder]") == ""
    )


@browser_test
def test_a_wire_down_report_comes_first_with_its_mark(console, live):
    """A member reports a wire down on JC-015, out as a whole: its record goes to the top of the list with the
    mark, although the restoration queue puts the storm on JC-014-R1 first; the card above the list says where
    and when (local time) until a dispatcher marks it made safe."""
    page = console
    low = _call(live, "POST", "/api/interruptions", json={"feeder": "JC-015", "cause": "unknown", "start_at": _ago(5)})
    try:
        _refresh(page)
        assert page.eval_on_selector("#open tbody tr", "r => +r.dataset.id") == live.storm["id"]
        assert page.is_hidden("#hazards")
        report = _hazard(live.http, 10_200)  # on JC-015
        assert report.status_code == 201 and report.json()["status"] == "confirmed", report.text
        _refresh(page)
        card = page.wait_for_selector("#hazards:not([hidden]) li.hazard-item")
        text = card.inner_text()
        [hazard] = _call(live, "GET", "/api/hazards")
        local = datetime.fromisoformat(hazard["created_at"]).astimezone(CHICAGO)
        assert "⚠" in text and "Wire down" in text and "JC-015" in text and "M00010200" in text
        assert local.strftime("%H:%M") in text and local.strftime("%Z") in text and f"#{low['id']}" in text
        assert "alarm" in page.get_attribute("#fig-hazards-box", "class").split()
        top = page.wait_for_selector("#open tbody tr")
        assert int(top.get_attribute("data-id")) == low["id"]
        assert "hazard" in top.get_attribute("class").split() and top.query_selector("td.mark .hz").inner_text() == "⚠"
        assert _call(live, "GET", "/api/restoration-priorities")[0]["interruption_id"] == live.storm["id"]
        shoot(page, "console-hazard-first")
        page.click("#hazards button[data-clear]")
        page.wait_for_selector("#hazards", state="hidden")
        assert _call(live, "GET", "/api/hazards") == []
        assert "made safe" in page.inner_text("#status")
        assert page.eval_on_selector("#open tbody tr", "r => +r.dataset.id") == live.storm["id"]
    finally:
        _void(live, low)


# ------------------------------------------------------------------------------------- storm screenshots


@pytest.fixture(scope="module")
def storm(tmp_path_factory):
    """A live server over a small generated sample (about 25,000 members, 42 feeders, 11 substations) in a
    storm: three dozen open records (whole feeders, devices, parts, a transmission line), a dozen crews in
    every stage and two hazards reported by members."""
    from datetime import date

    from sqlalchemy import select

    from dashboards.migrate import seed_reference_data, upgrade
    from dashboards.users import create_user
    from gis.db import make_engine
    from gis.files import read_facilities
    from gis.models import Device, Feeder, ServicePoint, TransmissionLine
    from gis.service import import_facilities
    from outages.settings import get_rule_settings
    from registry.spreadsheet import import_registry
    from sample_data.generate import generate
    from sample_data.registry import generate_registry

    folder = tmp_path_factory.mktemp("storm")
    generate(folder, seed=2026, scale=0.1)
    generate_registry(folder / "facilities.gpkg", folder / "registry.xlsx", seed=2026, today=date.today())
    url = f"sqlite:///{folder / 'storm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_reference_data(session)
        import_facilities(session=session, layers=read_facilities(folder / "facilities.gpkg"))
        for role, password in PASSWORDS.items():
            create_user(session=session, username=role, password=password, role=role)
        import_registry(
            session=session,
            data=(folder / "registry.xlsx").read_bytes(),
            filename="registry.xlsx",
            actor="test",
            zone=get_rule_settings().zone,
        )
    with Session(engine) as session:
        feeders = session.scalars(select(Feeder.code).order_by(Feeder.code)).all()
        devices = session.execute(select(Device.code, Feeder.code).join(Device.feeder).order_by(Device.code)).all()
        line = session.scalar(select(TransmissionLine.code).order_by(TransmissionLine.code.desc()).limit(1))
        meters = session.execute(
            select(ServicePoint.account_number, ServicePoint.meter_number, Feeder.code)
            .join(Feeder, Feeder.id == ServicePoint.feeder_id)
            .order_by(ServicePoint.id)
        ).all()
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post("/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]})
        http.headers["Authorization"] = "Bearer " + token.json()["access_token"]

        def post(path, body):
            response = http.post(path, json=body)
            assert response.status_code < 300, (path, body, response.text)
            return response.json()

        causes = ["wind", "lightning", "vegetation", "unknown", "equipment_failure", "animal"]
        made = [post("/api/interruptions", {"transmission_line": line, "cause": "power_supply", "start_at": _ago(70)})]
        for k, feeder in enumerate(feeders[:14]):
            body = {"feeder": feeder, "cause": causes[k % 6], "start_at": _ago(20 + 11 * k)}
            if k % 3 == 1:
                body["members_out"] = 40 + 7 * k  # part of the feeder, nobody located yet
            if k % 2 == 0:
                body["etr_at"] = _ago(-30 - 25 * (k % 5)) if k % 4 else _ago(5)
            made.append(post("/api/interruptions", body))
        for k, (device, feeder) in enumerate(devices[::4][:22]):
            body = {"feeder": feeder, "device": device, "cause": causes[k % 6], "start_at": _ago(15 + 9 * k)}
            if k % 3 == 0:
                body["etr_at"] = _ago(-45 - 10 * k)
            if k % 5 == 0 and made:
                body["incident_id"] = made[1 + k % 5]["incident_id"]
            made.append(post("/api/interruptions", body))
        kinds = ["line", "tree", "service", "contractor"]
        crews = [
            post(
                "/api/crews",
                {
                    "name": f"{kinds[k % 4].capitalize()} {k + 1}",
                    "kind": kinds[k % 4],
                    "phone": f"830-555-01{k:02d}",
                    "on_shift": k < 9,
                },
            )
            for k in range(12)
        ]
        for k, crew in enumerate(crews[:6]):
            a = post(f"/api/interruptions/{made[k * 3]['id']}/crews", {"crew_id": crew["id"]})
            for stage in ("en_route", "on_site")[: k % 3]:
                a = http.patch(
                    f"/api/crew-assignments/{a['id']}", json={"version": a["version"], "status": stage}
                ).json()
        dark = [(acct, meter) for acct, meter, feeder in meters if feeder == feeders[0]]
        for (acct, meter), hazard in zip(dark[5:7], ("wire_down", "tree_on_line")):
            r = http.post(
                "/api/members/outage-reports", json={"account_number": acct, "meter_number": meter, "hazard": hazard}
            )
            assert r.status_code in (200, 201), r.text
        yield SimpleNamespace(base=base, records=len(made), crews=len(crews))
    engine.dispose()


@browser_test
@needs_leaflet
def test_storm_console_screenshots_at_both_sizes(browser, storm):
    """The storm console at 1366x768 and 1920x1080 (written beside the others and looked at): the list and the
    map both above the fold, hazards first."""
    token = httpx.post(
        f"{storm.base}/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
    ).json()["access_token"]
    for width, height in ((1366, 768), (1920, 1080)):
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="America/Chicago")
        context.add_init_script(f"sessionStorage.setItem('outages.token', {token!r})")
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(storm.base + "/console")
        page.wait_for_function("() => window.consoleDrawn === true", timeout=20_000)
        page.wait_for_timeout(300)
        assert page.locator("#open tbody tr").count() == storm.records
        assert page.locator("path.feeder-out").count() > 0 and page.locator("path.line-out").count() == 1
        for box in (page.locator(".desk > .list").bounding_box(), page.locator("#map").bounding_box()):
            assert box["y"] + 200 < height and box["height"] >= 300, box  # both above the fold
        assert page.locator("#map").bounding_box()["x"] > page.locator(".desk > .list").bounding_box()["x"]
        top = page.locator("#open tbody tr").first
        assert "hazard" in (top.get_attribute("class") or "")
        shoot(page, f"console-storm-{width}x{height}")  # the whole page
        page.screenshot(path=str(SCREENSHOTS / f"console-storm-{width}x{height}-fold.png"))  # what one sees first
        assert errors == []
        context.close()
