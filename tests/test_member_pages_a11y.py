"""Every member page is usable by everyone (issue 15): axe-core (WCAG 2.1 A and AA, injected from its npm
package) finds no violation on any of them — signed out and signed in, the report page before and after a
report, the pages e-mailed links open, the forms — in English and in Spanish, on a 375 x 740 phone.  And the
report page without signing in: the safety banner with the co-op's number, "we already know" with the status
and the ETR (CST/CDT in both languages), and updates without an account through the page, confirmed from a
real SMTP server's inbox (aiosmtpd on 127.0.0.1) and then received.  A phone set to Spanish stays in Spanish
after signing in to an English account; toggling while signed in changes the account's language.

Debian's Chromium headless (Playwright) against a uvicorn server on 127.0.0.1 over a SpatiaLite file of its
own; screenshots in ``var/screenshots/member-a11y-*.png``."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete

from dashboards.limits import RateLimit
from gis.db import make_engine, make_sessionmaker
from reports.delivery import SmtpSettings, get_smtp_settings
from tests.factories import sp
from tests.helpers import (
    ARGS,
    CHROMIUM,
    PASSWORDS,
    Inbox,
    axe_violations,
    browser_test,
    deliver,
    free_port,
    live_server,
    load_test_cooperative,
    shoot,
)

PHONE = (375, 740)
CHICAGO = ZoneInfo("America/Chicago")
PASSPHRASE = "bluebonnets along the pedernales river"
KNOWN = sp(4_600)  # JC-014 below recloser R1: out in the storm the server starts with
LOCALES = {"en": "en-US", "es": "es-US"}  # the phone's own language: the pages follow it


@pytest.fixture(scope="module")
def mailbox():
    """A real SMTP server on 127.0.0.1 that the live server's e-mails go to while this module runs."""
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        "OUTAGES_SMTP_HOST": "127.0.0.1",
        "OUTAGES_SMTP_PORT": str(controller.port),
        "OUTAGES_SMTP_SECURITY": "none",
        "OUTAGES_SMTP_SENDER": "outages@coop.example",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_smtp_settings.cache_clear()
    box.settings = SmtpSettings(host="127.0.0.1", port=controller.port, sender="outages@coop.example")
    yield box
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    get_smtp_settings.cache_clear()
    controller.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory, facility_file, mailbox):
    """The app over a fresh SpatiaLite file with an open interruption below JC-014-R1 (ETR in three hours)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('member-a11y') / 'members.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        now = datetime.now(UTC).replace(microsecond=0)
        storm = http.post(
            "/api/interruptions",
            headers=auth,
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
        deliver(make_sessionmaker(engine), mailbox)  # the storm's own alerts are queued (to nobody yet)
        yield SimpleNamespace(
            base=base, http=http, auth=auth, engine=engine, mail=mailbox, storm=storm.json(), phone=_phone()
        )
    engine.dispose()


def _phone() -> str:
    from dashboards.settings import get_settings

    return get_settings().cooperative_phone


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live):
    """A phone in the language asked for (``phone(lang)``): 375 x 740, touch, in the co-op's zone; axe may be
    injected (``bypass_csp``); every request stays on 127.0.0.1."""
    made = []

    def open_page(lang: str = "en"):
        with live.engine.begin() as conn:  # reports, sign-ins and registrations are limited per client
            conn.execute(delete(RateLimit))
        context = browser.new_context(
            viewport={"width": PHONE[0], "height": PHONE[1]},
            is_mobile=True,
            has_touch=True,
            timezone_id="America/Chicago",
            locale=LOCALES[lang],
            bypass_csp=True,
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.errors, page.outside = [], []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: r.url.startswith((live.base, "data:", "blob:")) or page.outside.append(r.url))
        made.append((context, page))
        return page

    yield open_page
    for context, page in made:
        assert page.errors == [] and page.outside == [], (page.errors, page.outside)
        context.close()


def no_violations(page, name: str) -> None:
    found = axe_violations(page)
    shoot(page, f"member-a11y-{name}")
    assert found == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in found)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE[0], f"{name}: the page is {width} px wide on a {PHONE[0]} px phone"


def wait_mail(live, to: str, after: int = 0, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in live.mail.messages[after:]:
            if to in message["To"]:
                return message
        time.sleep(0.05)
    raise AssertionError(f"no e-mail to {to}; got {[m['To'] for m in live.mail.messages[after:]]}")


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def link_in(message, path: str) -> str:
    return re.search(rf"https?://\S+{re.escape(path)}\?\S+", text_of(message)).group(0)


def member(live, email: str, point: dict, language: str = "en") -> str:
    """An active member made through the API; returns a bearer token."""
    after = len(live.mail.messages)
    answer = live.http.post(
        "/api/members/register", json={"email": email, "password": PASSPHRASE, "language": language, **point}
    )
    assert answer.status_code == 202, answer.text
    token = re.search(r"token=([\w-]+)", text_of(wait_mail(live, email, after))).group(1)
    assert live.http.post("/api/members/activate", json={"token": token}).json()["status"] == "activated"
    return live.http.post("/api/members/token", data={"username": email, "password": PASSPHRASE}).json()["access_token"]


def sign_in(page, live, email: str) -> None:
    page.goto(live.base + "/members")
    page.wait_for_selector("#v-signin:not([hidden])")
    page.fill("#f-signin [name=username]", email)
    page.fill("#f-signin [name=password]", PASSPHRASE)
    page.tap("#f-signin button[type=submit]")
    page.wait_for_selector("#v-outages:not([hidden]) article.sp")


def report(page, point: dict) -> None:
    page.fill("#f-report [name=account_number]", point["account_number"])
    page.fill("#f-report [name=meter_number]", point["meter_number"])
    page.tap("#f-report button[type=submit]")


@browser_test
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_member_page_has_no_axe_violation(phone, live, lang):
    page = phone(lang)
    sign_in_lang = "html[lang=es]" if lang == "es" else "html[lang=en]"
    # signed out: sign in, register, forgotten password, resend activation
    for view in ("signin", "register", "forgot", "resend"):
        page.goto(f"{live.base}/members#{view}")
        page.wait_for_selector(f"#v-{view}:not([hidden])")
        page.wait_for_selector(sign_in_lang)
        no_violations(page, f"{view}-{lang}")
    # axe does see: a field whose label no longer names it is a violation
    page.evaluate("document.querySelector('#f-resend [name=email]').removeAttribute('id')")
    assert "label" in {v["id"] for v in axe_violations(page)}
    # a form showing the API's refusal next to its fields
    page.goto(f"{live.base}/members#register")
    page.fill("#f-register [name=email]", "not-an-email")
    page.fill("#f-register [name=password]", PASSPHRASE)
    page.fill("#f-register [name=account_number]", "1")
    page.fill("#f-register [name=meter_number]", "2")
    page.evaluate("document.querySelector('#f-register [name=email]').type = 'text'")  # let the API say it
    page.tap("#f-register button[type=submit]")
    page.wait_for_selector("#f-register .err:not(:empty)")
    no_violations(page, f"register-refused-{lang}")

    # the pages e-mailed links open: without a token, with a bad one, and the unsubscribe page before its tap
    for path, ready in (
        ("/members/activate", "#result.bad"),
        ("/members/activate?token=not-a-token", "#result.bad"),
        ("/members/confirm?token=not-a-token", "#result.bad"),
        ("/members/reset?token=a-token", "#f-reset"),
        ("/members/reset", "#ask-new:not([hidden])"),
        ("/members/unsubscribe?key=a-key", "#f-unsub button"),
    ):
        page.goto(live.base + path)
        page.wait_for_selector(ready)
        no_violations(page, f"{path.strip('/').replace('/', '-').split('?')[0]}-{lang}")

    # the report page before and after a report (known: status, ETR and the offer of updates)
    page.goto(live.base + "/members/report")
    page.wait_for_selector(sign_in_lang)
    no_violations(page, f"report-{lang}")
    page.get_by_label(re.compile("wire is down|cable caído")).check()
    report(page, sp(4_601 if lang == "en" else 4_602))
    page.wait_for_selector("#known:not([hidden]) #known-facts dd")
    page.wait_for_selector("#updates:not([hidden])")
    no_violations(page, f"report-known-{lang}")

    # signed in: my outages and alert settings
    email = f"a11y-{lang}@example.org"
    member(live, email, sp(4_700 if lang == "en" else 4_701), language=lang)
    sign_in(page, live, email)
    no_violations(page, f"home-signed-in-{lang}")
    page.locator("article.sp button[data-act=report]").tap()
    page.wait_for_selector("article.sp .confirm")
    no_violations(page, f"home-confirm-report-{lang}")
    page.tap("#mb-tabs a[data-view=alerts]")
    page.wait_for_selector("#recipients li")
    no_violations(page, f"alerts-{lang}")


@browser_test
def test_report_without_signing_in_says_what_is_known_and_updates_come_by_e_mail(phone, live):
    page = phone("en")
    page.goto(live.base + "/members/report")
    banner = page.locator("section.banner")
    assert banner.locator("h2").inner_text().lower() == "safety"
    assert banner.locator("p").inner_text() == (
        f"A downed line is always live: stay 35 feet away and call 911, then the co-op at {live.phone}."
    )
    digits = re.sub(r"\D", "", live.phone)
    assert banner.locator(f"a[href='tel:+1{digits}']").inner_text() == live.phone
    assert banner.locator("a[href='tel:911']").inner_text() == "911"
    page.get_by_label("Some: lights dim, or some circuits out").check()
    report(page, KNOWN)
    known = page.wait_for_selector("#known:not([hidden])")
    assert known.query_selector("h2").inner_text() == "We already know about this outage"
    facts = page.inner_text("#known-facts")
    etr = datetime.fromisoformat(live.storm["etr_at"]).astimezone(CHICAGO)
    assert "Reported" in facts and "Estimated restoration" in facts
    assert f"{etr.hour % 12 or 12}:{etr:%M}" in facts and etr.tzname() in facts  # CST or CDT
    assert page.is_hidden("#f-report [data-ok]")
    shoot(page, "member-a11y-report-known-en")

    page.tap("#lang")  # Spanish: the same facts, the zone still CST/CDT
    page.wait_for_selector("html[lang=es]")
    assert page.inner_text("#h-known") == "Ya sabemos de este corte"
    facts = page.inner_text("#known-facts")
    assert "Reportado" in facts and f"{etr.hour % 12 or 12}:{etr:%M}" in facts
    assert etr.tzname() in facts and "GMT" not in facts
    assert "Una línea caída siempre tiene corriente" in page.inner_text("section.banner")
    page.tap("#lang")
    page.wait_for_selector("html[lang=en]")

    # updates without an account, through the page, confirmed from the inbox
    assert page.inner_text("#h-updates") == "Get updates by e-mail or text"
    after = len(live.mail.messages)
    page.fill("#f-updates [name=address]", "Neighbour@Example.org")
    page.tap("#f-updates button[type=submit]")
    done = page.wait_for_selector("#f-updates [data-ok]:not(:empty)").inner_text()
    assert done == "We sent a confirmation link to neighbour@example.org. Updates start once it is confirmed."
    shoot(page, "member-a11y-updates-asked")
    confirm = wait_mail(live, "neighbour@example.org", after)
    assert confirm["Subject"] == "Confirm outage updates"
    page.goto(link_in(confirm, "/members/confirm"))
    page.wait_for_selector("#result[data-status=confirmed]")

    # the dispatcher moves the ETR: the alert worker mails them, with the one-step unsubscribe link
    record = live.http.get(f"/api/interruptions/{live.storm['id']}", headers=live.auth).json()
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=5)
    moved = live.http.put(
        f"/api/interruptions/{record['id']}/etr",
        headers=live.auth,
        json={"version": record["version"], "etr_at": later.isoformat()},
    )
    assert moved.status_code == 200, moved.text
    after = len(live.mail.messages)
    deliver(make_sessionmaker(live.engine), live.mail)
    update = wait_mail(live, "neighbour@example.org", after)
    assert update["Subject"] == f"New restoration estimate for meter {KNOWN['meter_number']}"
    page.goto(link_in(update, "/members/unsubscribe").replace("https://outages.coop.example", live.base))
    page.tap("#f-unsub button")
    page.wait_for_selector("#f-unsub [data-ok]:not(:empty)")
    no_violations(page, "unsubscribed-en")


@browser_test
def test_a_spanish_phone_stays_spanish_after_sign_in_and_a_toggle_changes_the_account(phone, live):
    token = member(live, "paco@example.org", sp(4_800), language="en")  # the account says English
    page = phone("es")  # the phone says Spanish
    sign_in(page, live, "paco@example.org")
    page.wait_for_timeout(300)  # the account's answer has been read
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.inner_text("#h-outages") == "Mis apagones"
    out_since = page.inner_text("article.sp dd time >> nth=-1")
    assert re.search(r"\bC[SD]T\b", out_since), out_since  # not GMT-6
    me = lambda: live.http.get("/api/members/me", headers={"Authorization": f"Bearer {token}"}).json()  # noqa: E731
    assert me()["language"] == "en"  # nothing changed by merely reading
    page.tap("#lang")  # an explicit toggle while signed in: the account follows
    page.wait_for_selector("html[lang=en]")
    deadline = time.monotonic() + 10
    while me()["language"] != "en" and time.monotonic() < deadline:
        time.sleep(0.05)
    page.tap("#lang")
    page.wait_for_selector("html[lang=es]")
    deadline = time.monotonic() + 10
    while me()["language"] != "es" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert me()["language"] == "es"
    # registration sends the page's language
    page.tap("#signout")
    page.goto(live.base + "/members#register")
    page.wait_for_selector("#v-register:not([hidden])")
    assert page.input_value("#f-register [name=language]") == "es"
