"""The yearly registry annex of the emergency operations plan: every essential-services registry entry
by division and feeder, with category, priority, backup generation, last verification and reviewer,
and summary counts.  Excel (openpyxl) and PDF (WeasyPrint)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from html import escape

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from gis.spreadsheets import neutralise, neutralise_row
from registry.schemas import EntryOut
from reports.pdf import render_pdf, table

COLUMNS = [
    "Division",
    "Feeder",
    "Substation",
    "Ref",
    "Entry",
    "Category",
    "Priority tier",
    "Backup generation",
    "Fuel (h)",
    "Last verified",
    "Verified by",
    "Review due",
    "Review status",
]
TITLE = "Registry of essential services — annex to the emergency operations plan"


def _ordered(entries: list[EntryOut]) -> list[EntryOut]:
    return sorted(entries, key=lambda e: (e.division or "~", e.feeder, e.priority_tier, e.name))


def _row(e: EntryOut) -> list:
    return [
        e.division or "(outside divisions)",
        e.feeder,
        e.substation,
        e.ref,
        e.name,
        e.category_label,
        e.priority_tier,
        "yes" if e.backup_generation else "no",
        e.fuel_hours,
        e.last_verified_at.date().isoformat() if e.last_verified_at else "never",
        e.last_verified_by or "",
        e.review_due.isoformat() if e.review_due else "",
        e.review_status.replace("_", " "),
    ]


def summary(entries: list[EntryOut]) -> dict[str, Counter]:
    """Counts by category, division, priority tier, backup generation and review status."""
    return {
        "By category": Counter(e.category_label for e in entries),
        "By division": Counter(e.division or "(outside divisions)" for e in entries),
        "By priority tier": Counter(f"Tier {e.priority_tier}" for e in entries),
        "Backup generation": Counter("with backup" if e.backup_generation else "without backup" for e in entries),
        "Review status": Counter(e.review_status.replace("_", " ") for e in entries),
    }


def annex_workbook(entries: list[EntryOut], *, cooperative: str, as_of: date) -> bytes:
    """The annex as an .xlsx: an 'Annex' sheet (one row per entry) and a 'Summary' sheet."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Annex"
    sheet.append([neutralise(f"{cooperative}: {TITLE}")])
    sheet.append(
        [f"As of {as_of.isoformat()}; {len(entries)} entries. Every entry is verified at least once every 12 months."]
    )
    sheet.append(COLUMNS)
    sheet["A1"].font = Font(bold=True, size=13)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
    for e in _ordered(entries):
        sheet.append(neutralise_row(_row(e)))  # names and labels are free text: never a formula
        if e.review_status in ("overdue", "never_verified"):
            sheet.cell(sheet.max_row, len(COLUMNS)).font = Font(bold=True, color="AA0000")
    sheet.freeze_panes = "A4"
    sheet.auto_filter.ref = f"A3:M{sheet.max_row}"
    for col, width in zip("ABCDEFGHIJKLM", (24, 10, 10, 11, 36, 24, 8, 9, 8, 12, 14, 12, 14)):
        sheet.column_dimensions[col].width = width
    counts = book.create_sheet("Summary")
    counts.append(["Summary", f"{len(entries)} entries"])
    counts["A1"].font = Font(bold=True, size=13)
    for heading, counter in summary(entries).items():
        counts.append([])
        counts.append([heading, "Entries"])
        counts.cell(counts.max_row, 1).font = Font(bold=True)
        for key, value in sorted(counter.items()):
            counts.append([neutralise(key), value])
    counts.column_dimensions["A"].width = 32
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def annex_pdf(entries: list[EntryOut], *, cooperative: str, as_of: date) -> bytes:
    """The annex as a PDF, grouped by division and feeder, with the summary counts first."""
    parts = [
        f"<h1>{escape(TITLE)}</h1>",
        f"<p class='meta'>{escape(cooperative)} · as of {as_of.isoformat()} · {len(entries)} entries · "
        "each entry verified at least once every 12 months</p>",
        "<h2>Summary</h2>",
    ]
    for heading, counter in summary(entries).items():
        parts.append(table([heading, "Entries"], [[k, v] for k, v in sorted(counter.items())], numeric={1}))
    parts.append("<h2>Entries by division and feeder</h2>")
    rows, classes, division = [], {}, object()
    for e in _ordered(entries):
        row = _row(e)
        if row[0] != division:
            division = row[0]
            rows.append(division)
        if e.review_status in ("overdue", "never_verified"):
            classes[len(rows)] = "overdue"
        rows.append(row[1:])
    parts.append(table(COLUMNS[1:], rows, numeric={5, 7}, classes=classes))
    return render_pdf(TITLE, "".join(parts))
