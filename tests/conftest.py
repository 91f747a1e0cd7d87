"""Test fixtures: a real spatial database (SpatiaLite or PostGIS, chosen by OUTAGES_TEST_DATABASE_URL),
migrated with Alembic and loaded with the tiny cooperative of :mod:`tests.factories`; each test runs
in a transaction that is rolled back."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from dashboards.app import create_app
from dashboards.migrate import seed_reference_data, upgrade
from dashboards.users import create_user
from gis.db import make_engine, refuse_writes
from gis.files import read_facilities, write_facilities
from gis.service import import_facilities
from tests.factories import facility_layers

os.environ.setdefault("OUTAGES_SECRET_KEY", "test-signing-key-for-the-test-suite-only-0123456789")
# the test client's host, and the live servers' (their links still come from OUTAGES_PUBLIC_URL)
os.environ.setdefault("OUTAGES_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("OUTAGES_PUBLIC_URL", "https://outages.coop.example")  # servers started outside demo mode
PASSWORDS = {role: f"{role}-test-password" for role in ("dispatcher", "executive", "registry", "admin")}


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_test_cooperative(engine, facility_file) -> None:
    """Migrate an empty database and load the tiny cooperative, its reference data and the staff users."""
    upgrade(engine)
    with Session(engine) as session, session.begin():
        seed_reference_data(session)
        import_facilities(session=session, layers=read_facilities(facility_file))
        for role, password in PASSWORDS.items():
            create_user(session=session, username=role, password=password, role=role)


@contextmanager
def live_server(url: str) -> Iterator[str]:
    """The app (scheduler off) served by uvicorn in a thread on a free 127.0.0.1 port; yields its base URL,
    which is also the public address its e-mails link to while it runs."""
    import uvicorn

    from dashboards.settings import get_settings

    port = free_port()
    settings, configured = get_settings(), get_settings().public_url
    settings.public_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(create_app(database_url=url, scheduler=False), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        settings.public_url = configured


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
        return {role: client.post("/api/auth/token", data={"username": role, "password": pw}).json()["access_token"]
                for role, pw in PASSWORDS.items()}


class Api:
    """A test client that speaks as one role."""

    def __init__(self, client: TestClient, tokens: dict[str, str]):
        self.client, self.tokens = client, tokens

    def __call__(self, method: str, url: str, *, as_: str | None = "dispatcher", **kwargs):
        headers = kwargs.pop("headers", {})
        if as_:
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        return self.client.request(method, url, headers=headers, **kwargs)


@pytest.fixture
def api(app, sessions, tokens):
    app.state.sessions = sessions
    # GET requests read the test's own transaction too, through sessions that refuse to write (as in the app)
    app.state.readers = refuse_writes(sessionmaker(bind=sessions.kw["bind"], join_transaction_mode="create_savepoint",
                                                   expire_on_commit=False))
    with TestClient(app) as client:
        yield Api(client, tokens)
