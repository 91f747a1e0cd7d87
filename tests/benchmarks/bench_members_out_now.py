"""Members out now in a storm (issue 12, domain D15): the power state's union for the whole system and every
service area, against the floor of summing the records' counts (which is wrong: overlapping and nested
records count members twice and go over 100 %).  Also the storage the power state costs over the five-year
sample log, against one row per dark service point.

    .venv/bin/python -m tests.benchmarks.bench_members_out_now [--db var/bench/members-out-now.db] [--records 1000]
        [--rounds 15] [--postgres]

Builds a fresh database (:mod:`tests.benchmarks.common`): the generated sample's facility layer (250,000
service points) and its five-year log of closed records (bulk import).  The storage figures are taken then.
Then a storm of ``--records`` open records is written through the ORM, nested and overlapping: whole feeders,
devices below them (some on feeders already out), one transmission line, records on part of a facility with
listed meters (some with more members than meters: the rest unlocated) and unlocated counts; a quarter of the
feeder records have a restoration step naming a device below them.

Timed with the garbage collector on, as in the service (so a round may include a collection: the best round
is printed too), warm (the network graph and the facility facts are built once per facility layer and cached by the
service; their build time is printed apart), median of the rounds, each from the database:

* **power state**: the open records and their steps, their located points (:func:`outages.power_state.states_of`:
  read once, then kept in memory per record, as in the service),
  the union (:class:`outages.power_state.OutNow`) and every area's figure
  (:func:`outages.public_map.area_members_out`);
* **floor**: the same records and steps read, each record's count minus its steps summed, spread over its
  facility's areas by share (what the public map did before).  Target for the power state: <= 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, selectinload

from gis.db import utcnow
from gis.models import Device, Feeder, TransmissionLine
from gis.network import Network, network
from outages.classify import FacilityFacts
from outages.models import (
    Incident,
    Interruption,
    InterruptionPoint,
    RestorationStep,
    StepPoint,
)
from outages.power_state import (
    OutNow,
    facility_key,
    open_records,
    states_of,
)
from outages.public_map import area_members_out
from outages.records_io import import_records, parse_records
from tests.benchmarks.common import (
    ROOT,
    fresh_database,
    load_facilities,
    postgres_url,
    sample_folder,
    timer,
)

TARGET_MS = 50.0


def build(url: str) -> object:
    """A fresh database with the sample's facility layer and its five-year log."""
    engine = fresh_database(url)
    with timer() as t:
        load_facilities(engine)
    print(f"facility layer loaded in {t.seconds:.0f} s")
    with timer() as t, Session(engine) as session, session.begin():
        import_records(
            session=session,
            frame=parse_records((sample_folder() / "interruptions.csv").read_bytes(), "interruptions.csv"),
            actor="bench",
        )
    print(f"five-year log imported in {t.seconds:.0f} s")
    return engine


# --- storage --------------------------------------------------------------------------------------------------


def _table_bytes(session: Session, table: str) -> int | None:
    """Bytes a table and its indexes take (SQLite: dbstat, when compiled in; PostgreSQL: pg_total_relation_size)."""
    if session.get_bind().dialect.name == "postgresql":
        return int(session.scalar(text(f"SELECT pg_total_relation_size('{table}')")))
    try:
        names = [table] + list(
            session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"), {"t": table})
        )
        return int(
            sum(
                session.scalar(text("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = :n"), {"n": n})
                for n in names
            )
        )
    except Exception:  # noqa: BLE001 - dbstat not compiled in
        session.rollback()
        return None


def _bytes_per_point_row(session: Session, sample_rows: int = 200_000) -> float | None:
    """Bytes per row of a table shaped like ``interruption_points`` (two integers, their primary key and an
    index on the service point), measured on ``sample_rows`` rows written to a scratch table and dropped."""
    dialect = session.get_bind().dialect.name
    session.execute(text("DROP TABLE IF EXISTS bench_dark_points"))
    session.execute(
        text(
            "CREATE TABLE bench_dark_points (interruption_id INTEGER NOT NULL, service_point_id "
            "INTEGER NOT NULL, PRIMARY KEY (interruption_id, service_point_id))"
        )
    )
    session.execute(text("CREATE INDEX ix_bench_dark_points_sp ON bench_dark_points (service_point_id)"))
    ids = session.scalars(select(func.min(Interruption.id))).one() or 1
    rng = np.random.default_rng(7)
    rows = [{"i": int(ids) + k // 2_000, "s": int(s)} for k, s in enumerate(rng.integers(1, 250_000, sample_rows))]
    session.execute(text("INSERT INTO bench_dark_points VALUES (:i, :s) ON CONFLICT DO NOTHING"), rows)
    if dialect == "postgresql":
        session.execute(text("ANALYZE bench_dark_points"))
    n = session.scalar(text("SELECT count(*) FROM bench_dark_points"))
    size = _table_bytes(session, "bench_dark_points")
    session.execute(text("DROP TABLE bench_dark_points"))
    return size / n if size and n else None


def storage(engine) -> None:
    with Session(engine) as session, session.begin():
        records, dark = session.execute(
            select(func.count(Interruption.id), func.coalesce(func.sum(Interruption.members_out), 0)).where(
                Interruption.status != "voided"
            )
        ).one()
        extent_bytes = session.scalar(select(func.coalesce(func.sum(func.length(Interruption.extent) + 1), 0)))
        points = session.scalar(select(func.count()).select_from(InterruptionPoint))
        step_points = session.scalar(select(func.count()).select_from(StepPoint))
        ip_bytes = _table_bytes(session, "interruption_points")
        sp_bytes = _table_bytes(session, "restoration_step_points")
        per_row = _bytes_per_point_row(session)
    print(f"\nStorage of the power state over the five-year log ({records:,} records):")
    print(f"{'':38} {'rows':>13} {'bytes':>15}")
    print(f"{'interruption_points':38} {points:>13,} {_b(ip_bytes):>15}")
    print(f"{'restoration_step_points':38} {step_points:>13,} {_b(sp_bytes):>15}")
    print(f"{'interruptions.extent (column)':38} {records:>13,} {extent_bytes:>15,}")
    ours_rows = points + step_points
    ours_bytes = (ip_bytes or 0) + (sp_bytes or 0) + extent_bytes
    print(f"{'power state, all':38} {ours_rows:>13,} {ours_bytes:>15,}")
    naive = dark * per_row if per_row else None
    print(
        f"{'one row per dark service point':38} {dark:>13,} {_b(naive):>15}"
        + (f"   ({per_row:.1f} bytes/row measured on a scratch table)" if per_row else "")
    )
    rows_ratio = (
        f"{dark / ours_rows:,.0f}x rows (the extent column aside)"
        if ours_rows
        else f"{dark:,} rows against none (every record of the log covers its whole facility or is an unlocated "
        "count: the extent column says it all)"
    )
    print(f"ratio: {rows_ratio}" + (f", {naive / max(ours_bytes, 1):,.0f}x bytes" if naive else ""))


def _b(value) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


# --- the storm ------------------------------------------------------------------------------------------------


def storm(engine, count: int) -> dict:
    """``count`` open records, nested and overlapping (see the module docstring); returns what was made."""
    rng = random.Random(1215)
    with Session(engine) as session, session.begin():
        net = network(session)
        feeders = session.execute(select(Feeder.id, Feeder.substation_id)).all()
        devices = session.execute(select(Device.id, Device.feeder_id)).all()
        line = session.scalar(select(TransmissionLine.id).order_by(TransmissionLine.id).limit(1))
        sub_of = dict(feeders)
        feeder_ids = [f for f, _s in feeders if net.served(feeder_id=f)]
        device_ids = [(d, f) for d, f in devices if net.served(device_id=d)]
        now = utcnow()
        incidents = [Incident(title=f"bench storm {k}", created_by="bench") for k in range(max(count // 10, 1))]
        kinds = {"feeder": 0, "device": 0, "line": 0, "meters": 0, "unlocated": 0, "steps": 0}
        out_feeders = rng.sample(feeder_ids, min(len(feeder_ids), count * 15 // 100))
        made, located = [], []

        def add(*, feeder=None, device=None, transmission_line=None, extent="facility", members_out=None, points=None):
            facility = (
                {"transmission_line_id": transmission_line}
                if transmission_line
                else {"device_id": device}
                if device
                else {"feeder_id": feeder}
            )
            served = net.served(**facility)
            record = Interruption(
                incident=rng.choice(incidents),
                status="open",
                cause_code=rng.choice(["wind", "lightning", "vegetation", "unknown"]),
                start_at=now - timedelta(minutes=rng.randint(10, 600)),
                members_out=members_out or served,
                extent=extent,
                feeder_id=feeder,
                substation_id=sub_of.get(feeder),
                device_id=device,
                transmission_line_id=transmission_line,
                created_by="bench",
                updated_by="bench",
                etr_at=now + timedelta(hours=rng.randint(1, 12)) if rng.random() < 0.6 else None,
            )
            made.append(record)
            if points is not None:
                located.append((record, points))
            return record

        add(transmission_line=line)
        kinds["line"] += 1
        for f in out_feeders:
            add(feeder=f)
            kinds["feeder"] += 1
        out_set = set(out_feeders)
        nested = [(d, f) for d, f in device_ids if f in out_set]
        other = [(d, f) for d, f in device_ids if f not in out_set]
        while len(made) < count:
            roll = rng.random()
            if roll < 0.40:  # a device: half of them below a feeder already out
                d, f = rng.choice(nested if nested and rng.random() < 0.5 else other)
                add(feeder=f, device=d)
                kinds["device"] += 1
            elif roll < 0.70:  # meters listed, on a feeder or a device; some with more members than meters
                d, f = rng.choice(device_ids) if rng.random() < 0.5 else (None, rng.choice(feeder_ids))
                below = net.downstream_ids(**({"device_id": d} if d else {"feeder_id": f}))
                k = max(1, int(len(below) * rng.uniform(0.05, 0.5)))
                pts = np.sort(np.random.default_rng(len(made)).choice(below, size=k, replace=False))
                extra = rng.randint(0, k) if rng.random() < 0.4 else 0
                add(feeder=f, device=d, extent="part", members_out=min(k + extra, len(below)), points=pts)
                kinds["meters"] += 1
            else:  # an unlocated count
                d, f = rng.choice(device_ids) if rng.random() < 0.5 else (None, rng.choice(feeder_ids))
                served = net.served(**({"device_id": d} if d else {"feeder_id": f}))
                if served < 2:
                    continue
                add(feeder=f, device=d, extent="part", members_out=rng.randint(1, served - 1))
                kinds["unlocated"] += 1
        session.add_all(made)
        session.flush()
        rows = [{"interruption_id": r.id, "service_point_id": int(s)} for r, pts in located for s in pts]
        for start in range(0, len(rows), 50_000):
            session.execute(insert(InterruptionPoint), rows[start : start + 50_000])
        # a quarter of the whole-feeder records: the first device below them closed
        roots = {}
        for d, f in device_ids:
            roots.setdefault(f, d)
        for r in [r for r in made if r.extent == "facility" and r.device_id is None and r.feeder_id][::4]:
            d = roots.get(r.feeder_id)
            n = net.served(device_id=d) if d else 0
            if d and 0 < n < r.members_out:
                session.add(
                    RestorationStep(
                        interruption_id=r.id,
                        at=r.start_at + timedelta(minutes=5),
                        members_restored=n,
                        device_id=d,
                        created_by="bench",
                    )
                )
                kinds["steps"] += 1
        kinds["located points"] = len(rows)
    return kinds


# --- timing ---------------------------------------------------------------------------------------------------


def power_state_figures(
    session: Session, net, facts: FacilityFacts, parts: dict | None = None
) -> tuple[int, int, dict[int, int]]:
    """(members out, of which unlocated, members out per area) from the power state; ``parts`` collects the
    seconds of each stage."""
    clock = [time.perf_counter()]

    def lap(name):
        clock.append(time.perf_counter())
        if parts is not None:
            parts.setdefault(name, []).append(clock[-1] - clock[-2])

    records = open_records(session)
    lap("open records and steps (ORM)")
    states = states_of(session, records, net)
    lap("located points, replay (states_of)")
    out = OutNow(net, states)
    lap("union (OutNow)")
    located, unlocated = area_members_out(out, facts)
    areas = {
        a: min(located.get(a, 0) + round(unlocated.get(a, 0.0)), facts.area_members.get(a, 0))
        for a in set(located) | set(unlocated)
    }
    lap("areas (area_members_out)")
    return out.members_out, out.unlocated, areas


def floor_figures(session: Session, facts: FacilityFacts) -> tuple[int, dict[int, float]]:
    """The sum of the records' counts (what the map did before: wrong when records overlap)."""
    records = session.scalars(
        select(Interruption)
        .options(selectinload(Interruption.steps))
        .where(Interruption.status == "open", Interruption.start_at <= utcnow())
    ).all()
    total, areas = 0, {}
    for r in records:
        left = r.members_out - sum(s.members_restored for s in r.steps)
        total += left
        key = facility_key(r)
        served = facts.served.get(key, 0)
        for a, n in facts.by_area.get(key, {}).items():
            if served:
                areas[a] = areas.get(a, 0.0) + left * n / served
    return total, areas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "var" / "bench" / "members-out-now.db"))
    parser.add_argument("--records", type=int, default=1000, help="open records in the storm")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="PostGIS (.ci/postgis.sh) instead of SQLite")
    args = parser.parse_args()
    if args.postgres:
        url = postgres_url()
    else:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{Path(args.db).resolve()}"
    engine = build(url)
    storage(engine)
    kinds = storm(engine, args.records)
    print(f"\nStorm: {args.records:,} open records: " + ", ".join(f"{v:,} {k}" for k, v in kinds.items()))

    with Session(engine) as session:
        with timer() as t_net:
            Network(session)  # what a first request after a facility import pays (then cached)
        net = network(session)
        with timer() as t_facts:
            facts = FacilityFacts(session)
        print(
            f"built once per facility layer (cached): network graph {t_net.seconds * 1000:.0f} ms "
            f"({net.size:,} service points), facility facts {t_facts.seconds * 1000:.0f} ms"
        )
        ours, floor, parts = [], [], {}
        for _ in range(args.rounds):
            session.expunge_all()
            with timer() as t:
                out, unlocated, areas = power_state_figures(session, network(session), facts, parts)
            ours.append(t.seconds)
            session.expunge_all()
            with timer() as t:
                total, floor_areas = floor_figures(session, facts)
            floor.append(t.seconds)
        over = {a: v for a, v in floor_areas.items() if v > facts.area_members.get(a, 0) + 0.5}
        ours_ms, floor_ms = statistics.median(ours) * 1000, statistics.median(floor) * 1000
        best_ms, floor_best_ms = min(ours) * 1000, min(floor) * 1000
    system = facts.system_members
    print(f"\nMembers out now, whole system and {len(facts.areas):,} service areas (median of {args.rounds}, warm):")
    print(f"{'':44} {'median':>10} {'best':>10} {'members out':>13} {'share':>8}")
    print(
        f"{'power state (union, OutNow)':44} {ours_ms:>7.1f} ms {best_ms:>7.1f} ms {out:>13,} "
        f"{100 * out / system:>7.1f}%   of which {unlocated:,} unlocated"
    )
    for name, seconds in parts.items():
        print(f"{'  ' + name:44} {statistics.median(seconds) * 1000:>7.1f} ms {min(seconds) * 1000:>7.1f} ms")
    print(
        f"{'floor (sum of the records counts; wrong)':44} {floor_ms:>7.1f} ms {floor_best_ms:>7.1f} ms {total:>13,} "
        f"{100 * total / system:>7.1f}%   {len(over):,} areas over 100 %"
    )
    print(
        f"ratio power state / floor: {ours_ms / floor_ms:.2f}x time; the floor counts {total - out:+,} members "
        f"({total / max(out, 1):.2f}x); target <= {TARGET_MS:.0f} ms: {'met' if ours_ms <= TARGET_MS else 'NOT met'}"
    )
    assert max(areas.values(), default=0) <= max(facts.area_members.values(), default=0)
    engine.dispose()


if __name__ == "__main__":
    main()
