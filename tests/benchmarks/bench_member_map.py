"""The member outage map on the full sample (issue 6): bytes on first load and time to a drawn map in
headless Chromium, against a naive folium map that embeds every feeder geometry (CDN assets replaced by
the same local copies, so both load offline).  Target: first load <= 1.5 MB all in.

    .venv/bin/python -m tests.benchmarks.bench_member_map [--db var/bench/member-map.db] [--runs 3] [--outages 300]

The sample database is made on first use with the CLI (``outages db upgrade`` + ``outages sample
load``); open outages are then logged on random feeders so the map has something to shade.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboards.migrate import upgrade
from gis.db import make_engine, utcnow
from gis.maps import line_map, local_assets
from gis.models import Feeder
from gis.service import members_served, read_layer
from outages.models import Interruption
from outages.schemas import InterruptionCreate
from outages.service import create_interruption
from tests.benchmarks.common import add_user, sample_folder

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_sample(url: str) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    sample_folder()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_DEMO": "true",
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }
    cli = str(ROOT / ".venv" / "bin" / "outages")
    print("loading the sample into", path, "(about a minute)")
    subprocess.run([cli, "db", "upgrade"], env=env, check=True, cwd=ROOT)
    subprocess.run([cli, "sample", "load"], env=env, check=True, cwd=ROOT)


def log_open_outages(engine, count: int) -> None:
    with Session(engine) as session, session.begin():
        open_now = session.scalar(select(func.count()).where(Interruption.status == "open")) or 0
        if open_now >= count:
            return
        rng = random.Random(6)
        served = members_served(session=session, by="feeder")
        feeders = sorted(served)
        now = utcnow()
        for i in range(count - open_now):
            feeder = rng.choice(feeders)
            create_interruption(
                session=session,
                actor="bench",
                data=InterruptionCreate(
                    feeder=feeder,
                    cause=rng.choice(["wind", "lightning", "vegetation", "unknown"]),
                    start_at=now - timedelta(minutes=rng.randint(5, 300)),
                    members_out=max(1, int(served[feeder] * rng.uniform(0.2, 1.0))),
                    etr_at=(now + timedelta(hours=rng.randint(1, 8))) if i % 3 else None,
                ),
            )


def storm_database(db: str, user: str, password: str, outages: int = 300) -> tuple[str, list[str]]:
    """The sample at ``db`` (built on first use, migrated) with ``outages`` open outages and a dispatcher ``user``: its URL
    and its feeders' codes."""
    url = f"sqlite:///{Path(db).resolve()}"
    ensure_sample(url)
    engine = make_engine(url)
    upgrade(engine)  # a sample built before the latest migrations
    log_open_outages(engine, outages)
    try:
        add_user(engine, user, password, "dispatcher")
    except Exception:  # noqa: BLE001 - already there from an earlier run
        pass
    with Session(engine) as session:
        feeders = sorted(members_served(session=session, by="feeder"))
    engine.dispose()
    return url, feeders


def naive_page(engine, folder: Path) -> None:
    """What a first attempt looks like: folium's defaults (every asset it lists) and every feeder."""
    with Session(engine) as session:
        feeders = read_layer(session, Feeder, {"feeder_id": Feeder.code, "name": Feeder.name})
    js, css = local_assets("/static/node_modules")
    line_map(feeders, js=js, css=css, tooltip=("feeder_id", "name")).save(str(folder / "naive.html"))
    return len(feeders)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def measure(browser, url: str, drawn: str) -> tuple[int, float, int]:
    """(bytes transferred, ms to a drawn map, requests) for a first visit with an empty cache."""
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    sizes: list[int] = []
    outside: list[str] = []

    def done(request):
        s = request.sizes()
        sizes.append(s["responseBodySize"] + s["responseHeadersSize"])
        if not request.url.startswith(("http://127.0.0.1", "data:")):
            outside.append(request.url)

    page.on("requestfinished", done)
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => " + drawn, timeout=120_000, polling=10)
    ms = page.evaluate("performance.now()")
    page.wait_for_load_state("networkidle")
    context.close()
    assert not outside, outside
    return sum(sizes), ms, len(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "member-map.db"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--outages", type=int, default=300, help="open interruptions to log first")
    args = parser.parse_args()
    url = f"sqlite:///{Path(args.db).resolve()}"
    ensure_sample(url)
    engine = make_engine(url)
    log_open_outages(engine, args.outages)

    folder = ROOT / "var" / "bench" / "naive"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "static").unlink(missing_ok=True)
    (folder / "static").symlink_to(ROOT / "dashboards" / "static")
    n_feeders = naive_page(engine, folder)
    engine.dispose()

    port, naive_port = free_port(), free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_DEMO": "true",
        "OUTAGES_SCHEDULER": "false",
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
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
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    static = http.server.ThreadingHTTPServer(("127.0.0.1", naive_port), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=static.serve_forever, daemon=True).start()
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        httpx.get(f"http://127.0.0.1:{port}/map")  # build the page and the figures once (server warm-up)
        from playwright.sync_api import sync_playwright

        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            cases = {
                "member map (/map)": (
                    f"http://127.0.0.1:{port}/map",
                    "window.MM_LOADS >= 1 && document.querySelectorAll('path.leaflet-interactive').length > 0",
                ),
                f"naive folium map ({n_feeders} feeders)": (
                    f"http://127.0.0.1:{naive_port}/naive.html",
                    f"document.querySelectorAll('path.leaflet-interactive').length >= {n_feeders}",
                ),
            }
            for name, (page_url, drawn) in cases.items():
                runs = [measure(browser, page_url, drawn) for _ in range(args.runs)]
                results[name] = (
                    statistics.median(r[0] for r in runs),
                    statistics.median(r[1] for r in runs),
                    runs[0][2],
                )
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
        static.shutdown()

    print(f"\nFirst load in headless Chromium (375 px viewport, empty cache, median of {args.runs}):")
    print(f"{'page':34} {'bytes':>12} {'requests':>9} {'drawn after':>12}")
    for name, (size, ms, count) in results.items():
        print(f"{name:34} {size:>12,.0f} {count:>9} {ms:>9.0f} ms")
    (ours_b, ours_ms, _), (naive_b, naive_ms, _) = results.values()
    print(
        f"ratio naive / member map: {naive_b / ours_b:.1f}x bytes, {naive_ms / ours_ms:.1f}x time; "
        f"target first load <= 1,500,000 bytes: {'met' if ours_b <= 1_500_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
