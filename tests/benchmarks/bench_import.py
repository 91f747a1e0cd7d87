"""Import of the whole sample into SpatiaLite (issue 2): target under 60 s, beside a row-by-row ORM insert.

    .venv/bin/python -m tests.benchmarks.bench_import [--orm-fraction 0.1] [--db sqlite|postgis]

The measured path is the product's: read and check the GeoPackage, load the facility layer, parse and
check the five-year CSV, load the records.  The comparison adds the same rows one ORM object at a time
(``session.add`` then ``flush`` per row, geometries as WKT); it is run on a fraction of the rows and
scaled up linearly (the fraction is printed), because the full run takes many minutes.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd
from geoalchemy2 import WKTElement
from sqlalchemy.orm import Session

from gis.files import read_facilities
from gis.models import Device, Feeder, ServiceArea, ServicePoint, Substation, TransmissionLine
from gis.service import import_facilities
from outages.models import Incident, Interruption, RestorationStep
from outages.records_io import import_records, parse_records
from tests.benchmarks.common import fresh_database, postgres_url, sample_folder, timer


def product_import(url: str, folder: Path) -> dict[str, float]:
    engine = fresh_database(url)
    times = {}
    with timer() as t:
        layers = read_facilities(folder / "facilities.gpkg")
    times["read and check facilities"] = t.seconds
    with timer() as t, Session(engine) as session, session.begin():
        import_facilities(session=session, layers=layers)
    times["load facilities"] = t.seconds
    with timer() as t:
        frame = parse_records((folder / "interruptions.csv").read_bytes(), "interruptions.csv")
        with Session(engine) as session, session.begin():
            counts = import_records(session=session, frame=frame, actor="bench", source="interruptions.csv").counts()
    times["parse, check and load records"] = t.seconds
    engine.dispose()
    print(
        f"  rows: {len(layers['service_points']):,} service points, {counts['interruptions']:,} records, "
        f"{counts['restoration_steps']:,} steps"
    )
    return times


def orm_row_by_row(url: str, folder: Path, fraction: float) -> float:
    """Seconds for the same data added one ORM object at a time, scaled from ``fraction`` of the rows."""
    engine = fresh_database(url)
    layers = read_facilities(folder / "facilities.gpkg")
    frame = parse_records((folder / "interruptions.csv").read_bytes(), "interruptions.csv")
    wkt = lambda g: WKTElement(g.wkt, srid=4326)  # noqa: E731
    with timer() as fixed, Session(engine, expire_on_commit=False) as session, session.begin():
        subs, feeders, devices = {}, {}, {}
        for row in layers["substations"].itertuples():
            subs[row.substation_id] = s = Substation(code=row.substation_id, name=row.name, geom=wkt(row.geometry))
            session.add(s)
            session.flush()
        lines = {}
        for row in layers["transmission_lines"].itertuples():
            lines[row.line_id] = tl = TransmissionLine(
                code=row.line_id,
                name=row.name,
                voltage_kv=row.voltage_kv,
                geom=wkt(row.geometry),
                substations=[subs[code] for code in row.substation_ids.split(",")],
            )
            session.add(tl)
            session.flush()
        for row in layers["feeders"].itertuples():
            feeders[row.feeder_id] = f = Feeder(
                code=row.feeder_id, name=row.name, geom=wkt(row.geometry), substation_id=subs[row.substation_id].id
            )
            session.add(f)
            session.flush()
        for row in layers["devices"].itertuples():
            devices[row.device_id] = d = Device(
                code=row.device_id, kind=row.kind, geom=wkt(row.geometry), feeder_id=feeders[row.feeder_id].id
            )
            session.add(d)
            session.flush()
        for row in layers["service_areas"].itertuples():
            session.add(ServiceArea(code=row.area_id, name=row.name, kind=row.kind, geom=wkt(row.geometry)))
            session.flush()
    sp = layers["service_points"]
    n_sp = max(1, int(len(sp) * fraction))
    with timer() as points, Session(engine) as session, session.begin():
        for row in sp.head(n_sp).itertuples():
            session.add(
                ServicePoint(
                    meter_number=row.meter_number,
                    account_number=row.account_number,
                    feeder_id=feeders[row.feeder_id].id,
                    interruptible=bool(row.interruptible),
                    device_id=devices[row.device_id].id if isinstance(row.device_id, str) else None,
                    geom=wkt(row.geometry),
                )
            )
            session.flush()
    n_rec = max(1, int(len(frame) * fraction))
    with timer() as records, Session(engine) as session, session.begin():
        incidents = {}
        for row in frame.head(n_rec).itertuples():
            ref = row.incident_ref or row.record_ref
            if ref not in incidents:
                incidents[ref] = Incident(ref=ref, title=ref, created_by="bench")
                session.add(incidents[ref])
                session.flush()
            start = pd.Timestamp(row.start).to_pydatetime()
            restored = pd.Timestamp(row.restored_at).to_pydatetime()
            members = int(row.members_out)
            feeder = feeders.get(row.feeder_id)
            record = Interruption(
                incident_id=incidents[ref].id,
                record_ref=row.record_ref,
                status="closed",
                cause_code=row.cause,
                scheduled=row.scheduled == "true",
                start_at=start,
                restored_at=restored,
                members_out=members,
                feeder_id=feeder.id if feeder else None,
                substation_id=feeder.substation_id if feeder else None,
                transmission_line_id=None if feeder else lines[row.transmission_line_id].id,
                created_by="bench",
                updated_by="bench",
            )
            session.add(record)
            session.flush()
            left = members
            for part in filter(None, row.steps.split(";")):
                at, _, count = part.rpartition("=")
                session.add(
                    RestorationStep(
                        interruption_id=record.id,
                        at=pd.Timestamp(at).to_pydatetime(),
                        members_restored=int(count),
                        created_by="bench",
                    )
                )
                session.flush()
                left -= int(count)
            session.add(
                RestorationStep(interruption_id=record.id, at=restored, members_restored=left, created_by="bench")
            )
            session.flush()
    engine.dispose()
    return fixed.seconds + points.seconds * len(sp) / n_sp + records.seconds * len(frame) / n_rec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orm-fraction", type=float, default=0.1)
    parser.add_argument("--db", choices=["sqlite", "postgis"], default="sqlite")
    args = parser.parse_args()
    folder = sample_folder()
    url = f"sqlite:///{Path(tempfile.gettempdir()) / 'bench-import.db'}" if args.db == "sqlite" else postgres_url()
    print(f"== Import of the whole sample into {args.db}")
    times = product_import(url, folder)
    for step, seconds in times.items():
        print(f"  {step:32s} {seconds:7.1f} s")
    total = sum(times.values())
    print(f"  {'total':32s} {total:7.1f} s   (target < 60 s)")
    orm = orm_row_by_row(url, folder, args.orm_fraction)
    print(
        f"  row-by-row ORM insert           {orm:7.1f} s   (measured on {args.orm_fraction:.0%} of the service "
        "points and records, scaled linearly)"
    )
    print(f"  ratio                           {orm / total:7.1f}x faster than row-by-row")


if __name__ == "__main__":
    main()
