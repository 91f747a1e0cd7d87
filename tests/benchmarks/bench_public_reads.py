"""Public reads through the shipped nginx config against the app's own endpoint, while a dispatcher works (issue
15).  Targets: through nginx >= 50,000 requests/s with p99 < 10 ms on this machine, and the dispatcher's p99 under
100 ms while that load runs (before: 907 ms with 50 readers on the app's /map/data.json, issue 15's figures).

    .venv/bin/python -m tests.benchmarks.bench_public_reads [--seconds 10] [--connections 50] [--rate 20]

The app runs on the full sample (one uvicorn worker, scheduler off, 300 open outages as bench_map_endpoint.py)
and ``outages public-map watch`` writes its snapshot into ``var/bench/public-reads/snapshot``; nginx runs the config of ``outages public-map
nginx-config`` (worker_processes auto) over that folder, on 127.0.0.1.  Three phases of ``--seconds`` each:

1. quiet: the dispatcher alone;
2. nginx: ``wrk -t1 -c50 --latency -H 'Accept-Encoding: gzip'`` on nginx's ``/map/data.json`` (the snapshot's
   pre-compressed file) with the dispatcher working;
3. app: the same wrk on the app's ``/map/data.json`` (the same bytes, from memory) with the dispatcher working.

The dispatcher logs ``--rate`` records a second through the API (on schedule, whatever each takes), as the issue's
"before" figure did (``--close`` also closes each one as soon as it is logged), timing every request; each record
changes the public figures, so the snapshot is rewritten throughout (at most once a second).  Printed: requests/s and p99 of both, their ratio, and the
dispatcher's p50/p99 in each phase.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from dashboards.cli import nginx_config
from gis.db import utcnow
from tests.benchmarks.bench_api_logging import ensure_wrk, parse_wrk
from tests.benchmarks.bench_member_map import ROOT, free_port, storm_database
from tests.benchmarks.common import app_and_watcher

NGINX = "/usr/sbin/nginx"
USER, PASSWORD = "reads-bench", "reads-bench-password"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(round(len(ordered) * q)) - 1, 0)] if ordered else float("nan")


def dispatcher(base: str, token: str, feeders: list[str], rate: float, stop: threading.Event, close: bool) -> dict:
    """Log ``rate`` records a second (and close each one right after, with ``close``), until told to stop; every
    request timed."""
    latencies: list[float] = []
    errors: list[str] = []
    client = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30, limits=httpx.Limits(max_connections=8)
    )

    def timed(method: str, url: str, **kw) -> httpx.Response:
        start = time.perf_counter()
        response = client.request(method, url, **kw)
        latencies.append((time.perf_counter() - start) * 1000)
        return response

    def one(n: int) -> None:
        made = timed(
            "POST",
            "/api/interruptions",
            headers={"Idempotency-Key": f"reads-bench-{time.time()}-{n}"},
            json={
                "feeder": feeders[n % len(feeders)],
                "cause": "wind",
                "members_out": 1,
                "start_at": utcnow().isoformat(),
            },
        )
        if made.status_code != 201:
            errors.append(f"create {made.status_code}")
            return
        record = made.json()
        if not close:
            return
        closed = timed(
            "POST",
            f"/api/interruptions/{record['id']}/close",
            json={"version": record["version"], "restored_at": utcnow().isoformat()},
        )
        if closed.status_code != 200:
            errors.append(f"close {closed.status_code}: {closed.text[:200]}")

    with ThreadPoolExecutor(8) as pool:
        n, next_at = 0, time.perf_counter()
        while not stop.is_set():
            n += 1
            pool.submit(one, n)
            next_at += 1 / rate
            time.sleep(max(0.0, next_at - time.perf_counter()))
    client.close()
    return {
        "records": n,
        "requests": len(latencies),
        "errors": errors,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99),
    }


def phase(base: str, token: str, feeders: list[str], args, target: str | None) -> tuple[dict | None, dict]:
    """The dispatcher for ``--seconds``, with wrk on ``target`` at the same time (None: quiet)."""
    stop, out = threading.Event(), {}
    thread = threading.Thread(target=lambda: out.update(dispatcher(base, token, feeders, args.rate, stop, args.close)))
    thread.start()
    wrk = None
    try:
        if target:
            nice = ["nice", "-n", str(args.wrk_nice)] if args.wrk_nice else []
            wrk = parse_wrk(
                subprocess.run(
                    [
                        *nice,
                        ensure_wrk(),
                        "-t1",
                        f"-c{args.connections}",
                        f"-d{args.seconds}s",
                        "--latency",
                        "-H",
                        "Accept-Encoding: gzip",
                        target,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=args.seconds + 60,
                ).stdout
            )
        else:
            time.sleep(args.seconds)
    finally:
        stop.set()
        thread.join()
    return wrk, out


def wait_for(what: str, check, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "member-map.db"))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rate", type=float, default=20.0, help="records logged per second")
    parser.add_argument("--close", action="store_true", help="close each record right after logging it")
    parser.add_argument("--nginx-workers", default="auto", help="nginx worker_processes (the shipped default: auto)")
    parser.add_argument("--wrk-nice", type=int, default=0, help="run wrk under nice -n N (0: as is)")
    parser.add_argument("--worker-priority", type=int, default=None, help="override nginx worker_priority")
    args = parser.parse_args()
    if not Path(NGINX).exists():
        raise SystemExit(f"{NGINX} is missing (apt-get install nginx-light)")
    url, feeders = storm_database(args.db, USER, PASSWORD)

    work = ROOT / "var" / "bench" / "public-reads"
    snapshot = work / "snapshot"
    snapshot.mkdir(parents=True, exist_ok=True)
    (snapshot / "data.json").unlink(missing_ok=True)
    app_port, web_port = free_port(), free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_SECRET_KEY": "reads-bench-signing-key-0123456789abcdef-ABCDEFGHIJKLMNOP",
        "OUTAGES_SCHEDULER": "false",
        "OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR": str(snapshot),
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }
    app, watcher = app_and_watcher(env, app_port)
    conf = nginx_config(
        prefix=work / "nginx",
        snapshot=snapshot,
        listen=f"127.0.0.1:{web_port}",
        app_address=f"127.0.0.1:{app_port}",
        workers=args.nginx_workers,
    )
    if args.worker_priority is not None:
        text = conf.read_text()
        if "worker_priority" in text:
            text = re.sub(r"worker_priority\s+-?\d+;", f"worker_priority {args.worker_priority};", text)
        else:
            text = text.replace("worker_processes", f"worker_priority {args.worker_priority};\nworker_processes", 1)
        conf.write_text(text)
    web = subprocess.Popen([NGINX, "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"], cwd=conf.parent)
    app_base, web_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{web_port}"
    try:
        wait_for("the app", lambda: httpx.get(f"{app_base}/api/health").status_code == 200)
        wait_for("the first snapshot", lambda: json.loads((snapshot / "data.json").read_bytes())["as_of"])
        wait_for("nginx", lambda: httpx.get(f"{web_base}/map/data.json").status_code == 200)
        token = httpx.post(f"{app_base}/api/auth/token", data={"username": USER, "password": PASSWORD}).json()[
            "access_token"
        ]
        size = len((snapshot / "data.json.gz").read_bytes())
        assert httpx.get(f"{app_base}/map/data.json").status_code == 200  # warm the app's copy
        _none, quiet = phase(app_base, token, feeders, args, None)
        nginx, with_nginx = phase(app_base, token, feeders, args, f"{web_base}/map/data.json")
        direct, with_app = phase(app_base, token, feeders, args, f"{app_base}/map/data.json")
    finally:
        web.terminate()
        web.wait(10)
        watcher.terminate()
        watcher.wait(10)
        app.terminate()
        app.wait(10)
    assert nginx is not None and direct is not None
    print(
        f"== /map/data.json ({size:,} bytes gzipped), wrk -t1 -c{args.connections} {args.seconds} s each, "
        f"a dispatcher logging {'and closing ' if args.close else ''}{args.rate:.0f} records/s"
    )
    print(f"  {'':24}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>10}")
    for name, r in (("nginx (snapshot)", nginx), ("app (one worker)", direct)):
        print(f"  {name:24}{r['rps']:12,.0f}{r['p50_ms']:10.2f}{r['p99_ms']:10.2f}{r['non_2xx']:10}")
    print(f"  nginx / app             {nginx['rps'] / direct['rps']:12.1f} x the requests/s")
    print("  targets: nginx >= 50,000 requests/s, p99 < 10 ms")
    print(f"  {'dispatcher':24}{'requests':>12}{'p50 ms':>10}{'p99 ms':>10}{'errors':>10}")
    for name, d in (("quiet", quiet), ("readers on nginx", with_nginx), ("readers on the app", with_app)):
        print(f"  {name:24}{d['requests']:12}{d['p50']:10.1f}{d['p99']:10.1f}{len(d['errors']):10}")
    print("  target: dispatcher p99 < 100 ms while readers load nginx (before: 907 ms, readers on the app)")
    for d in (quiet, with_nginx, with_app):
        for error in d["errors"][:3]:
            print("  dispatcher error:", error)


if __name__ == "__main__":
    main()
