"""Public status from facts (issue 14, domain D17): the public map, a member's page and the alerts say
*reported*, *crew assigned*, *crew on site* or *restored* only when the log's records and their crew
assignments say so; the ETR apart ("being assessed" without one).  Through the real API and the map's JSON,
crews sent and moved through the crews' API, the alerts to a real SMTP
server on 127.0.0.1, and the map in Debian's Chromium against a uvicorn server of its own."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.db import make_engine, utcnow
from outages.crews.models import Crew, CrewAssignment
from outages.members.texts import ALERTS
from outages.models import Interruption
from tests.factories import ANA, BO, DI
from tests.helpers import (
    PASSWORDS,
    active_member,
    body,
    browser_test,
    deliver,
    live_server,
    load_test_cooperative,
    log_on_map,
    log_outage,
    map_figures,
    minutes_ago,
    shoot,
    to,
    whole_second_now,
)

COUNTY, COMMUNITY = "CTY-BLANCO", "COM-JOHNSON-CITY"


def _ahead(hours: float) -> str:
    return (whole_second_now() + timedelta(hours=hours)).isoformat()


def _areas(api) -> dict[str, dict]:
    return {a["code"]: a for a in map_figures(api)["areas"]}


def _crew(api, name: str = "Line 1") -> dict:
    made = api("POST", "/api/crews", json={"name": name, "kind": "line", "on_shift": True})
    assert made.status_code == 201, made.text
    return made.json()


def _assign(api, record_id: int, crew: dict, status: str = "dispatched") -> dict:
    """A crew sent to a record through the crews' API (and moved on to ``status``)."""
    sent = api("POST", f"/api/interruptions/{record_id}/crews", json={"crew_id": crew["id"]})
    assert sent.status_code == 201, sent.text
    assignment = sent.json()
    return assignment if status == "dispatched" else _move(api, assignment, status)


def _move(api, assignment: dict, status: str) -> dict:
    moved = api(
        "PATCH", f"/api/crew-assignments/{assignment['id']}", json={"version": assignment["version"], "status": status}
    )
    assert moved.status_code == 200, moved.text
    return moved.json()


def _mine(api, headers) -> dict:
    response = api("GET", "/api/members/me", as_=None, headers=dict(headers))
    assert response.status_code == 200, response.text
    return response.json()["service_points"][0]


def test_area_status_comes_from_the_crews_on_record_never_from_the_etr(public, mail):
    api = public
    di = active_member(api, mail, email="di@example.org", point=DI)  # on JC-015: in the county and the community
    etr = _ahead(3)
    west = log_on_map(api, feeder="JC-015", cause="vegetation", start_at=minutes_ago(40), members_out=500, etr_at=etr)

    # an ETR but nobody assigned: reported, with the ETR (never "crew assigned" without an assignment)
    areas = _areas(api)
    for code in (COUNTY, COMMUNITY):
        assert areas[code]["status"] == "reported", code
        assert datetime.fromisoformat(areas[code]["etr"]) == datetime.fromisoformat(etr)
    mine = _mine(api, di)
    assert (mine["status"], mine["outage_status"]) == ("out", "reported")
    assert datetime.fromisoformat(mine["etr_at"]) == datetime.fromisoformat(etr)

    # a crew dispatched, then en route: crew assigned; on site: crew on site (the map's cache follows each move)
    assignment = _assign(api, west["id"], _crew(api))
    assert {_areas(api)[code]["status"] for code in (COUNTY, COMMUNITY)} == {"crew_assigned"}
    assert _mine(api, di)["outage_status"] == "crew_assigned"
    assignment = _move(api, assignment, "en_route")
    assert _areas(api)[COMMUNITY]["status"] == "crew_assigned"
    assignment = _move(api, assignment, "on_site")
    areas = _areas(api)
    assert {areas[code]["status"] for code in (COUNTY, COMMUNITY)} == {"crew_on_site"}
    assert datetime.fromisoformat(areas[COMMUNITY]["last_updated"]) >= datetime.fromisoformat(
        areas[COMMUNITY]["out_since"]
    )
    assert _mine(api, di)["outage_status"] == "crew_on_site"

    # a second record in the county nobody is assigned to, without an ETR: the county is back to reported and
    # being assessed (its members are never told a crew is there); the community (only JC-015's) keeps its crew
    east = log_on_map(
        api, feeder="JC-014", device="JC-014-R1", cause="wind", start_at=minutes_ago(20), members_out=6_000
    )
    areas = _areas(api)
    assert (areas[COUNTY]["status"], areas[COUNTY]["etr"]) == ("reported", None)
    assert areas[COMMUNITY]["status"] == "crew_on_site"
    assert datetime.fromisoformat(areas[COMMUNITY]["etr"]) == datetime.fromisoformat(etr)

    # the crew is done but the record stays open: nobody is on it any more
    _move(api, assignment, "done")
    assert _areas(api)[COMMUNITY]["status"] == "reported"
    assert _mine(api, di)["outage_status"] == "reported"

    # closing: restored where nothing is open any more
    current = api("GET", f"/api/interruptions/{west['id']}").json()
    closed = api(
        "POST",
        f"/api/interruptions/{west['id']}/close",
        json={"version": current["version"], "restored_at": minutes_ago(1)},
    )
    assert closed.status_code == 200, closed.text
    areas = _areas(api)
    assert (areas[COMMUNITY]["status"], areas[COMMUNITY]["etr"]) == ("restored", None)
    assert areas[COUNTY]["status"] == "reported"
    mine = _mine(api, di)
    assert (mine["status"], mine["outage_status"], mine["etr_at"]) == ("on", None, None)
    current = api("GET", f"/api/interruptions/{east['id']}").json()
    assert (
        api(
            "POST",
            f"/api/interruptions/{east['id']}/close",
            json={"version": current["version"], "restored_at": minutes_ago(0.5)},
        ).status_code
        == 200
    )
    assert _areas(api)[COUNTY]["status"] == "restored"


def test_a_member_dark_from_two_records_is_told_the_least_advanced(public, mail):
    api = public
    bo = active_member(api, mail, email="bo@example.org", point=BO)  # below fuse F1, so below recloser R1 too
    recloser = log_on_map(
        api,
        feeder="JC-014",
        device="JC-014-R1",
        cause="wind",
        start_at=minutes_ago(30),
        members_out=6_000,
        etr_at=_ahead(2),
    )
    fuse = log_on_map(
        api, feeder="JC-014", device="JC-014-F1", cause="animal", start_at=minutes_ago(20), members_out=1_000
    )
    _assign(api, recloser["id"], _crew(api), "on_site")
    mine = _mine(api, bo)
    # the recloser's crew is on site, nobody is on the fuse; the fuse has no ETR
    assert (mine["status"], mine["outage_status"], mine["etr_at"]) == ("out", "reported", None)
    _assign(api, fuse["id"], _crew(api, "Line 2"), "on_site")
    assert _mine(api, bo)["outage_status"] == "crew_on_site"
    assert _areas(api)[COUNTY]["status"] == "crew_on_site"


def test_the_words_in_english_and_spanish(api):
    page = api("GET", "/map", as_=None).text
    for words in ("Crew on site", "Cuadrilla en el lugar", "Crew assigned", "Cuadrilla asignada", "Reportado"):
        assert words in page, words
    assert "A crew is working there now." in page  # the legend says what each status means
    members = api.client.get("/members").text
    for words in ("Crew on site", "Cuadrilla en el lugar", "Estado del apagón"):
        assert words in members, words


def test_the_figures_change_when_a_crew_moves_even_if_the_log_does_not(app, api, sessions):
    from dashboards.public_site import PublicSite
    from outages.public_map import PublicMapSettings

    settings = PublicMapSettings(check_seconds=0, max_age_seconds=3600)
    app.state.public_map_settings = settings
    app.state.public_site = PublicSite(app.state.readers, settings=settings)
    cache = app.state.public_site.cache
    try:
        west = log_on_map(api, feeder="JC-015", cause="wind", start_at=minutes_ago(10), members_out=500)
        assert _areas(api)[COMMUNITY]["status"] == "reported"
        computed = cache.recomputations
        map_figures(api)
        assert cache.recomputations == computed  # nothing moved: served as computed
        assignment = _assign(api, west["id"], _crew(api))
        assert _areas(api)[COMMUNITY]["status"] == "crew_assigned"
        assert cache.recomputations == computed + 1
        _move(api, assignment, "on_site")
        assert _areas(api)[COMMUNITY]["status"] == "crew_on_site"
        assert cache.recomputations == computed + 2
    finally:
        app.state.public_map_settings = app.state.public_site = None


def test_a_crew_on_site_alert_reaches_only_members_who_chose_it(api, mail, sessions):
    ana = active_member(api, mail, email="ana@example.org", point=ANA)
    bo = active_member(api, mail, email="bo@example.org", point=BO)
    es = active_member(
        api, mail, email="eva@example.org", point={"account_number": "1000006000", "meter_number": "M00006000"}
    )
    api("PATCH", "/api/members/me", as_=None, headers=es, json={"language": "es"})
    kinds = {"outage": True, "etr": True, "restored": True, "planned": True}
    for who, meter in ((ana, ANA["meter_number"]), (es, "M00006000")):
        chosen = api(
            "PUT", f"/api/members/me/service-points/{meter}/alerts", as_=None, headers=who, json=kinds | {"crew": True}
        )
        assert chosen.status_code == 200 and chosen.json()["alerts"]["crew"] is True, chosen.text
    # a client that knows only the first four kinds keeps the member's crew choice
    old = api("PUT", f"/api/members/me/service-points/{ANA['meter_number']}/alerts", as_=None, headers=ana, json=kinds)
    assert old.status_code == 200 and old.json()["alerts"]["crew"] is True
    assert _mine(api, bo)["alerts"]["crew"] is False  # optional: off unless chosen
    mail.messages.clear()

    record = log_outage(api)  # JC-014 below R1: all three are out
    deliver(sessions, mail)
    assert len(mail.messages) == 3  # the outage, to each of them
    mail.messages.clear()

    # a crew reaches the site: the crews' service leaves a 'crew' event for the members kept dark
    _assign(api, record["id"], _crew(api), "on_site")
    assert deliver(sessions, mail)["sent"] == 2
    (ana_crew,), (eva_crew,) = to(mail, "ana@example.org"), to(mail, "eva@example.org")
    assert to(mail, "bo@example.org") == []  # did not choose it
    assert ana_crew["Subject"] == "Crew on site at meter M00005000"
    assert "A crew is on site at the outage affecting your service at meter M00005000." in body(ana_crew)
    assert eva_crew["Subject"] == "Cuadrilla en el lugar en el medidor M00006000"
    assert ALERTS["es"]["crew"][1].format(the_meters="el medidor M00006000") in body(eva_crew)
    assert "/members/unsubscribe?key=" in body(eva_crew)
    assert deliver(sessions, mail)["sent"] == 0  # once


# --- in a real browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def status_server(tmp_path_factory, facility_file):
    """A uvicorn server on 127.0.0.1 over a SpatiaLite file of its own, and a way to write rows to it."""
    url = f"sqlite:///{tmp_path_factory.mktemp('status') / 'status.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        ).json()["access_token"]
        yield SimpleNamespace(base=base, http=http, engine=engine, auth={"Authorization": f"Bearer {token}"})
    engine.dispose()


@browser_test
def test_the_map_shows_crew_on_site_in_english_and_spanish(status_server, browser):
    from playwright.sync_api import expect

    live = status_server
    made = live.http.post(
        "/api/interruptions",
        headers=live.auth,
        json={"feeder": "JC-015", "cause": "vegetation", "start_at": minutes_ago(15), "members_out": 500},
    )
    assert made.status_code == 201, made.text
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="en-US", timezone_id="America/Chicago")
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(live.base + "/map?refresh=2")
        item = page.locator(f"#mm-active li[data-code={COMMUNITY}]")
        expect(item.locator(".st")).to_have_text("Reported")
        expect(item).to_contain_text("Being assessed")

        with Session(live.engine) as s:  # a crew reaches the site
            crew = Crew(name="Line 7", kind="line", on_shift=True, updated_by="t")
            s.add(crew)
            s.flush()
            record_id = s.scalar(select(Interruption.id).where(Interruption.status == "open"))
            s.add(
                CrewAssignment(
                    crew_id=crew.id,
                    interruption_id=record_id,
                    status="on_site",
                    dispatched_by="t",
                    on_site_at=utcnow(),
                    on_site_by="t",
                )
            )
            s.commit()
        expect(item.locator(".st")).to_have_text("Crew on site")  # at the page's next refresh, not reloaded
        expect(item).to_contain_text("Being assessed")  # no ETR yet: a crew is no estimate
        # the area's details on the map (the sheet a tapped row or area opens) say it too
        page.locator(f"#mm-active li[data-code={COMMUNITY}] button.mm-go").click()
        info = page.locator("#mm-info")
        expect(info).to_contain_text("Crew on site")
        expect(page.locator("#mm-statuses")).to_contain_text("A crew is working there now.")
        shoot(page, "public-status-en")

        page.click("#mm-lang")
        expect(item.locator(".st")).to_have_text("Cuadrilla en el lugar")
        expect(item).to_contain_text("En evaluación")
        expect(info).to_contain_text("Cuadrilla en el lugar")  # the open details follow the language
        expect(page.locator("#mm-statuses")).to_contain_text("Una cuadrilla está trabajando en el lugar.")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shoot(page, "public-status-es")
        assert errors == [], errors
    finally:
        context.close()
