"""The staff pages: the dispatcher console, the executive dashboard and the facility map.

The first tests read the served HTML (any database).  The browser tests drive Debian's Chromium headless
(Playwright) against a real uvicorn server on 127.0.0.1 and a fresh SpatiaLite file with committed data,
and write a screenshot of each page to ``var/screenshots/``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.helpers import LEAFLET_JS, browser_test, login, shoot

PAGES = {"/console": "Dispatcher console", "/executive": "Executive dashboard", "/facilities-map": "Facility map"}
CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize("path", PAGES)
def test_page_is_served_with_its_title_and_nothing_external(api, path):
    response = api.client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    title = re.search(r"<title>(.*?)</title>", response.text).group(1)
    assert title.startswith(PAGES[path]), title
    assert re.findall(r"https?://", response.text) == []
    assert re.findall(r"""(?:src|href)\s*=\s*["']//""", response.text) == []  # nor protocol-relative
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert 'id="login"' in response.text  # the page holds no data: it asks for a login first


# --------------------------------------------------------------------------------------------- browser


@browser_test
def test_console_rejects_a_restoration_before_the_start_with_the_apis_message(page, live):
    login(page, live, "/console", "dispatcher")
    storm = live.storm
    row = page.wait_for_selector(f"#open tbody tr[data-id='{storm['id']}']")
    assert re.search(r"\bin \d+ min", row.query_selector(".badge.warn").inner_text())  # within 30 minutes: warned
    assert row.query_selector(".badge.bad").inner_text() == "SIG"  # 6,000 of 12,000 members for 2 h
    line = page.inner_text(f"#incidents details[data-incident='{storm['incident_id']}'] summary")
    assert re.match(
        r"Significant since \d\d:\d\d C[SD]T: 2 essential services, Johnson City Division, 6,000 members", line
    )
    assert "Pedernales Valley Hospital" in page.inner_text("#calls")  # dark, not reached yet
    row.click()
    assert page.input_value("#f-step [name=interruption]") == str(storm["id"])
    local = datetime.fromisoformat(storm["start_at"]).astimezone(CHICAGO)  # what the form's time fields mean
    before = (local - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")  # the full form of a typed time
    page.fill("#f-step [name=at]", before)
    page.fill("#f-step [name=device]", "JC-014-F1")  # the fuse below the recloser closed: its 1,000 are back
    page.press("#f-step [name=device]", "Enter")
    message = page.wait_for_selector("#f-step .err[data-for=at]:not(:empty)").inner_text()
    expected = live.http.post(
        f"/api/interruptions/{storm['id']}/restorations",
        headers={"Authorization": f"Bearer {live.tokens['dispatcher']}"},
        json={"version": storm["version"], "at": before, "device": "JC-014-F1"},
    )
    assert expected.status_code == 422 and expected.json()["field"] == "at"
    assert message == expected.json()["detail"] and "is not after the start" in message
    assert page.get_attribute("#f-step [name=at]", "aria-invalid") == "true"
    # and a good one goes through and the list follows without a reload
    page.fill("#f-step [name=at]", (local + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-step [name=device]", "")  # two meters below R1 (not below F1, whose members report later)
    page.fill("#f-step [name=meters]", "M00004001 M00004002")
    page.press("#f-step [name=meters]", "Enter")
    page.wait_for_selector(f"#open tr[data-id='{storm['id']}']:has-text('5,998')")
    assert page.inner_text("#f-step .err[data-for=at]") == ""
    # log a new one from the keyboard
    page.keyboard.press("Escape")
    page.click("h1")
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.name") == "feeder"
    page.keyboard.type("MF-001")
    page.fill("#f-log [name=members_out]", "300")
    page.select_option("#f-log [name=cause]", label="Vegetation")  # a select of labels, not a code to type
    page.focus("#f-log [name=start_at]")  # an empty start is "now"
    assert page.inner_text("#f-log .seen[id$=start_at-seen]") == "= now"
    page.press("#f-log [name=members_out]", "Enter")
    page.wait_for_selector("#open tbody tr:has-text('MF-001')")
    shoot(page, "console")


def _auth(live, role: str = "dispatcher") -> dict[str, str]:
    return {"Authorization": f"Bearer {live.tokens[role]}"}


def _member_report(live, n: int) -> httpx.Response:
    """A member's outage report without signing in, from the bill of the n-th service point of the tiny
    cooperative (tests/factories.py: JC-014 is meters 1-10,000, below fuse F1 9,001-10,000; JC-015 10,001-10,500)."""
    return live.http.post(
        "/api/members/outage-reports", json={"account_number": str(1_000_000_000 + n), "meter_number": f"M{n:08d}"}
    )


@browser_test
def test_console_confirms_a_probable_outage_from_member_reports(page, live):
    login(page, live, "/console", "dispatcher")
    assert page.wait_for_selector("#probable-empty").inner_text() == "No probable outages from member reports."
    assert "alerting" not in page.get_attribute("#probable-card", "class")
    for n in (10_101, 10_102, 10_103):  # three neighbours on JC-015 report
        response = _member_report(live, n)
        assert response.status_code == 201, response.text
    [probable] = live.http.get("/api/probable-outages", headers=_auth(live)).json()
    page.reload()  # (or wait for the next poll)
    row = page.wait_for_selector("#probable tr[data-feeder='JC-015']")
    assert page.locator("#probable tbody tr").count() == 1
    assert row.query_selector("td.reports").inner_text() == "3"
    for at in (probable["first_at"], probable["last_at"]):  # the cooperative's wall time, like the rest
        local = datetime.fromisoformat(at).astimezone(CHICAGO)
        assert local.strftime("%H:%M") in row.inner_text() and local.strftime("%Z") in row.inner_text()
        assert page.evaluate("iso => fmtTime(iso)", at) in row.inner_text()
    assert "alerting" in page.get_attribute("#probable-card", "class")
    form = "#probable tr[data-feeder='JC-015'] form"
    assert page.input_value(f"{form} [name=device]") == ""  # JC-015 has no devices: the whole feeder
    assert page.input_value(f"{form} [name=cause]") == "unknown"
    shoot(page, "console-probable-outage")
    # a device of another feeder: the API's message next to the field, and nothing is logged
    page.fill(f"{form} [name=device]", "JC-014-R1")
    page.select_option(f"{form} [name=cause]", "vegetation")
    page.press(f"{form} [name=device]", "Enter")  # Enter confirms
    message = page.wait_for_selector(f"{form} .err[data-for=device]:not(:empty)").inner_text()
    expected = live.http.post(
        "/api/probable-outages/confirm",
        headers=_auth(live),
        json={"feeder": "JC-015", "device": "JC-014-R1", "cause": "vegetation"},
    )
    assert expected.status_code == 422 and message == expected.json()["detail"] and "not on feeder JC-015" in message
    assert page.get_attribute(f"{form} [name=device]", "aria-invalid") == "true"
    page.evaluate("refresh()")  # a poll does not wipe what the dispatcher is doing
    assert page.input_value(f"{form} [name=device]") == "JC-014-R1"
    assert page.inner_text(f"{form} .err[data-for=device]") == message
    # clear the device and confirm: one action, the interruption joins the open list, the panel empties
    page.fill(f"{form} [name=device]", "")
    assert page.inner_text(f"{form} .err[data-for=device]") == ""
    page.click(f"{form} button[value=confirm]")
    page.wait_for_selector("#probable-empty")
    new = page.wait_for_selector("#open tbody tr:has-text('JC-015')")
    assert "Vegetation" in new.inner_text()  # the cause's label
    [record] = live.http.get(
        "/api/interruptions", headers=_auth(live), params={"status": "open", "feeder": "JC-015"}
    ).json()["items"]
    assert (record["cause"], record["device"], record["members_out"]) == ("vegetation", None, 3)
    assert record["notes"] == "confirmed from 3 member report(s)"
    assert datetime.fromisoformat(record["start_at"]) == datetime.fromisoformat(probable["first_at"])
    assert new.get_attribute("data-id") == str(record["id"])
    page.wait_for_selector(f"#open tbody tr.picked[data-id='{record['id']}']")  # picked for the next step
    assert page.input_value("#f-etr [name=interruption]") == str(record["id"])
    assert f"logged #{record['id']}" in page.inner_text("#status")
    assert "alerting" not in page.get_attribute("#probable-card", "class")
    assert live.http.get("/api/probable-outages", headers=_auth(live)).json() == []


@browser_test
def test_console_dismisses_a_probable_outage_from_the_keyboard(page, live):
    for n in (9_001, 9_002, 9_003):  # below fuse F1 on JC-014, where the storm on R1 is already logged
        assert _member_report(live, n).json()["status"] == "confirmed"  # so they join it: nothing probable
    for n in (1_001, 1_002, 1_003):  # JC-014 above recloser R1: not known to be out
        assert _member_report(live, n).status_code == 201
    open_before = live.http.get("/api/interruptions", headers=_auth(live), params={"status": "open"}).json()["total"]
    login(page, live, "/console", "dispatcher")
    row = page.wait_for_selector("#probable tr[data-feeder='JC-014']")
    assert row.query_selector("td.reports").inner_text() == "3"
    assert page.input_value("#probable tr[data-feeder='JC-014'] [name=device]") == ""  # no device below them
    page.wait_for_selector("#open tbody tr")
    page.click("h1")
    page.keyboard.press("p")
    assert page.evaluate("document.activeElement.name") == "device"
    page.keyboard.press("Tab")  # cause
    page.keyboard.press("Tab")  # Confirm
    page.keyboard.press("Tab")  # Dismiss
    assert page.evaluate("document.activeElement.textContent") == "Dismiss"
    page.keyboard.press("Enter")
    page.wait_for_selector("#probable-empty")
    page.wait_for_selector("#status:has-text('Dismissed 3 member report(s) on JC-014')")
    assert live.http.get("/api/probable-outages", headers=_auth(live)).json() == []
    assert (
        live.http.get("/api/interruptions", headers=_auth(live), params={"status": "open"}).json()["total"]
        == open_before
    )  # nothing logged


@browser_test
def test_console_records_calls_from_the_call_list(page, live):
    login(page, live, "/console", "dispatcher")
    incident = live.storm["incident_id"]
    rows = f"#calls tr[data-incident='{incident}']"
    hospital = f"{rows}:has-text('Pedernales Valley Hospital')"
    page.wait_for_selector(hospital)
    assert "not yet" in page.inner_text(hospital) and "0 tries" in page.inner_text(hospital)
    # no answer, with a note: the row says so and stays to be called
    page.select_option(f"{hospital} [name=outcome]", "no_answer")
    page.fill(f"{hospital} [name=notes]", "rang out, try the night desk")
    page.press(f"{hospital} [name=notes]", "Enter")
    page.wait_for_selector(f"{hospital}:has-text('1 try')")
    text = page.inner_text(hospital)
    assert "not yet" in text and "last: No answer" in text and "rang out, try the night desk" in text
    assert "Dana Ruiz" in page.inner_text(f"{hospital} .last-try")
    assert "Recorded a call to Pedernales Valley Hospital (Dana Ruiz): No answer." in page.inner_text("#status")
    assert page.input_value(f"{hospital} [name=notes]") == ""  # the form is fresh again
    assert page.input_value(f"{hospital} [name=outcome]") == ""
    # from the keyboard: A goes to the first one still to reach; reached moves the row down
    page.click("h1")
    page.keyboard.press("a")
    focused = page.evaluate("[document.activeElement.name, document.activeElement.closest('tr').innerText]")
    assert focused[0] == "outcome" and "Pedernales Valley Hospital" in focused[1]
    page.select_option(f"{hospital} [name=outcome]", "reached")
    page.focus(f"{hospital} button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{hospital}:has-text('2 tries') .badge.ok")
    names = page.locator(f"{rows} td:nth-child(2)").all_inner_texts()
    assert "Johnson City Water Plant" in names[0] and "Pedernales Valley Hospital" in names[-1]
    assert f"Incident {incident}: 1 not reached yet of 2" in page.inner_text("#calls")
    page.wait_for_function(
        "() => (document.activeElement.closest('tr') || {}).innerText"  # on to the next one
        "?.includes('Johnson City Water Plant')"
    )
    calls = live.http.get(f"/api/incidents/{incident}/call-list", headers=_auth(live)).json()
    reached = {c["entry"]["name"]: c for c in calls}["Pedernales Valley Hospital"]
    assert reached["reached"] is True
    assert [(a["outcome"], a["notes"], a["by"]) for a in reached["attempts"]] == [
        ("no_answer", "rang out, try the night desk", "dispatcher"),
        ("reached", None, "dispatcher"),
    ]
    shoot(page, "console-call-list")


@browser_test
def test_executive_dashboard_shows_plots_and_a_due_summary_report(page, live):
    login(page, live, "/executive", "executive")
    for index in ("saidi", "saifi", "caidi"):
        page.wait_for_selector(f"svg.plot[data-index={index}] rect.bar", state="attached")
    assert page.locator("svg.plot rect.bar").count() >= 3
    report = page.wait_for_selector(f"#reports tr:has-text('#{live.past['incident_id']}')")
    assert "due" in report.inner_text().split() and "Mark filed" in report.inner_text()
    page.wait_for_selector("#significant tr:has-text('JC-014')")  # the open storm is significant
    page.wait_for_selector("#failed tr:has-text('ceo@example.org')")  # SMTP was down
    page.wait_for_selector("#worst tr:has-text('JC-014')")
    # the storm left an "outage known" alert event (no member signed up and no alert worker runs here); the
    # members' alerts are evidence, one click away
    page.click("#more-alerts summary")
    alert = page.wait_for_selector(
        f"#member-alerts tr[data-event]:has-text('#{live.storm['id']} JC-014'):has-text('Outage known')"
    )  # (a step restoration in another test: 'Restored')
    assert "Member alerts (last 24 h)" in page.inner_text("#h-alerts")
    assert "Outage known" in alert.inner_text() and "not queued yet" in alert.inner_text()
    shoot(page, "executive")
    page.once("dialog", lambda d: d.accept())
    report.query_selector("button.file-report").click()
    page.wait_for_selector(f"#reports tr:has-text('#{live.past['incident_id']}') .badge.ok")
    assert page.locator("#reports .badge.ok", has_text="filed").first.is_visible()


@browser_test
@pytest.mark.parametrize(
    "path, role",
    [("/console", "executive"), ("/console", "registry"), ("/executive", "dispatcher"), ("/executive", "registry")],
)
def test_each_page_refuses_the_wrong_role(page, live, path, role):
    login(page, live, path, role)
    refusal = page.wait_for_selector("#refused:not([hidden])").inner_text()
    assert f"You are logged in as {role} ({role})" in refusal
    assert page.is_hidden("#app")
    page.click("#other-user")
    page.wait_for_selector("#login:not([hidden])")


@browser_test
@pytest.mark.parametrize("path", PAGES)
def test_a_bad_or_missing_token_gets_the_login_form(page, live, path):
    page.goto(live.base + path)
    page.wait_for_selector("#login:not([hidden])")
    page.evaluate("sessionStorage.setItem('outages.token', 'not-a-token')")
    page.reload()
    page.wait_for_selector("#login:not([hidden])")
    assert page.is_hidden("#app")


@browser_test
@pytest.mark.skipif(not LEAFLET_JS.exists(), reason="local Leaflet assets missing (make setup runs npm ci)")
def test_facility_map_draws_facilities_highlights_outages_and_finds_a_feeder(page, live):
    login(page, live, "/facilities-map", "registry")
    page.wait_for_selector("path.feeder-out", state="attached")  # JC-014 is out
    assert page.locator("path.feeder").count() == 3
    assert page.locator("path.substation").count() == 2
    assert page.locator("path.area").count() == 5
    page.wait_for_selector("path.entry-dark", state="attached")
    assert page.locator("path.entry-dark").count() == 2  # both entries sit below the open recloser
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 5
    shoot(page, "facility-map")
    page.fill("#search [name=q]", "nowhere")
    page.press("#search [name=q]", "Enter")
    assert "No feeder or substation NOWHERE" in page.inner_text("#search .err[data-for=q]")
    page.fill("#search [name=q]", "jc-014")
    page.press("#search [name=q]", "Enter")
    popup = page.wait_for_selector(".leaflet-popup-content").inner_text()
    assert "JC-014" in popup and "10,000" in popup and "out" in popup
    page.emulate_media(media="print")
    assert page.is_hidden("#search") and page.is_visible("#map")


@browser_test
@pytest.mark.skipif(not LEAFLET_JS.exists(), reason="local Leaflet assets missing (make setup runs npm ci)")
def test_facility_map_draws_a_line_out_and_the_feeders_behind_it(page, live):
    """TL-001 feeds both substations: with it out, the line is drawn out and every feeder behind it dark (not
    only the feeder of the record on JC-014), and the status line counts the feeders dark, not the records."""
    made = live.http.post(
        "/api/interruptions",
        headers=_auth(live),
        json={
            "transmission_line": "TL-001",
            "cause": "power_supply",
            "start_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    try:
        login(page, live, "/facilities-map", "registry")
        page.wait_for_selector("path.line-out", state="attached")
        assert page.locator("path.feeder-behind-line").count() == 3
        assert page.locator("path.feeder-out").count() == 3
        page.wait_for_selector("#status:has-text('3 feeders dark (TL-001 out)')")
        shoot(page, "facility-map-line-out")
    finally:
        record = made.json()
        live.http.post(
            f"/api/interruptions/{record['id']}/void",
            headers=_auth(live),
            json={"version": record["version"], "reason": "test over"},
        )


@browser_test
@pytest.mark.skipif(not LEAFLET_JS.exists(), reason="local Leaflet assets missing (make setup runs npm ci)")
def test_an_entry_on_a_facility_with_unlocated_members_out_shows_as_possibly_dark(page, live):
    """Members out on MF-001 that nobody has located: the school on it may be among them, so the console's
    call list and the facility map say "possibly dark", never plainly dark."""
    meter = 10_800  # on MF-001 (tests/factories.py: meters 10,501-12,000)
    made = live.http.post(
        "/api/registry/entries",
        headers=_auth(live, "registry"),
        json={
            "name": "Marble Falls Elementary",
            "category": "school",
            "priority_tier": 2,
            "account_number": str(1_000_000_000 + meter),
            "meter_number": f"M{meter:08d}",
            "contacts": [{"name": "Lee Park", "phone": "(830) 555-0199"}],
        },
    )
    assert made.status_code == 201, made.text
    count = live.http.post(
        "/api/interruptions",
        headers=_auth(live),
        json={
            "feeder": "MF-001",
            "cause": "vegetation",
            "members_out": 40,
            "start_at": (datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
        },
    )
    assert count.status_code == 201 and count.json()["extent"] == "part", count.text
    try:
        login(page, live, "/console", "dispatcher")
        row = page.wait_for_selector(
            f"#calls tr[data-incident='{count.json()['incident_id']}']:has-text('Marble Falls Elementary')"
        )
        assert "possibly dark" in row.inner_text()
        hospital = page.wait_for_selector("#calls tr:has-text('Pedernales Valley Hospital')")
        assert "possibly dark" not in hospital.inner_text()  # below the open recloser: dark for certain
        page.evaluate("sessionStorage.clear()")  # signed out: the registry keeper signs in next
        login(page, live, "/facilities-map", "registry")
        page.wait_for_selector("path.entry-possibly-dark", state="attached")
        assert page.locator("path.entry-possibly-dark").count() == 1
        assert page.locator("path.entry-dark").count() == 2
        page.wait_for_selector("#status:has-text('2 of 3 registry entries dark, 1 possibly')")
    finally:
        record = count.json()
        live.http.post(
            f"/api/interruptions/{record['id']}/void",
            headers=_auth(live),
            json={"version": record["version"], "reason": "test over"},
        )


def test_account_checks_never_stall_concurrent_requests(live, monkeypatch):
    """Every request re-checks its account (as each does every 30 s) while many run at once on SQLite: the
    check must not wait for the database on the event loop, which the requests holding it need to finish
    (that stalled the server for 60 s and failed them with 500)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr("dashboards.deps.ACCOUNT_CHECK_SECONDS", -1.0)
    paths = [
        "/api/interruptions?status=open",
        "/api/restoration-priorities",
        "/api/incidents/open-overview",
        "/api/console/overview",
    ] * 9

    def get(path):
        with httpx.Client(base_url=live.base, timeout=20, headers=_auth(live)) as http:
            return http.get(path).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(get, paths))
    assert codes == [200] * len(paths)
