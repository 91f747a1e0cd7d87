"""The member pages (issue 7): sign in, register, my outages, alert settings and the pages e-mailed links open.

The first tests read the served HTML.  The browser tests drive Debian's Chromium headless (Playwright) as a
phone (375 x 740, touch) against a real uvicorn server on 127.0.0.1 over a fresh SpatiaLite file with
committed data, with the e-mails caught by a real SMTP server (aiosmtpd) on 127.0.0.1; they write
screenshots to ``var/screenshots/member-*.png``."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dashboards.limits import RateLimit
from dashboards.pages.templating import STATIC_DIR
from gis.db import make_engine
from outages.member_reports import OutageReport
from outages.members.models import MemberAccount, MemberToken
from outages.members.texts import TEXTS
from outages.settings import DEFAULT_CAUSES
from reports.delivery import get_smtp_settings
from tests.helpers import (
    ARGS,
    CHROMIUM,
    PASSWORDS,
    SCREENSHOTS,
    Inbox,
    browser_test,
    free_port,
    live_server,
    load_test_cooperative,
)

PAGES = {
    "/members": "My outage account",
    "/members/activate": "Activate your account",
    "/members/reset": "Choose a new password",
    "/members/report": "Report an outage",
    "/members/confirm": "Confirm outage alerts",
    "/members/unsubscribe": "Stop outage alerts",
}
STATIC = Path(STATIC_DIR)
CHICAGO = ZoneInfo("America/Chicago")
PHONE = 375
STATUSES = ("on", "out", "possibly_out")  # a service point's status in GET /api/members/me
STAGES = ("reported", "crew_assigned", "crew_on_site")  # what is known of its outage while out (outage_status)
PASSPHRASE = "bluebonnets along the pedernales river"
# on JC-014 below recloser R1 (meters 4,001-10,000 of the test cooperative), and one not below a device
BELOW_R1 = {"account_number": "1000004500", "meter_number": "M00004500"}
JC014_POINT = {"account_number": "1000000100", "meter_number": "M00000100"}


def _point(n: int) -> dict[str, str]:
    return {"account_number": str(1_000_000_000 + n), "meter_number": f"M{n:08d}"}


# ----------------------------------------------------------------------------------------- served HTML


@pytest.mark.parametrize("path", PAGES)
def test_member_page_is_served_with_its_title_a_csp_and_nothing_external(api, path):
    response = api.client.get(path, params={"token": "<script>alert(1)</script>"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    title = re.search(r"<title>(.*?)</title>", response.text).group(1)
    assert title.startswith(PAGES[path] + " · "), title
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"  # tokens in links are not passed on
    assert re.findall(r"https?://", response.text) == []
    assert re.findall(r"""(?:src|href)\s*=\s*["']//""", response.text) == []  # nor protocol-relative
    assert "<script>alert" not in response.text  # the link's token is never echoed into the page
    assert 'id="lang"' in response.text and 'href="/map"' in response.text  # language toggle, public map


def test_member_script_and_style_are_local(api):
    for name in ("members.css", "members.js"):  # the member pages' own
        response = api.client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert re.findall(r"https?://", response.text) == [], name
    page = api.client.get("/members").text
    assert re.search(r'<script type="module" src="/static/members\.js\?v=\w+">', page)


def test_every_text_exists_in_english_and_spanish(api):
    for key, (en, es) in TEXTS.items():
        assert en.strip() and es.strip(), key
        assert set(re.findall(r"\{\w+\}", en)) == set(re.findall(r"\{\w+\}", es)), key
    pages = "".join(api.client.get(path).text for path in PAGES)  # every page as served
    used = set(re.findall(r'data-i18n(?:-aria)?="(\w+)"', pages))
    script = (STATIC / "members.js").read_text()
    used |= set(re.findall(r"\bt\('(\w+)'", script))
    used |= set(re.findall(r"\b(?:say|ok|okWith)\([^;]*?, '(\w+)'(?:, \{[^;]*?\})?\)", script))
    prefixes = {key for key in used if key.endswith("_")}  # t('status_' + status) and the like
    families = {
        "status_": STATUSES,
        "explain_": STATUSES,
        "alert_": ("outage", "etr", "restored", "planned", "crew"),
        "stage_": STAGES,
        "about_": STAGES,
        "hazard_": ("wire_down", "tree_on_line"),
        "channel_": ("email", "sms"),
        "rstatus_": ("pending", "confirmed", "unsubscribed"),
        "report_": ("open", "confirmed", "dismissed"),
        "lang_": ("en", "es"),
        "cause_": DEFAULT_CAUSES,
    }
    assert prefixes <= set(families), prefixes
    used |= {prefix + value for prefix, values in families.items() for value in values}
    missing = sorted(used - prefixes - set(TEXTS))
    assert missing == [], missing
    assert len(used) > 60  # the regexes did find the keys


# --------------------------------------------------------------------------------------------- browser


def _has_route(http: httpx.Client, path: str) -> bool:
    return path in http.get("/openapi.json").json()["paths"]


@pytest.fixture(scope="module")
def mailbox():
    """A real SMTP server on 127.0.0.1; the service's SMTP settings (and the e-mail-to-SMS gateway, so texts
    arrive here too as <ten digits>@sms.example.org) point at it while this module runs."""
    from reports import member_alerts

    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        "OUTAGES_SMTP_HOST": "127.0.0.1",
        "OUTAGES_SMTP_PORT": str(controller.port),
        "OUTAGES_SMTP_SECURITY": "none",
        "OUTAGES_SMTP_SENDER": "outages@coop.example",
        "OUTAGES_SMS_GATEWAY": "email",
        "OUTAGES_SMS_EMAIL_DOMAIN": "sms.example.org",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    caches = [get_smtp_settings, member_alerts.get_sms_settings]
    for cached in caches:
        cached.cache_clear()
    yield box
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    for cached in caches:
        cached.cache_clear()
    controller.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory, facility_file, mailbox):
    """A uvicorn server on a free 127.0.0.1 port over a fresh SpatiaLite file, set up as conftest does, with
    an open interruption below recloser JC-014-R1 (ETR in three hours)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('member-pages') / 'members.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        ).json()["access_token"]
        now = datetime.now(UTC).replace(microsecond=0)
        storm = http.post(
            "/api/interruptions",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "feeder": "JC-014",
                "device": "JC-014-R1",
                "cause": "wind",
                "members_out": 6_000,
                "start_at": (now - timedelta(hours=1)).isoformat(),
                "etr_at": (now + timedelta(hours=3)).isoformat(),
            },
        )
        assert storm.status_code == 201, storm.text
        yield SimpleNamespace(base=base, http=http, engine=engine, mail=mailbox, storm=storm.json())
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live):
    """A phone: 375 px wide, touch, in the cooperative's zone; every request must stay on 127.0.0.1."""
    with live.engine.begin() as conn:  # sign-in, registration and reset are limited per client (in the database)
        conn.execute(delete(RateLimit))
    context = browser.new_context(
        viewport={"width": PHONE, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        timezone_id="America/Chicago",
        locale="en-US",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.outside = []
    page.on("request", lambda r: r.url.startswith((live.base, "data:", "blob:")) or page.outside.append(r.url))
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    assert page.outside == [], f"requests outside 127.0.0.1: {page.outside}"
    assert page.errors == [], page.errors
    context.close()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"member-{name}.png"), full_page=True)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE, f"the page is {width} px wide on a {PHONE} px phone"


def wait_mail(live, to: str, after: int = 0, timeout: float = 15):
    """The first message to `to` among those after index `after` (e-mails go out in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in live.mail.messages[after:]:
            if to in message["To"]:
                return message
        time.sleep(0.05)
    raise AssertionError(f"no e-mail to {to}; got {[m['To'] for m in live.mail.messages[after:]]}")


def link_in(message, live, path: str) -> str:
    """The link to `path` in a message; it points back at this server."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+", text).group(0)
    assert link.startswith(live.base + path + "?"), link
    return link


def member(live, email: str, point: dict, language: str = "en") -> str:
    """An active member made through the API (for tests about what comes after); returns a bearer token."""
    after = len(live.mail.messages)
    assert (
        live.http.post(
            "/api/members/register", json={"email": email, "password": PASSPHRASE, "language": language, **point}
        ).status_code
        == 202
    )
    token = parse_qs(urlsplit(link_in(wait_mail(live, email, after), live, "/members/activate")).query)["token"][0]
    assert live.http.post("/api/members/activate", json={"token": token}).json()["status"] == "activated"
    answer = live.http.post("/api/members/token", data={"username": email, "password": PASSPHRASE})
    return answer.json()["access_token"]


def me(live, token: str) -> dict:
    return live.http.get("/api/members/me", headers={"Authorization": f"Bearer {token}"}).json()


def my_point(live, token: str, meter: str) -> dict:
    return next(p for p in me(live, token)["service_points"] if p["meter_number"] == meter)


def sign_in(page, live, email: str, password: str = PASSPHRASE) -> None:
    page.goto(live.base + "/members")
    page.wait_for_selector("#v-signin:not([hidden])")
    page.fill("#f-signin [name=username]", email)
    page.fill("#f-signin [name=password]", password)
    page.tap("#f-signin button[type=submit]")
    page.wait_for_selector("#v-outages:not([hidden]) article.sp")


def card(page, meter: str):
    return page.locator(f"article.sp[data-meter='{meter}']")


@browser_test
def test_register_activate_twice_sign_in_and_report_an_outage_in_two_taps(page, live):
    email = "ana@example.org"
    page.goto(live.base + "/members")
    page.wait_for_selector("#v-signin:not([hidden])")
    assert page.locator("a[href='/map']").is_visible()
    no_sideways_scroll(page)
    shoot(page, "signin")
    # register: a meter that is not the account's gets the API's message under the meter field
    page.tap("a[href='#register']")
    page.wait_for_selector("#v-register:not([hidden])")
    page.fill("#f-register [name=email]", email)
    page.fill("#f-register [name=password]", PASSPHRASE)
    page.fill("#f-register [name=account_number]", BELOW_R1["account_number"])
    page.fill("#f-register [name=meter_number]", "M00004501")
    page.tap("#f-register button[type=submit]")
    message = page.wait_for_selector("#f-register .err[data-for=meter_number]:not(:empty)").inner_text()
    expected = live.http.post(
        "/api/members/register",
        json={
            "email": email,
            "password": PASSPHRASE,
            "account_number": BELOW_R1["account_number"],
            "meter_number": "M00004501",
        },
    ).json()
    assert expected["field"] == "meter_number" and message == expected["detail"].split(" / ")[0]  # the English half
    assert page.get_attribute("#f-register [name=meter_number]", "aria-invalid") == "true"
    page.fill("#f-register [name=meter_number]", BELOW_R1["meter_number"])
    assert page.inner_text("#f-register .err[data-for=meter_number]") == ""  # typing again clears it
    after = len(live.mail.messages)
    page.tap("#f-register button[type=submit]")
    answer = page.wait_for_selector("#f-register [data-ok]:not(:empty)").inner_text()
    assert answer.startswith("If the details are right, we have sent an e-mail") and "Si los datos" not in answer
    assert page.inner_text("#f-register .err[data-for=meter_number]") == ""
    no_sideways_scroll(page)
    shoot(page, "register")
    # the e-mail's link opens the activation page: activated, then (a second visit) already active
    mail = wait_mail(live, email, after)
    assert mail["Subject"] == "Activate your outage account"
    link = link_in(mail, live, "/members/activate")
    page.goto(link)
    result = page.wait_for_selector("#result[data-status]")
    assert result.get_attribute("data-status") == "activated"
    assert result.inner_text() == "Your account is active. You can sign in now."
    no_sideways_scroll(page)
    shoot(page, "activate")
    page.goto(link)
    result = page.wait_for_selector("#result[data-status]")
    assert result.get_attribute("data-status") == "already_active"
    assert result.inner_text() == "Your account is already active. You can sign in."
    # sign in from there: my outages
    page.tap("#go-signin a")
    page.wait_for_selector("#v-signin:not([hidden])")
    page.fill("#f-signin [name=username]", email)
    page.fill("#f-signin [name=password]", PASSPHRASE)
    page.tap("#f-signin button[type=submit]")
    out = card(page, BELOW_R1["meter_number"])
    out.wait_for()
    assert out.get_attribute("data-status") == "out"
    assert "Power out" in out.inner_text() and "Cause\nWind" in out.inner_text()
    etr = datetime.fromisoformat(live.storm["etr_at"]).astimezone(CHICAGO)
    shown = out.locator("time").first.inner_text()
    assert f"{etr.hour % 12 or 12}:{etr.minute:02d}" in shown and etr.tzname() in shown, shown
    assert page.inner_text("#who") == f"Signed in as {email}"
    # add a second service point: a wrong meter is refused next to its field, the right one adds a card
    page.fill("#f-add [name=account_number]", JC014_POINT["account_number"])
    page.fill("#f-add [name=meter_number]", "M00000101")
    page.tap("#f-add button[type=submit]")
    refused = page.wait_for_selector("#f-add .err[data-for=meter_number]:not(:empty)").inner_text()
    assert refused.startswith("The account number and meter number do not match")
    page.fill("#f-add [name=meter_number]", JC014_POINT["meter_number"])
    page.tap("#f-add button[type=submit]")
    on = card(page, JC014_POINT["meter_number"])
    on.wait_for()
    assert on.get_attribute("data-status") == "on" and "Power on" in on.inner_text()
    assert page.inner_text("#f-add [data-ok]") == "Meter added."
    # report an outage there in two taps: the question, then the confirmation
    on.locator("button[data-act=report]").tap()
    assert on.locator(".confirm .q").inner_text() == "Report an outage at meter M00000100?"
    on.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "member-report-confirm.png"))  # what the phone shows between the taps
    token = page.evaluate("sessionStorage.getItem('outages.memberToken')")
    assert my_point(live, token, JC014_POINT["meter_number"])["report"] is None  # nothing sent on the first tap
    on.locator("input[data-partial-for][value=some]").check()  # some power: lights dim
    on.locator("button[data-act=confirm]").tap()
    ack = on.locator(".ack")
    ack.wait_for()
    assert ack.inner_text() == "Thanks, your report is new: a dispatcher will look at it."
    report = my_point(live, token, JC014_POINT["meter_number"])["report"]
    assert report and report["status"] == "open"
    with Session(live.engine) as session:  # the choice reached the report
        assert session.get(OutageReport, report["id"]).partial_power is True
    page.wait_for_selector(f"article.sp[data-meter='{JC014_POINT['meter_number']}'] dd:has-text('Received')")
    no_sideways_scroll(page)
    shoot(page, "outages")
    # Spanish: the page's words, the API's bilingual answer, and the choice survives a reload
    page.tap("#lang")
    page.wait_for_selector("html[lang=es]")
    assert page.inner_text("#h-outages") == "Mis apagones"
    assert "Sin luz" in out.inner_text() and "Causa\nViento" in out.inner_text()
    assert on.locator("button[data-act=report]").inner_text() == "Reportar un apagón"
    assert on.locator(".ack").inner_text() == "Gracias, su reporte es nuevo: un despachador lo revisará."
    assert page.inner_text("#lang") == "English"
    page.reload()
    page.wait_for_selector("#v-outages:not([hidden]) article.sp")
    assert page.inner_text("#h-outages") == "Mis apagones" and page.title().startswith("Mi cuenta de apagones")
    assert page.inner_text("a[data-view=alerts]") == "Alertas"
    no_sideways_scroll(page)
    shoot(page, "outages-es")
    page.tap("#signout")
    page.wait_for_selector("#v-signin:not([hidden])")
    assert page.inner_text("#mb-status") == "Usted cerró su sesión."
    assert page.evaluate("sessionStorage.getItem('outages.memberToken')") is None


@browser_test
def test_alert_settings_choices_language_and_extra_recipients(page, live):
    if not _has_route(live.http, "/api/members/me/alert-recipients"):
        pytest.skip("the alert settings API is not there yet")
    email = "bo@example.org"
    token = member(live, email, _point(4_600))
    auth = {"Authorization": f"Bearer {token}"}
    sign_in(page, live, email)
    page.tap("a[data-view=alerts]")
    page.wait_for_selector("#v-alerts:not([hidden]) fieldset.alerts[data-meter]")
    owner = page.wait_for_selector("#recipients li[data-status=confirmed]")
    assert email in owner.inner_text() and "Your account" in owner.inner_text()
    assert owner.query_selector("button") is None  # the account's own e-mail cannot be removed
    # a checkbox is saved on change
    restored = page.locator("fieldset.alerts[data-meter=M00004600] input[name=restored]")
    assert restored.is_checked()
    restored.tap()
    page.wait_for_selector("fieldset.alerts[data-meter=M00004600] .ok:has-text('Saved.')")
    assert me(live, token)["service_points"][0]["alerts"] == {
        "outage": True,
        "etr": True,
        "restored": False,
        "planned": True,
        "crew": False,  # optional: off until chosen
    }
    crew = page.locator("fieldset.alerts[data-meter=M00004600] input[name=crew]")
    assert not crew.is_checked()
    assert "A crew arrives on site" in page.inner_text("fieldset.alerts[data-meter=M00004600]")
    crew.tap()
    page.wait_for_selector("fieldset.alerts[data-meter=M00004600] .ok:has-text('Saved.')")
    deadline = time.monotonic() + 10
    while not me(live, token)["service_points"][0]["alerts"]["crew"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert me(live, token)["service_points"][0]["alerts"] == {
        "outage": True,
        "etr": True,
        "restored": False,
        "planned": True,
        "crew": True,
    }
    # the account's language
    page.select_option("#f-lang [name=language]", "es")
    page.wait_for_selector("#f-lang [data-ok]:has-text('Saved.')")
    assert me(live, token)["language"] == "es"
    # an extra e-mail recipient: pending, confirmed by its own link (twice is fine), then removed
    after = len(live.mail.messages)
    page.fill("#f-recipient [name=address]", "Carla@Example.org")
    page.select_option("#f-recipient [name=language]", "es")
    page.tap("#f-recipient button[type=submit]")
    added = page.wait_for_selector("#f-recipient [data-ok]:not(:empty)").inner_text()
    assert added.startswith("We sent a confirmation link to carla@example.org.")
    pending = page.wait_for_selector("#recipients li[data-status=pending]")
    assert "carla@example.org" in pending.inner_text() and "Waiting for confirmation" in pending.inner_text()
    no_sideways_scroll(page)
    shoot(page, "alerts")
    link = link_in(wait_mail(live, "carla@example.org", after), live, "/members/confirm")
    page.goto(link)
    assert page.wait_for_selector("#result[data-status]").get_attribute("data-status") == "confirmed"
    assert page.inner_text("#result") == "Thank you. Outage alerts will now be sent to this address."
    shoot(page, "confirm")
    page.goto(link)
    assert page.wait_for_selector("#result[data-status]").get_attribute("data-status") == "already_confirmed"
    # a text-message recipient: a bad number is refused next to the address field
    page.goto(live.base + "/members#alerts")
    page.wait_for_selector("#recipients li[data-status=confirmed]:has-text('carla@example.org')")
    page.select_option("#f-recipient [name=channel]", "sms")
    assert page.inner_text("label[for=f-recipient-address]") == "Mobile phone number"
    assert page.get_attribute("#f-recipient [name=address]", "type") == "tel"
    page.fill("#f-recipient [name=address]", "555-01")
    page.tap("#f-recipient button[type=submit]")
    refused = page.wait_for_selector("#f-recipient .err[data-for=address]:not(:empty)").inner_text()
    assert refused == "'555-01' is not a mobile phone number. Fix: write it like 512-555-0142."
    page.fill("#f-recipient [name=address]", "(512) 555-0142")
    page.tap("#f-recipient button[type=submit]")
    page.wait_for_selector("#recipients li[data-status=pending]:has-text('+15125550142')")
    assert "Text message" in page.inner_text("#recipients li[data-status=pending]")
    # remove Carla in two taps
    carla = page.locator("#recipients li", has_text="carla@example.org")
    carla.locator("button[data-act=remove]").tap()
    assert carla.locator(".q").inner_text() == "Stop sending alerts to carla@example.org?"
    carla.locator("button[data-act=remove-yes]").tap()
    page.wait_for_selector("#recipients-status:has-text('Removed.')")
    assert page.locator("#recipients li", has_text="carla@example.org").count() == 0
    listed = live.http.get("/api/members/me/alert-recipients", headers=auth).json()
    assert sorted(r["address"] for r in listed) == ["+15125550142", email]
    no_sideways_scroll(page)


@browser_test
def test_unsubscribe_page_stops_the_alerts_after_one_tap(page, live):
    if not _has_route(live.http, "/api/members/alerts/unsubscribe"):
        pytest.skip("the unsubscribe API is not there yet")
    email = "cy@example.org"
    token = member(live, email, _point(4_700), language="es")
    auth = {"Authorization": f"Bearer {token}"}
    with Session(live.engine) as session:
        from outages.members.models import AlertRecipient

        key = session.scalar(
            select(AlertRecipient.unsubscribe_key)
            .join(MemberAccount, MemberAccount.id == AlertRecipient.account_id)
            .where(MemberAccount.email == email)
        )
    page.goto(live.base + "/members")  # this browser reads Spanish from now on
    page.evaluate("localStorage.setItem('outageMap.lang', 'es')")
    page.goto(f"{live.base}/members/unsubscribe?key={key}")
    page.wait_for_selector("html[lang=es]")
    assert page.inner_text("#f-unsub button") == "Dejar de recibir estas alertas"
    assert live.http.get("/api/members/me/alert-recipients", headers=auth).json()[0]["status"] == "confirmed"
    page.tap("#f-unsub button")
    done = page.wait_for_selector("#f-unsub [data-ok]:not(:empty)").inner_text()
    assert done == "No recibirá más alertas de apagones en esta dirección."  # the Spanish half of the API's answer
    assert page.is_hidden("#f-unsub button")
    assert live.http.get("/api/members/me/alert-recipients", headers=auth).json()[0]["status"] == "unsubscribed"
    no_sideways_scroll(page)
    shoot(page, "unsubscribe")
    page.goto(f"{live.base}/members/unsubscribe?key=not-a-key")
    page.tap("#f-unsub button")
    message = page.wait_for_selector("#f-unsub .err[data-for=_form]:not(:empty)").inner_text()
    assert message.startswith("Este enlace no es válido.")  # in the reader's language


@browser_test
def test_report_without_signing_in_by_meter_or_by_phone(page, live):
    page.goto(live.base + "/members/report")
    point = _point(1_800)  # on JC-014 above recloser R1: not known to be out
    page.fill("#f-report [name=account_number]", point["account_number"])
    page.fill("#f-report [name=meter_number]", "M00001801")
    page.tap("#f-report button[type=submit]")
    refused = page.wait_for_selector("#f-report .err[data-for=meter_number]:not(:empty)").inner_text()
    assert refused.startswith("The account number and meter number do not match")
    page.fill("#f-report [name=meter_number]", point["meter_number"])
    page.tap("#f-report button[type=submit]")
    ack = page.wait_for_selector("#f-report [data-ok]:not(:empty)").inner_text()
    assert ack == "Thanks, your report is new: a dispatcher will look at it."
    no_sideways_scroll(page)
    shoot(page, "report")
    page.tap("#f-report button[type=submit]")
    page.wait_for_selector("#f-report [data-ok]:has-text('We already have your report for this meter.')")
    # by phone: the account's confirmed text-message number
    if not _has_route(live.http, "/api/members/me/alert-recipients"):
        pytest.skip("the alert recipients API is not there yet")
    phoned = _point(1_801)
    token = member(live, "di@example.org", phoned)
    after = len(live.mail.messages)
    added = live.http.post(
        "/api/members/me/alert-recipients",
        headers={"Authorization": f"Bearer {token}"},
        json={"channel": "sms", "address": "512-555-0199", "language": "en"},
    )
    assert added.status_code == 201, added.text
    link = link_in(wait_mail(live, "5125550199@sms.example.org", after), live, "/members/confirm")
    page.goto(link)
    page.wait_for_selector("#result[data-status=confirmed]")
    page.tap("a[href='/members/report']")
    page.wait_for_selector("#f-report")
    page.fill("#f-report [name=account_number]", phoned["account_number"])
    page.check("#f-report [name=with][value=phone]")
    assert page.is_hidden("#f-report [name=meter_number]") and page.is_visible("#f-report [name=phone]")
    page.fill("#f-report [name=phone]", "512-555-0198")
    page.tap("#f-report button[type=submit]")
    refused = page.wait_for_selector("#f-report .err[data-for=phone]:not(:empty)").inner_text()
    assert refused.startswith("We have no confirmed phone number for that account.")
    page.fill("#f-report [name=phone]", "(512) 555-0199")
    page.tap("#f-report button[type=submit]")
    ack = page.wait_for_selector("#f-report [data-ok]:not(:empty)").inner_text()
    assert ack == "Thanks, your report is new: a dispatcher will look at it."
    assert me(live, token)["service_points"][0]["report"]["status"] == "open"
    # below R1 the storm is already logged: the report joins it and the member is told so
    page.check("#f-report [name=with][value=meter]")
    known = _point(4_800)
    page.fill("#f-report [name=account_number]", known["account_number"])
    page.fill("#f-report [name=meter_number]", known["meter_number"])
    page.tap("#f-report button[type=submit]")
    page.wait_for_selector("#known:not([hidden]) h2:has-text('We already know about this outage')")


@browser_test
def test_an_expired_activation_link_offers_a_new_one_and_a_bad_one_says_so(page, live):
    email = "eve@example.org"
    after = len(live.mail.messages)
    assert (
        live.http.post(
            "/api/members/register", json={"email": email, "password": PASSPHRASE, **_point(4_900)}
        ).status_code
        == 202
    )
    old = link_in(wait_mail(live, email, after), live, "/members/activate")
    with Session(live.engine) as session, session.begin():
        account = session.scalar(select(MemberAccount.id).where(MemberAccount.email == email))
        session.execute(
            update(MemberToken)
            .where(MemberToken.account_id == account)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    page.goto(old)
    assert page.wait_for_selector("#result[data-status]").get_attribute("data-status") == "409"
    assert page.inner_text("#result").startswith("This activation link has expired.")
    assert (
        page.inner_text("#detail")
        == live.http.post("/api/members/activate", json={"token": parse_qs(urlsplit(old).query)["token"][0]})
        .json()["detail"]
        .split(" / ")[0]
    )
    after = len(live.mail.messages)
    page.fill("#f-resend [name=email]", email)
    page.tap("#f-resend button[type=submit]")
    page.wait_for_selector("#f-resend [data-ok]:has-text('If the details are right')")
    no_sideways_scroll(page)
    shoot(page, "activate-expired")
    page.goto(link_in(wait_mail(live, email, after), live, "/members/activate"))
    assert page.wait_for_selector("#result[data-status]").get_attribute("data-status") == "activated"
    page.goto(live.base + "/members/activate?token=made-up")
    assert page.wait_for_selector("#result[data-status]").get_attribute("data-status") == "422"
    assert page.inner_text("#result") == "This activation link is not valid."
    assert page.inner_text("#detail").startswith("This activation link is not valid. Fix:")
    page.tap("#ask-new a")
    page.wait_for_selector("#v-resend:not([hidden])")


@browser_test
def test_forgotten_password_through_the_pages(page, live):
    email = "flo@example.org"
    member(live, email, _point(5_000))
    page.goto(live.base + "/members")
    page.tap("a[href='#forgot']")
    page.wait_for_selector("#v-forgot:not([hidden])")
    after = len(live.mail.messages)
    page.fill("#f-forgot [name=email]", email)
    page.tap("#f-forgot button[type=submit]")
    page.wait_for_selector("#f-forgot [data-ok]:has-text('If the details are right')")
    link = link_in(wait_mail(live, email, after), live, "/members/reset")
    page.goto(link)
    page.fill("#f-reset [name=password]", "password123")
    page.tap("#f-reset button[type=submit]")
    weak = page.wait_for_selector("#f-reset .err[data-for=password]:not(:empty)").inner_text()
    assert weak.startswith("That password is too common")
    page.fill("#f-reset [name=password]", "a new passphrase for the hill country")
    page.check("#show-password")
    assert page.get_attribute("#f-reset [name=password]", "type") == "text"
    shoot(page, "reset")
    page.tap("#f-reset button[type=submit]")
    assert (
        page.wait_for_selector("#f-reset [data-ok]:not(:empty)").inner_text()
        == "Your password is changed. You can sign in now."
    )
    assert page.is_hidden("#f-reset [name=password]")
    page.goto(link)  # the link works once
    page.fill("#f-reset [name=password]", "yet another passphrase 2028")
    page.tap("#f-reset button[type=submit]")
    used = page.wait_for_selector("#f-reset .err[data-for=_form]:not(:empty)").inner_text()
    assert used.startswith("This reset link is not valid any more.") and page.is_visible("#ask-new a")
    sign_in(page, live, email, "a new passphrase for the hill country")


@browser_test
def test_a_bad_or_ended_session_goes_back_to_sign_in(page, live):
    page.goto(live.base + "/members#outages")
    page.wait_for_selector("#v-signin:not([hidden])")  # not signed in: the sign-in form
    page.evaluate("sessionStorage.setItem('outages.memberToken', 'not-a-token')")
    page.goto(live.base + "/members#alerts")
    page.wait_for_selector("#v-signin:not([hidden])")
    assert page.inner_text("#mb-status") == "Your session has ended. Please sign in again."
    assert page.evaluate("sessionStorage.getItem('outages.memberToken')") is None
    page.fill("#f-signin [name=username]", "nobody@example.org")
    page.fill("#f-signin [name=password]", "wrong wrong wrong")
    page.tap("#f-signin button[type=submit]")
    message = page.wait_for_selector("#f-signin .err[data-for=_form]:not(:empty)").inner_text()
    assert message.startswith("Wrong e-mail or password")
