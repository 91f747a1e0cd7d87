"""Build the two-million-member, million-record history the issue-16 benchmarks run on.

    .venv/bin/python -m tests.benchmarks.big_history [--out var/bench/big-history.db] [--copies 5]

The sample generated at scale 8 (``outages sample generate --scale 8``: 2,000,000 service points, 3,529
feeders, 189,043 records of five years) is loaded into a fresh SpatiaLite database, and its records are imported
``--copies`` times through the bulk import, each copy moved back four more years (four keeps every 29 February a
leap day): about 945,000 closed records from 2005 to 2026, the years that overlap holding twice the records.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.db import make_engine
from gis.models import ServicePoint
from outages.models import Interruption
from outages.records_io import import_records, parse_records
from tests.benchmarks.common import ROOT, fresh_database, load_facilities, timer

BIG = ROOT / "var" / "bench" / "big"
YEAR = re.compile(r"\b(20\d\d)-")


def _moved(text: str, years: int, copy: int) -> bytes:
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        ref, incident, rest = line.split(",", 2)
        rest = YEAR.sub(lambda m: f"{int(m.group(1)) - years}-", rest)
        out.append(f"C{copy}-{ref},C{copy}-{incident},{rest}")
    return "\n".join(out).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "big-history.db"))
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    if not (BIG / "facilities.gpkg").exists():
        subprocess.run(
            [sys.executable, "-m", "dashboards", "sample", "generate", "--out", str(BIG), "--scale", "8"],
            check=True,
            cwd=ROOT,
        )
    path = Path(args.out)
    if path.exists():  # resume: the facility layer and the copies already imported stay
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = fresh_database(f"sqlite:///{path}")
    with Session(engine) as session:
        loaded = session.scalar(select(func.count()).select_from(ServicePoint))
    if not loaded:
        with timer() as t:
            load_facilities(engine, BIG / "facilities.gpkg")
        print(f"facility layer (2,000,000 service points) loaded in {t.seconds:.0f} s", flush=True)
    text = (BIG / "interruptions.csv").read_text()
    for copy in range(args.copies):
        with Session(engine) as session:
            if session.scalar(select(Interruption.id).where(Interruption.record_ref.like(f"C{copy}-%")).limit(1)):
                continue
        with timer() as t, Session(engine) as session, session.begin():
            frame = parse_records(_moved(text, 4 * copy, copy), f"copy-{copy}.csv")
            done = import_records(session=session, frame=frame, actor="benchmark")
        print(f"copy {copy + 1}/{args.copies}: {done.interruptions:,} records in {t.seconds:.0f} s", flush=True)


if __name__ == "__main__":
    main()
