"""Hardening at the door: links come from the configured public address (never the Host header), unknown
hosts are refused, unsafe settings stop the service, bodies have a size limit, NUL characters are refused,
and every e-mail carries Date and Message-ID."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from dashboards.guards import BodyLimit
from dashboards.routes import members as member_routes
from dashboards.settings import ServiceSettings, get_settings
from outages.members.models import MemberAccount
from outages.models import Interruption
from reports.flow import tick
from tests.factories import COOPERATIVE, JC014_POINT
from tests.helpers import PASSPHRASE, T, link_token, log

PUBLIC = "https://outages.coop.example"
GOOD_KEY = "k3Y-for-the-guard-tests_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.fixture
def mail(inbox, monkeypatch):
    monkeypatch.setattr(member_routes, "get_smtp_settings", lambda: inbox.settings)
    monkeypatch.setattr(get_settings(), "public_url", PUBLIC + "/")
    return inbox


def register(api, headers: dict | None = None):
    return api(
        "POST",
        "/api/members/register",
        as_=None,
        headers=headers or {},
        json={"email": "ana@example.org", "password": PASSPHRASE, "language": "en", **JC014_POINT},
    )


def _links(message) -> list[str]:
    return re.findall(r"https?://\S+", message.get_body(preferencelist=("plain",)).get_content())


def test_reset_and_activation_links_use_the_public_address_whatever_the_host(api, mail):
    assert register(api, headers={"Host": "127.0.0.1:8000"}).status_code == 202
    activation = mail.messages[-1]
    assert _links(activation) == [f"{PUBLIC}/members/activate?token={link_token(activation)}"]
    assert api("POST", "/api/members/activate", as_=None, json={"token": link_token(activation)}).status_code == 200
    forged = api(
        "POST",
        "/api/members/password-reset",
        as_=None,
        json={"email": "ana@example.org"},
        headers={"Host": "localhost", "X-Forwarded-Host": "evil.example"},
    )
    assert forged.status_code == 202
    reset = mail.messages[-1]
    assert _links(reset) == [f"{PUBLIC}/members/reset?token={link_token(reset)}"]


def test_a_host_the_operator_did_not_configure_is_refused_and_nothing_happens(api, mail, session):
    for host in ("evil.example", "evil.example:443", "testserver.evil.example"):
        refused = register(api, headers={"Host": host})
        assert refused.status_code == 400, host
        forged = api(
            "POST", "/api/members/password-reset", as_=None, json={"email": "ana@example.org"}, headers={"Host": host}
        )
        assert forged.status_code == 400
    assert mail.messages == [] and session.scalar(select(func.count()).select_from(MemberAccount)) == 0
    assert api("GET", "/api/health", as_=None).status_code == 200  # the configured host still works


def test_allowed_hosts_default_to_the_public_address():
    production = ServiceSettings(_env_file=None, demo=False, public_url="https://outages.pec.coop/", allowed_hosts="")
    assert production.allowed_host_list == ["outages.pec.coop"]
    demo = ServiceSettings(_env_file=None, demo=True, public_url="http://127.0.0.1:8000", allowed_hosts="")
    assert sorted(demo.allowed_host_list) == ["127.0.0.1", "localhost"]
    named = ServiceSettings(_env_file=None, allowed_hosts="outages.pec.coop, Intranet.PEC.local ")
    assert named.allowed_host_list == ["outages.pec.coop", "intranet.pec.local"]


@pytest.mark.parametrize(
    "key, url, refused",
    [
        ("short", PUBLIC, "OUTAGES_SECRET_KEY"),
        ("change-me", PUBLIC, "OUTAGES_SECRET_KEY"),
        ("a" * 200, PUBLIC, "OUTAGES_SECRET_KEY"),  # long but no randomness
        ("0123456789abcdef" * 3, PUBLIC, "OUTAGES_SECRET_KEY"),  # 48 hex digits: 24 bytes
        (GOOD_KEY, "http://127.0.0.1:8000", "OUTAGES_PUBLIC_URL"),
        (GOOD_KEY, "https://example.com", "OUTAGES_PUBLIC_URL"),
        (GOOD_KEY, "outages.pec.coop", "OUTAGES_PUBLIC_URL"),  # no scheme
        (GOOD_KEY, PUBLIC, None),
        ("0123456789abcdef" * 4, "https://outages.pec.coop", None),  # secrets.token_hex(32)
    ],
)
def test_unsafe_settings_stop_the_service_outside_demo_mode(key, url, refused):
    settings = ServiceSettings(_env_file=None, demo=False, secret_key=key, public_url=url)
    if refused is None:
        settings.refuse_unsafe_defaults()
    else:
        with pytest.raises(SystemExit, match=refused):
            settings.refuse_unsafe_defaults()
    ServiceSettings(_env_file=None, demo=True, secret_key=key, public_url=url).refuse_unsafe_defaults()


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Interruption))


def test_an_oversized_body_is_refused_and_nothing_is_written(api, session):
    before = _count(session)
    big = {"feeder": "JC-014", "start_at": "2025-06-02T10:00", "members_out": 5, "notes": "x" * 2_000_000}
    assert api("POST", "/api/interruptions", json=big).status_code == 413

    def chunks():  # no Content-Length: the body is cut off as it passes the limit
        yield b'{"feeder": "JC-014", "start_at": "2025-06-02T10:00", "members_out": 5, "notes": "'
        for _ in range(40):
            yield b"y" * 50_000
        yield b'"}'

    chunked = api("POST", "/api/interruptions", content=chunks(), headers={"Content-Type": "application/json"})
    assert chunked.status_code == 413 and "larger than 1,048,576 bytes" in chunked.json()["detail"]
    assert _count(session) == before


def test_uploads_have_their_own_larger_limit():
    async def echo(request):
        return PlainTextResponse(str(len(await request.body())))

    app = BodyLimit(Starlette(routes=[Route("/", echo, methods=["POST"])]), json_bytes=100, upload_bytes=1_000)
    client = TestClient(app)
    assert client.post("/", content=b"x" * 101).status_code == 413
    upload = client.post("/", files={"file": ("a.csv", b"y" * 500)})
    assert upload.status_code == 200
    assert client.post("/", files={"file": ("a.csv", b"y" * 2_000)}).status_code == 413


def test_nul_characters_are_refused_naming_where(api, session):
    before = _count(session)
    body = {"feeder": "JC-014", "start_at": "2025-06-02T10:00", "members_out": 5, "location": "Main St\u0000"}
    refused = api("POST", "/api/interruptions", json=body)
    assert refused.status_code == 422 and refused.json()["field"] == "location"
    assert "NUL" in refused.json()["detail"]
    assert _count(session) == before
    query = api("GET", "/api/interruptions", params={"feeder": "JC\x00014"})
    assert query.status_code == 422 and query.json()["field"] == "feeder"
    form = api("POST", "/api/auth/token", as_=None, data={"username": "dispatcher\x00", "password": "x" * 10})
    assert form.status_code == 422 and form.json()["field"] == "username"
    member = api(
        "POST",
        "/api/members/register",
        as_=None,
        json={"email": "ana@example.org", "password": PASSPHRASE, **JC014_POINT, "language": "en\u0000"},
    )
    assert member.status_code == 422 and member.json()["field"] == "language"


def test_every_email_has_a_date_and_a_message_id(api, mail, sessions, session):
    assert register(api).status_code == 202  # the activation e-mail
    log(session)  # and a significant interruption: the initial notice to the executives
    session.commit()
    tick(sessions, cooperative=COOPERATIVE, now=T + timedelta(minutes=61), smtp=mail.settings)
    assert len(mail.messages) == 3
    ids = set()
    for message in mail.messages:
        assert message["Date"] and message["Message-ID"], message["Subject"]
        assert message["Message-ID"].endswith("@coop.example>")
        ids.add(message["Message-ID"])
    assert len(ids) == 3
