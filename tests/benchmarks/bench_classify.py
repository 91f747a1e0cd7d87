"""Classifying every incident of the five-year sample (issue 4): target under 10 s on SpatiaLite.

    .venv/bin/python -m tests.benchmarks.bench_classify [--db sqlite|postgis]

Loads the generated sample (facilities, 24,000 records, the registry) into a fresh database, then times
one full classification of every incident, as the scheduler's first round does, and prints the rate and
how many incidents the rule finds significant, by criterion.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from outages.classify import FacilityFacts
from outages.records_io import import_records, parse_records
from outages.settings import get_rule_settings
from registry.spreadsheet import import_registry
from reports.flow import classify_incidents
from tests.benchmarks.common import fresh_database, load_facilities, postgres_url, sample_folder, timer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgis"], default="sqlite")
    args = parser.parse_args()
    folder = sample_folder()
    url = f"sqlite:///{Path(tempfile.gettempdir()) / 'bench-classify.db'}" if args.db == "sqlite" else postgres_url()
    engine = fresh_database(url)
    load_facilities(engine)
    with Session(engine) as session, session.begin():
        import_records(
            session=session, frame=parse_records((folder / "interruptions.csv").read_bytes(), "x.csv"), actor="bench"
        )
        import_registry(
            session=session,
            data=(folder / "registry.xlsx").read_bytes(),
            filename="registry.xlsx",
            actor="bench",
            zone=get_rule_settings().zone,
        )
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        with timer() as facts_time:
            facts = FacilityFacts(session)
        with timer() as total:
            results = classify_incidents(session, now=now, rules=get_rule_settings(), facts=facts)
    significant = [r for r in results.values() if r.significant]
    by_code = Counter(c.code.split(":")[0] for r in significant for c in r.criteria)
    print(f"== Classifying every incident of the sample on {args.db}")
    print(f"  facility facts (once per round)   {facts_time.seconds:6.2f} s")
    print(f"  classify and store {len(results):,} incidents {total.seconds:6.2f} s   (target < 10 s)")
    print(f"  rate                              {len(results) / total.seconds:8,.0f} incidents/s")
    print(f"  significant                       {len(significant):,}")
    for code, n in by_code.most_common():
        print(f"    {code:30s} {n:,}")


if __name__ == "__main__":
    main()
