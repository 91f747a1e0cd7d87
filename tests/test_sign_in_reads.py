"""Signing in only reads: while Argon2 checks a staff or member password, the request holds no write lock, so
another request's write (here: another client's counted request) goes ahead at once on SQLite."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from dashboards import limits, users
from dashboards.app import create_app
from dashboards.users import DEMO_MEMBER, ensure_demo_member
from gis.db import make_engine
from outages.members import service
from tests.helpers import PASSWORDS, load_test_cooperative


@pytest.fixture(scope="module")
def app(tmp_path_factory, facility_file):
    url = f"sqlite:///{tmp_path_factory.mktemp('sign-in') / 'sign-in.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    with Session(engine) as session, session.begin():
        ensure_demo_member(session=session)
    engine.dispose()
    app = create_app(database_url=url, scheduler=False)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def writes_while_checking(app, monkeypatch):
    """Each password check first lets another thread write, and records whether that write finished within 5 s."""
    finished: list[bool] = []

    def check(real):
        def password_matches(password_hash, password):
            writer = threading.Thread(
                target=limits.count_request,
                args=(app.state.sessions,),
                kwargs={"action": "report", "client": "192.0.2.7", "limit": 1_000},
            )
            writer.start()
            writer.join(5)
            finished.append(not writer.is_alive())
            return real(password_hash, password)

        return password_matches

    monkeypatch.setattr(users, "password_matches", check(users.password_matches))
    monkeypatch.setattr(service, "password_matches", check(service.password_matches))
    return finished


@pytest.mark.parametrize(
    "url, username, password",
    [
        ("/api/auth/token", "dispatcher", PASSWORDS["dispatcher"]),
        ("/api/members/token", *DEMO_MEMBER),
    ],
)
def test_a_sign_in_holds_no_write_lock_while_checking_the_password(app, writes_while_checking, url, username, password):
    with TestClient(app) as client:
        signed_in = client.post(url, data={"username": username, "password": password})
        refused = client.post(url, data={"username": username, "password": "not the password at all"})
    assert signed_in.status_code == 200 and signed_in.json()["access_token"]
    assert refused.status_code == 401
    assert writes_while_checking == [True, True]
