"""One dispatcher-console refresh in a storm: significance and call list of ~300 open incidents, the old way
(two requests per incident: ``/api/incidents/{id}/significance`` and ``/api/incidents/{id}/call-list``)
against the new one (one ``/api/incidents/open-overview``).

    .venv/bin/python -m tests.benchmarks.bench_console_refresh [--outages 300] [--rounds 5] [--history]

Loads the generated sample's facility layer and registry into a fresh SQLite file under ``var/bench/``
(``--history`` also imports the five-year log of closed records), logs open interruptions on different
feeders through the service layer (whole feeders, parts of feeders and devices, some with a restoration
step), then serves the app with a real uvicorn (one worker, scheduler off) on 127.0.0.1 and times, over
httpx, each refresh the way Chromium would send it: the old way with 6 requests in flight (the browser's
limit per host over HTTP/1.1, which the console's two ``pmap`` lists shared), the new way as one request.
Both warm first (the facility facts cache, connections).  Prints the median and best of the rounds, the
requests and bytes per refresh, the ratio, and checks that both ways name the same incidents, the same
significant ones and the same dark entries.

Each round speaks as a fresh account, whose first request goes alone: ``dashboards.deps.current_user``
re-reads an account from the database every 30 s in the event loop, and on SQLite that waits for the
process's write lock while requests in flight hold it (their sessions are closed by the event loop), so a
re-check landing among concurrent requests stalls the server for 60 s and answers 500.  The old way's
many concurrent requests hit that; keeping each round within one account's 30 s leaves it out of the
figures (it is reported separately, not fixed here).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.models import Device, Feeder
from gis.service import members_served
from outages.records_io import import_records, parse_records
from outages.schemas import InterruptionCreate, RestorationCreate
from outages.service import add_restoration, create_interruption
from outages.settings import get_rule_settings
from registry.spreadsheet import import_registry
from tests.benchmarks.bench_member_map import free_port
from tests.benchmarks.common import ROOT, add_user, fresh_database, load_facilities, sample_folder, timer

USER, PASSWORD = "console-bench", "console-bench-password"
IN_FLIGHT = 6


def build(url: str, outages: int, history: bool, rounds: int) -> dict:
    """A fresh database with the sample's facilities and registry and ``outages`` open interruptions, each
    on its own feeder (its own incident)."""
    folder = sample_folder()
    engine = fresh_database(url)
    load_facilities(engine)
    with Session(engine) as session, session.begin():
        if history:
            import_records(
                session=session,
                frame=parse_records((folder / "interruptions.csv").read_bytes(), "x.csv"),
                actor="bench",
            )
        registry = import_registry(
            session=session,
            data=(folder / "registry.xlsx").read_bytes(),
            filename="registry.xlsx",
            actor="bench",
            zone=get_rule_settings().zone,
        )
    for k in range(rounds + 1):
        add_user(engine, f"{USER}-{k}", PASSWORD, "dispatcher")
    rng = random.Random(1366)
    with Session(engine) as session, session.begin():
        served = members_served(session=session, by="feeder")
        below = members_served(session=session, by="device")
        devices: dict[str, list[str]] = {}
        for feeder, device in session.execute(select(Feeder.code, Device.code).join(Device.feeder)):
            devices.setdefault(feeder, []).append(device)
        feeders = rng.sample(sorted(served), min(outages, len(served)))
        now, records = utcnow(), []
        for i, feeder in enumerate(feeders):
            kind = i % 3  # whole feeder, part of it, a device on it
            device = rng.choice(devices[feeder]) if kind == 2 and devices.get(feeder) else None
            whole = below[device] if device else served[feeder]
            out = whole if kind != 1 else max(1, int(whole * rng.uniform(0.1, 0.6)))
            record, _ = create_interruption(
                session=session,
                actor="bench",
                data=InterruptionCreate(
                    feeder=feeder,
                    device=device,
                    cause=rng.choice(["wind", "lightning", "vegetation", "unknown"]),
                    start_at=now - timedelta(minutes=rng.randint(20, 360)),
                    members_out=out,
                    etr_at=(now + timedelta(hours=rng.randint(1, 8))) if i % 4 else None,
                ),
            )
            records.append(record)
        session.flush()
        for record in records[::4]:
            if record.members_out > 1:
                add_restoration(
                    session=session,
                    interruption_id=record.id,
                    actor="bench",
                    data=RestorationCreate(
                        version=record.version,
                        at=record.start_at + timedelta(minutes=10),
                        members_restored=record.members_out // 2,
                    ),
                )
    engine.dispose()
    return {"feeders": len(feeders), "registry": registry}


def serve(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_SCHEDULER": "false",
        "OUTAGES_SECRET_KEY": "console-bench-signing-key-0123456789abcdef-ABCDEFGHIJKLMNOP",
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
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/health").status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return server, base


def old_refresh(client: httpx.Client, pool: ThreadPoolExecutor, ids: list[int]) -> tuple[dict, int]:
    """Two requests per incident, at most IN_FLIGHT at once; returns the answers by (kind, id) and bytes."""

    def get(job):
        kind, incident_id = job
        response = client.get(f"/api/incidents/{incident_id}/{kind}")
        response.raise_for_status()
        return job, response

    jobs = [(kind, i) for i in ids for kind in ("significance", "call-list")]
    done = dict(pool.map(get, jobs))
    return {k: r.json() for k, r in done.items()}, sum(len(r.content) for r in done.values())


def new_refresh(client: httpx.Client) -> tuple[dict, int]:
    response = client.get("/api/incidents/open-overview")
    response.raise_for_status()
    return response.json(), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "console-refresh.db"))
    parser.add_argument("--outages", type=int, default=300, help="open interruptions, each on its own feeder")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--history", action="store_true", help="also import the five-year log of closed records")
    args = parser.parse_args()
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{Path(args.db).resolve()}"
    with timer() as setup:
        made = build(url, args.outages, args.history, args.rounds)
    print(
        f"database: {made['feeders']} open interruptions on as many feeders, registry {made['registry']}, "
        f"history {'imported' if args.history else 'not imported'} ({setup.seconds:.0f} s)"
    )
    server, base = serve(url)
    try:
        client = httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(max_connections=IN_FLIGHT))

        def sign_in(k: int) -> None:
            """Speak as account k from now on; its first check by the server is made alone (see above)."""
            token = client.post("/api/auth/token", data={"username": f"{USER}-{k}", "password": PASSWORD}).json()[
                "access_token"
            ]
            client.headers["Authorization"] = f"Bearer {token}"
            client.get("/api/auth/me").raise_for_status()

        sign_in(0)
        page = client.get("/api/interruptions", params={"status": "open", "limit": 500}).json()
        ids = sorted({r["incident_id"] for r in page["items"]})  # what the console asks about
        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            with timer() as cold:
                new_refresh(client)  # builds the facility facts cache (shared by both ways)
            old_refresh(client, pool, ids)
            old_times, new_times = [], []
            for k in range(1, args.rounds + 1):  # alternate, so neither way gets a warmer server
                sign_in(k)
                with timer() as t:
                    old, old_bytes = old_refresh(client, pool, ids)
                old_times.append(t.seconds)
                with timer() as t:
                    new, new_bytes = new_refresh(client)
                new_times.append(t.seconds)
        client.close()
    finally:
        server.terminate()
        server.wait()
    bulk = {o["incident_id"]: o for o in new["incidents"]}
    same = (
        sorted(bulk) == ids
        and all(bulk[i]["significance"]["significant"] == old["significance", i]["significant"] for i in ids)
        and all(
            [r["entry"]["id"] for r in bulk[i]["call_list"]] == [r["entry"]["id"] for r in old["call-list", i]]
            for i in ids
        )
    )
    significant = sum(o["significance"]["significant"] for o in bulk.values())
    dark = sum(len(o["call_list"]) for o in bulk.values())
    old_med, new_med = statistics.median(old_times), statistics.median(new_times)
    print(
        f"== One console refresh: significance + call list of {len(ids)} open incidents "
        f"(SQLite, uvicorn 1 worker, httpx; median of {args.rounds} rounds)"
    )
    print(
        f"  old: 2 requests per incident  {old_med * 1000:8.0f} ms  (best {min(old_times) * 1000:.0f} ms; "
        f"{2 * len(ids)} requests, {IN_FLIGHT} in flight, {old_bytes / 1e6:.2f} MB)"
    )
    print(
        f"  new: /api/incidents/open-overview {new_med * 1000:8.0f} ms  (best {min(new_times) * 1000:.0f} ms; "
        f"1 request, {new_bytes / 1e6:.2f} MB; first, with a cold facility-facts cache: {cold.seconds * 1000:.0f} ms)"
    )
    print(
        f"  rounds (ms): old {', '.join(f'{x * 1000:.0f}' for x in old_times)}; "
        f"new {', '.join(f'{x * 1000:.0f}' for x in new_times)}"
    )
    print(f"  ratio old / new               {old_med / new_med:8.1f} x")
    print(f"  answers: {significant} significant, {dark} call-list rows; both ways agree: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
