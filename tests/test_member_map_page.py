"""The member's public map page (issue 15) as a member uses it on a phone (375 x 740, Debian's Chromium through
Playwright), in English and Spanish: find your area (search by town or ZIP code, locate me, tap a row), the
safety banner with the co-op's number, truthful figures (partial restoration, "<0.1 %", the age of the figures and
the out-of-date warning), zoom allowed, keyboard use and axe-core's WCAG 2.1 AA checks.

The server is the app (uvicorn on 127.0.0.1) over a SpatiaLite file of its own holding a small generated sample
that has Kerrville (``sample_data.generate`` at scale 0.04, with its synthetic landbase), so this module always
uses SpatiaLite, whichever database the suite runs on.  Outages are logged through the real API.
Screenshots: ``var/screenshots/member-map-page-*.png``.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import httpx
import pytest

from gis.db import make_engine
from sample_data.generate import generate
from tests.helpers import (
    PASSWORDS,
    SCREENSHOTS,
    axe_violations,
    browser_test,
    live_server,
    load_test_cooperative,
    minutes_ago,
    shoot,
)

PHONE = {"width": 375, "height": 740}
KERRVILLE = "COM-KERRVILLE"
SCALE = 0.04  # the smallest sample with Kerrville in it (4 substations, 10,000 members)

pytestmark = browser_test


def _kerrville_feeder(folder: Path) -> tuple[str, int, list[str]]:
    """The feeder with the most members inside the Kerrville community, how many members it serves and the meters
    of its members inside the community, counted from the generated files themselves (independently of the code
    under test)."""
    areas = gpd.read_file(folder / "facilities.gpkg", layer="service_areas")
    points = gpd.read_file(folder / "facilities.gpkg", layer="service_points")
    community = areas[areas.area_id == KERRVILLE].geometry.iloc[0]
    inside = points[points.within(community)]
    feeder = inside.feeder_id.value_counts().index[0]
    meters = sorted(inside[inside.feeder_id == feeder].meter_number)
    return str(feeder), int((points.feeder_id == feeder).sum()), meters


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("map-page")
    generate(folder, scale=SCALE)
    url = f"sqlite:///{folder / 'map.db'}"
    engine = make_engine(url)
    load_test_cooperative(engine, folder / "facilities.gpkg")
    feeder, served, meters = _kerrville_feeder(folder)
    with live_server(url) as base, httpx.Client(base_url=base, timeout=30) as http:
        token = http.post(
            "/api/auth/token", data={"username": "dispatcher", "password": PASSWORDS["dispatcher"]}
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        logged = http.post(
            "/api/interruptions",
            headers=auth,
            json={"feeder": feeder, "cause": "wind", "start_at": minutes_ago(25), "members_out": served},
        )
        assert logged.status_code == 201, logged.text
        places = http.get("/map/places.json").json()
        yield SimpleNamespace(
            base=base,
            http=http,
            auth=auth,
            feeder=feeder,
            served=served,
            kerrville_meters=meters,
            record=logged.json(),
            places=places,
        )
    engine.dispose()


@pytest.fixture
def phone(browser, site):
    """A phone's page (375 x 740, touch) on the map, in `language`, with what it requested outside the server."""
    contexts = []

    def open_map(language: str = "en", **options):
        context = browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale="es-MX" if language == "es" else "en-US",
            timezone_id="America/Chicago",
            bypass_csp=True,  # axe-core is injected
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.errors, page.outside = [], []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: r.url.startswith((site.base, "data:", "blob:")) or page.outside.append(r.url))
        page.goto(site.base + "/map?refresh=2")
        page.wait_for_function("() => window.mmDrawn === true")
        return page

    yield open_map
    for context in contexts:
        context.close()


def _bounds(page, code: str | None = None) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the map's view, or of an area's outline."""
    expr = "window.mm.map.getBounds().toBBoxString()" if code is None else f"window.mm.bounds({code!r})"
    return tuple(float(v) for v in page.evaluate(f"() => {expr}").split(","))


def _around(view, area) -> bool:
    """The view shows the whole area and is zoomed to it (at most 4 times its size either way)."""
    w, s, e, n = view
    aw, as_, ae, an = area
    tol = 1e-6
    holds = w <= aw + tol and s <= as_ + tol and e >= ae - tol and n >= an - tol
    return holds and (e - w) <= 4 * (ae - aw) + 0.05 and (n - s) <= 4 * (an - as_) + 0.05


def _inside_viewport(page, selector: str) -> None:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= PHONE["width"] + 0.5 and box["y"] + box["height"] <= PHONE["height"] + 0.5, box


def _highlighted(page) -> int:
    return page.locator("path.leaflet-interactive[stroke-width='4']").count()


def _shoot_screen(page, name: str) -> None:
    """What the phone's screen shows now (the sheet is fixed to the screen, so not a full-page shot)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _no_axe_violations(page) -> None:
    found = axe_violations(page)
    assert found == [], "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> {v['nodes']}" for v in found)


def test_first_view_is_the_territory_and_the_page_allows_zoom(phone, site):
    page = phone()
    viewport = page.get_attribute("meta[name=viewport]", "content")
    assert "width=device-width" in viewport
    assert "user-scalable=no" not in viewport.replace(" ", "") and "maximum-scale" not in viewport
    w, s, e, n = _bounds(page)
    union = page.evaluate(
        "() => { let b = null; window.mm.map.eachLayer(l => { if (l.feature && l.feature.properties.code)"
        " b = b ? b.extend(l.getBounds()) : l.getBounds(); }); return b.toBBoxString(); }"
    )
    aw, as_, ae, an = (float(v) for v in union.split(","))
    assert w <= aw + 1e-6 and e >= ae - 1e-6 and s <= as_ + 1e-6 and n >= an - 1e-6  # the whole territory
    assert (ae - aw) / (e - w) > 0.6 or (an - as_) / (n - s) > 0.6  # and filling the map, not half of it
    assert page.locator(".mm-place").count() > 0  # the base map's town names
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.errors == [] and page.outside == [], (page.errors, page.outside)


def test_search_by_town_and_by_zip_zooms_to_the_area(phone, site):
    zips = [p for p in site.places if p["kind"] == "zip" and p["area"] == KERRVILLE]
    assert any(p["zip"] == "78028" for p in zips), zips
    page = phone()
    area = _bounds(page, KERRVILLE)
    assert not _around(_bounds(page), area)  # the first view is the whole territory

    # by name, keyboard only: type, arrow down to the first result, Enter
    page.fill("#mm-q", "kérrv")  # accents and case do not matter
    option = page.locator("#mm-results [role=option]").first
    option.wait_for()
    assert option.inner_text().startswith("Kerrville")
    assert page.get_attribute("#mm-q", "aria-expanded") == "true"
    page.press("#mm-q", "ArrowDown")
    assert page.get_attribute("#mm-q", "aria-activedescendant") == "mm-opt-0"
    assert page.get_attribute("#mm-opt-0", "aria-selected") == "true"
    page.press("#mm-q", "Enter")
    page.locator("#mm-info").wait_for(state="visible")
    assert _around(_bounds(page), area), (_bounds(page), area)
    assert _highlighted(page) == 1
    assert "Kerrville" in page.inner_text("#mm-info-h")
    _inside_viewport(page, "#mm-info")
    _shoot_screen(page, "member-map-page-search-en")
    page.keyboard.press("Escape")  # the sheet closes by keyboard, focus goes back to the search
    page.locator("#mm-info").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == "mm-q"

    # back to the territory, then by ZIP code (a prefix is enough), chosen with the Find button
    page.evaluate("() => window.mm.map.setView([30.3, -98.4], 8, {animate: false})")
    page.fill("#mm-q", "7802")
    page.locator("#mm-results [role=option]", has_text="78028").first.wait_for()
    page.fill("#mm-q", "78028")
    page.click("#mm-find button[type=submit]")
    page.locator("#mm-info").wait_for(state="visible")
    assert _around(_bounds(page), area), (_bounds(page), area)
    assert "Kerrville" in page.inner_text("#mm-info-h")
    assert "Showing" in page.inner_text("#mm-find-msg")

    # a county's name already says what it is: no kind added ("Kerr County", never "Kerr County county")
    page.fill("#mm-q", "kerr")
    county = page.locator("#mm-results [role=option]", has_text="Kerr County")
    county.wait_for()
    assert county.inner_text().strip() == "Kerr County"

    # nothing found: said in plain words
    page.fill("#mm-q", "Zzyzx")
    page.click("#mm-find button[type=submit]")
    assert "No area matches “Zzyzx”" in page.inner_text("#mm-find-msg")
    assert page.locator("#mm-results").is_hidden()
    assert page.errors == [] and page.outside == [], (page.errors, page.outside)


def test_a_list_row_zooms_highlights_and_its_details_fit_the_phone(phone, site):
    page = phone()
    area = _bounds(page, KERRVILLE)
    row = page.locator(f"#mm-active li[data-code={KERRVILLE}]")
    row.wait_for()
    button = row.locator("button.mm-go")
    button.focus()
    page.keyboard.press("Enter")  # a row is a button: keyboard works as a tap does
    page.locator("#mm-info").wait_for(state="visible")
    assert _around(_bounds(page), area), (_bounds(page), area)
    assert _highlighted(page) == 1
    assert page.locator(f"#mm-active li[data-code={KERRVILLE}].mm-hl").count() == 1
    _inside_viewport(page, "#mm-info")
    info = page.inner_text("#mm-info")
    assert "Reported" in info and "Being assessed" in info and f"{site.served:,}" in info
    assert "CST" in info or "CDT" in info
    _shoot_screen(page, "member-map-page-row-en")
    page.click("#mm-info-close")
    page.locator("#mm-info").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.id") == button.get_attribute("id")

    # a row of the table of all areas too; tapping the area on the map opens the same details
    page.locator(f"#mm-table tr[data-code={KERRVILLE}] button").click()
    page.locator("#mm-info").wait_for(state="visible")
    _inside_viewport(page, "#mm-info")
    page.keyboard.press("Escape")
    page.locator("#mm-info").wait_for(state="hidden")
    page.evaluate(
        """code => { window.mm.map.eachLayer(l => { if (l.feature && l.feature.properties.code === code)
                     l.fire('click'); }); }""",
        KERRVILLE,
    )
    page.locator("#mm-info").wait_for(state="visible")
    assert "Kerrville" in page.inner_text("#mm-info-h")
    _inside_viewport(page, "#mm-info")
    assert page.errors == [], page.errors


def test_locate_me_uses_the_phone_only(phone, site):
    page = phone(geolocation={"latitude": 30.0474, "longitude": -99.1403}, permissions=["geolocation"])
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.click("#mm-locate")
    page.locator("#mm-find-msg", has_text="You are in Kerrville").wait_for()
    assert page.locator("#mm-info").is_visible()
    assert [u for u in requests if "30.04" in u or "99.14" in u] == []  # the position is not sent anywhere
    _shoot_screen(page, "member-map-page-locate-en")

    denied = phone()  # no permission given: said, with what to do instead
    denied.click("#mm-locate")
    denied.locator("#mm-find-msg", has_text="Search by town or ZIP code instead").wait_for()


def test_safety_banner_links_and_accessibility_in_both_languages(phone, site):
    page = phone()
    banner = page.locator("#mm-safety")
    assert banner.bounding_box()["y"] < 120  # at the top
    assert "A downed line is always live: stay 35 feet away and call 911, then the co-op at (830) 555-0100." in (
        banner.inner_text()
    )
    assert page.get_attribute("#mm-safety a.mm-phone", "href") == "tel:+18305550100"
    assert banner.locator("a[href='tel:911']").count() == 1
    assert page.get_attribute(".mm-links a[href='/members/report']", "href") == "/members/report"
    assert page.locator(".mm-links a[href='/members']").count() == 1
    assert page.get_attribute("#mm-text-only", "href") == "/map/outages.txt"
    text = site.http.get("/map/outages.txt")
    assert text.status_code == 200 and "Kerrville" in text.text
    # the skip link leads to the list
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "mm-skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "mm-list"
    assert page.locator("#mm-table caption").inner_text()
    assert page.locator("#mm-table thead th[scope=col]").count() == 4
    assert page.locator("#mm-table tbody th[scope=row] button").count() >= 2
    _no_axe_violations(page)
    page.locator(f"#mm-active li[data-code={KERRVILLE}] button").click()
    page.locator("#mm-info").wait_for(state="visible")
    _no_axe_violations(page)  # with the details open
    page.keyboard.press("Escape")
    shoot(page, "member-map-page-en")

    page.click("#mm-lang")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert "Una línea caída siempre tiene corriente" in banner.inner_text()
    assert "(830) 555-0100" in banner.inner_text()
    assert page.get_attribute("#mm-text-only", "href") == "/map/outages.es.txt"
    assert page.get_attribute(".leaflet-control-zoom-in", "aria-label") == "Acercar"
    updated = page.inner_text("#mm-updated")
    assert updated.startswith("Actualizado") and re.search(r"\bC[SD]T\b", updated) and "GMT" not in updated
    table = page.inner_text("#mm-table")
    assert "Condado de Kerr" in table and "County" not in table and "County condado" not in table
    info_row = page.inner_text(f"#mm-active li[data-code={KERRVILLE}]")
    assert "Reportado" in info_row and "En evaluación" in info_row and "GMT" not in info_row
    _no_axe_violations(page)
    shoot(page, "member-map-page-es")

    # a phone set to Spanish opens the map in Spanish
    spanish = phone("es")
    assert spanish.evaluate("document.documentElement.lang") == "es"
    spanish.fill("#mm-q", "condado de kerr")
    spanish.locator("#mm-results [role=option]", has_text="Condado de Kerr").first.wait_for()
    _no_axe_violations(spanish)
    assert page.errors == [] and spanish.errors == [], (page.errors, spanish.errors)


def test_a_partial_restoration_shows_as_partial_with_its_numbers(phone, site):
    record = site.http.get(f"/api/interruptions/{site.record['id']}", headers=site.auth).json()
    back = site.kerrville_meters[:40]  # 40 of the feeder's members in Kerrville are back on
    in_kerrville = len(site.kerrville_meters)
    step = site.http.post(
        f"/api/interruptions/{record['id']}/restorations",
        headers=site.auth,
        json={"version": record["version"], "at": minutes_ago(2), "meters": back},
    )
    assert step.status_code in (200, 201), step.text
    deadline = time.monotonic() + 20
    while True:  # the figures follow the log within the cache's check interval
        data = site.http.get("/map/data.json").json()
        if data["totals"]["members_restored"] or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    areas = {a["code"]: a for a in data["areas"]}
    assert data["totals"]["members_restored"] == 40
    assert data["totals"]["members_out"] == site.served - 40
    kerrville = areas[KERRVILLE]
    assert (kerrville["members_restored"], kerrville["members_out"], kerrville["partial"]) == (
        40,
        in_kerrville - 40,
        True,
    )
    page = phone()
    row = page.locator(f"#mm-active li[data-code={KERRVILLE}]")
    row.locator(".mm-partial", has_text=f"Partly restored: 40 back on, {in_kerrville - 40:,} still out").wait_for()
    assert page.inner_text("#mm-restored") == "40"
    assert page.locator("#mm-restored-box").is_visible()
    assert "back on so far" in page.inner_text("#mm-restored-box")
    row.locator("button.mm-go").click()
    page.locator("#mm-info .mm-partial", has_text="Partly restored: 40 back on").wait_for()
    shoot(page, "member-map-page-partial-en")
    page.click("#mm-lang")
    row.locator(
        ".mm-partial", has_text=f"Restablecido en parte: 40 ya tienen luz, {in_kerrville - 40:,} siguen sin servicio"
    ).wait_for()


def test_a_share_that_rounds_to_nothing_still_says_members_are_out(phone, site):
    page = phone()
    data = site.http.get("/map/data.json").json()
    data["totals"] |= {"members_out": 3, "members_served": 27_586, "percent_out": 0.01}
    page.route("**/map/data.json", lambda route: route.fulfill(json=data))
    page.reload()
    page.wait_for_function("() => window.mmDrawn === true")
    assert page.inner_text("#mm-pct") == "<0.1\u00a0%"
    assert page.inner_text("#mm-out") == "3"


def test_old_figures_or_a_failed_fetch_show_the_out_of_date_warning(phone, site):
    page = phone()
    assert page.locator("#mm-stale").is_hidden()  # fresh figures: no warning
    assert re.search(r"Updated .+ C[SD]T \((just now|\d+ min ago)\)", page.inner_text("#mm-updated"))
    data = site.http.get("/map/data.json").json()
    data["as_of"] = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    page.route("**/map/data.json", lambda route: route.fulfill(json=data))
    warning = page.locator("#mm-stale")
    warning.wait_for(state="visible")  # at the next refresh (2 s)
    assert re.search(r"This map may be out of date: last updated .+ C[SD]T \(20 min ago\)\.", warning.inner_text())
    shoot(page, "member-map-page-stale-en")
    page.unroute("**/map/data.json")
    warning.wait_for(state="hidden")
    page.route("**/map/data.json", lambda route: route.abort())  # the server cannot be reached
    page.wait_for_function("() => !document.getElementById('mm-stale').hidden")
    assert "This map may be out of date" in warning.inner_text()
    assert "Could not refresh" in warning.inner_text()
