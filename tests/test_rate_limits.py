"""Sign-in, registration, reset and report limits (issue 11): counted in the database, per account and per
client, with a lock that grows while failures go on; X-Forwarded-For believed only from a trusted proxy; and
the same limits across two worker processes of a real server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from starlette.requests import Request

from dashboards import limits
from dashboards.limits import RateLimit, attempt_sign_in, client_address, count_request
from dashboards.settings import get_settings
from gis.db import make_engine
from gis.errors import TooManyRequests
from tests.factories import JC014_POINT
from tests.helpers import PASSWORDS, free_port, load_test_cooperative

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def staff_sign_in(client, username="dispatcher", password="not the password", **kwargs):
    return client.post("/api/auth/token", data={"username": username, "password": password}, **kwargs)


@pytest.fixture
def quick_refusals(monkeypatch):
    """Unknown accounts are checked against a cheap Argon2 hash (the limits do not depend on its cost)."""
    from argon2 import PasswordHasher

    from outages import passwords

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("timing-equaliser")
    monkeypatch.setattr(passwords, "_DUMMY", cheap)


@pytest.fixture
def trusted(monkeypatch):
    """Set OUTAGES_TRUSTED_PROXIES for one test (the settings are cached: rebuilt before and after)."""

    def trust(value: str) -> None:
        monkeypatch.setenv("OUTAGES_TRUSTED_PROXIES", value)
        get_settings.cache_clear()

    yield trust
    monkeypatch.delenv("OUTAGES_TRUSTED_PROXIES", raising=False)
    get_settings.cache_clear()


def test_eleventh_wrong_staff_password_within_a_minute_gets_429(api, session, monkeypatch):
    from dashboards.routes import auth

    on_the_loop = []

    def authenticate(**kwargs):  # where the Argon2 check runs: a worker thread, never the event loop
        try:
            asyncio.get_running_loop()
            on_the_loop.append(True)
        except RuntimeError:
            on_the_loop.append(False)
        return real(**kwargs)

    real = auth.authenticate
    monkeypatch.setattr(auth, "authenticate", authenticate)
    for n in range(10):
        assert staff_sign_in(api.client).status_code == 401, n
    assert on_the_loop == [False] * 10
    refused = staff_sign_in(api.client)
    assert refused.status_code == 429
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert (
        refused.json()["detail"].startswith("Too many sign-in attempts")
        and "Fix: wait 1 minute" in refused.json()["detail"]
    )
    # locked: not even the right password is checked now
    assert staff_sign_in(api.client, password=PASSWORDS["dispatcher"]).status_code == 429
    # the counts are rows in the database (shared by every worker), not this process's memory
    assert session.scalar(select(func.count()).select_from(RateLimit).where(RateLimit.locked_until.is_not(None))) >= 1


def test_a_successful_sign_in_clears_the_accounts_count_but_not_the_clients(app, api):
    for _ in range(11):  # successes never count: the test suite signs in many times from one client
        assert staff_sign_in(api.client, password=PASSWORDS["dispatcher"]).status_code == 200
    for _ in range(9):
        assert staff_sign_in(api.client).status_code == 401
    assert staff_sign_in(api.client, password=PASSWORDS["dispatcher"]).status_code == 200
    elsewhere = TestClient(app, client=("203.0.113.20", 40000))
    for n in range(10):  # the account starts again from nothing
        assert staff_sign_in(elsewhere).status_code == 401, n
    assert staff_sign_in(elsewhere).status_code == 429  # ten failures for the account again
    # the first client still has its nine failures (the success was taken off, nothing more)
    assert staff_sign_in(api.client, username="executive").status_code == 401
    assert staff_sign_in(api.client, username="executive").status_code == 429


def test_member_sign_in_is_limited_per_account_across_clients(app, api, session, quick_refusals):
    def member(client, password="wrong wrong wrong"):
        return client.post("/api/members/token", data={"username": "Ana@Example.org ", "password": password})

    for n in range(10):
        assert member(TestClient(app, client=(f"198.51.100.{n + 1}", 40000))).status_code == 401, n
    refused = member(TestClient(app, client=("198.51.100.99", 40000)))  # an eleventh client, the same account
    assert refused.status_code == 429 and 55 <= int(refused.headers["Retry-After"]) <= 60
    english, spanish = refused.json()["detail"].split(" / ")
    assert english.startswith("Too many sign-in attempts") and spanish.startswith("Demasiados intentos")
    # and per client, whatever the account
    for n in range(10):
        assert (
            api.client.post(
                "/api/members/token", data={"username": f"member{n}@example.org", "password": "wrong wrong wrong"}
            ).status_code
            == 401
        )
    assert (
        api.client.post(
            "/api/members/token", data={"username": "someone@example.org", "password": "wrong wrong wrong"}
        ).status_code
        == 429
    )
    # nothing kept in clear: neither the typed e-mail nor the address
    keys = " ".join(session.scalars(select(RateLimit.key)))
    assert "ana" not in keys.lower() and "198.51" not in keys and "testclient" not in keys


def test_staff_and_member_failures_from_one_client_count_together(api, quick_refusals):
    for _ in range(5):
        assert staff_sign_in(api.client, username="nobody").status_code == 401
        assert (
            api.client.post(
                "/api/members/token", data={"username": "nobody@example.org", "password": "wrong wrong wrong"}
            ).status_code
            == 401
        )
    assert staff_sign_in(api.client, username="someone-else").status_code == 429


def test_the_lock_grows_while_failures_go_on(sessions):
    def attempt(at: datetime, account="staff:dispatcher", client="192.0.2.1"):
        return attempt_sign_in(
            sessions, account=account, client=client, limit=10, max_lock=timedelta(minutes=15), now=at
        )

    now = T0
    for _ in range(10):
        attempt(now)  # ten failures (never taken off)
        now += timedelta(seconds=1)
    waits = []
    for _ in range(7):
        with pytest.raises(TooManyRequests) as refused:
            attempt(now)
        waits.append(refused.value.retry_after)
        now += timedelta(seconds=refused.value.retry_after)
        attempt(now)  # the lock is over: one more failure...
        now += timedelta(seconds=1)  # ...and the next attempt is locked out again, twice as long
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    # while locked, another account from another client is not held up
    attempt(now, account="staff:executive", client="192.0.2.2").succeeded()
    # a quarter of an hour of quiet after the lock forgets it all: ten failures again
    now += timedelta(seconds=900 + 15 * 60 + 1)
    for _ in range(10):
        attempt(now)
    with pytest.raises(TooManyRequests) as refused:
        attempt(now)
    assert refused.value.retry_after == 60


def test_a_burst_of_parallel_attempts_cannot_pass_the_limit(sessions):
    """Every attempt is counted before its password is checked: the 11th is refused even when none of the
    first ten has finished (failed or succeeded) yet."""
    pending = [
        attempt_sign_in(
            sessions,
            account="member:ana@example.org",
            client="192.0.2.9",
            limit=10,
            max_lock=timedelta(minutes=15),
            now=T0,
        )
        for _ in range(10)
    ]
    with pytest.raises(TooManyRequests):
        attempt_sign_in(
            sessions,
            account="member:ana@example.org",
            client="192.0.2.10",
            limit=10,
            max_lock=timedelta(minutes=15),
            now=T0,
        )
    assert len(pending) == 10


def test_old_rows_are_pruned_when_a_new_one_is_made(sessions, session):
    session.execute(delete(RateLimit))  # others' rows, in this test's transaction only
    session.commit()
    count_request(sessions, action="report", client="192.0.2.30", limit=30, now=T0)
    attempt_sign_in(sessions, account="staff:x", client="192.0.2.31", limit=10, max_lock=timedelta(minutes=15), now=T0)
    assert session.scalar(select(func.count()).select_from(RateLimit)) == 3
    later = T0 + timedelta(minutes=2)  # the report's minute is over; the sign-in's quarter hour is not
    count_request(sessions, action="report", client="192.0.2.32", limit=30, now=later)
    session.expire_all()
    keys = set(session.scalars(select(RateLimit.key)))
    assert limits.key("report", "client", "192.0.2.30") not in keys
    assert {limits.key("sign-in", "account", "staff:x"), limits.key("report", "client", "192.0.2.32")} <= keys
    count_request(sessions, action="report", client="192.0.2.33", limit=30, now=T0 + timedelta(minutes=20))
    session.expire_all()
    assert set(session.scalars(select(RateLimit.key))) == {limits.key("report", "client", "192.0.2.33")}


def test_registration_reset_and_report_rates_are_kept_in_the_database(api, session):
    body = {
        "email": "ana@example.org",
        "password": "correct horse battery staple",
        "account_number": "1",
        "meter_number": "nope",
    }
    for n in range(10):  # refused for the wrong meter, but counted (the limit comes first)
        assert api("POST", "/api/members/register", as_=None, json=body).status_code == 422, n
    refused = api("POST", "/api/members/register", as_=None, json=body)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    # resending an activation counts with registration; a reset request has its own ten
    assert api("POST", "/api/members/resend-activation", as_=None, json={"email": "a@example.org"}).status_code == 429
    for _ in range(10):
        assert api("POST", "/api/members/password-reset", as_=None, json={"email": "x"}).status_code == 422
    assert api("POST", "/api/members/password-reset", as_=None, json={"email": "x"}).status_code == 429
    report = {"account_number": JC014_POINT["account_number"], "meter_number": "nope"}
    for _ in range(30):  # outage reports get thirty: many members behind one carrier's address in a storm
        assert api("POST", "/api/members/outage-reports", as_=None, json=report).status_code == 422
    assert api("POST", "/api/members/outage-reports", as_=None, json=report).status_code == 429
    keys = set(session.scalars(select(RateLimit.key)))
    assert {limits.key(action, "client", "testclient") for action in ("registration", "reset", "report")} <= keys


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(app, api, trusted, quick_refusals):
    proxy = TestClient(app, client=("10.0.0.2", 40000))
    for n in range(10):  # different accounts, every one "from" another address: one client all the same
        assert (
            staff_sign_in(proxy, username=f"nobody-{n}", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
            == 401
        )
    assert staff_sign_in(proxy, username="nobody-x", headers={"X-Forwarded-For": "198.51.100.200"}).status_code == 429

    trusted("10.0.0.0/24")
    behind = TestClient(app, client=("10.0.0.3", 40000))  # a trusted proxy, and a fresh one
    for n in range(12):  # each a different client now
        assert (
            staff_sign_in(behind, username=f"someone-{n}", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            == 401
        ), n
    # the right-most address that is not a trusted proxy is the client; what it put left of that is ignored
    for n in range(10):
        spoofed = f"192.0.2.{n}, 198.51.100.77, 10.0.0.9"
        assert staff_sign_in(behind, username=f"other-{n}", headers={"X-Forwarded-For": spoofed}).status_code == 401
    assert (
        staff_sign_in(behind, username="other-x", headers={"X-Forwarded-For": "192.0.2.250, 198.51.100.77"}).status_code
        == 429
    )


def _request(peer: str, forwarded: list[str]) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": headers, "client": (peer, 1)})


def test_client_address(trusted):
    assert client_address(_request("198.51.100.1", ["203.0.113.9"])) == "198.51.100.1"  # no proxy trusted
    trusted("127.0.0.1, 10.0.0.0/8")
    assert client_address(_request("198.51.100.1", ["203.0.113.9"])) == "198.51.100.1"  # not from a proxy
    assert client_address(_request("127.0.0.1", [])) == "127.0.0.1"
    assert client_address(_request("127.0.0.1", ["203.0.113.9, 10.1.2.3"])) == "203.0.113.9"
    assert client_address(_request("10.0.0.1", ["1.2.3.4, 203.0.113.9", "10.0.0.7"])) == "203.0.113.9"
    assert client_address(_request("10.0.0.1", ["10.0.0.5, 10.0.0.6"])) == "10.0.0.5"  # only proxies
    with pytest.raises(ValueError, match="OUTAGES_TRUSTED_PROXIES"):
        trusted("nginx")
        get_settings()


@pytest.fixture
def worker_database(engine, database_url, facility_file, tmp_path):
    """A database two server processes can share: a new SpatiaLite file, or the PostGIS test database
    (committed to; the rows the test leaves are deleted)."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'workers.db'}"
        file_engine = make_engine(url)
        load_test_cooperative(file_engine, facility_file)
        file_engine.dispose()
        yield url
        return
    keys = [limits.key("sign-in", "account", "staff:dispatcher"), limits.key("sign-in", "client", "127.0.0.1")]
    with engine.begin() as conn:
        conn.execute(delete(RateLimit).where(RateLimit.key.in_(keys)))
    yield database_url
    with engine.begin() as conn:  # later tests sign in as the dispatcher from 127.0.0.1 too
        conn.execute(delete(RateLimit).where(RateLimit.key.in_(keys)))


def test_the_limit_holds_across_two_worker_processes(worker_database):
    port = free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": worker_database,
        "OUTAGES_SCHEDULER": "false",
        "OUTAGES_DEMO": "false",
        "OUTAGES_SECRET_KEY": "two-workers-test-signing-key-0123456789-abcdefghijklmnop",
        "OUTAGES_PUBLIC_URL": "https://outages.coop.example",
        "OUTAGES_ALLOWED_HOSTS": "127.0.0.1",
        "OUTAGES_TRUSTED_PROXIES": "",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dashboards.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-proxy-headers",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        answers = []
        for n in range(11):
            with httpx.Client(base_url=base, timeout=30) as http:  # a new connection each time: either worker
                answers.append(staff_sign_in(http, headers={"X-Forwarded-For": f"198.51.100.{n}"}))
        assert [a.status_code for a in answers] == [401] * 10 + [429]
        assert 50 <= int(answers[-1].headers["Retry-After"]) <= 60
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
