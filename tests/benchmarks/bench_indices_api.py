"""``/api/indices`` and the annual reliability report read precomputed history (issue 16): targets on the sample
100 ms for a year, 300 ms grouped by feeder, the annual report (Excel and PDF) under 2 s; on the
two-million-member, million-record history (``tests/benchmarks/big_history.py``) 1 s and 10 s; beside the
rebuild-per-call path they replace.

    .venv/bin/python -m tests.benchmarks.bench_indices_api [--db var/bench/member-map.db] [--runs 5]
                                                           [--year 2026] [--report-year 2025]

The database (default: the sample with 250,000 members and five years of records, as the member-map benchmarks
build it; any migrated database works, e.g. the two-million-member history) is copied to a temporary file
and migrated; the app runs in-process (FastAPI's TestClient, an executive's token), one request at a time,
median of ``--runs``:

1. **rebuild per call**: the caches forgotten before every request (:func:`outages.history.forget`): every
   call reads the five years of closed records and their steps from the database, as before issue 16;
2. **unchanged log**: the closed log in memory and the result kept (the dashboard's case between changes);
3. **after a change**: a new record of the year logged and closed (the service functions the API calls, in their
   own committed transaction) before every request: the journal names
   it, only it is reread, and the figures of the period it falls in are computed again from the frames in
   memory.

Then the annual report of ``--report-year`` as Excel and PDF, rebuilt and warm, and warm after a change to
this year's log (last year's report is not computed again).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboards.app import create_app
from gis.db import make_engine
from gis.models import Feeder
from outages import history
from outages.models import Interruption
from outages.schemas import CloseIn, InterruptionCreate
from outages.service import close_interruption, create_interruption
from tests.benchmarks.common import ROOT, add_user, copy_database

PASSWORD = "benchmark passphrase for the executive"


def _median(fn, runs: int, before=None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _closer(engine):
    """A change to this year's log: a new record on a feeder, closed (the journal names just it)."""
    with Session(engine) as s:
        feeder = s.scalar(select(Feeder.code).order_by(Feeder.id).limit(1))
    n = [0]

    def change() -> None:
        n[0] += 1
        start = datetime.now(UTC) - timedelta(days=2, minutes=n[0])
        with Session(engine) as s, s.begin():
            record, _ = create_interruption(
                session=s,
                actor="bench",
                data=InterruptionCreate(feeder=feeder, cause="wind", start_at=start, members_out=5),
            )
            s.flush()
            close_interruption(
                session=s,
                interruption_id=record.id,
                data=CloseIn(version=record.version, restored_at=start + timedelta(hours=1)),
                actor="bench",
            )

    return change


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "member-map.db"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--year", type=int, default=datetime.now(UTC).year)
    parser.add_argument("--report-year", type=int, default=datetime.now(UTC).year - 1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = copy_database(args.db, Path(tmp))
        engine = make_engine(url)
        add_user(engine, "bench-exec", PASSWORD, "executive")
        with Session(engine) as s:
            count = s.scalar(select(func.count()).select_from(Interruption).where(Interruption.status == "closed"))
        print(f"database: {args.db} ({count:,} closed records)")
        change = _closer(engine)
        app = create_app(database_url=url, scheduler=False)
        with TestClient(app, base_url="http://localhost") as client:
            token = client.post("/api/auth/token", data={"username": "bench-exec", "password": PASSWORD}).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}

            def get(path: str, **params) -> None:
                r = client.get(path, params=params, headers=headers)
                assert r.status_code == 200, r.text

            year = {"start": f"{args.year}-01-01", "end": f"{args.year + 1}-01-01"}
            print(f"{'median of ' + str(args.runs):<34}{'rebuild/call':>14}{'unchanged':>12}{'after change':>14}")
            big = count > 500_000  # the two-million-member history: its own targets
            for label, params, target in (
                (f"/api/indices {args.year}", year, 1000 if big else 100),
                (f"/api/indices {args.year} by feeder", year | {"group_by": "feeder"}, None if big else 300),
            ):
                get("/api/indices", **params)
                cold = _median(lambda p=params: get("/api/indices", **p), args.runs, before=history.forget)
                get("/api/indices", **params)
                warm = _median(lambda p=params: get("/api/indices", **p), args.runs)
                changed = _median(lambda p=params: get("/api/indices", **p), args.runs, before=change)
                print(
                    f"{label:<34}{cold * 1000:>11.0f} ms{warm * 1000:>9.1f} ms{changed * 1000:>11.0f} ms"
                    f"   target {f'{target} ms' if target else 'none'}; unchanged {cold / warm:.0f}x, "
                    f"after a change {cold / changed:.1f}x faster"
                )
            for kind in ("xlsx", "pdf"):
                report = f"/api/reports/reliability/{args.report_year}.{kind}"
                cold = _median(lambda p=report: get(p), max(2, args.runs // 2), before=history.forget)
                get(report)
                warm = _median(lambda p=report: get(p), args.runs)
                changed = _median(lambda p=report: get(p), args.runs, before=change)
                print(
                    f"{'annual report ' + str(args.report_year) + ' ' + kind:<34}{cold * 1000:>11.0f} ms"
                    f"{warm * 1000:>9.0f} ms{changed * 1000:>11.0f} ms   target {10_000 if big else 2_000:,} ms; "
                    f"{cold / warm:.1f}x"
                )


if __name__ == "__main__":
    main()
