"""Test fixtures: a real spatial database (SpatiaLite or PostGIS, chosen by OUTAGES_TEST_DATABASE_URL),
migrated with Alembic and loaded with the tiny cooperative of :mod:`tests.factories`; each test runs
in a transaction that is rolled back; and, for the browser tests, a live server with committed data,
headless Chromium and a page on it."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from dashboards.app import create_app
from dashboards.public_site import PublicSite
from dashboards.routes import members as member_routes
from gis.db import make_engine, make_sessionmaker, refuse_writes
from gis.files import write_facilities
from outages.public_map import PublicMapSettings
from reports.delivery import SmtpSettings
from reports.flow import tick
from tests.factories import COOPERATIVE, facility_layers
from tests.helpers import (
    ARGS,
    CHROMIUM,
    CONTACTS,
    ENTRIES,
    PASSWORDS,
    RECIPIENTS,
    Api,
    Inbox,
    _playwright,
    free_port,
    live_server,
    load_test_cooperative,
)

os.environ.setdefault("OUTAGES_SECRET_KEY", "test-signing-key-for-the-test-suite-only-0123456789")
# the test client's host, and the live servers' (their links still come from OUTAGES_PUBLIC_URL)
os.environ.setdefault("OUTAGES_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("OUTAGES_PUBLIC_URL", "https://outages.coop.example")  # servers started outside demo mode


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("OUTAGES_TEST_DATABASE_URL", "sqlite")
    if url == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    return url


def _reset_postgres(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def facility_file(tmp_path_factory):
    """The tiny cooperative as a GeoPackage, as a GIS department would hand it over."""
    return write_facilities(facility_layers(), tmp_path_factory.mktemp("gis") / "facilities.gpkg")


@pytest.fixture(scope="session")
def engine(database_url, facility_file):
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        _reset_postgres(engine)
    load_test_cooperative(engine, facility_file)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def sessions(connection):
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(sessions):
    with sessions() as session:
        yield session


@pytest.fixture(scope="session")
def app(engine, database_url):
    return create_app(database_url=database_url, scheduler=False)


@pytest.fixture(scope="session")
def tokens(app) -> dict[str, str]:
    with TestClient(app) as client:
        return {
            role: client.post("/api/auth/token", data={"username": role, "password": pw}).json()["access_token"]
            for role, pw in PASSWORDS.items()
        }


@pytest.fixture
def api(app, sessions, tokens):
    app.state.sessions = sessions
    # GET requests read the test's own transaction too, through sessions that refuse to write (as in the app)
    app.state.readers = refuse_writes(
        sessionmaker(bind=sessions.kw["bind"], join_transaction_mode="create_savepoint", expire_on_commit=False)
    )
    with TestClient(app) as client:
        yield Api(client, tokens)


@pytest.fixture
def entries(api):
    """The registry's sample entries (tests.helpers.ENTRIES), made through the API, by key."""
    made = {}
    for key, body in ENTRIES.items():
        response = api("POST", "/api/registry/entries", as_="registry", json=body | {"contacts": CONTACTS})
        assert response.status_code == 201, response.text
        made[key] = response.json()
    return made


# --------------------------------------------------------------------------------------------- browser


def _seed(http: httpx.Client, tokens: dict[str, str], sessions, now: datetime) -> dict:
    """Committed data through the API: registry entries, an open significant storm on JC-014 with an
    ETR about to expire, and an interruption that lasted 30 h and ended 2 h ago (its summary report is due)."""

    def call(method, url, role, **kw):
        response = http.request(method, url, headers={"Authorization": f"Bearer {tokens[role]}"}, **kw)
        assert response.status_code < 300, response.text
        return response.json()

    for n, (name, category) in enumerate(
        [("Pedernales Valley Hospital", "hospital"), ("Johnson City Water Plant", "water")]
    ):
        meter = 9_500 + n
        call(
            "POST",
            "/api/registry/entries",
            "registry",
            json={
                "name": name,
                "category": category,
                "priority_tier": 1,
                "account_number": str(1_000_000_000 + meter),
                "meter_number": f"M{meter:08d}",
                "contacts": [{"name": "Dana Ruiz", "phone": "(512) 555-0142"}],
            },
        )
    iso = lambda t: t.isoformat()  # noqa: E731
    storm = call(
        "POST",
        "/api/interruptions",
        "dispatcher",
        json={
            "feeder": "JC-014",
            "device": "JC-014-R1",
            "cause": "wind",
            "start_at": iso(now - timedelta(hours=2)),
            "members_out": 6_000,
            "etr_at": iso(now + timedelta(minutes=20)),
        },
    )
    past = call(
        "POST",
        "/api/interruptions",
        "dispatcher",
        json={
            "feeder": "JC-014",
            "cause": "ice_snow",
            "start_at": iso(now - timedelta(hours=32)),
            "restored_at": iso(now - timedelta(hours=2)),
            "members_out": 2_400,
        },
    )
    # the scheduler's round: classify, notify (the SMTP port is closed: failed deliveries), open summary reports
    tick(
        sessions,
        cooperative=COOPERATIVE,
        now=now,
        smtp=SmtpSettings(host="127.0.0.1", port=free_port(), recipients="ceo@example.org"),
    )
    return {"storm": storm, "past": past}


@pytest.fixture(scope="module")
def live(tmp_path_factory, facility_file):
    """A uvicorn server on a free 127.0.0.1 port over a fresh SpatiaLite file, set up as ``engine`` is, with the
    data of :func:`_seed` (one per test module; test_member_pages.py has its own)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'pages.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        tokens = {
            role: http.post("/api/auth/token", data={"username": role, "password": pw}).json()["access_token"]
            for role, pw in PASSWORDS.items()
        }
        data = _seed(http, tokens, make_sessionmaker(engine), datetime.now(UTC))
        yield SimpleNamespace(base=base, http=http, tokens=tokens, **data)
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    with _playwright()() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, timezone_id="America/Chicago")
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


# ------------------------------------------------------------------------------------------- e-mail


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.settings = SmtpSettings(
        host="127.0.0.1", port=controller.port, recipients=RECIPIENTS, sender="outages@coop.example"
    )
    yield box
    controller.stop()


@pytest.fixture
def mail(inbox, monkeypatch):
    monkeypatch.setattr(member_routes, "get_smtp_settings", lambda: inbox.settings)
    return inbox


# --------------------------------------------------------------------------------------- public map


@pytest.fixture
def public(app, api, sessions):
    """The map's cache for this test's database, looking at the log on every request."""
    settings = PublicMapSettings(check_seconds=0)
    app.state.public_map_settings = settings
    app.state.public_site = PublicSite(app.state.readers, settings=settings)
    yield api
    app.state.public_map_settings = None
    app.state.public_site = None
