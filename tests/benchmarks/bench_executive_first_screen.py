"""The executive dashboard's first screen (issue 16): on the sample database (250,000 members, five years of
history, its open outages), the time from navigating to ``/executive`` until the headline figures are drawn
(``window.execDrawnAt``, ms since the navigation began), in headless Chromium at 1366 x 768, signed in as an
executive.  The first load (a cold server: facility facts, indices) is printed apart; then the median of
``--runs`` loads.  Target: under 1 s.  For comparison, the old page's requests before its figures appeared: the
``/api/indices`` calls it made (this year to date and the four before, all days and without major event days,
plus the worst feeders' two), four at a time as its ``pmap`` did, timed from Python.

    .venv/bin/python -m tests.benchmarks.bench_executive_first_screen [--db var/bench/member-map.db] [--runs 5]

The database is copied to a temporary directory first (with its WAL) and migrated there: the sample is never
changed.
"""

from __future__ import annotations

import argparse
import calendar
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from gis.db import make_engine
from tests.benchmarks.bench_member_map import CHROMIUM_ARGS
from tests.benchmarks.common import ROOT, add_user, copy_database, serve, timer

TARGET_SECONDS = 1.0
PASSWORD = "executive-bench-password-0123"


def old_requests(today: date) -> list[str]:
    """The ``/api/indices`` calls the old page made before its figures appeared."""
    calls = []
    for year in range(today.year - 4, today.year + 1):
        end = date(year, today.month, min(today.day, calendar.monthrange(year, today.month)[1])) + timedelta(days=1)
        for days in ("all", "normal"):
            calls.append(f"/api/indices?start={year}-01-01&end={end}&days={days}")
    end = today + timedelta(days=1)
    calls += [
        f"/api/indices?start={today.year}-01-01&end={end}&group_by=feeder",
        f"/api/indices?start={today.year}-01-01&end={end}",
    ]
    return calls


def time_old_way(base: str, token: str, today: date) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=300) as http, ThreadPoolExecutor(4) as pool:
        with timer() as t:
            answers = list(pool.map(http.get, old_requests(today)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200]
    return t.seconds


def load(browser, base: str, token: str) -> float:
    """One load of /executive, already signed in: ms until the headline is drawn."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, timezone_id="America/Chicago")
    context.add_init_script(f"sessionStorage.setItem('outages.token', {token!r});")
    page = context.new_page()
    page.goto(base + "/executive", wait_until="commit")
    page.wait_for_function("() => window.execDrawnAt !== undefined", timeout=300_000, polling=10)
    drawn = page.evaluate("window.execDrawnAt")
    context.close()
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "member-map.db"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        with timer() as t:
            url = copy_database(Path(args.db).resolve(), Path(tmp))
            add_user(make_engine(url), "exec-bench", PASSWORD, "executive")
        print(f"copied and migrated {args.db} in {t.seconds:.1f} s")
        server, base = serve(url)
        try:
            token = httpx.post(base + "/api/auth/token", data={"username": "exec-bench", "password": PASSWORD}).json()[
                "access_token"
            ]
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                first = load(browser, base, token)
                runs = [load(browser, base, token) for _ in range(args.runs)]
                browser.close()
            with timer() as t:
                httpx.get(base + "/api/executive/headline", headers={"Authorization": f"Bearer {token}"}, timeout=300)
            headline_seconds = t.seconds
            today = datetime.now(ZoneInfo("America/Chicago")).date()
            old = [time_old_way(base, token, today) for _ in range(3)]
        finally:
            server.terminate()
            server.wait(10)

    median = statistics.median(runs) / 1000
    print("\nThe executive dashboard's first screen on the sample (headless Chromium, 1366 x 768, signed in):")
    print(f"  first load (cold server):         {first / 1000:>8.2f} s")
    print(
        f"  headline drawn, median of {args.runs}:      {median:>8.2f} s  target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if median < TARGET_SECONDS else 'NOT met'} ({median / TARGET_SECONDS:.2f} of the budget); "
        f"runs {', '.join(f'{r / 1000:.2f}' for r in runs)}"
    )
    print(f"  /api/executive/headline alone:    {headline_seconds:>8.2f} s")
    n = len(old_requests(today))
    print(
        f"  the old way, {n} /api/indices calls four at a time: first {old[0]:.2f} s, then "
        f"{statistics.median(old[1:]):.2f} s (median of {len(old) - 1}); ratio old/new "
        f"{statistics.median(old[1:]) / median:.1f}x"
    )


if __name__ == "__main__":
    main()
