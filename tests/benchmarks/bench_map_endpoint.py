"""The member map's data endpoint under storm load (issue 6): at least 1,000 requests/s with p99 under
50 ms on one worker, while a dispatcher logs interruptions at 20/s; no errors.

    .venv/bin/python -m tests.benchmarks.bench_map_endpoint [--seconds 15] [--connections 8]

Readers: wrk on 127.0.0.1 against ``/map/data.json`` (each reader keeps its connection and revalidates
nothing: every request gets the full, pre-compressed body).  Writer: a thread posting new interruptions
through the API at 20 per second for the whole run; its own errors and latencies are printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from gis.db import make_engine, utcnow
from gis.service import members_served
from tests.benchmarks.bench_api_logging import ensure_wrk, parse_wrk
from tests.benchmarks.bench_member_map import ROOT, ensure_sample, free_port, log_open_outages
from tests.benchmarks.common import add_user


def writer(base: str, token: str, feeders: list[str], stop: threading.Event, out: dict) -> None:
    """Issue one new interruption every 50 ms (on schedule, whatever each takes) until told to stop."""
    latencies, errors = [], []
    client = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10, limits=httpx.Limits(max_connections=8)
    )

    def one(n: int) -> None:
        start = time.perf_counter()
        response = client.post(
            "/api/interruptions",
            headers={"Idempotency-Key": f"map-bench-{time.time()}-{n}"},
            json={
                "feeder": feeders[n % len(feeders)],
                "cause": "wind",
                "members_out": 1,
                "start_at": utcnow().isoformat(),
            },
        )
        latencies.append((time.perf_counter() - start) * 1000)
        errors.append(response.status_code != 201)

    with ThreadPoolExecutor(8) as pool:
        n, next_at = 0, time.perf_counter()
        while not stop.is_set():
            n += 1
            pool.submit(one, n)
            next_at += 1 / 20
            time.sleep(max(0.0, next_at - time.perf_counter()))
    client.close()
    out.update(
        count=len(latencies),
        errors=sum(errors),
        p50=statistics.median(latencies),
        p99=sorted(latencies)[max(int(len(latencies) * 0.99) - 1, 0)],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "member-map.db"))
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    url = f"sqlite:///{Path(args.db).resolve()}"
    ensure_sample(url)
    engine = make_engine(url)
    log_open_outages(engine, 300)
    try:
        add_user(engine, "map-bench", "map-bench-password", "dispatcher")
    except Exception:  # noqa: BLE001 - already there from an earlier run
        pass
    with Session(engine) as session:
        feeders = sorted(members_served(session=session, by="feeder"))
    engine.dispose()
    port = free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_SECRET_KEY": "map-bench-signing-key-0123456789abcdef-ABCDEFGHIJKLMNOP",
        "OUTAGES_SCHEDULER": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "dashboards.asgi:app",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/api/auth/token", data={"username": "map-bench", "password": "map-bench-password"}
        ).json()["access_token"]
        httpx.get(f"{base}/map/data.json")  # warm the cache
        stop, written = threading.Event(), {}
        thread = threading.Thread(target=writer, args=(base, token, feeders, stop, written))
        thread.start()
        out = subprocess.run(
            [
                ensure_wrk(),
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-H",
                "Accept-Encoding: gzip",
                f"{base}/map/data.json",
            ],
            capture_output=True,
            text=True,
        ).stdout
        stop.set()
        thread.join()
    finally:
        server.terminate()
        server.wait()
    r = parse_wrk(out)
    print(f"== /map/data.json on one worker, {args.connections} connections, {args.seconds} s, writer at 20/s")
    print(f"  requests/s          {r['rps']:8.0f}   (target >= 1,000)")
    print(f"  p50 / p99 latency   {r['p50_ms']:8.1f} / {r['p99_ms']:.1f} ms   (target p99 < 50 ms)")
    print(f"  errors              {r['non_2xx']} non-2xx, socket errors: {r['socket_errors']}")
    print(
        f"  writer              {written['count']} interruptions logged, {written['errors']} errors, "
        f"p50 {written['p50']:.1f} ms, p99 {written['p99']:.1f} ms"
    )


if __name__ == "__main__":
    main()
