"""Bulk import and export of interruption records as CSV or Excel (all-or-nothing).

The columns are those of ``sample_data/build/interruptions.csv``::

    record_ref, incident_ref, feeder_id, transmission_line_id, device_id, cause, scheduled,
    members_notified, start, restored_at, members_out, steps, location, notes, meters

``steps`` lists partial restorations before the full one as ``ISO-time=members;...``; the members
they leave out are restored at ``restored_at``.  The optional ``meters`` column lists the meters a record
on part of its facility left dark (separated by ``;``), so that the record is located (domain D15):

* a count equal to what the facility (device, feeder or line) serves is everyone below it;
* a smaller count with ``meters`` is those meters, plus any remainder as an unlocated count;
* a smaller count without ``meters`` stays an unlocated count, shown as such.

An optional ``etr`` column (not exported) gives an open record's estimated time of restoration.  The import
is history: it sends no notice.  :class:`ImportResult` says what was written and which records are still
open or have an ETR ahead, so that the answer can warn about them (the reports layer adds what the rule
owed: :func:`reports.flow.import_history`).

Step counts stay counts: on a located record, the members a step brought back are taken in network order
(an approximation the indices report, see :mod:`outages.power_state`).  Times without a zone are read in the cooperative's
zone, and the problems of a refused file give times in it.  An export re-imported into an empty log gives the same
records.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import InvalidInput, problems_note
from gis.models import Device, Feeder, ServicePoint, TransmissionLine
from gis.network import network
from gis.service import members_served
from gis.spreadsheets import neutralise, neutralise_row, restore
from gis.workbook_print import fit_text, print_setup
from outages.formatting import format_time
from outages.models import (
    AuditEntry,
    Cause,
    EtrChange,
    Incident,
    Interruption,
    InterruptionPoint,
    RestorationStep,
)
from outages.schemas import time_problem
from outages.settings import get_rule_settings

COLUMNS = [
    "record_ref",
    "incident_ref",
    "feeder_id",
    "transmission_line_id",
    "device_id",
    "cause",
    "scheduled",
    "members_notified",
    "start",
    "restored_at",
    "members_out",
    "steps",
    "location",
    "notes",
    "meters",
]
OPTIONAL = ["etr"]  # read when present, never exported
REQUIRED = ["cause", "start", "members_out"]
MAX_PROBLEMS = 100
LISTED = 10  # record references a warning names before "and N more"
CHUNK = 5000


def parse_records(data: bytes, filename: str) -> pd.DataFrame:
    """Read CSV or Excel bytes into a frame of text cells (no type guessing); the quote an export put before
    formula-like text (:mod:`gis.spreadsheets`) is taken off again.  An unreadable file is refused
    (:class:`InvalidInput` on ``file``) before anything is written."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput(f"{filename}: unsupported file type. Fix: upload a .csv or .xlsx file.", field="file")
    if not data.strip():
        raise InvalidInput(
            f"{filename} is empty. Fix: upload the file with its header row and the records "
            "(download an export for a template).",
            field="file",
        )
    if suffix == ".csv" and not _text(data):
        raise InvalidInput(
            f"{filename} could not be read as a CSV file: it is not text in UTF-8 (perhaps another "
            "encoding, or a workbook renamed .csv). Fix: save it from the spreadsheet as 'CSV UTF-8', "
            "or upload the .xlsx.",
            field="file",
        )
    try:
        if suffix == ".csv":
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
        else:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl")
    except pd.errors.ParserError as err:
        detail = str(err).strip().removeprefix("Error tokenizing data. C error: ").rstrip(".\n")
        raise InvalidInput(
            f"{filename} is not a well-formed CSV file ({detail}). Fix: give every row the "
            "columns of the header, quoting text that holds commas, or upload the .xlsx.",
            field="file",
        ) from None
    except Exception:  # noqa: BLE001 - any unreadable upload (not a zip, a damaged sheet) gets a plain answer
        if suffix == ".csv":
            raise InvalidInput(
                f"{filename} could not be read as a CSV file. Fix: save it from the spreadsheet as "
                "'CSV UTF-8' with the columns of an export, or upload the .xlsx.",
                field="file",
            ) from None
        raise InvalidInput(
            f"{filename} is not an Excel workbook that can be read (damaged, or another kind of "
            "file renamed .xlsx). Fix: save it again from the spreadsheet as an Excel Workbook "
            "(.xlsx), or upload a UTF-8 CSV.",
            field="file",
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED + ["feeder_id", "transmission_line_id"] if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{filename}: missing column(s) {', '.join(missing)}. Fix: use the columns "
            f"{', '.join(COLUMNS)} (download an export for a template).",
            field="file",
        )
    for col in COLUMNS + OPTIONAL:
        if col not in frame.columns:
            frame[col] = ""
    return frame[COLUMNS + OPTIONAL].apply(
        lambda c: c.astype(str).str.strip().replace({"nan": "", "None": ""}).map(restore)
    )


def _text(data: bytes) -> bool:
    """Whether bytes are UTF-8 text (no NUL, which no CSV holds)."""
    try:
        return "\0" not in data.decode("utf-8")
    except UnicodeDecodeError:
        return False


def _time(text: str, zone) -> datetime:
    """ISO 8601 text (naive: in ``zone``) as UTC; ``ValueError`` for text that is no time or out of range."""
    value = datetime.fromisoformat(text)
    try:
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)
    except OverflowError:
        raise ValueError(text) from None


def _flag(text: str) -> bool | None:
    low = text.lower()
    if low in ("true", "yes", "1", "y", "t"):
        return True
    if low in ("false", "no", "0", "n", "f"):
        return False
    if low == "":
        return None
    raise ValueError(text)


@dataclass
class ImportResult:
    """What an import wrote, and what of it is not history yet: records left open, ETRs still ahead."""

    incidents: int  # incidents the file made
    interruptions: int
    restoration_steps: int
    incident_ids: list[int] = field(default_factory=list)  # every incident the file added records to
    open_records: list[str] = field(default_factory=list)  # refs of records imported without a restoration
    future_etrs: list[tuple[str, datetime]] = field(default_factory=list)  # (ref, ETR) of ETRs still ahead

    def counts(self) -> dict[str, int]:
        return {
            "incidents": self.incidents,
            "interruptions": self.interruptions,
            "restoration_steps": self.restoration_steps,
        }

    def warnings(self, zone: tzinfo) -> list[str]:
        """The records a person should look at, in plain sentences."""
        out = []
        if self.open_records:
            n = len(self.open_records)
            out.append(
                f"{_records(n)} {'was' if n == 1 else 'were'} imported open, with no restored_at: "
                f"{_refs(self.open_records)}. {'It counts' if n == 1 else 'They count'} as out now (maps, console, "
                "indices) until closed; if the power is back, close "
                f"{'it' if n == 1 else 'them'} in the console or import the restoration time."
            )
        if self.future_etrs:
            n = len(self.future_etrs)
            listed = [f"{ref} ({format_time(at, zone)})" for ref, at in self.future_etrs]
            out.append(
                f"{_records(n)} {'has an ETR' if n == 1 else 'have ETRs'} in the future: {_refs(listed)}. "
                f"{'It is' if n == 1 else 'They are'} an outage going on now, not history: keep "
                f"{'its' if n == 1 else 'their'} ETR up to date in the console."
            )
        return out


def _records(n: int) -> str:
    return f"{n:,} record" + ("" if n == 1 else "s")


def _refs(refs: list[str]) -> str:
    shown = ", ".join(refs[:LISTED])
    return shown if len(refs) <= LISTED else f"{shown} and {len(refs) - LISTED:,} more"


def import_records(
    *, session: Session, frame: pd.DataFrame, actor: str, source: str = "upload", progress=None
) -> ImportResult:
    """Check every row, then write all records (or none).  Returns what was written (:class:`ImportResult`);
    a refused file lists its first :data:`MAX_PROBLEMS` problems and says how many there were in all."""
    zone = get_rule_settings().zone
    problems: list[dict] = []
    found = 0  # problems in all; ``problems`` keeps the first MAX_PROBLEMS

    def problem(row: int, column: str, message: str, fix: str) -> None:
        nonlocal found
        found += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append({"row": row, "column": column, "message": message, "fix": fix})

    feeders = dict(session.execute(select(Feeder.code, Feeder.id)).all())
    feeder_sub = dict(session.execute(select(Feeder.id, Feeder.substation_id)).all())
    devices = {c: (i, f) for c, i, f in session.execute(select(Device.code, Device.id, Device.feeder_id))}
    lines = dict(session.execute(select(TransmissionLine.code, TransmissionLine.id)).all())
    served = {
        "feeder": members_served(session=session, by="feeder"),
        "device": members_served(session=session, by="device"),
        "line": members_served(session=session, by="transmission_line"),
    }
    causes = set(session.scalars(select(Cause.code).where(Cause.active)))
    known_refs = set(session.scalars(select(Interruption.record_ref).where(Interruption.record_ref.is_not(None))))
    incidents = dict(session.execute(select(Incident.ref, Incident.id).where(Incident.ref.is_not(None))).all())
    seen_refs: set[str] = set()
    records, steps_by_ref, points_by_ref = [], {}, {}
    now = utcnow()
    listed = {n: _meters(row["meters"]) for n, row in enumerate(frame.to_dict("records")) if row["meters"]}
    meter_ids: dict[str, int] = {}
    wanted = sorted({m for ms in listed.values() for m in ms})
    for start in range(0, len(wanted), CHUNK):
        meter_ids.update(
            session.execute(
                select(ServicePoint.meter_number, ServicePoint.id).where(
                    ServicePoint.meter_number.in_(wanted[start : start + CHUNK])
                )
            ).all()
        )
    net = network(session) if listed else None
    for index, row in enumerate(frame.to_dict("records")):
        n = index + 2  # spreadsheet row: header is row 1
        count = found
        ref = row["record_ref"] or f"import-{now:%Y%m%d%H%M%S}-{n}"
        if ref in known_refs or ref in seen_refs:
            problem(n, "record_ref", f"record_ref {ref!r} is already used", "give each record its own reference")
        seen_refs.add(ref)
        feeder, line, device = row["feeder_id"], row["transmission_line_id"], row["device_id"]
        if bool(feeder) == bool(line):
            problem(
                n,
                "feeder_id",
                "give exactly one of feeder_id and transmission_line_id",
                "fill in one facility identifier",
            )
        elif feeder and feeder not in feeders:
            problem(n, "feeder_id", f"unknown feeder {feeder!r}", "use a feeder_id from the facility layer")
        elif line and line not in lines:
            problem(
                n,
                "transmission_line_id",
                f"unknown transmission line {line!r}",
                "use a line_id from the facility layer",
            )
        elif device and (device not in devices or devices[device][1] != feeders.get(feeder)):
            problem(
                n,
                "device_id",
                f"device {device!r} is not on feeder {feeder!r}",
                "use a device on that feeder or leave device_id empty",
            )
        if row["cause"] not in causes:
            problem(n, "cause", f"unknown cause {row['cause']!r}", f"use one of {', '.join(sorted(causes))}")
        try:
            scheduled = bool(_flag(row["scheduled"]))
            notified = _flag(row["members_notified"])
        except ValueError as err:
            problem(n, "scheduled", f"{err} is not true/false", "write true or false")
            scheduled, notified = False, None
        if notified is not None and not scheduled:
            problem(
                n,
                "members_notified",
                "members_notified is set on an unscheduled record",
                "leave it empty or set scheduled to true",
            )
        try:
            start = _time(row["start"], zone)
        except ValueError:
            problem(n, "start", f"{row['start']!r} is not a date and time", "use ISO 8601, e.g. 2024-05-01T14:30")
            start = None
        restored = None
        if row["restored_at"]:
            try:
                restored = _time(row["restored_at"], zone)
            except ValueError:
                problem(
                    n,
                    "restored_at",
                    f"{row['restored_at']!r} is not a date and time",
                    "use ISO 8601, e.g. 2024-05-01T16:05",
                )
        try:
            members = int(row["members_out"])
            if members <= 0:
                raise ValueError
        except ValueError:
            problem(
                n,
                "members_out",
                f"{row['members_out']!r} is not a positive whole number",
                "give the number of members interrupted",
            )
            members = None
        if members is not None and count == found:
            limit = (
                served["device"].get(device)
                if device
                else served["feeder"].get(feeder)
                if feeder
                else served["line"].get(line)
            ) or 0
            if members > limit:
                problem(
                    n,
                    "members_out",
                    f"{members} is more than the {limit} members served",
                    "check the count or the facility",
                )
        steps = []
        if row["steps"]:
            try:
                for part in row["steps"].split(";"):
                    at, _, count_text = part.strip().rpartition("=")
                    steps.append((_time(at, zone), int(count_text)))
            except ValueError:
                problem(
                    n,
                    "steps",
                    f"{row['steps']!r} is not a list of time=members",
                    "write e.g. 2024-05-01T15:00=120;2024-05-01T15:40=35",
                )
                steps = []
        etr = None
        if row["etr"]:
            try:
                etr = _time(row["etr"], zone)
            except ValueError:
                problem(n, "etr", f"{row['etr']!r} is not a date and time", "use ISO 8601, e.g. 2024-05-01T18:00")
            else:
                if restored is not None:
                    problem(
                        n,
                        "etr",
                        "an ETR is given for a record that was restored",
                        "leave etr empty when restored_at is filled in",
                    )
                elif start is not None and etr <= start:
                    problem(
                        n,
                        "etr",
                        f"etr {format_time(etr, zone)} is not after start ({format_time(start, zone)})",
                        "give an estimate later than the start",
                    )
        for column, times, ahead in (
            ("etr", [etr], True),
            ("start", [start], scheduled),
            ("restored_at", [restored], False),
            ("steps", [t for t, _ in steps], False),
        ):
            wrong = next(filter(None, (time_problem(t, ahead=ahead, now=now) for t in times if t is not None)), None)
            if wrong:
                problem(n, column, *wrong)
        if start is not None and restored is not None and restored <= start:
            problem(
                n,
                "restored_at",
                f"restored_at {format_time(restored, zone)} is not after start ({format_time(start, zone)})",
                "restoration comes after the start",
            )
        if start is not None and members is not None and steps:
            times = [start] + [t for t, _ in steps] + ([restored] if restored else [])
            if any(b <= a for a, b in zip(times, times[1:])):
                problem(
                    n,
                    "steps",
                    "steps are not in order strictly between start and restored_at",
                    "list steps in time order inside the interruption",
                )
            if any(c <= 0 for _, c in steps) or sum(c for _, c in steps) >= members:
                problem(
                    n,
                    "steps",
                    "step members must be positive and leave members for the final restoration",
                    "check the counts",
                )
        located = []
        if index in listed and count == found:
            meters = listed[index]
            unknown = [m for m in meters if m not in meter_ids]
            facility = (
                {"device_id": devices[device][0]}
                if device
                else {"feeder_id": feeders[feeder]}
                if feeder
                else {"transmission_line_id": lines[line]}
            )
            inside = net.mask(net.downstream(**facility))
            outside = [m for m in meters if m in meter_ids and not inside[net.position(meter_ids[m])]]
            if unknown:
                problem(
                    n,
                    "meters",
                    f"no service point has meter {', '.join(unknown[:5])}",
                    "check the meter numbers (as printed on the bill)",
                )
            elif outside:
                problem(
                    n,
                    "meters",
                    f"meter {', '.join(outside[:5])} is not below {device or feeder or line}",
                    "list only meters served by the record's facility",
                )
            elif members is not None and members < len(meters):
                problem(
                    n,
                    "members_out",
                    f"{members} is fewer than the {len(meters)} meters listed",
                    "give at least as many members as meters",
                )
            located = [meter_ids[m] for m in meters if m in meter_ids]
        if count != found or start is None or members is None:
            continue
        whole = (
            served["device"].get(device)
            if device
            else served["feeder"].get(feeder)
            if feeder
            else served["line"].get(line)
        )
        all_steps = steps + ([(restored, members - sum(c for _, c in steps))] if restored else [])
        duration = (restored - start).total_seconds() / 60 if restored else None
        feeder_id = feeders.get(feeder)
        records.append(
            {
                "record_ref": ref,
                "incident_ref": row["incident_ref"] or ref,
                "status": "closed" if restored else "open",
                "momentary": None if duration is None else duration <= get_rule_settings().momentary_max_minutes,
                "scheduled": scheduled,
                "members_notified": notified if scheduled else None,
                "cause_code": row["cause"],
                "start_at": start,
                "restored_at": restored,
                "members_out": members,
                "extent": "part" if located or members < (whole or 0) else "facility",
                "substation_id": feeder_sub.get(feeder_id),
                "feeder_id": feeder_id,
                "device_id": devices[device][0] if device else None,
                "transmission_line_id": lines.get(line),
                "location": row["location"] or None,
                "notes": row["notes"] or None,
                "etr_at": etr,
                "created_by": actor,
                "updated_by": actor,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        steps_by_ref[ref] = all_steps
        if located:
            points_by_ref[ref] = located
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"{source}, row {first['row']}, column {first['column']}: {first['message']}. "
            f"Fix: {first['fix']}." + problems_note(found, len(problems)),
            field=first["column"],
            problems=problems,
        )
    step = progress or (lambda _n: None)
    new_refs = sorted({r["incident_ref"] for r in records} - set(incidents))
    _bulk(
        session,
        Incident,
        [{"ref": ref, "title": ref, "created_by": actor, "created_at": now, "source": "import"} for ref in new_refs],
    )
    incidents = dict(session.execute(select(Incident.ref, Incident.id).where(Incident.ref.is_not(None))).all())
    for record in records:
        record["incident_id"] = incidents[record.pop("incident_ref")]
    for start in range(0, len(records), CHUNK):
        session.execute(insert(Interruption), records[start : start + CHUNK])
        step(min(CHUNK, len(records) - start))
    ids = dict(
        session.execute(
            select(Interruption.record_ref, Interruption.id).where(Interruption.record_ref.is_not(None))
        ).all()
    )
    step_rows = [
        {"interruption_id": ids[ref], "at": at, "members_restored": count, "created_by": actor}
        for ref, steps in steps_by_ref.items()
        for at, count in steps
    ]
    _bulk(session, RestorationStep, step_rows)
    _bulk(
        session,
        InterruptionPoint,
        [{"interruption_id": ids[ref], "service_point_id": sp} for ref, sps in points_by_ref.items() for sp in sps],
    )
    estimates = [r for r in records if r["etr_at"] is not None]
    _bulk(
        session,
        EtrChange,
        [
            {
                "interruption_id": ids[r["record_ref"]],
                "etr_at": r["etr_at"],
                "set_at": now,
                "set_by": actor,
                "note": f"imported from {source}"[:300],
            }
            for r in estimates
        ],
    )
    session.add(
        AuditEntry(
            entity="import",
            entity_id=0,
            action="import",
            actor=actor,
            before=None,
            after={"source": source, "interruptions": len(records), "incidents": len(new_refs)},
        )
    )
    session.flush()
    return ImportResult(
        incidents=len(new_refs),
        interruptions=len(records),
        restoration_steps=len(step_rows),
        incident_ids=sorted({r["incident_id"] for r in records}),
        open_records=[r["record_ref"] for r in records if r["status"] == "open"],
        future_etrs=[(r["record_ref"], r["etr_at"]) for r in estimates if r["etr_at"] > now],
    )


def _meters(text: str) -> list[str]:
    """Meter numbers in a cell, separated by semicolons, commas or spaces (repeats dropped)."""
    return list(dict.fromkeys(m for m in re.split(r"[;,\s]+", text) if m))


def _bulk(session: Session, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[start : start + CHUNK])


def export_records(
    *,
    session: Session,
    start_from: datetime | None = None,
    start_to: datetime | None = None,
    include_voided: bool = False,
) -> pd.DataFrame:
    """Records in the import columns, times in the cooperative's zone; voided ones only on request."""
    zone = get_rule_settings().zone
    stmt = (
        select(
            Interruption.id,
            Interruption.record_ref,
            Incident.ref,
            Incident.id.label("incident_id"),
            Feeder.code.label("feeder"),
            TransmissionLine.code.label("line"),
            Device.code.label("device"),
            Interruption.cause_code,
            Interruption.scheduled,
            Interruption.members_notified,
            Interruption.start_at,
            Interruption.restored_at,
            Interruption.members_out,
            Interruption.location,
            Interruption.notes,
        )
        .join(Incident, Incident.id == Interruption.incident_id)
        .outerjoin(Feeder, Feeder.id == Interruption.feeder_id)
        .outerjoin(TransmissionLine, TransmissionLine.id == Interruption.transmission_line_id)
        .outerjoin(Device, Device.id == Interruption.device_id)
        .order_by(Interruption.start_at, Interruption.id)
    )
    if not include_voided:
        stmt = stmt.where(Interruption.status != "voided")
    if start_from is not None:
        stmt = stmt.where(Interruption.start_at >= start_from)
    if start_to is not None:
        stmt = stmt.where(Interruption.start_at < start_to)
    rows = session.execute(stmt).all()
    step_rows = session.execute(
        select(RestorationStep.interruption_id, RestorationStep.at, RestorationStep.members_restored)
        .where(RestorationStep.interruption_id.in_(select(stmt.subquery().c.id)))
        .order_by(RestorationStep.interruption_id, RestorationStep.at, RestorationStep.id)
    ).all()
    steps: dict[int, list] = {}
    for rid, at, count in step_rows:
        steps.setdefault(rid, []).append((at, count))
    meters: dict[int, list[str]] = {}
    for rid, meter in session.execute(
        select(InterruptionPoint.interruption_id, ServicePoint.meter_number)
        .join(ServicePoint, ServicePoint.id == InterruptionPoint.service_point_id)
        .where(InterruptionPoint.interruption_id.in_(select(stmt.subquery().c.id)))
        .order_by(InterruptionPoint.interruption_id, ServicePoint.meter_number)
    ):
        meters.setdefault(rid, []).append(meter)

    def local(value):
        if value is None:
            return ""
        try:
            return value.astimezone(zone).isoformat(timespec="seconds")
        except OverflowError:  # a stored time at the very edge of the calendar (year 1): kept in UTC
            return value.isoformat(timespec="seconds")

    out = []
    for r in rows:
        partial = steps.get(r.id, [])
        if r.restored_at is not None:
            partial = partial[:-1]
        out.append(
            {
                "record_ref": r.record_ref or f"R{r.id}",
                "incident_ref": r.ref or f"INC{r.incident_id}",
                "feeder_id": r.feeder or "",
                "transmission_line_id": r.line or "",
                "device_id": r.device or "",
                "cause": r.cause_code,
                "scheduled": "true" if r.scheduled else "false",
                "members_notified": "" if r.members_notified is None else str(r.members_notified).lower(),
                "start": local(r.start_at),
                "restored_at": local(r.restored_at),
                "members_out": str(r.members_out),
                "steps": ";".join(f"{local(at)}={count}" for at, count in partial),
                "location": r.location or "",
                "notes": r.notes or "",
                "meters": ";".join(meters.get(r.id, ())),
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


def to_csv(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with CRLF line ends (RFC 4180, so that a carriage return inside a cell is quoted); text a
    spreadsheet would run as a formula is quoted (:mod:`gis.spreadsheets`)."""
    return frame.map(neutralise).to_csv(index=False, lineterminator="\r\n").encode()


XLSX_WIDTHS = (14, 22, 11, 22, 12, 16, 11, 18, 26, 26, 13, 40, 30, 30, 30)  #: [characters], in COLUMNS order


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """An Excel workbook: one 'interruptions' sheet, header frozen, text cells as exported (formula-like
    text quoted, never a formula: :mod:`gis.spreadsheets`).  It prints landscape, one page wide, the header
    row on every page, every column as wide as its heading and long text wrapped."""
    book = Workbook()
    sheet = book.active
    sheet.title = "interruptions"
    print_setup(sheet, header_rows=1, title="Interruption log")
    sheet.append(COLUMNS)
    for row in frame.itertuples(index=False):
        sheet.append(neutralise_row(row))
    sheet.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJKLMNO", XLSX_WIDTHS):
        sheet.column_dimensions[col].width = width
    fit_text(sheet, min_row=2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
