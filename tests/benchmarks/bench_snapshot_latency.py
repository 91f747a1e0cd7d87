"""A new outage reaches the public map's snapshot within 5 s of the dispatcher's commit (issue 15).

    .venv/bin/python -m tests.benchmarks.bench_snapshot_latency [--outages 20] [--gap 1.5]

The app runs on the full sample (one uvicorn worker, scheduler off, 300 open outages as bench_map_endpoint.py),
writing its snapshot into ``var/bench/snapshot-latency/snapshot``.  Each of ``--outages`` new outages is logged
through the API, one after the other ``--gap`` seconds apart; from the moment the API answers 201 (the commit is
done), the snapshot's data.json is read every 10 ms until its ``active_outages`` counts the new one.  Printed:
median and maximum commit -> snapshot (target <= 5 s).  The records are closed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import httpx

from gis.db import utcnow
from tests.benchmarks.bench_member_map import ROOT, free_port, storm_database
from tests.benchmarks.common import app_and_watcher

USER, PASSWORD = "snapshot-bench", "snapshot-bench-password"
LIMIT = 30.0  # give up on one outage after this many seconds


def active(folder: Path) -> int | None:
    """The snapshot's count of open outages (None: no readable snapshot)."""
    try:
        return json.loads((folder / "data.json").read_bytes())["totals"]["active_outages"]
    except (OSError, ValueError, KeyError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "member-map.db"))
    parser.add_argument("--outages", type=int, default=20)
    parser.add_argument("--gap", type=float, default=1.5, help="seconds between two outages")
    args = parser.parse_args()
    url, feeders = storm_database(args.db, USER, PASSWORD)

    folder = ROOT / "var" / "bench" / "snapshot-latency" / "snapshot"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data.json").unlink(missing_ok=True)
    port = free_port()
    env = os.environ | {
        "OUTAGES_DATABASE_URL": url,
        "OUTAGES_SECRET_KEY": "snapshot-bench-signing-key-0123456789abcdef-ABCDEFGHIJ",
        "OUTAGES_SCHEDULER": "false",
        "OUTAGES_PUBLIC_MAP_SNAPSHOT_DIR": str(folder),
        "SPATIALITE_LIBRARY_PATH": "mod_spatialite",
    }
    app, watcher = app_and_watcher(env, port)
    base = f"http://127.0.0.1:{port}"
    delays: list[float] = []
    missed = 0
    made: list[dict] = []
    try:
        deadline = time.monotonic() + 120
        while active(folder) is None:
            if time.monotonic() > deadline or app.poll() is not None:
                raise SystemExit("the app wrote no snapshot within 120 s")
            time.sleep(0.2)
        client = httpx.Client(base_url=base, timeout=30)
        token = client.post("/api/auth/token", data={"username": USER, "password": PASSWORD}).json()["access_token"]
        client.headers["Authorization"] = f"Bearer {token}"
        time.sleep(2)  # let the first rounds settle
        for n in range(args.outages):
            before = active(folder)
            response = client.post(
                "/api/interruptions",
                headers={"Idempotency-Key": f"snapshot-bench-{time.time()}-{n}"},
                json={
                    "feeder": feeders[(n * 37) % len(feeders)],
                    "cause": "wind",
                    "members_out": 1,
                    "start_at": utcnow().isoformat(),
                },
            )
            committed = time.perf_counter()
            assert response.status_code == 201, response.text
            made.append(response.json())
            while (active(folder) or 0) <= (before or 0):
                if time.perf_counter() - committed > LIMIT:
                    missed += 1
                    break
                time.sleep(0.01)
            else:
                delays.append(time.perf_counter() - committed)
            time.sleep(args.gap)
        for record in made:  # leave the sample as it was
            client.post(
                f"/api/interruptions/{record['id']}/close",
                json={"version": record["version"], "restored_at": utcnow().isoformat()},
            )
        client.close()
    finally:
        watcher.terminate()
        watcher.wait(10)
        app.terminate()
        app.wait(10)
    print(f"== commit -> snapshot's data.json, {args.outages} new outages {args.gap} s apart, full sample")
    if delays:
        print(f"  median  {statistics.median(delays):6.2f} s")
        print(f"  max     {max(delays):6.2f} s   (target <= 5 s)")
    print(f"  missed  {missed} (not shown within {LIMIT:.0f} s)")


if __name__ == "__main__":
    main()
