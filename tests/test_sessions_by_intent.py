"""Sessions by intent: a ``WriteSession`` commits when its route returns and rolls back when it fails; a
``ReadSession`` refuses to write; the lock wait and the read-only refusal answer from the one error map.

The routes here are built for the test on a bare app with the service's error map and dependencies (the
service's own app must not grow test-only operations: the fuzz test walks every one)."""

from __future__ import annotations

import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from dashboards import errors
from dashboards.deps import ReadSession, WriteSession
from gis.db import make_engine, make_sessionmaker
from gis.errors import InvalidInput
from registry.models import RegistryCategory
from tests.helpers import load_test_cooperative


def _app(sessions, readers) -> FastAPI:
    app = FastAPI()
    errors.install(app)
    app.state.sessions, app.state.readers = sessions, readers

    @app.post("/categories/{code}")
    def add(db: WriteSession, code: str) -> dict:
        db.add(RegistryCategory(code=code, label=f"Test {code}", grp="other"))
        return {"added": code}

    @app.post("/categories/{code}/then-fail")
    def add_then_fail(db: WriteSession, code: str) -> dict:
        db.add(RegistryCategory(code=code, label=f"Test {code}", grp="other"))
        db.flush()
        raise InvalidInput("Refused after writing. Fix: nothing, this is a test.", field="code")

    @app.get("/categories/{code}/sneaky")
    def sneaky_write(db: ReadSession, code: str) -> dict:
        db.add(RegistryCategory(code=code, label=f"Test {code}", grp="other"))
        db.flush()
        return {"added": code}

    return app


def _codes(sessions) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(RegistryCategory.code).where(RegistryCategory.code.like("t-%"))))


@pytest.fixture
def client(engine, sessions):
    with TestClient(_app(sessions, make_sessionmaker(engine, read_only=True)), raise_server_exceptions=False) as c:
        yield c


def test_a_write_session_commits_when_the_route_returns(client, sessions):
    assert client.post("/categories/t-kept").status_code == 200
    assert _codes(sessions) == {"t-kept"}


def test_a_route_that_fails_after_writing_leaves_nothing(client, sessions):
    response = client.post("/categories/t-gone/then-fail")
    assert response.status_code == 422 and response.json()["field"] == "code"
    assert _codes(sessions) == set()


def test_a_read_session_refuses_to_write_with_a_plain_500(client, sessions):
    response = client.get("/categories/t-sneaky/sneaky")
    assert response.status_code == 500
    assert "Nothing was changed" in response.json()["detail"]
    assert _codes(sessions) == set()


def test_a_write_that_waits_too_long_for_the_lock_is_a_503_with_retry_after(tmp_path, facility_file):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    engine = make_engine(url, write_wait=0.3)
    load_test_cooperative(engine, facility_file)
    sessions = make_sessionmaker(engine)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with sessions() as session, session.begin():
            session.add(RegistryCategory(code="t-holder", label="Holder", grp="other"))
            session.flush()
            holding.set()
            release.wait(10)
            session.rollback()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(10)
        with TestClient(_app(sessions, make_sessionmaker(engine, read_only=True)), raise_server_exceptions=False) as c:
            response = c.post("/categories/t-waiting")
            assert c.get("/categories/t-none/sneaky").status_code == 500  # reads never wait for the writer
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert "stayed busy for 0.3 s" in response.json()["detail"] and "Nothing was changed" in response.json()["detail"]
    assert _codes(sessions) == set()
    engine.dispose()
