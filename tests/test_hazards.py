"""Hazards first (issue 14): a member's outage report may say a wire is down or a tree is on a line.  The danger
is kept whatever becomes of the report (also when the outage is already known), listed to staff newest first
with where it is until a dispatcher marks it made safe (audited), and the member is told, in both languages,
to stay away and call 911.  Through the real API; the report pages in Debian's Chromium against a uvicorn
server over a SpatiaLite file of its own."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.db import make_engine, utcnow
from gis.models import ServicePoint
from outages.member_reports import OutageReport
from outages.members.models import AlertRecipient, MemberAccount, MemberServicePoint
from outages.members.texts import SAFETY, both
from outages.models import AuditEntry
from outages.passwords import hash_password
from tests.factories import BO, DI, facility_layers, sp
from tests.helpers import (
    PASSWORDS,
    active_member,
    browser_test,
    live_server,
    load_test_cooperative,
    log_outage,
    shoot,
)

SAFETY_BOTH = f"{SAFETY[0]} / {SAFETY[1]}"
WHERE = facility_layers()["service_points"].set_index("meter_number").geometry


def _anonymous(api, point: dict, **more):
    return api("POST", "/api/members/outage-reports", as_=None, json={**point, **more})


def _hazards(api, role: str = "dispatcher") -> list[dict]:
    response = api("GET", "/api/hazards", as_=role)
    assert response.status_code == 200, response.text
    return response.json()


def _reports(session) -> int:
    return session.scalar(select(func.count()).select_from(OutageReport))


def test_hazard_reports_are_kept_and_listed_newest_first_with_where(api, mail, session):
    # without signing in, on JC-015; then a signed-in member on MF-001
    anonymous = _anonymous(api, DI, hazard="wire_down")
    assert anonymous.status_code == 201, anonymous.text
    ack = anonymous.json()
    assert (ack["status"], ack["hazard"], ack["safety"]) == ("open", "wire_down", SAFETY_BOTH)
    assert "Stay at least 35 feet away" in ack["safety"] and "llame al 911" in ack["safety"]
    assert ack["detail"] == both("report_new")  # still only what the data knows: no crew promised
    eva = active_member(api, mail, email="eva@example.org", point=sp(10_700))
    mine = api(
        "POST",
        "/api/members/me/outage-reports",
        as_=None,
        headers=eva,
        json={"meter_number": sp(10_700)["meter_number"], "hazard": "tree_on_line"},
    )
    assert mine.status_code == 201, mine.text
    assert (mine.json()["hazard"], mine.json()["safety"]) == ("tree_on_line", SAFETY_BOTH)
    plain = _anonymous(api, sp(10_300))  # no danger: no safety text
    assert plain.status_code == 201 and (plain.json()["hazard"], plain.json()["safety"]) == (None, None)

    for role in ("dispatcher", "executive", "registry", "admin"):  # any staff role reads them
        assert [h["id"] for h in _hazards(api, role)] == [mine.json()["id"], ack["id"]]  # newest first
    assert api("GET", "/api/hazards", as_=None).status_code == 401
    tree, wire = _hazards(api)
    assert {
        k: wire[k] for k in ("hazard", "hazard_label", "feeder", "device", "meter", "interruption_id", "status")
    } == {
        "hazard": "wire_down",
        "hazard_label": "Wire down",
        "feeder": "JC-015",
        "device": None,
        "meter": DI["meter_number"],
        "interruption_id": None,
        "status": "open",
    }
    assert (tree["hazard_label"], tree["feeder"], tree["meter"]) == ("Tree on line", "MF-001", "M00010700")
    for hazard in (tree, wire):  # staff may see where: the service point's location
        point = WHERE[hazard["meter"]]
        assert (hazard["lon"], hazard["lat"]) == pytest.approx((point.x, point.y), abs=1e-9)
        assert hazard["created_at"] and hazard["cleared_at"] is None
    stored = session.get(OutageReport, ack["id"])
    assert (stored.hazard, stored.hazard_cleared_at) == ("wire_down", None)

    # the same meter again, now naming a danger its open report lacked: kept on that report
    again = _anonymous(api, sp(10_300), hazard="tree_on_line")
    assert again.status_code == 200 and again.json()["id"] == plain.json()["id"]
    assert again.json()["safety"] == SAFETY_BOTH
    assert [h["id"] for h in _hazards(api)][0] == plain.json()["id"]


def test_a_hazard_at_a_known_outage_is_kept_and_listed(api, mail, session):
    record = log_outage(api)  # JC-014 below recloser R1
    report = _anonymous(api, BO, hazard="wire_down")
    assert report.status_code == 201, report.text
    assert (report.json()["status"], report.json()["safety"]) == ("confirmed", SAFETY_BOTH)
    assert report.json()["known"] is True
    assert report.json()["detail"].startswith("We already know about this outage.")
    [hazard] = _hazards(api)
    assert (hazard["id"], hazard["status"], hazard["interruption_id"]) == (
        report.json()["id"],
        "confirmed",
        record["id"],
    )
    assert (hazard["feeder"], hazard["device"], hazard["meter"]) == ("JC-014", "JC-014-F1", BO["meter_number"])


def test_probable_outages_count_their_hazard_reports(api, mail):
    for n, hazard in ((10_600, None), (10_650, "tree_on_line"), (10_800, None)):  # three on MF-001: the threshold
        assert _anonymous(api, sp(n), **({"hazard": hazard} if hazard else {})).status_code == 201
    [probable] = api("GET", "/api/probable-outages").json()
    assert (probable["feeder"], probable["reports"], probable["hazards"]) == ("MF-001", 3, 1)
    [hazard] = _hazards(api)
    assert api("POST", f"/api/hazards/{hazard['id']}/clear").status_code == 200
    assert api("GET", "/api/probable-outages").json()[0]["hazards"] == 0  # made safe


@pytest.mark.parametrize("hazard", ["fire", "WIRE_DOWN", "", 5, ["wire_down"]])
def test_an_unknown_hazard_is_refused_naming_the_field_and_nothing_is_written(api, mail, session, hazard):
    ana = active_member(api, mail, email="ana@example.org", point=sp(10_400))
    before = _reports(session)
    for response in (
        _anonymous(api, DI, hazard=hazard),
        api(
            "POST",
            "/api/members/me/outage-reports",
            as_=None,
            headers=ana,
            json={"meter_number": sp(10_400)["meter_number"], "hazard": hazard},
        ),
    ):
        assert response.status_code == 422, response.text
        assert response.json()["field"] == "hazard"
        if isinstance(hazard, str):  # ours, in both languages
            english, spanish = response.json()["detail"].split(" / ")
            assert english.startswith("hazard must be wire_down or tree_on_line") and "Fix:" in english
            assert "Hay un cable caído" in spanish
    assert _reports(session) == before
    assert _hazards(api) == []


def test_made_safe_clears_it_once_audited_and_only_by_a_dispatcher(api, mail, session):
    report = _anonymous(api, DI, hazard="wire_down").json()
    assert api("POST", f"/api/hazards/{report['id']}/clear", as_="executive").status_code == 403
    assert api("POST", f"/api/hazards/{report['id']}/clear", as_="registry").status_code == 403
    assert api("POST", f"/api/hazards/{report['id']}/clear", as_=None).status_code == 401
    assert [h["id"] for h in _hazards(api)] == [report["id"]]  # still there

    cleared = api("POST", f"/api/hazards/{report['id']}/clear")
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["id"], cleared.json()["cleared_by"]) == (report["id"], "dispatcher")
    assert cleared.json()["cleared_at"] and cleared.json()["meter"] == DI["meter_number"]
    assert _hazards(api) == []
    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "outage_report", AuditEntry.entity_id == report["id"])
    ).all()
    assert (entry.action, entry.actor) == ("hazard_cleared", "dispatcher")
    assert entry.before["hazard_cleared_at"] is None and entry.after["hazard_cleared_by"] == "dispatcher"
    assert entry.before["hazard"] == entry.after["hazard"] == "wire_down"

    twice = api("POST", f"/api/hazards/{report['id']}/clear")
    assert twice.status_code == 409 and "already marked made safe by dispatcher" in twice.json()["detail"]
    assert api("POST", "/api/hazards/999999/clear").status_code == 404
    plain = _anonymous(api, sp(10_300)).json()  # a report naming no danger is no hazard
    assert api("POST", f"/api/hazards/{plain['id']}/clear").status_code == 404
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "outage_report")) == 1


# --- the report pages in a real browser -------------------------------------------------------------

MEMBER_EMAIL, MEMBER_PASSWORD = "flo@example.org", "stay clear of the fallen line by the creek"


@pytest.fixture(scope="module")
def hazard_server(tmp_path_factory, facility_file):
    """A uvicorn server on 127.0.0.1 over a SpatiaLite file of its own, with one active member (on MF-001)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('hazards') / 'hazards.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    with Session(engine) as s, s.begin():
        account = MemberAccount(
            email=MEMBER_EMAIL, password_hash=hash_password(MEMBER_PASSWORD), active=True, activated_at=utcnow()
        )
        s.add(account)
        s.flush()
        point = s.scalar(select(ServicePoint.id).where(ServicePoint.meter_number == sp(11_000)["meter_number"]))
        s.add(MemberServicePoint(account_id=account.id, service_point_id=point))
        s.add(AlertRecipient(account_id=account.id, channel="email", address=MEMBER_EMAIL, owner=True))
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        ).json()["access_token"]
        yield SimpleNamespace(base=base, http=http, auth={"Authorization": f"Bearer {token}"})
    engine.dispose()


@pytest.fixture
def phone(browser, hazard_server):
    context = browser.new_context(
        viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True, timezone_id="America/Chicago"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors, page.outside = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: r.url.startswith((hazard_server.base, "data:")) or page.outside.append(r.url))
    yield page
    assert page.errors == [] and page.outside == [], (page.errors, page.outside)
    context.close()


@browser_test
def test_the_report_page_asks_about_danger_and_says_stay_away(phone, hazard_server):
    live, page = hazard_server, phone
    page.goto(live.base + "/members/report")
    assert page.inner_text("#f-report fieldset.hazard legend") == "Is anything dangerous?"
    assert page.is_checked("#f-report [name=hazard][value='']")  # "No" until the member says otherwise
    assert page.is_hidden("#f-report-safety")
    point = sp(10_900)  # on MF-001: no outage known
    page.fill("#f-report [name=account_number]", point["account_number"])
    page.fill("#f-report [name=meter_number]", point["meter_number"])
    page.get_by_label("A wire is down").check()
    safety = page.locator("#f-report-safety")
    assert safety.is_visible() and safety.inner_text() == SAFETY[0]  # as soon as it is chosen
    page.tap("#f-report button[type=submit]")
    page.wait_for_selector("#f-report [data-ok]:not(:empty)")
    assert page.inner_text("#f-report [data-ok]") == "Thanks, your report is new: a dispatcher will look at it."
    assert safety.is_visible() and safety.inner_text() == SAFETY[0]  # and after sending
    shoot(page, "member-report-hazard")
    [hazard] = live.http.get("/api/hazards", headers=live.auth).json()
    assert (hazard["hazard"], hazard["meter"], hazard["feeder"]) == ("wire_down", point["meter_number"], "MF-001")

    page.tap("#lang")  # in Spanish
    page.wait_for_selector("html[lang=es]")
    assert safety.inner_text() == SAFETY[1]
    assert page.inner_text("#f-report fieldset.hazard legend") == "¿Hay algún peligro?"
    page.get_by_label("No", exact=True).check()
    assert page.is_hidden("#f-report-safety")


@browser_test
def test_a_signed_in_member_names_the_danger_in_two_taps_and_one_choice(phone, hazard_server):
    live, page = hazard_server, phone
    page.goto(live.base + "/members")
    page.evaluate("localStorage.setItem('outageMap.lang', 'en')")
    page.fill("#f-signin [name=username]", MEMBER_EMAIL)
    page.fill("#f-signin [name=password]", MEMBER_PASSWORD)
    page.tap("#f-signin button[type=submit]")
    card = page.locator("article.sp[data-meter=M00011000]")
    card.locator("button[data-act=report]").tap()
    assert card.locator("fieldset.hazard legend").inner_text() == "Is anything dangerous?"
    card.get_by_label("A tree is on a line").check()
    assert card.locator(".confirm .safety").inner_text() == SAFETY[0]
    card.locator("button[data-act=confirm]").tap()
    page.wait_for_selector("article.sp[data-meter=M00011000] .ack")
    assert card.locator(".ack").inner_text() == "Thanks, your report is new: a dispatcher will look at it."
    assert card.locator(".safety").inner_text() == SAFETY[0]  # told after sending too
    shoot(page, "member-card-hazard")
    hazards = live.http.get("/api/hazards", headers=live.auth).json()
    assert [(h["hazard"], h["meter"]) for h in hazards][0] == ("tree_on_line", "M00011000")
