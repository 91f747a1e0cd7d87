"""The storm-proof public map (issue 15): its health and the executives' warning (real SMTP server, both
databases), and the snapshot served by Debian's nginx while the app runs and after it stops (real browser).

Screenshots: ``var/screenshots/snapshot-nginx-*.png``.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import select

from gis.db import make_engine
from outages.public_map import PublicMapSettings
from outages.settings import get_rule_settings
from reports.delivery import SmtpSettings
from reports.flow import tick
from reports.map_health import map_health
from reports.models import ServiceAlarm
from tests.factories import COOPERATIVE, TOTAL
from tests.helpers import (
    ARGS,
    CHROMIUM,
    PASSWORDS,
    free_port,
    live_server,
    load_test_cooperative,
    login,
    minutes_ago,
    shoot,
)

# --------------------------------------------------------------------------- health and the executives' warning


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _write_snapshot(folder: Path, as_of: datetime) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.json").write_text(json.dumps({"as_of": as_of.isoformat().replace("+00:00", "Z"), "areas": []}))


def _alarms(session) -> list[ServiceAlarm]:
    session.expire_all()
    return list(session.scalars(select(ServiceAlarm).order_by(ServiceAlarm.id)))


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _watch(sessions, inbox, settings, now):
    return tick(sessions, cooperative=COOPERATIVE, now=now, smtp=inbox.settings, public_map=settings).public_map


def test_a_stale_snapshot_warns_the_executives_once_and_once_more_when_it_is_back(sessions, session, inbox, tmp_path):
    folder = tmp_path / "snapshot"
    settings = PublicMapSettings(snapshot_dir=str(folder), stale_seconds=300)
    now = _now()
    _write_snapshot(folder, now - timedelta(seconds=60))
    assert _watch(sessions, inbox, settings, now) is None and inbox.messages == []  # fresh: nothing to say

    _write_snapshot(folder, now - timedelta(minutes=12))
    assert _watch(sessions, inbox, settings, now) == "raised"
    assert len(inbox.messages) == 1  # one message to all the executives
    message = inbox.messages[0]
    assert message["Subject"] == "The public outage map is showing old figures"
    assert message["To"] == "ceo@example.org, coo@example.org"
    body = _text(message)
    local = (now - timedelta(minutes=12)).astimezone(get_rule_settings().zone)
    assert f"were written at {local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname()}, 0 h 12 min ago" in body
    assert "(the limit is 0 h 5 min)" in body and local.tzname() in ("CST", "CDT")
    assert "Check that the outage service is running" in body
    (alarm,) = _alarms(session)
    assert alarm.kind == "public_map" and alarm.cleared_at is None and "0 h 12 min ago" in alarm.detail

    # a second tick (and a third, later): the alarm is open, no second mail
    assert _watch(sessions, inbox, settings, now + timedelta(seconds=30)) is None
    assert _watch(sessions, inbox, settings, now + timedelta(minutes=5)) is None
    assert len(inbox.messages) == 1 and len(_alarms(session)) == 1

    # a fresh snapshot: one "back" mail, the alarm cleared
    later = now + timedelta(minutes=6)
    _write_snapshot(folder, later - timedelta(seconds=3))
    assert _watch(sessions, inbox, settings, later) == "cleared"
    assert len(inbox.messages) == 2
    back = inbox.messages[1]
    assert back["Subject"] == "The public outage map is back"
    assert "Its figures are 3 seconds old." in _text(back) and "It had been out of order since" in _text(back)
    (alarm,) = _alarms(session)
    assert alarm.cleared_at is not None
    assert _watch(sessions, inbox, settings, later + timedelta(seconds=30)) is None and len(inbox.messages) == 2

    # stale again: a new alarm, a new mail
    _write_snapshot(folder, later - timedelta(minutes=20))
    assert _watch(sessions, inbox, settings, later + timedelta(seconds=60)) == "raised"
    assert len(inbox.messages) == 3 and len(_alarms(session)) == 2


class _Answers(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def web_server():
    """A tiny web server on 127.0.0.1 answering with the status set on its handler class."""
    handler = type("Answers", (_Answers,), {"status": 200})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler = handler
    server.url = f"http://127.0.0.1:{server.server_port}/map/data.json"
    yield server
    server.shutdown()
    server.server_close()


def test_a_public_map_that_does_not_answer_warns_the_executives(sessions, session, inbox, tmp_path, web_server):
    folder = tmp_path / "snapshot"
    now = _now()
    _write_snapshot(folder, now - timedelta(seconds=5))
    closed = f"http://127.0.0.1:{free_port()}/map/data.json"  # nothing listens there
    settings = PublicMapSettings(snapshot_dir=str(folder), public_url=closed)
    assert _watch(sessions, inbox, settings, now) == "raised"
    (message,) = inbox.messages
    assert message["Subject"] == "The public outage map is not answering"
    body = _text(message)
    assert f"The public map at {closed} is not answering: it could not be reached" in body
    assert "Check the web server (nginx)" in body
    assert _watch(sessions, inbox, settings, now + timedelta(seconds=30)) is None and len(inbox.messages) == 1

    # the web server answers, but 503: still down, still one alarm and no new mail; then 200: back
    settings = PublicMapSettings(snapshot_dir=str(folder), public_url=web_server.url)
    web_server.handler.status = 503
    assert map_health(settings=settings, now=now).status == "down"
    assert "it answered 503 instead of 200" in map_health(settings=settings, now=now).problem
    assert _watch(sessions, inbox, settings, now + timedelta(seconds=60)) is None and len(inbox.messages) == 1
    web_server.handler.status = 200
    assert _watch(sessions, inbox, settings, now + timedelta(seconds=90)) == "cleared"
    assert [m["Subject"] for m in inbox.messages][-1] == "The public outage map is back"
    assert "it could not be reached" in _text(inbox.messages[-1])  # what it had been


def test_a_mail_that_cannot_be_sent_is_tried_again(sessions, session, inbox, tmp_path):
    folder = tmp_path / "snapshot"
    now = _now()
    _write_snapshot(folder, now - timedelta(hours=1))
    settings = PublicMapSettings(snapshot_dir=str(folder))
    nobody = SmtpSettings(host="127.0.0.1", port=free_port(), recipients="ceo@example.org", timeout=2)
    report = tick(sessions, cooperative=COOPERATIVE, now=now, smtp=nobody, public_map=settings)
    assert report.public_map is None and _alarms(session) == []  # not sent: not raised, so retried
    assert _watch(sessions, inbox, settings, now + timedelta(seconds=30)) == "raised" and len(inbox.messages) == 1


def test_a_new_snapshot_folder_without_figures_yet_raises_no_alarm(sessions, session, inbox, tmp_path):
    folder = tmp_path / "snapshot"
    folder.mkdir()
    settings = PublicMapSettings(snapshot_dir=str(folder), stale_seconds=300)
    now = _now()
    health = map_health(settings=settings, now=now)
    assert (health.status, health.age_seconds, health.grace) == ("stale", None, True)
    assert _watch(sessions, inbox, settings, now) is None and inbox.messages == []
    # still nothing after the limit: now it is a problem
    assert _watch(sessions, inbox, settings, now + timedelta(seconds=301)) == "raised"
    assert "No figures have been written" in _text(inbox.messages[0])
    # no snapshot configured: off, and nothing watched
    assert map_health(settings=PublicMapSettings(snapshot_dir="")).status == "off"


def test_the_health_check_tells_the_public_only_the_status_and_the_age(app, api, tmp_path, web_server):
    folder = tmp_path / "snapshot"
    try:
        app.state.public_map_settings = PublicMapSettings(snapshot_dir="")
        assert api("GET", "/api/health", as_=None).json()["public_map"] == {"status": "off", "age_seconds": None}

        _write_snapshot(folder, _now() - timedelta(seconds=20))
        app.state.public_map_settings = PublicMapSettings(snapshot_dir=str(folder), public_url=web_server.url)
        health = api("GET", "/api/health", as_=None).json()
        assert health["status"] == "ok" and health["public_map"]["status"] == "ok"
        assert 19 <= health["public_map"]["age_seconds"] <= 60

        _write_snapshot(folder, _now() - timedelta(minutes=30))
        health = api("GET", "/api/health", as_=None).json()
        assert health["public_map"]["status"] == "stale" and health["public_map"]["age_seconds"] >= 1800
        assert set(health["public_map"]) == {"status", "age_seconds"}
        assert str(tmp_path) not in json.dumps(health)  # no folder, no address, no detail

        closed = f"http://127.0.0.1:{free_port()}/map/data.json"
        app.state.public_map_settings = PublicMapSettings(snapshot_dir=str(folder), public_url=closed)
        assert api("GET", "/api/health", as_=None).json()["public_map"]["status"] == "down"
    finally:
        app.state.public_map_settings = None


# ------------------------------------------------------------------ the snapshot, served by nginx without the app

NGINX = Path("/usr/sbin/nginx")
CLI = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "outages"
SNAPSHOT_FILES = (
    "index.html",
    "data.json",
    "areas.geojson",
    "landbase.geojson",
    "places.json",
    "outages.txt",
    "outages.es.txt",
    "odin.json",
)


def _wait(what, check, timeout: float = 30.0, every: float = 0.2):
    """Poll ``check()`` until it returns something true (no timing assertion: up to ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(every)


def _figures(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "data.json").read_bytes())
    except (OSError, ValueError):
        return None


@contextmanager
def _nginx(prefix: Path, snapshot: Path, app_port: int) -> Iterator[str]:
    """Debian's nginx with the shipped config (from ``outages public-map nginx-config``) on a free port, run as
    this user in the foreground; yields its base URL."""
    port = free_port()
    made = subprocess.run(
        [
            str(CLI),
            "public-map",
            "nginx-config",
            "--prefix",
            str(prefix),
            "--snapshot",
            str(snapshot),
            "--listen",
            f"127.0.0.1:{port}",
            "--app",
            f"127.0.0.1:{app_port}",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        env=os.environ | {"COLUMNS": "400"},
    )
    assert made.returncode == 0, made.stdout + made.stderr
    conf = prefix / "nginx.conf"
    assert conf.exists(), made.stdout
    proc = subprocess.Popen(
        [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"), "-g", "daemon off;"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def answers():
        if proc.poll() is not None:
            raise AssertionError("nginx stopped: " + proc.stdout.read().decode(errors="replace"))
        try:
            return httpx.get(base + "/map/nothing-here", timeout=1).status_code == 404
        except httpx.HTTPError:
            return False

    try:
        _wait("nginx answering", answers, timeout=15)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def _check_files(folder: Path) -> dict:
    """Every snapshot file is there, valid, with its gzip copy holding the same bytes; nothing half-written."""
    for name in SNAPSHOT_FILES:
        body = (folder / name).read_bytes()
        assert gzip.decompress((folder / f"{name}.gz").read_bytes()) == body, name
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # temp names are renamed away
    figures = json.loads((folder / "data.json").read_bytes())
    assert figures["totals"]["members_served"] == TOTAL and "as_of" in figures
    areas = json.loads((folder / "areas.geojson").read_bytes())
    assert areas["type"] == "FeatureCollection" and areas["features"]
    for feature in areas["features"]:
        assert {"code", "name", "kind", "members_served"} <= set(feature["properties"])
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {f["properties"]["code"] for f in areas["features"]} == {"CTY-BLANCO", "COM-JOHNSON-CITY"}
    assert json.loads((folder / "landbase.geojson").read_bytes())["type"] == "FeatureCollection"
    assert isinstance(json.loads((folder / "places.json").read_bytes()), list)
    assert json.loads((folder / "odin.json").read_bytes())["profile"] == "PubOutages"
    assert "stay 35 feet away and call 911" in (folder / "outages.txt").read_text()
    assert "llame al 911" in (folder / "outages.es.txt").read_text()
    page = (folder / "index.html").read_text()
    assert "<script>" not in page and 'type="importmap"' not in page  # a static page: no inline script
    return figures


@pytest.fixture
def snapshot_app(tmp_path, facility_file):
    """The app on its own SpatiaLite file (the test cooperative), its snapshot to be written into ``tmp/snapshot``;
    figures stale after a few seconds so the page's warning can be seen without waiting minutes."""
    url = f"sqlite:///{tmp_path / 'snapshot.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    engine.dispose()
    settings = PublicMapSettings(
        snapshot_dir=str(tmp_path / "snapshot"),
        stale_seconds=8,
        check_seconds=0.2,
        max_age_seconds=2,
        refresh_seconds=2,
    )
    return SimpleNamespace(url=url, settings=settings, folder=tmp_path / "snapshot", prefix=tmp_path / "nginx")


@pytest.mark.skipif(not NGINX.exists(), reason=f"{NGINX} is missing (apt-get install nginx-light)")
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_nginx_serves_the_snapshot_and_the_map_outlives_the_app(snapshot_app):
    from playwright.sync_api import expect, sync_playwright

    folder = snapshot_app.folder
    app_server = live_server(snapshot_app.url, public_map=snapshot_app.settings)
    app_base = app_server.__enter__()
    app_running = True
    # the snapshot's writer: `outages public-map watch`, a process beside the app, configured by the environment
    settings = snapshot_app.settings
    env = {
        **os.environ,
        "OUTAGES_DATABASE_URL": snapshot_app.url,
        "OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR": str(folder),
        "OUTAGES_PUBLIC_MAP_STALE_SECONDS": str(settings.stale_seconds),
        "OUTAGES_PUBLIC_MAP_CHECK_SECONDS": str(settings.check_seconds),
        "OUTAGES_PUBLIC_MAP_MAX_AGE_SECONDS": str(settings.max_age_seconds),
        "OUTAGES_PUBLIC_MAP_REFRESH_SECONDS": str(settings.refresh_seconds),
    }
    outages = str(Path(sys.executable).with_name("outages"))
    watcher = subprocess.Popen([outages, "public-map", "watch", "--every", "0.5"], env=env)
    try:
        app_port = int(app_base.rsplit(":", 1)[1])
        first = _wait("the first snapshot", lambda: _figures(folder) and (folder / "index.html").exists())
        assert first
        with _nginx(snapshot_app.prefix, folder, app_port) as web:
            figures = _check_files(folder)
            assert figures["totals"]["members_out"] == 0

            # nginx serves the snapshot's bytes (pre-compressed), the page and the feeds; the rest goes to the app
            served = httpx.get(web + "/map/data.json", headers={"Accept-Encoding": "gzip"})
            assert served.status_code == 200 and served.headers["content-encoding"] == "gzip"
            assert served.headers["content-type"].startswith("application/json")
            assert json.loads(served.content)["totals"]["members_served"] == TOTAL
            page = httpx.get(web + "/map")
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert "default-src 'self'" in page.headers["content-security-policy"]
            feed = httpx.get(web + "/map/odin.json")
            assert feed.json()["profile"] == "PubOutages" and feed.headers["access-control-allow-origin"] == "*"
            assert "35 feet" in httpx.get(web + "/map/outages.txt").text
            assert httpx.get(web + "/map/data.json.gz").status_code == 404  # only through gzip_static
            assert httpx.get(web + "/api/health").json()["status"] == "ok"  # passed to the app

            # a new outage logged through the API (through nginx) reaches the snapshot, each read a whole file
            token = httpx.post(
                web + "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
            ).json()["access_token"]
            logged = httpx.post(
                web + "/api/interruptions",
                headers={"Authorization": f"Bearer {token}"},
                json={"feeder": "JC-015", "cause": "vegetation", "start_at": minutes_ago(15), "members_out": 500},
            )
            assert logged.status_code == 201, logged.text
            reads = []

            def shows_it():
                data = json.loads((folder / "data.json").read_bytes())  # never half a file: always parses
                reads.append(data["as_of"])
                return data if data["totals"]["members_out"] == 500 else None

            shown = _wait("the new outage in the snapshot", shows_it, every=0.05)
            assert shown["totals"]["active_outages"] == 1
            _wait(
                "the new outage through nginx",
                lambda: httpx.get(web + "/map/data.json").json()["totals"]["members_out"] == 500,
            )
            figures = _check_files(folder)
            odin = json.loads((folder / "odin.json").read_bytes())
            assert odin["customersAffected"] == 500 and odin["generatedTime"] == figures["as_of"]
            assert "500 of 12,000 members out" in (folder / "outages.txt").read_text()

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    context = browser.new_context(
                        viewport={"width": 375, "height": 740}, locale="en-US", timezone_id="America/Chicago"
                    )
                    page = context.new_page()
                    page.set_default_timeout(20_000)
                    outside: list[str] = []
                    page.on("request", lambda r: r.url.startswith((web, "data:", "blob:")) or outside.append(r.url))
                    errors: list[str] = []
                    page.on("pageerror", lambda e: errors.append(str(e)))
                    page.goto(web + "/map")
                    page.wait_for_function("() => window.mmDrawn === true")
                    assert page.locator("path.leaflet-interactive").count() >= 2  # the areas are drawn
                    expect(page.locator("#mm-out")).to_have_text("500")
                    shoot(page, "snapshot-nginx-running")

                    # the app stops: nginx still serves the last snapshot, and the page says how old it is
                    app_server.__exit__(None, None, None)
                    app_running = False
                    watcher.terminate()
                    watcher.wait(10)
                    with pytest.raises(httpx.HTTPError):
                        httpx.get(app_base + "/api/health", timeout=2)
                    assert httpx.get(web + "/api/health").status_code == 502  # nginx: the app is gone
                    last = _figures(folder)
                    assert last is not None
                    as_of = datetime.fromisoformat(last["as_of"].replace("Z", "+00:00"))
                    wait = (as_of - _now()).total_seconds() + snapshot_app.settings.stale_seconds + 1.5
                    time.sleep(max(wait, 0))
                    page.reload()
                    page.wait_for_function("() => window.mmDrawn === true")
                    assert page.locator("path.leaflet-interactive").count() >= 2
                    expect(page.locator("#mm-out")).to_have_text("500")  # the last figures
                    warning = page.locator("#mm-stale")
                    expect(warning).to_be_visible()
                    expect(warning).to_contain_text("This map may be out of date: last updated")
                    zone_word = as_of.astimezone(get_rule_settings().zone).tzname()
                    expect(warning).to_contain_text(zone_word)  # the last update's local time (its age: "(N min
                    # ago)", "(just now)" under a minute, as here with the test's 8 s limit)
                    shoot(page, "snapshot-nginx-app-stopped")
                    assert _figures(folder)["as_of"] == last["as_of"]  # nothing wrote since
                    assert not errors, errors
                    assert not outside, outside
                    context.close()
                finally:
                    browser.close()
    finally:
        watcher.terminate()
        watcher.wait(10)
        if app_running:
            app_server.__exit__(None, None, None)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_the_executive_dashboard_warns_when_the_public_map_is_stale(snapshot_app):
    from playwright.sync_api import expect, sync_playwright

    folder = snapshot_app.folder
    _write_snapshot(folder, _now() - timedelta(minutes=30))  # the watcher stopped half an hour ago
    settings = PublicMapSettings(snapshot_dir=str(folder), stale_seconds=300)
    with live_server(snapshot_app.url, public_map=settings) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
            login(page, SimpleNamespace(base=base), "/executive", "executive")
            warning = page.locator("#map-health")
            expect(warning).to_be_visible(timeout=20_000)
            expect(warning).to_contain_text("The public outage map is not being updated: members see old figures")
            expect(warning).to_contain_text("min old")
            shoot(page, "executive-public-map-stale")

            _write_snapshot(folder, _now())  # the watcher is back
            page.reload()
            expect(page.locator("#significant")).not_to_be_empty(timeout=20_000)
            expect(warning).to_be_hidden()
        finally:
            browser.close()
