"""Logging interruptions through the HTTP API on one worker (issue 2).

Target: >= 200 creations/s sustained, p99 < 100 ms, zero lost or duplicated rows, on SpatiaLite and
on PostGIS; printed beside the cost of calling the service layer directly (the overhead ratio).

    .venv/bin/python -m tests.benchmarks.bench_api_logging [--seconds 20] [--connections 4] [--db sqlite|postgis|both]

Load comes from ``wrk`` (Debian package, installed on first use) on 127.0.0.1; every request carries
its own Idempotency-Key, and afterwards the rows are counted against the 2xx responses wrk saw.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboards.users import User
from gis.models import Feeder
from gis.service import members_served
from outages.models import Interruption
from outages.schemas import InterruptionCreate
from outages.service import create_interruption
from tests.benchmarks.common import add_user, fresh_database, load_facilities, postgres_url, timer

LUA = r"""
local counter = 0
local feeders = {FEEDERS}
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  local feeder = feeders[(counter % #feeders) + 1]
  local body = string.format('{"feeder":"%s","cause":"wind","start_at":"START","members_out":1}', feeder)
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN",
                   ["Idempotency-Key"] = "RUN-" .. tid .. "-" .. counter}
  return wrk.format("POST", "/api/interruptions", headers, body)
end
"""


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
    return {"requests": total, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": latency("50"), "p99_ms": latency("99"), "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "none"}


def direct_service(engine, feeders: list[str], n: int) -> float:
    """Seconds per creation calling the service layer directly, one transaction each."""
    start_at = datetime(2025, 6, 2, 15, tzinfo=timezone.utc)
    with timer() as t:
        for i in range(n):
            with Session(engine, expire_on_commit=False) as session, session.begin():
                create_interruption(session=session, actor="bench", idempotency_key=f"direct-{i}", data=
                                    InterruptionCreate(feeder=feeders[i % len(feeders)], cause="wind",
                                                       start_at=start_at, members_out=1))
    return t.seconds / n


def run(url: str, seconds: int, connections: int, facilities: Path | None = None) -> dict:
    engine = fresh_database(url)
    load_facilities(engine, facilities)
    add_user(engine, "bench", "bench-password", "dispatcher")
    with Session(engine) as session:
        feeders = sorted(members_served(session=session, by="feeder"))[:50]
    port = free_port()
    env = os.environ | {"OUTAGES_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "dashboards.asgi:app", "--port", str(port),
                               "--workers", "1", "--log-level", "warning", "--no-access-log"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/api/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        token = httpx.post(f"{base}/api/auth/token", data={"username": "bench", "password": "bench-password"}
                           ).json()["access_token"]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            # as in a storm, the outages being logged began minutes ago
            start = (datetime.now(timezone.utc) - timedelta(minutes=10)).isoformat(timespec="seconds")
            script.write(LUA.replace("TOKEN", token).replace("START", start)
                         .replace("{FEEDERS}", "{" + ",".join(f'"{f}"' for f in feeders) + "}"))
        # warm-up, then the measured run
        Path(script.name).write_text(Path(script.name).read_text().replace("RUN-", "warm-"))
        subprocess.run([ensure_wrk(), "-t1", "-c1", "-d2s", "-s", script.name, base], capture_output=True)
        Path(script.name).write_text(Path(script.name).read_text().replace("warm-", "load-"))
        with Session(engine) as session:
            warm = session.scalar(select(func.count()).select_from(Interruption))
        out = subprocess.run([ensure_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                              script.name, base], capture_output=True, text=True).stdout
    finally:
        server.terminate()
        server.wait()
    result = parse_wrk(out)
    with Session(engine) as session:
        rows = session.scalar(select(func.count()).select_from(Interruption)) - warm
        keys = session.scalar(select(func.count(func.distinct(Interruption.idempotency_key)))) - warm
    ok = result["requests"] - result["non_2xx"]
    result |= {"rows": rows, "lost": max(ok - rows, 0), "duplicated": rows - keys}
    result["direct_ms"] = direct_service(engine, feeders, 1000) * 1000
    result["http_ms_per_request"] = 1000 / result["rps"]
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgis", "both"], default="both")
    parser.add_argument("--facilities", type=Path, help="facility GeoPackage (default: the generated sample)")
    args = parser.parse_args()
    targets = []
    if args.db in ("sqlite", "both"):
        targets.append(("SpatiaLite", f"sqlite:///{Path(tempfile.gettempdir()) / 'bench-api.db'}"))
    if args.db in ("postgis", "both"):
        targets.append(("PostGIS", postgres_url()))
    for name, url in targets:
        r = run(url, args.seconds, args.connections, args.facilities)
        print(f"\n== {name}: {args.connections} connections, {args.seconds} s, one uvicorn worker")
        print(f"  creations/s        {r['rps']:8.1f}   (target >= 200)")
        print(f"  p50 / p99 latency  {r['p50_ms']:8.1f} / {r['p99_ms']:.1f} ms   (target p99 < 100 ms)")
        print(f"  responses          {r['requests']} ({r['non_2xx']} non-2xx, socket errors: {r['socket_errors']})")
        print(f"  rows written       {r['rows']}   lost {r['lost']}   duplicated {r['duplicated']}")
        print(f"  service layer      {r['direct_ms']:8.2f} ms per creation called directly")
        print(f"  HTTP overhead      {r['http_ms_per_request'] / r['direct_ms']:8.2f}x the direct call "
              f"({r['http_ms_per_request']:.2f} ms per request at full load)")
        print(json.dumps(r))


if __name__ == "__main__":
    main()
