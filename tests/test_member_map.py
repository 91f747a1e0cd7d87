"""The member outage map (/map, public): exact figures per area, privacy (D14), and the page in a real
browser (Playwright driving Debian's Chromium) against a uvicorn server on its own test database.

The browser test writes what a member sees to ``var/screenshots/member-map.png`` (``var/`` is git-ignored).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import shapely
from sqlalchemy import text

from dashboards.public_site import PublicSite
from gis.db import make_engine
from outages.public_map import PublicMapSettings
from tests.factories import COMMUNITY, JC, MEMBERS, MF, TOTAL, facility_layers
from tests.helpers import (
    CONTACTS,
    ENTRIES,
    PASSWORDS,
    free_port,
    load_test_cooperative,
    log_on_map,
    map_figures,
    minutes_ago,
    whole_second_now,
)

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _points_in_community(feeder: str) -> int:
    """Counted from the factory's own geometry, independently of the code under test."""
    sp = facility_layers()["service_points"]
    mine = sp[sp.feeder_id == feeder]
    return int(shapely.contains(COMMUNITY, mine.geometry.values).sum())


def _ahead(hours: float) -> str:
    return (whole_second_now() + timedelta(hours=hours)).isoformat()


def test_figures_per_area_for_logged_interruptions(public):
    api = public
    community_members = sum(_points_in_community(f) for f in MEMBERS)
    jc015_in_community = _points_in_community("JC-015")
    assert 0 < jc015_in_community < MEMBERS["JC-015"]
    assert _points_in_community("MF-001") == 0

    quiet = map_figures(api)
    assert quiet["totals"] == {
        "members_served": TOTAL,
        "members_out": 0,
        "members_out_unlocated": 0,
        "percent_out": 0.0,
        "members_restored": 0,
        "active_outages": 0,
        "areas_affected": 0,
    }
    assert {a["code"]: a["members_served"] for a in quiet["areas"]} == {
        "CTY-BLANCO": TOTAL,
        "COM-JOHNSON-CITY": community_members,
    }

    west = log_on_map(api, feeder="JC-015", cause="vegetation", start_at=minutes_ago(40), members_out=500)
    etr = _ahead(3)
    log_on_map(
        api, feeder="JC-014", device="JC-014-R1", cause="wind", start_at=minutes_ago(30), members_out=6000, etr_at=etr
    )
    north = log_on_map(
        api, feeder="MF-001", cause="unknown", start_at=minutes_ago(20), members_out=300, etr_at=_ahead(2)
    )
    data = map_figures(api)
    # JC-015 and R1 are whole facilities (located); MF-001's 300 are a count nobody has located yet
    assert data["totals"] == {
        "members_served": TOTAL,
        "members_out": 6800,
        "members_out_unlocated": 300,
        "percent_out": round(100 * 6800 / TOTAL, 2),
        "members_restored": 0,
        "active_outages": 3,
        "areas_affected": 2,
    }
    areas = {a["code"]: a for a in data["areas"]}
    county, community = areas["CTY-BLANCO"], areas["COM-JOHNSON-CITY"]
    assert (county["members_out"], county["percent_out"]) == (6800, round(100 * 6800 / TOTAL, 1))
    assert county["members_out_unlocated"] == 300
    assert county["status"] == "reported" and county["etr"] is None  # JC-015 has no ETR yet
    assert county["cause"] == "wind" and county["cause_label"] == "Wind"  # the most members out
    assert community["members_out"] == jc015_in_community  # R1's members lie east of the community
    assert community["members_out_unlocated"] == 0  # MF-001 has no member there
    assert community["percent_out"] == round(100 * jc015_in_community / community_members, 1)
    assert community["status"] == "reported" and community["cause"] == "vegetation"
    assert community["out_since"] and community["last_updated"]
    assert [a["code"] for a in data["areas"]][0] == "CTY-BLANCO"  # most members out first

    # JC-015 gets an ETR: every open record has one, the county shows the latest ETR; an ETR is no crew (D17)
    assert (
        api(
            "PUT", f"/api/interruptions/{west['id']}/etr", json={"version": west["version"], "etr_at": _ahead(1)}
        ).status_code
        == 200
    )
    county = {a["code"]: a for a in map_figures(api)["areas"]}["CTY-BLANCO"]
    assert county["status"] == "reported"
    assert datetime.fromisoformat(county["etr"]) == datetime.fromisoformat(etr)

    # a step restoration and a closed record
    step = api(
        "POST",
        f"/api/interruptions/{north['id']}/restorations",
        json={"version": north["version"], "at": minutes_ago(5), "members_restored": 100},
    )
    assert step.status_code in (200, 201), step.text
    west = api("GET", f"/api/interruptions/{west['id']}").json()
    closed = api(
        "POST",
        f"/api/interruptions/{west['id']}/close",
        json={"version": west["version"], "restored_at": minutes_ago(1)},
    )
    assert closed.status_code == 200, closed.text
    data = map_figures(api)
    areas = {a["code"]: a for a in data["areas"]}
    assert data["totals"]["members_out"] == 6000 + 200
    assert data["totals"]["members_out_unlocated"] == 200  # the step brought back 100 of the unlocated count
    assert areas["CTY-BLANCO"]["members_out"] == 6200
    assert areas["COM-JOHNSON-CITY"]["members_out"] == 0
    assert areas["COM-JOHNSON-CITY"]["status"] == "restored" and areas["COM-JOHNSON-CITY"]["restored_at"]


def test_the_map_needs_no_login_and_caches_until_the_log_changes(app, api, sessions):
    settings = PublicMapSettings(check_seconds=3600)
    app.state.public_map_settings = settings
    app.state.public_site = PublicSite(app.state.readers, settings=settings)
    cache = app.state.public_site.cache
    try:
        first = api("GET", "/map/data.json", as_=None)
        assert first.status_code == 200 and first.headers["etag"]
        again = api("GET", "/map/data.json", as_=None, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        log_on_map(api, feeder="JC-015", cause="wind", start_at=minutes_ago(10), members_out=10)
        assert map_figures(api)["totals"]["members_out"] == 0  # within check_seconds: served from the cache
        assert cache.recomputations == 1
        cache.settings = PublicMapSettings(check_seconds=0)
        assert map_figures(api)["totals"]["members_out"] == 10  # the log moved: recomputed
        assert cache.recomputations == 2
        map_figures(api)
        assert cache.recomputations == 2  # the log did not move: not recomputed
        page = api("GET", "/map", as_=None)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert "default-src 'self'" in page.headers["content-security-policy"]
    finally:
        app.state.public_map_settings = app.state.public_site = None


def test_privacy_aggregates_only_and_small_areas_hidden(app, public):
    api = public
    hospital = ENTRIES["hospital"] | {"contacts": CONTACTS}
    assert api("POST", "/api/registry/entries", as_="registry", json=hospital).status_code == 201
    log_on_map(
        api,
        feeder="JC-014",
        cause="wind",
        start_at=minutes_ago(30),
        members_out=10_000,
        etr_at=_ahead(2),
        location="1 Main St, Johnson City",
        notes="Pedernales Valley Hospital on generator",
    )
    body = api("GET", "/map/data.json", as_=None).text
    # the page is static: what it draws comes from the snapshot's areas, checked with it; the search finds areas
    # by their names and ZIP codes by their postal towns (public names, which the factory's facilities reuse)
    page = "\n".join(api("GET", path, as_=None).text for path in ("/map", "/map/areas.geojson"))
    places = api("GET", "/map/places.json", as_=None).json()
    names = {a["code"]: a["name"] for a in map_figures(api)["areas"]}
    assert {p["area"] for p in places} <= set(names)
    assert all(p["label"] == names[p["area"]] or p["kind"] == "zip" and p["label"][:5] == p["zip"] for p in places)
    layers = facility_layers()
    secret = ["Pedernales Valley Hospital", "Main St", "Dana Ruiz", "555-0142", "M00009500", "1000009500"]
    for frame, column in (
        (layers["feeders"], "feeder_id"),
        (layers["feeders"], "name"),
        (layers["substations"], "substation_id"),
        (layers["substations"], "name"),
        (layers["devices"], "device_id"),
        (layers["transmission_lines"], "name"),
    ):
        secret += [v for v in frame[column] if v != "Johnson City"]  # the community shares the town's name
    for word in secret:
        assert word not in body and word not in page, word
    # no point at a home or a facility: neither substation's nor any device's coordinates, no point geometry
    for lon, lat in (JC, MF, *((p.x, p.y) for p in layers["devices"].geometry)):
        for value in (f"{lon:.4f}", f"{lat:.4f}"):
            assert value not in body and value not in page, value
    assert '"Point"' not in page and '"LineString"' not in page and '"MultiLineString"' not in page
    assert not re.search(r"\d+\.\d{3,}", re.sub(r'"\d{4}-\d\d-\d\dT[^"]*"', '""', body))  # no coordinates

    # D14: areas below the minimum are not shown (raise the minimum above the community's members)
    settings = PublicMapSettings(check_seconds=0, min_members=MEMBERS["JC-014"] // 2)
    app.state.public_map_settings = settings
    app.state.public_site = PublicSite(app.state.readers, settings=settings)
    data = map_figures(api)
    assert [a["code"] for a in data["areas"]] == ["CTY-BLANCO"]
    assert data["hidden_areas"] == 1 and data["totals"]["members_out"] == 10_000
    drawn = "\n".join(api("GET", path, as_=None).text for path in ("/map/areas.geojson", "/map/places.json"))
    assert "COM-JOHNSON-CITY" not in drawn and "CTY-BLANCO" in drawn


# --- in a real browser -------------------------------------------------------------------------------


def _browser_database(database_url: str, tmp_path: Path, facility_file: Path) -> str:
    """A database of its own for the server (the suite's database is shared by rolled-back tests)."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'browser.db'}"
    else:
        admin = make_engine(database_url)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("DROP DATABASE IF EXISTS outages_test_member_map"))
            conn.execute(text("CREATE DATABASE outages_test_member_map"))
        admin.dispose()
        url = database_url.rsplit("/", 1)[0] + "/outages_test_member_map"
        with make_engine(url).begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine = make_engine(url)
    load_test_cooperative(engine, facility_file)
    engine.dispose()
    return url


@pytest.fixture
def server(database_url, tmp_path, facility_file):
    url = _browser_database(database_url, tmp_path, facility_file)
    port = free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_SCHEDULER": "false",
        "OUTAGES_PUBLIC_MAP_CHECK_SECONDS": "0.5",
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dashboards.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start: " + proc.stdout.read().decode(errors="replace"))
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        if not url.startswith("sqlite"):
            admin = make_engine(database_url)
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("DROP DATABASE IF EXISTS outages_test_member_map WITH (FORCE)"))
            admin.dispose()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing (apt-get install chromium)")
def test_member_map_in_a_real_browser(server):
    from playwright.sync_api import expect, sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 812}, locale="en-US")
            page.on("request", lambda r: requests.append(r.url))
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(server + "/map?refresh=2")
            page.wait_for_function("() => window.mmDrawn === true")
            assert page.locator("path.leaflet-interactive").count() == 2  # Blanco County, Johnson City
            expect(page.locator("#mm-served")).to_have_text(f"{TOTAL:,}")
            expect(page.locator("#mm-none")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling

            # Spanish, remembered after a reload
            page.click("#mm-lang")
            expect(page.locator("[data-i18n=title]")).to_have_text("Mapa de apagones")
            assert page.evaluate("document.documentElement.lang") == "es"
            page.reload()
            page.wait_for_function("() => window.mmDrawn === true")
            expect(page.locator("[data-i18n=all_areas]")).to_have_text("Todas las zonas")
            # the way on to reporting an outage and to alerts, in the member's language
            report = page.locator(".mm-links a[href='/members/report']")
            expect(report).to_have_text("Reportar un apagón")
            expect(page.locator(".mm-links a[href='/members']")).to_have_text("Alertas de apagones y mi cuenta")

            # a dispatcher logs an outage through the API; the open page shows it at its next refresh
            token = httpx.post(
                server + "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
            ).json()
            logged = httpx.post(
                server + "/api/interruptions",
                headers={"Authorization": "Bearer " + token["access_token"]},
                json={"feeder": "JC-015", "cause": "vegetation", "start_at": minutes_ago(15), "members_out": 500},
            )
            assert logged.status_code == 201, logged.text
            loads = page.evaluate("window.MM_LOADS")
            item = page.locator("#mm-active li[data-code=CTY-BLANCO]")
            expect(item).to_be_visible(timeout=15_000)
            assert page.evaluate("window.MM_LOADS") > loads  # fetched, not reloaded
            expect(page.locator("#mm-out")).to_have_text("500")
            expect(item.locator(".st")).to_have_text("Reportado")
            expect(item).to_contain_text("Vegetación")
            expect(item).to_contain_text("En evaluación")
            fill = page.evaluate("""() => Array.from(document.querySelectorAll('path.leaflet-interactive'))
                                    .map(p => p.getAttribute('fill'))""")
            assert "#fdd49e" not in fill and "#fc8d59" in fill  # 500 of 12,000 = 4.2 %: the 1-5 % shade
            expect(page.locator("#mm-unlocated")).to_be_hidden()  # every member out is located
            # part of MF-001 with a count only: shown apart, "of which about N not yet located"
            part = httpx.post(
                server + "/api/interruptions",
                headers={"Authorization": "Bearer " + token["access_token"]},
                json={"feeder": "MF-001", "cause": "wind", "start_at": minutes_ago(10), "members_out": 300},
            )
            assert part.status_code == 201, part.text
            expect(page.locator("#mm-out")).to_have_text("800", timeout=15_000)
            expect(page.locator("#mm-unlocated")).to_have_text("de ellos, unos 300 aún sin ubicar")
            expect(item).to_contain_text("de ellos, unos 300 aún sin ubicar")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "member-map.png"), full_page=True)
            assert not errors, errors
        finally:
            browser.close()
    outside = [u for u in requests if not u.startswith(("http://127.0.0.1:", "data:"))]
    assert requests and not outside, outside
