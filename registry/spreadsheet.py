"""The registry as a spreadsheet: template, export and all-or-nothing import (openpyxl).

Two sheets: ``entries`` (one row per entry, keyed by ``ref``) and ``contacts`` (one row per contact,
naming its entry's ``ref``).  An export re-imported changes nothing.  Text that a spreadsheet would run as
a formula is written with a leading quote and read back without it (:mod:`gis.spreadsheets`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gis.db import utcnow
from gis.errors import DomainError, InvalidInput, problems_note
from gis.service import AreaIndex
from gis.spreadsheets import neutralise_row, restore
from gis.workbook_print import fit_text, print_setup
from registry.models import RegistryCategory, RegistryEntry
from registry.schemas import ContactIn, EntryIn
from registry.service import apply_entry, list_entries, place

ENTRY_COLUMNS = [
    "ref",
    "name",
    "category",
    "account_number",
    "meter_number",
    "feeder",
    "lon",
    "lat",
    "backup_generation",
    "fuel_hours",
    "priority_tier",
    "notes",
    "last_verified",
    "verified_by",
]
CONTACT_COLUMNS = ["ref", "name", "role", "phone", "alt_phone", "email", "around_the_clock"]
MAX_PROBLEMS = 200


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def registry_workbook(
    *, entries: Iterable[list], contacts: Iterable[list], categories: Iterable[tuple[str, str, str]]
) -> Workbook:
    """The registry's one workbook layout, for the template, an export and the synthetic sample alike: sheets
    ``entries`` and ``contacts`` (rows in :data:`ENTRY_COLUMNS` and :data:`CONTACT_COLUMNS` order) and
    ``categories`` (code, label, group), bold frozen headers, account and meter numbers as text cells, a
    drop-down of the category codes on every entry row.  Text a spreadsheet would run as a formula is
    written with a leading quote.  Each sheet prints landscape, one page wide, its header row on every page,
    text longer than its column wrapped."""
    book = Workbook()
    sheet = book.active
    sheet.title = "entries"
    sheet.append(ENTRY_COLUMNS)
    for row in entries:
        sheet.append(neutralise_row(row))
    for column in ("D", "E"):  # account and meter numbers are text, never numbers
        for cell in sheet[column][1:]:
            cell.number_format = "@"
    contact_sheet = book.create_sheet("contacts")
    contact_sheet.append(CONTACT_COLUMNS)
    for row in contacts:
        contact_sheet.append(neutralise_row(row))
    listing = book.create_sheet("categories")
    listing.append(["code", "label", "group"])
    for category in categories:
        listing.append(neutralise_row(category))
    check = DataValidation(
        type="list",
        formula1=f"=categories!$A$2:$A${listing.max_row}",
        allow_blank=False,
        showErrorMessage=True,
        error="Use a category code from the 'categories' sheet.",
    )
    sheet.add_data_validation(check)
    check.add(f"C2:C{max(5000, sheet.max_row)}")
    for ws in (sheet, contact_sheet, listing):
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.columns:
            ws.column_dimensions[column[0].column_letter].width = max(
                10, min(40, max(len(str(c.value or "")) for c in column) + 2)
            )
        print_setup(ws, header_rows=1, title=f"Essential-services registry: {ws.title}")
        fit_text(ws, min_row=2)
    return book


def _workbook(session: Session, entries: list[RegistryEntry], zone) -> Workbook:
    coords = _coordinates(session)
    rows, contacts = [], []
    for e in entries:
        lon, lat = coords[e.id]
        sp = e.service_point
        rows.append(
            [
                e.ref,
                e.name,
                e.category_code,
                sp.account_number if sp else None,
                sp.meter_number if sp else None,
                e.feeder.code,
                lon,
                lat,
                _yes(e.backup_generation),
                e.fuel_hours,
                e.priority_tier,
                e.notes,
                e.last_verified_at.astimezone(zone).isoformat() if e.last_verified_at else None,
                e.last_verified_by,
            ]
        )
        contacts += [
            [e.ref, c.name, c.role, c.phone, c.alt_phone, c.email, _yes(c.around_the_clock)] for c in e.contacts
        ]
    categories = [
        (c.code, c.label, c.grp) for c in session.scalars(select(RegistryCategory).order_by(RegistryCategory.code))
    ]
    return registry_workbook(entries=rows, contacts=contacts, categories=categories)


def _coordinates(session: Session, entry_id: int | None = None) -> dict[int, tuple[float, float]]:
    """Entry id -> (lon, lat) as stored (exact doubles, so that an export re-imports unchanged)."""
    stmt = select(RegistryEntry.id, func.ST_X(RegistryEntry.geom), func.ST_Y(RegistryEntry.geom))
    if entry_id is not None:
        stmt = stmt.where(RegistryEntry.id == entry_id)
    return {i: (x, y) for i, x, y in session.execute(stmt)}


def _bytes(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_registry(*, session: Session, zone) -> bytes:
    """Every entry and contact as an .xlsx workbook (re-importable)."""
    return _bytes(_workbook(session, list_entries(session=session), zone))


def template(*, session: Session, zone) -> bytes:
    """An empty workbook with the columns, the category list and a drop-down on category."""
    return _bytes(_workbook(session, [], zone))


def _cell(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = restore(value.strip())  # without the quote the export put before formula-like text
        return value or None
    return value


def _flag(value) -> bool:
    text = str(value or "").strip().lower()
    if text in ("yes", "y", "true", "1"):
        return True
    if text in ("", "no", "n", "false", "0"):
        return False
    raise ValueError(f"{value!r} is not yes/no")


def import_registry(*, session: Session, data: bytes, filename: str, actor: str, zone) -> dict[str, int]:
    """Check every row of both sheets, then create new entries and update changed ones (or do nothing).

    Returns counts of created, updated and unchanged entries.  Problems name sheet, row and column.
    """
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable upload gets the same plain answer
        raise InvalidInput(
            f"{filename} is not an Excel workbook. Fix: upload the .xlsx from the template or an export.", field="file"
        ) from None
    problems: list[dict] = []
    found = [0]  # problems in all; ``problems`` keeps the first MAX_PROBLEMS

    def problem(sheet: str, row: int, column: str, message: str) -> None:
        found[0] += 1
        if len(problems) < MAX_PROBLEMS:
            problems.append({"sheet": sheet, "row": row, "column": column, "message": message})

    rows = {}
    for name, columns in (("entries", ENTRY_COLUMNS), ("contacts", CONTACT_COLUMNS)):
        if name not in book.sheetnames:
            raise InvalidInput(f"{filename} has no '{name}' sheet. Fix: start from the template.", field="file")
        try:
            values = list(book[name].iter_rows(values_only=True))
        except Exception:  # noqa: BLE001 - a damaged sheet is read lazily, after load_workbook succeeded
            raise InvalidInput(
                f"{filename}, sheet {name} could not be read (the file is damaged). Fix: save it "
                "again from the spreadsheet as an Excel Workbook (.xlsx) and upload that.",
                field="file",
            ) from None
        header = [str(v).strip() if v is not None else "" for v in (values[0] if values else [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise InvalidInput(
                f"{filename}, sheet {name}: missing column(s) {', '.join(missing)}. Fix: start from the template.",
                field="file",
            )
        rows[name] = [
            (n, {c: _cell(r[header.index(c)]) if header.index(c) < len(r) else None for c in columns})
            for n, r in enumerate(values[1:], start=2)
            if any(v is not None for v in r)
        ]

    contacts: dict[str, list[ContactIn]] = {}
    for n, row in rows["contacts"]:
        try:
            contact = ContactIn(
                name=row["name"] or "",
                role=row["role"],
                phone=_text(row["phone"]),
                alt_phone=_text(row["alt_phone"]),
                email=row["email"],
                around_the_clock=_flag(row["around_the_clock"]),
            )
            contacts.setdefault(str(row["ref"]), []).append(contact)
        except ValidationError as err:
            for e in err.errors():
                problem("contacts", n, str(e["loc"][0]) if e["loc"] else "row", _plain(e["msg"]))
        except ValueError as err:
            problem("contacts", n, "around_the_clock", str(err))

    territory = AreaIndex(session)
    existing = {e.ref: e for e in list_entries(session=session)}
    known = set(session.scalars(select(RegistryCategory.code)))
    seen_refs: set[str | None] = set()
    seen_links: dict[tuple, int] = {}
    plans = []
    for n, row in rows["entries"]:
        before = found[0]
        ref = str(row["ref"]) if row["ref"] is not None else None
        if ref and ref in seen_refs:
            problem("entries", n, "ref", f"ref {ref} appears twice")
        seen_refs.add(ref)
        if row["category"] not in known:
            problem(
                "entries",
                n,
                "category",
                f"unknown category {row['category']!r}; use a code from the 'categories' sheet",
            )
        try:
            entry_in = EntryIn(
                ref=ref,
                name=row["name"] or "",
                category=row["category"] or "",
                account_number=_text(row["account_number"]),
                meter_number=_text(row["meter_number"]),
                feeder=row["feeder"],
                lon=row["lon"],
                lat=row["lat"],
                backup_generation=_flag(row["backup_generation"]),
                fuel_hours=row["fuel_hours"],
                priority_tier=int(row["priority_tier"]) if row["priority_tier"] is not None else 3,
                notes=row["notes"],
                contacts=contacts.get(ref, []) if ref is not None else [],
            )
        except ValidationError as err:
            for e in err.errors():
                problem("entries", n, str(e["loc"][0]) if e["loc"] else "row", _plain(e["msg"]))
            continue
        except ValueError as err:
            problem("entries", n, "backup_generation" if "yes/no" in str(err) else "priority_tier", str(err))
            continue
        if found[0] > before:
            continue
        try:
            placement = place(session=session, data=entry_in, territory=territory)
        except DomainError as err:
            problem("entries", n, _column(err.field), err.message)
            continue
        link = (entry_in.name.lower(), placement.service_point.id if placement.service_point else placement.feeder.id)
        if link in seen_links:
            problem("entries", n, "name", f"the same entry as row {seen_links[link]} (same name and service point)")
            continue
        seen_links[link] = n
        verified = _when(row["last_verified"], zone)
        if verified == "bad":
            problem("entries", n, "last_verified", f"{row['last_verified']!r} is not a date")
            continue
        plans.append((entry_in, placement, verified, row["verified_by"]))
    if problems:
        first = problems[0]
        raise InvalidInput(
            f"{filename}, sheet {first['sheet']}, row {first['row']}, column {first['column']}: {first['message']}. "
            "Fix: correct the cell and upload again." + problems_note(found[0], len(problems)),
            field=first["column"],
            problems=problems,
        )

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for entry_in, placement, verified, verified_by in plans:
        entry = existing.get(entry_in.ref) if entry_in.ref else None
        if entry is None:
            entry = RegistryEntry(
                ref=entry_in.ref or f"REG-NEW-{counts['created'] + 1}",
                last_verified_at=verified or utcnow(),
                last_verified_by=verified_by or actor,
            )
            apply_entry(entry, data=entry_in, placement=placement, actor=actor)
            session.add(entry)
            counts["created"] += 1
            continue
        if _same(session, entry, entry_in, placement, verified, verified_by):
            counts["unchanged"] += 1
            continue
        apply_entry(entry, data=entry_in, placement=placement, actor=actor)
        if verified:
            entry.last_verified_at, entry.last_verified_by = verified, verified_by or actor
        counts["updated"] += 1
    session.flush()
    return counts


def _text(value):
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _plain(message: str) -> str:
    return message.removeprefix("Value error, ")


def _column(field: str | None) -> str:
    return {
        "lon": "lon",
        "lat": "lat",
        "feeder": "feeder",
        "account_number": "account_number",
        "meter_number": "meter_number",
    }.get(field or "", field or "row")


def _when(value, zone):
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(zone)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return "bad"
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _same(session, entry: RegistryEntry, data: EntryIn, placement, verified, verified_by) -> bool:
    lon, lat = _coordinates(session, entry.id)[entry.id]
    current = [(c.name, c.role, c.phone, c.alt_phone, c.email, c.around_the_clock) for c in entry.contacts]
    wanted = [(c.name, c.role, c.phone, c.alt_phone, c.email, c.around_the_clock) for c in data.contacts]
    return (
        entry.name == data.name
        and entry.category_code == data.category
        and entry.service_point_id == (placement.service_point.id if placement.service_point else None)
        and entry.feeder_id == placement.feeder.id
        and (lon, lat) == (placement.lon, placement.lat)
        and entry.backup_generation == data.backup_generation
        and entry.fuel_hours == data.fuel_hours
        and entry.priority_tier == data.priority_tier
        and entry.notes == data.notes
        and current == wanted
        and (
            verified is None
            or (
                verified == entry.last_verified_at and (verified_by or entry.last_verified_by) == entry.last_verified_by
            )
        )
    )
