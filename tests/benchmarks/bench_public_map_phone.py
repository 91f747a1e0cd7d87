"""The member's public map on a phone's network (issue 15): first load with an empty cache in headless Chromium
(375 x 740) under Chromium's network throttling (CDP ``Network.emulateNetworkConditions``: 1.6 Mbit/s down,
750 kbit/s up, 150 ms round trip), the page and everything it fetches (Leaflet, the module and its kit, the
figures, the areas, the base map, the search entries).  Prints the bytes transferred (the sum of the responses'
``encodedDataLength``: compressed where the server compresses), the requests and the time until the page says it
has drawn the areas, the base map and the figures (``window.mmDrawn``), against the targets: <= 1.5 MB and <= 3 s.

    .venv/bin/python -m tests.benchmarks.bench_public_map_phone [--db var/bench/public-map-phone.db] [--runs 3]
        [--outages 300] [--scale 1.0]

The database is made on first use: a sample generated at ``--scale`` (1.0: the full 250,000 members, with its
synthetic landbase) into ``var/bench/public-map-phone/`` and its facility layer imported; then open outages are
logged on random feeders (:func:`tests.benchmarks.bench_member_map.log_open_outages`) so the map has something to
shade.  Measured twice: through the app (uvicorn on 127.0.0.1, one worker) and through nginx with the shipped
config over a snapshot written by ``outages public-map snapshot`` (the storm path: the page's assets compressed).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dashboards.cli import nginx_config
from gis.db import make_engine
from sample_data.generate import generate
from tests.benchmarks.bench_member_map import CHROMIUM_ARGS, free_port, log_open_outages
from tests.benchmarks.common import ROOT, app_env, fresh_database, load_facilities, serve, timer

TARGET_BYTES = 1_500_000
TARGET_SECONDS = 3.0
NETWORK = {  # Chromium's throttling: bytes per second, ms
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 750_000 / 8,
}


def ensure_database(url: str, scale: float) -> None:
    path = Path(url.removeprefix("sqlite:///"))
    if path.exists():
        return
    folder = path.with_suffix("")
    print(f"generating the sample at scale {scale} into {folder} and loading it into {path} (a few minutes)")
    with timer() as t:
        counts = generate(folder, scale=scale)
        engine = fresh_database(url)
        load_facilities(engine, folder / "facilities.gpkg")
        engine.dispose()
    print(
        f"  {counts['service_points']:,} members, {counts.get('places', 0)} places, {counts.get('roads', 0)} roads, "
        f"{counts.get('water', 0)} water features in {t.seconds:.0f} s"
    )


def measure(browser, url: str) -> dict:
    """One first visit with an empty cache on the throttled network."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    urls: dict[str, str] = {}
    sizes: dict[str, float] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.setdefault(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.mmDrawn === true", timeout=120_000, polling=20)
    drawn_ms = page.evaluate("window.mmDrawnAt")
    page.wait_for_load_state("networkidle")
    context.close()
    outside = [u for u in urls.values() if not u.startswith(("http://127.0.0.1", "data:"))]
    assert not outside, outside
    by_url = {urls.get(rid, rid): size for rid, size in sizes.items()}
    return {"bytes": sum(sizes.values()), "requests": len(urls), "ms": drawn_ms, "by_url": by_url}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "public-map-phone.db"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--outages", type=int, default=300, help="open interruptions to log first")
    parser.add_argument("--scale", type=float, default=1.0, help="sample size when the database is made")
    args = parser.parse_args()
    url = f"sqlite:///{Path(args.db).resolve()}"
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    ensure_database(url, args.scale)
    engine = make_engine(url)
    log_open_outages(engine, args.outages)
    engine.dispose()

    server, base = serve(url)
    try:
        for path in ("/map", "/map/data.json", "/map/areas.geojson", "/map/landbase.geojson", "/map/places.json"):
            httpx.get(base + path, timeout=120)  # build the snapshot's files once (server warm-up)
        snapshot, prefix = (
            ROOT / "var" / "bench" / "public-map-phone" / "snapshot",
            ROOT / "var" / "bench" / "nginx-phone",
        )
        outages = str(Path(sys.executable).with_name("outages"))
        subprocess.run(
            [outages, "public-map", "snapshot", "--dir", str(snapshot)], env=app_env(url), cwd=ROOT, check=True
        )
        web_port = free_port()
        conf = nginx_config(
            prefix=prefix, snapshot=snapshot, listen=f"127.0.0.1:{web_port}", app_address=base.removeprefix("http://")
        )
        web = subprocess.Popen(["/usr/sbin/nginx", "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"])
        time.sleep(0.5)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            paths = {"the app": base, "nginx": f"http://127.0.0.1:{web_port}"}
            results = {name: [measure(browser, at + "/map") for _ in range(args.runs)] for name, at in paths.items()}
            browser.close()
        web.terminate()
    finally:
        server.terminate()
        server.wait(10)

    for name, runs in results.items():
        report(name, runs, args.runs, paths[name])


def report(name: str, runs: list[dict], n: int, base: str) -> None:
    size = statistics.median(r["bytes"] for r in runs)
    seconds = statistics.median(r["ms"] for r in runs) / 1000
    print(
        f"\nThe public map's first load on a phone through {name} (375 x 740, empty cache, 1.6 Mbit/s down, "
        f"750 kbit/s up, 150 ms RTT; median of {n}):"
    )
    print(
        f"  bytes transferred: {size:>12,.0f}   target <= {TARGET_BYTES:,}: "
        f"{'met' if size <= TARGET_BYTES else 'NOT met'} ({size / TARGET_BYTES:.2f} of the budget)"
    )
    print(f"  requests:          {runs[0]['requests']:>12}")
    print(
        f"  drawn after:       {seconds:>12.2f} s  target <= {TARGET_SECONDS:.0f} s: "
        f"{'met' if seconds <= TARGET_SECONDS else 'NOT met'} ({seconds / TARGET_SECONDS:.2f} of the budget)"
    )
    print("  largest transfers (first run):")
    for name, bytes_ in sorted(runs[0]["by_url"].items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {bytes_:>10,.0f}  {name.removeprefix(base)}")


if __name__ == "__main__":
    main()
