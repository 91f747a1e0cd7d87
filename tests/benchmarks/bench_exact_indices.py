"""Exact reliability indices for one year of the sample (issue 12, "indices"): target under 1 s, beside the old
count-based approximation ("the first members_out service points by id").

    .venv/bin/python -m tests.benchmarks.bench_exact_indices [--db sqlite|postgis] [--url URL [--build]]
                                                             [--year 2025] [--runs 5]

Builds a fresh database loaded with the generated sample (facilities, 250,000 service points, the 24,045
records of 2021-2025 through the bulk import, which stores a count smaller than its facility as an
unlocated count) unless ``--url`` names a loaded one (``--build``: build it there, e.g. on a PostGIS of your
own; it is emptied first), then times, warm (the network graph built once per
process, as in the service; its first build is printed apart), best of ``--runs``:

1. the exact indices: :func:`outages.reliability.indices_for` for the year (members served, the records with
   five years of history for T_MED, the per-member model of the year's records and of every record that
   may overlap another, daily SAIDI and major event days, every index on all / normal / MED days), and its
   parts: reading the records, the replay on the network (``states_of``), ``member_intervals``, the engine;
2. the old approximation on the same records, as the service computed it before (each record's count and
   steps; CAIFI, CTAIDI and CEMI_n from the first ``members_out`` service points by id of the facility);
3. ``member_intervals`` against the original implementation it replaces (same rows, and the time);

and prints both sets of figures and how far the approximation was off (approximation / exact).  The annual
report's data (:func:`outages.reliability.annual_reliability`, five years with the per-member model) is
timed once, for information.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.models import ServicePoint
from gis.network import network
from outages import indices as ix
from outages import power_state as ps
from outages import reliability as rel
from outages.records_io import import_records, parse_records
from tests.benchmarks.common import fresh_database, load_facilities, postgres_url, sample_folder, timer

TZ = "America/Chicago"
SHOWN = [
    ("saifi", "SAIFI", 4),
    ("saidi", "SAIDI (min)", 2),
    ("caidi", "CAIDI (min)", 2),
    ("member_interruptions", "member interruptions", 0),
    ("distinct_members_interrupted", "CN (distinct)", 0),
    ("caifi", "CAIFI", 4),
    ("ctaidi", "CTAIDI (min)", 2),
    ("maifi", "MAIFI", 4),
    ("maifie", "MAIFIe", 4),
    ("cemi_3", "CEMI_3", 4),
    ("cemsmi_3", "CEMSMI_3", 4),
    ("celid_s", "CELID_s 8 h", 4),
    ("celid_t", "CELID_t 8 h", 4),
]


# --------------------------------------------------------------------------------------------------
# the old approximation (outages.reliability before the per-member model), kept here to compare


class _OldPoints:
    """Service point ids grouped by feeder and by device, ascending within each group."""

    def __init__(self, session: Session):
        rows = session.execute(
            select(ServicePoint.id, ServicePoint.feeder_id, func.coalesce(ServicePoint.device_id, -1)).order_by(
                ServicePoint.id
            )
        )
        arr = np.fromiter((v for row in rows for v in row), dtype=np.int64).reshape(-1, 3)
        ids, feeder, device = arr[:, 0], arr[:, 1], arr[:, 2]
        self.by_feeder = self._blocks(ids, feeder)
        self.by_device = self._blocks(ids[device >= 0], device[device >= 0])
        self.net = network(session)

    @staticmethod
    def _blocks(ids: np.ndarray, key: np.ndarray) -> dict[int, np.ndarray]:
        order = np.argsort(key, kind="stable")
        k, v = key[order], ids[order]
        uniq, first = np.unique(k, return_index=True)
        bounds = np.append(first, len(k))
        return {int(u): v[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniq)}

    def of(self, kind: str, key: int) -> np.ndarray:
        empty = np.empty(0, np.int64)
        if kind == "device":
            parts = [self.by_device.get(d, empty) for d in self.net.devices_below([key])]
        elif kind == "feeder":
            return self.by_feeder.get(key, empty)
        else:
            subs = self.net.substations_of_line.get(key, ())
            parts = [self.by_feeder.get(f, empty) for f, s in self.net.feeder_substation.items() if s in subs]
        return np.sort(np.concatenate(parts)) if parts else empty


def old_member_hits(session: Session, records: pd.DataFrame) -> pd.DataFrame:
    """The first ``members_out`` service points by id of each record's facility."""
    points = _OldPoints(session)
    device = records["device_id"].to_numpy(dtype=np.int64)
    feeder = records["feeder_id"].to_numpy(dtype=np.int64)
    line = records["transmission_line_id"].to_numpy(dtype=np.int64)
    kind = np.where(device >= 0, 0, np.where(feeder >= 0, 1, 2))
    key = np.where(device >= 0, device, np.where(feeder >= 0, feeder, line))
    uniq, fac = np.unique(kind * (1 << 40) + key, return_inverse=True)
    pools = [points.of(("device", "feeder", "line")[int(u >> 40)], int(u & ((1 << 40) - 1))) for u in uniq]
    sizes = np.array([len(p) for p in pools], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pool = np.concatenate(pools) if pools else np.empty(0, np.int64)
    counts = np.minimum(records["members_out"].to_numpy(dtype=np.int64), sizes[fac])
    first = np.repeat(offsets[fac], counts)
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return pd.DataFrame(
        {
            "member_id": pool[first + within],
            "record_id": np.repeat(records["record_id"].to_numpy(dtype=np.int64), counts),
        }
    )


def old_indices(session: Session, start: date, end: date) -> pd.Series:
    """The year's system indices (all days) as the service computed them before."""
    lo, hi = rel._instant(start, TZ, "start"), rel._instant(end, TZ, "end")
    members = rel.members_served(session=session)
    history_start = rel._history_start(session, lo, TZ)
    records, steps = rel.load_records(
        session=session, start=min(rel._history_from(lo, TZ), lo), end=hi, feeder_division=members.feeder_division
    )
    mmm = rel._momentary(records, None)
    meds = ix.major_event_days(records, steps, members.system, lo, hi, history_start, tz=TZ, momentary_max_minutes=mmm)
    period = records[(records["start"] >= lo) & (records["start"] < hi)]
    hits = old_member_hits(session, period)
    table = ix.indices_by_day_type(
        records,
        steps,
        members.system,
        lo,
        hi,
        major_event_days=meds.dates,
        member_hits=hits,
        tz=TZ,
        momentary_max_minutes=mmm,
    )
    return table.loc[("all", "system")]


# --------------------------------------------------------------------------------------------------
# the original member_intervals (before this change), to check the optimised one gives the same rows


def original_member_intervals(states, *, horizon: datetime) -> ps.Intervals:
    pos, start, end, rid = [], [], [], []
    h = ps.epoch_ns(horizon)
    for s in states:
        t0 = ps.epoch_ns(s.record.start_at)
        for piece in s.pieces:
            p = np.union1d(ps.positions_of(piece.ranges), piece.points)
            if not len(p):
                continue
            t1 = h if piece.restored_at is None else min(ps.epoch_ns(piece.restored_at), h)
            pos.append(p)
            start.append(np.full(len(p), t0, np.int64))
            end.append(np.full(len(p), t1, np.int64))
            rid.append(np.full(len(p), s.record.id, np.int64))
    p, a, b, r = (np.concatenate(x) for x in (pos, start, end, rid))
    keep = b > a
    p, a, b, r = p[keep], a[keep], b[keep], r[keep]
    order = np.lexsort((a, p))
    p, a, b, r = p[order], a[order], b[order], r[order]
    times = np.unique(np.concatenate([a, b]))
    ra, rb = np.searchsorted(times, a), np.searchsorted(times, b)
    member = np.cumsum(np.append(True, p[1:] != p[:-1])) - 1
    offset = member * (len(times) + 1)
    reach = np.maximum.accumulate(rb + offset)
    new = np.ones(len(p), bool)
    new[1:] = (member[1:] != member[:-1]) | (ra[1:] + offset[1:] > reach[:-1])
    starts = np.nonzero(new)[0]
    ends = np.append(starts[1:], len(p)) - 1
    return ps.Intervals(p[starts], a[starts], times[reach[ends] - offset[ends]], r[starts])


# --------------------------------------------------------------------------------------------------


def best(runs: int, fn):
    out, seconds = None, []
    for _ in range(runs):
        with timer() as t:
            out = fn()
        seconds.append(t.seconds)
    return min(seconds), out


def parts(session: Session, start: date, end: date) -> dict[str, float]:
    """The exact run's parts, timed one after the other (the same steps as indices_for)."""
    times = {}
    lo, hi = rel._instant(start, TZ, "start"), rel._instant(end, TZ, "end")
    with timer() as t:
        net = network(session)
        members = rel.members_served(session=session, net=net)
        records, steps = rel._records_and_tail(session, min(rel._history_from(lo, TZ), lo), hi, members.feeder_division)
    times["members served, records and steps (5 years of history)"] = t.seconds
    mmm = rel._momentary(records, None)
    momentary = rel._momentary_of(records, mmm)
    with timer() as t:
        in_period = ((records["start"] >= lo) & (records["start"] < hi)).to_numpy()
        chosen = in_period | rel.overlapping(records, momentary, net)
        rows = rel._replayable(records[chosen], steps, net)
        states = rel._states(session, rows, net)
    times[f"replay of {len(rows):,} records on the network (states_of)"] = t.seconds
    flag = dict(zip(records["record_id"].tolist(), momentary.tolist()))
    horizon = max(r.restored_at for r in rows)
    with timer() as t:
        for kind in (False, True):
            ps.member_intervals([s for s in states if flag[s.record.id] == kind], horizon=horizon)
    times["member_intervals (sustained, momentary)"] = t.seconds
    with timer() as t:
        recs, model, _ids = rel._exact(session, records, steps, mmm, net, lo, hi)
    times["the whole per-member model (the three above but reading)"] = t.seconds
    with timer() as t:
        meds = ix.major_event_days(
            recs, steps, members.system, lo, hi, rel._history_start(session, lo, TZ), tz=TZ, momentary_max_minutes=mmm
        )
        ix.indices_by_day_type(
            recs,
            steps,
            members.system,
            lo,
            hi,
            major_event_days=meds.dates,
            member_hits=model.hits,
            tz=TZ,
            momentary_max_minutes=mmm,
        )
    times[f"engine: T_MED, MEDs, every index on 3 day types ({len(model.hits):,} member rows)"] = t.seconds
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgis"], default="sqlite")
    parser.add_argument("--url", help="an already loaded database (skips building one)")
    parser.add_argument("--build", action="store_true", help="build the sample into --url (emptied first)")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    start, end = date(args.year, 1, 1), date(args.year + 1, 1, 1)
    if args.url and not args.build:
        from gis.db import make_engine

        engine, source = make_engine(args.url), args.url
    else:
        url = args.url or (
            f"sqlite:///{Path(tempfile.gettempdir()) / 'bench-exact-indices.db'}"
            if args.db == "sqlite"
            else postgres_url()
        )
        with timer() as t:
            engine = fresh_database(url)
            load_facilities(engine)
            folder = sample_folder()
            with Session(engine) as session, session.begin():
                import_records(
                    session=session,
                    actor="bench",
                    frame=parse_records((folder / "interruptions.csv").read_bytes(), "interruptions.csv"),
                )
        source = f"a fresh {engine.dialect.name} database with the sample ({t.seconds:.0f} s to build)"

    with Session(engine) as session:
        with timer() as t:
            net = network(session)
        print(f"== Exact reliability indices {args.year}: {source}")
        print(
            f"  network graph, first build (once per process)      {t.seconds:6.3f} s   ({net.size:,} service points)"
        )
        rel.indices_for(session=session, start=start, end=end)  # warm-up: imports, first-call costs
        session.expunge_all()
        exact_s, exact = best(args.runs, lambda: rel.indices_for(session=session, start=start, end=end))
        old_s, old = best(args.runs, lambda: old_indices(session, start, end))
        row = exact.rows("all").loc["system"]
        print(
            f"  exact (indices_for, best of {args.runs})                      {exact_s:6.3f} s   target < 1 s: "
            f"{'met' if exact_s < 1 else 'NOT met'}"
        )
        print(
            f"  old count-based approximation (best of {args.runs})           {old_s:6.3f} s   "
            f"(exact / old: {exact_s / old_s:.2f} x)"
        )
        for name, seconds in parts(session, start, end).items():
            print(f"    {name:<72s} {seconds:6.3f} s")

        # member_intervals against the original implementation
        hi = rel._instant(end, TZ, "end")
        members = rel.members_served(session=session, net=net)
        records, steps = rel.load_records(
            session=session, start=start, end=end, feeder_division=members.feeder_division
        )
        sustained = ~rel._momentary_of(records, rel._momentary(records, None))
        states = rel._states(session, rel._replayable(records[sustained], steps, net), net)
        horizon = hi.to_pydatetime()
        new_s, new_iv = best(args.runs, lambda: ps.member_intervals(states, horizon=horizon))
        orig_s, orig_iv = best(max(1, args.runs // 2), lambda: original_member_intervals(states, horizon=horizon))
        same = all(
            np.array_equal(getattr(new_iv, k), getattr(orig_iv, k)) for k in ("pos", "start", "end", "record_id")
        )
        print(
            f"  member_intervals, sustained {args.year} ({len(new_iv):,} rows): {new_s:.3f} s, the original "
            f"{orig_s:.3f} s ({orig_s / new_s:.1f} x); same rows: {'yes' if same else 'NO'}"
        )

        with timer() as t:
            annual = rel.annual_reliability(session=session, year=args.year, today=date(args.year + 1, 6, 1))
        print(
            f"  annual report data {annual.years[0]}-{args.year} (five years, per-member model) {t.seconds:6.3f} s "
            "(once, for information)"
        )

    print(f"\n  {'index':<24s} {'exact':>14s} {'approximation':>14s} {'approx / exact':>15s}")
    for column, label, digits in SHOWN:
        a = float(row[column])
        b = float(old[column]) if column in old.index else float("nan")
        ratio = b / a if a and np.isfinite(a) and np.isfinite(b) else float("nan")
        print(f"  {label:<24s} {a:14,.{digits}f} {b:14,.{digits}f} {ratio:15.3f}")
    print("\n  notes of the exact run:")
    for note in exact.notes[2:]:
        print(f"  - {note}")


if __name__ == "__main__":
    main()
