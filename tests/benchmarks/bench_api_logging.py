"""Logging, stepping and closing interruptions through the HTTP API on one worker, in a storm (issues 2, 12).

Targets: >= 200 creations/s sustained (issue 2), p99 < 100 ms for logging, stepping and closing with 1,000
records open (issue 12), zero lost or duplicated rows, on SpatiaLite and on PostGIS; printed beside the cost of
calling the service layer directly (the overhead ratio).

    .venv/bin/python -m tests.benchmarks.bench_api_logging [--seconds 20] [--connections 4] [--open 1000]
        [--db sqlite|postgis|both]

A fresh database gets the sample's facility layer and ``--open`` open records (two thirds whole devices, a third
unlocated counts on part of a feeder), written through the service.  Then load comes from ``wrk`` (Debian
package, installed on first use) on 127.0.0.1, creating records of the same two kinds, each request with its own
Idempotency-Key (afterwards the rows are counted against the 2xx responses wrk saw); with records open, one of
the ``--connections`` clients is not wrk's but steps and closes the open records one after the other, as a
dispatcher does (a device below the record closed, or a count of unlocated members back, then the close), each
request timed.  ``--open 0``: logging only, all connections wrk's (issue 2's run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.db import make_sessionmaker, utcnow
from gis.models import Device, Feeder
from gis.network import network
from outages.alerts import AlertEvent
from outages.models import Interruption
from outages.schemas import InterruptionCreate
from outages.service import create_interruption
from reports.member_alerts import queue_alerts
from tests.benchmarks.common import add_user, fresh_database, load_facilities, postgres_url, timer

LUA = r"""
local counter = 0
local bodies = {BODIES}
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN",
                   ["Idempotency-Key"] = "RUN-" .. tid .. "-" .. counter}
  return wrk.format("POST", "/api/interruptions", headers, bodies[(counter % #bodies) + 1])
end
"""
COUNT = "count"  # a step giving a count of unlocated members back (see plan)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk")


def parse_wrk(out: str) -> dict:
    def latency(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": total,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1) if errors else "none",
    }


def plan(engine, count: int, start: datetime, seed: int) -> tuple[list[dict], list[str | None]]:
    """``count`` creation bodies (two thirds a whole device, a third an unlocated count on part of a feeder)
    and, for each, its step: a device below the record's own to close, COUNT (one unlocated member back), or
    None (a device with nothing below it: closed without a step)."""
    rng = random.Random(seed)
    with Session(engine) as session:
        net = network(session)
        feeders = {f: code for f, code in session.execute(select(Feeder.id, Feeder.code))}
        devices = session.execute(select(Device.id, Device.code, Device.feeder_id)).all()
    code_of = {d: c for d, c, _f in devices}
    served = [(d, c, f) for d, c, f in devices if net.served(device_id=d) > 1]
    counted = [f for f in feeders if net.served(feeder_id=f) > 4]
    iso = start.isoformat(timespec="seconds")
    bodies, below = [], []
    for k in range(count):
        if k % 3 == 2:
            f = rng.choice(counted)
            bodies.append(
                {"feeder": feeders[f], "cause": "wind", "start_at": iso, "members_out": net.served(feeder_id=f) // 5}
            )
            below.append(COUNT)
        else:
            d, code, f = rng.choice(served)
            bodies.append({"feeder": feeders[f], "device": code, "cause": "wind", "start_at": iso})
            kids = net.children.get(d, [])
            below.append(code_of[kids[0]] if kids else None)
    return bodies, below


def open_storm(engine, bodies: list[dict]) -> list[int]:
    """The records opened through the service (100 a transaction), by id."""
    ids = []
    for at in range(0, len(bodies), 100):
        with Session(engine, expire_on_commit=False) as session, session.begin():
            ids += [
                create_interruption(session=session, actor="bench", data=InterruptionCreate(**b))[0].id
                for b in bodies[at : at + 100]
            ]
    return ids


def _pending(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).where(AlertEvent.queued_at.is_(None)))


def direct_service(engine, bodies: list[dict], n: int) -> float:
    """Seconds per creation calling the service layer directly, one transaction each."""
    with timer() as t:
        for i in range(n):
            with Session(engine, expire_on_commit=False) as session, session.begin():
                create_interruption(
                    session=session,
                    actor="bench",
                    idempotency_key=f"direct-{i}",
                    data=InterruptionCreate(**bodies[i % len(bodies)]),
                )
    return t.seconds / n


def step_and_close(
    base: str, token: str, records: list[tuple[int, str | None]], stop: threading.Event, times: dict[str, list[float]]
) -> None:
    """Step then close the open records one after the other until ``stop``; each request's seconds by kind."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for rid, device in records:
            if stop.is_set():
                return
            now = datetime.now(UTC)
            version = client.get(f"/api/interruptions/{rid}").json()["version"]
            if device is not None:
                step = {"version": version, "at": (now - timedelta(minutes=2)).isoformat()}
                step |= {"members_restored": 1} if device == COUNT else {"device": device}
                t0 = time.perf_counter()
                answer = client.post(f"/api/interruptions/{rid}/restorations", json=step)
                times["step"].append(time.perf_counter() - t0)
                assert answer.status_code == 200, answer.text
                version = answer.json()["version"]
            t0 = time.perf_counter()
            answer = client.post(
                f"/api/interruptions/{rid}/close",
                json={"version": version, "restored_at": (now - timedelta(minutes=1)).isoformat()},
            )
            times["close"].append(time.perf_counter() - t0)
            assert answer.status_code == 200, answer.text


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] * 1000 if len(values) > 1 else float("nan")


def run(url: str, seconds: int, connections: int, opened: int, facilities: Path | None = None) -> dict:
    engine = fresh_database(url)
    load_facilities(engine, facilities)
    add_user(engine, "bench", "bench-password", "dispatcher")
    # as in a storm, the outages being logged began minutes ago
    start = datetime.now(UTC) - timedelta(minutes=30)
    storm, below = plan(engine, opened, start, seed=12)
    with timer() as t_open:
        ids = open_storm(engine, storm)
    sessions = make_sessionmaker(engine)
    while queue_alerts(sessions, now=utcnow(), limit=500) or _pending(engine):  # the storm's alerts are queued
        pass
    load, _ = plan(engine, 600, start + timedelta(minutes=5), seed=13)
    port = free_port()
    env = os.environ | {"OUTAGES_DATABASE_URL": url}
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
    )
    times: dict[str, list[float]] = {"step": [], "close": []}
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(f"{base}/api/auth/token", data={"username": "bench", "password": "bench-password"}).json()[
            "access_token"
        ]
        lua = "{" + ",".join("[[" + json.dumps(b) + "]]" for b in load) + "}"
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA.replace("TOKEN", token).replace("{BODIES}", lua))
        # warm-up, then the measured run
        Path(script.name).write_text(Path(script.name).read_text().replace("RUN-", "warm-"))
        subprocess.run([ensure_wrk(), "-t1", "-c1", "-d2s", "-s", script.name, base], capture_output=True)
        Path(script.name).write_text(Path(script.name).read_text().replace("warm-", "load-"))
        with Session(engine) as session:
            open_now = session.scalar(select(func.count()).where(Interruption.status == "open"))
        stop = threading.Event()
        stepper = threading.Thread(target=step_and_close, args=(base, token, list(zip(ids, below)), stop, times))
        stepper.start()
        # the stepper is one of the connections: as many clients in all as in the logging-only run
        wrk_connections = connections - 1 if ids else connections
        out = subprocess.run(
            [ensure_wrk(), "-t2", f"-c{wrk_connections}", f"-d{seconds}s", "--latency", "-s", script.name, base],
            capture_output=True,
            text=True,
        ).stdout
        stop.set()
        stepper.join()
    finally:
        server.terminate()
        server.wait()
    result = parse_wrk(out)
    with Session(engine) as session:
        loaded = Interruption.idempotency_key.like("load-%")  # wrk's measured run
        rows = session.scalar(select(func.count()).where(loaded))
        keys = session.scalar(select(func.count(func.distinct(Interruption.idempotency_key))).where(loaded))
    ok = result["requests"] - result["non_2xx"]
    result |= {
        "rows": rows,
        "lost": max(ok - rows, 0),
        "duplicated": rows - keys,
        "open_at_start": open_now,
        "opened_in_s": round(t_open.seconds, 1),
    }
    for kind, values in times.items():
        result[f"{kind}s"] = len(values)
        result[f"{kind}_p50_ms"] = statistics.median(values) * 1000 if values else float("nan")
        result[f"{kind}_p99_ms"] = _p99(values)
    result["direct_ms"] = direct_service(engine, load, 500) * 1000
    result["http_ms_per_request"] = 1000 / result["rps"]
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--open", type=int, default=1000, help="records open before the load starts")
    parser.add_argument("--db", choices=["sqlite", "postgis", "both"], default="both")
    parser.add_argument("--facilities", type=Path, help="facility GeoPackage (default: the generated sample)")
    args = parser.parse_args()
    targets = []
    if args.db in ("sqlite", "both"):
        targets.append(("SpatiaLite", f"sqlite:///{Path(tempfile.gettempdir()) / 'bench-api.db'}"))
    if args.db in ("postgis", "both"):
        targets.append(("PostGIS", postgres_url()))
    for name, url in targets:
        r = run(url, args.seconds, args.connections, args.open, args.facilities)
        print(
            f"\n== {name}: {args.connections} clients, {args.seconds} s, one uvicorn worker, "
            f"{r['open_at_start']:,} records open at the start (opened in {r['opened_in_s']} s)"
        )
        print(f"  creations/s        {r['rps']:8.1f}   (target >= 200)")
        print(f"  p50 / p99 latency  {r['p50_ms']:8.1f} / {r['p99_ms']:.1f} ms   (target p99 < 100 ms)")
        for kind in ("step", "close"):
            print(
                f"  {kind + 's':<17}{r[kind + 's']:>6}   p50 / p99 {r[kind + '_p50_ms']:.1f} / "
                f"{r[kind + '_p99_ms']:.1f} ms   (meanwhile; target p99 < 100 ms)"
            )
        print(f"  responses          {r['requests']} ({r['non_2xx']} non-2xx, socket errors: {r['socket_errors']})")
        print(f"  rows written       {r['rows']}   lost {r['lost']}   duplicated {r['duplicated']}")
        print(f"  service layer      {r['direct_ms']:8.2f} ms per creation called directly")
        print(
            f"  HTTP overhead      {r['http_ms_per_request'] / r['direct_ms']:8.2f}x the direct call "
            f"({r['http_ms_per_request']:.2f} ms per request at full load)"
        )
        print(json.dumps(r))


if __name__ == "__main__":
    main()
